"""Worked answers to lesson 5's questions (BatchNorm, backward). Try the questions first.

Run it:  python tutorials/answers/05_batchnorm_backward.py
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
from minigrad.nn import functional as F

from _lesson import check, section

rng = np.random.default_rng(50)
mg.manual_seed(50)                   # the same initial weights on every run

# %% [markdown]
# ## Question 1. Why does the bias of a Linear layer just before a BatchNorm get exactly zero gradient?
# Lesson 5 found dx = (1/s) [g - mean(g) - x_hat * mean(g * x_hat)] for each feature, with the
# means over the batch. Sum it over the batch: sum(g) - m mean(g) = 0, and
# sum(x_hat * ...) = mean(g x_hat) * sum(x_hat) = 0 because x_hat has mean 0. So sum_batch dx = 0
# for every feature. The Linear's bias b is added to every row of its output h = x W^T + b, so
# (lesson 2) db = sum over the batch of dL/dh = sum_batch dx = 0. The reason underneath: BatchNorm
# subtracts the batch mean, so adding a constant to a feature changes nothing after it. That bias
# is wasted, which is why networks use Linear(bias=False) or Conv2d(bias=False) before BatchNorm.

# %%
section("Question 1: a bias before BatchNorm gets exactly zero gradient")
net = nn.Sequential(nn.Linear(8, 16), layers.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
x = mg.tensor(rng.normal(size=(32, 8)))
labels = mg.tensor(rng.integers(0, 3, size=32))
F.cross_entropy(net(x), labels).backward()
first_bias, last_bias = net[0].bias.grad.data, net[3].bias.grad.data
print(f"max |grad| of the bias before BatchNorm: {np.abs(first_bias).max():.1e}")
print(f"max |grad| of the last layer's bias:     {np.abs(last_bias).max():.1e}")
check("the bias before BatchNorm gets a zero gradient (to rounding, 1e-15)",
      np.abs(first_bias).max() < 1e-15)
check("while the last layer's bias, after no BatchNorm, does not", np.abs(last_bias).max() > 1e-3)
with mg.no_grad():
    before = net(x).data.copy()
    net[0].bias.data += 5.0                            # shift the wasted bias a lot
    after = net(x).data
check("and indeed shifting that bias does not change the network's output (1e-12)",
      np.abs(after - before).max() < 1e-12)

# %% [markdown]
# ## Question 2. Derive the backward of mean-only BatchNorm, y = x - mean(x).
# (Some networks centre without dividing by the spread.) With m values per feature,
# dy_i/dx_j = [i == j] - 1/m, so dx_j = sum_i dy_i (dy_i/dx_j) = dy_j - mean(dy).
# It is the first correction term of full BatchNorm; the second, - x_hat * mean(dy * x_hat),
# came from the division by the standard deviation, which this layer does not do.

# %%
section("Question 2: mean-only BatchNorm's backward is dx = dy - mean(dy)")
values = rng.normal(3.0, 2.0, size=(6, 4))
dy = rng.normal(size=(6, 4))
xt = mg.tensor(values, requires_grad=True)
(xt - xt.mean(axis=0, keepdims=True)).backward(dy)
formula = dy - dy.mean(axis=0, keepdims=True)
print(f"max |autograd - (dy - mean(dy))| = {np.abs(xt.grad.data - formula).max():.1e}")
check("autograd agrees with dx = dy - mean(dy) to 1e-15",
      np.abs(xt.grad.data - formula).max() < 1e-15)
