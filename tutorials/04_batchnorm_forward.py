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
    output no longer depends on the other samples of its batch;
  * the seeds' sixteen mistakes about all this, run and corrected in section 9: the momentum
    rule inverted (E3, E22, E27), biased running variances (E4, E23, E29), running_var starting
    at 0 (E28), seed code that breaks in eval mode or in the graph (E5, E6), a claimed agreement
    with PyTorch (E24), "BN makes data Gaussian" (E15), gamma as a variance (E16), what undoes
    BN (E17, E26), parameter shapes and initial values (E25, E30); and, in words, why BN
    helps: not internal covariate shift (E1, E18).

Time: about 40 minutes to read and run, plus about 20 for the exercise.
Assumes: lesson 3 (a network, its training step and what eval mode is for).
Ends with: exercise batchnorm_running (exercises/batchnorm_running.py), graded by `minigrad
  check`; then 2 questions, worked answers in answers/04_batchnorm_forward.py.

Run it:  python tutorials/04_batchnorm_forward.py --out DIR   (--fast: fewer simulated batches)
Figures: running_statistics.png (the running mean and variance batch after batch),
         bn_not_gaussian.png (E15: BatchNorm standardises, it does not make data Gaussian).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers

from _lesson import setup, section, check, check_pytorch, save_plot, seed_mistake, recorded_operations

try:                        # PyTorch is optional: its claims are also checked against it
    import torch
except ImportError:
    torch = None


def pytorch_run(layer, x):
    """Run a PyTorch layer in float64 on the array x (its buffers update); return the output."""
    with torch.no_grad():
        return layer.double()(torch.tensor(x)).numpy()


def pytorch_trained(make_layer, batches):
    """A PyTorch layer, make_layer(torch), after a training step on each array in batches;
    None when PyTorch is not installed."""
    if torch is None:
        return None
    layer = make_layer(torch)
    for batch in batches:
        pytorch_run(layer, batch)
    return layer

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
pytorch_bn1 = pytorch_trained(lambda torch: torch.nn.BatchNorm1d(3), [x])
check_pytorch("PyTorch's BatchNorm1d, after the same batch, holds 0.9 * 0 + 0.1 * batch mean and "
              "0.9 * 1 + 0.1 * UNBIASED batch variance", torch,
              lambda torch: np.allclose(pytorch_bn1.running_mean.numpy(), expected_mean)
              and np.allclose(pytorch_bn1.running_var.numpy(), expected_var)
              and int(pytorch_bn1.num_batches_tracked) == 1)

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
check_pytorch("PyTorch's running mean is the Keras rule's with 0.9, not the seed's", torch,
              lambda torch: np.allclose(pytorch_bn1.running_mean.numpy(), keras_running_mean)
              and not np.allclose(pytorch_bn1.running_mean.numpy(), seed_running_mean))

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
seen = []                                                     # the batches, for PyTorch below
for step in range(1, steps + 1):
    batch = rng.normal(true_mean, np.sqrt(true_var), size=(m, features))
    seen.append(batch)
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
pytorch_style = pytorch_trained(lambda torch: torch.nn.BatchNorm1d(features), seen)
pytorch_cumulative = pytorch_trained(lambda torch: torch.nn.BatchNorm1d(features, momentum=None), seen)
check_pytorch("PyTorch, fed the same batches, ends with the same running mean (momentum 0.1) and, "
              "with momentum=None, the average of the unbiased batch variances", torch,
              lambda torch: np.allclose(pytorch_style.running_mean.numpy(), torch_style.running_mean.data)
              and np.allclose(pytorch_cumulative.running_var.numpy(),
                              np.mean([b.var(axis=0, ddof=1) for b in seen], axis=0)))
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
pytorch_cma = pytorch_trained(lambda torch: torch.nn.BatchNorm1d(2, momentum=None), batches)
check_pytorch("PyTorch's momentum=None keeps the same two averages", torch,
              lambda torch: np.allclose(pytorch_cma.running_mean.numpy(),
                                        np.mean([b.mean(axis=0) for b in batches], axis=0))
              and np.allclose(pytorch_cma.running_var.numpy(),
                              np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0)))

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


def pytorch_refuses_one_value(torch):
    try:
        torch.nn.BatchNorm1d(3)(torch.randn(1, 3))
    except ValueError as err:
        print("PyTorch's ValueError:", err)
        return tuple(torch.nn.BatchNorm1d(3)(torch.randn(1, 3, 4)).shape) == (1, 3, 4)
    return False


