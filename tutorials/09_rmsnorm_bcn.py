"""Lesson 9: RMSNorm and Batch-Channel Normalization.

What you will learn
  * RMSNorm (Zhang & Sennrich, 2019), the normalization of most recent Transformers:
        y = weight * x / sqrt(mean_R(x^2) + eps)      over the trailing normalized_shape dims R
    LayerNorm without the centring and without a bias; what it keeps and what it loses;
  * PyTorch's eps=None rule for RMSNorm: eps is the machine epsilon of the input's dtype
    (1.19e-7 for float32, 2.2e-16 for float64), checked by finding where each dtype's output
    departs from x / rms(x);
  * its backward, which is LayerNorm's minus the mean term;
  * Batch-Channel Normalization (Qiao et al., 2019): BCN(x) = GroupNorm(BN*(x)), with BN* either
    an ordinary BatchNorm (estimate=False) or, for micro-batches, a BatchNorm that normalises
    with running estimates even while training (estimate=True), through which no gradient flows.

Time: about 30 minutes to read and run, plus about 50 for the exercises.
Assumes: lessons 6 (LayerNorm) and 7 (GroupNorm); lesson 4 for BCN's running estimates.
Ends with: exercises rmsnorm (exercises/rmsnorm_backward.py) and bcn
  (exercises/bcn_backward.py), graded by `minigrad check`; then 2 questions, worked answers in
  answers/09_rmsnorm_bcn.py.

Run it:  python tutorials/09_rmsnorm_bcn.py --out DIR
Figures: rmsnorm_eps.png (where eps takes over, per dtype), bcn_microbatch.png (one image
         normalised inside many different micro-batches).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers

from _lesson import setup, section, check, check_pytorch, save_plot

try:                        # PyTorch is optional: the claims about its RMSNorm are checked against it
    import torch
except ImportError:
    torch = None

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(9)

# %% [markdown]
# ## 1. RMSNorm
# RMSNorm divides each sample by its root mean square, r = sqrt(mean_R x^2 + eps), and scales by a
# per-feature weight. Nothing is subtracted, and there is no bias parameter. It costs one reduction
# instead of two and, in practice, works as well as LayerNorm in Transformers.

# %%
section("1. RMSNorm: divide by the root mean square")
N, D = 4, 6
x = rng.normal(loc=0.5, size=(N, D))
rms = layers.RMSNorm(D, eps=1e-6)
rms.weight.data[...] = rng.normal(size=D)
y = rms(mg.tensor(x)).data
r = np.sqrt((x ** 2).mean(axis=-1, keepdims=True) + 1e-6)
check("RMSNorm computes weight * x / sqrt(mean(x^2) + eps) per sample",
      np.abs(y - rms.weight.data * x / r).max() < 1e-12)
print("parameters:", {name: p.shape for name, p in rms.named_parameters()})
check("it has a weight of shape (D,) and no bias", [n for n, _ in rms.named_parameters()] == ["weight"])
check_pytorch("so has PyTorch's RMSNorm(D), and with the same weight and eps it gives the same output",
              torch, lambda torch: [n for n, _ in torch.nn.RMSNorm(D).named_parameters()] == ["weight"]
              and tuple(torch.nn.RMSNorm(D).weight.shape) == (D,)
              and np.allclose(torch.nn.functional.rms_norm(torch.tensor(x), (D,),
                                                           torch.tensor(rms.weight.data), 1e-6),
                              y, atol=1e-12))

# %% [markdown]
# What does dropping the centring change? On an input whose samples already have mean 0, RMSNorm
# and LayerNorm (without bias, same eps) agree exactly, because then mean(x^2) is the variance.
# Otherwise they differ: LayerNorm does not see a constant added to a sample, RMSNorm does. Both
# ignore a rescaling of the sample (up to eps).

# %%
section("2. RMSNorm against LayerNorm")
ln = layers.LayerNorm(D, eps=1e-6, bias=False)
ln.weight.data[...] = rms.weight.data
centred = x - x.mean(axis=-1, keepdims=True)
check("on zero-mean samples RMSNorm equals LayerNorm",
      np.abs(rms(mg.tensor(centred)).data - ln(mg.tensor(centred)).data).max() < 1e-12)
shift = np.abs(rms(mg.tensor(x + 3.0)).data - rms(mg.tensor(x)).data).max()
check("adding 3 to every feature changes RMSNorm's output", shift > 0.1, f"max change {shift:.2f}")
check("and does not change LayerNorm's", np.allclose(ln(mg.tensor(x + 3.0)).data, ln(mg.tensor(x)).data))
check("scaling a sample by 10 changes neither (up to eps)",
      np.allclose(rms(mg.tensor(10 * x)).data, y, atol=1e-5)
      and np.allclose(ln(mg.tensor(10 * x)).data, ln(mg.tensor(x)).data, atol=1e-5))

# %% [markdown]
# ## 3. eps=None: the machine epsilon of the input's dtype
# PyTorch's RMSNorm defaults to eps=None, which means torch.finfo(x.dtype).eps: 1.19e-7 for
# float32 (and float16/bfloat16), 2.2e-16 for float64. eps only matters when mean(x^2) is not much
# larger than it, that is for inputs of size around sqrt(eps): 3.5e-4 in float32, 1.5e-8 in float64.
# For a sample of constant size a, the output is a / sqrt(a^2 + eps) instead of 1, so we can read
# eps off the output, and check that each dtype used its own.

# %%
section("3. The eps=None rule")
eps32, eps64 = float(np.finfo(np.float32).eps), float(np.finfo(np.float64).eps)
print(f"finfo(float32).eps = {eps32:.3g}   finfo(float64).eps = {eps64:.3g}")
default = layers.RMSNorm(D)                                  # eps=None


def pytorch_rms_default(sample):
    """PyTorch's RMSNorm(D), eps left at its default, on the array sample (weight in its dtype)."""
    with torch.no_grad():
        return torch.nn.RMSNorm(D, dtype=torch.tensor(sample).dtype)(torch.tensor(sample)).numpy()


