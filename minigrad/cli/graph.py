"""Draw the computation graph of a layer or of a small expression.

examples:
  minigrad graph BatchNorm2d --shape 2,3,4,4 --mode manual --view backward -o bn.svg
  minigrad graph LayerNorm --shape 2,5 --format png
  minigrad graph --expr "tanh(x*w + b)" --shape 3
  minigrad graph --expr "sum(relu(x @ W))" --shape x=2,3 --shape W=3,4 --view backward
  minigrad graph --expr="-x * tanh(x)" --shape 4     # with "=" when it starts with "-"
  minigrad graph --steps --expr "tanh(w*x + b)**2" --shape 1 -o walk.html
  minigrad graph --steps BatchNorm2d --shape 2,3,4,4 --format png   # slides: *_001.png, ...

The forward view is the graph the layer's forward pass records; the backward
view is the graph that computed the gradients (backward with create_graph=True),
what a second derivative differentiates through. --mode chooses how a layer
gets its gradient: "autograd" composes primitives (they all show), "manual" is
one node with the hand-derived formula. Without Graphviz's dot program the
graph is written as a .dot file, with a hint on installing Graphviz.

--steps shows backward() at work instead: a web page (html, the default) that
steps through the walk node by node with the gradients each one receives and
sends, or the same frames as numbered svg/png slides, or one animated gif.
"""
from __future__ import annotations

import ast
import operator
import sys
from pathlib import Path

import numpy as np

import minigrad
from minigrad.draw import FORMATS, STEP_FORMATS, BackwardPlayer, draw_graph, save_graph

# name -> (build(shape, groups, mode), default input shape). The layer's own
# checks say what is wrong with a shape.
LAYERS = {
    "BatchNorm1d": (lambda s, g, m: _layer("BatchNorm1d", s[1], backward=m), "4,3"),
    "BatchNorm2d": (lambda s, g, m: _layer("BatchNorm2d", s[1], backward=m), "2,3,4,4"),
    "LayerNorm": (lambda s, g, m: _layer("LayerNorm", s[-1], backward=m), "2,5"),
    "GroupNorm": (lambda s, g, m: _layer("GroupNorm", g, s[1], backward=m), "2,4,3,3"),
    "InstanceNorm1d": (lambda s, g, m: _layer("InstanceNorm1d", s[1], affine=True, backward=m),
                       "2,3,5"),
    "InstanceNorm2d": (lambda s, g, m: _layer("InstanceNorm2d", s[1], affine=True, backward=m),
                       "2,3,4,4"),
    "RMSNorm": (lambda s, g, m: _layer("RMSNorm", s[-1], backward=m), "2,5"),
    "BatchChannelNorm2d": (lambda s, g, m: _layer("BatchChannelNorm2d", s[1], g, backward=m),
                           "2,4,3,3"),
    "WSLinear": (lambda s, g, m: _layer("WSLinear", s[-1], s[-1], backward=m), "2,4"),
    "WSConv2d": (lambda s, g, m: _layer("WSConv2d", s[1], s[1], 3, padding=1, backward=m),
                 "1,2,4,4"),
}
FUNCTIONS = ("tanh", "exp", "log", "sqrt", "abs", "sigmoid", "relu", "sum", "mean", "var", "std",
             "max", "min", "maximum", "minimum", "matmul", "reshape", "transpose")
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul}


class UsageError(Exception):
    """Something the user asked for that cannot be drawn: one line, no traceback."""


