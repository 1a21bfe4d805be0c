"""nn/activations.py against PyTorch in float64: values and gradients (also at
the kinks and far out, where a naive formula overflows), second derivatives,
the modules, float32."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from torch_oracle import compare, compare_second

# name: (minigrad function, torch.nn.functional function name, keyword arguments)
ACTIVATIONS = {
    "leaky_relu": (F.leaky_relu, "leaky_relu", {}),
    "leaky_relu_slope": (F.leaky_relu, "leaky_relu", {"negative_slope": 0.2}),
    "elu": (F.elu, "elu", {}), "elu_alpha": (F.elu, "elu", {"alpha": 0.5}),
    "selu": (F.selu, "selu", {}),
    "gelu": (F.gelu, "gelu", {}), "gelu_tanh": (F.gelu, "gelu", {"approximate": "tanh"}),
    "silu": (F.silu, "silu", {}), "softplus": (F.softplus, "softplus", {}),
    "softplus_beta": (F.softplus, "softplus", {"beta": 2.0, "threshold": 5.0}),
    "mish": (F.mish, "mish", {}), "hardtanh": (F.hardtanh, "hardtanh", {}),
    "hardtanh_range": (F.hardtanh, "hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    "logsigmoid": (F.logsigmoid, "logsigmoid", {}),
}

SAMPLE = np.array([-50.0, -3.0, -1.3, -0.4, 0.2, 0.7, 1.6, 4.0, 60.0])
EDGES = np.array([-1.0, -0.5, 0.0, 1.0, 2.0, 10.0, 20.0, 40.0, -800.0, 800.0])


def _torch_fn(torch, name):
    fn, torch_name, kwargs = ACTIVATIONS[name]
    return lambda t: getattr(torch.nn.functional, torch_name)(t, **kwargs)


def _mg_fn(name):
    fn, _, kwargs = ACTIVATIONS[name]
    return lambda t: fn(t, **kwargs)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_values_and_gradients(torch, name):
    compare(torch, _mg_fn(name), _torch_fn(torch, name), SAMPLE.reshape(3, 3))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_kinks_and_far_out_like_torch(torch, name):
    # 0 and the hardtanh bounds are where subgradients are chosen; +-800 is where
    # exp overflows in a formula that is not guarded.
    compare(torch, _mg_fn(name), _torch_fn(torch, name), EDGES)


@pytest.mark.parametrize("name", ["elu", "selu", "gelu", "gelu_tanh", "silu", "softplus",
                                  "mish", "logsigmoid"])
def test_second_derivatives(torch, name):
    compare_second(torch, _mg_fn(name), _torch_fn(torch, name), SAMPLE[1:-1])


@pytest.mark.parametrize("module, torch_module, args", [
    (mg.nn.GELU, "GELU", ()), (mg.nn.GELU, "GELU", ("tanh",)), (mg.nn.SiLU, "SiLU", ()),
    (mg.nn.LeakyReLU, "LeakyReLU", (0.1,)), (mg.nn.ELU, "ELU", (0.7,)),
    (mg.nn.Softplus, "Softplus", (1.5, 10.0)), (mg.nn.Softmax, "Softmax", (1,)),
    (mg.nn.Softmax, "Softmax", (-1,)), (mg.nn.LogSoftmax, "LogSoftmax", (0,)),
    (mg.nn.SELU, "SELU", ()), (mg.nn.Mish, "Mish", ()), (mg.nn.LogSigmoid, "LogSigmoid", ()),
    (mg.nn.Hardtanh, "Hardtanh", (-0.5, 2.0)),
])
def test_modules(torch, module, torch_module, args):
    compare(torch, module(*args), getattr(torch.nn, torch_module)(*args), SAMPLE.reshape(3, 3))
    assert repr(module(*args))


def test_softmax_module_without_dim_warns_and_follows_torch(torch):
    x = SAMPLE[:8].reshape(2, 4) / 10
    with pytest.warns(UserWarning, match="implicit dimension"):
        ours = mg.nn.Softmax()(mg.Tensor(x))
    with pytest.warns(UserWarning):
        theirs = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_float32_stays_float32():
    x = mg.Tensor(SAMPLE.astype(np.float32), requires_grad=True)
    for name in ACTIVATIONS:
        y = _mg_fn(name)(x)
        assert y.dtype == np.float32, name
        y.sum().backward()
        assert x.grad.dtype == np.float32 and np.isfinite(x.grad.data).all(), name
        x.grad = None


def test_integer_input_computes_in_float64(torch):
    ints = np.array([-2, 0, 3])
    for name in ACTIVATIONS:
        ours = _mg_fn(name)(mg.Tensor(ints))
        theirs = _torch_fn(torch, name)(torch.tensor(ints, dtype=torch.float64))
        assert ours.dtype == np.float64
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-7, err_msg=name)


def test_bad_arguments_name_the_function():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(mg.Tensor([1.0]), approximate="erf")
    with pytest.raises(ValueError, match="GELU: approximate"):
        mg.nn.GELU("fast")
    with pytest.raises(ValueError, match="hardtanh: min_val 2.0 must not exceed max_val 1.0"):
        F.hardtanh(mg.Tensor([1.0]), 2, 1)
