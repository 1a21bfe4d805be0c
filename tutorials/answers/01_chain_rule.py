"""Worked answers to lesson 1's questions (the chain rule on scalars). Try the questions first.

Run it:  python tutorials/answers/01_chain_rule.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import math

import numpy as np

import minigrad as mg

from _lesson import check, section

# %% [markdown]
# ## Question 1. Replace tanh by sigmoid: L = sigmoid(w*x + b)^2. Which local derivative changes?
# Only one: d sigmoid(v)/dv = sigmoid(v) (1 - sigmoid(v)) takes the place of 1 - tanh(v)^2.
# Every other factor of the chain stays: dL/dw = 2 y * y (1 - y) * x with y = sigmoid(w x + b).
# At x = 1.5, w = 0.8, b = -0.4: v = 0.8, y = 0.68997, dL/dw = 2 * 0.68997 * 0.21391 * 1.5.

# %%
section("Question 1: sigmoid instead of tanh changes one local derivative")
x = mg.Tensor(1.5, requires_grad=True)
w = mg.Tensor(0.8, requires_grad=True)
b = mg.Tensor(-0.4, requires_grad=True)
y = (w * x + b).sigmoid()
(y * y).backward()
s = 1 / (1 + math.exp(-(0.8 * 1.5 - 0.4)))
by_hand = 2 * s * (s * (1 - s)) * 1.5
print(f"dL/dw by hand {by_hand:.6f}, autograd {w.grad.item():.6f}")
check("the hand chain with sigmoid's local derivative equals autograd (1e-12)",
      abs(w.grad.item() - by_hand) < 1e-12)

# %% [markdown]
# ## Question 2. The forward difference (L(w + h) - L(w)) / h: which h is best, and how good is it?
# Its truncation error is of order h (the Taylor series' first dropped term is h/2 * L''), not h^2.
# The rounding error is still about 1e-16 / h. The sum h + 1e-16/h is smallest where the two are
# equal, h ~ sqrt(1e-16) = 1e-8, and the error there is ~1e-8: a thousand times worse than the
# central difference's best (~1e-11 near h = 1e-5). That is why gradient checks use the central one.

# %%
section("Question 2: the forward difference is best near h = 1e-8, and only ~1e-8 good")


def loss_of(w_value):
    return math.tanh(w_value * 1.5 - 0.4) ** 2


exact = 2 * math.tanh(0.8) * (1 - math.tanh(0.8) ** 2) * 1.5
steps = np.logspace(-2, -13, 45)
forward = np.array([abs((loss_of(0.8 + h) - loss_of(0.8)) / h - exact) for h in steps])
central = np.array([abs((loss_of(0.8 + h) - loss_of(0.8 - h)) / (2 * h) - exact) for h in steps])
best_h = steps[np.argmin(forward)]
print(f"forward difference: best error {forward.min():.1e} at h = {best_h:.0e}")
print(f"central difference: best error {central.min():.1e} at h = {steps[np.argmin(central)]:.0e}")
check("the forward difference is best between h = 1e-9 and 1e-7", 1e-9 <= best_h <= 1e-7)
check("and even there it is at least 100 times worse than the central difference's best",
      forward.min() > 100 * central.min())
