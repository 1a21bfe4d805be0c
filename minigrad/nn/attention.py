"""Attention: scaled_dot_product_attention (re-exported by nn.functional) and the
MultiheadAttention module, with PyTorch's arguments, parameters and state_dict keys.

    attention(Q, K, V) = softmax(Q K^T * scale + mask) V,   scale = 1 / sqrt(head dim)

Composed from matmul, softmax and where, so the gradient comes from the table.
Masks: in scaled_dot_product_attention a boolean mask says which keys each query
may attend to (True = allowed); in MultiheadAttention, as in PyTorch, a boolean
attn_mask or key_padding_mask says which are left out (True = masked). A float
mask is added to the scores in both.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad import creation, ops
from minigrad.nn.functional import as_float_tensor, cast_like, linear, softmax
from minigrad.nn.module import Module, Parameter
from minigrad.nn.modules import Linear
from minigrad.nn.sparse import dropout
from minigrad.tensor import Tensor


def _mask_data(mask):
    return mask.data if isinstance(mask, Tensor) else np.asarray(mask)


def _additive(mask, allowed_when, dtype):
    """A boolean mask as 0 / -inf to add to the scores; a float mask as it is."""
    data = _mask_data(mask)
    if data.dtype == np.bool_:
        return np.where(data == allowed_when, 0.0, -np.inf).astype(dtype)
    if isinstance(mask, Tensor):
        return mask if mask.dtype == dtype else mask.astype(dtype)
    return data.astype(dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, generator=None):
    """softmax(query key^T * scale + mask) value over the last two axes:
    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).
    attn_mask broadcasts to (..., L, S): boolean (True = may attend) or float
    (added). is_causal lets query i attend to keys 0..i only. dropout_p drops
    attention weights (always: this function does not know about eval mode)."""
    query = as_float_tensor(query, "scaled_dot_product_attention")
    key = cast_like(as_float_tensor(key, "scaled_dot_product_attention"), query)
    value = cast_like(as_float_tensor(value, "scaled_dot_product_attention"), query)
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2 or query.shape[-1] != key.shape[-1] \
            or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: expected query (..., L, E), key "
                         f"(..., S, E) and value (..., S, Ev), got {query.shape}, {key.shape} "
                         f"and {value.shape}")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ ops.swapaxes(key, -1, -2)) * scale
    if is_causal:
        scores = scores + _additive(np.tri(L, S, dtype=bool), True, scores.dtype)
    if attn_mask is not None:
        try:
            np.broadcast_shapes(_mask_data(attn_mask).shape, scores.shape)
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: attn_mask of shape "
                             f"{_mask_data(attn_mask).shape} does not broadcast to the scores' "
                             f"shape {scores.shape}") from None
        scores = scores + _additive(attn_mask, True, scores.dtype)
    weights = softmax(scores, -1)
    if dropout_p:
        weights = dropout(weights, dropout_p, True, generator)
    return weights @ value


def _xavier_uniform(shape, dtype):
    bound = math.sqrt(6.0 / (shape[0] + shape[1]))
    return creation.default_rng().uniform(-bound, bound, size=shape).astype(dtype)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), PyTorch's module: the input is
    projected by in_proj_weight (3 E, E) into queries, keys and values, split into
    num_heads heads of E / num_heads, attended per head and joined by out_proj.
    Inputs are (L, N, E), or (N, L, E) with batch_first, or unbatched (L, E).
    Keys and values of other sizes (kdim, vdim) get projections of their own,
    q_proj_weight, k_proj_weight and v_proj_weight, as in PyTorch.
    forward returns (output, attention weights averaged over heads or None)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, *, kdim=None, vdim=None,
                 batch_first=False, dtype=np.float64):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by "
                             f"num_heads {num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        E = embed_dim
        self.packed = self.kdim == self.vdim == E
        if self.packed:                           # one (3E, E) projection for q, k and v
            self.in_proj_weight = Parameter(_xavier_uniform((3 * E, E), dtype))
        else:
            self.q_proj_weight = Parameter(_xavier_uniform((E, E), dtype))
            self.k_proj_weight = Parameter(_xavier_uniform((E, self.kdim), dtype))
            self.v_proj_weight = Parameter(_xavier_uniform((E, self.vdim), dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if bias:
            self.out_proj.bias.data[:] = 0.0

    def _heads(self, x, n):
        """(N, L, E) -> (N, heads, L, head_dim)"""
        return ops.swapaxes(x.reshape(n, x.shape[1], self.num_heads, self.head_dim), 1, 2)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        query = as_float_tensor(query, "MultiheadAttention")
        key, value = as_float_tensor(key, "MultiheadAttention"), \
            as_float_tensor(value, "MultiheadAttention")
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (t.reshape(t.shape[0], 1, t.shape[1]) for t in (query, key, value))
        elif self.batch_first:
            query, key, value = (ops.swapaxes(t, 0, 1) for t in (query, key, value))
        # now (L, N, E) as PyTorch's functional form has it
        if query.ndim != 3 or key.ndim != 3 or value.ndim != 3 or \
                (query.shape[-1], key.shape[-1], value.shape[-1]) != \
                (self.embed_dim, self.kdim, self.vdim) or key.shape[:2] != value.shape[:2] or \
                key.shape[1] != query.shape[1]:
            raise ValueError(f"MultiheadAttention: expected query, key and value with last "
                             f"dimensions {self.embed_dim}, {self.kdim} and {self.vdim} and "
                             f"matching batches, got {query.shape}, {key.shape} and "
                             f"{value.shape} (as (L, N, E))")
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal is a hint that attn_mask is the "
                             "causal mask; pass the mask too (as PyTorch requires)")
        L, n, E = query.shape
        S = key.shape[0]
        if self.packed:
            w = cast_like(self.in_proj_weight, query)
            weights = [w[k * E:(k + 1) * E] for k in range(3)]
        else:
            weights = [cast_like(p, query) for p in
                       (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)]
        b = cast_like(self.in_proj_bias, query)
        parts = [linear(ops.swapaxes(t, 0, 1), weights[k],
                        None if b is None else b[k * E:(k + 1) * E])
                 for k, t in enumerate((query, key, value))]
        q, k, v = (self._heads(p, n) for p in parts)                 # (N, H, L or S, D)
        scores = (q * math.sqrt(1.0 / self.head_dim)) @ ops.swapaxes(k, -1, -2)
        if attn_mask is not None:
            mask = _additive(attn_mask, False, scores.dtype)
            shape = _mask_data(attn_mask).shape
            if shape == (L, S):
                scores = scores + mask
            elif shape == (n * self.num_heads, L, S):
                scores = scores + mask.reshape(n, self.num_heads, L, S)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask must have shape {(L, S)} or "
                                 f"{(n * self.num_heads, L, S)}, got {shape}")
        if key_padding_mask is not None:
            if _mask_data(key_padding_mask).shape != (n, S):
                raise ValueError(f"MultiheadAttention: key_padding_mask must have shape "
                                 f"{(n, S)}, got {_mask_data(key_padding_mask).shape}")
            pad = _additive(key_padding_mask, False, scores.dtype)
            scores = scores + pad.reshape(n, 1, 1, S)
        weights = softmax(scores, -1)
        if self.training and self.dropout:
            weights = dropout(weights, self.dropout)
        out = ops.swapaxes(weights @ v, 1, 2).reshape(n, L, E)          # heads joined
        out = self.out_proj(out)                                         # (N, L, E)
        if unbatched:
            out = out.reshape(L, E)
        elif not self.batch_first:
            out = ops.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights[0] if unbatched else weights)

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
