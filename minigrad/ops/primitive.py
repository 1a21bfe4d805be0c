"""The machinery of the derivative table: a Primitive runs its NumPy forward on
the raw arrays and, when an input needs a gradient, records a Node keeping what
its backward reads. Also the small helpers every entry uses (axes, shapes, errors,
in_vjp for a VJP that runs on arrays or on tensors)."""
from __future__ import annotations

import builtins
import inspect
import operator

import numpy as np

try:
    from numpy.exceptions import AxisError      # both a ValueError and an IndexError
except ImportError:                             # NumPy < 1.25
    from numpy import AxisError

from minigrad.checks import check_operand
from minigrad.node import ANOMALY, STATE, Node, NotSaved, anomaly_checks
from minigrad.tensor import Tensor

def _data(v):
    return v.data if isinstance(v, Tensor) else v


# ----------------------------------------------------------------------------
# The machinery: apply a primitive and record it
# ----------------------------------------------------------------------------


class Primitive:
    """A NumPy function together with its VJPs and what they read.

    primitive(name, forward, *vjps, saves=...)

    Each VJP is vjp(g, ans, *inputs, **attributes) -> the gradient for one
    input. `saves` says what the VJPs read, as PyTorch's derivatives.yaml does,
    naming things as the VJPs do: "output" (ans), an input ("x"), only an
    input's shape and dtype ("x.shape"), several of those in a tuple, or ()
    when the backward reads none of them. The node keeps only that: a VJP gets
    None for an input (or output) it did not declare. Attributes (axes, Python
    numbers) are always kept.

    An op taking any number of inputs (concatenate) gives instead
    variadic_vjp(g, ans, *xs) -> every input's gradient in one pass, so that
    its backward is linear in their number.
    """

    def __init__(self, name, forward, *vjps, saves, variadic_vjp=None):
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.variadic_vjp = variadic_vjp
        self.backward_name = "".join(p.capitalize() for p in name.split("_")) + "Backward"
        self.saves = (saves,) if isinstance(saves, str) else tuple(saves)
        self.saves_output = "output" in self.saves
        names, variadic = _input_names(name, variadic_vjp or next(v for v in vjps if v))
        # One VJP (or None) per input: an entry may stop listing them after the last
        # differentiable one (clip's bounds take no gradient).
        self.vjps = vjps + (None,) * (len(names) - len(vjps))
        # What is kept of input i: "value", "shape" (with the dtype) or nothing.
        keeps = {}
        self.keeps_rest = None      # of each input a *xs parameter takes
        for entry in self.saves:
            if entry == "output":
                continue
            input_name, _, part = entry.partition(".")
            keep = "value" if not part else "shape" if part in ("shape", "dtype") else None
            if keep is None or input_name not in names and input_name != variadic:
                raise ValueError(f"primitive {name!r}: cannot save {entry!r}; saves= takes "
                                 f"'output' and the inputs its VJPs name {names or (variadic,)}, "
                                 f"as 'x' or 'x.shape'")
            if input_name == variadic:
                self.keeps_rest = keep
            else:
                keeps[names.index(input_name)] = keep
        self.keeps = tuple(keeps.get(i) for i in range(len(names)))
        self.last_output = (None,), (None,)     # (out_shapes, out_dtypes) of its last node: _record

    def __call__(self, *args, **kwargs):
        """Run the forward on the raw arrays; record a Node if an input needs a gradient."""
        recording = STATE.grad_enabled
        arrays, edges = [], []          # per argument: its raw value, where its gradient goes
        numpy_scalars = False
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                arrays.append(a.data)
                edges.append(a._edge() if recording else None)
            else:
                if type(a) is not float:        # (floats: the usual case, always fine)
                    if self.takes_data(i):      # (not axes, a shape, a flag: the op checked those)
                        if type(a) in (list, tuple) and _holds_tensors(a):
                            return self(*_stacked(args), **kwargs)      # mg.mean([x, y])
                        a = check_operand(self, i, a)   # the Tensor constructor's dtypes
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
        if ANOMALY.enabled:
            _check_anomaly_forward(self, arrays, out)
        node = self._record(args, arrays, edges, kwargs, out) if any(edges) else None
        result = Tensor._make(out, node)
        if out.base is not None:            # a view (reshape, transpose, basic indexing)
            result._share_version_with(args)
        return result

    def takes_data(self, i):
        """Is argument i data (an input with a VJP, or any input of a variadic op),
        rather than an attribute such as axes, a shape or a flag?"""
        return self.variadic_vjp is not None or i < len(self.vjps) and self.vjps[i] is not None

    def _record(self, args, arrays, edges, kwargs, out):
        """The Node of one call. It keeps what the backward reads: the array of
        a saved tensor, NotSaved(shape, dtype) of one whose shape is saved, None
        for one the backward does not read. Constants (tensors that take no
        gradient, arrays, numbers) stay as given until backward, for drawing.
        Saved tensors that an in-place operation could change later (leaves and
        their views) are watched."""
        inputs = arrays                 # each tensor's array, each other argument as given
        versions = ()
        for i, edge in enumerate(edges):
            value = args[i]
            if not isinstance(value, Tensor):
                continue                # attributes: axes, numbers, arrays
            keep = self.keeps[i] if i < len(self.keeps) else self.keeps_rest
            if keep == "shape":
                inputs[i] = NotSaved(value.shape, value.dtype)
            elif edge is None:
                inputs[i] = value       # a constant stays a tensor: drawing names it
            elif keep is None:
                inputs[i] = None
            if keep == "value" and (value._grad_fn is None or value._version_counter is not None):
                counter = value._counter()
                versions += ((counter, counter.count),)
        # Successive calls of an op mostly make outputs of one shape and dtype: their
        # nodes share one pair of tuples (per node: 3 objects fewer to allocate and to collect).
        out_shapes, out_dtypes = self.last_output
        if out_shapes[0] != out.shape or out_dtypes[0] is not out.dtype:
            out_shapes, out_dtypes = self.last_output = (out.shape,), (out.dtype,)
        return Node(self, edges, inputs, versions, kwargs,
                    out if self.saves_output else None, out_shapes, out_dtypes)

    def backward(self, node, grads, ans, inputs):
        """The gradient for every input of node that needs one (None for the others)."""
        (g,) = grads
        kwargs = node.kwargs
        if self.variadic_vjp is not None:
            grads = self.variadic_vjp(g, ans, *inputs, **kwargs)
            return [None if edge is None else gi for edge, gi in zip(node.edges, grads)]
        input_grads = []                # (a loop: on Python 3.11 a comprehension is one more frame)
        for vjp, edge in zip(self.vjps, node.edges):
            input_grads.append(None if edge is None else vjp(g, ans, *inputs, **kwargs))
        return input_grads

    def __repr__(self):
        return f"<primitive {self.name}>"


primitive = Primitive


def in_vjp(op, g, *args):
    """op(g, *args) inside a VJP. g is a Tensor when the walk records the backward
    (create_graph): then op records a node, as anywhere. Otherwise g is a NumPy
    array that nobody will differentiate, and only op's NumPy forward runs on it:
    no operand checks, no Tensor for the walk to unwrap again. (VJPs need this only
    for what arrays and tensors do not share: g.reshape(...), g.transpose(...),
    g[index] and the arithmetic operators already run as NumPy on an array.)"""
    return op(g, *args) if isinstance(g, Tensor) else op.forward(g, *args)


def _input_names(name, vjp):
    """The input names a VJP gives after (g, ans), and the name of its *inputs
    parameter if it has one."""
    try:
        parameters = list(inspect.signature(vjp).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(f"primitive {name!r}: its VJPs must be Python functions") from None
    names, variadic = [], None
    for p in parameters[2:]:
        if p.kind == p.VAR_POSITIONAL:
            variadic = p.name
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return tuple(names), variadic


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
    if not anomaly_checks() or out.dtype.kind != "f" or np.isfinite(out).all():
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
