"""The seeds' BatchNorm/LayerNorm mistakes (docs/normalization.md, section 4), one test each.

Each test transcribes the seed's code or formula as printed (in NumPy unless the
mistake is about autograd itself), citing file and line of shared/seeds/, shows
that it disagrees with PyTorch, and shows that our layer agrees with PyTorch.
Where it helps, the test also repairs only the mistake in question and checks
that the repaired transcription then matches: the disagreement is that mistake
and nothing else.
"""
import numpy as np
import pytest

import minigrad as mg
from layers.batchnorm import BatchNorm1d, BatchNorm2d
from layers.layernorm import LayerNorm

BACKWARDS = ["autograd", "manual"]


class Seed000BatchNorm:
    """seeds/000_94ec7ef513c42e15.txt lines 60-83, torch calls replaced by NumPy's."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma = np.ones(num_features)                   # line 66
        self.beta = np.zeros(num_features)                   # line 67
        self.running_mean = np.zeros(num_features)           # line 68
        self.running_var = np.ones(num_features)             # line 69

    def forward(self, x):
        if self.training:
            mean = x.mean(axis=(0, 2, 3), keepdims=True)                         # line 73
            var = x.var(axis=(0, 2, 3), keepdims=True)       # line 74: unbiased=False
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean.squeeze()
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var.squeeze()
        else:
            mean = self.running_mean                         # line 78: shape (C,)
            var = self.running_var
        x_normalized = (x - mean) / np.sqrt(var + self.eps)                     # line 81
        return self.gamma.reshape(1, -1, 1, 1) * x_normalized + self.beta.reshape(1, -1, 1, 1)


class Seed000LayerNorm:
    """seeds/000_94ec7ef513c42e15.txt lines 108-131, torch calls replaced by NumPy's."""

    def __init__(self, features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma = np.ones(features)                       # line 114
        self.beta = np.zeros(features)
        self.running_mean = np.zeros(features)               # line 116: LN has no such buffer
        self.running_std = np.ones(features)                 # line 117

    def forward(self, x):
        if self.training:
            mean = x.mean(axis=-1, keepdims=True)                                # line 121
            std = x.std(axis=-1, keepdims=True)              # line 122: unbiased=False
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean.squeeze()
            self.running_std = self.momentum * self.running_std + (1 - self.momentum) * std.squeeze()
        else:
            mean = self.running_mean                                             # line 126
            std = self.running_std
        x_normalized = (x - mean) / np.sqrt(std ** 2 + self.eps)                # line 129
        return self.gamma * x_normalized + self.beta


class Seed003MyBN:
    """seeds/003_79691822617f09b9.txt lines 26-50 (MyBN.__init__ and batch_norm)."""

    def __init__(self, momentum, eps, num_features):
        self._running_mean = 0                               # line 30
        self._running_var = 1                                # line 31
        self._momentum, self._eps = momentum, eps
        self._beta = np.zeros(shape=(num_features,))
        self._gamma = np.ones(shape=(num_features,))

    def batch_norm(self, x):
        x_mean = x.mean(axis=0)                                                  # line 42
        x_var = x.var(axis=0)                                # line 43: ddof=0
        self._running_mean = (1 - self._momentum) * x_mean + self._momentum * self._running_mean
        self._running_var = (1 - self._momentum) * x_var + self._momentum * self._running_var
        x_hat = (x - x_mean) / np.sqrt(x_var + self._eps)                        # line 48
        return self._gamma * x_hat + self._beta


def seed004_moving_average(moving, current, momentum):
    """seeds/004_a8b8620080b5d643.txt lines 43-44 and 80:
    moving = momentum * moving + (1 - momentum) * current, with momentum near 1 (line 46)."""
    return momentum * moving + (1 - momentum) * current


def seed004_batch_variance(x):
    """seeds/004_a8b8620080b5d643.txt line 19: sigma_B^2 = 1/m sum (x_i - mu_B)^2, which
    line 76 reuses for the moving variance."""
    return ((x - x.mean(axis=0)) ** 2).sum(axis=0) / x.shape[0]


def _torch_bn(torch, x, module, steps=1):
    """Run a torch BatchNorm module in training mode over `steps` batches."""
    for batch in x[:steps]:
        module(torch.tensor(batch))
    return module.running_mean.numpy(), module.running_var.numpy()


def _our_bn(module, x, steps=1):
    for batch in x[:steps]:
        module(mg.Tensor(batch))
    return module.running_mean.data, module.running_var.data


# --------------------------------------------------------------------------------------
# seeds/000: the BatchNorm and LayerNorm classes
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("backward", BACKWARDS)
def test_E3_running_mean_momentum_is_inverted(torch, rng, backward):
    x = 3 + rng.standard_normal((1, 8, 3, 4, 4))
    seed = Seed000BatchNorm(3)
    seed.forward(x[0])
    theirs, _ = _torch_bn(torch, x, torch.nn.BatchNorm2d(3))
    ours, _ = _our_bn(BatchNorm2d(3, backward=backward), x)
    # The seed keeps 90% of the NEW batch (2.7 where torch has 0.3 for a mean near 3).
    assert np.abs(seed.running_mean - theirs).min() > 1.5
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    # PyTorch's rule is the seed's with momentum replaced by 1 - momentum.
    repaired = Seed000BatchNorm(3, momentum=0.9)
    repaired.forward(x[0])
    np.testing.assert_allclose(repaired.running_mean, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E4_running_var_is_biased(torch, rng, backward):
    x = rng.standard_normal((1, 2, 3, 2, 2))           # m = N*H*W = 8: a factor 8/7
    seed = Seed000BatchNorm(3, momentum=0.9)           # momentum repaired, to isolate E4
    seed.forward(x[0])
    _, theirs = _torch_bn(torch, x, torch.nn.BatchNorm2d(3))
    _, ours = _our_bn(BatchNorm2d(3, backward=backward), x)
    assert np.abs(seed.running_var - theirs).min() > 1e-3
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    unbiased = x[0].var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(0.9 * 1 + 0.1 * unbiased, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E5_eval_broadcasts_running_mean_along_width(torch, rng, backward):
    running_mean, running_var = np.array([-2.0, 0.5, 3.0]), np.array([0.5, 1.0, 4.0])
    theirs, ours = torch.nn.BatchNorm2d(3).eval(), BatchNorm2d(3, backward=backward).eval()
    theirs.running_mean.copy_(torch.tensor(running_mean))
    theirs.running_var.copy_(torch.tensor(running_var))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    seed = Seed000BatchNorm(3)
    seed.running_mean, seed.running_var = running_mean.copy(), running_var.copy()  # same stats
    seed.training = False

    x_square = rng.standard_normal((2, 3, 4, 3))       # W == C: runs, silently wrong
    expected = theirs(torch.tensor(x_square)).detach().numpy()
    assert np.abs(seed.forward(x_square) - expected).max() > 1
    np.testing.assert_allclose(ours(mg.Tensor(x_square)).data, expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="broadcast"):  # W != C: NumPy refuses, torch raises too
        seed.forward(rng.standard_normal((2, 3, 4, 5)))
    # The repair is the view(1, C, 1, 1) of line 82's gamma, applied to the statistics too.
    per_channel = (1, 3, 1, 1)
    repaired = (x_square - running_mean.reshape(per_channel)) / np.sqrt(
        running_var.reshape(per_channel) + 1e-5)
    np.testing.assert_allclose(repaired, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E6_buffer_assignment_keeps_the_graph(torch, rng, backward):
    """E6 is about autograd, so the seed's class runs here as the seed wrote it: in PyTorch
    (seeds/000 lines 60-83, lines 75-76 assign the buffer from graph-carrying tensors)."""

    class SeedBatchNorm(torch.nn.Module):
        def __init__(self, num_features, eps=1e-5, momentum=0.1):
            super().__init__()
            self.eps, self.momentum = eps, momentum
            self.gamma = torch.nn.Parameter(torch.ones(num_features))
            self.beta = torch.nn.Parameter(torch.zeros(num_features))
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))

        def forward(self, x):
            mean = x.mean(dim=(0, 2, 3), keepdim=True)
            var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean.squeeze()
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var.squeeze()
            x_normalized = (x - mean) / torch.sqrt(var + self.eps)
            return self.gamma.view(1, -1, 1, 1) * x_normalized + self.beta.view(1, -1, 1, 1)

    batches = [torch.tensor(rng.standard_normal((2, 3, 2, 2)), requires_grad=True)
               for _ in range(3)]
    seed, reference = SeedBatchNorm(3), torch.nn.BatchNorm2d(3)
    for x in batches:
        seed(x).sum().backward()
        reference(x).sum().backward()
    assert seed.running_mean.requires_grad and seed.running_mean.grad_fn is not None
    # The graph of every earlier batch is still alive: a gradient reaches the first batch.
    (to_first,) = torch.autograd.grad(seed.running_mean.sum(), batches[0])
    assert np.abs(to_first.numpy()).max() > 0
    assert not reference.running_mean.requires_grad and reference.running_mean.grad_fn is None

    ours = BatchNorm2d(3, backward=backward)
    for x in batches:
        x_ours = mg.Tensor(x.detach().numpy(), requires_grad=True)
        ours(x_ours).sum().backward()
    for buffer in (ours.running_mean, ours.running_var):
        assert not buffer.requires_grad and buffer.grad_fn is None and buffer.grad is None
    np.testing.assert_allclose(ours.running_mean.data, reference.running_mean.numpy(), atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E7_layernorm_parameters_do_not_depend_on_the_batch(torch, rng, backward):
    # seeds/000 line 94: gamma/beta "(N,)" for (N, D); line 102: "(N, S)" for (N, S, D).
    n, s, d = 4, 3, 6
    gamma_seed = np.ones((n, s, 1))                    # one per token of THIS batch
    x = rng.standard_normal((n, s, d))
    x_hat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    assert (gamma_seed * x_hat).shape == x.shape       # fine for the batch it was built for
    with pytest.raises(ValueError, match="broadcast"):
        gamma_seed * x_hat[:3]                         # useless for a batch of 3
    # PyTorch and ours: normalized_shape, whatever the batch; (H, W, C) for channel-last images.
    for shape in [(d,), (5, 5, 3)]:
        ours = LayerNorm(shape, backward=backward)
        theirs = torch.nn.LayerNorm(shape)
        assert ours.weight.shape == ours.bias.shape == tuple(theirs.weight.shape) == shape
    ours = LayerNorm(d, backward=backward)
    for batch in (x, x[:3], x[0]):
        y = ours(mg.Tensor(batch)).data
        expected = torch.nn.functional.layer_norm(torch.tensor(batch), (d,)).numpy()
        np.testing.assert_allclose(y, expected, rtol=0, atol=1e-12)
        # The statistics the seed lists are right: one mean per token, shape (N, S).
        np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E8_layernorm_has_no_running_statistics(torch, rng, backward):
    for shape in [(4, 6), (2, 5, 6)]:                  # mean.squeeze() does not fit the (D,) buffer
        with pytest.raises(ValueError, match="broadcast"):
            Seed000LayerNorm(shape[-1]).forward(rng.standard_normal(shape))
    x = rng.standard_normal((5, 5))                    # N == D: the only shape where it runs
    expected = torch.nn.LayerNorm(5)(torch.tensor(x)).detach().numpy()
    seed = Seed000LayerNorm(5)
    np.testing.assert_allclose(seed.forward(x), expected, rtol=0, atol=1e-12)   # training: right
    seed.training = False
    assert np.abs(seed.forward(x) - expected).max() > 0.1                        # eval: wrong
    ours = LayerNorm(5, backward=backward)
    np.testing.assert_allclose(ours(mg.Tensor(x)).data, expected, rtol=0, atol=1e-12)
    ours.eval()
    np.testing.assert_allclose(ours(mg.Tensor(x)).data, expected, rtol=0, atol=1e-12)
    assert list(ours.state_dict()) == list(torch.nn.LayerNorm(5).state_dict()) == ["weight", "bias"]


# --------------------------------------------------------------------------------------
# seeds/003: MyBN, tested on the seed's own data (lines 12-14) and settings (line 52)
# --------------------------------------------------------------------------------------

SEED003_DATA = np.array([[1, 2], [1, 3], [1, 4]]).astype(np.float32)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E22_mybn_running_mean_is_inverted(torch, backward):
    seed = Seed003MyBN(momentum=0.01, eps=0.001, num_features=2)
    seed.batch_norm(SEED003_DATA)
    theirs, _ = _torch_bn(torch, SEED003_DATA[None].astype(np.float64), torch.nn.BatchNorm1d(2))
    ours, _ = _our_bn(BatchNorm1d(2, backward=backward), SEED003_DATA[None])
    np.testing.assert_allclose(seed._running_mean, [0.99, 2.97], atol=1e-6)    # docs/normalization.md E22
    np.testing.assert_allclose(theirs, [0.1, 0.3], atol=1e-12)
    np.testing.assert_allclose(ours, theirs, atol=1e-7)
    # Not the momentum value: with torch's 0.1 the seed still keeps 90% of the batch.
    same_momentum = Seed003MyBN(momentum=0.1, eps=1e-5, num_features=2)
    same_momentum.batch_norm(SEED003_DATA)
    assert np.abs(same_momentum._running_mean - theirs).max() > 2


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E23_mybn_running_var_is_biased(torch, backward):
    seed = Seed003MyBN(momentum=0.01, eps=0.001, num_features=2)
    seed.batch_norm(SEED003_DATA)
    _, theirs = _torch_bn(torch, SEED003_DATA[None].astype(np.float64), torch.nn.BatchNorm1d(2))
    _, ours = _our_bn(BatchNorm1d(2, backward=backward), SEED003_DATA[None])
    np.testing.assert_allclose(seed._running_var, [0.01, 0.67], atol=5e-3)
    np.testing.assert_allclose(theirs, [0.9, 1.0], atol=1e-12)
    np.testing.assert_allclose(ours, theirs, atol=1e-7)
    # Even with the momentum rule repaired, ddof=0 stays wrong: 2/3 where torch stores 1.
    repaired_momentum = 0.9 * 1 + 0.1 * SEED003_DATA.var(axis=0)
    assert np.abs(repaired_momentum - theirs).max() > 0.03


# --------------------------------------------------------------------------------------
# seeds/004: the moving-average formulas and the LayerNorm backward
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("backward", BACKWARDS)
def test_E27_momentum_convention_is_keras_not_pytorch(torch, rng, backward):
    x = 4 + rng.standard_normal((3, 10, 20))           # line 70: 10 samples, 20 features
    theirs, _ = _torch_bn(torch, x, torch.nn.BatchNorm1d(20), steps=3)
    ours, _ = _our_bn(BatchNorm1d(20, backward=backward), x, steps=3)
    keras, pytorch_value = np.zeros(20), np.zeros(20)
    for batch in x:
        keras = seed004_moving_average(keras, batch.mean(axis=0), momentum=0.9)   # line 46
        pytorch_value = seed004_moving_average(pytorch_value, batch.mean(axis=0), momentum=0.1)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    # The seed's 0.9 is PyTorch's 0.1; PyTorch's 0.1 plugged into the seed's formula is far off.
    np.testing.assert_allclose(keras, theirs, rtol=0, atol=1e-12)
    assert np.abs(pytorch_value - theirs).min() > 1


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E28_running_var_starts_at_one_not_zero(torch, rng, backward):
    x = rng.standard_normal((6, 4))
    eps = 1e-5
    seed_start = (x - 0.0) / np.sqrt(0.0 + eps)        # line 37: moving mean and var start at 0
    theirs = torch.nn.BatchNorm1d(4).eval()(torch.tensor(x)).detach().numpy()
    ours = BatchNorm1d(4, backward=backward).eval()(mg.Tensor(x)).data
    np.testing.assert_allclose(theirs, x / np.sqrt(1 + eps), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
    np.testing.assert_allclose(seed_start / theirs, np.sqrt((1 + eps) / eps), rtol=1e-12)  # ~316x
    assert BatchNorm1d(4).running_var.data.tolist() == [1.0] * 4


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E29_moving_variance_uses_the_biased_batch_variance(torch, rng, backward):
    x = rng.standard_normal((2, 10, 20))
    _, theirs = _torch_bn(torch, x, torch.nn.BatchNorm1d(20), steps=2)
    _, ours = _our_bn(BatchNorm1d(20, backward=backward), x, steps=2)
    seed, unbiased = np.ones(20), np.ones(20)          # start at 1, so only the variance differs
    for batch in x:
        seed = seed004_moving_average(seed, seed004_batch_variance(batch), momentum=0.9)
        unbiased = seed004_moving_average(unbiased, batch.var(axis=0, ddof=1), momentum=0.9)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(unbiased, theirs, rtol=0, atol=1e-12)
    assert np.abs(seed - theirs).min() > 1e-3          # off by the factor 9/10 on each batch


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E30_gamma_beta_have_one_value_per_feature(torch, rng, backward):
    x = rng.standard_normal((10, 20))
    gamma_seed = np.ones(x.shape)                      # line 62: "the data's dimensions"
    with pytest.raises(ValueError, match="broadcast"):
        gamma_seed * x[:7]                             # a batch of 7 has no gamma
    ours, theirs = BatchNorm1d(20, backward=backward), torch.nn.BatchNorm1d(20)
    assert ours.weight.shape == ours.bias.shape == tuple(theirs.weight.shape) == (20,)
    for batch in (x, x[:7]):
        expected = theirs(torch.tensor(batch)).detach().numpy()
        np.testing.assert_allclose(ours(mg.Tensor(batch)).data, expected, rtol=0, atol=1e-12)


def seed004_layernorm_backward(dy, x, gamma, eps, repair_step3=False):
    """seeds/004_a8b8620080b5d643.txt lines 113-127, per sample over the last axis (d features).

    Step 4's second term (line 124) has its index outside the sum; it is read here as
    inside the sum, where it multiplies sum(mu - x_i) = 0 (docs/normalization.md, E31)."""
    d = x.shape[-1]
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    dgamma = (dy * x_hat).sum(-1)                                              # step 1, line 115
    dbeta = dy.sum(-1)
    dx_hat = dy * gamma                                                        # step 2, line 118
    if not repair_step3:                                                       # step 3, line 121
        dvar = 0.5 * (dx_hat / np.sqrt(var + eps) * (x - mu)).sum(-1, keepdims=True)
    else:                                             # d/dvar of (var + eps)^(-1/2) is -1/2 (.)^(-3/2)
        dvar = -0.5 * (dx_hat * (x - mu)).sum(-1, keepdims=True) * (var + eps) ** -1.5
    dmu = (dx_hat * -1 / np.sqrt(var + eps)
           - 2 / d * dvar * (mu - x)).sum(-1, keepdims=True)                   # step 4, line 124
    dx = dx_hat / np.sqrt(var + eps) + 2 / d * dvar * (x - mu) + dmu / d       # step 5, line 127
    return dx, dgamma, dbeta


def _cs231n_layernorm_setup():
    """The CS231n assignment's LayerNorm gradient-check data (docs/normalization.md, section 5)."""
    np.random.seed(231)
    n, d = 4, 5
    x = 5 * np.random.randn(n, d) + 12
    gamma, beta, dout = np.random.randn(d), np.random.randn(d), np.random.randn(n, d)
    return x, gamma, beta, dout


@pytest.mark.parametrize("backward", BACKWARDS)
def test_E31_layernorm_backward_step3(torch, rng, backward):
    standard = (rng.standard_normal((2, 3, 8)), rng.standard_normal(8), rng.standard_normal(8),
                rng.standard_normal((2, 3, 8)))
    for x, gamma, beta, dy in (_cs231n_layernorm_setup(), standard):
        d = x.shape[-1]
        x_torch = torch.tensor(x, requires_grad=True)
        gamma_torch, beta_torch = (torch.tensor(p, requires_grad=True) for p in (gamma, beta))
        y = torch.nn.functional.layer_norm(x_torch, (d,), gamma_torch, beta_torch, 1e-5)
        y.backward(torch.tensor(dy))
        dx_torch = x_torch.grad.numpy()

        printed, dgamma_seed, _ = seed004_layernorm_backward(dy, x, gamma, 1e-5)
        repaired, _, _ = seed004_layernorm_backward(dy, x, gamma, 1e-5, repair_step3=True)
        # Measured: 2.31 on both data sets (data-dependent, 2.3-3.3 on standard-normal batches;
        # docs/normalization.md E31); repaired: 2e-16, 1e-15.
        assert np.abs(printed - dx_torch).max() > 1
        assert np.abs(repaired - dx_torch).max() < 1e-13
        # Step 1 sums over the features, giving one number per sample; PyTorch's dgamma has
        # one per feature, summed over the samples.
        assert dgamma_seed.shape == x.shape[:-1] != tuple(gamma_torch.grad.shape) == (d,)

        ln = LayerNorm(d, backward=backward)
        ln.load_state_dict({"weight": gamma, "bias": beta})
        x_ours = mg.Tensor(x, requires_grad=True)
        ln(x_ours).backward(mg.Tensor(dy))
        np.testing.assert_allclose(x_ours.grad.data, dx_torch, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ln.weight.grad.data, gamma_torch.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(ln.bias.grad.data, beta_torch.grad.numpy(), rtol=0, atol=1e-12)
