"""Lesson 11: thirty-one mistakes in five blog posts, each stated, tested and corrected.

The project started from five Chinese blog posts about normalization layers (the "seeds"; they
are not shipped with minigrad, so every mistake is quoted below with a translation). They explain
the ideas well, and they contain real mistakes: wrong formulas, code that crashes or silently
computes something else, conventions mixed up, claims stronger than the papers make. The
project's reference notes list 31 of them, E1-E31, checked against PyTorch and the papers.

What you will learn
  * for each mistake: what the seed says (quoted briefly, with a translation), why it is wrong, and
    what is right;
  * where the mistake is numeric, a demonstration: the seed's formula or code, transcribed, run
    next to minigrad's layers (which follow PyTorch), with every claim asserted;
  * a habit: a formula from a blog post is a hypothesis; run it against a reference before you
    trust it.

Seeds: 000 BatchNorm & LayerNorm (with code), 001 an overview of normalization layers,
002 BN vs LN, 003 a NumPy BatchNorm compared with PyTorch, 004 BN/LN formulas and an LN backward.

Run it:  python tutorials/11_seed_misconceptions.py --out DIR
Figure:  bn_not_gaussian.png (E15: BatchNorm standardises, it does not make data Gaussian).
"""
# %%
import textwrap

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers
from layers.functional import weight_standardize

from _lesson import setup, section, check, save_plot, recorded_operations

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(11)
eps = 1e-5

STATED, NUMERIC = {}, set()


def mistake(code, seed, quote, translation, correction):
    """Print one mistake: the seed's words, then the correction."""
    section(f"{code} (seed {seed})")
    print(f"The seed: \"{quote}\"")
    print(textwrap.fill(f"({translation})", 98, initial_indent="  ", subsequent_indent="   "))
    print(textwrap.fill("Correction: " + correction, 98, subsequent_indent="  "))
    STATED[code] = seed


def claim(code, text, condition, detail=None):
    """check(), recording that mistake `code` was demonstrated numerically."""
    NUMERIC.add(code)
    check(f"{code}: {text}", condition, detail)


# %% [markdown]
# ## Seed 000: "BatchNorm & LayerNorm"
# The post explains BN and LN and gives code for both (generated with a chatbot, it says). We
# transcribe its BatchNorm class from PyTorch to minigrad line by line, keeping its logic, and run
# it next to `layers.BatchNorm2d`.

# %%
class Seed000BatchNorm:
    """Seed 000's BatchNorm, transcribed: same formulas, same shapes, minigrad instead of torch."""

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


# %%
mistake("E1", "000", "LayerNorm通过归一化每一层的输入…有效缓解了ICS问题",
        "LayerNorm, by normalising each layer's input, effectively alleviates the internal "
        "covariate shift (ICS) problem",
        "reducing ICS was the motivation of the BatchNorm paper, not an established mechanism. "
        "Santurkar et al. (NeurIPS 2018, 'How does batch normalization help optimization?') "
        "trained networks with BN plus injected noise that increased the shift and saw the same "
        "benefit; what BN does measurably is make the loss landscape smoother (more predictable "
        "gradients). Not a numeric claim: stated here, not demonstrated.")

# %%
mistake("E2", "000", "当输入维度为 (N, H, W, C) 时 … x.mean(dim=(0, 2, 3))",
        "the text lays an image batch out as (N, H, W, C), the code reduces over dims (0, 2, 3)",
        "dims (0, 2, 3) are the batch and spatial axes only in the (N, C, H, W) layout. For "
        "(N, H, W, C) the per-channel statistics are over (0, 1, 2).")
nhwc = rng.normal(size=(2, 3, 4, 5)) + np.arange(5)          # (N, H, W, C) = (2, 3, 4, 5)
wrong = nhwc.mean(axis=(0, 2, 3))
right = nhwc.mean(axis=(0, 1, 2))
reference = layers.BatchNorm2d(5)(mg.tensor(nhwc.transpose(0, 3, 1, 2))).data.transpose(0, 2, 3, 1)
claim("E2", "dims (0, 2, 3) of an NHWC tensor give one mean per image ROW (3), not per channel (5)",
      wrong.shape == (3,) and right.shape == (5,))
claim("E2", "normalising over (0, 1, 2) matches BatchNorm2d applied to the NCHW transpose",
      np.allclose((nhwc - right) / np.sqrt(nhwc.var(axis=(0, 1, 2)) + eps), reference))

