"""The graded task of lesson 17 (does BatchNorm reduce internal covariate shift?): noisy
BatchNorm and the effective beta-smoothness, each run on seeded cases and compared with the
lesson's own computation. A coursework Task, registered in minigrad/cli/exercises.py.

Lives in the command line because the reference uses layers.functional.batch_norm.
"""
from __future__ import annotations

import numpy as np

from minigrad.coursework.task import Part, Task


def _reference_noisy(x, gamma, beta, rng, amount):
    """The expected output in NumPy: BatchNorm (biased variance, eps 1e-5), then scale, shift."""
    y = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5) * gamma + beta
    scale = rng.uniform(1 - amount, 1 + amount, x.shape[1])
    shift = rng.uniform(-amount, amount, x.shape[1])
    return y * scale + shift, scale


def _noisy(g):
    import minigrad as mg
    from layers import functional as LF
    rng = g.rng
    x = 3 * rng.standard_normal((16, 5)) + 2
    gamma, beta = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    upstream = rng.standard_normal((16, 5))
    seed = int(rng.integers(1 << 30))
    mine_rng, our_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    for step in (1, 2):                     # two calls: the noise must be drawn anew
        case = f"step {step}, amount 0.5"
        tensor = mg.tensor(x, requires_grad=True)
        mine = g.call("noisy_batchnorm", tensor, mg.tensor(gamma), mg.tensor(beta), mine_rng,
                      0.5, case=case)
        expected, scale = _reference_noisy(x, gamma, beta, our_rng, 0.5)
        if not isinstance(mine, mg.Tensor):
            g.fail("noisy_batchnorm", case, f"returned {type(mine).__name__}, not a Tensor",
                   hint="build the result from minigrad operations on x, so gradients flow")
            return
        g.compare("noisy_batchnorm: value", case, mine.data, expected,
                  hint="BatchNorm over the batch (axis 0, biased variance, eps 1e-5), then "
                       "* scale + shift; draw scale first, then shift, a new pair per call")
        if not mine.requires_grad:
            g.fail("noisy_batchnorm: gradient for x", case, "the result is cut off from x",
                   hint="compute with minigrad operations on the Tensor x (not on x.data or "
                        "NumPy arrays), so that the graph reaches x")
            return
        mine.backward(mg.tensor(upstream))
        reference = mg.tensor(x, requires_grad=True)
        out = LF.batch_norm(reference, None, None, mg.tensor(gamma), mg.tensor(beta),
                            training=True) * mg.tensor(scale)
        out.backward(mg.tensor(upstream))
        got = None if tensor.grad is None else tensor.grad.data
        g.compare("noisy_batchnorm: gradient for x", case, got, reference.grad.data,
                  hint="the noise is a constant per unit: the gradient is BatchNorm's, "
                       "times the scale; keep the result connected to x")


def _reference_beta(net, x, labels, lr, multiples):
    import minigrad as mg
    from minigrad.nn import functional as F
    params = list(net.parameters())
    saved = [p.data.copy() for p in params]

    def gradient():
        loss = F.cross_entropy(net(x), labels)
        return [d.data.copy() for d in mg.grad(loss, params)]
    g0, best = gradient(), 0.0
    norm0 = np.sqrt(sum(float((d ** 2).sum()) for d in g0))
    for k in multiples:
        for p, w, d in zip(params, saved, g0):
            p.data[...] = w - k * lr * d
        change = np.sqrt(sum(float(((d - d0) ** 2).sum()) for d, d0 in zip(gradient(), g0)))
        best = max(best, change / (k * lr * norm0))
    for p, w in zip(params, saved):
        p.data[...] = w
    return best


def _beta(g):
    import minigrad as mg
    import layers
    from minigrad import nn
    rng = g.rng
    for batchnorm in (False, True):
        case = f"3-layer ReLU net{' with BatchNorm' if batchnorm else ''}, lr 0.1"
        mg.manual_seed(int(rng.integers(1000)))
        mods = []
        for width_in in (12, 16):
            mods += [nn.Linear(width_in, 16)] + ([layers.BatchNorm1d(16)] if batchnorm else [])
            mods.append(nn.ReLU())
        net = nn.Sequential(*mods, nn.Linear(16, 4))
        x = mg.tensor(rng.standard_normal((32, 12)))
        labels = mg.tensor(rng.integers(0, 4, 32))
        before = [p.data.copy() for p in net.parameters()]
        mine = g.call("effective_beta", net, x, labels, 0.1, (0.5, 1.0, 2.0), case=case)
        after = [p.data.copy() for p in net.parameters()]
        moved = max(float(np.abs(a - b).max()) for a, b in zip(after, before))
        g.compare("effective_beta: weights restored", case, moved, 0.0,
                  hint="put every parameter back to its starting value before returning")
        for p, w in zip(net.parameters(), before):
            p.data[...] = w
        g.compare("effective_beta", case, mine,
                  _reference_beta(net, x, labels, 0.1, (0.5, 1.0, 2.0)),
                  hint="max over k of ||g(w - k lr g0) - g0|| / ||k lr g0||, the norms over "
                       "all parameters together")


NOISY_BATCHNORM = Task(
    "noisy_batchnorm: BatchNorm with a per-step random shift and scale, and the effective "
    "beta-smoothness (lesson 17)",
    [Part("noisy_batchnorm", _noisy, "write noisy_batchnorm"),
     Part("effective_beta", _beta, "write effective_beta")],
    about="your noisy BatchNorm against a NumPy BatchNorm with the same seeded noise, over two "
          "steps, value and gradient; your effective beta against the lesson's on two seeded "
          "networks, and the weights left as they were")

TASKS = {"noisy_batchnorm": NOISY_BATCHNORM}
