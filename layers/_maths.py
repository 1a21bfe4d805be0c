"""The one computation behind every normalization layer, and its hand-derived backward.

Every layer in this package standardizes x over a reduction set R of m
elements, then applies an affine; only R differs:

    BatchNorm     R = batch and spatial axes, one set per channel
    LayerNorm     R = the trailing normalized dims, one set per sample
    GroupNorm     R = the channels of a group and the spatial axes, per (sample, group)
    InstanceNorm  R = the spatial axes, per (sample, channel)
    RMSNorm       as LayerNorm, but without centring
    WS            R = one output channel's row of a weight (no affine); see weightstd.py

1. Forward. The variance is the biased one, taken in two passes (first the
   mean, then the mean square about it), so a large mean does not cancel the
   spread away:

       mean    = mean_R x                   (0 for RMSNorm)
       var     = mean_R (x - mean)^2        (the mean square for RMSNorm)
       inv_std = 1 / sqrt(var + eps)
       x_hat   = (x - mean) * inv_std
       y       = weight * x_hat + bias

2. Backward. x_hat depends on x directly and through mean and var. With
   g = dy * weight, the three paths give
       directly              inv_std * g
       through the mean      -inv_std * mean_R g
       through the variance  -inv_std * x_hat * mean_R(g * x_hat)
                             (using d var / d x_j = 2 (x_j - mean) / m)
   and together

       dx      = inv_std * (g - mean_R g - x_hat * mean_R(g * x_hat))
       dweight = sum of dy * x_hat over the axes weight is broadcast along
       dbias   = sum of dy over the same axes

   RMSNorm has no mean, so its mean_R g term drops. With fixed statistics (eval
   mode's running estimates) mean and var do not depend on x and both
   correction terms drop: dx = inv_std * g. Weight Standardization's unbiased
   forms divide the sum of squares by m - 1 instead of m; then the variance
   path's mean_R(g * x_hat) becomes sum_R(g * x_hat) / (m - 1).

3. Two ways to run it. backward="autograd" composes the forward of minigrad
   operations and lets the engine differentiate it; backward="manual" makes
   the whole of step 1 one graph node whose backward is the formula of step 2.

The code below follows these steps in order; the last section lays arrays out
for speed without changing a value.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad import Function, Tensor, is_grad_enabled, rsqrt, square
from minigrad.nn.functional import cast_like
from minigrad.ops.shape import sum_axes


def count(shape, axes):
    """m: the number of elements a reduction over `axes` of `shape` takes in."""
    return math.prod(shape[a] for a in axes)          # (Python ints: no overflow, no NumPy call)


class Reduction:
    """R: where a normalization takes its statistics.

    axes     the reduced axes (of `view` when given, else of x)
    view     the shape x is seen in while reducing, e.g. GroupNorm's (N, G, -1)
    centred  subtract the mean (False for RMSNorm)
    fixed    (mean, var) to use instead of the input's own, shaped to broadcast
             against the view (eval mode's running estimates), or None
    ddof     var divides the sum of squares by m - ddof: 0 (every layer), or 1
             (the unbiased variance of some Weight Standardization sources)
    found    (mean, var) as the one-node forward took them, left here for running
             averages (set by Normalize.forward; None before it ran)
    """

    def __init__(self, axes, view=None, centred=True, fixed=None, ddof=0):
        self.axes, self.view, self.centred, self.fixed = tuple(axes), view, centred, fixed
        self.ddof = ddof
        self.found = None

    def __repr__(self):
        # Short, for graph labels: "axes (0, 2, 3)", "axes (2,) of view (2, 4, -1)".
        text = f"axes {self.axes}" + (f" of view {self.view}" if self.view is not None else "")
        if not self.centred:
            text += ", uncentred"
        if self.fixed is not None:
            text += ", running estimates"
        if self.ddof:
            text += f", ddof {self.ddof}"
        return text


# ----------------------------------------------------------------------------
# 1. Forward
# ----------------------------------------------------------------------------

def standardize(x, reduction, eps):
    """(x_hat, mean, var, inv_std); mean and var keep the reduced axes (of the view).

    On a Tensor it is made of minigrad operations, so the engine can differentiate
    it; on a NumPy array (the forward of the one-node path) it runs on the arrays."""
    axes = reduction.axes
    xv = x.reshape(reduction.view) if reduction.view is not None else x
    if reduction.fixed is not None:
        mean, var = (np.asarray(s, dtype=x.dtype) for s in reduction.fixed)
        centred = xv - spread(mean, xv.shape)
    elif reduction.centred:
        mean = mean_over(xv, axes)
        centred = xv - spread(mean, xv.shape)
        var = mean_of_squares(centred, axes, reduction.ddof)
    else:
        mean = np.zeros((), dtype=x.dtype)
        centred = xv
        var = mean_of_squares(xv, axes, reduction.ddof)
    inv_std = reciprocal_sqrt(var + eps)
    x_hat = scale(centred, spread(inv_std, xv.shape), own=centred is not xv)
    if reduction.view is not None:
        x_hat = x_hat.reshape(x.shape)
    return x_hat, mean, var, inv_std


def per_channel(param, x):
    """A (C,) parameter shaped to broadcast against x of shape (N, C, *): (C, 1, ..., 1).
    For (N, C) input it already does, and is left alone (no reshape node in the graph)."""
    if param is None or x.ndim == 2:
        return param
    return param.reshape((x.shape[1],) + (1,) * (x.ndim - 2))


def affine(x_hat, weight, bias):
    """y = weight * x_hat + bias, either of them optional."""
    y = x_hat * weight if weight is not None else x_hat
    return y + bias if bias is not None else y


# ----------------------------------------------------------------------------
# 2. Backward
# ----------------------------------------------------------------------------

def input_grad(g, x_hat, scale, sum_g, sum_g_x_hat, reduction):
    """dx = scale * (g - mean_R g - x_hat * mean_R(g * x_hat)), from the two sums
    over R (kept dims, in the reduction's view); the mean_R g term only when
    centred, both terms only when the statistics are the input's own. (With
    ddof, the last mean divides by m - ddof.)"""
    d, x_hat = in_view(g, reduction), in_view(x_hat, reduction)
    m = count(x_hat.shape, reduction.axes)
    if reduction.fixed is None:
        if reduction.centred:
            d = d - spread(sum_g / m, d.shape)
        d = d - x_hat * spread(sum_g_x_hat / (m - reduction.ddof), d.shape)
    dx = d * spread(scale, d.shape)
    return dx if reduction.view is None else dx.reshape(g.shape)


def in_view(t, reduction):
    """t seen in the reduction's view (GroupNorm's (N, G, -1)); t itself when there is
    none, so that a recorded backward has no reshape that changes nothing."""
    return t if reduction.view is None else t.reshape(reduction.view)


def _constant_over(weight, x, reduction):
    """Does `weight` (broadcast against x) take one value on each reduction set?"""
    if reduction.view is not None:
        return False                # sums in the view would not fit the parameters
    if weight is None:
        return True
    lead = x.ndim - weight.ndim
    return all(a < lead or weight.shape[a - lead] == 1 for a in reduction.axes)


# ----------------------------------------------------------------------------
# 3. Two ways to run it
# ----------------------------------------------------------------------------

class Normalize(Function):
    """y = weight * x_hat + bias as one node whose backward is the closed form

        dx      = inv_std * (g - mean_R g - x_hat * mean_R(g * x_hat)),   g = dy * weight
        dweight = sum dy * x_hat,   dbias = sum dy   (over the axes weight is broadcast along)

    written in minigrad operations. The forward runs standardize() on the plain
    arrays (no graph is needed inside one node). Without create_graph the backward
    runs on plain arrays too, reusing its x_hat and inv_std; with create_graph it
    recomputes them from x with minigrad operations, so that the gradient is itself
    differentiable in x.

    Its one output is y. The mean and var the forward takes are needed only for
    running averages: they are left on the reduction (reduction.found), not made
    outputs of the node, since no gradient ever reaches them.

    by_channel=True: weight and bias hold one number per channel, shape (C,); the
    node lays them out against x itself (see normalize()).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, reduction, eps, by_channel=False):
        x_hat, mean, var, inv_std = standardize(x.data, reduction, eps)
        if weight is not None:
            y = x_hat * spread(laid_out(weight.data, x, by_channel), x.shape)
        else:
            y = x_hat.copy()
        if bias is not None:           # in place: no second output-sized array
            y += spread(laid_out(bias.data, x, by_channel), x.shape)
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.inv_std, ctx.reduction, ctx.eps = x_hat, inv_std, reduction, eps
        ctx.by_channel = by_channel
        reduction.found = mean, var
        return y

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        reduction, x_hat, inv_std = ctx.reduction, ctx.x_hat, ctx.inv_std
        if not is_grad_enabled():
            # Nobody will differentiate this backward: the same formulas run on the
            # plain arrays (a minigrad operation costs microseconds of bookkeeping each).
            dy, weight = dy.data, weight.data if weight is not None else None
        else:
            # create_graph: a recorded backward, whose drawing names what the formula names
            x_hat, _, _, inv_std = standardize(x, reduction, ctx.eps)
            x_hat.name = "x_hat"
            if isinstance(inv_std, Tensor):       # (eval mode's inv_std is a constant array)
                inv_std.name = "inv_std"
        weight = laid_out(weight, x, ctx.by_channel)
        dx, dweight, dbias = gradients(dy, x, weight, x_hat, inv_std, reduction,
                                       ctx.needs_input_grad[0])
        if ctx.by_channel:
            dweight, dbias = channel_sums(dweight, x), channel_sums(dbias, x)
        return dx, dweight, dbias, None, None, None


