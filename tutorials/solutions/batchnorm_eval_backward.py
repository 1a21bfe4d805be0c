"""Worked solution of tutorials/exercises/batchnorm_eval_backward.py (lesson 5):
the backward pass of BatchNorm in eval mode.

With running_mean and running_var constant, out is an affine function of x, feature by
feature: out = gamma * inv_std * x + const. Only the direct path is left, dx = dout * gamma *
inv_std; the mean and variance paths of training mode vanish. (This is why an eval-mode
BatchNorm folds into the preceding Linear layer.)

    minigrad check tutorials/solutions/batchnorm_eval_backward.py --exercise batchnorm_eval
"""
import numpy as np


def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Eval-mode batch normalization of x (N, D) with fixed statistics; returns (out, cache)."""
    inv_std = 1.0 / np.sqrt(running_var + eps)
    x_hat = (x - running_mean) * inv_std
    out = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
    return out, cache


def batchnorm_eval_backward(dout, cache):
    """Return (dx, dgamma, dbeta) for dout of shape (N, D); see the module docstring."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = dout * gamma * inv_std
    return dx, dgamma, dbeta
