"""nn/conv.py: conv1d, conv2d (stride, padding forms, dilation, groups), max_pool2d and
avg_pool2d against PyTorch in float64 (values, gradients, second derivatives), the
edge points where engines part (ties, nan, -inf next to padding), and the modules."""
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def _compare(torch, ours, theirs, arrays, rtol=1e-7, second=False):
    """Values and gradients (of every array) of ours(*tensors) and theirs(*tensors),
    for a random upstream gradient; with second=True also the derivative of
    sum(gradients * random weights), i.e. second derivatives."""
    rng = np.random.default_rng(123)
    xs_m = [mg.Tensor(a, requires_grad=True) for a in arrays]
    xs_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    ym, yt = ours(*xs_m), theirs(*xs_t)
    np.testing.assert_allclose(ym.data, yt.detach().numpy(), rtol=rtol, atol=1e-12)
    g = rng.standard_normal(yt.shape)
    grads_m = mg.grad(ym, xs_m, grad_outputs=mg.Tensor(g), create_graph=second)
    grads_t = torch.autograd.grad(yt, xs_t, torch.tensor(g), create_graph=second)
    for gm, gt in zip(grads_m, grads_t):
        np.testing.assert_allclose(gm.data, gt.detach().numpy(), rtol=rtol, atol=1e-12)
    if second:
        vs = [rng.standard_normal(a.shape) for a in arrays]
        total_m = sum((gm * v).sum() for gm, v in zip(grads_m, vs))
        total_t = sum((gt * torch.tensor(v)).sum() for gt, v in zip(grads_t, vs))
        # (a gradient that does not depend on the inputs, as max pooling's, has no graph)
        second_m = mg.grad(total_m, xs_m, allow_unused=True) if total_m.requires_grad else \
            [None] * len(xs_m)
        second_t = torch.autograd.grad(total_t, xs_t, allow_unused=True)
        for sm, st, a in zip(second_m, second_t, arrays):
            sm = np.zeros(a.shape) if sm is None else sm.data
            st = np.zeros(a.shape) if st is None else st.numpy()
            np.testing.assert_allclose(sm, st, rtol=rtol, atol=1e-12)


CONV2D_CASES = [  # (input shape, weight shape, keyword arguments)
    ((2, 3, 7, 6), (4, 3, 3, 3), dict()),
    ((2, 3, 7, 6), (4, 3, 3, 2), dict(stride=2, padding=1)),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=(1, 2), padding=(2, 0))),
    ((1, 2, 9, 8), (3, 2, 3, 3), dict(dilation=2, padding=2)),
    ((1, 2, 9, 8), (3, 2, 2, 3), dict(dilation=(2, 1), stride=(2, 3))),
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 6, 5, 5), (6, 1, 3, 3), dict(groups=6, padding="same")),     # depthwise
    ((1, 2, 6, 7), (3, 2, 4, 2), dict(padding="same")),                # asymmetric: 1 + 2 rows
    ((1, 2, 6, 7), (3, 2, 4, 3), dict(padding="same", dilation=(1, 2))),
    ((1, 2, 6, 7), (3, 2, 3, 3), dict(padding="valid")),
    ((6, 5, 5), (4, 3, 3, 3), dict(groups=2)),                          # unbatched
    ((2, 4, 6, 5), (8, 1, 3, 3), dict(groups=4, stride=(2, 1), padding=1)),  # 2 filters each
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")   # PyTorch's note on its own copy
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV2D_CASES)
def test_conv2d_matches_pytorch(torch, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[0])]
    _compare(torch, lambda x, w, b: F.conv2d(x, w, b, **kwargs),
             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs), arrays)


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1), dict(groups=2, dilation=2),
                                    dict(groups=4, padding=1, stride=(1, 2))])    # depthwise
