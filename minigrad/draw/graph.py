"""Drawing computation graphs with Graphviz. The drawing only reads the graph.

    y = tanh(x * w + b)
    draw_graph(y)                          # the forward graph that produced y
    y.sum().backward(create_graph=True)
    draw_graph(x.grad, backward_of=y)      # the graph that computed dy/dx

What is drawn, in the direction the data flowed:
  - an ellipse per operation (a Node), labelled with its non-tensor arguments
    and its output shape; a Function with a hand-written backward is a double
    ellipse, because backward() treats it as one step;
  - a box per tensor that enters or leaves: inputs that require grad (blue),
    parameters (green), buffers (yellow), constants (grey, dashed), outputs
    (red). Intermediate results get a box when they have a name or a retained
    .grad, or for all of them with intermediates=True;
  - the operations a module's forward created, inside a cluster labelled
    "BatchNorm2d (bn1)": node.scope records which modules were running.

The backward graph. After y.sum().backward(create_graph=True) each gradient is
a tensor with a history of its own: the vector-Jacobian products that computed
it. draw_graph(x.grad, backward_of=y) draws that history and fades the forward
operations it reuses, so what stays bright is the work backward() did.

The walk is breadth-first with an explicit queue (no recursion, so a graph of
100,000 operations is fine), and nodes are numbered in creation order
(node.seq): the same graph always gives the same DOT source.

This file decides what is drawn; read.py reads the recorded graph, collapse.py
shortens a drawing, dot.py says how it looks (colours, words for values, the
DOT text) and how it is saved.
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad.draw.collapse import plan_chains, plan_collapse
from minigrad.draw.dot import (
    DEFAULT_MAX_NODES, arg_text, dtype_name, emit, statement, summary,
)
from minigrad.draw.read import (
    arg_name, frame_label, is_box, node_input, out_meta, retained, walk,
)
from minigrad.checks import flag, operand_text
from minigrad.node import AccumulateGrad
from minigrad.tensor import Tensor

INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "/", "pow": "**"}
OPTIONS = dict(names=None, show_values=False, show_grad=False, intermediates=False,
               clusters=True, collapse=False, collapse_chains=False, max_nodes="auto",
               backward_of=None, legend=False, title=None, rankdir="TB")
RANKDIRS = ("TB", "LR", "BT", "RL")


# ----------------------------------------------------------------------------
# The drawing
# ----------------------------------------------------------------------------

class _Drawing:
    """What one draw_graph call has placed: nodes by cluster, edges, names."""

    def __init__(self, opts):
        self.o = opts
        self.ids = {}              # id(tensor or array), or (node, k) for a result -> its node
        self.keep = []             # what those ids belong to, kept alive while drawing
        self.kinds = []            # kinds drawn so far, for the legend
        self.clusters = {}         # cluster key -> [DOT name, label, node statements]
        self.top = []              # node statements outside every cluster
        self.edges, self.seen_edges = [], set()
        self.merged = set()        # nodes standing for several operations: edges to them merge
        self.qualnames, self.buffers, self.holds = {}, set(), {}
        self.buffer_arrays = {}    # id(a buffer's array) -> the buffer, to spot views of it
        self.collapsed = {}        # cluster key -> its collapsed module node
        self.ref, self.own = {}, {}    # operation -> the node drawing it / its own name
        self.results = {}          # (node, k) -> the tensor of a result named by names=

    # -- modules: dotted names of parameters, and which running module holds them
    def learn_modules(self, scopes):
        for scope in scopes:
            for depth, (mod, _) in enumerate(scope):
                if id(mod) in self.holds:
                    continue
                members = list(mod.named_parameters()) + list(mod.named_buffers())
                self.holds[id(mod)] = {id(t) for _, t in members}
                for _, t in mod.named_buffers():
                    self.buffers.add(id(t))
                    self.buffer_arrays[id(getattr(t, "data", t))] = t
                if depth == 0:     # the outermost module knows the full dotted names
                    for qualname, t in members:
                        self.qualnames.setdefault(id(t), qualname)

    def cluster_of(self, scope, tensor=None):
        """The cluster key (frame ids, outermost first) of what scope created;
        for a parameter or buffer, the deepest running module that holds it."""
        if not self.o["clusters"] or not scope:
            return None
        depth = len(scope)
        if tensor is not None:
            holders = [d + 1 for d, f in enumerate(scope)
                       if id(tensor) in self.holds[id(f[0])]]
            depth = holders[-1] if holders else 0
        return tuple(id(f) for f in scope[:depth]) or None

    def collapsed_into(self, key):
        for d in range(1, len(key or ()) + 1):
            if key[:d] in self.collapsed:
                return self.collapsed[key[:d]]
        return None

    # -- nodes and edges -------------------------------------------------------
    def node(self, name, kind, lines, tips, key=None, scope=()):
        """Add a node statement to its cluster, making the clusters on first use.
        lines: the label, first line in bold; tips: the tooltip's lines."""
        if kind not in self.kinds:
            self.kinds.append(kind)
        made = statement(name, kind, lines, tips)
        if key is None:
            self.top.append(made)
            return
        for d in range(1, len(key) + 1):
            if key[:d] not in self.clusters:
                self.clusters[key[:d]] = [f"cluster_{len(self.clusters)}",
                                          frame_label(scope[d - 1]), []]
        self.clusters[key][2].append(made)

    def edge(self, tail, head, label=None):
        merge = tail in self.merged or head in self.merged
        if tail == head or merge and (tail, head) in self.seen_edges:
            return
        self.seen_edges.add((tail, head))
        self.edges.append((tail, head, label))

    def box(self, value, kind, name, key=None, scope=(), meta=None):
        """A box for a tensor or array, or meta=(shape, dtype, array) when it is gone."""
        data = value.data if isinstance(value, Tensor) else value
        shape, dtype, array = (data.shape, data.dtype, data) if value is not None else meta
        dtype = dtype_name(dtype)
        lines = [name, "" if shape is None else f"{shape} {dtype}"]
        tip = [(f"{name} ({kind})" if name else kind) + f", shape {shape}, {dtype}"]
        if array is not None:
            tip.append("value: " + summary(array))
            if self.o["show_values"] or kind == "constant":
                lines.append(summary(array, short=True))
        grad = getattr(value, "grad", None)
        if grad is not None:
            tip.append("grad: " + summary(grad.data))
            if self.o["show_grad"]:
                lines.append("grad " + summary(grad.data, short=True))
        dot_name = f"t{len(self.keep)}"
        self.keep.append(value)
        self.node(dot_name, kind, lines, tip, key, scope)
        return dot_name

    def name_of(self, t, fallback):
        return (self.o["names"].get(id(t)) or self.qualnames.get(id(t))
                or getattr(t, "name", None) or fallback)

    def leaf(self, value, scope=(), fallback=None):
        """The box of a tensor or array that no recorded operation produced."""
        if id(value) not in self.ids:
            if getattr(value, "requires_grad", False):
                is_param = (id(value) in self.qualnames and id(value) not in self.buffers
                            or any(c.__name__ == "Parameter" for c in type(value).__mro__))
                kind = "parameter" if is_param else "input"
            else:
                kind = "buffer" if id(value) in self.buffers else "constant"
            owner = value
            if kind == "constant" and isinstance(value, np.ndarray):
                buffer = self.buffer_behind(value)        # eval mode's running_mean
                owner, kind = (value, kind) if buffer is None else (buffer, "buffer")
            if kind in ("parameter", "buffer"):
                key = self.cluster_of(scope, owner)
            else:       # a bare array met inside a module was made there (inputs become Tensors)
                key = self.cluster_of(scope) if isinstance(value, np.ndarray) else None
            self.ids[id(value)] = self.collapsed_into(key) or self.box(
                value, kind, self.name_of(owner, fallback or kind), key, scope)
        return self.ids[id(value)]

    def buffer_behind(self, array):
        """The buffer whose array `array` is, or is a view of (a reshape), else None."""
        while array is not None:
            if id(array) in self.buffer_arrays:
                return self.buffer_arrays[id(array)]
            array = array.base if isinstance(array.base, np.ndarray) else None
        return None

    def source(self, parent, k, tensor):
        """Where an edge from output k of parent starts: the operation itself, or
        a box for the result when that is wanted (named, retained grad)."""
        if (parent, k) in self.ids:
            return self.ids[(parent, k)]
        if tensor is None:             # released by backward(): names= or retain_grad() know it
            tensor = self.results.get((parent, k), None)
            tensor = retained(parent, k) if tensor is None else tensor
        given = (parent.out_names or {}).get(k)      # a name set on the result, kept by the node
        wanted = self.o["intermediates"] or given or isinstance(tensor, Tensor) and (
            id(tensor) in self.o["names"] or tensor.name or tensor.grad is not None)
        if not wanted or self.ref[parent] != self.own.get(parent):     # merged or left out
            return self.ref[parent]
        name = self.name_of(tensor, "") if isinstance(tensor, Tensor) else given or ""
        box = self.box(tensor, "intermediate", name,
                       self.cluster_of(parent.scope), parent.scope, out_meta(parent, k))
        self.ids[(parent, k)] = box
        self.edge(self.ref[parent], box, str(k) if parent.n_outputs > 1 else None)
        return box


