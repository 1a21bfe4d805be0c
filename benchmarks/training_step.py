"""What a student waits for: one training step, minigrad next to PyTorch (and MyGrad).

Two workloads on the shipped digits, float64, SGD with momentum 0.9:

    mlp   Linear(64, 128) -> BatchNorm1d(128) -> ReLU -> Linear(128, 128) -> BatchNorm1d(128)
          -> ReLU -> Linear(128, 10), batch 32 (lesson 10's workload, a size larger)
    cnn   Conv2d(1, 8, 3, padding=1) -> BatchNorm2d(8) -> ReLU -> Conv2d(8, 16, 3, stride=2,
          padding=1) -> BatchNorm2d(16) -> ReLU -> Flatten -> Linear(256, 10), batch 64,
          the digits as 8x8 images (lesson 10, section 6)

A step is forward, cross-entropy, zero_grad, backward and the optimizer's update. Every
engine starts from PyTorch's initial weights (its state_dict loaded into minigrad) and sees
the same mini-batches; the losses must agree at step 0 (asserted, 1e-10) and stay together
to the end. The engines take turns, a round of STEPS_PER_ROUND steps each, so that a busy
machine slows them all alike; the figure is the median over the rounds of the time per step,
with the spread of the per-round ratios to PyTorch. The clock is the process's CPU time
(time.process_time) unless --clock wall: every engine runs on one thread, and on a shared
machine the wall clock mostly measures the wait for a free core.

Then two operations alone, float32, forward + backward (gradients of input and weight):

    conv2d       (64, 16, 32, 32) input, 32 filters 3x3, padding 1
    max_pool2d   (64, 16, 32, 32) input, kernel 2, stride 2; and kernel 3, stride 2, padding 1

    python benchmarks/training_step.py                # everything
    python benchmarks/training_step.py --only mlp     # one part: mlp, cnn, conv, pool
    python benchmarks/training_step.py --profile mlp  # cProfile of minigrad's step
    python benchmarks/training_step.py --profile mlp --bn manual   # ... with the manual BatchNorm

The header line names NumPy's BLAS and the CPU kernel it runs (threadpoolctl, if
installed). Where OPENBLAS_CORETYPE is set (some shared machines pin an older kernel,
Haswell, for old OpenBLAS builds), run with it and OPENBLAS_L2_SIZE unset, as a
student's machine has them: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# One thread for NumPy's BLAS too, as for PyTorch below. Set before NumPy loads it: on a
# busy machine, small matrix products split over two threads waited for a free core and made
# every engine's step 10-20x slower (measured here, load average 7 on 2 cores).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # layers/, from a checkout

import minigrad as mg                       # noqa: E402
import layers                               # noqa: E402
from minigrad import nn, optim             # noqa: E402
from minigrad.nn import functional as F    # noqa: E402
from minigrad.datasets import load_digits  # noqa: E402

LR, MOMENTUM = 0.05, 0.9
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


# ----------------------------------------------------------------------------
# The two networks, in each engine
# ----------------------------------------------------------------------------

def torch_mlp():
    import torch.nn as tnn
    return tnn.Sequential(tnn.Linear(64, 128), tnn.BatchNorm1d(128), tnn.ReLU(),
                          tnn.Linear(128, 128), tnn.BatchNorm1d(128), tnn.ReLU(),
                          tnn.Linear(128, 10)).double()


def minigrad_mlp(backward="autograd"):
    return nn.Sequential(nn.Linear(64, 128), layers.BatchNorm1d(128, backward=backward), nn.ReLU(),
                         nn.Linear(128, 128), layers.BatchNorm1d(128, backward=backward),
                         nn.ReLU(), nn.Linear(128, 10))


def torch_cnn():
    import torch.nn as tnn
    return tnn.Sequential(tnn.Conv2d(1, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU(),
                          tnn.Conv2d(8, 16, 3, stride=2, padding=1), tnn.BatchNorm2d(16),
                          tnn.ReLU(), tnn.Flatten(), tnn.Linear(256, 10)).double()


def minigrad_cnn(backward="autograd"):
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), layers.BatchNorm2d(8, backward=backward),
                         nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1),
                         layers.BatchNorm2d(16, backward=backward), nn.ReLU(), nn.Flatten(),
                         nn.Linear(256, 10))


class Trainer:
    """One engine training one network: step(x, y) -> the loss as a float."""

    def __init__(self, label, step):
        self.label, self.step = label, step


def torch_trainer(net):
    import torch
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def step(x, y):
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return Trainer("PyTorch", step)


def minigrad_trainer(net, label):
    optimizer = optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def step(x, y):
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return Trainer(label, step)


def mygrad_mlp_trainer(state):
    """The MLP in MyGrad, with its fused batchnorm and softmax_crossentropy, and
    the momentum update written out (MyGrad has no optimizers)."""
    import mygrad
    from mygrad.nnet.activations import relu
    from mygrad.nnet.layers import batchnorm
    from mygrad.nnet.losses import softmax_crossentropy
    params = [mygrad.tensor(state[k].copy()) for k in
              ("0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias",
               "4.weight", "4.bias", "6.weight", "6.bias")]
    velocity = [None] * len(params)

    def step(x, y):
        w1, b1, g1, s1, w2, b2, g2, s2, w3, b3 = params
        h = relu(batchnorm(mygrad.matmul(x, w1.T) + b1, gamma=g1, beta=s1, eps=1e-5))
        h = relu(batchnorm(mygrad.matmul(h, w2.T) + b2, gamma=g2, beta=s2, eps=1e-5))
        loss = softmax_crossentropy(mygrad.matmul(h, w3.T) + b3, y)
        loss.backward()
        for i, p in enumerate(params):
            v = p.grad if velocity[i] is None else MOMENTUM * velocity[i] + p.grad
            velocity[i] = v
            p.data -= LR * v
        return loss.item()
    return Trainer("MyGrad", step)


def trainers(kind):
    import torch
    torch.manual_seed(0)
    net = torch_mlp() if kind == "mlp" else torch_cnn()
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    made = [torch_trainer(net)]
    for backward in ("autograd", "manual"):
        mine = minigrad_mlp(backward) if kind == "mlp" else minigrad_cnn(backward)
        mine.load_state_dict(state)
        made.append(minigrad_trainer(mine, f"minigrad ({backward} BN)"))
    if kind == "mlp":
        try:
            made.append(mygrad_mlp_trainer(state))
        except ImportError:
            print("(MyGrad is not installed; skipped)")
    return made


def batches(kind, rounds, steps_per_round):
    """The mini-batches every engine sees, in order (drawn with a fixed seed)."""
    images, labels = load_digits(flatten=kind == "mlp")
    if kind == "cnn":
        images = images.reshape(-1, 1, 8, 8)
    batch = 32 if kind == "mlp" else 64
    rng = np.random.default_rng(0)
    index = rng.integers(0, len(images), (rounds * steps_per_round + 1, batch))
    return [(np.ascontiguousarray(images[i]), labels[i]) for i in index]


def time_training(kind, rounds, steps_per_round):
    """{label: [seconds per step, one per round]} and the final losses."""
    engines = trainers(kind)
    data = batches(kind, rounds, steps_per_round)
    first = [e.step(*data[0]) for e in engines]             # step 0: same weights, same loss
    for e, loss in zip(engines, first):
        assert abs(loss - first[0]) <= 1e-10 * abs(first[0]), \
            f"{kind}: step-0 loss of {e.label} is {loss!r}, PyTorch's {first[0]!r}"
    times = {e.label: [] for e in engines}
    last = {}
    for r in range(rounds):
        part = data[1 + r * steps_per_round: 1 + (r + 1) * steps_per_round]
        for e in engines:
            start = clock()
            for x, y in part:
                last[e.label] = e.step(x, y)
            times[e.label].append((clock() - start) / steps_per_round)
    return times, first[0], last


# ----------------------------------------------------------------------------
# Single operations: conv2d and max_pool2d, float32, forward + backward
# ----------------------------------------------------------------------------

def op_cases():
    """(name, minigrad fn, torch fn, input shape, weight shape or None)."""
    import torch
    tf = torch.nn.functional
    return [
        ("conv2d (64,16,32,32), 32 filters 3x3, padding 1",
         lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: tf.conv2d(x, w, padding=1),
         (64, 16, 32, 32), (32, 16, 3, 3)),
        ("max_pool2d (64,16,32,32), kernel 2, stride 2",
         lambda x, w: F.max_pool2d(x, 2), lambda x, w: tf.max_pool2d(x, 2),
         (64, 16, 32, 32), None),
        ("max_pool2d (64,16,32,32), kernel 3, stride 2, padding 1",
         lambda x, w: F.max_pool2d(x, 3, 2, 1), lambda x, w: tf.max_pool2d(x, 3, 2, 1),
         (64, 16, 32, 32), None),
    ]


def time_op(case, rounds):
    import torch
    name, mine, theirs, x_shape, w_shape = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = None if w_shape is None else (rng.standard_normal(w_shape) * 0.1).astype(np.float32)
    leaves_m = [mg.Tensor(a, requires_grad=True) for a in (x, w) if a is not None]
    leaves_t = [torch.tensor(a, requires_grad=True) for a in (x, w) if a is not None]
    out_shape = theirs(*leaves_t, *([None] if w is None else [])).shape
    g = rng.standard_normal(tuple(out_shape)).astype(np.float32)

    def run_minigrad():
        for p in leaves_m:
            p.grad = None
        y = mine(*leaves_m, *([None] if w is None else []))
        y.backward(g)
        return [y.data] + [p.grad.data for p in leaves_m]

    def run_torch():
        for p in leaves_t:
            p.grad = None
        y = theirs(*leaves_t, *([None] if w is None else []))
        y.backward(torch.from_numpy(g))
        return [y.detach().numpy()] + [p.grad.numpy() for p in leaves_t]

    for a, b in zip(run_minigrad(), run_torch()):          # same numbers first
        # float32 sums of 65,536 terms: compare against the array's scale
        scale = np.abs(b).max()
        assert np.abs(a - b).max() <= 1e-4 * scale, \
            f"{name}: minigrad and PyTorch differ by {np.abs(a - b).max() / scale:.1e} of the scale"
    times = {"minigrad": [], "PyTorch": []}
    for _ in range(rounds):
        for label, run in (("minigrad", run_minigrad), ("PyTorch", run_torch)):
            start = clock()
            run()
            times[label].append(clock() - start)
    return name, times


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------

def ratio_spread(times, label, reference="PyTorch"):
    """median and (min, max) over the rounds of label's time / reference's time."""
    ratios = [a / b for a, b in zip(times[label], times[reference])]
    return statistics.median(ratios), min(ratios), max(ratios)


def print_table(title, times, unit, scale):
    print(f"\n{title}")
    print(f"| engine | {unit}, median | min-max | ratio to PyTorch (median of rounds) | "
          f"ratio min-max |")
    print("|---|---:|---:|---:|---:|")
    for label, ts in times.items():
        med, lo, hi = ratio_spread(times, label)
        print(f"| {label} | {statistics.median(ts) * scale:.3g} | {min(ts) * scale:.3g}-"
              f"{max(ts) * scale:.3g} | {med:.2f} | {lo:.2f}-{hi:.2f} |")


def header():
    from importlib.metadata import PackageNotFoundError, version
    found = []
    for package in ("numpy", "torch", "mygrad"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} cores, load average {load:.1f}, {platform.machine()}, Python "
          f"{platform.python_version()}, " + ", ".join(found) + "; torch.set_num_threads(1), "
          f"NumPy's BLAS on 1 thread ({blas_kernel()}); clock: "
          f"{'CPU time' if clock is time.process_time else 'wall'}")


def blas_kernel():
    """NumPy's BLAS library and the CPU kernel it picked, as threadpoolctl reports them.
    The kernel decides the speed of every matrix product (conv2d's most of all)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "kernel unknown: threadpoolctl is not installed"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "no BLAS found"
    text = ", ".join(f"{i['internal_api']} {i.get('version')}, kernel {i.get('architecture')}"
                     for i in blas)
    pinned = [f"{v}={os.environ[v]}" for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
              if v in os.environ]
    return text + (f"; pinned by {' '.join(pinned)}" if pinned else "")


def profile(kind, backward="autograd"):
    import cProfile
    import pstats
    engines = trainers(kind)
    (mine,) = [e for e in engines if e.label == f"minigrad ({backward} BN)"]
    data = batches(kind, 1, 200)
    for x, y in data[:20]:
        mine.step(x, y)
    profiler = cProfile.Profile()
    profiler.enable()
    for x, y in data[20:]:
        mine.step(x, y)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("mlp", "cnn", "conv", "pool"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per round (20)")
    parser.add_argument("--profile", choices=("mlp", "cnn"), help="profile minigrad's step")
    parser.add_argument("--bn", choices=("autograd", "manual"), default="autograd",
                        help="with --profile: the BatchNorm's backward (default autograd)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="cpu",
                        help="cpu: the process's CPU time (default); wall: elapsed time")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    import torch
    torch.set_num_threads(1)            # one core each: a like-for-like comparison
    if args.profile:
        profile(args.profile, args.bn)
        return
    parts = args.only or ["mlp", "cnn", "conv", "pool"]
    header()
    for kind in ("mlp", "cnn"):
        if kind in parts:
            times, first, last = time_training(kind, args.rounds, args.steps)
            spread = max(last.values()) - min(last.values())
            print_table(f"{kind.upper()} training step, float64, {args.rounds} rounds of "
                        f"{args.steps} steps (step-0 loss {first:.6f} in every engine; final "
                        f"losses differ by {spread:.1e})", times, "ms per step", 1e3)
    for case in op_cases():
        if ("conv" if case[0].startswith("conv") else "pool") in parts:
            name, times = time_op(case, args.rounds)
            print_table(f"{name}, float32, forward + backward, {args.rounds} interleaved runs",
                        times, "ms", 1e3)


if __name__ == "__main__":
    main()
