"""What the normalization layers share: one computation over a reduction set,
its hand-derived backward, running averages and the argument checks.

Every layer in this package is the same computation with a different
reduction set R of m elements:

    BatchNorm     R = batch and spatial axes, one set per channel
    LayerNorm     R = the trailing normalized dims, one set per sample
    GroupNorm     R = the channels of a group and the spatial axes, per (sample, group)
    InstanceNorm  R = the spatial axes, per (sample, channel)
    RMSNorm       as LayerNorm, but without centring

Forward (biased variance, taken in two passes so a large mean does not cancel
the spread away):

    mean    = mean_R x                   (0 for RMSNorm)
    var     = mean_R (x - mean)^2        (the mean square for RMSNorm)
    inv_std = 1 / sqrt(var + eps)
    x_hat   = (x - mean) * inv_std
    y       = weight * x_hat + bias

Backward. x_hat depends on x directly and through mean and var. With
g = dy * weight, the direct path gives inv_std * g; the path through the mean
gives -inv_std * mean_R g; the path through the variance, using
d var / d x_j = 2 (x_j - mean) / m, gives -inv_std * x_hat * mean_R(g * x_hat):

    dx      = inv_std * (g - mean_R g - x_hat * mean_R(g * x_hat))
    dweight = sum of dy * x_hat over the axes weight is broadcast along
    dbias   = sum of dy over the same axes

RMSNorm has no mean, so its mean_R g term drops. With fixed statistics (eval
mode's running estimates) mean and var do not depend on x and both
correction terms drop: dx = inv_std * g.
"""
from __future__ import annotations

import numpy as np

from minigrad import Function, Tensor, is_grad_enabled, nn, sqrt
from minigrad.nn.functional import as_float_tensor, cast_like

BACKWARDS = ("autograd", "manual")


# ----------------------------------------------------------------------------
# Argument checks, worded for the layer the user called
# ----------------------------------------------------------------------------

def check_backward(backward, where):
    if backward not in BACKWARDS:
        raise ValueError(f"{where}: backward must be 'autograd' or 'manual', got {backward!r}")


def check_positive_int(value, what, where):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive integer, got {value!r}")
    return int(value)


def check_dtype(dtype, where):
    """A module's dtype: the floating-point dtype of its parameters and running statistics."""
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind != "f":
        shown = np.dtype(dtype) if kind is not None else repr(dtype)
        raise TypeError(f"{where}: dtype must be a floating-point dtype, got {shown}")
    return np.dtype(dtype)


def check_input(x, where):
    """The input as a floating-point Tensor."""
    if x is None:
        raise TypeError(f"{where}: expected an input tensor, got None")
    return as_float_tensor(x, where)


def check_rank(x, ranks, layout, where):
    if x.ndim not in ranks:
        raise ValueError(f"{where} expected {layout} input, got input of shape {x.shape}")


def check_channels(x, num_channels, where, dim=1):
    if x.shape[dim] != num_channels:
        raise ValueError(f"{where} expected {num_channels} channels, got input of shape {x.shape}")


def check_param(param, shape, what, where):
    """weight, bias, running_mean or running_var must have `shape` (or be None)."""
    if param is None:
        return
    actual = np.shape(param.data if isinstance(param, Tensor) else param)
    if actual != shape:
        raise ValueError(f"{where}: {what} must have shape {shape}, got shape {actual}")


def check_running_pair(running_mean, running_var, where):
    """The running statistics come as a pair (as in PyTorch): one alone would be
    updated while the other is silently skipped."""
    if (running_mean is None) != (running_var is None):
        given = "running_mean" if running_var is None else "running_var"
        raise ValueError(f"{where}: running_mean and running_var must both be given or both "
                         f"be None, got only {given}")


def count(shape, axes):
    """The number of elements a reduction over `axes` of `shape` takes in."""
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def check_enough_values(x, axes, what, where, shape=None):
    """Training statistics need m > 1 values (the unbiased variance divides by m - 1)."""
    m = count(x.shape, axes)
    if m <= 1:
        raise ValueError(f"{where} expected more than 1 {what} when training, got input of "
                         f"shape {x.shape if shape is None else shape}")
    return m


