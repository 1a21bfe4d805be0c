"""The losses beyond mse_loss, with PyTorch's names, arguments and numbers:
nll_loss, cross_entropy's options (weight, ignore_index, label_smoothing,
(N, C, d1, ...) logits), binary_cross_entropy(_with_logits), smooth_l1_loss,
huber_loss; and their modules. Re-exported by nn.functional and nn.

Shapes follow PyTorch: the class axis is axis 1 of (N, C, d1, ...) and the
only axis of (C,); a class-index target has the input's shape without it.
"""
from __future__ import annotations

import numpy as np

from minigrad import ops
from minigrad.checks import number
from minigrad.nn.activations import logsigmoid
from minigrad.nn.functional import _reduce, _target_like, as_float_tensor, log_softmax
from minigrad.nn.module import Module
from minigrad.ops.losses import check_probabilities
from minigrad.tensor import Tensor


def _data(v):
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _class_weights(weight, classes, dtype, op):
    if weight is None:
        return None
    w = _data(weight)
    if w.shape != (classes,):
        raise ValueError(f"{op}: weight must have shape ({classes},), one per class, got {w.shape}")
    return w.astype(dtype)


def _class_rows(x):
    """(N, C, d1, ...) -> (N * d1 * ..., C) and (C,) -> (1, C): one row per prediction."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    return ops.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _check_target(x, target, op):
    """A class-index target: an integer array of x's shape without the class axis."""
    t = _data(target)
    expected = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != expected:
        raise ValueError(f"{op}: target must have shape {expected} for input of shape {x.shape}, "
                         f"got {t.shape}")
    return t


def _nll(log_p, target, weight, ignore_index, reduction, op):
    """-weight[y] * log_p[y] per prediction, 0 where y == ignore_index; the mean
    divides by the total weight of the predictions not ignored (PyTorch's)."""
    t = _check_target(log_p, target, op).reshape(-1)
    classes = log_p.shape[0 if log_p.ndim == 1 else 1]
    ignored = t == ignore_index
    kept = t[~ignored]
    if kept.size and (kept.min() < 0 or kept.max() >= classes):
        raise ValueError(f"{op}: target classes must lie in [0, {classes}) (or be ignore_index "
                         f"{ignore_index}), got values from {kept.min()} to {kept.max()}")
    safe = np.where(ignored, 0, t)
    picked = ops.take_along_axis(_class_rows(log_p), safe[:, None], 1).reshape(-1)
    w = _class_weights(weight, classes, log_p.dtype, op)
    w = (np.ones(t.shape, log_p.dtype) if w is None else w[safe]) * ~ignored
    loss = -(picked * w)
    if reduction == "mean":
        return _mean_by(loss.sum(), w.sum())
    return _reduce(loss.reshape(_data(target).shape), reduction, op)


def _mean_by(total, weight):
    """total / weight; with nothing to average (every target ignored) the loss is
    nan and its gradient 0, as in PyTorch."""
    return total + np.nan if weight == 0 else total / weight


