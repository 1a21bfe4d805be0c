"""SGD and Adam steps against PyTorch's, and their argument checks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim


def _run(opt_ours, opt_theirs, torch, steps=4, **kwargs):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    targets = [rng.standard_normal((3, 2)) for _ in range(steps)]
    w = mg.Tensor(w0, requires_grad=True)
    wt = torch.tensor(w0, requires_grad=True)
    ours, theirs = opt_ours([w], **kwargs), opt_theirs([wt], **kwargs)
    for t in targets:
        ours.zero_grad()
        theirs.zero_grad()
        ((w - t) ** 2 * (w + 1)).sum().backward()
        ((wt - torch.tensor(t)) ** 2 * (wt + 1)).sum().backward()
        ours.step()
        theirs.step()
        np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.05, momentum=0.9),
                                    dict(lr=0.05, momentum=0.5, weight_decay=0.1)])
def test_sgd_matches_pytorch(torch, kwargs):
    _run(optim.SGD, torch.optim.SGD, torch, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
                                    dict(lr=0.01, weight_decay=0.1)])
def test_adam_matches_pytorch(torch, kwargs):
    _run(optim.Adam, torch.optim.Adam, torch, **kwargs)


def test_parameters_without_grad_are_skipped():
    a, b = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0)
    (a * 3).sum().backward()
    opt.step()
    np.testing.assert_array_equal(a.data, [-2, -2])
    np.testing.assert_array_equal(b.data, [1, 1])


def test_frozen_parameters_may_be_given_as_in_pytorch(torch):
    # A frozen layer (requires_grad=False) stays in model.parameters(); PyTorch's
    # optimizers take it and leave it alone. Refusing it broke that usual pattern.
    from minigrad import nn
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    net[0].weight.requires_grad = False
    frozen, trained = net[0].weight.data.copy(), net[1].weight.data.copy()
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(np.ones((3, 2))).sum().backward()
    opt.step()
    assert net[0].weight.grad is None
    np.testing.assert_array_equal(net[0].weight.data, frozen)
    np.testing.assert_allclose(net[1].weight.data, trained - 0.1 * net[1].weight.grad.data)
    torch.optim.SGD([torch.zeros(2)], lr=0.1)       # PyTorch accepts it too


def test_float32_parameters_stay_float32():
    p = mg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.data.dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="parameter 1.*not a leaf"):
        optim.SGD([mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True) * 2], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0.*ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    # One tensor instead of a list of them: iterating it would give its rows.
    with pytest.raises(TypeError, match="SGD: params must be an iterable of tensors.*Tensor"):
        optim.SGD(mg.ones(2, requires_grad=True), lr=0.1)
    # The same parameter twice would be stepped twice, silently.
    p = mg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="Adam: parameter 1 is parameter 0 again"):
        optim.Adam([p, p])
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([mg.ones(2, requires_grad=True)], lr=-1)