def normalized_shape_tuple(normalized_shape, where):
    """LayerNorm's and RMSNorm's normalized_shape as a tuple of positive ints."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (normalized_shape,)
    try:
        shape = tuple(normalized_shape)
    except TypeError:
        raise ValueError(f"{where}: normalized_shape must be an int or a sequence of ints, "
                         f"got {normalized_shape!r}") from None
    for n in shape:
        check_positive_int(n, "normalized_shape entries", where)
    if not shape:
        raise ValueError(f"{where}: normalized_shape must have at least one dimension")
    return tuple(int(n) for n in shape)


def check_trailing(x, normalized_shape, where):
    k = len(normalized_shape)
    if x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
        raise ValueError(f"{where} expected input with trailing dimensions {normalized_shape}, "
                         f"got input of shape {x.shape}")


# ----------------------------------------------------------------------------
# The reduction set and the forward, in minigrad operations
# ----------------------------------------------------------------------------

class Reduction:
    """Where a normalization takes its statistics.

    axes     the reduced axes (of `view` when given, else of x)
    view     the shape x is seen in while reducing, e.g. GroupNorm's (N, G, -1)
    centred  subtract the mean (False for RMSNorm)
    fixed    (mean, var) to use instead of the input's own, shaped to broadcast
             against the view (eval mode's running estimates), or None
    """

    def __init__(self, axes, view=None, centred=True, fixed=None):
        self.axes, self.view, self.centred, self.fixed = tuple(axes), view, centred, fixed

    def __repr__(self):
        # Short, for graph labels: "axes (0, 2, 3)", "axes (2,) of view (2, 4, -1)".
        text = f"axes {self.axes}" + (f" of view {self.view}" if self.view is not None else "")
        if not self.centred:
            text += ", uncentred"
        if self.fixed is not None:
            text += ", running estimates"
        return text


def standardize(x, reduction, eps):
    """(x_hat, mean, var, inv_std), composed from minigrad primitives, so the engine
    can differentiate it. mean and var keep the reduced axes (of the view)."""
    axes = reduction.axes
    xv = x.reshape(reduction.view) if reduction.view is not None else x
    if reduction.fixed is not None:
        mean, var = (np.asarray(s, dtype=x.dtype) for s in reduction.fixed)
        centred = xv - mean
    elif reduction.centred:
        mean = xv.mean(axis=axes, keepdims=True)
        centred = xv - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
    else:
        mean = np.zeros((), dtype=x.dtype)
        centred = xv
        var = (xv * xv).mean(axis=axes, keepdims=True)
    inv_std = 1 / sqrt(var + eps)
    x_hat = centred * inv_std
    if reduction.view is not None:
        x_hat = x_hat.reshape(x.shape)
    return x_hat, mean, var, inv_std


def per_channel(param, x):
    """A (C,) parameter shaped to broadcast against x of shape (N, C, *): (C, 1, ..., 1).
    For (N, C) input it already does, and is left alone (no reshape node in the graph)."""
    if param is None or x.ndim == 2:
        return param
    return param.reshape((x.shape[1],) + (1,) * (x.ndim - 2))


def spread(c, shape):
    """c, which broadcasts against `shape` (BatchNorm's (1, C, 1, 1) against
    (N, C, H, W)), repeated along its trailing broadcast axes: (1, C, H, W).

    The values are the same; only the memory layout changes, for speed. With
    the per-channel number repeated, NumPy runs its vectorised loop over two
    contiguous operands instead of re-reading one number per short row: about
    1.6x faster per operation on a large input. Done only when the copy is at
    most a quarter of `shape` (a leading axis, such as the batch, stays
    broadcast); otherwise c is returned as it is."""
    c_shape = tuple(c.shape)
    lead = len(shape) - len(c_shape)
    varying = [i for i, n in enumerate(c_shape) if n != 1]
    if not varying:
        return c
    k = varying[-1]
    target = c_shape[:k + 1] + tuple(shape[lead + k + 1:])
    if target == c_shape or 4 * int(np.prod(target)) > int(np.prod(shape)):
        return c
    return c + np.zeros(target, dtype=c.dtype)


def standardize_array(x, reduction, eps):
    """standardize() in plain NumPy, for the forward of the manual path, where no
    graph is wanted: x_hat is scaled in place, and np.einsum sums the squares
    without building an (x - mean)**2 temporary."""
    axes = reduction.axes
    xv = x.reshape(reduction.view) if reduction.view is not None else x

    def sum_of_squares(a):
        index = list(range(a.ndim))
        kept = [i for i in index if i not in axes]
        return np.einsum(a, index, a, index, kept).reshape(
            [1 if i in axes else n for i, n in enumerate(a.shape)])

    if reduction.fixed is not None:
        mean, var = (np.asarray(s, dtype=x.dtype) for s in reduction.fixed)
        x_hat = xv - spread(mean, xv.shape)
    elif reduction.centred:
        mean = xv.mean(axis=axes, keepdims=True)
        x_hat = xv - spread(mean, xv.shape)
        var = sum_of_squares(x_hat) / count(xv.shape, axes)
    else:
        mean = np.zeros((), dtype=x.dtype)
        x_hat = xv.copy()
        var = sum_of_squares(xv) / count(xv.shape, axes)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat *= spread(inv_std, xv.shape)
    return x_hat.reshape(x.shape), mean, var, inv_std


def affine(x_hat, weight, bias):
    """y = weight * x_hat + bias, either of them optional."""
    y = x_hat * weight if weight is not None else x_hat
    return y + bias if bias is not None else y


def input_grad(g, x_hat, scale, sum_g, sum_g_x_hat, reduction):
    """dx = scale * (g - mean_R g - x_hat * mean_R(g * x_hat)), from the two sums
    over R (kept dims, in the reduction's view); the mean_R g term only when
    centred, both terms only when the statistics are the input's own."""
    view = reduction.view if reduction.view is not None else g.shape
    d, x_hat = g.reshape(view), x_hat.reshape(view)
    m = count(x_hat.shape, reduction.axes)
    if reduction.fixed is None:
        if reduction.centred:
            d = d - spread(sum_g / m, d.shape)
        d = d - x_hat * spread(sum_g_x_hat / m, d.shape)
    return (d * spread(scale, d.shape)).reshape(g.shape)


def _constant_over(weight, x, reduction):
    """Does `weight` (broadcast against x) take one value on each reduction set?"""
    if reduction.view is not None:
        return False                # sums in the view would not fit the parameters
    if weight is None:
        return True
    lead = x.ndim - weight.ndim
    return all(a < lead or weight.shape[a - lead] == 1 for a in reduction.axes)


class Normalize(Function):
    """y = weight * x_hat + bias as one node whose backward is the closed form

        dx      = inv_std * (g - mean_R g - x_hat * mean_R(g * x_hat)),   g = dy * weight
        dweight = sum dy * x_hat,   dbias = sum dy   (over the axes weight is broadcast along)

    written in minigrad operations. The forward runs in plain NumPy (no graph is
    needed inside one node). Without create_graph the backward reuses its x_hat
    and inv_std arrays; with create_graph it recomputes them from x with minigrad
    operations, so that the gradient is itself differentiable in x.

    Outputs (y, mean, var); mean and var are returned only for running
    averages, which are taken from their data: they get no gradient.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, reduction, eps):
        x_hat, mean, var, inv_std = standardize_array(x.data, reduction, eps)
        y = x_hat * spread(weight.data, x.shape) if weight is not None else x_hat.copy()
        if bias is not None:
            y += spread(bias.data, x.shape)
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.inv_std, ctx.reduction, ctx.eps = x_hat, inv_std, reduction, eps
        return y, mean, var

    @staticmethod
    def backward(ctx, dy, _dmean, _dvar):
        x, weight = ctx.saved_tensors
        reduction, x_hat, inv_std = ctx.reduction, ctx.x_hat, ctx.inv_std
        if is_grad_enabled():
            x_hat, _, _, inv_std = standardize(x, reduction, ctx.eps)
        axes, needs_x = reduction.axes, ctx.needs_input_grad[0]
        if _constant_over(weight, x, reduction):
            # BatchNorm, InstanceNorm: weight is one number per reduction set, so it
            # factors out of g's sums, and those sums (of dy) are also what dweight
            # and dbias need; the engine sums them over the remaining axes.
            sum_dy = dy.sum(axis=axes, keepdims=True)
            sum_dy_x_hat = (dy * x_hat).sum(axis=axes, keepdims=True)
            scale = inv_std * weight if weight is not None else inv_std
            dx = input_grad(dy, x_hat, scale, sum_dy, sum_dy_x_hat, reduction) if needs_x else None
            return dx, sum_dy_x_hat, sum_dy, None, None
        # LayerNorm, GroupNorm, RMSNorm: weight varies inside a reduction set (or a
        # view regroups the axes).
        dx = None
        if needs_x:
            view = reduction.view if reduction.view is not None else x.shape
            g = dy * weight if weight is not None else dy
            g_v, x_hat_v = g.reshape(view), x_hat.reshape(view)
            dx = input_grad(g, x_hat, inv_std, g_v.sum(axis=axes, keepdims=True),
                            (g_v * x_hat_v).sum(axis=axes, keepdims=True), reduction)
        return dx, dy * x_hat, dy, None, None


def normalize(x, weight, bias, reduction, eps, backward):
    """y = weight * x_hat + bias over `reduction`, by the chosen backward.

    weight and bias must already broadcast against x. Returns (y, mean, var)
    with the statistics as NumPy arrays (for running averages)."""
    weight, bias = (cast_like(p if p is None or isinstance(p, Tensor) else Tensor(p), x)
                    for p in (weight, bias))
    if backward == "manual":
        y, mean, var = Normalize.apply(x, weight, bias, reduction, eps)
        return y, mean.data, var.data
    x_hat, mean, var, _ = standardize(x, reduction, eps)
    return affine(x_hat, weight, bias), getattr(mean, "data", mean), getattr(var, "data", var)


# ----------------------------------------------------------------------------
# Parameters, buffers and running averages
# ----------------------------------------------------------------------------

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
        where = type(self).__name__
        self.num_features = check_positive_int(num_features, "num_features", where)
        dtype = check_dtype(dtype, where)
        check_backward(backward, where)
        self.eps, self.momentum, self.affine = eps, momentum, affine
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


def running_estimates(running_mean, running_var, shape, where):
    """The running estimates as constant arrays of `shape`, for eval mode."""
    if running_mean is None or running_var is None:
        raise ValueError(f"{where}: running_mean and running_var are needed to normalise "
                         f"with running estimates")
    return tuple(np.asarray(getattr(s, "data", s)).reshape(shape)
                 for s in (running_mean, running_var))


def update_running(running, batch_value, momentum):
    """running <- (1 - momentum) * running + momentum * batch_value, in place on
    the buffer's array: no graph is recorded and no gradient can reach it."""
    if running is None:
        return
    data = running.data if isinstance(running, Tensor) else running
    data[...] = (1 - momentum) * data + momentum * batch_value


def update_running_stats(running_mean, running_var, mean, var, m, momentum, where):
    """Move the running estimates towards a batch's per-channel mean and biased
    variance over m values; the variance is stored unbiased (times m / (m - 1))."""
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating)):
        raise TypeError(f"{where}: momentum must be a number, got {momentum!r} (the modules "
                        f"turn momentum=None into an update factor before calling)")
    update_running(running_mean, mean, momentum)
    update_running(running_var, var * (m / (m - 1)), momentum)
