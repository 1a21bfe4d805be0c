"""Helpers the layer test modules share: run a layer side by side with the
PyTorch module of the same name, compare the two backward modes, check
derivatives, float32 and a large offset. Not a test module itself."""
import numpy as np

from minigrad import Tensor, gradcheck, gradgradcheck

MODES = ("autograd", "manual")


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
