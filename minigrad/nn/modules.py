"""The basic modules: Linear, activations, Flatten, Sequential, Identity, ModuleList
and the loss modules (convolution and pooling modules: nn/conv.py).

Initialisation follows PyTorch's: weights and biases drawn from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)).
"""
from __future__ import annotations

import math

import numpy as np

from minigrad import creation, ops
from minigrad.checks import allocation
from minigrad.nn import functional as F
from minigrad.nn.module import Module, Parameter


def _uniform(shape, bound, dtype, op):
    allocation(shape, np.float64, op)           # (drawn in float64, then cast)
    return creation.default_rng().uniform(-bound, bound, size=shape).astype(dtype)


def _positive(value, what, where):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive integer, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x @ W.T + b with W of shape (out_features, in_features)."""

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64):
        super().__init__()
        self.in_features = _positive(in_features, "in_features", "Linear")
        self.out_features = _positive(out_features, "out_features", "Linear")
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(_uniform((out_features, in_features), bound, dtype, "Linear"))
        self.bias = Parameter(_uniform((out_features,), bound, dtype, "Linear")) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    def forward(self, x):
        return ops.relu(x)


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        shape = np.shape(x)
        ndim = len(shape)
        if not (-ndim <= self.start_dim < ndim and -ndim <= self.end_dim < ndim):
            raise ValueError(f"Flatten: start_dim {self.start_dim} or end_dim {self.end_dim} is out "
                             f"of range for input of shape {shape} (PyTorch refuses it too)")
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for input of shape {shape}")
        middle = math.prod(shape[start:end + 1])
        return x.reshape(*shape[:start], middle, *shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Modules applied one after another; children are named "0", "1", ..."""

    def __init__(self, *modules):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        items = list(self._modules.items())
        if isinstance(i, slice):            # a Sequential of those modules, keeping their names
            part = Sequential()
            for name, m in items[i]:
                setattr(part, name, m)
            return part
        if not -len(items) <= i < len(items):
            raise IndexError(f"Sequential: index {i} is out of range for {len(items)} modules")
        return items[i][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (PyTorch's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class MSELoss(Module):
    """F.mse_loss as a module: MSELoss()(prediction, target)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, x, target):
        return F.mse_loss(x, target, reduction=self.reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(Module):
    """F.cross_entropy as a module: CrossEntropyLoss()(logits, class_indices), with
    PyTorch's options (weight is a buffer, in state_dict as in PyTorch)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        self.register_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.reduction = reduction

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, reduction=self.reduction, weight=self.weight,
                               ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class ModuleList(Module):
    """A list of modules whose parameters the owner sees: children named "0", "1", ...
    (state_dict keys such as "layers.0.weight", as in PyTorch). It has no forward:
    the owner's forward loops over it."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, module, where):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.{where}: expected a Module, got {type(module).__name__}")
        return module

    def _index(self, i, where):
        n = len(self._modules)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"ModuleList.{where}: index must be an int or a slice, got {i!r}")
        if not -n <= i < n:
            raise IndexError(f"ModuleList: index {i} is out of range for {n} modules")
        return int(i) % n

    def _renumber(self, modules):
        self._modules.clear()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def append(self, module):
        setattr(self, str(len(self._modules)), self._check(module, "append"))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, self._check(module, "insert"))
        self._renumber(modules)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ModuleList(list(self._modules.values())[i])
        return self._modules[str(self._index(i, "__getitem__"))]

    def __setitem__(self, i, module):
        setattr(self, str(self._index(i, "__setitem__")), self._check(module, "__setitem__"))

    def __delitem__(self, i):
        modules = list(self._modules.values())
        del modules[i if isinstance(i, slice) else self._index(i, "__delitem__")]
        self._renumber(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: loop over it in your module's "
                                  "forward, e.g. `for layer in self.layers: x = layer(x)`")
