"""Shape operations: broadcasting and its adjoint sum_to (the backward walk uses
sum_to to undo broadcasting), reshape, transpose, indexing, concatenate, stack, pad."""
from __future__ import annotations

import builtins
import math

import numpy as np

from minigrad.checks import operand, operand_text
from minigrad.ops.primitive import _data, _integers, _norm_axes, _shape, in_vjp, primitive
from minigrad.spellings import numpy_or_torch_names
from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------
# Broadcasting and its adjoint (the engine uses sum_to to undo broadcasting)
# ----------------------------------------------------------------------------

def sum_axes(x, axes, keepdims):
    """np.sum(x, axis=axes, keepdims=keepdims), with the first axis summed first when
    it is one of several and some axis is kept: over (0, 2, 3) at once NumPy walks
    short strided runs, 2.5x slower on BatchNorm2d's gradients in the CNN training
    step (benchmarks/training_step.py), while whole contiguous blocks add at memory
    speed. A sum over every axis stays one np.sum: its pairwise summation is both
    faster and more accurate than adding row after row."""
    if 1 < len(axes) < x.ndim and axes[0] == 0:
        x = x.sum(axis=0, keepdims=keepdims)
        axes = axes[1:] if keepdims else tuple(a - 1 for a in axes[1:])
    return x.sum(axis=axes, keepdims=keepdims)


def sum_to_shape(x, shape):
    """An array x summed over the axes along which `shape` was broadcast to x's
    shape: sum_to's forward, and the backward walk's reduction of gradients."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and x.shape[i + lead] != 1)
    if axes:
        x = sum_axes(x, axes, keepdims=True)
    return x.reshape(shape)


def _broadcast_to_forward(x, shape):
    return np.broadcast_to(x, shape)


sum_to = primitive("sum_to", sum_to_shape,
                   lambda g, ans, x, shape: in_vjp(_broadcast_to, g, _shape(x)),
                   saves="x.shape")
_broadcast_to = primitive("broadcast_to", _broadcast_to_forward,
                          lambda g, ans, x, shape: in_vjp(sum_to, g, _shape(x)),
                          saves="x.shape")


def broadcast_to(x, shape):
    x = operand(x, "broadcast_to")
    shape = _integers((shape,) if isinstance(shape, (int, np.integer)) else shape,
                      "broadcast_to", "the shape")
    try:
        fits = np.broadcast_shapes(_shape(x), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {_shape(x)} "
                         f"to shape {shape}")
    return _broadcast_to(x, shape)


# ----------------------------------------------------------------------------
# Shape
# ----------------------------------------------------------------------------

def _reshape_forward(x, shape):
    return np.reshape(x, shape)


_reshape = primitive("reshape", _reshape_forward,        # (x's own shape needs no checks)
                     lambda g, ans, x, shape: g.reshape(_shape(x)),
                     saves="x.shape")


def reshape(x, *shape):
    x = operand(x, "reshape")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    shape = _integers(shape, "reshape", "the new shape")
    size, known = np.size(_data(x)), math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or builtins.any(n < -1 for n in shape) or \
            (known != size if -1 not in shape else known == 0 or size % known):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {_shape(x)} ({size} "
                         f"elements) into shape {shape}")
    return _reshape(x, shape)


def contiguous(x):
    """x with its values laid out in C order (PyTorch's t.contiguous(), NumPy's
    np.ascontiguousarray): x itself when they already are, else a copy in the graph
    whose gradient passes through unchanged. Only the memory layout differs; an
    operation mixing two layouts runs up to 3x slower than on one."""
    x = operand(x, "contiguous")
    if isinstance(x, Tensor) and x.data.flags.c_contiguous:
        return x
    return _contiguous(x)


_contiguous = primitive("contiguous", np.ascontiguousarray, lambda g, ans, x: g, saves=())


def _inverse(axes):
    """The permutation that undoes `axes` (np.argsort of it, without a NumPy call)."""
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))


_transpose = primitive("transpose", lambda x, axes: np.transpose(x, axes),
                       lambda g, ans, x, axes: g.transpose(_inverse(axes)),
                       saves=())


def transpose(x, *axes):
    x = operand(x, "transpose")
    ndim = len(_shape(x))
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    if not axes:
        axes = tuple(range(ndim))[::-1]
    axes = _integers(axes, "transpose", "axes")
    in_range = builtins.all(-ndim <= a < ndim for a in axes)
    if len(axes) != ndim or not in_range or sorted(a % ndim for a in axes) != list(range(ndim)):
        hint = (f" (PyTorch's transpose(dim0, dim1) swaps two dimensions: here that is "
                f"swapaxes{tuple(axes)})" if len(axes) == 2 and ndim != 2 else "")
        raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                         f"{ndim} dimensions of shape {_shape(x)}{hint}")
    return _transpose(x, tuple(a % ndim for a in axes))


def swapaxes(x, axis1, axis2):
    x = operand(x, "swapaxes")
    ndim = len(_shape(x))
    a1, a2 = (_norm_axes(axis1, ndim, "swapaxes", _shape(x))[0],
              _norm_axes(axis2, ndim, "swapaxes", _shape(x))[0])
    perm = list(range(ndim))
    perm[a1], perm[a2] = perm[a2], perm[a1]
    return _transpose(x, tuple(perm))


@numpy_or_torch_names
def expand_dims(x, axis):
    x = operand(x, "expand_dims")
    shape = _shape(x)
    ndim = len(shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    axis = _norm_axes(axis, ndim, "expand_dims")
    it = iter(shape)
    return reshape(x, tuple(1 if i in axis else next(it) for i in range(ndim)))


@numpy_or_torch_names
def squeeze(x, axis=None):
    x = operand(x, "squeeze")
    shape = _shape(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = _norm_axes(axis, len(shape), "squeeze", shape)
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {a} of size {shape[a]} "
                                 f"(tensor shape {shape})")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def flatten(x, start_dim=0, end_dim=-1):
    """Dimensions start_dim..end_dim merged into one (PyTorch's flatten; all by default)."""
    x = operand(x, "flatten")
    shape = _shape(x)
    if len(shape) == 0:
        return reshape(x, (1,))             # PyTorch: a 0-d tensor flattens to shape (1,)
    start, end = (_norm_axes(d, len(shape), "flatten", shape)[0] for d in (start_dim, end_dim))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                         f"tensor of shape {shape}")
    merged = math.prod(shape[start:end + 1])
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


