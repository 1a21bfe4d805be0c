"""Exercise (lesson 9): the backward pass of RMSNorm.

The forward pass is given below. For x of shape (N, D), each row is divided by its root mean
square (no mean is subtracted), then every feature gets its own scale:

    ms_i  = (1/m) sum_j x_ij^2                  shape (N, 1), m = D
    r_i   = sqrt(ms_i + eps)                    the RMS, eps inside the square root
    x_hat = x / r                               shape (N, D)
    out   = gamma * x_hat                       gamma of shape (D,); RMSNorm has no beta

Your task: write rmsnorm_backward(dout, cache) returning (dx, dgamma).

What to derive
  1. dgamma: gamma is shared by the N rows, so sum dout * x_hat over axis 0.
  2. dx: with g = dout * gamma, x reaches x_hat directly (1/r) and through r. Since
     dr_i/dx_ij = x_ij / (m r_i), you should reach
         dx = (g - x_hat * mean_j(g * x_hat)) / r        (the mean along axis 1, kept)
     LayerNorm's formula without its centring term -mean(g).
  Common slips: a -mean(g) term copied from LayerNorm (there is no mean to go through); the mean
  over axis 0; forgetting that r depends on x at all.

Grade it (exit status 0 when every gradient is right), about 20 minutes:

    minigrad check tutorials/exercises/rmsnorm_backward.py --exercise rmsnorm

The reference is layers.functional.rms_norm (and PyTorch's rms_norm when installed).
A worked solution is in tutorials/solutions/rmsnorm_backward.py: open it after you have tried.
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
    raise NotImplementedError(
        "derive dx and dgamma (the steps are in this file's docstring), replace this raise "
        "with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/rmsnorm_backward.py --exercise rmsnorm")