def test_conv2d_second_derivatives_match_pytorch(torch, kwargs):
    rng = np.random.default_rng(1)
    groups = kwargs.get("groups", 1)
    arrays = [rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((4, 4 // groups, 3, 3))]
    _compare(torch, lambda x, w: F.conv2d(x, w, **kwargs).tanh(),
             lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs).tanh(), arrays, second=True)


# ops.conv and its two adjoints, channels last: x (N, H, W, C), weight (kh, kw, C / G, O)
CONV_OP_CASES = [((3, 7, 6, 2), (3, 2, 2, 4), (1, 1), (1, 1), 1),
                 ((2, 9, 8, 3), (3, 2, 3, 2), (2, 3), (1, 1), 1),
                 ((2, 9, 9, 2), (2, 3, 2, 3), (2, 1), (2, 2), 1),
                 ((2, 8, 7, 6), (3, 2, 2, 6), (2, 1), (1, 2), 3),       # 3 groups of 2 -> 2
                 ((3, 6, 7, 4), (2, 3, 1, 8), (1, 2), (2, 1), 4),       # 2 filters per channel
                 ((2, 7, 8, 3), (3, 2, 1, 3), (2, 1), (1, 2), 3)]       # depthwise, 1 filter each


@pytest.mark.parametrize("x_shape,w_shape,stride,dilation,groups", CONV_OP_CASES)
def test_conv_transpose_and_conv_weight_are_the_adjoints_of_conv(x_shape, w_shape, stride,
                                                                  dilation, groups):
    from minigrad.ops import conv, conv_transpose, conv_weight
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = conv(x, w, stride, dilation, groups).data
    dy = rng.standard_normal(y.shape)
    # <dy, conv(x, w)> == <conv_transpose(dy, w), x> == <conv_weight(x, dy), w>
    assert np.sum(dy * y) == pytest.approx(
        np.sum(conv_transpose(dy, w, x.shape, stride, dilation, groups).data * x), rel=1e-12)
    assert np.sum(dy * y) == pytest.approx(
        np.sum(conv_weight(x, dy, w.shape[:2], stride, dilation, groups).data * w), rel=1e-12)


def test_conv2d_output_is_laid_out_in_c_order_for_the_layers_after_it():
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 3, 5, 5)), requires_grad=True)
    for kwargs in ({}, {"padding": 1, "bias": False}):
        y = nn.Conv2d(3, 4, 3, **kwargs)(x)
        assert y.data.flags.c_contiguous and y.grad_fn.name == "ContiguousBackward"


def test_grouped_conv_is_each_group_on_its_own():
    """conv with G groups == G ungrouped convs, each on its group's channels and filters."""
    from minigrad.ops import conv
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal((2, 6, 5, 6)), rng.standard_normal((2, 3, 2, 9))
    whole = conv(x, w, (1, 2), (2, 1), 3).data
    for k in range(3):
        alone = conv(x[..., 2 * k:2 * k + 2], w[..., 3 * k:3 * k + 3], (1, 2), (2, 1), 1).data
        np.testing.assert_allclose(whole[..., 3 * k:3 * k + 3], alone, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape,w_shape,stride,dilation,groups", CONV_OP_CASES[1:])
def test_conv_ops_second_derivatives(x_shape, w_shape, stride, dilation, groups):
    from minigrad.ops import conv, conv_transpose, conv_weight
    rng = np.random.default_rng(8)
    args = (stride, dilation, groups)
    x = mg.Tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = mg.Tensor(rng.standard_normal(w_shape), requires_grad=True)
    dy = mg.Tensor(rng.standard_normal(conv(x, w, *args).shape), requires_grad=True)
    assert mg.gradgradcheck(lambda a, b: conv(a, b, *args).tanh(), (x, w))
    assert mg.gradgradcheck(lambda a, b: conv_transpose(a, b, x_shape, *args).tanh(), (dy, w))
    assert mg.gradgradcheck(lambda a, b: conv_weight(a, b, w_shape[:2], *args).tanh(), (x, dy))


@pytest.mark.parametrize("groups", [1, 3])
def test_conv_ops_give_the_same_numbers_a_few_images_at_a_time(monkeypatch, groups):
    from minigrad.ops import conv, conv_transpose, conv_weight, linalg
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((5, 8, 7, 3)), rng.standard_normal((3, 2, 3 // groups, 6))
    dy = rng.standard_normal((5, 3, 6, 6))
    args = ((2, 1), (1, 1), groups)

    def all_three():
        return [conv(x, w, *args).data, conv_transpose(dy, w, x.shape, *args).data,
                conv_weight(x, dy, (3, 2), *args).data]
    whole = all_three()
    counts = []                       # how many chunks each of the three went through
    real_chunks = linalg._chunks
    monkeypatch.setattr(linalg, "_chunks", lambda n, size: counts.append(len(real_chunks(n, size)))
                        or real_chunks(n, size))
    monkeypatch.setattr(linalg, "_CHUNK_BYTES", 2 * 3 * 6 * 18 * 8)    # two images a chunk
    for one, chunked in zip(whole, all_three()):
        np.testing.assert_allclose(chunked, one, rtol=1e-12, atol=1e-12)
    assert counts == [3, 3, 3]        # 2 + 2 + 1 images


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    ((2, 3, 10), (4, 3, 3), dict()),
    ((2, 3, 10), (4, 3, 3), dict(stride=2, padding=1)),
    ((2, 4, 11), (4, 2, 3), dict(groups=2, dilation=3, padding=(2,))),
    ((2, 3, 10), (5, 3, 4), dict(padding="same")),
    ((3, 9), (2, 3, 2), dict(stride=3)),                                 # unbatched
])
def test_conv1d_matches_pytorch(torch, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[0])]
    _compare(torch, lambda x, w, b: F.conv1d(x, w, b, **kwargs),
             lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kwargs), arrays, second=True)


