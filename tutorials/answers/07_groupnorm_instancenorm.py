"""Worked answers to lesson 7's questions (GroupNorm, InstanceNorm). Try the questions first.

Run it:  python tutorials/answers/07_groupnorm_instancenorm.py
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

rng = np.random.default_rng(70)

# %% [markdown]
# ## Question 1. GroupNorm(1, C) normalises like LayerNorm([C, H, W]). Where do the two layers differ?
# In the affine part. GroupNorm has one weight and one bias per CHANNEL (shape (C,), repeated over
# H and W); LayerNorm([C, H, W]) has one per ELEMENT (shape (C, H, W)). With C = 4 and 5x5 images
# that is 4 + 4 = 8 parameters against 100 + 100 = 200. Same statistics, different freedom.

# %%
section("Question 1: same normalisation, different affine shapes")
C, H, W = 4, 5, 5
gn, ln = layers.GroupNorm(1, C), layers.LayerNorm([C, H, W])
images = mg.tensor(rng.normal(size=(3, C, H, W)))
check("with the initial affine (1 and 0) the two outputs agree (1e-12)",
      np.abs(gn(images).data - ln(images).data).max() < 1e-12)
counts = (sum(p.size for p in gn.parameters()), sum(p.size for p in ln.parameters()))
print(f"parameters: GroupNorm(1, {C}) {counts[0]}, LayerNorm([{C}, {H}, {W}]) {counts[1]}")
check("GroupNorm has 2C parameters, LayerNorm 2CHW", counts == (2 * C, 2 * C * H * W))

# %% [markdown]
# ## Question 2. What does InstanceNorm2d do with 1x1 images in training?
# Each statistic would be taken over H*W = 1 value: x - mean is exactly 0 and the variance is 0,
# so every output would be 0 (the bias, with an affine) whatever the input, and no gradient would
# reach x. PyTorch refuses this in training with a ValueError ("Expected more than 1 spatial
# element when training"), and so does minigrad.

# %%
section("Question 2: InstanceNorm refuses a single spatial element in training")
try:
    layers.InstanceNorm2d(3)(mg.tensor(rng.normal(size=(2, 3, 1, 1))))
    raised = None
except ValueError as error:
    raised = str(error)
print(f"minigrad: ValueError: {raised}")
check("InstanceNorm2d raises ValueError for 1x1 images in training", raised is not None)
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    try:
        torch.nn.InstanceNorm2d(3)(torch.randn(2, 3, 1, 1))
        torch_raised = False
    except ValueError:
        torch_raised = True
    check(f"PyTorch {torch.__version__} raises ValueError too", torch_raised)
