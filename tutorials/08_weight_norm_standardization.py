"""Lesson 8: Weight Normalization and Weight Standardization: normalising the weights, not the data.

What you will learn
  * Weight Normalization (Salimans & Kingma, 2016): w = gain * v / ||v||, one length (the paper's
    g, PyTorch's weight_g; here "gain", since g is always an upstream gradient in this course) and
    one direction v per output row; why its gradient for v is orthogonal to v, and why it has no eps;
  * Weight Standardization (Qiao et al., 2019): each filter is standardised,
        W_hat = (W - mean) / sqrt(var + eps)     over (C_in, kH, kW), per output channel,
    which is BatchNorm applied to the weight tensor;
  * the four published WS variants (biased or unbiased variance, eps inside or outside the root)
    and how much they differ;
  * what goes wrong with eps OUTSIDE the root on a constant filter: the forward pass is fine, the
    NaN is born in the backward pass, at the square root, as 0 * infinity. We catch the operation
    with detect_anomaly, compare with the true (finite) gradient, and see why eps inside is safe;
  * the seeds' mistakes about this lesson (section 8): a WS code line that does not run, whose
    intent is the eps-outside variant (E10); WS recommended for recurrent layers (E11); the
    authors' names (E14).

Time: about 40 minutes to read and run, plus about 45 for the exercises.
Assumes: lessons 5 (a normalization's backward) and 7 (GroupNorm, for GN+WS).
Ends with: exercises weightnorm (exercises/weightnorm_backward.py) and weightstd
  (exercises/weightstd_backward.py), graded by `minigrad check`; then 2 questions, worked
  answers in answers/08_weight_norm_standardization.py.

Run it:  python tutorials/08_weight_norm_standardization.py --out DIR
Figure:  ws_gradient_vs_spread.png (gradient size against filter spread for each WS form).
"""
# %%
import warnings

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
import layers
from layers.functional import batch_norm, weight_standardize

from _lesson import setup, section, check, check_pytorch, save_plot, numerical_gradient, seed_mistake

try:                        # PyTorch is optional: the claims about it are also checked against it
    import torch
except ImportError:
    torch = None

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(8)
mg.manual_seed(8)
eps = 1e-5

# %% [markdown]
# ## 1. Weight Normalization: length and direction
# `layers.weight_norm(module)` replaces the parameter `weight` (shape (out, in)) by two parameters:
# `weight_v` (same shape: the direction) and `weight_g` (shape (out, 1): the length of each row),
#     weight = weight_g * weight_v / ||weight_v||        (norm of each row, over the other axes)
# The paper calls the length g; in this course g always means an upstream gradient, so we call it
# the gain: w = gain * v / ||v||, with gain = weight_g. The gain starts as the row norms of the old
# weight and v as the old weight, so the module computes exactly what it did before. Afterwards,
# ||w_i|| = |gain_i| whatever v is: the length is learned by the gain alone, the direction by v.

# %%
section("1. weight_norm: w = gain * v / ||v||")
linear = nn.Linear(4, 3)
x = rng.normal(size=(5, 4))
before = linear(mg.tensor(x)).data
layers.weight_norm(linear)
print("parameters:", {name: p.shape for name, p in linear.named_parameters()})
check("weight_g has shape (3, 1) and weight_v shape (3, 4)",
      linear.weight_g.shape == (3, 1) and linear.weight_v.shape == (3, 4))
check("at initialisation the module computes what it did before",
      np.allclose(linear(mg.tensor(x)).data, before, atol=1e-14))
linear.weight_v.data *= 7.0                               # stretch the direction vectors
check("scaling v does not change w (only its direction counts)",
      np.allclose(linear(mg.tensor(x)).data, before, atol=1e-14))
check("the row norms of w are |gain|",
      np.allclose(np.linalg.norm(linear.weight.data, axis=1), np.abs(linear.weight_g.data[:, 0])))


