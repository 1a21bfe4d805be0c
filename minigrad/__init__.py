"""minigrad: a small reverse-mode autograd engine on NumPy, written to be read.

The rooms of the house, bottom up. The engine is the files at the top:
  tensor.py      Tensor (its operation methods in tensor_methods.py)
  inplace.py     +=, add_, zero_, copy_ ... with PyTorch's rules and the version counter
  node.py        the graph Node: what each operation keeps for its backward; grad mode
  ops/           the derivative table: every primitive with its forward, VJPs and `saves`
  spellings.py   PyTorch's dim=/keepdim= for NumPy's axis=/keepdims=
  autograd.py    the backward walk, grad(), no_grad/set_grad_enabled, detect_anomaly
  function.py    user-defined operations (Function)
  gradcheck.py   finite-difference checks of the engine
  creation.py    zeros, ones, full, eye, randn, rand, ... and the random generator
On top of the engine, each in a folder of its own:
  nn/, optim/    modules, losses, optimizers, lr schedulers (PyTorch's names); datasets.py, data/
  draw/          pictures of a finished graph (needs the graphviz package only when drawing)
  coursework/    check_backward: grading a hand-written NumPy backward pass
  cli/           the `minigrad` command; the only part that imports `layers`
A lower room never imports a higher one.
"""
from minigrad.tensor import Tensor, tensor
from minigrad.creation import (
    arange, default_rng, eye, from_numpy, full, full_like, linspace, manual_seed, ones,
    ones_like, rand, randint, randn, zeros, zeros_like,
)
from minigrad.ops import (
    abs, astype, broadcast_to, cat, clip, clone, concatenate, exp, expand_dims,
    flatten, log, matmul, max, maximum, mean, min, minimum, pad, relu, reshape, sigmoid, sqrt,
    squeeze, stack, std, sum, swapaxes, tanh, transpose, var, where,
)
from minigrad.ops import (
    acos, all, any, arccos, arcsin, arctan, argmax, argmin, argsort, array_split, asin, atan,
    ceil, chunk, cos, cosh, cumprod, cumsum, diag, diagonal, dot, einsum, erf, exp2, expm1, fix,
    flip, floor, fmod, gather, hstack, index_add, inner, isfinite, isinf, isnan, log10, log1p,
    log2, logsumexp, masked_fill, mod, moveaxis, norm, outer, prod, reciprocal, remainder,
    repeat, repeat_interleave, roll, round, rsqrt, scatter_add, sign, sin, sinh, sort, split,
    square, take_along_axis, tan, tensordot, tile, topk, trace, tril, triu, trunc, vstack,
)
from minigrad.autograd import (
    detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled,
)
from minigrad.function import Function
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad import nn, optim           # mg.nn, mg.nn.functional, mg.optim, as in torch
from minigrad.draw import (                     # graphviz is imported only when drawing
    backward_steps, draw_graph, save_backward_steps, save_graph,
)
from minigrad.coursework import check_backward

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "randn", "arange", "manual_seed", "default_rng",
    "eye", "from_numpy", "full", "full_like", "linspace", "ones_like", "rand", "randint",
    "zeros_like", "cat", "clone", "flatten",
    "abs", "astype", "broadcast_to", "clip", "concatenate", "exp", "expand_dims", "log",
    "matmul", "max", "maximum", "mean", "min", "minimum", "pad", "relu", "reshape", "sigmoid",
    "sqrt", "squeeze", "stack", "std", "sum", "swapaxes", "tanh", "transpose", "var", "where",
    "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "Function",
    "gradcheck", "gradgradcheck", "GradcheckError", "draw_graph", "save_graph", "check_backward",
    "backward_steps", "save_backward_steps",
    "nn", "optim",
    "acos", "all", "any", "arccos", "arcsin", "arctan", "argmax", "argmin", "argsort",
    "array_split", "asin", "atan", "ceil", "chunk", "cos", "cosh", "cumprod", "cumsum", "diag",
    "diagonal", "dot", "einsum", "erf", "exp2", "expm1", "fix", "flip", "floor", "fmod",
    "gather", "hstack", "index_add", "inner", "isfinite", "isinf", "isnan", "log10", "log1p",
    "log2", "logsumexp", "masked_fill", "mod", "moveaxis", "norm", "outer", "prod",
    "reciprocal", "remainder", "repeat", "repeat_interleave", "roll", "round", "rsqrt",
    "scatter_add", "sign", "sin", "sinh", "sort", "split", "square", "take_along_axis", "tan",
    "tensordot", "tile", "topk", "trace", "tril", "triu", "trunc", "vstack",
]
