"""Batch-Channel Normalization (Qiao, Wang, Liu, Shen & Yuille, 2019).

BCN(x) = CN(BN*(x)) on an (N, C, H, W) input: a batch-statistics part that
keeps each channel away from "elimination singularities", followed by a
channel part, GroupNorm with G groups:

    BN*  z = weight_b * (x - mu_c) / sqrt(var_c + eps) + bias_b      per channel c
    CN   y = GroupNorm(G, C)(z) with its per-channel weight and bias

estimate=False (large batches): BN* is BatchNorm2d, with batch statistics in
training and running estimates in eval, exactly as in layers.batchnorm.

estimate=True (micro-batches): BN* normalises with running estimates even in
training, and no gradient flows through them. Each training step first moves
the estimates at rate r = momentum, then normalises with the new values:

    mu_c  <- (1 - r) * mu_c  + r * mean_{N,H,W} x
    var_c <- (1 - r) * var_c + r * mean_{N,H,W} (x - mu_c_old)^2   (biased, about the OLD mu_c)

Differences from the authors' code (README / BCN repository):
- their CN has a per-GROUP affine (weight and bias of shape (1, G, 1)); here CN
  is torch.nn.GroupNorm's, with a per-CHANNEL affine of shape (C,);
- their estimate rate is a buffer `estbn_moving_speed` initialised to 0, which
  the training loop must set; here it is the `momentum` argument;
- their BN* uses a hard-coded 1e-5 in the estimated branch; here `eps` is used
  in both parts.

Backward: both parts are the shared normalization of layers/_maths.py. For
BN* with estimates the statistics are constants, so dx = inv_std * weight_b * dz;
the GroupNorm part has the full formula dx = inv_std * (g - mean g - x_hat mean(g x_hat)).

The function form is batch_channel_norm (there is no PyTorch counterpart): the
arguments of batch_norm, then GroupNorm's weight and bias, then `estimate`.
"""
from __future__ import annotations

import numpy as np

from minigrad import nn
from layers._checks import (
    check_backward_mode, check_enough_values, check_groups, check_input, check_momentum,
    check_per_channel, check_positive_int, check_rank, check_running_given, check_running_pair,
)
from layers._state import RunningStatsNorm, update_running
from layers.batchnorm import BatchNorm2d, _batch_norm, check_batch_input
from layers.groupnorm import GroupNorm, _group_norm

LAYOUT = "4-D (N, C, H, W)"


def update_estimates(x, running_mean, running_var, momentum):
    """One training step of the micro-batch estimates, on plain arrays (never part
    of the graph): the mean, and the biased spread about the OLD mean, at rate r:

        mu_c  <- (1 - r) * mu_c  + r * mean_{N,H,W} x
        var_c <- (1 - r) * var_c + r * mean_{N,H,W} (x - mu_c_old)^2
    """
    channels = x.shape[1]
    batch = x.data.transpose(1, 0, 2, 3).reshape(channels, -1)
    old_mean = np.asarray(getattr(running_mean, "data", running_mean)).astype(batch.dtype)
    spread_about_old_mean = ((batch - old_mean[:, None]) ** 2).mean(axis=1)
    update_running(running_mean, batch.mean(axis=1), momentum)
    update_running(running_var, spread_about_old_mean, momentum)


