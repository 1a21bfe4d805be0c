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


def _count_consumers(roots):
    """For every node reachable from roots: how many edges point at it."""
    consumers = {}
    stack = [node for node in roots]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is None:
                continue
            parent = edge[0]
            consumers[parent] = consumers.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return consumers, seen


def _fit(grad, like, node, i):
    """Reduce a gradient to its input's shape and dtype (undo broadcasting)."""
    shape, dtype = like.shape, like.dtype
    if not isinstance(grad, Tensor):
        grad = Tensor._make(np.asarray(grad))
    if grad.shape != shape:
        try:
            grad = ops.sum_to(grad, shape) if len(grad.shape) >= len(shape) else \
                ops.broadcast_to(grad, shape)
        except ValueError:
            raise RuntimeError(f"{node.name} returned a gradient of shape {grad.shape} for its "
                               f"input {i} of shape {shape}") from None
    if grad.dtype != dtype:
        grad = ops.astype(grad, dtype)
    return grad


def _check_anomaly_backward(node, i, grad):
    if grad.dtype.kind == "f" and not np.isfinite(grad.data).all():
        raise RuntimeError(f"detect_anomaly: {node.name} returned nan/inf values in its "
                           f"gradient for input {i}")


def _run(roots, root_grads, retain_graph, create_graph, capture=None):
    """Propagate root_grads backwards from the root edges.

    capture: None to accumulate into leaves (backward()), or a dict
    {(node, index): None} whose entries are filled with the total gradient
    arriving there instead (grad()).
    """
    root_nodes = []
    pending = {}                      # node -> [grad per output] still being summed
    for (node, idx), g in zip(roots, root_grads):
        if node not in pending:
            pending[node] = [None] * node.n_outputs
            root_nodes.append(node)
        slot = pending[node]
        slot[idx] = g if slot[idx] is None else slot[idx] + g
    consumers, visited = _count_consumers(root_nodes)
    ready = [n for n in root_nodes if consumers.get(n, 0) == 0]

    with _GradMode(create_graph):
        while ready:
            node = ready.pop()
            grads = pending.pop(node)
            if node.hooks:
                grads = _call_hooks(node.hooks, grads)
            if capture is not None:
                for idx, g in enumerate(grads):
                    if (node, idx) in capture and g is not None:
                        prev = capture[(node, idx)]
                        capture[(node, idx)] = g if prev is None else prev + g
            if isinstance(node, AccumulateGrad):
                if capture is None:
                    _accumulate(node.variable, grads[0], create_graph)
                continue
            if node.released:
                raise RuntimeError(_RELEASED_MESSAGE.format(name=node.name))
            if all(g is None for g in grads):
                input_grads = [None] * len(node.edges)
            else:
                grads = [g if g is not None else _zeros_like_output(node, k)
                         for k, g in enumerate(grads)]
                input_grads = node.op.input_grads(node, grads)
            for i, edge in enumerate(node.edges):
                if edge is None:
                    continue
                parent, idx = edge
                g = input_grads[i]
                if g is not None:
                    g = _fit(g, node.args[i], node, i)
                    if STATE.anomaly:
                        _check_anomaly_backward(node, i, g)
                    slot = pending.get(parent)
                    if slot is None:
                        slot = pending[parent] = [None] * parent.n_outputs
                    slot[idx] = g if slot[idx] is None else slot[idx] + g
                elif parent not in pending:
                    pending[parent] = [None] * parent.n_outputs
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)

    if not retain_graph:
        for node in visited:
            if not isinstance(node, AccumulateGrad):
                node.release()


def _zeros_like_output(node, k):
    shape, dtype = node.out_meta[k] if node.out_meta else (node.out_data.shape, node.out_data.dtype)
    return Tensor._make(np.zeros(shape, dtype=dtype))


def _call_hooks(hooks, grads):
    grads = list(grads)
    for idx, fns in hooks.items():
        for fn in list(fns):
            if grads[idx] is None:
                break
            new = fn(grads[idx])
            if new is not None:
                grads[idx] = new if isinstance(new, Tensor) else Tensor._make(np.asarray(new))
    return grads


def _accumulate(leaf, g, create_graph):
    if g is None:
        return
    if leaf._hooks:
        for fn in list(leaf._hooks):
            new = fn(g)
            if new is not None:
                g = new if isinstance(new, Tensor) else Tensor._make(np.asarray(new))
    if not create_graph:
        data = g.data
        if not data.flags.writeable or data.base is not None:
            data = data.copy()       # the leaf owns its gradient array
        g = Tensor._make(data)
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
    return g


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
            g = g.detach()
        results.append(g)
    return tuple(results)
