"""Exercise (lesson 4): BatchNorm's forward with running statistics, in train and eval mode.

Lesson 4's BatchNorm1d, as two plain NumPy functions. For x of shape (N, D):

  training   mean, var = the batch mean and BIASED variance (1/N) of each column;
             out = gamma * (x - mean) / sqrt(var + eps) + beta;
             and the running statistics move towards the batch (PyTorch's convention):
               running_mean <- (1 - momentum) * running_mean + momentum * mean
               running_var  <- (1 - momentum) * running_var  + momentum * var * N / (N - 1)
             (the running variance uses the UNBIASED batch variance; the normalisation does not)
  eval       out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta:
             the batch's own statistics are not used at all.

Your task: write
  batchnorm_train(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5)
      -> (out, new_running_mean, new_running_var)
  batchnorm_eval(x, gamma, beta, running_mean, running_var, eps=1e-5) -> out
Return new arrays; the grader does not look at the ones you were given.
Common slips: the biased variance in the running update (or the unbiased one in the
normalisation); Keras' momentum (running <- momentum * running + (1 - momentum) * batch, with
momentum = 0.99); the batch statistics in eval mode.

Grade it (exit status 0 when every part is right), about 20 minutes:

    minigrad check tutorials/exercises/batchnorm_running.py --exercise batchnorm_running

It feeds three batches (of 8, 4 and 2 rows) through layers.BatchNorm1d in training mode and
through your batchnorm_train, then one batch in eval mode, and compares outputs and running
statistics after every batch. A worked solution is in tutorials/solutions/batchnorm_running.py:
open it after you have tried.
"""
import numpy as np


def batchnorm_train(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Training mode: (out, new_running_mean, new_running_var) for x of shape (N, D)."""
    raise NotImplementedError(
        "normalise x with its batch mean and biased variance, scale and shift, and move the "
        "running statistics (the running variance with the unbiased batch variance); return "
        "(out, new_running_mean, new_running_var)")


def batchnorm_eval(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Eval mode: out, normalised with the running statistics."""
    raise NotImplementedError(
        "normalise x with running_mean and running_var (not the batch's statistics), then "
        "scale by gamma and shift by beta; return out")
