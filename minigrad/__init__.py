"""minigrad: a small reverse-mode autograd engine on NumPy, written to be read.

The layers of the house, bottom up:
  tensor.py     Tensor and the graph Node
  ops.py        the derivative table: every primitive with its forward and VJPs
  autograd.py   the backward walk, grad(), no_grad, detect_anomaly
  function.py   user-defined operations (Function)
  gradcheck.py  finite-difference checks of the engine
  graph.py      drawing graphs with Graphviz
  check.py      cross-checking a hand-written backward (coursework)
  nn/, optim.py modules, losses and optimizers
  cli.py        the `minigrad` command
"""
from minigrad.tensor import Tensor, tensor
from minigrad.creation import arange, default_rng, manual_seed, ones, randn, zeros
from minigrad.ops import (
    abs, astype, broadcast_to, clip, concatenate, exp, expand_dims, log, matmul, max, maximum,
    mean, min, minimum, pad, relu, reshape, sigmoid, sqrt, squeeze, stack, std, sum, swapaxes,
    tanh, transpose, var, where,
)
from minigrad.autograd import detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad
from minigrad.function import Function
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.graph import draw_graph, save_graph
from minigrad.check import check_backward

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "randn", "arange", "manual_seed", "default_rng",
    "abs", "astype", "broadcast_to", "clip", "concatenate", "exp", "expand_dims", "log",
    "matmul", "max", "maximum", "mean", "min", "minimum", "pad", "relu", "reshape", "sigmoid",
    "sqrt", "squeeze", "stack", "std", "sum", "swapaxes", "tanh", "transpose", "var", "where",
    "grad", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "Function",
    "gradcheck", "gradgradcheck", "GradcheckError", "draw_graph", "save_graph", "check_backward",
]
