"""Lesson 17: does BatchNorm work by reducing internal covariate shift? An experiment.

What you will learn
  * what "internal covariate shift" (ICS) means: the distribution of a layer's inputs changing
    from step to step because the layers below it are learning; the BatchNorm paper named its
    reduction as the motivation, and the seeds repeat it as the mechanism (E1, E18);
  * how Santurkar et al. (NeurIPS 2018, "How does batch normalization help optimization?")
    tested it: after every BatchNorm, add a random shift and scale, redrawn at every step
    ("noisy BN"). The layer inputs now shift MORE than without BatchNorm, and yet the network
    trains about as fast as with plain BatchNorm;
  * what BatchNorm does instead: it makes the loss smoother along the update. The gradient
    changes less when the weights take a step, so the gradient is a better guide and a larger
    learning rate is safe;
  * how to measure both: a shift of each layer's input statistics between consecutive steps,
    and the change of the gradient along the step (an "effective beta-smoothness").

Time: about 35 minutes, plus 25 for the exercise.
Assumes: lesson 3 (training a network), lesson 4 (BatchNorm, and E1/E18 in words), lesson 14.
Ends with: exercise noisy_batchnorm (exercises/noisy_batchnorm.py), graded by `minigrad check`;
  then 2 questions, worked answers in answers/17_internal_covariate_shift.py.

Run it:  python tutorials/17_internal_covariate_shift.py --out DIR   (--fast: fewer steps)
Figures: loss_curves.png (no BN, BN, noisy BN on three seeds: the loss and the measured shift
of the layer inputs per step), shift.png (that shift averaged per variant), smoothness.png
(the gradient's change and the loss's variation along the step, with and without BN).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.datasets import load_digits, train_test_split

from _lesson import setup, section, check, save_plot, seed_mistake

args = setup()
DEPTH, WIDTH, BATCH, LR = 6, 64, 32, 0.05
STEPS = 80 if args.fast else 300
SEEDS = [0, 1, 2]
NOISE = 0.5                 # noisy BN: scale from U(1 - 0.5, 1 + 0.5), shift from U(-0.5, 0.5)
images, labels = load_digits(flatten=True)
(x_train, y_train), _ = train_test_split(images, labels, test_fraction=0.25, seed=0)
x_train = (x_train - x_train.mean(axis=0)) / (x_train.std(axis=0) + 1e-8)

# %% [markdown]
# ## 1. Three networks, and the noise
# Six hidden layers of 64 ReLU units on the 8x8 digits, nn.Linear's default initialisation,
# SGD with momentum 0.9 at learning rate 0.05. The three variants differ only here:
# * "no BN":    Linear -> ReLU;
# * "BN":       Linear -> BatchNorm1d -> ReLU;
# * "noisy BN": Linear -> BatchNorm1d -> Noise -> ReLU, where Noise multiplies each unit by a
#   scale s ~ U(0.5, 1.5) and adds a shift m ~ U(-0.5, 0.5), both drawn anew at EVERY step (one
#   pair per unit, shared by the whole batch, so the distribution itself moves, not single
#   examples). After BatchNorm a unit has batch mean beta and spread gamma; the noise moves
#   that mean by up to half a standard deviation and the spread by up to 50 %, at random, every
#   step: a deliberately injected covariate shift, which the layer above cannot predict.


# %%
class Noise(nn.Module):
    """y * s + m per unit, s ~ U(1 - a, 1 + a) and m ~ U(-a, a) redrawn at every call."""

    def __init__(self, width, amount, rng):
        super().__init__()
        self.width, self.amount, self.rng = width, amount, rng

    def forward(self, y):
        scale = self.rng.uniform(1 - self.amount, 1 + self.amount, self.width)
        shift = self.rng.uniform(-self.amount, self.amount, self.width)
        return y * mg.tensor(scale.astype(y.dtype)) + mg.tensor(shift.astype(y.dtype))


def make_network(kind, seed, he=False):
    mg.manual_seed(seed)
    noise, modules, width_in = np.random.default_rng(500 + seed), [], x_train.shape[1]
    for _ in range(DEPTH):
        modules.append(nn.Linear(width_in, WIDTH))
        if he:              # He (Kaiming) initialisation: N(0, 2 / fan_in), for ReLU
            modules[-1].weight.data[...] = noise.normal(
                0, np.sqrt(2 / width_in), modules[-1].weight.shape)
        modules += [layers.BatchNorm1d(WIDTH)] if kind != "no BN" else []
        modules += [Noise(WIDTH, NOISE, noise)] if kind == "noisy BN" else []
        modules.append(nn.ReLU())
        width_in = WIDTH
    return nn.Sequential(*modules, nn.Linear(WIDTH, 10))


KINDS = ["no BN", "BN", "noisy BN"]
COLORS = {"no BN": "tab:red", "BN": "tab:green", "noisy BN": "tab:purple"}

# %% [markdown]
# ## 2. Training, and the shift of the layer inputs
# The training loop runs the modules one by one and keeps what each ReLU receives: the input
# distribution of the layer above, the thing ICS is about. The measured shift between steps
# t-1 and t, per unit, is how far its batch mean moved in units of its spread plus how much the
# spread changed (as a log ratio): |mu_t - mu_(t-1)| / sigma_(t-1) + |log(sigma_t / sigma_(t-1))|.
# It is scale-free, so the three networks can be compared; the average over units and layers is
# the shift of that step. Every batch is a new sample, so even a frozen network would show some
# (except right after a BatchNorm, whose output statistics are fixed: section 3).


# %%
def train(kind, seed, probes=(), he=False):
    """Train one network; return its losses, its shift per step and, at the steps in probes,
    the smoothness measure of section 4 (defined in the next cell)."""
    net = make_network(kind, seed, he)
    optimizer = optim.SGD(net.parameters(), lr=LR, momentum=0.9)
    batches = np.random.default_rng(1000 + seed)
    losses, shifts, smooth, before = [], [], [], None
    for step in range(STEPS):
        if step in probes:
            smooth.append(smoothness(net))
        index = batches.integers(0, len(x_train), BATCH)
        h, moments = mg.tensor(x_train[index]), []
        for module in net:
            if isinstance(module, nn.ReLU):
                moments.append((h.data.mean(axis=0), h.data.std(axis=0) + 1e-8))
            h = module(h)
        loss = F.cross_entropy(h, mg.tensor(y_train[index]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if before is not None:
            shifts.append(np.mean([np.abs(mu - mu0) / s0 + np.abs(np.log(s / s0))
                                   for (mu, s), (mu0, s0) in zip(moments, before)]))
        before = moments
    return np.array(losses), np.array(shifts), smooth


# %% [markdown]
# ## The smoothness measure (section 4 shows it; the training loop calls it)
# At a point w of training, take the gradient g on a fixed batch of digits (256; 128 with --fast)
# and move the weights along the plain gradient step (no momentum), to w - k * LR * g for a few
# multiples k of the learning rate. Two measures: how much the loss varies along that line
# (max - min), and how much the gradient changes, ||g(w - k LR g) - g(w)||, divided by the
# distance moved, ||k LR g||. The largest of these ratios is an "effective beta-smoothness":
# beta bounds how fast the gradient can turn, and steps below 2 / beta still lower the loss
# (question 2).

# %%
PROBE = np.random.default_rng(7).choice(len(x_train), 128 if args.fast else 256, replace=False)
MULTIPLES = (0.5, 1.0, 2.0, 4.0)


def loss_and_gradient(net):
    loss = F.cross_entropy(net(mg.tensor(x_train[PROBE])), mg.tensor(y_train[PROBE]))
    grads = mg.grad(loss, list(net.parameters()))
    return loss.item(), np.concatenate([g.data.ravel() for g in grads])


def smoothness(net):
    """(loss range along the step, effective beta) at the network's current weights."""
    params = list(net.parameters())
    start = [p.data.copy() for p in params]
    loss0, g0 = loss_and_gradient(net)
    sizes = [p.data.size for p in params]
    parts = np.split(g0, np.cumsum(sizes)[:-1])
    losses, betas = [loss0], []
    for k in MULTIPLES:
        for p, w, g in zip(params, start, parts):
            p.data[...] = w - k * LR * g.reshape(w.shape)
        loss, g = loss_and_gradient(net)
        losses.append(loss)
        betas.append(np.linalg.norm(g - g0) / np.linalg.norm(k * LR * g0))
    for p, w in zip(params, start):
        p.data[...] = w
    return max(losses) - min(losses), max(betas)


