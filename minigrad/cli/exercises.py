"""The built-in exercises of `minigrad check --exercise NAME` (tutorials/exercises/).

Two kinds: a backward pass (an Exercise: the functions' names, inputs, constants and
references, and how the inputs are drawn; graded by check_backward) and any other task (a
coursework Task from tasks.py, graded by check_task). LISTING says, for every exercise, its
lesson, its template file, the time it takes and what it asks: `minigrad tutorials list`
prints it, and the tests check the templates and the solutions it names.

The references are layers.functional's (minigrad) and torch.nn.functional's (PyTorch), which is
why this lives in the command line: the only part of minigrad that imports `layers`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from minigrad.cli.tasks import TASKS
from minigrad.cli.tasks_beyond import TASKS as TASKS_BEYOND


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
EXERCISES.update(TASKS)
EXERCISES.update(TASKS_BEYOND)


class Listing(NamedTuple):
    lesson: int
    file: str          # the template in tutorials/exercises/, the solution in tutorials/solutions/
    minutes: int
    what: str


LISTING = {
    "local_derivative": Listing(1, "local_derivative.py", 15,
                                "softplus's local derivative and its finite-difference check"),
    "broadcasting": Listing(2, "broadcasting.py", 15, "two broadcasting-gradient puzzles"),
    "softmax_cross_entropy": Listing(3, "softmax_cross_entropy.py", 15,
                                     "the softmax cross-entropy gradient (softmax - onehot) / N"),
    "batchnorm_running": Listing(4, "batchnorm_running.py", 20,
                                 "BatchNorm's forward with running statistics, train and eval"),
    "batchnorm": Listing(5, "batchnorm_backward.py", 30, "BatchNorm's backward (training mode)"),
    "layernorm": Listing(6, "layernorm_backward.py", 20, "LayerNorm's backward"),
    "groupnorm": Listing(7, "groupnorm_backward.py", 30, "GroupNorm's backward"),
    "weightnorm": Listing(8, "weightnorm_backward.py", 20, "Weight Normalization's backward"),
    "value_engine": Listing(13, "value_engine.py", 30,
                            "finish a scalar autograd engine and build an MLP on it"),
    "layer_statistics": Listing(14, "layer_statistics.py", 25,
                                "measure a deep network at initialisation; build a healthy one"),
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
