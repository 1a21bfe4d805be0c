"""Rearranging elements: flip, roll, repeat / repeat_interleave, tile, split /
array_split / chunk, moveaxis, vstack / hstack.

All are composed from indexing, reshape, broadcast_to, transpose and
concatenate, so their gradients come from those entries of the table: a
gradient flows back to wherever each element came from, and adds up where one
element was used several times (repeat, tile)."""
from __future__ import annotations

import builtins
import math

import numpy as np

from minigrad.ops.primitive import _integers, _norm_axes, _shape
from minigrad.ops.shape import broadcast_to, concatenate, getitem, reshape, transpose
from minigrad.spellings import numpy_or_torch_names


def _along(ndim, axis, index):
    """An index that applies `index` on axis and takes everything elsewhere."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


@numpy_or_torch_names
def flip(x, axis=None):
    """Reverse the order of elements along axis (None: along every axis)."""
    shape = _shape(x)
    axes = _norm_axes(axis, len(shape), "flip", shape)
    return getitem(x, tuple(slice(None, None, -1) if d in axes else slice(None)
                            for d in range(len(shape))))


@numpy_or_torch_names
def roll(x, shift, axis=None):
    """Shift elements along axis by `shift`, wrapping around (NumPy's roll; axis=None
    rolls the flattened tensor; shift and axis may be tuples)."""
    shape = _shape(x)
    if axis is None:
        return reshape(roll(reshape(x, -1), shift, 0), shape)
    shifts = _integers(shift if isinstance(shift, (tuple, list)) else (shift,), "roll", "shift")
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: got {len(shifts)} shifts for {len(axes)} axes")
    for s, a in zip(shifts, axes):
        a = _norm_axes(a, len(shape), "roll", shape)[0]
        n = shape[a]
        if n:
            x = getitem(x, _along(len(shape), a, (np.arange(n) - s) % n))
    return x


@numpy_or_torch_names
def repeat(x, repeats, axis=None):
    """NumPy's repeat (PyTorch's repeat_interleave): each element repeated `repeats`
    times along axis, next to itself ([a, b] -> [a, a, b, b]); repeats may give a
    count per element. axis=None repeats the flattened tensor."""
    if axis is None:
        x, axis = reshape(x, -1), 0
    shape = _shape(x)
    axis = _norm_axes(axis, len(shape), "repeat", shape)[0]
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any() or \
            counts.ndim == 1 and counts.size not in (1, shape[axis]):
        raise ValueError(f"repeat: repeats must be a non-negative int or one per element "
                         f"({shape[axis]} along axis {axis}), got {repeats!r}")
    source = np.repeat(np.arange(shape[axis]), counts)
    return getitem(x, _along(len(shape), axis, source))


def repeat_interleave(x, repeats, dim=None):
    """PyTorch's name for NumPy's repeat."""
    return repeat(x, repeats, dim)


def tile(x, reps):
    """NumPy's tile (PyTorch's Tensor.repeat): the whole tensor repeated reps[d]
    times along each axis d ([a, b] -> [a, b, a, b])."""
    reps = _integers((reps,) if isinstance(reps, (int, np.integer)) else reps, "tile", "reps")
    if builtins.any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    shape = _shape(x)
    ndim = builtins.max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    # (n0, n1) -> (1, n0, 1, n1) -> broadcast (r0, n0, r1, n1) -> (r0 n0, r1 n1)
    spread = reshape(x, tuple(v for n in shape for v in (1, n)))
    spread = broadcast_to(spread, tuple(v for r, n in zip(reps, shape) for v in (r, n)))
    return reshape(spread, tuple(r * n for r, n in zip(reps, shape)))


def _pieces(x, bounds, axis):
    shape = _shape(x)
    return [getitem(x, _along(len(shape), axis, slice(lo, hi)))
            for lo, hi in zip(bounds[:-1], bounds[1:])]


@numpy_or_torch_names
def array_split(x, indices_or_sections, axis=0):
    """NumPy's array_split: like split, but n sections need not divide the length
    (the first ones get one element more)."""
    shape = _shape(x)
    axis = _norm_axes(axis, len(shape), "array_split", shape)[0]
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k < 1:
            raise ValueError(f"array_split: the number of sections must be >= 1, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds = [0] + list(np.cumsum(sizes))
    else:
        cuts = _integers(indices_or_sections, "array_split", "split indices")
        bounds = [0] + [builtins.min(builtins.max(c if c >= 0 else c + n, 0), n)
                        for c in cuts] + [n]
    return _pieces(x, [int(b) for b in bounds], axis)


@numpy_or_torch_names
def split(x, indices_or_sections, axis=0):
    """NumPy's split: an int n cuts axis into n equal pieces (an error if n does not
    divide it); a list of indices cuts at those positions."""
    shape = _shape(x)
    axis = _norm_axes(axis, len(shape), "split", shape)[0]
    if isinstance(indices_or_sections, (int, np.integer)) and (
            indices_or_sections < 1 or shape[axis] % indices_or_sections):
        raise ValueError(f"split: {indices_or_sections} sections do not divide axis {axis} of "
                         f"length {shape[axis]} equally (shape {shape}); use array_split")
    return array_split(x, indices_or_sections, axis)


def chunk(x, chunks, dim=0):
    """PyTorch's chunk: pieces of ceil(n / chunks) elements along dim (the last one
    smaller), so possibly fewer than `chunks` pieces."""
    shape = _shape(x)
    dim = _norm_axes(dim, len(shape), "chunk", shape)[0]
    if not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    size = builtins.max(math.ceil(shape[dim] / chunks), 1)
    return _pieces(x, list(range(0, shape[dim], size)) + [shape[dim]], dim) if shape[dim] \
        else [x]


def _axis_list(axes, ndim, shape):
    """Axes in the caller's order (range and repeats checked), as non-negative ints."""
    axes = list(axes) if isinstance(axes, (tuple, list)) else [axes]
    _norm_axes(tuple(axes), ndim, "moveaxis", shape)
    return [int(a) % ndim for a in axes]


def moveaxis(x, source, destination):
    """Move axes to new positions; the others keep their order (NumPy's moveaxis)."""
    shape = _shape(x)
    src = _axis_list(source, len(shape), shape)
    dst = _axis_list(destination, len(shape), shape)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must "
                         f"name as many axes")
    order = [a for a in range(len(shape)) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))


def _at_least_2d(x):
    shape = _shape(x)
    return reshape(x, (1,) * (2 - len(shape)) + shape) if len(shape) < 2 else x


def vstack(seq):
    """Stack along the first axis; 1-D tensors become rows (NumPy's vstack)."""
    seq = list(seq)
    if not seq:
        raise ValueError("vstack: need at least one tensor")
    return concatenate([_at_least_2d(x) for x in seq], 0)


def hstack(seq):
    """Stack along the second axis, or the first for 1-D tensors (NumPy's hstack)."""
    seq = [reshape(x, (1,)) if not _shape(x) else x for x in seq]
    if not seq:
        raise ValueError("hstack: need at least one tensor")
    return concatenate(seq, 0 if len(_shape(seq[0])) == 1 else 1)