def pytorch_weight_norm_matches(torch):
    with warnings.catch_warnings():                  # deprecated for parametrizations, still there
        warnings.simplefilter("ignore", FutureWarning)
        module = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3))
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    return (shapes == {name: p.shape for name, p in linear.named_parameters()}
            and torch.allclose(module.weight_g, module.weight_v.norm(dim=1, keepdim=True)))


check_pytorch("PyTorch's weight_norm makes the same parameters, weight_g (3, 1) and weight_v (3, 4), "
              "and starts the gain at the row norms", torch, pytorch_weight_norm_matches)

# %% [markdown]
# ## 2. The gradient of v is orthogonal to v
# For one row, with n = ||v|| and the upstream gradient dw:
#     dgain = (dw . v) / n,       dv = (gain / n) * (dw - (dw . v_hat) v_hat),   v_hat = v / n
# dv is dw with its component along v removed (w does not change when v is scaled, so the gradient
# has nothing to say about v's length). A consequence: a gradient step v - lr * dv can only
# lengthen v, since ||v - lr dv||^2 = ||v||^2 + lr^2 ||dv||^2. That growth slowly lowers the
# effective learning rate of the direction.

# %%
section("2. dv is orthogonal to v")
for backward in ("autograd", "manual"):
    layer = layers.weight_norm(nn.Linear(4, 3), backward=backward)
    layer.weight_g.data[...] = linear.weight_g.data
    layer.weight_v.data[...] = linear.weight_v.data
    (layer(mg.tensor(x)) ** 2).sum().backward()
    v, dv = layer.weight_v.data, layer.weight_v.grad.data
    dots = (v * dv).sum(axis=1)
    print(f"backward={backward!r}: v . dv per row = " + "  ".join(f"{d:8.1e}" for d in dots))
    check(f"backward={backward!r}: each row's dv is orthogonal to its v",
          np.abs(dots).max() < 1e-12 * np.abs(v).sum() * np.abs(dv).sum())
lr = 0.1
check("an SGD step on v lengthens every row",
      (np.linalg.norm(v - lr * dv, axis=1) > np.linalg.norm(v, axis=1)).all())

# %% [markdown]
# Weight normalization has no eps: a row with v = 0 has no direction and gives 0/0.

# %%
layer = layers.weight_norm(nn.Linear(4, 3))
layer.weight_v.data[1] = 0.0
with np.errstate(invalid="ignore"):
    out = layer(mg.tensor(x)).data
check("a zero row of v makes that output NaN (there is no eps)",
      np.isnan(out[:, 1]).all() and not np.isnan(out[:, [0, 2]]).any())

# %% [markdown]
# ## 3. Weight Standardization
# WS standardises each output filter W_i (a row of I = C_in*kH*kW numbers) to mean 0 and variance
# 1 before the convolution uses it. It has no learnable parameters of its own and is meant for
# convolutions followed by a BatchNorm or GroupNorm (as in the paper). The project's form uses the
# biased variance with eps inside the root, which makes it BatchNorm applied to the weight seen as
# a batch of one: W.reshape(1, O, I), a "channel" per filter.

# %%
section("3. WSConv2d: standardised filters")
conv = layers.WSConv2d(3, 4, kernel_size=3, padding=1)
W = conv.weight.data                                       # (4, 3, 3, 3): O = 4 filters, I = 27
W_hat = weight_standardize(conv.weight).data
rows = W_hat.reshape(4, -1)
print("per-filter mean of W_hat:", rows.mean(axis=1), "  variance:", rows.var(axis=1))
check("each standardised filter has mean 0", np.abs(rows.mean(axis=1)).max() < 1e-12)
check("and variance var/(var + eps), just under 1",
      np.allclose(rows.var(axis=1), W.reshape(4, -1).var(axis=1) / (W.reshape(4, -1).var(axis=1) + eps)))