def add_arguments(parser):
    parser.add_argument("layer", nargs="?", help=f"a layer to draw: {', '.join(LAYERS)}")
    parser.add_argument("--expr", help='an expression instead of a layer, e.g. "tanh(x*w + b)"; '
                        f"functions: {', '.join(FUNCTIONS)}")
    parser.add_argument("--shape", action="append", default=[], metavar="SHAPE",
                        help="input shape, e.g. 2,3,4,4; for --expr also NAME=SHAPE per variable")
    parser.add_argument("--mode", choices=("autograd", "manual"), default="autograd",
                        help="the layer's backward= (default: autograd)")
    parser.add_argument("--view", choices=("forward", "backward"), default="forward",
                        help="the forward graph, or the graph that computed the gradients")
    parser.add_argument("--eval", action="store_true", help="put the layer in eval mode")
    parser.add_argument("--groups", type=int, default=2, help="num_groups for GroupNorm and "
                        "BatchChannelNorm2d (default: 2)")
    parser.add_argument("--steps", action="store_true",
                        help="the backward walk step by step: a web page (or --format "
                             "svg/png/gif frames), e.g. minigrad graph --steps --expr "
                             "\"tanh(w*x + b)**2\" --shape 1 -o walk.html")
    parser.add_argument("--format", choices=sorted(set(FORMATS + STEP_FORMATS)),
                        help=f"{', '.join(FORMATS)} (default: from -o, else svg); with --steps "
                             f"{', '.join(STEP_FORMATS)} (default: from -o, else html)")
    parser.add_argument("-o", "--output",
                        help="the file to write (default: <name>_<view>.<format>)")
    parser.add_argument("--collapse", action="store_true", help="draw each module as one node")
    parser.add_argument("--values", action="store_true", help="show value summaries")
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")


