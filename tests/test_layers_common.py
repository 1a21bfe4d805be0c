"""Tests of layers/_common.py: the shared normalization, its closed-form backward
and running averages; plus the helpers the per-layer test modules use to run a
layer side by side with the PyTorch module of the same name."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layers
import minigrad
from minigrad import Tensor, gradcheck, gradgradcheck
from layers._common import Reduction, normalize, spread, standardize, update_running

MODES = ("autograd", "manual")


# ---------------------------------------------------------------------------
# Helpers shared by the layer test modules
# ---------------------------------------------------------------------------

def torch_state(module):
    """A PyTorch module's state dict as NumPy arrays."""
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def assert_close(ours, theirs, what, atol=1e-10):
    ours = np.asarray(ours.data if isinstance(ours, Tensor) else ours)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=atol, err_msg=what)


def run_side_by_side(ours, theirs, torch, shapes, rng, train_steps=3, scale=2.0, offset=0.5):
    """Train both modules for a few steps on the same random inputs, then one eval
    step; compare at every step the output, the input gradient, the gradient of
    every parameter, and every buffer."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    steps = [True] * train_steps + [False]
    for k, training in enumerate(steps):
        ours.train(training)
        theirs.train(training)
        shape = shapes[k % len(shapes)]
        x = rng.standard_normal(shape) * scale + offset
        dy = rng.standard_normal(shape)
        ours.zero_grad()
        theirs.zero_grad()
        x_ours = Tensor(x, requires_grad=True)
        x_theirs = torch.tensor(x, requires_grad=True)
        y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
        assert_close(y_ours, y_theirs, f"output, step {k}")
        y_ours.backward(dy)
        y_theirs.backward(torch.tensor(dy))
        assert_close(x_ours.grad, x_theirs.grad, f"input gradient, step {k}")
        theirs_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            assert_close(p.grad, theirs_params[name].grad, f"gradient of {name}, step {k}")
        theirs_buffers = dict(theirs.named_buffers())
        for name, b in ours.named_buffers():
            assert_close(b, theirs_buffers[name], f"buffer {name}, step {k}")
            assert b.grad_fn is None and not b.requires_grad


def check_function_against_torch(ours, theirs, torch, arrays, rng):
    """ours(*Tensors) and theirs(*torch tensors), made from the same float64 arrays:
    the output and the gradient of every argument (with one random upstream gradient)."""
    ours_args = [Tensor(a, requires_grad=True) for a in arrays]
    theirs_args = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, y_theirs = ours(*ours_args), theirs(*theirs_args)
    assert_close(y, y_theirs, "output")
    dy = rng.standard_normal(y.shape)
    y.backward(dy)
    y_theirs.backward(torch.tensor(dy))
    for k, (a, b) in enumerate(zip(ours_args, theirs_args)):
        assert_close(a.grad, b.grad, f"gradient of argument {k}")


def check_load_torch_state(ours, theirs, torch, shape, rng):
    """After training PyTorch's module a little, its state dict (as NumPy arrays)
    loaded into ours gives identical outputs in train and eval mode; and the other
    way: after training ours a little, our state dict (through torch.from_numpy,
    num_batches_tracked as int64) loaded into PyTorch's does the same."""
    def same_from_now_on(what):
        for training in (False, True):
            ours.train(training)
            theirs.train(training)
            x = rng.standard_normal(shape) * 2 - 1
            assert_close(ours(Tensor(x)), theirs(torch.tensor(x)),
                         f"{what}: output, training={training}")
        for name, b in ours.named_buffers():
            assert_close(b, dict(theirs.named_buffers())[name], f"{what}: buffer {name} after a step")

    theirs.train()
    for _ in range(2):
        theirs(torch.tensor(rng.standard_normal(shape) * 3 + 1))
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    ours.load_state_dict(torch_state(theirs))
    same_from_now_on("PyTorch's state in ours")

    ours.train()
    for _ in range(2):
        ours(Tensor(rng.standard_normal(shape) * 3 - 1))
    for p in ours.parameters():
        p.data += rng.standard_normal(p.shape)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    same_from_now_on("our state in PyTorch's")


