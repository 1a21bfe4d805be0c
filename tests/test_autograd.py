"""The backward walk (minigrad/autograd.py): accumulation, retain_graph, hooks,
grad modes, anomaly detection, deep and shared graphs, memory, grad(), and
higher derivatives against torch.autograd.grad(create_graph=True)."""
import gc
import sys
import weakref

import numpy as np
import pytest

import minigrad as mg

RTOL, ATOL = 1e-7, 1e-12


def leaf(values):
    return mg.Tensor(np.asarray(values, dtype=float), requires_grad=True)


# ----------------------------------------------------------------------------
# Accumulation and retain_graph
# ----------------------------------------------------------------------------

def test_gradients_accumulate_over_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2 + 3, 4 + 3])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 3])


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4, 8])


def test_second_backward_through_a_released_graph_says_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad.data, [2, -2])


def test_backward_on_a_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="requires_grad"):
        mg.Tensor([1.0, 2.0]).sum().backward()


def test_backward_from_a_leaf():
    x = leaf(3.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_gradients_of_two_leaves_do_not_share_memory():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    upstream = np.array([1.0, 1.0])
    (a + b).backward(upstream)
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0 and upstream[0] == 1.0


def test_leaf_gradient_is_writeable_even_after_broadcasting():
    """The gradient summed back to a scalar leaf is an array of its own, not a
    read-only broadcast view: an optimizer may zero it in place, and the next
    backward accumulates onto the zeroed array."""
    x = leaf(2.0)
    (x * np.ones((3, 3))).sum().backward()
    assert x.grad.data.flags.writeable and x.grad.data == 9.0
    x.grad.data[...] = 0.0
    (x * np.ones((3, 3))).sum().backward()
    assert x.grad.data == 9.0


def test_unused_branches_and_constants_get_no_gradient():
    x, unused = leaf([1.0]), leaf([1.0])
    const = mg.Tensor([5.0])
    (x * const).sum().backward()
    assert unused.grad is None and const.grad is None
    assert x.grad.data[0] == 5.0


def test_multi_output_gradient_sums_over_paths():
    x = leaf([2.0])
    a, b = x * 3, x.exp()
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * np.exp(2.0) + 6 * np.exp(2.0))


# ----------------------------------------------------------------------------
# Deep and shared graphs: no recursion anywhere
# ----------------------------------------------------------------------------

def test_a_chain_of_100000_ops_backpropagates():
    limit = sys.getrecursionlimit()
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])
    repr(y), repr(y.grad_fn)
    del y
    gc.collect()
    assert sys.getrecursionlimit() == limit


class _Marker:
    """An object only a graph holds on to, to see when the graph is freed."""


class _Marked(mg.Function):
    """The identity, whose node keeps a _Marker (in its ctx)."""

    @staticmethod
    def forward(ctx, x, marker):
        ctx.marker = marker
        return x.data.copy()

    @staticmethod
    def backward(ctx, g):
        return g, None


def test_a_deep_graph_can_be_dropped_without_backward():
    """Freeing a chain of 100,000 nodes neither recurses nor leaks: the node at
    its start is gone once its end is dropped."""
    limit = sys.getrecursionlimit()
    marker = _Marker()
    start = weakref.ref(marker)
    y = _Marked.apply(leaf([1.0]), marker)
    del marker
    for _ in range(100_000):
        y = y + 1.0
    gc.collect()
    assert start() is not None
    del y
    gc.collect()
    assert start() is None
    assert sys.getrecursionlimit() == limit


def test_heavy_sharing_is_walked_once_per_node():
    # Each step uses y twice: 2**n paths, n nodes. A walk per path would never end.
    x = leaf([1.0, 3.0])
    y = x
    for _ in range(5000):
        y = (y + y) * 0.5
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_diamond_graph():
    x = leaf(1.5)
    a = x * 2
    b = a.exp()
    c = a.tanh()
    (b * c + a).backward()
    a_val = 3.0
    expected = 2 * (np.exp(a_val) * np.tanh(a_val) + np.exp(a_val) * (1 - np.tanh(a_val) ** 2) + 1)
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-12)


# ----------------------------------------------------------------------------
# Memory: the values saved for backward are freed by backward()
# ----------------------------------------------------------------------------

