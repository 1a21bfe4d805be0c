"""layers: the normalization layers of deep learning, built on minigrad.

Every layer mirrors the PyTorch module of the same name (constructor,
defaults, parameter and buffer names, train/eval behaviour) and takes
backward="autograd" (the engine differentiates the composed forward) or
backward="manual" (one node with the hand-derived closed-form gradient).

Files: one per family (batchnorm, layernorm, groupnorm with InstanceNorm,
rmsnorm, weightnorm, weightstd, bcn); _maths.py holds the computation they
share, with its derivation; _checks.py the argument checks; _state.py the
parameters and running statistics. The facts the layers follow are in
docs/normalization.md.

Dtypes. Parameters and running statistics are float64 unless the keyword
dtype= says otherwise: dtype=np.float32 gives a float32 module, whose running
statistics are float32 too, like PyTorch's dtype=torch.float32. The arithmetic
runs in the INPUT's floating dtype, so a float32 input gives a float32 output
and input gradient even in a float64 module (where PyTorch refuses to mix):
the parameters are cast with a differentiable astype, so their gradients keep
the parameters' dtype, and each running statistic keeps its buffer's dtype,
updated from batch statistics computed in the input's dtype.

Precision. Statistics are taken in two passes (the mean, then the mean square
about it), so a large offset costs little more than the input's own rounding:
in float64, an input of mean 1e6 and std 1e-2 normalises to within ~1e-7 of the
exact result. In float32 the input itself cannot hold such data: at 1e6
neighbouring float32 values are 0.0625 apart, more than the std, so the values
arrive as a few levels, and the float32 rounding of their mean (up to half of
0.0625) is of the order of their spread; the output can then be off by O(1),
as PyTorch's float32 is. Use float64 for such data; float32 is fine while the
spacing of values near the mean, about |mean| * 6e-8, is small against the std.
"""
from layers import functional
from layers.batchnorm import BatchNorm1d, BatchNorm2d
from layers.bcn import BatchChannelNorm2d
from layers.groupnorm import GroupNorm, InstanceNorm1d, InstanceNorm2d
from layers.layernorm import LayerNorm
from layers.rmsnorm import RMSNorm
from layers.weightnorm import remove_weight_norm, weight_norm
from layers.weightstd import WSConv2d, WSLinear, weight_standardize

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
           "InstanceNorm2d", "RMSNorm", "remove_weight_norm", "weight_norm", "WSConv2d",
           "WSLinear", "weight_standardize", "BatchChannelNorm2d", "functional"]