def check_modes_agree(make, shape, rng, training=True):
    """backward='autograd' and backward='manual' give the same output and gradients."""
    x = rng.standard_normal(shape) * 3 + 2
    dy = rng.standard_normal(shape)
    results = []
    for mode in MODES:
        layer = make(mode)
        if hasattr(layer, "weight") and layer.weight is not None:
            layer.weight.data[...] = np.linspace(0.5, 1.5, layer.weight.size).reshape(layer.weight.shape)
        if hasattr(layer, "bias") and layer.bias is not None:
            layer.bias.data[...] = np.linspace(-1, 1, layer.bias.size).reshape(layer.bias.shape)
        layer.train(training)
        xt = Tensor(x, requires_grad=True)
        y = layer(xt)
        y.backward(dy)
        results.append([y.data, xt.grad.data] + [p.grad.data for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def check_derivatives(f, *arrays):
    """gradcheck and gradgradcheck of f at float64 tensors made from arrays."""
    inputs = tuple(Tensor(a, requires_grad=True) for a in arrays)
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def check_float32(layer, shape, rng):
    """float32 in, float32 out, float32 input gradient; float64 parameters keep float64 grads."""
    x = Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float32
    y.backward(np.ones(shape, dtype=np.float32))
    assert x.grad.dtype == np.float32
    for p in layer.parameters():
        assert p.grad.dtype == p.dtype == np.float64


def check_large_offset(layer, shape, rng, torch_layer, torch):
    """mean 1e6, std 1e-2: two-pass statistics keep the spread; matches PyTorch.
    (A one-pass E[x^2] - E[x]^2 loses every digit of a 1e-4 variance next to 1e12.)"""
    spread = 1e-2 * rng.standard_normal(shape)
    y = layer(Tensor(1e6 + spread))
    np.testing.assert_allclose(y.data, torch_layer(torch.tensor(1e6 + spread)).detach().numpy(),
                               rtol=0, atol=1e-6)
    assert np.abs(y.data).max() > 0.5       # normalised values, not a cancelled zero
    return y, spread


# ---------------------------------------------------------------------------
# Tests of _common itself
# ---------------------------------------------------------------------------

@st.composite
def reductions(draw):
    """A random shape with a random non-empty set of reduced axes (m >= 2)."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    axes = tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))
    if int(np.prod([shape[a] for a in axes])) < 2:
        shape = tuple(n + 1 if i == axes[0] else n for i, n in enumerate(shape))
    return shape, axes


@settings(max_examples=40, deadline=None)
@given(reductions(), st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_standardize_matches_numpy(case, centred, seed):
    shape, axes = case
    x = np.random.default_rng(seed).standard_normal(shape) * 3 + 1
    x_hat, _, _, _ = standardize(Tensor(x), Reduction(axes, centred=centred), 1e-5)
    mean = x.mean(axis=axes, keepdims=True) if centred else 0
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    np.testing.assert_allclose(x_hat.data, (x - mean) / np.sqrt(var + 1e-5), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(reductions(), st.booleans(), st.sampled_from(["none", "per_set", "per_element"]),
       st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_closed_form_backward_equals_autograd(case, centred, weight_kind, x_needs_grad, seed):
    """The one formula, over any reduction set, with weight absent, constant over
    each reduction set (BatchNorm-like) or varying inside it (LayerNorm-like)."""
    shape, axes = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 1
    dy = rng.standard_normal(shape)
    weight_shape = shape if weight_kind == "per_element" else tuple(
        1 if i in axes else n for i, n in enumerate(shape))
    params = [] if weight_kind == "none" else [rng.standard_normal(weight_shape) for _ in "wb"]
    grads = []
    for mode in MODES:
        xt = Tensor(x, requires_grad=x_needs_grad)
        ps = [Tensor(p, requires_grad=True) for p in params]
        y, _, _ = normalize(xt, *(ps or [None, None]), Reduction(axes, centred=centred), 1e-5, mode)
        if not y.requires_grad:
            grads.append([y.data])
            continue
        y.backward(dy)
        grads.append([y.data] + [t.grad.data for t in ps] + ([xt.grad.data] if x_needs_grad else []))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("affine", [False, True])
def test_grouped_view_modes_agree(affine, rng):
    """GroupNorm's (N, G, -1) view, with and without a per-channel affine."""
    x, dy = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    params = [rng.standard_normal((4, 1)) for _ in "wb"] if affine else []
    grads = []
    for mode in MODES:
        ts = [Tensor(a, requires_grad=True) for a in [x] + params]
        y, _, _ = normalize(*(ts + [None, None])[:3], Reduction((2,), view=(3, 2, -1)), 1e-5, mode)
        y.backward(dy)
        grads.append([y.data] + [t.grad.data for t in ts])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fixed", [False, True])
def test_grouped_view_gradcheck(mode, fixed, rng):
    """A (N, G, -1) view with a per-channel weight: first and second derivatives."""
    stats = (rng.standard_normal((1, 2, 1)), rng.random((1, 2, 1)) + 0.5) if fixed else None

    def f(x, w, b):
        return normalize(x, w, b, Reduction((2,), view=(2, 2, -1), fixed=stats), 1e-5, mode)[0]
    check_derivatives(f, rng.standard_normal((2, 4, 3)), rng.standard_normal((4, 1)),
                      rng.standard_normal((4, 1)))


def test_spread_changes_the_layout_not_the_values(rng):
    per_channel = rng.standard_normal((1, 3, 1, 1))
    spread_out = spread(per_channel, (8, 3, 4, 5))
    assert spread_out.shape == (1, 3, 4, 5) and spread_out.flags.c_contiguous
    np.testing.assert_array_equal(np.broadcast_to(spread_out, (8, 3, 4, 5)),
                                  np.broadcast_to(per_channel, (8, 3, 4, 5)))
    assert spread(per_channel, (2, 3, 4, 5)) is per_channel      # copy would be half of x
    per_sample = rng.standard_normal((8, 1))
    assert spread(per_sample, (8, 5)) is per_sample               # would be all of x
    t = Tensor(per_channel, requires_grad=True)
    assert spread(t, (8, 3, 4, 5)).requires_grad                  # differentiable for Tensors


@pytest.mark.parametrize("fixed", [False, True])
def test_manual_second_derivatives_with_spread_coefficients(fixed, rng):
    """A batch large enough that the per-channel coefficients are spread."""
    stats = (rng.standard_normal((1, 2, 1)), rng.random((1, 2, 1)) + 0.5) if fixed else None

    def f(x, w, b):
        return normalize(x, w, b, Reduction((0, 2), fixed=stats), 1e-5, "manual")[0]
    check_derivatives(f, rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 1)),
                      rng.standard_normal((2, 1)))