def gradients(dy, x, weight, x_hat, inv_std, reduction, needs_x):
    """Normalize's (dx, dweight, dbias) by the closed form, dweight and dbias laid out
    as weight multiplies x: the engine sums a broadcast one down to weight's shape,
    or, for a (C,) weight taken as it is (by_channel), Normalize.backward does."""
    axes = reduction.axes
    if _constant_over(weight, x, reduction):
        # BatchNorm, InstanceNorm: weight is one number per reduction set, so it
        # factors out of g's sums, and those sums (of dy) are also what dweight
        # and dbias need.
        sum_dy = sum_over(dy, axes)
        sum_dy_x_hat = sum_over(dy, axes, x_hat)
        scale = inv_std * weight if weight is not None else inv_std
        dx = input_grad(dy, x_hat, scale, sum_dy, sum_dy_x_hat, reduction) if needs_x else None
        if weight is not None and sum_dy.size == weight.size:   # BatchNorm: already summed
            sum_dy_x_hat, sum_dy = sum_dy_x_hat.reshape(weight.shape), sum_dy.reshape(weight.shape)
        return dx, sum_dy_x_hat, sum_dy
    # LayerNorm, GroupNorm, RMSNorm: weight varies inside a reduction set (or a
    # view regroups the axes).
    dx = None
    if needs_x:
        g = dy * weight if weight is not None else dy
        if is_grad_enabled() and weight is not None:
            g.name = "g = dy * weight"
        g_v, x_hat_v = in_view(g, reduction), in_view(x_hat, reduction)
        dx = input_grad(g, x_hat, inv_std, sum_over(g_v, axes), sum_over(g_v, axes, x_hat_v),
                        reduction)
    return dx, dy * x_hat, dy


