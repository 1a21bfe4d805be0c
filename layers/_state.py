"""What the normalization modules keep between calls: the affine parameters, the
running estimates of mean and variance, and how a training step moves them.

    running_mean <- (1 - momentum) * running_mean + momentum * batch mean
    running_var  <- (1 - momentum) * running_var  + momentum * batch var * m / (m - 1)

The stored variance is the unbiased one (PyTorch's choice), although the batch
is normalised with the biased one. The updates happen in place on the buffers'
arrays, outside the graph: no gradient ever reaches a running statistic.
"""
from __future__ import annotations

import numpy as np

from minigrad import Tensor, nn
from layers._checks import (
    check_backward_mode, check_dtype, check_eps, check_momentum, check_positive_int,
)


def register_affine(module, shape, enabled, bias=True, dtype=np.float64):
    """weight = 1 and bias = 0 of `shape` (PyTorch's initial values), or None."""
    weight = nn.Parameter(np.ones(shape, dtype)) if enabled else None
    module.register_parameter("weight", weight)
    module.register_parameter("bias", nn.Parameter(np.zeros(shape, dtype)) if enabled and bias
                              else None)


def register_running_stats(module, num_features, track_running_stats, dtype=np.float64):
    """running_mean = 0, running_var = 1, num_batches_tracked = 0 (int64), or None."""
    track = track_running_stats
    module.register_buffer("running_mean", np.zeros(num_features, dtype) if track else None)
    module.register_buffer("running_var", np.ones(num_features, dtype) if track else None)
    module.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64) if track else None)


class RunningStatsNorm(nn.Module):
    """What BatchNorm and InstanceNorm share (PyTorch's _NormBase): the constructor,
    a per-channel affine and the running estimates of mean and variance."""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, bias,
                 dtype, backward):
        super().__init__()
        op = type(self).__name__
        self.num_features = check_positive_int(num_features, "num_features", op)
        dtype = check_dtype(dtype, op)
        check_backward_mode(backward, op)
        if momentum is not None:
            check_momentum(momentum, op)
        self.eps, self.momentum, self.affine = check_eps(eps, op), momentum, affine
        self.track_running_stats, self.backward = track_running_stats, backward
        register_affine(self, (num_features,), affine, bias, dtype)
        register_running_stats(self, num_features, track_running_stats, dtype)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


def running_estimates(running_mean, running_var, shape):
    """The running estimates as constant arrays of `shape`, for eval mode."""
    return tuple(np.asarray(getattr(s, "data", s)).reshape(shape)
                 for s in (running_mean, running_var))


def update_running(running, batch_value, momentum, scale=1.0):
    """running <- (1 - momentum) * running + momentum * scale * batch_value, in place
    on the buffer's array: no graph is recorded and no gradient can reach it."""
    if running is None:
        return
    data = running.data if isinstance(running, Tensor) else running
    data *= 1 - momentum
    data += (momentum * scale) * batch_value      # (the two numbers first: one pass fewer)


def update_running_stats(running_mean, running_var, mean, var, m, momentum):
    """Move the running estimates towards a batch's per-channel mean and biased
    variance over m values; the variance is stored unbiased (times m / (m - 1))."""
    update_running(running_mean, mean, momentum)
    update_running(running_var, var, momentum, scale=m / (m - 1))
