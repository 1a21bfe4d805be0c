"""Worked answers to lesson 3's questions (the first network). Try the questions first.

Run it:  python tutorials/answers/03_first_network.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import math

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from _lesson import check, section

rng = np.random.default_rng(30)
mg.manual_seed(30)                   # the same initial weights on every run

# %% [markdown]
# ## Question 1. What is the gradient of the last layer's bias?
# The logits are z = h W^T + b with b broadcast over the N rows of the batch, so (lesson 2)
# db = sum over the batch of dL/dz. For the mean cross-entropy, dL/dz = (softmax(z) - onehot) / N,
# so db = mean over the batch of (softmax(z) - onehot). Each row of softmax - onehot sums to 0
# (probabilities sum to 1, the one-hot too), so the entries of db also sum to 0.

# %%
section("Question 1: the last bias's gradient is the batch mean of softmax - onehot")
net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
x = mg.tensor(rng.normal(size=(16, 64)))
labels = rng.integers(0, 10, size=16)
logits = net(x)
F.cross_entropy(logits, mg.tensor(labels)).backward()
z = logits.data
softmax = np.exp(z - z.max(axis=1, keepdims=True))
softmax /= softmax.sum(axis=1, keepdims=True)
expected = (softmax - np.eye(10)[labels]).mean(axis=0)
print(f"db = {net[2].bias.grad.data.round(4)}")
check("db equals the batch mean of softmax - onehot (1e-12)",
      np.abs(net[2].bias.grad.data - expected).max() < 1e-12)
check("and its entries sum to 0 (1e-12)", abs(net[2].bias.grad.data.sum()) < 1e-12)

# %% [markdown]
# ## Question 2. What loss would an untrained network start from with 26 classes?
# With small random weights the logits are nearly equal, softmax gives each class about 1/26, and
# the cross-entropy -log p(correct) starts near ln 26 = 3.26. A first loss far from ln K means the
# initialisation is too large (confident wrong guesses) or the loss is wired up wrongly.

# %%
section("Question 2: with K classes the first loss is about ln K")
tiny = nn.Linear(64, 26)
with mg.no_grad():
    tiny.weight.data *= 0.01                         # small weights: nearly equal logits
    loss = F.cross_entropy(tiny(x), mg.tensor(rng.integers(0, 26, size=16))).item()
print(f"first loss {loss:.4f}, ln 26 = {math.log(26):.4f}")
check("the untrained 26-class loss is within 0.05 of ln 26", abs(loss - math.log(26)) < 0.05)