# %%
mistake("E3", "000", "self.momentum * self.running_mean + (1 - self.momentum) * mean.squeeze()",
        "the running mean keeps 'momentum' of the old value and takes 1 - momentum of the batch; "
        "with momentum = 0.1 that puts 90 % of the weight on the new batch",
        "PyTorch's rule is (1 - momentum) * running + momentum * batch: with momentum = 0.1 each "
        "new batch gets 10 %. The seed wrote the Keras formula with PyTorch's value (see E27).")
batch = rng.normal(loc=3.0, size=(4, 3, 2, 2))
seed_bn, our_bn = Seed000BatchNorm(3), layers.BatchNorm2d(3)
seed_bn(mg.tensor(batch))
our_bn(mg.tensor(batch))
print("after one batch: seed running_mean", seed_bn.running_mean.data,
      "  minigrad/PyTorch", our_bn.running_mean.data)
claim("E3", "the seed's running mean is 9 times PyTorch's after one batch (0.9 vs 0.1 of the mean)",
      np.allclose(seed_bn.running_mean.data, 9 * our_bn.running_mean.data))

# %%
mistake("E4", "000", "var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True) … "
        "(1 - self.momentum) * var.squeeze()",
        "the running variance is updated with the biased batch variance",
        "the forward pass normalises with the biased variance, but the running variance stores the "
        "UNBIASED one (times m/(m-1), m = N*H*W), because it estimates the population variance "
        "for eval (lesson 4, section 5).")
m = batch.size // 3
biased = batch.var(axis=(0, 2, 3))
seed_convention_fixed = 0.9 * 1.0 + 0.1 * biased        # even with E3 fixed, the variance is biased
claim("E4", "PyTorch's running_var uses the batch variance times m/(m-1)",
      np.allclose(our_bn.running_var.data, 0.9 + 0.1 * biased * m / (m - 1)))
claim("E4", "so the seed's biased update differs even after fixing the momentum",
      not np.allclose(seed_convention_fixed, our_bn.running_var.data))

# %%
mistake("E5", "000", "mean = self.running_mean … (x - mean) / torch.sqrt(var + self.eps)",
        "in eval mode, a (C,) running mean is subtracted from an (N, C, H, W) input",
        "broadcasting aligns trailing axes, so a (C,) vector is matched with W, not C. It fails "
        "when W != C and is silently wrong when W == C. It needs the shape (1, C, 1, 1).")
seed_bn.training = False
try:
    seed_bn(mg.tensor(rng.normal(size=(2, 3, 4, 4))))             # C = 3, W = 4
    failed = False
except ValueError as err:
    failed = True
    print("W != C:", err)
claim("E5", "with W != C the seed's eval mode raises an error", failed)
square = rng.normal(size=(2, 3, 5, 3))                             # C = 3 = W
our_bn.eval()
silently = np.abs(seed_bn(mg.tensor(square)).data - our_bn(mg.tensor(square)).data).max()
claim("E5", "with W == C it runs and gives a wrong answer", silently > 0.1,
      f"max difference {silently:.2f}")

# %%
mistake("E6", "000", "self.running_mean = self.momentum * self.running_mean + …",
        "the buffer is reassigned from an expression of the input tensor, which is part of the graph",
        "the new running mean then has a gradient history (grad_fn), and because it is computed "
        "from the previous one, every training step's graph stays chained to the buffer. PyTorch "
        "updates buffers in place, outside the graph (minigrad's layers too).")
seed_bn = Seed000BatchNorm(3)
history = []
for step in range(3):
    seed_bn(mg.tensor(rng.normal(size=(4, 3, 2, 2)), requires_grad=True))
    history.append(len(recorded_operations(seed_bn.running_mean)))
print("operations recorded behind the seed's running_mean after 1, 2, 3 steps:", history)
claim("E6", "the seed's buffer has a grad_fn, and its recorded history grows every step",
      seed_bn.running_mean.grad_fn is not None and history[0] < history[1] < history[2])
claim("E6", "the layer's buffer has no history",
      our_bn.running_mean.grad_fn is None and not our_bn.running_mean.requires_grad)

# %%
mistake("E7", "000", "缩放因子(gamma)和平移因子(beta):维度也为 (N,)",
        "for LayerNorm on (N, D), (N, H, W, C) and (N, S, D) inputs, gamma and beta have shapes "
        "(N,), (N,) and (N, S): one per sample",
        "a parameter cannot depend on the batch. LayerNorm's gamma and beta have the shape "
        "normalized_shape: (D,), (H, W, C) (or (C,) for a channel-only LN) and (D,). The seed's "
        "shapes for the STATISTICS, (N,), (N,) and (N, S), are right.")
