"""The function form of every layer, with PyTorch's argument order
(torch.nn.functional; torch._weight_norm for normalized_weight; batch_channel_norm
has no PyTorch counterpart), each taking backward="autograd" | "manual".

    batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training=False, momentum=0.1, eps=1e-5)
    layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5)
    group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)
    instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5)
    rms_norm(input, normalized_shape, weight=None, eps=None)
    weight_standardize(weight, eps=1e-5)
    normalized_weight(v, g, dim=0)                  (weight norm: g * v / ||v||)
    batch_channel_norm(input, num_groups, running_mean, running_var, bn_weight=None,
                       bn_bias=None, gn_weight=None, gn_bias=None, training=False,
                       momentum=0.1, eps=1e-5, estimate=False)

As in PyTorch, running_mean and running_var are updated in place when the
batch statistics are used (and by batch_channel_norm(..., estimate=True,
training=True), which moves its estimates before normalising with them).
"""
from layers.batchnorm import batch_norm
from layers.bcn import batch_channel_norm
from layers.groupnorm import group_norm, instance_norm
from layers.layernorm import layer_norm
from layers.rmsnorm import rms_norm
from layers.weightnorm import normalized_weight
from layers.weightstd import weight_standardize

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm",
           "weight_standardize", "normalized_weight", "batch_channel_norm"]
