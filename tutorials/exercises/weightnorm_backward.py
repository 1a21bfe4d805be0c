"""Exercise: the backward pass of Weight Normalization (Salimans & Kingma, 2016).

Weight normalization writes each row of a linear layer's weight as a length g_i times a
direction v_i / ||v_i||. The forward pass is given below, for x of shape (N, D), a direction
matrix v of shape (M, D) and lengths g of shape (M, 1) (PyTorch's shapes for weight_norm on
Linear(D, M)):

    norm_i = sqrt(sum_j v_ij^2)                 shape (M, 1), one norm per output row
    w      = g * v / norm                       shape (M, D)
    out    = x @ w.T                            shape (N, M)

Your task: write weightnorm_backward(dout, cache) returning (dx, dg, dv).

What to derive
  1. dx and dw from the matrix product (dw has the shape of w).
  2. dg: w is linear in g, so dg_i = sum_j dw_ij * v_ij / norm_i; keep the shape (M, 1).
  3. dv: v appears twice, in the numerator and inside the norm. Show that
         dv = (g / norm) * (dw - v_hat * sum_j(dw * v_hat))      with v_hat = v / norm,
     i.e. the part of dw along v_hat is projected away: scaling v does not change w.
  Common slips: dropping the norm's path in dv; dg of shape (M,) instead of (M, 1).

Grade it:

    minigrad check tutorials/exercises/weightnorm_backward.py --exercise weightnorm

A worked solution is in tutorials/solutions/weightnorm_backward.py: open it after you have tried.

The references are layers.functional.normalized_weight (then x @ w.T) and PyTorch.
"""
import numpy as np


def weightnorm_forward(x, g, v):
    """out = x @ w.T with w = g * v / ||v|| (row norms); returns (out, cache)."""
    norm = np.sqrt((v ** 2).sum(axis=1, keepdims=True))
    w = g * v / norm
    out = x @ w.T
    cache = {"x": x, "g": g, "v": v, "norm": norm, "w": w}
    return out, cache


def weightnorm_backward(dout, cache):
    """Return (dx, dg, dv) for dout of shape (N, M); see the module docstring."""
    x, g, v, norm, w = cache["x"], cache["g"], cache["v"], cache["norm"], cache["w"]
    raise NotImplementedError(
        "derive dx, dg and dv (the steps are in this file's docstring), replace this raise "
        "with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/weightnorm_backward.py --exercise weightnorm")