def laid_out(param, x, by_channel):
    """A parameter as it multiplies x: a (C,) one by_channel as per_channel() shapes it."""
    return per_channel(param, x) if by_channel else param


def channel_sums(d, x):
    """The gradient of a (C,) parameter, from one laid out against x of shape (N, C, *):
    summed over every axis but the channels'. (None stays None.)"""
    if d is None:
        return None
    if d.size != x.shape[1]:
        d = sum_over(d, (0,) + tuple(range(2, d.ndim)))
    return d.reshape(x.shape[1])


def normalize(x, weight, bias, reduction, eps, backward, by_channel=False):
    """y = weight * x_hat + bias over `reduction`, by the chosen backward.

    weight and bias broadcast against x, or with by_channel=True hold one number
    per channel of an (N, C, *) input, shape (C,) (BatchNorm, InstanceNorm,
    GroupNorm). Then the composed graph reshapes them (per_channel()), and the
    one node lays their arrays out itself: no reshape nodes, forward or backward.
    Returns (y, mean, var) with the statistics as NumPy arrays (for running
    averages)."""
    weight, bias = (cast_like(p if p is None or isinstance(p, Tensor) else Tensor(p), x)
                    for p in (weight, bias))
    if backward == "manual":
        y = Normalize.apply(x, weight, bias, reduction, eps, by_channel)
        mean, var = reduction.found         # left there by Normalize.forward (see its docstring)
        return y, mean, var
    weight, bias = laid_out(weight, x, by_channel), laid_out(bias, x, by_channel)
    x_hat, mean, var, _ = standardize(x, reduction, eps)
    return affine(x_hat, weight, bias), getattr(mean, "data", mean), getattr(var, "data", var)