check_pytorch("PyTorch refuses (1, C) with a ValueError too, and accepts (1, C, L)", torch,
              pytorch_refuses_one_value)

# %% [markdown]
# ## 9. The seeds' mistakes about BatchNorm's forward
# The project started from five blog posts about normalization (the "seeds"); lesson 11 indexes
# their 31 mistakes, E1-E31, and where each is corrected. Sixteen are about what this lesson
# teaches. Each is quoted (with a translation), corrected, and, where it is numeric, run: the
# seeds' code transcribed next to the layer, and every claim about PyTorch checked against
# PyTorch itself when it is installed. First the running statistics; seed 000's class, transcribed
# from PyTorch to minigrad line by line, keeping its logic:

# %%
section("9. The seeds' mistakes about BatchNorm's forward")


class Seed000BatchNorm:
    """Seed 000's BatchNorm2d, transcribed: its formulas and shapes, minigrad instead of torch."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = mg.ones(num_features), mg.zeros(num_features)
        self.running_mean, self.running_var = mg.zeros(num_features), mg.ones(num_features)

    def __call__(self, x):
        if self.training:
            mean = x.mean(axis=(0, 2, 3), keepdims=True)
            var = x.var(axis=(0, 2, 3), keepdims=True)                  # unbiased=False
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean.squeeze()
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var.squeeze()
        else:
            mean, var = self.running_mean, self.running_var
        x_normalized = (x - mean) / mg.sqrt(var + self.eps)
        return self.gamma.reshape(1, -1, 1, 1) * x_normalized + self.beta.reshape(1, -1, 1, 1)


batch = rng.normal(loc=3.0, size=(4, 3, 2, 2))
seed_bn, our_bn = Seed000BatchNorm(3), layers.BatchNorm2d(3)
seed_bn(mg.tensor(batch))
our_bn(mg.tensor(batch))
pytorch_bn = torch.nn.BatchNorm2d(3) if torch else None
if torch:
    pytorch_run(pytorch_bn, batch)
seed_mistake("E3", "000", "self.momentum * self.running_mean + (1 - self.momentum) * mean.squeeze()",
             "the running mean keeps 'momentum' (0.1) of the old value and takes 0.9 of the batch",
             "PyTorch's rule is (1 - momentum) * running + momentum * batch: each batch gets 10 % "
             "(section 4: the seed wrote the Keras formula with PyTorch's value)")
print("after one batch: seed running_mean", seed_bn.running_mean.data,
      "  minigrad", our_bn.running_mean.data)
check("E3: the seed's running mean is 9 times the layer's after one batch",
      np.allclose(seed_bn.running_mean.data, 9 * our_bn.running_mean.data))
check_pytorch("E3: PyTorch's BatchNorm2d keeps the layer's running mean, not the seed's", torch,
              lambda torch: np.allclose(pytorch_bn.running_mean.numpy(), our_bn.running_mean.data))
seed_mistake("E27", "004", "移动平均均值 = momentum × 移动平均均值 + (1 − momentum) × 当前批次均值 … 0.9",
             "running = momentum * running + (1 - momentum) * batch, with momentum near 1 (0.9)",
             "that is the Keras / TensorFlow / CS231n convention (section 4); PyTorch's momentum "
             "is one minus it, default 0.1: the same number means opposite things")
check_pytorch("E27: PyTorch's default momentum is 0.1, the weight of the NEW batch", torch,
              lambda torch: torch.nn.BatchNorm1d(3).momentum == 0.1)
seed_mistake("E4", "000", "var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)",
             "the running variance is updated with the biased batch variance",
             "the forward pass divides by the biased variance, but the running variance stores "
             "the UNBIASED one, times m/(m-1) with m = N*H*W (section 5)")
m_batch = batch.size // 3
biased = batch.var(axis=(0, 2, 3))
check("E4: the running_var holds 0.9 + 0.1 * biased * m/(m-1); the seed's biased update "
      "differs even with its momentum fixed",
      np.allclose(our_bn.running_var.data, 0.9 + 0.1 * biased * m_batch / (m_batch - 1))
      and not np.allclose(0.9 + 0.1 * biased, our_bn.running_var.data))
check_pytorch("E4: PyTorch's running_var is the layer's (unbiased) one", torch,
              lambda torch: np.allclose(pytorch_bn.running_var.numpy(), our_bn.running_var.data))
seed_mistake("E29", "004", "移动平均方差 = momentum × 移动平均方差 + (1 − momentum) × 当前批次方差",
             "the running variance averages the batch variances of step 2, (1/m) sum (x - mu)^2",
             "an average of biased variances converges to (m-1)/m of the true variance: section "
             "5 measured it, and at m = 2 it is half")
check("E29: section 5's average of biased variances is near 3 = (m-1)/m * 4, the unbiased one near 4",
      abs(biased_average.mean() - 3) < 0.15 and abs(cumulative.running_var.data.mean() - 4) < 0.2,
      f"{biased_average.mean():.3f} and {cumulative.running_var.data.mean():.3f}")
seed_mistake("E28", "004", "初始化移动平均均值和方差为零或其他初始值",
             "initialise the running mean and variance to zero or some other value",
             "running_var starts at 1. At 0, early eval divides by sqrt(eps): outputs 316 times "
             "too large (nnabla changed its default to 1 for that reason, PR #294)")
probe = rng.normal(loc=2.0, scale=3.0, size=(8, 3))
zero_init = layers.BatchNorm1d(3).eval()
zero_init.running_var.data[...] = 0.0
ratio = zero_init(mg.tensor(probe)).data / layers.BatchNorm1d(3).eval()(mg.tensor(probe)).data
check("E28: with running_var = 0 the eval output is sqrt((1 + eps)/eps) ~ 316 times larger",
      np.allclose(ratio, np.sqrt((1 + eps) / eps)), f"ratio {ratio.mean():.1f}")
check_pytorch("E28: PyTorch starts running_var at 1 and running_mean at 0", torch,
              lambda torch: bool((torch.nn.BatchNorm1d(3).running_var == 1).all()
                                 and (torch.nn.BatchNorm1d(3).running_mean == 0).all()))

# %% [markdown]
# Seed 000's class has two more bugs, in eval mode and in the graph, and seed 003 writes a NumPy
# BatchNorm "that agrees with PyTorch" (transcribed below) and tests it on a 3 x 2 batch.

# %%
seed_mistake("E5", "000", "mean = self.running_mean … (x - mean) / torch.sqrt(var + self.eps)",
             "in eval mode, a (C,) running mean is subtracted from an (N, C, H, W) input",
             "broadcasting aligns trailing axes (lesson 2), so (C,) meets W, not C: an error when "
             "W != C, silently wrong when W == C. It needs the shape (1, C, 1, 1)")
seed_bn.training = False
try:
    seed_bn(mg.tensor(rng.normal(size=(2, 3, 4, 4))))             # C = 3, W = 4
    failed = False
except ValueError as err:
    failed = True
    print("  W != C:", str(err)[:90], "...")
square = rng.normal(size=(2, 3, 5, 3))                             # C = 3 = W
our_bn.eval()
silently = np.abs(seed_bn(mg.tensor(square)).data - our_bn(mg.tensor(square)).data).max()
check("E5: with W != C the seed's eval mode raises; with W == C it runs and is wrong",
      failed and silently > 0.1, f"max difference {silently:.2f}")
if torch:
    pytorch_bn.eval()
check_pytorch("E5: PyTorch's eval output is the layer's, not the seed's", torch,
              lambda torch: np.allclose(pytorch_run(pytorch_bn, square), our_bn(mg.tensor(square)).data))
seed_mistake("E6", "000", "self.running_mean = self.momentum * self.running_mean + …",
             "the buffer is reassigned from an expression of the input, which is in the graph",
             "the running mean then has a grad_fn, and each step's graph stays chained to the "
             "previous ones. Buffers are updated in place, outside the graph")
seed_bn, history = Seed000BatchNorm(3), []
for step in range(3):
    seed_bn(mg.tensor(rng.normal(size=(4, 3, 2, 2)), requires_grad=True))
    history.append(len(recorded_operations(seed_bn.running_mean)))
print("  operations recorded behind the seed's running_mean after 1, 2, 3 steps:", history)
check("E6: the seed's buffer has a grad_fn and its history grows every step; the layer's has none",
      seed_bn.running_mean.grad_fn is not None and history[0] < history[1] < history[2]
      and our_bn.running_mean.grad_fn is None and not our_bn.running_mean.requires_grad)


def pytorch_buffer_has_no_history(torch):
    layer = torch.nn.BatchNorm2d(3)
    layer(torch.randn(4, 3, 2, 2, requires_grad=True)).sum().backward()
    return layer.running_mean.grad_fn is None and not layer.running_mean.requires_grad


check_pytorch("E6: PyTorch's buffer has no history after a training step either", torch,
              pytorch_buffer_has_no_history)


class Seed003MyBN:
    """Seed 003's MyBN, transcribed (NumPy, as in the seed)."""

    def __init__(self, momentum, eps, num_features):
        self._running_mean, self._running_var = 0, 1
        self._momentum, self._eps = momentum, eps
        self._beta, self._gamma = np.zeros(num_features), np.ones(num_features)

    def batch_norm(self, x):
        x_mean, x_var = x.mean(axis=0), x.var(axis=0)
        self._running_mean = (1 - self._momentum) * x_mean + self._momentum * self._running_mean
        self._running_var = (1 - self._momentum) * x_var + self._momentum * self._running_var
        x_hat = (x - x_mean) / np.sqrt(x_var + self._eps)
        return self._gamma * x_hat + self._beta