for dtype, size, own, other in ((np.float32, 3e-4, eps32, eps64), (np.float64, 1e-8, eps64, eps32)):
    sample = np.full((1, D), size, dtype=dtype)
    out = default(mg.tensor(sample)).data
    expect_own, expect_other = size / np.sqrt(size ** 2 + own), size / np.sqrt(size ** 2 + other)
    print(f"{np.dtype(dtype).name}: input {size:g} -> output {float(out[0, 0]):.6f}  "
          f"(with its own eps {expect_own:.6f}, with the other dtype's eps {expect_other:.6f})")
    check(f"a {np.dtype(dtype).name} input uses eps = finfo({np.dtype(dtype).name}).eps",
          np.isclose(out[0, 0], expect_own, rtol=1e-5) and not np.isclose(out[0, 0], expect_other,
                                                                            rtol=1e-2))
    check(f"the output keeps the input's dtype ({np.dtype(dtype).name})", out.dtype == dtype)
    pytorch_out = pytorch_rms_default(sample) if torch else None
    check_pytorch(f"PyTorch's RMSNorm defaults to eps=None and gives a {np.dtype(dtype).name} input "
                  f"the same output, in {np.dtype(dtype).name}", torch,
                  lambda torch: torch.nn.RMSNorm(D).eps is None and pytorch_out.dtype == dtype
                  and np.isclose(pytorch_out[0, 0], expect_own, rtol=1e-5))
    zero = default(mg.tensor(np.zeros((1, D), dtype=dtype))).data
    check(f"a zero {np.dtype(dtype).name} input gives 0, not NaN (eps is inside the root)",
          (zero == 0).all())


