"""arrange.py against PyTorch (and NumPy where PyTorch has no such function) in
float64: flip, roll, repeat / repeat_interleave, tile, split / array_split /
chunk, moveaxis, vstack / hstack, a tensor built from a list of tensors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from torch_oracle import compare, finite_differences, signed


@pytest.mark.parametrize("axis, dims", [(None, (0, 1, 2)), (0, (0,)), (-1, (2,)), ((0, 2), (0, 2))],
                         ids=str)
def test_flip(torch, rng, axis, dims):
    compare(torch, lambda t: mg.flip(t, axis), lambda t: torch.flip(t, dims), signed(rng, (2, 3, 4)))


@pytest.mark.parametrize("shift, axis", [(1, 0), (-2, 1), (5, -1), ((1, 2), (0, 1)), (3, None),
                                         (0, 1)], ids=str)
def test_roll(torch, rng, shift, axis):
    compare(torch, lambda t: mg.roll(t, shift, axis), lambda t: torch.roll(t, shift, axis),
            signed(rng, (3, 4)))


@pytest.mark.parametrize("repeats, axis", [(2, 0), (3, 1), (2, None), ([1, 0, 3], 0), ([2], -1)],
                         ids=str)
def test_repeat_is_torch_repeat_interleave(torch, rng, repeats, axis):
    x = signed(rng, (3, 3))
    reps = torch.tensor(repeats) if isinstance(repeats, list) else repeats
    compare(torch, lambda t: mg.repeat(t, repeats, axis),
            lambda t: torch.repeat_interleave(t, reps, axis), x)
    compare(torch, lambda t: mg.repeat_interleave(t, repeats, axis),
            lambda t: torch.repeat_interleave(t, reps, axis), x)


@pytest.mark.parametrize("reps", [2, (2, 1), (1, 3), (2, 2, 2), (0, 2)], ids=str)
def test_tile_is_torch_tensor_repeat(torch, rng, reps):
    x = signed(rng, (2, 3))
    sizes = (reps,) if isinstance(reps, int) else reps
    sizes = (1,) * (2 - len(sizes)) + sizes
    compare(torch, lambda t: mg.tile(t, reps), lambda t: t.repeat(*sizes), x)
    np.testing.assert_array_equal(mg.tile(mg.Tensor(x), reps).data, np.tile(x, reps))


def _stacked(pieces):
    return mg.concatenate([p.reshape(-1) for p in pieces])


def test_split_array_split_chunk(torch, rng):
    x = signed(rng, (7, 4))
    for k in (1, 3, 7, 9):
        ours = mg.chunk(mg.Tensor(x), k, 0)
        theirs = torch.chunk(torch.tensor(x), k, 0)
        assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs], k
        compare(torch, lambda t: _stacked(mg.chunk(t, k, 0)),
                lambda t: torch.cat([p.reshape(-1) for p in torch.chunk(t, k, 0)]), x)
    for how in (3, [2, 5], [-3], [0, 10]):
        ours = mg.array_split(mg.Tensor(x), how, 0)
        theirs = np.array_split(x, how, 0)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.data, b)
    pieces = mg.split(mg.Tensor(x, requires_grad=True), 2, 1)
    assert [p.shape for p in pieces] == [(7, 2), (7, 2)]
    with pytest.raises(ValueError, match="split: 3 sections do not divide axis 0 of length 7"):
        mg.split(mg.Tensor(x), 3)
    with pytest.raises(ValueError, match="chunk: chunks must be a positive int"):
        mg.chunk(mg.Tensor(x), 0)


def test_split_by_indices_sends_gradients_to_each_piece(torch, rng):
    x = signed(rng, (2, 6))
    compare(torch, lambda t: _stacked(mg.split(t, [1, 4], 1)),
            lambda t: torch.cat([p.reshape(-1) for p in torch.tensor_split(t, [1, 4], 1)]), x)


@pytest.mark.parametrize("source, destination", [(0, -1), (-1, 0), ((0, 1), (2, 0)), (1, 1)],
                         ids=str)
def test_moveaxis(torch, rng, source, destination):
    x = signed(rng, (2, 3, 4))
    compare(torch, lambda t: mg.moveaxis(t, source, destination),
            lambda t: torch.movedim(t, source, destination), x)


def test_vstack_hstack(torch, rng):
    a, b = signed(rng, (3,)), signed(rng, (3,))
    compare(torch, lambda s, t: mg.vstack([s, t]), lambda s, t: torch.vstack([s, t]), a, b)
    compare(torch, lambda s, t: mg.hstack([s, t]), lambda s, t: torch.hstack([s, t]), a, b)
    m, n = signed(rng, (2, 3)), signed(rng, (2, 1))
    compare(torch, lambda s, t: mg.hstack([s, t]), lambda s, t: torch.hstack([s, t]), m, n)
    compare(torch, lambda s, t: mg.vstack([s, t]), lambda s, t: torch.vstack([s, t]), m, a)
    with pytest.raises(ValueError, match="vstack: need at least one tensor"):
        mg.vstack([])


def test_a_tensor_from_a_list_of_tensors_like_torch(torch):
    # torch.tensor([...]) copies the values into a new leaf; mg.stack keeps the graph.
    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    built = mg.tensor([a * 2, a * 3])
    assert built.shape == (2, 2) and built.is_leaf and not built.requires_grad
    np.testing.assert_array_equal(built.data, [[2.0, 4.0], [3.0, 6.0]])
    np.testing.assert_array_equal(mg.tensor([mg.tensor(1.0), mg.tensor(2.0)]).data, [1.0, 2.0])
    mg.stack([a * 2, a * 3]).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [5.0, 5.0])


def test_errors_name_the_operation():
    x = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="flip: axis 2 is out of range"):
        mg.flip(x, 2)
    with pytest.raises(ValueError, match="repeat: repeats must be a non-negative int or one per"):
        mg.repeat(x, [1, 2], 1)
    with pytest.raises(ValueError, match="roll: got 2 shifts for 3 axes"):
        mg.roll(x, (1, 2), (0, 1, 1))
    with pytest.raises(ValueError, match="tile: reps must be non-negative"):
        mg.tile(x, -1)
    with pytest.raises(ValueError, match="moveaxis: repeated axis"):
        mg.moveaxis(x, (0, 0), (0, 1))


EXAMPLES = settings(max_examples=20, deadline=None, database=None)


@EXAMPLES
@given(st.data())
def test_property_rearrangements(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shift = data.draw(st.integers(-4, 4))
    reps = data.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3))
    finite_differences(lambda t: mg.roll(t, shift, axis) * mg.flip(t, axis), [x])
    finite_differences(lambda t: mg.repeat(t, 2, axis) ** 2, [x])
    finite_differences(lambda t: mg.tile(t, reps) ** 2, [x])
