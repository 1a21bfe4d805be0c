"""The backward walk: reverse-mode differentiation over the recorded graph.

    backward(root)  ->  1. start from root's node with gradient 1 (or `gradient`);
                        2. repeatedly take the newest node that has received a
                           gradient. Every node is numbered when it is created,
                           and an op's inputs always exist before the op, so
                           newest-first means all of a node's consumers have
                           already sent their share: a topological order, kept
                           in a heap, with no recursion (a chain of 100,000 ops
                           is fine) and each node handled once however many
                           paths lead to it;
                        3. at a node, ask its op for the input gradients (the VJPs
                           of ops.py), reduce each to its input's shape and dtype,
                           and add it into what the input's node has pending;
                        4. at a leaf (AccumulateGrad), add it into leaf.grad.

A node releases its saved values right after its VJPs ran, unless retain_graph.
"""
from __future__ import annotations

import contextlib
from heapq import heappop, heappush

import numpy as np

from minigrad import ops
from minigrad.node import ANOMALY, STATE, AccumulateGrad, NotSavedError, anomaly_paused
from minigrad.ops.shape import sum_to_shape
from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------
# Grad mode (per thread) and anomaly mode (for the whole process)
# ----------------------------------------------------------------------------


class _GradMode(contextlib.ContextDecorator):
    """Switch graph recording on or off inside a `with` block or a decorated
    function, in the calling thread only."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.saved = None

    def _recreate_cm(self):
        return type(self)(self.enabled)      # each call of a decorated function saves its own mode

    def __enter__(self):
        self.saved = STATE.grad_enabled
        STATE.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self.saved
        return False


def no_grad(fn=None):
    """Operations inside do not record a graph (for evaluation and updates).
    Use `with no_grad():`, `@no_grad()` or `@no_grad`."""
    return _GradMode(False) if fn is None else _GradMode(False)(fn)


def enable_grad(fn=None):
    """Turn recording back on inside a no_grad region (same three forms)."""
    return _GradMode(True) if fn is None else _GradMode(True)(fn)


class set_grad_enabled(_GradMode):
    """Recording on or off, as PyTorch: `set_grad_enabled(False)` switches at
    once (for this thread); `with set_grad_enabled(mode):` switches back at the
    end of the block; `@set_grad_enabled(mode)` switches for each call."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        super().__init__(mode)
        self.saved = STATE.grad_enabled
        STATE.grad_enabled = mode

    def __enter__(self):
        return self                              # switched already, in __init__

    def __call__(self, fn):
        STATE.grad_enabled = self.saved          # a decorator switches when fn runs, not now
        return _GradMode(self.enabled)(fn)


def is_grad_enabled():
    return STATE.grad_enabled


@contextlib.contextmanager
def detect_anomaly():
    """Raise at the first operation whose forward or backward makes a NaN or inf
    (in every thread, as PyTorch's anomaly mode)."""
    saved = ANOMALY.enabled
    ANOMALY.enabled = True
    try:
        yield
    finally:
        ANOMALY.enabled = saved


# ----------------------------------------------------------------------------
# The walk
# ----------------------------------------------------------------------------

_RELEASED_MESSAGE = (
    "backward: trying to backward through the graph a second time ({name} has "
    "already released its saved values). backward() frees them to save memory; "
    "pass retain_graph=True to the first backward() if you need to go through "
    "the graph again.")


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


