"""weight_norm: w = g * v / ||v||, checked against both PyTorch APIs, in both backward modes."""
import copy
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad import nn, optim
from layers.weightnorm import (
    WeightNormFunction, norm_except_dim, normalized_weight, remove_weight_norm, weight_norm,
)

BACKWARDS = ["autograd", "manual"]


def _modules(torch, kind):
    """A torch module and a minigrad module holding the same weights."""
    theirs = torch.nn.Linear(4, 3) if kind == "linear" else torch.nn.Conv2d(2, 5, 3, padding=1)
    ours = nn.Linear(4, 3) if kind == "linear" else nn.Conv2d(2, 5, 3, padding=1)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _input(kind, rng):
    return rng.standard_normal((6, 4) if kind == "linear" else (2, 2, 4, 4))


def _output_shape(kind):
    return (6, 3) if kind == "linear" else (2, 5, 4, 4)


def _run_ours(ours, x, dy):
    x = mg.Tensor(x, requires_grad=True)
    y = ours(x)
    y.backward(mg.Tensor(dy))
    return y, x.grad


def _run_theirs(torch, theirs, x, dy):
    x = torch.tensor(x, requires_grad=True)
    y = theirs(x)
    y.backward(torch.tensor(dy))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("dim", [0, 1, None, -1])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_matches_legacy_torch_weight_norm(torch, rng, kind, dim, backward):
    theirs, ours = _modules(torch, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)      # the legacy API is deprecated
        torch.nn.utils.weight_norm(theirs, dim=dim)
    weight_norm(ours, dim=dim, backward=backward)

    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(state[key], value.numpy(), rtol=0, atol=1e-15)

    x = _input(kind, rng)
    dy = rng.standard_normal(_output_shape(kind))
    y_theirs, dx_theirs = _run_theirs(torch, theirs, x, dy)
    y, dx = _run_ours(ours, x, dy)
    np.testing.assert_allclose(y.data, y_theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx.data, dx_theirs, rtol=0, atol=1e-12)
    for name in ("weight_g", "weight_v", "bias"):
        np.testing.assert_allclose(getattr(ours, name).grad.data,
                                   getattr(theirs, name).grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_matches_torch_parametrizations_weight_norm(torch, rng, kind, dim, backward):
    theirs, ours = _modules(torch, kind)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    weight_norm(ours, dim=dim, backward=backward)
    original = theirs.parametrizations.weight       # original0 is g, original1 is v

    x = _input(kind, rng)
    dy = rng.standard_normal(_output_shape(kind))
    y_theirs, dx_theirs = _run_theirs(torch, theirs, x, dy)
    y, dx = _run_ours(ours, x, dy)
    np.testing.assert_allclose(y.data, y_theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx.data, dx_theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.weight_g.grad.data, original.original0.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.weight_v.grad.data, original.original1.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("make, dim, g_shape", [
    (lambda: nn.Linear(4, 3), 0, (3, 1)),
    (lambda: nn.Linear(4, 3), 1, (1, 4)),
    (lambda: nn.Conv2d(2, 5, 3), 0, (5, 1, 1, 1)),
    (lambda: nn.Conv2d(2, 5, 3), None, ()),
    (lambda: nn.Conv2d(2, 5, 3), -2, (1, 1, 3, 1)),      # as PyTorch: -2 counts from the end
])
def test_shapes_and_the_module_computes_the_same_as_before(rng, make, dim, g_shape):
    module = make()
    weight = module.weight.data.copy()
    x = rng.standard_normal((2, 4) if isinstance(module, nn.Linear) else (1, 2, 5, 5))
    before = module(mg.Tensor(x)).data
    weight_norm(module, dim=dim)
    assert module.weight_g.shape == g_shape and module.weight_v.shape == weight.shape
    assert "weight" not in dict(module.named_parameters())
    assert [n for n, _ in module.named_parameters()] == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(module.weight.data, weight, rtol=0, atol=1e-15)
    np.testing.assert_allclose(module(mg.Tensor(x)).data, before, rtol=0, atol=1e-14)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_weight_is_recomputed_from_g_and_v_on_every_forward(rng, backward):
    module = weight_norm(nn.Linear(4, 3), backward=backward)
    x = mg.Tensor(rng.standard_normal((5, 4)))
    optimizer = optim.SGD(module.parameters(), lr=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        (module(x) ** 2).mean().backward()
        optimizer.step()
    g, v = module.weight_g.data, module.weight_v.data
    w = g * v / np.linalg.norm(v, axis=1, keepdims=True)
    np.testing.assert_allclose(module.weight.data, w, rtol=0, atol=1e-15)
    np.testing.assert_allclose(module(x).data, x.data @ w.T + module.bias.data, atol=1e-14)
    # Length and direction really are separate: scaling v leaves w alone, scaling g scales it.
    module.weight_v.data *= 3.0
    np.testing.assert_allclose(module.weight.data, w, rtol=0, atol=1e-15)
    module.weight_g.data *= 2.0
    np.testing.assert_allclose(module.weight.data, 2 * w, rtol=0, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_autograd_and_manual_agree(shape, data):
    ndim = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)), label="dim")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    v_data = rng.standard_normal(shape)
    g_shape = norm_except_dim(mg.Tensor(v_data), dim).shape
    g_data = rng.standard_normal(g_shape)
    dw = mg.Tensor(rng.standard_normal(shape))
    results = []
    for backward in BACKWARDS:
        v, g = mg.Tensor(v_data, requires_grad=True), mg.Tensor(g_data, requires_grad=True)
        w = normalized_weight(v, g, dim, backward)
        results.append((w.data, *(t.data for t in mg.grad(w, [v, g], dw))))
    for auto, manual in zip(*results):
        np.testing.assert_allclose(manual, auto, rtol=0, atol=1e-10)
    # The defining property: each slice of w along `dim` has length |g|.
    w = results[0][0]
    np.testing.assert_allclose(norm_except_dim(mg.Tensor(w), dim).data, np.abs(g_data), atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("shape, dim", [((3, 4), 0), ((2, 2, 2, 2), 1), ((3, 2), None)])
def test_gradcheck_and_gradgradcheck(rng, backward, shape, dim):
    v = mg.Tensor(rng.standard_normal(shape), requires_grad=True)
    g = mg.Tensor(rng.standard_normal(norm_except_dim(v, dim).shape), requires_grad=True)

    def f(v, g):
        return normalized_weight(v, g, dim, backward)

    assert mg.gradcheck(f, (v, g))
    assert mg.gradgradcheck(f, (v, g))


def test_manual_mode_is_one_node(rng):
    v = mg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    g = mg.Tensor(np.ones((3, 1)), requires_grad=True)
    w = normalized_weight(v, g, 0, "manual")
    assert w.grad_fn.op.cls is WeightNormFunction
    assert w.grad_fn.edges[2] is None               # dim gets no gradient


@pytest.mark.parametrize("backward", BACKWARDS)
def test_float32_stays_float32(rng, backward):
    module = weight_norm(nn.Linear(4, 3, dtype=np.float32), backward=backward)
    assert module.weight_g.dtype == module.weight_v.dtype == np.float32
    x = mg.Tensor(rng.standard_normal((2, 4)).astype(np.float32), requires_grad=True)
    y = module(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32
    assert module.weight_g.grad.dtype == module.weight_v.grad.dtype == np.float32
    # A float64 module meeting a float32 input computes in float32, its gradients stay float64.
    module64 = weight_norm(nn.Linear(4, 3), backward=backward)
    y = module64(x)
    y.sum().backward()
    assert y.dtype == np.float32 and module64.weight_v.grad.dtype == np.float64


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_remove_weight_norm_restores_a_plain_weight_like_legacy_torch(torch, rng, kind):
    theirs, ours = _modules(torch, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(theirs)
        weight_norm(ours)
        with torch.no_grad():                   # train g and v apart from each other first
            theirs.weight_g.mul_(1.5)
        ours.weight_g.data *= 1.5
        torch.nn.utils.remove_weight_norm(theirs)
    assert remove_weight_norm(ours) is ours
    assert type(ours) in (nn.Linear, nn.Conv2d) and isinstance(ours.weight, nn.Parameter)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), atol=1e-15)
    x = _input(kind, rng)
    np.testing.assert_allclose(ours(mg.Tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-13)
    ours.weight.data *= 0                       # a plain parameter again, which training sets
    assert (ours(mg.Tensor(x)).data == ours.bias.data.reshape(-1, *[1] * (x.ndim - 2))).all()
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        remove_weight_norm(ours)
    weight_norm(ours)                           # and it can be applied again


def test_weight_norm_pickles_and_copies_and_its_weight_cannot_be_overwritten(rng):
    module = weight_norm(nn.Linear(4, 3), backward="manual")
    x = mg.Tensor(rng.standard_normal((5, 4)))
    twin = pickle.loads(pickle.dumps(module))
    assert type(twin) is nn.Linear and "weight_norm" in repr(twin._parametrizations["weight"])
    np.testing.assert_array_equal(twin(x).data, module(x).data)
    twin.weight_g.data *= 2                     # the copy's weight follows the copy's g only
    np.testing.assert_allclose(twin.weight.data, 2 * module.weight.data, atol=1e-15)
    clone = copy.deepcopy(module)
    remove_weight_norm(clone)
    assert "weight_g" in dict(module.named_parameters())      # the original keeps its own
    with pytest.raises(AttributeError, match="'weight' is computed on every read"):
        module.weight = nn.Parameter(np.zeros((3, 4)))


def test_bad_inputs():
    with pytest.raises(ValueError,
                       match=r"weight_norm\(ReLU, name='weight'\).*no parameter 'weight'"):
        weight_norm(nn.ReLU())
    with pytest.raises(ValueError, match=r"weight_norm\(Linear.*no parameter 'kernel'"):
        weight_norm(nn.Linear(4, 3), name="kernel")
    with pytest.raises(ValueError, match=r"weight_norm\(Linear.*\[-2, 1\].*\(3, 4\), got 2"):
        weight_norm(nn.Linear(4, 3), dim=2)
    with pytest.raises(ValueError, match=r"weight_norm\(Conv2d.*\(5, 2, 3, 3\), got -5"):
        weight_norm(nn.Conv2d(2, 5, 3), dim=-5)
    with pytest.raises(ValueError, match="already applied to 'weight'"):
        weight_norm(weight_norm(nn.Linear(4, 3)))
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        weight_norm(nn.Linear(4, 3), backward="closed_form")
    with pytest.raises(TypeError, match="expected an nn.Module"):
        weight_norm(np.zeros((3, 4)))
    # A failed call leaves the module as it was.
    module = nn.Linear(4, 3)
    with pytest.raises(ValueError):
        weight_norm(module, dim=3)
    assert [n for n, _ in module.named_parameters()] == ["weight", "bias"]


def test_normalized_weight_checks_its_arguments():
    """The function form names itself. A g of the wrong shape used to broadcast:
    g of shape (3,) against a (3, 3) v scaled columns instead of rows, silently."""
    v, g = mg.Tensor(np.ones((3, 3))), mg.Tensor(np.arange(1.0, 4.0))
    with pytest.raises(ValueError, match=r"normalized_weight: g must have shape \(3, 1\) \(the "
                                         r"norm of v over every axis but dim=0\), got shape \(3,\)"):
        normalized_weight(v, g)
    with pytest.raises(ValueError, match=r"normalized_weight: g must have shape \(\)"):
        normalized_weight(v, g, dim=None)
    with pytest.raises(ValueError, match=r"normalized_weight: dim must be None or an int in "
                                         r"\[-2, 1\] for v of shape \(3, 3\), got 2"):
        normalized_weight(v, g.reshape(3, 1), dim=2)
    with pytest.raises(ValueError, match="normalized_weight: backward must be 'autograd' or "
                                         "'manual', got 'Manual'"):
        normalized_weight(v, g.reshape(3, 1), backward="Manual")
    w = normalized_weight(np.ones((3, 3)), np.arange(1.0, 4.0).reshape(3, 1))   # arrays are fine
    np.testing.assert_allclose(w.data, np.arange(1.0, 4.0).reshape(3, 1) / np.sqrt(3) * np.ones(3))


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("shape, dim", [((3, 4), 0), ((5, 2, 3, 3), 0), ((2, 3, 4), 1),
                                        ((3, 4), -1)])
def test_normalized_weight_matches_torch_weight_norm_function(torch, rng, shape, dim, backward):
    """The function form against torch._weight_norm(v, g, dim): output and both gradients."""
    v_data = rng.standard_normal(shape)
    g_data = rng.standard_normal(norm_except_dim(mg.Tensor(v_data), dim).shape)
    dw = rng.standard_normal(shape)
    v, g = mg.Tensor(v_data, requires_grad=True), mg.Tensor(g_data, requires_grad=True)
    w = normalized_weight(v, g, dim, backward)
    w.backward(dw)
    v_t, g_t = torch.tensor(v_data, requires_grad=True), torch.tensor(g_data, requires_grad=True)
    w_t = torch._weight_norm(v_t, g_t, dim)
    w_t.backward(torch.tensor(dw))
    for ours, theirs in ((w.data, w_t), (v.grad.data, v_t.grad), (g.grad.data, g_t.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=1e-12)
