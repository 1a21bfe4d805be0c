"""Convolution and pooling: conv1d, conv2d, max_pool2d, avg_pool2d and their modules.

All of them look at the input through sliding windows and do one simple thing
per window:

    conv2d       multiply by the filters (ops.conv: the windows copied into a
                 matrix, one row each, times the filters as a matrix: "im2col")
    max_pool2d   take the largest value (ops.unfold copies the windows out,
                 ops.window_max: the gradient goes to the largest)
    avg_pool2d   take the mean

They are compositions of primitives, so the engine derives their gradients (and
second derivatives). Inside, conv2d moves the channels last, (N, H, W, C), and
pooling sees the channels of the images as planes, (N * C, H, W): the layouts
ops.conv and ops.unfold work in (why: minigrad/ops/linalg.py). conv2d's output
is (N, O, oh, ow), copied back into C order (see _convolution). Arguments follow
PyTorch's torch.nn.functional, and each function also takes an unbatched input
(without N).
"""
from __future__ import annotations

import math

import numpy as np

from minigrad import ops
from minigrad.ops.linalg import window_count
from minigrad.nn.functional import as_float_tensor, as_parameter, cast_like
from minigrad.nn.module import Module, Parameter
from minigrad.nn.modules import _positive, _uniform

# ----------------------------------------------------------------------------
# Arguments: ints or tuples, one per spatial dimension, as in PyTorch
# ----------------------------------------------------------------------------


