"""Worked answers to lesson 16's questions (normalization where it is used). Try them first.

Run it:  python tutorials/answers/16_normalization_in_practice.py
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

D, DEPTH = 8, 4
rng = np.random.default_rng(160)

# %% [markdown]
# ## Question 1. Why does pre-LN keep an identity path from the input to the output?
# Write a sublayer as f (attention or feed-forward). A pre-LN layer computes x + f(LN(x)), so
# its Jacobian is I + J_f J_LN: the identity plus whatever the sublayer adds. A stack of them
# multiplies such factors, and when every f outputs zero (as a sublayer whose last Linear starts
# at zero does, a common initialisation) the whole stack's Jacobian is exactly I: the gradient
# reaches the embeddings unchanged, whatever the depth.
# A post-LN layer computes LN(x + f(x)). With f = 0 that is LN(x), and LN's Jacobian is not
# the identity: it divides by the token's standard deviation and removes two directions, the
# all-ones one (adding a constant to x changes nothing: the mean is subtracted) and x's own
# centred direction (scaling x changes nothing: the spread is divided out), so it has rank
# D - 2. Every gradient crosses every LN: those two directions of the input get no gradient at
# all and the rest is rescaled, by 1 / std(x) at the first LN and by about 1 at the others.
# Below: stacks of DEPTH such layers whose sublayers are Linears with zero weights and biases,
# and the Jacobian of one token's output with respect to its input, row by row (a backward
# pass per output feature).


# %%
class ZeroSublayerStack(nn.Module):
    def __init__(self, placement):
        super().__init__()
        self.placement = placement
        self.sublayers = nn.ModuleList([nn.Linear(D, D) for _ in range(2 * DEPTH)])
        self.norms = nn.ModuleList([layers.LayerNorm(D) for _ in range(2 * DEPTH)])
        for linear in self.sublayers:
            linear.weight.data[...] = 0.0
            linear.bias.data[...] = 0.0

    def forward(self, x):
        for f, norm in zip(self.sublayers, self.norms):
            x = x + f(norm(x)) if self.placement == "pre-LN" else norm(x + f(x))
        return x


def jacobian(module, x):
    rows = []
    for i in range(D):
        xt = mg.tensor(x, requires_grad=True)
        module(xt)[i].backward()
        rows.append(xt.grad.data.copy())
    return np.array(rows)                           # rows[i, j] = d out_i / d x_j


section("Question 1: the Jacobian of a stack whose sublayers output zero")
x = rng.normal(1.0, 2.0, size=D)                    # one token, mean and spread not 0 and 1
J = {p: jacobian(ZeroSublayerStack(p), x) for p in ("pre-LN", "post-LN")}
singular = {p: np.linalg.svd(j, compute_uv=False) for p, j in J.items()}
for p in J:
    print(f"  {p}: singular values of the {DEPTH}-layer Jacobian: "
          + " ".join(f"{s:.3g}" for s in singular[p]))
check("pre-LN: the stack's Jacobian is exactly the identity", np.array_equal(J["pre-LN"], np.eye(D)))
check("post-LN: the Jacobian kills the all-ones direction: J @ ones = 0 (to 1e-12)",
      np.abs(J["post-LN"] @ np.ones(D)).max() < 1e-12)
check("and x's own centred direction: J @ (x - mean(x)) = 0 (to 1e-12)",
      np.abs(J["post-LN"] @ (x - x.mean())).max() < 1e-12)
check("post-LN: the other D - 2 directions are scaled by 1 / std(x) (to 1e-4), not 1",
      np.allclose(singular["post-LN"][:-2], 1 / x.std(), rtol=1e-4), f"std(x) = {x.std():.3f}")

# %% [markdown]
# ## Question 2. Why does BatchNorm over tokens mix positions and sequences?
# BatchNorm over features computes, in training mode, one mean and one variance per feature
# from all N * S tokens of the batch, and normalizes every token with them. So a token's output
# depends on every other token: the other positions of its own sequence (including the FUTURE
# ones, which a causal language model must not see: the statistics leak them into the past),
# the other sequences of the batch, and padding tokens if there are any. LayerNorm's statistics
# are the token's own (lesson 6, E20). In eval mode BatchNorm uses its running estimates,
# constants, so a token's output depends on itself alone, but then training and use compute
# different functions (lesson 10 measures that gap).


# %%
section("Question 2: what a token's BatchNorm output depends on")
N, S = 3, 5
tokens = rng.normal(size=(N, S, D))
future = tokens.copy()
future[0, 4] += 3.0                              # a later position of the same sequence
other = tokens.copy()
other[2, 0] += 3.0                               # another sequence in the batch
norm = layers.BatchNorm1d(D)


def first_token(x):
    """BatchNorm over features of tokens (N, S, D): as (N, D, S) and back; token (0, 0)."""
    return norm(mg.tensor(x.transpose(0, 2, 1))).data.transpose(0, 2, 1)[0, 0]


norm.train()
moves_future = np.abs(first_token(future) - first_token(tokens)).max()
moves_other = np.abs(first_token(other) - first_token(tokens)).max()
print(f"  training mode: token (0, 0) moves by {moves_future:.3f} when position 4 of its own "
      f"sequence changes, by {moves_other:.3f} when sequence 2 changes")
check("training mode: token (0, 0)'s output changes when a future token or another sequence "
      "changes", moves_future > 1e-3 and moves_other > 1e-3)
norm.eval()
still = max(np.abs(first_token(future) - first_token(tokens)).max(),
            np.abs(first_token(other) - first_token(tokens)).max())
check("eval mode (running estimates): token (0, 0)'s output depends on itself alone", still == 0.0)
ln = layers.LayerNorm(D)
ln_moves = np.abs(ln(mg.tensor(future)).data[0, 0] - ln(mg.tensor(tokens)).data[0, 0]).max()
check("LayerNorm: token (0, 0)'s output never depends on another token", ln_moves == 0.0)
