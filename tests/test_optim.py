"""The optimizers (SGD, Adam, AdamW, RMSprop) and the lr schedulers against PyTorch's, step
by step, and their argument checks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim


def _run(opt_ours, opt_theirs, torch, steps=5, **kwargs):
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


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.05, weight_decay=0.3),
                                    dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.0)])
def test_adamw_matches_pytorch(torch, kwargs):
    _run(optim.AdamW, torch.optim.AdamW, torch, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, dict(lr=0.05, alpha=0.9, weight_decay=0.1),
                                    dict(lr=0.01, momentum=0.9), dict(lr=0.01, centered=True),
                                    dict(lr=0.02, centered=True, momentum=0.5, eps=1e-4)])
def test_rmsprop_matches_pytorch(torch, kwargs):
    _run(optim.RMSprop, torch.optim.RMSprop, torch, **kwargs)


@pytest.mark.parametrize("make, make_torch", [
    (lambda o: optim.lr_scheduler.StepLR(o, 3, gamma=0.5),
     lambda o, torch: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5)),
    (lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
     lambda o, torch: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01)),
    (lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
     lambda o, torch: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4)),
])
def test_schedulers_match_pytorch(torch, make, make_torch):
    w = mg.Tensor(np.ones(2), requires_grad=True)
    wt = torch.ones(2, requires_grad=True)
    ours_opt, theirs_opt = optim.SGD([w], lr=0.1), torch.optim.SGD([wt], lr=0.1)
    ours, theirs = make(ours_opt), make_torch(theirs_opt, torch)
    for epoch in range(12):
        assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-12,
                                                      abs=1e-15), epoch
        w.grad, wt.grad = mg.Tensor(np.ones(2)), torch.ones(2)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
    np.testing.assert_allclose(w.data, wt.detach().numpy(), rtol=1e-12)


def test_scheduler_state_round_trip_and_errors():
    w = mg.Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([w], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, 2)
    for _ in range(5):
        sched.step()
    state = sched.state_dict()
    other = optim.lr_scheduler.StepLR(optim.Adam([w], lr=1.0), 2)
    other.load_state_dict(state)
    assert other.get_last_lr() == sched.get_last_lr() == [pytest.approx(0.01)]
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive int"):
        optim.lr_scheduler.StepLR(opt, 0)
    with pytest.raises(TypeError, match="CosineAnnealingLR: expected an optimizer"):
        optim.lr_scheduler.CosineAnnealingLR([w], 3)
    with pytest.raises(ValueError, match="RMSprop: invalid alpha"):
        optim.RMSprop([w], alpha=2.0)
