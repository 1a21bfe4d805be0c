"""The oracles a student's gradient is compared with, and when finite differences cannot judge.

    finite diff   grad[k] = sum((f(x + h e_k) - f(x - h e_k)) * dout) / (2 h),   h = 1e-5,
                  in float64 on the student's own forward (CS231n's eval_numerical_gradient_array)
    autograd      minigrad's backward walk through `reference`, a minigrad function computing the
                  same forward on Tensors
    torch         PyTorch's autograd through `torch_reference`, when PyTorch is installed

Central differences are exact to h^2 for smooth functions and fail in two places, both common
in coursework on correct code:
  a kink      ReLU, max pooling, SVM's margins: when an input lies within h of the corner the
              two sides of the difference see different slopes. The one-sided differences
              (f(x + h) - f(x)) / h and (f(x) - f(x - h)) / h then disagree by a lot, and a
              right gradient lies between them.
  noise       each f(x +- h) carries a rounding error; divided by 2h it becomes ~1e-11 times
              the output's size. A true gradient that is itself that small (BatchNorm's dx for
              a batch of 2 is eps-sized) is below what the differences can see. Repeating the
              difference with 10 h and h / 10 measures that noise: a student's value within
              it cannot be told from the truth.
An element that fails only for one of these reasons is "unreliable", not wrong.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd import grad
from minigrad.coursework.runner import StudentError, name_of
from minigrad.tensor import Tensor

KINK = 1e-2          # one-sided slopes differing by more than this fraction: a kink in between
LOOKED_AT = 30       # failing elements re-measured with other steps (the largest errors first)


class FiniteDifferences:
    """Central (and one-sided) differences of sum(forward(...) * dout) for every input.

    evaluate(arrays) -> the forward's output as float64 (run through the student's runner)."""

    def __init__(self, evaluate, forward, arrays, dout, h):
        self.evaluate, self.arrays, self.dout, self.h = evaluate, arrays, dout, h
        self.name = name_of(forward, "forward")
        base = evaluate(arrays)
        self.central, self.left, self.right = [], [], []
        for i, x in enumerate(arrays):
            c, left, right = (np.zeros_like(x) for _ in range(3))
            for k in np.ndindex(x.shape):
                # difference the outputs before summing: the outputs that do not move cancel
                plus, minus = self._shifted(i, k, h), self._shifted(i, k, -h)
                c[k] = np.sum((plus - minus) * dout) / (2 * h)
                right[k] = np.sum((plus - base) * dout) / h
                left[k] = np.sum((base - minus) * dout) / h
            self.central.append(c)
            self.left.append(left)
            self.right.append(right)

    def _shifted(self, i, k, step):
        """forward(..., x_i + step e_k, ...)."""
        args = list(self.arrays)
        args[i] = self.arrays[i].copy()
        args[i][k] += step
        out = self.evaluate(args)
        if out.shape != self.dout.shape:
            raise StudentError(f"{self.name} (your forward) changed its output shape from "
                               f"{self.dout.shape} to {out.shape} when input {i + 1} moved by "
                               f"{step:g}")
        return out

    def why_unreliable(self, i, mine, comparison):
        """Why the failing elements of input i cannot be judged here; '' when some can be
        (a real error). mine: the student's gradient; comparison: against self.central[i]."""
        failing = [tuple(k) for k in np.argwhere(comparison.failing)]
        if not failing:
            return ""
        left, right, central = self.left[i], self.right[i], self.central[i]
        if not all(np.isfinite([mine[k], left[k], right[k]]).all() for k in failing):
            return ""                       # NaN or inf is never noise
        kinks, rest = [], []
        for k in failing:
            low, high = sorted((left[k], right[k]))
            size = abs(left[k]) + abs(right[k])
            slack = 1e-7 * size
            if high - low > KINK * size and low - slack <= mine[k] <= high + slack:
                kinks.append(k)
            else:
                rest.append(k)
        rest.sort(key=lambda k: -abs(mine[k] - central[k]))
        noisy = []
        for k in rest[:LOOKED_AT]:
            estimates = [central[k]] + [
                np.sum((self._shifted(i, k, step) - self._shifted(i, k, -step)) * self.dout)
                / (2 * step) for step in (10 * self.h, self.h / 10)]
            spread = max(estimates) - min(estimates)
            if not abs(mine[k] - central[k]) <= 2 * spread:     # also when spread is NaN
                return ""                   # outside the differences' own noise: really wrong
            noisy.append(abs(mine[k]))
        reasons = []
        if kinks:
            reasons.append(f"{len(kinks)} of {mine.size} elements lie within h = {self.h:g} of a "
                           f"kink (a relu, max or abs switching sides), where the central "
                           f"difference straddles it; your values lie between its one-sided "
                           f"slopes")
        if rest:
            reasons.append(f"{len(rest)} of {mine.size} elements differ from the central "
                           f"difference by less than its own noise (measured with steps 10h "
                           f"and h/10; your gradient there is {max(noisy):.1e} at most: a "
                           f"near-zero true gradient)")
        return "; ".join(reasons)


def autograd_oracle(reference, arrays, names, constants, dout):
    """The reference's output and minigrad's gradients of sum(out * dout) (None when the
    output's shape differs from dout's)."""
    xs = [Tensor(a.copy(), requires_grad=True, name=n) for a, n in zip(arrays, names)]
    out = reference(*xs, **constants)
    if not isinstance(out, Tensor):
        raise TypeError(f"the reference must return a minigrad Tensor, got {type(out).__name__}")
    if out.shape != dout.shape:
        return out.data, None
    grads = grad(out, xs, Tensor(dout.astype(out.dtype)), allow_unused=True)
    return out.data, [np.zeros(x.shape) if g is None else g.data for g, x in zip(grads, xs)]


def torch_oracle(torch_reference, arrays, names, constants, dout):
    """The torch reference's output and PyTorch's gradients of sum(out * dout)."""
    import torch
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = torch_reference(*xs, **constants)
    if tuple(out.shape) != dout.shape:
        return out.detach().numpy(), None
    grads = torch.autograd.grad(out, xs, torch.tensor(dout, dtype=out.dtype), allow_unused=True)
    return out.detach().numpy(), [np.zeros(a.shape) if g is None else g.numpy()
                                  for g, a in zip(grads, arrays)]


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