as_batch_norm = batch_norm(mg.tensor(W.reshape(1, 4, -1)), None, None, training=True, eps=eps).data
check("WS is batch_norm on W.reshape(1, O, I)",
      np.abs(as_batch_norm.reshape(W.shape) - W_hat).max() < 1e-12)
images = rng.normal(size=(2, 3, 5, 5))
check("WSConv2d(x) = conv2d(x, W_hat) + bias",
      np.allclose(conv(mg.tensor(images)).data,
                  F.conv2d(mg.tensor(images), mg.tensor(W_hat), conv.bias, padding=1).data))

# %% [markdown]
# ## 4. Four published variants
# The primary sources do not agree on the variance or on where eps goes:
#   biased_eps_inside     (W - mean) / sqrt(var_I + eps)       later paper version; this project
#   unbiased_eps_inside   (W - mean) / sqrt(var_(I-1) + eps)   the BCN repository's code
#   unbiased_eps_outside  (W - mean) / (std_(I-1) + eps)       the official README's PyTorch code
#   biased_eps_outside    (W - mean) / (std_I + eps)           arXiv v1 (and the README's TF code)
# var_I divides by I, var_(I-1) by I - 1. The authors acknowledged NaNs from eps outside the root
# (issue #16 of their WeightStandardization repository); sections 5-7 show where they come from.
# For an ordinary filter the variants differ only a little:
# the unbiased forms are smaller by sqrt((I - 1)/I) (1.9 % for I = 27), and where eps sits matters
# only when the spread is comparable to sqrt(eps) ~ 0.003.

# %%
section("4. The published variants on an ordinary filter")
filters = mg.tensor(rng.normal(size=(4, 3, 3, 3)))          # spread ~1, so eps hardly matters
I = 27
variants = ["biased_eps_inside", "unbiased_eps_inside", "unbiased_eps_outside", "biased_eps_outside"]
outputs = {v: weight_standardize(filters, variant=v).data for v in variants}
for v in variants:
    ratio = outputs[v] / outputs["biased_eps_inside"]
    print(f"  {v:22s} W_hat / default: between {ratio.min():.6f} and {ratio.max():.6f}")
check("the unbiased variants are the biased ones times sqrt((I-1)/I) (up to eps)",
      np.allclose(outputs["unbiased_eps_inside"] / outputs["biased_eps_inside"],
                  np.sqrt((I - 1) / I), rtol=1e-4))
check("eps inside or outside changes little when the spread is large",
      np.allclose(outputs["biased_eps_outside"], outputs["biased_eps_inside"], rtol=1e-4))

# %% [markdown]
# ## 5. A constant filter
# Now a filter whose I entries are all equal: a filter initialised to a constant, or one that weight
# decay has flattened. Then W - mean = 0 and the spread sigma = 0.
#   * eps inside:  W_hat = 0 / sqrt(0 + eps) = 0.
#   * eps outside: W_hat = 0 / (0 + eps) = 0.
# Both forward passes are finite. Where does the NaN come from? Write the eps-outside form as the
# paper writes it, sigma = sqrt(var), in minigrad operations, and run backward under
# detect_anomaly, which stops at the first operation that produces a NaN or an infinity.

# %%
section("5. Where the NaN is born")
constant = np.full((2, 3, 3, 3), 0.5)               # two filters, every entry 0.5
constant[1] = rng.normal(size=(3, 3, 3))            # the second filter is ordinary
d_W_hat = rng.normal(size=constant.shape)           # some upstream gradient


def ws_eps_outside_sqrt(Wt):
    """(W - mean) / (sqrt(var) + eps): the eps-outside form, spelled as in the paper."""
    c = Wt - Wt.mean(axis=(1, 2, 3), keepdims=True)
    sigma = mg.sqrt((c * c).mean(axis=(1, 2, 3), keepdims=True))
    return c / (sigma + eps)