def pytorch_half_precision_eps(torch):
    """float16 and bfloat16 inputs are computed in float32, and take float32's eps."""
    found = {}
    for dtype in (torch.float16, torch.bfloat16):
        sample = torch.full((1, D), 3e-4, dtype=dtype)
        size = float(sample[0, 0])                               # 3e-4 as the dtype stores it
        found[dtype] = (float(torch.nn.functional.rms_norm(sample, (D,))[0, 0]),
                        size / np.sqrt(size ** 2 + eps32),
                        size / np.sqrt(size ** 2 + torch.finfo(dtype).eps))
    detail = "; ".join(f"{str(d)[6:]}: {out:.4f} (float32's eps {f32:.4f}, its own {own:.4f})"
                       for d, (out, f32, own) in found.items())
    return all(np.isclose(out, f32, rtol=1e-2) and not np.isclose(out, own, rtol=0.5)
               for out, f32, own in found.values()), detail


check_pytorch("PyTorch gives float16 and bfloat16 inputs float32's eps, not their own finfo eps",
              torch, pytorch_half_precision_eps)

sizes = np.logspace(-11, 0, 100)
fig, ax = plt.subplots(figsize=(7, 3.8))
for dtype, color in ((np.float32, "tab:blue"), (np.float64, "tab:purple")):
    outs = [float(default(mg.tensor(np.full((1, D), a, dtype=dtype))).data[0, 0]) for a in sizes]
    eps_d = float(np.finfo(dtype).eps)
    ax.plot(sizes, outs, color=color, lw=2, label=f"{np.dtype(dtype).name}: eps = {eps_d:.2g}")
    ax.axvline(np.sqrt(eps_d), color=color, ls=":", lw=1)
    ax.text(np.sqrt(eps_d) * 1.3, 0.05, f"sqrt(eps) = {np.sqrt(eps_d):.2g}", color=color, fontsize=8)
ax.set(xscale="log", xlabel="size a of every input feature", ylabel="RMSNorm output (ideal: 1)",
       title="RMSNorm(eps=None): a / sqrt(a^2 + eps), eps from the input's dtype")
ax.legend(fontsize=8, loc="upper left")
save_plot(fig, "rmsnorm_eps")

# %% [markdown]
# ## 4. The RMSNorm backward
# With r = sqrt(mean_R x^2 + eps), x_hat = x / r and g = dy * weight, the derivation of lesson 5
# goes through without the mean (d r / d x_j = x_j / (m r)):
#     dx = g / r - x * sum_R(g * x) / (m r^3) = (1/r) [g - x_hat * mean_R(g * x_hat)]
#     dweight = sum over the leading axes of dy * x_hat
# Compared with LayerNorm, the "- mean_R g" term is gone: nothing was subtracted.

# %%
section("4. The RMSNorm backward")
dy = rng.normal(size=x.shape)
g = dy * rms.weight.data
dx_formula = g / r - x * (g * x).sum(axis=-1, keepdims=True) / (D * r ** 3)
for backward in ("autograd", "manual"):
    layer = layers.RMSNorm(D, eps=1e-6, backward=backward)
    layer.weight.data[...] = rms.weight.data
    X = mg.tensor(x, requires_grad=True)
    layer(X).backward(dy)
    check(f"dx formula = layer's gradient, backward={backward!r}",
          np.abs(X.grad.data - dx_formula).max() < 1e-12)
    check(f"dweight = sum over samples of dy * x_hat, backward={backward!r}",
          np.allclose(layer.weight.grad.data, (dy * x / r).sum(axis=0), atol=1e-13))

# %% [markdown]
# ## 5. Batch-Channel Normalization, large batches: estimate=False
# BCN runs two normalizations in a row on (N, C, H, W):
#     BCN(x) = CN(BN*(x)),   BN* a per-channel BatchNorm with its affine, CN = GroupNorm(G, C).
# The batch part uses information from the whole batch: it keeps channels from collapsing into
# the paper's "elimination singularities", points in weight space where a channel is switched off
# for every input (e.g. its values before a ReLU are negative for the whole data set, so it only
# ever outputs 0 and gets no gradient) and the network effectively loses it. A per-channel batch
# statistic re-centres each channel over the batch, so no channel can stay off for all samples.
# The channel part normalises each sample on its own.
# With estimate=False, BN* is exactly BatchNorm2d. (The authors' code gives the GroupNorm part a
# per-GROUP affine; this project uses GroupNorm's per-channel one, see layers/bcn.py.)

