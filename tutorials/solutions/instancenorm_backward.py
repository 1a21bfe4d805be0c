"""Worked solution of tutorials/exercises/instancenorm_backward.py (lesson 7):
the backward pass of Instance Normalization.

Each instance (n, c) is a LayerNorm of its H * W values, so dx is LayerNorm's formula
with sums over axes (2, 3); gamma and beta are per channel and shared by the N samples and
the H * W positions, so their gradients sum over (0, 2, 3).

    minigrad check tutorials/solutions/instancenorm_backward.py --exercise instancenorm
"""
import numpy as np


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance normalization of x (N, C, H, W); returns (out, cache)."""
    C = x.shape[1]
    mu = x.mean(axis=(2, 3), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(2, 3), keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)
    cache = {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
    return out, cache


def instancenorm_backward(dout, cache):
    """Return (dx, dgamma, dbeta) for dout of shape (N, C, H, W); see the module docstring."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    N, C, H, W = dout.shape
    m = H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    g = dout * gamma.reshape(1, C, 1, 1)
    dx = inv_std / m * (m * g - g.sum(axis=(2, 3), keepdims=True)
                        - x_hat * (g * x_hat).sum(axis=(2, 3), keepdims=True))
    return dx, dgamma, dbeta
