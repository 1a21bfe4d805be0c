"""RMSNorm and rms_norm against PyTorch (float64), in both backward modes."""
import numpy as np
import pytest

from minigrad import Tensor
from layers import RMSNorm
from layers.functional import rms_norm
from layer_helpers import (
    MODES, assert_close, check_derivatives, check_float32, check_function_against_torch,
    check_load_torch_state, check_modes_agree, run_side_by_side,
)

CASES = [
    (4, [(3, 4), (2, 5, 4), (4,)]),
    ((2, 3), [(2, 2, 3), (2, 3)]),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kwargs", [{}, {"eps": 1e-3}, {"elementwise_affine": False}],
                         ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
@pytest.mark.parametrize("normalized_shape, shapes", CASES, ids=str)
def test_matches_pytorch(torch, normalized_shape, shapes, kwargs, mode, rng):
    ours = RMSNorm(normalized_shape, backward=mode, **kwargs)
    theirs = torch.nn.RMSNorm(normalized_shape, **kwargs)
    if ours.weight is not None:
        w = rng.standard_normal(ours.weight.shape) + 1
        ours.load_state_dict({"weight": w})
        theirs.load_state_dict({"weight": torch.tensor(w)})
    run_side_by_side(ours, theirs, torch, shapes, rng, train_steps=2)


def test_initial_state(torch):
    norm = RMSNorm((2, 3))
    assert list(norm.state_dict()) == list(torch.nn.RMSNorm((2, 3)).state_dict()) == ["weight"]
    np.testing.assert_array_equal(norm.weight.data, np.ones((2, 3)))
    assert norm.eps is None
    assert list(RMSNorm(3, elementwise_affine=False).state_dict()) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eps_none_is_the_machine_epsilon_of_the_input(torch, dtype, rng):
    """Each dtype matches PyTorch, and only with its own predicted eps."""
    x = (rng.standard_normal((3, 4)) * 1e-4).astype(dtype)      # small: eps matters
    torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
    theirs = torch.nn.RMSNorm(4, dtype=torch_dtype)(torch.tensor(x)).detach().numpy()
    assert RMSNorm(4)(Tensor(x)).dtype == dtype
    np.testing.assert_allclose(RMSNorm(4)(Tensor(x)).data, theirs, rtol=1e-5 if dtype == np.float32 else 1e-12)
    other = float(np.finfo(np.float64 if dtype == np.float32 else np.float32).eps)
    assert not np.allclose(RMSNorm(4, eps=other)(Tensor(x)).data, theirs, rtol=1e-5, atol=0)


def test_zero_input_gives_zero(rng):
    for mode in MODES:
        x = Tensor(np.zeros((2, 3)), requires_grad=True)
        y = RMSNorm(3, backward=mode)(x)
        y.backward(np.ones((2, 3)))
        assert np.all(y.data == 0) and np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("mode", MODES)
def test_load_pytorch_state_dict(torch, mode, rng):
    check_load_torch_state(RMSNorm(5, backward=mode), torch.nn.RMSNorm(5), torch, (3, 5), rng)


@pytest.mark.parametrize("shape, normalized", [((3, 4), 4), ((2, 2, 3), (2, 3))])
def test_autograd_and_manual_agree(shape, normalized, rng):
    check_modes_agree(lambda mode: RMSNorm(normalized, eps=1e-6, backward=mode), shape, rng)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_and_gradgradcheck(mode, rng):
    def f(x, w):
        return rms_norm(x, 3, w, eps=1e-6, backward=mode)
    check_derivatives(f, rng.standard_normal((2, 3)), rng.standard_normal(3))


@pytest.mark.parametrize("mode", MODES)
def test_float32_in_float32_out(mode, rng):
    check_float32(RMSNorm(4, backward=mode), (3, 4), rng)


@pytest.mark.parametrize("mode", MODES)
def test_functional_matches_pytorch(torch, mode, rng):
    check_function_against_torch(
        lambda x, w: rms_norm(x, [4], w, 1e-4, backward=mode),
        lambda x, w: torch.nn.functional.rms_norm(x, [4], w, 1e-4), torch,
        [rng.standard_normal((2, 3, 4)), rng.standard_normal(4)], rng)
    check_function_against_torch(lambda x: rms_norm(x, (3, 4), backward=mode),       # eps=None
                                 lambda x: torch.nn.functional.rms_norm(x, (3, 4)), torch,
                                 [rng.standard_normal((2, 3, 4))], rng)


def test_bad_inputs_raise_valueerror_naming_the_layer():
    with pytest.raises(ValueError, match=r"RMSNorm expected input with trailing dimensions \(4,\), got input of shape \(4, 3\)"):
        RMSNorm(4)(Tensor(np.zeros((4, 3))))
    with pytest.raises(ValueError, match=r"rms_norm: weight must have shape \(3,\), got shape \(2, 3\)"):
        rms_norm(Tensor(np.zeros((2, 3))), 3, Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        RMSNorm(4, backward="auto")
