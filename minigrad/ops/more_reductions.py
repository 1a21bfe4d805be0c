"""More reductions: the running sum and product (cumsum, cumprod), the product
prod (composed from cumprod, so zeros need no rule of their own), logsumexp,
the vector and Frobenius norms, and the logical all/any (no gradient)."""
from __future__ import annotations

import builtins
import math

import numpy as np

from minigrad.checks import operand
from minigrad.ops.elementwise import abs, exp, log, power, where
from minigrad.ops.more_elementwise import sign
from minigrad.ops.primitive import _data, _norm_axes, _shape, primitive
from minigrad.ops.reductions import max, min, sum
from minigrad.ops.shape import _getitem, reshape, transpose
from minigrad.spellings import numpy_or_torch_names
from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------
# Running sums and products along one axis
# ----------------------------------------------------------------------------

def _reversed(x, axis):
    """x with `axis` reversed (a slice with step -1)."""
    index = [slice(None)] * len(_shape(x))
    index[axis] = slice(None, None, -1)
    return _getitem(x, tuple(index))


def _reverse_cumsum(g, axis):
    """Sums from the end: out[i] = g[i] + g[i+1] + ... (the adjoint of cumsum)."""
    return _reversed(_cumsum(_reversed(g, axis), axis), axis)


_cumsum = primitive("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
                    lambda g, ans, x, axis: _reverse_cumsum(g, axis), saves=())


def _cumprod_vjp(g, ans, x, axis):
    """Without zeros: d out_k / d x_i = out_k / x_i for i <= k, so the gradient is
    reverse_cumsum(g * out) / x. A zero cannot be divided by; take the first zero
    x_z of each slice out as a factor:  cumprod(x) = cumprod(x1) * f,  where x1 is
    x with x_z set to 1 and f is x_z from position z on (1 before). Then
      d/dx_z  = sum_{k >= z} g_k cumprod(x1)_k,
      d/dx_i  = the same VJP at x1 for the gradient g * f  (i != z),
    and x1 has one zero fewer: repeat until none is left (a loop, not recursion:
    a slice may hold thousands of zeros). Both hold for every value of x_z, so
    the result is right to differentiate again."""
    at_first_zeros = []                 # (where the first zeros were, d/dx there)
    zero = _data(x) == 0
    while zero.any():
        zeros_so_far = np.cumsum(zero, axis=axis)
        first_zero = (zeros_so_far == 1) & zero
        x_z = sum(where(first_zero, x, 0.0), axis, keepdims=True)
        x = where(first_zero, 1.0, x)
        ans = _cumprod(x, axis)
        at_first_zeros.append((first_zero, _reverse_cumsum(g * ans, axis)))
        g = g * where(zeros_so_far >= 1, x_z, 1.0)
        zero = _data(x) == 0
    grad = _reverse_cumsum(g * ans, axis) / x
    for first_zero, grad_there in reversed(at_first_zeros):
        grad = where(first_zero, grad_there, grad)
    return grad


_cumprod = primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _cumprod_vjp,
                     saves=("x", "output"))


def _running(op, x, axis):
    """axis=None runs over the flattened tensor, as in NumPy."""
    if axis is None:
        return op(reshape(x, -1), 0)
    return op(x, _norm_axes(axis, len(_shape(x)), op.name, _shape(x))[0])


@numpy_or_torch_names
def cumsum(x, axis=None):
    """Running sum along axis: out[..., k] = x[..., 0] + ... + x[..., k]
    (axis=None: over the flattened tensor)."""
    return _running(_cumsum, x, axis)


@numpy_or_torch_names
def cumprod(x, axis=None):
    """Running product along axis; zeros included (the gradient is exact there too)."""
    return _running(_cumprod, x, axis)


@numpy_or_torch_names
def prod(x, axis=None, keepdims=False):
    """Product over axis (None: all): the last entry of the running product over the
    reduced axes, flattened into one. Zeros need no rule of their own: one zero
    leaves a gradient only at that zero, two or more leave none."""
    shape = _shape(x)
    axes = _norm_axes(axis, len(shape), "prod", shape)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    out_shape = tuple(1 if i in axes else n for i, n in enumerate(shape)) if keepdims \
        else tuple(shape[i] for i in kept)
    n = math.prod(shape[i] for i in axes)
    if n == 0:
        return reshape(sum(x, axes) + 1, out_shape)     # the empty product is 1
    flat = reshape(transpose(x, kept + axes), tuple(shape[i] for i in kept) + (n,))
    return reshape(_getitem(_cumprod(flat, len(kept)), (Ellipsis, -1)), out_shape)


