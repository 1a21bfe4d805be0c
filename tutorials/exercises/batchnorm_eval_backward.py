"""Exercise (lesson 5): the backward pass of BatchNorm in eval mode.

The forward pass is given below. In eval mode BatchNorm normalises with its RUNNING statistics,
which are constants here (they were estimated during training and are not inputs of the loss):

    x_hat = (x - running_mean) / sqrt(running_var + eps)       x (N, D), running_* (D,)
    out   = gamma * x_hat + beta

Your task: write batchnorm_eval_backward(dout, cache) returning (dx, dgamma, dbeta).

What to derive
  1. dgamma and dbeta: as in training mode, sums over axis 0.
  2. dx: compare with lesson 5's training-mode gradient. Which of its three paths (through
     x_hat, through mu, through var) still exist when mu and var are constants? The answer is
     one line, an elementwise product.
  Common slips: copying the training-mode formula (its mean and variance terms are wrong here:
  the batch statistics are not used at all); forgetting gamma in dx.

Grade it (exit status 0 when every gradient is right), about 15 minutes:

    minigrad check tutorials/exercises/batchnorm_eval_backward.py --exercise batchnorm_eval

The reference is layers.functional.batch_norm(..., training=False) (and PyTorch's batch_norm
when installed).
A worked solution is in tutorials/solutions/batchnorm_eval_backward.py: open it after you have tried.
"""
import numpy as np


def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Eval-mode batch normalization of x (N, D) with fixed statistics; returns (out, cache)."""
    inv_std = 1.0 / np.sqrt(running_var + eps)
    x_hat = (x - running_mean) * inv_std
    out = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
    return out, cache


def batchnorm_eval_backward(dout, cache):
    """Return (dx, dgamma, dbeta) for dout of shape (N, D); see the module docstring."""
    raise NotImplementedError(
        "derive dx, dgamma and dbeta with the running statistics held constant (steps 1-2), "
        "replace this raise with your code, then grade it with\n"
        "    minigrad check tutorials/exercises/batchnorm_eval_backward.py --exercise batchnorm_eval")
