"""indexing.py against PyTorch in float64: take_along_axis / gather and their
adjoints scatter_add / index_add (repeated indices), one_hot, masked_fill,
tril / triu, diag / diagonal / trace; errors; second derivatives; properties."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from torch_oracle import compare, compare_second, finite_differences, signed


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_take_along_axis_with_repeats(torch, rng, axis):
    x = signed(rng, (3, 4))
    idx_shape = (5, 4) if axis == 0 else (3, 6)
    idx = rng.integers(0, x.shape[axis], size=idx_shape)
    compare(torch, lambda t: mg.take_along_axis(t, idx, axis),
            lambda t: torch.take_along_dim(t, torch.tensor(idx), axis), x)
    compare_second(torch, lambda t: mg.take_along_axis(t, idx, axis) ** 2,
                   lambda t: torch.take_along_dim(t, torch.tensor(idx), axis) ** 2, x)


def test_take_along_axis_broadcasts_like_numpy(torch, rng):
    x = signed(rng, (3, 1, 4))
    idx = rng.integers(0, 4, size=(1, 2, 3))
    out = mg.take_along_axis(mg.Tensor(x), idx, 2)
    np.testing.assert_array_equal(out.data, np.take_along_axis(x, idx, 2))
    compare(torch, lambda t: mg.take_along_axis(t, idx, 2),
            lambda t: torch.take_along_dim(t, torch.tensor(idx), 2), x)


@pytest.mark.parametrize("dim", [0, 1])
def test_gather_with_a_smaller_index(torch, rng, dim):
    x = signed(rng, (4, 5))
    idx = rng.integers(0, x.shape[dim], size=(3, 2))
    compare(torch, lambda t: mg.gather(t, dim, idx),
            lambda t: torch.gather(t, dim, torch.tensor(idx)), x)


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_accumulates_repeated_indices(torch, rng, dim):
    x, src = signed(rng, (4, 5)), signed(rng, (3, 2))
    idx = rng.integers(0, x.shape[dim], size=(3, 2))            # repeats certain
    compare(torch, lambda t, s: mg.scatter_add(t, dim, idx, s),
            lambda t, s: torch.scatter_add(t, dim, torch.tensor(idx), s), x, src)
    # A src larger than index: only its leading part is read. (PyTorch 2.13's own
    # backward fails on this case, so only the values are compared.)
    big = signed(rng, (4, 6))
    np.testing.assert_allclose(
        mg.scatter_add(mg.Tensor(x), dim, idx, mg.Tensor(big)).data,
        torch.scatter_add(torch.tensor(x), dim, torch.tensor(idx), torch.tensor(big)).numpy())
    s = mg.Tensor(big, requires_grad=True)
    mg.scatter_add(mg.Tensor(x), dim, idx, s).sum().backward()
    assert s.grad.data[:3, :2].tolist() == [[1.0] * 2] * 3 and s.grad.data.sum() == 6


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add(torch, rng, dim):
    x = signed(rng, (3, 4))
    n = 5
    idx = rng.integers(0, x.shape[dim], size=n)
    src_shape = list(x.shape)
    src_shape[dim] = n
    src = signed(rng, tuple(src_shape))
    compare(torch, lambda t, s: mg.index_add(t, dim, idx, s),
            lambda t, s: torch.index_add(t, dim, torch.tensor(idx), s), x, src)
    compare(torch, lambda t, s: mg.index_add(t, dim, idx, s, alpha=2.5),
            lambda t, s: torch.index_add(t, dim, torch.tensor(idx), s, alpha=2.5), x, src)


def test_one_hot_like_torch(torch):
    labels = np.array([[0, 2], [3, 1]])
    ours = mg.nn.functional.one_hot(mg.Tensor(labels))
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data,
                                  torch.nn.functional.one_hot(torch.tensor(labels)).numpy())
    np.testing.assert_array_equal(
        mg.nn.functional.one_hot(labels, 6).data,
        torch.nn.functional.one_hot(torch.tensor(labels), 6).numpy())
    with pytest.raises(ValueError, match=r"one_hot: class values must lie in \[0, 3\)"):
        mg.nn.functional.one_hot(labels, 3)
    with pytest.raises(TypeError, match="one_hot: indices must be integers"):
        mg.nn.functional.one_hot(np.array([0.0, 1.0]))


def test_masked_fill(torch, rng):
    x = signed(rng, (3, 4))
    mask = rng.random((3, 4)) < 0.5
    row_mask = np.array([True, False, False, True])
    compare(torch, lambda t: mg.masked_fill(t, mask, -1e9),
            lambda t: t.masked_fill(torch.tensor(mask), -1e9), x)
    compare(torch, lambda t: mg.masked_fill(t, row_mask, float("-inf")),
            lambda t: t.masked_fill(torch.tensor(row_mask), float("-inf")), x)
    compare(torch, lambda t, v: mg.masked_fill(t, mask, v),
            lambda t, v: t.masked_fill(torch.tensor(mask), v), x, np.array(0.5))
    assert mg.masked_fill(mg.Tensor(x.astype(np.float32)), mask, 2.0).dtype == np.float32
    with pytest.raises(TypeError, match="masked_fill: mask must be boolean"):
        mg.masked_fill(mg.Tensor(x), mask.astype(int), 0.0)
    with pytest.raises(ValueError, match=r"masked_fill: mask of shape \(2, 3, 4\) does not"):
        mg.masked_fill(mg.Tensor(x), np.ones((2, 3, 4), bool), 0.0)


@pytest.mark.parametrize("k", [-1, 0, 2])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 4, 3)], ids=str)
def test_tril_triu(torch, rng, shape, k):
    x = signed(rng, shape)
    compare(torch, lambda t: mg.tril(t, k), lambda t: torch.tril(t, k), x)
    compare(torch, lambda t: mg.triu(t, k), lambda t: torch.triu(t, k), x)


def test_tril_keeps_dtype_and_masks_infinities(torch):
    ints = np.arange(9).reshape(3, 3)
    assert mg.tril(mg.Tensor(ints)).dtype == np.int64
    x = np.full((3, 3), -np.inf)
    np.testing.assert_array_equal(mg.triu(mg.Tensor(x), 1).data, torch.triu(torch.tensor(x), 1))
    with pytest.raises(ValueError, match=r"tril: needs at least 2 dimensions, got shape \(3,\)"):
        mg.tril(mg.Tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 3])
def test_diagonal_diag_trace(torch, rng, offset):
    x = signed(rng, (3, 4))
    compare(torch, lambda t: mg.diagonal(t, offset), lambda t: torch.diagonal(t, offset), x)
    compare(torch, lambda t: mg.diag(t, offset), lambda t: torch.diag(t, offset), x)
    compare(torch, lambda t: mg.trace(t, offset),
            lambda t: torch.diagonal(t, offset).sum(), x)
    v = signed(rng, (3,))
    compare(torch, lambda t: mg.diag(t, offset), lambda t: torch.diag(t, offset), v)


def test_diagonal_of_other_axes_and_trace_like_torch(torch, rng):
    x = signed(rng, (2, 3, 4))
    compare(torch, lambda t: mg.diagonal(t, 1, 2, 0), lambda t: torch.diagonal(t, 1, 2, 0), x)
    compare(torch, lambda t: mg.diagonal(t, 0, -1, -2), lambda t: torch.diagonal(t, 0, -1, -2), x)
    compare(torch, mg.trace, torch.trace, x[0])
    with pytest.raises(ValueError, match="diagonal: axis1 and axis2 must differ"):
        mg.diagonal(mg.Tensor(x), 0, 1, -2)
    with pytest.raises(ValueError, match=r"diag: needs a 1-D or 2-D input"):
        mg.diag(mg.Tensor(x))


def test_index_errors_name_the_operation():
    x = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"take_along_axis: indices must lie in \[-3, 3\)"):
        mg.take_along_axis(x, np.array([[5], [0]]), 1)
    with pytest.raises(TypeError, match="gather: indices must be integers"):
        mg.gather(x, 1, np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"gather: index of shape \(3, 1\) is larger"):
        mg.gather(x, 1, np.zeros((3, 1), int))
    with pytest.raises(ValueError, match=r"take_along_axis: indices of shape \(3,\) must have"):
        mg.take_along_axis(x, np.zeros(3, int), 1)
    with pytest.raises(ValueError, match=r"index_add: index must be 1-D and source of shape"):
        mg.index_add(x, 0, np.array([0, 1]), mg.Tensor(np.ones((2, 4))))
    with pytest.raises(IndexError, match=r"scatter_add: indices must lie in \[0, 2\) for axis 0"):
        mg.scatter_add(x, 0, np.array([[2]]), mg.Tensor(np.ones((1, 1))))


EXAMPLES = settings(max_examples=25, deadline=None, database=None)


@EXAMPLES
@given(st.data())
def test_property_take_and_add_along_axis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = data.draw(st.integers(0, len(shape) - 1))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    idx_shape = shape[:axis] + (data.draw(st.integers(1, 4)),) + shape[axis + 1:]
    idx = data.draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(0, shape[axis] - 1)))
    src = data.draw(hnp.arrays(np.float64, idx_shape, elements=st.floats(-2, 2)))
    finite_differences(lambda t: mg.take_along_axis(t, idx, axis), [x])
    finite_differences(lambda t, s: mg.scatter_add(t, axis, idx, s), [x, src])
