"""LayerNorm and layer_norm against PyTorch (float64), in both backward modes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad import Tensor
from layers import LayerNorm
from layers.functional import layer_norm
from layer_helpers import (
    MODES, assert_close, check_derivatives, check_float32, check_function_against_torch,
    check_large_offset, check_load_torch_state, check_modes_agree, run_side_by_side,
)

VARIANTS = [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}]
CASES = [
    (4, [(3, 4), (2, 5, 4), (4,)]),
    ((3, 4), [(2, 3, 4), (3, 4), (2, 2, 3, 4)]),
    ([2, 2, 3], [(2, 2, 2, 3)]),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kwargs", VARIANTS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
@pytest.mark.parametrize("normalized_shape, shapes", CASES, ids=str)
def test_matches_pytorch(torch, normalized_shape, shapes, kwargs, mode, rng):
    ours = LayerNorm(normalized_shape, backward=mode, **kwargs)
    theirs = torch.nn.LayerNorm(normalized_shape, **kwargs)
    # Random affine parameters, so per-element weight and bias are really exercised.
    if ours.weight is not None:
        ours.load_state_dict({k: rng.standard_normal(v.shape) for k, v in ours.state_dict().items()})
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    run_side_by_side(ours, theirs, torch, shapes, rng, train_steps=2)


def test_initial_state(torch):
    ln = LayerNorm((2, 3))
    assert list(ln.state_dict()) == list(torch.nn.LayerNorm((2, 3)).state_dict())
    assert ln.weight.shape == ln.bias.shape == (2, 3)
    np.testing.assert_array_equal(ln.weight.data, np.ones((2, 3)))
    np.testing.assert_array_equal(ln.bias.data, np.zeros((2, 3)))
    assert ln.normalized_shape == (2, 3) and LayerNorm(5).normalized_shape == (5,)
    assert list(LayerNorm(3, bias=False).state_dict()) == ["weight"]
    assert list(LayerNorm(3, elementwise_affine=False).state_dict()) == []
    assert list(LayerNorm(3).buffers()) == []


@pytest.mark.parametrize("mode", MODES)
def test_load_pytorch_state_dict(torch, mode, rng):
    check_load_torch_state(LayerNorm(6, backward=mode), torch.nn.LayerNorm(6), torch,
                           (2, 3, 6), rng)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 3),
       st.integers(0, 2 ** 31 - 1))
def test_autograd_and_manual_agree(shape, k, seed):
    normalized = tuple(shape[-min(k, len(shape)):])
    if int(np.prod(normalized)) < 2:
        normalized = normalized[:-1] + (normalized[-1] + 1,)
        shape = shape[:-1] + [normalized[-1]]
    check_modes_agree(lambda mode: LayerNorm(normalized, backward=mode), tuple(shape),
                      np.random.default_rng(seed))


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_and_gradgradcheck(mode, rng):
    def f(x, w, b):
        return layer_norm(x, 3, w, b, backward=mode)
    check_derivatives(f, rng.standard_normal((2, 3, 3)), rng.standard_normal(3),
                      rng.standard_normal(3))


@pytest.mark.parametrize("mode", MODES)
def test_float32_in_float32_out(mode, rng):
    check_float32(LayerNorm(4, backward=mode), (3, 4), rng)


@pytest.mark.parametrize("mode", MODES)
def test_large_offset_normalises(torch, mode, rng):
    y, spread = check_large_offset(LayerNorm(40, backward=mode), (3, 40), rng,
                                   torch.nn.LayerNorm(40), torch)
    centred = spread - spread.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(y.data, centred / np.sqrt(centred.var(axis=1, keepdims=True) + 1e-5),
                               atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_functional_matches_pytorch(torch, mode, rng):
    check_function_against_torch(
        lambda x, w, b: layer_norm(x, (3, 4), w, b, 1e-3, backward=mode),
        lambda x, w, b: torch.nn.functional.layer_norm(x, (3, 4), w, b, 1e-3), torch,
        [rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))],
        rng)
    check_function_against_torch(lambda x: layer_norm(x, 4, backward=mode),
                                 lambda x: torch.nn.functional.layer_norm(x, (4,)), torch,
                                 [rng.standard_normal((2, 3, 4))], rng)


def test_bad_inputs_raise_valueerror_naming_the_layer():
    with pytest.raises(ValueError, match=r"LayerNorm expected input with trailing dimensions \(3, 4\), got input of shape \(2, 4, 3\)"):
        LayerNorm((3, 4))(Tensor(np.zeros((2, 4, 3))))
    with pytest.raises(ValueError, match=r"LayerNorm expected input with trailing dimensions \(3, 4\), got input of shape \(4,\)"):
        LayerNorm((3, 4))(Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape \(4,\), got shape \(3,\)"):
        layer_norm(Tensor(np.zeros((2, 4))), 4, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        LayerNorm(3, backward="closed-form")
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm(0)