def draw_graph(*roots, **options):
    """The computation graph that produced `roots`, as a graphviz.Digraph.

    Options (keywords):
      names={"h": h}         labels for tensors, intermediate ones too
      show_values=False      a short value summary under each tensor's name
      show_grad=False        a short summary of each tensor's .grad (after backward)
      intermediates=False    a box for every intermediate result
      clusters=True          group the operations each module's forward created
      collapse=False         True: each innermost module as one node; an int d: the
                             modules at nesting depth d (1 = outermost); a set of
                             names: the modules with those class or attribute names
      collapse_chains=False  True or a length n (True means 3): n or more of the same
                             operation, each feeding only the next, become one node
      max_nodes="auto"       draw at most this many operations, those nearest the
                             roots; one "… N more operations" node stands for the rest.
                             "auto": all of them up to 2,000 (or when collapse= or
                             collapse_chains= shortens the drawing), else the 2,000
                             nearest, with a warning; None: all of them
      backward_of=None       the output(s) whose backward(create_graph=True) made the
                             roots: the forward operations are drawn faded
      legend=False, title=None, rankdir="TB" (or "LR")
    In SVG each node has a tooltip with the full value and gradient summaries.
    Save with save_graph(), or .render()/.pipe(); Jupyter shows it inline.
    """
    return emit(plan(*roots, **options))


