"""Backward through concatenate and stack of many inputs, next to PyTorch.

A variadic operation must backpropagate in time linear in the number of its
inputs: each input's gradient is a slice of the output's gradient, and one
running offset finds every slice. (Recomputing each input's offset from all
the inputs before it made 30,000 inputs take minutes.)

For n inputs of shape (3,) that require grad, this times
    y = concatenate(xs)   (or stack(xs, axis=1));   y.sum().backward()
forward and backward separately, best of a few runs, for minigrad and for
torch.cat / torch.stack in the same run. The doubling of n shows whether the
time grows linearly: the ratio of the last two rows should be about 2.

    python benchmarks/variadic.py
"""
from __future__ import annotations

import platform
import time

import numpy as np

SIZES = (7_500, 15_000, 30_000)
REPEATS = 3


def minigrad_run(n, op):
    import minigrad as mg
    xs = [mg.Tensor(np.ones(3), requires_grad=True) for _ in range(n)]
    start = time.perf_counter()
    y = mg.concatenate(xs) if op == "concatenate" else mg.stack(xs, axis=1)
    middle = time.perf_counter()
    y.sum().backward()
    end = time.perf_counter()
    assert all((x.grad.data == 1).all() for x in xs)
    return middle - start, end - middle


def torch_run(n, op):
    import torch
    xs = [torch.ones(3, dtype=torch.float64, requires_grad=True) for _ in range(n)]
    start = time.perf_counter()
    y = torch.cat(xs) if op == "concatenate" else torch.stack(xs, dim=1)
    middle = time.perf_counter()
    y.sum().backward()
    end = time.perf_counter()
    assert all((x.grad == 1).all() for x in xs)
    return middle - start, end - middle


def best(run, n, op):
    runs = [run(n, op) for _ in range(REPEATS)]
    return min(f for f, _ in runs), min(b for _, b in runs)


def main():
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print(f"Python {platform.python_version()}, NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else ", PyTorch not installed"))
    print(f"best of {REPEATS} runs; inputs of shape (3,); seconds\n")
    print(f"{'op':<12} {'inputs':>7} {'forward':>8} {'backward':>9} {'torch fwd':>10} "
          f"{'torch bwd':>10} {'bwd ratio':>10}")
    for op in ("concatenate", "stack"):
        for n in SIZES:
            forward, backward = best(minigrad_run, n, op)
            line = f"{op:<12} {n:>7,} {forward:>8.3f} {backward:>9.3f}"
            if torch:
                t_forward, t_backward = best(torch_run, n, op)
                line += f" {t_forward:>10.3f} {t_backward:>10.3f} {backward / t_backward:>10.1f}"
            print(line)


if __name__ == "__main__":
    main()
