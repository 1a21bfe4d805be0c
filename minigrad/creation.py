"""Convenience constructors: zeros, ones, full, eye, arange, linspace, the random
randn, rand and randint, the *_like forms and from_numpy.

Shapes are given as NumPy and PyTorch both allow: zeros(2, 3) or zeros((2, 3)).
Dtypes follow NumPy: float64 unless given, and full/arange infer theirs from the
numbers (an int fill value gives int64, as in NumPy and PyTorch).
"""
from __future__ import annotations

import numpy as np

from minigrad.checks import allocation, operand, operand_text
from minigrad.tensor import Tensor

_rng = np.random.default_rng()


def manual_seed(seed):
    """Seed the generator behind randn() and nn's parameter initialisation."""
    global _rng
    _rng = np.random.default_rng(seed)


def default_rng():
    """The generator randn() and nn's initialisation draw from."""
    return _rng


def _shape(shape, op):
    """zeros(2, 3) and zeros((2, 3)) both mean shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
        shape = tuple(np.asarray(shape[0]).tolist()) if isinstance(shape[0], np.ndarray) \
            else tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: shape must be integers, got {shape}")
        if n < 0:
            raise ValueError(f"{op}: shape must be non-negative, got {shape}")
    return tuple(int(n) for n in shape)


def _dtype(dtype, op, floating=False):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a NumPy dtype") from None
    if floating and dtype.kind != "f":
        raise TypeError(f"{op}: samples of a normal distribution need a floating-point dtype, "
                        f"got {dtype}")
    return dtype


def zeros(*shape, dtype=np.float64, requires_grad=False, name=None):
    shape, dtype = _shape(shape, "zeros"), _dtype(dtype, "zeros")
    allocation(shape, dtype, "zeros")
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad, name=name)


def ones(*shape, dtype=np.float64, requires_grad=False, name=None):
    shape, dtype = _shape(shape, "ones"), _dtype(dtype, "ones")
    allocation(shape, dtype, "ones")
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad, name=name)


def randn(*shape, rng=None, dtype=np.float64, requires_grad=False, name=None):
    """Standard normal samples; rng is a numpy Generator or a seed (default: manual_seed's)."""
    shape, dtype = _shape(shape, "randn"), _dtype(dtype, "randn", floating=True)
    allocation(shape, np.float64, "randn")         # (drawn in float64, then cast)
    data = _generator(rng, "randn").standard_normal(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad, name=name)


def arange(*args, dtype=None, requires_grad=False, name=None):
    """np.arange: arange(5) is int64, arange(0, 1, 0.25) float64, unless dtype is given."""
    dtype = None if dtype is None else _dtype(dtype, "arange")
    if len(args) == 3 and isinstance(args[2], (int, float, np.number)) and args[2] == 0:
        raise ValueError(f"arange: step must not be zero, got arange{args}")
    try:
        data = np.arange(*args, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"arange: takes (stop), (start, stop) or (start, stop, step) as numbers; "
                        f"{e}") from None
    return Tensor(data, requires_grad=requires_grad, name=name)


def _like(t, dtype, op):
    """t's shape and (unless dtype is given) its dtype; t is a Tensor or an array."""
    data = t.data if isinstance(t, Tensor) else np.asarray(operand(t, op))
    return data.shape, data.dtype if dtype is None else _dtype(dtype, op)


def zeros_like(t, dtype=None, requires_grad=False, name=None):
    shape, dtype = _like(t, dtype, "zeros_like")
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad, name=name)


def ones_like(t, dtype=None, requires_grad=False, name=None):
    shape, dtype = _like(t, dtype, "ones_like")
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad, name=name)


def _fill(shape, fill_value, dtype, op):
    if not isinstance(fill_value, (Tensor, bool, int, float, np.number)):
        raise TypeError(f"{op}: fill_value must be a number, got {type(fill_value).__name__} "
                        f"{operand_text(fill_value)}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        # the number's own dtype, as Tensor(fill_value) has it: 1 -> int64, 1.0 -> float64
        dtype = Tensor(fill_value).dtype if np.ndim(fill_value) == 0 else None
        if dtype is None:
            raise TypeError(f"{op}: fill_value must be a number, got {fill_value!r}")
    return np.full(shape, fill_value, dtype=_dtype(dtype, op))


def full(shape, fill_value, dtype=None, requires_grad=False, name=None):
    """A tensor of `shape` holding fill_value everywhere."""
    shape = _shape((shape,) if not isinstance(shape, (tuple, list, np.ndarray)) else (shape,),
                   "full")
    allocation(shape, np.float64, "full")
    return Tensor(_fill(shape, fill_value, dtype, "full"), requires_grad=requires_grad, name=name)


def full_like(t, fill_value, dtype=None, requires_grad=False, name=None):
    shape, like_dtype = _like(t, dtype, "full_like")
    return Tensor(_fill(shape, fill_value, like_dtype, "full_like"),
                  requires_grad=requires_grad, name=name)


def _generator(rng, op):
    if rng is None:
        return _rng
    if isinstance(rng, np.random.Generator):
        return rng
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: rng must be a numpy Generator or an integer seed, got "
                        f"{rng!r}") from None


def rand(*shape, rng=None, dtype=np.float64, requires_grad=False, name=None):
    """Uniform samples in [0, 1) (PyTorch's rand)."""
    shape, dtype = _shape(shape, "rand"), _dtype(dtype, "rand", floating=True)
    allocation(shape, np.float64, "rand")
    data = _generator(rng, "rand").random(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad, name=name)


def randint(low, high=None, size=(), rng=None, dtype=np.int64, name=None):
    """Random integers in [low, high) (or [0, low) without high), of shape `size`, as
    PyTorch's randint(low=0, high, size): randint(10, (3,)) or randint(0, 10, (3,)).
    int64 by default."""
    if isinstance(high, (tuple, list)):             # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    for value, what in ((low, "low"), (high, "high")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: {what} must be an integer, got {value!r}")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _shape((size,) if isinstance(size, (tuple, list, np.ndarray)) else (size,),
                   "randint")
    data = _generator(rng, "randint").integers(low, high, size=shape)
    return Tensor(data.astype(_dtype(dtype, "randint"), copy=False), name=name)


def eye(n, m=None, dtype=np.float64, requires_grad=False, name=None):
    """The n x m identity matrix (m = n by default)."""
    _shape((n,) if m is None else (n, m), "eye")
    return Tensor(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad=requires_grad,
                  name=name)


def linspace(start, end, steps, dtype=np.float64, requires_grad=False, name=None):
    """`steps` evenly spaced numbers from start to end, both included (PyTorch's linspace:
    steps must be given; NumPy's num defaults to 50)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise TypeError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    return Tensor(np.linspace(start, end, int(steps), dtype=_dtype(dtype, "linspace")),
                  requires_grad=requires_grad, name=name)


def from_numpy(array):
    """A tensor sharing the array's memory (no copy, as PyTorch's from_numpy): changing
    one changes the other. Tensor(array) copies instead."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}; minigrad tensors hold "
                        f"booleans, integers or floats")
    return Tensor._make(array)
