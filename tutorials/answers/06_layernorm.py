"""Worked answers to lesson 6's questions (LayerNorm). Try the questions first.

Run it:  python tutorials/answers/06_layernorm.py
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

rng = np.random.default_rng(60)

# %% [markdown]
# ## Question 1. Tokens of shape (N, S, D) go through LayerNorm(D). What does the gradient sum to?
# LayerNorm normalises each token (each of the N*S rows of D features) on its own. Its backward is
# BatchNorm's formula with the mean taken over the D features of a token instead of over the batch:
# dx = inv_std * (g - mean_D(g) - x_hat * mean_D(g * x_hat)). Summed over a token's D features it
# is 0, for the same two reasons as in lesson 5 (sum of g - mean(g) is 0; x_hat has mean 0 over D).
# So adding the same number to all features of a token never changes the loss.

# %%
section("Question 1: over each token's D features the input gradient sums to 0")
tokens = mg.tensor(rng.normal(size=(2, 5, 8)), requires_grad=True)
ln = layers.LayerNorm(8)
ln.weight.data[...] = rng.normal(size=8)
ln(tokens).backward(rng.normal(size=(2, 5, 8)))
sums = tokens.grad.data.sum(axis=-1)
print(f"max |sum over D of dx| over the 10 tokens: {np.abs(sums).max():.1e}")
check("the gradient sums to 0 over the features of every token (1e-13)", np.abs(sums).max() < 1e-13)

# %% [markdown]
# ## Question 2. Why has LayerNorm no running statistics and no difference between train and eval?
# Its statistics come from one sample (one token) alone, so they are known at test time exactly as
# in training: nothing needs estimating for later, and a sample's output never depends on which
# other samples share its batch. BatchNorm needs running estimates only because its statistics
# come from the batch, which a single test sample does not have.

# %%
section("Question 2: LayerNorm's output for a sample does not depend on its batch or mode")
layer = layers.LayerNorm(8)
sample = rng.normal(size=(1, 8))
alone = layer(mg.tensor(sample)).data
in_batch = layer(mg.tensor(np.concatenate([sample, rng.normal(size=(5, 8))]))).data[:1]
layer.eval()
in_eval = layer(mg.tensor(sample)).data
check("the same sample gives the same output alone, inside a batch, and in eval mode (1e-15)",
      np.abs(alone - in_batch).max() < 1e-15 and np.abs(alone - in_eval).max() < 1e-15)
check("LayerNorm keeps no buffers (no running statistics)", len(list(layer.buffers())) == 0)