def _tuple(value, n, what, where):
    """An int or a tuple of n ints -> a tuple of n Python ints."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else \
        tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None or isinstance(value, bool) or \
            not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        kind = "an int or a pair of ints" if n == 2 else "an int or a tuple of one int"
        raise TypeError(f"{where}: {what} must be {kind}, got {value!r}")
    if len(values) != n:
        raise ValueError(f"{where}: {what} must have {n} entries for a {n}-d input, got {value!r}")
    return tuple(int(v) for v in values)


def _at_least(values, low, what, where, given):
    if min(values) < low:
        raise ValueError(f"{where}: {what} must be >= {low}, got {given!r}")


def _padding(padding, n, kernel, stride, dilation, where):
    """PyTorch's padding forms -> ((before, after), ...) per spatial dimension.
    'valid' is no padding; 'same' keeps the size (stride 1 only), putting the odd
    one out after, as PyTorch does: kernel 4 pads 1 before and 2 after."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(f"{where}: padding must be 'valid', 'same', an int or a tuple of "
                             f"ints, got {padding!r}")
        if max(stride) > 1:
            raise ValueError(f"{where}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = _tuple(padding, n, "padding", where)
    _at_least(pads, 0, "padding", where, padding)
    return tuple((p, p) for p in pads)


def _batched(x, spatial, where, what):
    """x as (N, C, *spatial) and whether it came without N (unbatched)."""
    x = as_float_tensor(x, where)
    if x.ndim == spatial + 1:
        return x.reshape(1, *x.shape), True
    if x.ndim != spatial + 2:
        raise ValueError(f"{where}: expected a {spatial + 1}-d {what} or {spatial + 2}-d batched "
                         f"input, got input of shape {x.shape}")
    return x, False


def _check_fits(x, kernel, stride, pads, dilation, where, shape):
    """Every spatial axis must hold at least one window (else a ValueError)."""
    size = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    if min(window_count(n, k, s, d) for n, k, s, d in zip(size, kernel, stride, dilation)) < 1:
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        raise ValueError(f"{where}: kernel {kernel} (spanning {span} with dilation {dilation}) "
                         f"is larger than the padded input {size} (input shape {shape})")


def _windows(x, kernel, stride, pads, dilation, pad_value):
    """The windows of every channel of every image of x (N, C, H, W), one plane
    each, under each kernel offset: (kh, kw, N * C, oh, ow)."""
    n, c, height, width = x.shape
    planes = x.reshape(n * c, height, width)
    if any(lo or hi for lo, hi in pads):
        planes = ops.pad(planes, ((0, 0), *pads), constant_values=pad_value)
    return ops.unfold(planes, kernel, stride, dilation)


def _inside(x, kernel, stride, pads, dilation, dtype):
    """Per window entry, 1 where it is input and 0 where it is padding: (kh, kw, 1, oh, ow)."""
    inside = np.pad(np.ones((1, *x.shape[2:]), dtype=dtype), ((0, 0), *pads))
    return ops.unfold(inside, kernel, stride, dilation).data


# ----------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------


def _convolution(input, weight, bias, stride, padding, dilation, groups, spatial, where):
    """conv1d and conv2d: check the arguments, then ops.conv on the padded input
    with its channels last (a 1-d input is an image of height 1)."""
    x, unbatched = _batched(input, spatial, where, "(C, L)" if spatial == 1 else "(C, H, W)")
    weight = as_parameter(weight, where, "weight")
    bias = as_parameter(bias, where, "bias", optional=True)
    layout = "(out, in / groups, k)" if spatial == 1 else "(out, in / groups, kh, kw)"
    if np.ndim(weight) != spatial + 2:
        raise ValueError(f"{where}: weight must have shape {layout}, got {np.shape(weight)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{where}: groups must be a positive integer, got {groups!r}")
    out_channels, group_channels, *kernel = weight.shape
    shape = x.shape[1:] if unbatched else x.shape
    if out_channels == 0:
        raise ValueError(f"{where}: weight of shape {weight.shape} has no filters; it needs "
                         f"at least one (out channels >= 1)")
    if x.shape[1] != group_channels * groups:
        dims = "L" if spatial == 1 else "H, W"
        raise ValueError(f"{where}: expected input of shape (N, {group_channels * groups}, {dims}) "
                         f"for weight of shape {weight.shape} and groups={groups}, got input of "
                         f"shape {shape}")
    if out_channels % groups:
        raise ValueError(f"{where}: out channels {out_channels} (weight shape {weight.shape}) "
                         f"must be divisible by groups={groups}")
    if bias is not None and np.shape(bias) != (out_channels,):
        raise ValueError(f"{where}: bias must have shape ({out_channels},) for weight of shape "
                         f"{weight.shape}, got {np.shape(bias)}")
    stride = _tuple(stride, spatial, "stride", where)
    dilation = _tuple(dilation, spatial, "dilation", where)
    _at_least(stride, 1, "stride", where, stride)
    _at_least(dilation, 1, "dilation", where, dilation)
    pads = _padding(padding, spatial, tuple(kernel), stride, dilation, where)
    _check_fits(x, tuple(kernel), stride, pads, dilation, where, shape)
    if 0 in x.shape[2:] and x.shape[0] and x.shape[1]:       # PyTorch's rule, padding or not
        raise ValueError(f"{where}: input of shape {shape} has an empty spatial axis; PyTorch "
                         f"allows one only when the batch or the channels are empty")

    n = x.shape[0]
    filters = cast_like(weight, x)
    if spatial == 1:                                  # (N, C, L) as (N, C, 1, L)
        x = x.reshape(n, x.shape[1], 1, x.shape[2])
        filters = filters.reshape(out_channels, group_channels, 1, kernel[0])
        stride, pads, dilation = (1, *stride), ((0, 0), *pads), (1, *dilation)
    x = x.transpose(0, 2, 3, 1)                       # channels last: (N, H, W, C)
    if any(lo or hi for lo, hi in pads):
        x = ops.pad(x, ((0, 0), *pads, (0, 0)))
    filters = filters.transpose(2, 3, 1, 0)           # (kh, kw, C / groups, O)
    y = ops.conv(x, filters, stride, dilation, groups)
    if group_channels == 0:   # no input channels: PyTorch's result is empty, (N, 0, oh, ow)
        y, bias = y[..., :0], None if bias is None else bias[:0]     # (zero gradients)
    if bias is not None:
        y = y + cast_like(bias, x)
    # (N, O, oh, ow), copied into that order: the layers after it (BatchNorm, ReLU) and the
    # gradients coming back from the layers above (Flatten's, a pooling's) are then all laid
    # out alike, where channels last in memory made their mixed operations up to 3x slower
    y = y.transpose(0, 3, 1, 2).contiguous()
    if spatial == 1:
        y = y.reshape(n, y.shape[1], y.shape[3])
    return y[0] if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, as im2col: copy every kernel-sized window of the padded
    input into a row, then multiply by the flattened filters (with groups, a stack of
    products, one per group; depthwise, one filter per channel, needs no copy: ops.conv).

    input: (N, C, H, W) or (C, H, W); weight: (O, C / groups, kh, kw); bias: (O,).
    stride, dilation: int or pair; padding: int, pair, 'valid' or 'same'.
    Output (N, O, oh, ow), oh = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1.
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C, L) or (C, L) input with weight (O, C / groups, k),
    as conv2d on images of height 1. Arguments as conv2d's, with one entry each."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