ZERO_SIZE_CASES = [  # (function, input shape, weight shape or None, keyword arguments)
    ("conv2d", (0, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)),          # empty batch: a result
    ("conv2d", (2, 0, 6, 6), (4, 0, 3, 3), dict()),                   # no channels: (N, 0, oh, ow)
    ("conv2d", (2, 0, 6, 6), (4, 0, 3, 3), dict(groups=2, stride=2, padding=1)),
    ("conv2d", (0, 6, 6), (4, 0, 3, 3), dict()),                      # unbatched, no channels
    ("conv2d", (2, 3, 6, 6), (0, 3, 3, 3), dict()),                   # no filters: an error
    ("conv2d", (0, 3, 6, 6), (0, 3, 3, 3), dict()),
    ("conv2d", (2, 3, 0, 6), (4, 3, 3, 3), dict(padding=2)),          # empty height: an error...
    ("conv2d", (2, 3, 0, 6), (4, 3, 1, 1), dict()),
    ("conv2d", (0, 3, 0, 6), (4, 3, 3, 3), dict(padding=2)),          # ...but not in an empty batch
    ("conv2d", (2, 0, 0, 6), (4, 0, 3, 3), dict(padding=2)),          # ...nor without channels
    ("conv1d", (2, 3, 0), (4, 3, 3), dict(padding=2)),
    ("conv1d", (2, 0, 5), (4, 0, 3), dict()),
    ("conv1d", (2, 3, 5), (0, 3, 3), dict()),
    ("max_pool2d", (0, 3, 6, 6), None, dict(kernel_size=2)),
    ("max_pool2d", (2, 0, 6, 6), None, dict(kernel_size=2)),
    ("max_pool2d", (2, 3, 0, 6), None, dict(kernel_size=2, padding=1)),
    ("avg_pool2d", (0, 3, 0, 6), None, dict(kernel_size=2, padding=1)),
]


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", ZERO_SIZE_CASES, ids=str)
def test_zero_size_inputs_as_in_pytorch(torch, name, x_shape, w_shape, kwargs):
    """PyTorch's result where it gives one (with gradients of the right shapes), else a
    ValueError naming the function and the shape at fault."""
    arrays = [np.zeros(x_shape)]
    if w_shape is not None:
        arrays += [np.ones(w_shape), np.ones(w_shape[0])]              # weight, bias
    xs_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    try:
        expected = getattr(torch.nn.functional, name)(*xs_t, **kwargs)
    except RuntimeError:
        faulty = x_shape if w_shape is None or w_shape[0] else w_shape
        with pytest.raises(ValueError, match=rf"{name}: .*{re.escape(str(faulty))}"):
            getattr(F, name)(*arrays, **kwargs)
        return
    xs_m = [mg.Tensor(a, requires_grad=True) for a in arrays]
    y = getattr(F, name)(*xs_m, **kwargs)
    assert y.shape == tuple(expected.shape) and y.dtype == np.float64
    grads_t = torch.autograd.grad(expected.sum(), xs_t, allow_unused=True)
    grads_m = mg.grad(y.sum(), xs_m, allow_unused=True)
    for gm, gt, a in zip(grads_m, grads_t, arrays):
        gm = np.zeros(a.shape) if gm is None else gm.data
        gt = np.zeros(a.shape) if gt is None else gt.numpy()
        np.testing.assert_array_equal(gm, gt)
        assert gm.shape == a.shape


