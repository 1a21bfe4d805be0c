"""How a drawing looks and how it is written: the look of each kind of node,
short words for values and arguments, the DOT text, and saving to a file.

graph.py decides what is drawn and hands over node statements (name, label,
tooltip, kind), clusters and edges; emit() turns them into a graphviz.Digraph.
The DOT text is written directly rather than through graphviz's quoting of
every attribute, which would take most of the time on a 10,000-node graph.
"""
from __future__ import annotations

import functools
import shutil
import sys
from html import escape
from pathlib import Path

import numpy as np

from minigrad.tensor import Tensor

# ----------------------------------------------------------------------------
# Looks
# ----------------------------------------------------------------------------

FONT = "Helvetica,Arial,sans-serif"
OPERATION = dict(shape="ellipse", style="filled", fillcolor="#ffffff", color="#555555")


def _look(fill, border, style="rounded,filled", shape="box", **extra):
    return dict(shape=shape, style=style, fillcolor=fill, color=border, **extra)


# One look per kind of node: the shape says what it is, the colour where it came from.
STYLE = {
    "input": _look("#dae8fc", "#6c8ebf"),
    "parameter": _look("#d5e8d4", "#82b366"),
    "buffer": _look("#fff2cc", "#d6b656", "rounded,filled,dashed"),
    "constant": _look("#f5f5f5", "#999999", "rounded,filled,dashed"),
    "output": _look("#f8cecc", "#b85450", "rounded,filled,bold"),
    "intermediate": _look("#ffffff", "#999999"),
    "operation": OPERATION,
    "Function": _look("#e1d5e7", "#9673a6", "filled", "ellipse", peripheries="2"),
    "forward op": _look("#f5f5f5", "#aaaaaa", "filled,dashed", "ellipse", fontcolor="#888888"),
    "module": _look("#e1d5e7", "#9673a6", "filled", "box3d"),
    "more": _look("#ffffff", "#999999", "filled", "note", fontcolor="#555555"),
}
LEGEND = {"input": "input (requires grad)", "parameter": "parameter", "buffer": "buffer",
          "constant": "constant", "output": "output", "intermediate": "intermediate",
          "operation": "operation", "Function": "Function (own backward)",
          "forward op": "forward op, reused", "module": "module, collapsed"}
CLUSTER_FILLS = ("#f4f4fa", "#e9e9f3")          # alternating with the nesting depth
FORMATS = ("svg", "png", "pdf", "dot")


# ----------------------------------------------------------------------------
# Words for values: summaries of arrays and operation arguments
# ----------------------------------------------------------------------------

def _num(v):
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)


def summary(array, short=False):
    """One line about an array's values: the values when there are a few,
    else min / max / mean / norm (short: the range)."""
    a = np.asarray(array)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    if a.size <= (3 if short else 6):
        values = ", ".join(map(_num, a.ravel().tolist()))
        return values if a.ndim == 0 else f"[{values}]"
    f = a.astype(np.float64, copy=False).ravel()
    if short:
        return f"[{_num(f.min())} … {_num(f.max())}]"
    return (f"min {_num(f.min())}  max {_num(f.max())}  mean {_num(f.sum() / f.size)}  "
            f"norm {_num(np.sqrt(f @ f))}")


def arg_text(v):
    """An operation's non-tensor argument (axes, shape, index, scalar) as short text."""
    if isinstance(v, slice):
        start, stop = ("" if p is None else str(p) for p in (v.start, v.stop))
        return f"{start}:{stop}" + ("" if v.step is None else f":{v.step}")
    if isinstance(v, tuple):
        return "(" + ", ".join(map(arg_text, v)) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, (np.ndarray, Tensor)):
        a = np.asarray(v.data if isinstance(v, Tensor) else v)
        return summary(a, short=True) if a.size <= 3 else f"array{a.shape}"
    if isinstance(v, (bool, int, float, str, np.number, np.dtype, type(None), type(Ellipsis))):
        return "..." if v is Ellipsis else _num(v)
    if type(v).__repr__ is not object.__repr__ and len(repr(v)) <= 32:
        return repr(v)                  # an object that describes itself briefly
    return type(v).__name__


@functools.cache
def dtype_name(dtype):
    return str(dtype)       # NumPy spells a dtype slowly; a big drawing asks 10,000 times


def plural(n, word):
    return f"{n:,} {word}" + ("" if n == 1 else "s")


# ----------------------------------------------------------------------------
# DOT text
# ----------------------------------------------------------------------------

def statement(name, kind, lines, tips):
    """A node statement: (DOT name, HTML label with the first line in bold, tooltip, kind).
    Empty lines are left out; the tooltip's lines are escaped for a quoted DOT string."""
    lines = [s for s in lines if s]
    small = "".join(f'<BR/><FONT POINT-SIZE="9" COLOR="#555555">{escape(s)}</FONT>'
                    for s in lines[1:])
    tooltip = "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in tips if t)
    return name, f"<<B>{escape(lines[0])}</B>{small}>", tooltip, kind


