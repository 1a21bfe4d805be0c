"""gradcheck and gradgradcheck (minigrad/gradcheck.py): they pass on correct
gradients, and on a wrong one they fail with a message that names the input and
output and shows numerical against analytical values."""
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import Function, GradcheckError, gradcheck, gradgradcheck


def leaf(shape, seed=0, dtype=np.float64):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return mg.Tensor(data, requires_grad=True)


class WrongSquare(Function):
    """x**2 with a backward that forgets the factor 2 (a classic slip)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class FrozenSquare(Function):
    """x**2 whose backward is right but not differentiable in x: it uses x's
    values as a constant, so second derivatives come out wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x.data


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.tanh(), [(3,)]),
    (lambda x, w: (x @ w).sigmoid().sum(axis=0), [(2, 3), (3, 4)]),
    (lambda x: (x - x.mean()) / x.std(), [(5,)]),
    (lambda x, y: mg.maximum(x, y) * mg.where(x > 0, x, y), [(2, 3), (3,)]),
    (lambda x: (x[[0, 0, 1]] ** 2, x.exp()), [(3,)]),
    (lambda x: mg.concatenate([x, x * 2], axis=1).max(axis=1), [(2, 3)]),
])
def test_pass_on_correct_functions(fn, shapes):
    inputs = tuple(leaf(s, seed=k) for k, s in enumerate(shapes))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_constant_inputs_are_passed_through_unchecked():
    x = leaf((3,))
    const = mg.Tensor(np.arange(3.0))
    assert gradcheck(lambda a, c, k: (a * c).sum() * k, (x, const, 2.0))


def test_fails_on_a_wrong_backward_and_names_input_and_output():
    x = leaf((4,), seed=1)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, (x,))
    message = str(info.value)
    assert "output 0" in message and "input 0" in message
    assert "numerical" in message and "analytical" in message
    # The worst element is reported with both values: numerical 2x, analytical x.
    worst = int(np.argmax(np.abs(x.data)))
    line = re.search(rf"d output\[{worst}\] / d input\[{worst}\]: numerical (\S+), "
                     rf"analytical (\S+)", message)
    assert line is not None, message
    numerical, analytical = float(line.group(1)), float(line.group(2))
    assert numerical == pytest.approx(2 * x.data[worst], rel=1e-6)
    assert analytical == pytest.approx(x.data[worst], rel=1e-9)


def test_names_which_of_several_inputs_is_wrong():
    a, b = leaf((3,), seed=1), leaf((3,), seed=2)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: a * 2 + WrongSquare.apply(b), (a, b))


def test_returns_false_without_raise_exception():
    assert gradcheck(WrongSquare.apply, (leaf((3,)),), raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = leaf((3,), seed=3)
    assert gradcheck(FrozenSquare.apply, (x,))             # first derivative is right
    with pytest.raises(GradcheckError):
        gradgradcheck(FrozenSquare.apply, (x,))
    assert gradgradcheck(FrozenSquare.apply, (x,), raise_exception=False) is False


def test_float32_input_warns():
    x = leaf((3,), dtype=np.float32)
    with pytest.warns(UserWarning, match="float32"):
        gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2)


def test_float64_input_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda t: t * 2, (leaf((3,)),))


def test_no_differentiable_input_is_an_error():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, (mg.Tensor([1.0]),))
    with pytest.raises(ValueError, match="requires_grad"):
        gradgradcheck(lambda t: t * 2, (mg.Tensor([1.0]),))


def test_a_function_without_a_floating_point_tensor_output_is_an_error():
    # Nothing to compare: this used to "pass" (return True) without checking anything.
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    for fn in (lambda t: 3.0, lambda t: t.data * 2, lambda t: (t > 0), lambda t: ()):
        with pytest.raises(ValueError, match="gradcheck.*no floating-point Tensor output"):
            gradcheck(fn, (x,))
    with pytest.raises(ValueError, match="gradgradcheck.*no floating-point Tensor output"):
        gradgradcheck(lambda t: 3.0, (x,))


def test_inputs_are_restored_after_checking():
    x = leaf((4,))
    before = x.data.copy()
    gradcheck(lambda t: t.exp(), (x,))
    np.testing.assert_array_equal(x.data, before)


def test_tolerances_follow_pytorch_defaults():
    import inspect
    params = inspect.signature(gradcheck).parameters
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == \
        (1e-6, 1e-5, 1e-3)


def test_gradgradcheck_with_an_output_that_needs_no_gradient():
    x = leaf((3,), seed=4)
    const = mg.Tensor(np.ones(2))
    assert gradgradcheck(lambda t: (const * 2, (t ** 3).sum(), t.tanh()), (x,))


def test_a_step_of_zero_is_refused():
    # eps=0 divided 0 by 0 and reported a "mismatch" of nan.
    with pytest.raises(ValueError, match="gradcheck: eps must be > 0"):
        gradcheck(lambda t: t * 2, (mg.Tensor([1.0], requires_grad=True),), eps=0)
