"""nn/sparse.py: dropout (train/eval, p, a seeded generator, the gradient through
the same mask), embedding (repeated rows, padding_idx) against PyTorch, and pad
in PyTorch's four modes, values and gradients."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from torch_oracle import compare, signed


def test_dropout_train_eval_and_statistics(rng):
    x = mg.Tensor(np.ones((200, 100)), requires_grad=True)
    y = F.dropout(x, 0.3, generator=np.random.default_rng(1))
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    y.backward(np.full(y.shape, 2.0))
    np.testing.assert_allclose(x.grad.data, np.where(kept, 2 / 0.7, 0.0))
    assert F.dropout(x, 0.3, training=False) is x
    assert np.array_equal(F.dropout(x, 1.0).data, np.zeros((200, 100)))
    assert np.array_equal(F.dropout(x, 0.0).data, x.data)


def test_dropout_is_reproducible_with_a_seed():
    x = mg.Tensor(np.ones((4, 5)))
    a = F.dropout(x, 0.5, generator=np.random.default_rng(7)).data
    b = F.dropout(x, 0.5, generator=np.random.default_rng(7)).data
    assert np.array_equal(a, b)
    mg.manual_seed(3)
    c = mg.nn.Dropout(0.5)(x).data
    mg.manual_seed(3)
    assert np.array_equal(mg.nn.Dropout(0.5)(x).data, c)
    module = mg.nn.Dropout(0.5)
    module.eval()
    assert np.array_equal(module(x).data, x.data)
    assert F.dropout(mg.Tensor(np.ones(3, np.float32)), 0.5).dtype == np.float32
    with pytest.raises(ValueError, match=r"dropout: p must be in \[0.0, 1.0\], got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(TypeError, match="dropout: generator must be a numpy Generator"):
        F.dropout(x, 0.5, generator=3)


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_like_torch(torch, rng, padding_idx):
    weight = signed(rng, (5, 3))
    idx = np.array([[0, 2, 2], [4, 1, 2]])               # row 2 used three times
    compare(torch, lambda w: F.embedding(idx, w, padding_idx),
            lambda w: torch.nn.functional.embedding(torch.tensor(idx), w, padding_idx), weight)


def test_embedding_module_and_state_dict(torch):
    mg.manual_seed(0)
    ours = mg.nn.Embedding(6, 4, padding_idx=1)
    theirs = torch.nn.Embedding(6, 4, padding_idx=1)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert np.array_equal(ours.weight.data[1], np.zeros(4)) and ours.weight.shape == (6, 4)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([1, 5, 0])
    np.testing.assert_allclose(ours(idx).data, theirs(torch.tensor(idx)).detach().numpy())
    for bad in (6, -1):                     # PyTorch refuses negative indices too
        with pytest.raises(IndexError, match=r"embedding: indices must lie in \[0, 6\)"):
            ours(np.array([bad]))
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        ours(np.array([1.0]))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("widths", [(1, 2), (2, 1, 1, 0), (0, 0, 2, 1)], ids=str)
def test_pad_modes_like_torch(torch, rng, mode, widths):
    x = signed(rng, (2, 3, 4))
    compare(torch, lambda t: F.pad(t, widths, mode), lambda t: torch.nn.functional.pad(
        t, widths, mode=mode), x)
    if mode == "constant":
        compare(torch, lambda t: F.pad(t, widths, value=1.5),
                lambda t: torch.nn.functional.pad(t, widths, value=1.5), x)


def test_pad_errors_name_pad():
    x = mg.Tensor(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"pad: reflect padding \(3, 0\) of axis 2 must be less"):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(ValueError, match="pad: mode must be"):
        F.pad(x, (1, 1), "wrap")
    with pytest.raises(ValueError, match="pad: pad must be pairs of non-negative ints"):
        F.pad(x, (1,))


def test_hyper_parameters_are_checked_by_name():
    x = mg.Tensor(np.ones(3))
    with pytest.raises(TypeError, match="dropout: p must be a real number, got str"):
        F.dropout(x, "0.5")
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a real number"):
        F.leaky_relu(x, None)
    with pytest.raises(ValueError, match="softplus: beta must be > 0.0"):
        F.softplus(x, beta=0)
    with pytest.raises(TypeError, match="tril: the diagonal offset k must be integers"):
        mg.tril(mg.Tensor(np.ones((2, 2))), 0.5)
    with pytest.raises(TypeError, match="diagonal: offset must be integers"):
        mg.diagonal(mg.Tensor(np.ones((2, 2))), 0.5)
    with pytest.raises(TypeError, match="one_hot: num_classes must be integers"):
        F.one_hot(np.array([0, 1]), 2.5)