class _Walk:
    """One backward pass: the gradients waiting at each node, summed as they
    arrive, and the nodes still to visit, newest first.

    Inside the walk a gradient is a Tensor when create_graph (it will be
    differentiated again) and a plain ndarray otherwise.
    capture: None to accumulate into leaves (backward()), or a dict
    {(node, index): None} whose entries receive the total gradient arriving
    there instead (grad()).
    """

    __slots__ = ("retain_graph", "create_graph", "grad_type", "capture", "keep", "pending", "heap")

    def __init__(self, retain_graph, create_graph, capture=None):
        self.retain_graph = retain_graph
        self.create_graph = create_graph
        self.grad_type = Tensor if create_graph else np.ndarray
        self.capture = capture
        self.keep = None          # grad(): the nodes between the roots and the inputs
        self.pending = {}         # node -> [gradient per output]
        self.heap = []            # (-seq, node) for every node in pending

    def run(self, roots, root_grads):
        for (node, idx), g in zip(roots, root_grads):
            self.send(node, idx, g if self.create_graph else g.data)
        if self.capture is not None:
            self.keep = _leading_to(self.pending, {node for node, _ in self.capture})
        with _GradMode(self.create_graph):
            while self.heap:
                node = heappop(self.heap)[1]
                self.visit(node, self.pending.pop(node))

    def send(self, node, idx, g):
        """Add g to what output idx of node has pending (g None: nothing, but
        the node is still visited)."""
        slot = self.pending.get(node)
        if slot is None:
            slot = self.pending[node] = [None] * node.n_outputs
            heappush(self.heap, (-node.seq, node))
        if g is not None:
            slot[idx] = g if slot[idx] is None else slot[idx] + g

    def visit(self, node, grads):
        """What happens at one node: hooks, then a leaf's gradient is stored, or
        the node's VJPs run and their results go on to its inputs' nodes."""
        if node.hooks:
            grads = _call_hooks(node.hooks, grads, self.create_graph)
        if type(node) is AccumulateGrad:
            if node.variable._hooks:
                grads = _call_hooks({0: node.variable._hooks}, grads, self.create_graph)
            if self.capture is None:
                _accumulate(node.variable, grads[0], self.create_graph)
            else:
                _capture(self.capture, node, grads)
            return
        edges = node.edges
        if self.capture is not None:
            _capture(self.capture, node, grads)
            edges = [e if e is not None and e[0] in self.keep else None for e in edges]
            if not any(edges):
                return            # a non-leaf input of grad(): nothing above it is needed
        if node.released:
            raise RuntimeError(_RELEASED_MESSAGE.format(name=node.name))
        if node.n_outputs > 1:
            grads = _fill_missing(node, grads, self.create_graph)
        if grads is None or grads[0] is None:
            input_grads = [None] * len(edges)          # no gradient reached this node
        else:
            input_grads = _input_grads(node, grads, self.create_graph)
        if not self.retain_graph:
            node.release()        # its saved values are read: free them before the sums below
        for i, edge in enumerate(edges):
            if edge is not None:
                g = input_grads[i]
                parent, k = edge
                shape, dtype = parent.out_shapes[k], parent.out_dtypes[k]     # input i's
                if g is not None and (type(g) is not self.grad_type or g.shape != shape
                                      or g.dtype != dtype):
                    g = _fit(g, shape, dtype, node, i, self.create_graph)
                self.send(parent, k, g)


def _input_grads(node, grads, create_graph):
    """The gradient for each input of node, given those of its outputs.

    Here the engine decides how the formulas run. With create_graph they run on
    tensors and record a graph of their own (higher derivatives). Otherwise
    nobody will differentiate the result, so the very same formulas run on the
    saved arrays: NumPy evaluates them without building tensors (on tensors, an
    operation of benchmarks/overhead.py costs about 1.5 times as much).
    """
    if node.versions:
        node.check_versions()
    inputs, ans = node.inputs, node.saved_output
    if create_graph:
        inputs = [_in_graph(value, edge) for value, edge in zip(inputs, node.edges)]
        ans = _in_graph(ans, (node, 0))
    try:
        if ANOMALY.enabled:
            return _checked(node, grads, ans, inputs)
        return node.op.backward(node, grads, ans, inputs)
    except NotSavedError as e:
        raise RuntimeError(f"{node.name}: {e}") from None


def _in_graph(value, edge):
    """A saved array as the tensor it was in the graph (edge: where its gradient goes)."""
    if edge is None or not isinstance(value, np.ndarray):
        return value                             # a constant, an attribute, not saved
    node, k = edge
    if type(node) is AccumulateGrad:
        return node.variable                     # the leaf itself
    return Tensor._make(value, node, k)


