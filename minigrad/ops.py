"""The derivative table: every primitive operation, its forward and its backward.

Each primitive is one entry:

    exp = primitive("exp", np.exp,
                    lambda g, ans, x: g * ans)

The forward is a NumPy function of the raw arrays. After it come the
vector-Jacobian products (VJPs), one per differentiable argument: given the
gradient `g` flowing into the output, the output `ans`, and the inputs, each
returns the gradient for its argument. The VJPs are written with minigrad
operations, so a gradient is itself differentiable (second derivatives for
free); when no one will differentiate it (no create_graph), the same formulas
simply run on the arrays. A VJP may return a gradient of the broadcast shape:
reducing it back to the input's shape happens once, in the backward walk
(autograd.py).

Calling a primitive runs its forward and, if an input requires grad, records a
Node: the op, the inputs and the output that the VJPs will need.

Everything else here (mean, var, expand_dims, stack, ...) is composed from
primitives and needs no derivative of its own.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from minigrad.tensor import STATE, Node, Tensor, _result


def _data(v):
    return v.data if isinstance(v, Tensor) else v


# ----------------------------------------------------------------------------
# The machinery: apply a primitive and record it
# ----------------------------------------------------------------------------


class Primitive:
    """A NumPy function together with its VJPs."""

    def __init__(self, name, forward, *vjps, vjp_of_arg=None):
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.vjp_of_arg = vjp_of_arg      # for variadic ops: vjp_of_arg(i, g, ans, *args)
        self.backward_name = "".join(p.capitalize() for p in name.split("_")) + "Backward"

    def __call__(self, *args, **kwargs):
        """Run the forward on the raw arrays; record a Node if a gradient is needed."""
        arrays, edges = [], []          # per argument: its raw value, where its gradient goes
        recording = STATE.grad_enabled
        numpy_scalars = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                node = a._grad_fn               # (Tensor._edge, inlined for a result)
                edges.append(None if not recording else (node, a._output_nr) if node is not None
                             else a._edge())
            else:
                if type(a) is not float and isinstance(a, np.generic):   # (floats: the usual case)
                    numpy_scalars = True
                arrays.append(a)
                edges.append(None)
        if numpy_scalars:
            args, arrays = _numbers_for_numpy_scalars(args, arrays)
        try:
            out = self.forward(*arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as e:
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
        out = []
        for i, edge in enumerate(node.edges):
            if edge is None:
                out.append(None)
            elif self.vjp_of_arg is None:
                out.append(self.vjps[i](g, ans, *args, **kwargs))
            else:
                out.append(self.vjp_of_arg(i, g, ans, *args, **kwargs))
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
            raise ValueError(f"{op}: a 0-d tensor has no axes, got axis {a} (use axis=None)")
        if not -ndim <= a < ndim:
            where = f" of shape {shape}" if shape is not None else ""
            raise ValueError(f"{op}: axis {a} is out of range for a tensor{where} with {ndim} "
                             f"dimensions (valid: {-ndim} to {ndim - 1})")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    """The shape a reduction over `axes` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# ----------------------------------------------------------------------------
# Broadcasting and its adjoint (the engine uses sum_to to undo broadcasting)
# ----------------------------------------------------------------------------

def _sum_to_forward(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and x.shape[i + lead] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape)


def _broadcast_to_forward(x, shape):
    return np.broadcast_to(x, shape)


sum_to = primitive("sum_to", _sum_to_forward,
                   lambda g, ans, x, shape: broadcast_to(g, _shape(x)))
_broadcast_to = primitive("broadcast_to", _broadcast_to_forward,
                          lambda g, ans, x, shape: sum_to(g, _shape(x)))


def _integers(values, op, what):
    """A tuple of Python ints, or a TypeError naming the op (never a silent int(0.5))."""
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{op}: {what} must be integers, got {values!r}") from None


def broadcast_to(x, shape):
    shape = _integers((shape,) if isinstance(shape, (int, np.integer)) else shape,
                      "broadcast_to", "the shape")
    try:
        fits = np.broadcast_shapes(_shape(x), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {_shape(x)} "
                         f"to shape {shape}")
    return _broadcast_to(x, shape)


