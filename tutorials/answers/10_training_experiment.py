"""Worked answers to lesson 10's questions (the training experiment). Try the questions first.

Run it:  python tutorials/answers/10_training_experiment.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg
import layers
from minigrad import nn

from _lesson import check, section

rng = np.random.default_rng(100)
mg.manual_seed(100)                  # the same initial weights on every run

# %% [markdown]
# ## Question 1. Why does the lesson measure test accuracy in eval mode?
# In training mode BatchNorm normalises with the statistics of the batch it is given, so a test
# image's prediction would depend on which other test images share its batch (and a batch of one
# would be normalised to zero). Eval mode uses the running statistics: a fixed function of each
# image alone, which is what "the network's prediction" should mean.

# %%
section("Question 1: in training mode a test prediction depends on its batch")
net = nn.Sequential(nn.Linear(6, 8), layers.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
for _ in range(30):                                  # some running statistics
    net(mg.tensor(rng.normal(size=(16, 6))))
image = rng.normal(size=(1, 6))
batch_a = np.concatenate([image, rng.normal(size=(7, 6))])
batch_b = np.concatenate([image, rng.normal(3.0, 1.0, size=(7, 6))])
with mg.no_grad():
    train_a, train_b = net(mg.tensor(batch_a)).data[0], net(mg.tensor(batch_b)).data[0]
    net.eval()
    eval_a, eval_b = net(mg.tensor(batch_a)).data[0], net(mg.tensor(batch_b)).data[0]
print(f"train mode: the same image's logits differ by {np.abs(train_a - train_b).max():.2f} between batches")
print(f"eval mode:  they differ by {np.abs(eval_a - eval_b).max():.1e}")
check("in training mode the same image gets different logits in different batches",
      np.abs(train_a - train_b).max() > 1e-2)
check("in eval mode it gets the same logits in any batch (1e-15)", np.abs(eval_a - eval_b).max() < 1e-15)

# %% [markdown]
# ## Question 2. How much noisier is a BatchNorm's batch mean at batch 2 than at batch 32?
# The mean of B independent values of variance sigma^2 has variance sigma^2 / B. From B = 32 to
# B = 2 that is 16 times the variance, 4 times the standard deviation (the same 16x / 4x as the
# gradient noise of lesson 10). At B = 2 the mean is off by sigma / sqrt(2) = 0.71 sigma on a
# typical batch: BatchNorm then subtracts a number that is mostly noise.

# %%
section("Question 2: the batch mean's spread grows like 1/sqrt(B)")
population = rng.normal(0.0, 1.0, size=(20000, 32))
spread_32 = population.mean(axis=1).std()
spread_2 = population[:, :2].mean(axis=1).std()
print(f"std of the batch mean: batch 32 {spread_32:.3f}, batch 2 {spread_2:.3f}, "
      f"ratio {spread_2 / spread_32:.2f}")
check("the ratio of the standard deviations is about sqrt(32 / 2) = 4 (within 5 %)",
      abs(spread_2 / spread_32 - 4) < 0.2)
