"""BatchNorm2d, autograd against manual backward: peak memory and time of one training step.

One forward + backward of layers.BatchNorm2d in training mode on a float64 input of shape
(32, 64, 32, 32) (16 MB), with an upstream gradient of the output's shape:

    peak memory   tracemalloc's peak while forward and backward run (NumPy reports its
                  arrays to it), above what existed before (the input tensor, the upstream
                  gradient, the parameters), as a multiple of the input's size: the output,
                  what the graph keeps, the backward's temporaries and the input's gradient.
                  Also for a float32 input of the same shape (a float32 layer), which should
                  give the same multiple
    time          CPU time (time.process_time) of forward + backward (float64), the two
                  backward modes taking turns, median of the rounds

    python benchmarks/batchnorm_memory.py [--rounds 15]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # layers/, from a checkout

import minigrad as mg   # noqa: E402
import layers           # noqa: E402

SHAPE = (32, 64, 32, 32)


def step(bn, x, g):
    x.grad = None
    bn(x).backward(g)


def peak_memory(bn, x, g):
    """Peak bytes allocated during one step (the output, what the backward keeps and
    makes, the input's gradient), above what was held before it."""
    step(bn, x, g)                            # warm up (running stats, caches)
    x.grad = None
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    step(bn, x, g)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


def peak_multiples(dtype, rng):
    """Peak memory over the input's size, per backward mode, at one dtype."""
    x = mg.Tensor(rng.standard_normal(SHAPE).astype(dtype), requires_grad=True)
    g = rng.standard_normal(SHAPE).astype(dtype)
    return {mode: peak_memory(layers.BatchNorm2d(SHAPE[1], backward=mode, dtype=dtype), x, g)
            / x.data.nbytes for mode in ("autograd", "manual")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    memory = peak_multiples(np.float64, rng)
    memory32 = peak_multiples(np.float32, rng)
    x = mg.Tensor(rng.standard_normal(SHAPE), requires_grad=True)
    g = rng.standard_normal(SHAPE)
    modes = {mode: layers.BatchNorm2d(SHAPE[1], backward=mode) for mode in ("autograd", "manual")}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"BatchNorm2d({SHAPE[1]}) on {SHAPE} float64 ({x.data.nbytes / 2**20:.0f} MB), training "
          f"mode, forward + backward; load average {load:.1f}")
    times = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode, bn in modes.items():
            start = time.process_time()
            step(bn, x, g)
            times[mode].append(time.process_time() - start)
    ratios = [a / m for a, m in zip(times["autograd"], times["manual"])]
    print("| backward | peak memory / input | (float32) | ms (CPU), median | min-max |")
    print("|---|---:|---:|---:|---:|")
    for mode in modes:
        ts = times[mode]
        print(f"| {mode} | {memory[mode]:.2f} | {memory32[mode]:.2f} | "
              f"{statistics.median(ts) * 1e3:.1f} | {min(ts) * 1e3:.1f}-{max(ts) * 1e3:.1f} |")
    print(f"autograd / manual time: median {statistics.median(ratios):.2f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f} over {args.rounds} rounds)")


if __name__ == "__main__":
    main()
