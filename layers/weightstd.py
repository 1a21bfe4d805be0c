"""Weight Standardization (Qiao et al., arXiv 1903.10520): standardise each filter.

For a weight W of shape (O, ...), each output channel i is flattened to a row
of I elements (I = C_in * kH * kW for a conv) and mapped to

    W_hat_i = (W_i - mean_i) / sqrt(var_i + eps)        var biased (divide by I)

The layer then uses W_hat in place of W. There is no affine on W_hat. This is
F.batch_norm applied to W.reshape(1, O, I), the numerically safe form.

The sources disagree on where eps goes and which variance is used; each form is
available as `variant`:
    "biased_eps_inside"    sqrt(var + eps), var over I         (default; later paper)
    "unbiased_eps_inside"  sqrt(var + eps), var over I - 1     (BCN repository)
    "unbiased_eps_outside" std + eps, std over I - 1           (official README code)
    "biased_eps_outside"   std + eps, std over I               (arXiv v1)
With eps outside the root, sigma = sqrt(var) has an infinite derivative at a
constant filter (sigma = 0). Spelled sqrt(var), the chain rule there gives
0 * inf = NaN (the NaNs the authors acknowledged, WeightStandardization issue
#16), although the true gradient, (dW_hat - mean(dW_hat)) / eps, is finite.
std() here, like torch.std, defines its gradient at zero spread as 0 and so
returns that limit; the manual backward does the same. Even then, eps outside
lets a near-constant filter's gradient grow to 1/eps = 1e5 times dW_hat, against
1/sqrt(eps) ~ 316 with eps inside.

Backward, with c = W - mean, k = I or I - 1, and dW_hat the upstream gradient
(means and sums over each row):
    eps inside,  s = sqrt(sum(c^2)/k + eps):
        dW = (dW_hat - mean(dW_hat)) / s - c * sum(dW_hat * c) / (k s^3)
           = (1/s) [dW_hat - mean(dW_hat) - W_hat sum(dW_hat * W_hat) / k]
        which is the shared normalization of layers/_maths.py over each row
        (R = the row, no affine, ddof = I - k): the eps-inside forms run on it.
    eps outside, sigma = sqrt(sum(c^2)/k), s = sigma + eps:
        dW = (dW_hat - mean(dW_hat)) / s - c * sum(dW_hat * c) / (k sigma s^2)
        (the second term taken as 0 where sigma = 0, its limit)
"""
from __future__ import annotations

import numpy as np

from minigrad import Function, nn, where
from minigrad.nn import functional as F
from layers._checks import (
    check_backward_mode, check_channels, check_dtype, check_input, check_rank,
)
from layers._maths import Reduction, normalize

# variant name -> (ddof of the variance, is eps inside the square root?)
VARIANTS = {
    "biased_eps_inside": (0, True),
    "unbiased_eps_inside": (1, True),
    "unbiased_eps_outside": (1, False),
    "biased_eps_outside": (0, False),
}


def _row_axes(weight):
    return tuple(range(1, weight.ndim))


def _standardize_eps_outside(weight, eps, ddof):
    """(W_hat, c, sigma, s) with s = sigma + eps, in minigrad operations."""
    axes = _row_axes(weight)
    c = weight - weight.mean(axis=axes, keepdims=True)
    sigma = weight.std(axis=axes, keepdims=True, ddof=ddof)    # its gradient at sigma = 0 is 0
    s = sigma + eps
    return c / s, c, sigma, s


def _row_size(shape):
    """I: the number of elements of one output channel of a weight of `shape`."""
    size = 1
    for n in shape[1:]:
        size *= n
    return size


class WeightStandardizeFunction(Function):
    """W_hat = (W - mean) / (sigma + eps) per output channel (the eps-outside
    forms), as one node whose backward is the closed form in this module's
    docstring, written in minigrad operations (recomputed from the saved W) so
    second derivatives work."""

    @staticmethod
    def forward(ctx, weight, eps, ddof):
        ctx.save_for_backward(weight)
        ctx.config = (eps, ddof)
        return _standardize_eps_outside(weight, eps, ddof)[0]

    @staticmethod
    def backward(ctx, d_w_hat):
        (weight,) = ctx.saved_tensors
        eps, ddof = ctx.config
        _, c, sigma, s = _standardize_eps_outside(weight, eps, ddof)
        axes = _row_axes(weight)
        k = _row_size(weight.shape) - ddof
        centred_grad = d_w_hat - d_w_hat.mean(axis=axes, keepdims=True)
        projection = (d_w_hat * c).sum(axis=axes, keepdims=True)
        # On a constant row (sigma = 0) the second term is 0/0 with limit 0, as std's.
        constant = sigma.data == 0
        through_sigma = c * projection / (k * where(constant, 1.0, sigma) * s * s)
        d_weight = centred_grad / s - where(constant, 0.0, through_sigma)
        return d_weight, None, None