def plan(*roots, **options):
    """What draw_graph(*roots, **options) places, before it becomes DOT: the
    _Drawing, whose .ref (operation -> its DOT name) and .ids (leaf or result ->
    its box) tell the backward player (player.py) which drawn node is which."""
    if not roots:
        raise ValueError("draw_graph: give at least one tensor to draw the graph of")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: expected Tensors, got {type(r).__name__}")
    o = _checked_options(options)
    limit = o["max_nodes"]
    named = (o["names"] or {}).items()
    o["names"] = {id(t): n for n, t in named}
    d = _Drawing(o)
    d.results = {(t.grad_fn, t._output_nr): t for _, t in named
                 if isinstance(t, Tensor) and t.grad_fn is not None}

    roots = list({id(r): r for r in roots}.values())
    ops, leaves = walk(list(dict.fromkeys(r.grad_fn for r in roots if r.grad_fn is not None)))
    if limit == "auto":
        limit = _default_limit(len(ops), o)
    hidden = ops[limit:] if limit else []
    ops = sorted(ops[:len(ops) - len(hidden)], key=lambda n: n.seq)
    d.learn_modules(dict.fromkeys(n.scope for n in ops))
    d.own = {n: f"n{i}" for i, n in enumerate(ops)}
    d.ref = dict(d.own)
    if hidden:
        d.ref.update(dict.fromkeys(hidden, "more"))
        d.merged.add("more")
        d.node("more", "more", [f"… {len(hidden):,} more operations", "left out by max_nodes"],
               [f"the {len(hidden)} operations furthest from the roots are not drawn"])
    plan_collapse(d, ops)
    chains = plan_chains(d, ops, roots)
    if o["max_nodes"] == "auto" and len(ops) > DEFAULT_MAX_NODES:
        drawn = len(set(d.ref.values()) - {"more"})
        if drawn > DEFAULT_MAX_NODES:       # collapse=... asked for, but it left too many
            warnings.warn(f"draw_graph: even shortened the drawing has {drawn:,} operation "
                          f"nodes, which Graphviz may take minutes to lay out; pass max_nodes="
                          f"{DEFAULT_MAX_NODES} to draw the nearest ones only", stacklevel=3)
    grad_of = {id(t.grad): d.name_of(t, "input") + ".grad" for t in leaves if t.grad is not None}
    forward_end = max([t.grad_fn.seq for t in _as_list(o["backward_of"]) if t.grad_fn] or [-1])

    for r in roots:                    # outputs first: an operation using one links from its box
        if r.is_leaf and r.requires_grad:
            d.leaf(r)
            continue
        box = d.box(r, "output", d.name_of(r, grad_of.get(id(r), "output")))
        if r.grad_fn is not None:
            d.ids[(r.grad_fn, r._output_nr)] = box
            several = r.grad_fn.n_outputs > 1 and d.ref[r.grad_fn] != "more"
            d.edge(d.ref[r.grad_fn], box, str(r._output_nr) if several else None)

    for node in ops:
        me = d.ref[node]
        if me == d.own[node]:
            kind = ("forward op" if node.seq <= forward_end else
                    "Function" if hasattr(node.op, "cls") else "operation")
            lines, tip = _op_label(node, chains.get(me, 1))
            d.node(me, kind, lines, tip, d.cluster_of(node.scope), node.scope)
        for i, edge in enumerate(node.edges):
            value, known = node_input(node, i)
            if edge is None:
                if known and is_box(value):
                    d.edge(d.leaf(value, node.scope, arg_name(node.op, i, "constant")), me)
            elif isinstance(edge[0], AccumulateGrad):
                d.edge(d.leaf(edge[0].variable, node.scope), me)
            else:
                parent, k = edge
                d.edge(d.source(parent, k, value if known else None), me,
                       str(k) if parent.n_outputs > 1 and d.ref[parent] != "more" else None)
    return d


