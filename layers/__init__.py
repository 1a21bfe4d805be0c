"""layers: the normalization layers of deep learning, built on minigrad.

Every layer mirrors the PyTorch module of the same name (constructor,
defaults, parameter and buffer names, train/eval behaviour) and takes
backward="autograd" (the engine differentiates the composed forward) or
backward="manual" (one node with the hand-derived closed-form gradient).

    batchnorm.py   BatchNorm1d, BatchNorm2d
    layernorm.py   LayerNorm
    groupnorm.py   GroupNorm, InstanceNorm1d, InstanceNorm2d
    rmsnorm.py     RMSNorm
    weightnorm.py  weight_norm
    weightstd.py   WSConv2d, WSLinear (Weight Standardization)
    bcn.py         BatchChannelNorm2d
    _common.py     the shared normalization and its backward formula
    functional.py  the function form of each
"""
from layers import functional
from layers.batchnorm import BatchNorm1d, BatchNorm2d
from layers.bcn import BatchChannelNorm2d
from layers.groupnorm import GroupNorm, InstanceNorm1d, InstanceNorm2d
from layers.layernorm import LayerNorm
from layers.rmsnorm import RMSNorm
from layers.weightnorm import weight_norm
from layers.weightstd import WSConv2d, WSLinear, weight_standardize

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
           "InstanceNorm2d", "RMSNorm", "weight_norm", "WSConv2d", "WSLinear",
           "weight_standardize", "BatchChannelNorm2d", "functional"]
