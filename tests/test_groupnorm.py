"""GroupNorm, InstanceNorm1d/2d, group_norm and instance_norm against PyTorch (float64),
in both backward modes."""
import warnings

import numpy as np
import pytest

from minigrad import Tensor
from layers import GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from layers.functional import group_norm, instance_norm
from layer_helpers import (
    MODES, assert_close, check_derivatives, check_float32, check_function_against_torch,
    check_large_offset, check_load_torch_state, check_modes_agree, run_side_by_side,
)


def _ids(kwargs):
    return ",".join(f"{a}={b}" for a, b in kwargs.items()) or "default"


def _randomise(ours, theirs, torch, rng):
    """Random affine parameters in both modules (ones and zeros hide mistakes)."""
    state = {k: rng.standard_normal(v.shape) + (1 if k.endswith("weight") else 0)
             for k, v in ours.state_dict().items() if k in ("weight", "bias")}
    ours.load_state_dict({**ours.state_dict(), **state})
    theirs.load_state_dict({**theirs.state_dict(), **{k: torch.tensor(v) for k, v in state.items()}})


# ---------------------------------------------------------------------------
# GroupNorm
# ---------------------------------------------------------------------------

GN_CASES = [
    (2, 4, [(3, 4, 5), (2, 4, 3, 2), (2, 4)]),
    (1, 3, [(2, 3, 4, 4)]),
    (3, 3, [(2, 3, 2, 5), (1, 3, 4)]),
    (2, 6, [(2, 6, 1, 3, 2)]),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"bias": False}, {"eps": 1e-2}], ids=_ids)
@pytest.mark.parametrize("groups, channels, shapes", GN_CASES, ids=str)
def test_groupnorm_matches_pytorch(torch, groups, channels, shapes, kwargs, mode, rng):
    ours = GroupNorm(groups, channels, backward=mode, **kwargs)
    theirs = torch.nn.GroupNorm(groups, channels, **kwargs)
    _randomise(ours, theirs, torch, rng)
    run_side_by_side(ours, theirs, torch, shapes, rng, train_steps=2)


def test_groupnorm_initial_state(torch):
    gn = GroupNorm(2, 4)
    assert list(gn.state_dict()) == list(torch.nn.GroupNorm(2, 4).state_dict())
    np.testing.assert_array_equal(gn.weight.data, np.ones(4))
    np.testing.assert_array_equal(gn.bias.data, np.zeros(4))
    assert list(GroupNorm(2, 4, bias=False).state_dict()) == ["weight"]
    assert list(GroupNorm(2, 4, affine=False).state_dict()) == []


@pytest.mark.parametrize("mode", MODES)
def test_groupnorm_one_group_is_layernorm_without_affine(mode, rng):
    x = Tensor(rng.standard_normal((2, 4, 3, 2)))
    np.testing.assert_allclose(GroupNorm(1, 4, affine=False, backward=mode)(x).data,
                               LayerNorm((4, 3, 2), elementwise_affine=False)(x).data,
                               atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_groupnorm_load_pytorch_state_dict(torch, mode, rng):
    check_load_torch_state(GroupNorm(2, 4, backward=mode), torch.nn.GroupNorm(2, 4), torch,
                           (3, 4, 2, 2), rng)


@pytest.mark.parametrize("groups, shape", [(2, (2, 4, 3)), (4, (3, 4)), (1, (2, 4, 2, 2))])
def test_groupnorm_autograd_and_manual_agree(groups, shape, rng):
    check_modes_agree(lambda mode: GroupNorm(groups, 4, backward=mode), shape, rng)


@pytest.mark.parametrize("mode", MODES)
def test_groupnorm_gradcheck_and_gradgradcheck(mode, rng):
    def f(x, w, b):
        return group_norm(x, 2, w, b, backward=mode)
    check_derivatives(f, rng.standard_normal((2, 4, 2)), rng.standard_normal(4),
                      rng.standard_normal(4))


@pytest.mark.parametrize("mode", MODES)
def test_groupnorm_float32_and_large_offset(torch, mode, rng):
    check_float32(GroupNorm(2, 4, backward=mode), (2, 4, 3), rng)
    check_large_offset(GroupNorm(2, 4, backward=mode), (2, 4, 10), rng,
                       torch.nn.GroupNorm(2, 4), torch)


@pytest.mark.parametrize("mode", MODES)
def test_group_norm_functional_matches_pytorch(torch, mode, rng):
    for shape in [(2, 6), (2, 6, 3), (2, 6, 2, 2)]:
        check_function_against_torch(
            lambda x, w, b: group_norm(x, 3, w, b, 1e-3, backward=mode),
            lambda x, w, b: torch.nn.functional.group_norm(x, 3, w, b, 1e-3), torch,
            [rng.standard_normal(shape), rng.standard_normal(6), rng.standard_normal(6)], rng)


def test_groupnorm_bad_inputs():
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"GroupNorm expected 4 channels, got input of shape \(2, 6, 3\)"):
        GroupNorm(2, 4)(Tensor(np.zeros((2, 6, 3))))
    with pytest.raises(ValueError, match=r"GroupNorm expected input of shape \(N, 4, \*\), got input of shape \(4,\)"):
        GroupNorm(2, 4)(Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"group_norm: the 6 channels of input of shape \(2, 6\) must be divisible by num_groups \(4\)"):
        group_norm(Tensor(np.zeros((2, 6))), 4)
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        GroupNorm(2, 4, backward=None)