# %%
section("5. BCN(estimate=False) = GroupNorm after BatchNorm2d")
C, G, H, W = 4, 2, 4, 4
xb = rng.normal(loc=1.0, scale=2.0, size=(3, C, H, W))
bcn = layers.BatchChannelNorm2d(C, G)
print("children:", {name: type(child).__name__ for name, child in bcn.named_children()})
reference_bn, reference_gn = layers.BatchNorm2d(C), layers.GroupNorm(G, C)
composed = reference_gn(reference_bn(mg.tensor(xb))).data
check("in training, BCN equals GroupNorm(BatchNorm2d(x))",
      np.abs(bcn(mg.tensor(xb)).data - composed).max() < 1e-12)
bcn.eval(), reference_bn.eval()
check("in eval, too (BatchNorm2d then uses its running estimates)",
      np.abs(bcn(mg.tensor(xb)).data - reference_gn(reference_bn(mg.tensor(xb))).data).max() < 1e-12)

# %% [markdown]
# ## 6. Micro-batches: estimate=True
# With two images per batch, the batch mean of a channel is a poor estimate, and each image's
# output depends strongly on which image it was paired with. For that setting BN* (EstimatedBN in
# the authors' code) normalises with running estimates mu_hat, var_hat EVEN IN TRAINING. Each step
# first moves them towards the batch, at rate rho = momentum (not the RMS r of section 1):
#     mu_hat  <- (1 - rho) mu_hat  + rho * mean_(N,H,W) x
#     var_hat <- (1 - rho) var_hat + rho * mean_(N,H,W) (x - mu_hat_old)^2     (biased, old centre)
# and then computes z = weight_b * (x - mu_hat) / sqrt(var_hat + eps) + bias_b. The estimates are
# treated as constants: no gradient flows through them, so dx = weight_b * dz / sqrt(var_hat + eps).

# %%
section("6. BCN(estimate=True): running estimates in training")
rho = 0.1
est = layers.BatchChannelNorm2d(C, G, momentum=rho, estimate=True)
old_mean, old_var = est.bn.running_mean.data.copy(), est.bn.running_var.data.copy()
Xb = mg.tensor(xb, requires_grad=True)
z = est.bn(Xb)                                              # the BN* part alone
new_mean = (1 - rho) * old_mean + rho * xb.mean(axis=(0, 2, 3))
new_var = (1 - rho) * old_var + rho * ((xb - old_mean.reshape(1, C, 1, 1)) ** 2).mean(axis=(0, 2, 3))
check("mu_hat moved towards the batch mean at rate rho", np.allclose(est.bn.running_mean.data, new_mean))
check("var_hat moved towards the biased spread about the OLD mu_hat",
      np.allclose(est.bn.running_var.data, new_var))
per_channel = lambda v: v.reshape(1, C, 1, 1)
expected_z = (per_channel(est.bn.weight.data) * (xb - per_channel(new_mean))
              / np.sqrt(per_channel(new_var) + 1e-5) + per_channel(est.bn.bias.data))
check("the training output is normalised with the updated estimates",
      np.abs(z.data - expected_z).max() < 1e-12)
dz = rng.normal(size=xb.shape)
z.backward(dz)
check("no gradient flows through the estimates: dx = weight_b * dz / sqrt(var_hat + eps)",
      np.abs(Xb.grad.data - per_channel(est.bn.weight.data) * dz
             / np.sqrt(per_channel(new_var) + 1e-5)).max() < 1e-12)