Wt = mg.tensor(constant, requires_grad=True)
forward = ws_eps_outside_sqrt(Wt)
check("the forward pass is finite: the constant filter maps to 0",
      np.isfinite(forward.data).all() and (forward.data[0] == 0).all())
try:
    with mg.detect_anomaly(), np.errstate(invalid="ignore", divide="ignore"):
        ws_eps_outside_sqrt(mg.tensor(constant, requires_grad=True)).backward(d_W_hat)
    caught = ""
except RuntimeError as err:
    caught = str(err)
    print(caught)
check("detect_anomaly stops in the backward pass of sqrt", "SqrtBackward" in caught)

with np.errstate(invalid="ignore", divide="ignore"):
    forward.backward(d_W_hat)
print("gradient of the constant filter (first 5 entries):", Wt.grad.data[0].ravel()[:5])
print("gradient of the ordinary filter is finite:", np.isfinite(Wt.grad.data[1]).all())
check("without detect_anomaly the constant filter's gradient is all NaN",
      np.isnan(Wt.grad.data[0]).all() and np.isfinite(Wt.grad.data[1]).all())

# %% [markdown]
# The mechanism: d sqrt(v)/dv = 1 / (2 sqrt(v)) is infinite at v = 0. The gradient arriving at
# sigma is sum(dW_hat * (-c) / (sigma + eps)^2), which is exactly 0 because c = 0. The chain rule
# multiplies the two: 0 * inf = NaN (minigrad's sqrt rule computes g / (2 sqrt(v)) = 0/0). The
# NaN then spreads to every entry of the filter through the mean.
#
# Yet the function itself is differentiable there: near c = 0, W_hat = c / (||c||/sqrt(I) + eps)
# = c/eps - c ||c|| / (sqrt(I) eps^2) + ..., so the true gradient is (dW_hat - mean(dW_hat)) / eps,
# finite. The map is C^1 at a constant filter, not C^2: the term c ||c|| has a continuous first
# derivative, but its second derivative jumps at c = 0 (think of x|x| in one dimension).
# Finite differences confirm the first derivative. The NaN is an artefact of the chain rule,
# not of the maths.

# %%
section("6. The true gradient, and the forms that stay finite")


def f_outside(values):                                # sum(dW_hat * W_hat) for filter 0
    c = values - values.mean()
    return float((d_W_hat[0] * c / (np.sqrt((c * c).mean()) + eps)).sum())


true_grad = (d_W_hat[0] - d_W_hat[0].mean()) / eps
fd = numerical_gradient(f_outside, constant[0], eps=1e-10)
check("finite differences give the finite limit (dW_hat - mean(dW_hat)) / eps",
      np.allclose(fd, true_grad, rtol=1e-3), f"max |fd| = {np.abs(fd).max():.3g}")

results = {}
for variant in ("biased_eps_inside", "biased_eps_outside"):
    for backward in ("autograd", "manual"):
        Wt = mg.tensor(constant, requires_grad=True)
        weight_standardize(Wt, variant=variant, backward=backward).backward(d_W_hat)
        results[variant, backward] = Wt.grad.data[0]
        print(f"  layers WS {variant:19s} backward={backward!r:10s}: gradient finite "
              f"{np.isfinite(Wt.grad.data).all()}, max |grad| {np.abs(Wt.grad.data[0]).max():.3g}")
inside_limit = (d_W_hat[0] - d_W_hat[0].mean()) / np.sqrt(eps)
check("eps inside (the default) is finite: (dW_hat - mean(dW_hat)) / sqrt(eps)",
      all(np.allclose(results["biased_eps_inside", b], inside_limit) for b in ("autograd", "manual")))
check("the layer's eps-outside variant returns the finite limit too: its std() defines the "
      "gradient at zero spread as 0, as torch.std does",
      all(np.allclose(results["biased_eps_outside", b], true_grad) for b in ("autograd", "manual")))