# ----------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------


def _pool_args(x, kernel_size, stride, padding, dilation, where):
    kernel = _tuple(kernel_size, 2, "kernel_size", where)
    stride = kernel if stride is None or stride == () else _tuple(stride, 2, "stride", where)
    pads = _tuple(padding, 2, "padding", where)
    dilation = _tuple(dilation, 2, "dilation", where)
    _at_least(kernel, 1, "kernel_size", where, kernel_size)
    _at_least(stride, 1, "stride", where, stride)
    _at_least(dilation, 1, "dilation", where, dilation)
    _at_least(pads, 0, "padding", where, padding)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise ValueError(f"{where}: padding must be at most half the kernel size (PyTorch's "
                         f"rule), got padding {padding!r} for kernel_size {kernel_size!r}")
    return kernel, stride, tuple((p, p) for p in pads), dilation


def _check_nonempty(x, unbatched, where):
    """Pooling takes an empty batch but nothing else empty (as PyTorch)."""
    if 0 in x.shape[1:]:
        shape = x.shape[1:] if unbatched else x.shape
        raise ValueError(f"{where}: input of shape {shape} is empty; only its batch may be")


def _unsupported(where, **options):
    for name, (value, default) in options.items():
        if value != default:
            raise ValueError(f"{where}: {name}={value!r} is not supported (only {default!r})")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The largest value of each window (stride defaults to the kernel size; padding
    counts as -inf). Its gradient goes to one element per window, as in PyTorch:
    the first maximum in row-major order (on ties), the last nan if there is one."""
    where = "max_pool2d"
    _unsupported(where, ceil_mode=(ceil_mode, False), return_indices=(return_indices, False))
    x, unbatched = _batched(input, 2, where, "(C, H, W)")
    kernel, stride, pads, dilation = _pool_args(x, kernel_size, stride, padding, dilation, where)
    _check_nonempty(x, unbatched, where)
    _check_fits(x, kernel, stride, pads, dilation, where, x.shape)
    cols = _windows(x, kernel, stride, pads, dilation, -np.inf)
    kh, kw, planes, oh, ow = cols.shape
    # the gradient goes to an input entry, never to padding
    valid = _inside(x, kernel, stride, pads, dilation, bool).reshape(kh * kw, 1, oh, ow)
    y = ops.window_max(cols.reshape(kh * kw, planes, oh, ow), 0, valid)
    y = y.reshape(*x.shape[:2], oh, ow)
    return y[0] if unbatched else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window (stride defaults to the kernel size). Padding counts
    as zeros; with count_include_pad=False the mean is over the input's own
    entries only; divisor_override divides every window's sum by that number."""
    where = "avg_pool2d"
    _unsupported(where, ceil_mode=(ceil_mode, False))
    x, unbatched = _batched(input, 2, where, "(C, H, W)")
    kernel, stride, pads, dilation = _pool_args(x, kernel_size, stride, padding, 1, where)
    _check_nonempty(x, unbatched, where)
    _check_fits(x, kernel, stride, pads, dilation, where, x.shape)
    sums = _windows(x, kernel, stride, pads, dilation, 0).sum(axis=(0, 1))  # (N * C, oh, ow)
    if divisor_override is not None:
        whole = isinstance(divisor_override, (int, np.integer)) and \
            not isinstance(divisor_override, bool)
        if not whole or divisor_override == 0:      # (whole first: an array's == 0 is no bool)
            raise ValueError(f"{where}: divisor_override must be a non-zero int, got "
                             f"{divisor_override!r}")
        divisor = divisor_override
    elif count_include_pad or not any(lo for lo, _ in pads):
        divisor = kernel[0] * kernel[1]
    else:                                              # the input entries in each window
        divisor = _inside(x, kernel, stride, pads, dilation, x.dtype).sum(axis=(0, 1))
    y = (sums / divisor).reshape(*x.shape[:2], *sums.shape[1:])
    return y[0] if unbatched else y


