"""The tensor: the bottom layer of minigrad.

A `Tensor` wraps a NumPy array. When an operation runs on tensors that require
gradients, the result remembers the `Node` that made it (its `grad_fn`, see
node.py); `backward()` later walks these nodes in reverse (see autograd.py).
"""
from __future__ import annotations

import copy
import weakref

import numpy as np

from minigrad.node import STATE, AccumulateGrad, VersionCounter
from minigrad.inplace import InPlaceMethods
from minigrad.tensor_methods import TensorMethods

# ----------------------------------------------------------------------------
# Dtype rules
# ----------------------------------------------------------------------------

def _as_array(data, dtype, where):
    """Turn user data into an ndarray following minigrad's dtype rules."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{where}: {dtype!r} is not a NumPy dtype") from None
    if isinstance(data, np.ndarray) or np.isscalar(data) and isinstance(data, np.generic):
        arr = np.array(data, dtype=dtype)
    else:
        # Python numbers and lists as NumPy and PyTorch read them: ints int64,
        # floats float64, bools bool.
        try:
            arr = np.array(data, dtype=dtype)
        except (ValueError, TypeError) as e:
            if isinstance(data, (list, tuple)) and "inhomogeneous" in str(e):
                raise TypeError(f"{where}: the nested list is ragged (rows of different "
                                f"lengths), so it is not an array: {_short(data)}") from None
            raise TypeError(f"{where}: cannot make a tensor from {type(data).__name__}: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: unsupported dtype {arr.dtype}; minigrad tensors hold "
                        f"booleans, integers or floats")
    return arr


def _short(value):
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


# ----------------------------------------------------------------------------
# Tensor
# ----------------------------------------------------------------------------

class Tensor(InPlaceMethods, TensorMethods):
    """An n-dimensional array that remembers how it was computed.

    Tensor(data, requires_grad=False, dtype=None, name=None)

    `data` is a scalar, a nested list or an ndarray (copied). Dtypes as in NumPy
    and PyTorch: Python ints give int64, floats float64, bools bool; an ndarray
    keeps its dtype. Only floating-point tensors can require gradients.
    """

    # data and the graph link are slots; the other attributes keep their class
    # defaults until set (most tensors are intermediate results that never set them).
    __slots__ = ("data", "_grad_fn", "_requires_grad", "__dict__", "__weakref__")
    _grad = None
    _name = None
    _output_nr = 0          # which output of _grad_fn this tensor is
    _hooks = None           # leaf hooks (a non-leaf's hooks live on its node)
    _accumulator = None     # weakref to the leaf's AccumulateGrad node
    _retains_grad = False
    _version_counter = None  # made when first needed: see _version
    # In-place operators and NumPy's ufuncs meeting a Tensor: inplace.py.

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _as_array(data, dtype, "Tensor")
        self._requires_grad = False
        self._grad_fn = None
        if name is not None:
            self.name = name
        if requires_grad is not False:
            self.requires_grad = requires_grad      # (the setter checks it is a bool)

    @classmethod
    def _make(cls, data, grad_fn=None, output_nr=0):
        """The tensor an operation returns: `data` (an ndarray, not copied, no
        checks) whose gradient goes to output `output_nr` of the node grad_fn
        (None: the result needs no gradient)."""
        t = object.__new__(cls)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t._grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        if output_nr:
            t._output_nr = output_nr
        return t

    @property
    def name(self):
        """A label for printing and drawing (None unless given)."""
        return self._name

    @name.setter
    def name(self, value):
        self._name = value
        node = self._grad_fn
        if node is not None:
            # Kept on the node too: a drawing made after backward(), which releases
            # the node's saved inputs, can still say what this result was called.
            if node.out_names is None:
                node.out_names = {}
            node.out_names[self._output_nr] = value

    # -- autograd attributes --------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, (bool, np.bool_)):     # "no" would count as True
            raise TypeError(f"requires_grad must be True or False, got "
                            f"{type(value).__name__} {value!r}")
        value = bool(value)
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError("requires_grad: you can only change requires_grad of leaf "
                                   "tensors; use .detach() to get a tensor without history")
            return
        if value and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating-point tensors can require gradients, "
                            f"got dtype {self.data.dtype}; use floats (mg.tensor([1.0, 2.0]), "
                            f"not [1, 2]) or convert with .double()")
        self._requires_grad = value

    @property
    def grad(self):
        """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned gradient must be a Tensor or None, got "
                                f"{type(value).__name__}")
            if value.data.shape != self.data.shape or value.data.dtype != self.data.dtype:
                raise ValueError(f"grad: assigned gradient has shape {value.shape} and dtype "
                                 f"{value.dtype}, but the tensor has shape {self.shape} and "
                                 f"dtype {self.dtype}")
        self._grad = value

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    # -- versions: how many in-place changes this tensor's data has seen -------
    @property
    def _version(self):
        """How many in-place changes this tensor's data has seen. A node that
        saved the tensor for its backward notes the count (node.check_versions)."""
        counter = self._version_counter
        return 0 if counter is None else counter.count

    def _counter(self):
        """The version counter, made on first use (most tensors never need one)."""
        if self._version_counter is None:
            self._version_counter = VersionCounter()
        return self._version_counter

    def _share_version_with(self, tensors):
        """This tensor's data is a view into one of `tensors`: an in-place change
        of either one is a change of both, so they count versions together."""
        for t in tensors:
            if isinstance(t, Tensor) and np.may_share_memory(self.data, t.data):
                self._version_counter = t._counter()
                return

    def _edge(self):
        """Where gradients for this tensor go: (node, output index), or None."""
        if self._grad_fn is not None:
            return (self._grad_fn, self._output_nr)
        if not self._requires_grad:
            return None
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accumulator = weakref.ref(acc)
        return (acc, 0)

    def detach(self):
        """A tensor sharing this data (and its version count), cut from the graph."""
        twin = Tensor._make(self.data)
        twin._share_version_with([self])
        return twin

    def __deepcopy__(self, memo):
        """A copy of a leaf: its data, requires_grad, name and grad. A result in
        the middle of a graph has no copy of its own (PyTorch refuses it too)."""
        if self._grad_fn is not None:
            raise RuntimeError("deepcopy: only leaf tensors (created by the user, not by an "
                               "operation) can be deep-copied; use .detach() first")
        twin = object.__new__(type(self))           # a Parameter stays a Parameter
        memo[id(self)] = twin
        twin.data = self.data.copy()
        twin._grad_fn = None
        twin._requires_grad = self._requires_grad
        for key, value in self.__dict__.items():
            if key == "_grad" and value is not None:
                twin._grad = Tensor._make(value.data.copy())
            elif key not in ("_accumulator", "_hooks"):   # graph bookkeeping stays behind
                setattr(twin, key, copy.deepcopy(value, memo))
        return twin

    def __copy__(self):
        """copy.copy: a tensor sharing this one's data. A leaf's copy keeps its
        requires_grad, name and grad; a result's copy is cut from the graph (as
        in PyTorch), since a node has one output tensor per output."""
        twin = object.__new__(type(self))
        twin.data = self.data
        twin._grad_fn = None
        twin._requires_grad = self._requires_grad and self._grad_fn is None
        if self._grad_fn is None:
            for key, value in self.__dict__.items():
                if key not in ("_accumulator", "_hooks"):   # graph bookkeeping stays behind
                    setattr(twin, key, value)
        return twin

    def __getstate__(self):
        """What pickle keeps of a leaf: data, requires_grad, name and grad; hooks
        and graph links stay behind. A result inside a graph is refused, as in
        PyTorch: its graph cannot travel with it."""
        if self._grad_fn is not None:
            raise RuntimeError("pickle: only leaf tensors (created by the user, not by an "
                               "operation) can be pickled; use .detach() first")
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("_accumulator", "_hooks")}
        if self._grad is not None:
            state["_grad"] = Tensor._make(self._grad.data)     # without its own graph
        state["data"], state["_requires_grad"] = self.data, self._requires_grad
        return state

    def __setstate__(self, state):
        self._grad_fn = None
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def register_hook(self, fn):
        """Call fn(grad) when this tensor's gradient is computed; a non-None
        return value replaces the gradient. Returns a handle with .remove()."""
        if not callable(fn):            # refused now, not in the middle of the next backward
            raise TypeError(f"register_hook: the hook must be a function of the gradient, got "
                            f"{type(fn).__name__} {fn!r}")
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "does not require grad")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self._grad_fn
            if node.hooks is None:
                node.hooks = {}
            hooks = node.hooks.setdefault(self._output_nr, [])
        if hooks and getattr(hooks[-1], "stores_grad", False):
            hooks.insert(-1, fn)      # retain_grad stores what the other hooks made (PyTorch)
        else:
            hooks.append(fn)
        return _HookHandle(hooks, fn)

    def retain_grad(self):
        """Keep .grad on a non-leaf tensor after backward (leaves always keep it)."""
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def store(g):
            t = ref()
            if t is not None:
                g = g if STATE.grad_enabled else Tensor._make(g.data.copy())
                t.grad = g if t.grad is None else t.grad + g
        store.stores_grad = True
        store.tensor = ref            # a drawing made after backward() finds the tensor here
        self.register_hook(store)

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad and add it
        into leaf.grad. A non-scalar tensor needs `gradient` (dL/dself)."""
        from minigrad.autograd import backward
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    # -- array attributes -----------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def numpy(self):
        """The underlying array (no copy). Changing it changes the tensor."""
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, "
                             f"got shape {self.shape}")
        return self.data.item()

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             f"use .any() or .all() on .data")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __format__(self, spec):
        """f"{loss:.4f}" formats a one-element tensor's number, as in PyTorch."""
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(f"format: only a one-element tensor takes a format spec like "
                            f"{spec!r}, got shape {self.shape}")
        return format(self.data.item(), spec)

    def __int__(self):
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        """NumPy's view of the tensor: np.asarray(t) shares the data, np.array(t)
        copies it (as for an ndarray)."""
        data = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and data is not self.data:
            raise ValueError(f"Tensor: converting dtype {self.dtype} to {np.dtype(dtype)} needs "
                             f"a copy, but copy=False was asked for")
        return data.copy() if copy and data is self.data else data

    __hash__ = object.__hash__

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self._grad_fn is not None:
            extras.append(f"grad_fn=<{self._grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- operators (the derivatives live in ops/; methods such as sum in tensor_methods.py)
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __pow__(self, other): return _ops.power(self, other)
    def __rpow__(self, other): return _ops.power(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __getitem__(self, index): return _ops.getitem(self, index)

    def __lt__(self, other): return _ops.compare(np.less, self, other)
    def __le__(self, other): return _ops.compare(np.less_equal, self, other)
    def __gt__(self, other): return _ops.compare(np.greater, self, other)
    def __ge__(self, other): return _ops.compare(np.greater_equal, self, other)
    def __eq__(self, other): return _ops.compare(np.equal, self, other)
    def __ne__(self, other): return _ops.compare(np.not_equal, self, other)


class _HookHandle:
    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def tensor(data, requires_grad=False, dtype=None, name=None):
    """Same as Tensor(...)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


# The operators above call into the derivative table; imported last because
# ops.py builds on Tensor.
from minigrad import ops as _ops  # noqa: E402