# ----------------------------------------------------------------------------
# Elementwise arithmetic
# ----------------------------------------------------------------------------

add = primitive("add", np.add,
                lambda g, ans, a, b: g,
                lambda g, ans, a, b: g)
sub = primitive("sub", np.subtract,
                lambda g, ans, a, b: g,
                lambda g, ans, a, b: -g)
mul = primitive("mul", np.multiply,
                lambda g, ans, a, b: g * b,
                lambda g, ans, a, b: g * a)
div = primitive("div", np.true_divide,
                lambda g, ans, a, b: g / b,
                lambda g, ans, a, b: -g * a / (b * b))
neg = primitive("neg", np.negative,
                lambda g, ans, x: -g)


def _log_base(a):
    # d(a**b)/db = a**b * log(a); where a == 0 the limit used by PyTorch is 0.
    return log(where(_data(a) == 0, 1.0, a))


def _power_base_vjp(g, ans, a, b):
    # Where b == 0, b * a**(b-1) would be 0 * inf = nan at a == 0; the derivative of
    # the constant a**0 is 0, and any finite power times b = 0 gives that 0.
    exponent = b - 1
    if np.any(_data(b) == 0):
        exponent = where(_data(b) == 0, 1.0, exponent)
    return g * b * a ** exponent


power = primitive("pow", np.power,
                  _power_base_vjp,
                  lambda g, ans, a, b: g * ans * _log_base(a))

exp = primitive("exp", np.exp,
                lambda g, ans, x: g * ans)
log = primitive("log", np.log,
                lambda g, ans, x: g / x)
sqrt = primitive("sqrt", np.sqrt,
                 lambda g, ans, x: g / (2.0 * ans))
abs = primitive("abs", np.abs,
                lambda g, ans, x: g * np.sign(_data(x)))
tanh = primitive("tanh", np.tanh,
                 lambda g, ans, x: g * (1.0 - ans * ans))


def _sigmoid_forward(x):
    # Never exponentiate a large positive number: e = exp(-|x|) is in (0, 1].
    if x.dtype.kind != "f":
        x = x.astype(np.float64)        # integers and booleans give floats, as np.tanh does
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = primitive("sigmoid", _sigmoid_forward,
                    lambda g, ans, x: g * ans * (1.0 - ans))
relu = primitive("relu", lambda x: np.maximum(x, 0),
                 lambda g, ans, x: g * (_data(x) > 0))


def _tie_mask(a, b, better):
    # The winner gets the gradient; on a tie each side gets half, as in PyTorch.
    a, b = _data(a), _data(b)
    mask = better(a, b) + 0.5 * (a == b)
    return mask.astype(np.result_type(a, b), copy=False)


maximum = primitive("maximum", np.maximum,
                    lambda g, ans, a, b: g * _tie_mask(a, b, np.greater),
                    lambda g, ans, a, b: g * _tie_mask(b, a, np.greater))
minimum = primitive("minimum", np.minimum,
                    lambda g, ans, a, b: g * _tie_mask(a, b, np.less),
                    lambda g, ans, a, b: g * _tie_mask(b, a, np.less))

_where = primitive("where", np.where,
                   None,
                   lambda g, ans, cond, a, b: where(cond, g, 0.0),
                   lambda g, ans, cond, a, b: where(cond, 0.0, g))


def where(condition, a, b):
    """Elementwise `a if condition else b`; the condition gets no gradient."""
    cond = _data(condition)
    return _where(np.asarray(cond, dtype=bool), a, b)


def _clip_forward(x, lo, hi):
    return np.clip(x, lo, hi)


def _clip_mask(x, lo, hi):
    x = _data(x)
    keep = np.ones(x.shape, dtype=bool)
    if lo is not None:
        keep &= x >= lo
    if hi is not None:
        keep &= x <= hi
    return keep


_clip = primitive("clip", _clip_forward,
                  lambda g, ans, x, lo, hi: g * _clip_mask(x, lo, hi))