def run(args):
    try:
        fmt = _format(args.output, args.format, STEP_FORMATS if args.steps else FORMATS)
        if args.steps and args.view != "forward":
            raise UsageError("--steps walks backward through the forward graph; leave out --view")
        with np.errstate(all="ignore"):        # log of a random negative: a NaN, drawn all the same
            graph, stem = _build(args)
    except UsageError as e:
        print(f"minigrad graph: {e}", file=sys.stderr)
        return 2
    try:
        if args.steps:
            try:
                files = graph.save(args.output or f"{stem}_steps.{fmt}", fmt)
            except RuntimeError as e:           # a gif without Pillow
                print(f"minigrad graph: {e}", file=sys.stderr)
                return 1
            shown = files[0] if len(files) == 1 else f"{files[0]} … {files[-1].name}"
            print(f"wrote {shown} ({len(graph.frames)} frames, {len(graph.steps)} steps)")
            return 0
        path = save_graph(graph, args.output or f"{stem}_{args.view}.{fmt}", fmt)
    except OSError as e:
        print(f"minigrad graph: cannot write {e.filename or args.output}: {e.strerror or e}",
              file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def _format(output, given, formats):
    """The output format: --format, else the suffix of -o, else the first of formats
    (svg for a graph, html for --steps); they must agree."""
    suffix = Path(output).suffix.lstrip(".").lower() if output else ""
    if given and given not in formats:
        raise UsageError(f"--format {given} is not one of {', '.join(formats)}"
                         + (" (with --steps)" if formats is STEP_FORMATS else ""))
    if given and suffix in formats and suffix != given:
        raise UsageError(f"{output} ends in .{suffix} but --format is {given}; "
                         f"change one of them")
    if given or not suffix:
        return given or formats[0]
    if suffix not in formats:
        raise UsageError(f"cannot tell the format from {output!r}; use --format "
                         f"({', '.join(formats)})")
    return suffix


def _build(args):
    """(the Digraph, a file stem) for the layer or expression args name."""
    if (args.layer is None) == (args.expr is None):
        raise UsageError("name a layer or give --expr (one of the two), e.g. "
                         "'minigrad graph BatchNorm2d' or 'minigrad graph --expr \"tanh(x*w)\"'")
    rng = np.random.default_rng(args.seed)
    if args.expr is not None:
        *inputs, out = _expression(args.expr, _shapes(args.shape, "3"), rng)
        label, stem = args.expr, "expression"
    else:
        args.layer = {name.lower(): name for name in LAYERS}.get(args.layer.lower(), args.layer)
        if args.layer not in LAYERS:
            raise UsageError(f"unknown layer {args.layer!r}; the layers are {', '.join(LAYERS)}")
        if any("=" in text for text in args.shape):
            raise UsageError(f"NAME=SHAPE is for --expr; a layer takes its input's shape, "
                             f"e.g. --shape {LAYERS[args.layer][1]}")
        if len(args.shape) > 1:
            raise UsageError(f"a layer takes one --shape (its input's), got {len(args.shape)}")
        build, default = LAYERS[args.layer]
        shape = _shapes(args.shape, default)[None]
        try:
            layer = build(shape, args.groups, args.mode)
            layer.train(not args.eval)
            x = minigrad.Tensor(rng.standard_normal(shape), requires_grad=True, name="x")
            out = layer(x)
        except IndexError:
            raise UsageError(f"{args.layer}: the input shape {shape} has too few "
                             f"dimensions (try {default})") from None
        except (ValueError, TypeError) as e:
            raise UsageError(str(e)) from None
        inputs = [x] + [p for p in layer.parameters()]
        label = (f"{args.layer} on input {shape}, backward={args.mode!r}"
                 + (", eval mode" if args.eval else ""))
        stem = args.layer.lower()
    options = dict(collapse=args.collapse, show_values=args.values, rankdir=args.rankdir,
                   legend=True)
    if args.steps:
        # A non-scalar result starts from a random dL/dy, as the backward view does.
        seed = None if out.size == 1 else rng.standard_normal(out.shape)
        return BackwardPlayer(out, seed, title=f"{label}: the backward walk", **options), stem
    if args.view == "forward":
        return draw_graph(out, title=f"{label}: forward graph", **options), stem
    # dy requires grad too: every VJP then shows, even one that only scales dy.
    seed = minigrad.Tensor(rng.standard_normal(out.shape), requires_grad=True, name="dy")
    grads = minigrad.grad(out, inputs, seed, create_graph=True, allow_unused=True)
    names = {f"d{getattr(t, 'name', None) or i}": g for i, (t, g) in enumerate(zip(inputs, grads))
             if g is not None}
    return draw_graph(*names.values(), names=names, backward_of=out,
                      title=f"{label}: backward graph (create_graph=True)", **options), stem


def _shapes(texts, default):
    """--shape values -> {None: the shape for all, name: its own shape}."""
    shapes = {None: default}
    for text in texts:
        name, _, dims = text.rpartition("=")
        shapes[name or None] = dims
    try:
        return {k: tuple(int(n) for n in v.split(",") if n.strip()) for k, v in shapes.items()}
    except ValueError:
        raise UsageError(f"--shape takes comma-separated integers like 2,3,4,4 (or NAME=2,3 with "
                         f"--expr), got {texts}") from None


def _expression(text, shapes, rng):
    """Evaluate a small arithmetic expression; every free name becomes an input
    that requires grad. Returns [inputs..., result]."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise UsageError(f"cannot read the expression {text!r}: {e.msg}") from None
    inputs = {}

    def evaluate(node):
        if isinstance(node, ast.Expression):
            return evaluate(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in inputs:
                shape = shapes.get(node.id, shapes[None])
                inputs[node.id] = minigrad.Tensor(rng.standard_normal(shape), requires_grad=True,
                                                  name=node.id)
            return inputs[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            return BINARY[type(node.op)](evaluate(node.left), evaluate(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = evaluate(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Tuple):                 # reshape(x, (3, 2)), axis=(0, 1)
            return tuple(_literal(item, text) for item in node.elts)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in FUNCTIONS):
            kwargs = {k.arg: _literal(k.value, text) for k in node.keywords}
            return getattr(minigrad, node.func.id)(*map(evaluate, node.args), **kwargs)
        raise UsageError(f"the expression may use numbers, names, + - * / ** @ and the functions "
                         f"{', '.join(FUNCTIONS)}; cannot draw {ast.unparse(node)!r}")

    try:
        result = evaluate(tree)
    except (ValueError, TypeError, RuntimeError) as e:
        raise UsageError(f"{text!r}: {e}") from None
    if not isinstance(result, minigrad.Tensor) or not result.requires_grad:
        raise UsageError(f"{text!r} does not depend on any input, so it has no graph")
    return list(inputs.values()) + [result]


def _literal(node, text):
    """A keyword argument or tuple entry: a number, True/False/None, or a tuple of those."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise UsageError(f"{text!r}: tuples and keyword arguments hold numbers, as in "
                         f"reshape(x, (3, 2)) or sum(x, axis=0); cannot use "
                         f"{ast.unparse(node)!r} there") from None


def _layer(name, *args, **kwargs):
    import layers
    if not hasattr(layers, name):
        raise UsageError(f"the layers package has no {name} (is it installed?)")
    return getattr(layers, name)(*args, **kwargs)
