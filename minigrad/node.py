"""The graph node: what an operation leaves behind for the backward walk.

When an operation runs on tensors that require gradients, it records a `Node`
(the result's `grad_fn`): which op ran, the values its backward reads, and an
edge to the node that produced each input. Leaves that require grad get an
`AccumulateGrad` node, as in PyTorch: the end of every backward path, where
gradients are added into `tensor.grad`.

Also here: the switches every operation reads. Grad mode and the module scope
(for drawing) belong to the thread, as in PyTorch; anomaly detection is one
switch for the whole process.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
import weakref

import numpy as np

# ----------------------------------------------------------------------------
# Switches: is the graph being recorded, which module's forward is running,
# is anomaly detection on.
# ----------------------------------------------------------------------------


class _ThreadState(threading.local):
    """Each thread starts recording, outside any module, with its own copy."""

    def __init__(self):
        self.grad_enabled = True
        self.scope = ()               # ((module, attribute name), ...) from the outermost module in
        self.anomaly_paused = False   # inside a Function's forward or a checked backward step


class _Anomaly:
    enabled = False


STATE = _ThreadState()
ANOMALY = _Anomaly()
_sequence = itertools.count()


def anomaly_checks():
    """Should this thread check for nan/inf now (detect_anomaly)?"""
    return ANOMALY.enabled and not STATE.anomaly_paused


@contextlib.contextmanager
def anomaly_paused():
    """Within a step checked as a whole (a Function's forward, a node's VJPs),
    the operations inside do not report on their own."""
    saved = STATE.anomaly_paused
    STATE.anomaly_paused = True
    try:
        yield
    finally:
        STATE.anomaly_paused = saved


# ----------------------------------------------------------------------------
# What a node keeps of an input its backward does not read
# ----------------------------------------------------------------------------


class NotSaved:
    """An input whose shape and dtype its backward reads, but not its numbers
    (saves="x.shape", as sum's): only those are kept."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    def _refuse(self, *args, **kwargs):
        raise NotSavedError(f"a backward formula read the values of an input whose shape "
                            f"{self.shape} alone its primitive saves: declare the input "
                            f"itself in saves=")

    __array__ = __array_ufunc__ = __getitem__ = __neg__ = __float__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = _refuse

    def __repr__(self):
        return f"NotSaved(shape={self.shape}, dtype={self.dtype})"


class NotSavedError(RuntimeError):
    pass


class VersionCounter:
    """How many in-place changes some data has seen (shared by a tensor and its views)."""

    __slots__ = ("count",)

    def __init__(self, count=0):
        self.count = count


# ----------------------------------------------------------------------------
# The nodes
# ----------------------------------------------------------------------------


class Node:
    """One recorded operation: the backward half of an op, waiting for gradients.

    op        the Primitive (or Function) whose backward runs here
    edges     per input: (node that made it, which of its outputs), or None for
              an input that takes no gradient (a constant, an int array, a number)
    inputs    per input, what the backward reads: the array of a tensor the op
              saves, NotSaved(shape, dtype) of one whose shape it saves, None
              for one it does not read; constants and attributes as given
    versions  ((version counter, its count when saved), ...) for the saved
              tensors an in-place operation could change (leaves and their
              views): backward refuses to run on a changed one
    kwargs    keyword attributes (concatenate's axis)
    saved_output  the result's array if the backward reads it ("output"), else None
    out_shapes, out_dtypes   per output: the shape and dtype its gradient must have
    ctx       a Function's ctx, which holds what its backward saved (None for
              a primitive)
    seq       creation order: a node's inputs always come from older nodes, so
              newest first is a topological order (autograd.py)
    """

    __slots__ = ("op", "edges", "inputs", "versions", "kwargs", "saved_output", "out_shapes",
                 "out_dtypes", "n_outputs", "ctx", "seq", "scope", "released", "hooks",
                 "out_names")

    def __init__(self, op, edges, inputs, versions, kwargs, saved_output, out_shapes,
                 out_dtypes, ctx=None):
        self.op = op
        self.edges = edges
        self.inputs = inputs
        self.versions = versions
        self.kwargs = kwargs
        self.saved_output = saved_output
        self.out_shapes = out_shapes
        self.out_dtypes = out_dtypes
        self.n_outputs = len(out_shapes)
        self.ctx = ctx
        self.seq = next(_sequence)
        self.scope = STATE.scope
        self.released = False
        self.hooks = None             # {output_index: [fn, ...]} for non-leaf hooks
        self.out_names = None         # {output_index: name} of named results, for drawing

    @property
    def name(self):
        return self.op.backward_name

    def __repr__(self):
        return f"<{self.name}>"

    def check_versions(self):
        """Refuse to run on a saved tensor that was changed in place since."""
        for counter, count in self.versions:
            if counter.count != count:
                raise RuntimeError(
                    f"backward: a tensor that {self.name} saved for its gradient was modified "
                    f"by an in-place operation (it is at version {counter.count}; {self.name} "
                    f"saved version {count}). Change a copy instead (w = w - 1, not w -= 1), "
                    f"or make the in-place update after backward()")

    def release(self):
        """Drop the saved values once the backward ran. What a drawing reads
        stays: attributes, output shapes, and weak references to constants
        (which show while someone else holds them)."""
        inputs = self.inputs
        for i, edge in enumerate(self.edges):
            if edge is not None:
                inputs[i] = None                # drawing finds it from the edge
            elif isinstance(inputs[i], np.ndarray) or hasattr(inputs[i], "_grad_fn"):  # (Tensor)
                inputs[i] = weakref.ref(inputs[i])
        self.saved_output = None
        self.versions = ()
        self.ctx = None
        self.released = True


class AccumulateGrad:
    """The node at a leaf: gradients that arrive here are added into leaf.grad."""

    __slots__ = ("variable", "edges", "out_shapes", "out_dtypes", "seq", "scope", "__weakref__")
    name = "AccumulateGrad"
    released = False
    hooks = None
    n_outputs = 1

    def __init__(self, variable):
        self.variable = variable
        self.edges = ()
        self.out_shapes = (variable.shape,)       # what a gradient arriving here must have
        self.out_dtypes = (variable.dtype,)
        self.seq = next(_sequence)
        self.scope = ()

    def __repr__(self):
        return "<AccumulateGrad>"
