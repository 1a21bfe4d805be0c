"""Exercise (lesson 8): the backward pass of Weight Standardization, eps inside.

The forward pass is given below: a Linear layer whose weight w (out_features, in_features) is
standardized row by row before use (Qiao et al.'s Weight Standardization, with eps INSIDE the
square root, as layers.functional.weight_standardize's default):

    mu_o    = (1/m) sum_i w_oi                  shape (O, 1), m = in_features
    var_o   = (1/m) sum_i (w_oi - mu_o)^2       shape (O, 1), biased
    w_hat   = (w - mu) / sqrt(var + eps)        shape (O, m)
    out     = x @ w_hat.T                       x (N, m) -> out (N, O)

Your task: write ws_linear_backward(dout, cache) returning (dx, dw).

What to derive
  1. dx = dout @ w_hat (the Linear layer's rule, with the standardized weight).
  2. dw_hat = dout.T @ x, shape (O, m): the gradient that reaches the standardized weight.
  3. dw: each ROW of w is standardized like one sample of LayerNorm, with no affine: with
     g = dw_hat,   dw = inv_std / m * (m g - sum(g) - w_hat * sum(g * w_hat)), sums over axis 1.
  Common slips: dw = dw_hat (forgetting that w_hat depends on w through mu and var); the sums
  over axis 0; eps outside the square root (1 / (std + eps)) in a hand-written inv_std.

Grade it (exit status 0 when every gradient is right), about 25 minutes:

    minigrad check tutorials/exercises/weightstd_backward.py --exercise weightstd

The reference is layers.functional.weight_standardize (and the same formula in PyTorch when
installed).
A worked solution is in tutorials/solutions/weightstd_backward.py: open it after you have tried.
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
    raise NotImplementedError(
        "derive dx and dw: dw goes through w_hat = (w - mu) / sqrt(var + eps) (steps 1-3), "
        "replace this raise with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/weightstd_backward.py --exercise weightstd")
