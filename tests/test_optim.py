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


def test_float32_parameters_stay_float32():
    p = mg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.data.dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0"):
        optim.SGD([mg.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([mg.ones(2, requires_grad=True)], lr=-1)