# %% [markdown]
# The point of the estimates: take one image and normalise it inside 50 different micro-batches
# of two (each time with another random partner), in training mode. With batch statistics its
# output jumps with the partner. With estimates it only drifts: each batch moves the estimates by
# rho = 10 %, so the partner's influence is damped and spread over many steps. The images differ in
# their overall brightness per channel, as real images do, which is what makes a batch of two
# unrepresentative.

# %%
section("7. One image in many micro-batches of two")


def make_images(n):
    brightness = rng.normal(3.0, 2.0, size=(n, C, 1, 1))       # differs from image to image
    return brightness + rng.normal(size=(n, C, H, W))


image = make_images(1)
trials = 20 if args.fast else 50
spread, traces = {}, {}
for estimate in (False, True):
    layer = layers.BatchChannelNorm2d(C, G, estimate=estimate)
    for _ in range(100):                                      # training steps fill the estimates
        layer(mg.tensor(make_images(2)))
    outputs = np.array([layer(mg.tensor(np.concatenate([image, make_images(1)]))).data[0]
                        for _ in range(trials)])
    spread[estimate] = outputs.std(axis=0).mean()               # over partners, mean over pixels
    traces[estimate] = outputs[:, 0].mean(axis=(1, 2))          # channel 0's mean output
    print(f"estimate={estimate!s:5s}: the image's output varies by {spread[estimate]:.3f} "
          f"(std over partners, averaged over its pixels)")
check("with running estimates, the image's output depends much less on its partner",
      spread[True] < 0.5 * spread[False], f"{spread[True]:.3f} vs {spread[False]:.3f}")

fig, ax = plt.subplots(figsize=(7, 3.6))
trial_axis = np.arange(1, trials + 1)
ax.plot(trial_axis, traces[False], "o-", color="tab:red", ms=4,
        label="estimate=False: batch statistics of the micro-batch")
ax.plot(trial_axis, traces[True], "s-", color="tab:green", ms=4,
        label="estimate=True: running estimates")
ax.set(xlabel="micro-batch (the same image with a different partner)",
       ylabel="mean BCN output, channel 0",
       title="One image normalised in micro-batches of 2")
ax.legend(fontsize=8)
save_plot(fig, "bcn_microbatch")

# %% [markdown]
# ## Summary
# * RMSNorm: x / sqrt(mean(x^2) + eps) * weight; no centring, no bias; eps=None means the dtype's
#   machine epsilon; its backward is LayerNorm's without the mean term.
# * BCN = GroupNorm after a batch normalization. For large batches the batch part is BatchNorm2d;
#   for micro-batches it uses running estimates in training too, without gradient through them,
#   so a sample's output no longer swings with its batch partners.

# %%
print("\nNext: lesson 10 trains one network with none, BN, LN, GN and GN+WS, at"
      " batch 32 and at batch 2.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **RMSNorm's backward** (about 20 min). Derive RMSNorm's backward: no centring, one scale
#    per feature.
#    File: tutorials/exercises/rmsnorm_backward.py. Grade it:
#        minigrad check tutorials/exercises/rmsnorm_backward.py --exercise rmsnorm
#    Worked solution: tutorials/solutions/rmsnorm_backward.py.
# 2. **Batch-Channel Normalization's backward (training)** (about 30 min). Derive the backward
#    of Batch-Channel Normalization (BatchNorm, then GroupNorm) on (N, C, H, W), training mode.
#    File: tutorials/exercises/bcn_backward.py. Grade it:
#        minigrad check tutorials/exercises/bcn_backward.py --exercise bcn
#    Worked solution: tutorials/solutions/bcn_backward.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. For which inputs does RMSNorm give exactly LayerNorm's output (same eps, LayerNorm's bias at
#    0)?
# 2. Which changes of the input leave each layer's output unchanged: scaling a row by c > 0,
#    shifting a row by a constant?
# Worked answers, each checked in code: tutorials/answers/09_rmsnorm_bcn.py (run it with python).
