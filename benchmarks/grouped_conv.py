"""Grouped and depthwise conv2d, minigrad next to PyTorch.

Each case is F.conv2d with groups > 1, float32, forward + backward (the gradients of
the input and the weight for a random upstream gradient), 3x3 filters, padding 1:

    depthwise   groups = C, one filter per channel (MobileNet's layers)
    grouped     groups = 2 and 4, C filters (ResNeXt's layers)

The two engines take turns, one call each per round, after checking that they give
the same numbers; the figure is the median over the rounds, with the spread of the
per-round ratios to PyTorch. The clock is the process's CPU time, both engines on
one thread. Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset where a machine
pins them (benchmarks/README.md says why):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/grouped_conv.py
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")     # before NumPy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # minigrad, from a checkout

import minigrad as mg                       # noqa: E402
from minigrad.nn import functional as F    # noqa: E402

CASES = [  # (name, input shape (N, C, H, W), groups, out channels)
    ("depthwise (16, 64, 16, 16)", (16, 64, 16, 16), 64, 64),
    ("depthwise (8, 256, 8, 8)", (8, 256, 8, 8), 256, 256),
    ("depthwise (32, 16, 32, 32)", (32, 16, 32, 32), 16, 16),
    ("groups 2, (32, 16, 16, 16)", (32, 16, 16, 16), 2, 16),
    ("groups 4, (32, 32, 16, 16)", (32, 32, 16, 16), 4, 32),
]


def time_case(x_shape, groups, out_channels, rounds):
    """CPU seconds per round of each engine, after checking that they agree."""
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = (rng.standard_normal((out_channels, x_shape[1] // groups, 3, 3)) * 0.3).astype(np.float32)
    g = rng.standard_normal((x_shape[0], out_channels, *x_shape[2:])).astype(np.float32)
    leaves = {"minigrad": [mg.Tensor(a, requires_grad=True) for a in (x, w)],
              "PyTorch": [torch.tensor(a, requires_grad=True) for a in (x, w)]}

    def run(label):
        a, b = leaves[label]
        a.grad = b.grad = None
        if label == "minigrad":
            y = F.conv2d(a, b, padding=1, groups=groups)
            y.backward(g)
            return [y.data, a.grad.data, b.grad.data]
        y = torch.nn.functional.conv2d(a, b, padding=1, groups=groups)
        y.backward(torch.from_numpy(g))
        return [y.detach().numpy(), a.grad.numpy(), b.grad.numpy()]

    for ours, theirs in zip(run("minigrad"), run("PyTorch")):
        scale = np.abs(theirs).max()
        assert np.abs(ours - theirs).max() <= 1e-4 * scale, "minigrad and PyTorch differ"
    times = {"minigrad": [], "PyTorch": []}
    for _ in range(rounds):
        for label in times:
            start = time.process_time()
            run(label)
            times[label].append(time.process_time() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    print(f"load average {os.getloadavg()[0]:.1f}, NumPy {np.__version__}, "
          f"torch {torch.__version__}, {args.rounds} rounds, CPU time, float32")
    print("| conv2d, 3x3, padding 1, forward + backward | minigrad ms | PyTorch ms | "
          "ratio, median (range) |")
    print("|---|---:|---:|---:|")
    for name, x_shape, groups, out_channels in CASES:
        times = time_case(x_shape, groups, out_channels, args.rounds)
        ratios = [a / b for a, b in zip(times["minigrad"], times["PyTorch"])]
        print(f"| {name} | {statistics.median(times['minigrad']) * 1e3:.2f} | "
              f"{statistics.median(times['PyTorch']) * 1e3:.2f} | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f}) |")


if __name__ == "__main__":
    main()
