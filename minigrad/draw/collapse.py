"""Shortening a drawing: a module call drawn as one box (collapse=...) and a run of
the same operation drawn as one node (collapse_chains=...). Both only point
operations at a shared node of the drawing; graph.py draws what is left."""
from __future__ import annotations

from minigrad.draw.dot import plural
from minigrad.draw.read import frame_label, is_box, node_input

def plan_collapse(d, ops):
    """Point the operations of each collapsed module call at one node for the call."""
    rule = d.o["collapse"]
    if rule is False or rule is None or not d.o["clusters"]:
        return
    rule = {rule} if isinstance(rule, str) else rule       # one name, not its letters
    keys = {n: d.cluster_of(n.scope) or () for n in ops}
    has_inner = {k[:j] for k in keys.values() for j in range(1, len(k))}
    count, first = {}, {}
    for n in ops:
        for depth in range(1, len(keys[n]) + 1):
            mod, name = n.scope[depth - 1]
            key = keys[n][:depth]
            if (key not in has_inner if rule is True else depth == rule if type(rule) is int
                    else type(mod).__name__ in rule or name in rule):
                node = d.collapsed.setdefault(key, f"m{len(d.collapsed)}")
                first.setdefault(node, (key, n.scope[:depth]))
                count[node] = count.get(node, 0) + 1
                d.ref[n] = node
                break
    for node, (key, scope) in first.items():
        label, n_params = frame_label(scope[-1]), len(list(scope[-1][0].parameters()))
        info = plural(count[node], "operation") + (f" · {plural(n_params, 'parameter')}"
                                                    if n_params else "")
        d.merged.add(node)
        d.node(node, "module", [label, info], [f"{label}: {info}, collapsed"],
               key[:-1] or None, scope[:-1])


def plan_chains(d, ops, roots):
    """Draw runs of the same operation, each feeding only the next, as one node.
    Returns {the run's node: its length}."""
    if not d.o["collapse_chains"]:
        return {}
    shortest = 3 if d.o["collapse_chains"] is True else int(d.o["collapse_chains"])
    uses = {}
    for n in ops:
        for e in n.edges:
            if e is not None:
                uses[e[0]] = uses.get(e[0], 0) + 1
    for r in roots:
        uses[r.grad_fn] = uses.get(r.grad_fn, 0) + 2      # an output ends a run
    head = {}
    for n in ops:                      # creation order: a parent comes before its users
        live = [e for e in n.edges if e is not None]
        p = live[0][0] if len(live) == 1 else None
        linked = (p in head and uses[p] == 1 and p.op.name == n.op.name and p.scope == n.scope
                  and d.ref[p] == d.own[p] and d.ref[n] == d.own[n]
                  and not any(e is None and is_box(node_input(n, i)[0])
                              for i, e in enumerate(n.edges)))
        head[n] = head[p] if linked else n
    length = {}
    for h in head.values():
        length[h] = length.get(h, 0) + 1
    for n, h in head.items():
        if length[h] >= shortest:
            d.ref[n] = d.own[h]
            d.merged.add(d.own[h])
    return {d.own[h]: k for h, k in length.items() if k >= shortest}
