"""Worked answers to lesson 11's questions (the seeds' misconceptions). Try the questions first.

Run it:  python tutorials/answers/11_seed_misconceptions.py
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

rng = np.random.default_rng(110)

# %% [markdown]
# ## Question 1. If the running variance averaged the BIASED batch variances, what would it converge to?
# The biased variance of m samples has expected value (m - 1)/m * sigma^2. With batches of m = 4
# from features of variance 4 an average of them converges to 3/4 * 4 = 3, not 4: the layer would
# normalise test inputs by a spread 13 % too small (sqrt(4/3) = 1.15). Using the unbiased batch
# variance in the running average (as PyTorch does) removes the bias.

# %%
section("Question 1: averaging biased variances converges to (m-1)/m of the truth")
batches = rng.normal(3.0, 2.0, size=(20000, 4, 1))
biased_average = batches.var(axis=1).mean()
bn = layers.BatchNorm1d(1, momentum=None)            # momentum=None: a plain average of batches
for batch in batches[:4000]:
    bn(mg.tensor(batch))
print(f"average of biased variances {biased_average:.3f}; BatchNorm's running_var "
      f"{bn.running_var.item():.3f}; the true variance is 4")
check("the biased average is near 3 (within 0.05)", abs(biased_average - 3) < 0.05)
check("BatchNorm's running variance (unbiased batch variances) is near 4 (within 0.1)",
      abs(bn.running_var.item() - 4) < 0.1)

# %% [markdown]
# ## Question 2. A seed says LayerNorm in NLP "is more like InstanceNorm" (E9). When is that true?
# Only under one reading of the layout. Tokens are (N, S, D). LayerNorm(D) normalises each token
# over its D features. InstanceNorm1d takes (N, C, L) and normalises each (sample, channel) over L:
# it equals LayerNorm only if the sequence axis S is read as C and the features D as L, which is
# not PyTorch's layout for sequences ((N, C=D, L=S) normalises each feature over time instead).
# Even then the affine differs: InstanceNorm's is per channel (per token here), LayerNorm's per feature.

# %%
section("Question 2: LayerNorm over D equals InstanceNorm1d only with (N, S, D) read as (N, C, L)")
tokens = rng.normal(size=(2, 5, 8))
layer_norm = layers.LayerNorm(8, elementwise_affine=False)(mg.tensor(tokens)).data
as_channels = layers.InstanceNorm1d(5)(mg.tensor(tokens)).data                     # C = S, L = D
pytorch_layout = layers.InstanceNorm1d(8)(mg.tensor(tokens.transpose(0, 2, 1))).data  # C = D, L = S
check("read as (N, C=S, L=D), InstanceNorm1d equals LayerNorm(D) (1e-12)",
      np.abs(as_channels - layer_norm).max() < 1e-12)
check("in PyTorch's sequence layout (N, C=D, L=S) it is something else",
      np.abs(pytorch_layout.transpose(0, 2, 1) - layer_norm).max() > 0.1)
