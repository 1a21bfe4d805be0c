"""Helpers the operation tests share: run the same function in minigrad and in
PyTorch (float64) and compare values, gradients and second derivatives."""
import numpy as np

import minigrad as mg

RTOL, ATOL = 1e-7, 1e-12


def assert_close(actual, expected, what, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def compare(torch, mg_fn, torch_fn, *arrays, seed=0, rtol=RTOL, atol=ATOL):
    """Run mg_fn and torch_fn on the same float64 arrays; compare the values and
    the gradient of every input under a random upstream gradient."""
    xs = [mg.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = mg_fn(*xs), torch_fn(*ts)
    assert out.shape == tuple(t_out.shape), (out.shape, tuple(t_out.shape))
    assert out.dtype == np.float64, out.dtype
    assert_close(out.data, t_out.detach().numpy(), "forward", rtol, atol)
    if not t_out.requires_grad:
        return
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    for k, (x, t) in enumerate(zip(xs, ts)):
        expected = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        assert x.grad is not None, f"input {k} got no gradient"
        assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
        assert_close(x.grad.data, expected, f"gradient of input {k}", rtol, atol)


def compare_second(torch, mg_fn, torch_fn, *arrays, seed=1):
    """Second derivatives: the gradient of <grad(f), v> with respect to the inputs,
    by grad(create_graph=True) in both engines."""
    rng = np.random.default_rng(seed)
    xs = [mg.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = mg_fn(*xs), torch_fn(*ts)
    upstream = rng.standard_normal(out.shape)
    grads = mg.grad(out, xs, mg.Tensor(upstream), create_graph=True)
    t_grads = torch.autograd.grad(t_out, ts, torch.tensor(upstream), create_graph=True)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    total = sum((g * v).sum() for g, v in zip(grads, directions))
    t_total = sum((g * torch.tensor(v)).sum() for g, v in zip(t_grads, directions))
    second = mg.grad(total, xs, allow_unused=True)
    t_second = torch.autograd.grad(t_total, ts, allow_unused=True)
    for k, (g, t) in enumerate(zip(second, t_second)):
        expected = np.zeros(arrays[k].shape) if t is None else t.numpy()
        actual = np.zeros(arrays[k].shape) if g is None else g.data
        assert_close(actual, expected, f"second derivative of input {k}")


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


def signed(rng, shape):
    # Away from 0 so that kinks are not at the test points.
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def unit(rng, shape):
    return rng.uniform(-0.9, 0.9, size=shape)


def finite_differences(fn, arrays, seed=0, eps=1e-6, rtol=1e-5, atol=1e-6):
    """Check the gradients of sum(fn(xs) * u) from backward() against central
    differences (for hypothesis properties over shapes and axes)."""
    xs = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*xs)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)

    def loss(values):
        with mg.no_grad():
            return float(np.sum(fn(*[mg.Tensor(v) for v in values]).data * upstream))

    for k, (x, a) in enumerate(zip(xs, arrays)):
        assert x.grad is not None and x.grad.shape == a.shape and x.grad.dtype == a.dtype
        numerical = np.zeros(a.shape)
        for at in np.ndindex(a.shape):
            plus, minus = [v.copy() for v in arrays], [v.copy() for v in arrays]
            plus[k][at] += eps
            minus[k][at] -= eps
            numerical[at] = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(x.grad.data, numerical, rtol=rtol, atol=atol,
                                   err_msg=f"input {k} of shape {a.shape}")
