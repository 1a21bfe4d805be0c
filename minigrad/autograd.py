"""The backward walk: reverse-mode differentiation over the recorded graph.

    backward(root)  ->  1. find every node reachable from root and count, for each,
                           how many edges lead into it (its consumers);
                        2. start from root with gradient 1 and process a node once
                           all its consumers have sent their gradient (Kahn's
                           topological order, an explicit stack: no recursion,
                           so a chain of 100,000 ops is fine);
                        3. at a node, ask its op for the input gradients (the VJPs
                           of ops.py), reduce each to its input's shape and dtype,
                           and pass it along the edge;
                        4. at a leaf (AccumulateGrad), add it into leaf.grad.

Afterwards the values saved for backward are released unless retain_graph.
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np

from minigrad import ops
from minigrad.tensor import STATE, AccumulateGrad, Tensor

# ----------------------------------------------------------------------------
# Grad mode and anomaly mode
# ----------------------------------------------------------------------------


class _GradMode(contextlib.ContextDecorator):
    """Switch graph recording on or off inside a `with` block or a decorated function."""

    def __init__(self, enabled):
        self.enabled = enabled
        self._saved = []

    def __enter__(self):
        self._saved.append(STATE.grad_enabled)
        STATE.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self._saved.pop()
        return False


def no_grad():
    """Operations inside do not record a graph (for evaluation and updates)."""
    return _GradMode(False)


def enable_grad():
    """Turn recording back on inside a no_grad region."""
    return _GradMode(True)


def is_grad_enabled():
    return STATE.grad_enabled


@contextlib.contextmanager
def detect_anomaly():
    """Raise at the first operation whose forward or backward makes a NaN or inf."""
    saved = STATE.anomaly
    STATE.anomaly = True
    try:
        yield
    finally:
        STATE.anomaly = saved


# ----------------------------------------------------------------------------
# The walk
# ----------------------------------------------------------------------------

_RELEASED_MESSAGE = (
    "backward: trying to backward through the graph a second time ({name} has "
    "already released its saved values). backward() frees them to save memory; "
    "pass retain_graph=True to the first backward() if you need to go through "
    "the graph again.")


def _count_consumers(roots, keep=None):
    """For every node reachable from roots (through nodes in `keep`, if given):
    how many edges point at it. Also returns the set of nodes reached."""
    consumers = {}
    stack = [node for node in roots]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is None or keep is not None and edge[0] not in keep:
                continue
            parent = edge[0]
            consumers[parent] = consumers.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return consumers, seen


def _leading_to(roots, targets):
    """The nodes on some path from a root to a target. grad() runs only these:
    the graph above a non-leaf input is left alone (and keeps its saved values)."""
    consumers_of = {}
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is None:
                continue
            consumers_of.setdefault(edge[0], []).append(node)
            if edge[0] not in seen:
                seen.add(edge[0])
                stack.append(edge[0])
    keep = {t for t in targets if t in seen}
    stack = list(keep)
    while stack:
        for node in consumers_of.get(stack.pop(), ()):
            if node not in keep:
                keep.add(node)
                stack.append(node)
    return keep


def _fit(grad, like, node, i, create_graph):
    """Reduce a gradient to its input's shape and dtype (undo broadcasting).

    Inside the walk a gradient is a Tensor when create_graph (it will be
    differentiated again) and a plain ndarray otherwise.
    """
    if isinstance(grad, Tensor):
        pass
    elif type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    shape, dtype = like.shape, like.dtype
    if grad.shape != shape:
        try:
            grad = ops.sum_to(grad, shape) if len(grad.shape) >= len(shape) else \
                ops.broadcast_to(grad, shape)
        except ValueError:
            raise RuntimeError(f"{node.name} returned a gradient of shape {grad.shape} for its "
                               f"input {i} of shape {shape}") from None
    if grad.dtype != dtype:
        grad = ops.astype(grad, dtype)
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor._make(grad)
    return grad.data if isinstance(grad, Tensor) else grad


def _input_grads(node, grads, create_graph):
    """Ask the node's op for its input gradients; under detect_anomaly, check them."""
    if not STATE.anomaly:
        return node.op.input_grads(node, grads, create_graph)
    STATE.anomaly = False       # report the backward node below, not the ops inside its VJPs
    try:
        input_grads = node.op.input_grads(node, grads, create_graph)
    finally:
        STATE.anomaly = True
    for i, g in enumerate(input_grads):
        data = g.data if isinstance(g, Tensor) else g
        if data is not None and not np.isfinite(data).all():
            raise RuntimeError(f"detect_anomaly: {node.name} returned nan/inf values in its "
                               f"gradient for input {i} (shape {np.shape(data)})")
    return input_grads