tokens = rng.normal(size=(2, 5, 8))                                 # (N, S, D)
ln = layers.LayerNorm(8)
claim("E7", "LayerNorm(D)'s weight and bias have shape (D,)", ln.weight.shape == ln.bias.shape == (8,))
per_token_out = ln(mg.tensor(tokens)).data
claim("E7", "the statistics are per token, shape (N, S): each of the 2*5 tokens comes out with "
      "mean 0 and variance 1 over its D features",
      np.abs(per_token_out.mean(axis=-1)).max() < 1e-12
      and np.allclose(per_token_out.var(axis=-1), 1, atol=1e-3))
gamma_per_sample = mg.ones(8, 1)                  # the seed's "(N,)" gamma, made for N = 8 samples
try:
    gamma_per_sample * mg.tensor(rng.normal(size=(4, 6)))        # the next batch has N = 4
    broke = False
except ValueError as err:
    broke = True
    print("a per-sample gamma on the next batch:", err)
claim("E7", "a per-sample gamma made for a batch of 8 cannot even be applied to a batch of 4", broke)

# %%
mistake("E8", "000", "self.register_buffer('running_mean', …) … self.running_std",
        "the LayerNorm code keeps running statistics with momentum, and uses them in eval",
        "LayerNorm has no running statistics: every sample is normalised with its own, in "
        "training and in eval alike. The seed's code also crashes: mean.squeeze() has shape (N,) "
        "and the buffer (D,). When N == D it runs, training matches LayerNorm, eval does not.")


def seed000_layer_norm(x, buffers, training, momentum=0.1, eps=1e-5):
    """Seed 000's LayerNorm forward (gamma = 1, beta = 0), transcribed to NumPy."""
    if training:
        mean = x.mean(axis=-1, keepdims=True)
        std = x.std(axis=-1, keepdims=True)                          # unbiased=False
        buffers["mean"] = momentum * buffers["mean"] + (1 - momentum) * mean.squeeze()
        buffers["std"] = momentum * buffers["std"] + (1 - momentum) * std.squeeze()
    else:
        mean, std = buffers["mean"], buffers["std"]
    return (x - mean) / np.sqrt(std ** 2 + eps)


try:
    seed000_layer_norm(rng.normal(size=(4, 6)), {"mean": np.zeros(6), "std": np.ones(6)}, True)
    crashed = False
except ValueError as err:
    crashed = True
    print("(4, 6) input:", err)
claim("E8", "the seed's LayerNorm crashes on a (4, 6) input", crashed)
square = rng.normal(size=(6, 6))
buffers = {"mean": np.zeros(6), "std": np.ones(6)}
ours = layers.LayerNorm(6, elementwise_affine=False)(mg.tensor(square)).data
claim("E8", "with N == D = 6, its training output matches LayerNorm",
      np.allclose(seed000_layer_norm(square, buffers, True), ours))
claim("E8", "but its eval output does not (LayerNorm's eval equals its training output)",
      not np.allclose(seed000_layer_norm(square, buffers, False), ours))

# %%
mistake("E9", "000", "LayerNorm … 在 NLP 中使用的时候更像是 InstanceNorm",
        "LayerNorm in NLP is more like InstanceNorm (it normalises each token)",
        "only if a (N, S, D) batch is read as (N, C = S, L = D), treating tokens as channels. "
        "In PyTorch's (N, C, L) layout a sequence is (N, D, S), and InstanceNorm then normalises "
        "each FEATURE over time, which is not LayerNorm. The affine differs as well: LayerNorm's "
        "is per feature, InstanceNorm's per channel.")
ln_out = layers.LayerNorm(8, elementwise_affine=False)(mg.tensor(tokens)).data
as_channels = layers.InstanceNorm1d(5)(mg.tensor(tokens)).data      # tokens read as channels
conventional = layers.InstanceNorm1d(8)(mg.tensor(tokens.transpose(0, 2, 1))).data.transpose(0, 2, 1)
claim("E9", "InstanceNorm1d on (N, S, D) read as (N, C=S, L=D) equals LayerNorm(D) without affine",
      np.allclose(as_channels, ln_out))
claim("E9", "InstanceNorm1d on the usual (N, D, S) layout does not",
      not np.allclose(conventional, ln_out))

# %% [markdown]
# ## Seed 001: an overview of normalization layers
# A translated overview of BN, WN, LN, GN and WS, with a code sample for WS.

# %%
mistake("E10", "001", "std = weight.std(dim=(1,2,3) + 1e-5",
        "the Weight Standardization code computes the filter's standard deviation plus eps",
        "the line does not parse: the parenthesis is never closed. Closing it after 1e-5 gives a "
        "TypeError, since (1,2,3) + 1e-5 adds a float to a tuple. The intended line is "
        "weight.std(dim=(1,2,3), keepdim=True) + 1e-5: the UNBIASED std with eps OUTSIDE the "
        "root (the official README's variant; lesson 8 shows its constant-filter problem).")