data = np.array([[1, 2], [1, 3], [1, 4]], dtype=np.float64)
my_bn = Seed003MyBN(momentum=0.01, eps=0.001, num_features=2)
seed_out = my_bn.batch_norm(data)
ours_003 = layers.BatchNorm1d(2)                           # PyTorch's defaults: 0.1 and 1e-5
ours_out = ours_003(mg.tensor(data)).data
pytorch_003 = torch.nn.BatchNorm1d(2) if torch else None
pytorch_out = pytorch_run(pytorch_003, data) if torch else None
print("\nseed 003: running_mean", my_bn._running_mean, " running_var", my_bn._running_var)
print("minigrad: running_mean", ours_003.running_mean.data, " running_var", ours_003.running_var.data)
seed_mistake("E22", "003", "(1-self._momentum)*x_mean + self._momentum*self._running_mean",
             "the running mean takes 1 - momentum of the batch mean",
             "inverted: PyTorch's momentum weighs the NEW value (as E3)")
seed_mistake("E23", "003", "x_var = x.var(axis=0)",
             "the running variance is fed np.var, whose default ddof=0 is biased",
             "the unbiased variance goes into the running estimate (as E4; the BN paper's "
             "Algorithm 2 has the m/(m-1) too)")
check("E22, E23: the seed's running statistics are [0.99, 2.97] and [0.01, 0.67]; the layer's "
      "[0.1, 0.3] and [0.9, 1.0]",
      np.allclose(my_bn._running_mean, [0.99, 2.97]) and np.allclose(my_bn._running_var, [0.01, 2 / 3 * 0.99 + 0.01])
      and np.allclose(ours_003.running_mean.data, [0.1, 0.3])
      and np.allclose(ours_003.running_var.data, [0.9, 1.0]))
