"""The graph node: what an operation leaves behind for the backward walk.

When an operation runs on tensors that require gradients, it records a `Node`
(the result's `grad_fn`): which primitive ran, the values its derivative will
need, and edges to the nodes that produced its inputs. Leaves that require grad
get an `AccumulateGrad` node, as in PyTorch: the end of every backward path,
where gradients are added into `tensor.grad`.

Also here: the switches every operation reads (is the graph being recorded,
is anomaly detection on, which module's forward is running).
"""
from __future__ import annotations

import itertools
import weakref

import numpy as np

# ----------------------------------------------------------------------------
# Global switches: is the graph being recorded, is anomaly detection on,
# which module's forward is running (for drawing layers as clusters).
# ----------------------------------------------------------------------------


class _State:
    def __init__(self):
        # Instance attributes (not class ones): read for every operation, and
        # Python finds those fastest.
        self.grad_enabled = True
        self.anomaly = False
        self.scope = ()          # ((module, attribute name), ...) from the outermost module in


STATE = _State()
_sequence = itertools.count()


class Node:
    """One recorded operation: the backward half of an op, waiting for gradients.

    edges[i] is (parent_node, output_index) for an input that needs a gradient,
    or None for one that does not (a constant, an int array, a Python number).
    """

    # Slots only (no instance dict): a node is made for every operation, and the
    # garbage collector visits each of its fields.
    __slots__ = ("op", "edges", "args", "arrays", "kwargs", "out_data", "n_outputs",
                 "seq", "scope", "released", "_out_meta", "consts", "hooks", "out_names")

    def __init__(self, op, edges, args, kwargs, out_data, n_outputs=1, arrays=None):
        self.op = op                  # the Primitive (or Function) whose vjp we call
        self.edges = edges
        self.args = args              # inputs saved for the backward formula
        self.arrays = arrays          # the same inputs as raw arrays (tensors unwrapped)
        self.kwargs = kwargs
        self.out_data = out_data      # the forward result, for formulas that use it
        self.n_outputs = n_outputs
        # Creation order. A node's inputs always come from older nodes, so going
        # from the newest node to the oldest is a topological order (autograd.py).
        self.seq = next(_sequence)
        self.scope = STATE.scope
        self.released = False
        self._out_meta = None         # see out_meta
        self.hooks = None             # {output_index: [fn, ...]} for non-leaf hooks
        self.out_names = None         # {output_index: name} of named results, for drawing
        self.consts = None            # per input: weakref or value, for drawing (release)

    @property
    def out_meta(self):
        """[(shape, dtype)] per output, kept for drawing once release() dropped
        the outputs (None before). A primitive's one output is kept as a bare
        (shape, dtype) pair: one object less per node."""
        meta = self._out_meta
        return (meta,) if type(meta) is tuple else meta

    @out_meta.setter
    def out_meta(self, value):
        self._out_meta = None if value is None else list(value)

    @property
    def name(self):
        return self.op.backward_name

    def __repr__(self):
        return f"<{self.name}>"

    def release(self):
        """Drop the saved values; the structure stays for drawing."""
        out = self.out_data
        if out is not None:                     # (a Function node has out_meta already)
            self._out_meta = (out.shape, out.dtype)
        if None in self.edges:
            # What a drawing shows of the inputs that take no gradient: attributes
            # (axes, scalars) stay, arrays and tensors only while others hold them.
            # Written over the list of raw inputs, which is not needed any more.
            from minigrad.tensor import Tensor     # (here: tensor.py imports this file)
            consts = self.arrays if self.arrays is not None else list(self.args)
            for i, edge in enumerate(self.edges):
                if edge is not None:
                    consts[i] = None
                elif isinstance(consts[i], (np.ndarray, Tensor)):  # (refer to the tensor)
                    consts[i] = weakref.ref(self.args[i])
            self.consts = consts
        self.args = None
        self.arrays = None
        if "ctx" in self.kwargs:                # a Function's ctx holds its saved tensors;
            self.kwargs = None                  # a primitive's keywords are attributes
        self.out_data = None
        self.released = True


class AccumulateGrad:
    """The node at a leaf: gradients that arrive here are added into leaf.grad."""

    __slots__ = ("variable", "edges", "seq", "scope", "__weakref__")
    name = "AccumulateGrad"
    released = False
    hooks = None
    n_outputs = 1

    def __init__(self, variable):
        self.variable = variable
        self.edges = ()
        self.seq = next(_sequence)
        self.scope = ()

    def __repr__(self):
        return "<AccumulateGrad>"
