"""Tests of layers/_state.py: running averages, and module state in float32 (dtype=)."""
import numpy as np
import pytest

import layers
import minigrad
from minigrad import Tensor
from layers._state import update_running
from layer_helpers import MODES, assert_close


def test_update_running_is_in_place_and_outside_the_graph():
    running = Tensor(np.ones(3))
    array = running.data
    with minigrad.enable_grad():
        update_running(running, np.array([3.0, 5.0, 1.0]), 0.25)
    assert running.data is array
    np.testing.assert_allclose(array, [1.5, 2.0, 1.0])
    assert running.grad_fn is None and not running.requires_grad
    update_running(None, np.zeros(3), 0.5)          # a missing buffer is skipped


# dtype=: a float32 module, as PyTorch's dtype=torch.float32

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