POOL_CASES = [  # (kernel_size, stride, padding, dilation)
    (2, None, 0, 1), (3, 2, 1, 1), (3, 1, 1, 1), ((2, 3), (1, 2), (1, 0), 1), (2, 1, 0, 2),
    (3, 2, 0, (2, 1)),
]


@pytest.mark.parametrize("kernel,stride,padding,dilation", POOL_CASES)
def test_max_pool2d_matches_pytorch(torch, kernel, stride, padding, dilation):
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 8))
    _compare(torch, lambda t: F.max_pool2d(t, kernel, stride, padding, dilation),
             lambda t: torch.nn.functional.max_pool2d(t, kernel, stride, padding, dilation), [x],
             second=True)


@pytest.mark.parametrize("kernel,stride,padding,dilation", POOL_CASES)
def test_max_pool2d_ties_go_to_one_element_as_in_pytorch(torch, kernel, stride, padding, dilation):
    """Small integers: most windows hold their maximum twice or more; overlapping windows
    add up where they pick the same element."""
    x = np.random.default_rng(4).integers(0, 3, (2, 2, 7, 8)).astype(np.float64)
    for data in (x, np.ones_like(x), -np.ones_like(x)):
        _compare(torch, lambda t: F.max_pool2d(t, kernel, stride, padding, dilation),
                 lambda t: torch.nn.functional.max_pool2d(t, kernel, stride, padding, dilation),
                 [data])


# ym.sum() adds inf and -inf: nan, as in PyTorch, where NumPy also warns "invalid value".
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
def test_max_pool2d_nan_and_infinities_as_in_pytorch(torch):
    nan, inf = np.nan, np.inf
    x = np.array([[[[nan, 1.0, 2.0, -inf], [nan, 3.0, inf, 0.0], [-inf, -inf, 1.0, nan],
                    [-inf, -inf, 5.0, 5.0]]]])
    for kernel, stride, padding in [(2, 2, 0), (3, 1, 1), (2, 1, 1)]:
        xm, xt = mg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ym = F.max_pool2d(xm, kernel, stride, padding)
        yt = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
        np.testing.assert_array_equal(ym.data, yt.detach().numpy())
        ym.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(xm.grad.data, xt.grad.numpy())
    # all -inf next to padding: the gradient goes to the first input entry, not to padding
    x = np.full((1, 1, 3, 3), -inf)
    xm, xt = mg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(xm, 3, 1, 1).sum().backward()
    torch.nn.functional.max_pool2d(xt, 3, 1, 1).sum().backward()
    np.testing.assert_array_equal(xm.grad.data, xt.grad.numpy())


@pytest.mark.parametrize("kernel,stride,padding,count_include_pad,divisor", [
    (2, None, 0, True, None), (3, 2, 1, True, None), (3, 2, 1, False, None),
    ((2, 3), (1, 2), (1, 1), False, None), (3, 1, 1, True, 4), (2, 1, 1, False, None),
])
def test_avg_pool2d_matches_pytorch(torch, kernel, stride, padding, count_include_pad, divisor):
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 7))
    _compare(torch, lambda t: F.avg_pool2d(t, kernel, stride, padding, False, count_include_pad,
                                           divisor),
             lambda t: torch.nn.functional.avg_pool2d(t, kernel, stride, padding, False,
                                                      count_include_pad, divisor), [x])


def test_pooling_gradgradcheck_and_unbatched_input():
    x = mg.Tensor(np.random.default_rng(6).standard_normal((2, 5, 5)), requires_grad=True)
    assert F.max_pool2d(x, 2).shape == (2, 2, 2) and F.avg_pool2d(x, 3, 2, 1).shape == (2, 3, 3)
    assert mg.gradgradcheck(lambda t: F.avg_pool2d(t * t, 3, 2, 1), [x])
    assert mg.gradgradcheck(lambda t: F.max_pool2d(t * t, 2, 1), [x])


def test_float32_stays_float32():
    x = mg.Tensor(np.ones((1, 2, 5, 5), np.float32), requires_grad=True)
    w = mg.Tensor(np.ones((3, 2, 3, 3)), requires_grad=True)          # float64 parameter
    for y in (F.conv2d(x, w, padding=1), F.max_pool2d(x, 2), F.avg_pool2d(x, 2, padding=1)):
        assert y.dtype == np.float32
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == np.float32
    assert w.grad.dtype == np.float64


def _load_from_torch(module, torch_module):
    module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


