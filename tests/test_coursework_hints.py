"""The hints of minigrad/coursework/hints.py point at the bug: swapped return order (also when
the shapes differ), a transpose, a factor per row or per column (a forgotten gamma or 1/std),
never "1 times"; and they never contradict the table."""
import numpy as np
import pytest

from minigrad.coursework import check_backward
from minigrad.coursework.hints import shape_hint

from test_coursework_check import exercise, run


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


AFFINE = {"x": np.random.default_rng(0).standard_normal((4, 5)),
          "w": np.random.default_rng(1).standard_normal((5, 3)),
          "b": np.random.default_rng(2).standard_normal(3)}


def hints(report, name):
    return " ".join(report[name].hints)


def test_swapped_return_order_with_different_shapes():
    def backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, db, dw
    report = check_backward(affine_forward, backward, AFFINE)
    assert report.wrong == ["w", "b"]
    assert "the shape of b: swapped return order?" in hints(report, "w")
    assert "the shape of w: swapped return order?" in hints(report, "b")
    assert "broadcasting" not in str(report)


def test_swapped_return_order_with_equal_shapes():
    def backward(dout, cache):
        dx, dgamma, dbeta = exercise("batchnorm")[1].batchnorm_backward(dout, cache)
        return dx, dbeta, dgamma
    assert "gradient of beta: swapped return order?" in hints(run("batchnorm", backward), "gamma")


def test_transpose_when_the_shape_is_a_permutation():
    def backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, dw.T, db
    report = check_backward(affine_forward, backward, AFFINE)
    assert report.wrong == ["w"] and "transposed?" in hints(report, "w")
    assert "transposed?" in shape_hint((3, 4, 2), (2, 3, 4))
    assert "reshape" not in shape_hint((3, 4, 2), (2, 3, 4))


def test_transposed_values_of_a_square_or_permuted_gradient():
    x = np.random.default_rng(3).standard_normal((2, 3, 2))
    report = check_backward(lambda x: (np.sin(x), x),
                            lambda d, x: (d * np.cos(x)).transpose(2, 1, 0), {"x": x})
    assert "transpose of the expected gradient (axes in the order (2, 1, 0))" in hints(report, "x")


def bn_backward_without(dout, cache, factor):
    """The batchnorm solution with gamma or inv_std left out of dx."""
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = dout.shape[0]
    g = dout * (1.0 if factor == "gamma" else gamma)
    scale = 1.0 if factor == "inv_std" else inv_std
    dx = scale / m * (m * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@pytest.mark.parametrize("factor, words", [
    ("gamma", "per column (axis 1)"),
    ("gamma", "c = 1/gamma: did you forget to multiply by gamma?"),
    ("inv_std", "did you forget the factor 1/std (inv_std)?"),
])
def test_a_forgotten_per_column_factor_is_named(factor, words):
    report = run("batchnorm", lambda d, c: bn_backward_without(d, c, factor))
    assert report.wrong == ["x"]
    assert words in hints(report, "x")


def test_a_forgotten_per_row_factor_is_named():
    def backward(dout, cache):            # layernorm without inv_std: one factor per row
        x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
        D = dout.shape[1]
        g = dout * gamma
        dx = 1 / D * (D * g - g.sum(axis=1, keepdims=True)
                      - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
        return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    text = hints(run("layernorm", backward), "x")
    assert "per row (axis 0)" in text and "1/std" in text


def test_never_one_times():
    def backward(dout, cache):
        dx, dgamma, dbeta = exercise("batchnorm")[1].batchnorm_backward(dout, cache)
        return dx * (1 + 1e-5), dgamma, dbeta          # a factor that reads as 1
    report = run("batchnorm", backward)
    assert report.wrong == ["x"]
    assert "1 times" not in str(report)
    assert "1 times" not in str(run("batchnorm", "dgamma_sign_flipped"))     # nor -1 times


def test_the_hint_never_contradicts_the_forward_row():
    # a forward that differs from the reference: "your forward differs" is said, and the
    # forward row shows it; with an agreeing forward it is never said (see test_coursework_robust)
    template, solution, ex, inputs = exercise("batchnorm")

    def forward(x, gamma, beta, eps):
        out, cache = template.batchnorm_forward(x, gamma, beta, eps)
        return out * 1.5, cache
    report = check_backward(forward, solution.batchnorm_backward, inputs, ex.reference,
                            constants=ex.constants)
    assert not report.output.ok
    said = [h for row in report.rows for h in row.hints]
    assert "your forward differs from the reference (see the forward row)" in " ".join(said)