try:
    compile("std = weight.std(dim=(1,2,3) + 1e-5", "<seed 001>", "exec")
    syntax_error = False
except SyntaxError as err:
    syntax_error = True
    print("SyntaxError:", err.msg)
claim("E10", "the printed line is a SyntaxError", syntax_error)
W = rng.normal(size=(4, 3, 3, 3))
try:
    eval("weight.std(dim=(1,2,3) + 1e-5)", {"weight": mg.tensor(W)})
    type_error = False
except TypeError as err:
    type_error = True
    print("TypeError:", err)
claim("E10", "closing the parenthesis after 1e-5 gives a TypeError", type_error)
intended = (W - W.mean(axis=(1, 2, 3), keepdims=True)) / (W.std(axis=(1, 2, 3), ddof=1, keepdims=True) + 1e-5)
claim("E10", "the intended line is the 'unbiased_eps_outside' variant of lesson 8",
      np.allclose(weight_standardize(mg.tensor(W), variant="unbiased_eps_outside").data, intended))

# %%
mistake("E11", "001", "该层可以是卷积层、RNN 层或线性层等 … 复杂层(例如 LSTM、GRU)… 可以尝试使用权重"
        "标准化进行组标准化",
        "WS applies to conv, RNN or linear layers; for LSTM/GRU, try GroupNorm with WS",
        "the WS paper and its code cover convolutional layers followed by BN or GN (the README says "
        "to replace only those). Nothing in the sources supports WS or GN+WS for recurrent "
        "layers; the advice is unsupported. (This project's WSLinear is an extension, not a "
        "published recipe.) Not numeric.")

# %%
mistake("E12", "001", "GN+WS 的性能始终优于 BN",
        "GN+WS always outperforms BN",
        "the paper and README claim GN+WS matches or outperforms BN in their experiments, with "
        "micro-batches where BN degrades. 'Always' is stronger than the evidence; lesson 10 shows "
        "what a small experiment here does and does not show. Not numeric here.")

# %%
mistake("E13", "001", "层归一化将激活的每个特征归一化 … BN 标准化 N 方向, LN 和 GN 标准化 C 方向",
        "layer normalization normalises each feature of the activations; BN normalises along N, "
        "LN and GN along C",
        "LN normalises each SAMPLE across its features. More precisely, on (N, C, H, W): BN "
        "reduces over (N, H, W) per channel, LN over (C, H, W) per sample, GN over (C/G, H, W) "
        "per (sample, group) (lesson 7 draws these sets).")
table = rng.normal(loc=2.0, size=(6, 4))
ln_table = layers.LayerNorm(4)(mg.tensor(table)).data
claim("E13", "LayerNorm's output has mean 0 in every sample (row)", np.abs(ln_table.mean(axis=1)).max() < 1e-12)
claim("E13", "but not in every feature (column)", np.abs(ln_table.mean(axis=0)).max() > 0.05)

# %%
mistake("E14", "001", "T. Saliman和P. Kingma … Geoffrey Hinton 等人 … Siyun Qiao … 在实践中,组标准化比层"
        "标准化表现更好",
        "names of the authors; and 'in practice GN performs better than LN'",
        "Weight Normalization is by Tim Salimans and Diederik P. Kingma; Layer Normalization by "
        "Jimmy Lei Ba, Jamie Ryan Kiros and Geoffrey E. Hinton; Weight Standardization by Siyuan "
        "Qiao et al. GN beating LN is a finding for CNNs (Wu & He); Transformers use LN or "
        "RMSNorm. Not numeric.")

# %% [markdown]
# ## Seed 002: BN vs LN

# %%
mistake("E15", "002", "强行将数据转为均值为0,方差为1的正态分布",
        "BN forcibly turns the data into a normal distribution with mean 0 and variance 1",
        "BN subtracts the mean and divides by the standard deviation: an affine map, which fixes "
        "the first two moments and leaves the SHAPE of the distribution alone. Skewed data stays "
        "skewed; nothing becomes Gaussian.")
skewed = rng.exponential(size=(4000, 1))                          # one feature, skewness 2
normalised = layers.BatchNorm1d(1)(mg.tensor(skewed)).data


def skewness(v):
    v = v.ravel()
    return float(((v - v.mean()) ** 3).mean() / v.std() ** 3)


