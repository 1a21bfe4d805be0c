"""Lesson 14: why normalize? A deep tanh network at initialisation, fixed twice.

What you will learn
  * what goes wrong in a deep network before it has learned anything: weights too small make the
    activations shrink layer after layer and the gradient vanish on its way back to the first
    layers; weights too large saturate the tanh units (outputs piled up at -1 and +1, where the
    local derivative 1 - tanh^2 is about 0) and leave every layer a gradient of another size;
  * how to SEE it: histograms of every layer's activations and gradients at initialisation;
  * the first fix, fan-in scaling: weights of standard deviation gain / sqrt(fan_in), so that each
    layer's output has about the spread of its input;
  * the second fix, BatchNorm after each Linear: the spread is reset at every layer whatever the
    weights are, so even the bad initialisation trains (more slowly: why, too);
  * the loss curves of the four networks (two bad starts, two fixes).

Time: about 40 minutes to read and run, plus about 25 for the exercise.
Assumes: lessons 3 (a network and its training step) and 4 (what BatchNorm computes).
Ends with: exercise layer_statistics (exercises/layer_statistics.py), graded by `minigrad check`;
  then 2 questions, worked answers in answers/14_why_normalize.py.

Run it:  python tutorials/14_why_normalize.py --out DIR   (--fast: fewer steps)
Figures: activations.png, gradients.png (histograms per layer at initialisation for the four
networks), loss_curves.png (training).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.datasets import load_digits, train_test_split

from _lesson import setup, section, check, save_plot

args = setup()
DEPTH, WIDTH, BATCH = 6, 64, 32
STEPS = 80 if args.fast else 300
SEEDS = [0] if args.fast else [0, 1, 2]
TANH_GAIN = 5 / 3           # tanh shrinks a unit-variance input; 5/3 makes up for it
images, labels = load_digits(flatten=True)
(x_train, y_train), (x_test, y_test) = train_test_split(images, labels, test_fraction=0.25, seed=0)
x_train = (x_train - x_train.mean(axis=0)) / (x_train.std(axis=0) + 1e-8)   # standardized pixels

# %% [markdown]
# ## 1. Four deep networks
# Six hidden layers of 64 tanh units, then a Linear layer to the 10 classes. They differ only in
# how the hidden Linear layers start, and in whether a BatchNorm1d follows each of them:
# * "too small": every weight drawn from N(0, 0.05^2);
# * "too large": every weight drawn from N(0, 1), the first thing one might try;
# * "fan-in":    N(0, 1) * gain / sqrt(fan_in), with fan_in = 64 inputs per unit and tanh's gain 5/3;
# * "BN":        the too-large weights, with a BatchNorm1d between each Linear and its tanh.
# A unit sums 64 products. With weights of size 0.05 its input has a standard deviation of about
# sqrt(64) * 0.05 = 0.4 of its inputs' (shrinking at every layer); with weights of size 1 about
# sqrt(64) = 8 times (far into tanh's flat tails). gain / sqrt(fan_in) makes the factor about 1.


# %%
def make_network(kind):
    modules, width_in = [], x_train.shape[1]
    for _ in range(DEPTH):
        linear = nn.Linear(width_in, WIDTH)
        scale = {"too small": 0.05, "fan-in": TANH_GAIN / np.sqrt(width_in)}.get(kind, 1.0)
        linear.weight.data[...] = np.random.default_rng(len(modules)).normal(
            size=linear.weight.shape) * scale
        linear.bias.data[...] = 0.0
        modules += [linear] + ([layers.BatchNorm1d(WIDTH)] if kind == "BN" else []) + [nn.Tanh()]
        width_in = WIDTH
    return nn.Sequential(*modules, nn.Linear(WIDTH, 10))


KINDS = ["too small", "too large", "fan-in", "BN"]
COLORS = {"too small": "tab:orange", "too large": "tab:red", "fan-in": "tab:blue", "BN": "tab:green"}

# %% [markdown]
# ## 2. Activations and gradients at initialisation
# One forward and backward pass on a batch, keeping every tanh's output (`retain_grad` keeps
# its gradient too). A unit is "saturated" when |tanh| > 0.97: there its local derivative
# 1 - tanh^2 is below 0.06, and it lets almost no gradient through.


# %%
def inspect(kind, seed=0):
    mg.manual_seed(seed)
    net = make_network(kind)
    batch = np.random.default_rng(100 + seed).integers(0, len(x_train), 256)
    h, outputs = mg.tensor(x_train[batch]), []
    for module in net:
        h = module(h)
        if isinstance(module, nn.Tanh):
            h.retain_grad()
            outputs.append(h)
    F.cross_entropy(h, mg.tensor(y_train[batch])).backward()
    return ([o.data.ravel() for o in outputs], [o.grad.data.ravel() for o in outputs])


section("2. Shrinking, saturating, and gradients of the wrong size at initialisation")
stats = {kind: inspect(kind) for kind in KINDS}
spread = {kind: [float(np.std(a)) for a in acts] for kind, (acts, grads) in stats.items()}
saturated = {kind: [float((np.abs(a) > 0.97).mean()) for a in acts]
             for kind, (acts, grads) in stats.items()}
grad_size = {kind: [float(np.std(g)) for g in grads] for kind, (acts, grads) in stats.items()}
for title, table, fmt in (("std of the tanh outputs", spread, "{:8.2f}"),
                          ("share of saturated units (|tanh| > 0.97)", saturated, "{:8.0%}"),
                          ("std of the gradient dL/dh", grad_size, "{:8.1e}")):
    print(f"  {title}, layers 1 to {DEPTH}:")
    for kind in KINDS:
        print(f"    {kind:9s}" + "".join(fmt.format(v) for v in table[kind]))
ratio = {kind: grad_size[kind][0] / grad_size[kind][-1] for kind in KINDS}
print("  gradient std at the first layer / at the last: "
      + ", ".join(f"{kind} {ratio[kind]:.2g}" for kind in KINDS))
check("too small: the activations shrink layer after layer, to a spread below 0.05",
      spread["too small"][-1] < 0.05 and spread["too small"] == sorted(spread["too small"])[::-1])
check("too small: the gradient vanishes on the way back, over 10x smaller at the first layer",
      ratio["too small"] < 0.1)
check("too large: most tanh units are saturated in every layer (> 70 %)",
      min(saturated["too large"]) > 0.7)
check("too large: the gradient grows on the way back, over 10x larger at the first layer",
      ratio["too large"] > 10)
check("fan-in scaling and BatchNorm: saturation below 20 % in every layer, and the gradient "
      "within a factor of 10 from the last layer to the first",
      max(saturated["fan-in"] + saturated["BN"]) < 0.2
      and all(0.1 < ratio[kind] < 10 for kind in ("fan-in", "BN")))

for name, index in (("activations", 0), ("gradients", 1)):
    fig, axes = plt.subplots(len(KINDS), DEPTH, figsize=(13, 7.5), sharey="row",
                             layout="constrained")
    for row, kind in enumerate(KINDS):
        for col, values in enumerate(stats[kind][index]):
            ax = axes[row, col]
            if index == 0:
                ax.hist(values, bins=40, range=(-1, 1), color=COLORS[kind])
            else:
                limit = 4 * np.std(stats["fan-in"][1][col]) + 1e-12
                ax.hist(np.clip(values, -limit, limit), bins=40, range=(-limit, limit),
                        color=COLORS[kind])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"layer {col + 1}")
            if col == 0:
                ax.set_ylabel(kind)
    fig.suptitle("tanh outputs per layer at initialisation (|tanh| > 0.97: saturated)" if index == 0
                 else "their gradients dL/dh per layer, on the fan-in network's scale (too small: "
                      "a spike at 0; too large: in layers 1-4 far wider, clipped into the end bins)")
    save_plot(fig, name)

# %% [markdown]
# ## 3. Training the four
# SGD with momentum 0.9 and the same learning rate, batches and seeds for all four. Expect
# BatchNorm to rescue the too-large start, but not to catch up with fan-in scaling here: behind
# a BatchNorm a layer is scale-invariant, so weights 8x too large (1 instead of 1/sqrt(64)) get
# gradients 8x too small and relative steps 64x too small (question 2 checks the first half).
# The learning rate that suits the well-scaled network is too small for them.


# %%
def train(kind, seed):
    mg.manual_seed(seed)
    net = make_network(kind)
    optimizer = optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
    batches = np.random.default_rng(1000 + seed)
    losses = []
    for _ in range(STEPS):
        index = batches.integers(0, len(x_train), BATCH)
        loss = F.cross_entropy(net(mg.tensor(x_train[index])), mg.tensor(y_train[index]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


section("3. Loss curves")
curves = {kind: np.array([train(kind, seed) for seed in SEEDS]) for kind in KINDS}
tail = {kind: curves[kind][:, -20:].mean(axis=1) for kind in KINDS}
for kind in KINDS:
    print(f"  {kind:9s} loss over the last 20 steps: "
          + ", ".join(f"{v:.3f}" for v in tail[kind]) + f"  (seeds {SEEDS})")
print(f"  BN's loss / fan-in's, per seed: "
      + ", ".join(f"{b / f:.0f}x" for b, f in zip(tail["BN"], tail["fan-in"])))
check("on every seed both badly initialised networks end with a higher loss than fan-in and BN",
      all(min(tail["too small"][i], tail["too large"][i]) > max(tail["fan-in"][i], tail["BN"][i])
          for i in range(len(SEEDS))))
check("and BN, rescuing the too-large weights, stays above fan-in's loss on every seed",
      all(tail["BN"] > tail["fan-in"]))

fig, ax = plt.subplots(figsize=(7, 4))
window = 10
for kind in KINDS:
    smooth = np.array([np.convolve(c, np.ones(window) / window, mode="valid") for c in curves[kind]])
    steps = np.arange(window, STEPS + 1)
    ax.plot(steps, smooth.mean(axis=0), color=COLORS[kind], label=kind)
    if len(SEEDS) > 1:
        ax.fill_between(steps, smooth.min(axis=0), smooth.max(axis=0), color=COLORS[kind],
                        alpha=0.15, lw=0)
ax.set(yscale="log", xlabel="step", ylabel=f"training loss ({window}-step average)",
       title=f"A {DEPTH}-layer tanh MLP on the digits, four starts")
ax.legend()
save_plot(fig, "loss_curves")

# %% [markdown]
# ## Summary
# * A deep network's trouble starts before training: weights too small shrink the signal and
#   the gradient; weights too large saturate tanh and give each layer a gradient of another size.
# * Fan-in scaling fixes the sizes at initialisation; BatchNorm resets them at every layer, for
#   any weights, which rescues a bad start (the weights' scale then only sets how fast they
#   learn). Why BatchNorm helps during training is a separate question.

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Measure a network, then build a healthy one** (about 25 min). Write the statistics this
#    lesson printed (per tanh layer: spread, saturation, gradient) and a fan-in-initialised
#    network, with and without BatchNorm, that passes them.
#    File: tutorials/exercises/layer_statistics.py. Grade it:
#        minigrad check tutorials/exercises/layer_statistics.py --exercise layer_statistics
#    Worked solution: tutorials/solutions/layer_statistics.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Why is the gain 5/3 for tanh? What standard deviation does tanh(z) have for z ~ N(0, 1)?
# 2. With BatchNorm after every Linear, does the scale of the Linear's weights matter at all for
#    the output? Check it by multiplying one layer's weights by 10.
# Worked answers, each checked in code: tutorials/answers/14_why_normalize.py (run it with python).
