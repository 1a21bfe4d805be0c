"""Pointwise loss entries of the derivative table, with PyTorch's numerics.

binary_cross_entropy(x, t) = -(t log x + (1 - t) log(1 - x)) for probabilities x.
Each log is clamped at -100 (so x = 0 or 1 gives a large finite loss, not inf),
and the gradient is PyTorch's closed form
    d/dx = (x - t) / max(x (1 - x), 1e-12),        d/dt = log(1 - x) - log(x),
finite at x = 0 and 1 too. Composed from log and clip, the gradient there
would be 0 * inf = nan; one entry with its own formula avoids that.
"""
from __future__ import annotations

import numpy as np

from minigrad.ops.elementwise import log, maximum
from minigrad.ops.primitive import _data, primitive

_LOG_FLOOR = -100.0     # PyTorch's clamp of log(x) and log(1 - x)
_EPSILON = 1e-12        # PyTorch's floor under x (1 - x) in the gradient


def _bce_forward(x, t):
    with np.errstate(divide="ignore"):          # log(0) = -inf, then clamped
        log_x = np.maximum(np.log(x), _LOG_FLOOR)
        log_1mx = np.maximum(np.log1p(-x), _LOG_FLOOR)
    return (t - 1) * log_1mx - t * log_x


def _bce_input_vjp(g, ans, x, t):
    return g * (x - t) / maximum(x * (1.0 - x), _EPSILON)


def _bce_target_vjp(g, ans, x, t):
    return g * (log(1.0 - x) - log(x))


binary_cross_entropy = primitive("binary_cross_entropy", _bce_forward,
                                 _bce_input_vjp, _bce_target_vjp, saves=("x", "t"))


def check_probabilities(x, op):
    """BCE's input must lie in [0, 1] (PyTorch refuses anything else too)."""
    data = _data(x)
    if data.size and not ((data >= 0) & (data <= 1)).all():
        raise ValueError(f"{op}: input must hold probabilities in [0, 1], got values from "
                         f"{np.nanmin(data)} to {np.nanmax(data)} (pass logits to "
                         f"binary_cross_entropy_with_logits instead)")
