"""AdamW, RMSprop and the lr schedulers against PyTorch's, step by step."""
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
