"""Group Normalization (Wu & He, 2018) and Instance Normalization (Ulyanov et
al., 2016), with PyTorch's semantics.

GroupNorm(G, C) splits the C channels of an (N, C, *) input into G groups of
C/G channels and normalises each (sample, group) over its channels and the
spatial axes: x is seen as (N, G, K), K = (C/G) * prod(spatial), and reduced
over R = the K axis (biased variance). The affine is per CHANNEL:

    y[n, c] = weight_c * x_hat[n, c] + bias_c

GroupNorm(1, C) is LayerNorm over (C, *spatial) without its per-element
affine; GroupNorm(C, C) is InstanceNorm.

InstanceNorm normalises each (sample, channel) over the spatial axes only.
By default it has no affine and no running statistics, so train equals eval.
With track_running_stats=True, training updates

    running_mean <- (1 - momentum) * running_mean + momentum * mean_n(mean[n, c])
    running_var  <- (1 - momentum) * running_var  + momentum * mean_n(unbiased var[n, c])

and eval normalises with them. momentum=None is read as 0 (the estimates
never move), which is PyTorch's behaviour and not BatchNorm's cumulative
average. A 2-D input to InstanceNorm1d is one unbatched (C, L) sample, and a
3-D input to InstanceNorm2d one (C, H, W) sample.

Hand-derived backward, on the (N, G, K) view with g = dy * weight_c:

    dx      = inv_std * (g - mean_K g - x_hat * mean_K(g * x_hat))
    dweight_c = sum over n and spatial of dy * x_hat,   dbias_c = sum over n and spatial of dy

(step 2 of layers/_maths.py; InstanceNorm is the case G = C).
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad import nn
from layers._checks import (
    check_backward_mode, check_channels, check_dtype, check_enough_values, check_groups,
    check_input, check_momentum, check_per_channel, check_positive_int, check_rank,
    check_running_given, check_running_pair,
)
from layers._maths import Reduction, affine, count, normalize, per_channel
from layers._state import (
    RunningStatsNorm, register_affine, running_estimates, update_running_stats,
)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, backward="autograd"):
    """Normalise each group of num_groups channel groups of an (N, C, *) input."""
    op = "group_norm"
    check_backward_mode(backward, op)
    x = check_input(input, op)
    if x.ndim < 2:
        raise ValueError(f"{op} expected input of shape (N, C, *), got input of shape {x.shape}")
    num_groups = check_groups(num_groups, x.shape[1], op, x.shape)
    check_per_channel(x, op, weight=weight, bias=bias)
    return _group_norm(x, num_groups, weight, bias, eps, backward)


def _group_norm(x, num_groups, weight, bias, eps, backward):
    """group_norm on arguments already checked (by group_norm or by a module)."""
    if x.size == 0:                         # nothing to normalise (PyTorch: empty too)
        return affine(x, per_channel(weight, x), per_channel(bias, x))
    reduction = Reduction((2,), view=(x.shape[0], num_groups, -1))
    y, _, _ = normalize(x, weight, bias, reduction, eps, backward, by_channel=True)
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5, backward="autograd"):
    """Normalise each (sample, channel) of an (N, C, *) input over its spatial axes."""
    op = "instance_norm"
    check_backward_mode(backward, op)
    x = check_input(input, op)
    if x.ndim < 3:
        raise ValueError(f"{op} expected input of shape (N, C, *spatial), got input of "
                         f"shape {x.shape}")
    check_per_channel(x, op, weight=weight, bias=bias, running_mean=running_mean,
                      running_var=running_var)
    check_running_pair(running_mean, running_var, op, updated=use_input_stats)
    if not use_input_stats:
        check_running_given(running_mean, op)
    else:
        check_enough_values(x, spatial_axes(x), "spatial element", op)
        if running_mean is not None:
            check_momentum(momentum, op)
    return _instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, momentum,
                          eps, backward)


def spatial_axes(x):
    """R for an (N, C, *spatial) input."""
    return tuple(range(2, x.ndim))


def _instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, momentum, eps,
                   backward):
    """instance_norm on arguments already checked (by instance_norm or by a module)."""
    axes = spatial_axes(x)
    if not use_input_stats:
        fixed = running_estimates(running_mean, running_var, (x.shape[1],) + (1,) * len(axes))
        y, _, _ = normalize(x, weight, bias, Reduction(axes, fixed=fixed), eps, backward,
                            by_channel=True)
        return y
    y, mean, var = normalize(x, weight, bias, Reduction(axes), eps, backward, by_channel=True)
    # The running estimates move towards the per-instance statistics averaged over
    # the batch; an empty batch has none, and leaves them as they are.
    if running_mean is not None and x.shape[0] > 0:
        update_running_stats(running_mean, running_var, mean.reshape(x.shape[:2]).mean(axis=0),
                             var.reshape(x.shape[:2]).mean(axis=0), count(x.shape, axes),
                             momentum)
    return y


class GroupNorm(nn.Module):
    """GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, *, bias=True)."""

    # BatchChannelNorm2d checks the input itself and turns this off in its child.
    checks_input = True

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, bias=True,
                 dtype=np.float64, backward="autograd"):
        super().__init__()
        self.num_channels = check_positive_int(num_channels, "num_channels", "GroupNorm")
        self.num_groups = check_groups(num_groups, num_channels, "GroupNorm")
        dtype = check_dtype(dtype, "GroupNorm")
        check_backward_mode(backward, "GroupNorm")
        self.eps, self.affine, self.backward = eps, affine, backward
        register_affine(self, (num_channels,), affine, bias, dtype)

    def forward(self, x):
        if self.checks_input:
            x = check_input(x, "GroupNorm")
            if x.ndim < 2:
                raise ValueError(f"GroupNorm expected input of shape (N, {self.num_channels}, *), "
                                 f"got input of shape {x.shape}")
            check_channels(x, self.num_channels, "GroupNorm")
        return _group_norm(x, self.num_groups, self.weight, self.bias, self.eps, self.backward)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(RunningStatsNorm):
    """What InstanceNorm1d and InstanceNorm2d share: they differ in the spatial rank.
    num_batches_tracked is registered only for PyTorch's state_dict keys: InstanceNorm
    never counts batches."""

    spatial_dims, layout = 0, ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, *, bias=True, dtype=np.float64, backward="autograd"):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias,
                         dtype, backward)

    def forward(self, x):
        op = type(self).__name__
        x = check_input(x, op)
        batched_rank = self.spatial_dims + 2
        check_rank(x, (batched_rank - 1, batched_rank), self.layout, op)
        unbatched = x.ndim == batched_rank - 1
        channel_dim = 0 if unbatched else 1
        if x.shape[channel_dim] != self.num_features:
            if self.affine or self.track_running_stats:
                check_channels(x, self.num_features, op, channel_dim)
            # As in PyTorch: nothing depends on num_features, so this is only a warning.
            warnings.warn(f"{op} expected {self.num_features} channels, got input of shape "
                          f"{x.shape}; num_features is unused because affine=False and "
                          f"track_running_stats=False", stacklevel=2)
        if unbatched:
            x = x.reshape((1,) + x.shape)
        use_input_stats = self.training or not self.track_running_stats
        if use_input_stats:
            check_enough_values(x, spatial_axes(x), "spatial element", op,
                                x.shape[1:] if unbatched else x.shape)
        momentum = self.momentum if self.momentum is not None else 0.0
        y = _instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           use_input_stats, momentum, self.eps, self.backward)
        return y.reshape(y.shape[1:]) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """InstanceNorm over (N, C, L), or one unbatched (C, L) sample."""

    spatial_dims, layout = 1, "2-D (C, L) or 3-D (N, C, L)"


class InstanceNorm2d(_InstanceNorm):
    """InstanceNorm over (N, C, H, W), or one unbatched (C, H, W) sample."""

    spatial_dims, layout = 2, "3-D (C, H, W) or 4-D (N, C, H, W)"
