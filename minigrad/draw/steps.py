"""The backward walk, step by step: what backward() does at each node, replayed.

    for step in backward_steps(loss):
        print(step.number, step.caption)       # 1 mul sends g·y to y and g·y to y ...

backward_steps(root) walks the graph in the order root.backward() would, with
the same arithmetic, and yields one Step per node the engine takes:

  - the gradient that arrived at each of the node's outputs (the sum of what
    its consumers sent, in the order they sent it: `arrivals`);
  - what the node's VJPs send to each input, already reduced to the input's
    shape (a broadcast input gets the sum over the broadcast axes: `sends`);
  - at a leaf, what leaf.grad would become (.grad accumulates: `leaf_grad`);
  - a caption in words: "mul sends g·b to a and g·a to b".

The real graph is left alone: no saved value is released, no .grad written,
no hook run (a hook that replaces a gradient is not shown). The replay needs
the values the graph saved for backward, so call it before backward(), or
after backward(retain_graph=True); after a plain backward() it raises.

The walk is the engine's own: _Replay is a _Walk (autograd.py), so the order
in which nodes are taken and how the gradients arriving at a node are summed
cannot differ from backward(). At a node it calls the engine's functions for
the VJPs and the reduction to an input's shape (_engine_step) and leaves out
what backward() writes. The replay runs whole before the first step is yielded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from minigrad.autograd import _fill_missing, _fit, _input_grads, _root_gradient, _Walk
from minigrad.draw.dot import arg_text
from minigrad.draw.read import node_input, walk
from minigrad.node import AccumulateGrad
from minigrad.tensor import Tensor

# What each primitive's VJPs send, in words: {0}, {1} are the names of its
# inputs, {out} the name of its result, g the gradient that arrived.
FORMULAS = {
    "add": ("g", "g"), "sub": ("g", "−g"), "mul": ("g·{1}", "g·{0}"),
    "div": ("g/{1}", "−g·{0}/{1}²"), "neg": ("−g",),
    "pow": ("g·{1}·{0}^({1}−1)", "g·{out}·log {0}"),
    "exp": ("g·{out}",), "log": ("g/{0}",), "sqrt": ("g/(2·{out})",), "abs": ("g·sign({0})",),
    "square": ("2·{0}·g",), "reciprocal": ("−g·{out}²",), "rsqrt": ("−g·{out}³/2",),
    "sin": ("g·cos {0}",),
    "cos": ("−g·sin {0}",), "clone": ("g",), "linear": ("g @ {1}", "gᵀ @ {0}", "g"),
    "log_softmax": ("g − exp({out})·sum(g)",), "stack": ("its slice of g",),
    "tanh": ("g·(1 − {out}²)",), "sigmoid": ("g·{out}·(1 − {out})",), "relu": ("g·[{0} > 0]",),
    "maximum": ("g where {0} is larger", "g where {1} is larger"),
    "minimum": ("g where {0} is smaller", "g where {1} is smaller"),
    "where": ("", "g where the condition holds", "g where it does not"),
    "clip": ("g where {0} is inside the range",), "astype": ("g cast back to {0}'s dtype",),
    "matmul": ("g @ {1}ᵀ", "{0}ᵀ @ g"),
    "sum": ("g copied back over the summed axes",),
    "mean": ("g/n copied back over the averaged axes",), "max": ("g to where the maximum was",),
    "min": ("g to where the minimum was",), "std": ("g·({0} − mean)/((n − ddof)·{out})",),
    "sum_to": ("g broadcast back",), "broadcast_to": ("g summed over the broadcast axes",),
    "reshape": ("g reshaped back",), "transpose": ("g transposed back",), "contiguous": ("g",),
    "getitem": ("g put back at the index (zeros elsewhere)",), "pad": ("g without the padding",),
    "concatenate": ("its slice of g",),
}
VARIADIC = {"concatenate", "stack"}


def describe(array):
    """A gradient in a few words: its values when it is small, else shape and norm."""
    a = np.asarray(array)
    if a.size <= 6:
        values = ", ".join(f"{v:.4g}" for v in a.ravel().tolist())
        return values if a.ndim == 0 else f"[{values}]"
    norm = float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))
    return f"shape {a.shape}, norm {norm:.4g}"


@dataclass
class Send:
    """What a node's VJP sends to one input."""
    to: object              # the input's node (an operation, or a leaf's AccumulateGrad)
    name: str               # what the caption calls the input
    grad: np.ndarray | None     # None: the VJP sent nothing
    summed_from: tuple | None = None    # the share's shape, when it was summed down (broadcast)