# ----------------------------------------------------------------------------
# Modules (PyTorch's parameters, initialisation and state_dict keys)
# ----------------------------------------------------------------------------


class _ConvNd(Module):
    """What Conv1d and Conv2d share: weight (out, in / groups, *kernel) and bias
    (out,), both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in / groups * kernel."""

    dims, function = 0, None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, dtype):
        super().__init__()
        where = type(self).__name__
        n = self.dims
        self.in_channels = _positive(in_channels, "in_channels", where)
        self.out_channels = _positive(out_channels, "out_channels", where)
        self.groups = _positive(groups, "groups", where)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{where}: in_channels {in_channels} and out_channels {out_channels} "
                             f"must both be divisible by groups={groups}")
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", where)
        self.stride = _tuple(stride, n, "stride", where)
        self.dilation = _tuple(dilation, n, "dilation", where)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n, "padding", where)
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1 or \
                (not isinstance(padding, str) and min(self.padding) < 0):
            raise ValueError(f"{where}: kernel_size and stride must be >= 1 and padding >= 0, got "
                             f"kernel_size={kernel_size!r}, stride={stride!r}, padding={padding!r}")
        _padding(self.padding, n, self.kernel_size, self.stride, self.dilation, where)  # checked
        _unsupported(where, padding_mode=(padding_mode, "zeros"))
        self.padding_mode = padding_mode
        fan_in = in_channels // groups * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(_uniform(shape, bound, dtype, where))
        self.bias = Parameter(_uniform((out_channels,), bound, dtype, where)) if bias else None

    def forward(self, x):
        return type(self).function(x, self.weight, self.bias, self.stride, self.padding,
                                   self.dilation, self.groups)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
        if max(self.dilation) > 1:
            text += f", dilation={self.dilation}"
        if self.groups > 1:
            text += f", groups={self.groups}"
        return text + f", bias={self.bias is not None}"


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) over (N, C, L) inputs; PyTorch's signature."""

    dims, function = 1, staticmethod(conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=np.float64):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over (N, C, H, W) inputs.

    minigrad's contract (API.md) puts bias sixth, where PyTorch has dilation:
    pass dilation, groups and padding_mode by name."""

    dims, function = 2, staticmethod(conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 dtype=np.float64, *, dilation=1, groups=1, padding_mode="zeros"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype)


class MaxPool2d(Module):
    """max_pool2d as a module: MaxPool2d(kernel_size, stride=None, padding=0, dilation=1)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        _unsupported("MaxPool2d", ceil_mode=(ceil_mode, False),
                     return_indices=(return_indices, False))
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}, dilation={self.dilation}")


class AvgPool2d(Module):
    """avg_pool2d as a module: AvgPool2d(kernel_size, stride=None, padding=0, ...)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        _unsupported("AvgPool2d", ceil_mode=(ceil_mode, False))
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                          count_include_pad=self.count_include_pad,
                          divisor_override=self.divisor_override)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}")