def batch_channel_norm(input, num_groups, running_mean, running_var, bn_weight=None,
                       bn_bias=None, gn_weight=None, gn_bias=None, training=False, momentum=0.1,
                       eps=1e-5, estimate=False, backward="autograd"):
    """BCN(x) = group_norm(batch_norm(x)) on an (N, C, H, W) input.

    The batch part is batch_norm(input, running_mean, running_var, bn_weight,
    bn_bias, training, momentum, eps); with estimate=True it normalises with the
    running estimates even when training, after moving them one step at rate
    momentum (update_estimates). The channel part is group_norm(., num_groups,
    gn_weight, gn_bias, eps). As in batch_norm, the running statistics are
    updated in place.
    """
    op = "batch_channel_norm"
    check_backward_mode(backward, op)
    x = check_input(input, op)
    check_rank(x, (4,), LAYOUT, op)
    num_groups = check_groups(num_groups, x.shape[1], op, x.shape)
    check_per_channel(x, op, bn_weight=bn_weight, bn_bias=bn_bias, gn_weight=gn_weight,
                      gn_bias=gn_bias, running_mean=running_mean, running_var=running_var)
    check_running_pair(running_mean, running_var, op)
    if estimate:
        if running_mean is None:
            raise ValueError(f"{op}: estimate=True normalises with running_mean and "
                             f"running_var, got None")
        if training:
            check_momentum(momentum, op, " (the estimates' update rate)")
    elif training:
        check_enough_values(x, (0, 2, 3), "value per channel", op)
        check_momentum(momentum, op)
    else:
        check_running_given(running_mean, op)
    if estimate and training:
        update_estimates(x, running_mean, running_var, momentum)
    batch_stats = training and not estimate
    z = _batch_norm(x, running_mean, running_var, bn_weight, bn_bias, batch_stats, momentum,
                    eps, backward)
    return _group_norm(z, num_groups, gn_weight, gn_bias, eps, backward)


class EstimatedBatchNorm2d(RunningStatsNorm):
    """BN* of the micro-batch setting: always normalises with running estimates,
    which each training step moves towards the batch (see the module docstring)."""

    # BatchChannelNorm2d checks the input itself and turns this off in its child.
    checks_input = True

    def __init__(self, num_features, eps=1e-5, momentum=0.1, *, dtype=np.float64,
                 backward="autograd"):
        if momentum is None:
            raise ValueError("EstimatedBatchNorm2d: momentum is the estimates' update rate r "
                             "and must be a number, got None")
        super().__init__(num_features, eps, momentum, True, True, True, dtype, backward)

    def forward(self, x):
        if self.checks_input:
            x = check_batch_input(x, (4,), LAYOUT, self.num_features, False,
                                  "EstimatedBatchNorm2d")
        if self.training:
            update_estimates(x, self.running_mean, self.running_var, self.momentum)
            self.num_batches_tracked.data += 1
        return _batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           False, 0.0, self.eps, self.backward)


class BatchChannelNorm2d(nn.Module):
    """BatchChannelNorm2d(num_channels, num_groups, eps=1e-5, momentum=0.1, estimate=False):
    children `bn` (BatchNorm2d, or EstimatedBatchNorm2d when estimate=True) and `gn`
    (GroupNorm(num_groups, num_channels))."""

    def __init__(self, num_channels, num_groups, eps=1e-5, momentum=0.1, estimate=False, *,
                 dtype=np.float64, backward="autograd"):
        super().__init__()
        op = "BatchChannelNorm2d"
        self.num_channels = check_positive_int(num_channels, "num_channels", op)
        self.num_groups = check_groups(num_groups, num_channels, op)
        check_backward_mode(backward, op)
        if estimate and momentum is None:
            raise ValueError(f"{op}: with estimate=True, momentum is the estimates' update "
                             f"rate r and must be a number, got None")
        self.estimate = estimate
        batch_part = EstimatedBatchNorm2d if estimate else BatchNorm2d
        self.bn = batch_part(num_channels, eps, momentum, dtype=dtype, backward=backward)
        self.gn = GroupNorm(num_groups, num_channels, eps, dtype=dtype, backward=backward)
        # This module checks the input once, naming itself; the children trust it.
        self.bn.checks_input = self.gn.checks_input = False

    def forward(self, x):
        # The same as batch_channel_norm, run through the children so that each
        # keeps its own state (and graph drawings show the two parts).
        training_stats = self.training and not self.estimate
        x = check_batch_input(x, (4,), LAYOUT, self.num_channels, training_stats,
                              "BatchChannelNorm2d")
        return self.gn(self.bn(x))

    def extra_repr(self):
        return f"{self.num_channels}, {self.num_groups}, estimate={self.estimate}"
