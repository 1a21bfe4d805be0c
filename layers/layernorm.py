"""Layer Normalization (Ba, Kiros & Hinton, 2016), with PyTorch's semantics.

Each sample is normalised over its trailing len(normalized_shape) dims R,
m = prod(normalized_shape):

    mean = mean_R x        var = mean_R (x - mean)^2          (biased)
    y = weight * (x - mean) / sqrt(var + eps) + bias

weight and bias have shape normalized_shape: one value per normalised
element, shared by every sample. There are no running statistics; train and
eval compute the same thing.

Hand-derived backward (g = dy * weight, per sample over R):

    dx      = inv_std * (g - mean_R g - x_hat * mean_R(g * x_hat))
    dweight = sum over the leading dims of dy * x_hat,   dbias = sum over the leading dims of dy

(step 2 of layers/_maths.py).
"""
from __future__ import annotations

import numpy as np

from minigrad import nn
from layers._checks import (
    check_backward_mode, check_dtype, check_input, check_trailing, check_trailing_input,
    normalized_shape_tuple,
)
from layers._maths import Reduction, normalize
from layers._state import register_affine


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, backward="autograd"):
    """Normalise over the trailing dims given by normalized_shape."""
    op = "layer_norm"
    check_backward_mode(backward, op)
    x, normalized_shape = check_trailing_input(input, normalized_shape, op, weight=weight,
                                               bias=bias)
    return _layer_norm(x, normalized_shape, weight, bias, eps, backward)


def trailing_axes(x, normalized_shape):
    """R: the trailing len(normalized_shape) axes of x."""
    return tuple(range(x.ndim - len(normalized_shape), x.ndim))


def _layer_norm(x, normalized_shape, weight, bias, eps, backward):
    """layer_norm on arguments already checked (by layer_norm or by LayerNorm)."""
    reduction = Reduction(trailing_axes(x, normalized_shape))
    y, _, _ = normalize(x, weight, bias, reduction, eps, backward)
    return y


class LayerNorm(nn.Module):
    """LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, *,
                 dtype=np.float64, backward="autograd"):
        super().__init__()
        self.normalized_shape = normalized_shape_tuple(normalized_shape, "LayerNorm")
        dtype = check_dtype(dtype, "LayerNorm")
        check_backward_mode(backward, "LayerNorm")
        self.eps, self.elementwise_affine, self.backward = eps, elementwise_affine, backward
        register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, x):
        x = check_input(x, "LayerNorm")
        check_trailing(x, self.normalized_shape, "LayerNorm")
        return _layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps,
                           self.backward)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
