"""Worked solution of tutorials/exercises/weightstd_backward.py (lesson 8):
the backward pass of Weight Standardization, eps inside.

out = x @ w_hat.T gives dx = dout @ w_hat and dw_hat = dout.T @ x. Standardizing one row of
w is LayerNorm of one sample without gamma and beta, so its backward is LayerNorm's dx with
g = dw_hat and sums over the row (axis 1). eps inside the root only enters through inv_std.

    minigrad check tutorials/solutions/weightstd_backward.py --exercise weightstd
"""
import numpy as np


def ws_linear_forward(x, w, eps=1e-5):
    """x @ w_hat.T with w_hat = w standardized per row (eps inside); returns (out, cache)."""
    mu = w.mean(axis=1, keepdims=True)
    var = ((w - mu) ** 2).mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    w_hat = (w - mu) * inv_std
    out = x @ w_hat.T
    cache = {"x": x, "w_hat": w_hat, "inv_std": inv_std}
    return out, cache


def ws_linear_backward(dout, cache):
    """Return (dx, dw) for dout of shape (N, O); see the module docstring."""
    x, w_hat, inv_std = cache["x"], cache["w_hat"], cache["inv_std"]
    m = w_hat.shape[1]
    dx = dout @ w_hat
    g = dout.T @ x
    dw = inv_std / m * (m * g - g.sum(axis=1, keepdims=True)
                        - w_hat * (g * w_hat).sum(axis=1, keepdims=True))
    return dx, dw
