"""Exercise (lesson 14): measure a deep network at initialisation, then build one that is healthy.

1. layer_statistics(net, x, labels): run `net` (an nn.Sequential) on x module by module, keep
   the output of every nn.Tanh (call .retain_grad() on it), take the cross-entropy of the final
   output against `labels` and backpropagate. Return a NumPy array of shape (number of tanh
   layers, 3): for each tanh layer, in order,
       [std of its outputs, share of outputs with |value| > 0.97, std of the gradient dL/d(output)]
   (np.std of all the entries; the share as a number between 0 and 1).
2. fan_in_network(depth, width, n_in, n_out, batchnorm=False): an nn.Sequential of `depth`
   hidden layers, each nn.Linear -> (nn.BatchNorm1d(width) when batchnorm) -> nn.Tanh, then a
   last nn.Linear(width, n_out). Every hidden Linear's weight drawn from N(0, 1) times
   (5/3) / sqrt(fan_in) (fan_in = the layer's number of inputs), every bias 0. Draw the numbers
   with mg.randn or NumPy, as you like.

Grade it with
    minigrad check tutorials/exercises/layer_statistics.py --exercise layer_statistics
which compares your statistics with the lesson's on a fixed network, and measures yours.
A worked solution is in tutorials/solutions/layer_statistics.py: try first.
"""
import numpy as np

import minigrad as mg
import layers
from minigrad import nn
from minigrad.nn import functional as F


def layer_statistics(net, x, labels):
    raise NotImplementedError("run the modules of net one by one on x, keep each nn.Tanh's "
                              "output (retain_grad), backpropagate F.cross_entropy(output, "
                              "labels), and return [[std, share |.| > 0.97, std of grad], ...]")


def fan_in_network(depth, width, n_in, n_out, batchnorm=False):
    raise NotImplementedError("nn.Sequential of depth x (Linear, [BatchNorm1d,] Tanh) and a last "
                              "Linear; hidden weights N(0, 1) * (5/3) / sqrt(fan_in), biases 0")


_ = (np, mg, layers, nn, F)          # what you will need
