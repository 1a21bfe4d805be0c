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
    """Stands for a value whose shape and dtype are kept but not its numbers:
    an output the backward does not read (the walk still needs its shape to
    reduce a broadcast gradient), an input whose shape a formula reads (sum's)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    def _refuse(self, *args, **kwargs):
        raise NotSavedError(f"a backward formula read the values of an input or output "
                            f"that its primitive does not save (only its shape {self.shape} "
                            f"and dtype {self.dtype} are kept): add it to saves=")

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
    outputs   per output, its array if the backward reads it, else NotSaved
              (the shape and dtype the gradient for that output must have)
    ctx       a Function's ctx, which holds what its backward saved (None for
              a primitive)
    seq       creation order: a node's inputs always come from older nodes, so
              newest first is a topological order (autograd.py)
    """

    __slots__ = ("op", "edges", "inputs", "versions", "kwargs", "outputs", "n_outputs", "ctx",
                 "seq", "scope", "released", "hooks", "out_names")

    def __init__(self, op, edges, inputs, versions, kwargs, outputs, ctx=None):
        self.op = op
        self.edges = edges
        self.inputs = inputs
        self.versions = versions
        self.kwargs = kwargs
        self.outputs = outputs
        self.n_outputs = len(outputs)
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
        kept = []
        for value, edge in zip(self.inputs, self.edges):
            if edge is not None:
                value = None                    # drawing finds it from the edge
            elif isinstance(value, np.ndarray) or hasattr(value, "_grad_fn"):   # (a Tensor)
                value = weakref.ref(value)
            kept.append(value)
        self.inputs = kept
        self.outputs = tuple([v if isinstance(v, NotSaved) else NotSaved(v.shape, v.dtype)
                              for v in self.outputs])
        self.versions = ()
        self.ctx = None
        self.released = True


class AccumulateGrad:
    """The node at a leaf: gradients that arrive here are added into leaf.grad."""

    __slots__ = ("variable", "outputs", "edges", "seq", "scope", "__weakref__")
    name = "AccumulateGrad"
    released = False
    hooks = None
    n_outputs = 1

    def __init__(self, variable):
        self.variable = variable
        self.outputs = (variable,)    # the shape and dtype a gradient arriving here must have
        self.edges = ()
        self.seq = next(_sequence)
        self.scope = ()

    def __repr__(self):
        return "<AccumulateGrad>"
