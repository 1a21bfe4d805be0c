"""Indexing along an axis and the triangle and diagonal of matrices:
take_along_axis / gather and their adjoint (scatter_add, index_add), one_hot,
masked_fill, tril / triu, diag / diagonal / trace.

Two new entries in the derivative table: taking values along an axis, and
adding values back along an axis. They are adjoint linear maps, so each one's
VJP is the other (as getitem and scatter_add are in shape.py). The rest is
composed."""
from __future__ import annotations

import builtins

import numpy as np

from minigrad.ops.elementwise import where
from minigrad.ops.primitive import _data, _integers, _norm_axes, _shape, primitive
from minigrad.ops.reductions import sum
from minigrad.ops.shape import _scatter_add, broadcast_to, getitem, transpose
from minigrad.spellings import numpy_or_torch_names
from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------
# Along an axis: out[..., i, ...] = x[..., indices[..., i, ...], ...]
# ----------------------------------------------------------------------------

def _grid(indices, axis):
    """The full index of the positions read: `indices` on axis, and on every other
    axis d the positions 0 .. indices.shape[d] - 1."""
    ndim = indices.ndim
    return tuple(indices if d == axis else
                 np.arange(n).reshape([-1 if e == d else 1 for e in range(ndim)])
                 for d, n in enumerate(indices.shape))


def _add_along_axis_forward(values, indices, axis, shape):
    out = np.zeros(shape, dtype=values.dtype)
    np.add.at(out, _grid(indices, axis), values)       # repeated indices accumulate
    return out


_take_along_axis = primitive(
    "take_along_axis", lambda x, indices, axis: x[_grid(indices, axis)],
    lambda g, ans, x, indices, axis: _add_along_axis(g, indices, axis, _shape(x)),
    saves=("x.shape", "indices"))
_add_along_axis = primitive(
    "add_along_axis", _add_along_axis_forward,
    lambda g, ans, values, indices, axis, shape: _take_along_axis(g, indices, axis),
    saves="indices")


