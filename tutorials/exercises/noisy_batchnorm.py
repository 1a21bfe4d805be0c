"""Exercise (lesson 17): noisy BatchNorm, and the effective beta-smoothness of a network.

1. noisy_batchnorm(x, gamma, beta, rng, amount): BatchNorm of the (N, C) minigrad Tensor x in
   training mode (layers.functional.batch_norm(x, None, None, gamma, beta, training=True), or
   your own), then per-unit noise: draw scale = rng.uniform(1 - amount, 1 + amount, C) FIRST,
   then shift = rng.uniform(-amount, amount, C), and return y * scale + shift as a minigrad
   Tensor, so that gradients flow back to x, gamma and beta. Every call draws new noise from
   the generator rng (the noise changes at every step).
2. effective_beta(net, x, labels, lr, multiples): the lesson's section 4 measure. With
   L(w) = F.cross_entropy(net(x), labels) and g0 its gradient for all of net's parameters (one
   flat vector, in the order of net.parameters()), move the weights to w - k * lr * g0 for each
   k in multiples and take the gradient g there. Return
       max over k of ||g - g0|| / ||k * lr * g0||
   as a float, and leave the network's weights as they were.

Grade it with
    minigrad check tutorials/exercises/noisy_batchnorm.py --exercise noisy_batchnorm
which compares both with the lesson's, on seeded inputs and networks.
A worked solution is in tutorials/solutions/noisy_batchnorm.py: try first.
"""
import numpy as np

import minigrad as mg
import layers
from minigrad.nn import functional as F


def noisy_batchnorm(x, gamma, beta, rng, amount):
    raise NotImplementedError("batch-normalize x (training mode), then multiply by scale = "
                              "rng.uniform(1 - amount, 1 + amount, C) and add shift = "
                              "rng.uniform(-amount, amount, C), drawn in that order")


def effective_beta(net, x, labels, lr, multiples):
    raise NotImplementedError("take the gradient g0, step the weights to w - k lr g0, take the "
                              "gradient g there; return max ||g - g0|| / ||k lr g0||, then "
                              "restore the weights")


_ = (np, mg, layers, F)          # what you will need
