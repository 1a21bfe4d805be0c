"""BatchChannelNorm2d against PyTorch references (float64), in both backward modes.

estimate=False is torch's BatchNorm2d followed by its GroupNorm. estimate=True
is checked against the authors' estimated-BN algorithm (README of
joe-siyuan-qiao/Batch-Channel-Normalization), restated below in PyTorch with
the update rate taken from `momentum`.
"""
import numpy as np
import pytest

from minigrad import Tensor
from layers import BatchChannelNorm2d
from layers.functional import batch_channel_norm
from layer_helpers import (
    MODES, check_derivatives, check_float32, check_load_torch_state, check_modes_agree, run_side_by_side,
)


def torch_reference(torch, channels, groups, eps=1e-5, momentum=0.1, estimate=False):
    nn = torch.nn

    class EstimatedBN(nn.Module):
        """Normalise with running estimates even in training; a training step
        first moves them (mean, and the biased spread about the OLD mean)."""

        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))
            self.register_buffer("running_mean", torch.zeros(channels))
            self.register_buffer("running_var", torch.ones(channels))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

        def forward(self, x):
            if self.training:
                with torch.no_grad():
                    per_channel = x.transpose(0, 1).reshape(channels, -1)
                    batch_mean = per_channel.mean(dim=1)
                    spread = ((per_channel - self.running_mean[:, None]) ** 2).mean(dim=1)
                    self.running_mean.mul_(1 - momentum).add_(momentum * batch_mean)
                    self.running_var.mul_(1 - momentum).add_(momentum * spread)
                    self.num_batches_tracked += 1
            shape = (1, channels, 1, 1)
            x_hat = (x - self.running_mean.view(shape)) / torch.sqrt(self.running_var.view(shape) + eps)
            return self.weight.view(shape) * x_hat + self.bias.view(shape)

    class BCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = EstimatedBN() if estimate else nn.BatchNorm2d(channels, eps, momentum)
            self.gn = nn.GroupNorm(groups, channels, eps)

        def forward(self, x):
            return self.gn(self.bn(x))

    return BCN()


def _randomise(ours, theirs, torch, rng):
    state = {k: rng.standard_normal(v.shape) + (1 if k.endswith("weight") else 0)
             for k, v in ours.state_dict().items() if k.endswith(("weight", "bias"))}
    ours.load_state_dict({**ours.state_dict(), **state})
    theirs.load_state_dict({**theirs.state_dict(), **{k: torch.tensor(v) for k, v in state.items()}})


VARIANTS = [{}, {"estimate": True}, {"estimate": True, "momentum": 0.5, "eps": 1e-3},
            {"momentum": None}]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kwargs", VARIANTS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_matches_pytorch_reference(torch, kwargs, mode, rng):
    ours = BatchChannelNorm2d(4, 2, backward=mode, **kwargs)
    theirs = torch_reference(torch, 4, 2, **kwargs)
    _randomise(ours, theirs, torch, rng)
    run_side_by_side(ours, theirs, torch, [(3, 4, 2, 3), (2, 4, 3, 3)], rng, train_steps=3)


def test_structure_and_state_dict_keys(torch):
    bcn = BatchChannelNorm2d(4, 2)
    assert list(bcn.state_dict()) == list(torch_reference(torch, 4, 2).state_dict())
    assert list(bcn.state_dict()) == ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                                      "bn.num_batches_tracked", "gn.weight", "gn.bias"]
    est = BatchChannelNorm2d(4, 2, estimate=True)
    assert list(est.state_dict()) == list(torch_reference(torch, 4, 2, estimate=True).state_dict())
    assert est.gn.weight.shape == (4,)       # per channel, not the authors' per group


def test_estimates_get_no_gradient_and_no_graph(rng):
    bcn = BatchChannelNorm2d(4, 2, estimate=True)
    y = bcn(Tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True))
    y.backward(np.ones(y.shape))
    for b in bcn.buffers():
        assert b.grad is None and b.grad_fn is None and not b.requires_grad


