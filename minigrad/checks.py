"""Checks at the public door, shared by every part of minigrad.

An operation, a layer or an optimizer that gets a wrong value should say so at
once, naming itself and the value, not let NumPy fail three calls deeper with
words about C longs, or turn the value into something plausible and wrong
(a complex weight cast to its real part, "no" read as True). Everything here
raises TypeError for a value of the wrong kind and ValueError for a value of
the right kind out of range.

  operand(value, op)           data for an operation: the Tensor constructor's dtype rules
  flag(value, op, name)        a boolean switch: True or False, nothing else
  number(value, op, name, ...) a real hyper-parameter (lr, eps, momentum), with its range
  allocation(shape, dtype, op) a result too big for this machine, refused before NumPy tries
"""
from __future__ import annotations

import math
import os

import numpy as np

from minigrad.tensor import Tensor

_KINDS = "biuf"         # booleans, signed and unsigned integers, floats (as Tensor())


def _kind_of(value):
    """The NumPy dtype kind of a plain operand, or None for something that is no data."""
    if isinstance(value, (bool, int, float)):
        return "f"
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind
    return None


def operand(value, op, what="input"):
    """`value` unchanged if an operation can take it as data: a Tensor, an array
    or a number of boolean, integer or float dtype (the Tensor constructor's
    rules). Lists are allowed when NumPy reads them as such an array."""
    if isinstance(value, Tensor):
        return value
    kind = _kind_of(value)
    if kind is None and isinstance(value, (list, tuple)):
        try:
            kind = np.asarray(value).dtype.kind
        except ValueError:          # (a TypeError, as the Tensor constructor's)
            raise TypeError(f"{_name(op)}: the {what} is a ragged list (rows of different "
                             f"lengths), which is not an array: {operand_text(value)}") from None
    if kind is None:
        raise TypeError(f"{_name(op)}: the {what} must be a Tensor, an array or a number, "
                        f"got {type(value).__name__} {operand_text(value)}")
    if kind not in _KINDS:
        dtype = np.asarray(value).dtype
        raise TypeError(f"{_name(op)}: the {what} has dtype {dtype} ({operand_text(value)}); "
                        f"minigrad computes with booleans, integers or floats")
    return value


def check_operand(prim, i, value):
    """Primitive.__call__'s check of its i-th argument, which is data (prim.takes_data(i):
    it has a VJP, or prim is a variadic op like concatenate). Returns it, a list as the
    array NumPy reads it as (the VJPs use array methods)."""
    kind = _kind_of(value)
    if kind is not None and kind in _KINDS:
        return value                    # the usual case, checked without making a message
    several = prim.variadic_vjp is not None or len(prim.vjps) > 1
    value = operand(value, prim, f"{_ordinal(i + 1)} input" if several else "input")
    return np.asarray(value) if isinstance(value, (list, tuple)) else value


def flag(value, op, name):
    """A switch such as keepdims or requires_grad: a bool (NumPy's too), never a
    truthy string or number."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{op}: {name} must be True or False, got {type(value).__name__} "
                    f"{value!r}")


def number(value, op, name, low=None, high=None, low_open=False, high_open=False):
    """A real hyper-parameter as a float, checked against [low, high] (an open end
    when low_open/high_open). nan is never in range."""
    if isinstance(value, Tensor) and value.size == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__} "
                        f"{value!r}")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if math.isnan(value) or below or above:
        left = "any" if low is None else f"{'(' if low_open else '['}{low}"
        right = "" if high is None else f"{high}{')' if high_open else ']'}"
        where = (f"in {left}, {right}" if low is not None and high is not None else
                 f"{'>' if low_open else '>='} {low}" if low is not None else
                 f"{'<' if high_open else '<='} {high}")
        raise ValueError(f"{op}: {name} must be {where}, got {value!r}")
    return value


def allocation(shape, dtype, op):
    """Refuse a result of `shape` that could never fit in this machine's memory,
    naming the op and the size (NumPy would raise a bare MemoryError, or the
    system would start swapping)."""
    size = math.prod(int(n) for n in shape)
    needed = size * np.dtype(dtype).itemsize
    memory = _physical_memory()
    if memory is not None and needed > memory:
        raise RuntimeError(f"{op}: a tensor of shape {tuple(shape)} ({size:,} elements of "
                           f"{np.dtype(dtype)}) needs {_bytes(needed)}, more than this "
                           f"machine's memory ({_bytes(memory)})")


def out_of_memory(shape, dtype, op):
    """The error for a MemoryError NumPy raised while making a result of `shape`."""
    size = math.prod(int(n) for n in shape)
    return RuntimeError(f"{op}: not enough memory for a tensor of shape {tuple(shape)} "
                        f"({_bytes(size * np.dtype(dtype).itemsize)} of {np.dtype(dtype)})")


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):       # not a POSIX system
        return None


def _bytes(n):
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024


def _ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _name(op):
    return getattr(op, "name", op)


def operand_text(value):
    """A value's repr, cut to fit in an error message."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."
