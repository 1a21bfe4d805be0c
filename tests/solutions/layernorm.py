"""Solutions to tutorials/exercises/layernorm_backward.py, and planted bugs (see batchnorm.py)."""
import numpy as np


def layernorm_backward(dout, cache):
    """dx = inv_std/m * (m g - sum g - x_hat sum(g x_hat)), g = dout * gamma, sums over axis 1."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[1]
    g = dout * gamma
    dx = inv_std / m * (m * g - g.sum(axis=1, keepdims=True)
                        - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def dgamma_sign_flipped(dout, cache):
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    return dx, -dgamma, dbeta


def dx_missing_mean_term(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[1]
    g = dout * gamma
    dx = inv_std / m * (m * g - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def dx_unbiased_variance(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    m = dout.shape[1]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * (x - mu) * -0.5 * (var + eps) ** -1.5, axis=1, keepdims=True)
    dmu = np.sum(-dx_hat / np.sqrt(var + eps), axis=1, keepdims=True)
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / (m - 1) + dmu / m
    return dx, (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)


def dx_wrong_axis(dout, cache):
    """The batch-norm reflex: sums over axis 0 inside dx."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[1]
    g = dout * gamma
    dx = inv_std / m * (m * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def dgamma_wrong_shape(dout, cache):
    """Sums over the features instead of the samples: shape (N,) instead of (D,)."""
    dx, _, dbeta = layernorm_backward(dout, cache)
    return dx, (dout * cache["x_hat"]).sum(axis=1), dbeta


BUGS = {
    "dgamma_sign_flipped": "gamma",
    "dx_missing_mean_term": "x",
    "dx_unbiased_variance": "x",
    "dx_wrong_axis": "x",
    "dgamma_wrong_shape": "gamma",
}
