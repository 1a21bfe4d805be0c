"""Lesson 10: the training experiment - no normalization, BN, LN, GN and GN+WS, at batch 32 and 2,
then swept over learning rates and batch sizes.

The claims under test (from the seed texts this course corrects, and from the papers):
  (a) "Batch Normalization speeds up training";
  (b) "BatchNorm suffers at micro-batch sizes, where GroupNorm with Weight Standardization holds";
  (c) "BatchNorm lets you train with larger learning rates" (section 8).
We train the network of lesson 3 (64 -> 64 hidden units -> 10 digits) with a normalization
layer after its hidden Linear, five ways, at a normal batch of 32 and a micro-batch of 2:
    none    Linear -> ReLU -> Linear
    BN      Linear -> BatchNorm1d(64) -> ReLU -> Linear
    LN      Linear -> LayerNorm(64) -> ReLU -> Linear
    GN      Linear -> GroupNorm(8 groups, 64) -> ReLU -> Linear
    GN+WS   WSLinear (weight-standardized rows) -> GroupNorm(8, 64) -> ReLU -> Linear
Every run starts from the same seeded weights (per seed) and sees the same mini-batches, and
the learning rate is fixed per batch size, not tuned per method. Three seeds give an idea of
the spread; the conclusions printed at the end are computed from the numbers of this run,
and only what holds on every seed is asserted. Sections 8 and 9 then sweep the learning rate
(none vs BN) and the batch size (2 to 64, BN, GN, GN+WS, LN) with shorter runs.

What you will learn
  * how to run a small, fair comparison: same data, same steps, same seeds, same learning rate;
  * what BatchNorm does to the speed of training at a normal batch size (here: much faster);
  * why a micro-batch hurts BatchNorm and not GroupNorm: with 2 examples, BatchNorm1d
    normalizes each feature over 2 numbers, so every feature becomes +1 or -1, and the
    network trains on statistics it will not see at test time - measured in section 5 (b)
    by putting the same test images through BatchNorm in training and in eval mode;
  * how a sweep turns two data points into a curve: which learning rates BN tolerates that the
    plain network does not (and where both fail), and how each normalization's accuracy falls
    as the batch shrinks from 64 to 2;
  * that the harm depends on how many numbers each statistic averages (a CNN's BatchNorm2d
    also averages over pixels), not on the batch size alone - so check, do not assume;
  * what this run says about two of the seeds' claims (section 7): "GN+WS always beats BN" (E12)
    and "GN beats LN" (E14), from its own numbers, seed by seed.

Time: about 40 minutes to read and run, plus about 20 for the exercise.
Assumes: lessons 3 (the network), 4 (BatchNorm's train and eval modes), 6-8 (LN, GN, WS).
Ends with: exercise precise_bn (exercises/precise_bn.py), graded by `minigrad check`; then 2
  questions, worked answers in answers/10_training_experiment.py.

Run it:  python tutorials/10_training_experiment.py --out DIR    (about 1 min of CPU; --fast: a few seconds)
Figures: experiment.png (training loss and test accuracy of every run, both batch sizes),
  train_eval_mismatch.png (histograms of BatchNorm's x_hat in training vs eval mode, batch 32 and 2),
  batch_sweep.png (final test accuracy against batch size for BN, GN, GN+WS and LN).
"""
# %%
import sys
import textwrap
import time

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.datasets import load_digits, train_test_split

from _lesson import setup, section, check, save_plot, seed_mistake

args = setup()
SEEDS = [0] if args.fast else [0, 1, 2]
# batch size -> (steps, learning rate). The gradient of a batch of 2 has 16x the variance of a
# batch of 32's (4x its standard deviation), so it takes a smaller learning rate (and more
# steps) to train at all.
SETTINGS = {32: (60, 0.05), 2: (150, 0.01)} if args.fast else {32: (300, 0.05), 2: (1200, 0.01)}
EVAL_POINTS = 8                                   # test-accuracy measurements per run
METHODS = ["none", "BN", "LN", "GN", "GN+WS"]
COLORS = dict(zip(METHODS, ["black", "tab:red", "tab:blue", "tab:green", "tab:purple"]))

# %% [markdown]
# ## 1. Data and the five networks
# The shipped digits as 64-dimensional vectors, split as in lesson 3. `make_network` builds
# the same architecture with a different normalization layer; `mg.manual_seed(seed)` before it
# makes the initial weights a function of the seed only.

# %%
section("1. Data and the five networks")
images, labels = load_digits(flatten=True)
(x_train, y_train), (x_test, y_test) = train_test_split(images, labels, test_fraction=0.25, seed=0)
print(f"train {x_train.shape}, test {x_test.shape}")


def make_network(method):
    hidden = layers.WSLinear(64, 64) if method == "GN+WS" else nn.Linear(64, 64)
    norm = {"none": None,
            "BN": lambda: layers.BatchNorm1d(64),
            "LN": lambda: layers.LayerNorm(64),
            "GN": lambda: layers.GroupNorm(8, 64),
            "GN+WS": lambda: layers.GroupNorm(8, 64)}[method]
    modules = [hidden] + ([norm()] if norm else []) + [nn.ReLU(), nn.Linear(64, 10)]
    return nn.Sequential(*modules)


