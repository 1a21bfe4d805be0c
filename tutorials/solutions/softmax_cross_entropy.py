"""Worked solution of tutorials/exercises/softmax_cross_entropy.py (lesson 3).

For one row with label y: -log p_y = -z_y + log sum_k exp(z_k), so
    d/dz_c = -[c == y] + exp(z_c) / sum_k exp(z_k) = p_c - [c == y].
The loss is the mean of N such rows, so each row's gradient is divided by N. Subtracting the
row's max m changes nothing (exp(z - m) / sum exp(z - m) = p) and keeps exp <= 1.

    minigrad check tutorials/solutions/softmax_cross_entropy.py --exercise softmax_cross_entropy
"""
import numpy as np


def softmax_cross_entropy(logits, labels):
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, labels].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1.0
    return float(loss), dlogits / n
