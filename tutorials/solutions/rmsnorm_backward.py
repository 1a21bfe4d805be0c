"""Worked solution of tutorials/exercises/rmsnorm_backward.py (lesson 9):
the backward pass of RMSNorm.

x_hat_j = x_j / r with r = sqrt(mean(x^2) + eps), so d x_hat_j / d x_k = [j = k] / r
- x_j x_k / (m r^3). With g = dout * gamma: dx_k = g_k / r - x_k / (m r^3) sum_j g_j x_j
= (g_k - x_hat_k mean_j(g_j x_hat_j)) / r.

    minigrad check tutorials/solutions/rmsnorm_backward.py --exercise rmsnorm
"""
import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    """RMS normalization over axis 1 of x (N, D); returns (out, cache)."""
    r = np.sqrt((x * x).mean(axis=1, keepdims=True) + eps)
    x_hat = x / r
    out = gamma * x_hat
    cache = {"x": x, "r": r, "x_hat": x_hat, "gamma": gamma}
    return out, cache


def rmsnorm_backward(dout, cache):
    """Return (dx, dgamma) for dout of shape (N, D); see the module docstring."""
    x_hat, r, gamma = cache["x_hat"], cache["r"], cache["gamma"]
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = (g - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / r
    return dx, dgamma