def _run(roots, root_grads, retain_graph, create_graph, capture=None):
    """Propagate root_grads backwards from the root edges.

    capture: None to accumulate into leaves (backward()), or a dict
    {(node, index): None} whose entries are filled with the total gradient
    arriving there instead (grad()).
    """
    root_nodes = []
    pending = {}                      # node -> [grad per output] still being summed
    for (node, idx), g in zip(roots, root_grads):
        g = g if create_graph else g.data
        if node not in pending:
            pending[node] = [None] * node.n_outputs
            root_nodes.append(node)
        slot = pending[node]
        slot[idx] = g if slot[idx] is None else slot[idx] + g
    keep = None
    if capture is not None:
        keep = _leading_to(root_nodes, {node for node, _ in capture})
        root_nodes = [n for n in root_nodes if n in keep]
    consumers, _ = _count_consumers(root_nodes, keep)
    ready = [n for n in root_nodes if consumers.get(n, 0) == 0]
    executed = []

    with _GradMode(create_graph):
        while ready:
            node = ready.pop()
            grads = pending.pop(node)
            if node.hooks:
                grads = _call_hooks(node.hooks, grads, create_graph)
            if isinstance(node, AccumulateGrad):
                if node.variable._hooks:
                    grads = _call_hooks({0: node.variable._hooks}, grads, create_graph)
                if capture is None:
                    _accumulate(node.variable, grads[0], create_graph)
            if capture is not None:
                _capture(capture, node, grads)
            if isinstance(node, AccumulateGrad):
                continue
            edges = node.edges
            if keep is not None:
                edges = [e if e is not None and e[0] in keep else None for e in edges]
                if edges.count(None) == len(edges):
                    continue          # a non-leaf input of grad(): nothing above it is needed
            if node.released:
                raise RuntimeError(_RELEASED_MESSAGE.format(name=node.name))
            if all(g is None for g in grads):
                input_grads = [None] * len(edges)
            else:
                grads = [g if g is not None else _zeros_like_output(node, k, create_graph)
                         for k, g in enumerate(grads)]
                input_grads = _input_grads(node, grads, create_graph)
            executed.append(node)
            for i, edge in enumerate(edges):
                if edge is None:
                    continue
                parent, idx = edge
                g = input_grads[i]
                slot = pending.get(parent)
                if slot is None:
                    slot = pending[parent] = [None] * parent.n_outputs
                if g is not None:
                    g = _fit(g, node.args[i], node, i, create_graph)
                    slot[idx] = g if slot[idx] is None else slot[idx] + g
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)

    if not retain_graph:
        for node in executed:
            node.release()


def _zeros_like_output(node, k, create_graph):
    shape, dtype = node.out_meta[k] if node.out_meta else (node.out_data.shape, node.out_data.dtype)
    zeros = np.zeros(shape, dtype=dtype)
    return Tensor._make(zeros) if create_graph else zeros


def _call_hooks(hooks, grads, create_graph):
    """Run tensor hooks; each sees a Tensor and may return a replacement."""
    grads = list(grads)
    for idx, fns in hooks.items():
        for fn in list(fns):
            if grads[idx] is None:
                break
            g = grads[idx] if create_graph else Tensor._make(grads[idx])
            new = fn(g)
            if new is not None:
                if not isinstance(new, Tensor):
                    new = Tensor._make(np.asarray(new))
                if new.shape != g.shape:
                    raise RuntimeError(f"hook {getattr(fn, '__name__', fn)!r} returned a gradient "
                                       f"of shape {new.shape}, expected {g.shape}")
                grads[idx] = new if create_graph else new.data
    return grads


def _capture(capture, node, grads):
    for idx, g in enumerate(grads):
        if g is not None and (node, idx) in capture:
            prev = capture[(node, idx)]
            capture[(node, idx)] = g if prev is None else prev + g


def _accumulate(leaf, g, create_graph):
    """leaf.grad += g. The leaf owns its gradient: without create_graph it gets
    a fresh array, never one shared with another leaf or with the caller."""
    if g is None:
        return
    if not create_graph:
        g = Tensor._make(np.array(g, dtype=leaf.dtype))
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def _root_gradient(out, gradient, where):
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(f"{where}: grad can be created implicitly only for a tensor with "
                               f"one element, got shape {out.shape}; pass gradient= (dL/d output) "
                               f"of the same shape")
        return Tensor._make(np.ones(out.shape, dtype=out.dtype))
    g = gradient if isinstance(gradient, Tensor) else Tensor._make(np.asarray(gradient, dtype=out.dtype))
    if g.shape != out.shape:
        raise ValueError(f"{where}: gradient has shape {g.shape} but the output has shape {out.shape}")
    return g if g.dtype == out.dtype else ops.astype(g, out.dtype)


def backward(tensor, gradient=None, retain_graph=None, create_graph=False):
    """Add d tensor / d leaf into leaf.grad for every leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError("backward: this tensor does not require grad and has no grad_fn; "
                           "did you forget requires_grad=True on an input, or run it under "
                           "no_grad()?")
    if retain_graph is None:
        retain_graph = create_graph
    g = _root_gradient(tensor, gradient, "backward")
    _run([tensor._edge()], [g], retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of outputs with respect to inputs, returned (not accumulated).

    outputs and inputs are tensors or sequences of tensors; grad_outputs holds
    dL/d output for non-scalar outputs. With create_graph=True the results
    carry a graph of their own, so they can be differentiated again.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {k} does not require grad")
    roots, root_grads = [], []
    for k, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"grad: output {k} does not require grad and has no grad_fn")
        roots.append(out._edge())
        root_grads.append(_root_gradient(out, g, "grad"))
    if retain_graph is None:
        retain_graph = create_graph
    capture = {t._edge(): None for t in inputs}
    _run(roots, root_grads, retain_graph, create_graph, capture)
    results = []
    for k, t in enumerate(inputs):
        g = capture[t._edge()]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {k} (shape {t.shape}) was not used to compute the "
                               f"outputs; pass allow_unused=True to get None for it")
        if g is not None and not create_graph:
            g = Tensor._make(np.array(g))     # a fresh array, shared with nothing
        results.append(g)
    return tuple(results)