print(f"skewness before {skewness(skewed):.3f}, after {skewness(normalised):.3f}  (a Gaussian has 0)")
claim("E15", "the output has mean 0 and variance 1",
      abs(normalised.mean()) < 1e-12 and abs(normalised.var() - 1) < 1e-4)
claim("E15", "but the same skewness as the input, far from a Gaussian's 0",
      abs(skewness(normalised) - skewness(skewed)) < 1e-9 and skewness(normalised) > 1.5)

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

# %%
mistake("E16", "002", "均值为β,方差为γ",
        "after the scale and shift, the mean is beta and the variance is gamma",
        "y = gamma * x_hat + beta has mean beta and variance gamma^2 (x_hat has variance 1, up to "
        "eps). gamma is the standard deviation of the output, not its variance.")
bn = layers.BatchNorm1d(1)
bn.weight.data[...], bn.bias.data[...] = 3.0, 1.0
scaled = bn(mg.tensor(rng.normal(size=(500, 1)))).data
print(f"gamma = 3, beta = 1: output mean {scaled.mean():.4f}, variance {scaled.var():.4f}")
claim("E16", "with gamma = 3 the output variance is 9 = gamma^2, not 3",
      abs(scaled.var() - 9) < 1e-3 and abs(scaled.mean() - 1) < 1e-12)

# %%
mistake("E17", "002", "令γ=σ, β=μ 等价于没有添加BN层",
        "setting gamma = sigma and beta = mu is equivalent to having no BN layer",
        "it needs gamma = sqrt(sigma^2 + eps). And in training the batch statistics change with "
        "every batch, so no fixed gamma and beta undo them; the identity is exact only in eval "
        "mode, with gamma = sqrt(running_var + eps) and beta = running_mean.")
bn = layers.BatchNorm1d(3)
for _ in range(5):
    bn(mg.tensor(rng.normal(loc=2.0, scale=3.0, size=(8, 3))))
bn.eval()
probe = rng.normal(loc=2.0, scale=3.0, size=(8, 3))
bn.weight.data[...] = np.sqrt(bn.running_var.data + eps)
bn.bias.data[...] = bn.running_mean.data
claim("E17", "eval mode with gamma = sqrt(running_var + eps), beta = running_mean returns x",
      np.abs(bn(mg.tensor(probe)).data - probe).max() < 1e-12)
bn.weight.data[...] = np.sqrt(bn.running_var.data)                  # gamma = sigma, no eps
off = np.abs(bn(mg.tensor(probe)).data - probe).max()
claim("E17", "with gamma = sigma (no eps) it is only approximately x", 1e-9 < off < 1e-4,
      f"max error {off:.1e}")
bn.train()
first, second = rng.normal(size=(8, 3)) * 3 + 2, rng.normal(size=(8, 3)) * 3 + 2
bn.weight.data[...] = np.sqrt(first.var(axis=0) + eps)
bn.bias.data[...] = first.mean(axis=0)
claim("E17", "in training, parameters set from one batch's statistics give x back on that batch",
      np.abs(bn(mg.tensor(first)).data - first).max() < 1e-12)
claim("E17", "but not on the next batch", np.abs(bn(mg.tensor(second)).data - second).max() > 0.1)

# %%
mistake("E18", "002", "为了解决ICS问题 … (但是BN没有解决ISC问题)",
        "BN is there to solve the ICS problem ... (but BN did not solve the 'ISC' problem)",
        "the post contradicts itself, and 'ISC' is a typo for ICS. The second statement is the "
        "closer one: see E1. Not numeric.")

# %%
mistake("E19", "002", "独立同分布的数据 … 不会出现像过拟合等问题",
        "independent, identically distributed data does not have problems like overfitting",
        "overfitting comes from fitting noise with too flexible a model for too little data; IID "
        "sampling does not prevent it. Below: ten IID points, a degree-9 polynomial.")
x_train = rng.uniform(-1, 1, size=10)
y_train = np.sin(3 * x_train) + 0.3 * rng.normal(size=10)
x_test = rng.uniform(x_train.min(), x_train.max(), size=1000)     # inside the training range
y_test = np.sin(3 * x_test) + 0.3 * rng.normal(size=1000)
poly = np.polynomial.Polynomial.fit(x_train, y_train, deg=9)
train_mse = float(((poly(x_train) - y_train) ** 2).mean())
test_mse = float(((poly(x_test) - y_test) ** 2).mean())
print(f"train MSE {train_mse:.1e}, test MSE {test_mse:.2f} (the noise alone gives 0.09)")
claim("E19", "on IID data the model fits the training points exactly and fails on new ones",
      train_mse < 1e-12 and test_mse > 10 * 0.09)

