"""What Python's cyclic garbage collector costs while a graph grows.

The forward of the chain in benchmarks/overhead.py,

    y = (y * 1.0001 + 0.1).tanh()          # 3 operations per step

is run for graphs of growing size. For each size this prints the time per
operation, the part of it spent inside the collector (timed with
gc.callbacks), how many full collections ran, and how many objects the
collector must track per operation in the finished graph. A full collection
walks every tracked object that is alive, so the fewer objects each recorded
operation leaves behind, the less the forward slows down as the graph grows.
The last row runs the biggest graph with the collector disabled: the cost
per operation without it.

    python benchmarks/gc_graph.py            # up to 1,000,000 operations (about 1.5 GB)
    python benchmarks/gc_graph.py --small    # up to 100,000
"""
from __future__ import annotations

import gc
import subprocess
import sys
import time

import numpy as np


def one_run(n_ops, collector):
    import minigrad as mg
    in_gc, full, started = [0.0], [0], [0.0]

    def timer(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            in_gc[0] += time.perf_counter() - started[0]
            full[0] += info["generation"] == 2

    x = mg.Tensor(np.ones(8), requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    if not collector:
        gc.disable()
    gc.callbacks.append(timer)
    y = x
    start = time.perf_counter()
    for _ in range(n_ops // 3):
        y = (y * 1.0001 + 0.1).tanh()
    elapsed = time.perf_counter() - start
    gc.callbacks.remove(timer)
    gc.enable()
    gc.collect()
    tracked = (len(gc.get_objects()) - before) / n_ops
    print(f"{n_ops:>10,} {'on' if collector else 'off':>4} {elapsed / n_ops * 1e6:>8.2f} "
          f"{in_gc[0] / n_ops * 1e6:>8.2f} {full[0]:>5} {tracked:>8.2f}", flush=True)


def main():
    if len(sys.argv) > 2:                       # a child process: one measurement
        one_run(int(sys.argv[1]), sys.argv[2] == "on")
        return
    sizes = [1_000, 10_000, 100_000] + ([] if "--small" in sys.argv else [1_000_000])
    print(f"{'operations':>10} {'gc':>4} {'µs/op':>8} {'in gc':>8} {'full':>5} {'tracked/op':>8}")
    # each size in a fresh process, so that one graph's memory does not slow the next
    for n, collector in [(n, True) for n in sizes] + [(sizes[-1], False)]:
        subprocess.run([sys.executable, __file__, str(n), "on" if collector else "off"],
                       check=True)


if __name__ == "__main__":
    main()
