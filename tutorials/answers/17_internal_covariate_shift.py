"""Worked answers to lesson 17's questions (does BatchNorm reduce internal covariate shift?).
Try the questions first.

Run it:  python tutorials/answers/17_internal_covariate_shift.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg
from layers import functional as LF

from _lesson import check, section

rng = np.random.default_rng(170)

# %% [markdown]
# ## Question 1. Why does noisy BN still train?
# The noise of one layer does not pile up through the network: the next BatchNorm normalizes
# again. Its input is W (s * y + m) + b: the shift m becomes a constant W m added to every
# example, which the next BatchNorm's mean subtraction removes exactly (when no ReLU sits in
# between; with one, approximately). The scale s changes what the next layer sees, but the next
# BatchNorm resets every unit's batch mean and spread to its beta and gamma whatever s was. So
# each layer only ever faces one layer's worth of fresh noise, with controlled statistics, and
# the gradient still points downhill on average; the network learns around it.

# %%
section("Question 1: the next BatchNorm removes a shift and resets the spread")
x = rng.normal(size=(32, 8))
w = mg.tensor(rng.normal(size=(8, 6)))
y = LF.batch_norm(mg.tensor(x), None, None, training=True)


def next_layer(z):
    return LF.batch_norm(z @ w, None, None, training=True).data


clean = next_layer(y)
shifted = next_layer(y + mg.tensor(rng.uniform(-0.5, 0.5, 8)))
change = np.abs(shifted - clean).max()
print(f"largest change of the next BatchNorm's output after a random shift: {change:.1e}")
check("a per-unit shift before Linear -> BatchNorm changes nothing (below 1e-9)", change < 1e-9)
scaled = next_layer(y * mg.tensor(rng.uniform(0.5, 1.5, 8)))
print(f"after a random scale the output changes by up to {np.abs(scaled - clean).max():.2f}, "
      f"but its batch means are {np.abs(scaled.mean(axis=0)).max():.1e} and spreads "
      f"{scaled.std(axis=0).min():.4f}-{scaled.std(axis=0).max():.4f}")
check("a per-unit scale does change the next layer's output, but its batch statistics stay "
      "mean 0 and spread 1 (to 1e-4)", np.abs(scaled - clean).max() > 0.01
      and np.abs(scaled.mean(axis=0)).max() < 1e-9 and np.abs(scaled.std(axis=0) - 1).max() < 1e-4)

# %% [markdown]
# ## Question 2. What does an effective beta say about the learning rate?
# beta bounds how fast the gradient turns: ||g(w') - g(w)|| <= beta ||w' - w||. For such a loss,
# one SGD step of rate lr lowers it by at least lr (1 - beta lr / 2) ||g||^2, which is positive
# for every lr < 2 / beta. So 2 / beta is a learning rate the gradient can be trusted with, and a
# smaller beta (BatchNorm's, in section 4) allows a larger rate: if no BN's beta is 3x BN's, its
# safe rate is 3x smaller. (Measured along the step only, and only where it was probed: a local,
# empirical bound, not a guarantee.) On a quadratic with curvature beta the bound is exact.

# %%
section("Question 2: on a quadratic of curvature beta, lr < 2 / beta lowers the loss")
beta, start = 4.0, 1.5


def loss(v):
    return 0.5 * beta * v ** 2          # its gradient beta * v turns at exactly rate beta


after = {}
for factor in (0.5, 0.95, 1.05, 1.5):
    lr = factor * 2 / beta
    after[factor] = loss(start - lr * beta * start)
    print(f"  lr = {factor:.2f} x 2/beta: loss {loss(start):.3f} -> {after[factor]:.3f}")
check("rates below 2/beta lower the loss, rates above it raise it",
      all(after[f] < loss(start) for f in (0.5, 0.95))
      and all(after[f] > loss(start) for f in (1.05, 1.5)))
