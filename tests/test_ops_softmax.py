"""The fused log_softmax and cross-entropy entries (minigrad/ops/softmax.py): the
same values, gradients and second derivatives as the composed versions and as
PyTorch, in one node each."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F


def _grads(fn, x, create_graph=False):
    xm = mg.Tensor(x, requires_grad=True)
    y = fn(xm)
    (g,) = mg.grad(y.sum() if y.ndim else y, [xm], create_graph=create_graph)
    return y, g, xm


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_fused_log_softmax_is_the_composed_one(axis):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    weights = np.random.default_rng(1).standard_normal((4, 5))
    fused = _grads(lambda t: F.log_softmax(t, axis) * weights, x)
    composed = _grads(lambda t: F.log_softmax_composed(t, axis) * weights, x)
    np.testing.assert_allclose(fused[0].data, composed[0].data, rtol=1e-13)
    np.testing.assert_allclose(fused[1].data, composed[1].data, rtol=1e-12, atol=1e-15)


def test_fused_log_softmax_records_one_node():
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    y = F.log_softmax(x)
    assert y.grad_fn.name == "LogSoftmaxBackward"
    assert y.grad_fn.edges[0][0] is x._edge()[0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_one_node_with_pytorchs_gradients(torch, reduction):
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((6, 4)) * 2, np.array([0, 3, 1, 1, 2, 3])
    g = rng.standard_normal(6) if reduction == "none" else np.array(1.7)
    xm = mg.Tensor(logits, requires_grad=True)
    lm = F.cross_entropy(xm, target, reduction=reduction)
    assert lm.grad_fn.name == "CrossEntropyBackward"
    xt = torch.tensor(logits, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
    np.testing.assert_allclose(lm.data, lt.detach().numpy(), rtol=1e-13)
    lm.backward(g)
    lt.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-7, atol=1e-15)


def test_cross_entropy_second_derivatives_match_pytorch(torch):
    """d/dlogits of sum(dL/dlogits * v): the softmax Hessian-vector product."""
    rng = np.random.default_rng(4)
    logits, target, v = rng.standard_normal((3, 5)), np.array([4, 0, 2]), rng.standard_normal((3, 5))
    xm = mg.Tensor(logits, requires_grad=True)
    (gm,) = mg.grad(F.cross_entropy(xm, target), [xm], create_graph=True)
    (hm,) = mg.grad((gm * v).sum(), [xm])
    xt = torch.tensor(logits, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.cross_entropy(xt, torch.tensor(target)), [xt],
                                create_graph=True)
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), [xt])
    np.testing.assert_allclose(gm.data, gt.detach().numpy(), rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(hm.data, ht.numpy(), rtol=1e-7, atol=1e-15)


def test_fused_entries_pass_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(5)
    x = mg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    target = np.array([1, 0, 3])
    for fn in (lambda t: F.cross_entropy(t, target), lambda t: F.cross_entropy(t, target, "none"),
               lambda t: F.log_softmax(t, 0), lambda t: F.softmax(t)):
        assert mg.gradcheck(fn, [x])
        assert mg.gradgradcheck(fn, [x])


def test_one_example_and_float32():
    logits = np.array([0.5, -1.0, 2.0])
    for reduction, shape in (("mean", ()), ("sum", ()), ("none", ())):
        loss = F.cross_entropy(mg.Tensor(logits, requires_grad=True), np.array(2), reduction)
        assert loss.shape == shape
        np.testing.assert_allclose(loss.data, -F.log_softmax(mg.Tensor(logits)).data[2])
    x32 = mg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    loss = F.cross_entropy(x32, np.array([0, 2]))
    loss.backward()
    assert loss.dtype == np.float32 and x32.grad.dtype == np.float32


def test_huge_logits_and_a_bad_reduction():
    x = mg.Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    loss = F.cross_entropy(x, np.array([2]))
    loss.backward()
    np.testing.assert_allclose(loss.data, 2000.0)
    np.testing.assert_allclose(x.grad.data, [[1.0, 0.0, -1.0]])
    with pytest.raises(ValueError, match="cross_entropy: reduction must be 'mean', 'sum' or "
                                         "'none', got 'avg'"):
        F.cross_entropy(x, np.array([2]), reduction="avg")
