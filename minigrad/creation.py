"""Convenience constructors, NumPy-style: zeros, ones, randn, arange."""
from __future__ import annotations

import numpy as np

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
    return Tensor(np.zeros(_shape(shape, "zeros"), dtype=_dtype(dtype, "zeros")),
                  requires_grad=requires_grad, name=name)


def ones(*shape, dtype=np.float64, requires_grad=False, name=None):
    return Tensor(np.ones(_shape(shape, "ones"), dtype=_dtype(dtype, "ones")),
                  requires_grad=requires_grad, name=name)


def randn(*shape, rng=None, dtype=np.float64, requires_grad=False, name=None):
    """Standard normal samples; rng is a numpy Generator or a seed (default: manual_seed's)."""
    shape, dtype = _shape(shape, "randn"), _dtype(dtype, "randn", floating=True)
    if rng is None:
        rng = _rng
    elif not isinstance(rng, np.random.Generator):
        try:
            rng = np.random.default_rng(rng)
        except (TypeError, ValueError):
            raise TypeError(f"randn: rng must be a numpy Generator or an integer seed, got "
                            f"{rng!r}") from None
    data = rng.standard_normal(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad, name=name)


def arange(*args, dtype=None, requires_grad=False, name=None):
    """Like np.arange; float64 unless dtype is given."""
    dtype = np.float64 if dtype is None else _dtype(dtype, "arange")
    try:
        data = np.arange(*args, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"arange: takes (stop), (start, stop) or (start, stop, step) as numbers; "
                        f"{e}") from None
    return Tensor(data, requires_grad=requires_grad, name=name)
