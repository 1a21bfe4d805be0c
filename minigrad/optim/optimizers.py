"""Optimizers: SGD (with momentum and weight decay), Adam, AdamW and RMSprop,
with PyTorch's update rules and defaults.

They update parameter arrays in place, outside the graph, from p.grad.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad.checks import number, operand_text
from minigrad.tensor import Tensor


class Optimizer:
    def __init__(self, params, lr):
        name = type(self).__name__
        if isinstance(params, (Tensor, np.ndarray, str)) or not hasattr(params, "__iter__"):
            raise TypeError(f"{name}: params must be an iterable of tensors (e.g. "
                            f"model.parameters() or [w, b]), got {type(params).__name__} "
                            f"{operand_text(params)}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        first_seen = {}
        for i, p in enumerate(self.params):
            # Leaves only; a frozen one (requires_grad=False) is allowed, as in
            # PyTorch, and simply never has a gradient to step with.
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(f"{name}: parameter {i} is not a leaf tensor (it was computed "
                                 f"by an operation); optimize the tensors it came from")
            if id(p) in first_seen:
                raise ValueError(f"{name}: parameter {i} is parameter {first_seen[id(p)]} again; "
                                 f"it would be updated twice per step")
            first_seen[id(p)] = i
        self.lr = number(lr, name, "the learning rate lr", low=0)
        self.state = {}

    def zero_grad(self):
        """Clear every parameter's gradient (set it to None)."""
        for p in self.params:
            p.grad = None

    def step(self):
        raise NotImplementedError

    def _gradients(self, weight_decay):
        """(parameter, gradient array) for each parameter that has a gradient,
        with L2 weight decay added: grad + weight_decay * p."""
        for p in self.params:
            if p.grad is not None:
                g = p.grad.data
                yield p, (g + weight_decay * p.data if weight_decay else g)


class SGD(Optimizer):
    """p <- p - lr * v, where v = momentum * v + (grad + weight_decay * p)
    (v = grad + weight_decay * p on the first step, as in PyTorch)."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = number(momentum, "SGD", "momentum", low=0)
        self.weight_decay = number(weight_decay, "SGD", "weight_decay", low=0)

    def step(self):
        for p, d in self._gradients(self.weight_decay):
            if self.momentum:
                velocity = self.state.get(p)
                if velocity is None:
                    velocity = self.state[p] = np.array(d, copy=True)
                else:
                    velocity *= self.momentum
                    velocity += d
                d = velocity
            p.data -= self.lr * d


class Adam(Optimizer):
    """Adam (Kingma & Ba) with PyTorch's bias correction:
    m <- b1 m + (1-b1) g,  v <- b2 v + (1-b2) g^2,
    p <- p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        b1, b2 = (number(b, "Adam", f"betas[{i}]", low=0, high=1, high_open=True)
                  for i, b in enumerate(betas))
        self.betas = (b1, b2)
        self.eps = number(eps, "Adam", "eps", low=0)
        self.weight_decay = number(weight_decay, "Adam", "weight_decay", low=0)

    def step(self):
        for p, g in self._gradients(self.weight_decay):
            self._update(p, g)

    def _update(self, p, g):
        b1, b2 = self.betas
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = {"step": 0, "m": np.zeros_like(p.data),
                                     "v": np.zeros_like(p.data)}
        state["step"] += 1
        t, m, v = state["step"], state["m"], state["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        step_size = self.lr / (1 - b1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + self.eps
        p.data -= step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): first
    p <- p (1 - lr weight_decay), then Adam's step on the plain gradient."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)

    def step(self):
        for p, g in self._gradients(0.0):
            p.data *= 1 - self.lr * self.weight_decay
            self._update(p, g)


class RMSprop(Optimizer):
    """RMSprop as in PyTorch: s <- alpha s + (1 - alpha) g^2 (g with weight decay
    added), p <- p - lr g / (sqrt(s) + eps). centered subtracts the squared running
    mean of g under the root; momentum keeps a buffer b <- momentum b + g / (...)
    and steps by lr b."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, lr)
        if not 0 <= alpha <= 1 or eps < 0 or weight_decay < 0 or momentum < 0:
            raise ValueError(f"RMSprop: invalid alpha {alpha}, eps {eps}, weight_decay "
                             f"{weight_decay} or momentum {momentum}")
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered

    def step(self):
        a = self.alpha
        for p, g in self._gradients(self.weight_decay):
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"square_avg": np.zeros_like(p.data),
                                         "grad_avg": np.zeros_like(p.data),
                                         "momentum_buffer": np.zeros_like(p.data)}
            square_avg = state["square_avg"]
            square_avg *= a
            square_avg += (1 - a) * g * g
            if self.centered:
                grad_avg = state["grad_avg"]
                grad_avg *= a
                grad_avg += (1 - a) * g
                denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
            else:
                denom = np.sqrt(square_avg) + self.eps
            if self.momentum:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += g / denom
                p.data -= self.lr * buf
            else:
                p.data -= self.lr * g / denom
