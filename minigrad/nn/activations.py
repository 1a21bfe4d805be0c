"""The activations beyond relu, tanh and sigmoid, as functions (re-exported by
nn.functional) and as modules (re-exported by nn), with PyTorch's names,
arguments and values in float64.

Each is composed from primitives, so its gradient (and second derivative)
comes from the derivative table. Where one branch of a `where` would overflow
in the branch that is not taken (exp of a large number), that branch gets a
harmless input instead: where() passes zero gradient to the branch not taken,
but zero times inf would still be nan.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from minigrad import ops
from minigrad.checks import number
from minigrad.nn.functional import as_float_tensor, log_softmax, softmax
from minigrad.nn.module import Module

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, negative_slope * x elsewhere (the slope at 0 is negative_slope)."""
    x = as_float_tensor(x, "leaky_relu")
    negative_slope = number(negative_slope, "leaky_relu", "negative_slope")
    return ops.where(x.data > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere (Clevert et al. 2015)."""
    x = as_float_tensor(x, "elu")
    alpha = number(alpha, "elu", "alpha")
    negative = ops.where(x.data > 0, 0.0, x)         # exp never sees a large x
    return ops.where(x.data > 0, x, alpha * ops.expm1(negative))


def selu(x):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al. 2017."""
    return _SELU_SCALE * elu(as_float_tensor(x, "selu"), _SELU_ALPHA)


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016):
    approximate="none":  0.5 * x * (1 + erf(x / sqrt(2)))
    approximate="tanh":  0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))"""
    x = as_float_tensor(x, "gelu")
    if approximate == "none":
        return 0.5 * x * (1.0 + ops.erf(x * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + ops.tanh(inner))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    """x * sigmoid(x), also called swish."""
    x = as_float_tensor(x, "silu")
    return x * ops.sigmoid(x)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, a smooth relu; x itself where beta * x > threshold
    (there the two agree to double precision), as in PyTorch."""
    x = as_float_tensor(x, "softplus")
    beta = number(beta, "softplus", "beta", 0.0, low_open=True)
    threshold = number(threshold, "softplus", "threshold")
    scaled = x * beta
    linear = scaled.data > threshold
    smooth = ops.log1p(ops.exp(ops.where(linear, 0.0, scaled))) / beta
    return ops.where(linear, x, smooth)


def mish(x):
    """x * tanh(softplus(x)) (Misra 2019)."""
    x = as_float_tensor(x, "mish")
    return x * ops.tanh(softplus(x))


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside and 0 at and
    beyond the ends (PyTorch's rule; clip passes it at the ends)."""
    x = as_float_tensor(x, "hardtanh")
    min_val = number(min_val, "hardtanh", "min_val")
    max_val = number(max_val, "hardtanh", "max_val")
    if not min_val <= max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    inside = (x.data > min_val) & (x.data < max_val)
    return ops.where(inside, x, np.clip(x.data, min_val, max_val))


def logsigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)): never exp of a large number."""
    x = as_float_tensor(x, "logsigmoid")
    return ops.minimum(x, 0.0) - ops.log1p(ops.exp(-ops.abs(x)))


# ----------------------------------------------------------------------------
# The same as modules
# ----------------------------------------------------------------------------

class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def forward(self, x):
        return silu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SELU(Module):
    def forward(self, x):
        return selu(x)


class Mish(Module):
    def forward(self, x):
        return mish(x)


class LogSigmoid(Module):
    def forward(self, x):
        return logsigmoid(x)


class Hardtanh(Module):
    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        if not min_val <= max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} must not exceed max_val {max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


def _implicit_dim(ndim, where):
    # PyTorch's old rule for a missing dim, with its deprecation warning.
    warnings.warn(f"{where}: implicit dimension choice is deprecated; pass dim=",
                  UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """softmax along dim (give it: PyTorch's guess for dim=None is deprecated)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else _implicit_dim(np.ndim(x), "Softmax")
        return softmax(x, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else _implicit_dim(np.ndim(x), "LogSoftmax")
        return log_softmax(x, dim)

    def extra_repr(self):
        return f"dim={self.dim}"