# ----------------------------------------------------------------------------
# logsumexp and norms
# ----------------------------------------------------------------------------

@numpy_or_torch_names
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over axis, after subtracting the max so that exp never
    overflows. The max is a constant here (the result does not depend on it);
    where it is infinite, 0 is subtracted instead. The gradient is softmax(x)."""
    x = operand(x, "logsumexp")
    axes = _norm_axes(axis, len(_shape(x)), "logsumexp", _shape(x))
    data = _data(x) if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)
    if builtins.any(data.shape[a] == 0 for a in axes):
        shift = np.zeros(tuple(1 if i in axes else n for i, n in enumerate(data.shape)))
    else:
        shift = np.max(data, axis=axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0.0)
    if data.dtype.kind == "f":
        shift = shift.astype(data.dtype)            # float32 stays float32
    with np.errstate(divide="ignore"):              # log(0) = -inf for an all -inf slice
        out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(out.shape)
                                                   if i not in axes))


def _pnorm_vjp(g, ans, x, p, axes, keepdims):
    # d/dx_i (sum |x|^p)^(1/p) = sign(x_i) (|x_i| / norm)^(p-1); 0 where the norm
    # is 0 (PyTorch's choice at the kink).
    kept = tuple(1 if i in axes else n for i, n in enumerate(_shape(x)))
    norm = reshape(ans, kept)
    zero = _data(norm) == 0
    ratio = abs(x) / where(zero, 1.0, norm)
    scale = ratio if p == 2 else power(ratio, p - 1.0)
    return where(zero, 0.0, reshape(g, kept) * np.sign(_data(x)) * scale)


def _pnorm_forward(x, p, axes, keepdims):
    if p == 2:
        return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims))
    return np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)


_pnorm = primitive("norm", _pnorm_forward, _pnorm_vjp, saves=("x", "output"))


@numpy_or_torch_names
def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm for vectors and the Frobenius norm of matrices.

    ord=None or 2: sqrt(sum(x**2)) over axis (None: all elements, which for a
    matrix is the Frobenius norm; "fro" asks for that over two axes); ord=p >= 1:
    (sum |x|^p)^(1/p); inf / -inf: max / min of |x|; 0: the number of nonzeros.
    The gradient at a zero norm is 0, as in PyTorch."""
    shape = _shape(x)
    axes = _norm_axes(axis, len(shape), "norm", shape)
    if axis is not None and len(axes) > 2:
        raise ValueError(f"norm: axis must name one or two axes, got {axis!r}")
    matrix = len(axes) == 2 and (axis is not None or len(shape) == 2)
    if ord == "fro" and not matrix:
        raise ValueError(f"norm: ord='fro' is a matrix norm; it needs two axes (shape {shape}, "
                         f"axis {axis!r})")
    if matrix and ord not in (None, "fro"):
        raise ValueError(f"norm: of the matrix norms only ord=None or 'fro' (Frobenius) are "
                         f"built, got ord={ord!r}")
    if ord in (None, "fro", 2):
        return _pnorm(x, 2, axes, bool(keepdims))
    if ord == math.inf:
        return max(abs(x), axes, keepdims)
    if ord == -math.inf:
        return min(abs(x), axes, keepdims)
    if ord == 0:
        return sum(sign(abs(x)), axes, keepdims)        # counts nonzeros; gradient 0
    if isinstance(ord, (int, float)) and not isinstance(ord, bool) and ord >= 1:
        return _pnorm(x, float(ord), axes, bool(keepdims))
    raise ValueError(f"norm: ord must be None, 'fro', inf, -inf, 0 or a number >= 1, "
                     f"got {ord!r}")


# ----------------------------------------------------------------------------
# all / any: boolean results, never part of the graph
# ----------------------------------------------------------------------------

@numpy_or_torch_names
def all(x, axis=None, keepdims=False):
    """True where every element over axis is nonzero (nan counts as nonzero)."""
    axes = _norm_axes(axis, len(_shape(x)), "all", _shape(x))
    return Tensor._make(np.all(_data(x), axis=axes, keepdims=bool(keepdims)))


@numpy_or_torch_names
def any(x, axis=None, keepdims=False):
    """True where some element over axis is nonzero."""
    axes = _norm_axes(axis, len(_shape(x)), "any", _shape(x))
    return Tensor._make(np.any(_data(x), axis=axes, keepdims=bool(keepdims)))