check_pytorch("E22, E23: PyTorch's running statistics are [0.1, 0.3] and [0.9, 1.0]", torch,
              lambda torch: np.allclose(pytorch_003.running_mean.numpy(), [0.1, 0.3])
              and np.allclose(pytorch_003.running_var.numpy(), [0.9, 1.0]))
seed_mistake("E24", "003", "得到的结果和torch的结果一致", "the result agrees with PyTorch's",
             "it does not: eps 0.001 instead of 1e-5 moves the output by about 1e-3, and the "
             "running statistics disagree completely (E22, E23). The printed outputs, ±1.1526 "
             "(torch) and ±1.15176 (MyBN), do not come from the printed data either")
print(f"  second column, last row: minigrad {ours_out[2, 1]:.4f}, seed {seed_out[2, 1]:.4f}, "
      f"seed's printout 1.1526 / 1.1518")
check("E24: the data gives ±1.2247 (PyTorch's rule) and ±1.2238 (MyBN): about 1e-3 apart, "
      "neither the printed 1.15",
      np.isclose(ours_out[2, 1], 1.2247, atol=1e-4) and np.isclose(seed_out[2, 1], 1.2238, atol=1e-4)
      and abs(ours_out[2, 1] - 1.1526) > 0.05)
check_pytorch("E24: PyTorch's output on the seed's data is the layer's, ±1.2247", torch,
              lambda torch: np.allclose(pytorch_out, ours_out, atol=1e-12))
