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

(step 2 of layers/_maths.py; docs/normalization.md lists PyTorch's contract).
"""
from __future__ import annotations

import numpy as np

from layers._checks import (
    check_backward_mode, check_channels, check_enough_values, check_input, check_momentum,
    check_per_channel, check_rank, check_running_given, check_running_pair,
)
from layers._maths import Reduction, count, normalize
from layers._state import RunningStatsNorm, running_estimates, update_running_stats


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, backward="autograd"):
    """Normalise each channel (dim 1) of an (N, C, *) input over every other axis.

    training=True uses the batch statistics and, where running_mean/running_var
    are given, updates them in place; training=False uses the running estimates.
    """
    op = "batch_norm"
    check_backward_mode(backward, op)
    x = check_input(input, op)
    if x.ndim < 2:
        raise ValueError(f"{op} expected input of shape (N, C, *), got input of shape {x.shape}")
    check_per_channel(x, op, weight=weight, bias=bias, running_mean=running_mean,
                      running_var=running_var)
    check_running_pair(running_mean, running_var, op, updated=training)
    if training:
        check_enough_values(x, batch_axes(x), "value per channel", op)
        check_momentum(momentum, op)
    else:
        check_running_given(running_mean, op)
    return _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps,
                       backward)


def batch_axes(x):
    """R for an (N, C, *) input: every axis but the channels'."""
    return (0,) + tuple(range(2, x.ndim))


def _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps, backward):
    """batch_norm on arguments already checked (by batch_norm or by a module)."""
    channels, axes = x.shape[1], batch_axes(x)
    if not training:
        channel_shape = (channels,) + (1,) * (x.ndim - 2)      # broadcasts against (N, C, *)
        fixed = running_estimates(running_mean, running_var, channel_shape)
        y, _, _ = normalize(x, weight, bias, Reduction(axes, fixed=fixed), eps, backward,
                            by_channel=True)
        return y
    y, mean, var = normalize(x, weight, bias, Reduction(axes), eps, backward, by_channel=True)
    update_running_stats(running_mean, running_var, mean.reshape(channels),
                         var.reshape(channels), count(x.shape, axes), momentum)
    return y


class _BatchNorm(RunningStatsNorm):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the ranks they accept."""

    ranks, layout = (), ""
    # BatchChannelNorm2d checks the input itself and turns this off in its child.
    checks_input = True

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, *, bias=True, dtype=np.float64, backward="autograd"):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias,
                         dtype, backward)

    def forward(self, x):
        if self.checks_input:
            x = check_batch_input(x, self.ranks, self.layout, self.num_features, self.training,
                                  type(self).__name__)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:          # cumulative average of all batches so far
                factor = 1.0 / int(self.num_batches_tracked.data)
        # Without running estimates there is nothing else to use: batch statistics always.
        use_batch_stats = self.training or self.running_mean is None
        return _batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           use_batch_stats, factor, self.eps, self.backward)


def check_batch_input(x, ranks, layout, num_channels, training, op):
    """A module's input to batch statistics: its rank, its channels and, when
    training, more than one value per channel. Returns it as a float Tensor."""
    x = check_input(x, op)
    check_rank(x, ranks, layout, op)
    check_channels(x, num_channels, op)
    if training:
        check_enough_values(x, batch_axes(x), "value per channel", op)
    return x


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L): statistics per channel over N (and L)."""

    ranks, layout = (2, 3), "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W): statistics per channel over N, H and W."""

    ranks, layout = (4,), "4-D (N, C, H, W)"
