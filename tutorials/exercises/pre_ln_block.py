"""Exercise (lesson 16): write a pre-LN transformer layer as a Module.

PreLNBlock(d_model, num_heads, d_ff) is one layer of the lesson's transformer, pre-LN:

    x = x + Attn(LN1(x))          Attn: causal self-attention, queries = keys = values = LN1(x)
    x = x + FF(LN2(x))            FF(h) = ff2(gelu(ff1(h)))  with GELU's tanh approximation

1. __init__: create, with exactly these names (the grader loads the reference's weights into
   them by name, with load_state_dict):
       self.norm1, self.norm2   layers.LayerNorm(d_model)
       self.attn                nn.MultiheadAttention(d_model, num_heads, batch_first=True)
       self.ff1                 nn.Linear(d_model, d_ff)
       self.ff2                 nn.Linear(d_ff, d_model)
2. forward(self, x, causal=True): x is a Tensor (N, S, d_model); return a Tensor of the same
   shape. With causal=True, position i may attend to positions 0..i only: MultiheadAttention
   takes attn_mask, a boolean (S, S) array where True means "may NOT attend" (PyTorch's
   convention), so the mask is True above the diagonal. With causal=False, no mask.
   The attention module returns (output, weights): keep the output (need_weights=False
   saves the weights' work). GELU: F.gelu(h, approximate="tanh"), as the lesson used.

Usual slips: normalizing the sum, x = LN(x + Attn(x)), which is post-LN; forgetting the
residual "+"; the mask the wrong way round (True on and below the diagonal); exact GELU.

Grade it with
    minigrad check tutorials/exercises/pre_ln_block.py --exercise pre_ln_block
which builds your block, loads seeded weights into it, and compares your output and every
gradient (input and parameters) with a reference layer's, causal and not.
A worked solution is in tutorials/solutions/pre_ln_block.py: try first.
"""
import numpy as np

import layers
from minigrad import nn
from minigrad.nn import functional as F


class PreLNBlock(nn.Module):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__()
        raise NotImplementedError("create self.norm1, self.attn, self.norm2, self.ff1, "
                                  "self.ff2 (LayerNorm, MultiheadAttention with batch_first, "
                                  "LayerNorm, Linear d_model -> d_ff, Linear d_ff -> d_model)")

    def forward(self, x, causal=True):
        raise NotImplementedError("x + attention of norm1(x) (causal mask: True above the "
                                  "diagonal), then x + ff2(gelu(ff1(norm2(x))))")


_ = (np, layers, nn, F)          # what you will need
