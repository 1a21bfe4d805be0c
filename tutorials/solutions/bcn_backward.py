"""Worked solution of tutorials/exercises/bcn_backward.py (lesson 9):
the backward pass of Batch-Channel Normalization.

The chain rule through two layers: the gradient reaching z is GroupNorm's dx, computed
from dout; BatchNorm's backward then takes dz as its upstream gradient. Both parts are the
same normalization backward, inv_std / m * (m g - sum g - x_hat sum(g x_hat)), with sums over
each part's own statistics' axes: (2,) of the grouped view for GroupNorm, (0, 2, 3) for
BatchNorm.

    minigrad check tutorials/solutions/bcn_backward.py --exercise bcn
"""
import numpy as np


def bcn_forward(x, bn_gamma, bn_beta, gn_gamma, gn_beta, G=2, eps=1e-5):
    """BCN in training mode: BatchNorm2d (batch statistics) then GroupNorm(G); (out, cache)."""
    N, C, H, W = x.shape
    per_channel = (1, C, 1, 1)
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    bn_inv_std = 1.0 / np.sqrt(var + eps)
    bn_hat = (x - mu) * bn_inv_std
    z = bn_gamma.reshape(per_channel) * bn_hat + bn_beta.reshape(per_channel)
    zg = z.reshape(N, G, -1)
    gn_mu = zg.mean(axis=2, keepdims=True)
    gn_var = ((zg - gn_mu) ** 2).mean(axis=2, keepdims=True)
    gn_inv_std = 1.0 / np.sqrt(gn_var + eps)
    gn_hat = ((zg - gn_mu) * gn_inv_std).reshape(N, C, H, W)
    out = gn_gamma.reshape(per_channel) * gn_hat + gn_beta.reshape(per_channel)
    cache = {"G": G, "bn_hat": bn_hat, "bn_inv_std": bn_inv_std, "bn_gamma": bn_gamma,
             "gn_hat": gn_hat, "gn_inv_std": gn_inv_std, "gn_gamma": gn_gamma}
    return out, cache


def bcn_backward(dout, cache):
    """Return (dx, dbn_gamma, dbn_beta, dgn_gamma, dgn_beta); see the module docstring."""
    N, C, H, W = dout.shape
    G, per_channel = cache["G"], (1, C, 1, 1)
    # GroupNorm's part: out = gn_gamma * gn_hat + gn_beta, statistics per (sample, group)
    gn_hat = cache["gn_hat"]
    dgn_beta = dout.sum(axis=(0, 2, 3))
    dgn_gamma = (dout * gn_hat).sum(axis=(0, 2, 3))
    g = (dout * cache["gn_gamma"].reshape(per_channel)).reshape(N, G, -1)
    h = gn_hat.reshape(N, G, -1)
    m = g.shape[2]
    dz = (cache["gn_inv_std"] / m * (m * g - g.sum(axis=2, keepdims=True)
                                     - h * (g * h).sum(axis=2, keepdims=True))).reshape(dout.shape)
    # BatchNorm's part: z = bn_gamma * bn_hat + bn_beta, statistics per channel
    bn_hat = cache["bn_hat"]
    dbn_beta = dz.sum(axis=(0, 2, 3))
    dbn_gamma = (dz * bn_hat).sum(axis=(0, 2, 3))
    g = dz * cache["bn_gamma"].reshape(per_channel)
    m = N * H * W
    dx = cache["bn_inv_std"] / m * (m * g - g.sum(axis=(0, 2, 3), keepdims=True)
                                    - bn_hat * (g * bn_hat).sum(axis=(0, 2, 3), keepdims=True))
    return dx, dbn_gamma, dbn_beta, dgn_gamma, dgn_beta