def _checked(node, grads, ans, inputs):
    """The node's input gradients, checked for nan/inf (detect_anomaly)."""
    with anomaly_paused():     # report the backward node below, not the ops inside its VJPs
        input_grads = node.op.backward(node, grads, ans, inputs)
    for i, g in enumerate(input_grads):
        data = g.data if isinstance(g, Tensor) else g
        if data is not None and not np.isfinite(data).all():
            raise RuntimeError(f"detect_anomaly: {node.name} returned nan/inf values in its "
                               f"gradient for input {i} (shape {np.shape(data)})")
    return input_grads


def _fit(grad, shape, dtype, node, i, create_graph):
    """Reduce a gradient to its input's shape and dtype (undo broadcasting).
    With create_graph it is a Tensor and the reduction is recorded (it may be
    differentiated again); otherwise it is an ndarray and NumPy reduces it."""
    if create_graph:
        grad = grad if isinstance(grad, Tensor) else Tensor._make(np.asarray(grad))
    else:                                 # (np.asarray: NumPy gives scalars for 0-d results)
        grad = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
    if grad.shape != shape:
        # Only a broadcast (larger) gradient is reduced; a smaller one is a mistake
        # in a backward formula, not something to spread over the input.
        try:
            if grad.ndim < len(shape):
                raise ValueError
            grad = ops.sum_to(grad, shape) if create_graph else sum_to_shape(grad, shape)
        except ValueError:
            raise RuntimeError(f"{node.name} returned a gradient of shape {grad.shape} for its "
                               f"input {i} of shape {shape}") from None
    if grad.dtype != dtype:
        grad = ops.astype(grad, dtype) if create_graph else grad.astype(dtype)
    return grad


def _fill_missing(node, grads, create_graph):
    """A multi-output node whose outputs were not all used: zeros for the unused
    ones (their VJPs expect one gradient per output); None if none was used."""
    if all(g is None for g in grads):
        return None
    filled = []
    for shape, dtype, g in zip(node.out_shapes, node.out_dtypes, grads):
        if g is None:
            g = np.zeros(shape, dtype=dtype)
            g = Tensor._make(g) if create_graph else g
        filled.append(g)
    return filled


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
                if new.dtype != g.dtype:        # a gradient keeps its tensor's dtype
                    new = ops.astype(new, g.dtype)
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
    if isinstance(gradient, Tensor):
        g = gradient
    else:
        try:
            g = Tensor._make(np.asarray(gradient, dtype=out.dtype))
        except (TypeError, ValueError):
            raise TypeError(f"{where}: gradient must be a Tensor, an array or a number, got "
                            f"{type(gradient).__name__}") from None
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
    _Walk(retain_graph, create_graph).run([tensor._edge()], [g])


def _tensors(value, what):
    """A tensor or a sequence of tensors -> a list of tensors."""
    try:
        items = [value] if isinstance(value, Tensor) else list(value)
    except TypeError:
        items = [value]
    for item in items:
        if not isinstance(item, Tensor):
            raise TypeError(f"grad: {what} must be a Tensor or a sequence of Tensors, got "
                            f"{type(item).__name__}")
    return items


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of outputs with respect to inputs, returned (not accumulated).

    outputs and inputs are tensors or sequences of tensors; grad_outputs holds
    dL/d output for non-scalar outputs. With create_graph=True the results
    carry a graph of their own, so they can be differentiated again.
    """
    outputs = _tensors(outputs, "outputs")
    inputs = _tensors(inputs, "inputs")
    if not inputs:
        raise RuntimeError("grad: inputs is empty; give the tensors to differentiate with "
                           "respect to (as in PyTorch, an empty list is an error, not ())")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for k, t in enumerate(inputs):
        if not t.requires_grad:
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
    _Walk(retain_graph, create_graph, capture).run(roots, root_grads)
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
