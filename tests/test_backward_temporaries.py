"""What the backward of a product makes on the way: the gradient of a broadcast
factor is summed straight to its shape (np.einsum) when no graph is recorded,
with the values of the plain g * other that the walk used to sum down. Memory is
measured with tracemalloc, down to the peak of a BatchNorm2d autograd step."""
import gc
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from layers import BatchNorm2d
from minigrad.ops.shape import sum_to_shape
from torch_oracle import compare, compare_second, signed

# (shape of the factor whose gradient is wanted, shape of the other factor)
SHAPES = [((64, 1, 1), (8, 64, 5, 5)), ((1, 64, 1, 1), (8, 64, 5, 5)), ((5,), (4, 3, 5)),
          ((3, 1), (1, 4)), ((), (2, 3)), ((2, 1, 4), (3, 1)), ((1, 1), (0, 3))]


def peak_during(fn):
    """Bytes tracemalloc sees at the peak of fn(), above what was held before."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("wanted_first", [True, False])
def test_the_gradient_of_a_broadcast_factor_is_the_product_summed(rng, dtype, shapes,
                                                                  wanted_first):
    wanted = mg.Tensor(rng.standard_normal(shapes[0]).astype(dtype), requires_grad=True)
    other = mg.Tensor(rng.standard_normal(shapes[1]).astype(dtype), requires_grad=True)
    out = wanted * other if wanted_first else other * wanted
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    # what the walk did before: the full product in float64, summed down to the shape
    expected = sum_to_shape(g.astype(np.float64) * other.data.astype(np.float64), shapes[0])
    assert wanted.grad.shape == wanted.shape and wanted.grad.dtype == dtype
    tolerance = {np.float64: 1e-12, np.float32: 1e-5, np.float16: 2e-3}[dtype]
    scale = sum_to_shape(np.abs(g.astype(np.float64) * other.data), shapes[0]) + 1
    assert np.all(np.abs(wanted.grad.data - expected) <= tolerance * scale)
    # the other factor's gradient (full size, or itself broadcast) is unchanged
    expected_other = sum_to_shape(g.astype(np.float64) * wanted.data, shapes[1])
    assert other.grad.dtype == dtype
    assert np.all(np.abs(other.grad.data - expected_other)
                  <= tolerance * (sum_to_shape(np.abs(g * wanted.data), shapes[1]) + 1))


@pytest.mark.parametrize("wanted_first", [True, False])
def test_a_broadcast_factor_takes_its_gradient_without_a_full_size_product(rng, wanted_first):
    # BatchNorm's dweight = sum dy * x_hat: before, g * x_hat was made in full and
    # then summed by the walk.
    x = mg.Tensor(rng.standard_normal((16, 8, 32, 32)))            # a constant
    weight = mg.Tensor(rng.standard_normal((8, 1, 1)), requires_grad=True)
    out = weight * x if wanted_first else x * weight
    g = rng.standard_normal(out.shape)
    peak = peak_during(lambda: out.backward(g))
    assert peak < 0.05 * x.data.nbytes, peak / x.data.nbytes
    np.testing.assert_allclose(weight.grad.data.ravel(),
                               np.einsum("nchw,nchw->c", g, x.data), rtol=1e-12)


def test_a_constant_kept_as_a_tensor_is_read_as_its_array(rng):
    # A constant factor stays a Tensor in the node (for drawing); the sum reads its array.
    x = mg.Tensor(rng.standard_normal((4, 3)))
    w = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    (w * x).backward(np.ones((4, 3)))
    np.testing.assert_allclose(w.grad.data, x.data.sum(axis=0), rtol=1e-12)
    assert type(w.grad.data) is np.ndarray


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((), (2, 3))], ids=str)
def test_broadcast_products_against_pytorch(torch, rng, shapes):
    a, b = signed(rng, shapes[0]), signed(rng, shapes[1])
    compare(torch, lambda s, t: s * t, lambda s, t: s * t, a, b)
    # with create_graph the VJP runs on tensors and stays differentiable
    compare_second(torch, lambda s, t: (s * t) ** 2, lambda s, t: (s * t) ** 2, a, b)


def test_float32_broadcast_product_against_pytorch(torch, rng):
    x = rng.standard_normal((8, 16, 6, 6)).astype(np.float32)
    w = rng.standard_normal((16, 1, 1)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    mx, mw = mg.Tensor(x), mg.Tensor(w, requires_grad=True)
    (mx * mw).backward(g)
    tw = torch.tensor(w, requires_grad=True)
    (torch.tensor(x) * tw).backward(torch.tensor(g))
    assert mw.grad.dtype == np.float32
    np.testing.assert_allclose(mw.grad.data, tw.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batchnorm2d_autograd_step_peaks_within_four_inputs(rng, dtype):
    # Issue 17: the graph keeps c, x_hat and y (3 inputs); mul's direct sums keep the
    # backward of x_hat * weight and c * inv_std at 4, and a node frees what it saved
    # before its gradients are added into what its inputs have pending, so square's
    # node no longer holds c while the walk adds c's two gradients (5.00 before that,
    # 5.07 before mul summed its broadcast factors' gradients itself).
    x = mg.Tensor(rng.standard_normal((16, 32, 32, 32)).astype(dtype), requires_grad=True)
    g = rng.standard_normal(x.shape).astype(dtype)
    layer = BatchNorm2d(32, dtype=dtype)
    layer(x).backward(g)                          # warm up: running statistics, caches
    x.grad = None
    peak = peak_during(lambda: layer(x).backward(g))
    assert peak <= 4.05 * x.data.nbytes, peak / x.data.nbytes
    assert x.grad.dtype == dtype
