"""A player for the backward walk: one web page, or numbered slide frames.

    player = save_backward_steps(loss, "walk.html")     # open it in any browser
    player                                                # in Jupyter: shown inline
    save_backward_steps(loss, "walk.png")                # walk_001.png, walk_002.png, ...

The graph is drawn once, by draw_graph (clusters, collapse=, max_nodes= as
there), and laid out once by Graphviz's dot. Each frame is then only data:
which drawn node is the one being processed, which edges its gradient travels
(drawn against the arrows: the gradient flows from an operation back to its
inputs), the caption and the new rows of the table of gradients. The page
holds the one SVG and a few lines of script that restyle it per frame; it
loads nothing from anywhere (no network, no fonts, no CDN).

A step whose operation is drawn inside a collapsed module, or left out by
max_nodes, lights up that module's box; consecutive such steps are one frame.
Slide frames (svg, png) are the same frames as files of their own; gif puts
them in one animated file when Pillow (which matplotlib needs) is installed.
"""
from __future__ import annotations

import html
import io
import re
import shutil
import sys
import textwrap
from pathlib import Path

from minigrad.draw.dot import INSTALL_HINT, emit
from minigrad.draw.graph import plan
from minigrad.draw.page import HIGHLIGHT, page, slide_svg
from minigrad.draw.steps import backward_steps, describe
from minigrad.node import AccumulateGrad

STEP_FORMATS = ("html", "svg", "png", "gif")
MERGED_ROWS = 30        # rows of the gradient table kept from a frame of many steps


