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

Backward: both parts are the shared normalization of layers/_common.py. For
BN* with estimates the statistics are constants, so dx = inv_std * weight_b * dz;
the GroupNorm part has the full formula dx = inv_std * (g - mean g - x_hat mean(g x_hat)).
"""
from __future__ import annotations

from minigrad import nn
from layers._common import (
    RunningStatsNorm, check_backward, check_channels, check_input, check_positive_int,
    check_rank, update_running,
)
from layers.batchnorm import BatchNorm2d, batch_norm
from layers.groupnorm import GroupNorm


class EstimatedBatchNorm2d(RunningStatsNorm):
    """BN* of the micro-batch setting: always normalises with running estimates,
    which each training step moves towards the batch (see the module docstring)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, backward="autograd"):
        if momentum is None:
            raise ValueError("EstimatedBatchNorm2d: momentum is the estimates' update rate r "
                             "and must be a number, got None")
        super().__init__(num_features, eps, momentum, True, True, True, backward)

    def forward(self, x):
        x = check_input(x, "EstimatedBatchNorm2d")
        check_rank(x, (4,), "4-D (N, C, H, W)", "EstimatedBatchNorm2d")
        check_channels(x, self.num_features, "EstimatedBatchNorm2d")
        if self.training:
            # Plain arrays: the estimates are data, never part of the graph.
            batch = x.data.transpose(1, 0, 2, 3).reshape(self.num_features, -1)
            old_mean = self.running_mean.data.astype(batch.dtype)
            batch_var = ((batch - old_mean[:, None]) ** 2).mean(axis=1)   # about the OLD mean
            update_running(self.running_mean, batch.mean(axis=1), self.momentum)
            update_running(self.running_var, batch_var, self.momentum)
            self.num_batches_tracked.data += 1
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          False, 0.0, self.eps, self.backward)


class BatchChannelNorm2d(nn.Module):
    """BatchChannelNorm2d(num_channels, num_groups, eps=1e-5, momentum=0.1, estimate=False):
    children `bn` (BatchNorm2d, or EstimatedBatchNorm2d when estimate=True) and `gn`
    (GroupNorm(num_groups, num_channels))."""

    def __init__(self, num_channels, num_groups, eps=1e-5, momentum=0.1, estimate=False,
                 backward="autograd"):
        super().__init__()
        where = "BatchChannelNorm2d"
        self.num_channels = check_positive_int(num_channels, "num_channels", where)
        self.num_groups = check_positive_int(num_groups, "num_groups", where)
        if num_channels % num_groups:
            raise ValueError(f"{where}: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        check_backward(backward, where)
        self.estimate = estimate
        if estimate:
            self.bn = EstimatedBatchNorm2d(num_channels, eps, momentum, backward=backward)
        else:
            self.bn = BatchNorm2d(num_channels, eps, momentum, backward=backward)
        self.gn = GroupNorm(num_groups, num_channels, eps, backward=backward)

    def forward(self, x):
        x = check_input(x, "BatchChannelNorm2d")
        check_rank(x, (4,), "4-D (N, C, H, W)", "BatchChannelNorm2d")
        check_channels(x, self.num_channels, "BatchChannelNorm2d")
        return self.gn(self.bn(x))

    def extra_repr(self):
        return f"{self.num_channels}, {self.num_groups}, estimate={self.estimate}"
