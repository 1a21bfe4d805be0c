"""Worked answers to lesson 4's questions (BatchNorm, forward). Try the questions first.

Run it:  python tutorials/answers/04_batchnorm_forward.py
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

rng = np.random.default_rng(40)
mg.manual_seed(40)                   # the same initial weights on every run

# %% [markdown]
# ## Question 1. Fold an eval-mode BatchNorm into the Linear layer before it.
# In eval mode BatchNorm1d is a fixed per-feature affine map of its input h = x W^T + b:
#     y = gamma * (h - running_mean) / sqrt(running_var + eps) + beta.
# Write s = gamma / sqrt(running_var + eps), one number per output feature. Then
#     y = s * (x W^T + b - running_mean) + beta = x (s[:, None] * W)^T + (s * (b - running_mean) + beta),
# so ONE Linear layer with weight W' = s[:, None] * W and bias b' = s * (b - running_mean) + beta
# computes the same thing. Inference libraries do this fold to save the BatchNorm's time. It
# only works in eval mode: in training the statistics come from the batch, so they are not
# constants that can be folded into weights.

# %%
section("Question 1: folding an eval-mode BatchNorm into the Linear before it")
linear, bn = nn.Linear(6, 4), layers.BatchNorm1d(4)
for _ in range(20):                                   # give it some running statistics
    bn(linear(mg.tensor(rng.normal(2.0, 3.0, size=(16, 6)))))
bn.weight.data[...] = rng.normal(size=4)
bn.bias.data[...] = rng.normal(size=4)
bn.eval()

s = bn.weight.data / np.sqrt(bn.running_var.data + bn.eps)
folded = nn.Linear(6, 4)
folded.weight.data[...] = s[:, None] * linear.weight.data
folded.bias.data[...] = s * (linear.bias.data - bn.running_mean.data) + bn.bias.data

x = mg.tensor(rng.normal(size=(10, 6)))
with mg.no_grad():
    difference = np.abs(bn(linear(x)).data - folded(x).data).max()
print(f"max |BN(Linear(x)) - folded Linear(x)| = {difference:.1e}")
check("the folded Linear equals Linear + eval-mode BatchNorm to 1e-12", difference < 1e-12)

# %% [markdown]
# ## Question 2. What does BatchNorm do with gamma frozen at 1 and beta at 0?
# Then y = (x - mean) / sqrt(var + eps) in training: over every batch, each feature of y has
# mean exactly 0 and (biased) variance var / (var + eps), just below 1. Whatever the previous
# layer does, the next layer always sees features of mean 0 and variance ~1 during training:
# the network cannot choose another scale or offset for them. gamma and beta give that freedom
# back; with gamma = sqrt(var + eps) and beta = mean the layer could even undo itself (the
# BatchNorm paper's argument for keeping them).

# %%
section("Question 2: gamma = 1, beta = 0 pins every feature to mean 0, variance ~1")
frozen = layers.BatchNorm1d(5, affine=False)           # no gamma, no beta: as if 1 and 0
batch = rng.normal(7.0, 4.0, size=(32, 5))
y = frozen(mg.tensor(batch)).data
variance = batch.var(axis=0)
print(f"per-feature mean of y:     {y.mean(axis=0).round(12)}")
print(f"per-feature variance of y: {y.var(axis=0).round(8)}")
check("each feature of the output has mean 0 over the batch (to 1e-12)",
      np.abs(y.mean(axis=0)).max() < 1e-12)
check("and variance var / (var + eps), just below 1",
      np.allclose(y.var(axis=0), variance / (variance + frozen.eps), atol=1e-12))
gamma_undo, beta_undo = np.sqrt(variance + frozen.eps), batch.mean(axis=0)
check("with gamma = sqrt(var + eps) and beta = mean the layer gives back its input (1e-12)",
      np.abs(gamma_undo * y + beta_undo - batch).max() < 1e-12)
