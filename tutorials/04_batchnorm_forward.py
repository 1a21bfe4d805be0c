"""Lesson 4: BatchNorm, forward. Training mode, eval mode and the running statistics.

What you will learn
  * what BatchNorm computes while training: for each channel, the mean and the BIASED variance
    over the batch axis (and the spatial axes), then y = weight * (x - mean) / sqrt(var + eps) + bias.
    The last step, a scale and a shift per channel, is called the "affine" part (an affine map is
    a linear map plus a constant). The papers write weight as gamma and bias as beta: gamma IS
    weight and beta IS bias, in every lesson;
  * how the layer keeps running estimates for later, and PyTorch's momentum convention (here
    "momentum" is the rate at which a running estimate moves towards the newest batch; it has
    nothing to do with SGD's momentum of lesson 3)
        running <- (1 - momentum) * running + momentum * batch_statistic      (momentum = 0.1)
    against the Keras / CS231n convention (momentum = 0.9 or 0.99 weighs the OLD value), which a
    seed blog post mixes up;
  * why the running variance is updated with the UNBIASED batch variance, while the forward pass
    divides by the biased one;
  * momentum=None (a plain average of all batches), eval mode, and why in eval mode one sample's
    output no longer depends on the other samples of its batch.

Run it:  python tutorials/04_batchnorm_forward.py --out DIR   (--fast: fewer simulated batches)
Figure:  running_statistics.png (the running mean and variance batch after batch).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers

from _lesson import setup, section, check, save_plot

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(4)

# %% [markdown]
# ## 1. One batch, by hand and by the layer
# A batch of N = 4 examples with C = 3 features ("channels"), each feature on its own scale.
# BatchNorm1d reduces over axis 0 (the batch): one mean and one variance PER FEATURE, from the
# N values in that column. The variance is the biased one, (1/N) * sum (x - mean)^2, because the
# layer standardizes exactly these N numbers: it is not estimating anything yet.

# %%
section("1. One batch, by hand and by the layer")
x = rng.normal(loc=[0.0, 5.0, -2.0], scale=[1.0, 3.0, 0.5], size=(4, 3))
eps = 1e-5
print("x =\n", x)

mean = x.mean(axis=0)                       # (C,) one per feature
var = x.var(axis=0)                         # biased: divides by N
y_by_hand = (x - mean) / np.sqrt(var + eps)  # weight = 1, bias = 0 at initialisation

bn = layers.BatchNorm1d(3)                  # a fresh layer is in training mode
y = bn(mg.tensor(x)).data
print("batch mean per feature:", mean)
print("batch variance (biased):", var)
print("y =\n", y)
check("the layer computes (x - mean) / sqrt(var + eps) per feature",
      np.abs(y - y_by_hand).max() < 1e-12, f"max diff {np.abs(y - y_by_hand).max():.1e}")
check("each output feature has mean 0 over the batch", np.abs(y.mean(axis=0)).max() < 1e-12)
check("each output feature has biased variance var/(var+eps), just under 1",
      np.allclose(y.var(axis=0), var / (var + eps), atol=1e-12),
      "1 - variance = " + "  ".join(f"{v:.1e}" for v in 1 - y.var(axis=0)))

y_unbiased = (x - mean) / np.sqrt(x.var(axis=0, ddof=1) + eps)
check("dividing by the unbiased variance instead would give a different output",
      np.abs(y - y_unbiased).max() > 0.1, f"max diff {np.abs(y - y_unbiased).max():.3f}")

# %% [markdown]
# ## 2. Images: the statistics also pool the spatial axes
# For an image batch (N, C, H, W), BatchNorm2d keeps one mean and variance per channel, taken over
# the axes (0, 2, 3): every pixel of every image in that channel, m = N*H*W values. A feature map
# is treated as many samples of the same feature, because a convolution applies the same filter at
# every position.

# %%
section("2. Images: statistics over (N, H, W) per channel")
images = rng.normal(size=(2, 3, 4, 5)) * np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
bn2 = layers.BatchNorm2d(3)
out = bn2(mg.tensor(images)).data
channel_mean = images.mean(axis=(0, 2, 3), keepdims=True)    # shape (1, 3, 1, 1)
channel_var = images.var(axis=(0, 2, 3), keepdims=True)
print(f"input {images.shape}: {channel_mean.size} means, each over m = 2*4*5 = 40 values")
check("BatchNorm2d normalises each channel over the axes (0, 2, 3)",
      np.abs(out - (images - channel_mean) / np.sqrt(channel_var + eps)).max() < 1e-12)

# %% [markdown]
# ## 3. The running estimates: PyTorch's convention
# At test time there may be a single example, so "the batch mean" is not available. While
# training, the layer therefore keeps exponential moving averages in two buffers (not parameters:
# no gradient reaches them). PyTorch writes, with momentum = 0.1,
#
#     running_mean <- (1 - momentum) * running_mean + momentum * batch_mean
#     running_var  <- (1 - momentum) * running_var  + momentum * batch_var_unbiased
#
# so each new batch contributes 10 %. The buffers start at running_mean = 0 and running_var = 1.
# The unbiased batch variance is sum (x - mean)^2 / (m - 1); section 5 says why.

# %%
section("3. After one training step")
print("running_mean:", bn.running_mean.data, "  running_var:", bn.running_var.data,
      "  num_batches_tracked:", int(bn.num_batches_tracked.data))
expected_mean = 0.9 * 0.0 + 0.1 * mean
expected_var = 0.9 * 1.0 + 0.1 * x.var(axis=0, ddof=1)
check("running_mean = 0.9 * 0 + 0.1 * batch mean", np.allclose(bn.running_mean.data, expected_mean))
check("running_var = 0.9 * 1 + 0.1 * UNBIASED batch variance",
      np.allclose(bn.running_var.data, expected_var))
check("and not 0.9 * 1 + 0.1 * the biased variance",
      not np.allclose(bn.running_var.data, 0.9 + 0.1 * var))
check("the buffers are outside the graph (no grad_fn)", bn.running_mean.grad_fn is None)

# %% [markdown]
# ## 4. Two conventions for the same idea
# Keras, TensorFlow and the CS231n assignments write the average the other way round:
#
#     running <- momentum * running + (1 - momentum) * batch_statistic     (Keras default 0.99)
#
# Here "momentum" is the weight of the OLD value, so Keras' 0.9 is PyTorch's 0.1: the same rule.
# A seed post (000) writes the Keras formula but keeps PyTorch's value 0.1, so each new batch gets
# 90 % of the weight and the "running" mean is little more than the last batch mean. Another seed
# (003) swaps the two factors the same way. Let us run both rules on the batch of section 1.

# %%
section("4. PyTorch's momentum vs the seed's formula")
seed_momentum = 0.1                                          # the seed keeps PyTorch's default
seed_running_mean = seed_momentum * 0.0 + (1 - seed_momentum) * mean
keras_running_mean = 0.9 * 0.0 + (1 - 0.9) * mean            # Keras formula with Keras' value
print("PyTorch rule, momentum 0.1:        ", bn.running_mean.data)
print("Keras rule, momentum 0.9:          ", keras_running_mean)
print("seed: Keras rule with momentum 0.1:", seed_running_mean)
check("the Keras rule with momentum 0.9 is PyTorch's rule with momentum 0.1",
      np.allclose(keras_running_mean, bn.running_mean.data))
check("the seed's formula gives a different running mean than PyTorch's (9x larger here)",
      not np.allclose(seed_running_mean, bn.running_mean.data)
      and np.allclose(seed_running_mean, 9 * bn.running_mean.data))

# %% [markdown]
# ## 5. Why the running variance is unbiased
# The biased variance of m samples underestimates the variance of the distribution they come from:
# its expected value is (m - 1)/m * sigma^2. For the forward pass that is fine (we standardize the
# batch we have), but the running variance is meant to ESTIMATE sigma^2 for test time, and an
# average of biased batch variances converges to (m - 1)/m * sigma^2: at m = 4 it is 25 % too
# small, at a micro-batch (a batch of only a few samples, as when big images leave room
# for one or two per step) of m = 2 it is half. Multiplying by m/(m - 1) (Bessel's correction,
# also in the BN paper's Algorithm 2) removes the bias.
#
# Experiment: features with true mean 3 and variance 4, batches of m = 4, many training steps.
# momentum=None gives a plain average of all batches (next section), so we can see the limit.

# %%
section("5. The unbiased running variance, by simulation")
true_mean, true_var, m, features = 3.0, 4.0, 4, 8
steps = 500 if args.fast else 2000
torch_style = layers.BatchNorm1d(features)                    # momentum 0.1
cumulative = layers.BatchNorm1d(features, momentum=None)      # average of all batches
seed_mean, biased_average = np.zeros(features), np.zeros(features)
history = {k: [] for k in ("torch_mean", "seed_mean", "cum_var", "biased_var", "batch_mean")}
for step in range(1, steps + 1):
    batch = rng.normal(true_mean, np.sqrt(true_var), size=(m, features))
    torch_style(mg.tensor(batch))
    cumulative(mg.tensor(batch))
    seed_mean = 0.1 * seed_mean + 0.9 * batch.mean(axis=0)                # the seed's rule
    biased_average += (batch.var(axis=0) - biased_average) / step          # average of biased vars
    history["torch_mean"].append(torch_style.running_mean.data[0])
    history["seed_mean"].append(seed_mean[0])
    history["batch_mean"].append(batch.mean(axis=0)[0])
    history["cum_var"].append(cumulative.running_var.data.mean())
    history["biased_var"].append(biased_average.mean())

print(f"after {steps} batches of m = {m}, averaged over {features} features:")
print(f"  average of the unbiased batch variances (the layer, momentum=None): "
      f"{cumulative.running_var.data.mean():.3f}")
print(f"  average of the biased batch variances:                             "
      f"{biased_average.mean():.3f}   ((m-1)/m * 4 = {(m - 1) / m * true_var:.3f})")
check("the unbiased running variance converges to the true variance 4",
      abs(cumulative.running_var.data.mean() - true_var) < 0.2)
check("an average of biased variances converges to (m-1)/m * 4 = 3 instead",
      abs(biased_average.mean() - (m - 1) / m * true_var) < 0.15)
spread = lambda h: np.std(h[len(h) // 2:])
print(f"fluctuation of the running mean in the second half: PyTorch rule "
      f"{spread(history['torch_mean']):.3f}, seed's rule {spread(history['seed_mean']):.3f}, "
      f"single batch means {spread(history['batch_mean']):.3f}")
check("the seed's rule tracks the last batch: its running mean fluctuates several times more",
      spread(history["seed_mean"]) > 2 * spread(history["torch_mean"]))

fig, (ax_mean, ax_var) = plt.subplots(1, 2, figsize=(11, 3.8))
shown = np.arange(1, min(steps, 300) + 1)
ax_mean.plot(shown, history["batch_mean"][:len(shown)], color="0.8", lw=0.8, label="batch mean")
ax_mean.plot(shown, history["seed_mean"][:len(shown)], color="tab:red", lw=1,
             label="seed: 0.1*old + 0.9*new")
ax_mean.plot(shown, history["torch_mean"][:len(shown)], color="tab:blue", lw=2,
             label="PyTorch: 0.9*old + 0.1*new")
ax_mean.axhline(true_mean, color="k", ls="--", lw=1, label="true mean 3")
ax_mean.set(title="running_mean of feature 0", xlabel="training step (batches of 4)",
            ylabel="running mean")
ax_mean.set_ylim(top=ax_mean.get_ylim()[1] + 1.5)       # room for the legend above the curves
ax_mean.legend(fontsize=8, loc="upper right", ncol=2)
every = np.arange(1, steps + 1)
ax_var.plot(every, history["cum_var"], color="tab:blue", lw=2,
            label="average of unbiased batch variances (PyTorch)")
ax_var.plot(every, history["biased_var"], color="tab:orange", lw=2,
            label="average of biased batch variances")
ax_var.axhline(true_var, color="k", ls="--", lw=1, label="true variance 4")
ax_var.axhline((m - 1) / m * true_var, color="tab:orange", ls=":", lw=1, label="(m-1)/m * 4 = 3")
ax_var.set(title="running_var (momentum=None, mean of 8 features)", xlabel="training step",
           ylabel="running variance", xscale="log",
           ylim=(min(1.5, min(history["biased_var"]) - 0.2), 5.6))
ax_var.legend(fontsize=8, loc="upper right")
fig.suptitle("BatchNorm's running statistics, batch after batch (m = 4)", y=1.03)
save_plot(fig, "running_statistics")

# %% [markdown]
# ## 6. momentum=None: a cumulative average
# With momentum=None the factor is 1/k at the k-th batch, so the buffers hold the plain average of
# all batch means and of all unbiased batch variances seen so far. The initial 0 and 1 are
# discarded at the first step (factor 1/1 = 1).

# %%
section("6. momentum=None")
cma = layers.BatchNorm1d(2, momentum=None)
batches = [rng.normal(size=(5, 2)) for _ in range(3)]
for b in batches:
    cma(mg.tensor(b))
check("running_mean is the average of the 3 batch means",
      np.allclose(cma.running_mean.data, np.mean([b.mean(axis=0) for b in batches], axis=0)))
check("running_var is the average of the 3 unbiased batch variances",
      np.allclose(cma.running_var.data, np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0)))

# %% [markdown]
# ## 7. Eval mode
# `bn.eval()` switches to the running estimates:
#     y = weight * (x - running_mean) / sqrt(running_var + eps) + bias
# Nothing is averaged over the batch any more, so each example is transformed on its own. In
# training mode, by contrast, every output depends on every example in the batch through the
# batch statistics. A fresh layer in eval mode (running_mean 0, running_var 1) returns
# x / sqrt(1 + eps), almost the input.

# %%
section("7. Train vs eval")
x2 = x.copy()
x2[1] += 10.0                                  # change example 1 only
bn.train()
changed_in_train = np.abs(bn(mg.tensor(x2)).data[0] - bn(mg.tensor(x)).data[0]).max()
bn.eval()
y_eval = bn(mg.tensor(x)).data
changed_in_eval = np.abs(bn(mg.tensor(x2)).data[0] - y_eval[0]).max()
print(f"change in example 0's output when example 1 changes: train {changed_in_train:.3f}, "
      f"eval {changed_in_eval:.1e}")
check("in training, example 0's output depends on example 1", changed_in_train > 0.01)
check("in eval mode it does not", changed_in_eval == 0.0)
check("eval mode uses the buffers: (x - running_mean) / sqrt(running_var + eps)",
      np.allclose(y_eval, (x - bn.running_mean.data) / np.sqrt(bn.running_var.data + eps)))
fresh = layers.BatchNorm1d(3).eval()
check("a fresh layer in eval mode returns x / sqrt(1 + eps)",
      np.allclose(fresh(mg.tensor(x)).data, x / np.sqrt(1 + eps), rtol=0, atol=1e-14))

# %% [markdown]
# ## 8. A batch of one
# With one value per channel the batch variance is 0 (and the unbiased one is 0/0), so training
# on it is meaningless. Like PyTorch, the layer refuses. (1, C, L) with L > 1 is fine: each channel
# still has L values.

# %%
section("8. A batch of one value per channel")
try:
    layers.BatchNorm1d(3)(mg.tensor(rng.normal(size=(1, 3))))
    refused = False
except ValueError as err:
    refused = True
    print("ValueError:", err)
check("training on one value per channel raises ValueError", refused)
check("(1, C, L) with L = 4 is accepted",
      layers.BatchNorm1d(3)(mg.tensor(rng.normal(size=(1, 3, 4)))).shape == (1, 3, 4))

# %% [markdown]
# ## Summary
# * Training: per-channel statistics over every axis except 1; the biased variance normalizes.
# * Running estimates: (1 - momentum) * old + momentum * new with momentum = 0.1 (PyTorch);
#   Keras' momentum is one minus that. The running variance uses the unbiased batch variance,
#   because it estimates the population variance; a biased average is (m - 1)/m too small.
# * Eval: the buffers replace the batch statistics, and the examples become independent.

# %%
print("\nNext: lesson 5 derives the gradient of the training-mode forward by hand"
      " and checks it four ways.")

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Fold an eval-mode BatchNorm1d into the Linear layer before it: what weight and bias make one
#    Linear layer compute the same thing? Why can't you fold it in training mode?
# 2. What does BatchNorm do with gamma frozen at 1 and beta at 0: what are the mean and variance
#    of each output feature over a training batch, and what does the network lose?
# Worked answers, each checked in code: tutorials/answers/04_batchnorm_forward.py (run it with python).
