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
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: shape must be integers, got {shape}")
        if n < 0:
            raise ValueError(f"{op}: shape must be non-negative, got {shape}")
    return tuple(int(n) for n in shape)


def zeros(*shape, dtype=np.float64, requires_grad=False, name=None):
    return Tensor(np.zeros(_shape(shape, "zeros"), dtype=dtype), requires_grad=requires_grad, name=name)


def ones(*shape, dtype=np.float64, requires_grad=False, name=None):
    return Tensor(np.ones(_shape(shape, "ones"), dtype=dtype), requires_grad=requires_grad, name=name)


def randn(*shape, rng=None, dtype=np.float64, requires_grad=False, name=None):
    """Standard normal samples; rng is a numpy Generator or a seed (default: manual_seed's)."""
    if rng is None:
        rng = _rng
    elif not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    data = rng.standard_normal(_shape(shape, "randn")).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad, name=name)


def arange(*args, dtype=None, requires_grad=False, name=None):
    """Like np.arange; float64 unless dtype is given."""
    return Tensor(np.arange(*args, dtype=dtype if dtype is not None else np.float64),
                  requires_grad=requires_grad, name=name)
