"""Worked solution of tutorials/exercises/batchnorm_backward.py (lesson 5).

The exercise: the backward pass of Batch Normalization (training mode).

The forward pass is given below. For an input x of shape (N, D), each feature j is normalised
over the batch (the m = N values in column j), then scaled and shifted:

    mu    = (1/m) sum_i x_ij                    shape (D,)
    var   = (1/m) sum_i (x_ij - mu_j)^2         shape (D,), the BIASED variance (1/m, not 1/(m-1))
    x_hat = (x - mu) / sqrt(var + eps)          shape (N, D)
    out   = gamma * x_hat + beta                gamma, beta of shape (D,)

Your task: write batchnorm_backward(dout, cache) returning (dx, dgamma, dbeta), the gradients
of the loss with respect to x, gamma and beta, given dout = dL/dout of shape (N, D). Each
gradient has the shape of its input.

What to derive
  1. dbeta and dgamma: beta and gamma are shared by all N rows, so their gradients sum over
     the batch axis.
  2. dx_hat = dout * gamma, then dx. x reaches the output along three paths: directly
     through x_hat, through mu, and through var (which itself depends on mu). Add all three.
     Either follow the computational graph one node at a time, or simplify on paper to one
     line in terms of x_hat, inv_std = 1 / sqrt(var + eps) and sums over axis 0.
  Common slips: a sign; forgetting one of the three paths; 1/(m-1) instead of 1/m;
  summing over axis 1 instead of axis 0; returning dgamma with shape (1, D).

Grade it (exit status 0 when every gradient is right):

    minigrad check tutorials/solutions/batchnorm_backward.py --exercise batchnorm

It compares your gradients with finite differences of batchnorm_forward, with minigrad's
autograd through layers.functional.batch_norm and with PyTorch, and tells you which gradient
is wrong and, when it can, how.
"""
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Batch normalization over axis 0 of x (N, D); returns (out, cache)."""
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    cache = {"x": x, "mu": mu, "var": var, "eps": eps, "inv_std": inv_std, "x_hat": x_hat,
             "gamma": gamma}
    return out, cache


def batchnorm_backward(dout, cache):
    """dx = inv_std/m * (m g - sum g - x_hat sum(g x_hat)), g = dout * gamma, sums over axis 0."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std / m * (m * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, dgamma, dbeta
