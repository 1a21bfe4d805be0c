"""The derivative table (minigrad/ops/): every primitive's value and gradient
against PyTorch in float64, over broadcasting shapes, axes, keepdims and both
operand orders; ties; indexing; matmul shapes; float32; error messages."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from torch_oracle import compare, compare_second


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


def signed(rng, shape):
    # Away from 0 so that abs/relu/division are smooth at the test points.
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# ----------------------------------------------------------------------------
# Elementwise binary operations: broadcasting, scalars and arrays on either side
# ----------------------------------------------------------------------------

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b),
    "maximum": (mg.maximum, lambda a, b: _torch().maximum(_t(a), _t(b))),
    "minimum": (mg.minimum, lambda a, b: _torch().minimum(_t(a), _t(b))),
}


def _torch():
    import torch
    return torch


def _t(v):
    """Python numbers and arrays as torch tensors (torch.maximum wants tensors)."""
    torch = _torch()
    return v if isinstance(v, torch.Tensor) else torch.as_tensor(v, dtype=torch.float64)


BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)),
                    ((2, 3, 4), (3, 1)), ((), (2, 3)), ((5,), ()), ((2, 1, 4), (3, 1))]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_broadcasting(torch, rng, name, shapes):
    mg_fn, torch_fn = BINARY[name]
    a = positive(rng, shapes[0]) if name == "pow" else signed(rng, shapes[0])
    b = signed(rng, shapes[1])
    compare(torch, mg_fn, torch_fn, a, b)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("kind", ["python float", "python int", "ndarray", "0-d ndarray"])
@pytest.mark.parametrize("tensor_first", [True, False])
def test_binary_with_constants(torch, rng, name, kind, tensor_first):
    mg_fn, torch_fn = BINARY[name]
    const = {"python float": 1.7, "python int": 3, "ndarray": positive(rng, (4,)),
             "0-d ndarray": np.array(1.3)}[kind]
    x = positive(rng, (3, 4))
    torch_const = const if np.isscalar(const) else torch.tensor(const)
    if tensor_first:
        compare(torch, lambda t: mg_fn(t, const), lambda t: torch_fn(t, torch_const), x)
    else:
        compare(torch, lambda t: mg_fn(const, t), lambda t: torch_fn(torch_const, t), x)


def test_reflected_operators_with_ndarray_return_tensors(rng):
    x = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    arr = rng.standard_normal(3)
    for result in (arr + x, arr - x, arr * x, arr / x, np.abs(arr) ** x, arr @ x):
        assert isinstance(result, mg.Tensor) and result.requires_grad


def test_same_tensor_on_both_sides(torch, rng):
    compare(torch, lambda a: a * a + a / a - a ** a, lambda a: a * a + a / a - a ** a,
            positive(rng, (3,)))


def test_pow_derivative_at_zero_base_and_zero_exponent(torch):
    compare(torch, lambda a, b: a ** b, lambda a, b: a ** b,
            np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 3.0]))
    compare(torch, lambda a: a ** 0, lambda a: a ** 0, np.array([0.0, 1.5]))
    compare(torch, lambda a: a ** 2, lambda a: a ** 2, np.array([0.0, -1.5]))


# ----------------------------------------------------------------------------
# Elementwise unary operations
# ----------------------------------------------------------------------------

UNARY = {
    "neg": (lambda x: -x, lambda x: -x, signed),
    "exp": (mg.exp, lambda x: x.exp(), signed),
    "log": (mg.log, lambda x: x.log(), positive),
    "sqrt": (mg.sqrt, lambda x: x.sqrt(), positive),
    "abs": (mg.abs, lambda x: x.abs(), signed),
    "tanh": (mg.tanh, lambda x: x.tanh(), signed),
    "sigmoid": (mg.sigmoid, lambda x: x.sigmoid(), signed),
    "relu": (mg.relu, lambda x: x.relu(), signed),
    "clip": (lambda x: mg.clip(x, -1.0, 1.2), lambda x: x.clamp(-1.0, 1.2), signed),
    "clip_min": (lambda x: x.clip(min=0.7), lambda x: x.clamp(min=0.7), signed),
    "clip_max": (lambda x: x.clip(max=0.7), lambda x: x.clamp(max=0.7), signed),
    "method_exp": (lambda x: x.exp().log().sqrt(), lambda x: x.exp().log().sqrt(), positive),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)], ids=str)
def test_unary(torch, rng, name, shape):
    mg_fn, torch_fn, sample = UNARY[name]
    compare(torch, mg_fn, torch_fn, sample(rng, shape))


def test_sigmoid_is_stable_for_large_inputs(torch):
    x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    compare(torch, mg.sigmoid, torch.sigmoid, x)


# ----------------------------------------------------------------------------
# Ties and kinks: the subgradient PyTorch picks
# ----------------------------------------------------------------------------

def test_maximum_minimum_split_ties_like_torch(torch):
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 5.0, 3.0, -2.0])
    compare(torch, mg.maximum, torch.maximum, a, b)
    compare(torch, mg.minimum, torch.minimum, a, b)
    compare(torch, lambda x: mg.maximum(x, 1.0), lambda x: torch.maximum(x, torch.tensor(1.0)), a)
    compare(torch, lambda x: mg.minimum(3.0, x), lambda x: torch.minimum(torch.tensor(3.0), x), a)


def test_kinks_at_zero_and_bounds_like_torch(torch):
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    compare(torch, mg.abs, torch.abs, x)
    compare(torch, mg.relu, torch.relu, x)
    compare(torch, lambda t: mg.clip(t, 0.0, 1.0), lambda t: t.clamp(0.0, 1.0), x)
    compare(torch, lambda t: mg.clip(t, 0.5, None), lambda t: t.clamp(min=0.5), x)


def test_clip_with_bounds_that_need_gradients_like_torch_clamp(torch, rng):
    # Tensor bounds that require grad get their share (torch.clamp); they used to
    # be read as constants and silently got no gradient.
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0], [0.3, -0.2, 0.9, 1.5, -3.0]])
    lo, hi = np.array([-0.5, 0.1, 0.6, 0.0, 1.0]), np.array([[1.2], [0.4]])
    compare(torch, mg.clip, torch.clamp, x, lo, hi)
    compare(torch, lambda t, m: mg.clip(t, m, None), lambda t, m: torch.clamp(t, min=m), x, lo)
    compare(torch, lambda t, m: t.clip(max=m), lambda t, m: torch.clamp(t, max=m), x, hi)
    compare(torch, lambda t, m: mg.clip(t, m, 0.2), lambda t, m: torch.clamp(t, m, torch.tensor(0.2)),
            x, lo)
    with pytest.raises(ValueError, match=r"clip: shapes \(2, 5\) and \(3,\)"):
        mg.clip(mg.Tensor(x), mg.Tensor(np.zeros(3), requires_grad=True))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)], ids=str)
def test_max_min_reductions_share_ties_evenly_like_torch_amax(torch, axis):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0], [3.0, 0.0, 3.0]])
    dim = tuple(range(x.ndim)) if axis is None else axis
    compare(torch, lambda t: t.max(axis), lambda t: torch.amax(t, dim=dim), x)
    compare(torch, lambda t: t.min(axis), lambda t: torch.amin(t, dim=dim), x)


def test_full_max_matches_torch_max_without_dim(torch):
    x = np.array([[1.0, 3.0], [3.0, 3.0]])
    compare(torch, mg.max, torch.max, x)
    compare(torch, mg.min, torch.min, -x)


# ----------------------------------------------------------------------------
# Reductions over axes
# ----------------------------------------------------------------------------

AXES = [None, 0, 1, -1, -3, (0, 2), (-1, 0), (0, 1, 2)]


def _dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return axis


REDUCTIONS = {
    "sum": (lambda x, a, k: x.sum(a, keepdims=k),
            lambda x, a, k: x.sum(dim=_dims(a, x.ndim), keepdim=k)),
    "mean": (lambda x, a, k: x.mean(a, keepdims=k),
             lambda x, a, k: x.mean(dim=_dims(a, x.ndim), keepdim=k)),
    "var": (lambda x, a, k: x.var(a, keepdims=k),
            lambda x, a, k: x.var(dim=_dims(a, x.ndim), keepdim=k, correction=0)),
    "var_ddof1": (lambda x, a, k: mg.var(x, a, keepdims=k, ddof=1),
                  lambda x, a, k: x.var(dim=_dims(a, x.ndim), keepdim=k, correction=1)),
    "std": (lambda x, a, k: x.std(a, keepdims=k),
            lambda x, a, k: x.std(dim=_dims(a, x.ndim), keepdim=k, correction=0)),
    "std_ddof1": (lambda x, a, k: mg.std(x, a, keepdims=k, ddof=1),
                  lambda x, a, k: x.std(dim=_dims(a, x.ndim), keepdim=k, correction=1)),
    "max": (lambda x, a, k: x.max(a, keepdims=k),
            lambda x, a, k: x.amax(dim=_dims(a, x.ndim), keepdim=k)),
    "min": (lambda x, a, k: mg.min(x, a, keepdims=k),
            lambda x, a, k: x.amin(dim=_dims(a, x.ndim), keepdim=k)),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(torch, rng, name, axis, keepdims):
    mg_fn, torch_fn = REDUCTIONS[name]
    x = rng.standard_normal((2, 3, 4))
    compare(torch, lambda t: mg_fn(t, axis, keepdims), lambda t: torch_fn(t, axis, keepdims), x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reducing_over_no_axes_is_the_identity(rng, name):
    # NumPy's axis=() (PyTorch reads an empty dim as "all dims"; minigrad follows NumPy).
    mg_fn, _ = REDUCTIONS[name]
    x = mg.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    out = mg_fn(x, (), False)
    np.testing.assert_array_equal(out.data, x.data)
    out.backward(np.full((2, 3), 2.0))
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 2.0))


@pytest.mark.parametrize("name", [n for n in REDUCTIONS if not n.endswith("ddof1")])
def test_reductions_of_a_0d_tensor(torch, name):
    mg_fn, torch_fn = REDUCTIONS[name]
    compare(torch, lambda t: mg_fn(t, None, False), lambda t: torch_fn(t, None, False),
            np.array(1.5))


def test_std_of_a_constant_has_zero_gradient_like_torch(torch):
    compare(torch, lambda t: t.std(axis=1), lambda t: t.std(dim=1, correction=0),
            np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]))


def test_var_is_two_pass_stable():
    x = 1e9 + np.array([1.0, 2.0, 3.0, 4.0])
    assert mg.Tensor(x).var().item() == pytest.approx(1.25, rel=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("ddof", [3, 4, 7])
def test_var_and_std_with_ddof_at_least_n_are_inf_or_nan_like_numpy(ddof):
    # N - ddof <= 0 degrees of freedom: NumPy and PyTorch divide by max(N - ddof, 0).
    # A negative divisor used to give a silently wrong -0.0 or a negative variance.
    for x in (np.ones(3), np.array([1.0, 2.0, 4.0])):
        for fn in ("var", "std"):
            ours = getattr(mg.Tensor(x), fn)(ddof=ddof).item()
            np.testing.assert_equal(ours, getattr(np, fn)(x, ddof=ddof), err_msg=f"{fn} {x}")


# ----------------------------------------------------------------------------
# Shape operations
# ----------------------------------------------------------------------------

SHAPE_OPS = {
    "reshape": (lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1)),
    "reshape_tuple": (lambda x: mg.reshape(x, (3, 8)), lambda x: x.reshape(3, 8)),
    "flatten": (lambda x: x.flatten(), lambda x: x.flatten()),
    "transpose": (lambda x: x.transpose(), lambda x: x.permute(2, 1, 0)),
    "transpose_axes": (lambda x: x.transpose(1, 2, 0), lambda x: x.permute(1, 2, 0)),
    "transpose_negative": (lambda x: mg.transpose(x, (-1, 0, -2)), lambda x: x.permute(2, 0, 1)),
    "T": (lambda x: x.T, lambda x: x.permute(2, 1, 0)),
    "swapaxes": (lambda x: x.swapaxes(0, -1), lambda x: x.transpose(0, 2)),
    "expand_dims": (lambda x: x.expand_dims(1), lambda x: x.unsqueeze(1)),
    "expand_dims_negative": (lambda x: mg.expand_dims(x, -1), lambda x: x.unsqueeze(-1)),
    "expand_dims_tuple": (lambda x: mg.expand_dims(x, (0, 4)),
                          lambda x: x.unsqueeze(0).unsqueeze(4)),
    "broadcast_to": (lambda x: x.broadcast_to((5, 2, 3, 4)), lambda x: x.expand(5, 2, 3, 4)),
    "squeeze_all": (lambda x: x.reshape(2, 1, 3, 1, 4).squeeze(),
                    lambda x: x.reshape(2, 1, 3, 1, 4).squeeze()),
    "squeeze_axis": (lambda x: x.reshape(2, 1, 3, 1, 4).squeeze(-2),
                     lambda x: x.reshape(2, 1, 3, 1, 4).squeeze(-2)),
    "squeeze_tuple": (lambda x: mg.squeeze(x.reshape(2, 1, 3, 1, 4), (1, 3)),
                      lambda x: x.reshape(2, 1, 3, 1, 4).squeeze((1, 3))),
    "pad": (lambda x: mg.pad(x, ((0, 1), (2, 0), (1, 1))),
            lambda x: _torch().nn.functional.pad(x, (1, 1, 2, 0, 0, 1))),
    "pad_value": (lambda x: mg.pad(x, 2, constant_values=-1.5),
                  lambda x: _torch().nn.functional.pad(x, (2,) * 6, value=-1.5)),
    "pad_pair": (lambda x: mg.pad(x, (1, 2)),
                 lambda x: _torch().nn.functional.pad(x, (1, 2) * 3)),
    "astype": (lambda x: x.astype(np.float32).astype(np.float64) * 1.0,
               lambda x: x.float().double()),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(torch, rng, name):
    mg_fn, torch_fn = SHAPE_OPS[name]
    x = rng.standard_normal((2, 3, 4))
    if name == "astype":
        x = x.astype(np.float32).astype(np.float64)   # exactly representable in float32
    compare(torch, mg_fn, torch_fn, x)


def test_shape_ops_on_0d(torch):
    compare(torch, lambda t: t.reshape(1, 1), lambda t: t.reshape(1, 1), np.array(2.0))
    compare(torch, lambda t: t.expand_dims(0), lambda t: t.unsqueeze(0), np.array(2.0))
    compare(torch, lambda t: t.broadcast_to((2, 3)), lambda t: t.expand(2, 3), np.array(2.0))
    compare(torch, lambda t: t.transpose() * 2, lambda t: t * 2, np.array(2.0))
    compare(torch, lambda t: t.reshape(1, 1, 1).squeeze(), lambda t: t.reshape(1, 1, 1).squeeze(),
            np.array(2.0))
    compare(torch, lambda t: t[()] * t[None].sum(), lambda t: t[()] * t[None].sum(), np.array(2.0))
    compare(torch, lambda t: mg.stack([t, t * 2], axis=0), lambda t: torch.stack([t, t * 2]),
            np.array(2.0))
    compare(torch, lambda t: mg.pad(t, 2) * 3, lambda t: t * 3, np.array(2.0))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(torch, rng, axis):
    shapes = {0: [(2, 3), (4, 3), (1, 3)], 1: [(2, 1), (2, 3), (2, 2)],
              -1: [(2, 1), (2, 3), (2, 2)]}[axis]
    arrays = [rng.standard_normal(s) for s in shapes]
    compare(torch, lambda *t: mg.concatenate(t, axis=axis), lambda *t: torch.cat(t, dim=axis),
            *arrays)


def test_concatenate_with_constants_and_mixed_dtypes(rng):
    x = mg.Tensor(rng.standard_normal((2, 2)).astype(np.float32), requires_grad=True)
    const = rng.standard_normal((1, 2))
    out = mg.concatenate([x, const, x], axis=0)
    assert out.dtype == np.float64 and out.shape == (5, 2)
    out.backward(np.arange(10.0).reshape(5, 2))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [[0 + 6, 1 + 7], [2 + 8, 3 + 9]])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(torch, rng, axis):
    arrays = [rng.standard_normal((2, 3)) for _ in range(3)]
    compare(torch, lambda *t: mg.stack(t, axis=axis), lambda *t: torch.stack(t, dim=axis), *arrays)


@pytest.mark.parametrize("op", ["concatenate", "stack"])
def test_variadic_backward_of_thousands_of_inputs(rng, op):
    # Each input's gradient is its own slice of the output's gradient, also when
    # constants sit between them (the offsets are found in one pass; timing lives
    # in benchmarks/variadic.py).
    n = 3000
    xs = [mg.Tensor(rng.standard_normal(2), requires_grad=True) if k % 3 else
          rng.standard_normal(2) for k in range(n)]
    y = mg.concatenate(xs) if op == "concatenate" else mg.stack(xs, axis=1)
    weights = rng.standard_normal(y.shape)
    (y * weights).sum().backward()
    expected = weights.reshape(n, 2) if op == "concatenate" else weights.T
    for k in range(1, n, 3):
        np.testing.assert_array_equal(xs[k].grad.data, expected[k])


def test_stack_second_derivative(rng):
    x = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    y = (mg.stack([x * x, x, 2 * x], axis=1) ** 2).sum()
    (g,) = mg.grad(y, [x], create_graph=True)
    np.testing.assert_allclose(g.data, 4 * x.data ** 3 + 10 * x.data)
    (h,) = mg.grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, 12 * x.data ** 2 + 10)


# ----------------------------------------------------------------------------
# VJPs on arrays and on tensors: NumPy without create_graph, differentiable with it
# ----------------------------------------------------------------------------

def _ce(reduction):
    target = np.array([2, 0, 3])
    return (lambda t: F.cross_entropy(t.reshape(3, 8), target, reduction=reduction),
            lambda t: _torch().nn.functional.cross_entropy(
                t.reshape(3, 8), _torch().tensor(target), reduction=reduction))


# Every op whose VJP runs on arrays without calling an operation (the walk without
# create_graph); each squared below, so that the second derivative reads the VJP too.
VJP_ON_ARRAYS = {
    "sum": (lambda t: t.sum(axis=(0, 2)), lambda t: t.sum(dim=(0, 2))),
    "mean": (lambda t: t.mean(axis=1, keepdims=True), lambda t: t.mean(dim=1, keepdim=True)),
    "mean_all": (lambda t: t.mean(), lambda t: t.mean()),
    "max": (lambda t: t.max(axis=2), lambda t: t.amax(dim=2)),
    "reshape": (lambda t: t.reshape(4, 6), lambda t: t.reshape(4, 6)),
    "transpose": (lambda t: t.transpose(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    "contiguous": (lambda t: t.transpose(2, 0, 1).contiguous(),
                   lambda t: t.permute(2, 0, 1).contiguous()),
    "broadcast_to": (lambda t: t.broadcast_to((3, 2, 3, 4)), lambda t: t.expand(3, 2, 3, 4)),
    "sum_to": (lambda t: mg.ops.sum_to(t, (3, 1)), lambda t: t.sum(dim=(0, 2)).reshape(3, 1)),
    "getitem": (lambda t: t[1, ::2], lambda t: t[1, ::2]),
    "getitem_repeated": (lambda t: t[[0, 1, 1], 2], lambda t: t[[0, 1, 1], 2]),
    "pad": (lambda t: mg.pad(t, 1), lambda t: _torch().nn.functional.pad(t, (1,) * 6)),
    "concatenate": (lambda t: mg.concatenate([t, t[:, :1]], axis=1),
                    lambda t: _torch().cat([t, t[:, :1]], dim=1)),
    "stack": (lambda t: mg.stack([t, t * 2.0], axis=1), lambda t: _torch().stack([t, t * 2.0], 1)),
    "log_softmax": (lambda t: F.log_softmax(t, axis=1),
                    lambda t: _torch().log_softmax(t, dim=1)),
    "matmul": (lambda t: t @ t.transpose(0, 2, 1), lambda t: t @ t.transpose(1, 2)),
    "cross_entropy_mean": _ce("mean"),
    "cross_entropy_sum": _ce("sum"),
    "cross_entropy_none": _ce("none"),
}


@pytest.mark.parametrize("name", VJP_ON_ARRAYS)
def test_vjps_work_on_tensors_too_second_derivatives_like_torch(torch, rng, name):
    mg_fn, torch_fn = VJP_ON_ARRAYS[name]
    x = rng.standard_normal((2, 3, 4))
    compare(torch, mg_fn, torch_fn, x)
    compare_second(torch, lambda t: mg_fn(t) ** 2, lambda t: torch_fn(t) ** 2, x)


def operations_called(monkeypatch):
    """From now on, the name of every operation called, in a list."""
    calls = []
    run = mg.ops.Primitive.__call__

    def recorded(prim, *args, **kwargs):
        calls.append(prim.name)
        return run(prim, *args, **kwargs)
    monkeypatch.setattr(mg.ops.Primitive, "__call__", recorded)
    return calls


@pytest.mark.parametrize("name", VJP_ON_ARRAYS)
def test_backward_runs_these_vjps_in_numpy_without_calling_an_operation(rng, monkeypatch, name):
    x = mg.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    y = VJP_ON_ARRAYS[name][0](x)
    calls = operations_called(monkeypatch)
    y.backward(rng.standard_normal(y.shape))
    assert calls == [], f"{y.grad_fn.name}'s backward called {calls}"
    assert x.grad.shape == x.shape


@pytest.mark.parametrize("op", ["linear", "matmul"])
@pytest.mark.parametrize("frozen", ["input", "weight"])
def test_an_operand_that_takes_no_gradient_leaves_the_vjps_in_numpy(rng, monkeypatch, op,
                                                                     frozen):
    x, w = mg.Tensor(rng.standard_normal((4, 3))), mg.Tensor(rng.standard_normal((2, 3)))
    (w if frozen == "input" else x).requires_grad = True
    y = F.linear(x, w) if op == "linear" else x @ w.T      # (w.T: a node, or a constant)
    calls = operations_called(monkeypatch)
    y.backward(np.ones((4, 2)))
    learnt = w if frozen == "input" else x
    expected = np.ones((2, 4)) @ x.data if frozen == "input" else np.ones((4, 2)) @ w.data
    assert calls == [] and type(learnt.grad.data) is np.ndarray
    np.testing.assert_allclose(learnt.grad.data, expected)


def test_contiguous_copies_into_c_order_only_when_needed(torch, rng):
    x = mg.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert x.contiguous() is x
    y = x.transpose(2, 0, 1)
    z = y.contiguous()
    assert z.data.flags.c_contiguous and not y.data.flags.c_contiguous
    np.testing.assert_array_equal(z.data, y.data)
    assert z.grad_fn.name == "ContiguousBackward"
    compare(torch, lambda t: t.transpose(2, 0, 1).contiguous() ** 2,
            lambda t: t.permute(2, 0, 1).contiguous() ** 2, x.data)
    compare_second(torch, lambda t: t.transpose(2, 0, 1).contiguous() ** 3,
                   lambda t: t.permute(2, 0, 1).contiguous() ** 3, x.data)


def test_mean_is_one_node_whose_gradient_is_g_over_m():
    x = mg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x.mean(axis=0)
    assert y.grad_fn.name == "MeanBackward" and y.grad_fn.edges[0][0] is x._edge()[0]
    y.backward(np.array([3.0, 6.0, 9.0, 12.0]))
    np.testing.assert_array_equal(x.grad.data, np.tile([1.0, 2.0, 3.0, 4.0], (3, 1)))


def test_shape_functions_take_lists_and_arrays_as_numpy_does():
    # stack and reshape of plain lists used to fail with an AttributeError from inside.
    np.testing.assert_array_equal(mg.stack([[1.0, 2.0], [3.0, 4.0]], axis=1).data,
                                  np.stack([[1.0, 2.0], [3.0, 4.0]], axis=1))
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = mg.stack([x, [5.0, 6.0], np.array([7.0, 8.0])])
    y.sum().backward()
    assert y.shape == (3, 2) and x.grad.data.tolist() == [1.0, 1.0]
    assert mg.reshape([1.0, 2.0, 3.0, 4.0], 2, 2).shape == (2, 2)
    assert mg.transpose([[1.0, 2.0]]).shape == (2, 1)
    assert mg.expand_dims([1.0, 2.0], 0).shape == (1, 2)


@pytest.mark.parametrize("cond_shape,a_shape,b_shape",
                         [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                          ((4,), (3, 4), ()), ((2, 1, 4), (3, 1), (1,))], ids=str)
def test_where(torch, rng, cond_shape, a_shape, b_shape):
    cond = rng.random(cond_shape) > 0.5
    compare(torch, lambda a, b: mg.where(cond, a, b),
            lambda a, b: torch.where(torch.tensor(cond), a, b),
            rng.standard_normal(a_shape), rng.standard_normal(b_shape))


def test_where_with_scalars_and_tensor_condition(torch, rng):
    x = rng.standard_normal((3, 4))
    compare(torch, lambda a: mg.where(a > 0, a, 0.0), lambda a: torch.where(a > 0, a, 0.0), x)
    compare(torch, lambda a: mg.where(a > 0, -1.0, a * 2), lambda a: torch.where(a > 0, -1.0, a * 2), x)


# ----------------------------------------------------------------------------
# Indexing
# ----------------------------------------------------------------------------

def _to_torch_index(index, torch):
    if isinstance(index, tuple):
        return tuple(_to_torch_index(i, torch) for i in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    if isinstance(index, list):
        return torch.tensor(index)
    return index


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "step slice": (slice(None), slice(None, None, 2)),
    "tuple of ints": (0, 2, 3),
    "ellipsis": (Ellipsis, 1),
    "newaxis": (None, 0, slice(None), None),
    "int array": np.array([1, 0]),
    "repeated indices": np.array([0, 0, 1, 0]),
    "list": [1, 1, 0],
    "2-d int array": np.array([[0, 1], [1, 1]]),
    "two arrays": (np.array([0, 1, 1]), np.array([2, 2, 0])),
    "array and slice": (slice(None), np.array([2, 0, 2])),
    "bool mask": np.array([True, False]),
    "full bool mask": "mask",
}


@pytest.mark.parametrize("name", INDICES)
def test_getitem(torch, rng, name):
    x = rng.standard_normal((2, 3, 4))
    index = INDICES[name]
    if isinstance(index, str):
        index = x > 0
    t_index = _to_torch_index(index, torch)
    compare(torch, lambda t: t[index], lambda t: t[t_index], x)


def test_getitem_with_tensor_index():
    x = mg.Tensor(np.arange(5.0), requires_grad=True)
    idx = mg.Tensor(np.array([4, 4, 1]))
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0, 0, 2])


def test_repeated_indices_accumulate():
    x = mg.Tensor(np.zeros(3), requires_grad=True)
    x[[0, 0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 0, 1])


def test_iterating_over_a_tensor(torch, rng):
    x = rng.standard_normal((3, 2))
    compare(torch, lambda t: mg.stack([row * k for k, row in enumerate(t)]),
            lambda t: torch.stack([row * k for k, row in enumerate(t)]), x)


# ----------------------------------------------------------------------------
# matmul
# ----------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
                 ((1, 2, 3), (6, 3, 1))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(torch, rng, shapes):
    a, b = (rng.standard_normal(s) for s in shapes)
    compare(torch, lambda x, y: x @ y, lambda x, y: x @ y, a, b)
    compare(torch, mg.matmul, torch.matmul, a, b, seed=1)


def test_matmul_with_ndarray_on_either_side(torch, rng):
    w = rng.standard_normal((3, 4))
    tw = torch.tensor(w)
    compare(torch, lambda x: x @ w, lambda x: x @ tw, rng.standard_normal((2, 3)))
    compare(torch, lambda x: w @ x, lambda x: tw @ x, rng.standard_normal((4, 2)))


# ----------------------------------------------------------------------------
# Composite functions built from primitives
# ----------------------------------------------------------------------------

def test_composition(torch, rng):
    def mg_fn(x, w, b):
        h = mg.tanh(x @ w + b)
        return (h - h.mean(axis=0, keepdims=True)) / (h.std(axis=0, keepdims=True) + 1e-5)

    def torch_fn(x, w, b):
        h = torch.tanh(x @ w + b)
        return (h - h.mean(0, keepdim=True)) / (h.std(0, keepdim=True, correction=0) + 1e-5)

    compare(torch, mg_fn, torch_fn, rng.standard_normal((6, 3)), rng.standard_normal((3, 4)),
            rng.standard_normal(4))


# ----------------------------------------------------------------------------
# float32 in, float32 out, float32 gradients — for every op
# ----------------------------------------------------------------------------

FLOAT32_CASES = {
    "add": lambda x: x + 1.5, "radd": lambda x: 2 + x, "sub": lambda x: x - x * 2,
    "rsub": lambda x: 1 - x, "mul": lambda x: x * 3, "div": lambda x: x / 3.0,
    "rdiv": lambda x: 1.0 / (x + 3), "pow": lambda x: (x + 3) ** 2.5, "rpow": lambda x: 2.0 ** x,
    "pow_tensor": lambda x: (x + 3) ** x, "neg": lambda x: -x,
    "exp": mg.exp, "log": lambda x: mg.log(x + 3), "sqrt": lambda x: mg.sqrt(x + 3),
    "abs": mg.abs, "tanh": mg.tanh, "sigmoid": mg.sigmoid, "relu": mg.relu,
    "clip": lambda x: x.clip(-0.5, 0.5), "maximum": lambda x: mg.maximum(x, 0.1),
    "minimum": lambda x: mg.minimum(x, x * 0.5), "where": lambda x: mg.where(x > 0, x, 0.5),
    "sum": lambda x: x.sum(0), "mean": lambda x: x.mean(-1), "var": lambda x: x.var(1),
    "std": lambda x: x.std(), "max": lambda x: x.max(0), "min": lambda x: x.min(),
    "reshape": lambda x: x.reshape(-1), "transpose": lambda x: x.T,
    "swapaxes": lambda x: x.swapaxes(0, 1), "broadcast_to": lambda x: x.broadcast_to((2, 3, 4)),
    "expand_dims": lambda x: x.expand_dims(0), "squeeze": lambda x: x.expand_dims(0).squeeze(0),
    "getitem": lambda x: x[1:, ::2], "getitem_advanced": lambda x: x[[0, 0, 2]],
    "concatenate": lambda x: mg.concatenate([x, x], 1), "stack": lambda x: mg.stack([x, x]),
    "pad": lambda x: mg.pad(x, 1), "matmul": lambda x: x @ x.T,
    "matmul_ndarray": lambda x: x @ np.ones((4, 2)),
}


@pytest.mark.parametrize("name", FLOAT32_CASES)
def test_float32_stays_float32(rng, name):
    x = mg.Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    out = FLOAT32_CASES[name](x)
    if name == "matmul_ndarray":
        # A float64 ndarray operand promotes, as in NumPy; the gradient is still float32.
        assert out.dtype == np.float64
    else:
        assert out.dtype == np.float32, out.dtype
    out.backward(np.ones(out.shape, dtype=out.dtype))
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


@pytest.mark.parametrize("make", [
    lambda x: x * np.float64(2.0), lambda x: np.float64(2.0) * x, lambda x: x / np.prod((3, 4)),
    lambda x: x / np.sqrt(12), lambda x: x ** np.float64(2.0), lambda x: np.float64(2.0) ** x,
    lambda x: x - np.int64(1), lambda x: mg.maximum(x, np.float64(0.0)),
    lambda x: mg.where(x > 0, x, np.float64(0.0)), lambda x: mg.clip(x, np.float64(-0.5), None),
    lambda x: mg.pad(x, 1, constant_values=np.float64(1.0))])
def test_numpy_scalars_act_like_python_numbers_and_keep_float32(rng, make):
    # NumPy 2 lets np.float64(2.0) * float32_array promote to float64; a number
    # that happens to come out of NumPy (np.prod, np.sqrt) must not change the
    # dtype the user chose, just as a Python 2.0 does not (PyTorch agrees).
    x = mg.Tensor(rng.uniform(0.5, 1.0, (3, 4)).astype(np.float32), requires_grad=True)
    out = make(x)
    assert out.dtype == np.float32, out.dtype
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_sigmoid_of_integers_and_booleans_is_a_float():
    # It was cast back to the input's dtype: sigmoid([1, 2, -3]) gave [0, 0, 0].
    out = mg.sigmoid(mg.Tensor(np.array([1, 2, -3])))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, 1 / (1 + np.exp(-np.array([1.0, 2.0, -3.0]))))
    assert mg.sigmoid(mg.Tensor(np.array([True, False]))).data.tolist() == [1 / (1 + np.exp(-1)), 0.5]


def test_numpy_scalars_alone_keep_their_dtype():
    assert mg.exp(np.float32(1.0)).dtype == np.float32
    assert mg.maximum(np.float32(1.0), np.float32(2.0)).dtype == np.float32


def test_mixed_precision_gradients_keep_each_input_dtype(rng):
    a = mg.Tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    b = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.data, b.data.astype(np.float32))


def test_astype_to_integer_leaves_the_graph():
    x = mg.Tensor([1.5, 2.5], requires_grad=True)
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad and i.grad_fn is None


def test_comparisons_give_boolean_tensors_without_graph(rng):
    x = mg.Tensor(rng.standard_normal(4), requires_grad=True)
    for result in (x < 0, x <= 0, x > 0, x >= 0, x == x, x != 0, 0 < x):
        assert result.dtype == np.bool_ and not result.requires_grad


# ----------------------------------------------------------------------------
# Errors at the public boundary: the op, the shapes, never a bare NumPy message
# ----------------------------------------------------------------------------

def _raises(kind, fn, *fragments):
    with pytest.raises(kind) as info:
        fn()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # one error, worded by minigrad: no NumPy exception chained behind it
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return message


def test_matmul_error_names_op_and_shapes():
    a, b = mg.Tensor(np.ones((3, 4))), mg.Tensor(np.ones((5, 2)))
    _raises(ValueError, lambda: a @ b, "matmul", "(3, 4)", "(5, 2)")
    _raises(ValueError, lambda: mg.matmul(np.ones(3), b), "matmul", "(3,)", "(5, 2)")
    _raises(ValueError, lambda: a @ 2.0, "matmul", "(3, 4)", "()")
    _raises(ValueError, lambda: mg.Tensor(np.ones((2, 3, 4))) @ mg.Tensor(np.ones((5, 4, 2))),
            "matmul", "(2, 3, 4)", "(5, 4, 2)")


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: b - a,
                                lambda a, b: a / b, lambda a, b: a ** b, mg.maximum,
                                lambda a, b: mg.where(np.ones((2, 3), bool), a, b)])
def test_broadcasting_error_names_both_shapes(op):
    a = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    b = np.ones((4,))
    message = _raises(ValueError, lambda: op(a, b), "(2, 3)", "(4,)", "broadcast")
    assert "RecursionError" not in message


def test_comparison_broadcasting_error_names_shapes():
    _raises(ValueError, lambda: mg.Tensor(np.ones((2, 3))) < np.ones(4), "(2, 3)", "(4,)")


@pytest.mark.parametrize("fn,fragments", [
    (lambda x: x.sum(axis=3), ["sum", "axis 3", "(2, 3, 4)", "3 dimensions"]),
    (lambda x: x.mean(axis=-4), ["mean", "axis -4", "(2, 3, 4)"]),
    (lambda x: x.max(axis=(0, 0)), ["max", "repeated axis"]),
    (lambda x: x.squeeze(0), ["squeeze", "size 2", "(2, 3, 4)"]),
    (lambda x: x.expand_dims(5), ["expand_dims", "axis 5"]),
    (lambda x: x.swapaxes(0, 3), ["swapaxes", "axis 3", "(2, 3, 4)"]),
    (lambda x: x.transpose(0, 1), ["transpose", "(2, 3, 4)"]),
    (lambda x: x.transpose(0, 1, 5), ["transpose", "(0, 1, 5)", "(2, 3, 4)"]),
    (lambda x: mg.concatenate([x, x], axis=3), ["concatenate", "axis 3", "(2, 3, 4)"]),
    (lambda x: mg.concatenate([x, x[0]]), ["concatenate", "(2, 3, 4)", "(3, 4)"]),
    (lambda x: mg.stack([x, x[0]]), ["stack", "(2, 3, 4)", "(3, 4)"]),
    (lambda x: mg.pad(x, ((1, 1), (1, 1))), ["pad", "(2, 3, 4)"]),
    (lambda x: mg.pad(x, -1), ["pad", "non-negative"]),
    (lambda x: x.broadcast_to((3, 4)), ["broadcast_to", "(2, 3, 4)", "(3, 4)"]),
    (lambda x: x.broadcast_to((2, 5, 4)), ["broadcast_to", "(2, 3, 4)", "(2, 5, 4)"]),
    (lambda x: x.max(axis=1)[:, :0].max(), ["max", "empty", "(2, 0)"]),
    (lambda x: x[:, :0].min(axis=1), ["min", "empty", "(2, 0, 4)"]),
    (lambda x: mg.clip(x), ["clip"]),
])
def test_shape_and_axis_errors(fn, fragments):
    x = mg.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    _raises(ValueError, lambda: fn(x), *fragments)


def test_bad_reshape_names_op_and_shapes():
    x = mg.Tensor(np.ones((2, 3)))
    _raises(ValueError, lambda: x.reshape(4, 2), "reshape", "(4, 2)", "(2, 3)")
    _raises(ValueError, lambda: x.reshape(-1, 4), "reshape", "(-1, 4)", "(2, 3)")
    _raises(ValueError, lambda: x.reshape(-1, -1), "reshape", "(-1, -1)")
    assert x.reshape(-1, 3).shape == (2, 3) and x.reshape(3, 1, -1).shape == (3, 1, 2)


def test_reshape_to_a_non_integer_shape_is_a_type_error():
    _raises(TypeError, lambda: mg.Tensor(np.ones(2)).reshape("a"), "reshape", "integers")
    _raises(TypeError, lambda: mg.Tensor(np.ones(2)).reshape(2.0), "reshape", "integers")


def test_bad_axis_type_is_a_type_error():
    x = mg.Tensor(np.ones((2, 3)))
    _raises(TypeError, lambda: x.var(axis=1.5), "var", "axis")
    _raises(TypeError, lambda: x.sum(axis="0"), "sum", "axis")
    _raises(TypeError, lambda: x.sum(axis=True), "sum", "axis")          # NumPy refuses it too


@pytest.mark.parametrize("fn,fragments", [
    (lambda x: mg.pad(x, 1.5), ["pad", "integers", "1.5"]),
    (lambda x: mg.pad(x, ((0, 0), (0.5, 1))), ["pad", "integers"]),
    (lambda x: x.transpose(0.5, 1), ["transpose", "integers", "0.5"]),
    (lambda x: x.transpose("a", 1), ["transpose", "integers"]),
    (lambda x: x.broadcast_to("ab"), ["broadcast_to", "integers"]),
    (lambda x: x.broadcast_to((2, 3.5)), ["broadcast_to", "integers"]),
])
def test_non_integer_widths_axes_and_shapes_are_type_errors(fn, fragments):
    # These used to be truncated silently (pad 1.5 -> 1, axis 0.5 -> 0) or to
    # fail inside NumPy without naming the operation.
    _raises(TypeError, lambda: fn(mg.Tensor(np.ones((2, 3)))), *fragments)


def test_axis_error_of_a_0d_tensor_says_it_has_no_axes():
    _raises(ValueError, lambda: mg.Tensor(2.0).sum(axis=0), "sum", "0-d", "no axes")


def test_negative_step_slice_matches_numpy():
    x = mg.Tensor(np.arange(6.0), requires_grad=True)
    y = x[::-2]
    np.testing.assert_array_equal(y.data, [5, 3, 1])
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data, [0, 3, 0, 2, 0, 1])


def test_index_errors_name_the_op():
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    _raises(IndexError, lambda: x[5], "getitem", "(2, 3)")
    _raises(IndexError, lambda: x[0, 0, 0], "getitem")
    _raises(IndexError, lambda: x[np.array([0, 7])], "getitem")


def test_bad_dtype_names_the_op():
    _raises(TypeError, lambda: mg.Tensor(np.ones(2)).astype("not a dtype"), "astype")


# ----------------------------------------------------------------------------
# unfold / fold: the sliding-window pair behind max_pool2d and avg_pool2d
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("kernel,stride,dilation", [((2, 2), (1, 1), (1, 1)),
                                                    ((3, 2), (2, 1), (1, 2)),
                                                    ((1, 3), (2, 2), (2, 1))], ids=str)
def test_unfold_matches_torch_unfold(torch, rng, kernel, stride, dilation):
    from minigrad.ops import unfold

    x = rng.standard_normal((2, 3, 5, 6))

    def ours(t):             # unfold works on planes: (N * C, H, W) -> (kh, kw, N * C, oh, ow)
        n, c, height, width = t.shape
        cols = unfold(t.reshape(n * c, height, width), kernel, stride, dilation)
        kh, kw, _, oh, ow = cols.shape
        return cols.reshape(kh, kw, n, c, oh * ow).transpose(2, 3, 0, 1, 4).reshape(
            n, c * kh * kw, oh * ow)

    compare(torch, ours, lambda t: torch.nn.functional.unfold(t, kernel_size=kernel,
                                                              dilation=dilation, stride=stride), x)


def test_fold_is_the_adjoint_of_unfold(rng):
    from minigrad.ops import fold, unfold

    x = rng.standard_normal((2, 5, 6))
    for args in [((3, 3), (2, 2), (1, 1)), ((2, 3), (1, 2), (2, 1))]:
        cols = unfold(mg.Tensor(x), *args)
        c = rng.standard_normal(cols.shape)
        # <unfold(x), c> == <x, fold(c)>: fold is unfold's transpose
        folded = fold(mg.Tensor(c), x.shape, *args)
        assert np.sum(cols.data * c) == pytest.approx(np.sum(x * folded.data), rel=1e-12)
        assert mg.gradgradcheck(lambda t: unfold(t, *args) ** 2,
                                (mg.Tensor(x, requires_grad=True),))
