"""Batch Normalization (Ioffe & Szegedy, 2015), with PyTorch's semantics.

For an input (N, C) or (N, C, *spatial), each channel c is normalised over
the batch and spatial axes R = (0, 2, 3, ...), m = N * prod(spatial):

    mean_c = mean_R x        var_c = mean_R (x - mean_c)^2      (biased)
    y = weight_c * (x - mean_c) / sqrt(var_c + eps) + bias_c

Training also updates running estimates, with the UNBIASED batch variance:

    running_mean <- (1 - momentum) * running_mean + momentum * mean_c
    running_var  <- (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)

momentum=None makes the factor 1 / num_batches_tracked: a plain cumulative
average of the batch statistics. Eval mode normalises with the running
estimates instead of the batch's.

Hand-derived backward (x_hat the normalised input, g = dy * weight, sums over R):

    training:  dx = inv_std * (g - mean_R g - x_hat * mean_R(g * x_hat))
    eval:      dx = inv_std * g                   (the statistics are constants)
    dweight_c = sum_R dy * x_hat,   dbias_c = sum_R dy

(the shared formula of layers/_common.py).
"""
from __future__ import annotations

import numpy as np

from layers._common import (
    Reduction, RunningStatsNorm, check_backward, check_channels, check_enough_values,
    check_input, check_param, check_rank, check_running_pair, normalize, per_channel,
    running_estimates, update_running_stats,
)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, backward="autograd"):
    """Normalise each channel (dim 1) of an (N, C, *) input over every other axis.

    training=True uses the batch statistics and, where running_mean/running_var
    are given, updates them in place; training=False uses the running estimates.
    """
    where = "batch_norm"
    check_backward(backward, where)
    x = check_input(input, where)
    if x.ndim < 2:
        raise ValueError(f"{where} expected input of shape (N, C, *), got input of shape {x.shape}")
    channels = x.shape[1]
    for param, what in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"),
                        (running_var, "running_var")):
        check_param(param, (channels,), what, where)
    check_running_pair(running_mean, running_var, where)
    axes = (0,) + tuple(range(2, x.ndim))
    weight, bias = per_channel(weight, x), per_channel(bias, x)
    if not training:
        channel_shape = (channels,) + (1,) * (x.ndim - 2)      # broadcasts against (N, C, *)
        fixed = running_estimates(running_mean, running_var, channel_shape, where)
        y, _, _ = normalize(x, weight, bias, Reduction(axes, fixed=fixed), eps, backward)
        return y
    m = check_enough_values(x, axes, "value per channel", where)
    y, mean, var = normalize(x, weight, bias, Reduction(axes), eps, backward)
    update_running_stats(running_mean, running_var, mean.reshape(channels),
                         var.reshape(channels), m, momentum, where)
    return y


class _BatchNorm(RunningStatsNorm):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the ranks they accept."""

    ranks, layout = (), ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, *, bias=True, dtype=np.float64, backward="autograd"):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias,
                         dtype, backward)

    def forward(self, x):
        where = type(self).__name__
        x = check_input(x, where)
        check_rank(x, self.ranks, self.layout, where)
        check_channels(x, self.num_features, where)
        if self.training:
            check_enough_values(x, (0,) + tuple(range(2, x.ndim)), "value per channel", where)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:          # cumulative average of all batches so far
                factor = 1.0 / int(self.num_batches_tracked.data)
        # Without running estimates there is nothing else to use: batch statistics always.
        use_batch_stats = self.training or self.running_mean is None
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_stats, factor, self.eps, self.backward)


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L): statistics per channel over N (and L)."""

    ranks, layout = (2, 3), "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W): statistics per channel over N, H and W."""

    ranks, layout = (4,), "4-D (N, C, H, W)"
