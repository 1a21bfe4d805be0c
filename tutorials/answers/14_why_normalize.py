"""Worked answers to lesson 14's questions (why normalize?). Try the questions first.

Run it:  python tutorials/answers/14_why_normalize.py
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

rng = np.random.default_rng(140)

# %% [markdown]
# ## Question 1. Why is the gain 5/3 for tanh?
# Fan-in scaling makes a unit's input z have about the spread of the previous layer's outputs.
# But tanh squeezes: for z ~ N(0, 1), tanh(z) has a standard deviation of only about 0.63, so
# every layer would shrink the signal by that factor. Multiplying the weights by 1/0.63 ~ 1.6
# makes up for it; 5/3 is the round number PyTorch's init.calculate_gain('tanh') uses. (It is a
# compromise: a gain that keeps the spread exactly also pushes more units towards saturation.)

# %%
section("Question 1: tanh shrinks a unit-variance input to a spread of about 0.63")
z = rng.normal(size=1_000_000)
spread = np.tanh(z).std()
print(f"std of tanh(z) for z ~ N(0, 1): {spread:.4f}; 1 / that = {1 / spread:.3f}; 5/3 = {5 / 3:.3f}")
check("tanh(z) has a standard deviation between 0.60 and 0.65", 0.60 < spread < 0.65)
check("and 5/3 is within 10 % of the factor that makes up for it", abs(5 / 3 * spread - 1) < 0.1)
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    check(f"PyTorch {torch.__version__}'s calculate_gain('tanh') is 5/3",
          abs(torch.nn.init.calculate_gain("tanh") - 5 / 3) < 1e-12)

# %% [markdown]
# ## Question 2. With BatchNorm after every Linear, does the scale of the weights matter?
# Not for the output in training mode: BatchNorm subtracts each feature's batch mean and divides
# by its batch standard deviation, so multiplying the Linear's weights (and bias) by 10 multiplies
# the feature and its standard deviation by 10, and the quotient is unchanged up to eps (1e-5
# against a variance of about 0.3 here, so a change of order 1e-5). The gradient with respect
# to those weights shrinks by 10 instead (the layer is scale-invariant, as weight normalization
# is in lesson 8), which is why such networks tolerate a badly scaled start.

# %%
section("Question 2: BatchNorm makes the output independent of the Linear's scale")
mg.manual_seed(14)
net = nn.Sequential(nn.Linear(8, 16), layers.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3))
x = mg.tensor(rng.normal(size=(32, 8)))
upstream = rng.normal(size=(32, 3))
out = net(x)
out.backward(upstream)
before, grad_before = out.data.copy(), net[0].weight.grad.data.copy()
with mg.no_grad():
    net[0].weight.data *= 10
    net[0].bias.data *= 10
net.zero_grad()
out = net(x)
out.backward(upstream)
print(f"max change of the output: {np.abs(out.data - before).max():.1e}")
check("scaling the Linear before BatchNorm by 10 leaves the output unchanged, up to eps (1e-4)",
      np.abs(out.data - before).max() < 1e-4)
change = np.abs(10 * net[0].weight.grad.data - grad_before).max() / np.abs(grad_before).max()
check("and divides that Linear's weight gradient by 10 (to 1e-3 of its largest entry, up to eps)",
      change < 1e-3, f"{change:.1e}")
