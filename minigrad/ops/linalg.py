"""Linear algebra: matmul, the linear layer's x @ W.T + b as one entry, convolution
as three entries that are each other's VJPs (im2col + matmul), and the
unfold/fold pair behind pooling."""
from __future__ import annotations

import numpy as np

from minigrad.checks import operand
from minigrad.ops.primitive import _data, _shape, primitive
from minigrad.ops.shape import expand_dims, squeeze, swapaxes

# ----------------------------------------------------------------------------
# Linear algebra
# ----------------------------------------------------------------------------

def _operands_like(g, *operands):
    """The operands as a VJP computes with them: their arrays when g is an array (the
    walk without create_graph; an operand that takes no gradient is kept in the node
    as a tensor, for drawing), the operands themselves when g is a tensor."""
    return tuple(_data(v) for v in operands) if type(g) is np.ndarray else operands


# Matrices of two or more dimensions, the usual case, need only @ and swapaxes, which
# arrays and tensors share: on arrays NumPy runs them directly.

def _matmul_vjp_a(g, ans, a, b):
    a_nd, b_nd = len(_shape(a)), len(_shape(b))
    (b,) = _operands_like(g, b)
    if b_nd == 1:                      # (..., m, k) @ (k,) -> (..., m)
        return expand_dims(g, -1) * b if a_nd > 1 else g * b
    if a_nd == 1:                      # (k,) @ (..., k, n) -> (..., n)
        return squeeze(matmul(expand_dims(g, -2), swapaxes(b, -1, -2)), -2)
    return g @ b.swapaxes(-1, -2)


def _matmul_vjp_b(g, ans, a, b):
    a_nd, b_nd = len(_shape(a)), len(_shape(b))
    (a,) = _operands_like(g, a)
    if a_nd == 1:                      # (k,) @ (..., k, n)
        return expand_dims(a, -1) * expand_dims(g, -2) if b_nd > 1 else g * a
    if b_nd == 1:                      # (..., m, k) @ (k,)
        return squeeze(matmul(swapaxes(a, -1, -2), expand_dims(g, -1)), -1)
    return a.swapaxes(-1, -2) @ g


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


def _linear_vjp_input(g, ans, x, weight, bias):
    (weight,) = _operands_like(g, weight)
    return g @ weight


def _linear_vjp_weight(g, ans, x, weight, bias):
    # sum over every example of g_n x_n^T: the batch axes flattened into one product
    (x,) = _operands_like(g, x)         # (x is most often the network's input: a constant)
    return g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])


# y = x @ weight.T + bias, weight of shape (out, in): one node instead of three
# (transpose, matmul, add), as PyTorch's addmm. Its three gradients are those of
# the three ops: g @ weight, g^T x summed over the examples, and g itself, which
# the backward walk sums over the examples to the bias's shape (out,). Without a
# bias, pass the number 0.0: a constant, so it gets no gradient.
# x and weight are tensors or arrays (F.linear, its one caller, makes them so). The
# VJPs use only operators and methods that arrays and tensors share (@, .T,
# .reshape): on arrays NumPy runs them directly, on tensors (create_graph) they
# record the same matmul, transpose and reshape nodes.
linear = primitive("linear", _linear_forward,
                   _linear_vjp_input,
                   _linear_vjp_weight,
                   lambda g, ans, x, weight, bias: g,
                   saves=("x", "weight"))