def clip(x, min=None, max=None):
    """Clamp to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    if builtins.any(isinstance(b, Tensor) and b.requires_grad for b in (min, max)):
        # Bounds that need a gradient: each element's gradient goes to whichever
        # of x, min, max it came from (torch.clamp), which is what where does.
        shapes = [_shape(v) for v in (x, min, max) if v is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f"clip: shapes {' and '.join(map(str, shapes))} cannot be "
                             f"broadcast together") from None
        if min is not None:
            x = where(_data(x) < _data(min), min, x)
        if max is not None:
            x = where(_data(x) > _data(max), max, x)
        return x
    return _clip(x, _data(min), _data(max))


def astype(x, dtype):
    """Cast to another dtype; the gradient is cast back. Casting to an integer or
    boolean dtype leaves the graph: such tensors cannot carry gradients."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"astype: {dtype!r} is not a NumPy dtype") from None
    if dtype.kind != "f":
        return Tensor._make(np.asarray(_data(x)).astype(dtype))
    return _astype(x, dtype)


_astype = primitive("astype", lambda x, dtype: x.astype(dtype),
                    lambda g, ans, x, dtype: astype(g, _data(x).dtype))


def compare(ufunc, a, b):
    """< <= > >= == != : a boolean tensor, never part of the graph."""
    try:
        return Tensor._make(ufunc(_data(a), _data(b)))
    except (ValueError, TypeError) as e:
        raise type(e)(f"{ufunc.__name__}: {e} (shapes {_shape(a)} and {_shape(b)})") from None


# ----------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------

def _sum_vjp(g, ans, x, axes, keepdims):
    shape = _shape(x)
    return broadcast_to(reshape(g, _kept_shape(shape, axes)), shape)


_sum = primitive("sum", lambda x, axes, keepdims: np.sum(x, axis=axes, keepdims=keepdims),
                 _sum_vjp)


def _extremum_vjp(g, ans, x, axes, keepdims):
    # Ties share the gradient equally (PyTorch's amax/amin and max()/min()).
    shape = _shape(x)
    kept = _kept_shape(shape, axes)
    hit = _data(x) == _data(ans).reshape(kept)
    share = (hit / hit.sum(axis=axes, keepdims=True)).astype(_data(x).dtype)
    return reshape(g, kept) * share


_max = primitive("max", lambda x, axes, keepdims: np.max(x, axis=axes, keepdims=keepdims),
                 _extremum_vjp)
_min = primitive("min", lambda x, axes, keepdims: np.min(x, axis=axes, keepdims=keepdims),
                 _extremum_vjp)


def sum(x, axis=None, keepdims=False):
    return _sum(x, _norm_axes(axis, len(_shape(x)), "sum", _shape(x)), bool(keepdims))


def max(x, axis=None, keepdims=False):
    axes = _norm_axes(axis, len(_shape(x)), "max", _shape(x))
    if builtins.any(_shape(x)[a] == 0 for a in axes):
        raise ValueError(f"max: cannot reduce over an empty axis (tensor shape {_shape(x)})")
    return _max(x, axes, bool(keepdims))


def min(x, axis=None, keepdims=False):
    axes = _norm_axes(axis, len(_shape(x)), "min", _shape(x))
    if builtins.any(_shape(x)[a] == 0 for a in axes):
        raise ValueError(f"min: cannot reduce over an empty axis (tensor shape {_shape(x)})")
    return _min(x, axes, bool(keepdims))


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def mean(x, axis=None, keepdims=False):
    axes = _norm_axes(axis, len(_shape(x)), "mean", _shape(x))
    return sum(x, axes, keepdims) / _count(_shape(x), axes)


def _dof(shape, axes, ddof):
    """Degrees of freedom N - ddof, never below 0 (NumPy, PyTorch): var is then
    inf or nan, not a negative number."""
    return builtins.max(_count(shape, axes) - ddof, 0)


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance by the two-pass formula mean((x - mean(x))**2): no cancellation
    when the mean is large compared with the spread."""
    axes = _norm_axes(axis, len(_shape(x)), "var", _shape(x))
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) / _dof(_shape(x), axes, ddof)


def _std_vjp(g, ans, x, axes, keepdims, ddof):
    # d std / dx = (x - mean) / ((N - ddof) * std). Where std == 0 (a constant
    # slice) that is 0/0; PyTorch defines the gradient there as 0, and so do we.
    kept = _kept_shape(_shape(x), axes)
    ans, g = reshape(ans, kept), reshape(g, kept)
    zero = _data(ans) == 0
    scale = where(zero, 0.0, g / (_dof(_shape(x), axes, ddof) * where(zero, 1.0, ans)))
    return scale * (x - mean(x, axes, keepdims=True))


_std = primitive("std", lambda x, axes, keepdims, ddof: np.std(x, axis=axes, keepdims=keepdims,
                                                                ddof=ddof),
                 _std_vjp)


def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation, NumPy's two-pass sqrt(mean((x - mean(x))**2))."""
    return _std(x, _norm_axes(axis, len(_shape(x)), "std", _shape(x)), bool(keepdims), ddof)


