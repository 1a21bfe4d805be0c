"""Tests of layers/_checks.py: arguments are checked once, at the door, with
messages that name the operation the user called."""
import numpy as np
import pytest

import layers
import minigrad
from minigrad import Tensor


def test_dtype_must_be_floating():
    with pytest.raises(TypeError,
                       match="BatchNorm2d: dtype must be a floating-point dtype, got int64"):
        layers.BatchNorm2d(3, dtype=np.int64)
    with pytest.raises(TypeError, match="LayerNorm: dtype must be a floating-point dtype"):
        layers.LayerNorm(3, dtype="int32")


def test_constructor_arguments_are_checked_naming_the_layer():
    """Not a bare Python or NumPy message ('float' object is not iterable, data type
    'foo' not understood)."""
    with pytest.raises(ValueError, match=r"^LayerNorm: normalized_shape must be an int or a "
                                         r"sequence of ints, got 3.0"):
        layers.LayerNorm(3.0)
    with pytest.raises(ValueError, match=r"^RMSNorm: normalized_shape must be an int or a "
                                         r"sequence of ints, got None"):
        layers.RMSNorm(None)
    with pytest.raises(ValueError, match=r"^layer_norm: normalized_shape must be"):
        layers.functional.layer_norm(np.ones((2, 3)), 3.0)
    with pytest.raises(TypeError, match=r"^BatchNorm2d: dtype must be a floating-point dtype, "
                                        r"got 'foo'"):
        layers.BatchNorm2d(3, dtype="foo")


# ---------------------------------------------------------------------------
# Each layer checks its input once
# ---------------------------------------------------------------------------

LAYER_FILES = [layers.batchnorm, layers.bcn, layers.groupnorm, layers.layernorm, layers.rmsnorm,
               layers.weightnorm, layers.weightstd, layers._checks]


@pytest.fixture
def input_checks(monkeypatch):
    """Count the calls of check_input, wherever in layers/ it is called from."""
    calls = []
    real = layers._checks.check_input

    def counting(x, op):
        calls.append(op)
        return real(x, op)
    for module in LAYER_FILES:
        if hasattr(module, "check_input"):
            monkeypatch.setattr(module, "check_input", counting)
    return calls


MODULES = [     # (constructor, input shape)
    (lambda: layers.BatchNorm1d(3), (4, 3)),
    (lambda: layers.BatchNorm2d(3), (2, 3, 2, 2)),
    (lambda: layers.BatchNorm2d(3, track_running_stats=False), (2, 3, 2, 2)),
    (lambda: layers.LayerNorm(4), (2, 4)),
    (lambda: layers.GroupNorm(2, 4), (2, 4, 3)),
    (lambda: layers.InstanceNorm1d(3, affine=True, track_running_stats=True), (2, 3, 4)),
    (lambda: layers.InstanceNorm2d(3), (3, 2, 2)),
    (lambda: layers.RMSNorm(4), (2, 4)),
    (lambda: layers.BatchChannelNorm2d(4, 2), (2, 4, 2, 2)),
    (lambda: layers.BatchChannelNorm2d(4, 2, estimate=True), (2, 4, 2, 2)),
    (lambda: layers.WSLinear(4, 2), (3, 4)),
    (lambda: layers.WSConv2d(2, 3, 2), (1, 2, 3, 3)),
]


@pytest.mark.parametrize("mode", ["autograd", "manual"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("make, shape", MODULES,
                         ids=[f"{make().__class__.__name__}-{i}"
                              for i, (make, _) in enumerate(MODULES)])
def test_a_module_checks_its_input_once_naming_itself(make, shape, training, mode, input_checks,
                                                      rng):
    layer = make()
    layer.backward = mode
    for child in layer.children():
        child.backward = mode
    layer.train(training)
    layer(rng.standard_normal(shape))
    assert input_checks == [type(layer).__name__]


def test_weight_norm_checks_its_arguments_when_applied_not_on_every_forward(input_checks, rng):
    linear = layers.weight_norm(minigrad.nn.Linear(3, 2))
    assert input_checks == []          # g and v are made from the module's own weight
    linear(Tensor(rng.standard_normal((4, 3))))
    assert input_checks == []


F = layers.functional
FUNCTIONS = [     # (call, number of tensor arguments)
    (lambda x: F.batch_norm(x, np.zeros(3), np.ones(3), training=True), 1),
    (lambda x: F.batch_norm(x, np.zeros(3), np.ones(3)), 1),
    (lambda x: F.layer_norm(x, 5), 1),
    (lambda x: F.group_norm(x, 3), 1),
    (lambda x: F.instance_norm(x), 1),
    (lambda x: F.rms_norm(x, 5), 1),
    (lambda x: F.batch_channel_norm(x.reshape(2, 3, 5, 1), 3, np.zeros(3), np.ones(3),
                                    training=True), 1),
    (lambda x: F.weight_standardize(x), 1),
    (lambda x: F.normalized_weight(x, Tensor(np.ones((2, 1, 1)))), 2),
]


@pytest.mark.parametrize("call, inputs", FUNCTIONS)
def test_a_function_checks_each_tensor_argument_once(call, inputs, input_checks, rng):
    call(Tensor(rng.standard_normal((2, 3, 5))))
    assert len(input_checks) == inputs
    assert len(set(input_checks)) == 1 and input_checks[0].islower()     # its own name


def test_batch_channel_norm_errors_name_the_layer_not_its_children():
    bcn = layers.BatchChannelNorm2d(4, 2)
    with pytest.raises(ValueError, match=r"^BatchChannelNorm2d expected 4 channels"):
        bcn(np.zeros((2, 3, 2, 2)))
    bcn.eval()
    with pytest.raises(ValueError, match=r"^BatchChannelNorm2d expected 4-D"):
        bcn(np.zeros((2, 4, 2)))


def test_groups_must_divide_the_channels_written_once():
    from layers._checks import check_groups
    assert check_groups(2, 4, "GroupNorm") == 2
    with pytest.raises(ValueError, match=r"^GroupNorm: num_channels \(6\) must be divisible "
                                         r"by num_groups \(4\)$"):
        check_groups(4, 6, "GroupNorm")
    with pytest.raises(ValueError, match=r"^group_norm: the 6 channels of input of shape "
                                         r"\(2, 6\) must be divisible by num_groups \(4\)$"):
        check_groups(4, 6, "group_norm", (2, 6))
    with pytest.raises(ValueError, match=r"^GroupNorm: num_groups must be a positive integer"):
        check_groups(0, 6, "GroupNorm")


def test_a_module_momentum_must_be_a_number_or_none():
    with pytest.raises(TypeError, match=r"^BatchNorm2d: momentum must be a number, got '0.1'"):
        layers.BatchNorm2d(3, momentum="0.1")
    assert layers.BatchNorm2d(3, momentum=None).momentum is None