@pytest.mark.parametrize("ours,theirs,shape", [
    (lambda: nn.Conv1d(4, 6, 3, 2, 1, 1, 2), lambda t: t.nn.Conv1d(4, 6, 3, 2, 1, 1, 2), (2, 4, 9)),
    (lambda: nn.Conv1d(3, 2, 5, padding="same", bias=False),
     lambda t: t.nn.Conv1d(3, 2, 5, padding="same", bias=False), (2, 3, 8)),
    (lambda: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2),
     lambda t: t.nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2), (2, 4, 7, 7)),
    (lambda: nn.MaxPool2d(3, 2, 1), lambda t: t.nn.MaxPool2d(3, 2, 1), (2, 3, 7, 7)),
    (lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False),
     lambda t: t.nn.AvgPool2d(2, padding=1, count_include_pad=False), (2, 3, 7, 7)),
])
def test_modules_match_pytorch(torch, ours, theirs, shape):
    module, torch_module = ours(), theirs(torch)
    assert list(module.state_dict()) == list(torch_module.state_dict())
    for name, p in torch_module.state_dict().items():
        assert module.state_dict()[name].shape == tuple(p.shape)
    _load_from_torch(module, torch_module)
    x = np.random.default_rng(7).standard_normal(shape)
    xm, xt = mg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = module(xm), torch_module(xt)
    np.testing.assert_allclose(ym.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ym.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_module_init_follows_pytorch():
    conv = nn.Conv1d(6, 3, 5, groups=3)
    assert conv.weight.shape == (3, 2, 5) and conv.bias.shape == (3,)
    bound = 1 / np.sqrt(2 * 5)                                       # fan_in = in / groups * k
    assert bound * 0.8 < np.abs(conv.weight.data).max() <= bound
    assert "groups=3" in repr(conv)
    assert nn.Conv2d(2, 4, 3, 1, 0, False).bias is None             # the contract: bias sixth


def test_errors_name_the_operation_and_shapes():
    x, w = mg.randn(1, 4, 6, 6), mg.randn(6, 2, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, 2, H, W\) for "
                                         r"weight of shape \(6, 2, 3, 3\) and groups=1"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match="conv2d: out channels 6 .* divisible by groups=4"):
        F.conv2d(mg.randn(1, 8, 6, 6), w, groups=4)
    with pytest.raises(ValueError, match="conv2d: padding='same' needs stride 1"):
        F.conv2d(x, w, groups=2, padding="same", stride=2)
    with pytest.raises(ValueError, match="conv2d: padding must be 'valid', 'same'"):
        F.conv2d(x, w, groups=2, padding="full")
    with pytest.raises(ValueError, match=r"conv2d: dilation must be >= 1"):
        F.conv2d(x, w, groups=2, dilation=0)
    with pytest.raises(ValueError, match=r"conv2d: kernel \(3, 3\) \(spanning \(7, 7\) with "
                                         r"dilation \(3, 3\)\) is larger than the padded input"):
        F.conv2d(x, w, groups=2, dilation=3)
    with pytest.raises(ValueError, match=r"conv1d: expected a 2-d \(C, L\) or 3-d batched input, "
                                         r"got input of shape \(1, 4, 6, 6\)"):
        F.conv1d(x, mg.randn(2, 4, 3))
    with pytest.raises(ValueError, match=r"conv1d: weight must have shape \(out, in / groups, "
                                         r"k\), got \(6, 2, 3, 3\)"):
        F.conv1d(mg.randn(1, 2, 6), w)
    with pytest.raises(ValueError, match="max_pool2d: padding must be at most half the kernel"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="max_pool2d: ceil_mode=True is not supported"):
        F.max_pool2d(x, 2, ceil_mode=True)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel \(7, 7\).*larger than the padded "
                                         r"input \(6, 6\)"):
        F.avg_pool2d(x, 7)
    for divisor in (0, 1.5, True, np.array([1, 2])):
        with pytest.raises(ValueError, match="avg_pool2d: divisor_override must be a non-zero int"):
            F.avg_pool2d(x, 2, divisor_override=divisor)
    with pytest.raises(TypeError, match="max_pool2d: kernel_size must be an int or a pair of ints"):
        F.max_pool2d(x, 1.5)
    with pytest.raises(ValueError, match="Conv1d: in_channels 3 and out_channels 4 must both "
                                         "be divisible by groups=2"):
        nn.Conv1d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: padding_mode='reflect' is not supported"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
