"""Worked answers to lesson 15's questions (backprop by hand). Try the questions first.

Run it:  python tutorials/answers/15_backprop_by_hand.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

import numpy as np

import minigrad as mg
import layers
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.datasets import load_digits

from _lesson import check, section

images, labels = load_digits(flatten=True)
x, y = images[:32], labels[:32]

# %% [markdown]
# ## Question 1. Why does every row of dlogits sum to zero?
# Row i of dlogits is (softmax(logits_i) - onehot_i) / N. The softmax of a row is a probability
# distribution, so its ten entries sum to 1; the one-hot row sums to 1 as well; the difference
# sums to 0. Read as a directional derivative: the sum of row i is the rate at which the loss
# changes when the same small number c is added to all ten logits of example i. It is zero
# because softmax does not notice such a shift at all (e^(z + c) / sum e^(z + c) = e^z / sum e^z),
# which is also why section 2 of the lesson could subtract the row maximum for free. One
# consequence: db2 is the sum of dlogits over the batch, so the ten entries of db2 sum to 0 too.

# %%
section("Question 1: the rows of dlogits sum to zero")
mg.manual_seed(1)
net = nn.Sequential(nn.Linear(64, 64), layers.BatchNorm1d(64), nn.Tanh(), nn.Linear(64, 10))
logits = net(mg.tensor(x))
logits.retain_grad()
loss = F.cross_entropy(logits, y)
loss.backward()
row_sums = logits.grad.data.sum(axis=1)
print(f"largest |row sum| of dlogits: {np.abs(row_sums).max():.1e} "
      f"(its entries are up to {np.abs(logits.grad.data).max():.1e})")
size = np.abs(logits.grad.data).max()
check("every row of dlogits sums to zero (to 1e-14 of its largest entry)",
      np.abs(row_sums).max() < 1e-14 * size)
shift = np.random.default_rng(1).normal(scale=5.0, size=(32, 1))       # one number per example
shifted_loss = F.cross_entropy(mg.tensor(logits.data + shift), y).item()
check("adding one number to all ten logits of each example leaves the loss unchanged (1e-14)",
      abs(shifted_loss - loss.item()) < 1e-14, f"{loss.item():.15f} vs {shifted_loss:.15f}")
check("and the entries of db2 sum to zero (to 1e-14 of dlogits' largest entry)",
      abs(net[3].bias.grad.data.sum()) < 1e-14 * size)

# %% [markdown]
# ## Question 2. Why does dbn_in sum to zero over the batch, and what does it mean for b1?
# BatchNorm subtracts the batch mean of every feature. Adding the same number c to one feature
# of every example moves that feature's mean by c too, so bn_diff, bn_var and everything after
# them stay the same: the loss does not change along that direction, and the derivative along
# it, the sum of dbn_in over the batch for that feature, is zero. (Lesson 5 found the same in
# the closed form: sum(N dy - sum dy) = 0 and sum(bn_hat) = 0.)
# b1 is added to every example, exactly that direction: db1 = sum over the batch of dbn_in = 0.
# During training with SGD, b1 therefore never moves (up to rounding), and it changes nothing:
# a network without it computes the same loss at every step. The Linear before a BatchNorm
# needs no bias (PyTorch code writes Linear(..., bias=False) there). Lesson 5's question 1 showed
# the zero gradient; here it is followed through training.

# %%
section("Question 2: dbn_in sums to zero, so b1 never moves")


def train(with_bias, steps=20):
    mg.manual_seed(2)
    net = nn.Sequential(nn.Linear(64, 64), layers.BatchNorm1d(64), nn.Tanh(), nn.Linear(64, 10))
    if not with_bias:
        with mg.no_grad():
            net[0].bias.data[...] = 0.0
        net[0].bias.requires_grad = False       # frozen at 0: as if it were not there
    start = net[0].bias.data.copy()
    optimizer = optim.SGD(net.parameters(), lr=0.5)
    losses, column_sums = [], []
    for _ in range(steps):
        h = net[0](mg.tensor(x))
        h.retain_grad()
        loss = F.cross_entropy(net[3](net[2](net[1](h))), y)
        optimizer.zero_grad()
        loss.backward()
        column_sums.append(np.abs(h.grad.data.sum(axis=0)).max())
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), np.abs(net[0].bias.data - start).max(), max(column_sums)


losses, moved, column_sum = train(with_bias=True)
losses_without, _, _ = train(with_bias=False)
print(f"20 SGD steps: loss {losses[0]:.4f} -> {losses[-1]:.4f}; b1 moved by at most {moved:.1e}")
print(f"largest |sum over the batch of dbn_in| in any step: {column_sum:.1e}")
check("dbn_in sums to zero over the batch for every feature, at every step (1e-15)",
      column_sum < 1e-15)
check("so b1 ends where it started, up to rounding (1e-14), while the loss fell",
      moved < 1e-14 and losses[-1] < losses[0])
check("and the same network with b1 frozen at 0 has the same losses, step for step (1e-12)",
      np.abs(losses - losses_without).max() < 1e-12,
      f"max |difference| {np.abs(losses - losses_without).max():.1e}")
