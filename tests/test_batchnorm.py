"""BatchNorm1d, BatchNorm2d and batch_norm against PyTorch (float64), in both backward modes."""
import numpy as np
import pytest

from minigrad import Tensor
from layers import BatchNorm1d, BatchNorm2d
from layers.functional import batch_norm
from layer_helpers import (
    MODES, assert_close, check_derivatives, check_float32, check_function_against_torch,
    check_large_offset, check_load_torch_state, check_modes_agree, run_side_by_side,
)

VARIANTS = [
    {},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"affine": False, "track_running_stats": False},
]
SHAPES = {
    BatchNorm1d: [[(5, 3)], [(4, 3, 6), (2, 3, 1), (7, 3, 2)]],
    BatchNorm2d: [[(4, 3, 5, 2), (2, 3, 3, 3), (1, 3, 2, 4)]],
}
CASES = [(cls, shapes) for cls, lists in SHAPES.items() for shapes in lists]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kwargs", VARIANTS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
@pytest.mark.parametrize("cls, shapes", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_matches_pytorch(torch, cls, shapes, kwargs, mode, rng):
    ours = cls(3, backward=mode, **kwargs)
    theirs = getattr(torch.nn, cls.__name__)(3, **kwargs)
    run_side_by_side(ours, theirs, torch, shapes, rng, train_steps=4)


def test_initial_state(torch):
    bn = BatchNorm2d(4)
    assert list(bn.state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    np.testing.assert_array_equal(bn.weight.data, np.ones(4))
    np.testing.assert_array_equal(bn.bias.data, np.zeros(4))
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(4))
    np.testing.assert_array_equal(bn.running_var.data, np.ones(4))
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    assert bn.weight.dtype == bn.running_mean.dtype == np.float64
    assert bn.weight.requires_grad and not bn.running_mean.requires_grad
    assert (bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (1e-5, 0.1, True, True)
    assert BatchNorm1d(2, bias=False).bias is None
    off = BatchNorm1d(2, affine=False, track_running_stats=False)
    assert off.weight is None and off.running_mean is None and off.num_batches_tracked is None
    assert list(off.state_dict()) == []


def test_fresh_module_in_eval_divides_by_sqrt_one_plus_eps(rng):
    x = rng.standard_normal((3, 2, 4))
    y = BatchNorm1d(2).eval()(Tensor(x))
    np.testing.assert_allclose(y.data, x / np.sqrt(1 + 1e-5), atol=1e-15)


def test_momentum_none_is_a_cumulative_average(rng):
    bn = BatchNorm1d(2, momentum=None)
    xs = [rng.standard_normal((5, 2)) * (k + 1) + k for k in range(3)]
    for x in xs:
        bn(Tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.mean(0) for x in xs], 0),
                               atol=1e-15)
    np.testing.assert_allclose(bn.running_var.data, np.mean([x.var(0, ddof=1) for x in xs], 0),
                               atol=1e-14)
    assert int(bn.num_batches_tracked.data) == 3


@pytest.mark.parametrize("mode", MODES)
def test_load_pytorch_state_dict(torch, mode, rng):
    check_load_torch_state(BatchNorm2d(3, backward=mode), torch.nn.BatchNorm2d(3), torch,
                           (4, 3, 2, 2), rng)
    # momentum=None: the update factor is 1 / num_batches_tracked, which travels too.
    check_load_torch_state(BatchNorm1d(3, momentum=None, backward=mode),
                           torch.nn.BatchNorm1d(3, momentum=None), torch, (5, 3), rng)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("cls, shape", [(BatchNorm1d, (4, 3)), (BatchNorm1d, (2, 3, 4)),
                                        (BatchNorm2d, (2, 3, 2, 3))])
def test_autograd_and_manual_agree(cls, shape, training, rng):
    def make(mode):
        layer = cls(3, backward=mode)
        layer.running_mean.data[...] = [0.5, -1, 2]
        layer.running_var.data[...] = [2, 0.5, 3]
        return layer
    check_modes_agree(make, shape, rng, training)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_and_gradgradcheck(mode, training, rng):
    running_mean, running_var = rng.standard_normal(2), rng.random(2) + 0.5

    def f(x, w, b):
        return batch_norm(x, running_mean.copy(), running_var.copy(), w, b, training,
                          backward=mode)
    check_derivatives(f, rng.standard_normal((3, 2, 2)), rng.standard_normal(2) + 1,
                      rng.standard_normal(2))


