"""What the recorded graph keeps alive until backward, measured with tracemalloc.

1. The 100-operation chain of benchmarks/overhead.py,

       y = (y * 1.0001 + 0.1).tanh()          # 3 operations per step

   on a float64 tensor of 100,000 elements (800 kB each): after the forward,
   the memory still held, divided by one array's size, is the number of arrays
   the graph keeps; per operation that is what each primitive's `saves=` costs.
   The engine before `saves=` kept every input and every output (about 3 per op).

2. BatchNorm2d(16) on a (16, 16, 64, 64) float64 input (8 MB), forward and
   backward with backward="autograd" (the engine differentiates the composed
   forward) and "manual" (one node with the closed-form gradient): the peak of
   memory allocated during the step, as a multiple of the input's size
   (PyTorch's fused kernel: about 2x).

    python benchmarks/memory.py
"""
from __future__ import annotations

import gc
import sys
import tracemalloc

import numpy as np

import minigrad as mg

CHAIN_STEPS = 33                    # 99 operations, plus the sum: 100
CHAIN_SIZE = 100_000


def chain_arrays_per_op():
    """(arrays kept by the graph after the forward, operations recorded)."""
    x = mg.Tensor(np.linspace(-1.0, 1.0, CHAIN_SIZE), requires_grad=True)
    array_bytes = x.data.nbytes
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = x
    for _ in range(CHAIN_STEPS):
        y = (y * 1.0001 + 0.1).tanh()
    loss = y.sum()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    loss.backward()
    np.testing.assert_allclose(x.grad.data[:3], _chain_grad(x.data[:3]), rtol=1e-12)
    return held / array_bytes, 3 * CHAIN_STEPS + 1


def _chain_grad(x):
    """d y / d x of the chain in plain NumPy, to check the engine's gradient."""
    grad = np.ones_like(x)
    for _ in range(CHAIN_STEPS):
        y = np.tanh(x * 1.0001 + 0.1)
        grad = grad * (1.0 - y * y) * 1.0001
        x = y
    return grad


def batchnorm_peak(mode, shape=(16, 16, 64, 64)):
    """Peak memory of one BatchNorm2d forward + backward, in units of the input's size."""
    import layers
    rng = np.random.default_rng(0)
    layer = layers.BatchNorm2d(shape[1], backward=mode)
    x = mg.Tensor(rng.standard_normal(shape), requires_grad=True)
    dy = rng.standard_normal(shape)
    layer(x).backward(dy)             # a first step, so that lazily made state exists
    x.grad = None
    layer.zero_grad()
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    layer(x).backward(dy)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / x.data.nbytes


def main():
    per_chain, ops = chain_arrays_per_op()
    print(f"chain of {ops} operations on {CHAIN_SIZE:,} float64: the graph keeps "
          f"{per_chain:.1f} arrays until backward, {per_chain / ops:.2f} per operation "
          f"(target <= 1.2)")
    for mode in ("autograd", "manual"):
        print(f"BatchNorm2d(16) on (16, 16, 64, 64), backward={mode!r}: peak memory of a step "
              f"= {batchnorm_peak(mode):.1f} x the input (target <= 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
