"""The derivative table: every primitive operation, its forward and its backward.

Each primitive is one entry:

    exp = primitive("exp", np.exp,
                    lambda g, ans, x: g * ans,
                    saves="output")

The forward is a NumPy function of the raw arrays. After it come the
vector-Jacobian products (VJPs), one per differentiable argument: given the
gradient `g` flowing into the output, the output `ans`, and the inputs, each
returns the gradient for its argument. Last, what the backward reads, as in
PyTorch's derivatives.yaml: "output", an input by its name ("x"), only its
shape ("x.shape", as sum needs), or () for nothing (add). The graph keeps that
and nothing else until backward. The VJPs are written with minigrad
operations, so a gradient is itself differentiable (second derivatives for
free); when no one will differentiate it (no create_graph), the same formulas
simply run on the arrays (primitive.in_vjp picks NumPy's forward of an operation
there, for what arrays and tensors do not share). A VJP may return a gradient
of the broadcast shape: reducing it back to the input's shape happens once, in
the backward walk (autograd.py).

Calling a primitive runs its forward and, if an input requires grad, records a
Node: the op and what its `saves` names.

Everything else (var, expand_dims, softmax, ...) is composed from
primitives and needs no derivative of its own.

The table is split by family, one file each:
  primitive.py    the machinery (Primitive, recording a Node) and shared helpers
  shape.py        broadcast_to / sum_to, reshape, transpose, contiguous, indexing,
                  concatenate, pad
  elementwise.py  arithmetic, pow, exp, log, activations, where, clip, casts
  reductions.py   sum, max, min, mean, var, std
  linalg.py       matmul, linear, conv and its two adjoints (conv_transpose, conv_weight),
                  and the unfold/fold pair behind pooling
  softmax.py      log_softmax and softmax cross-entropy as single entries (closed forms)
  trig.py         sin, cos, tan, their inverses, sinh, cosh
  more_elementwise.py  log1p, expm1, log2, square, rsqrt, erf, rounding, mod, isnan ...
  more_reductions.py   cumsum, cumprod, prod, logsumexp, norm, all, any
  sorting.py      argmax, argmin, sort, argsort, topk
  arrange.py      flip, roll, repeat, tile, split, chunk, moveaxis, vstack, hstack
  contract.py     einsum, and dot, inner, outer, tensordot as einsums
  losses.py       binary_cross_entropy with PyTorch's clamped logs and gradient
  indexing.py     take_along_axis/gather, scatter_add, index_add, one_hot, masked_fill,
                  tril/triu, diag/diagonal/trace
"""
from minigrad.ops.primitive import Primitive, _norm_axes, primitive
from minigrad.ops.shape import (
    broadcast_to, cat, concatenate, contiguous, expand_dims, flatten, getitem, pad, reshape,
    squeeze, stack, sum_to, swapaxes, transpose,
)
from minigrad.ops.elementwise import (
    abs, add, astype, clip, clone, compare, div, exp, log, maximum, minimum, mul, neg, power,
    relu, sigmoid, sqrt, sub, tanh, where,
)
from minigrad.ops.reductions import max, mean, min, std, sum, var
from minigrad.ops.linalg import (
    conv, conv_transpose, conv_weight, fold, linear, matmul, unfold, window_max,
)
from minigrad.ops.arrange import (
    array_split, chunk, flip, hstack, moveaxis, repeat, repeat_interleave, roll, split, tile,
    vstack,
)
from minigrad.ops.contract import dot, einsum, inner, outer, tensordot
from minigrad.ops.indexing import (
    diag, diagonal, gather, index_add, masked_fill, one_hot, scatter_add, take_along_axis, trace,
    tril, triu,
)
from minigrad.ops.losses import binary_cross_entropy
from minigrad.ops.more_elementwise import (
    ceil, erf, exp2, expm1, fix, floor, fmod, isfinite, isinf, isnan, log1p, log2, log10, mod,
    reciprocal, remainder, round, rsqrt, sign, square, trunc,
)
from minigrad.ops.more_reductions import all, any, cumprod, cumsum, logsumexp, norm, prod
from minigrad.ops.sorting import argmax, argmin, argsort, sort, topk
from minigrad.ops.softmax import cross_entropy, log_softmax, log_softmax_composed, softmax
from minigrad.ops.trig import acos, arccos, arcsin, arctan, asin, atan, cos, cosh, sin, sinh, tan

__all__ = [
    "Primitive", "primitive", "cat", "clone", "flatten", "log_softmax",
    "softmax", "broadcast_to", "concatenate", "expand_dims", "getitem", "pad",
    "reshape", "squeeze", "stack", "sum_to", "swapaxes", "transpose", "contiguous",
    "abs", "add", "astype", "clip", "compare", "div", "exp", "log", "maximum", "minimum", "mul", "neg", "power", "relu",
    "sigmoid", "sqrt", "sub", "tanh", "where", "max", "mean", "min", "std", "sum", "var", "fold",
    "conv", "conv_transpose", "conv_weight",
    "linear", "matmul", "unfold", "window_max", "cross_entropy", "log_softmax_composed",
    "ceil", "erf", "exp2", "expm1", "fix", "floor", "fmod", "isfinite", "isinf", "isnan", "log1p",
    "log2", "log10", "mod", "reciprocal", "remainder", "round", "rsqrt", "sign", "square", "trunc",
    "acos", "arccos", "arcsin", "arctan", "asin", "atan", "cos", "cosh", "sin", "sinh", "tan",
    "diag", "diagonal", "gather", "index_add", "masked_fill", "one_hot", "scatter_add",
    "take_along_axis", "trace", "tril", "triu",
    "all", "any", "cumprod", "cumsum", "logsumexp", "norm", "prod",
    "argmax", "argmin", "argsort", "sort", "topk",
    "array_split", "chunk", "flip", "hstack", "moveaxis", "repeat", "repeat_interleave", "roll",
    "split", "tile", "vstack", "dot", "einsum", "inner", "outer", "tensordot",
    "binary_cross_entropy",
]
