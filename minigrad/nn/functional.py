"""Functions behind the nn modules: linear, activations and losses; the
convolution and pooling functions live in nn/conv.py and are re-exported here.

All are compositions of primitives from the derivative table, so they need
no backward of their own. They compute in the input's floating dtype: a
float64 parameter meeting a float32 input is cast (differentiably) to float32.
"""
from __future__ import annotations

import numpy as np

from minigrad import ops
from minigrad.checks import operand
from minigrad.spellings import numpy_or_torch_names
from minigrad.tensor import Tensor


def as_float_tensor(x, where):
    """The input as a floating-point Tensor (ndarrays and lists are wrapped)."""
    if not isinstance(x, Tensor):
        x = Tensor(operand(x, where))
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def cast_like(param, x):
    """param in x's dtype (a differentiable cast only when they differ)."""
    if param is None or param.dtype == x.dtype:
        return param
    return param.astype(x.dtype)


def as_parameter(value, op, name, optional=False):
    """A weight or bias given to a function: a Tensor, or real numbers wrapped as
    one (a string or complex weight is refused, never cast to floats). None only
    when optional (a bias)."""
    if value is None and optional or isinstance(value, Tensor):
        return value
    return Tensor(operand(value, op, name))


def _target_like(target, x):
    """A loss's float target in the input's dtype: a float64 NumPy target must
    not turn a float32 model's loss (and its gradients) into float64."""
    operand(target, "loss", "target or weight")
    if isinstance(target, Tensor):
        return cast_like(target, x)
    return np.asarray(target, dtype=x.dtype)


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias, weight of shape (out_features, in_features)."""
    x = as_float_tensor(x, "linear")
    weight = as_parameter(weight, "linear", "weight")
    bias = as_parameter(bias, "linear", "bias", optional=True)
    if weight.ndim not in (1, 2):
        raise ValueError(f"linear: weight must have shape (out_features, in_features), got "
                         f"{weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: expected input with last dimension {weight.shape[-1]} "
                         f"(weight shape {weight.shape}), got input of shape {x.shape}")
    if bias is not None and bias.shape != weight.shape[:-1]:
        raise ValueError(f"linear: bias must have shape {weight.shape[:-1]} for weight of shape "
                         f"{weight.shape}, got {bias.shape}")
    if weight.ndim == 1:                  # a vector weight (PyTorch allows it): composed
        y = x @ cast_like(weight, x)
        return y if bias is None else y + cast_like(bias, x)
    return ops.linear(x, cast_like(weight, x), 0.0 if bias is None else cast_like(bias, x))


def relu(x):
    return ops.relu(x)


@numpy_or_torch_names
def log_softmax(x, axis=-1):
    """log(softmax(x)) along axis, stable for huge logits: one node whose backward
    is g - softmax(x) * sum(g) (derived in minigrad/ops/softmax.py)."""
    return ops.log_softmax(as_float_tensor(x, "log_softmax"), axis)


@numpy_or_torch_names
def log_softmax_composed(x, axis=-1):
    """The same, composed of exp, log, sum and max as the lessons derive it (five nodes)."""
    return ops.log_softmax_composed(as_float_tensor(x, "log_softmax_composed"), axis)


@numpy_or_torch_names
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis; F.softmax(x, dim=1) as in PyTorch."""
    return ops.softmax(as_float_tensor(x, "softmax"), axis)


def _check_reduction(reduction, where):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction, where):
    _check_reduction(reduction, where)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def cross_entropy(logits, target, reduction="mean", *, weight=None, ignore_index=-100,
                  label_smoothing=0.0):
    """Softmax cross-entropy. logits: (N, C) or (C,). target: class indices
    (N,) / () of an integer dtype, or class probabilities of logits' shape.

    With class indices it is one node, whose backward is softmax - one_hot
    (over N for the mean; minigrad/ops/softmax.py). Composed, as in the lessons:
    -log_softmax_composed(logits)[np.arange(N), target].mean()."""
    logits = as_float_tensor(logits, "cross_entropy")
    if losses.needs_options(logits, target, weight, ignore_index, label_smoothing):
        return losses.cross_entropy_with_options(logits, target, reduction, weight, ignore_index,
                                                 label_smoothing)      # (nn/losses.py)
    if logits.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must have shape (N, C) or (C,), got {logits.shape}")
    target_data = target.data if isinstance(target, Tensor) else np.asarray(target)
    classes = logits.shape[-1]
    if target_data.dtype.kind in "iu":
        if target_data.shape != logits.shape[:-1]:
            raise ValueError(f"cross_entropy: class-index target must have shape "
                             f"{logits.shape[:-1]} for logits of shape {logits.shape}, "
                             f"got {target_data.shape}")
        if target_data.size and (target_data.min() < 0 or target_data.max() >= classes):
            raise ValueError(f"cross_entropy: target classes must lie in [0, {classes}), "
                             f"got values from {target_data.min()} to {target_data.max()}")
        _check_reduction(reduction, "cross_entropy")
        target_data = target_data.astype(np.intp, copy=False)
        if logits.ndim == 2:
            return ops.cross_entropy(logits, target_data, reduction)
        # one example: a batch of one (whose mean is its sum), and back to a 0-d loss
        loss = ops.cross_entropy(logits.reshape(1, classes), target_data.reshape(1),
                                 "sum" if reduction == "mean" else reduction)
        return loss.reshape(()) if reduction == "none" else loss
    if target_data.dtype.kind == "f":
        if target_data.shape == logits.shape[:-1]:
            raise TypeError(f"cross_entropy: class indices must be integers, got a "
                            f"{target_data.dtype} target of shape {target_data.shape}; make it with integers "
                            f"(mg.tensor([0, 2]), not [0.0, 2.0]) or convert it with .long()")
        if target_data.shape != logits.shape:
            raise ValueError(f"cross_entropy: probability target must have the logits' shape "
                             f"{logits.shape}, got {target_data.shape}")
        log_p = ops.log_softmax(logits, logits.ndim - 1)
        loss = -(log_p * _target_like(target, logits)).sum(axis=-1)
        return _reduce(loss, reduction, "cross_entropy")
    raise TypeError(f"cross_entropy: target must hold integer class indices or float "
                    f"probabilities, got dtype {target_data.dtype}")


def mse_loss(x, target, reduction="mean"):
    """Mean squared error. Shapes must match: silent broadcasting is a classic bug."""
    x = as_float_tensor(x, "mse_loss")
    operand(target, "mse_loss", "target")
    shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if tuple(shape) != x.shape:
        raise ValueError(f"mse_loss: input shape {x.shape} and target shape {tuple(shape)} differ")
    diff = x - _target_like(target, x)
    return _reduce(diff * diff, reduction, "mse_loss")


# More functions, each family in a file of its own (imported last: they build on the above).
from minigrad.nn.activations import (  # noqa: E402
    elu, gelu, hardtanh, leaky_relu, logsigmoid, mish, selu, silu, softplus,
)
from minigrad.nn import losses  # noqa: E402
from minigrad.nn.attention import scaled_dot_product_attention  # noqa: E402
from minigrad.nn.losses import (  # noqa: E402
    binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, nll_loss, smooth_l1_loss,
)
from minigrad.nn.sparse import dropout, embedding, pad  # noqa: E402
from minigrad.nn.conv import avg_pool2d, conv1d, conv2d, max_pool2d  # noqa: E402
from minigrad.ops import one_hot  # noqa: E402
