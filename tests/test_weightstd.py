"""Weight Standardization: WSConv2d, WSLinear and weight_standardize against PyTorch references."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from layers.weightstd import (
    VARIANTS, WeightStandardizeFunction, WSConv2d, WSLinear, weight_standardize,
)

BACKWARDS = ["autograd", "manual"]
EPS = 1e-5


def _torch_standardize(torch, w, variant, eps=EPS):
    """The forms as the sources write them (docs/normalization.md, section 2)."""
    out_channels = w.shape[0]
    rows = w.reshape(out_channels, -1)
    kept = (out_channels,) + (1,) * (w.dim() - 1)
    centred = w - rows.mean(dim=1).reshape(kept)
    if variant == "biased_eps_inside":      # the project's form: batch norm over each row
        return torch.nn.functional.batch_norm(w.reshape(1, out_channels, -1), None, None,
                                              training=True, eps=eps).reshape(w.shape)
    if variant == "unbiased_eps_inside":    # BCN repository: torch.pow(var + eps, 0.5)
        return centred / torch.pow(rows.var(dim=1) + eps, 0.5).reshape(kept)
    if variant == "unbiased_eps_outside":   # official README: std(dim=1) + eps
        return centred / (rows.std(dim=1).reshape(kept) + eps)
    return centred / (rows.std(dim=1, unbiased=False).reshape(kept) + eps)    # arXiv v1


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (5, 7), (2, 3, 4)])
def test_weight_standardize_matches_torch(torch, rng, shape, variant, backward):
    w_data, dw_hat = rng.standard_normal(shape), rng.standard_normal(shape)
    w_torch = torch.tensor(w_data, requires_grad=True)
    expected = _torch_standardize(torch, w_torch, variant)
    expected.backward(torch.tensor(dw_hat))
    w = mg.Tensor(w_data, requires_grad=True)
    w_hat = weight_standardize(w, backward=backward, variant=variant)
    w_hat.backward(mg.Tensor(dw_hat))
    np.testing.assert_allclose(w_hat.data, expected.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(w.grad.data, w_torch.grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("stride, padding, bias",
                         [(1, 0, True), (2, 1, False), ((1, 2), (0, 1), True)])
def test_wsconv2d_matches_torch(torch, rng, stride, padding, bias, backward):
    F = torch.nn.functional
    conv = torch.nn.Conv2d(3, 4, (3, 2), stride=stride, padding=padding, bias=bias)
    layer = WSConv2d(3, 4, (3, 2), stride=stride, padding=padding, bias=bias, backward=backward)
    layer.load_state_dict({k: v.detach().numpy() for k, v in conv.state_dict().items()})
    x_data = rng.standard_normal((2, 3, 6, 5))

    x_torch = torch.tensor(x_data, requires_grad=True)
    w_hat = _torch_standardize(torch, conv.weight, "biased_eps_inside")
    expected = F.conv2d(x_torch, w_hat, conv.bias, stride=conv.stride, padding=conv.padding)
    dy = rng.standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(dy))

    x = mg.Tensor(x_data, requires_grad=True)
    y = layer(x)
    y.backward(mg.Tensor(dy))
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, x_torch.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, conv.weight.grad.numpy(), rtol=0, atol=1e-11)
    if bias:
        np.testing.assert_allclose(layer.bias.grad.data, conv.bias.grad.numpy(), rtol=0, atol=1e-12)
    assert list(layer.state_dict()) == list(conv.state_dict())


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("bias", [True, False])
def test_wslinear_matches_torch(torch, rng, bias, backward):
    linear = torch.nn.Linear(6, 4, bias=bias)
    layer = WSLinear(6, 4, bias=bias, backward=backward)
    layer.load_state_dict({k: v.detach().numpy() for k, v in linear.state_dict().items()})
    x_data, dy = rng.standard_normal((5, 6)), rng.standard_normal((5, 4))

    x_torch = torch.tensor(x_data, requires_grad=True)
    w_hat = _torch_standardize(torch, linear.weight, "biased_eps_inside")
    expected = torch.nn.functional.linear(x_torch, w_hat, linear.bias)
    expected.backward(torch.tensor(dy))

    x = mg.Tensor(x_data, requires_grad=True)
    y = layer(x)
    y.backward(mg.Tensor(dy))
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, x_torch.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, linear.weight.grad.numpy(), atol=1e-12)
    if bias:
        np.testing.assert_allclose(layer.bias.grad.data, linear.bias.grad.numpy(), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       variant=st.sampled_from(sorted(VARIANTS)), seed=st.integers(0, 2**32 - 1))
def test_autograd_and_manual_agree(shape, variant, seed):
    if np.prod(shape[1:]) < 2:
        shape[-1] = 2                        # one element per row has no spread to standardize
    rng = np.random.default_rng(seed)
    w_data, dw_hat = rng.standard_normal(shape), mg.Tensor(rng.standard_normal(shape))
    results = []
    for backward in BACKWARDS:
        w = mg.Tensor(w_data, requires_grad=True)
        w_hat = weight_standardize(w, backward=backward, variant=variant)
        results.append((w_hat.data, mg.grad(w_hat, w, dw_hat)[0].data))
    for auto, manual in zip(*results):
        np.testing.assert_allclose(manual, auto, rtol=0, atol=1e-10)
    # Each row of the default form has mean 0 and variance var / (var + eps).
    if variant == "biased_eps_inside":
        rows, w_rows = results[0][0].reshape(shape[0], -1), w_data.reshape(shape[0], -1)
        np.testing.assert_allclose(rows.mean(axis=1), 0, atol=1e-12)
        var = w_rows.var(axis=1)
        np.testing.assert_allclose(rows.var(axis=1), var / (var + EPS), atol=1e-12)


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("variant", ["biased_eps_inside", "unbiased_eps_outside"])
def test_gradcheck_and_gradgradcheck(rng, variant, backward):
    w = mg.Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)

    def f(w):
        return weight_standardize(w, backward=backward, variant=variant)

    assert mg.gradcheck(f, (w,))
    assert mg.gradgradcheck(f, (w,))


@pytest.mark.parametrize("backward", BACKWARDS)
def test_layers_gradcheck_through_the_convolution(rng, backward):
    layer = WSConv2d(2, 2, 2, padding=1, backward=backward)
    x = mg.Tensor(rng.standard_normal((1, 2, 2, 2)), requires_grad=True)
    assert mg.gradcheck(lambda x, w: layer(x), (x, layer.weight))
    assert mg.gradgradcheck(lambda x, w: layer(x), (x, layer.weight))


@pytest.mark.parametrize("variant", VARIANTS)
def test_manual_mode_is_one_node(variant, rng):
    """eps inside the root: the shared one-node normalization (layers/_maths.py);
    eps outside: WeightStandardizeFunction."""
    w = mg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    node = weight_standardize(w, backward="manual", variant=variant).grad_fn
    expected = "Normalize" if VARIANTS[variant][1] else "WeightStandardizeFunction"
    assert node.op.cls.__name__ == expected
    assert [edge[0].name for edge in node.edges if edge is not None] == ["AccumulateGrad"]


def test_large_offset_standardizes_correctly(rng):
    # Mean 1e6, spread 1e-2: a one-pass E[W^2] - E[W]^2 would lose every digit here.
    w_data = 1e6 + 1e-2 * rng.standard_normal((3, 50))
    for backward in BACKWARDS:
        w_hat = weight_standardize(mg.Tensor(w_data), eps=0.0, backward=backward).data
        centred = w_data - w_data.mean(axis=1, keepdims=True)
        expected = centred / centred.std(axis=1, keepdims=True)
        np.testing.assert_allclose(w_hat, expected, rtol=0, atol=1e-6)
        np.testing.assert_allclose(w_hat.std(axis=1), 1, atol=1e-9)


@pytest.mark.parametrize("backward", BACKWARDS)
def test_float32_stays_float32(rng, backward):
    w = mg.Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    w_hat = weight_standardize(w, backward=backward)
    w_hat.sum().backward()
    assert w_hat.dtype == w.grad.dtype == np.float32
    layer = WSConv2d(3, 4, 3, backward=backward)
    x = mg.Tensor(rng.standard_normal((1, 3, 5, 5)).astype(np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32 and layer.weight.grad.dtype == np.float64
    layer32 = WSLinear(3, 2, backward=backward)
    assert layer32(mg.Tensor(np.ones((2, 3), dtype=np.float32))).dtype == np.float32


def _row_gradient_by_differences(f, w_data, dw_hat, row, h):
    """Central differences of sum(f(W) * dW_hat) for the elements of one row."""
    grad = np.zeros(w_data[row].shape)
    for k in np.ndindex(grad.shape):
        plus, minus = w_data.copy(), w_data.copy()
        plus[(row, *k)] += h
        minus[(row, *k)] -= h
        grad[k] = ((f(plus) - f(minus)) * dw_hat).sum() / (2 * h)
    return grad


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_constant_filter_nan_with_eps_outside_the_root(torch, rng):
    """A constant filter (sigma = 0): the true derivative of (W - mean)/(sigma + eps)
    is finite, (dW_hat - mean dW_hat)/eps, but sigma spelled sqrt(var) sends the chain
    rule through sqrt at 0: 0 * inf. Where that NaN appears, and where it does not."""
    w_data = rng.standard_normal((2, 3, 2, 2))
    w_data[0] = 0.5                                 # a dead filter, e.g. after weight decay
    dw_hat = rng.standard_normal(w_data.shape)
    centred_grad = dw_hat[0] - dw_hat[0].mean()

    # sqrt(var) + eps, in minigrad and in PyTorch: NaN for the constant filter only.
    w = mg.Tensor(w_data, requires_grad=True)
    centred = w - w.mean(axis=(1, 2, 3), keepdims=True)
    sigma = mg.sqrt(w.var(axis=(1, 2, 3), keepdims=True, ddof=1))
    (centred / (sigma + EPS)).backward(mg.Tensor(dw_hat))
    assert np.isnan(w.grad.data[0]).all() and np.isfinite(w.grad.data[1]).all()
    w_torch = torch.tensor(w_data, requires_grad=True)
    rows = w_torch.reshape(2, -1)
    centred = w_torch - rows.mean(dim=1).reshape(2, 1, 1, 1)
    sigma = torch.sqrt(rows.var(dim=1)).reshape(2, 1, 1, 1)
    (centred / (sigma + EPS)).backward(torch.tensor(dw_hat))
    assert np.isnan(w_torch.grad.numpy()[0]).all()

    # Finite differences give the finite limit: the NaN is the chain rule's, not the maths'.
    def readme_form(w):
        return weight_standardize(mg.Tensor(w), variant="unbiased_eps_outside").data
    numerical = _row_gradient_by_differences(readme_form, w_data, dw_hat, 0, h=1e-10)
    np.testing.assert_allclose(numerical, centred_grad / EPS, rtol=1e-4)

    # The README's own code uses torch.std, whose gradient at zero spread is defined as 0:
    # it returns that limit, and so does every variant here, in both modes.
    w_torch = torch.tensor(w_data, requires_grad=True)
    _torch_standardize(torch, w_torch, "unbiased_eps_outside").backward(torch.tensor(dw_hat))
    for variant in sorted(VARIANTS):
        for backward in BACKWARDS:
            w = mg.Tensor(w_data, requires_grad=True)
            w_hat = weight_standardize(w, backward=backward, variant=variant)
            w_hat.backward(mg.Tensor(dw_hat))
            assert np.isfinite(w_hat.data).all() and (w_hat.data[0] == 0).all()
            # eps inside: at most 1/sqrt(eps) ~ 316 times dW_hat; outside: 1/eps = 1e5 times.
            scale = np.sqrt(EPS) if VARIANTS[variant][1] else EPS
            np.testing.assert_allclose(w.grad.data[0], centred_grad / scale, rtol=1e-10)
            if variant == "unbiased_eps_outside":
                np.testing.assert_allclose(w.grad.data, w_torch.grad.numpy(), rtol=1e-10)


def test_bad_inputs():
    with pytest.raises(ValueError,
                       match=r"weight_standardize: .*shape \(out, \.\.\.\).*got shape \(4,\)"):
        weight_standardize(mg.Tensor(np.ones(4)))
    with pytest.raises(ValueError,
                       match=r"at least 2 element\(s\) per output channel, got shape \(3, 1\)"):
        weight_standardize(mg.Tensor(np.ones((3, 1))), variant="unbiased_eps_inside")
    with pytest.raises(ValueError, match="variant must be one of"):
        weight_standardize(mg.Tensor(np.ones((3, 2))), variant="unbiased")
    with pytest.raises(ValueError, match="backward must be 'autograd' or 'manual'"):
        weight_standardize(mg.Tensor(np.ones((3, 2))), backward="fast")
    with pytest.raises(ValueError, match="WSConv2d: backward must be"):
        WSConv2d(2, 3, 3, backward="fast")
    with pytest.raises(ValueError, match="WSLinear: variant must be one of"):
        WSLinear(2, 3, variant="std")
    # The layer the student called is named, not the conv2d/linear it runs.
    with pytest.raises(ValueError, match=r"^WSConv2d expected 2 channels, got input of shape "
                                         r"\(1, 3, 5, 5\)"):
        WSConv2d(2, 3, 3)(mg.Tensor(np.ones((1, 3, 5, 5))))
    with pytest.raises(ValueError, match=r"^WSConv2d expected 3-D \(C, H, W\) or 4-D \(N, C, H, "
                                         r"W\) input, got input of shape \(2, 5\)"):
        WSConv2d(2, 3, 3)(mg.Tensor(np.ones((2, 5))))
    with pytest.raises(ValueError, match=r"^WSLinear expected input with last dimension 2, got "
                                         r"input of shape \(4, 3\)"):
        WSLinear(2, 3)(mg.Tensor(np.ones((4, 3))))
    assert WSConv2d(2, 3, 3)(mg.Tensor(np.ones((2, 5, 5)))).shape == (3, 3, 3)   # unbatched


def test_float32_module(torch, rng):
    """dtype=np.float32 makes float32 parameters, as in nn.Conv2d and nn.Linear."""
    for layer in (WSConv2d(2, 3, 3, dtype=np.float32), WSLinear(4, 3, dtype=np.float32)):
        assert layer.weight.dtype == layer.bias.dtype == np.float32
    with pytest.raises(TypeError, match="WSLinear: dtype must be a floating-point dtype"):
        WSLinear(4, 3, dtype=np.int32)