class BackwardPlayer:
    """The backward walk of `root` as frames over one drawing of its graph.

    .steps: the Steps of backward_steps; .frames: what each frame shows;
    .html(): the page; .save(path, format=None): write it; in Jupyter the
    object shows itself inline.
    """

    def __init__(self, root, gradient=None, names=None, **draw_options):
        # The title heads the page (and each slide), so the drawing goes without.
        self.title = draw_options.pop("title", None) or "the backward walk"
        self.steps = list(backward_steps(root, gradient, names))
        self.drawing = plan(root, names=names or {}, **draw_options)
        self.graph = emit(self.drawing)
        self.frames = [_intro(root, self.drawing)] + _frames(self.steps, self.drawing)
        self._svg = None
        self.files = []

    def __repr__(self):
        return f"<BackwardPlayer: {len(self.steps)} steps in {len(self.frames) - 1} frames>"

    def svg(self):
        """The drawing as SVG, each node and edge marked with its DOT name (one dot run)."""
        if self._svg is None:
            if shutil.which("dot") is None:
                raise RuntimeError(f"the backward player needs Graphviz's dot program to lay "
                                   f"out the graph; {INSTALL_HINT}")
            self._svg = _marked(self.graph.pipe(format="svg").decode())
        return self._svg

    def html(self):
        """The whole player as one self-contained HTML page."""
        return page(self.title, self.svg(), self.frames)

    def _repr_html_(self):
        # An iframe keeps the page's script and styles apart from the notebook's.
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
                f'style="width: 100%; height: 640px; border: 1px solid #ddd"></iframe>')

    def save(self, path, format=None):
        """Write the page (html), numbered frames (svg, png: walk_001.png, ...) or
        one animated gif. The format is `format`, else path's suffix, else html.
        Returns the list of files written."""
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".") or "html").lower()
        if fmt not in STEP_FORMATS:
            raise ValueError(f"save_backward_steps: format must be one of {STEP_FORMATS}, "
                             f"got {fmt!r}")
        if shutil.which("dot") is None:        # as save_graph does: the DOT text, and a hint
            target = path.with_suffix(".dot")
            target.write_text(self.graph.source, encoding="utf-8")
            print(f"save_backward_steps: Graphviz's dot program was not found, so {target} "
                  f"holds the DOT text of the graph; {INSTALL_HINT}, then run this again",
                  file=sys.stderr)
            self.files = [target]
            return self.files
        if fmt == "html":
            path = path.with_suffix(".html")
            path.write_text(self.html(), encoding="utf-8")
            self.files = [path]
        elif fmt == "svg":
            self.files = self._numbered(path, "svg", self._slide_svg)
        elif fmt == "png":
            self.files = self._numbered(path, "png", self._slide_png)
        else:
            self.files = [self._gif(path.with_suffix(".gif"))]
        return self.files

    # -- slide frames ---------------------------------------------------------
    def _numbered(self, path, suffix, make):
        width = max(3, len(str(len(self.frames))))
        files = []
        for k, frame in enumerate(self.frames):
            target = path.with_name(f"{path.stem}_{k + 1:0{width}d}.{suffix}")
            data = make(k, frame)
            if isinstance(data, str):
                target.write_text(data, encoding="utf-8")
            else:
                target.write_bytes(data)
            files.append(target)
        return files

    def _slide_svg(self, k, frame):
        svg = self.svg()
        done = {n for f in self.frames[1:k] for n in f["current"]}
        for kind, names in (("current", frame["current"]), ("receive", frame["receive"]),
                            ("done", done - set(frame["current"]))):
            for name in names:
                svg = svg.replace(f'class="node mg-n-{name}"', f'class="node mg-n-{name} mg-{kind}"')
        for tail, head in frame["flow"]:
            svg = svg.replace(f'class="edge mg-e-{tail}-{head}"',
                              f'class="edge mg-e-{tail}-{head} mg-flow"')
        return slide_svg(svg, f"{self.title} · {frame['heading']}", frame["caption"])

    def _slide_png(self, k, frame):
        graph = self.graph.copy()
        done = {n for f in self.frames[1:k] for n in f["current"]} - set(frame["current"])
        for kind, names in (("done", done), ("receive", frame["receive"]),
                            ("current", frame["current"])):
            graph.body += [f"\t{name} [{HIGHLIGHT[kind]}]\n" for name in names]
        flow = set(map(tuple, frame["flow"]))
        for i, line in enumerate(graph.body):      # an edge line: "\tn0 -> n1" or "... [label=0]"
            m = re.fullmatch(r"\t(\S+) -> (\S+)(?: \[(.*)\])?\n", line)
            if m and (m[1], m[2]) in flow:
                graph.body[i] = f"\t{m[1]} -> {m[2]} [{HIGHLIGHT['flow']} {m[3] or ''}]\n"
        text = f"{self.title} · {frame['heading']}: {frame['caption']}"
        graph.attr(label=_wrap(text, 100), labelloc="t",
                   labeljust="l", fontsize="13", dpi="110")
        return graph.pipe(format="png")

    def _gif(self, path):
        try:
            from PIL import Image
        except ImportError:
            raise RuntimeError("an animated gif needs Pillow (pip install pillow; matplotlib "
                               "installs it); --format png writes the frames as files") from None
        images = [Image.open(io.BytesIO(self._slide_png(k, f))).convert("RGB")
                  for k, f in enumerate(self.frames)]
        width, height = max(i.width for i in images), max(i.height for i in images)
        frames = []
        for image in images:            # frames of one size, the picture at the top left
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(image, (0, 0))
            frames.append(canvas)
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=1800, loop=0)
        return path


def save_backward_steps(root, path, gradient=None, names=None, format=None, **draw_options):
    """Write the step-by-step player of root.backward(gradient) to path and return it.

    path "walk.html" (or format="html"): one self-contained web page with
    previous/next, a slider, arrow keys and autoplay. "walk.svg" / "walk.png":
    numbered slide frames walk_001.svg, ...; "walk.gif": one animation (needs
    Pillow). Without Graphviz's dot program it writes the graph's DOT text to
    path.dot and says how to install Graphviz. Options: names= as in draw_graph, and draw_graph's options
    (collapse=, max_nodes=, clusters=, show_values=, rankdir=, title=, ...).
    Call it before backward(), or after backward(retain_graph=True): the
    replay needs the values the graph saved.
    """
    player = BackwardPlayer(root, gradient, names, **draw_options)
    player.save(path, format)
    return player


# ----------------------------------------------------------------------------
# From steps to frames
# ----------------------------------------------------------------------------

