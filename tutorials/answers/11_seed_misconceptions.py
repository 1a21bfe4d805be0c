"""Worked answers to lesson 11's questions (checking a formula against a reference). Try the
questions first.

Run it:  python tutorials/answers/11_seed_misconceptions.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg
import layers

from _lesson import check, check_pytorch, section

try:                        # PyTorch is optional: the claim about its rule is checked against it
    import torch
except ImportError:
    torch = None

rng = np.random.default_rng(110)

# %% [markdown]
# ## Question 1. How large a difference does eps = 1e-3 instead of 1e-5 make, and which tolerance catches it?
# For a feature of (biased) batch variance v, y = x_hat * sqrt(v) / sqrt(v + eps), so the two
# outputs differ by the factor sqrt((v + 1e-5)/(v + 1e-3)) ~ 1 - (1e-3 - 1e-5)/(2v): a relative
# difference of about 5e-4 / v. Seed 003's second feature (2, 3, 4) has v = 2/3, so the outputs
# (+-1.2247) move by 7.4e-4 relative, 9e-4 absolute: "agrees to three decimals" (atol 1e-3)
# passes, atol 1e-4 fails. The first feature is constant (v = 0): both outputs are 0, so it
# hides the difference. And the relative difference grows as v shrinks: at v = 1e-3 it is 29 %.
# So a comparison needs a tolerance far below the effect it must detect, and test data that
# includes the hard cases (small variances), not only the convenient ones.

# %%
section("Question 1: eps 1e-3 against 1e-5, and the tolerance that sees it")
data = np.array([[1, 2], [1, 3], [1, 4]], dtype=np.float64)
seed_eps = layers.BatchNorm1d(2, eps=1e-3)(mg.tensor(data)).data
pytorch_eps = layers.BatchNorm1d(2, eps=1e-5)(mg.tensor(data)).data
difference = np.abs(seed_eps - pytorch_eps).max()
predicted = 1.2247 * (1e-3 - 1e-5) / (2 * (2 / 3))
print(f"largest difference {difference:.2e}; predicted 1.2247 * (1e-3 - 1e-5)/(2v) = {predicted:.2e}")
check("on the seed's data the outputs differ by about 9e-4, as the first-order formula says",
      abs(difference - predicted) < 0.02 * predicted)
check("atol 1e-3 calls them equal, atol 1e-4 does not",
      np.allclose(seed_eps, pytorch_eps, rtol=0, atol=1e-3)
      and not np.allclose(seed_eps, pytorch_eps, rtol=0, atol=1e-4))
quiet = rng.normal(scale=math.sqrt(1e-3), size=(4000, 1))           # a feature of variance 1e-3
ratio = (layers.BatchNorm1d(1, eps=1e-3)(mg.tensor(quiet)).data
         / layers.BatchNorm1d(1, eps=1e-5)(mg.tensor(quiet)).data)
v = quiet.var()
print(f"a feature of variance {v:.2e}: the outputs differ by {1 - ratio.mean():.1%}")
check("for a feature of variance 1e-3 the difference is sqrt((v + 1e-5)/(v + 1e-3)), about 29 %",
      np.allclose(ratio, math.sqrt((v + 1e-5) / (v + 1e-3))) and 0.25 < 1 - ratio.mean() < 0.33)

# %% [markdown]
# ## Question 2. Starting from 0, after how many batches of mean mu is each running mean within 5 % of mu?
# With weight a on the new batch, r_k = (1 - a) r_(k-1) + a mu and r_0 = 0 give r_k = mu (1 - (1-a)^k).
# Within 5 %: (1 - a)^k < 0.05. PyTorch (a = 0.1): k > ln 0.05 / ln 0.9 = 28.4, so 29 batches. The
# seed's rule (a = 0.9, which is PyTorch's rule with momentum=0.9): 0.1^k < 0.05, so 2 batches.
# Fast, but for the wrong reason: the average forgets as fast as it learns. Its memory is about
# 1/a batches (10 for PyTorch, 1.1 for the seed), and for batch means of standard deviation s the
# stationary variance of r is a/(2 - a) s^2: 0.053 s^2 for PyTorch, 0.82 s^2 for the seed, whose
# "running" mean is little more than the last batch mean, noise and all.

# %%
section("Question 2: how fast, and how noisy, each running mean is")
mu = 3.0
steps = {}
for momentum in (0.1, 0.9):                  # PyTorch's value; the seed's weight on the new batch
    bn = layers.BatchNorm1d(1, momentum=momentum)
    for k in range(1, 100):
        bn(mg.tensor(np.array([[mu - 1.0], [mu + 1.0]])))          # batch mean exactly mu
        if abs(bn.running_mean.item() - mu) < 0.05 * mu:
            steps[momentum] = k
            break
print(f"batches to get within 5 % of mu: momentum 0.1 -> {steps[0.1]}, 0.9 -> {steps[0.9]}")
check("PyTorch's rule needs 29 batches, the seed's 2, as (1 - a)^k < 0.05 predicts",
      steps == {0.1: 29, 0.9: 2}
      and steps[0.1] == math.ceil(math.log(0.05) / math.log(0.9)))


def pytorch_batches_to_five_percent(torch):
    layer = torch.nn.BatchNorm1d(1).double()                        # its default momentum
    for k in range(1, 100):
        with torch.no_grad():
            layer(torch.tensor([[mu - 1.0], [mu + 1.0]], dtype=torch.float64))
        if abs(layer.running_mean.item() - mu) < 0.05 * mu:
            return k == steps[0.1], f"{k} batches"
    return False


check_pytorch("PyTorch's own BatchNorm1d needs the same 29", torch, pytorch_batches_to_five_percent)
spread = {}
for momentum in (0.1, 0.9):
    bn, seen = layers.BatchNorm1d(1, momentum=momentum), []
    for k in range(3000):
        bn(mg.tensor(rng.normal(mu, 1.0, size=(4, 1))))           # batch means: std s = 1/2
        seen.append(bn.running_mean.item())
    spread[momentum] = np.var(seen[100:]) / 0.25                   # in units of s^2
print(f"variance of the running mean over s^2: momentum 0.1 -> {spread[0.1]:.3f} "
      f"(a/(2-a) = {0.1 / 1.9:.3f}), 0.9 -> {spread[0.9]:.3f} ({0.9 / 1.1:.3f})")
check("the variance of the running mean is about a/(2 - a) s^2 for both (within 25 %)",
      all(abs(spread[a] / (a / (2 - a)) - 1) < 0.25 for a in (0.1, 0.9)))
