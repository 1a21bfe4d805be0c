"""nn/losses.py against PyTorch in float64: nll_loss and cross_entropy with
weight, ignore_index, label_smoothing and (N, C, d1, ...) logits, probability
targets; binary_cross_entropy (also at 0 and 1) and the with-logits form (huge
logits, pos_weight); smooth_l1 and huber at and around their seams; the
modules and their state_dict; errors."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from torch_oracle import compare, compare_second

REDUCTIONS = ["mean", "sum", "none"]


def _labels(rng, shape, classes, ignore=None):
    t = rng.integers(0, classes, size=shape)
    if ignore is not None:
        t.flat[::3] = ignore
    return t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2), (2, 4, 3, 2)], ids=str)
def test_nll_loss_with_weight_and_ignore_index(torch, rng, shape, reduction):
    x = rng.standard_normal(shape)
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    weight = rng.uniform(0.5, 2.0, size=shape[0 if len(shape) == 1 else 1])
    for w in (None, weight):
        for ignore in (-100, 1):
            t = _labels(rng, target_shape, weight.size, ignore if len(shape) > 1 else None)
            tw = None if w is None else torch.tensor(w)
            compare(torch, lambda s: F.nll_loss(s, t, w, ignore, reduction),
                    lambda s: torch.nn.functional.nll_loss(s, torch.tensor(t), tw,
                                                           ignore_index=ignore,
                                                           reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3), (4,)], ids=str)
def test_cross_entropy_options(torch, rng, shape, smoothing, reduction):
    x = rng.standard_normal(shape) * 3
    classes = shape[0 if len(shape) == 1 else 1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    weight = rng.uniform(0.5, 2.0, size=classes)
    for w in (None, weight):
        t = _labels(rng, target_shape, classes, 2 if len(shape) > 1 else None)
        tw = None if w is None else torch.tensor(w)
        compare(torch, lambda s: F.cross_entropy(s, t, reduction, weight=w, ignore_index=2,
                                                 label_smoothing=smoothing),
                lambda s: torch.nn.functional.cross_entropy(
                    s, torch.tensor(t), tw, ignore_index=2, reduction=reduction,
                    label_smoothing=smoothing), x)
        # probability targets, with the same options
        p = rng.dirichlet(np.ones(classes), size=int(np.prod(target_shape)))
        p = np.moveaxis(p.reshape(target_shape + (classes,)), -1, 1 if len(shape) > 1 else 0)
        compare(torch, lambda s: F.cross_entropy(s, p, reduction, weight=w,
                                                 label_smoothing=smoothing),
                lambda s: torch.nn.functional.cross_entropy(
                    s, torch.tensor(p), tw, reduction=reduction, label_smoothing=smoothing), x)


def test_cross_entropy_default_ignore_index_and_all_ignored(torch, rng):
    x = rng.standard_normal((4, 3))
    t = np.array([0, -100, 2, -100])
    compare(torch, lambda s: F.cross_entropy(s, t),
            lambda s: torch.nn.functional.cross_entropy(s, torch.tensor(t)), x)
    everything = np.full(4, -100)
    ours = F.cross_entropy(mg.Tensor(x), everything)
    assert np.isnan(ours.item()) and np.isnan(
        torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(everything)).item())


def test_cross_entropy_second_derivative_with_smoothing(torch, rng):
    x, t = rng.standard_normal((3, 4)), np.array([0, 3, 1])
    compare_second(torch, lambda s: F.cross_entropy(s, t, label_smoothing=0.2),
                   lambda s: torch.nn.functional.cross_entropy(s, torch.tensor(t),
                                                               label_smoothing=0.2), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(torch, rng, reduction):
    x = rng.uniform(0.05, 0.95, size=(3, 4))
    t = rng.uniform(0, 1, size=(3, 4))
    w = rng.uniform(0.5, 2, size=(4,))
    compare(torch, lambda s, u: F.binary_cross_entropy(s, u, reduction=reduction),
            lambda s, u: torch.nn.functional.binary_cross_entropy(s, u, reduction=reduction),
            x, t)
    compare(torch, lambda s: F.binary_cross_entropy(s, t, w, reduction),
            lambda s: torch.nn.functional.binary_cross_entropy(
                s, torch.tensor(t), torch.tensor(w), reduction=reduction), x)


def test_binary_cross_entropy_at_zero_and_one_like_torch(torch):
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-60, 0.5])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.5])
    compare(torch, lambda s: F.binary_cross_entropy(s, t, reduction="none"),
            lambda s: torch.nn.functional.binary_cross_entropy(s, torch.tensor(t),
                                                               reduction="none"), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(torch, rng, reduction):
    x = np.array([[-800.0, -30.0, -1.0, 0.0], [0.5, 2.0, 40.0, 800.0]])
    t = rng.uniform(0, 1, size=x.shape)
    w, pos = rng.uniform(0.5, 2, size=(4,)), rng.uniform(0.5, 3, size=(4,))
    compare(torch, lambda s, u: F.binary_cross_entropy_with_logits(s, u, reduction=reduction),
            lambda s, u: torch.nn.functional.binary_cross_entropy_with_logits(
                s, u, reduction=reduction), x, t)
    compare(torch, lambda s: F.binary_cross_entropy_with_logits(s, t, w, reduction, pos),
            lambda s: torch.nn.functional.binary_cross_entropy_with_logits(
                s, torch.tensor(t), torch.tensor(w), reduction=reduction,
                pos_weight=torch.tensor(pos)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_and_huber_at_their_seams(torch, reduction, beta):
    d = np.array([-2.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 3.0])
    target = np.linspace(-1, 1, d.size)
    x = target + d
    compare(torch, lambda s, u: F.smooth_l1_loss(s, u, reduction, beta),
            lambda s, u: torch.nn.functional.smooth_l1_loss(s, u, reduction=reduction,
                                                            beta=beta), x, target)
    if beta:
        compare(torch, lambda s, u: F.huber_loss(s, u, reduction, beta),
                lambda s, u: torch.nn.functional.huber_loss(s, u, reduction=reduction,
                                                            delta=beta), x, target)


def test_loss_modules_and_state_dict(torch, rng):
    x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    w = rng.uniform(0.5, 2, size=3)
    probs, bits = rng.uniform(0.1, 0.9, (4, 3)), rng.integers(0, 2, (4, 3)).astype(float)
    pairs = [
        (mg.nn.NLLLoss(w, ignore_index=1), torch.nn.NLLLoss(torch.tensor(w), ignore_index=1),
         x, t),
        (mg.nn.BCELoss(w), torch.nn.BCELoss(torch.tensor(w)), probs, bits),
        (mg.nn.BCEWithLogitsLoss(pos_weight=w), torch.nn.BCEWithLogitsLoss(
            pos_weight=torch.tensor(w)), x, bits),
        (mg.nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), x, probs),
        (mg.nn.HuberLoss("sum", 0.5), torch.nn.HuberLoss("sum", 0.5), x, probs),
        (mg.nn.CrossEntropyLoss(w, ignore_index=0, label_smoothing=0.1), torch.nn.CrossEntropyLoss(
            torch.tensor(w), ignore_index=0, label_smoothing=0.1), x, t),
    ]
    for ours, theirs, inp, target in pairs:
        compare(torch, lambda s: ours(s, target), lambda s: theirs(s, torch.tensor(target)), inp)
        assert sorted(ours.state_dict()) == sorted(theirs.state_dict()), type(ours).__name__


def test_float32_stays_float32(rng):
    x = mg.Tensor(rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32), requires_grad=True)
    t = np.array([0, 2, 1, 2])
    for loss in (F.nll_loss(x, t), F.cross_entropy(x, t, label_smoothing=0.1),
                 F.binary_cross_entropy(x, np.ones((4, 3))),
                 F.binary_cross_entropy_with_logits(x, np.ones((4, 3))),
                 F.smooth_l1_loss(x, np.zeros((4, 3))), F.huber_loss(x, np.zeros((4, 3)))):
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad.dtype == np.float32
        x.grad = None


def test_errors_name_the_loss():
    x = mg.Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"nll_loss: target must have shape \(4,\)"):
        F.nll_loss(x, np.zeros(3, int))
    with pytest.raises(TypeError, match="nll_loss: target must hold integer class indices"):
        F.nll_loss(x, np.zeros(4))
    with pytest.raises(ValueError, match=r"cross_entropy: target classes must lie in \[0, 3\)"):
        F.cross_entropy(mg.Tensor(np.zeros((4, 3, 2))), np.full((4, 2), 3))
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have shape \(3,\)"):
        F.cross_entropy(x, np.zeros(4, int), weight=np.ones(2))
    with pytest.raises(ValueError, match="cross_entropy: label_smoothing must be in"):
        F.cross_entropy(x, np.zeros(4, int), label_smoothing=1.5)
    with pytest.raises(ValueError, match="binary_cross_entropy: input must hold probabilities"):
        F.binary_cross_entropy(mg.Tensor([0.5, 1.5]), np.ones(2))
    with pytest.raises(ValueError, match=r"huber_loss: input shape \(4, 3\) and target shape"):
        F.huber_loss(x, np.zeros(3))
    with pytest.raises(ValueError, match="smooth_l1_loss: reduction must be"):
        F.smooth_l1_loss(x, np.zeros((4, 3)), "avg")
