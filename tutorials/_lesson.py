"""The small toolkit every lesson imports: output folder, sections, figures and checked claims.

A lesson starts with

    from _lesson import setup, section, check, save_graph, save_plot, numerical_gradient
    args = setup()                  # parses --out DIR and --fast, creates DIR

and then, cell by cell, prints what it shows (`section`), saves what it draws
(`save_graph` for Graphviz graphs as SVG, `save_plot` for matplotlib figures as PNG,
`save_player` for the backward walk as a web page),
compares with finite differences (`numerical_gradient`)
and asserts every claim it makes (`check`), so a lesson that stops telling the
truth stops running. A claim about PyTorch is checked against PyTorch itself when it is
installed (`check_pytorch`), and a seed blog post's mistake is quoted and corrected with
`seed_mistake` (lesson 11 lists them all and where each is shown).

    python tutorials/03_first_network.py                  # figures in ./tutorial_output/03_first_network
    python tutorials/03_first_network.py --out /tmp/t3    # figures in /tmp/t3
    python tutorials/10_training_experiment.py --fast     # fewer steps (what the tests run)

In a notebook (`minigrad tutorials notebook N`, or VS Code / jupytext opening the `# %%`
cells) the kernel's own command-line arguments are ignored and the figures go to
./tutorial_output/NN_name: the name is the one a generated notebook sets (NOTEBOOK_LESSON),
else the notebook's path when Jupyter or VS Code tell it (else ./tutorial_output/lesson).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Lessons save figures to files; they never open windows. In a notebook keep its inline backend.
if "ipykernel" not in sys.modules:
    os.environ["MPLBACKEND"] = "Agg"

_OUT: Path | None = None
NOTEBOOK_LESSON: str | None = None      # set by the first cell of a generated notebook


def setup(lesson_file=None, argv=None):
    """Parse --out and --fast for the lesson at `lesson_file`, create the output folder.

    lesson_file defaults to the running script. In a notebook, where __file__ is not defined,
    it is NOTEBOOK_LESSON when a generated notebook set it, else the notebook's path as VS
    Code (__vsc_ipynb_file__) or Jupyter (JPY_SESSION_NAME) give it, else just "lesson".
    Returns the argparse namespace: args.out (a Path) and args.fast (bool).
    Unknown arguments (a notebook kernel's) are ignored.
    """
    global _OUT
    if lesson_file is None:
        import __main__
        lesson_file = (getattr(__main__, "__file__", None) or NOTEBOOK_LESSON
                       or getattr(__main__, "__vsc_ipynb_file__", None)
                       or os.environ.get("JPY_SESSION_NAME") or "lesson")
    stem = Path(lesson_file).stem
    parser = argparse.ArgumentParser(
        prog=Path(lesson_file).name,
        description=f"Tutorial {stem}: run it and read what it prints; figures go to --out.")
    parser.add_argument("--out", type=Path, default=Path("tutorial_output") / stem,
                        help=f"folder for the figures (default: tutorial_output/{stem})")
    parser.add_argument("--fast", action="store_true",
                        help="fewer training steps/samples, for the tests (a few seconds)")
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    _OUT = args.out
    print(f"{stem}: figures go to {args.out}{'  (--fast)' if args.fast else ''}")
    return args


def _out_dir():
    if _OUT is None:
        setup(argv=[])
    return _OUT


def section(title):
    """Print a section heading, so the output reads like the lecture's outline."""
    print(f"\n{title}\n{'-' * len(title)}")


def check(claim, condition, detail=None):
    """Print '✓ claim' if condition holds; otherwise raise AssertionError naming the claim."""
    if not bool(condition):
        message = f"claim failed: {claim}" + (f" ({detail})" if detail else "")
        raise AssertionError(message)
    print(f"✓ {claim}" + (f"  [{detail}]" if detail else ""))


def check_pytorch(claim, torch, condition):
    """check(claim, condition(torch)) when PyTorch is installed (torch is the module);
    without it (torch is None) say that this comparison was skipped. condition returns a
    bool, or (bool, detail)."""
    if torch is None:
        print(f"- skipped (PyTorch is not installed): {claim}")
        return
    result = condition(torch)
    held, detail = result if isinstance(result, tuple) else (result, None)
    check(claim, held, detail)


def seed_mistake(code, seed, quote, translation, correction):
    """Print one of the seeds' mistakes: its code (E1-E31, lesson 11 lists them all), the seed
    post it is from, the quoted words, their translation, and the correction."""
    import textwrap
    print(f"\n{code} (seed {seed}): \"{quote}\"")
    for text in (f"The seed says: {translation}", f"Correction: {correction}"):
        text = text if text.endswith((".", "!", "?")) else text + "."
        print(textwrap.fill(text, 98, initial_indent="  ", subsequent_indent="    "))


def save_graph(digraph, name):
    """Save a graphviz.Digraph as <out>/<name>.svg and return the path written.

    Without Graphviz's `dot` program, minigrad.draw.save_graph writes <name>.dot (the DOT
    text) instead and says how to install Graphviz or render it online.
    """
    from minigrad.draw import save_graph as save
    path = Path(save(digraph, _out_dir() / f"{name}.svg"))
    print(f"saved graph: {path}")
    _show_in_notebook(digraph)
    return path


def save_player(tensor, name, **options):
    """Save the step-by-step player of tensor.backward() as <out>/<name>.html (a web page:
    open it in a browser) and return it. Call it before backward(): the replay needs the
    values the graph saved. Options go to minigrad.draw.save_backward_steps."""
    from minigrad.draw import save_backward_steps
    player = save_backward_steps(tensor, _out_dir() / f"{name}.html", **options)
    print(f"saved player: {player.files[0]}")
    _show_in_notebook(player)
    return player


def _show_in_notebook(figure):
    """In Jupyter / VS Code cells, also show the figure inline (scripts only save it)."""
    if "ipykernel" in sys.modules:
        from IPython.display import display
        display(figure)


def save_plot(fig, name, dpi=110):
    """Save a matplotlib figure as <out>/<name>.png and close it. Returns the path."""
    import matplotlib.pyplot as plt
    path = _out_dir() / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    _show_in_notebook(fig)
    plt.close(fig)
    print(f"saved plot: {path}")
    return path


def numerical_gradient(f, x, eps=1e-6):
    """d f / d x by central differences, one entry at a time (lesson 1 explains it).

    f maps a float64 ndarray of x's shape to a number; x is not modified.
    """
    import numpy as np
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        orig = x[index]
        x[index] = orig + eps
        plus = float(f(x))
        x[index] = orig - eps
        minus = float(f(x))
        x[index] = orig
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def recorded_operations(tensor):
    """The operations (graph nodes other than leaves) that produced `tensor`, found by
    walking its grad_fn's edges with an explicit stack; empty for a tensor without history."""
    from minigrad.node import AccumulateGrad
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or isinstance(node, AccumulateGrad) or node in seen:
            continue
        seen.add(node)
        todo.extend(edge[0] for edge in node.edges if edge is not None)
    return seen
