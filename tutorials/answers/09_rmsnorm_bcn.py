"""Worked answers to lesson 9's questions (RMSNorm, Batch-Channel Normalization). Try them first.

Run it:  python tutorials/answers/09_rmsnorm_bcn.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg
import layers

from _lesson import check, section

rng = np.random.default_rng(90)

# %% [markdown]
# ## Question 1. When does RMSNorm give exactly LayerNorm's output?
# LayerNorm divides x - mean(x) by sqrt(mean((x - mean)^2) + eps); RMSNorm divides x by
# sqrt(mean(x^2) + eps). When every row already has mean 0 the two are the same computation
# (with the same eps and weight, and LayerNorm's bias at 0). RMSNorm skips the centring; it pays
# off when the inputs are close to centred anyway, as they often are in transformers.

# %%
section("Question 1: on centred rows RMSNorm equals LayerNorm")
rows = rng.normal(size=(4, 6))
centred = rows - rows.mean(axis=1, keepdims=True)
rms, ln = layers.RMSNorm(6, eps=1e-5), layers.LayerNorm(6, eps=1e-5)
check("equal on centred rows (1e-14)",
      np.abs(rms(mg.tensor(centred)).data - ln(mg.tensor(centred)).data).max() < 1e-14)
check("but not on rows with a mean", np.abs(rms(mg.tensor(rows)).data - ln(mg.tensor(rows)).data).max() > 1e-2)

# %% [markdown]
# ## Question 2. Which input changes leave each layer's output unchanged?
# Both divide by a spread that scales with the input, so x -> c x (c > 0) changes neither output
# (up to eps, which is negligible here). LayerNorm also subtracts the mean, so x -> x + a (the same
# a for every feature of a row) leaves it unchanged; RMSNorm has no mean to subtract, so a shift
# changes its output.

# %%
section("Question 2: both ignore a scale, only LayerNorm ignores a shift")
def change(layer, transform):
    return np.abs(layer(mg.tensor(transform(rows))).data - layer(mg.tensor(rows)).data).max()


for name, layer in (("RMSNorm", rms), ("LayerNorm", ln)):
    print(f"  {name:9s}  x -> 3x changes the output by {change(layer, lambda v: 3 * v):.1e}, "
          f"x -> x + 2 by {change(layer, lambda v: v + 2):.1e}")
check("a scale by 3 changes neither output by more than 1e-4 (eps = 1e-5 is the difference)",
      change(rms, lambda v: 3 * v) < 1e-4 and change(ln, lambda v: 3 * v) < 1e-4)
check("a shift by 2 leaves LayerNorm alone (1e-12) but moves RMSNorm (> 0.1)",
      change(ln, lambda v: v + 2) < 1e-12 and change(rms, lambda v: v + 2) > 0.1)
