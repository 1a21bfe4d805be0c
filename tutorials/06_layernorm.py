"""Lesson 6: LayerNorm, and a wrong backward derivation found and fixed numerically.

What you will learn
  * what LayerNorm computes: each SAMPLE (each token, in a Transformer) is normalised over its own
    trailing dims, so there is one mean and variance per sample, nothing is shared across the
    batch, there are no running statistics and train equals eval;
  * that LayerNorm's weight and bias have the shape normalized_shape (one value per feature,
    shared by all samples), not one value per sample;
  * its backward: BatchNorm's formula with a different reduction set R, and the weight inside it;
  * how to debug a hand derivation: compare every intermediate gradient with autograd's. A seed
    blog post (004) prints a LayerNorm backward whose step 3 has the wrong power and sign (the
    mistake E31 of lesson 11's index); the comparison points straight at it, and fixing it brings
    the error from order 1 to 1e-16;
  * the seeds' other LayerNorm mistakes, run and corrected in section 6: "LN normalises each
    feature" (E13), one statistic per sentence instead of per token (E20), gamma and beta shaped
    per sample (E7), running statistics LayerNorm does not have (E8).

Time: about 35 minutes to read and run, plus about 20 for the exercise.
Assumes: lesson 5 (BatchNorm's backward derived by hand).
Ends with: exercise layernorm (exercises/layernorm_backward.py), graded by `minigrad check`;
  then 2 questions, worked answers in answers/06_layernorm.py.

Run it:  python tutorials/06_layernorm.py --out DIR
Figure:  seed_backward_steps.png (the error of each step of the seed's derivation, before and
         after the fix).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers

from _lesson import setup, section, check, check_pytorch, save_plot, seed_mistake

try:                        # PyTorch is optional: the seeds' mistakes are also checked against it
    import torch
except ImportError:
    torch = None

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(6)
eps = 1e-5

# %% [markdown]
# ## 1. What LayerNorm normalises
# `LayerNorm(normalized_shape)` reduces over the LAST len(normalized_shape) axes. For a batch of
# Transformer activations (N, S, D) = (batch, tokens, features) and normalized_shape = D, R is the
# feature axis: each of the N*S tokens gets its own mean and variance over its D features.
#     mean = mean_R x,   var = mean_R (x - mean)^2   (biased),   y = weight * (x - mean)/sqrt(var + eps) + bias
# The weight and bias have shape (D,): a scale and shift per feature, shared by every token of
# every sample. (A seed, 000, gives them the shape (N,), one per sample: that cannot work, since a
# parameter cannot depend on the batch size; section 6 runs it, E7.)

# %%
section("1. LayerNorm over the features of each token")
N, S, D = 2, 3, 4
x = rng.normal(loc=1.0, scale=2.0, size=(N, S, D))
ln = layers.LayerNorm(D)
ln.weight.data[...] = rng.normal(size=D)
ln.bias.data[...] = rng.normal(size=D)
y = ln(mg.tensor(x)).data

mean = x.mean(axis=-1, keepdims=True)                 # (N, S, 1): one per token
var = x.var(axis=-1, keepdims=True)
by_hand = ln.weight.data * (x - mean) / np.sqrt(var + eps) + ln.bias.data
print(f"input {x.shape}: {mean.size} means (one per token), each over D = {D} features")
print("weight shape", ln.weight.shape, " bias shape", ln.bias.shape,
      " buffers:", [name for name, _ in ln.named_buffers()])
check("LayerNorm(D) normalises each token over its D features",
      np.abs(y - by_hand).max() < 1e-12, f"max diff {np.abs(y - by_hand).max():.1e}")
check("weight and bias have shape normalized_shape = (D,)",
      ln.weight.shape == (D,) and ln.bias.shape == (D,))
check("there are no running statistics, so eval computes the same as train",
      not list(ln.named_buffers()) and np.array_equal(ln.eval()(mg.tensor(x)).data, y))

x_other = x.copy()
x_other[1] *= 5.0                                      # change sample 1 only
check("a sample's output does not depend on the other samples of the batch",
      np.array_equal(ln(mg.tensor(x_other)).data[0], y[0]))

images = rng.normal(size=(2, 3, 4, 4))
ln_image = layers.LayerNorm((3, 4, 4))                 # a whole (C, H, W) image per sample
image_mean = images.mean(axis=(1, 2, 3), keepdims=True)
image_var = images.var(axis=(1, 2, 3), keepdims=True)
check("LayerNorm([C, H, W]) on images reduces over (1, 2, 3), one statistic per image",
      np.allclose(ln_image(mg.tensor(images)).data,
                  (images - image_mean) / np.sqrt(image_var + eps), atol=1e-12, rtol=0))
check_pytorch("PyTorch's layer_norm reduces over the same trailing axes: (D,) per token, with "
              "the weight and bias, and (C, H, W) per image", torch,
              lambda torch: np.allclose(torch.nn.functional.layer_norm(
                  torch.tensor(x), (D,), torch.tensor(ln.weight.data), torch.tensor(ln.bias.data),
                  eps).numpy(), by_hand, atol=1e-12, rtol=0)
              and np.allclose(torch.nn.functional.layer_norm(torch.tensor(images), (3, 4, 4)).numpy(),
                              (images - image_mean) / np.sqrt(image_var + eps), atol=1e-12, rtol=0))

# %% [markdown]
# ## 2. The backward: lesson 5's formula with R = the normalised axes
# The derivation of lesson 5 never used WHICH axes R covers, only that the mean and variance are
# taken over it. So for LayerNorm, per token, with g = dy * weight (elementwise, since weight has a
# value per feature) and m = D:
#     dx      = (1/s) [ g - mean_R(g) - x_hat * mean_R(g * x_hat) ]
#     dweight = sum over the LEADING axes (samples, tokens) of dy * x_hat      -> shape (D,)
#     dbias   = sum over the leading axes of dy                                -> shape (D,)
# The weight cannot be pulled out of the sums here (it could in BatchNorm, where it is constant
# over R).

# %%
section("2. The closed-form backward against autograd")
dy = rng.normal(size=x.shape)
weight = ln.weight.data
s = np.sqrt(var + eps)
x_hat = (x - mean) / s
g = dy * weight
dx_formula = (g - g.mean(axis=-1, keepdims=True)
              - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)) / s
for backward in ("autograd", "manual"):
    layer = layers.LayerNorm(D, backward=backward)
    layer.weight.data[...], layer.bias.data[...] = ln.weight.data, ln.bias.data
    X = mg.tensor(x, requires_grad=True)
    layer(X).backward(dy)
    if backward == "autograd":
        dx_autograd = X.grad.data
        check("dweight = sum over (N, S) of dy * x_hat",
              np.allclose(layer.weight.grad.data, (dy * x_hat).sum(axis=(0, 1)), atol=1e-13))
        check("dbias = sum over (N, S) of dy",
              np.allclose(layer.bias.grad.data, dy.sum(axis=(0, 1)), atol=1e-13))
    err = np.abs(X.grad.data - dx_formula).max()
    check(f"the formula matches the layer's dx with backward={backward!r}", err < 1e-12,
          f"max |diff| {err:.1e}")

# %% [markdown]
# ## 3. A seed's derivation, step by step
# Seed 004 derives the LayerNorm backward in five steps for one sample x of d features. Here are
# its formulas, transcribed (sums over the d features of the sample). Lesson 11 calls its mistakes
# E31; here we find them the way you would find a bug in your own derivation.

# %%
section("3. The seed's five steps")
seed_mistake("E31", "004", "∂L/∂σ² = ½ Σ ∂L/∂x̂_i · (x_i − μ) / sqrt(σ² + ε)",
             "step 3 of the seed's LayerNorm backward, dL/dvar",
             "the derivative of (var + eps)^(-1/2) is -1/2 (var + eps)^(-3/2): sections 4 and 5 "
             "find this step by comparing each with autograd, and the shapes of step 1")
SEED_STEPS = """\
  step 1  dgamma = sum_i dy_i * x_hat_i            dbeta = sum_i dy_i
  step 2  dx_hat_i = dy_i * gamma
  step 3  dvar = 1/2 * sum_i dx_hat_i * (x_i - mu) / sqrt(var + eps)
  step 4  dmu  = sum_i dx_hat_i * (-1 / sqrt(var + eps))  -  2/d * dvar * (mu - x_i)
  step 5  dx_i = dx_hat_i / sqrt(var + eps)  +  2/d * dvar * (x_i - mu)  +  1/d * dmu
