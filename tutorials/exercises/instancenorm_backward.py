"""Exercise (lesson 7): the backward pass of Instance Normalization.

The forward pass is given below. For x of shape (N, C, H, W), each (sample, channel) pair is
normalised over its m = H * W values, then every channel gets its own scale and shift:

    mu    = mean of x over axes (2, 3)              shape (N, C, 1, 1)
    var   = mean of (x - mu)^2 over axes (2, 3)     shape (N, C, 1, 1), biased
    x_hat = (x - mu) / sqrt(var + eps)
    out   = gamma * x_hat + beta                    gamma, beta of shape (C,), per channel

Your task: write instancenorm_backward(dout, cache) returning (dx, dgamma, dbeta).

What to derive
  1. dgamma and dbeta: per channel, so sum over every axis but the channel's: (0, 2, 3).
  2. dx: within each (sample, channel) it is LayerNorm's (or BatchNorm's) formula with the
     sums over the m = H * W values of that instance: with g = dout * gamma (per channel),
         dx = inv_std / m * (m g - sum(g) - x_hat * sum(g * x_hat)),  sums over (2, 3), kept
  Common slips: the sums over (0, 2, 3) inside dx (that is BatchNorm2d); gamma not reshaped to
  (1, C, 1, 1); dgamma summed over (2, 3) only, shape (N, C).

Grade it (exit status 0 when every gradient is right), about 20 minutes:

    minigrad check tutorials/exercises/instancenorm_backward.py --exercise instancenorm

The reference is layers.functional.instance_norm (and PyTorch's instance_norm when installed).
A worked solution is in tutorials/solutions/instancenorm_backward.py: open it after you have tried.
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
    raise NotImplementedError(
        "derive dx, dgamma and dbeta (the steps are in this file's docstring), replace this "
        "raise with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/instancenorm_backward.py --exercise instancenorm")