# ---------------------------------------------------------------------------
# InstanceNorm
# ---------------------------------------------------------------------------

IN_VARIANTS = [
    {},
    {"affine": True},
    {"affine": True, "bias": False},
    {"track_running_stats": True},
    {"track_running_stats": True, "affine": True, "momentum": 0.3},
    {"track_running_stats": True, "momentum": None},
]
IN_CASES = [
    (InstanceNorm1d, [(2, 3, 5), (3, 4), (1, 3, 2)]),       # (3, 4) is one unbatched (C, L)
    (InstanceNorm2d, [(2, 3, 4, 2), (3, 2, 3)]),            # (3, 2, 3) is one unbatched (C, H, W)
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kwargs", IN_VARIANTS, ids=_ids)
@pytest.mark.parametrize("cls, shapes", IN_CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_instancenorm_matches_pytorch(torch, cls, shapes, kwargs, mode, rng):
    ours = cls(3, backward=mode, **kwargs)
    theirs = getattr(torch.nn, cls.__name__)(3, **kwargs)
    _randomise(ours, theirs, torch, rng)
    run_side_by_side(ours, theirs, torch, shapes, rng, train_steps=3)


def test_instancenorm_initial_state(torch):
    assert list(InstanceNorm2d(3).state_dict()) == []
    for kwargs in ({"affine": True, "track_running_stats": True}, {"affine": True, "bias": False}):
        assert list(InstanceNorm1d(3, **kwargs).state_dict()) == \
            list(torch.nn.InstanceNorm1d(3, **kwargs).state_dict())
    norm = InstanceNorm2d(3, track_running_stats=True)
    assert norm.num_batches_tracked.dtype == np.int64
    assert (norm.eps, norm.momentum, norm.affine) == (1e-5, 0.1, False)


def test_instancenorm_momentum_none_never_moves_the_estimates(rng):
    norm = InstanceNorm1d(2, track_running_stats=True, momentum=None)
    norm(Tensor(rng.standard_normal((3, 2, 5)) + 4))
    np.testing.assert_array_equal(norm.running_mean.data, np.zeros(2))
    np.testing.assert_array_equal(norm.running_var.data, np.ones(2))


def test_instancenorm_is_groupnorm_with_one_channel_per_group(rng):
    x = Tensor(rng.standard_normal((2, 3, 4, 2)))
    np.testing.assert_allclose(InstanceNorm2d(3)(x).data, GroupNorm(3, 3, affine=False)(x).data,
                               atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_instancenorm_load_pytorch_state_dict(torch, mode, rng):
    check_load_torch_state(InstanceNorm2d(3, affine=True, track_running_stats=True, backward=mode),
                           torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
                           torch, (2, 3, 3, 2), rng)


@pytest.mark.parametrize("training", [True, False])
def test_instancenorm_autograd_and_manual_agree(training, rng):
    def make(mode):
        norm = InstanceNorm1d(3, affine=True, track_running_stats=True, backward=mode)
        norm.running_mean.data[...] = [1, -2, 0.5]
        norm.running_var.data[...] = [0.5, 2, 1.5]
        return norm
    check_modes_agree(make, (2, 3, 4), rng, training)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instancenorm_gradcheck_and_gradgradcheck(mode, use_input_stats, rng):
    running_mean, running_var = rng.standard_normal(2), rng.random(2) + 0.5

    def f(x, w, b):
        return instance_norm(x, running_mean.copy(), running_var.copy(), w, b, use_input_stats,
                             backward=mode)
    check_derivatives(f, rng.standard_normal((2, 2, 3)), rng.standard_normal(2),
                      rng.standard_normal(2))


@pytest.mark.parametrize("mode", MODES)
def test_instancenorm_float32_and_large_offset(torch, mode, rng):
    check_float32(InstanceNorm2d(3, affine=True, backward=mode), (2, 3, 2, 2), rng)
    check_large_offset(InstanceNorm1d(3, backward=mode), (2, 3, 20), rng,
                       torch.nn.InstanceNorm1d(3), torch)


@pytest.mark.parametrize("mode", MODES)
def test_instance_norm_functional_matches_pytorch(torch, mode, rng):
    stats = rng.standard_normal(2), rng.random(2) + 0.5
    for use_input_stats in (True, False):
        ours_stats = [s.copy() for s in stats]
        theirs_stats = [torch.tensor(s) for s in stats]
        check_function_against_torch(
            lambda x, w, b: instance_norm(x, *ours_stats, w, b, use_input_stats, 0.2, 1e-4,
                                          backward=mode),
            lambda x, w, b: torch.nn.functional.instance_norm(x, *theirs_stats, w, b,
                                                              use_input_stats, 0.2, 1e-4),
            torch, [rng.standard_normal((3, 2, 4)), rng.standard_normal(2), rng.standard_normal(2)],
            rng)
        for ours, theirs in zip(ours_stats, theirs_stats):
            assert_close(ours, theirs, "running statistic updated in place")


def test_instancenorm_bad_inputs():
    with pytest.raises(ValueError, match=r"InstanceNorm1d expected 3 channels, got input of shape \(2, 4, 5\)"):
        InstanceNorm1d(3, affine=True)(Tensor(np.zeros((2, 4, 5))))
    with pytest.raises(ValueError, match=r"InstanceNorm2d expected 3 channels, got input of shape \(4, 5, 5\)"):
        InstanceNorm2d(3, track_running_stats=True)(Tensor(np.zeros((4, 5, 5))))
    with pytest.raises(ValueError, match=r"InstanceNorm2d expected 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got input of shape \(3, 4\)"):
        InstanceNorm2d(3)(Tensor(np.zeros((3, 4))))
    with pytest.raises(ValueError, match=r"InstanceNorm2d expected more than 1 spatial element when training, got input of shape \(2, 3, 1, 1\)"):
        InstanceNorm2d(3)(Tensor(np.zeros((2, 3, 1, 1))))
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        InstanceNorm1d(3, backward="Manual")
    with pytest.raises(ValueError, match=r"instance_norm: running_mean and running_var must both "
                                         r"be given or both be None, got only running_var"):
        instance_norm(Tensor(np.zeros((2, 3, 4))), None, np.ones(3))
    # As in PyTorch: with no affine and no running statistics the channel count is
    # unused, and a mismatch only warns.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        InstanceNorm1d(3)(Tensor(np.ones((2, 4, 5))))
    assert any("expected 3 channels" in str(w.message) for w in caught)


@pytest.mark.parametrize("mode", MODES)
def test_empty_inputs_give_empty_outputs(mode):
    """As PyTorch: an empty batch, or groups with no elements, normalise to an empty
    output. (GroupNorm's (N, G, -1) view could not be formed for N = 0, and the
    empty means warned.) An empty batch leaves InstanceNorm's running estimates as
    they were (PyTorch writes NaN into them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for shape in [(0, 4), (0, 4, 3), (2, 4, 0)]:
            x = Tensor(np.zeros(shape), requires_grad=True)
            y = GroupNorm(2, 4, backward=mode)(x)
            assert y.shape == shape
            y.backward(np.zeros(shape))
            assert x.grad.shape == shape
        norm = InstanceNorm1d(4, track_running_stats=True, backward=mode)
        assert norm(Tensor(np.zeros((0, 4, 3)))).shape == (0, 4, 3)
        assert InstanceNorm1d(4, backward=mode)(Tensor(np.zeros((0, 4, 3)))).shape == (0, 4, 3)
    np.testing.assert_array_equal(norm.running_mean.data, np.zeros(4))
    np.testing.assert_array_equal(norm.running_var.data, np.ones(4))
