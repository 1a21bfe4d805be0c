"""Per-operation overhead of minigrad next to PyTorch CPU (and HIPS autograd, MyGrad).

The workload is all overhead and no arithmetic: a chain of 1,000 steps

    y = (y * 1.0001 + 0.1).tanh()          # 3 operations per step

on a float64 tensor of shape (8,), then backward from y with a gradient of
ones. What is timed is forward plus backward; the figure reported is that
time divided by the 3,000 operations. Each engine runs several times,
interleaved with the others so that a busy machine slows them all alike, and
its best run counts.

    python benchmarks/overhead.py              # the table
    python benchmarks/overhead.py --profile    # cProfile of minigrad's run
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

STEPS = 1_000
OPS_PER_STEP = 3
SIZE = 8


def minigrad_run():
    import minigrad as mg
    x = mg.Tensor(np.linspace(-1.0, 1.0, SIZE), requires_grad=True)
    y = x
    for _ in range(STEPS):
        y = (y * 1.0001 + 0.1).tanh()
    y.backward(np.ones(SIZE))
    return x.grad.data


def torch_run():
    import torch
    x = torch.linspace(-1.0, 1.0, SIZE, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(STEPS):
        y = (y * 1.0001 + 0.1).tanh()
    y.backward(torch.ones(SIZE, dtype=torch.float64))
    return x.grad.numpy()


def autograd_run():
    import autograd.numpy as anp
    from autograd import make_vjp

    def chain(x):
        y = x
        for _ in range(STEPS):
            y = anp.tanh(y * 1.0001 + 0.1)
        return y

    vjp, _ = make_vjp(chain)(np.linspace(-1.0, 1.0, SIZE))
    return vjp(np.ones(SIZE))


def mygrad_run():
    import mygrad
    x = mygrad.tensor(np.linspace(-1.0, 1.0, SIZE))
    y = x
    for _ in range(STEPS):
        y = mygrad.tanh(y * 1.0001 + 0.1)
    y.backward(np.ones(SIZE))
    return x.grad


def _available():
    engines = [("minigrad", minigrad_run), ("PyTorch CPU", torch_run)]
    for label, module, run in [("HIPS autograd", "autograd", autograd_run),
                               ("MyGrad", "mygrad", mygrad_run)]:
        try:
            __import__(module)
        except ImportError:
            print(f"({label} is not installed; skipped)")
            continue
        engines.append((label, run))
    return engines


def _versions():
    from importlib.metadata import PackageNotFoundError, version
    found = {}
    for package in ("numpy", "minigrad", "torch", "autograd", "mygrad"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def measure(repeats):
    import torch
    torch.set_num_threads(1)        # one core each: a like-for-like comparison
    engines = _available()
    reference = minigrad_run()
    for label, run in engines[1:]:  # all engines compute the same gradient
        np.testing.assert_allclose(run(), reference, rtol=1e-10, err_msg=label)
    best = {label: float("inf") for label, _ in engines}
    for _ in range(repeats):
        for label, run in engines:
            start = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def report(best, repeats):
    per_op = {label: t / (STEPS * OPS_PER_STEP) * 1e6 for label, t in best.items()}
    torch_us = per_op["PyTorch CPU"]
    v = _versions()
    print(f"Engine overhead: {STEPS} x (y * 1.0001 + 0.1).tanh() on shape ({SIZE},) float64, "
          f"forward + backward, best of {repeats} interleaved runs")
    print(f"{datetime.date.today()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          + ", ".join(f"{k} {val}" for k, val in v.items()) + "; torch.set_num_threads(1)")
    print()
    print("| engine | µs per op | ratio to PyTorch |")
    print("|---|---:|---:|")
    for label, us in per_op.items():
        print(f"| {label} | {us:.2f} | {us / torch_us:.2f} |")
    return per_op


def profile():
    import cProfile
    import pstats
    minigrad_run()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        minigrad_run()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="runs per engine (default 30)")
    parser.add_argument("--profile", action="store_true", help="profile minigrad instead")
    args = parser.parse_args(argv)
    if args.profile:
        profile()
        return 0
    report(measure(args.repeats), args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
