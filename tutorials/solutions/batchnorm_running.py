"""Worked solution of tutorials/exercises/batchnorm_running.py (lesson 4).

Training normalises with the batch's own biased variance (the variance of the N values in
hand), but the running variance estimates the population's, so it takes the unbiased
N / (N - 1) correction: PyTorch's convention, which layers.BatchNorm1d follows. Eval mode
uses the running statistics only, so one example's output no longer depends on its batch.

    minigrad check tutorials/solutions/batchnorm_running.py --exercise batchnorm_running
"""
import numpy as np


def batchnorm_train(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    return out, new_mean, new_var


def batchnorm_eval(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
