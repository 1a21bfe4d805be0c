"""Root Mean Square Layer Normalization (Zhang & Sennrich, 2019), with PyTorch's semantics.

Like LayerNorm over the trailing dims R of normalized_shape, but without
centring and without a bias:

    r = sqrt(mean_R x^2 + eps)        y = weight * x / r

eps=None means the machine epsilon of the input's dtype: finfo(float64).eps
for float64 and finfo(float32).eps for float32 and narrower floats. A zero
input gives 0, not NaN, because eps stays inside the root.

Hand-derived backward (x_hat = x / r, g = dy * weight, per sample over R):

    dx      = (1 / r) * (g - x_hat * mean_R(g * x_hat))
            = g / r - x * sum_R(g * x) / (m * r^3)
    dweight = sum over the leading dims of dy * x_hat

(step 2 of layers/_maths.py, whose mean_R g term is absent because nothing is
centred).
"""
from __future__ import annotations

import numpy as np

from minigrad import nn
from layers._checks import (
    check_backward_mode, check_dtype, check_input, check_trailing, check_trailing_input,
    normalized_shape_tuple,
)
from layers._maths import Reduction, normalize
from layers.layernorm import trailing_axes


def default_eps(dtype):
    """PyTorch's eps=None: the machine epsilon, of float32 for anything narrower than float64."""
    return float(np.finfo(np.float64 if dtype == np.float64 else np.float32).eps)


def rms_norm(input, normalized_shape, weight=None, eps=None, backward="autograd"):
    """y = weight * x / sqrt(mean(x^2) + eps) over the trailing normalized_shape dims."""
    op = "rms_norm"
    check_backward_mode(backward, op)
    x, normalized_shape = check_trailing_input(input, normalized_shape, op, weight=weight)
    return _rms_norm(x, normalized_shape, weight, eps, backward)


def _rms_norm(x, normalized_shape, weight, eps, backward):
    """rms_norm on arguments already checked (by rms_norm or by RMSNorm)."""
    if eps is None:
        eps = default_eps(x.dtype)
    reduction = Reduction(trailing_axes(x, normalized_shape), centred=False)
    y, _, _ = normalize(x, weight, None, reduction, eps, backward)
    return y


class RMSNorm(nn.Module):
    """RMSNorm(normalized_shape, eps=None, elementwise_affine=True): only a weight, no bias."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, *, dtype=np.float64,
                 backward="autograd"):
        super().__init__()
        self.normalized_shape = normalized_shape_tuple(normalized_shape, "RMSNorm")
        dtype = check_dtype(dtype, "RMSNorm")
        check_backward_mode(backward, "RMSNorm")
        self.eps, self.elementwise_affine, self.backward = eps, elementwise_affine, backward
        weight = nn.Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine \
            else None
        self.register_parameter("weight", weight)

    def forward(self, x):
        x = check_input(x, "RMSNorm")
        check_trailing(x, self.normalized_shape, "RMSNorm")
        return _rms_norm(x, self.normalized_shape, self.weight, self.eps, self.backward)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
