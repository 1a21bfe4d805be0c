"""More elementwise functions: logs and exponentials near 0 and in other bases,
square, reciprocal, rsqrt, erf; the rounding family (gradient zero); mod and
fmod; and the nan/inf tests (no gradient)."""
from __future__ import annotations

import math

import numpy as np

from minigrad.ops.elementwise import exp
from minigrad.ops.primitive import _data, _shape, primitive
from minigrad.tensor import Tensor

_LN2, _LN10 = math.log(2.0), math.log(10.0)

# ----------------------------------------------------------------------------
# Logarithms and exponentials
#   log1p(x) = log(1 + x), accurate for tiny x;   d/dx = 1 / (1 + x)
#   expm1(x) = exp(x) - 1, accurate for tiny x;   d/dx = exp(x) = expm1(x) + 1
#   log2, log10: d/dx = 1 / (x ln b);   exp2(x) = 2**x: d/dx = 2**x ln 2
# ----------------------------------------------------------------------------

log1p = primitive("log1p", np.log1p,
                  lambda g, ans, x: g / (1.0 + x), saves="x")
expm1 = primitive("expm1", np.expm1,
                  lambda g, ans, x: g * (ans + 1.0), saves="output")
log2 = primitive("log2", np.log2,
                 lambda g, ans, x: g / (x * _LN2), saves="x")
log10 = primitive("log10", np.log10,
                  lambda g, ans, x: g / (x * _LN10), saves="x")
exp2 = primitive("exp2", np.exp2,
                 lambda g, ans, x: g * ans * _LN2, saves="output")

# ----------------------------------------------------------------------------
# Powers:  square' = 2x,  reciprocal' = -1/x^2,  rsqrt(x) = x**-0.5: rsqrt' = -x**-1.5 / 2
# ----------------------------------------------------------------------------

square = primitive("square", np.square,
                   lambda g, ans, x: g * 2.0 * x, saves="x")
reciprocal = primitive("reciprocal", lambda x: np.reciprocal(np.asarray(x, dtype=_float(x))),
                       lambda g, ans, x: -g * ans * ans, saves="output")
rsqrt = primitive("rsqrt", lambda x: 1.0 / np.sqrt(x),
                  lambda g, ans, x: -0.5 * g * ans * ans * ans, saves="output")


def _float(x):
    """The floating dtype a function of x computes in (integers give float64)."""
    dtype = np.asarray(x).dtype
    return dtype if dtype.kind == "f" else np.float64


# ----------------------------------------------------------------------------
# The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt,
# d/dx = 2/sqrt(pi) * exp(-x^2). NumPy has no erf; Python's math.erf (the C
# library's, correct to the last bit or so) is applied to each element.
# ----------------------------------------------------------------------------

_erf_each = np.frompyfunc(math.erf, 1, 1)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_forward(x):
    x = np.asarray(x)
    return np.asarray(_erf_each(x), dtype=_float(x))


erf = primitive("erf", _erf_forward,
                lambda g, ans, x: g * _TWO_OVER_SQRT_PI * exp(-(x * x)), saves="x")

# ----------------------------------------------------------------------------
# Rounding: piecewise constant, so the gradient is zero everywhere (as in
# PyTorch, which also calls it zero at the jumps).
# ----------------------------------------------------------------------------

def _zero_vjp(g, ans, x, *options):
    return np.zeros(_shape(x), dtype=_data(g).dtype)


sign = primitive("sign", np.sign, _zero_vjp, saves="x.shape")
floor = primitive("floor", np.floor, _zero_vjp, saves="x.shape")
ceil = primitive("ceil", np.ceil, _zero_vjp, saves="x.shape")
trunc = primitive("trunc", np.trunc, _zero_vjp, saves="x.shape")
_round = primitive("round", lambda x, decimals: np.round(x, decimals), _zero_vjp,
                  saves="x.shape")


def round(x, decimals=0):
    """Round half to even (NumPy's and PyTorch's rule: round(2.5) == 2), to
    `decimals` places. The gradient is zero."""
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return _round(x, int(decimals))


fix = trunc          # NumPy's other name

# ----------------------------------------------------------------------------
# Remainders. mod (NumPy's mod, PyTorch's remainder) takes the sign of the
# divisor: a - b * floor(a / b). fmod (C's) takes the sign of the dividend:
# a - b * trunc(a / b). d/da = 1, d/db = -floor(a / b) or -trunc(a / b).
# ----------------------------------------------------------------------------

mod = primitive("mod", np.mod,
                lambda g, ans, a, b: g,
                lambda g, ans, a, b: -g * np.floor_divide(_data(a), _data(b)),
                saves=("a", "b"))
fmod = primitive("fmod", np.fmod,
                 lambda g, ans, a, b: g,
                 lambda g, ans, a, b: -g * np.trunc(np.true_divide(_data(a), _data(b))),
                 saves=("a", "b"))
remainder = mod      # PyTorch's name

# ----------------------------------------------------------------------------
# Tests for nan and inf: boolean tensors, never part of the graph.
# ----------------------------------------------------------------------------

def _test(ufunc, x):
    try:
        return Tensor._make(ufunc(_data(x)))
    except TypeError as e:
        raise TypeError(f"{ufunc.__name__}: {e} (input shape {_shape(x)})") from None


def isnan(x):
    """True where x is nan. No gradient."""
    return _test(np.isnan, x)


def isinf(x):
    """True where x is +inf or -inf. No gradient."""
    return _test(np.isinf, x)


def isfinite(x):
    """True where x is neither nan nor +-inf. No gradient."""
    return _test(np.isfinite, x)