"""
print(SEED_STEPS)
print("Step 4 has its index i outside the sum; read literally it would give each i its own dmu,")
print("which makes no sense for a single mu, so we read it as intended, inside the sum. Its sign")
print("is also flipped: the chain rule gives -2/d * dvar * sum_i (x_i - mu). Both versions are 0,")
print("because sum_i (x_i - mu) = 0. Step 1 treats gamma and beta as scalars (section 5).")

# %% [markdown]
# To test each step, write the forward with the same intermediates in minigrad and keep their
# gradients with `retain_grad()`: autograd then tells us the true dL/dx_hat, dL/dvar and dL/dmu,
# and we can compare line by line instead of only looking at the final dx.

# %%
section("4. Each step against autograd")
x2 = x.reshape(-1, D)                   # the 6 tokens as 6 samples of d = 4 features
dy2 = dy.reshape(-1, D)
d = D
X = mg.tensor(x2, requires_grad=True)
Weight, Bias = mg.tensor(weight, requires_grad=True), mg.tensor(ln.bias.data, requires_grad=True)
mu_t = X.mean(axis=-1, keepdims=True)
var_t = ((X - mu_t) ** 2).mean(axis=-1, keepdims=True)
x_hat_t = (X - mu_t) / mg.sqrt(var_t + eps)
for t in (mu_t, var_t, x_hat_t):
    t.retain_grad()
(Weight * x_hat_t + Bias).backward(dy2)
truth = {"dx_hat": x_hat_t.grad.data, "dvar": var_t.grad.data, "dmu": mu_t.grad.data,
         "dx": X.grad.data}

mu2 = x2.mean(axis=-1, keepdims=True)
var2 = x2.var(axis=-1, keepdims=True)
s2 = np.sqrt(var2 + eps)


def seed_steps(step3):
    """The seed's steps 2-5 for every sample at once; step3 computes dvar from dx_hat."""
    dx_hat = dy2 * weight                                                        # step 2
    dvar = step3(dx_hat)                                                         # step 3
    dmu = ((dx_hat * (-1 / s2)) - 2 / d * dvar * (mu2 - x2)).sum(axis=-1, keepdims=True)  # step 4
    dx = dx_hat / s2 + 2 / d * dvar * (x2 - mu2) + dmu / d                      # step 5
    return {"dx_hat": dx_hat, "dvar": dvar, "dmu": dmu, "dx": dx}