def test_manual_backward_is_one_node(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y, _, _ = normalize(x, None, None, Reduction((0,)), 1e-5, "manual")
    assert y.grad_fn.name == "NormalizeBackward"
    assert all(parent.name == "AccumulateGrad" for parent, _ in
               (e for e in y.grad_fn.edges if e is not None))


def test_statistics_of_float32_stay_float32(rng):
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    for mode in MODES:
        y, mean, var = normalize(x, None, None, Reduction((0,)), 1e-5, mode)
        assert y.dtype == mean.dtype == var.dtype == np.float32


def test_update_running_is_in_place_and_outside_the_graph():
    running = Tensor(np.ones(3))
    array = running.data
    with minigrad.enable_grad():
        update_running(running, np.array([3.0, 5.0, 1.0]), 0.25)
    assert running.data is array
    np.testing.assert_allclose(array, [1.5, 2.0, 1.0])
    assert running.grad_fn is None and not running.requires_grad
    update_running(None, np.zeros(3), 0.5)          # a missing buffer is skipped


# ---------------------------------------------------------------------------
# dtype=: a float32 module, as PyTorch's dtype=torch.float32
# ---------------------------------------------------------------------------

FLOAT32_CASES = [     # (layer name, constructor arguments, input shape)
    ("BatchNorm1d", ((3,), {}), (6, 3)),
    ("BatchNorm2d", ((3,), {}), (4, 3, 2, 3)),
    ("LayerNorm", (((3, 4),), {}), (2, 3, 4)),
    ("GroupNorm", ((2, 4), {}), (3, 4, 5)),
    ("InstanceNorm1d", ((3,), {"affine": True, "track_running_stats": True}), (2, 3, 5)),
    ("InstanceNorm2d", ((3,), {"affine": True, "track_running_stats": True}), (2, 3, 2, 3)),
    ("RMSNorm", ((4,), {}), (3, 4)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, arguments, shape", FLOAT32_CASES, ids=[c[0] for c in FLOAT32_CASES])
def test_float32_module_matches_pytorch_float32(torch, name, arguments, shape, mode, rng):
    """dtype=np.float32 makes float32 parameters and running statistics (num_batches_tracked
    stays int64), like PyTorch's dtype=torch.float32; training steps then an eval step
    agree with PyTorch's float32 module to float32 precision, all in float32."""
    args, kwargs = arguments
    ours = getattr(layers, name)(*args, **kwargs, dtype=np.float32, backward=mode)
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float32)
    for key, value in ours.state_dict().items():
        expected = np.int64 if key == "num_batches_tracked" else np.float32
        assert value.dtype == expected, key
    for training in (True, True, False):
        ours.train(training)
        theirs.train(training)
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        dy = rng.standard_normal(shape).astype(np.float32)
        ours.zero_grad()
        theirs.zero_grad()
        x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y = ours(x_ours)
        y_theirs = theirs(x_theirs)
        y.backward(dy)
        y_theirs.backward(torch.tensor(dy))
        assert y.dtype == x_ours.grad.dtype == np.float32
        assert_close(y, y_theirs, "output", atol=1e-5)
        assert_close(x_ours.grad, x_theirs.grad, "input gradient", atol=1e-4)
        theirs_params = dict(theirs.named_parameters())
        for key, p in ours.named_parameters():
            assert p.grad.dtype == np.float32
            assert_close(p.grad, theirs_params[key].grad, f"gradient of {key}", atol=1e-4)
        theirs_buffers = dict(theirs.named_buffers())
        for key, b in ours.named_buffers():
            assert b.dtype == theirs_buffers[key].numpy().dtype
            assert_close(b, theirs_buffers[key], f"buffer {key}", atol=1e-6)


def test_dtype_must_be_floating():
    with pytest.raises(TypeError, match="BatchNorm2d: dtype must be a floating-point dtype, got int64"):
        layers.BatchNorm2d(3, dtype=np.int64)
    with pytest.raises(TypeError, match="LayerNorm: dtype must be a floating-point dtype"):
        layers.LayerNorm(3, dtype="int32")


def test_constructor_arguments_are_checked_naming_the_layer():
    """Not a bare Python or NumPy message ('float' object is not iterable, data type
    'foo' not understood)."""
    with pytest.raises(ValueError, match=r"^LayerNorm: normalized_shape must be an int or a "
                                         r"sequence of ints, got 3.0"):
        layers.LayerNorm(3.0)
    with pytest.raises(ValueError, match=r"^RMSNorm: normalized_shape must be an int or a "
                                         r"sequence of ints, got None"):
        layers.RMSNorm(None)
    with pytest.raises(ValueError, match=r"^layer_norm: normalized_shape must be"):
        layers.functional.layer_norm(np.ones((2, 3)), 3.0)
    with pytest.raises(TypeError, match=r"^BatchNorm2d: dtype must be a floating-point dtype, "
                                        r"got 'foo'"):
        layers.BatchNorm2d(3, dtype="foo")


# ---------------------------------------------------------------------------
# Every layer, as a module: first and second derivatives in train and eval mode
# ---------------------------------------------------------------------------

MODULE_CASES = [     # (id, constructor, input shape)
    ("BatchNorm1d", lambda mode: layers.BatchNorm1d(2, backward=mode), (3, 2)),
    ("BatchNorm1d-3d", lambda mode: layers.BatchNorm1d(2, backward=mode), (2, 2, 2)),
    ("BatchNorm2d", lambda mode: layers.BatchNorm2d(2, backward=mode), (2, 2, 2, 1)),
    ("BatchNorm2d-untracked",
     lambda mode: layers.BatchNorm2d(2, track_running_stats=False, backward=mode), (2, 2, 2, 1)),
    ("LayerNorm", lambda mode: layers.LayerNorm((2, 2), backward=mode), (2, 2, 2)),
    ("GroupNorm", lambda mode: layers.GroupNorm(2, 4, backward=mode), (2, 4, 2)),
    ("GroupNorm-2d", lambda mode: layers.GroupNorm(2, 4, backward=mode), (2, 4)),
    ("InstanceNorm1d", lambda mode: layers.InstanceNorm1d(
        2, affine=True, track_running_stats=True, backward=mode), (2, 2, 3)),
    ("InstanceNorm1d-unbatched",
     lambda mode: layers.InstanceNorm1d(2, affine=True, backward=mode), (2, 3)),
    ("InstanceNorm2d", lambda mode: layers.InstanceNorm2d(
        2, affine=True, track_running_stats=True, backward=mode), (1, 2, 2, 2)),
    ("RMSNorm", lambda mode: layers.RMSNorm(3, backward=mode), (2, 3)),
    ("BatchChannelNorm2d", lambda mode: layers.BatchChannelNorm2d(4, 2, backward=mode),
     (2, 4, 1, 2)),
    ("WSLinear", lambda mode: layers.WSLinear(3, 2, backward=mode), (2, 3)),
    ("WSConv2d", lambda mode: layers.WSConv2d(2, 2, 2, backward=mode), (1, 2, 3, 3)),
    ("weight_norm", lambda mode: layers.weight_norm(minigrad.nn.Linear(3, 2), backward=mode),
     (2, 3)),
    ("weight_norm-whole",
     lambda mode: layers.weight_norm(minigrad.nn.Conv2d(2, 2, 2), dim=None, backward=mode),
     (1, 2, 3, 3)),
]


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("make, shape", [c[1:] for c in MODULE_CASES],
                         ids=[c[0] for c in MODULE_CASES])
def test_every_layer_gradcheck_and_gradgradcheck(make, shape, mode, training, rng):
    """gradcheck and gradgradcheck with respect to the input and every parameter (the
    layer's own Parameter objects), with non-trivial parameters and running estimates. The buffers are reset before each
    call, so that the finite differences see the same function every time.
    (BatchChannelNorm2d(estimate=True) is checked through its function form in
    test_bcn.py: in training its estimates move with the input by design.)"""
    layer = make(mode)
    for p in layer.parameters():
        p.data += 0.3 * rng.standard_normal(p.shape)
    for name, b in layer.named_buffers():
        if name.endswith("running_mean"):
            b.data[...] = rng.standard_normal(b.shape)
        elif name.endswith("running_var"):
            b.data[...] = rng.random(b.shape) + 0.5
    layer.train(training)
    saved = {name: b.data.copy() for name, b in layer.named_buffers()}

    def f(x, *params):        # params are the layer's own: finite differences move them
        for name, b in layer.named_buffers():
            b.data[...] = saved[name]
        return layer(x)
    inputs = (Tensor(rng.standard_normal(shape), requires_grad=True), *layer.parameters())
    assert len(inputs) > 1 or not list(layer.parameters())
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)
