"""trig.py and more_elementwise.py against PyTorch in float64: values, gradients,
a few second derivatives, both operand orders of mod/fmod with broadcasting,
the zero gradient of rounding, nan/inf inputs, integers and float32."""
import numpy as np
import pytest

import minigrad as mg
from torch_oracle import compare, compare_second, positive, signed, unit

# name: (minigrad function, torch function name, sample)
UNARY = {
    "sin": (mg.sin, "sin", signed), "cos": (mg.cos, "cos", signed),
    "tan": (mg.tan, "tan", unit), "sinh": (mg.sinh, "sinh", signed),
    "cosh": (mg.cosh, "cosh", signed), "arcsin": (mg.arcsin, "arcsin", unit),
    "arccos": (mg.arccos, "arccos", unit), "arctan": (mg.arctan, "arctan", signed),
    "asin": (mg.asin, "asin", unit), "acos": (mg.acos, "acos", unit),
    "atan": (mg.atan, "atan", signed), "log1p": (mg.log1p, "log1p", unit),
    "expm1": (mg.expm1, "expm1", signed), "log2": (mg.log2, "log2", positive),
    "log10": (mg.log10, "log10", positive), "exp2": (mg.exp2, "exp2", signed),
    "square": (mg.square, "square", signed), "reciprocal": (mg.reciprocal, "reciprocal", signed),
    "rsqrt": (mg.rsqrt, "rsqrt", positive), "erf": (mg.erf, "erf", signed),
    "sign": (mg.sign, "sign", signed), "floor": (mg.floor, "floor", signed),
    "ceil": (mg.ceil, "ceil", signed), "trunc": (mg.trunc, "trunc", signed),
    "round": (mg.round, "round", signed),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (2, 3)], ids=str)
def test_unary_against_torch(torch, rng, name, shape):
    fn, torch_name, sample = UNARY[name]
    compare(torch, fn, getattr(torch, torch_name), sample(rng, shape))


@pytest.mark.parametrize("name", ["sin", "tan", "arcsin", "arctan", "cosh", "log1p", "expm1",
                                  "rsqrt", "erf", "reciprocal", "log2"])
def test_second_derivatives_against_torch(torch, rng, name):
    fn, torch_name, sample = UNARY[name]
    compare_second(torch, fn, getattr(torch, torch_name), sample(rng, (4,)))


def test_tiny_arguments_keep_their_digits(torch):
    x = np.array([1e-12, -3e-10, 2e-8])
    compare(torch, mg.log1p, torch.log1p, x, rtol=1e-14)
    compare(torch, mg.expm1, torch.expm1, x, rtol=1e-14)


def test_round_half_to_even_and_decimals_like_torch(torch):
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.25, 0.125])
    compare(torch, mg.round, torch.round, x)
    compare(torch, lambda t: mg.round(t, decimals=1), lambda t: torch.round(t, decimals=1), x)
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        mg.round(mg.Tensor(x), 0.5)


def test_rounding_gradient_is_zero_even_at_the_jumps(torch):
    x = np.array([-1.0, 0.0, 0.5, 2.0, 2.5])
    for name in ("sign", "floor", "ceil", "trunc", "round"):
        compare(torch, UNARY[name][0], getattr(torch, name), x)


@pytest.mark.parametrize("name", ["mod", "fmod"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (2, 3, 4)),
                                    ((), (3,))], ids=str)
def test_mod_fmod_broadcasting_both_orders(torch, rng, name, shapes):
    fn = getattr(mg, name)
    torch_fn = torch.remainder if name == "mod" else torch.fmod
    a = rng.uniform(-5, 5, size=shapes[0])
    b = signed(rng, shapes[1])
    compare(torch, fn, torch_fn, a, b)
    compare(torch, fn, torch_fn, b, a + 10.0)       # the other order, divisor away from 0


def test_mod_signs_like_numpy_and_torch(torch):
    a, b = np.array([5.5, -5.5, 5.5, -5.5]), np.array([2.0, 2.0, -2.0, -2.0])
    np.testing.assert_array_equal(mg.mod(mg.Tensor(a), b).data, torch.remainder(
        torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(mg.fmod(mg.Tensor(a), b).data, torch.fmod(
        torch.tensor(a), torch.tensor(b)).numpy())
    assert mg.remainder is mg.mod
    compare(torch, lambda t: mg.mod(t, 1.5), lambda t: torch.remainder(t, 1.5), a)
    compare(torch, lambda t: mg.fmod(7.0, t), lambda t: torch.fmod(torch.tensor(7.0), t), b)


def test_integer_inputs(torch):
    ints = np.array([-2, 0, 2, 7])
    for name in ("sin", "exp2", "expm1", "erf", "rsqrt", "reciprocal"):
        x = np.abs(ints) + 1 if name in ("rsqrt", "reciprocal") else ints
        ours = UNARY[name][0](mg.Tensor(x)).data
        theirs = getattr(torch, UNARY[name][1])(torch.tensor(x)).numpy()
        assert ours.dtype == np.float64, name
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, err_msg=name)
    np.testing.assert_array_equal(mg.mod(mg.Tensor(ints), 3).data,
                                  torch.remainder(torch.tensor(ints), 3).numpy())
    np.testing.assert_array_equal(mg.square(mg.Tensor(ints)).data, ints * ints)
    assert mg.floor(mg.Tensor(ints)).dtype == np.int64


def test_nan_and_inf_inputs_like_torch(torch):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
    for name in ("sin", "tan", "arctan", "sinh", "cosh", "log1p", "expm1", "exp2", "erf",
                 "floor", "round", "square", "reciprocal", "rsqrt", "log2"):
        fn, torch_name, _ = UNARY[name]
        with np.errstate(all="ignore"):
            ours = fn(mg.Tensor(x)).data
        np.testing.assert_array_equal(ours, getattr(torch, torch_name)(torch.tensor(x)).numpy(),
                                      err_msg=name)
    # sign keeps NumPy's nan for nan (PyTorch says 0): a nan should not turn into a number.
    np.testing.assert_array_equal(mg.sign(mg.Tensor(x)).data, np.sign(x))
    for name in ("isnan", "isinf", "isfinite"):
        ours = getattr(mg, name)(mg.Tensor(x, requires_grad=True))
        assert ours.dtype == np.bool_ and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, getattr(torch, name)(torch.tensor(x)).numpy())


def test_float32_in_float32_out(rng):
    x = mg.Tensor(rng.uniform(0.1, 0.9, size=(3,)).astype(np.float32), requires_grad=True)
    for name, (fn, _, _) in UNARY.items():
        y = fn(x)
        assert y.dtype == np.float32, name
        y.sum().backward()
        assert x.grad.dtype == np.float32, name
        x.grad = None
    assert mg.mod(x, 0.3).dtype == np.float32 and mg.fmod(x, 0.3).dtype == np.float32


def test_errors_name_the_operation():
    with pytest.raises(ValueError, match=r"mod: shapes \(2,\) and \(3,\) cannot be broadcast"):
        mg.mod(mg.Tensor([1.0, 2.0]), mg.Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"fmod: shapes"):
        mg.fmod(mg.Tensor([1.0, 2.0]), np.ones(3))