def seed_step3(dx_hat):                 # as printed: +1/2 and (var + eps)^(-1/2)
    return 0.5 * (dx_hat * (x2 - mu2) / s2).sum(axis=-1, keepdims=True)


def fixed_step3(dx_hat):                # d/dvar of (var + eps)^(-1/2) is -1/2 (var + eps)^(-3/2)
    return -0.5 * (dx_hat * (x2 - mu2)).sum(axis=-1, keepdims=True) * (var2 + eps) ** -1.5


errors = {}
for label, step3 in (("seed, as printed", seed_step3), ("step 3 fixed", fixed_step3)):
    ours = seed_steps(step3)
    errors[label] = {k: np.abs(ours[k] - truth[k]).max() for k in truth}
print("max |step - autograd|   seed, as printed   step 3 fixed")
for k in truth:
    print(f"  {k:20s} {errors['seed, as printed'][k]:16.1e} {errors['step 3 fixed'][k]:14.1e}")
seed_err, fixed_err = errors["seed, as printed"], errors["step 3 fixed"]
check("step 2 (dx_hat) is right", seed_err["dx_hat"] < 1e-14)
check("E31: step 3 (dvar) is wrong: the first step that disagrees", seed_err["dvar"] > 0.1,
      f"max error {seed_err['dvar']:.2f}")
check("step 4 (dmu) is right anyway: its dvar term multiplies sum_i (x_i - mu) = 0",
      seed_err["dmu"] < 1e-13)
check("the seed's final dx is wrong by order 1", seed_err["dx"] > 0.1,
      f"max |dx - autograd| = {seed_err['dx']:.2f}")
check("E31: with step 3 fixed, every step matches autograd to rounding",
      max(fixed_err.values()) < 1e-13, f"max |dx - autograd| = {fixed_err['dx']:.1e}")
check("and the fixed steps give the same dx as the LayerNorm layer",
      np.abs(seed_steps(fixed_step3)["dx"].reshape(x.shape) - dx_autograd).max() < 1e-13)

print(f"\nsum_i (x_i - mu) per sample, the factor that makes step 4's second term vanish: "
      f"max {np.abs((x2 - mu2).sum(axis=-1)).max():.1e}")

