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
                lambda g, ans, a, b: g,
                saves=())
sub = primitive("sub", np.subtract,
                lambda g, ans, a, b: g,
                lambda g, ans, a, b: -g,
                saves=())


def _summed_product(g, other, wanted):
    """The gradient of the factor `wanted` of a product when it was broadcast (it
    is smaller than g): g * other summed back down to its shape.

    On plain arrays (no graph is recorded for this backward) np.einsum adds the
    products up straight into that shape, without making the full-size g * other
    that the walk would then sum: BatchNorm's dweight = sum dy * x_hat costs no
    input-sized array, and half the time. float16 adds up in float32, as np.sum
    does, and is rounded back at the end. On tensors (create_graph) it is g * other,
    which the walk sums with a recorded sum_to."""
    if type(g) is not np.ndarray:
        return g * other
    other = np.asarray(_data(other))      # (a constant may be kept as a tensor, for drawing)
    dtype = np.result_type(g, other)
    n, shape = g.ndim, wanted.shape
    kept = [i for i in range(n - len(shape), n) if shape[i - n] != 1]
    total = np.einsum(g, list(range(n)), other, list(range(n - other.ndim, n)), kept,
                      dtype=np.float32 if dtype == np.float16 else dtype)
    return total.astype(dtype, copy=False).reshape(shape)


mul = primitive("mul", np.multiply,
                lambda g, ans, a, b: g * b if a.shape == g.shape else _summed_product(g, b, a),
                lambda g, ans, a, b: g * a if b.shape == g.shape else _summed_product(g, a, b),
                saves=("a", "b"))
div = primitive("div", np.true_divide,
                lambda g, ans, a, b: g / b,
                lambda g, ans, a, b: -g * a / (b * b),
                saves=("a", "b"))
neg = primitive("neg", np.negative,
                lambda g, ans, x: -g,
                saves=())
clone = primitive("clone", np.copy,             # a copy that stays in the graph (PyTorch's clone)
                  lambda g, ans, x: g,
                  saves=())


def _power_base_vjp(g, ans, a, b):
    # d(a**b)/da = b * a**(b-1). Where b == 0, a**0 is the constant 1 and its derivative
    # 0, but the formula gives 0 * inf = nan at a == 0 and a = ±inf: there a is read as 1.
    zero = _data(b) == 0
    if np.any(zero):
        a, b_minus_1 = where(zero, 1.0, a), where(zero, 0.0, b - 1)
        return g * b * a ** b_minus_1
    return g * b * a ** (b - 1)


def _power_exponent_vjp(g, ans, a, b):
    # d(a**b)/db = a**b * log(a). At a == 0 with b >= 0, a**b is 0 (or 1) from the right
    # and PyTorch takes the derivative as 0, so log(0) is read as 0 there. With b < 0,
    # a**b = inf and the derivative stays inf * log(0) = -inf, as in PyTorch.
    log_of_zero_is_zero = (_data(a) == 0) & (_data(b) >= 0)
    if np.any(log_of_zero_is_zero):
        a = where(log_of_zero_is_zero, 1.0, a)
    return g * ans * log(a)


power = primitive("pow", np.power,
                  _power_base_vjp,
                  _power_exponent_vjp,
                  saves=("a", "b", "output"))

exp = primitive("exp", np.exp,
                lambda g, ans, x: g * ans,
                saves="output")
log = primitive("log", np.log,
                lambda g, ans, x: g / x,
                saves="x")
sqrt = primitive("sqrt", np.sqrt,
                 lambda g, ans, x: g / (2.0 * ans),
                 saves="output")
abs = primitive("abs", np.abs,
                lambda g, ans, x: g * np.sign(_data(x)),
                saves="x")
tanh = primitive("tanh", np.tanh,
                 lambda g, ans, x: g * (1.0 - ans * ans),
                 saves="output")


def _sigmoid_forward(x):
    # Never exponentiate a large positive number: e = exp(-|x|) is in (0, 1].
    if x.dtype.kind != "f":
        x = x.astype(np.float64)        # integers and booleans give floats, as np.tanh does
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = primitive("sigmoid", _sigmoid_forward,
                    lambda g, ans, x: g * ans * (1.0 - ans),
                    saves="output")
relu = primitive("relu", lambda x: np.maximum(x, 0),
                 lambda g, ans, x: g * (_data(ans) > 0),
                 saves="output")


def _tie_mask(a, b, better):
    # The winner gets the gradient; on a tie each side gets half, as in PyTorch.
    a, b = _data(a), _data(b)
    mask = better(a, b) + 0.5 * (a == b)
    return mask.astype(np.result_type(a, b), copy=False)


maximum = primitive("maximum", np.maximum,
                    lambda g, ans, a, b: g * _tie_mask(a, b, np.greater),
                    lambda g, ans, a, b: g * _tie_mask(b, a, np.greater),
                    saves=("a", "b"))
minimum = primitive("minimum", np.minimum,
                    lambda g, ans, a, b: g * _tie_mask(a, b, np.less),
                    lambda g, ans, a, b: g * _tie_mask(b, a, np.less),
                    saves=("a", "b"))

_where = primitive("where", np.where,
                   None,
                   lambda g, ans, cond, a, b: where(cond, g, 0.0),
                   lambda g, ans, cond, a, b: where(cond, 0.0, g),
                   saves="cond")


def where(condition, a, b):
    """Elementwise `a if condition else b`; the condition gets no gradient."""
    cond = _data(operand(condition, "where", "condition"))
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
                  lambda g, ans, x, lo, hi: g * _clip_mask(x, lo, hi),
                  saves=("x", "lo", "hi"))


def clip(x, min=None, max=None):
    """Clamp to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    x = operand(x, "clip")
    for bound, name in ((min, "min"), (max, "max")):
        if bound is not None:
            operand(bound, "clip", name)
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
    x = operand(x, "astype")
    if dtype.kind not in "biuf":
        raise TypeError(f"astype: minigrad computes with booleans, integers or floats, got "
                        f"dtype {dtype}")
    if dtype.kind != "f":
        return Tensor._make(np.asarray(_data(x)).astype(dtype))
    return _astype(x, dtype)


_astype = primitive("astype", lambda x, dtype: x.astype(dtype),
                    lambda g, ans, x, dtype: astype(g, x.dtype),
                    saves="x.dtype")


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
