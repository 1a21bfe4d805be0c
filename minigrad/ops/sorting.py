"""Order: argmax / argmin, sort / argsort and topk.

Indices are plain int64 tensors (no gradient). Sorted values are x taken
along the axis at the sorted indices (take_along_axis), so their gradient
goes back to the element each value came from. Equal elements keep their
original order (a stable sort): with ties, the first one comes first, in
ascending and in descending order, as PyTorch's sort does on the CPU.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from minigrad.ops.indexing import take_along_axis
from minigrad.ops.primitive import _data, _norm_axes, _shape
from minigrad.ops.shape import reshape
from minigrad.spellings import numpy_or_torch_names
from minigrad.tensor import Tensor

topk_result = namedtuple("topk", ["values", "indices"])


def _flat_or_axis(x, axis, op):
    """(x, axis): axis=None means the flattened tensor, as in NumPy."""
    if axis is None:
        return reshape(x, -1), 0
    return x, _norm_axes(axis, len(_shape(x)), op, _shape(x))[0]


def _extreme_index(find, x, axis, keepdims, op):
    data = np.asarray(_data(x))
    if axis is not None:
        axis = _norm_axes(axis, data.ndim, op, data.shape)[0]
    if data.size == 0 and (axis is None or data.shape[axis] == 0):
        raise ValueError(f"{op}: cannot take the {op[3:]} of an empty axis (tensor shape "
                         f"{data.shape})")
    return Tensor._make(np.asarray(find(data, axis=axis, keepdims=bool(keepdims)),
                                   dtype=np.int64))


@numpy_or_torch_names
def argmax(x, axis=None, keepdims=False):
    """The index of the largest element along axis (None: of the flattened tensor).
    With ties, the first; a nan counts as the largest. No gradient."""
    return _extreme_index(np.argmax, x, axis, keepdims, "argmax")


@numpy_or_torch_names
def argmin(x, axis=None, keepdims=False):
    """The index of the smallest element along axis; with ties, the first."""
    return _extreme_index(np.argmin, x, axis, keepdims, "argmin")


def _sort_indices(data, axis, descending):
    """Stable sorting indices. Descending: sort the reversed axis ascending and
    reverse the answer, so ties still come in their original order (and nan,
    which NumPy puts last, comes first, as in PyTorch)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    n = data.shape[axis]
    flipped = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - flipped, axis)


@numpy_or_torch_names
def argsort(x, axis=-1, descending=False):
    """Indices that sort x along axis (None: the flattened tensor), stably."""
    x, axis = _flat_or_axis(x, axis, "argsort")
    return Tensor._make(_sort_indices(np.asarray(_data(x)), axis, descending).astype(np.int64))


@numpy_or_torch_names
def sort(x, axis=-1, descending=False):
    """The sorted values along axis (None: of the flattened tensor), NumPy's sort
    (values only; argsort gives the indices). Differentiable: each value's
    gradient goes to the element it came from."""
    x, axis = _flat_or_axis(x, axis, "sort")
    return take_along_axis(x, _sort_indices(np.asarray(_data(x)), axis, descending), axis)


@numpy_or_torch_names
def topk(x, k, axis=-1, largest=True, sorted=True):
    """torch.topk: the k largest (largest=False: smallest) values along axis and
    their indices, as a (values, indices) pair, in order. Among equal values the
    first ones are taken (PyTorch leaves that choice unspecified). The values always
    come in order; sorted=False is accepted for PyTorch's signature."""
    shape = _shape(x)
    if len(shape) == 0:
        raise ValueError("topk: needs a tensor with at least one dimension, got a 0-d one")
    axis = _norm_axes(axis, len(shape), "topk", shape)[0]
    n = shape[axis]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int from 0 to {n} (axis {axis} of shape {shape}), "
                         f"got {k!r}")
    order = _sort_indices(np.asarray(_data(x)), axis, descending=largest)
    index = np.take(order, np.arange(int(k)), axis=axis)
    return topk_result(take_along_axis(x, index, axis), Tensor._make(index.astype(np.int64)))
