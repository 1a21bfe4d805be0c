"""Solutions to tutorials/exercises/batchnorm_backward.py, and planted bugs.

batchnorm_backward is the solution a student should reach. The other functions each plant
one classic mistake; the tests check that minigrad check names the input it breaks
(BUGS: function name -> the input whose gradient becomes wrong).
"""
import numpy as np


def batchnorm_backward(dout, cache):
    """dx = inv_std/m * (m g - sum g - x_hat sum(g x_hat)), g = dout * gamma, sums over axis 0."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std / m * (m * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


def dgamma_sign_flipped(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    return dx, -dgamma, dbeta


def dx_missing_mean_term(dout, cache):
    """Forgets the path through mu: the -sum(g) term."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[0]
    g = dout * gamma
    dx = inv_std / m * (m * g - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def dx_unbiased_variance(dout, cache):
    """The staged derivation, differentiating var as if it were sum((x - mu)^2) / (m - 1)."""
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    m = dout.shape[0]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * (x - mu) * -0.5 * (var + eps) ** -1.5, axis=0)
    dmu = np.sum(-dx_hat / np.sqrt(var + eps), axis=0)
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / (m - 1) + dmu / m
    return dx, (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)


def dx_wrong_axis(dout, cache):
    """Sums over the features (axis 1) where the batch (axis 0) was meant: shapes still fit."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[0]
    g = dout * gamma
    dx = inv_std / m * (m * g - g.sum(axis=1, keepdims=True)
                        - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def dgamma_wrong_shape(dout, cache):
    """keepdims=True leaves dgamma with shape (1, D)."""
    dx, _, dbeta = batchnorm_backward(dout, cache)
    return dx, (dout * cache["x_hat"]).sum(axis=0, keepdims=True), dbeta


BUGS = {
    "dgamma_sign_flipped": "gamma",
    "dx_missing_mean_term": "x",
    "dx_unbiased_variance": "x",
    "dx_wrong_axis": "x",
    "dgamma_wrong_shape": "gamma",
}
