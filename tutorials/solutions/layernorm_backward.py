"""Worked solution of tutorials/exercises/layernorm_backward.py (lesson 6).

The exercise: the backward pass of Layer Normalization.

The forward pass is given below. For an input x of shape (N, D), each SAMPLE (row i) is
normalised over its m = D features, then every feature gets its own scale and shift:

    mu_i  = (1/m) sum_j x_ij                    shape (N, 1)
    var_i = (1/m) sum_j (x_ij - mu_i)^2         shape (N, 1), biased
    x_hat = (x - mu) / sqrt(var + eps)          shape (N, D)
    out   = gamma * x_hat + beta                gamma, beta of shape (D,): per feature

Your task: write layernorm_backward(dout, cache) returning (dx, dgamma, dbeta).

What to derive
  1. dgamma and dbeta: gamma and beta are shared by the N samples, so sum over axis 0, exactly
     as in batch normalization.
  2. dx: the statistics now run along axis 1. With g = dout * gamma (the gradient reaching
     x_hat), the derivation is batch normalization's with the roles of the axes swapped; the
     sums over the m features keep their dimension (keepdims=True) so they broadcast per row.
  Common slips: summing over axis 0 inside dx (the batch-norm reflex); forgetting gamma in g;
  dgamma summed over axis 1, which gives shape (N,) instead of (D,).

Grade it:

    minigrad check tutorials/solutions/layernorm_backward.py --exercise layernorm

The reference is layers.functional.layer_norm (and PyTorch's layer_norm when installed).
"""
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization over axis 1 of x (N, D); returns (out, cache)."""
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    cache = {"x": x, "mu": mu, "var": var, "eps": eps, "inv_std": inv_std, "x_hat": x_hat,
             "gamma": gamma}
    return out, cache


def layernorm_backward(dout, cache):
    """dx = inv_std/m * (m g - sum g - x_hat sum(g x_hat)), g = dout * gamma, sums over axis 1."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[1]
    g = dout * gamma
    dx = inv_std / m * (m * g - g.sum(axis=1, keepdims=True)
                        - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
