"""Worked answers to lesson 8's questions (Weight Normalization and Standardization). Try them first.

Run it:  python tutorials/answers/08_weight_norm_standardization.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg

from _lesson import check, section

rng = np.random.default_rng(80)

# %% [markdown]
# ## Question 1. In weight normalization w = gain * v / ||v||, why is dL/dv orthogonal to v?
# w depends on v only through its direction v / ||v||, which does not change when v is scaled.
# Moving v along itself is such a scaling, so the loss's rate of change in that direction is 0:
# v . dL/dv = 0. In formulas, dL/dv = (gain / ||v||) (dL/dw - (u . dL/dw) u) with u = v / ||v||,
# the component of dL/dw along u removed.

# %%
section("Question 1: the gradient of v is orthogonal to v")
v = mg.tensor(rng.normal(size=5), requires_grad=True)
gain = mg.tensor(2.5, requires_grad=True)
w = gain * v / mg.sqrt((v * v).sum())
upstream = rng.normal(size=5)
w.backward(upstream)
print(f"v . dL/dv = {float(v.data @ v.grad.data):.1e}")
check("v . dL/dv is 0 (1e-14)", abs(v.data @ v.grad.data) < 1e-14)

# %% [markdown]
# ## Question 2. Scale v by 10. What happens to w and to dL/dv?
# w is unchanged (only v's direction counts), and dL/dv shrinks by 10: the formula above has
# 1/||v|| in front. So a large v learns slowly with the same learning rate; the gradient step
# also makes ||v|| grow (the step is orthogonal to v, so ||v + step|| > ||v||), an effect the
# weight normalization paper discusses.

# %%
section("Question 2: v -> 10 v leaves w alone and divides dL/dv by 10")
v10 = mg.tensor(10 * v.data, requires_grad=True)
w10 = gain.detach() * v10 / mg.sqrt((v10 * v10).sum())
w10.backward(upstream)
check("w is the same (1e-15)", np.abs(w10.data - w.data).max() < 1e-15)
check("dL/dv is 10 times smaller (1e-15)", np.abs(10 * v10.grad.data - v.grad.data).max() < 1e-15)
