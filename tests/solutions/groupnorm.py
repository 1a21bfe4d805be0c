"""Solutions to tutorials/exercises/groupnorm_backward.py, and planted bugs (see batchnorm.py)."""
import numpy as np


def _per_group(dout, cache):
    """g = dout * gamma (per channel) and x_hat, both reshaped to (N, G, m)."""
    N, C = dout.shape[:2]
    G = cache["G"]
    g = dout * cache["gamma"].reshape(1, C, 1, 1)
    return g.reshape(N, G, -1), cache["x_hat"].reshape(N, G, -1)


def groupnorm_backward(dout, cache):
    """Layer norm's dx inside each (sample, group); dgamma, dbeta sum over axes (0, 2, 3)."""
    g, x_hat = _per_group(dout, cache)
    m = g.shape[2]
    dx = cache["inv_std"] / m * (m * g - g.sum(axis=2, keepdims=True)
                                 - x_hat * (g * x_hat).sum(axis=2, keepdims=True))
    dgamma = (dout * cache["x_hat"]).sum(axis=(0, 2, 3))
    return dx.reshape(dout.shape), dgamma, dout.sum(axis=(0, 2, 3))


def dgamma_sign_flipped(dout, cache):
    dx, dgamma, dbeta = groupnorm_backward(dout, cache)
    return dx, -dgamma, dbeta


def dx_missing_mean_term(dout, cache):
    g, x_hat = _per_group(dout, cache)
    m = g.shape[2]
    dx = cache["inv_std"] / m * (m * g - x_hat * (g * x_hat).sum(axis=2, keepdims=True))
    _, dgamma, dbeta = groupnorm_backward(dout, cache)
    return dx.reshape(dout.shape), dgamma, dbeta


def dx_unbiased_variance(dout, cache):
    """The staged derivation per group, with 1/(m - 1) in the variance's derivative."""
    N, C = dout.shape[:2]
    G, eps, mu, var = cache["G"], cache["eps"], cache["mu"], cache["var"]
    xg = cache["x"].reshape(N, G, -1)
    m = xg.shape[2]
    dx_hat, _ = _per_group(dout, cache)
    dvar = np.sum(dx_hat * (xg - mu) * -0.5 * (var + eps) ** -1.5, axis=2, keepdims=True)
    dmu = np.sum(-dx_hat / np.sqrt(var + eps), axis=2, keepdims=True)
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (xg - mu) / (m - 1) + dmu / m
    _, dgamma, dbeta = groupnorm_backward(dout, cache)
    return dx.reshape(dout.shape), dgamma, dbeta


def dx_wrong_axis(dout, cache):
    """Sums across the groups (axis 1) where the values of one group (axis 2) were meant."""
    g, x_hat = _per_group(dout, cache)
    m = g.shape[2]
    dx = cache["inv_std"] / m * (m * g - g.sum(axis=1, keepdims=True)
                                 - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    _, dgamma, dbeta = groupnorm_backward(dout, cache)
    return dx.reshape(dout.shape), dgamma, dbeta


def dgamma_wrong_shape(dout, cache):
    """keepdims=True leaves dgamma with shape (1, C, 1, 1)."""
    dx, _, dbeta = groupnorm_backward(dout, cache)
    return dx, (dout * cache["x_hat"]).sum(axis=(0, 2, 3), keepdims=True), dbeta


BUGS = {
    "dgamma_sign_flipped": "gamma",
    "dx_missing_mean_term": "x",
    "dx_unbiased_variance": "x",
    "dx_wrong_axis": "x",
    "dgamma_wrong_shape": "gamma",
}
