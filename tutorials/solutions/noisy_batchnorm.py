"""Worked solution to tutorials/exercises/noisy_batchnorm.py (lesson 17). Try the exercise first.

    minigrad check tutorials/solutions/noisy_batchnorm.py --exercise noisy_batchnorm
"""
import numpy as np

import minigrad as mg
from layers import functional as LF
from minigrad.nn import functional as F


def noisy_batchnorm(x, gamma, beta, rng, amount):
    y = LF.batch_norm(x, None, None, gamma, beta, training=True)
    units = y.shape[1]
    scale = rng.uniform(1 - amount, 1 + amount, units)      # drawn first
    shift = rng.uniform(-amount, amount, units)
    return y * mg.tensor(scale.astype(y.dtype)) + mg.tensor(shift.astype(y.dtype))


def _flat_gradient(net, x, labels):
    loss = F.cross_entropy(net(x), labels)
    return np.concatenate([g.data.ravel() for g in mg.grad(loss, list(net.parameters()))])


def effective_beta(net, x, labels, lr, multiples):
    params = list(net.parameters())
    start = [p.data.copy() for p in params]
    g0 = _flat_gradient(net, x, labels)
    pieces = np.split(g0, np.cumsum([p.data.size for p in params])[:-1])
    ratios = []
    for k in multiples:
        for p, w, g in zip(params, start, pieces):
            p.data[...] = w - k * lr * g.reshape(w.shape)
        g = _flat_gradient(net, x, labels)
        ratios.append(np.linalg.norm(g - g0) / np.linalg.norm(k * lr * g0))
    for p, w in zip(params, start):
        p.data[...] = w
    return float(max(ratios))