# ----------------------------------------------------------------------------
# Shape
# ----------------------------------------------------------------------------

def _reshape_forward(x, shape):
    return np.reshape(x, shape)


_reshape = primitive("reshape", _reshape_forward,
                     lambda g, ans, x, shape: reshape(g, _shape(x)))


def reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    shape = _integers(shape, "reshape", "the new shape")
    size, known = np.size(_data(x)), int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or builtins.any(n < -1 for n in shape) or \
            (known != size if -1 not in shape else known == 0 or size % known):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {_shape(x)} ({size} "
                         f"elements) into shape {shape}")
    return _reshape(x, shape)


_transpose = primitive("transpose", lambda x, axes: np.transpose(x, axes),
                       lambda g, ans, x, axes: _transpose(g, tuple(np.argsort(axes))))


def transpose(x, *axes):
    ndim = len(_shape(x))
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    if not axes:
        axes = tuple(range(ndim))[::-1]
    axes = _integers(axes, "transpose", "axes")
    in_range = builtins.all(-ndim <= a < ndim for a in axes)
    if len(axes) != ndim or not in_range or sorted(a % ndim for a in axes) != list(range(ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                         f"{ndim} dimensions of shape {_shape(x)}")
    return _transpose(x, tuple(a % ndim for a in axes))


def swapaxes(x, axis1, axis2):
    ndim = len(_shape(x))
    a1, a2 = (_norm_axes(axis1, ndim, "swapaxes", _shape(x))[0],
              _norm_axes(axis2, ndim, "swapaxes", _shape(x))[0])
    perm = list(range(ndim))
    perm[a1], perm[a2] = perm[a2], perm[a1]
    return _transpose(x, tuple(perm))


def expand_dims(x, axis):
    shape = _shape(x)
    ndim = len(shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    axis = _norm_axes(axis, ndim, "expand_dims")
    it = iter(shape)
    return reshape(x, tuple(1 if i in axis else next(it) for i in range(ndim)))


def squeeze(x, axis=None):
    shape = _shape(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = _norm_axes(axis, len(shape), "squeeze", shape)
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {a} of size {shape[a]} "
                                 f"(tensor shape {shape})")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def _normalize_index(index):
    """Tensors inside an index become arrays; lists become integer arrays."""
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(p, np.ndarray) for p in parts)


def _scatter_add_forward(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(out, index, g)     # repeated indices accumulate
    else:
        out[index] = g
    return out


_getitem = primitive("getitem", lambda x, index: x[index],
                     lambda g, ans, x, index: _scatter_add(g, index, _shape(x)))
_scatter_add = primitive("scatter_add", _scatter_add_forward,
                         lambda g, ans, src, index, shape: _getitem(g, index))


def getitem(x, index):
    return _getitem(x, _normalize_index(index))


def _concatenate_vjp(i, g, ans, *xs, axis):
    start = builtins.sum(_shape(x)[axis] for x in xs[:i])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + _shape(xs[i])[axis])
    return _getitem(g, tuple(index))


_concatenate = primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                         vjp_of_arg=_concatenate_vjp)


def concatenate(seq, axis=0):
    seq = list(seq)
    if not seq:
        raise ValueError("concatenate: need at least one tensor")
    ndim = len(_shape(seq[0]))
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated")
    axis = _norm_axes(axis, ndim, "concatenate", _shape(seq[0]))[0]
    for s in seq[1:]:
        a, b = _shape(seq[0]), _shape(s)
        if len(a) != len(b) or builtins.any(m != n for j, (m, n) in enumerate(zip(a, b)) if j != axis):
            raise ValueError(f"concatenate: shapes {a} and {b} differ outside axis {axis}")
    return _concatenate(*seq, axis=axis)