def weight_standardize(weight, eps=1e-5, backward="autograd", variant="biased_eps_inside"):
    """W_hat = (W - mean) / sqrt(var + eps) per output channel (axis 0), over all
    other axes, with the biased variance; see the module docstring for `variant`."""
    op = "weight_standardize"
    _check_options(op, backward, variant)
    weight = check_input(weight, op)
    _check_weight_shape(weight.shape, variant, op)
    return _weight_standardize(weight, eps, backward, variant)


def _check_weight_shape(shape, variant, op):
    ddof = VARIANTS[variant][0]
    if len(shape) < 2 or _row_size(shape) - ddof < 1:
        raise ValueError(f"{op}: expected a weight of shape (out, ...) with at least "
                         f"{ddof + 1} element(s) per output channel, got shape {shape}")


def _weight_standardize(weight, eps, backward, variant):
    """weight_standardize on arguments already checked (by it or by a module)."""
    ddof, eps_inside = VARIANTS[variant]
    if eps_inside:
        # The shared standardization of layers/_maths.py over each output channel's
        # row, without affine; its manual backward is the formula above for eps inside.
        reduction = Reduction(_row_axes(weight), ddof=ddof)
        w_hat, _, _ = normalize(weight, None, None, reduction, eps, backward)
        return w_hat
    if backward == "manual":
        return WeightStandardizeFunction.apply(weight, eps, ddof)
    return _standardize_eps_outside(weight, eps, ddof)[0]


class WSConv2d(nn.Conv2d):
    """Conv2d whose filters are standardised on every forward pass (Weight Standardization):
    y = conv2d(x, W_hat, b) with W_hat = (W - mean) / sqrt(var + eps) over (C_in, kH, kW).
    The stored parameter `weight` stays unstandardised, as in the paper's code."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 eps=1e-5, backward="autograd", variant="biased_eps_inside", dtype=np.float64):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias,
                         check_dtype(dtype, "WSConv2d"))
        self.eps, self.backward, self.variant = eps, backward, variant
        _check_options("WSConv2d", backward, variant)
        _check_weight_shape(self.weight.shape, variant, "WSConv2d")

    def forward(self, x):
        x = check_input(x, "WSConv2d")
        check_rank(x, (3, 4), "3-D (C, H, W) or 4-D (N, C, H, W)", "WSConv2d")
        check_channels(x, self.in_channels, "WSConv2d", dim=x.ndim - 3)
        w_hat = _weight_standardize(self.weight, self.eps, self.backward, self.variant)
        return F.conv2d(x, w_hat, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return super().extra_repr() + f", eps={self.eps}"


class WSLinear(nn.Linear):
    """Linear whose weight rows are standardised on every forward pass:
    y = x @ W_hat.T + b with W_hat = (W - mean) / sqrt(var + eps) over in_features."""

    def __init__(self, in_features, out_features, bias=True, eps=1e-5, backward="autograd",
                 variant="biased_eps_inside", dtype=np.float64):
        super().__init__(in_features, out_features, bias, check_dtype(dtype, "WSLinear"))
        self.eps, self.backward, self.variant = eps, backward, variant
        _check_options("WSLinear", backward, variant)
        _check_weight_shape(self.weight.shape, variant, "WSLinear")

    def forward(self, x):
        x = check_input(x, "WSLinear")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"WSLinear expected input with last dimension {self.in_features}, "
                             f"got input of shape {x.shape}")
        w_hat = _weight_standardize(self.weight, self.eps, self.backward, self.variant)
        return F.linear(x, w_hat, self.bias)

    def extra_repr(self):
        return super().extra_repr() + f", eps={self.eps}"


def _check_options(op, backward, variant):
    check_backward_mode(backward, op)
    if variant not in VARIANTS:
        raise ValueError(f"{op}: variant must be one of {sorted(VARIANTS)}, got {variant!r}")