PROBES = [0, STEPS // 4, STEPS // 2, 3 * STEPS // 4]
section("2. Training three networks on three seeds")
runs = {kind: [train(kind, seed) for seed in SEEDS] for kind in KINDS}
speed = {kind: np.array([losses.mean() for losses, _, _ in runs[kind]]) for kind in KINDS}
shift = {kind: np.array([shifts.mean() for _, shifts, _ in runs[kind]]) for kind in KINDS}
for kind in KINDS:
    print(f"  {kind:9s} mean training loss over {STEPS} steps: "
          + ", ".join(f"{v:.3f}" for v in speed[kind])
          + "   shift per step: " + ", ".join(f"{v:.3f}" for v in shift[kind]))

# %% [markdown]
# ## 3. The verdict on internal covariate shift
# Training speed is measured by the mean training loss over the whole run (the area under the
# loss curve: lower means it learned sooner). If reducing ICS were how BatchNorm helps, noisy BN
# (more shift than even the network without BatchNorm) should lose BatchNorm's advantage.
# BN's own shift is almost 0 by construction: the batch mean and spread of its output ARE beta
# and gamma, which move slowly. That is the sense in which BatchNorm reduces ICS; the question
# is whether that is why it helps.

# %%
section("3. More shift, same speed")
more = shift["noisy BN"] / np.maximum(shift["no BN"], shift["BN"])
gap = np.abs(speed["noisy BN"] - speed["BN"]) / np.abs(speed["no BN"] - speed["BN"])
print("  noisy BN's shift / the larger of the other two: " + ", ".join(f"{v:.1f}x" for v in more))
print("  |noisy BN - BN| / |no BN - BN| in mean loss:    " + ", ".join(f"{v:.2f}" for v in gap))
check("on every seed the noise raises the shift of the layer inputs above BN's and no BN's "
      "(by over 1.5x)", np.all(more > 1.5))
check("on every seed BN trains faster than no BN (mean loss at least 1.5x lower)",
      np.all(speed["no BN"] > 1.5 * speed["BN"]))
check("on every seed noisy BN's mean loss is far closer to BN's than to no BN's (gap < 25 %)",
      np.all(gap < 0.25))
seed_mistake("E1", "000", "LayerNorm通过归一化每一层的输入…有效缓解了ICS问题",
             "normalising each layer's input effectively alleviates internal covariate shift",
             f"noisy BN has {more.min():.1f}x or more the shift per step of the other two (no BN "
             f"included), yet keeps {1 - gap.max():.0%} or more of BatchNorm's gain in speed: "
             "reduced shift is not what makes normalization help")
seed_mistake("E18", "002", "为了解决ICS问题 … (但是BN没有解决ISC问题)",
             "BN is there to solve ICS (but BN did not solve the 'ISC' problem)",
             "ICS was the motivation; the second half is the closer one, and whether BN "
             "reduces ICS does not decide whether it helps (see E1)")
check("E1, E18: a network whose layer inputs shift more than without BN trains like BN",
      np.all(more > 1.5) and np.all(gap < 0.25))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
window = 10
for kind in KINDS:
    for i, (losses, shifts, _) in enumerate(runs[kind]):
        label = kind if i == 0 else None
        ax1.plot(np.convolve(losses, np.ones(window) / window, "valid"), color=COLORS[kind],
                 alpha=0.8, label=label)
        ax2.plot(np.convolve(shifts, np.ones(window) / window, "valid"), color=COLORS[kind],
                 alpha=0.8, label=label)
ax1.set(yscale="log", xlabel="step", ylabel=f"training loss ({window}-step average)",
        title="Loss, 3 seeds each: noisy BN trains like BN")
ax2.set(xlabel="step", ylabel="shift of the layer inputs per step",
        title="Measured ICS: noisy BN shifts most")
ax1.legend()
ax2.legend()
save_plot(fig, "loss_curves")

fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(KINDS, [shift[k].mean() for k in KINDS], color=[COLORS[k] for k in KINDS],
       yerr=[np.ptp(shift[k]) / 2 for k in KINDS])
ax.set(ylabel="mean shift per step (3 seeds)", title="Shift of the layer inputs between steps")
save_plot(fig, "shift")

# %% [markdown]
# ## 4. What BatchNorm changes: the smoothness of the loss
# The `smoothness` above runs at four points of training (steps 0, 1/4, 1/2 and 3/4 of the
# way) of a no-BN and a BN network. Not section 2's: with nn.Linear's default initialisation
# the plain network spends its first hundred-odd steps on a plateau (the signal shrinks through
# six layers, the loss hardly moves), and a plateau is smooth only because nothing happens on
# it. Here both start with He initialisation, N(0, 2 / fan_in), so both learn from step 0.
# Expect BatchNorm's loss to vary less along the step and its gradient to change less per unit
# of distance moved.

# %%
section("4. Smoothness along the update step")
probed = {kind: [train(kind, seed, PROBES, he=True) for seed in SEEDS] for kind in KINDS[:2]}
print("  mean training loss with He initialisation: " + ", ".join(
    f"{kind} {np.mean([losses.mean() for losses, _, _ in probed[kind]]):.3f}" for kind in probed))
ranges = {k: np.array([[r for r, _ in smooth] for _, _, smooth in probed[k]]) for k in probed}
betas = {k: np.array([[b for _, b in smooth] for _, _, smooth in probed[k]]) for k in probed}
for kind in KINDS[:2]:
    print(f"  {kind:6s} at steps {PROBES}: loss range "
          + " | ".join(" ".join(f"{v:.3f}" for v in row) for row in ranges[kind]))
    print(f"  {'':6s} effective beta          "
          + " | ".join(" ".join(f"{v:.2f}" for v in row) for row in betas[kind]))
below = int((betas["BN"] < betas["no BN"]).sum())
print(f"  BN's beta below no BN's at {below} of {betas['BN'].size} probed points; mean beta per "
      f"seed, no BN / BN: " + ", ".join(f"{v:.1f}x" for v in
                                       betas["no BN"].mean(axis=1) / betas["BN"].mean(axis=1)))
check("on every seed BN's effective beta, averaged over the probed points, is below no BN's "
      "(by over 1.3x)", np.all(betas["no BN"].mean(axis=1) > 1.3 * betas["BN"].mean(axis=1)))
check("on every seed BN's loss varies less along the step, averaged over the probed points",
      np.all(ranges["BN"].mean(axis=1) < ranges["no BN"].mean(axis=1)))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for kind in KINDS[:2]:
    for i in range(len(SEEDS)):
        label = kind if i == 0 else None
        ax1.plot(PROBES, betas[kind][i], "o-", color=COLORS[kind], label=label)
        ax2.plot(PROBES, ranges[kind][i], "o-", color=COLORS[kind], label=label)
ax1.set(yscale="log", xlabel="training step", ylabel="max ||g(w - k lr g) - g(w)|| / ||k lr g||",
        title="Effective beta-smoothness (lower: smoother)")
ax2.set(yscale="log", xlabel="training step", ylabel="max - min loss along the step",
        title=f"Loss variation along the step, k in {MULTIPLES}")
ax1.legend()
ax2.legend()
save_plot(fig, "smoothness")

# %% [markdown]
# ## Summary
# * ICS, measured as the step-to-step shift of each layer's input statistics, can be raised
#   above a plain network's by noise after BatchNorm, and the network still trains like BN.
# * What BatchNorm measurably changes is the landscape: the gradient changes less along the
#   step, so it stays a good guide for longer, and larger steps are safe.

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Noisy BatchNorm and the smoothness measure** (about 25 min). Write the Noise module
#    (seeded, redrawn at every call, gradients flowing) and the effective beta of section 4.
#    File: tutorials/exercises/noisy_batchnorm.py. Grade it:
#        minigrad check tutorials/exercises/noisy_batchnorm.py --exercise noisy_batchnorm
#    Worked solution: tutorials/solutions/noisy_batchnorm.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. The noise moves each unit's mean and spread at random every step. Why can the network
#    still learn? Where does the noise of layer 2 go when it reaches layer 3's BatchNorm?
# 2. What does an effective beta of b say about the largest learning rate for which one SGD
#    step still lowers the loss? Compare the two networks' values from section 4.
# Worked answers, each checked in code: tutorials/answers/17_internal_covariate_shift.py.