def stack(seq, axis=0):
    seq = list(seq)
    if not seq:
        raise ValueError("stack: need at least one tensor")
    shapes = {_shape(s) for s in seq}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    axis = _norm_axes(axis, len(_shape(seq[0])) + 1, "stack")[0]
    return concatenate([expand_dims(s, axis) for s in seq], axis)


def _pad_vjp(g, ans, x, pad_width, value):
    return _getitem(g, tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, _shape(x))))


_pad = primitive("pad", lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
                 _pad_vjp)


def pad(x, pad_width, mode="constant", constant_values=0):
    """Pad with a constant (NumPy's pad_width conventions)."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    ndim = len(_shape(x))
    if ndim == 0:
        return reshape(x, ())           # nothing to pad (NumPy returns the 0-d array)
    widths = np.asarray(pad_width)
    if widths.size and widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape "
                         f"{_shape(x)}") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return _pad(x, tuple((int(lo), int(hi)) for lo, hi in widths), constant_values)


# ----------------------------------------------------------------------------
# Linear algebra
# ----------------------------------------------------------------------------

def _matmul_vjp_a(g, ans, a, b):
    a_nd, b_nd = len(_shape(a)), len(_shape(b))
    if b_nd == 1:                      # (..., m, k) @ (k,) -> (..., m)
        return expand_dims(g, -1) * b if a_nd > 1 else g * b
    if a_nd == 1:                      # (k,) @ (..., k, n) -> (..., n)
        return squeeze(matmul(expand_dims(g, -2), swapaxes(b, -1, -2)), -2)
    return matmul(g, swapaxes(b, -1, -2))


def _matmul_vjp_b(g, ans, a, b):
    a_nd, b_nd = len(_shape(a)), len(_shape(b))
    if a_nd == 1:                      # (k,) @ (..., k, n)
        return expand_dims(a, -1) * expand_dims(g, -2) if b_nd > 1 else g * a
    if b_nd == 1:                      # (..., m, k) @ (k,)
        return squeeze(matmul(swapaxes(a, -1, -2), expand_dims(g, -1)), -1)
    return matmul(swapaxes(a, -1, -2), g)


_matmul = primitive("matmul", np.matmul, _matmul_vjp_a, _matmul_vjp_b)


def matmul(a, b):
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{sa} and {sb} (use * to multiply by a scalar)")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: "
                         f"{ka} (last dim of the first) != {kb} "
                         f"({'second-to-last' if len(sb) > 1 else 'only'} dim of the second)")
    if len(sa) > 2 and len(sb) > 2:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {sa} and {sb} "
                             f"do not broadcast") from None
    return _matmul(a, b)


# ----------------------------------------------------------------------------
# Convolution as unfold (im2col) + matmul. unfold and fold are adjoint linear
# maps, so each one's VJP is the other.
# ----------------------------------------------------------------------------

def _unfold_forward(x, kernel, stride):
    """(N, C, H, W) -> (N, C, kh, kw, oh, ow): every kernel-sized window."""
    (kh, kw), (sh, sw) = kernel, stride
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::sh, ::sw]              # (N, C, oh, ow, kh, kw)
    return np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3))


def _fold_forward(cols, shape, kernel, stride):
    """Adjoint of unfold: add each window back where it came from."""
    (kh, kw), (sh, sw) = kernel, stride
    out = np.zeros(shape, dtype=cols.dtype)
    oh, ow = cols.shape[4], cols.shape[5]
    for i in range(kh):            # a loop over kernel offsets, not over pixels
        for j in range(kw):
            out[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += cols[:, :, i, j]
    return out


unfold = primitive("unfold", _unfold_forward,
                   lambda g, ans, x, kernel, stride: fold(g, _shape(x), kernel, stride))
fold = primitive("fold", _fold_forward,
                 lambda g, ans, cols, shape, kernel, stride: unfold(g, kernel, stride))