# %%
mistake("E20", "002", "C:一句话的长度,即seqlen … H,W:词向量维度 … LN中,一个batch中有batch_size个均值和方差",
        "in NLP, C is the sequence length and H, W the embedding; LN computes batch_size means "
        "and variances",
        "that mapping makes LN normalise over the whole sequence AND the embedding at once. A "
        "Transformer's LayerNorm normalises each token over d_model only, so an (N, S, D) batch "
        "has N*S means and variances, not N.")
per_token = layers.LayerNorm(8)(mg.tensor(tokens)).data
per_sentence = layers.LayerNorm((5, 8))(mg.tensor(tokens)).data
claim("E20", "LayerNorm(D) on (N, S, D) = (2, 5, 8) uses N*S = 10 statistics, each token mean 0",
      np.abs(per_token.mean(axis=-1)).max() < 1e-12 and per_token.mean(axis=-1).size == 10)
claim("E20", "normalising over (S, D) jointly, as the seed's mapping implies, is different",
      np.abs(per_sentence - per_token).max() > 0.1)

# %%
mistake("E21", "002", "BN就是对每句话的第一个词进行操作",
        "BN on text operates on the first word of every sentence (a BN per position)",
        "BatchNorm1d on a sequence batch (N, D, S) has one statistic per FEATURE, pooled over the "
        "batch and all positions. A per-position BN would keep separate statistics for each "
        "(feature, position).")
sequence = rng.normal(size=(4, 8, 5)) + np.linspace(-2, 2, 5)   # (N, D, S), position-dependent mean
bn_seq = layers.BatchNorm1d(8)(mg.tensor(sequence)).data
claim("E21", "each feature has mean 0 over (N, S) together",
      np.abs(bn_seq.mean(axis=(0, 2))).max() < 1e-12)
claim("E21", "the first position alone does not: statistics are not per position",
      np.abs(bn_seq[:, :, 0].mean(axis=0)).max() > 0.5)

# %% [markdown]
# ## Seed 003: a NumPy BatchNorm "that agrees with PyTorch"
# The post writes a class MyBN and compares it with nn.BatchNorm1d on a 3 x 2 batch. We transcribe
# its forward pass.

# %%
data = np.array([[1, 2], [1, 3], [1, 4]], dtype=np.float64)


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


my_bn = Seed003MyBN(momentum=0.01, eps=0.001, num_features=2)
seed_out = my_bn.batch_norm(data)
torch_like = layers.BatchNorm1d(2)                           # PyTorch's defaults: 0.1 and 1e-5
ours = torch_like(mg.tensor(data)).data
print("seed 003: running_mean", my_bn._running_mean, " running_var", my_bn._running_var)
print("PyTorch:  running_mean", torch_like.running_mean.data, " running_var", torch_like.running_var.data)

# %%
mistake("E22", "003", "(1-self._momentum)*x_mean + self._momentum*self._running_mean",
        "the running mean takes 1 - momentum of the batch mean",
        "inverted with respect to PyTorch, whose momentum is the weight of the NEW value: "
        "(1 - momentum) * running + momentum * batch.")
claim("E22", "after one batch the seed's running mean is [0.99, 2.97]; PyTorch's is [0.1, 0.3]",
      np.allclose(my_bn._running_mean, [0.99, 2.97]) and np.allclose(torch_like.running_mean.data, [0.1, 0.3]))

# %%
mistake("E23", "003", "x_var = x.var(axis=0)",
        "the running variance is fed np.var, whose default ddof=0 is the biased variance",
        "PyTorch (and the BN paper's Algorithm 2, with its m/(m-1) factor) feeds the unbiased "
        "variance to the running estimate.")
claim("E23", "the seed's running variance is [0.01, 0.67]; PyTorch's is [0.9, 1.0]",
      np.allclose(my_bn._running_var, [0.01, 2 / 3 * 0.99 + 0.01])
      and np.allclose(torch_like.running_var.data, [0.9, 1.0]))

# %%
mistake("E24", "003", "得到的结果和torch的结果一致",
        "the result agrees with PyTorch's",
        "it does not: with eps = 0.001 instead of 1e-5 the outputs agree only to about 1e-3, and "
        "with momentum 0.01 and the inverted rule the running statistics disagree completely "
        "(E22, E23). The printed outputs (±1.1526 for torch, ±1.15176 for MyBN) do not come from "
        "the printed data either: it gives ±1.2247 and ±1.2238.")