def test_saved_tensor_is_released_after_backward():
    x = leaf(np.ones(1000))
    h = x * 2
    saved = weakref.ref(h.data)
    y = (h * h).sum()            # mul saves h's array
    del h
    gc.collect()
    assert saved() is not None
    y.backward()
    gc.collect()
    assert saved() is None


def test_saved_output_array_is_released_after_backward():
    x = leaf(np.ones(1000))
    y = x.tanh()                 # tanh keeps its output array for the derivative
    out_array = weakref.ref(y.data)
    loss = y.sum()
    del y
    gc.collect()
    assert out_array() is not None
    loss.backward()
    gc.collect()
    assert out_array() is None


def test_retain_graph_keeps_saved_values():
    x = leaf(np.ones(10))
    h = x * 2
    saved = weakref.ref(h.data)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None
    y.backward()
    gc.collect()
    assert saved() is None


# ----------------------------------------------------------------------------
# Hooks
# ----------------------------------------------------------------------------

def test_leaf_hook_sees_the_gradient_and_may_replace_it():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3, 3])
    np.testing.assert_array_equal(x.grad.data, [30, 30])


def test_non_leaf_hook_replacement_flows_upstream():
    x = leaf([1.0, 2.0])
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(isinstance(g, mg.Tensor) and g.data.copy()))
    h.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    np.testing.assert_array_equal(seen[0], [4, 8])
    np.testing.assert_array_equal(x.grad.data, [(4 + 1) * 2, (8 + 1) * 2])


def test_hook_handle_remove():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    handle.remove()              # removing twice is harmless
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_hooks_run_in_grad_like_torch(torch):
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    h = x * 2
    h.register_hook(lambda g: g * 100)
    (gx,) = mg.grad((h * 1.0).sum(), x)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tx.register_hook(lambda g: g * 10)
    th = tx * 2
    th.register_hook(lambda g: g * 100)
    (expected,) = torch.autograd.grad((th * 1.0).sum(), tx)
    np.testing.assert_array_equal(gx.data, expected.numpy())


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="require"):
        mg.Tensor([1.0]).register_hook(lambda g: g)


def test_hook_returning_a_wrong_shape_raises():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"shape \(\)"):
        (x * 2).sum().backward()


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.data, [4, 8])


# ----------------------------------------------------------------------------
# Grad modes
# ----------------------------------------------------------------------------

