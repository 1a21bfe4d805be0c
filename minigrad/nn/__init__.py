"""Neural-network building blocks on top of the engine (PyTorch's names)."""
from minigrad.nn import functional
from minigrad.nn.module import Module, Parameter
from minigrad.nn.activations import (
    ELU, GELU, SELU, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, SiLU, Softmax, Softplus,
)
from minigrad.nn.attention import MultiheadAttention
from minigrad.nn.losses import BCELoss, BCEWithLogitsLoss, HuberLoss, NLLLoss, SmoothL1Loss
from minigrad.nn.sparse import Dropout, Embedding
from minigrad.nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from minigrad.nn.modules import (
    CrossEntropyLoss, Flatten, Identity, Linear, ModuleList, MSELoss, ReLU, Sequential,
    Sigmoid, Tanh,
)

__all__ = ["Module", "Parameter", "Linear", "Conv2d", "ReLU", "Tanh", "Flatten", "Sequential",
           "functional", "AvgPool2d", "Conv1d", "MaxPool2d",
           "CrossEntropyLoss", "Identity", "ModuleList", "MSELoss", "Sigmoid",
           "ELU", "GELU", "Hardtanh", "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "SELU", "SiLU",
           "Softmax", "Softplus",
           "BCELoss", "BCEWithLogitsLoss", "HuberLoss", "NLLLoss", "SmoothL1Loss",
           "Dropout", "Embedding", "MultiheadAttention"]