print(f"second column: ours ±{ours[2, 1]:.4f}, seed ±{seed_out[2, 1]:.4f}, seed printed ±1.1526/±1.1518")
claim("E24", "for this data PyTorch's rule gives ±1.2247 and the seed's MyBN ±1.2238",
      np.isclose(ours[2, 1], 1.2247, atol=1e-4) and np.isclose(seed_out[2, 1], 1.2238, atol=1e-4))
claim("E24", "so they differ by about 1e-3, and neither is the printed 1.15",
      5e-4 < abs(ours[2, 1] - seed_out[2, 1]) < 2e-3 and abs(ours[2, 1] - 1.1526) > 0.05)

# %%
mistake("E25", "003", "pytorch中的BatchNorm中beta和gamma初始化并不是0和1",
        "in PyTorch's BatchNorm, beta and gamma are not initialised to 0 and 1",
        "outdated: gamma was drawn from U(0, 1) until PyTorch PR #12325 (2018, issue #12259); "
        "since then weight = 1 and bias = 0, and minigrad's layers follow.")
fresh = layers.BatchNorm2d(4)
claim("E25", "a fresh BatchNorm has weight 1 and bias 0",
      (fresh.weight.data == 1).all() and (fresh.bias.data == 0).all())

# %%
mistake("E26", "003", "identity transform,个人理解其目的是使得输出和输入相同",
        "the 'identity transform' means BN aims to make its output equal its input",
        "the BN paper says the layer CAN REPRESENT the identity (gamma = sqrt(Var), beta = E[x]), "
        "so inserting it does not reduce what the network can express. It is a capacity argument; "
        "BN does not try to reproduce its input, and at initialisation it does not.")
at_init = layers.BatchNorm1d(3)(mg.tensor(probe)).data
claim("E26", "at initialisation BN's output is not its input", np.abs(at_init - probe).max() > 1.0)
bn_identity = layers.BatchNorm1d(3)
for _ in range(3):
    bn_identity(mg.tensor(rng.normal(loc=2.0, scale=3.0, size=(8, 3))))
bn_identity.eval()
bn_identity.weight.data[...] = np.sqrt(bn_identity.running_var.data + eps)
bn_identity.bias.data[...] = bn_identity.running_mean.data
claim("E26", "it CAN represent the identity: in eval mode, weight = sqrt(running_var + eps) and "
      "bias = running_mean give y = x (as in E17)",
      np.abs(bn_identity(mg.tensor(probe)).data - probe).max() < 1e-12)

# %% [markdown]
# ## Seed 004: BN/LN formulas, running averages and an LN backward

# %%
mistake("E27", "004", "移动平均均值 = momentum × 移动平均均值 + (1 − momentum) × 当前批次均值 … 接近 1 的"
        "值(例如 0.9)",
        "running = momentum * running + (1 - momentum) * batch, with momentum close to 1 (e.g. 0.9)",
        "that is the Keras / TensorFlow / CS231n convention (Keras' default is 0.99). PyTorch's "
        "momentum is one minus it: (1 - momentum) * running + momentum * batch, default 0.1. "
        "The same number means opposite things in the two libraries.")
batch_mean, old = 2.0, 0.5
keras = 0.9 * old + (1 - 0.9) * batch_mean
pytorch = (1 - 0.1) * old + 0.1 * batch_mean
claim("E27", "the Keras rule with 0.9 equals PyTorch's rule with 0.1", np.isclose(keras, pytorch))
claim("E27", "the Keras rule with PyTorch's 0.1 does not",
      not np.isclose(0.1 * old + 0.9 * batch_mean, pytorch))

# %%
mistake("E28", "004", "初始化移动平均均值和方差为零或其他初始值",
        "initialise the running mean and variance to zero or some other value",
        "PyTorch initialises running_var to 1. A zero running variance makes early eval divide "
        "by sqrt(eps): outputs 316 times too large (nnabla changed its default to 1 for this "
        "reason, PR #294).")
zero_init = layers.BatchNorm1d(3).eval()
zero_init.running_var.data[...] = 0.0
ratio = zero_init(mg.tensor(probe)).data / layers.BatchNorm1d(3).eval()(mg.tensor(probe)).data
claim("E28", "with running_var = 0 the eval output is sqrt((1+eps)/eps) ~ 316 times PyTorch's",
      np.allclose(ratio, np.sqrt((1 + eps) / eps)), f"ratio {ratio.mean():.1f}")

# %%
mistake("E29", "004", "移动平均方差 = momentum × 移动平均方差 + (1 − momentum) × 当前批次方差",
        "the running variance averages the batch variances, which the post's step 2 defines as "
        "(1/m) sum (x_i - mu)^2: the biased ones",
        "averaging biased batch variances converges to (m - 1)/m of the true variance: half of it "
        "at m = 2. PyTorch stores the unbiased batch variance (lesson 4, section 5).")
