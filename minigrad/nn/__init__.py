"""Neural-network building blocks on top of the engine (PyTorch's names)."""
from minigrad.nn import functional
from minigrad.nn.module import Module, Parameter
from minigrad.nn.activations import ELU, GELU, LeakyReLU, LogSoftmax, SiLU, Softmax, Softplus
from minigrad.nn.modules import Conv2d, Flatten, Linear, ReLU, Sequential, Tanh

__all__ = ["Module", "Parameter", "Linear", "Conv2d", "ReLU", "Tanh", "Flatten", "Sequential",
           "functional",
           "ELU", "GELU", "LeakyReLU", "LogSoftmax", "SiLU", "Softmax", "Softplus"]
