"""The machinery of the derivative table: a Primitive runs its NumPy forward on
the raw arrays and, when an input needs a gradient, records a Node for the
backward walk. Also the small helpers every entry uses (axes, shapes, errors)."""
from __future__ import annotations

import builtins
import operator

import numpy as np

try:
    from numpy.exceptions import AxisError      # both a ValueError and an IndexError
except ImportError:                             # NumPy < 1.25
    from numpy import AxisError

from minigrad.checks import check_operand
from minigrad.node import STATE, Node
from minigrad.tensor import Tensor, _result

def _data(v):
    return v.data if isinstance(v, Tensor) else v


# ----------------------------------------------------------------------------
# The machinery: apply a primitive and record it
# ----------------------------------------------------------------------------


class Primitive:
    """A NumPy function together with its VJPs."""

    def __init__(self, name, forward, *vjps, variadic_vjp=None):
        self.name = name
        self.forward = forward
        self.vjps = vjps
        # For ops taking any number of inputs (concatenate): variadic_vjp(g, ans, *args)
        # gives every input's gradient in one pass, so backward is linear in their number.
        self.variadic_vjp = variadic_vjp
        self.backward_name = "".join(p.capitalize() for p in name.split("_")) + "Backward"

    def __call__(self, *args, **kwargs):
        """Run the forward on the raw arrays; record a Node if a gradient is needed."""
        arrays, edges = [], []          # per argument: its raw value, where its gradient goes
        recording = STATE.grad_enabled
        numpy_scalars = False
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                arrays.append(a.data)
                node = a._grad_fn               # (Tensor._edge, inlined for a result)
                edges.append(None if not recording else (node, a._output_nr) if node is not None
                             else a._edge())
            else:
                if type(a) is not float:        # (floats: the usual case, always fine)
                    if type(a) in (list, tuple) and _holds_tensors(a):
                        return self(*_stacked(args), **kwargs)      # mg.mean([x, y])
                    check_operand(self, i, a)   # data with the Tensor constructor's dtypes
                    numpy_scalars = numpy_scalars or isinstance(a, np.generic)
                arrays.append(a)
                edges.append(None)
        if numpy_scalars:
            args, arrays = _numbers_for_numpy_scalars(args, arrays)
        try:
            out = self.forward(*arrays, **kwargs)
        except (ValueError, IndexError, TypeError, OverflowError) as e:
            raise _forward_error(self, args, e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)           # NumPy returns scalars for 0-d results
        if STATE.anomaly:
            _check_anomaly_forward(self, arrays, out)
        if any(edges):                      # some input needs a gradient: record the op
            # (kwargs or a shared {}: one object less per op for the garbage collector)
            return _result(out, Node(self, edges, args, kwargs or _NO_KEYWORDS, out, 1, arrays))
        return _result(out, None)

    def input_grads(self, node, grads, create_graph):
        """Gradients for every input of `node`, given the gradient of its output.

        With create_graph the VJPs run on tensors and record a graph of their
        own (higher derivatives). Otherwise nobody will differentiate the
        result, so the very same formulas run on the raw arrays: NumPy
        evaluates them directly, without building tensors.
        """
        (g,) = grads
        if create_graph:
            ans = Tensor._make(node.out_data, node)
            args = node.args
        else:
            ans = node.out_data
            args = node.arrays
        kwargs = node.kwargs
        if self.variadic_vjp is not None:
            grads = self.variadic_vjp(g, ans, *args, **kwargs)
            return [None if edge is None else gi for edge, gi in zip(node.edges, grads)]
        out = []
        for i, edge in enumerate(node.edges):
            if edge is None:
                out.append(None)
            else:
                out.append(self.vjps[i](g, ans, *args, **kwargs))
        return out

    def __repr__(self):
        return f"<primitive {self.name}>"


primitive = Primitive
_NO_KEYWORDS = {}       # never modified


def _numbers_for_numpy_scalars(args, arrays):
    """Next to an array, a NumPy scalar (np.float64(2.0), what np.prod or np.sqrt
    return) acts like the Python number it holds. NumPy 2 would let it promote
    a float32 array to float64; PyTorch and a Python 2.0 do not."""
    if not any(isinstance(a, np.ndarray) for a in arrays):
        return args, arrays
    args = tuple(a.item() if isinstance(a, np.generic) else a for a in args)
    return args, [a.item() if isinstance(a, np.generic) else a for a in arrays]


def _holds_tensors(sequence):
    return any(isinstance(v, Tensor) or type(v) in (list, tuple) and _holds_tensors(v)
               for v in sequence)


def _stacked(args):
    """A list of tensors given as one operand is stacked into one tensor, as NumPy
    reads a list of arrays (np.mean([a, b])); stacking keeps the graph, where reading
    the numbers would give a gradient of 0."""
    from minigrad.ops.shape import stack        # (shape.py builds on this file)
    return tuple(stack(a) if type(a) in (list, tuple) and _holds_tensors(a) else a
                 for a in args)


def _shapes(args):
    return ", ".join(str(np.shape(_data(a))) for a in args
                     if isinstance(a, (Tensor, np.ndarray)) or np.isscalar(a))


def _forward_error(prim, args, error):
    """Reword a NumPy error so that it names the operation and the shapes."""
    shapes = [np.shape(_data(a)) for a in args if isinstance(a, (Tensor, np.ndarray))]
    if isinstance(error, ValueError) and "broadcast" in str(error) and len(shapes) > 1:
        return ValueError(f"{prim.name}: shapes {' and '.join(map(str, shapes))} cannot be "
                          f"broadcast together (NumPy broadcasting: trailing dimensions must "
                          f"be equal or 1)")
    if isinstance(error, OverflowError):        # a Python int beyond 64 bits
        big = [a for a in args if type(a) is int and not -2**63 <= a < 2**63]
        return ValueError(f"{prim.name}: the integer {big[0] if big else ''} does not fit in "
                          f"64 bits; write it as a float (1e30, not 10**30)")
    kind = TypeError if isinstance(error, TypeError) else \
        IndexError if isinstance(error, IndexError) else ValueError
    return kind(f"{prim.name}: {error} (input shapes: {_shapes(args)})")


def _check_anomaly_forward(prim, arrays, out):
    if out.dtype.kind != "f" or np.isfinite(out).all():
        return
    inputs_finite = builtins.all(np.isfinite(a).all() for a in arrays
                                 if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    if inputs_finite:
        raise RuntimeError(f"detect_anomaly: '{prim.name}' produced nan/inf in its output "
                           f"from finite inputs (input shapes: {_shapes(arrays)})")


def _shape(v):
    return np.shape(_data(v))


def _norm_axes(axis, ndim, op, shape=None):
    """axis (None, int or tuple, negatives allowed) -> sorted tuple of axes.
    `shape`, when given, is the input's shape, for the error message."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer, bool)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if ndim == 0:
            raise AxisError(f"{op}: a 0-d tensor has no axes, got axis {a} (use axis=None)")
        if not -ndim <= a < ndim:
            where = f" of shape {shape}" if shape is not None else ""
            raise AxisError(f"{op}: axis {a} is out of range for a tensor{where} with {ndim} "
                             f"dimensions (valid: {-ndim} to {ndim - 1})")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    """The shape a reduction over `axes` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))



def _integers(values, op, what):
    """A tuple of Python ints, or a TypeError naming the op (never a silent int(0.5))."""
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{op}: {what} must be integers, got {values!r}") from None