def _index_array(indices, op):
    """Indices as an integer ndarray, or a TypeError naming op."""
    idx = np.asarray(_data(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    return idx


def _in_range(idx, n, op, axis, negative=False):
    """Every index within an axis of length n (NumPy's negative ones too, if allowed)."""
    low = -n if negative else 0
    if idx.size and (idx.min() < low or idx.max() >= n):
        raise IndexError(f"{op}: indices must lie in [{low}, {n}) for axis {axis} of length {n}, "
                         f"got values from {idx.min()} to {idx.max()}")


def _same_ndim(x, idx, op):
    if idx.ndim != len(_shape(x)):
        raise ValueError(f"{op}: indices of shape {idx.shape} must have as many dimensions as "
                         f"the input of shape {_shape(x)}")


@numpy_or_torch_names
def take_along_axis(x, indices, axis=-1):
    """out[..., i, ...] = x[..., indices[..., i, ...], ...] along axis (NumPy's: the
    other axes broadcast). The gradient adds back where each value came from."""
    idx = _index_array(indices, "take_along_axis")
    _same_ndim(x, idx, "take_along_axis")
    shape = _shape(x)
    axis = _norm_axes(axis, len(shape), "take_along_axis", shape)[0]
    _in_range(idx, shape[axis], "take_along_axis", axis, negative=True)
    others = [tuple(1 if d == axis else n for d, n in enumerate(s)) for s in (shape, idx.shape)]
    try:
        common = np.broadcast_shapes(*others)
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not broadcast with "
                         f"the input of shape {shape} outside axis {axis}") from None
    # Broadcast both up front, so the adjoint adds into x's own positions.
    x_shape = tuple(shape[axis] if d == axis else n for d, n in enumerate(common))
    if x_shape != shape:
        x = broadcast_to(x, x_shape)
    idx = np.broadcast_to(idx, tuple(idx.shape[axis] if d == axis else n
                                     for d, n in enumerate(common)))
    return _take_along_axis(x, idx, axis)


def _leading_part(x, shape):
    """x cut to `shape` (PyTorch's scatter_add reads only the first index.shape[d]
    positions of src)."""
    if shape == _shape(x):
        return x
    return getitem(x, tuple(slice(0, n) for n in shape))


def gather(x, dim, index):
    """torch.gather: out[i][j] = x[index[i][j]][j] for dim=0 (and so on), over the
    positions of index, which may be smaller than x outside dim."""
    idx = _index_array(index, "gather")
    _same_ndim(x, idx, "gather")
    shape = _shape(x)
    dim = _norm_axes(dim, len(shape), "gather", shape)[0]
    if builtins.any(idx.shape[d] > shape[d] for d in range(len(shape)) if d != dim):
        raise ValueError(f"gather: index of shape {idx.shape} is larger than the input of shape "
                         f"{shape} outside dim {dim}")
    _in_range(idx, shape[dim], "gather", dim)
    return _take_along_axis(x, idx, dim)


def scatter_add(x, dim, index, src):
    """torch.scatter_add: a copy of x with out[index[i][j]][j] += src[i][j] for dim=0
    (and so on), over the positions of index. Repeated indices accumulate."""
    idx = _index_array(index, "scatter_add")
    _same_ndim(x, idx, "scatter_add")
    shape, src_shape = _shape(x), _shape(src)
    dim = _norm_axes(dim, len(shape), "scatter_add", shape)[0]
    if len(src_shape) != idx.ndim or builtins.any(
            idx.shape[d] > src_shape[d] or (d != dim and idx.shape[d] > shape[d])
            for d in range(idx.ndim)):
        raise ValueError(f"scatter_add: index of shape {idx.shape} must be no larger than src "
                         f"{src_shape}, and than the input {shape} outside dim {dim}")
    _in_range(idx, shape[dim], "scatter_add", dim)
    return x + _add_along_axis(_leading_part(src, idx.shape), idx, dim, shape)


def index_add(x, dim, index, source, alpha=1):
    """torch.index_add: a copy of x with out[..., index[i], ...] += alpha * source[..., i, ...]
    along dim. Repeated indices accumulate."""
    idx = _index_array(index, "index_add")
    shape, src_shape = _shape(x), _shape(source)
    dim = _norm_axes(dim, len(shape), "index_add", shape)[0]
    expected = shape[:dim] + (idx.size,) + shape[dim + 1:]
    if idx.ndim != 1 or src_shape != expected:
        raise ValueError(f"index_add: index must be 1-D and source of shape {expected} for input "
                         f"{shape}, dim {dim} and {idx.size} indices; got index {idx.shape}, "
                         f"source {src_shape}")
    _in_range(idx, shape[dim], "index_add", dim)
    added = _scatter_add(source, (slice(None),) * dim + (idx,), shape)
    return x + (added if alpha == 1 else alpha * added)


def one_hot(x, num_classes=-1):
    """torch.nn.functional.one_hot: an int64 tensor with a trailing axis of length
    num_classes (-1: max(x) + 1), 1 at each index. No gradient."""
    idx = _index_array(x, "one_hot")
    (num_classes,) = _integers((num_classes,), "one_hot", "num_classes")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must lie in [0, {num_classes}), got values from "
                         f"{idx.min()} to {idx.max()}")
    return Tensor._make((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def masked_fill(x, mask, value):
    """torch's masked_fill: value where mask is True, x elsewhere. mask is boolean
    and broadcasts to x's shape; value may be a 0-d tensor that needs a gradient."""
    m = np.asarray(_data(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {m.dtype}")
    try:
        fits = np.broadcast_shapes(m.shape, _shape(x)) == _shape(x)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to the "
                         f"input's shape {_shape(x)}")
    if np.ndim(_data(value)) != 0:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                         f"{np.shape(_data(value))}")
    dtype = np.asarray(_data(x)).dtype                  # the result keeps x's dtype
    if not isinstance(value, Tensor):
        value = np.asarray(value, dtype=dtype)
    elif value.dtype != dtype:
        value = value.astype(dtype)
    return where(m, value, x)


# ----------------------------------------------------------------------------
# Triangles and diagonals of the last two axes (tril/triu) or of two given axes
# ----------------------------------------------------------------------------

def _triangle(x, keep, op):
    shape = _shape(x)
    if len(shape) < 2:
        raise ValueError(f"{op}: needs at least 2 dimensions, got shape {shape}")
    zero = np.zeros((), dtype=np.asarray(_data(x)).dtype)       # keeps the dtype
    return where(keep(shape[-2], shape[-1]), x, zero)


def tril(x, k=0):
    """The lower triangle of the last two axes: x[..., i, j] where j <= i + k, else 0."""
    (k,) = _integers((k,), "tril", "the diagonal offset k")
    return _triangle(x, lambda n, m: np.tri(n, m, k, dtype=bool), "tril")


def triu(x, k=0):
    """The upper triangle of the last two axes: x[..., i, j] where j >= i + k, else 0."""
    (k,) = _integers((k,), "triu", "the diagonal offset k")
    return _triangle(x, lambda n, m: ~np.tri(n, m, k - 1, dtype=bool), "triu")


def _diagonal_positions(rows, cols, offset):
    below, above = builtins.max(-offset, 0), builtins.max(offset, 0)
    n = builtins.max(0, builtins.min(rows - below, cols - above))
    return np.arange(n) + below, np.arange(n) + above


def diagonal(x, offset=0, axis1=0, axis2=1):
    """NumPy's diagonal: the entries x[i, i + offset] of axes axis1 and axis2, on a
    new last axis."""
    shape = _shape(x)
    if len(shape) < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {shape}")
    a1 = _norm_axes(axis1, len(shape), "diagonal", shape)[0]
    a2 = _norm_axes(axis2, len(shape), "diagonal", shape)[0]
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 must differ, both are {a1}")
    rest = tuple(d for d in range(len(shape)) if d not in (a1, a2))
    (offset,) = _integers((offset,), "diagonal", "offset")
    rows, cols = _diagonal_positions(shape[a1], shape[a2], offset)
    return getitem(transpose(x, rest + (a1, a2)), (Ellipsis, rows, cols))


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the diagonal (NumPy's trace: over axis1 and axis2)."""
    return sum(diagonal(x, offset, axis1, axis2), -1)


def diag(v, k=0):
    """NumPy's diag: a 1-D v becomes the k-th diagonal of a square matrix; of a 2-D v
    the k-th diagonal is taken."""
    shape = _shape(v)
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag: needs a 1-D or 2-D input, got shape {shape}")
    (k,) = _integers((k,), "diag", "the diagonal offset k")
    size = shape[0] + builtins.abs(k)
    rows, cols = _diagonal_positions(size, size, k)
    return _scatter_add(v, (rows, cols), (size, size))