def pytorch_std_gradient_at_zero_spread(torch):
    flat = torch.full((5,), 0.5, dtype=torch.float64, requires_grad=True)
    flat.std().backward()
    return bool((flat.grad == 0).all()), f"grad {flat.grad.tolist()}"


check_pytorch("torch.std's gradient at zero spread is 0", torch, pytorch_std_gradient_at_zero_spread)
if torch is not None:                                 # optional: PyTorch behaves the same way
    def torch_ws_grad(sigma_of):
        Wt_torch = torch.tensor(constant, requires_grad=True)
        c_torch = Wt_torch - Wt_torch.mean(dim=(1, 2, 3), keepdim=True)
        (c_torch / (sigma_of(Wt_torch, c_torch) + eps) * torch.tensor(d_W_hat)).sum().backward()
        return Wt_torch.grad[0].numpy()
    sqrt_var = torch_ws_grad(lambda w, c: c.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt())
    std_readme = torch_ws_grad(lambda w, c: w.std(dim=(1, 2, 3), keepdim=True))
    print(f"  PyTorch {torch.__version__}: sqrt(var) + eps gives NaN {np.isnan(sqrt_var).all()}; "
          f"the README's std() + eps is finite {np.isfinite(std_readme).all()}, "
          f"max |grad| {np.abs(std_readme).max():.3g}")
    check("PyTorch agrees: NaN with sqrt(var) + eps, a finite ~1/eps gradient with std() + eps",
          np.isnan(sqrt_var).all() and np.isfinite(std_readme).all()
          and np.abs(std_readme).max() > 0.1 / eps)
print(f"\ngradient scale on a constant filter: eps inside 1/sqrt(eps) = {1 / np.sqrt(eps):.0f}, "
      f"eps outside 1/eps = {1 / eps:.0f} times the upstream gradient")
check("even when finite, eps outside makes the gradient sqrt(1/eps) ~ 316 times larger",
      np.isclose(np.abs(results["biased_eps_outside", "autograd"]).max()
                 / np.abs(results["biased_eps_inside", "autograd"]).max(), 1 / np.sqrt(eps)))
with np.errstate(over="ignore"):
    check("in float16 (mixed precision), whose largest number is 65504, 1/eps = 1e5 is already inf",
          np.isinf(np.float16(1 / eps)) and np.isfinite(np.float16(1 / np.sqrt(eps))))

# %% [markdown]
# ## 7. Gradient size against the spread of a filter
# Take W = 0.5 + spread * noise and shrink the spread. While spread >> sqrt(eps), every form gives
# a gradient of order 1/spread. Below that, eps inside caps it at 1/sqrt(eps) ~ 316, eps outside
# only at 1/eps = 1e5; at spread exactly 0, sqrt(var) + eps gives NaN.

# %%
section("7. Gradient size against filter spread")
noise = rng.normal(size=(1, 3, 3, 3))
upstream = rng.normal(size=(1, 3, 3, 3))
spreads = np.logspace(-9, 0, 28)
forms = {"eps inside: sqrt(var + eps)  (default)":
             lambda t: weight_standardize(t, variant="biased_eps_inside"),
         "eps outside: std + eps  (std's gradient at 0 := 0)":
             lambda t: weight_standardize(t, variant="biased_eps_outside"),
         "eps outside: sqrt(var) + eps  (as written)": ws_eps_outside_sqrt}
