"""Linear algebra: matmul, the linear layer's x @ W.T + b as one entry, and the
unfold/fold pair behind convolution (im2col + matmul) and pooling."""
from __future__ import annotations

import numpy as np

from minigrad.checks import operand
from minigrad.ops.primitive import _shape, primitive
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
    if bias is not None:
        y += bias                     # (in place on the fresh product)
    return y


def _linear_vjp_weight(g, ans, x, weight, bias):
    # sum over every example of g_n x_n^T: the batch axes flattened into one product
    return matmul(transpose(reshape(g, (-1, _shape(g)[-1]))), reshape(x, (-1, _shape(x)[-1])))


# y = x @ weight.T + bias, weight of shape (out, in): one node instead of three
# (transpose, matmul, add), as PyTorch's addmm. Its three gradients are those of
# the three ops: g @ weight, g^T x summed over the examples, and g itself, which
# the backward walk sums over the examples to the bias's shape (out,).
linear = primitive("linear", _linear_forward,
                   lambda g, ans, x, weight, bias: matmul(g, weight),
                   _linear_vjp_weight,
                   lambda g, ans, x, weight, bias: g)


# ----------------------------------------------------------------------------
# Convolution as unfold (im2col) + matmul. unfold and fold are adjoint linear
# maps, so each one's VJP is the other.
# ----------------------------------------------------------------------------

def _unfold_forward(x, kernel, stride):
    """(N, C, H, W) -> (N, C, kh, kw, oh, ow): every kernel-sized window."""
    (kh, kw), (sh, sw) = kernel, stride
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::sh, ::sw]              # (N, C, oh, ow, kh, kw)
    return np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3))


def _fold_forward(cols, shape, kernel, stride):
    """Adjoint of unfold: add each window back where it came from."""
    (kh, kw), (sh, sw) = kernel, stride
    out = np.zeros(shape, dtype=cols.dtype)
    oh, ow = cols.shape[4], cols.shape[5]
    for i in range(kh):            # a loop over kernel offsets, not over pixels
        for j in range(kw):
            out[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += cols[:, :, i, j]
    return out


unfold = primitive("unfold", _unfold_forward,
                   lambda g, ans, x, kernel, stride: fold(g, _shape(x), kernel, stride),
                   saves="x.shape")
fold = primitive("fold", _fold_forward,
                 lambda g, ans, cols, shape, kernel, stride: unfold(g, kernel, stride),
                 saves=())
