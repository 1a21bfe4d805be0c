"""Forward + backward time of three normalization layers, minigrad beside other libraries.

    python benchmarks/norm_layers.py [--repeats 15]

Cases (float32 input, upstream gradient of the output's shape, gradients of
the input and of the affine parameters):
    BatchNorm2d(64)     on (64, 64, 32, 32), training mode
    LayerNorm(512)      on (64, 128, 512)
    GroupNorm(32, 64)   on (64, 64, 32, 32)

Columns: PyTorch CPU (its fused kernels); minigrad with backward="autograd"
(the engine differentiates the composed forward) and backward="manual" (one
node with the closed-form gradient); HIPS autograd and MyGrad differentiating
the same composed forward

    mean = mean_R x;  c = x - mean;  var = mean_R(c * c)
    x_hat = c * (1 / sqrt(var + eps));  y = x_hat * weight + bias

written in their NumPy-like operations; and MyGrad's fused batchnorm
(mygrad.nnet.layers.batchnorm, BatchNorm2d only). A library that is not
installed gets "-". Each cell is the median of --repeats runs after one
warm-up run, in milliseconds; the libraries take turns run by run.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import layers                           # noqa: E402
from minigrad import Tensor             # noqa: E402

EPS = 1e-5


class Case:
    """One layer: its input shape, reduction axes (of `view`) and parameter shapes."""

    def __init__(self, title, shape, make_layer, torch_layer, axes, param_shape, view=None):
        self.title, self.shape, self.make_layer, self.torch_layer = title, shape, make_layer, \
            torch_layer
        self.axes, self.param_shape, self.view = axes, param_shape, view


CASES = [
    Case("BatchNorm2d(64) (64, 64, 32, 32)", (64, 64, 32, 32),
         lambda mode: layers.BatchNorm2d(64, backward=mode),
         lambda nn: nn.BatchNorm2d(64), axes=(0, 2, 3), param_shape=(64, 1, 1)),
    Case("LayerNorm(512) (64, 128, 512)", (64, 128, 512),
         lambda mode: layers.LayerNorm(512, backward=mode),
         lambda nn: nn.LayerNorm(512), axes=(2,), param_shape=(512,)),
    Case("GroupNorm(32, 64) (64, 64, 32, 32)", (64, 64, 32, 32),
         lambda mode: layers.GroupNorm(32, 64, backward=mode),
         lambda nn: nn.GroupNorm(32, 64), axes=(2,), param_shape=(64, 1, 1),
         view=(64, 32, -1)),
]


def median_ms(steps, repeats):
    """Median time of each step, in ms. The steps take turns (one run of each per
    round), so a burst of load from elsewhere on the machine hits all alike."""
    for step in steps:
        step()                               # warm-up: first-touch allocations, caches
    times = [[] for _ in steps]
    for _ in range(repeats):
        for step, record in zip(steps, times):
            start = time.perf_counter()
            step()
            record.append(time.perf_counter() - start)
    return [1e3 * float(np.median(t)) for t in times]


def machine():
    """CPU model and core count, for the record."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores"


def optional(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def composed(np_like, x, weight, bias, case):
    """The composed forward, in any library with NumPy's names."""
    shape = x.shape
    if case.view is not None:
        x = np_like.reshape(x, case.view)
    mean = np_like.mean(x, axis=case.axes, keepdims=True)
    c = x - mean
    var = np_like.mean(c * c, axis=case.axes, keepdims=True)
    x_hat = c * (1 / np_like.sqrt(var + EPS))
    if case.view is not None:
        x_hat = np_like.reshape(x_hat, shape)
    return x_hat * weight + bias


# ---------------------------------------------------------------------------
# One step (forward + backward) per library
# ---------------------------------------------------------------------------

def minigrad_step(case, x, dy, mode):
    layer = case.make_layer(mode)
    x = Tensor(x, requires_grad=True)

    def step():
        x.grad = None
        layer.zero_grad()
        layer(x).backward(dy)
    return step


def torch_step(case, x, dy):
    torch = optional("torch")
    if torch is None:
        return None
    layer = case.torch_layer(torch.nn)
    x, dy = torch.tensor(x, requires_grad=True), torch.tensor(dy)

    def step():
        x.grad = None
        layer.zero_grad()
        layer(x).backward(dy)
    return step


def hips_step(case, x, dy):
    autograd = optional("autograd")
    if autograd is None:
        return None
    anp = importlib.import_module("autograd.numpy")
    weight = np.ones(case.param_shape, dtype=x.dtype)
    bias = np.zeros(case.param_shape, dtype=x.dtype)
    vjp_maker = autograd.make_vjp(lambda args: composed(anp, *args, case))

    def step():
        vjp, _ = vjp_maker((x, weight, bias))
        vjp(dy)
    return step


def mygrad_step(case, x, dy, fused):
    mg = optional("mygrad")
    if mg is None:
        return None
    weight = mg.Tensor(np.ones(case.param_shape, dtype=x.dtype))
    bias = mg.Tensor(np.zeros(case.param_shape, dtype=x.dtype))
    if fused:
        from mygrad.nnet.layers import batchnorm
        gamma, beta = mg.Tensor(np.ones(64, dtype=x.dtype)), mg.Tensor(np.zeros(64, dtype=x.dtype))

    xt = mg.Tensor(x)

    def step():
        y = batchnorm(xt, gamma=gamma, beta=beta, eps=EPS) if fused else \
            composed(mg, xt, weight, bias, case)
        y.backward(dy)
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per cell (median)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    columns = ["PyTorch", "minigrad autograd", "minigrad manual", "HIPS autograd",
               "MyGrad composed", "MyGrad fused"]
    rows = []
    for case in CASES:
        x = rng.standard_normal(case.shape).astype(np.float32)
        dy = rng.standard_normal(case.shape).astype(np.float32)
        steps = [torch_step(case, x, dy), minigrad_step(case, x, dy, "autograd"),
                 minigrad_step(case, x, dy, "manual"), hips_step(case, x, dy),
                 mygrad_step(case, x, dy, fused=False),
                 mygrad_step(case, x, dy, fused=True) if case.title.startswith("BatchNorm")
                 else None]
        present = [s for s in steps if s is not None]
        medians = iter(median_ms(present, args.repeats))
        times = [next(medians) if s is not None else None for s in steps]
        rows.append((case.title, times))
        print(f"done: {case.title}", file=sys.stderr)

    torch = optional("torch")
    threads = f", PyTorch {torch.__version__} on {torch.get_num_threads()} threads" if torch else ""
    print(f"forward + backward, float32, median of {args.repeats} runs, ms\n"
          f"({machine()}; Python {platform.python_version()}, NumPy {np.__version__}{threads})\n")
    print("| case | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for title, times in rows:
        cells = [f"{t:.1f}" if t is not None else "-" for t in times]
        print(f"| {title} | " + " | ".join(cells) + " |")
    bn = rows[0][1]
    torch_ms, auto_ms, manual_ms, hips_ms, _, fused_ms = bn
    print("\nBatchNorm2d targets:")
    if torch_ms is not None:
        print(f"  manual / PyTorch          = {manual_ms / torch_ms:.2f}  (target <= 2.0)")
    if fused_ms is not None:
        print(f"  manual / MyGrad fused     = {manual_ms / fused_ms:.2f}  (target < 1)")
    if hips_ms is not None:
        print(f"  autograd / HIPS composed  = {auto_ms / hips_ms:.2f}  (target <= 0.8)")


if __name__ == "__main__":
    main()