def test_equals_the_authors_per_group_affine_when_weights_are_shared_in_a_group(torch, rng):
    """The authors' CN: batch_norm over (1, N*G, -1), then weight and bias of shape
    (1, G, 1). With our per-channel weight set constant within each group, the
    two compute the same thing."""
    x = rng.standard_normal((3, 4, 2, 2))
    group_weight, group_bias = rng.standard_normal(2), rng.standard_normal(2)
    bn_out = torch.nn.BatchNorm2d(4)(torch.tensor(x))
    cn = torch.batch_norm(bn_out.reshape(1, 3 * 2, -1), None, None, None, None, True, 0.0, 1e-5, False)
    theirs = (torch.tensor(group_weight).view(1, 2, 1) * cn.reshape(3, 2, -1)
              + torch.tensor(group_bias).view(1, 2, 1)).reshape(x.shape)
    ours = BatchChannelNorm2d(4, 2)
    ours.gn.weight.data[...] = np.repeat(group_weight, 2)
    ours.gn.bias.data[...] = np.repeat(group_bias, 2)
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("estimate", [False, True])
def test_load_pytorch_state_dict(torch, mode, estimate, rng):
    check_load_torch_state(BatchChannelNorm2d(4, 2, estimate=estimate, backward=mode),
                           torch_reference(torch, 4, 2, estimate=estimate), torch, (2, 4, 2, 2), rng)


@pytest.mark.parametrize("estimate", [False, True])
@pytest.mark.parametrize("training", [False, True])
def test_autograd_and_manual_agree(estimate, training, rng):
    def make(mode):
        bcn = BatchChannelNorm2d(4, 2, estimate=estimate, backward=mode)
        bcn.bn.running_mean.data[...] = [0.5, -1, 0, 2]
        bcn.bn.running_var.data[...] = [1.5, 0.5, 2, 1]
        return bcn
    check_modes_agree(make, (2, 4, 2, 3), rng, training)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("estimate", [False, True])
def test_gradcheck_and_gradgradcheck(mode, estimate, rng):
    bcn = BatchChannelNorm2d(2, 1, estimate=estimate, backward=mode)
    bcn.bn.running_var.data[...] = [0.5, 2.0]
    bcn.train(not estimate)         # estimate=True would move the estimates on every call
    check_derivatives(bcn, rng.standard_normal((2, 2, 2, 1)))


@pytest.mark.parametrize("mode", MODES)
def test_float32_in_float32_out(mode, rng):
    check_float32(BatchChannelNorm2d(4, 2, backward=mode), (2, 4, 2, 2), rng)
    check_float32(BatchChannelNorm2d(4, 2, estimate=True, backward=mode), (2, 4, 2, 2), rng)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"BatchChannelNorm2d expected 4 channels, got input of shape \(2, 3, 2, 2\)"):
        BatchChannelNorm2d(4, 2)(Tensor(np.zeros((2, 3, 2, 2))))
    with pytest.raises(ValueError, match=r"BatchChannelNorm2d expected 4-D \(N, C, H, W\) input, got input of shape \(4, 2, 2\)"):
        BatchChannelNorm2d(4, 2)(Tensor(np.zeros((4, 2, 2))))
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        BatchChannelNorm2d(6, 4)
    with pytest.raises(ValueError, match="^BatchChannelNorm2d: with estimate=True, momentum is"):
        BatchChannelNorm2d(4, 2, estimate=True, momentum=None)
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        BatchChannelNorm2d(4, 2, backward="both")