for method in METHODS:
    mg.manual_seed(0)
    net = make_network(method)
    print(f"  {method:6s} " + " -> ".join(type(m).__name__ for m in net) +
          f"   ({sum(p.size for p in net.parameters())} parameters)")

# %% [markdown]
# ## 2. Why a micro-batch is special for BatchNorm
# Before training anything: BatchNorm1d in training mode normalizes each feature over the
# batch. With two examples a and b, the mean is (a+b)/2 and the deviations are +-(a-b)/2, so
# every normalized value is +1 or -1 (up to eps): all the network learns about an example is,
# feature by feature, whether it is larger than the other example in its batch. GroupNorm
# normalizes within each example, so its output for an example cannot depend on the others.

# %%
section("2. Why a micro-batch is special for BatchNorm")
rng = np.random.default_rng(0)
pair = mg.Tensor(rng.normal(size=(2, 6)))
bn_out = layers.BatchNorm1d(6, affine=False)(pair).data
print(f"BatchNorm1d (training mode) of a batch of 2:\n{bn_out.round(4)}")
print("(exactly: +-|a-b| / sqrt((a-b)^2 + 4 eps), so slightly below 1 when a and b are close)")
check("BatchNorm over a batch of 2 turns every feature into +-1 (within 1% here)",
      np.allclose(np.abs(bn_out), 1.0, atol=0.01))
a, partner_1, partner_2 = (rng.normal(size=(1, 64)) for _ in range(3))
gn, bn = layers.GroupNorm(8, 64), layers.BatchNorm1d(64)
gn_1, gn_2 = (gn(mg.Tensor(np.vstack([a, p]))).data[0] for p in (partner_1, partner_2))
bn_1, bn_2 = (bn(mg.Tensor(np.vstack([a, p]))).data[0] for p in (partner_1, partner_2))
print(f"change in the output for example a when its batch partner changes: "
      f"GroupNorm {np.abs(gn_1 - gn_2).max():.1e}, BatchNorm {np.abs(bn_1 - bn_2).max():.2f}")
check("GroupNorm's output for an example does not depend on the rest of the batch",
      np.array_equal(gn_1, gn_2))
check("BatchNorm's output for an example does depend on the rest of the batch",
      np.abs(bn_1 - bn_2).max() > 0.1)

# %% [markdown]
# ## 3. Training
# Each run: SGD with momentum 0.9, random mini-batches drawn with the run's seed, the training
# loss recorded at every step (in training mode, as the optimizer sees it), and the test
# accuracy measured EVAL_POINTS times in eval mode (BatchNorm then uses its running
# statistics, as it would when deployed).

# %%
section("3. Training (progress below)")


def test_accuracy(net):
    net.eval()
    with mg.no_grad():
        accuracy = float((net(x_test).data.argmax(axis=1) == y_test).mean())
    net.train()
    return accuracy


