"""more_reductions.py and sorting.py against PyTorch in float64: cumsum, cumprod,
prod (with one and with several zeros), logsumexp, norm, all/any, argmax/argmin,
sort/argsort/topk (ties, nan, descending), empty axes, integers; finite-difference
properties over random shapes and axes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from torch_oracle import compare, compare_second, finite_differences, signed

SHAPES_AXES = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1)]


@pytest.mark.parametrize("shape, axis", SHAPES_AXES, ids=str)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_sum_and_product(torch, rng, name, shape, axis):
    compare(torch, lambda t: getattr(mg, name)(t, axis), lambda t: getattr(torch, name)(t, axis),
            signed(rng, shape))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_over_the_flattened_tensor(torch, rng, name):
    compare(torch, lambda t: getattr(mg, name)(t),
            lambda t: getattr(torch, name)(t.flatten(), 0), signed(rng, (2, 3)))


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 3.0, 0.0], [1.5, 2.0, 3.0, 0.0],
                               [0.0, 0.0, 0.0, 2.0], [2.0, -1.0, 0.5, 3.0]], ids=str)
def test_cumprod_and_prod_with_zeros(torch, x):
    x = np.array(x)
    compare(torch, lambda t: mg.cumprod(t, 0), lambda t: torch.cumprod(t, 0), x)
    compare(torch, mg.prod, torch.prod, x)
    compare_second(torch, lambda t: mg.cumprod(t, 0), lambda t: torch.cumprod(t, 0), x)
    compare_second(torch, mg.prod, torch.prod, x)


def test_prod_with_one_and_several_zeros_per_row(torch):
    x = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 5.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    for axis in (0, 1, -1):
        for keepdims in (False, True):
            compare(torch, lambda t: mg.prod(t, axis, keepdims),
                    lambda t: torch.prod(t, axis, keepdim=keepdims), x)
    compare(torch, mg.prod, torch.prod, x[:2])


@pytest.mark.parametrize("axis", [None, (0, 2), (1, 2), (0, 1, 2)], ids=str)
def test_prod_over_several_axes(torch, rng, axis):
    x = signed(rng, (2, 3, 2))
    x[1, 1, 0] = 0.0

    def torch_prod(t):
        for a in sorted(range(3) if axis is None else axis, reverse=True):
            t = torch.prod(t, a)
        return t
    compare(torch, lambda t: mg.prod(t, axis), torch_prod, x)


def test_empty_axes():
    x = mg.Tensor(np.zeros((2, 0)), requires_grad=True)
    assert np.array_equal(mg.prod(x, 1).data, [1.0, 1.0])
    assert mg.prod(x, 0).shape == (0,) and mg.cumsum(x, 1).shape == (2, 0)
    mg.prod(x, 1).sum().backward()
    assert x.grad.shape == (2, 0)
    assert np.array_equal(mg.logsumexp(x, 1).data, [-np.inf, -np.inf])
    assert np.array_equal(mg.norm(x, axis=1).data, [0.0, 0.0])
    assert mg.all(x).item() is True and mg.any(x).item() is False
    for fn in (mg.argmax, mg.argmin):
        with pytest.raises(ValueError, match=f"{fn.__name__}: cannot take .* empty axis"):
            fn(x, 1)
    assert mg.argmax(x, 0).shape == (0,)
    assert mg.sort(x, 1).shape == (2, 0)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 1), False)],
                         ids=str)
def test_logsumexp(torch, rng, axis, keepdims):
    x = signed(rng, (3, 4)) * 300        # exp would overflow without the shift
    dim = (0, 1) if axis is None else axis
    compare(torch, lambda t: mg.logsumexp(t, axis, keepdims),
            lambda t: torch.logsumexp(t, dim, keepdim=keepdims), x)


def test_logsumexp_with_infinities(torch):
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 2.0]])
    np.testing.assert_array_equal(mg.logsumexp(mg.Tensor(x), 1).data,
                                  torch.logsumexp(torch.tensor(x), 1).numpy())
    compare(torch, lambda t: mg.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x[2:])


@pytest.mark.parametrize("ord", [None, 2, 1, 3, 1.5, np.inf, -np.inf, 0], ids=str)
@pytest.mark.parametrize("axis", [None, 0, -1], ids=str)
def test_vector_norms(torch, rng, ord, axis):
    x = signed(rng, (3, 4)) if axis is not None else signed(rng, (5,))
    compare(torch, lambda t: mg.norm(t, ord, axis),
            lambda t: torch.linalg.vector_norm(t, 2 if ord is None else ord, axis), x)


def test_frobenius_norm_and_zero_vectors(torch, rng):
    x = signed(rng, (2, 3, 4))
    compare(torch, lambda t: mg.norm(t, "fro", (1, 2)),
            lambda t: torch.linalg.matrix_norm(t, "fro"), x)
    compare(torch, lambda t: mg.norm(t, axis=(1, 2), keepdims=True),
            lambda t: torch.linalg.matrix_norm(t, "fro", keepdim=True), x)
    compare(torch, mg.norm, lambda t: torch.linalg.matrix_norm(t, "fro"), x[0])
    zeros = np.zeros((2, 3))
    zeros[1] = [1.0, -2.0, 0.0]
    for ord in (None, 1, 3):
        compare(torch, lambda t: mg.norm(t, ord, 1),
                lambda t: torch.linalg.vector_norm(t, 2 if ord is None else ord, 1), zeros)
    with pytest.raises(ValueError, match="norm: of the matrix norms only"):
        mg.norm(mg.Tensor(x[0]), 2)
    with pytest.raises(ValueError, match="norm: ord='fro' is a matrix norm"):
        mg.norm(mg.Tensor(x[0, 0]), "fro")


def test_all_any_like_torch(torch):
    x = np.array([[0.0, 1.0, np.nan], [2.0, 3.0, -1.0]])
    for name in ("all", "any"):
        for axis in (None, 0, 1):
            ours = getattr(mg, name)(mg.Tensor(x, requires_grad=True), axis)
            t = torch.tensor(x)
            theirs = getattr(torch, name)(t) if axis is None else getattr(torch, name)(t, axis)
            assert ours.dtype == np.bool_ and not ours.requires_grad
            np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert mg.any(mg.Tensor([0, 0, 3]), keepdims=True).shape == (1,)


def test_argmax_argmin_ties_nan_and_keepdims_like_torch(torch):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0], [0.0, np.nan, 5.0, np.nan]])
    t = torch.tensor(x)
    for name in ("argmax", "argmin"):
        fn, torch_fn = getattr(mg, name), getattr(torch, name)
        np.testing.assert_array_equal(fn(mg.Tensor(x)).data, torch_fn(t).numpy())
        for axis in (0, 1, -1):
            ours = fn(mg.Tensor(x), axis, keepdims=True)
            assert ours.dtype == np.int64
            np.testing.assert_array_equal(ours.data, torch_fn(t, axis, keepdim=True).numpy())
    ints = np.array([3, 7, 7, 1])
    assert mg.argmax(mg.Tensor(ints)).item() == 1 and mg.argmin(mg.Tensor(ints)).item() == 3


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_sort_with_ties_like_torch(torch, axis, descending):
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.5, 0.5, 0.5, -1.0, 4.0], [2.0, 1.0, 2.0, 1.0, 0.0]])
    compare(torch, lambda t: mg.sort(t, axis, descending),
            lambda t: torch.sort(t, dim=axis, descending=descending, stable=True).values, x)
    np.testing.assert_array_equal(
        mg.argsort(mg.Tensor(x), axis, descending).data,
        torch.sort(torch.tensor(x), dim=axis, descending=descending, stable=True).indices.numpy())


def test_sort_nan_and_inf_like_torch(torch):
    x = np.array([2.0, np.nan, -np.inf, 1.0, np.inf, np.nan])
    for descending in (False, True):
        t = torch.sort(torch.tensor(x), descending=descending, stable=True)
        np.testing.assert_array_equal(mg.sort(mg.Tensor(x), descending=descending).data,
                                      t.values.numpy())
        np.testing.assert_array_equal(mg.argsort(mg.Tensor(x), descending=descending).data,
                                      t.indices.numpy())


def test_sort_flattened_and_integers():
    x = mg.Tensor(np.array([[3, 1], [2, 0]]))
    assert mg.sort(x, axis=None).data.tolist() == [0, 1, 2, 3]
    assert mg.sort(x).dtype == np.int64 and mg.argsort(x, axis=None).data.tolist() == [3, 1, 2, 0]


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("axis", [0, -1])
def test_topk_without_ties_like_torch(torch, rng, largest, axis):
    x = rng.permutation(20).reshape(4, 5).astype(float)
    compare(torch, lambda t: mg.topk(t, 3, axis, largest).values,
            lambda t: torch.topk(t, 3, axis, largest).values, x)
    np.testing.assert_array_equal(mg.topk(mg.Tensor(x), 3, axis, largest).indices.data,
                                  torch.topk(torch.tensor(x), 3, axis, largest).indices.numpy())


def test_topk_with_ties(torch):
    # PyTorch does not say which of equal values topk takes ([2, 4] here on the CPU);
    # minigrad takes the first ones. The values and the gradient's total agree.
    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    values, indices = mg.topk(mg.Tensor(x, requires_grad=True), 2)
    np.testing.assert_array_equal(values.data, torch.topk(torch.tensor(x), 2).values.numpy())
    assert indices.data.tolist() == [1, 2]
    xt = mg.Tensor(x, requires_grad=True)
    mg.topk(xt, 2).values.sum().backward()
    assert xt.grad.data.tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match=r"topk: k must be an int from 0 to 5"):
        mg.topk(mg.Tensor(x), 6)


def test_errors_name_the_operation():
    x = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of range"):
        mg.cumsum(x, 2)
    with pytest.raises(ValueError, match=r"prod: axis -3 is out of range"):
        mg.prod(x, -3)
    with pytest.raises(ValueError, match=r"norm: ord must be"):
        mg.norm(x, ord=0.5, axis=1)


def test_float32_stays_float32(rng):
    x = mg.Tensor(signed(rng, (3, 4)).astype(np.float32), requires_grad=True)
    for fn in (lambda t: mg.cumsum(t, 1), lambda t: mg.cumprod(t, 0), mg.prod, mg.logsumexp,
               mg.norm, lambda t: mg.norm(t, 1, 1), lambda t: mg.sort(t, 0),
               lambda t: mg.topk(t, 2).values):
        y = fn(x)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32
        x.grad = None


# ----------------------------------------------------------------------------
# Finite-difference properties over random shapes and axes
# ----------------------------------------------------------------------------

EXAMPLES = settings(max_examples=25, deadline=None, database=None)


@st.composite
def array_and_axis(draw, low=-2.0, high=2.0):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False)))
    return x, draw(st.integers(-len(shape), len(shape) - 1))


@EXAMPLES
@given(array_and_axis())
def test_property_running_ops_and_prod(case):
    x, axis = case
    finite_differences(lambda t: mg.cumsum(t, axis), [x])
    finite_differences(lambda t: mg.cumprod(t, axis), [x])
    finite_differences(lambda t: mg.prod(t, axis), [x])


@EXAMPLES
@given(array_and_axis())
def test_property_logsumexp_norm_sort(case):
    x, axis = case
    finite_differences(lambda t: mg.logsumexp(t, axis), [x])
    x = x + np.sign(x) * 0.1 + (x == 0) * 0.1              # away from the kink at 0
    finite_differences(lambda t: mg.norm(t, axis=axis), [x])
    x = x + np.arange(x.size).reshape(x.shape) * 1e-3       # no ties: sort is smooth
    finite_differences(lambda t: mg.sort(t, axis), [x])


def test_second_derivatives_of_logsumexp_norm_sort(torch, rng):
    x = signed(rng, (3, 4))
    compare_second(torch, lambda t: mg.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x)
    compare_second(torch, lambda t: mg.norm(t, axis=0), lambda t: torch.linalg.vector_norm(t, 2, 0),
                   x)
    compare_second(torch, lambda t: mg.norm(t, 3, 1), lambda t: torch.linalg.vector_norm(t, 3, 1),
                   x)
    compare_second(torch, lambda t: mg.sort(t, 1) ** 2,
                   lambda t: torch.sort(t, dim=1, stable=True).values ** 2, x)


def test_thousands_of_zeros_in_one_slice(torch):
    # The zeros are peeled off one by one in a loop: no RecursionError however many.
    x = np.r_[2.0, 0.0, 3.0, np.zeros(1200), 4.0]
    compare(torch, lambda t: mg.cumprod(t, 0), lambda t: torch.cumprod(t, 0), x)
    compare(torch, mg.prod, torch.prod, x[:1300])


def test_a_float32_sum_over_every_axis_is_as_accurate_as_numpys():
    # One pairwise np.sum: adding row after row would be 500x further off here.
    rng = np.random.default_rng(0)
    a = rng.random((100000, 4)).astype(np.float32)
    exact = a.astype(np.float64).sum()
    for total in (mg.Tensor(a).sum().data, mg.Tensor(a).mean().data * a.size):
        assert abs(float(total) - exact) / exact <= 4 * abs(float(a.sum()) - exact) / exact + 1e-8