def _default_limit(n_ops, o):
    """max_nodes="auto": every operation of a small graph, or of one shortened by
    collapse=/collapse_chains=; else the DEFAULT_MAX_NODES nearest the roots, with a notice."""
    shortened = o["collapse"] not in (False, None) and o["clusters"] or o["collapse_chains"]
    if n_ops <= DEFAULT_MAX_NODES or shortened:
        return None
    warnings.warn(f"draw_graph: the graph has {n_ops:,} operations, too many for Graphviz to "
                  f"lay out in seconds, so the {DEFAULT_MAX_NODES:,} nearest the output are "
                  f"drawn; draw it whole with max_nodes=None, or shorten it with collapse=True "
                  f"or collapse_chains=True", stacklevel=4)
    return DEFAULT_MAX_NODES


def _checked_options(options):
    """draw_graph's options, merged with the defaults, each checked by name."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError(f"draw_graph: unknown option(s) {unknown}; the options are "
                        f"{sorted(OPTIONS)}")
    o = {**OPTIONS, **options}
    for name in ("show_values", "show_grad", "intermediates", "clusters", "legend"):
        flag(o[name], "draw_graph", name)
    names = o["names"]
    if names is not None and (not isinstance(names, dict) or not all(
            isinstance(k, str) and isinstance(t, Tensor) for k, t in names.items())):
        raise TypeError(f"draw_graph: names must be a dict of {{label: tensor}}, got "
                        f"{type(names).__name__} {operand_text(names)}")
    limit = o["max_nodes"]
    if limit not in (None, "auto") and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int, None (draw all) or "
                         f"'auto', got {limit!r}")
    collapse = o["collapse"]
    if not (collapse is None or isinstance(collapse, (bool, str)) or
            type(collapse) is int and collapse >= 1 or
            isinstance(collapse, (set, frozenset, list, tuple))
            and all(isinstance(c, str) for c in collapse)):
        raise TypeError(f"draw_graph: collapse must be True, a nesting depth (an int >= 1), or "
                        f"a module class or attribute name (or a set of them), got "
                        f"{collapse!r}")
    chains = o["collapse_chains"]
    if not (isinstance(chains, bool) or type(chains) is int and chains >= 2):
        raise TypeError(f"draw_graph: collapse_chains must be True, False or a run length "
                        f"(an int >= 2), got {chains!r}")
    of = o["backward_of"]
    if not (of is None or isinstance(of, Tensor) or isinstance(of, (list, tuple)) and
            all(isinstance(t, Tensor) for t in of)):
        raise TypeError(f"draw_graph: backward_of must be a Tensor or a list of Tensors, got "
                        f"{operand_text(o['backward_of'])}")
    if o["title"] is not None and not isinstance(o["title"], str):
        raise TypeError(f"draw_graph: title must be a string, got {o['title']!r}")
    if o["rankdir"] not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS} (top to bottom, left "
                         f"to right, ...), got {o['rankdir']!r}")
    return o


def _as_list(x):
    return [] if x is None else [x] if isinstance(x, Tensor) else list(x)


def _op_label(node, count):
    """(label lines, tooltip) of an operation; count > 1 for a collapsed chain."""
    op, attrs = node.op, []
    for i, edge in enumerate(node.edges):
        value, known = node_input(node, i)
        if edge is not None or not known or value is None or value is False or is_box(value):
            continue
        if op.name in INFIX and len(node.edges) == 2:       # "/ 32" reads better than x2=32
            attrs.append(f"{INFIX[op.name]} {arg_text(value)}" if i else
                         f"{arg_text(value)} {INFIX[op.name]} ·")
        else:
            name = arg_name(op, i, f"arg{i}")
            attrs.append(name if value is True else f"{name}={arg_text(value)}")
    attrs += [f"{k}={arg_text(v)}" for k, v in (node.kwargs or {}).items() if k != "ctx"]
    text = "  ".join(attrs)
    shape = out_meta(node, 0)[0]
    result = ("" if shape is None else f"→ {shape}" if node.n_outputs == 1
              else f"→ {node.n_outputs} outputs")
    if len(text) + len(result) <= 30:           # one line when it fits
        text, result = f"{text}  {result}".strip(), ""
    lines = [op.name + (f" × {count:,}" if count > 1 else ""),
             text if len(text) <= 40 else text[:39] + "…", result,
             "hand-written backward" if hasattr(op, "cls") else ""]
    tip = [f"{op.name} ({node.name})" + (f", a chain of {count}" if count > 1 else ""),
           "  ".join(attrs)]
    for k in range(node.n_outputs):
        shape, dtype, array = out_meta(node, k)
        tip.append(f"output {k}: shape {shape}, {dtype_name(dtype)}"
                   + ("" if array is None else ", " + summary(array)))
    if node.released:
        tip.append("saved values released by backward()")
    if node.scope:
        tip.append("in " + " / ".join(map(frame_label, node.scope)))
    return lines, tip
