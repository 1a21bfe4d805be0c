"""Worked solution of tutorials/exercises/pre_ln_block.py (lesson 16). Try it first.

The whole idea is in forward's two lines: each sublayer reads a normalized copy of x, and its
output is added to x itself. Nothing ever normalizes the sum, so x flows from the input to
the output through nothing but additions (question 1 of the lesson works out what that does
to the gradient). Writing x = self.norm1(x + attention(x)) instead is post-LN, the original
transformer's layout; the grader recognises it.
"""
import numpy as np

import layers
from minigrad import nn
from minigrad.nn import functional as F


class PreLNBlock(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        self.norm1 = layers.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.norm2 = layers.LayerNorm(d_model)
        self.ff1 = nn.Linear(d_model, d_ff)
        self.ff2 = nn.Linear(d_ff, d_model)

    def forward(self, x, causal=True):
        S = x.shape[1]
        mask = ~np.tri(S, dtype=bool) if causal else None    # True above the diagonal: masked
        h = self.norm1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        h = self.norm2(x)
        return x + self.ff2(F.gelu(self.ff1(h), approximate="tanh"))
