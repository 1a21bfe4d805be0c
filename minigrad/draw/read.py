"""Reading a recorded graph for drawing: which nodes and leaves it holds, what
each node's inputs and outputs were (also after backward() released them), and
how a node's forward names its arguments. Nothing here writes DOT."""
from __future__ import annotations

import functools
import inspect
import weakref
from collections import deque

import numpy as np

from minigrad.node import AccumulateGrad, NotSaved
from minigrad.tensor import Tensor

def walk(root_nodes):
    """The operation nodes reachable from root_nodes, nearest first, and the leaf tensors."""
    ops, leaves, seen = [], [], set(root_nodes)
    queue = deque(root_nodes)
    while queue:
        node = queue.popleft()
        if isinstance(node, AccumulateGrad):
            leaves.append(node.variable)
            continue
        ops.append(node)
        for edge in node.edges:
            if edge is not None and edge[0] not in seen:
                seen.add(edge[0])
                queue.append(edge[0])
    return ops, leaves


def node_input(node, i):
    """(value, known) of input i of node: a tensor the node saved, a constant
    (after backward() only while someone else holds it), an attribute; not
    known when the node keeps only the input's shape."""
    v = node.inputs[i] if i < len(node.inputs) else None
    if isinstance(v, weakref.ref):
        v = v()
    if isinstance(v, NotSaved) or node.edges[i] is not None and isinstance(v, np.ndarray):
        return None, False                   # (a saved array: drawing wants the tensor)
    return v, v is not None


def retained(node, k):
    """The tensor behind output k of node if retain_grad() was called on it (and it lives)."""
    for hook in (node.hooks or {}).get(k, ()):
        ref = getattr(hook, "tensor", None)
        if ref is not None and ref() is not None:
            return ref()
    return None


def out_meta(node, k):
    """(shape, dtype, array or None) of a node's k-th output."""
    array = node.saved_output if node.n_outputs == 1 else None
    return node.out_shapes[k], node.out_dtypes[k], array


def arg_name(op, i, fallback):
    """The name of positional argument i of an op's forward."""
    names = parameter_names(op.cls.forward if hasattr(op, "cls") else op.forward)
    return names[i] if i < len(names) else fallback


@functools.cache
def parameter_names(fn):
    """The names of fn's positional parameters, up to a *args (whose inputs have none)."""
    if isinstance(fn, np.ufunc):       # a ufunc's x1, x2 say nothing
        return ()
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return ()
    names = []
    for p in parameters:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        if p.name != "ctx":
            names.append(p.name)
    return tuple(names)


def is_box(v):
    """Tensors and arrays of several numbers get a box; scalars go into the op's label."""
    return isinstance(v, Tensor) or isinstance(v, np.ndarray) and v.size > 1


def frame_label(frame):
    """A scope frame (module, attribute name) as its cluster's label: "BatchNorm2d (bn1)"."""
    module, name = frame
    return f"{type(module).__name__} ({name})" if name else type(module).__name__
