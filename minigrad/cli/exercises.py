"""The built-in exercises of `minigrad check --exercise NAME` (tutorials/exercises/): their
functions' names, inputs, constants and references, and how the inputs are drawn.

The references are layers.functional's (minigrad) and torch.nn.functional's (PyTorch), which is
why this lives in the command line: the only part of minigrad that imports `layers`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


def layers_batch_norm(x, gamma, beta, eps=1e-5):
    from layers import functional
    return functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def torch_batch_norm(x, gamma, beta, eps=1e-5):
    import torch
    return torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def layers_layer_norm(x, gamma, beta, eps=1e-5):
    from layers import functional
    return functional.layer_norm(x, gamma.shape, gamma, beta, eps=eps)


def torch_layer_norm(x, gamma, beta, eps=1e-5):
    import torch
    return torch.nn.functional.layer_norm(x, gamma.shape, gamma, beta, eps=eps)


def layers_group_norm(x, gamma, beta, G=3, eps=1e-5):
    from layers import functional
    return functional.group_norm(x, G, gamma, beta, eps=eps)


def torch_group_norm(x, gamma, beta, G=3, eps=1e-5):
    import torch
    return torch.nn.functional.group_norm(x, G, gamma, beta, eps=eps)


def layers_weight_norm_linear(x, g, v):
    from layers import functional
    return x @ functional.normalized_weight(v, g, dim=0).T


def torch_weight_norm_linear(x, g, v):
    import torch
    # the kernel behind torch.nn.utils.parametrizations.weight_norm
    return x @ torch._weight_norm(v, g, 0).T


class Exercise(NamedTuple):
    forward: str
    backward: str
    shapes: dict            # input name -> shape, in argument order
    constants: dict         # keyword arguments of the forward
    reference: object       # minigrad reference
    torch_reference: object
    shifted: tuple = ()     # inputs drawn as 5 * randn + 12 (CS231n's BatchNorm inputs)


EXERCISES = {
    "batchnorm": Exercise("batchnorm_forward", "batchnorm_backward",
                          {"x": (4, 5), "gamma": (5,), "beta": (5,)}, {"eps": 1e-5},
                          layers_batch_norm, torch_batch_norm, shifted=("x",)),
    "layernorm": Exercise("layernorm_forward", "layernorm_backward",
                          {"x": (4, 5), "gamma": (5,), "beta": (5,)}, {"eps": 1e-5},
                          layers_layer_norm, torch_layer_norm, shifted=("x",)),
    "groupnorm": Exercise("groupnorm_forward", "groupnorm_backward",
                          {"x": (2, 6, 3, 4), "gamma": (6,), "beta": (6,)}, {"G": 3, "eps": 1e-5},
                          layers_group_norm, torch_group_norm, shifted=("x",)),
    "weightnorm": Exercise("weightnorm_forward", "weightnorm_backward",
                           {"x": (4, 5), "g": (3, 1), "v": (3, 5)}, {},
                           layers_weight_norm_linear, torch_weight_norm_linear),
}


def make_inputs(shapes, seed=0, shifted=(), init=None):
    """{name: array}: standard normal from `seed`; 5 * randn + 12 for the `shifted` names
    (CS231n's normalization inputs); scale * randn + shift for init = {name: (scale, shift)}."""
    rng = np.random.default_rng(seed)
    init = dict(init or {})
    inputs = {}
    for name, shape in shapes.items():
        scale, shift = init.get(name, (5.0, 12.0) if name in shifted else (1.0, 0.0))
        inputs[name] = scale * rng.standard_normal(shape) + shift
    return inputs
