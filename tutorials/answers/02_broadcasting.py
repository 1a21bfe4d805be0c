"""Worked answers to lesson 2's questions (gradients of arrays, broadcasting). Try them first.

Run it:  python tutorials/answers/02_broadcasting.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg

from _lesson import check, section

rng = np.random.default_rng(20)
x_np, c = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))

# %% [markdown]
# ## Question 1. The bias has shape (1, 3) instead of (3,). What is b.grad?
# A gradient always has its tensor's shape, so b.grad is (1, 3). b is still read by every row, so
# its gradient is still the column sum of dL/dy, now kept as one row: c.sum(axis=0, keepdims=True).
# sum_to reduces over the axis that was 1 and keeps it.

# %%
section("Question 1: a (1, 3) bias gets a (1, 3) gradient, the column sums")
b = mg.Tensor(rng.normal(size=(1, 3)), requires_grad=True)
(mg.Tensor(x_np) + b).backward(c)
print(f"b.grad {b.grad.shape}: {b.grad.data.round(6)}")
check("b.grad has shape (1, 3) and holds the column sums of dL/dy",
      b.grad.shape == (1, 3) and np.allclose(b.grad.data, c.sum(axis=0, keepdims=True)))

# %% [markdown]
# ## Question 2. y = x.sum(axis=1) for x of shape (4, 3). What is dL/dx, given dL/dy?
# Each y[i] is x[i, 0] + x[i, 1] + x[i, 2], so dy[i]/dx[i, j] = 1: every entry of row i gets
# dL/dy[i]. The gradient of a sum is a broadcast (and, as lesson 2 showed, the gradient of a
# broadcast is a sum): dL/dx = dL/dy[:, None] repeated over the 3 columns.

# %%
section("Question 2: the gradient of a sum is a broadcast")
xt = mg.Tensor(x_np, requires_grad=True)
dy = rng.normal(size=4)
xt.sum(axis=1).backward(dy)
print(f"dL/dy = {dy.round(3)}\ndL/dx =\n{xt.grad.data.round(3)}")
check("every row of dL/dx repeats that row's dL/dy", np.allclose(xt.grad.data, dy[:, None] * np.ones(3)))