@dataclass
class Step:
    """One node of the backward walk, as the engine takes it."""
    number: int             # 1, 2, ... in the order backward() takes the nodes
    node: object            # the Node, or the AccumulateGrad of a leaf
    label: str              # what the captions call the node: "mul", "mul#2", "x"
    grads: list             # per output: the total gradient that arrived (ndarray or None)
    arrivals: list          # per output: [(step number that sent it, 0 = the start; ndarray)]
    outputs: list = field(default_factory=list)   # what the captions call each output
    sends: list = field(default_factory=list)     # per input: Send, or None (a constant)
    leaf: Tensor | None = None          # at a leaf: the tensor whose .grad is updated
    leaf_grad: np.ndarray | None = None     # ... and what its .grad would be afterwards
    caption: str = ""

    @property
    def is_leaf(self):
        return self.leaf is not None


def backward_steps(root, gradient=None, names=None):
    """Yield a Step for every node root.backward(gradient) would take, in its order.

    names={"h": h} gives names to tensors for the captions (as in draw_graph);
    tensors' own .name and module parameter names are used too. The graph must
    still hold its saved values: call before backward() or after
    backward(retain_graph=True).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"backward_steps: expected a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError("backward_steps: this tensor does not require grad and has no "
                           "grad_fn, so there is no backward walk to show")
    replay = _Replay(_Names(root, names))
    replay.run([root._edge()], [_root_gradient(root, gradient, "backward_steps")])
    yield from replay.steps


class _Replay(_Walk):
    """backward()'s own walk (autograd._Walk: its loop, its order, its sums),
    watched: each node it visits becomes a Step. What visit() would write is
    left out: no hook runs, no .grad is set, no saved value is released."""

    def __init__(self, namer):
        super().__init__(retain_graph=True, create_graph=False)
        self.namer = namer
        self.steps = []
        self.number = 0           # the step being taken; 0 while the root's gradient is sent
        self.arrivals = {}        # node -> per output: [(step number that sent it, gradient)]
        self.leaf_grads = {}      # id(leaf) -> its .grad so far in the replay

    def send(self, node, idx, g):
        came = self.arrivals.setdefault(node, [[] for _ in range(node.n_outputs)])
        if g is not None:
            came[idx].append((self.number, g))
        super().send(node, idx, g)

    def visit(self, node, grads):
        self.number += 1
        came = self.arrivals.pop(node)
        if type(node) is AccumulateGrad:
            self.steps.append(self.leaf_step(node, grads, came))
            return
        if node.released:
            raise RuntimeError(
                f"backward_steps: {node.name} has already released its saved values "
                f"(backward() frees them). Replay the walk before calling backward(), or "
                f"call backward(retain_graph=True).")
        namer = self.namer
        input_grads, summed_from = _engine_step(node, grads)
        step = Step(self.number, node, namer.op(node), grads, came,
                    [namer.output(node, k) for k in range(node.n_outputs)])
        for i, edge in enumerate(node.edges):
            if edge is None:
                step.sends.append(None)
                continue
            self.send(*edge, input_grads[i])
            step.sends.append(Send(edge[0], namer.input(node, i), input_grads[i],
                                   summed_from[i]))
        step.caption = _op_caption(step, namer)
        self.steps.append(step)

    def leaf_step(self, node, grads, came):
        """At a leaf: what leaf.grad would become (autograd._accumulate adds)."""
        leaf = node.variable
        before = self.leaf_grads.get(id(leaf), None if leaf.grad is None else leaf.grad.data)
        after = before
        if grads[0] is not None:
            add = np.array(grads[0], dtype=leaf.dtype)
            after = add if before is None else before + add
        self.leaf_grads[id(leaf)] = after
        step = Step(self.number, node, self.namer.leaf(leaf), grads, came, leaf=leaf,
                    leaf_grad=after)
        step.caption = _leaf_caption(step, before)
        return step


def _engine_step(node, grads):
    """What backward() does at one operation node, as autograd._Walk.visit does
    it, with the engine's own functions: the VJPs (_input_grads), each result
    reduced to its input's shape and dtype (_fit). Returns (gradient per input or
    None, the shape of each input's share before it was summed down to the input's
    shape when it was another, else None)."""
    n = len(node.edges)
    if node.n_outputs > 1:
        grads = _fill_missing(node, grads, False)
    if grads is None or grads[0] is None:
        return [None] * n, [None] * n             # no gradient reached this node
    raw = _input_grads(node, grads, False)
    fitted, summed_from = [None] * n, [None] * n
    for i, edge in enumerate(node.edges):
        g = raw[i]
        if edge is None or g is None:
            continue
        parent, k = edge
        shape, dtype = parent.out_shapes[k], parent.out_dtypes[k]      # input i's
        made = np.shape(g)
        if isinstance(getattr(node.op, "forward", None), np.ufunc):
            # An elementwise operation broadcasts its inputs to the output's shape: each
            # input's share has that shape, even where the VJP sums it down itself (mul)
            made = node.out_shapes[0]
        if type(g) is not np.ndarray or g.shape != shape or g.dtype != dtype:
            g = _fit(g, shape, dtype, node, i, False)
        fitted[i] = g
        summed_from[i] = made if made != shape else None
    return fitted, summed_from


# ----------------------------------------------------------------------------
# Names and captions
# ----------------------------------------------------------------------------

class _Names:
    """What the captions call each tensor: names=, module parameter names,
    tensor.name; an unnamed result is called after the op that made it."""

    def __init__(self, root, names):
        named = list((names or {}).items())
        self.given = {id(t): n for n, t in named}
        self.results = {(t.grad_fn, t._output_nr): n for n, t in named
                        if isinstance(t, Tensor) and t.grad_fn is not None}
        ops, leaves = walk([root.grad_fn]) if root.grad_fn is not None else ([], [root])
        self.qualnames = {}
        for scope in dict.fromkeys(n.scope[:1] for n in ops):
            for module, _ in scope:
                for qualname, t in module.named_parameters():
                    self.qualnames.setdefault(id(t), qualname)
        self.ops = {}
        count = {}
        for node in sorted(ops, key=lambda n: n.seq):
            count[node.op.name] = count.get(node.op.name, 0) + 1
            self.ops[node] = f"{node.op.name}#{count[node.op.name]}"
        for node in self.ops:
            if count[node.op.name] == 1:
                self.ops[node] = node.op.name
        self.unnamed = {id(t): f"input#{k + 1}" for k, t in enumerate(
            t for t in leaves if self._own_name(t) is None)}
        if len(self.unnamed) == 1:
            self.unnamed = dict.fromkeys(self.unnamed, "input")

    def _own_name(self, t):
        return self.given.get(id(t)) or self.qualnames.get(id(t)) or t.name

    def leaf(self, t):
        return self._own_name(t) or self.unnamed.get(id(t), "input")

    def op(self, node):
        return self.ops.get(node, node.op.name)

    def output(self, node, k):
        """The name of output k of node: a given name, else the op's label."""
        name = self.results.get((node, k)) or (node.out_names or {}).get(k)
        if name:
            return name
        return self.op(node) + (f"[{k}]" if node.n_outputs > 1 else "")

    def input(self, node, i):
        edge = node.edges[i]
        if edge is None:
            value, known = node_input(node, i)
            if known and np.ndim(getattr(value, "data", value)) == 0:
                return arg_text(value.item() if hasattr(value, "item") else value)
            return "c"
        parent, k = edge
        if type(parent) is AccumulateGrad:
            return self.leaf(parent.variable)
        return self.output(parent, k)


