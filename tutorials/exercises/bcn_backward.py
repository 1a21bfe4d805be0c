"""Exercise (lesson 9): the backward pass of Batch-Channel Normalization.

The forward pass is given below: Batch-Channel Normalization in training mode, on x of shape
(N, C, H, W): BatchNorm with batch statistics (per channel, over N, H, W), then GroupNorm with
G groups (per sample and group, over its C/G channels and H, W), each with its own affine:

    z   = bn_gamma * (x - mu_c) / sqrt(var_c + eps) + bn_beta        mu_c, var_c over (0, 2, 3)
    out = gn_gamma * GroupNorm_G(z) + gn_beta                        statistics per (n, group)

Your task: write bcn_backward(dout, cache) returning (dx, dbn_gamma, dbn_beta, dgn_gamma,
dgn_beta): the chain rule through two normalizations, the later one first.

What to derive
  1. GroupNorm's part: dgn_gamma, dgn_beta (sums over (0, 2, 3)) and dz, GroupNorm's dx
     (lesson 7's exercise) with g = dout * gn_gamma, in groups: reshape to (N, G, C/G * H * W).
  2. BatchNorm's part, upstream dz: dbn_gamma, dbn_beta (sums over (0, 2, 3)) and dx,
     BatchNorm's formula with its sums over (0, 2, 3), m = N * H * W values per channel.
  Common slips: the order (BatchNorm's backward first); the statistics' axes swapped between
  the two parts; gammas not reshaped to (1, C, 1, 1).

Grade it (exit status 0 when every gradient is right), about 30 minutes:

    minigrad check tutorials/exercises/bcn_backward.py --exercise bcn

The reference is layers.functional.batch_channel_norm (and PyTorch's batch_norm then group_norm
when installed).
A worked solution is in tutorials/solutions/bcn_backward.py: open it after you have tried.
"""
import numpy as np


def bcn_forward(x, bn_gamma, bn_beta, gn_gamma, gn_beta, G=2, eps=1e-5):
    """BCN in training mode: BatchNorm2d (batch statistics) then GroupNorm(G); (out, cache)."""
    N, C, H, W = x.shape
    per_channel = (1, C, 1, 1)
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    var = ((x - mu) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    bn_inv_std = 1.0 / np.sqrt(var + eps)
    bn_hat = (x - mu) * bn_inv_std
    z = bn_gamma.reshape(per_channel) * bn_hat + bn_beta.reshape(per_channel)
    zg = z.reshape(N, G, -1)
    gn_mu = zg.mean(axis=2, keepdims=True)
    gn_var = ((zg - gn_mu) ** 2).mean(axis=2, keepdims=True)
    gn_inv_std = 1.0 / np.sqrt(gn_var + eps)
    gn_hat = ((zg - gn_mu) * gn_inv_std).reshape(N, C, H, W)
    out = gn_gamma.reshape(per_channel) * gn_hat + gn_beta.reshape(per_channel)
    cache = {"G": G, "bn_hat": bn_hat, "bn_inv_std": bn_inv_std, "bn_gamma": bn_gamma,
             "gn_hat": gn_hat, "gn_inv_std": gn_inv_std, "gn_gamma": gn_gamma}
    return out, cache


def bcn_backward(dout, cache):
    """Return (dx, dbn_gamma, dbn_beta, dgn_gamma, dgn_beta); see the module docstring."""
    raise NotImplementedError(
        "derive the five gradients, GroupNorm's part first, then BatchNorm's (steps 1-2), "
        "replace this raise with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/bcn_backward.py --exercise bcn")