def nll_loss(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities x (N, C, d1, ...) or (C,) at the
    class indices in target: the mean of -weight[y] * x[y] over the predictions."""
    x = as_float_tensor(x, "nll_loss")
    return _nll(x, target, weight, ignore_index, reduction, "nll_loss")


def needs_options(logits, target, weight, ignore_index, label_smoothing):
    """Does this cross_entropy call need more than the plain (N, C) formula?"""
    t = _data(target)
    return weight is not None or label_smoothing != 0 or logits.ndim > 2 or \
        t.dtype.kind in "iu" and bool((t == ignore_index).any())


def cross_entropy_with_options(logits, target, reduction="mean", weight=None, ignore_index=-100,
                               label_smoothing=0.0):
    """cross_entropy with PyTorch's options. With label smoothing eps the loss is
    (1 - eps) * nll + eps * mean over classes of -weight[c] * log_p[c] (for index
    targets), or the cross-entropy against (1 - eps) * target + eps / C (for
    probability targets, whose mean is over the predictions)."""
    op = "cross_entropy"
    label_smoothing = number(label_smoothing, op, "label_smoothing", 0.0, 1.0)
    if logits.ndim == 0:
        raise ValueError(f"{op}: logits must have shape (N, C, d1, ...) or (C,), got a 0-d tensor")
    class_axis = 0 if logits.ndim == 1 else 1
    classes = logits.shape[class_axis]
    log_p = log_softmax(logits, class_axis)
    w = _class_weights(weight, classes, logits.dtype, op)
    w_shape = (classes,) + (1,) * (logits.ndim - class_axis - 1)
    t = _data(target)
    if t.dtype.kind == "f":
        if t.shape != logits.shape:
            raise ValueError(f"{op}: probability target must have the logits' shape "
                             f"{logits.shape}, got {t.shape}")
        probs = _target_like(target, logits)
        if label_smoothing:
            probs = probs * (1.0 - label_smoothing) + label_smoothing / classes
        weighted = log_p * probs if w is None else log_p * probs * w.reshape(w_shape)
        loss = -weighted.sum(axis=class_axis)
        if reduction == "mean":
            return loss.sum() / (logits.size // classes)
        return _reduce(loss, reduction, op)
    nll = _nll(log_p, target, weight, ignore_index, reduction, op)
    if not label_smoothing:
        return nll
    smooth = -(log_p if w is None else log_p * w.reshape(w_shape)).sum(axis=class_axis)
    ignored = t == ignore_index
    smooth = ops.where(ignored, 0.0, smooth)
    if reduction == "mean":
        kept = t[~ignored]
        smooth = _mean_by(smooth.sum(), w[kept].sum() if w is not None else kept.size)
    else:
        smooth = _reduce(smooth, reduction, op)
    return (1.0 - label_smoothing) * nll + smooth * (label_smoothing / classes)


def _same_shape(x, target, op):
    shape = tuple(np.shape(_data(target)))
    if shape != x.shape:
        raise ValueError(f"{op}: input shape {x.shape} and target shape {shape} differ")


def binary_cross_entropy(x, target, weight=None, reduction="mean"):
    """-weight * (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1], each
    log clamped at -100 as in PyTorch (see minigrad/ops/losses.py)."""
    x = as_float_tensor(x, "binary_cross_entropy")
    _same_shape(x, target, "binary_cross_entropy")
    check_probabilities(x, "binary_cross_entropy")
    loss = ops.binary_cross_entropy(x, _target_like(target, x))
    if weight is not None:
        loss = loss * _target_like(weight, x)
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(x, target, weight=None, reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) without ever forming sigmoid(x):
    (1 - t) x - (1 + (pos_weight - 1) t) logsigmoid(x), exact for huge |x|."""
    x = as_float_tensor(x, "binary_cross_entropy_with_logits")
    _same_shape(x, target, "binary_cross_entropy_with_logits")
    t = _target_like(target, x)
    log_weight = 1.0 if pos_weight is None else (_target_like(pos_weight, x) - 1.0) * t + 1.0
    loss = (1.0 - t) * x - log_weight * logsigmoid(x)
    if weight is not None:
        loss = loss * _target_like(weight, x)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def smooth_l1_loss(x, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - target);
    beta = 0 is the L1 loss."""
    x = as_float_tensor(x, "smooth_l1_loss")
    _same_shape(x, target, "smooth_l1_loss")
    beta = number(beta, "smooth_l1_loss", "beta", 0.0)
    d = x - _target_like(target, x)
    size = ops.abs(d)
    if beta == 0:
        return _reduce(size, reduction, "smooth_l1_loss")
    loss = ops.where(size.data < beta, 0.5 * d * d / beta, size - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(x, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere: smooth_l1 times
    delta (with beta = delta)."""
    x = as_float_tensor(x, "huber_loss")
    _same_shape(x, target, "huber_loss")
    delta = number(delta, "huber_loss", "delta", 0.0, low_open=True)
    d = x - _target_like(target, x)
    size = ops.abs(d)
    loss = ops.where(size.data <= delta, 0.5 * d * d, delta * (size - 0.5 * delta))
    return _reduce(loss, reduction, "huber_loss")


# ----------------------------------------------------------------------------
# The same as modules (weights are buffers, so they are in state_dict as in PyTorch)
# ----------------------------------------------------------------------------

class _WeightedLoss(Module):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__()
        self.register_buffer("weight", weight)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class NLLLoss(_WeightedLoss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, x, target):
        return nll_loss(x, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(_WeightedLoss):
    def forward(self, x, target):
        return binary_cross_entropy(x, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, x, target):
        return binary_cross_entropy_with_logits(x, target, self.weight, self.reduction,
                                                self.pos_weight)


class SmoothL1Loss(Module):
    def __init__(self, reduction="mean", beta=1.0):
        super().__init__()
        self.reduction, self.beta = reduction, beta

    def forward(self, x, target):
        return smooth_l1_loss(x, target, self.reduction, self.beta)


class HuberLoss(Module):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__()
        self.reduction, self.delta = reduction, delta

    def forward(self, x, target):
        return huber_loss(x, target, self.reduction, self.delta)
