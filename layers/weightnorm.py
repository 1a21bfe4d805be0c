"""Weight Normalization (Salimans & Kingma, 2016): a weight split into length and direction.

    w = g * v / ||v||

The norm ||v|| is the L2 norm over every axis except `dim`, so with the default
dim=0 each output row (Linear) or filter (Conv2d) gets its own length g and
direction v. dim=None normalises the whole tensor with one scalar g. As in
PyTorch, dim=-1 also means the whole tensor (not the last axis); other negative
dims count from the end.

Shapes (keepdims of the norm): Linear(4, 3) weight (3, 4) -> g (3, 1), v (3, 4);
Conv2d(2, 5, 3) weight (5, 2, 3, 3) -> g (5, 1, 1, 1); dim=None -> g of shape ().

Backward, with n = ||v|| and upstream gradient dw (per slice along `dim`):
    dg = sum(dw * v) / n
    dv = (g / n) * dw - (g * dg / n**2) * v  =  (g / n) (I - v_hat v_hat^T) dw
The gradient of v is the upstream gradient with its component along v removed:
changing v's length does not change w.
"""
from __future__ import annotations

from minigrad import Function, Tensor, nn, sqrt
from minigrad import sum as reduce_sum
from layers._checks import check_backward_mode, check_input


def _norm_axes(ndim, dim):
    """The axes the norm runs over: all but `dim` (all of them for dim=None or -1)."""
    if dim is None or dim == -1:
        return tuple(range(ndim))
    return tuple(a for a in range(ndim) if a != dim % ndim)


def norm_except_dim(v, dim=0):
    """||v|| over every axis except `dim`, kept as size-1 axes (a Tensor)."""
    axes = _norm_axes(v.ndim, dim)
    return sqrt(reduce_sum(v * v, axis=axes, keepdims=dim is not None and dim != -1))


class WeightNormFunction(Function):
    """w = g v / ||v|| as one node, with the closed-form backward:
        dg = sum(dw * v) / ||v||,   dv = (g / ||v||) dw - (g dg / ||v||^2) v
    (sums over the axes the norm covers). Written with minigrad operations, so
    the returned gradients are differentiable again."""

    @staticmethod
    def forward(ctx, v, g, dim):
        ctx.save_for_backward(v, g)
        ctx.dim = dim
        return g * v / norm_except_dim(v, dim)

    @staticmethod
    def backward(ctx, dw):
        v, g = ctx.saved_tensors
        norm = norm_except_dim(v, ctx.dim)
        axes = _norm_axes(v.ndim, ctx.dim)
        keep = ctx.dim is not None and ctx.dim != -1
        dg = reduce_sum(dw * v, axis=axes, keepdims=keep) / norm
        dv = (g / norm) * dw - (g * dg / (norm * norm)) * v
        return dv, dg, None


def normalized_weight(v, g, dim=0, backward="autograd"):
    """The weight g * v / ||v|| (norm over every axis except `dim`), the function
    form of weight_norm (torch._weight_norm(v, g, dim)). g has the shape of the
    norm: v's shape with 1 on every axis but `dim`, or () for dim=None (or -1).

    backward="autograd" composes primitives; "manual" is WeightNormFunction.
    """
    op = "normalized_weight"
    check_backward_mode(backward, op)
    v, g = check_input(v, op), check_input(g, op)
    dim = _check_dim(dim, v.shape, op, "v")
    axes = _norm_axes(v.ndim, dim)
    norm_shape = () if dim is None or dim == -1 else \
        tuple(1 if a in axes else n for a, n in enumerate(v.shape))
    if g.shape != norm_shape:
        # Broadcasting a g of another shape would scale the wrong slices of v.
        raise ValueError(f"{op}: g must have shape {norm_shape} (the norm of v over every "
                         f"axis but dim={dim}), got shape {g.shape}")
    return _normalized_weight(v, g, dim, backward)


