"""The methods of Tensor that are operations: NumPy's names, and PyTorch's where
students reach for them.

Tensor (tensor.py) inherits them from TensorMethods. Each is one line that hands
over to the function of the same job in the derivative table (ops/), so there is
one implementation per operation. PyTorch's dim=/keepdim= work wherever axis=/
keepdims= do (spellings.py).

Where PyTorch and NumPy disagree, NumPy's meaning stays and docs/cheatsheet.md
says so: t.size is an int (PyTorch: t.size() or t.shape), t.max(axis) gives
values only (PyTorch's max(dim) also gives indices: use argmax), var/std default
to ddof=0 (PyTorch: correction=1), t.transpose(*axes) permutes all axes.
"""
from __future__ import annotations

import numpy as np

import minigrad         # (ops builds on Tensor, so the methods look it up when called)
from minigrad.spellings import numpy_or_torch_names


class TensorMethods:
    __slots__ = ()

    # -- NumPy's names -----------------------------------------------------------
    def exp(self): return minigrad.ops.exp(self)
    def log(self): return minigrad.ops.log(self)
    def sqrt(self): return minigrad.ops.sqrt(self)
    def abs(self): return minigrad.ops.abs(self)
    def tanh(self): return minigrad.ops.tanh(self)
    def sigmoid(self): return minigrad.ops.sigmoid(self)
    def relu(self): return minigrad.ops.relu(self)
    def clip(self, min=None, max=None): return minigrad.ops.clip(self, min, max)
    def reshape(self, *shape): return minigrad.ops.reshape(self, *shape)
    def transpose(self, *axes): return minigrad.ops.transpose(self, *axes)
    def swapaxes(self, axis1, axis2): return minigrad.ops.swapaxes(self, axis1, axis2)
    def broadcast_to(self, shape): return minigrad.ops.broadcast_to(self, shape)
    def matmul(self, other): return minigrad.ops.matmul(self, other)
    def astype(self, dtype): return minigrad.ops.astype(self, dtype)

    @numpy_or_torch_names
    def sum(self, axis=None, keepdims=False): return minigrad.ops.sum(self, axis, keepdims)

    @numpy_or_torch_names
    def mean(self, axis=None, keepdims=False): return minigrad.ops.mean(self, axis, keepdims)

    @numpy_or_torch_names
    def var(self, axis=None, keepdims=False, ddof=0):
        return minigrad.ops.var(self, axis, keepdims, ddof)

    @numpy_or_torch_names
    def std(self, axis=None, keepdims=False, ddof=0):
        return minigrad.ops.std(self, axis, keepdims, ddof)

    @numpy_or_torch_names
    def max(self, axis=None, keepdims=False): return minigrad.ops.max(self, axis, keepdims)

    @numpy_or_torch_names
    def min(self, axis=None, keepdims=False): return minigrad.ops.min(self, axis, keepdims)

    @numpy_or_torch_names
    def expand_dims(self, axis): return minigrad.ops.expand_dims(self, axis)

    @numpy_or_torch_names
    def squeeze(self, axis=None): return minigrad.ops.squeeze(self, axis)

    @numpy_or_torch_names
    def argmax(self, axis=None, keepdims=False):
        """Index of the largest value (of the flattened tensor when axis is None); no gradient."""
        return minigrad.ops.argmax(self, axis, keepdims)

    @numpy_or_torch_names
    def argmin(self, axis=None, keepdims=False):
        """Index of the smallest value (of the flattened tensor when axis is None); no gradient."""
        return minigrad.ops.argmin(self, axis, keepdims)

    @property
    def T(self):
        return minigrad.ops.transpose(self)

    # -- PyTorch's names ---------------------------------------------------------
    def tolist(self):
        """The values as (nested) Python lists; a 0-d tensor gives a number."""
        return self.data.tolist()

    def view(self, *shape): return minigrad.ops.reshape(self, *shape)
    def permute(self, *dims): return minigrad.ops.transpose(self, *dims)
    def unsqueeze(self, dim): return minigrad.ops.expand_dims(self, dim)
    def flatten(self, start_dim=0, end_dim=-1): return minigrad.ops.flatten(self, start_dim, end_dim)
    def clone(self): return minigrad.ops.clone(self)
    def contiguous(self): return minigrad.ops.contiguous(self)
    def pow(self, exponent): return minigrad.ops.power(self, exponent)
    def clamp(self, min=None, max=None): return minigrad.ops.clip(self, min, max)

    def t(self):
        """The transpose of a matrix; a 0-d or 1-d tensor as it is (PyTorch's t())."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape "
                             f"{self.shape}; use permute(...) or swapaxes(a, b)")
        return minigrad.ops.transpose(self)

    def expand(self, *sizes):
        """broadcast_to, where -1 keeps that dimension's size (PyTorch's expand)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(sizes))
        return minigrad.ops.broadcast_to(self, shape)

    @numpy_or_torch_names
    def softmax(self, axis):
        """exp(x) / sum(exp(x)) along axis (PyTorch's x.softmax(dim))."""
        return minigrad.ops.softmax(self, axis)

    @numpy_or_torch_names
    def log_softmax(self, axis):
        """log(softmax(x)) along axis, computed stably."""
        return minigrad.ops.log_softmax(self, axis)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on this leaf and return it (PyTorch's in-place spelling)."""
        self.requires_grad = requires_grad
        return self

    def float(self):
        """float32, as PyTorch's float(). (minigrad's default float is float64: double().)"""
        return minigrad.ops.astype(self, np.float32)

    def double(self): return minigrad.ops.astype(self, np.float64)
    def long(self): return minigrad.ops.astype(self, np.int64)
    def dim(self): return self.ndim
    def numel(self): return self.size

    # -- the operations of the operations issue (ops/trig.py, more_*.py, ...) ------
    # NumPy's ndarray methods
    @numpy_or_torch_names
    def prod(self, axis=None, keepdims=False): return minigrad.ops.prod(self, axis, keepdims)

    @numpy_or_torch_names
    def cumsum(self, axis=None): return minigrad.ops.cumsum(self, axis)

    @numpy_or_torch_names
    def cumprod(self, axis=None): return minigrad.ops.cumprod(self, axis)

    @numpy_or_torch_names
    def all(self, axis=None, keepdims=False): return minigrad.ops.all(self, axis, keepdims)

    @numpy_or_torch_names
    def any(self, axis=None, keepdims=False): return minigrad.ops.any(self, axis, keepdims)

    @numpy_or_torch_names
    def argsort(self, axis=-1, descending=False):
        return minigrad.ops.argsort(self, axis, descending)

    @numpy_or_torch_names
    def repeat(self, repeats, axis=None):
        """NumPy's repeat ([a, b] -> [a, a, b, b]); PyTorch's Tensor.repeat is tile."""
        return minigrad.ops.repeat(self, repeats, axis)

    def round(self, decimals=0): return minigrad.ops.round(self, decimals)
    def diagonal(self, offset=0, axis1=0, axis2=1):
        return minigrad.ops.diagonal(self, offset, axis1, axis2)
    def trace(self, offset=0, axis1=0, axis2=1): return minigrad.ops.trace(self, offset, axis1, axis2)
    def dot(self, other): return minigrad.ops.dot(self, other)

    # PyTorch's methods of the same functions
    def sin(self): return minigrad.ops.sin(self)
    def cos(self): return minigrad.ops.cos(self)
    def tan(self): return minigrad.ops.tan(self)
    def sinh(self): return minigrad.ops.sinh(self)
    def cosh(self): return minigrad.ops.cosh(self)
    def asin(self): return minigrad.ops.arcsin(self)
    def acos(self): return minigrad.ops.arccos(self)
    def atan(self): return minigrad.ops.arctan(self)
    def log1p(self): return minigrad.ops.log1p(self)
    def expm1(self): return minigrad.ops.expm1(self)
    def log2(self): return minigrad.ops.log2(self)
    def log10(self): return minigrad.ops.log10(self)
    def exp2(self): return minigrad.ops.exp2(self)
    def square(self): return minigrad.ops.square(self)
    def reciprocal(self): return minigrad.ops.reciprocal(self)
    def rsqrt(self): return minigrad.ops.rsqrt(self)
    def erf(self): return minigrad.ops.erf(self)
    def sign(self): return minigrad.ops.sign(self)
    def floor(self): return minigrad.ops.floor(self)
    def ceil(self): return minigrad.ops.ceil(self)
    def trunc(self): return minigrad.ops.trunc(self)
    def isnan(self): return minigrad.ops.isnan(self)
    def isinf(self): return minigrad.ops.isinf(self)
    def isfinite(self): return minigrad.ops.isfinite(self)
    def tril(self, diagonal=0): return minigrad.ops.tril(self, diagonal)
    def triu(self, diagonal=0): return minigrad.ops.triu(self, diagonal)
    def masked_fill(self, mask, value): return minigrad.ops.masked_fill(self, mask, value)
    def gather(self, dim, index): return minigrad.ops.gather(self, dim, index)
    def scatter_add(self, dim, index, src): return minigrad.ops.scatter_add(self, dim, index, src)
    def index_add(self, dim, index, source, alpha=1):
        return minigrad.ops.index_add(self, dim, index, source, alpha)
    def tile(self, reps): return minigrad.ops.tile(self, reps)
    def chunk(self, chunks, dim=0): return minigrad.ops.chunk(self, chunks, dim)
    def moveaxis(self, source, destination): return minigrad.ops.moveaxis(self, source, destination)
    def outer(self, other): return minigrad.ops.outer(self, other)

    @numpy_or_torch_names
    def flip(self, axis=None): return minigrad.ops.flip(self, axis)

    @numpy_or_torch_names
    def roll(self, shift, axis=None): return minigrad.ops.roll(self, shift, axis)

    @numpy_or_torch_names
    def repeat_interleave(self, repeats, axis=None):
        return minigrad.ops.repeat(self, repeats, axis)

    @numpy_or_torch_names
    def logsumexp(self, axis=None, keepdims=False):
        return minigrad.ops.logsumexp(self, axis, keepdims)

    @numpy_or_torch_names
    def norm(self, ord=None, axis=None, keepdims=False):
        return minigrad.ops.norm(self, ord, axis, keepdims)

    @numpy_or_torch_names
    def topk(self, k, axis=-1, largest=True, sorted=True):
        return minigrad.ops.topk(self, k, axis, largest, sorted)
