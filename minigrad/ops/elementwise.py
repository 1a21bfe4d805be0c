"""Elementwise operations: arithmetic, powers, exp/log, the activations, where,
clip, casts and comparisons."""
from __future__ import annotations

import builtins

import numpy as np

from minigrad.checks import operand
from minigrad.ops.primitive import _data, _shape, primitive
from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------
# Elementwise arithmetic
# ----------------------------------------------------------------------------

add = primitive("add", np.add,
                lambda g, ans, a, b: g,
                lambda g, ans, a, b: g)
sub = primitive("sub", np.subtract,
                lambda g, ans, a, b: g,
                lambda g, ans, a, b: -g)
mul = primitive("mul", np.multiply,
                lambda g, ans, a, b: g * b,
                lambda g, ans, a, b: g * a)
div = primitive("div", np.true_divide,
                lambda g, ans, a, b: g / b,
                lambda g, ans, a, b: -g * a / (b * b))
neg = primitive("neg", np.negative,
                lambda g, ans, x: -g)
clone = primitive("clone", np.copy,             # a copy that stays in the graph (PyTorch's clone)
                  lambda g, ans, x: g)


def _log_base(a):
    # d(a**b)/db = a**b * log(a); where a == 0 the limit used by PyTorch is 0.
    return log(where(_data(a) == 0, 1.0, a))


def _power_base_vjp(g, ans, a, b):
    # Where b == 0, b * a**(b-1) would be 0 * inf = nan at a == 0; the derivative of
    # the constant a**0 is 0, and any finite power times b = 0 gives that 0.
    exponent = b - 1
    if np.any(_data(b) == 0):
        exponent = where(_data(b) == 0, 1.0, exponent)
    return g * b * a ** exponent


power = primitive("pow", np.power,
                  _power_base_vjp,
                  lambda g, ans, a, b: g * ans * _log_base(a))

exp = primitive("exp", np.exp,
                lambda g, ans, x: g * ans)
log = primitive("log", np.log,
                lambda g, ans, x: g / x)
sqrt = primitive("sqrt", np.sqrt,
                 lambda g, ans, x: g / (2.0 * ans))
abs = primitive("abs", np.abs,
                lambda g, ans, x: g * np.sign(_data(x)))
tanh = primitive("tanh", np.tanh,
                 lambda g, ans, x: g * (1.0 - ans * ans))


def _sigmoid_forward(x):
    # Never exponentiate a large positive number: e = exp(-|x|) is in (0, 1].
    if x.dtype.kind != "f":
        x = x.astype(np.float64)        # integers and booleans give floats, as np.tanh does
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = primitive("sigmoid", _sigmoid_forward,
                    lambda g, ans, x: g * ans * (1.0 - ans))
relu = primitive("relu", lambda x: np.maximum(x, 0),
                 lambda g, ans, x: g * (_data(x) > 0))


def _tie_mask(a, b, better):
    # The winner gets the gradient; on a tie each side gets half, as in PyTorch.
    a, b = _data(a), _data(b)
    mask = better(a, b) + 0.5 * (a == b)
    return mask.astype(np.result_type(a, b), copy=False)


maximum = primitive("maximum", np.maximum,
                    lambda g, ans, a, b: g * _tie_mask(a, b, np.greater),
                    lambda g, ans, a, b: g * _tie_mask(b, a, np.greater))
minimum = primitive("minimum", np.minimum,
                    lambda g, ans, a, b: g * _tie_mask(a, b, np.less),
                    lambda g, ans, a, b: g * _tie_mask(b, a, np.less))

_where = primitive("where", np.where,
                   None,
                   lambda g, ans, cond, a, b: where(cond, g, 0.0),
                   lambda g, ans, cond, a, b: where(cond, 0.0, g))


def where(condition, a, b):
    """Elementwise `a if condition else b`; the condition gets no gradient."""
    cond = _data(condition)
    return _where(np.asarray(cond, dtype=bool), a, b)


def _clip_forward(x, lo, hi):
    return np.clip(x, lo, hi)


def _clip_mask(x, lo, hi):
    x = _data(x)
    keep = np.ones(x.shape, dtype=bool)
    if lo is not None:
        keep &= x >= lo
    if hi is not None:
        keep &= x <= hi
    return keep


_clip = primitive("clip", _clip_forward,
                  lambda g, ans, x, lo, hi: g * _clip_mask(x, lo, hi))


def clip(x, min=None, max=None):
    """Clamp to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    if builtins.any(isinstance(b, Tensor) and b.requires_grad for b in (min, max)):
        # Bounds that need a gradient: each element's gradient goes to whichever
        # of x, min, max it came from (torch.clamp), which is what where does.
        shapes = [_shape(v) for v in (x, min, max) if v is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f"clip: shapes {' and '.join(map(str, shapes))} cannot be "
                             f"broadcast together") from None
        if min is not None:
            x = where(_data(x) < _data(min), min, x)
        if max is not None:
            x = where(_data(x) > _data(max), max, x)
        return x
    return _clip(x, _data(min), _data(max))


def astype(x, dtype):
    """Cast to another dtype; the gradient is cast back. Casting to an integer or
    boolean dtype leaves the graph: such tensors cannot carry gradients."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"astype: {dtype!r} is not a NumPy dtype") from None
    if dtype.kind != "f":
        return Tensor._make(np.asarray(_data(x)).astype(dtype))
    return _astype(x, dtype)


_astype = primitive("astype", lambda x, dtype: x.astype(dtype),
                    lambda g, ans, x, dtype: astype(g, _data(x).dtype))


def compare(ufunc, a, b):
    """< <= > >= == != : a boolean tensor, never part of the graph."""
    name = ufunc.__name__
    operand(a, name, "left operand")
    operand(b, name, "right operand")
    try:
        return Tensor._make(ufunc(_data(a), _data(b)))
    except (ValueError, TypeError) as e:    # (NumPy's own error classes need more arguments)
        kind = TypeError if isinstance(e, TypeError) else ValueError
        raise kind(f"{name}: {e} (shapes {_shape(a)} and {_shape(b)})") from None
