"""A small CNN (conv - BatchNorm - ReLU - maxpool - dropout - linear) loaded from
PyTorch's state_dict computes the same outputs, loss, parameter gradients and
BatchNorm running statistics as PyTorch, to 1e-10 in float64. Dropout uses one
mask in both: minigrad's, drawn from a seeded generator, replayed in PyTorch."""
import numpy as np

import layers
import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

P, SEED = 0.3, 5


def _minigrad_cnn():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), layers.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(P, generator=np.random.default_rng(SEED)), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def _torch_cnn(torch):
    class ReplayedDropout(torch.nn.Module):
        """Dropout with the mask minigrad's Dropout draws from the same seed."""

        def forward(self, x):
            keep = np.random.default_rng(SEED).random(tuple(x.shape)) >= P
            return x * torch.tensor(keep / (1 - P))

    tnn = torch.nn
    torch.manual_seed(0)
    model = tnn.Sequential(
        tnn.Conv2d(2, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
        ReplayedDropout(), tnn.Flatten(), tnn.Linear(4 * 4 * 4, 5))
    with torch.no_grad():                       # BatchNorm's affine away from 1 and 0
        model[1].weight.add_(0.2 * torch.randn(4))
        model[1].bias.add_(0.2 * torch.randn(4))
    return model


def test_cnn_matches_pytorch_in_training(torch):
    theirs, ours = _torch_cnn(torch), _minigrad_cnn()
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert sorted(ours.state_dict()) == sorted(state)
    ours.load_state_dict(state)

    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 8, 8))
    labels = rng.integers(0, 5, size=3)
    logits = ours(x)
    loss = F.cross_entropy(logits, labels)
    t_logits = theirs(torch.tensor(x))
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(labels))
    np.testing.assert_allclose(logits.data, t_logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-10)

    loss.backward()
    t_loss.backward()
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.data, p.grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
    ours_state = ours.state_dict()
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(np.asarray(ours_state[name]), value.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


def test_cnn_in_eval_mode_matches_pytorch(torch):
    theirs, ours = _torch_cnn(torch), _minigrad_cnn()
    theirs[1].running_mean.add_(0.3)
    theirs[1].running_var.mul_(1.7)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    theirs.eval()
    theirs[4].forward = lambda x: x             # eval: dropout is the identity
    ours.eval()
    x = np.random.default_rng(2).standard_normal((2, 2, 8, 8))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert mg.nn.Dropout(0.5).eval()(mg.Tensor(x)).data is not None