def _normalize_index(index):
    """Tensors inside an index become arrays; lists become integer arrays."""
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(p, np.ndarray) for p in parts)


def _scatter_add_forward(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(out, index, g)     # repeated indices accumulate
    else:
        out[index] = g
    return out


_getitem = primitive("getitem", lambda x, index: x[index],
                     lambda g, ans, x, index: in_vjp(_scatter_add, g, index, _shape(x)),
                     saves=("x.shape", "index"))
_scatter_add = primitive("scatter_add", _scatter_add_forward,
                         lambda g, ans, src, index, shape: g[index],
                         saves="index")


def getitem(x, index):
    return _getitem(x, _normalize_index(index))


def _concatenate_vjp(g, ans, *xs, axis):
    """Each input's gradient is its slice of g; one running offset finds them all."""
    grads, start = [], 0
    for x in xs:
        stop = start + _shape(x)[axis]
        grads.append(g[(slice(None),) * axis + (slice(start, stop),)])
        start = stop
    return grads


_concatenate = primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                         variadic_vjp=_concatenate_vjp, saves="xs.shape")


@numpy_or_torch_names
def concatenate(seq, axis=0):
    seq = _sequence(seq, "concatenate")
    ndim = len(_shape(seq[0]))
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated")
    axis = _norm_axes(axis, ndim, "concatenate", _shape(seq[0]))[0]
    for s in seq[1:]:
        a, b = _shape(seq[0]), _shape(s)
        if len(a) != len(b) or builtins.any(m != n for j, (m, n) in enumerate(zip(a, b)) if j != axis):
            raise ValueError(f"concatenate: shapes {a} and {b} differ outside axis {axis}")
    return _concatenate(*seq, axis=axis)


cat = concatenate           # PyTorch's name: mg.cat(tensors, dim=0)


def _stack_vjp(g, ans, *xs, axis):
    """Input k's gradient is slice k of g along the new axis."""
    before = (slice(None),) * axis
    return [g[before + (k,)] for k in range(len(xs))]


_stack = primitive("stack", lambda *xs, axis: np.stack(xs, axis=axis),
                   variadic_vjp=_stack_vjp, saves=())



@numpy_or_torch_names
def stack(seq, axis=0):
    seq = _sequence(seq, "stack")
    shapes = {_shape(s) for s in seq}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    axis = _norm_axes(axis, len(_shape(seq[0])) + 1, "stack")[0]
    return _stack(*seq, axis=axis)


def _sequence(seq, op):
    """The tensors of concatenate/stack as a list, each one checked as data."""
    if isinstance(seq, (Tensor, np.ndarray, str, bytes)) or not hasattr(seq, "__iter__"):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got "
                        f"{type(seq).__name__} {operand_text(seq)}")
    seq = list(seq)
    if not seq:
        raise ValueError(f"{op}: need at least one tensor")
    for k, x in enumerate(seq):
        operand(x, op, f"tensor at position {k}")
    return seq


def _inside_padding(pad_width, shape):
    """The index of the unpadded values inside a padded array."""
    return tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, shape))


def _pad_forward(x, pad_width, value):
    """np.pad(x, pad_width, constant_values=value), written out: an array filled
    with the value, x copied into its middle. (np.pad spends about as long again
    choosing among its modes: 26 against 13 µs for the CNN step's conv input.)"""
    x = np.asarray(x)
    padded = np.full(tuple(lo + n + hi for n, (lo, hi) in zip(x.shape, pad_width)), value,
                     dtype=x.dtype)
    padded[_inside_padding(pad_width, x.shape)] = x
    return padded


_pad = primitive("pad", _pad_forward,
                 lambda g, ans, x, pad_width, value: g[_inside_padding(pad_width, _shape(x))],
                 saves="x.shape")


def pad(x, pad_width, mode="constant", constant_values=0):
    """Pad with a constant (NumPy's pad_width conventions)."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    x = operand(x, "pad")
    ndim = len(_shape(x))
    if ndim == 0:
        return reshape(x, ())           # nothing to pad (NumPy returns the 0-d array)
    try:
        widths = np.asarray(pad_width)
    except ValueError:                  # a ragged list
        widths = np.asarray(0.5)
    if widths.size and widths.dtype.kind not in "iu" or pad_width is None:
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape "
                         f"{_shape(x)}") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return _pad(x, tuple((int(lo), int(hi)) for lo, hi in widths), constant_values)
