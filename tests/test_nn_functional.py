"""nn.functional: activations and losses against PyTorch, stability, errors."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_pytorch(torch, axis):
    x = np.random.default_rng(0).standard_normal((3, 4)) * 5
    g = np.random.default_rng(1).standard_normal((3, 4))
    for ours, theirs in [(F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)]:
        xm, xt = mg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ym, yt = ours(xm, axis=axis), theirs(xt, dim=axis)
        np.testing.assert_allclose(ym.data, yt.detach().numpy(), rtol=1e-12)
        ym.backward(g)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_log_softmax_is_stable_for_huge_logits():
    x = mg.Tensor([[1000.0, 0.0, -1000.0], [-5e4, -5e4, -5e4]], requires_grad=True)
    y = F.log_softmax(x)
    assert np.isfinite(y.data).all()
    np.testing.assert_allclose(y.data[1], np.log(1 / 3) * np.ones(3))
    y.sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_cross_entropy_indices_and_probabilities(torch):
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    probs = rng.dirichlet(np.ones(4), size=5)
    for tgt, ttgt in [(target, torch.tensor(target)), (probs, torch.tensor(probs))]:
        for reduction in ("mean", "sum", "none"):
            xm, xt = mg.Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
            lm = F.cross_entropy(xm, tgt, reduction=reduction)
            lt = torch.nn.functional.cross_entropy(xt, ttgt, reduction=reduction)
            np.testing.assert_allclose(lm.data, lt.detach().numpy(), rtol=1e-12)
            lm.sum().backward()
            lt.sum().backward()
            np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_mse_loss_matches_pytorch(torch):
    a, b = np.random.default_rng(3).standard_normal((2, 3, 2))
    xm, xt = mg.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    F.mse_loss(xm, b).backward()
    torch.nn.functional.mse_loss(xt, torch.tensor(b)).backward()
    np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-12)


def test_loss_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"target classes must lie in \[0, 3\)"):
        F.cross_entropy(mg.randn(2, 3), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"shape \(2,\).*\(3,\)"):
        F.cross_entropy(mg.randn(2, 3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3,\) and target shape \(3, 1\)"):
        F.mse_loss(mg.randn(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(mg.randn(3), np.zeros(3), reduction="avg")


def test_losses_compute_in_the_input_dtype():
    # A float64 NumPy target (NumPy's default) used to turn a float32 model's loss,
    # and every gradient below it, into float64 arithmetic.
    x = mg.Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    probs = np.full((2, 3), 1 / 3)
    target = mg.Tensor(np.zeros((2, 3)), requires_grad=True)
    for loss in (F.mse_loss(x, np.zeros((2, 3))), F.mse_loss(x, target),
                 F.cross_entropy(x, probs), F.cross_entropy(x, mg.Tensor(probs))):
        assert loss.dtype == np.float32, loss
        loss.backward()
    assert x.grad.dtype == np.float32 and target.grad.dtype == np.float64
    np.testing.assert_allclose(target.grad.data, -2 * np.ones((2, 3)) / 6)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_axis_errors_name_the_function(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range.*\(3, 4\)"):
        fn(mg.randn(3, 4), axis=2)
    with pytest.raises(TypeError, match=rf"{name}: axis must be an int"):
        fn(mg.randn(3, 4), axis=(0, 1))


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_is_one_node_with_pytorchs_gradients(torch, shape, bias):
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    g = rng.standard_normal(shape[:-1] + (4,))
    ours = [mg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ym = F.linear(ours[0], ours[1], ours[2] if bias else None)
    yt = torch.nn.functional.linear(theirs[0], theirs[1], theirs[2] if bias else None)
    assert ym.grad_fn.name == "LinearBackward"
    np.testing.assert_allclose(ym.data, yt.detach().numpy(), rtol=1e-13)
    ym.backward(g)
    yt.backward(torch.tensor(g))
    for m, t in zip(ours, theirs):
        if t.grad is not None:
            np.testing.assert_allclose(m.grad.data, t.grad.numpy(), rtol=1e-7)
    assert (ours[2].grad is None) == (not bias)
    assert mg.gradgradcheck(lambda a, v: F.linear(a, v, ours[2] if bias else None).tanh(),
                            [ours[0], ours[1]])


def test_linear_refuses_a_weight_that_is_not_a_matrix_or_vector(torch):
    with pytest.raises(ValueError, match=r"linear: weight must have shape \(out_features, "
                                         r"in_features\), got \(1, 2, 3\)"):
        F.linear(mg.randn(2, 3), mg.randn(1, 2, 3))
    x, w = np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 0.5])
    expected = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w)) + 0.25
    np.testing.assert_allclose(F.linear(x, w, np.array(0.25)).data, expected.numpy())
