"""Argument checks for the layers, each worded for the operation the user called.

Every check takes `op`, the name of that operation ("BatchNorm2d", "group_norm"),
and puts it first in its message, so an error says where it came from:

    BatchNorm2d expected 3 channels, got input of shape (2, 4, 5, 5)

A layer checks its input once, at its door: the functional forms (batch_norm,
...) check every argument and then call an inner function that trusts them; a
module checks its input against its own configuration and calls that same inner
function.
"""
from __future__ import annotations

import numpy as np

from minigrad import Tensor
from minigrad.nn.functional import as_float_tensor
from layers._maths import count

BACKWARD_MODES = ("autograd", "manual")


def check_backward_mode(backward, op):
    if backward not in BACKWARD_MODES:
        raise ValueError(f"{op}: backward must be 'autograd' or 'manual', got {backward!r}")


def check_positive_int(value, what, op):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{op}: {what} must be a positive integer, got {value!r}")
    return int(value)


def check_groups(num_groups, num_channels, op, input_shape=None):
    """num_groups as an int that divides the channels: a constructor's num_channels,
    or (with input_shape) the channels of a function's input."""
    num_groups = check_positive_int(num_groups, "num_groups", op)
    if num_channels % num_groups:
        channels = (f"num_channels ({num_channels})" if input_shape is None else
                    f"the {num_channels} channels of input of shape {input_shape}")
        raise ValueError(f"{op}: {channels} must be divisible by num_groups ({num_groups})")
    return num_groups


def check_dtype(dtype, op):
    """A module's dtype: the floating-point dtype of its parameters and running statistics."""
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind != "f":
        shown = np.dtype(dtype) if kind is not None else repr(dtype)
        raise TypeError(f"{op}: dtype must be a floating-point dtype, got {shown}")
    return np.dtype(dtype)


def check_momentum(momentum, op, role=""):
    """momentum as the number a running average moves by (`role` says more, for a message)."""
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating)):
        raise TypeError(f"{op}: momentum{role} must be a number, got {momentum!r}")


def check_eps(eps, op):
    """eps as a non-negative real number. PyTorch's batch_norm refuses a negative one
    (it gives NaN); a complex one would make the whole output complex."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: eps must be a real number, got {type(eps).__name__} {eps!r}")
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be non-negative (it keeps the variance away from "
                         f"zero), got {eps!r}")
    return eps


def check_input(x, op):
    """The input as a floating-point Tensor."""
    if x is None:
        raise TypeError(f"{op}: expected an input tensor, got None")
    return as_float_tensor(x, op)


def check_rank(x, ranks, layout, op):
    if x.ndim not in ranks:
        raise ValueError(f"{op} expected {layout} input, got input of shape {x.shape}")


def check_channels(x, num_channels, op, dim=1):
    if x.shape[dim] != num_channels:
        raise ValueError(f"{op} expected {num_channels} channels, got input of shape {x.shape}")


def check_param(param, shape, what, op):
    """weight, bias, running_mean or running_var must have `shape` (or be None)."""
    if param is None:
        return
    actual = np.shape(param.data if isinstance(param, Tensor) else param)
    if actual != shape:
        raise ValueError(f"{op}: {what} must have shape {shape}, got shape {actual}")


def check_per_channel(x, op, **params):
    """Each parameter given by name (weight=..., running_mean=...) has one value per
    channel of x: shape (C,)."""
    for what, param in params.items():
        check_param(param, (x.shape[1],), what, op)


def check_running_pair(running_mean, running_var, op, updated=False):
    """The running statistics come as a pair (as in PyTorch): one alone would be
    updated while the other is silently skipped. Each is a float array or tensor
    (PyTorch's float buffers), and one that this call updates in place
    (updated=True) must be writable."""
    if (running_mean is None) != (running_var is None):
        given = "running_mean" if running_var is None else "running_var"
        raise ValueError(f"{op}: running_mean and running_var must both be given or both "
                         f"be None, got only {given}")
    for what, buffer in (("running_mean", running_mean), ("running_var", running_var)):
        if buffer is None:
            continue
        data = buffer.data if isinstance(buffer, Tensor) else buffer
        if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
            kind = f"an array of dtype {data.dtype}" if isinstance(data, np.ndarray) else \
                type(buffer).__name__
            raise TypeError(f"{op}: {what} must be a float array or Tensor (it holds running "
                            f"averages), got {kind}")
        if updated and not data.flags.writeable:
            raise ValueError(f"{op}: {what} is updated in place when training, but the array "
                             f"given is read-only")


def check_running_given(running_mean, op):
    """Normalising with running estimates needs them (the pair is checked already)."""
    if running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var are needed to normalise "
                         f"with running estimates")


def check_enough_values(x, axes, what, op, shape=None):
    """Training statistics need m > 1 values (the unbiased variance divides by m - 1)."""
    if count(x.shape, axes) <= 1:
        raise ValueError(f"{op} expected more than 1 {what} when training, got input of "
                         f"shape {x.shape if shape is None else shape}")


def normalized_shape_tuple(normalized_shape, op):
    """LayerNorm's and RMSNorm's normalized_shape as a tuple of positive ints."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (normalized_shape,)
    try:
        shape = tuple(normalized_shape)
    except TypeError:
        raise ValueError(f"{op}: normalized_shape must be an int or a sequence of ints, "
                         f"got {normalized_shape!r}") from None
    for n in shape:
        check_positive_int(n, "normalized_shape entries", op)
    if not shape:
        raise ValueError(f"{op}: normalized_shape must have at least one dimension")
    return tuple(int(n) for n in shape)


def check_trailing(x, normalized_shape, op):
    k = len(normalized_shape)
    if x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
        raise ValueError(f"{op} expected input with trailing dimensions {normalized_shape}, "
                         f"got input of shape {x.shape}")


def check_trailing_input(input, normalized_shape, op, **params):
    """What layer_norm and rms_norm check: the input as a float Tensor whose trailing
    dims are normalized_shape, and each parameter given by name of that shape.
    Returns (x, normalized_shape as a tuple)."""
    x = check_input(input, op)
    normalized_shape = normalized_shape_tuple(normalized_shape, op)
    check_trailing(x, normalized_shape, op)
    for what, param in params.items():
        check_param(param, normalized_shape, what, op)
    return x, normalized_shape
