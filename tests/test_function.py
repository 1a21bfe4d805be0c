"""User-defined operations (minigrad/function.py): single and multiple outputs,
saved inputs and outputs, None gradients, second derivatives through a
Function, and the errors a wrong backward gets."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import Function


def leaf(values):
    return mg.Tensor(np.asarray(values, dtype=float), requires_grad=True)


class Cube(Function):
    """x**3, saving the input; backward in minigrad ops (differentiable)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class Exp(Function):
    """exp(x), saving its output, as PyTorch's own exp does."""

    @staticmethod
    def forward(ctx, x):
        y = mg.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class SplitSum(Function):
    """Two outputs: (a + b, a * b), and a constant scale that gets None."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return (a + b) * scale, a * b

    @staticmethod
    def backward(ctx, g_sum, g_prod):
        a, b = ctx.saved_tensors
        return g_sum * ctx.scale + g_prod * b, g_sum * ctx.scale + g_prod * a, None


def test_single_output_value_and_gradient():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.data, [1, 8])
    assert y.grad_fn.name == "CubeBackward" and not y.is_leaf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 12])


def test_saved_output_is_used_in_backward():
    x = leaf([0.0, 1.0])
    Exp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.0, 1.0]))


def test_multiple_outputs():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    s, p = SplitSum.apply(a, b, 2.0)
    np.testing.assert_array_equal(s.data, [8, 14])
    np.testing.assert_array_equal(p.data, [3, 10])
    assert s.grad_fn is p.grad_fn
    (s.sum() + (p * 10).sum()).backward()
    np.testing.assert_array_equal(a.grad.data, [2 + 30, 2 + 50])
    np.testing.assert_array_equal(b.grad.data, [2 + 10, 2 + 20])


def test_unused_output_gets_a_zero_gradient():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    _, p = SplitSum.apply(a, b, 2.0)
    p.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3, 5])


def test_none_gradient_for_an_input():
    class FirstOnly(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b.data

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    a, b = leaf([1.0]), leaf([4.0])
    FirstOnly.apply(a, b).sum().backward()
    assert a.grad.item() == 2.0 and b.grad is None


def test_needs_input_grad():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * 1.0

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    Probe.apply(leaf([1.0]), mg.Tensor([1.0]), 3)
    assert seen == [(True, False, False)]


def test_forward_does_not_record_a_graph_and_constant_inputs_give_plain_results():
    class Peek(Function):
        @staticmethod
        def forward(ctx, x):
            inner = x * 2
            assert inner.grad_fn is None
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    assert Peek.apply(leaf([1.0])).grad_fn.name == "PeekBackward"
    out = Peek.apply(mg.Tensor([1.0]))
    assert out.grad_fn is None and not out.requires_grad


def test_returning_an_input_unchanged_does_not_rewire_it():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert x.is_leaf and y is not x and y.grad_fn is not None
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 3])


def test_integer_outputs_carry_no_gradient():
    class MaxAndIndex(Function):
        @staticmethod
        def forward(ctx, x):
            index = np.argmax(x.data)
            ctx.index, ctx.shape = index, x.shape
            return x.max(), mg.Tensor(index)

        @staticmethod
        def backward(ctx, g, g_index):
            onehot = np.zeros(ctx.shape)
            onehot[ctx.index] = 1.0
            return g * onehot

    x = leaf([1.0, 3.0, 2.0])
    value, index = MaxAndIndex.apply(x)
    assert value.requires_grad and index.dtype.kind == "i" and not index.requires_grad
    value.backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0])


def test_second_derivative_through_a_function():
    x = leaf([1.0, 2.0])
    (g,) = mg.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [3, 12])
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [6, 12])


def test_second_derivative_through_a_saved_output():
    x = leaf([0.5, 1.0])
    (g,) = mg.grad(Exp.apply(x).sum(), x, create_graph=True)
    (h,) = mg.grad((g * g).sum(), x)
    np.testing.assert_allclose(h.data, 2 * np.exp(2 * np.array([0.5, 1.0])), rtol=1e-12)


def test_gradcheck_and_gradgradcheck_pass_on_correct_functions():
    x = leaf(np.random.default_rng(0).standard_normal(4))
    assert mg.gradcheck(Cube.apply, (x,))
    assert mg.gradgradcheck(Cube.apply, (x,))
    a, b = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    assert mg.gradcheck(lambda a, b: SplitSum.apply(a, b, 1.5), (a, b))
    assert mg.gradgradcheck(lambda a, b: SplitSum.apply(a, b, 1.5), (a, b))


def test_wrong_number_of_gradients_is_a_clear_error():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match=r"TooFew.backward returned 1 gradients? but forward "
                                           r"took 2 inputs"):
        TooFew.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_wrong_gradient_shape_names_the_function():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return mg.Tensor(np.ones((3, 5)))

    with pytest.raises(RuntimeError, match=r"BadShape.*\(3, 5\).*\(2,\)"):
        BadShape.apply(leaf([1.0, 2.0])).sum().backward()


def test_a_smaller_gradient_is_an_error_not_spread_over_the_input():
    # A backward that returns g.sum() (shape ()) for a (2,) input used to be broadcast
    # back to (2,): a plausible, wrong gradient. PyTorch refuses it too.
    class Summed(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).sum()

    with pytest.raises(RuntimeError, match=r"SummedBackward returned a gradient of shape \(\) "
                                           r"for its input 0 of shape \(2,\)"):
        Summed.apply(leaf([1.0, 2.0])).sum().backward()


def test_outputs_and_gradients_that_are_not_numbers_name_the_function():
    class Text(Function):
        @staticmethod
        def forward(ctx, a):
            return None

        @staticmethod
        def backward(ctx, g):
            return "a"

    with pytest.raises(TypeError, match="Text.forward returned NoneType as its output 0"):
        Text.apply(leaf([1.0]))
    Text.forward = staticmethod(lambda ctx, a: a * 2)
    with pytest.raises(TypeError, match="Text.backward returned str as its gradient 0"):
        Text.apply(leaf([1.0])).sum().backward()


def test_gradient_dtype_follows_the_input():
    class Float64Grad(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return np.full(g.shape, 2.0)          # float64 ndarray: cast to the input's dtype

    x = mg.Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    Float64Grad.apply(x).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.data.tolist() == [2.0, 2.0]


def test_saved_values_are_released_after_backward():
    x = leaf([1.0])
    y = Cube.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.sum().backward()


def test_anomaly_in_a_function_forward_names_it():
    class Blowup(Function):
        @staticmethod
        def forward(ctx, x):
            with np.errstate(divide="ignore"):
                return x / 0.0

        @staticmethod
        def backward(ctx, g):
            return g

    with mg.detect_anomaly():
        with pytest.raises(RuntimeError, match="Blowup"):
            Blowup.apply(leaf([1.0]))