def _listed(parts):
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _op_caption(step, namer):
    node = step.node
    label = namer.op(node)
    prefix = ""
    came = sum(len(a) for a in step.arrivals)
    if came > 1:
        prefix = f"{came} gradients arrived and were added; "
    elif step.number == 1:
        prefix = "the walk starts here with g = " + describe(step.grads[0]) + "; "
    sends = [(i, s) for i, s in enumerate(step.sends) if s is not None and s.grad is not None]
    if not sends:
        return f"{label}: no gradient arrived, so it sends nothing"
    if hasattr(node.op, "cls"):                     # a Function: one hand-written step
        formula = _closed_form(node.op.cls)
        return (prefix + f"{label} runs its hand-written backward{formula} and sends "
                f"to {_listed([s.name for _, s in sends])}")
    inputs = [namer.input(node, j) for j in range(len(node.edges))]
    out = namer.output(node, 0)
    table = FORMULAS.get(node.op.name, ())
    parts = []
    for i, s in sends:
        k = 0 if node.op.name in VARIADIC else i          # a variadic op treats inputs alike
        formula = table[k].format(*inputs, out=out) if k < len(table) and table[k] else \
            "its VJP of g"
        parts.append(f"{formula} to {s.name}")
    text = prefix + f"{label} sends {_listed(parts)}"
    broadcast = [s for _, s in sends if s.summed_from is not None]
    for s in broadcast:
        text += (f"; {s.name} was broadcast, so its {s.summed_from} share is summed "
                 f"to {np.shape(s.grad)}")
    return text


def _closed_form(cls):
    """' (dx = ...)': the first derivative formula in a Function's docstring,
    else its docstring's first line; '' without a docstring."""
    lines = [" ".join(line.split()) for line in (cls.__doc__ or "").strip().splitlines()]
    for line in lines:
        if re.match(r"d\w*\s*=", line):
            return f" ({line.rstrip(',')})"
    return f" ({lines[0]})" if lines and lines[0] else ""


def _leaf_caption(step, before):
    name, g = step.label, step.grads[0]
    if g is None:
        return f"{name}: no gradient arrived, {name}.grad is left as it is"
    came = len(step.arrivals[0])
    used = f"{name} was used {came} times, so its gradients add up; " if came > 1 else ""
    if before is None:
        return used + f"{name}.grad = {describe(step.leaf_grad)}"
    return (used + f"{name}.grad accumulates: {describe(before)} + {describe(g)} = "
            f"{describe(step.leaf_grad)}")