def test_no_grad_and_enable_grad_as_context_managers():
    x = leaf([1.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
        with mg.enable_grad():
            z = x * 2
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn.name == "MulBackward"


def test_no_grad_and_enable_grad_as_decorators():
    x = leaf([1.0])

    @mg.no_grad()
    def evaluate(t):
        return t * 2, inner(t)

    @mg.enable_grad()
    def inner(t):
        return t * 2

    y, z = evaluate(x)
    assert not y.requires_grad and z.requires_grad
    assert evaluate.__name__ == "evaluate"
    assert mg.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()


def test_no_grad_decorator_is_reentrant():
    calls = []

    @mg.no_grad()
    def recurse(n):
        calls.append(mg.is_grad_enabled())
        if n:
            recurse(n - 1)

    recurse(3)
    assert calls == [False] * 4 and mg.is_grad_enabled()


# ----------------------------------------------------------------------------
# Anomaly detection
# ----------------------------------------------------------------------------

def test_anomaly_in_forward_names_the_op():
    x = leaf([1.0, -1.0])
    with mg.detect_anomaly(), np.errstate(invalid="ignore", divide="ignore"):
        with pytest.raises(RuntimeError, match="log"):
            mg.log(x)
        with pytest.raises(RuntimeError, match="div"):
            x / mg.Tensor([0.0, 1.0])


def test_anomaly_in_backward_names_the_backward_node():
    x = leaf([0.0, 4.0])
    with mg.detect_anomaly():
        y = x.sqrt().sum()               # finite forward, infinite derivative at 0
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            with np.errstate(divide="ignore"):
                y.backward()


def test_anomaly_in_backward_with_create_graph_names_the_node():
    x = leaf([0.0, 4.0])
    with mg.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            with np.errstate(divide="ignore"):
                mg.grad(y, x, create_graph=True)


def test_without_anomaly_mode_nan_passes_silently():
    x = leaf([-1.0])
    with np.errstate(invalid="ignore"):
        y = mg.log(x)
    assert np.isnan(y.data).all()


def test_anomaly_mode_is_switched_off_on_exit():
    with mg.detect_anomaly():
        pass
    with np.errstate(divide="ignore"):
        assert np.isinf(mg.log(mg.Tensor([0.0])).data).all()


# ----------------------------------------------------------------------------
# grad()
# ----------------------------------------------------------------------------

def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gw = mg.grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.data, [3, 4])
    np.testing.assert_array_equal(gw.data, [1, 2])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_grad_with_respect_to_a_non_leaf_leaves_the_graph_above_intact():
    x = leaf([1.0, 2.0])
    h = x.exp()
    loss = (h * h).sum()
    (gh,) = mg.grad(loss, h)
    np.testing.assert_allclose(gh.data, 2 * np.exp([1.0, 2.0]))
    h.sum().backward()      # ExpBackward was not run by grad(), so it still has its values
    np.testing.assert_allclose(x.grad.data, np.exp([1.0, 2.0]))


def test_grad_with_respect_to_a_non_leaf_and_its_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    gh, gx = mg.grad((h * x).sum(), [h, x])
    np.testing.assert_array_equal(gh.data, [1, 2])
    np.testing.assert_array_equal(gx.data, [3 + 3, 6 + 6])


def test_grad_with_several_outputs_and_grad_outputs():
    x = leaf([1.0, 2.0])
    a, b = x * 2, x * x
    (gx,) = mg.grad([a, b], x, [mg.Tensor([1.0, 1.0]), mg.Tensor([1.0, 0.5])])
    np.testing.assert_array_equal(gx.data, [2 + 2, 2 + 2])


def test_grad_outputs_may_be_one_array_or_a_list_with_none():
    x = leaf([1.0, 2.0, 3.0])
    (gx,) = mg.grad(x * 2, x, np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(gx.data, [2, 0, -2])
    (gx,) = mg.grad([(x * 3).sum(), x * 2], x, [None, np.ones(3)])
    np.testing.assert_array_equal(gx.data, [5, 5, 5])


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([1.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad((x * 2).sum(), [x, unused])
    gx, gu = mg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_errors():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="input 0"):
        mg.grad((x * 2).sum(), mg.Tensor([1.0]))
    with pytest.raises(RuntimeError, match="output 0"):
        mg.grad(mg.Tensor([1.0]).sum(), x)
    with pytest.raises(ValueError, match="grad_outputs"):
        mg.grad([x * 2, x * 3], x, [None])
    # Not tensors at all: a TypeError naming grad/backward, not one from list() or NumPy.
    with pytest.raises(TypeError, match="grad: outputs must be.*float"):
        mg.grad(3.0, x)
    with pytest.raises(TypeError, match="grad: inputs must be.*ndarray"):
        mg.grad((x * 2).sum(), [np.ones(1)])
    with pytest.raises(TypeError, match="backward: gradient.*str"):
        (x * 2).backward("ab")


def test_second_derivative_with_respect_to_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 2
    (g,) = mg.grad((h ** 3).sum(), h, create_graph=True)
    np.testing.assert_array_equal(g.data, 3 * h.data ** 2)
    (gh,) = mg.grad(g.sum(), h, retain_graph=True)
    np.testing.assert_array_equal(gh.data, 6 * h.data)
    (gx,) = mg.grad(g.sum(), x)
    np.testing.assert_array_equal(gx.data, 12 * h.data)


def test_backward_with_create_graph_gives_a_differentiable_grad():
    x = leaf([1.5])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = mg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.data, [6 * 1.5])


# ----------------------------------------------------------------------------
# Second and third derivatives against torch.autograd.grad(create_graph=True)
# ----------------------------------------------------------------------------

def _softmax(x, lib):
    if lib is mg:
        e = mg.exp(x - x.max(axis=-1, keepdims=True).data)
        return e / e.sum(axis=-1, keepdims=True)
    e = (x - x.amax(dim=-1, keepdim=True).detach()).exp()
    return e / e.sum(dim=-1, keepdim=True)


HIGHER = {
    "tanh": (lambda x, w: x.tanh() * w, lambda x, w: x.tanh() * w),
    "sigmoid": (lambda x, w: x.sigmoid() * w, lambda x, w: x.sigmoid() * w),
    "exp_log": (lambda x, w: (x * x + 1).log() * w.exp(), lambda x, w: (x * x + 1).log() * w.exp()),
    "sqrt": (lambda x, w: (x * x + w * w).sqrt(), lambda x, w: (x * x + w * w).sqrt()),
    "pow": (lambda x, w: (x * x + 1) ** (w * 0.5), lambda x, w: (x * x + 1) ** (w * 0.5)),
    "div": (lambda x, w: x / (w * w + 1), lambda x, w: x / (w * w + 1)),
    "matmul": (lambda x, w: (x.reshape(2, 3) @ w.reshape(3, 2)).tanh(),
               lambda x, w: (x.reshape(2, 3) @ w.reshape(3, 2)).tanh()),
    "mean_var": (lambda x, w: (x - x.mean()) / (x.var() + 1e-3).sqrt() * w,
                 lambda x, w: (x - x.mean()) / (x.var(correction=0) + 1e-3).sqrt() * w),
    "std": (lambda x, w: x.std() * w + x.reshape(2, 3).std(axis=1).sum(),
            lambda x, w: x.std(correction=0) * w + x.reshape(2, 3).std(dim=1, correction=0).sum()),
    "softmax": (lambda x, w: _softmax(x * w, mg), lambda x, w: _softmax(x * w, _torch())),
    "max_relu": (lambda x, w: (x * w).max() + (x * w).relu() ** 2,
                 lambda x, w: (x * w).amax() + (x * w).relu() ** 2),
    "getitem_concat": (lambda x, w: mg.concatenate([x[[0, 0, 2]] * w[1:4], x[::2] ** 3]),
                       lambda x, w: _torch().cat([x[[0, 0, 2]] * w[1:4], x[::2] ** 3])),
    "broadcast_where": (lambda x, w: mg.where(x > 0, x.reshape(6, 1) * w, w ** 2).sum(axis=0),
                        lambda x, w: _torch().where(x > 0, x.reshape(6, 1) * w, w ** 2).sum(0)),
}


def _torch():
    import torch
    return torch


@pytest.mark.parametrize("name", HIGHER)
def test_second_and_third_derivatives_match_torch(torch, name):
    mg_fn, torch_fn = HIGHER[name]
    rng = np.random.default_rng(1)
    x0, w0 = rng.uniform(0.3, 1.5, 6) * np.array([1, -1, 1, 1, -1, 1]), rng.uniform(0.3, 1.5, 6)
    v0, u0 = rng.standard_normal(6), rng.standard_normal(6)

    def derivatives(lib, fn, x, w):
        grad = mg.grad if lib is mg else torch.autograd.grad
        out = fn(x, w)
        upstream = lib.tensor(rng_upstream(out.shape)) if lib is mg else \
            torch.tensor(rng_upstream(tuple(out.shape)))
        gx, gw = grad((out * upstream).sum(), [x, w], create_graph=True)
        first = [gx, gw]
        second = grad((gx * lib.tensor(v0)).sum() + (gw * lib.tensor(u0)).sum(), [x, w],
                      create_graph=True)
        third = grad((second[0] * lib.tensor(u0)).sum() + (second[1] ** 2).sum(), [x, w],
                     allow_unused=True)
        return first, second, third

    def rng_upstream(shape):
        return np.random.default_rng(2).standard_normal(shape)

    ours = derivatives(mg, mg_fn, leaf(x0), leaf(w0))
    theirs = derivatives(torch, torch_fn, torch.tensor(x0, requires_grad=True),
                         torch.tensor(w0, requires_grad=True))
    for order, (a_list, b_list) in enumerate(zip(ours, theirs), start=1):
        for which, a, b in zip("xw", a_list, b_list):
            expected = np.zeros(6) if b is None else b.detach().numpy()
            actual = np.zeros(6) if a is None else a.data
            np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-10,
                                       err_msg=f"{name}: derivative {order} with respect to {which}")