def train(method, batch, steps, lr, seed, label):
    mg.manual_seed(seed)
    net = make_network(method)
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    batches = np.random.default_rng(1000 + seed)           # the same batches for every method
    losses, eval_steps, accuracies, last_five = [], [], [], []
    eval_every = steps // EVAL_POINTS
    for step in range(1, steps + 1):
        index = batches.integers(0, len(x_train), batch)
        loss = F.cross_entropy(net(x_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        on_curve = step % eval_every == 0 or step == steps     # always at the very last step
        if on_curve or step > steps - 5:
            accuracy = test_accuracy(net)
            if on_curve:
                eval_steps.append(step)
                accuracies.append(accuracy)
            if step > steps - 5:               # the last five steps: how noisy one evaluation is
                last_five.append(accuracy)
            if sys.stdout.isatty():                        # a live progress bar in a terminal
                print(f"\r  {label} step {step}/{steps}", end="", flush=True)
    net.eval()
    with mg.no_grad():                                     # the full training set, eval mode
        train_loss = F.cross_entropy(net(x_train), y_train).item()
    return dict(losses=np.array(losses), eval_steps=eval_steps, accuracies=accuracies,
                train_loss=train_loss, test_acc=accuracies[-1], last_five=last_five, net=net)


runs = {}
total = len(SETTINGS) * len(METHODS) * len(SEEDS)
start = time.perf_counter()
for batch, (steps, lr) in SETTINGS.items():
    for method in METHODS:
        for seed in SEEDS:
            label = f"[{len(runs) + 1:2d}/{total}] batch {batch:2d}  {method:6s} seed {seed}"
            t0 = time.perf_counter()
            run = runs[batch, method, seed] = train(method, batch, steps, lr, seed, label)
            print(f"\r  {label}: {steps} steps in {time.perf_counter() - t0:4.1f} s, "
                  f"last-50-step loss {run['losses'][-50:].mean():.3f}, "
                  f"test accuracy {run['test_acc']:.1%}", flush=True)
print(f"all {total} runs in {time.perf_counter() - start:.0f} s")

# %% [markdown]
# ## 4. The results
# Per method and batch size, averaged over the seeds (min - max in brackets when there are
# several): the mean training loss over the first 50 steps (how fast it starts), the loss on
# the whole training set at the end in eval mode, and the final test accuracy.

# %%
section("4. Results")


def stat(values, fmt):
    values = np.asarray(values)
    spread = f" ({fmt.format(values.min())}-{fmt.format(values.max())})" if len(values) > 1 else ""
    return fmt.format(values.mean()) + spread


summary = {}
for batch, (steps, lr) in SETTINGS.items():
    print(f"\nbatch {batch}: {steps} steps, lr {lr}, seeds {SEEDS}")
    print(f"  {'method':7s} {'loss, first 50 steps':24s} {'final train loss':24s} "
          f"{'test accuracy':22s} {'its noise (std over the last 5 steps)'}")
    for method in METHODS:
        rs = [runs[batch, method, s] for s in SEEDS]
        early = [r["losses"][:50].mean() for r in rs]
        final = [r["train_loss"] for r in rs]
        acc = [r["test_acc"] for r in rs]
        # How much the test accuracy moves over the last five steps of one run: a gap
        # between methods smaller than this is step-to-step noise, not a difference.
        noise = [np.std(r["last_five"]) for r in rs]
        summary[batch, method] = dict(early=early, final=final, acc=acc, noise=noise,
                                      mean_loss=[r["losses"].mean() for r in rs])
        print(f"  {method:7s} {stat(early, '{:.3f}'):24s} {stat(final, '{:.3f}'):24s} "
              f"{stat(np.array(acc) * 100, '{:.1f}') + ' %':22s} {np.mean(noise):.1%}")

fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
for row, (batch, (steps, lr)) in enumerate(SETTINGS.items()):
    ax_loss, ax_acc = axes[row]
    window = max(5, steps // 25)                  # smooth the noisy per-step losses
    for method in METHODS:
        rs = [runs[batch, method, s] for s in SEEDS]
        smooth = np.array([np.convolve(r["losses"], np.ones(window) / window, mode="valid")
                           for r in rs])
        x_axis = np.arange(window, steps + 1)
        ax_loss.plot(x_axis, smooth.mean(axis=0), color=COLORS[method], label=method, lw=1.4)
        if len(rs) > 1:
            ax_loss.fill_between(x_axis, smooth.min(axis=0), smooth.max(axis=0),
                                 color=COLORS[method], alpha=0.12, lw=0)
        accs = np.array([r["accuracies"] for r in rs])
        ax_acc.plot(rs[0]["eval_steps"], accs.mean(axis=0), "o-", color=COLORS[method],
                    label=method, ms=3.5, lw=1.4)
    ax_loss.set(yscale="log", xlabel="step",
                ylabel=f"mini-batch loss, train mode ({window}-step avg.)",
                title=f"batch {batch}, lr {lr}: training loss")
    ax_acc.set(xlabel="step", ylabel="test accuracy (eval mode)",
               title=f"batch {batch}: test accuracy", ylim=(0.5, 1.0))
    ax_loss.legend(ncol=5, fontsize=8, loc="lower left")
    ax_acc.legend(ncol=5, fontsize=8, loc="lower right")
band = f"mean of seeds {SEEDS}, shaded: min-max" if len(SEEDS) > 1 else f"seed {SEEDS[0]}"
fig.suptitle(f"The same MLP on the digits with five normalizations ({band})")
save_plot(fig, "experiment")

# %% [markdown]
# ## 5. What the numbers say about the claims
# Each statement below is computed from the table, so if a future change (or your own edit
# of the settings) makes a claim false, the text says so. Only what held on every seed when
# this lesson was written is asserted; the rest is printed, not asserted.

# %%
section("5. What this run says about the claims")


def mean(batch, method, key):
    return float(np.mean(summary[batch, method][key]))


def say(text):
    """Print a conclusion wrapped to the width of the table."""
    print(textwrap.fill(text, 96, subsequent_indent="    "))


normalized = METHODS[1:]
big, micro = max(SETTINGS), min(SETTINGS)
faster = [m for m in normalized if mean(big, m, "early") < mean(big, "none", "early")]
say(f"(a) BN speeds up training (batch {big}): over the first 50 steps BN's loss averages "
    f"{mean(big, 'BN', 'early'):.3f} against {mean(big, 'none', 'early'):.3f} without "
    f"normalization -> {'supported' if 'BN' in faster else 'NOT supported'} here. "
    f"Normalized variants that start faster than the plain network: {', '.join(faster) or 'none'}.")
lowest = min(METHODS, key=lambda m: mean(big, m, "final"))
say(f"    Lowest final training loss at batch {big}: {lowest} ({mean(big, lowest, 'final'):.3f}), "
    f"against {mean(big, 'none', 'final'):.3f} without normalization.")
say("    It is not only BN: LN, GN and GN+WS speed up the start too, so what helps here is "
    "normalizing the hidden units, whatever the axis. The run says nothing about WHY: the seeds' "
    "reason, 'internal covariate shift', is not what later work found (lesson 4, E1 and E18)."
    if len(faster) == len(normalized) else
    "    Not every normalization starts faster here; see the table.")
check(f"at batch {big}, after the same {SETTINGS[big][0]} steps, every normalized network ends "
      f"with a lower training loss (whole training set) than the plain one, on every seed",
      all(summary[big, m]["final"][i] < summary[big, "none"]["final"][i]
          for m in normalized for i in range(len(SEEDS))))
check(f"and its mini-batch loss averaged over the whole run is lower too, on every seed",
      all(summary[big, m]["mean_loss"][i] < summary[big, "none"]["mean_loss"][i]
          for m in normalized for i in range(len(SEEDS))))

# %% [markdown]
# ### (b) first: the train/eval mismatch, measured
# BatchNorm trains on x_hat = (h - batch mean) / sqrt(batch variance + eps), h the hidden Linear's
# output, and is evaluated on x_hat = (h - running mean) / sqrt(running variance + eps). We
# compute both on the same test images for the trained BN networks: in training mode the images
# go through in consecutive groups of the training batch size (pairs for the batch-2 network),
# in eval mode all at once. `normalized_units` does it in NumPy, checked against the layer.
# Two numbers per network: the share of the values within 0.05 of +-1, and the distance between
# the two distributions (the mean gap between their sorted values, the "earth mover's"
# distance: 0 when they are identical, in units of x_hat).

# %%
def normalized_units(net, x, batch):
    """BatchNorm's x_hat for the inputs x, in training mode (statistics of each consecutive
    group of `batch` inputs) and in eval mode (running statistics), and the hidden units h."""
    linear, bn = net[0], net[1]
    with mg.no_grad():
        h = linear(x[:len(x) // batch * batch]).data
    groups = h.reshape(-1, batch, h.shape[1])
    centred = groups - groups.mean(axis=1, keepdims=True)
    train_mode = (centred / np.sqrt(groups.var(axis=1, keepdims=True) + bn.eps)).reshape(h.shape)
    eval_mode = (h - bn.running_mean.data) / np.sqrt(bn.running_var.data + bn.eps)
    return train_mode, eval_mode, h


def distance(a, b):
    """Earth mover's distance between two equally large samples: mean |sorted a - sorted b|."""
    return float(np.abs(np.sort(a, axis=None) - np.sort(b, axis=None)).mean())


net = runs[micro, "BN", SEEDS[0]]["net"]
train_mode, eval_mode, h = normalized_units(net, x_test, micro)
bn = net[1]
with mg.no_grad():
    bn.eval()
    by_layer_eval = bn(mg.Tensor(h)).data
    by_layer_train = layers.functional.batch_norm(mg.Tensor(h[:micro]), None, None, bn.weight,
                                                  bn.bias, training=True).data
check("normalized_units agrees with BatchNorm1d in both modes (weight * x_hat + bias)",
      np.allclose(by_layer_eval, bn.weight.data * eval_mode + bn.bias.data) and
      np.allclose(by_layer_train, bn.weight.data * train_mode[:micro] + bn.bias.data))
bn.train()

mismatch = dict(distance={}, near_one=None)
near = {}
print(f"BN networks, x_hat of the {len(x_test)} test images ({64} units each):")
print(f"  {'trained at':11s} {'seed':5s} {'within 0.05 of +-1: train mode':32s} "
      f"{'eval mode':10s} {'distance train-eval'}")
for batch in (big, micro):
    distances = []
    for seed in SEEDS:
        train_mode, eval_mode, _ = normalized_units(runs[batch, "BN", seed]["net"], x_test, batch)
        shares = [float((np.abs(np.abs(v) - 1) < 0.05).mean()) for v in (train_mode, eval_mode)]
        near[batch, seed] = shares
        distances.append(distance(train_mode, eval_mode))
        print(f"  batch {batch:2d}    {seed:<5d} {shares[0]:<32.1%} {shares[1]:<10.1%} "
              f"{distances[-1]:.3f}")
    mismatch["distance"][batch] = float(np.mean(distances))
    mismatch[batch] = distances
mismatch["near_one"] = [float(np.mean([near[micro, s][i] for s in SEEDS])) for i in (0, 1)]

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained", sharey=True)
bins = np.linspace(-4, 4, 81)
for ax, batch in zip(axes, (big, micro)):
    train_mode, eval_mode, _ = normalized_units(runs[batch, "BN", SEEDS[0]]["net"], x_test, batch)
    ax.hist(np.clip(eval_mode.ravel(), -4, 4), bins, density=True, color="tab:blue", alpha=0.6,
            label="eval mode (running statistics): what it is tested on")
    ax.hist(np.clip(train_mode.ravel(), -4, 4), bins, density=True, histtype="step", lw=1.6,
            color="tab:red", label=f"training mode (batches of {batch}): what it trained on")
    ax.set(xlabel="BatchNorm's normalized hidden unit x_hat (clipped to +-4)",
           title=f"BN trained at batch {batch}: distance {mismatch[batch][0]:.2f}")
    ax.set(yscale="log", ylim=(1e-3, 60))          # log: the +-1 spikes and the spread both show
    ax.legend(fontsize=8, loc="upper left")
axes[0].set_ylabel("density (test images, all 64 units), log")
fig.suptitle(f"The same test images through BatchNorm in training and in eval mode (seed {SEEDS[0]})")
save_plot(fig, "train_eval_mismatch")

check(f"BN trained at batch {micro}: in training mode at least 95% of x_hat are within 0.05 of "
      f"+-1, in eval mode at most 20%, on every seed",
      all(near[micro, s][0] >= 0.95 and near[micro, s][1] <= 0.20 for s in SEEDS))
check(f"the distance between the training-mode and eval-mode distributions is at least 3 times "
      f"larger for BN trained at batch {micro} than at batch {big}, on every seed",
      all(d2 > 3 * d32 for d2, d32 in zip(mismatch[micro], mismatch[big])))

# %%
bn_drop = mean(big, "BN", "acc") - mean(micro, "BN", "acc")
ws_drop = mean(big, "GN+WS", "acc") - mean(micro, "GN+WS", "acc")
print()
say(f"(b) From batch {big} to batch {micro}, BN's test accuracy goes "
    f"{mean(big, 'BN', 'acc'):.1%} -> {mean(micro, 'BN', 'acc'):.1%} (drop {bn_drop:.1%}); "
    f"GN+WS goes {mean(big, 'GN+WS', 'acc'):.1%} -> {mean(micro, 'GN+WS', 'acc'):.1%} "
    f"(drop {ws_drop:.1%}).")
bn_worst = min(normalized, key=lambda m: mean(micro, m, "acc")) == "BN"
say(f"    At batch {micro}, BN is {'the worst' if bn_worst else 'not the worst'} of the normalized "
    f"networks, and {'below' if mean(micro, 'BN', 'acc') < mean(micro, 'none', 'acc') else 'above'} "
    f"even the unnormalized one ({mean(micro, 'none', 'acc'):.1%}); its final training loss "
    f"is {mean(micro, 'BN', 'final'):.3f} against {mean(micro, 'GN+WS', 'final'):.3f} for GN+WS.")
if bn_drop > ws_drop:
    say("    -> the claim is supported by this run. Section 2 and the measurement above say why: "
        f"with 2 examples BN sees only +-1 per feature while training ({mismatch['near_one'][0]:.0%} "
        f"of its normalized units within 0.05 of +-1, mean over seeds), and at test time its "
        f"running statistics spread them out ({mismatch['near_one'][1]:.0%} near +-1): the "
        f"distance between the two distributions is {mismatch['distance'][micro]:.2f}, against "
        f"{mismatch['distance'][big]:.2f} for the network trained at batch {big}.")
else:
    say("    -> the claim is NOT supported by this run: BN lost no more than GN+WS.")
if not args.fast:      # too few steps in --fast to separate the methods at batch 2
    check(f"at batch {micro}, BN ends with a higher training loss and a lower test accuracy "
          f"than GN+WS, on every seed",
          all(summary[micro, "BN"]["final"][i] > summary[micro, "GN+WS"]["final"][i] and
              summary[micro, "BN"]["acc"][i] < summary[micro, "GN+WS"]["acc"][i]
              for i in range(len(SEEDS))))

print()
for batch in SETTINGS:
    noise = max(mean(batch, m, "noise") for m in METHODS)
    within = [f"{a}/{b}" for i, a in enumerate(METHODS) for b in METHODS[i + 1:]
              if abs(mean(batch, a, "acc") - mean(batch, b, "acc")) < 2 * noise]
    say(f"(c) Batch {batch}: the test accuracy of one run moves by up to {noise:.1%} (std) over "
        f"its last five steps, so accuracy gaps below {2 * noise:.1%} are step-to-step noise: "
        f"{', '.join(within) or 'none of the pairs'}.")

# %% [markdown]
# ## 6. A caution: a micro-batch is about numbers per statistic, not images
# In a CNN, BatchNorm2d averages each channel over the batch AND the pixels: two 8x8 images
# give it 2*8*8 = 128 numbers per channel in the first layer, not 2. So the same micro-batch
# can be harmless there. We run it: a small CNN (conv 1->8, norm, ReLU, conv 8->16 stride 2,
# norm, ReLU, linear) with BN or GN+WS, batch 2, seed 0. The GroupNorm paper's micro-batch
# results come from deep ImageNet networks, where the noise of small-batch statistics compounds
# over dozens of layers; here we only measure this small case and print what it shows.

# %%
section("6. A CNN at batch 2: numbers per statistic")


def make_cnn(method):
    conv = layers.WSConv2d if method == "GN+WS" else nn.Conv2d
    norm = layers.BatchNorm2d if method == "BN" else (lambda c: layers.GroupNorm(4, c))
    return nn.Sequential(conv(1, 8, 3, padding=1), norm(8), nn.ReLU(),
                         conv(8, 16, 3, stride=2, padding=1), norm(16), nn.ReLU(),
                         nn.Flatten(), nn.Linear(16 * 4 * 4, 10))


print("numbers behind each BatchNorm mean/variance at batch 2: MLP 2; "
      "CNN layer 1: 2*8*8 = 128; CNN layer 2: 2*4*4 = 32")
if args.fast:
    print("(skipped with --fast)")
else:
    x_train_img, x_test_img = x_train.reshape(-1, 1, 8, 8), x_test.reshape(-1, 1, 8, 8)
    steps, lr = SETTINGS[micro]
    steps = steps // 2
    cnn_acc = {}
    for method in ("BN", "GN+WS"):
        mg.manual_seed(0)
        net = make_cnn(method)
        optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        batches = np.random.default_rng(1000)
        t0 = time.perf_counter()
        for step in range(steps):
            index = batches.integers(0, len(x_train), micro)
            loss = F.cross_entropy(net(x_train_img[index]), y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        net.eval()
        with mg.no_grad():
            cnn_acc[method] = float((net(x_test_img).data.argmax(axis=1) == y_test).mean())
        print(f"  CNN with {method:6s} batch {micro}, {steps} steps in "
              f"{time.perf_counter() - t0:.1f} s: test accuracy {cnn_acc[method]:.1%}")
    gap = cnn_acc["GN+WS"] - cnn_acc["BN"]
    say(f"  -> (one seed) in the CNN, GN+WS leads BN by {gap:+.1%} at batch {micro} "
        f"(the MLP gap was {mean(micro, 'GN+WS', 'acc') - mean(micro, 'BN', 'acc'):+.1%}): "
        + ("BN holds up much better when it averages over pixels too."
           if gap < (mean(micro, "GN+WS", "acc") - mean(micro, "BN", "acc")) / 2 else
           "BN suffers in the CNN as well."))

# %% [markdown]
# ## 7. The seeds' mistakes this experiment can test
# Lesson 11 indexes the seeds' 31 mistakes. Two are claims about which normalization wins, and
# this run has the numbers to test them: seed 001 says GN+WS ALWAYS beats BN (E12), and that GN
# beats LN in practice (the second half of E14; lesson 8 corrected its names). One run of a small
# MLP cannot settle what a layer does in general, but one counter-example refutes "always", and
# the table shows whether this network agrees. Below, every comparison is per seed and batch
# size, from section 4's numbers; a gap is called a win only if it exceeds twice the
# step-to-step noise of section 5 (c).

# %%
section("7. The seeds' mistakes this experiment can test")


def compare(a, b):
    """Per batch size and seed, a's test accuracy minus b's, a's final training loss minus b's,
    and the accuracy noise of section 5 (c); printed, and returned."""
    found = {}
    for batch in SETTINGS:
        noise = 2 * max(mean(batch, m, "noise") for m in METHODS)
        acc_gap = np.array(summary[batch, a]["acc"]) - np.array(summary[batch, b]["acc"])
        loss_gap = np.array(summary[batch, a]["final"]) - np.array(summary[batch, b]["final"])
        found[batch] = acc_gap, loss_gap, noise
        print(f"  batch {batch:2d}, {a} minus {b}, per seed: test accuracy "
              + ", ".join(f"{g:+.1%}" for g in acc_gap) + f" (noise {noise:.1%}); "
              + "final training loss " + ", ".join(f"{g:+.3f}" for g in loss_gap))
    return found


seed_mistake("E12", "001", "GN+WS 的性能始终优于 BN", "GN+WS always outperforms BN",
             "the paper and its README claim GN+WS matches or outperforms BN in their "
             "experiments (deep CNNs, micro-batches where BN degrades). 'Always' is stronger "
             "than the evidence, and one counter-example refutes it")
gnws_bn = compare("GN+WS", "BN")
beyond = {batch: int((gnws_bn[batch][0] > gnws_bn[batch][2]).sum()) for batch in SETTINGS}
say(f"  -> GN+WS beats BN beyond the noise on {beyond[micro]} of {len(SEEDS)} seeds at batch "
    f"{micro}, on {beyond[big]} at batch {big}: it " + ("matches BN at the normal batch size "
    "and outperforms it at the micro-batch, which is what the paper claims, not 'always'."
    if beyond[big] == 0 else "beats BN here at both batch sizes; see the table."))
check(f"E12: at batch {big}, GN+WS's test accuracy is never above BN's by more than the noise, "
      f"on every seed, so 'always outperforms' fails here",
      (gnws_bn[big][0] <= gnws_bn[big][2]).all())
seed_mistake("E14", "001", "在实践中,组标准化比层标准化表现更好", "in practice GroupNorm performs "
             "better than LayerNorm (lesson 8 corrected the same passage's names)",
             "GN beating LN is a finding for CNNs (Wu & He, ImageNet and detection); "
             "Transformers use LN or RMSNorm. It depends on the network: here, an MLP")
gn_ln = compare("GN", "LN")
wins = {batch: (int((gn_ln[batch][0] > gn_ln[batch][2]).sum()),
                int((gn_ln[batch][0] < -gn_ln[batch][2]).sum())) for batch in SETTINGS}
say("  -> beyond the noise, GN beats LN on " + "; ".join(
    f"{w} and LN beats GN on {l} of {len(SEEDS)} seeds at batch {batch}"
    for batch, (w, l) in wins.items()) + ": on this MLP 'GN beats LN' is not a rule.")
check(f"E14: at batch {big}, GN's test accuracy is never above LN's by more than the noise, on "
      f"every seed", (gn_ln[big][0] <= gn_ln[big][2]).all())

# %% [markdown]
# ## 8. A learning-rate sweep: does BatchNorm tolerate larger rates?
# A common claim: BatchNorm lets you train with larger learning rates. Sections 3-5 used one rate
# per batch size. Here the plain network and BN train at batch 32 with five rates (momentum 0.9
# as before), fewer steps than section 3 because there are many runs; a run whose loss
# overflows stops and counts as diverged. The number is the final loss on the whole training
# set (eval mode).

# %%
section("8. A learning-rate sweep: none vs BN at batch 32")
LEARNING_RATES = [0.05, 0.1, 0.2, 0.4, 1.0]
SWEEP_STEPS = 100 if args.fast else 400      # per run of the sweeps (sections 8 and 9)


def sweep_point(method, batch, lr, seed, steps=SWEEP_STEPS):
    """Train as in section 3 without the curves: (final training loss, final test accuracy)."""
    mg.manual_seed(seed)
    net = make_network(method)
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    batches = np.random.default_rng(1000 + seed)
    for step in range(steps):
        index = batches.integers(0, len(x_train), batch)
        loss = F.cross_entropy(net(x_train[index]), y_train[index])
        if not np.isfinite(loss.item()):
            return np.inf, test_accuracy(net)            # diverged
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    net.eval()
    with mg.no_grad():
        train_loss = F.cross_entropy(net(x_train), y_train).item()
    return train_loss, test_accuracy(net)


start = time.perf_counter()
lr_sweep = {(m, lr): np.array([sweep_point(m, big, lr, s)[0] for s in SEEDS])
            for m in ("none", "BN") for lr in LEARNING_RATES}
print(f"{2 * len(LEARNING_RATES) * len(SEEDS)} runs of {SWEEP_STEPS} steps in "
      f"{time.perf_counter() - start:.0f} s; final training loss, mean (min-max) over seeds {SEEDS}:")
print("  lr     " + "".join(f"{lr:<22}" for lr in LEARNING_RATES))
for m in ("none", "BN"):
    print(f"  {m:6s} " + "".join(f"{stat(lr_sweep[m, lr], '{:.3f}'):22s}" for lr in LEARNING_RATES))
bn_lower = [lr for lr in LEARNING_RATES if (lr_sweep["BN", lr] < lr_sweep["none", lr]).all()]
best = {m: [LEARNING_RATES[int(np.argmin([lr_sweep[m, lr][i] for lr in LEARNING_RATES]))]
            for i in range(len(SEEDS))] for m in ("none", "BN")}
top = LEARNING_RATES[-2]
growth = {m: float(np.mean([lr_sweep[m, top][i] / min(lr_sweep[m, lr][i] for lr in LEARNING_RATES)
                            for i in range(len(SEEDS))])) for m in ("none", "BN")}
say(f"-> BN ends lower than the plain network on every seed at the rates {bn_lower}. The best rate "
    f"per seed: none {best['none']}, BN {best['BN']}. From its best rate to {top}, the final loss "
    f"grows {growth['none']:.1f}x for the plain network and {growth['BN']:.1f}x for BN, and at "
    f"{LEARNING_RATES[-1]} both fail (loss {np.mean(lr_sweep['none', LEARNING_RATES[-1]]):.2f} "
    f"and {np.mean(lr_sweep['BN', LEARNING_RATES[-1]]):.2f}; log 10 = {np.log(10):.2f} is a "
    "uniform guess). So in this one-hidden-layer network BN lowers the loss at every rate that "
    "works, " + ("and it also widens the range of usable rates." if growth["BN"] < growth["none"] / 2
                 else "but it does not widen the range of usable rates: the claim's 'larger rates' "
                 "does not show here (the output Linear is not normalized, and the claim comes "
                 "from deep networks)."))
if not args.fast:
    check(f"BN's final training loss is below the plain network's at every rate from "
          f"{LEARNING_RATES[0]} to {LEARNING_RATES[-2]}, on every seed", bn_lower == LEARNING_RATES[:-1])
    check(f"at lr {LEARNING_RATES[-1]} both fail (final loss above 1.5), on every seed",
          (lr_sweep["none", LEARNING_RATES[-1]] > 1.5).all() and
          (lr_sweep["BN", LEARNING_RATES[-1]] > 1.5).all())

# %% [markdown]
# ## 9. A batch-size sweep: 2 to 64
# Section 3 had two batch sizes. Here BN, GN, GN+WS and LN train at six, the same number of steps
# each, the learning rate scaled with the square root of the batch size (the standard deviation
# of the gradient noise goes as 1/sqrt(batch)): 0.05 * sqrt(batch / 32), which gives section
# 3's 0.05 at batch 32 and about its 0.01 at batch 2. The claim under test: BN's accuracy
# falls the most as the batch shrinks, GN's, GN+WS's and LN's do not depend on the batch
# through their statistics (only through the noise of the gradient).

# %%
section("9. A batch-size sweep: BN, GN, GN+WS, LN")
BATCHES = [2, 4, 8, 16, 32, 64]
SWEPT = ["BN", "GN", "GN+WS", "LN"]
start = time.perf_counter()
batch_sweep = {}
for method in SWEPT:
    for batch in BATCHES:
        lr = 0.05 * np.sqrt(batch / 32)
        batch_sweep[method, batch] = np.array([sweep_point(method, batch, lr, s)[1] for s in SEEDS])
print(f"{len(SWEPT) * len(BATCHES) * len(SEEDS)} runs of {SWEEP_STEPS} steps in "
      f"{time.perf_counter() - start:.0f} s; final test accuracy (%), mean (min-max) over seeds {SEEDS}:")
print("  batch  " + "".join(f"{b:<18d}" for b in BATCHES))
for method in SWEPT:
    print(f"  {method:6s} " + "".join(f"{stat(batch_sweep[method, b] * 100, '{:.1f}'):18s}"
                                     for b in BATCHES))

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for method in SWEPT:
    accs = np.array([batch_sweep[method, b] for b in BATCHES])
    ax.plot(BATCHES, accs.mean(axis=1), "o-", color=COLORS[method], label=method, lw=1.5, ms=4)
    if len(SEEDS) > 1:
        ax.fill_between(BATCHES, accs.min(axis=1), accs.max(axis=1), color=COLORS[method],
                        alpha=0.15, lw=0)
ax.set_xscale("log", base=2)
ax.set_xticks(BATCHES, [str(b) for b in BATCHES])
ax.minorticks_off()
ax.set(xlabel="batch size (log scale)",
       ylabel="final test accuracy (eval mode)",
       title=f"{SWEEP_STEPS} steps at each batch size, lr 0.05 * sqrt(batch / 32) ({band})")
ax.legend(loc="lower right")
save_plot(fig, "batch_sweep")

small, large = BATCHES[0], BATCHES[-1]
drops = {m: batch_sweep[m, large] - batch_sweep[m, small] for m in SWEPT}    # per seed
say(f"-> from batch {large} to {small}, the test accuracy drops by " + ", ".join(
    f"{m} {np.mean(drops[m]):.1%}" for m in SWEPT) + " (mean over seeds). Best at batch "
    f"{small}: " + ", ".join(f"seed {s} {max(SWEPT, key=lambda m: batch_sweep[m, small][i])}"
                             for i, s in enumerate(SEEDS)) + ".")
check(f"BN's test accuracy drops the most of the four from batch {large} to batch {small}, "
      f"on every seed",
      all(drops["BN"][i] > max(drops[m][i] for m in SWEPT if m != "BN") for i in range(len(SEEDS))))
check(f"BN has the lowest test accuracy of the four at batch {small}, on every seed",
      all(batch_sweep["BN", small][i] < min(batch_sweep[m, small][i] for m in SWEPT if m != "BN")
          for i in range(len(SEEDS))))
check(f"GN+WS has the highest test accuracy of the four at batch {small}, on every seed",
      all(batch_sweep["GN+WS", small][i] > max(batch_sweep[m, small][i] for m in SWEPT
                                               if m != "GN+WS") for i in range(len(SEEDS))))
print("\nNext: lesson 11 is an index of the seeds' 31 mistakes and where each is corrected; "
      "lesson 12 differentiates twice.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Re-estimate BatchNorm's running statistics after training** (about 20 min). Micro-batch
#    training leaves BatchNorm's running statistics noisy: re-estimate them on many batches as a
#    plain average (momentum=None), leaving the weights alone, then evaluate with them.
#    File: tutorials/exercises/precise_bn.py. Grade it:
#        minigrad check tutorials/exercises/precise_bn.py --exercise precise_bn
#    Worked solution: tutorials/solutions/precise_bn.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Why does the lesson measure test accuracy in eval mode? What would go wrong in training
#    mode?
# 2. How much noisier is a BatchNorm's batch mean at batch 2 than at batch 32 (variance and
#    standard deviation)?
# Worked answers, each checked in code: tutorials/answers/10_training_experiment.py (run it with python).
