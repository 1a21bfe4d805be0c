"""Reductions: sum, mean, max, min, std, and var composed from them.
(softmax and log_softmax: ops/softmax.py.)"""
from __future__ import annotations

import builtins

import numpy as np

from minigrad.checks import flag, operand
from minigrad.ops.elementwise import where
from minigrad.ops.primitive import _data, _kept_shape, _norm_axes, _shape, in_vjp, primitive
from minigrad.ops.shape import _broadcast_to, sum_axes
from minigrad.spellings import numpy_or_torch_names

# ----------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------

def _sum_vjp(g, ans, x, axes, keepdims):
    # g copied back over the summed axes
    shape = _shape(x)
    if not keepdims:
        g = g.reshape(_kept_shape(shape, axes))
    return in_vjp(_broadcast_to, g, shape)


_sum = primitive("sum", lambda x, axes, keepdims: sum_axes(np.asarray(x), axes, keepdims),
                 _sum_vjp, saves="x.shape")


def _mean_forward(x, axes, keepdims):
    return sum_axes(np.asarray(x), axes, keepdims) / _count(np.shape(x), axes)


def _mean_vjp(g, ans, x, axes, keepdims):
    # mean = sum / m: g / m copied back over the m averaged elements
    shape = _shape(x)
    if not keepdims:
        g = g.reshape(_kept_shape(shape, axes))
    return in_vjp(_broadcast_to, g / _count(shape, axes), shape)


# One node, as PyTorch's MeanBackward; composed as sum / m it would be two.
_mean = primitive("mean", _mean_forward, _mean_vjp, saves="x.shape")


def _extremum_vjp(g, ans, x, axes, keepdims):
    # Ties share the gradient equally (PyTorch's amax/amin and max()/min()).
    shape = _shape(x)
    kept = _kept_shape(shape, axes)
    hit = _data(x) == _data(ans).reshape(kept)
    share = (hit / hit.sum(axis=axes, keepdims=True)).astype(_data(x).dtype)
    return g.reshape(kept) * share


_max = primitive("max", lambda x, axes, keepdims: np.max(x, axis=axes, keepdims=keepdims),
                 _extremum_vjp, saves=("x", "output"))
_min = primitive("min", lambda x, axes, keepdims: np.min(x, axis=axes, keepdims=keepdims),
                 _extremum_vjp, saves=("x", "output"))


@numpy_or_torch_names
def sum(x, axis=None, keepdims=False):
    x, keepdims = operand(x, "sum"), flag(keepdims, "sum", "keepdims")
    shape = _shape(x)
    return _sum(x, _norm_axes(axis, len(shape), "sum", shape), keepdims)


@numpy_or_torch_names
def max(x, axis=None, keepdims=False):
    return _extremum(_max, "max", x, axis, keepdims)


@numpy_or_torch_names
def min(x, axis=None, keepdims=False):
    return _extremum(_min, "min", x, axis, keepdims)


def _extremum(primitive, name, x, axis, keepdims):
    """max or min: its checks (an empty axis has no extremum), then the primitive."""
    x, keepdims = operand(x, name), flag(keepdims, name, "keepdims")
    axes = _norm_axes(axis, len(_shape(x)), name, _shape(x))
    if builtins.any(_shape(x)[a] == 0 for a in axes):
        raise ValueError(f"{name}: cannot reduce over an empty axis (tensor shape {_shape(x)})")
    return primitive(x, axes, keepdims)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


@numpy_or_torch_names
def mean(x, axis=None, keepdims=False):
    x, keepdims = operand(x, "mean"), flag(keepdims, "mean", "keepdims")
    shape = _shape(x)
    return _mean(x, _norm_axes(axis, len(shape), "mean", shape), keepdims)


def _dof(shape, axes, ddof):
    """Degrees of freedom N - ddof, never below 0 (NumPy, PyTorch): var is then
    inf or nan, not a negative number."""
    return builtins.max(_count(shape, axes) - ddof, 0)


@numpy_or_torch_names
def var(x, axis=None, keepdims=False, ddof=0):
    """Variance by the two-pass formula mean((x - mean(x))**2): no cancellation
    when the mean is large compared with the spread."""
    x, keepdims = operand(x, "var"), flag(keepdims, "var", "keepdims")
    axes = _norm_axes(axis, len(_shape(x)), "var", _shape(x))
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) / _dof(_shape(x), axes, ddof)


def _std_vjp(g, ans, x, axes, keepdims, ddof):
    # d std / dx = (x - mean) / ((N - ddof) * std). Where std == 0 (a constant
    # slice) that is 0/0; PyTorch defines the gradient there as 0, and so do we.
    kept = _kept_shape(_shape(x), axes)
    ans, g = ans.reshape(kept), g.reshape(kept)
    zero = _data(ans) == 0
    scale = where(zero, 0.0, g / (_dof(_shape(x), axes, ddof) * where(zero, 1.0, ans)))
    return scale * (x - mean(x, axes, keepdims=True))


_std = primitive("std", lambda x, axes, keepdims, ddof: np.std(x, axis=axes, keepdims=keepdims,
                                                                ddof=ddof),
                 _std_vjp, saves=("x", "output"))


@numpy_or_torch_names
def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation, NumPy's two-pass sqrt(mean((x - mean(x))**2))."""
    x, keepdims = operand(x, "std"), flag(keepdims, "std", "keepdims")
    return _std(x, _norm_axes(axis, len(_shape(x)), "std", _shape(x)), keepdims, ddof)
