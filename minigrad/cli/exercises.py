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
from minigrad.cli.tasks_backprop import TASKS as TASKS_BACKPROP
from minigrad.cli.tasks_beyond import TASKS as TASKS_BEYOND
from minigrad.cli.tasks_ics import TASKS as TASKS_ICS
from minigrad.cli.tasks_late import TASKS as TASKS_LATE
from minigrad.cli.tasks_practice import TASKS as TASKS_PRACTICE


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


def layers_instance_norm(x, gamma, beta, eps=1e-5):
    from layers import functional
    return functional.instance_norm(x, weight=gamma, bias=beta, eps=eps)


def torch_instance_norm(x, gamma, beta, eps=1e-5):
    import torch
    return torch.nn.functional.instance_norm(x, weight=gamma, bias=beta, eps=eps)


def layers_rms_norm(x, gamma, eps=1e-5):
    from layers import functional
    return functional.rms_norm(x, gamma.shape, gamma, eps=eps)


def torch_rms_norm(x, gamma, eps=1e-5):
    import torch
    return torch.nn.functional.rms_norm(x, tuple(gamma.shape), gamma, eps=eps)


def layers_ws_linear(x, w, eps=1e-5):
    from layers import functional
    return x @ functional.weight_standardize(w, eps=eps).T


def torch_ws_linear(x, w, eps=1e-5):
    import torch
    # PyTorch has no weight standardization: its formula, eps inside the square root
    mean = w.mean(dim=1, keepdim=True)
    var = w.var(dim=1, unbiased=False, keepdim=True)
    return x @ ((w - mean) / torch.sqrt(var + eps)).T


def layers_batch_norm_eval(x, gamma, beta, running_mean, running_var, eps=1e-5):
    from layers import functional
    return functional.batch_norm(x, running_mean.copy(), running_var.copy(), gamma, beta,
                                 training=False, eps=eps)


def torch_batch_norm_eval(x, gamma, beta, running_mean, running_var, eps=1e-5):
    import torch
    return torch.nn.functional.batch_norm(x, torch.tensor(running_mean), torch.tensor(running_var),
                                          gamma, beta, training=False, eps=eps)


def layers_bcn(x, bn_gamma, bn_beta, gn_gamma, gn_beta, G=2, eps=1e-5):
    from layers import functional
    return functional.batch_channel_norm(x, G, None, None, bn_gamma, bn_beta, gn_gamma, gn_beta,
                                         training=True, eps=eps)


def torch_bcn(x, bn_gamma, bn_beta, gn_gamma, gn_beta, G=2, eps=1e-5):
    import torch
    F = torch.nn.functional
    z = F.batch_norm(x, None, None, bn_gamma, bn_beta, training=True, eps=eps)
    return F.group_norm(z, G, gn_gamma, gn_beta, eps=eps)


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
    "batchnorm_eval": Exercise("batchnorm_eval_forward", "batchnorm_eval_backward",
                               {"x": (4, 5), "gamma": (5,), "beta": (5,)},
                               {"running_mean": np.array([11.0, 12.5, 13.0, 12.0, 11.5]),
                                "running_var": np.array([20.0, 30.0, 25.0, 22.0, 27.0]),
                                "eps": 1e-5},
                               layers_batch_norm_eval, torch_batch_norm_eval, shifted=("x",)),
    "instancenorm": Exercise("instancenorm_forward", "instancenorm_backward",
                             {"x": (2, 3, 4, 4), "gamma": (3,), "beta": (3,)}, {"eps": 1e-5},
                             layers_instance_norm, torch_instance_norm, shifted=("x",)),
    "weightstd": Exercise("ws_linear_forward", "ws_linear_backward",
                          {"x": (4, 6), "w": (3, 6)}, {"eps": 1e-5},
                          layers_ws_linear, torch_ws_linear),
    "rmsnorm": Exercise("rmsnorm_forward", "rmsnorm_backward",
                        {"x": (4, 5), "gamma": (5,)}, {"eps": 1e-5},
                        layers_rms_norm, torch_rms_norm),
    "bcn": Exercise("bcn_forward", "bcn_backward",
                    {"x": (4, 4, 2, 2), "bn_gamma": (4,), "bn_beta": (4,), "gn_gamma": (4,),
                     "gn_beta": (4,)}, {"G": 2, "eps": 1e-5},
                    layers_bcn, torch_bcn, shifted=("x",)),
}
EXERCISES.update(TASKS)
EXERCISES.update(TASKS_LATE)
EXERCISES.update(TASKS_BEYOND)
EXERCISES.update(TASKS_BACKPROP)
EXERCISES.update(TASKS_PRACTICE)
EXERCISES.update(TASKS_ICS)


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
    "batchnorm_eval": Listing(5, "batchnorm_eval_backward.py", 15,
                              "BatchNorm's backward in eval mode (the running statistics fixed)"),
    "layernorm": Listing(6, "layernorm_backward.py", 20, "LayerNorm's backward"),
    "groupnorm": Listing(7, "groupnorm_backward.py", 30, "GroupNorm's backward"),
    "instancenorm": Listing(7, "instancenorm_backward.py", 20, "InstanceNorm's backward"),
    "weightnorm": Listing(8, "weightnorm_backward.py", 20, "Weight Normalization's backward"),
    "weightstd": Listing(8, "weightstd_backward.py", 25,
                         "Weight Standardization's backward, eps inside the square root"),
    "rmsnorm": Listing(9, "rmsnorm_backward.py", 20, "RMSNorm's backward"),
    "bcn": Listing(9, "bcn_backward.py", 30, "Batch-Channel Normalization's backward (training)"),
    "precise_bn": Listing(10, "precise_bn.py", 20,
                          "re-estimate BatchNorm's running statistics after training"),
    "seed_running_variance": Listing(11, "seed_running_variance.py", 15,
                                     "reproduce and fix E29, the running variance of biased "
                                     "variances"),
    "hvp": Listing(12, "hvp.py", 20, "a Hessian-vector product by double backward, checked by "
                                     "finite differences"),
    "value_engine": Listing(13, "value_engine.py", 30,
                            "finish a scalar autograd engine and build an MLP on it"),
    "layer_statistics": Listing(14, "layer_statistics.py", 25,
                                "measure a deep network at initialisation; build a healthy one"),
    "network_backward": Listing(15, "network_backward.py", 30,
                                "a whole network's backward by hand, graded per intermediate"),
    "pre_ln_block": Listing(16, "pre_ln_block.py", 25,
                            "a pre-LN transformer layer as a Module, against a reference"),
    "noisy_batchnorm": Listing(17, "noisy_batchnorm.py", 25,
                               "noisy BatchNorm (a per-step random shift and scale) and the "
                               "effective beta-smoothness"),
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