curves = {}
for name, form in forms.items():
    sizes = []
    for spread in np.concatenate([[0.0], spreads]):
        Wt = mg.tensor(0.5 + spread * noise, requires_grad=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            form(Wt).backward(upstream)
        sizes.append(np.linalg.norm(Wt.grad.data))
    curves[name] = np.array(sizes)
    print(f"  {name:52s} spread 0: {sizes[0]:9.3g}   spread 1e-9: {sizes[1]:9.3g}   "
          f"spread 1: {sizes[-1]:7.3g}")
check("at spread 0 only the form written with sqrt(var) gives NaN",
      [np.isnan(c[0]) for c in curves.values()] == [False, False, True])

fig, ax = plt.subplots(figsize=(7.5, 4.2))
zero_at = 1.5e-10                                     # where "spread = 0" is drawn (log axis)
for (name, sizes), color in zip(curves.items(), ["tab:green", "tab:orange", "tab:red"]):
    thin = "as written" in name
    ax.plot(spreads, sizes[1:], "o-", ms=3, color=color, label=name, lw=1.2 if thin else 3)
    if np.isnan(sizes[0]):
        ax.text(zero_at, 2e7, "NaN", color=color, ha="center", fontsize=9, fontweight="bold")
    else:
        ax.plot(zero_at, sizes[0], "s", ms=7 if not thin else 4, color=color)
ax.set(xscale="log", yscale="log", xlabel="spread of the filter (std of its entries)",
       ylabel="||dL/dW||", title="Weight Standardization: gradient of a near-constant filter")
ax.set_xticks([zero_at, 1e-8, 1e-6, 1e-4, 1e-2, 1], ["0", "1e-8", "1e-6", "1e-4", "1e-2", "1"])
ax.axvline(4e-10, color="0.3", lw=0.8)                # the axis is broken between 0 and 1e-9
# Where each form levels off: std + eps once the spread is below eps, sqrt(var + eps) once it is
# below sqrt(eps) (var = spread^2 is then smaller than eps).
ax.axvline(eps, color="tab:orange", ls=":", lw=1)
ax.text(eps * 1.3, 2, "spread = eps\n(eps outside levels off)", color="tab:orange", fontsize=8)
ax.axvline(np.sqrt(eps), color="tab:green", ls=":", lw=1)
ax.text(np.sqrt(eps) * 1.3, 2, "spread = sqrt(eps)\n(eps inside levels off)", color="tab:green",
        fontsize=8)
ax.set_ylim(0.3, 1e8)
ax.legend(fontsize=8, loc="upper right")
save_plot(fig, "ws_gradient_vs_spread")

# %% [markdown]
# ## 8. The seeds' mistakes about weight normalization and standardization
# Lesson 11 indexes the seeds' 31 mistakes; seed 001, an overview, has three about this lesson.
# Its WS code line does not run; the intended line is one of section 4's variants, the one with
# the constant-filter problem of sections 5-7. Two more are claims the sources do not make, and
# names, stated in words.

# %%
section("8. The seeds' mistakes about weight normalization and standardization")
seed_mistake("E10", "001", "std = weight.std(dim=(1,2,3) + 1e-5",
             "the Weight Standardization code computes the filter's standard deviation plus eps",
             "the line does not parse (the parenthesis is never closed), and closing it after "
             "1e-5 adds a float to a tuple. The intended line, weight.std(dim=(1,2,3), "
             "keepdim=True) + 1e-5, is the UNBIASED std with eps OUTSIDE the root: section 4's "
             "unbiased_eps_outside, with the NaN risk of section 5")
try:
    compile("std = weight.std(dim=(1,2,3) + 1e-5", "<seed 001>", "exec")
    syntax_error = False
except SyntaxError as err:
    syntax_error = True
    print("  as printed, SyntaxError:", err.msg)
W = rng.normal(size=(4, 3, 3, 3))
try:
    eval("weight.std(dim=(1,2,3) + 1e-5)", {"weight": mg.tensor(W)})
    type_error = False
except TypeError as err:
    type_error = True
    print("  closed after 1e-5, TypeError:", err)
check("E10: the printed line is a SyntaxError; closing the parenthesis after 1e-5 a TypeError",
      syntax_error and type_error)
intended = (W - W.mean(axis=(1, 2, 3), keepdims=True)) / (W.std(axis=(1, 2, 3), ddof=1, keepdims=True) + 1e-5)
check("E10: the intended line, with the unbiased std, is weight_standardize's "
      "'unbiased_eps_outside'",
      np.allclose(weight_standardize(mg.tensor(W), variant="unbiased_eps_outside").data, intended))


def pytorch_std_is_unbiased(torch):
    weight = torch.tensor(W)
    std = weight.std(dim=(1, 2, 3), keepdim=True) + 1e-5         # the line as intended
    return np.allclose(((weight - weight.mean(dim=(1, 2, 3), keepdim=True)) / std).numpy(), intended)


check_pytorch("E10: in PyTorch, where the seed's code runs, std() is the unbiased one, so the "
              "intended line is that variant", torch, pytorch_std_is_unbiased)
seed_mistake("E11", "001", "该层可以是卷积层、RNN 层或线性层等 … 复杂层(例如 LSTM、GRU)… 可以尝试使用"
             "权重标准化进行组标准化",
             "WS applies to conv, RNN or linear layers; for LSTM/GRU, try GroupNorm with WS",
             "the WS paper and its code cover convolutional layers followed by BN or GN (the README "
             "says to replace only those). Nothing in the sources supports WS or GN+WS for "
             "recurrent layers: the advice is unsupported. (This project's WSLinear is an "
             "extension, not a published recipe.) A claim about the literature, not numeric")
seed_mistake("E14", "001", "T. Saliman和P. Kingma … Geoffrey Hinton 等人 … Siyun Qiao … 在实践中,组标准"
             "化比层标准化表现更好",
             "the authors' names; and 'in practice GroupNorm performs better than LayerNorm'",
             "Weight Normalization is by Tim Salimans and Diederik P. Kingma; Layer Normalization "
             "by Jimmy Lei Ba, Jamie Ryan Kiros and Geoffrey E. Hinton; Weight Standardization by "
             "Siyuan Qiao et al. The names are not numeric. 'GN beats LN' is a finding for CNNs "
             "(Wu & He); Transformers use LN or RMSNorm. Lesson 10 measures it on its own network")

# %% [markdown]
# ## Summary
# * Weight norm: w = gain v/||v||; dv is orthogonal to v; no eps, so v = 0 is undefined.
# * Weight standardization: BatchNorm on the weight, per output filter, no affine.
# * eps outside the root: the forward pass is finite on a constant filter; the backward pass hits
#   sqrt'(0) = inf times a zero gradient = NaN. A std() with a special rule at 0 (torch.std,
#   minigrad's std) hides the NaN, but the gradient can still be 1/eps = 1e5 times the upstream
#   one. eps inside the root keeps the derivative of sqrt finite: at most 1/sqrt(eps) ~ 316.

# %%
print("\nNext: lesson 9 drops the centring (RMSNorm) and chains a batch and a group"
      " normalization (BCN).")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Weight Normalization's backward** (about 20 min). Derive the backward of a Linear layer
#    with Weight Normalization, w = g v / ||v||: dx, dg, dv.
#    File: tutorials/exercises/weightnorm_backward.py. Grade it:
#        minigrad check tutorials/exercises/weightnorm_backward.py --exercise weightnorm
#    Worked solution: tutorials/solutions/weightnorm_backward.py.
# 2. **Weight Standardization's backward, eps inside the square root** (about 25 min). Derive
#    the backward of a Linear layer with Weight Standardization, eps inside the square root: dx,
#    dw.
#    File: tutorials/exercises/weightstd_backward.py. Grade it:
#        minigrad check tutorials/exercises/weightstd_backward.py --exercise weightstd
#    Worked solution: tutorials/solutions/weightstd_backward.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. In weight normalization w = gain * v / ||v||, why is dL/dv orthogonal to v?
# 2. Scale v by 10 (keep the gain). What happens to w, and to dL/dv? What does that mean for learning
#    with a fixed learning rate?
# Worked answers, each checked in code: tutorials/answers/08_weight_norm_standardization.py (run it with python).
