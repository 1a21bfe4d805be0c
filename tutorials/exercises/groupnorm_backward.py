"""Exercise: the backward pass of Group Normalization.

The forward pass is given below. An input x of shape (N, C, H, W) has its C channels split into
G groups of C/G consecutive channels. Each (sample, group) is normalised over its
m = (C/G) * H * W values, then every CHANNEL gets its own scale and shift:

    xg    = x.reshape(N, G, m)
    mu    = mean of xg over axis 2              shape (N, G, 1)
    var   = mean of (xg - mu)^2 over axis 2     shape (N, G, 1), biased
    x_hat = ((xg - mu) / sqrt(var + eps)).reshape(N, C, H, W)
    out   = gamma[c] * x_hat + beta[c]          gamma, beta of shape (C,), as in PyTorch

Your task: write groupnorm_backward(dout, cache) returning (dx, dgamma, dbeta).

What to derive
  1. dgamma and dbeta: each channel's parameter touches every sample and every pixel of that
     channel, so sum over axes (0, 2, 3).
  2. dx: inside one group this is layer normalization over m values. Compute g = dout * gamma
     (per channel), reshape g and x_hat to (N, G, m), apply the layer-norm formula along
     axis 2, and reshape back to (N, C, H, W).
  Common slips: reducing over the channels of the whole sample instead of the group; forgetting
  to broadcast gamma per channel (shape (1, C, 1, 1)); dgamma of shape (1, C, 1, 1).

Grade it (the exercise uses x of shape (2, 6, 3, 4) and G = 3 groups):

    minigrad check tutorials/exercises/groupnorm_backward.py --exercise groupnorm

A worked solution is in tutorials/solutions/groupnorm_backward.py: open it after you have tried.

The reference is layers.functional.group_norm (and PyTorch's group_norm when installed).
"""
import numpy as np


def groupnorm_forward(x, gamma, beta, G=3, eps=1e-5):
    """Group normalization of x (N, C, H, W) in G groups; returns (out, cache)."""
    N, C, H, W = x.shape
    xg = x.reshape(N, G, -1)
    mu = xg.mean(axis=2, keepdims=True)
    var = ((xg - mu) ** 2).mean(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((xg - mu) * inv_std).reshape(N, C, H, W)
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)
    cache = {"x": x, "G": G, "mu": mu, "var": var, "eps": eps, "inv_std": inv_std,
             "x_hat": x_hat, "gamma": gamma}
    return out, cache


def groupnorm_backward(dout, cache):
    """Return (dx, dgamma, dbeta) for dout of shape (N, C, H, W); see the module docstring."""
    x_hat, inv_std, gamma, G = cache["x_hat"], cache["inv_std"], cache["gamma"], cache["G"]
    raise NotImplementedError(
        "derive dx, dgamma and dbeta (the steps are in this file's docstring), replace this raise "
        "with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/groupnorm_backward.py --exercise groupnorm")
