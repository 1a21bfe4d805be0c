"""Tests of layers/_maths.py: the shared standardization, its closed-form backward
(against the engine differentiating the composed forward) and the speed helpers."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import Tensor
from layers._maths import Reduction, mean_of_squares, normalize, spread, standardize
from layer_helpers import MODES, check_derivatives


@st.composite
def reductions(draw):
    """A random shape with a random non-empty set of reduced axes (m >= 2)."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    axes = tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))
    if int(np.prod([shape[a] for a in axes])) < 2:
        shape = tuple(n + 1 if i == axes[0] else n for i, n in enumerate(shape))
    return shape, axes


@settings(max_examples=40, deadline=None)
@given(reductions(), st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_standardize_matches_numpy(case, centred, seed):
    shape, axes = case
    x = np.random.default_rng(seed).standard_normal(shape) * 3 + 1
    x_hat, _, _, _ = standardize(Tensor(x), Reduction(axes, centred=centred), 1e-5)
    mean = x.mean(axis=axes, keepdims=True) if centred else 0
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    np.testing.assert_allclose(x_hat.data, (x - mean) / np.sqrt(var + 1e-5), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(reductions(), st.booleans(), st.sampled_from(["none", "per_set", "per_element"]),
       st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_closed_form_backward_equals_autograd(case, centred, weight_kind, x_needs_grad, seed):
    """The one formula, over any reduction set, with weight absent, constant over
    each reduction set (BatchNorm-like) or varying inside it (LayerNorm-like)."""
    shape, axes = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 1
    dy = rng.standard_normal(shape)
    weight_shape = shape if weight_kind == "per_element" else tuple(
        1 if i in axes else n for i, n in enumerate(shape))
    params = [] if weight_kind == "none" else [rng.standard_normal(weight_shape) for _ in "wb"]
    grads = []
    for mode in MODES:
        xt = Tensor(x, requires_grad=x_needs_grad)
        ps = [Tensor(p, requires_grad=True) for p in params]
        y, _, _ = normalize(xt, *(ps or [None, None]), Reduction(axes, centred=centred), 1e-5, mode)
        if not y.requires_grad:
            grads.append([y.data])
            continue
        y.backward(dy)
        grads.append([y.data] + [t.grad.data for t in ps] + ([xt.grad.data] if x_needs_grad else []))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("affine", [False, True])
def test_grouped_view_modes_agree(affine, rng):
    """GroupNorm's (N, G, -1) view, with and without a per-channel affine."""
    x, dy = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    params = [rng.standard_normal((4, 1)) for _ in "wb"] if affine else []
    grads = []
    for mode in MODES:
        ts = [Tensor(a, requires_grad=True) for a in [x] + params]
        y, _, _ = normalize(*(ts + [None, None])[:3], Reduction((2,), view=(3, 2, -1)), 1e-5, mode)
        y.backward(dy)
        grads.append([y.data] + [t.grad.data for t in ts])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fixed", [False, True])
def test_grouped_view_gradcheck(mode, fixed, rng):
    """A (N, G, -1) view with a per-channel weight: first and second derivatives."""
    stats = (rng.standard_normal((1, 2, 1)), rng.random((1, 2, 1)) + 0.5) if fixed else None

    def f(x, w, b):
        return normalize(x, w, b, Reduction((2,), view=(2, 2, -1), fixed=stats), 1e-5, mode)[0]
    check_derivatives(f, rng.standard_normal((2, 4, 3)), rng.standard_normal((4, 1)),
                      rng.standard_normal((4, 1)))


def test_spread_changes_the_layout_not_the_values(rng):
    per_channel = rng.standard_normal((1, 3, 1, 1))
    with minigrad.no_grad():                 # as in the one-node forward and backward
        spread_out = spread(per_channel, (8, 3, 4, 5))
        assert spread(per_channel, (2, 3, 4, 5)) is per_channel      # copy would be half of x
        per_sample = rng.standard_normal((8, 1))
        assert spread(per_sample, (8, 5)) is per_sample               # would be all of x
        t = Tensor(per_channel)
        spread_tensor = spread(t, (8, 3, 4, 5))
    assert spread_out.shape == (1, 3, 4, 5) and spread_out.flags.c_contiguous
    np.testing.assert_array_equal(np.broadcast_to(spread_out, (8, 3, 4, 5)),
                                  np.broadcast_to(per_channel, (8, 3, 4, 5)))
    np.testing.assert_array_equal(spread_tensor.data, spread_out)


def test_spread_leaves_a_recorded_graph_as_the_formula(rng):
    """While a graph is recorded, spread adds no node: a drawing shows the formula."""
    t = Tensor(rng.standard_normal((1, 3, 1, 1)), requires_grad=True)
    assert spread(t, (8, 3, 4, 5)) is t
    x = Tensor(rng.standard_normal((8, 3, 4, 5)), requires_grad=True)
    x_hat, _, _, _ = standardize(x, Reduction((0, 2, 3)), 1e-5)
    with minigrad.no_grad():
        fast, _, _, _ = standardize(x.data, Reduction((0, 2, 3)), 1e-5)
    np.testing.assert_allclose(x_hat.data, fast, rtol=0, atol=1e-12)


@pytest.mark.parametrize("axes", [(0,), (0, 2, 3), (1, 3)])
def test_mean_of_squares_on_arrays_equals_the_tensor_formula(axes, rng):
    c = rng.standard_normal((3, 4, 2, 5))
    expected = (Tensor(c) * Tensor(c)).mean(axis=axes, keepdims=True).data
    np.testing.assert_allclose(mean_of_squares(c, axes), expected, rtol=1e-14, atol=0)
    np.testing.assert_allclose(mean_of_squares(Tensor(c), axes).data, expected, rtol=0, atol=0)


@pytest.mark.parametrize("fixed", [False, True])
def test_manual_second_derivatives_with_spread_coefficients(fixed, rng):
    """A batch large enough that the per-channel coefficients are spread."""
    stats = (rng.standard_normal((1, 2, 1)), rng.random((1, 2, 1)) + 0.5) if fixed else None

    def f(x, w, b):
        return normalize(x, w, b, Reduction((0, 2), fixed=stats), 1e-5, "manual")[0]
    check_derivatives(f, rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 1)),
                      rng.standard_normal((2, 1)))


def test_manual_backward_is_one_node(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y, _, _ = normalize(x, None, None, Reduction((0,)), 1e-5, "manual")
    assert y.grad_fn.name == "NormalizeBackward"
    assert all(parent.name == "AccumulateGrad" for parent, _ in
               (e for e in y.grad_fn.edges if e is not None))


def test_composed_forward_records_one_node_per_line_of_the_formula(rng):
    """mean, x - mean, its square, their mean, + eps, rsqrt, * inv_std, * weight, + bias."""
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    weight, bias = (Tensor(rng.standard_normal(4), requires_grad=True) for _ in range(2))
    y, _, _ = normalize(x, weight, bias, Reduction((0,)), 1e-5, "autograd")
    names, seen, stack = [], set(), [y.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen or node.name == "AccumulateGrad":
            continue
        seen.add(node)
        names.append(node.name)
        stack.extend(parent for parent, _ in (e for e in node.edges if e is not None))
    assert sorted(names) == sorted(["MeanBackward", "SubBackward", "SquareBackward",
                                    "MeanBackward", "AddBackward", "RsqrtBackward",
                                    "MulBackward", "MulBackward", "AddBackward"])


def test_statistics_of_float32_stay_float32(rng):
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    for mode in MODES:
        y, mean, var = normalize(x, None, None, Reduction((0,)), 1e-5, mode)
        assert y.dtype == mean.dtype == var.dtype == np.float32


@pytest.mark.parametrize("mode", MODES)
def test_unbiased_variance_of_weight_standardization(mode, rng):
    """ddof=1: var divides the sum of squares by m - 1, and the closed form's
    variance term follows; first and second derivatives in both modes."""
    w = rng.standard_normal((3, 2, 4))
    x_hat, _, var = normalize(Tensor(w), None, None, Reduction((1, 2), ddof=1), 1e-5, mode)
    np.testing.assert_allclose(var, w.var(axis=(1, 2), ddof=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(x_hat.data, (w - w.mean(axis=(1, 2), keepdims=True)) /
                               np.sqrt(w.var(axis=(1, 2), ddof=1, keepdims=True) + 1e-5),
                               rtol=0, atol=1e-14)
    check_derivatives(lambda t: normalize(t, None, None, Reduction((1, 2), ddof=1), 1e-5,
                                          mode)[0], w)