def _marked(svg):
    """Graphviz's SVG without its XML prolog, each node group classed mg-n-<DOT name>
    and each edge group mg-e-<tail>-<head>, for the page's script and CSS."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)

    def mark(m):
        kind, title = m.group(1), html.unescape(m.group(2))
        name = title if kind == "node" else "-".join(title.split("->"))
        return f'<g class="{kind} mg-{kind[0]}-{name}">\n<title>{m.group(2)}</title>'

    return re.sub(r'<g id="(?:node|edge)\d+" class="(node|edge)">\s*<title>([^<]*)</title>',
                  lambda m: mark(m) if m.group(1) else m.group(0), svg)


def _intro(root, d):
    start = d.ids.get((root.grad_fn, root._output_nr)) or d.ids.get(id(root))
    return dict(steps=[], heading="before the walk", current=[], receive=[start] if start else [],
                flow=[], rows=[], details=[],
                caption="backward() starts at the output with g = d output / d output and "
                        "walks back to the leaves, newest operation first.")


def _drawn(step, d):
    """The DOT name of the node drawing a step's node (None if it is not drawn)."""
    if type(step.node) is AccumulateGrad:
        return d.ids.get(id(step.node.variable))
    return d.ref.get(step.node)


def _travels(step, d):
    """(edges, receiving nodes) of the drawing that a step's gradients travel."""
    me = _drawn(step, d)
    edges, receive = [], []
    for send, edge in zip(step.sends, step.node.edges):
        if send is None or send.grad is None:
            continue
        parent, k = edge
        if type(parent) is AccumulateGrad:
            path = [d.ids.get(id(parent.variable)), me]
        else:                   # through the box of the parent's result, when it has one
            box = d.ids.get((parent, k))
            path = [d.ref.get(parent), box, me] if box else [d.ref.get(parent), me]
        path = [p for p in path if p is not None]
        edges += [(a, b) for a, b in zip(path, path[1:]) if (a, b) in d.seen_edges]
        if path and path[0] != me:
            receive.append(path[0])
    return edges, receive


def _frames(steps, d):
    """One frame per step; consecutive steps drawn as one merged node (a collapsed
    module, a chain, the max_nodes remainder) share a frame."""
    frames, total = [], len(steps)
    for step in steps:
        me = _drawn(step, d)
        edges, receive = _travels(step, d)
        rows, details = _rows(step), _details(step)
        last = frames[-1] if frames else None
        if last is not None and me is not None and me in d.merged and last["current"] == [me]:
            last["steps"].append(step.number)
            last["heading"] = f"steps {last['steps'][0]}–{step.number} of {total}: inside {me}"
            last["caption"] = f"{len(last['steps'])} steps inside this box; the last: " \
                              f"{step.caption}"
            last["flow"] += [e for e in edges if e not in last["flow"]]
            last["receive"] += [r for r in receive if r not in last["receive"]]
            last["rows"] = (last["rows"] + rows)[-MERGED_ROWS:]    # a long run: its last rows
            last["details"] = details
            continue
        kind = "leaf" if step.is_leaf else step.node.name
        frames.append(dict(steps=[step.number], heading=f"step {step.number} of {total}: {kind}",
                           current=[me] if me else [], receive=receive, flow=edges,
                           caption=step.caption, rows=rows, details=details))
    return frames


def _rows(step):
    """The rows this step adds to the table of gradients so far."""
    if step.is_leaf:
        grad = step.leaf_grad
        return [[step.number, f"{step.label}.grad", "none" if grad is None else describe(grad)]]
    return [[step.number, f"g at {step.outputs[k]}", describe(g)]
            for k, g in enumerate(step.grads) if g is not None]


def _details(step):
    """A few lines under the caption: what arrived, what was sent where."""
    lines = []
    for k, came in enumerate(step.arrivals):
        if not came:
            continue
        where = f"{step.label}.grad" if step.is_leaf else step.outputs[k]
        total = " + ".join(f"{describe(g)} (" + ("the start" if n == 0 else f"step {n}") + ")"
                           for n, g in came)
        if len(came) > 1:
            total += f" = {describe(step.grads[k])}"
        lines.append(f"arrived for {where}: {total}")
    for send in step.sends:
        if send is not None and send.grad is not None:
            summed = "" if send.summed_from is None else f", summed from {send.summed_from}"
            lines.append(f"sent to {send.name}: {describe(send.grad)}{summed}")
    return lines


def _wrap(text, width):
    """Text in lines of at most `width` characters, for a DOT label."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))