check_pytorch("E24: PyTorch's default eps is the layer's (1e-5), not the seed's 1e-3", torch,
              lambda torch: torch.nn.BatchNorm1d(2).eps == ours_003.eps != my_bn._eps)

# %% [markdown]
# Last, what BatchNorm does to the data, and what its two parameters can do. BN subtracts a mean
# and divides by a standard deviation: an affine map per channel, which fixes the first two
# moments and leaves the SHAPE of the distribution alone.

# %%
seed_mistake("E15", "002", "强行将数据转为均值为0,方差为1的正态分布",
             "BN forcibly turns the data into a normal distribution with mean 0 and variance 1",
             "BN standardises: mean 0 and variance 1, the same shape as before. Skewed data stays "
             "skewed; nothing becomes Gaussian (bn_not_gaussian.png)")
skewed = rng.exponential(size=(4000, 1))                          # one feature, skewness 2
normalised = layers.BatchNorm1d(1)(mg.tensor(skewed)).data


def skewness(v):
    v = v.ravel()
    return float(((v - v.mean()) ** 3).mean() / v.std() ** 3)


print(f"  skewness before {skewness(skewed):.3f}, after {skewness(normalised):.3f} (a Gaussian: 0)")
check("E15: the output has mean 0 and variance 1, and the input's skewness, far from 0",
      abs(normalised.mean()) < 1e-12 and abs(normalised.var() - 1) < 1e-4
      and abs(skewness(normalised) - skewness(skewed)) < 1e-9 and skewness(normalised) > 1.5)
fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(10, 3.6))
ax_in.hist(skewed.ravel(), bins=60, density=True, color="tab:gray")
ax_in.set(title=f"input: exponential (skewness {skewness(skewed):.2f})", xlabel="x",
          ylabel="density")
ax_out.hist(normalised.ravel(), bins=60, density=True, color="tab:blue", label="BatchNorm output")
grid = np.linspace(-3, 6, 200)
ax_out.plot(grid, np.exp(-grid ** 2 / 2) / np.sqrt(2 * np.pi), "k--", label="N(0, 1)")
ax_out.set(title=f"after BatchNorm: mean 0, variance 1, skewness {skewness(normalised):.2f}",
           xlabel="y", ylabel="density")
ax_out.legend(fontsize=8)
fig.suptitle("E15: BatchNorm standardises (two moments); it does not make data Gaussian", y=1.02)
save_plot(fig, "bn_not_gaussian")

seed_mistake("E16", "002", "均值为β,方差为γ", "after the affine step the mean is beta and the variance gamma",
             "y = gamma * x_hat + beta has mean beta and variance gamma^2: gamma is the output's "
             "standard deviation")
scaled_bn = layers.BatchNorm1d(1)
scaled_bn.weight.data[...], scaled_bn.bias.data[...] = 3.0, 1.0
scaled = scaled_bn(mg.tensor(rng.normal(size=(500, 1)))).data
check("E16: with gamma = 3, beta = 1 the output has mean 1 and variance 9, not 3",
      abs(scaled.var() - 9) < 1e-3 and abs(scaled.mean() - 1) < 1e-12,
      f"mean {scaled.mean():.4f}, variance {scaled.var():.4f}")
seed_mistake("E17", "002", "令γ=σ, β=μ 等价于没有添加BN层",
             "setting gamma = sigma and beta = mu is equivalent to having no BN layer",
             "it needs gamma = sqrt(sigma^2 + eps); and in training the statistics change with "
             "every batch, so no fixed gamma, beta undo them. It is exact only in eval mode, with "
             "gamma = sqrt(running_var + eps) and beta = running_mean")
seed_mistake("E26", "003", "identity transform,个人理解其目的是使得输出和输入相同",
             "the 'identity transform' means BN aims to make its output equal its input",
             "the BN paper says BN CAN REPRESENT the identity, so inserting it does not reduce what "
             "the network can express: a statement about capacity. At initialisation BN's output "
             "is not its input")
undo = layers.BatchNorm1d(3)
at_init = undo(mg.tensor(probe)).data
for _ in range(5):
    undo(mg.tensor(rng.normal(loc=2.0, scale=3.0, size=(8, 3))))