# ---------------------------------------------------------------------------
# batch_channel_norm, the function form
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("estimate", [False, True])
def test_function_form_equals_the_module(estimate, mode, rng):
    """Same outputs, gradients and in-place running statistics as the module, over
    training steps and an eval step."""
    bcn = BatchChannelNorm2d(4, 2, estimate=estimate, momentum=0.3, backward=mode)
    params = {k: rng.standard_normal(4) + (k.endswith("weight")) for k in
              ("bn.weight", "bn.bias", "gn.weight", "gn.bias")}
    bcn.load_state_dict({**bcn.state_dict(), **params})
    running_mean, running_var = np.zeros(4), np.ones(4)
    for training in (True, True, False):
        bcn.train(training)
        x = rng.standard_normal((3, 4, 2, 2)) * 2 + 1
        x_module, x_function = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
        weights = {k: Tensor(v, requires_grad=True) for k, v in params.items()}
        y_module = bcn(x_module)
        y_function = batch_channel_norm(
            x_function, 2, running_mean, running_var, weights["bn.weight"], weights["bn.bias"],
            weights["gn.weight"], weights["gn.bias"], training, 0.3, estimate=estimate,
            backward=mode)
        np.testing.assert_allclose(y_function.data, y_module.data, rtol=0, atol=1e-12)
        dy = rng.standard_normal(x.shape)
        y_module.backward(dy)
        y_function.backward(dy)
        np.testing.assert_allclose(x_function.grad.data, x_module.grad.data, rtol=0, atol=1e-12)
        module_params = dict(bcn.named_parameters())
        for k, w in weights.items():
            np.testing.assert_allclose(w.grad.data, module_params[k].grad.data, rtol=0, atol=1e-12)
        bcn.zero_grad()
        np.testing.assert_allclose(running_mean, bcn.bn.running_mean.data, rtol=0, atol=1e-15)
        np.testing.assert_allclose(running_var, bcn.bn.running_var.data, rtol=0, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("estimate, training", [(False, True), (False, False), (True, True)])
def test_function_form_gradcheck_and_gradgradcheck(mode, estimate, training, rng):
    """estimate=True in training with momentum=0: the estimates stay put, so finite
    differences see the same constant statistics the gradient assumes."""
    running_mean, running_var = rng.standard_normal(2), rng.random(2) + 0.5

    def f(x, bn_w, bn_b, gn_w, gn_b):
        return batch_channel_norm(x, 1, running_mean.copy(), running_var.copy(), bn_w, bn_b,
                                  gn_w, gn_b, training, 0.0, estimate=estimate, backward=mode)
    check_derivatives(f, rng.standard_normal((2, 2, 2, 1)),
                      *(rng.standard_normal(2) + k % 2 for k in range(4)))


def test_function_form_bad_inputs():
    x = Tensor(np.zeros((2, 4, 2, 2)))
    stats = (np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match=r"batch_channel_norm expected 4-D \(N, C, H, W\) input, "
                                         r"got input of shape \(2, 4, 2\)"):
        batch_channel_norm(Tensor(np.zeros((2, 4, 2))), 2, *stats)
    with pytest.raises(ValueError, match=r"batch_channel_norm: the 4 channels of input of shape "
                                         r"\(2, 4, 2, 2\) must be divisible by num_groups \(3\)"):
        batch_channel_norm(x, 3, *stats)
    with pytest.raises(ValueError, match=r"batch_channel_norm: gn_weight must have shape \(4,\), "
                                         r"got shape \(2,\)"):
        batch_channel_norm(x, 2, *stats, gn_weight=np.ones(2))
    with pytest.raises(ValueError, match="batch_channel_norm: estimate=True normalises with "
                                         "running_mean and running_var, got None"):
        batch_channel_norm(x, 2, None, None, estimate=True)
    with pytest.raises(ValueError, match=r"batch_channel_norm expected more than 1 value per "
                                         r"channel when training, got input of shape \(1, 4, 1, 1\)"):
        batch_channel_norm(Tensor(np.zeros((1, 4, 1, 1))), 2, *stats, training=True)
    with pytest.raises(TypeError, match="batch_channel_norm: momentum .* got None"):
        batch_channel_norm(x, 2, *stats, training=True, momentum=None, estimate=True)
    with pytest.raises(ValueError, match="batch_channel_norm: backward must be"):
        batch_channel_norm(x, 2, *stats, backward="auto")


def test_one_value_per_channel_names_the_layer_called():
    with pytest.raises(ValueError, match=r"^BatchChannelNorm2d expected more than 1 value per "
                                         r"channel when training, got input of shape \(1, 4, 1, 1\)"):
        BatchChannelNorm2d(4, 2)(Tensor(np.zeros((1, 4, 1, 1))))
    # The estimated form normalises with its estimates: one value per channel is fine.
    assert BatchChannelNorm2d(4, 2, estimate=True)(Tensor(np.zeros((1, 4, 1, 1)))).shape == (1, 4, 1, 1)


@pytest.mark.parametrize("estimate", [False, True])
def test_float32_module(estimate, rng):
    """dtype=np.float32 reaches both children: float32 parameters, running statistics
    and parameter gradients (num_batches_tracked stays int64)."""
    bcn = BatchChannelNorm2d(4, 2, estimate=estimate, dtype=np.float32)
    for key, value in bcn.state_dict().items():
        assert value.dtype == (np.int64 if key.endswith("num_batches_tracked") else np.float32), key
    y = bcn(Tensor(rng.standard_normal((2, 4, 2, 2)).astype(np.float32)))
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in bcn.parameters())
    assert bcn.bn.running_var.dtype == np.float32