# ----------------------------------------------------------------------------
# Convolution: three primitives, each one the VJP of the others.
#
# Channels last: x is (N, H, W, C), already padded; weight is (kh, kw, C / G, O)
# for G groups. Group k's O / G filters see only its C / G channels:
#
#     conv(x, weight)[n, a, b, o] = sum over i, j, c of
#         x[n, a * sh + i * dh, b * sw + j * dw, k * C / G + c] * weight[i, j, c, o]
#
# for stride (sh, sw), dilation (dh, dw) and o in group k. conv is linear in x
# and in weight, so for any dy of its output's shape (<u, v> is the sum of u * v)
#
#     <dy, conv(x, weight)> = <conv_transpose(dy, weight), x> = <conv_weight(x, dy), weight>
#
# defines two more linear maps: conv_transpose (the adjoint in x: each window
# position's dy @ weight[i, j].T added back onto the input it came from) and
# conv_weight (the adjoint in weight: every window times dy, summed). The same
# identity, read for each argument of each map, gives all six VJPs:
#
#     conv(x, weight):            x <- conv_transpose(g, weight)   weight <- conv_weight(x, g)
#     conv_transpose(dy, weight): dy <- conv(g, weight)            weight <- conv_weight(g, dy)
#     conv_weight(x, dy):         x <- conv_transpose(dy, g)       dy <- conv(x, g)
#
# (g: the gradient arriving at each one's output; all with the same stride,
# dilation and groups), so every gradient is again one of the three and can be
# differentiated as far as one likes. PyTorch splits convolution the same way
# (its backward for the input and for the weight).
#
# How they compute, and why so (benchmarks/README.md has the figures): im2col,
# a copy of the windows into a matrix with one row per output position and one
# column per (i, j, c), multiplied by weight as a (kh * kw * C, O) matrix; with
# groups, a stack of G such products, (G, positions, kh * kw * C / G) times
# (G, kh * kw * C / G, O / G), in one np.matmul call.
# - Channels last: a window row is one run of kw * C numbers to copy, and
#   OpenBLAS multiplies row-major positions x channels matrices fastest.
# - A few images at a time (_CHUNK_BYTES): one chunk's window copy stays in the
#   core's cache for the products that read it; the whole batch's does not.
# - conv_transpose multiplies dy by each kernel offset's (O, C) block of weight
#   separately: each offset's result is then one contiguous array, added onto
#   the input in long runs instead of runs of C numbers.
# - Depthwise, one filter per channel (C / G = O / G = 1, MobileNet's layers):
#   no windows and no products, but for each kernel offset the input it sees
#   times that offset's C weights, added up. im2col would copy single numbers
#   and make one tiny BLAS call per channel.
# ----------------------------------------------------------------------------

_CHUNK_BYTES = 1 << 20      # the window copy of one chunk of images: about one L2 cache