pairs = rng.normal(size=(20000, 2))                                # 20000 batches of m = 2, variance 1
claim("E29", "at m = 2 the average biased batch variance is about 1/2; the unbiased one about 1",
      abs(pairs.var(axis=1).mean() - 0.5) < 0.05 and abs(pairs.var(axis=1, ddof=1).mean() - 1) < 0.1,
      f"{pairs.var(axis=1).mean():.3f} and {pairs.var(axis=1, ddof=1).mean():.3f}")

# %%
mistake("E30", "004", "γ和β … 其维度与正在被归一化的数据的维度相同",
        "gamma and beta have the same dimensions as the data being normalised",
        "they have one entry per feature or channel: (D,) or (C,). The seed's next lines (a "
        "d-vector for a fully connected layer, a c-vector for a convolution) say so themselves.")
bn20 = layers.BatchNorm1d(20)
bn20(mg.tensor(rng.normal(size=(10, 20))))
claim("E30", "BatchNorm1d(20) on 10 samples x 20 features has weight and bias of shape (20,)",
      bn20.weight.shape == bn20.bias.shape == (20,))

# %%
mistake("E31", "004", "∂L/∂σ² = ½ Σ ∂L/∂x̂_i · (x_i − μ) / sqrt(σ² + ε)",
        "step 3 of the seed's LayerNorm backward",
        "d/dvar of (var + eps)^(-1/2) is -1/2 (var + eps)^(-3/2), so dL/dvar = -1/2 * sum_i "
        "dL/dx_hat_i * (x_i - mu) * (var + eps)^(-3/2). Step 4's second term has its index "
        "outside the sum and a flipped sign, harmless because it multiplies sum(x_i - mu) = 0. "
        "Step 1 sums dgamma and dbeta over the features, as if they were scalars; they are (d,) "
        "and sum over the samples. Lesson 6 finds the bad step by comparing each with autograd.")
x_ln, dy_ln = rng.normal(loc=1.0, scale=2.0, size=(6, 4)), rng.normal(size=(6, 4))
X = mg.tensor(x_ln, requires_grad=True)
layers.LayerNorm(4)(X).backward(dy_ln)
mu = x_ln.mean(axis=-1, keepdims=True)
var = x_ln.var(axis=-1, keepdims=True)
s = np.sqrt(var + eps)
d = x_ln.shape[-1]


def seed_dx(d_var):
    d_mu = (-dy_ln / s).sum(axis=-1, keepdims=True)   # step 4 (its second term is 0)
    return dy_ln / s + 2 / d * d_var * (x_ln - mu) + d_mu / d


printed = seed_dx(0.5 * (dy_ln * (x_ln - mu) / s).sum(axis=-1, keepdims=True))
fixed = seed_dx(-0.5 * (dy_ln * (x_ln - mu)).sum(axis=-1, keepdims=True) * (var + eps) ** -1.5)
err_printed, err_fixed = np.abs(printed - X.grad.data).max(), np.abs(fixed - X.grad.data).max()
claim("E31", "the printed formulas are off by order 1", err_printed > 0.1,
      f"max |dx - autograd| = {err_printed:.2f}")
claim("E31", "fixing step 3 brings them to rounding error", err_fixed < 1e-13,
      f"max |dx - autograd| = {err_fixed:.1e}")

# %% [markdown]
# ## Summary
# Every one of the 31 was stated and corrected; the numeric ones were demonstrated. The table says
# which were which.

# %%
section("Summary: the 31 mistakes")
codes = [f"E{k}" for k in range(1, 32)]
for seed in ("000", "001", "002", "003", "004"):
    mine = [c for c in codes if STATED.get(c) == seed]
    print(f"seed {seed}: " + ", ".join(c + ("" if c in NUMERIC else " (not numeric)") for c in mine))
print(f"{len(NUMERIC)} of 31 demonstrated numerically; the other {31 - len(NUMERIC)} are claims about "
      f"mechanisms, people or papers, stated and corrected above.")
check("all 31 mistakes, E1 to E31, were stated and corrected",
      sorted(STATED, key=lambda c: int(c[1:])) == codes)

# %%
print("\nNext: lesson 12 differentiates through a normalization layer twice.")

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. If the running variance averaged the biased batch variances, what would it converge to for
#    batches of 4 from features of variance 4?
# 2. A seed says LayerNorm in NLP is more like InstanceNorm (E9). Under which reading of the (N,
#    S, D) layout is that true, and what still differs?
# Worked answers, each checked in code: tutorials/answers/11_seed_misconceptions.py (run it with python).