fig, ax = plt.subplots(figsize=(7.5, 3.8))
names = list(truth)
positions = np.arange(len(names))
floor = 1e-18                                          # an exact 0 would vanish on a log axis
for shift, label, color in ((-0.2, "seed, as printed", "tab:red"), (0.2, "step 3 fixed", "tab:green")):
    values = [errors[label][k] for k in names]
    ax.bar(positions + shift, [max(v, floor) for v in values], 0.4, color=color,
           label="seed's derivation, as printed" if shift < 0 else "step 3 fixed")
    for p, v in zip(positions, values):
        ax.text(p + shift, max(v, floor) * 3, "0" if v == 0 else f"{v:.2g}", ha="center",
                fontsize=7)
ax.set_xticks(positions, ["step 2\ndL/dx_hat", "step 3\ndL/dvar", "step 4\ndL/dmu",
                          "step 5\ndL/dx"])
ax.set_yscale("log")
ax.set_ylim(1e-18, 1e6)
ax.axhline(1e-12, color="0.5", ls=":", lw=1)
ax.text(-0.45, 3e-12, "rounding level", fontsize=8, color="0.4")
ax.set_ylabel("max |step - autograd|")
ax.set_title("LayerNorm backward: each step of seed 004 against autograd")
ax.legend(fontsize=8, loc="upper center", ncol=2)
save_plot(fig, "seed_backward_steps")

# %% [markdown]
# ## 5. Step 1: shapes
# The seed's step 1 sums dgamma and dbeta over the d features, which treats gamma and beta as one
# scalar per sample. In LayerNorm they have one value PER FEATURE (shape (d,)), shared by all
# samples, so the sum runs over the samples instead:
#     dgamma_i = sum over samples of dy_i * x_hat_i,    dbeta_i = sum over samples of dy_i

# %%
section("5. Step 1: sum over the samples, not over the features")
x_hat2 = (x2 - mu2) / s2
seed_dgamma = (dy2 * x_hat2).sum(axis=-1)             # one number per sample
right_dgamma = (dy2 * x_hat2).sum(axis=0)             # one number per feature
print("seed's dgamma:", seed_dgamma.shape, "  correct dgamma:", right_dgamma.shape,
      "  the parameter:", Weight.shape)
check("the seed's dgamma has the wrong shape (one per sample)", seed_dgamma.shape != Weight.shape)
check("summing over the samples gives autograd's dgamma",
      np.allclose(right_dgamma, Weight.grad.data, atol=1e-13))
check("and dbeta = sum over the samples of dy",
      np.allclose(dy2.sum(axis=0), Bias.grad.data, atol=1e-13))

# %% [markdown]
# ## 6. The seeds' other mistakes about LayerNorm
# Lesson 11 indexes the seeds' 31 mistakes; E31 was sections 3-5. Four more are about what
# LayerNorm normalises and what it keeps. Where a claim is about PyTorch, it is also checked
# against PyTorch when that is installed.

# %%
section("6. The seeds' other mistakes about LayerNorm")
tokens = rng.normal(size=(2, 5, 8))                                 # (N, S, D)
ln_out = layers.LayerNorm(8)(mg.tensor(tokens)).data
pytorch_ln = (lambda torch: torch.nn.functional.layer_norm(torch.tensor(tokens), (8,)).numpy())
seed_mistake("E13", "001", "层归一化将激活的每个特征归一化 … BN 标准化 N 方向, LN 和 GN 标准化 C 方向",
             "layer normalization normalises each feature of the activations; BN normalises "
             "along N, LN and GN along C",
             "LN normalises each SAMPLE across its features. On (N, C, H, W): BN reduces over "
             "(N, H, W) per channel, LN over (C, H, W) per sample, GN over (C/G, H, W) per "
             "(sample, group) (lesson 7 draws these sets)")
table = rng.normal(loc=2.0, size=(6, 4))
ln_table = layers.LayerNorm(4)(mg.tensor(table)).data
check("E13: LayerNorm's output has mean 0 in every sample (row), not in every feature (column)",
      np.abs(ln_table.mean(axis=1)).max() < 1e-12 and np.abs(ln_table.mean(axis=0)).max() > 0.05)
seed_mistake("E20", "002", "C:一句话的长度,即seqlen … H,W:词向量维度 … LN中,一个batch中有batch_size个均值和方差",
             "in NLP, C is the sequence length and (H, W) the embedding; LN computes batch_size "
             "means and variances",
             "that mapping normalises the whole sequence and embedding at once. A Transformer's "
             "LayerNorm normalises each token over d_model: an (N, S, D) batch has N*S statistics")