def graphviz_package():
    """The graphviz Python package, imported only when a drawing is made, so that
    the engine works without it."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing a graph needs the graphviz Python package: "
                          "pip install graphviz (and, for SVG/PNG/PDF, Graphviz's dot "
                          "program: " + INSTALL_HINT.split(" (", 1)[1].rstrip(")") + ")") from None
    return graphviz


def emit(d):
    """Write the collected nodes, clusters and edges into a graphviz.Digraph."""
    graphviz = graphviz_package()
    g = graphviz.Digraph("minigrad")
    g.attr(rankdir=d.o["rankdir"], fontname=FONT, fontsize="12", nodesep="0.25",
           ranksep="0.3", pad="0.2", bgcolor="white")
    if d.o["title"]:
        g.attr(label=d.o["title"], labelloc="t", fontsize="15")
    g.attr("node", fontname=FONT, fontsize="11", margin="0.1,0.04", height="0.3",
           penwidth="1.2", **OPERATION)
    g.attr("edge", color="#555555", arrowsize="0.6", fontname=FONT, fontsize="9",
           fontcolor="#555555")
    if d.o["legend"]:
        g.subgraph(_legend(graphviz, d.kinds))
    for made in d.top:
        _add_node(g, made)
    subgraphs = {}
    for key, (name, label, body) in d.clusters.items():
        sub = subgraphs[key] = graphviz.Digraph(name)
        sub.attr(label=label, style="rounded,filled", color="#b4b4cc", fontcolor="#33335c",
                 fillcolor=CLUSTER_FILLS[(len(key) - 1) % 2], labeljust="l", fontsize="11")
        for made in body:
            _add_node(sub, made)
    for key in sorted(subgraphs, key=len, reverse=True):    # innermost first, into its parent
        (subgraphs[key[:-1]] if len(key) > 1 else g).subgraph(subgraphs[key])
    g.body += [f"\t{tail} -> {head}\n" if label is None else f"\t{tail} -> {head} [label={label}]\n"
               for tail, head, label in d.edges]
    return g


# Each kind's attributes as DOT text, the node defaults (an operation's look) left out.
_LOOKS = {kind: "".join(f' {k}="{v}"' for k, v in look.items() if OPERATION.get(k) != v)
          for kind, look in STYLE.items()}


def _add_node(graph, made):
    # Names are n0, t1, ...; labels are HTML and tooltips escaped (statement()).
    name, label, tooltip, kind = made
    graph.body.append(f'\t{name} [label={label} tooltip="{tooltip}"{_LOOKS[kind]}]\n')


def _legend(graphviz, kinds):
    """A box of small sample nodes, one per kind in the drawing, each drawn with that kind's own
    shape, colours and border, so that kinds of the same colour (an operation and an
    intermediate tensor, a constant and a reused forward op) are told apart by their shape."""
    legend = graphviz.Digraph("cluster_legend")
    legend.attr(label="legend", style="rounded", color="#cccccc", fontsize="9", labeljust="l")
    names = [f"legend_{i}" for i, k in enumerate(k for k in LEGEND if k in kinds)]
    for name, kind in zip(names, [k for k in LEGEND if k in kinds]):
        legend.body.append(f'\t{name} [label="{LEGEND[kind]}" fontsize="9" height="0.2"'
                           f'{_LOOKS[kind]}]\n')
    legend.body += [f"\t{a} -> {b} [style=invis]\n" for a, b in zip(names, names[1:])]
    return legend


# ----------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------

INSTALL_HINT = ("install Graphviz (apt-get install graphviz / brew install graphviz / "
                "conda install graphviz)")


# Graphviz lays out a couple of thousand nodes in a second or two, but 10,000 take ~10 s
# and 100,000 more than 7 minutes: by default draw_graph stops here, and says so.
DEFAULT_MAX_NODES = 2_000


def save_graph(graph, path, format=None):
    """Render graph to path as svg, png, pdf or dot (by default path's suffix, else svg).

    Without Graphviz's `dot` program it writes the DOT text to path.dot instead
    and prints one line on how to install Graphviz. Returns the path written.
    """
    if not hasattr(graph, "pipe") or not hasattr(graph, "source"):
        raise TypeError(f"save_graph: expected the drawing draw_graph returns (a graphviz "
                        f"Digraph), got {type(graph).__name__}; save_graph(draw_graph(y), path)")
    if not isinstance(path, (str, Path)):
        raise TypeError(f"save_graph: path must be a file name, got {type(path).__name__} "
                        f"{path!r}")
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if fmt not in FORMATS:
        raise ValueError(f"save_graph: format must be one of {FORMATS}, got {fmt!r}")
    if fmt != "dot" and shutil.which("dot") is not None:
        graphviz = graphviz_package()
        n_nodes = sum(" [label=" in line for line in graph.body)
        if n_nodes > DEFAULT_MAX_NODES:
            print(f"save_graph: Graphviz lays out {n_nodes:,} nodes for {path}, which can take "
                  f"minutes (draw_graph's max_nodes= draws fewer)", file=sys.stderr)
        sharp = graph
        if fmt == "png" and not any("dpi" in a for a in graph.body):
            sharp = graph.copy()
            sharp.attr(dpi="150")          # sharp enough for a slide
        try:
            path.write_bytes(sharp.pipe(format=fmt))
            return path
        except graphviz.ExecutableNotFound:
            pass
        except graphviz.CalledProcessError as e:      # e.g. a Graphviz built without png
            reason = (e.stderr or b"").decode(errors="replace").strip().splitlines()
            target = path.with_suffix(".dot")
            target.write_text(graph.source)
            print(f"save_graph: Graphviz's dot could not write {fmt} ("
                  f"{reason[0] if reason else f'exit status {e.returncode}'}), so {target} "
                  f"holds the DOT text; try another format", file=sys.stderr)
            return target
    target = path if fmt == "dot" else path.with_suffix(".dot")
    target.write_text(graph.source)
    if fmt != "dot":
        print(f"save_graph: Graphviz's dot program was not found, so {target} holds the DOT "
              f"text; {INSTALL_HINT}, then: dot -T{fmt} {target} -o {path}", file=sys.stderr)
    return target
