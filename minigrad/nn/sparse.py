"""Dropout, embeddings and padding with PyTorch's arguments: the functions
(re-exported by nn.functional) and the modules Dropout and Embedding."""
from __future__ import annotations

import numpy as np

from minigrad import creation, ops
from minigrad.checks import number
from minigrad.nn.functional import as_float_tensor
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _generator(generator, where):
    if generator is None:
        return creation.default_rng()          # the one mg.manual_seed seeds
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{where}: generator must be a numpy Generator (or None for the one "
                    f"mg.manual_seed seeds), got {type(generator).__name__}")


def dropout(x, p=0.5, training=True, generator=None):
    """Zero each element with probability p and scale the rest by 1 / (1 - p), so
    the expected value is unchanged (inverted dropout); the identity when not
    training. The gradient passes through the same mask and scale."""
    x = as_float_tensor(x, "dropout")
    p = number(p, "dropout", "p", 0.0, 1.0)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros((), dtype=x.dtype)
    keep = _generator(generator, "dropout").random(x.shape) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)


class Dropout(Module):
    """dropout in training mode, the identity after .eval()."""

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        self.p, self.generator = number(p, "Dropout", "p", 0.0, 1.0), generator

    def forward(self, x):
        return dropout(x, self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"


def embedding(indices, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by integer indices of any shape:
    out[..., :] = weight[indices[...], :]. Rows used several times add up their
    gradients; the padding_idx row gets none (PyTorch's)."""
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: indices must lie in [0, {n}) for a weight of shape "
                         f"{weight.shape}, got values from {idx.min()} to {idx.max()}")
    rows = weight[idx]
    if padding_idx is not None:
        pad = (idx == padding_idx % n)[..., None]
        rows = ops.where(pad, rows.data, rows)          # the padding row: no gradient
    return rows


class Embedding(Module):
    """A lookup table of num_embeddings vectors of size embedding_dim, initialised
    N(0, 1) as in PyTorch (the padding_idx row zero)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=np.float64):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding: padding_idx must lie in [-{num_embeddings}, "
                             f"{num_embeddings}), got {padding_idx}")
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        data = creation.default_rng().standard_normal((num_embeddings, embedding_dim))
        if self.padding_idx is not None:
            data[self.padding_idx] = 0.0
        self.weight = Parameter(data.astype(dtype))

    def forward(self, indices):
        return embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


def _source_positions(n, lo, hi, mode):
    """For each position of the padded axis, the input position it copies."""
    i = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    i = np.abs(i)                                           # reflect: mirror at 0 ...
    return np.where(i > n - 1, 2 * (n - 1) - i, i)          # ... and at n - 1


def pad(x, pad, mode="constant", value=0.0):
    """PyTorch's F.pad: `pad` gives (before, after) widths for the last axes, the last
    axis first: (left, right, top, bottom, ...). mode "constant" fills with value;
    "reflect" mirrors without repeating the edge, "replicate" repeats the edge,
    "circular" wraps around. Gradients go back to the elements copied."""
    x = as_float_tensor(x, "pad")
    widths = tuple(pad)
    if len(widths) % 2 or len(widths) // 2 > x.ndim or \
            not all(isinstance(w, (int, np.integer)) and w >= 0 for w in widths):
        raise ValueError(f"pad: pad must be pairs of non-negative ints, at most one pair per "
                         f"axis of the input of shape {x.shape}, got {pad!r}")
    pairs = [(0, 0)] * (x.ndim - len(widths) // 2) + \
        [(widths[2 * k], widths[2 * k + 1]) for k in reversed(range(len(widths) // 2))]
    if mode == "constant":
        return ops.pad(x, pairs, constant_values=value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    for axis, (lo, hi) in enumerate(pairs):
        if lo == hi == 0:
            continue
        n = x.shape[axis]
        limit = n - 1 if mode == "reflect" else n
        if n == 0 or max(lo, hi) > limit:
            rule = "less than" if mode == "reflect" else "at most"
            raise ValueError(f"pad: {mode} padding ({lo}, {hi}) of axis {axis} must be {rule} "
                             f"its length {n} (input shape {x.shape})")
        index = (slice(None),) * axis + (_source_positions(n, lo, hi, mode),)
        x = x[index]
    return x