def _normalized_weight(v, g, dim, backward):
    """normalized_weight on arguments already checked (by normalized_weight or weight_norm)."""
    if backward == "manual":
        return WeightNormFunction.apply(v, g, dim)
    return g * v / norm_except_dim(v, dim)


def _check_dim(dim, shape, op, what="a weight"):
    if dim is None:
        return None
    ndim = len(shape)
    if not isinstance(dim, int) or isinstance(dim, bool) or not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim must be None or an int in [{-ndim}, {ndim - 1}] for "
                         f"{what} of shape {shape}, got {dim!r}")
    return dim


def weight_norm(module, name="weight", dim=0, backward="autograd"):
    """Reparametrise `module.<name>` as g * v / ||v|| and return the module.

    The parameter `name` is replaced by two parameters `<name>_g` (the lengths,
    initialised to ||w|| so the module computes exactly what it did before) and
    `<name>_v` (the directions, initialised to w). The state_dict keys are those
    of PyTorch's torch.nn.utils.weight_norm: `weight_g`, `weight_v`.

    `module.<name>` becomes a read-only attribute recomputed from g and v on
    every access (a WeightNorm registered with module.register_parametrization),
    so each forward pass uses the current g and v and gradients reach them
    through the graph. remove_weight_norm undoes it.
    """
    op = f"weight_norm({type(module).__name__}, name={name!r})"
    if not isinstance(module, nn.Module):
        raise TypeError(f"weight_norm: expected an nn.Module, got {type(module).__name__}")
    check_backward_mode(backward, op)
    params = dict(module.named_parameters(recurse=False))
    if f"{name}_g" in params or f"{name}_v" in params:
        raise ValueError(f"{op}: weight norm is already applied to '{name}'")
    weight = params.get(name)
    if weight is None:
        raise ValueError(f"{op}: the module has no parameter '{name}' (its parameters: "
                         f"{sorted(params)})")
    if weight.dtype.kind != "f" or weight.ndim == 0:
        raise ValueError(f"{op}: expected a floating-point weight with at least one axis, "
                         f"got shape {weight.shape} and dtype {weight.dtype}")
    dim = _check_dim(dim, weight.shape, op)

    w = Tensor(weight.data)
    delattr(module, name)
    module.register_parameter(f"{name}_g", nn.Parameter(norm_except_dim(w, dim).data))
    module.register_parameter(f"{name}_v", nn.Parameter(w.data.copy()))
    module.register_parametrization(name, WeightNorm(name, dim, backward))
    return module


class WeightNorm:
    """What weight_norm leaves on a module: reading `module.<name>` calls this,
    which computes the weight from the module's current <name>_g and <name>_v.
    A plain object (not a closure, not a subclass made for one module), so the
    module pickles and deep-copies with it."""

    def __init__(self, name, dim, backward):
        self.name, self.dim, self.backward = name, dim, backward

    def __call__(self, module):
        # g and v are the module's own parameters, made by weight_norm: nothing to check.
        return _normalized_weight(getattr(module, f"{self.name}_v"),
                                  getattr(module, f"{self.name}_g"), self.dim, self.backward)

    def __repr__(self):
        return f"weight_norm(name={self.name!r}, dim={self.dim})"


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm (PyTorch's legacy torch.nn.utils.remove_weight_norm): the
    current g * v / ||v|| becomes a plain parameter `name` again, and the
    parameters <name>_g and <name>_v are gone. Returns the module."""
    computed = getattr(module, "_parametrizations", None) or {}
    if not isinstance(computed.get(name), WeightNorm):
        raise ValueError(f"remove_weight_norm: weight_norm of '{name}' not found in "
                         f"{type(module).__name__}")
    weight = computed[name](module).data.copy()
    module.remove_parametrization(name)
    delattr(module, f"{name}_g")
    delattr(module, f"{name}_v")
    module.register_parameter(name, nn.Parameter(weight))
    return module