# ----------------------------------------------------------------------------
# Speed: the same values, laid out so that NumPy does less work
# ----------------------------------------------------------------------------

def spread(c, shape):
    """c, which broadcasts against `shape` (BatchNorm's (1, C, 1, 1) against
    (N, C, H, W)), repeated along its trailing broadcast axes: (1, C, H, W).

    The values are the same; only the memory layout changes, for speed. With
    the per-channel number repeated, NumPy runs its vectorised loop over two
    contiguous operands instead of re-reading one number per short row: about
    1.6x faster per operation on a large input. Done only when the copy is at
    most a quarter of `shape` (a leading axis, such as the batch, stays
    broadcast), and never while a graph is recorded (the drawing would show
    an extra node that means nothing); otherwise c is returned as it is."""
    if is_grad_enabled() or c.ndim == 0 or c.shape[-1] != 1:
        return c                    # (c's last axis is not broadcast: nothing trails it)
    c_shape = tuple(c.shape)
    lead = len(shape) - len(c_shape)
    varying = [i for i, n in enumerate(c_shape) if n != 1]
    if not varying:
        return c
    k = varying[-1]
    target = c_shape[:k + 1] + tuple(shape[lead + k + 1:])
    if target == c_shape or 4 * math.prod(target) > math.prod(shape):
        return c
    return c + np.zeros(target, dtype=c.dtype)


def sum_over(a, axes, b=None):
    """sum_R a, or sum_R a * b when b is given, keeping the reduced axes.

    On tensors these are minigrad operations (the graph records them). On arrays
    a sum alone is ops' sum_axes: the first axis first, then the trailing ones in
    contiguous blocks (over BatchNorm2d's (0, 2, 3) at once NumPy walks short
    strided runs, 2.5-3x slower), each in NumPy's pairwise summation, which keeps
    a float32 mean as accurate as np.mean's. A sum of products is np.einsum,
    which adds them without building a * b. float16 adds up in float32 and the
    sum stays float32, as np.mean's does (in float16 a few thousand values of 30
    already overflow); the means below turn back to float16 once divided."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return (a if b is None else a * b).sum(axis=axes, keepdims=True)
    wide = np.float32 if a.dtype == np.float16 else None
    if b is None:
        total = sum_axes(a if wide is None else a.astype(wide), tuple(axes), keepdims=True)
    else:
        index = list(range(a.ndim))
        kept = [i for i in index if i not in axes]
        total = np.einsum(a, index, b, index, kept, dtype=wide)
        total = total.reshape([1 if i in axes else n for i, n in enumerate(a.shape)])
    return total


def mean_over(a, axes):
    """mean_R a, keeping the reduced axes: a mean node on a tensor, np.mean on an array."""
    if isinstance(a, Tensor):
        return a.mean(axis=axes, keepdims=True)
    # np.mean, not sum_over / m: the mean is what x - mean cancels against, and
    # NumPy's own reduction keeps it closest (float32 BatchNorm2d y: 1.6e-6 against
    # 9.6e-6 off the float64 result with a mean 100 times the spread); float16 it
    # adds up in float32.
    return a.mean(axis=tuple(axes), keepdims=True)


def mean_of_squares(c, axes, ddof=0):
    """sum_R c^2 / (m - ddof), keeping the reduced axes."""
    m = count(c.shape, axes) - ddof
    if isinstance(c, Tensor):
        # square(c), not c * c: its backward makes one gradient for c, not two to add
        if not ddof:
            return square(c).mean(axis=axes, keepdims=True)
        return square(c).sum(axis=axes, keepdims=True) / m
    return (sum_over(c, axes, c) / m).astype(c.dtype, copy=False)


def reciprocal_sqrt(a):
    """1 / sqrt(a): on a Tensor one rsqrt node (one derivative, -a^(-3/2) / 2, where
    sqrt then divide would record two), on an array NumPy's 1 / np.sqrt(a)."""
    return rsqrt(a) if isinstance(a, Tensor) else 1 / np.sqrt(a)


def scale(a, c, own):
    """a * c. When a is an array this computation made itself (own), in place: the
    one-node forward then holds one input-sized array fewer."""
    if own and isinstance(a, np.ndarray):
        a *= c
        return a
    return a * c
