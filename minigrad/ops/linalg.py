"""Linear algebra: matmul, the linear layer's x @ W.T + b as one entry, and the
unfold/fold pair behind convolution (im2col + matmul) and pooling."""
from __future__ import annotations

import numpy as np

from minigrad.checks import operand
from minigrad.ops.primitive import _data, _shape, primitive
from minigrad.ops.shape import expand_dims, reshape, squeeze, swapaxes, transpose

# ----------------------------------------------------------------------------
# Linear algebra
# ----------------------------------------------------------------------------

def _matmul_vjp_a(g, ans, a, b):
    a_nd, b_nd = len(_shape(a)), len(_shape(b))
    if b_nd == 1:                      # (..., m, k) @ (k,) -> (..., m)
        return expand_dims(g, -1) * b if a_nd > 1 else g * b
    if a_nd == 1:                      # (k,) @ (..., k, n) -> (..., n)
        return squeeze(matmul(expand_dims(g, -2), swapaxes(b, -1, -2)), -2)
    return matmul(g, swapaxes(b, -1, -2))


def _matmul_vjp_b(g, ans, a, b):
    a_nd, b_nd = len(_shape(a)), len(_shape(b))
    if a_nd == 1:                      # (k,) @ (..., k, n)
        return expand_dims(a, -1) * expand_dims(g, -2) if b_nd > 1 else g * a
    if b_nd == 1:                      # (..., m, k) @ (k,)
        return squeeze(matmul(swapaxes(a, -1, -2), expand_dims(g, -1)), -1)
    return matmul(swapaxes(a, -1, -2), g)


_matmul = primitive("matmul", np.matmul, _matmul_vjp_a, _matmul_vjp_b, saves=("a", "b"))


def matmul(a, b):
    a, b = operand(a, "matmul", "first operand"), operand(b, "matmul", "second operand")
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{sa} and {sb} (use * to multiply by a scalar)")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: "
                         f"{ka} (last dim of the first) != {kb} "
                         f"({'second-to-last' if len(sb) > 1 else 'only'} dim of the second)")
    if len(sa) > 2 and len(sb) > 2:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {sa} and {sb} "
                             f"do not broadcast") from None
    return _matmul(a, b)


def _linear_forward(x, weight, bias):
    y = x @ weight.T
    y += bias                         # (in place on the fresh product)
    return y


def _linear_vjp_weight(g, ans, x, weight, bias):
    # sum over every example of g_n x_n^T: the batch axes flattened into one product
    return matmul(transpose(reshape(g, (-1, _shape(g)[-1]))), reshape(x, (-1, _shape(x)[-1])))


# y = x @ weight.T + bias, weight of shape (out, in): one node instead of three
# (transpose, matmul, add), as PyTorch's addmm. Its three gradients are those of
# the three ops: g @ weight, g^T x summed over the examples, and g itself, which
# the backward walk sums over the examples to the bias's shape (out,). Without a
# bias, pass the number 0.0: a constant, so it gets no gradient.
linear = primitive("linear", _linear_forward,
                   lambda g, ans, x, weight, bias: matmul(g, weight),
                   _linear_vjp_weight,
                   lambda g, ans, x, weight, bias: g,
                   saves=("x", "weight"))


# ----------------------------------------------------------------------------
# Sliding windows, for convolution (unfold + matmul, "im2col") and pooling.
#
# Layout: the input is (C, H, W, N), batch last. A window row is then a run of
# ow * N numbers (N with a stride), not of ow: NumPy copies and adds long runs
# at memory speed, and short ones at the speed of its inner loop's setup. The
# fold below ran 2.3x faster so than in (N, C, H, W) (benchmarks/README.md).
# unfold and fold are adjoint linear maps, so each one's VJP is the other.
# ----------------------------------------------------------------------------

def window_count(size, kernel, stride, dilation):
    """How many windows fit along an axis of `size` (PyTorch's output-size formula)."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def _unfold_forward(x, kernel, stride, dilation):
    """(C, H, W, N) -> (C, kh, kw, oh, ow, N): the input under each kernel
    offset (i, j) of every window, copied once into one contiguous array."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = np.lib.stride_tricks.sliding_window_view(x, span, axis=(1, 2))
    windows = windows[:, ::sh, ::sw, :, ::dh, ::dw]          # (C, oh, ow, N, kh, kw), a view
    return np.ascontiguousarray(windows.transpose(0, 4, 5, 1, 2, 3))


def _fold_forward(cols, shape, kernel, stride, dilation):
    """Adjoint of unfold: add each kernel offset's values back where they came from."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    out = np.zeros(shape, dtype=cols.dtype)
    oh, ow = cols.shape[3], cols.shape[4]
    for i in range(kh):            # a loop over kernel offsets, not over pixels
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw] += cols[:, i, j]
    return out


unfold = primitive("unfold", _unfold_forward,
                   lambda g, ans, x, kernel, stride, dilation:
                   fold(g, _shape(x), kernel, stride, dilation),
                   saves="x.shape")
fold = primitive("fold", _fold_forward,
                 lambda g, ans, cols, shape, kernel, stride, dilation:
                 unfold(g, kernel, stride, dilation),
                 saves=())


def _first_max(x, axis, valid):
    """Boolean mask of the one element along `axis` that max pooling picks, as
    PyTorch does: the first maximum in the window's row-major order, the last
    nan if there is one, and never a padding element (valid is False there)."""
    best = np.max(x, axis=axis, keepdims=True)
    hits = (x == best) & valid
    pick = np.argmax(hits, axis=axis)
    nan_windows = np.isnan(best).squeeze(axis)
    if nan_windows.any():           # PyTorch's scan keeps replacing a nan by a later one
        last_nan = x.shape[axis] - 1 - np.argmax(np.flip(np.isnan(x), axis), axis=axis)
        pick = np.where(nan_windows, last_nan, pick)
    positions = np.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
    return positions == np.expand_dims(pick, axis)


# The max over one axis (a pooling window), whose gradient goes to one element:
# the one _first_max picks. (ops.max shares it between ties, as PyTorch's amax.)
window_max = primitive("window_max",
                       lambda x, axis, valid: np.max(x, axis=axis),
                       lambda g, ans, x, axis, valid:
                       expand_dims(g, axis) * _first_max(_data(x), axis, valid).astype(_data(x).dtype),
                       saves="x")
