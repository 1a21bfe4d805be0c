"""Worked answers to lesson 12's questions (higher-order gradients). Try the questions first.

Run it:  python tutorials/answers/12_higher_order.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg

from _lesson import check, section

rng = np.random.default_rng(120)

# %% [markdown]
# ## Question 1. The Hessian-vector product of f(x) = sum(x^3), without building the Hessian.
# df/dx = 3 x^2, and the Hessian is diagonal with entries 6 x, so H v = 6 x * v. With autograd:
# take grad_x = df/dx with create_graph=True, then the gradient of sum(grad_x * v) with respect to x is
# exactly H v (v is a constant). Two backward passes, never an n x n matrix.

# %%
section("Question 1: H v = 6 x * v for f = sum(x^3), in two backward passes")
x = mg.tensor(rng.normal(size=6), requires_grad=True)
v = rng.normal(size=6)
(grad_x,) = mg.grad((x ** 3).sum(), x, create_graph=True)
(hv,) = mg.grad((grad_x * v).sum(), x)
print(f"H v      = {hv.data.round(6)}\n6 x * v  = {(6 * x.data * v).round(6)}")
check("the double backward gives 6 x * v (1e-12)", np.abs(hv.data - 6 * x.data * v).max() < 1e-12)

# %% [markdown]
# ## Question 2. What is the second derivative of ReLU, and what does that mean for a ReLU network?
# relu(x) = max(x, 0) has derivative 0 or 1 (a step), whose derivative is 0 everywhere except at
# x = 0, where it does not exist. So every second derivative through a ReLU alone is 0: a
# network's Hessian comes from its other parts (the loss's curvature, products of weights), and
# gradient penalties through a ReLU network see none of the ReLUs' curvature.

# %%
section("Question 2: ReLU's second derivative is 0 (away from 0)")
z = mg.tensor(rng.normal(size=8), requires_grad=True)
(first,) = mg.grad(mg.relu(z).sum(), z, create_graph=True)
print(f"d relu/dz = {first.data}")
check("the first derivative is the 0/1 step", set(first.data.tolist()) <= {0.0, 1.0})
# relu's rule is g * (z > 0): the mask is a constant, so the first derivative does not depend on
# z at all, and the engine records no graph for it: there is nothing to differentiate again.
check("the first derivative carries no graph back to z (its derivative is 0)",
      not first.requires_grad)
step = 1e-6
moved = (z.data + step > 0).astype(float) - (z.data - step > 0).astype(float)
check("finite differences of the first derivative agree: 0 at every point away from 0",
      np.all(moved / (2 * step) == 0))
