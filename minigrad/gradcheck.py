"""Gradient checking: compare the engine's Jacobian with finite differences.

gradcheck builds the full Jacobian two ways, for every differentiable input
and every output:
  numerical   J[r, k] = (f(x + eps e_k) - f(x - eps e_k))_r / (2 eps)   (central differences)
  analytical  row r = the gradient of output element r, from grad()
and passes when |analytical - numerical| <= atol + rtol * |numerical| everywhere
(PyTorch's rule and defaults). gradgradcheck runs the same check on the
function x, v -> grad(f(x), x, v, create_graph=True): second derivatives.
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad.autograd import grad
from minigrad.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when the Jacobians disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _numerical_jacobians(fn, inputs, diff, eps):
    """{(out_index, in_index): J of shape (out.size, in.size)}, by central differences."""
    sizes = [o.size for o in _outputs(fn, inputs)]
    jac = {}
    for j in diff:
        x = inputs[j].data
        cols = [np.zeros((n, x.size)) for n in sizes]
        for k in range(x.size):
            at = np.unravel_index(k, x.shape)
            orig = x[at].copy()
            x[at] = orig + eps
            plus = [o.data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            x[at] = orig - eps
            minus = [o.data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            x[at] = orig
            for o, (p, m) in enumerate(zip(plus, minus)):
                cols[o][:, k] = (p - m) / (2 * eps)
        for o in range(len(sizes)):
            jac[(o, j)] = cols[o]
    return jac


def _analytical_jacobians(fn, inputs, diff):
    outputs = _outputs(fn, inputs)
    wrt = [inputs[j] for j in diff]
    jac = {(o, j): np.zeros((out.size, inputs[j].size)) for o, out in enumerate(outputs) for j in diff}
    for o, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for r in range(out.size):
            onehot = np.zeros(out.size, dtype=out.dtype)
            onehot[r] = 1
            grads = grad(out, wrt, Tensor._make(onehot.reshape(out.shape)),
                         retain_graph=True, allow_unused=True)
            for j, g in zip(diff, grads):
                if g is not None:
                    jac[(o, j)][r] = g.data.astype(np.float64).ravel()
    return jac


def _worst(num, ana, atol, rtol, out_shape, in_shape, k=3):
    """The k elements that miss the tolerance by most, as readable lines."""
    excess = np.abs(ana - num) - (atol + rtol * np.abs(num))
    order = np.argsort(excess, axis=None)[::-1][:k]
    lines = []
    for flat in order:
        r, c = np.unravel_index(flat, num.shape)
        out_at = ", ".join(map(str, np.unravel_index(r, out_shape))) if out_shape else ""
        in_at = ", ".join(map(str, np.unravel_index(c, in_shape))) if in_shape else ""
        lines.append(f"    d output[{out_at}] / d input[{in_at}]: numerical {num[r, c]:.10g}, "
                     f"analytical {ana[r, c]:.10g}")
    return "\n".join(lines)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check fn's gradients against central finite differences.

    inputs: a tensor or a tuple of tensors (and other values passed through);
    the tensors with requires_grad=True are checked. Use float64 inputs.
    """
    inputs = _as_tuple(inputs)
    if not eps > 0 or not atol >= 0 or not rtol >= 0:
        raise ValueError(f"gradcheck: eps must be > 0 and atol, rtol >= 0, got eps={eps}, "
                         f"atol={atol}, rtol={rtol}")
    diff = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input tensor has requires_grad=True")
    for j in diff:
        if inputs[j].dtype != np.float64:
            warnings.warn(f"gradcheck: input {j} is {inputs[j].dtype}; finite differences "
                          f"with eps={eps} need float64 inputs to be meaningful", stacklevel=2)
    out_shapes = [o.shape for o in _outputs(fn, inputs)]
    if not out_shapes:
        raise ValueError("gradcheck: fn returned no floating-point Tensor output, so there is "
                         "no gradient to check")
    numerical = _numerical_jacobians(fn, inputs, diff, eps)
    analytical = _analytical_jacobians(fn, inputs, diff)
    for (o, j), num in numerical.items():
        ana = analytical[(o, j)]
        if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=False):
            message = (f"gradcheck: Jacobian mismatch for output {o} (shape {out_shapes[o]}) "
                       f"with respect to input {j} (shape {inputs[j].shape}); "
                       f"max |analytical - numerical| = {np.nanmax(np.abs(ana - num)):.3g} "
                       f"(atol={atol}, rtol={rtol}). Worst elements:\n"
                       f"{_worst(num, ana, atol, rtol, out_shapes[o], inputs[j].shape)}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=0):
    """Check second derivatives: gradcheck of (x, v) -> grad(fn(x), x, v, create_graph=True)."""
    inputs = _as_tuple(inputs)
    diff = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no input tensor has requires_grad=True")
    outputs = _outputs(fn, inputs)
    if not outputs:
        raise ValueError("gradgradcheck: fn returned no floating-point Tensor output, so there "
                         "is no gradient to check")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n], args[n:]
        pairs = [(o, v) for o, v in zip(_outputs(fn, xs), vs) if o.requires_grad]
        grads = grad([o for o, _ in pairs], [xs[j] for j in diff], [v for _, v in pairs],
                     create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps=eps,
                     atol=atol, rtol=rtol, raise_exception=raise_exception)