undo.eval()
undo.weight.data[...] = np.sqrt(undo.running_var.data + eps)
undo.bias.data[...] = undo.running_mean.data
exact = np.abs(undo(mg.tensor(probe)).data - probe).max()
undo.weight.data[...] = np.sqrt(undo.running_var.data)               # gamma = sigma, no eps
no_eps = np.abs(undo(mg.tensor(probe)).data - probe).max()
undo.train()
first, second = rng.normal(size=(8, 3)) * 3 + 2, rng.normal(size=(8, 3)) * 3 + 2
undo.weight.data[...], undo.bias.data[...] = np.sqrt(first.var(axis=0) + eps), first.mean(axis=0)
check("E26: at initialisation BN's output is not its input", np.abs(at_init - probe).max() > 1.0)
check("E17, E26: in eval, gamma = sqrt(running_var + eps), beta = running_mean give y = x; "
      "without eps only approximately", exact < 1e-12 and 1e-9 < no_eps < 1e-4,
      f"{exact:.0e} and {no_eps:.0e}")
check("E17: in training, parameters set from one batch undo BN on that batch only",
      np.abs(undo(mg.tensor(first)).data - first).max() < 1e-12
      and np.abs(undo(mg.tensor(second)).data - second).max() > 0.1)
seed_mistake("E25", "003", "pytorch中的BatchNorm中beta和gamma初始化并不是0和1",
             "in PyTorch's BatchNorm, beta and gamma are not initialised to 0 and 1",
             "outdated: gamma was drawn from U(0, 1) until PyTorch PR #12325 (2018, issue "
             "#12259); since then weight = 1 and bias = 0, and minigrad's layers follow")
seed_mistake("E30", "004", "γ和β … 其维度与正在被归一化的数据的维度相同",
             "gamma and beta have the same dimensions as the data being normalised",
             "one entry per feature or channel, (D,) or (C,), as the seed's next lines say")
bn20 = layers.BatchNorm1d(20)
check("E25, E30: a fresh BatchNorm1d(20) has weight 1 and bias 0, each of shape (20,)",
      bn20.weight.shape == bn20.bias.shape == (20,)
      and (bn20.weight.data == 1).all() and (bn20.bias.data == 0).all())
check_pytorch("E25, E30: so has PyTorch's", torch,
              lambda torch: tuple(torch.nn.BatchNorm1d(20).weight.shape) == (20,)
              and bool((torch.nn.BatchNorm1d(20).weight == 1).all()
                       and (torch.nn.BatchNorm1d(20).bias == 0).all()))

# %% [markdown]
# Two of the mistakes are about WHY BatchNorm helps, not about what it computes, and are stated
# here in words; lesson 17 (17_internal_covariate_shift.py) measures them by experiment.
# * **E1** (seed 000): "LayerNorm通过归一化每一层的输入…有效缓解了ICS问题" (LayerNorm, by
#   normalising each layer's input, effectively alleviates internal covariate shift). Reducing
#   internal covariate shift (ICS: the inputs of a layer changing as the layers below train) was
#   the BatchNorm paper's MOTIVATION, not a measured mechanism. Santurkar et al. (NeurIPS 2018,
#   "How does batch normalization help optimization?") added noise after BN that increased the
#   shift, and training still benefited; what BN measurably does is make the loss landscape
#   smoother (gradients more predictable).
# * **E18** (seed 002): "为了解决ICS问题 … (但是BN没有解决ISC问题)" (BN is there to solve ICS ...
#   (but BN did not solve the "ISC" problem)). The post contradicts itself, and "ISC" is a typo
#   for ICS; the second statement is the closer one (see E1).

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
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **BatchNorm's forward with running statistics, train and eval** (about 20 min). Write
#    BatchNorm's forward in training mode (batch statistics, and the running statistics' update)
#    and in eval mode, graded batch after batch against layers.BatchNorm1d.
#    File: tutorials/exercises/batchnorm_running.py. Grade it:
#        minigrad check tutorials/exercises/batchnorm_running.py --exercise batchnorm_running
#    Worked solution: tutorials/solutions/batchnorm_running.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Fold an eval-mode BatchNorm1d into the Linear layer before it: what weight and bias make one
#    Linear layer compute the same thing? Why can't you fold it in training mode?
# 2. What does BatchNorm do with gamma frozen at 1 and beta at 0: what are the mean and variance
#    of each output feature over a training batch, and what does the network lose?
# Worked answers, each checked in code: tutorials/answers/04_batchnorm_forward.py (run it with python).