def window_count(size, kernel, stride, dilation):
    """How many windows fit along an axis of `size` (PyTorch's output-size formula)."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def _seen_from(i, j, oh, ow, stride, dilation):
    """Index of the input that kernel offset (i, j) sees, one pixel per window:
    x[_seen_from(...)] is (N, oh, ow, C), lined up with the output."""
    (sh, sw), (dh, dw) = stride, dilation
    return (slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _depthwise(group_channels, out_channels, groups):
    """One input and one output channel per group: each filter sees one channel."""
    return group_channels == 1 and out_channels == groups


def _conv_windows(x, kernel, stride, dilation, groups):
    """The windows of x (N, H, W, C) as a view (N, oh, ow, G, kh, kw, C / G): entry
    [n, a, b, k, i, j] is group k's channels under kernel offset (i, j) of window (a, b)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, height, width, c = x.shape
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    x = x.reshape(n, height, width, groups, c // groups)
    windows = np.lib.stride_tricks.sliding_window_view(x, span, axis=(1, 2))
    windows = windows[:, ::sh, ::sw, :, :, ::dh, ::dw]       # (N, oh, ow, G, C / G, kh, kw)
    return windows.transpose(0, 1, 2, 3, 5, 6, 4)


def _chunks(n, size):
    """The batch's slices of `size` images, and how many images each holds."""
    return [(slice(start, min(start + size, n)), min(size, n - start))
            for start in range(0, n, size)]


def _images_per_chunk(positions, row, itemsize):
    """How many images' window copies (positions rows of `row` numbers each)
    fit in _CHUNK_BYTES; at least one (also when a row is empty: no channels)."""
    return max(1, _CHUNK_BYTES // max(1, positions * row * itemsize))


def _window_matrices(x, kernel, stride, dilation, groups):
    """For each chunk of images: its slice of the batch and its windows copied
    into a (G, positions, kh * kw * C / G) stack of matrices, one row per window.

    Every chunk is copied into the same buffer (a fresh large array costs page
    faults each time), so a chunk's matrices are valid only until the next chunk
    is asked for: use them before moving on, and never keep them."""
    windows = _conv_windows(x, kernel, stride, dilation, groups)
    n, oh, ow, _, kh, kw, c = windows.shape
    size = _images_per_chunk(oh * ow, kh * kw * c * groups, x.itemsize)
    buffer = np.empty((min(size, n), oh, ow, groups, kh, kw, c), dtype=x.dtype)
    for part, images in _chunks(n, size):
        np.copyto(buffer[:images], windows[part])
        rows = buffer[:images].reshape(images, oh, ow, groups * kh * kw * c)
        yield part, _by_group(rows, groups)


def _by_group(a, groups):
    """(N, oh, ow, G * m) -> (G, N * oh * ow, m): group k's m columns of a as one
    matrix (a view when a is contiguous)."""
    n, oh, ow, o = a.shape
    return a.reshape(n * oh * ow, groups, o // groups).swapaxes(0, 1)


def _conv_forward(x, weight, stride, dilation, groups):
    kh, kw, c, o = weight.shape
    n, height, width = x.shape[:3]
    oh = window_count(height, kh, stride[0], dilation[0])
    ow = window_count(width, kw, stride[1], dilation[1])
    if _depthwise(c, o, groups):
        y = np.zeros((n, oh, ow, o), dtype=np.result_type(x, weight))
        for i in range(kh):
            for j in range(kw):
                y += x[_seen_from(i, j, oh, ow, stride, dilation)] * weight[i, j, 0]
        return y
    y = np.empty((n, oh, ow, o), dtype=np.result_type(x, weight))
    # (kh, kw, C / G, O) -> (G, kh * kw * C / G, O / G): each group's filters as a matrix
    matrices = weight.reshape(kh * kw * c, groups, o // groups).swapaxes(0, 1)
    for part, cols in _window_matrices(x, (kh, kw), stride, dilation, groups):
        if groups == 1:
            np.matmul(cols, matrices, out=_by_group(y[part], 1))    # (straight into y)
        else:           # (NumPy's matmul writes into a strided output slowly)
            _by_group(y[part], groups)[...] = cols @ matrices
    return y


def _conv_transpose_forward(dy, weight, shape, stride, dilation, groups):
    kh, kw, c, o = weight.shape
    n, oh, ow = dy.shape[:3]
    dx = np.zeros(shape, dtype=np.result_type(dy, weight))
    if _depthwise(c, o, groups):
        for i in range(kh):
            for j in range(kw):
                dx[_seen_from(i, j, oh, ow, stride, dilation)] += dy * weight[i, j, 0]
        return dx
    # one (O / G, C / G) block per kernel offset and group: (kh, kw, G, O / G, C / G)
    blocks = weight.reshape(kh, kw, c, groups, o // groups).transpose(0, 1, 3, 4, 2)
    size = _images_per_chunk(oh * ow, kh * kw * c * groups, dx.itemsize)
    buffer = np.empty((kh, kw, min(size, n) * oh * ow, groups, c), dtype=dx.dtype)
    for part, images in _chunks(n, size):
        pieces = buffer[:, :, :images * oh * ow]                  # (kh, kw, positions, G, C / G)
        np.matmul(_by_group(dy[part], groups), blocks, out=pieces.swapaxes(2, 3))
        pieces = pieces.reshape(kh, kw, images, oh, ow, groups * c)
        for i in range(kh):            # a loop over kernel offsets, not over pixels
            for j in range(kw):
                dx[part][_seen_from(i, j, oh, ow, stride, dilation)] += pieces[i, j]
    return dx


def _conv_weight_forward(x, dy, kernel, stride, dilation, groups):
    (kh, kw), c = kernel, x.shape[3] // groups
    o = dy.shape[3]
    if _depthwise(c, o, groups):       # each offset's input times dy, summed
        grad = np.empty((kh, kw, 1, o), dtype=np.result_type(x, dy))
        for i in range(kh):
            for j in range(kw):
                seen = x[_seen_from(i, j, *dy.shape[1:3], stride, dilation)]
                grad[i, j, 0] = np.einsum("nabc,nabc->c", seen, dy)
        return grad
    total = np.zeros((groups, kh * kw * c, o // groups), dtype=np.result_type(x, dy))
    for part, cols in _window_matrices(x, kernel, stride, dilation, groups):
        total += cols.swapaxes(1, 2) @ _by_group(dy[part], groups)
    # (G, kh * kw * C / G, O / G) -> (kh, kw, C / G, O): group k's filters back in their columns
    return total.swapaxes(0, 1).reshape(kh, kw, c, o)


conv = primitive("conv", _conv_forward,
                 lambda g, ans, x, weight, stride, dilation, groups:
                 conv_transpose(g, weight, _shape(x), stride, dilation, groups),
                 lambda g, ans, x, weight, stride, dilation, groups:
                 conv_weight(x, g, _shape(weight)[:2], stride, dilation, groups),
                 saves=("x", "weight"))
conv_transpose = primitive("conv_transpose", _conv_transpose_forward,
                           lambda g, ans, dy, weight, shape, stride, dilation, groups:
                           conv(g, weight, stride, dilation, groups),
                           lambda g, ans, dy, weight, shape, stride, dilation, groups:
                           conv_weight(g, dy, _shape(weight)[:2], stride, dilation, groups),
                           saves=("dy", "weight"))
conv_weight = primitive("conv_weight", _conv_weight_forward,
                        lambda g, ans, x, dy, kernel, stride, dilation, groups:
                        conv_transpose(dy, g, _shape(x), stride, dilation, groups),
                        lambda g, ans, x, dy, kernel, stride, dilation, groups:
                        conv(x, g, stride, dilation, groups),
                        saves=("x", "dy"))


# ----------------------------------------------------------------------------
# Sliding windows for pooling: unfold copies them out, fold adds values back.
#
# Layout: planes, (P, H, W), and kernel offsets first: unfold gives
# (kh, kw, P, oh, ow), the planes as seen through each offset (i, j) of the
# window. Pooling works on each channel of each image on its own, so
# (N, C, H, W) is (N * C, H, W) without a copy, and its gradient comes back in
# that order too. With the offsets first, a max or sum over a window is an
# elementwise max or sum of kh * kw whole arrays, and fold adds whole arrays:
# faster than the batch-last layout used before, except a little on small
# images with a stride (benchmarks/README.md has the figures).
# unfold and fold are adjoint linear maps, so each one's VJP is the other.
# ----------------------------------------------------------------------------

def _unfold_forward(x, kernel, stride, dilation):
    """(P, H, W) -> (kh, kw, P, oh, ow): under each kernel offset (i, j), the
    input at that offset of every window, copied once into one array."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = np.lib.stride_tricks.sliding_window_view(x, span, axis=(1, 2))
    windows = windows[:, ::sh, ::sw, ::dh, ::dw]             # (P, oh, ow, kh, kw), a view
    return np.ascontiguousarray(windows.transpose(3, 4, 0, 1, 2))


def _fold_forward(cols, shape, kernel, stride, dilation):
    """Adjoint of unfold: add each kernel offset's values back where they came from."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    out = np.zeros(shape, dtype=cols.dtype)
    oh, ow = cols.shape[3], cols.shape[4]
    for i in range(kh):            # a loop over kernel offsets, not over pixels
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw] += cols[i, j]
    return out


unfold = primitive("unfold", _unfold_forward,
                   lambda g, ans, x, kernel, stride, dilation:
                   fold(g, _shape(x), kernel, stride, dilation),
                   saves="x.shape")
fold = primitive("fold", _fold_forward,
                 lambda g, ans, cols, shape, kernel, stride, dilation:
                 unfold(g, kernel, stride, dilation),
                 saves=())


def _first_true(hits, axis):
    """hits with only the first True along `axis` kept. (np.argmax would say where
    it is, but along an inner axis NumPy runs it once per window: far slower.)"""
    first = np.zeros_like(hits)
    seen = np.zeros_like(np.take(hits, 0, axis))
    entries, firsts = np.moveaxis(hits, axis, 0), np.moveaxis(first, axis, 0)  # (views)
    for k in range(len(entries)):      # a loop over window entries, not over windows
        firsts[k] = entries[k] & ~seen
        seen |= entries[k]
    return first


def _first_max(x, axis, valid):
    """Boolean mask of the one element along `axis` that max pooling picks, as
    PyTorch does: the first maximum in the window's row-major order, the last
    nan if there is one, and never a padding element (valid is False there)."""
    best = np.max(x, axis=axis, keepdims=True)
    picked = _first_true((x == best) & valid, axis)
    nan_windows = np.isnan(best)
    if nan_windows.any():           # PyTorch's scan keeps replacing a nan by a later one
        last_nan = np.flip(_first_true(np.flip(np.isnan(x), axis), axis), axis)
        picked = np.where(nan_windows, last_nan, picked)
    return picked


# The max over one axis (a pooling window), whose gradient goes to one element:
# the one _first_max picks. (ops.max shares it between ties, as PyTorch's amax.)
window_max = primitive("window_max",
                       lambda x, axis, valid: np.max(x, axis=axis),
                       lambda g, ans, x, axis, valid: expand_dims(g, axis) *
                       _first_max(_data(x), axis, valid).astype(_data(x).dtype),
                       saves="x")
