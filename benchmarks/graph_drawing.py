"""How long draw_graph takes to write the DOT text of a big graph.

The graph is the chain of benchmarks/overhead.py,

    y = (y * 1.0001 + 0.1).tanh()          # 3 operations per step

run for 3,334 steps: 10,002 operations, each drawn as a node with a label and
a tooltip summarising its output (min, max, mean, norm). What is timed is
draw_graph(y).source, the text Graphviz would lay out; the best of several
runs counts. The goal is under a second for 10,000 nodes. Laying such a graph
out is Graphviz's work and takes far longer, which is what max_nodes is for:
a row times the whole path to an SVG of the 200 operations nearest y. The last
rows draw a chain ten times longer (100,020 operations) with default options,
which draw the 2,000 operations nearest y and warn how to draw it whole.

    python benchmarks/graph_drawing.py
"""
from __future__ import annotations

import platform
import shutil
import time
import warnings

import numpy as np

import minigrad as mg
from minigrad.draw import draw_graph

STEPS = 3_334
REPEATS = 5


def chain(size, steps=STEPS):
    x = mg.Tensor(np.linspace(-1.0, 1.0, size), requires_grad=True, name="x")
    y = x
    for _ in range(steps):
        y = (y * 1.0001 + 0.1).tanh()
    return y


def best_of(fn):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rows = []
    for size in (8, 4096):
        y = chain(size)
        n_ops = 3 * STEPS
        seconds = best_of(lambda: draw_graph(y, max_nodes=None).source)
        rows.append((f"{n_ops:,} operations on shape ({size},), whole, DOT text", seconds))
    y = chain(8)
    rows.append(("the same, max_nodes=200, DOT text",
                 best_of(lambda: draw_graph(y, max_nodes=200).source)))
    if shutil.which("dot"):
        rows.append(("max_nodes=200, rendered to SVG by dot",
                     best_of(lambda: draw_graph(y, max_nodes=200).pipe(format="svg"))))
    # Ten times bigger, default options: cut to the nearest DEFAULT_MAX_NODES with a notice.
    huge = chain(8, steps=10 * STEPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows.append((f"{30 * STEPS:,} operations, default options, DOT text",
                     best_of(lambda: draw_graph(huge).source)))
        if shutil.which("dot"):
            rows.append((f"{30 * STEPS:,} operations, default options, rendered to SVG by dot",
                         best_of(lambda: draw_graph(huge).pipe(format="svg"))))
    print(f"draw_graph on {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, best of {REPEATS}\n")
    print("| graph | seconds |\n|---|---|")
    for what, seconds in rows:
        print(f"| {what} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