per_sentence = layers.LayerNorm((5, 8))(mg.tensor(tokens)).data
check("E20: LayerNorm(D) on (N, S, D) = (2, 5, 8) has N*S = 10 statistics, each token mean 0; "
      "normalising (S, D) jointly differs",
      np.abs(ln_out.mean(axis=-1)).max() < 1e-12 and ln_out.mean(axis=-1).size == 10
      and np.abs(per_sentence - ln_out).max() > 0.1)
check_pytorch("E20: PyTorch's layer_norm over (D,) normalises each token the same way", torch,
              lambda torch: np.allclose(pytorch_ln(torch), ln_out, atol=1e-12))
seed_mistake("E7", "000", "缩放因子(gamma)和平移因子(beta):维度也为 (N,)",
             "for LayerNorm on (N, D), (N, H, W, C) and (N, S, D), gamma and beta have shapes "
             "(N,), (N,) and (N, S): one per sample",
             "a parameter cannot depend on the batch. They have the shape normalized_shape: (D,), "
             "(H, W, C) and (D,). The shapes the seed gives the STATISTICS are right")
gamma_per_sample = mg.ones(8, 1)                  # the seed's "(N,)" gamma, made for N = 8 samples
try:
    gamma_per_sample * mg.tensor(rng.normal(size=(4, 6)))        # the next batch has N = 4
    broke = False
except ValueError as err:
    broke = True
    print("  a per-sample gamma on the next batch:", str(err)[:80], "...")
check("E7: LayerNorm(8)'s weight and bias have shape (8,); a per-sample gamma made for 8 samples "
      "cannot even multiply a batch of 4",
      layers.LayerNorm(8).weight.shape == layers.LayerNorm(8).bias.shape == (8,) and broke)
check_pytorch("E7: PyTorch's LayerNorm(8) has weight and bias of shape (8,)", torch,
              lambda torch: tuple(torch.nn.LayerNorm(8).weight.shape) == (8,)
              and tuple(torch.nn.LayerNorm(8).bias.shape) == (8,))
seed_mistake("E8", "000", "self.register_buffer('running_mean', …) … self.running_std",
             "the LayerNorm code keeps running statistics with a momentum and uses them in eval",
             "LayerNorm has none: each sample uses its own statistics, in training and eval alike "
             "(section 1). The seed's code also crashes: mean.squeeze() is (N,), the buffer (D,). "
             "When N == D it runs; training matches LayerNorm, eval does not")


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
    print("  (4, 6) input:", err)
square = rng.normal(size=(6, 6))
buffers = {"mean": np.zeros(6), "std": np.ones(6)}
ln_square = layers.LayerNorm(6, elementwise_affine=False)(mg.tensor(square)).data
check("E8: the seed's LayerNorm crashes on (4, 6); on (6, 6) its training output is LayerNorm's, "
      "its eval output is not",
      crashed and np.allclose(seed000_layer_norm(square, buffers, True), ln_square)
      and not np.allclose(seed000_layer_norm(square, buffers, False), ln_square))


def pytorch_layernorm_has_no_running_statistics(torch):
    layer = torch.nn.LayerNorm(6, elementwise_affine=False)
    train_out = layer(torch.tensor(square)).detach().numpy()
    eval_out = layer.eval()(torch.tensor(square)).detach().numpy()
    return not list(layer.buffers()) and np.array_equal(train_out, eval_out)


check_pytorch("E8: PyTorch's LayerNorm has no buffers, and its eval output equals its training "
              "output", torch, pytorch_layernorm_has_no_running_statistics)

# %% [markdown]
# ## Summary
# * LayerNorm: per sample (per token) over the trailing normalized_shape; per-feature weight and
#   bias; no buffers; train == eval.
# * Its backward is BatchNorm's formula with R = the normalised axes and g = dy * weight inside.
# * To debug a derivation, compare every intermediate with autograd (retain_grad): the first step
#   that disagrees is the bug. Here it was step 3's exponent and sign.

# %%
print("\nNext: lesson 7 places LayerNorm in one family with InstanceNorm and GroupNorm.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **LayerNorm's backward** (about 20 min). Derive LayerNorm's backward by hand: dx, dgamma,
#    dbeta.
#    File: tutorials/exercises/layernorm_backward.py. Grade it:
#        minigrad check tutorials/exercises/layernorm_backward.py --exercise layernorm
#    Worked solution: tutorials/solutions/layernorm_backward.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Tokens of shape (N, S, D) go through LayerNorm(D). Over which entries does the input
#    gradient sum to zero, and why?
# 2. Why does LayerNorm need no running statistics and behave the same in train and eval mode?
# Worked answers, each checked in code: tutorials/answers/06_layernorm.py (run it with python).
