"""CS231n assignment 2's layers: the functions a student writes in `cs231n/layers.py`, the
notebooks' setups that test them, and a reference for each written with minigrad's operations.

Each Case names a forward and a backward in the student's file, with CS231n's signatures:

    affine_forward(x, w, b)                          affine_backward(dout, cache) -> dx, dw, db
    relu_forward(x)                                  relu_backward(dout, cache) -> dx
    batchnorm_forward(x, gamma, beta, bn_param)      batchnorm_backward(dout, cache) -> dx, dgamma,
                                                     dbeta   (and batchnorm_backward_alt)
    layernorm_forward(x, gamma, beta, ln_param)      layernorm_backward(dout, cache)
    dropout_forward(x, dropout_param)                dropout_backward(dout, cache) -> dx
    conv_forward_naive(x, w, b, conv_param)          conv_backward_naive(dout, cache) -> dx, dw, db
    max_pool_forward_naive(x, pool_param)            max_pool_backward_naive(dout, cache) -> dx
    spatial_batchnorm_forward(x, gamma, beta, bn_param)           spatial_batchnorm_backward
    spatial_groupnorm_forward(x, gamma, beta, G, gn_param)        spatial_groupnorm_backward
    softmax_loss(x, y) -> loss, dx                   svm_loss(x, y) -> loss, dx

and a setup drawing the notebook's inputs: NumPy's legacy generator seeded with 231, the same
shapes in the same order, `5 * randn + 12` for the normalization layers' x, the parameter
dicts ({'mode': 'train'}, {'stride': 1, 'pad': 1}, ...). Dropout is checked with its seeded
mask ({'p': 0.2, 'seed': 123}): the reference multiplies by the mask the student's forward
drew, once that mask is seen to be 0 or 1/p everywhere (p is the probability of keeping).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from minigrad.ops import log, maximum, pad, sqrt, stack

EPS = 1e-5           # CS231n's default eps of bn_param, ln_param and gn_param


class Case(NamedTuple):
    name: str                 # the row of the table
    forward: str              # function names in the student's file
    backward: str | None      # None for the losses, whose one function returns (loss, dx)
    setup: Callable           # rng -> (inputs {name: array}, params (positional), dout)
    reference: Callable       # (*Tensors, *params) -> Tensor: the same forward with minigrad


# ----------------------------------------------------------------------------
# References, written with minigrad's operations on Tensors
# ----------------------------------------------------------------------------

def affine(x, w, b):
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:]))) @ w + b


def relu(x):
    return maximum(x, 0.0)


def normalize(x, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return (x - mu) / sqrt(var + eps)


def batchnorm(x, gamma, beta, bn_param):
    return normalize(x, 0, bn_param.get("eps", EPS)) * gamma + beta


def layernorm(x, gamma, beta, ln_param):
    return normalize(x, 1, ln_param.get("eps", EPS)) * gamma + beta


def spatial_batchnorm(x, gamma, beta, bn_param):
    C = x.shape[1]
    x_hat = normalize(x, (0, 2, 3), bn_param.get("eps", EPS))
    return x_hat * gamma.reshape(1, C, 1, 1) + beta.reshape(1, C, 1, 1)


def spatial_groupnorm(x, gamma, beta, G, gn_param):
    N, C, H, W = x.shape
    grouped = x.reshape(N, G, C // G, H, W)
    x_hat = normalize(grouped, (2, 3, 4), gn_param.get("eps", EPS)).reshape(N, C, H, W)
    return x_hat * gamma.reshape(1, C, 1, 1) + beta.reshape(1, C, 1, 1)


def conv(x, w, b, conv_param):
    """The naive convolution, one output position at a time (CS231n's conv_forward_naive)."""
    stride, p = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    padded = pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    H_out = 1 + (x.shape[2] + 2 * p - HH) // stride
    W_out = 1 + (x.shape[3] + 2 * p - WW) // stride
    filters = w.reshape(F, C * HH * WW).T
    columns = []
    for i in range(H_out):
        for j in range(W_out):
            window = padded[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            columns.append(window.reshape(x.shape[0], C * HH * WW) @ filters + b)
    return stack(columns, axis=2).reshape(x.shape[0], F, H_out, W_out)


def max_pool(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    windows = [x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw].max(axis=(2, 3))
               for i in range(H_out) for j in range(W_out)]
    return stack(windows, axis=2).reshape(N, C, H_out, W_out)


def softmax_loss(x, y):
    shifted = x - x.data.max(axis=1, keepdims=True)      # a constant shift: the loss is the same
    log_probs = shifted - log(shifted.exp().sum(axis=1, keepdims=True))
    return -log_probs[np.arange(x.shape[0]), y].mean()


def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y].reshape(N, 1)
    others = np.ones(x.shape)
    others[np.arange(N), y] = 0.0                         # the correct class has no margin
    return (maximum(x - correct + 1.0, 0.0) * others).sum() / N


def dropout(mask):
    """The reference for a dropout forward that drew `mask` (0 or 1/p per element)."""
    def dropout(x, dropout_param):
        return x * mask if dropout_param["mode"] == "train" else x * 1.0
    return dropout


def dropout_mask(x, dropout_param):
    """CS231n's mask for these inputs: seeded NumPy, keep with probability p, scaled by 1/p."""
    state = np.random.get_state()
    np.random.seed(dropout_param["seed"])
    mask = (np.random.rand(*x.shape) < dropout_param["p"]) / dropout_param["p"]
    np.random.set_state(state)
    return mask


# ----------------------------------------------------------------------------
# The notebooks' setups: rng is np.random.RandomState(231), drawn in the notebooks' order
# ----------------------------------------------------------------------------

def normalization_setup(shape, gamma_shape, param):
    def setup(rng):
        x = 5 * rng.randn(*shape) + 12
        gamma, beta = rng.randn(*gamma_shape), rng.randn(*gamma_shape)
        return {"x": x, "gamma": gamma, "beta": beta}, param, rng.randn(*shape)
    return setup


def affine_setup(rng):
    x, w, b = rng.randn(10, 2, 3), rng.randn(6, 5), rng.randn(5)
    return {"x": x, "w": w, "b": b}, (), rng.randn(10, 5)


def relu_setup(rng):
    x = rng.randn(10, 10)
    return {"x": x}, (), rng.randn(*x.shape)


def dropout_setup(mode):
    def setup(rng):
        x = rng.randn(10, 10) + 10
        return {"x": x}, ({"mode": mode, "p": 0.2, "seed": 123},), rng.randn(*x.shape)
    return setup


def conv_setup(rng):
    x, w, b = rng.randn(4, 3, 5, 5), rng.randn(2, 3, 3, 3), rng.randn(2)
    return {"x": x, "w": w, "b": b}, ({"stride": 1, "pad": 1},), rng.randn(4, 2, 5, 5)


def max_pool_setup(rng):
    x = rng.randn(3, 2, 8, 8)
    return ({"x": x}, ({"pool_height": 2, "pool_width": 2, "stride": 2},),
            rng.randn(3, 2, 4, 4))


def groupnorm_setup(rng):
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 5 * rng.randn(N, C, H, W) + 12
    gamma, beta = rng.randn(1, C, 1, 1), rng.randn(1, C, 1, 1)
    return {"x": x, "gamma": gamma, "beta": beta}, (G, {}), rng.randn(N, C, H, W)


def loss_setup(rng):
    num_classes, num_inputs = 10, 50
    x = 0.001 * rng.randn(num_inputs, num_classes)
    y = rng.randint(num_classes, size=num_inputs)
    return {"x": x}, (y,), np.array(1.0)


CASES = [
    Case("affine", "affine_forward", "affine_backward", affine_setup, affine),
    Case("relu", "relu_forward", "relu_backward", relu_setup, relu),
    Case("batchnorm", "batchnorm_forward", "batchnorm_backward",
         normalization_setup((4, 5), (5,), ({"mode": "train"},)), batchnorm),
    Case("batchnorm_alt", "batchnorm_forward", "batchnorm_backward_alt",
         normalization_setup((4, 5), (5,), ({"mode": "train"},)), batchnorm),
    Case("layernorm", "layernorm_forward", "layernorm_backward",
         normalization_setup((4, 5), (5,), ({},)), layernorm),
    Case("dropout", "dropout_forward", "dropout_backward", dropout_setup("train"), dropout),
    Case("dropout_test", "dropout_forward", "dropout_backward", dropout_setup("test"), dropout),
    Case("conv_naive", "conv_forward_naive", "conv_backward_naive", conv_setup, conv),
    Case("max_pool_naive", "max_pool_forward_naive", "max_pool_backward_naive", max_pool_setup,
         max_pool),
    Case("spatial_batchnorm", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
         normalization_setup((2, 3, 4, 5), (3,), ({"mode": "train"},)), spatial_batchnorm),
    Case("spatial_groupnorm", "spatial_groupnorm_forward", "spatial_groupnorm_backward",
         groupnorm_setup, spatial_groupnorm),
    Case("softmax_loss", "softmax_loss", None, loss_setup, softmax_loss),
    Case("svm_loss", "svm_loss", None, loss_setup, svm_loss),
]
