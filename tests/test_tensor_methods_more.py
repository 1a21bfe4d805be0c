"""The new operations as Tensor methods (tensor_methods.py): each gives what its
function gives, with NumPy's meaning where NumPy and PyTorch disagree (repeat)."""
import numpy as np
import pytest

import minigrad as mg

X = np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4], [1.5, 0.2, 0.9]])
IDX = np.array([[0, 2], [1, 1], [2, 0]])

# method call -> the function call it must equal
CASES = {
    "prod": (lambda t: t.prod(dim=1), lambda t: mg.prod(t, 1)),
    "cumsum": (lambda t: t.cumsum(0), lambda t: mg.cumsum(t, 0)),
    "cumprod": (lambda t: t.cumprod(dim=1), lambda t: mg.cumprod(t, 1)),
    "all": (lambda t: t.all(1), lambda t: mg.all(t, 1)),
    "any": (lambda t: (t > 1).any(), lambda t: mg.any(t > 1)),
    "argsort": (lambda t: t.argsort(dim=0), lambda t: mg.argsort(t, 0)),
    "repeat": (lambda t: t.repeat(2, 1), lambda t: mg.repeat(t, 2, 1)),
    "round": (lambda t: t.round(1), lambda t: mg.round(t, 1)),
    "diagonal": (lambda t: t.diagonal(1), lambda t: mg.diagonal(t, 1)),
    "trace": (lambda t: t.trace(), lambda t: mg.trace(t)),
    "dot": (lambda t: t.dot(t), lambda t: mg.dot(t, t)),
    "tril": (lambda t: t.tril(-1), lambda t: mg.tril(t, -1)),
    "triu": (lambda t: t.triu(1), lambda t: mg.triu(t, 1)),
    "masked_fill": (lambda t: t.masked_fill(X > 0, 0.0), lambda t: mg.masked_fill(t, X > 0, 0.0)),
    "gather": (lambda t: t.gather(1, IDX), lambda t: mg.gather(t, 1, IDX)),
    "scatter_add": (lambda t: t.scatter_add(0, IDX, t[:, :2]),
                    lambda t: mg.scatter_add(t, 0, IDX, t[:, :2])),
    "index_add": (lambda t: t.index_add(0, np.array([2, 2]), t[:2]),
                  lambda t: mg.index_add(t, 0, np.array([2, 2]), t[:2])),
    "tile": (lambda t: t.tile((1, 2)), lambda t: mg.tile(t, (1, 2))),
    "chunk": (lambda t: t.chunk(2, 1)[1], lambda t: mg.chunk(t, 2, 1)[1]),
    "moveaxis": (lambda t: t.moveaxis(0, 1), lambda t: mg.moveaxis(t, 0, 1)),
    "outer": (lambda t: t[0].outer(t[1]), lambda t: mg.outer(t[0], t[1])),
    "flip": (lambda t: t.flip(dims=(0, 1)), lambda t: mg.flip(t, (0, 1))),
    "roll": (lambda t: t.roll(1, dim=0), lambda t: mg.roll(t, 1, 0)),
    "repeat_interleave": (lambda t: t.repeat_interleave(2, dim=0), lambda t: mg.repeat(t, 2, 0)),
    "logsumexp": (lambda t: t.logsumexp(dim=1, keepdim=True), lambda t: mg.logsumexp(t, 1, True)),
    "norm": (lambda t: t.norm(1, dim=0), lambda t: mg.norm(t, 1, 0)),
    "topk": (lambda t: t.topk(2, dim=0).values, lambda t: mg.topk(t, 2, 0).values),
}
UNARY = ["sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan", "log1p", "expm1", "log2",
         "log10", "exp2", "square", "reciprocal", "rsqrt", "erf", "sign", "floor", "ceil", "trunc",
         "isnan", "isinf", "isfinite"]


@pytest.mark.parametrize("name", list(CASES) + UNARY)
def test_method_equals_function(name):
    if name in CASES:
        method, function = CASES[name]
    else:
        method = lambda t: getattr(t, name)()                         # noqa: E731
        function = lambda t: getattr(mg, name)(t)                     # noqa: E731
    data = np.abs(X) if name in ("log2", "log10", "rsqrt", "log1p") else X / 3 if name in (
        "asin", "acos") else X
    ours, theirs = method(mg.Tensor(data)), function(mg.Tensor(data))
    np.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.dtype == theirs.dtype