@pytest.mark.parametrize("mode", MODES)
def test_float32_in_float32_out(mode, rng):
    bn = BatchNorm2d(3, backward=mode)
    check_float32(bn, (2, 3, 2, 2), rng)
    assert bn.running_mean.dtype == np.float64
    bn.eval()
    check_float32(bn, (2, 3, 2, 2), rng)


@pytest.mark.parametrize("mode", MODES)
def test_large_offset_normalises(torch, mode, rng):
    bn = BatchNorm1d(3, backward=mode)
    y, spread = check_large_offset(bn, (50, 3), rng, torch.nn.BatchNorm1d(3), torch)
    centred = spread - spread.mean(axis=0)
    np.testing.assert_allclose(y.data, centred / np.sqrt(centred.var(axis=0) + 1e-5), atol=1e-6)
    np.testing.assert_allclose(bn.running_mean.data, 1e5, rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("training", [True, False])
def test_functional_matches_pytorch(torch, mode, training, rng):
    """Output, gradients of input, weight and bias, and the in-place update of the
    running statistics, against torch.nn.functional.batch_norm."""
    stats = rng.standard_normal(3), rng.random(3) + 0.5
    ours_stats = [s.copy() for s in stats]
    theirs_stats = [torch.tensor(s) for s in stats]
    check_function_against_torch(
        lambda x, w, b: batch_norm(x, *ours_stats, w, b, training, 0.2, 1e-4, backward=mode),
        lambda x, w, b: torch.nn.functional.batch_norm(x, *theirs_stats, w, b, training, 0.2, 1e-4),
        torch, [rng.standard_normal((4, 3, 5)) * 2 + 1, rng.standard_normal(3), rng.standard_normal(3)],
        rng)
    for ours, theirs in zip(ours_stats, theirs_stats):
        assert_close(ours, theirs, "running statistic updated in place")
    assert training or all(np.array_equal(a, b) for a, b in zip(ours_stats, stats))


def test_functional_without_running_statistics(torch, rng):
    x = rng.standard_normal((4, 3))
    assert_close(batch_norm(Tensor(x), None, None, training=True),
                 torch.nn.functional.batch_norm(torch.tensor(x), None, None, training=True),
                 "output")
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        batch_norm(Tensor(x), None, None, training=False)


def test_bad_inputs_raise_valueerror_naming_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d expected 3 channels, got input of shape \(2, 4, 5, 5\)"):
        BatchNorm2d(3)(Tensor(np.zeros((2, 4, 5, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm2d expected 4-D \(N, C, H, W\) input, got input of shape \(3, 5, 5\)"):
        BatchNorm2d(3)(Tensor(np.zeros((3, 5, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm1d expected 2-D \(N, C\) or 3-D \(N, C, L\) input, got input of shape \(2, 3, 4, 5\)"):
        BatchNorm1d(3)(Tensor(np.zeros((2, 3, 4, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm1d expected more than 1 value per channel when training, got input of shape \(1, 3\)"):
        BatchNorm1d(3)(Tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm1d expected more than 1 value per channel"):
        BatchNorm1d(3)(Tensor(np.zeros((1, 3, 1))))
    BatchNorm1d(3).eval()(Tensor(np.zeros((1, 3))))          # fine in eval mode
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual', got 'fast'"):
        BatchNorm2d(3, backward="fast")
    with pytest.raises(ValueError, match=r"batch_norm: weight must have shape \(3,\), got shape \(4,\)"):
        batch_norm(Tensor(np.zeros((2, 3))), None, None, Tensor(np.ones(4)), training=True)


def test_functional_momentum_must_be_a_number():
    with pytest.raises(TypeError, match="batch_norm: momentum must be a number, got None"):
        batch_norm(Tensor(np.zeros((2, 3))), np.zeros(3), np.ones(3), training=True,
                   momentum=None)


def test_failed_step_leaves_the_counter_alone():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError):
        bn(Tensor(np.zeros((1, 3))))
    assert int(bn.num_batches_tracked.data) == 0


@pytest.mark.parametrize("given", ["running_mean", "running_var"])
def test_functional_running_statistics_come_in_pairs(given):
    """As torch.nn.functional.batch_norm: both running statistics or neither. With
    one alone, a training step used to update it and silently skip the other."""
    stats = {"running_mean": None, "running_var": None, given: np.ones(3)}
    with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var must both be "
                                         r"given or both be None, got only " + given):
        batch_norm(Tensor(np.zeros((2, 3))), stats["running_mean"], stats["running_var"],
                   training=True)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype, offset, atol", [(np.float64, 1e6, 1e-6), (np.float32, 1e3, 2e-2)])
def test_large_offset_against_extended_precision(dtype, offset, atol, mode, rng):
    """std 1e-2 far from 0, against the exact normalisation (long double) of the same
    rounded input. float32 is tried at 1e3, where its values are 6e-5 apart and so
    still hold the spread (at 1e6 they are 0.0625 apart: see layers/__init__.py); the
    error left is the float32 rounding of the mean, ~ulp(1e3) / std. A one-pass
    variance E[x^2] - E[x]^2 would lose it all: float32's error on 1e6 is 0.06."""
    x = (offset + 1e-2 * rng.standard_normal((64, 3, 4, 4))).astype(dtype)
    exact = x.astype(np.longdouble)
    centred = exact - exact.mean(axis=(0, 2, 3), keepdims=True)
    exact = centred / np.sqrt((centred * centred).mean(axis=(0, 2, 3), keepdims=True) + 1e-5)
    y = BatchNorm2d(3, backward=mode)(Tensor(x))
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, exact.astype(np.float64), rtol=0, atol=atol)
    assert np.abs(y.data).max() > 0.5


@pytest.mark.parametrize("backward", ["manual", "autograd"])
def test_float32_with_a_mean_far_above_the_spread_stays_accurate(backward):
    # x - mean cancels most of x: the batch mean must be as close as NumPy's own
    # (PyTorch's float32 result is 2.7e-6 off the float64 one here).
    rng = np.random.default_rng(0)
    x = (rng.random((16, 3, 112, 112)) * 0.1 + 3).astype(np.float32)
    exact = BatchNorm2d(3, backward=backward)(Tensor(x.astype(np.float64))).data
    y = BatchNorm2d(3, backward=backward, dtype=np.float32)(Tensor(x)).data
    assert y.dtype == np.float32
    limit = 4e-6 if backward == "manual" else 2e-5    # (the composed sums add axis 0 first)
    assert np.abs(y - exact).max() < limit


def test_float16_statistics_do_not_overflow():
    # 16,384 values of about 5 sum past float16's largest number (65,504): the
    # statistics add up in float32, as np.mean does.
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 4, 16, 16)) + 5).astype(np.float16)
    layer = BatchNorm2d(4, backward="manual", dtype=np.float16)
    y = layer(Tensor(x)).data
    exact = BatchNorm2d(4, backward="manual")(Tensor(x.astype(np.float64))).data
    assert y.dtype == np.float16 and np.isfinite(y).all()
    assert np.abs(y - exact).max() < 2e-2
    assert np.isfinite(layer.running_mean.data).all() and np.isfinite(layer.running_var.data).all()


@pytest.mark.parametrize("running_mean,running_var,error,words", [
    (np.zeros(3, dtype=np.int64), np.ones(3, dtype=np.int64), TypeError, "dtype int64"),
    ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], TypeError, "got list"),
    (np.zeros(3), np.ones(3), ValueError, "read-only"),
])
def test_running_buffers_that_cannot_hold_the_averages_are_refused(running_mean, running_var,
                                                                   error, words):
    # PyTorch refuses integer buffers too ("expect parameter to have scalar type of Float").
    if isinstance(running_mean, np.ndarray) and running_mean.dtype.kind == "f":
        running_mean.flags.writeable = False
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)))
    with pytest.raises(error, match=f"batch_norm: running_mean.*{words}"):
        batch_norm(x, running_mean, running_var, training=True)


def test_read_only_running_buffers_are_fine_for_evaluation():
    running_mean = np.zeros(3)
    running_mean.flags.writeable = False
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)))
    y = batch_norm(x, running_mean, np.ones(3), training=False)
    np.testing.assert_allclose(y.data, x.data / np.sqrt(1 + 1e-5))
