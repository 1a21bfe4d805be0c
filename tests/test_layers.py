"""Every layer of the package, as a module: first and second derivatives in
train and eval mode, in both backward modes."""
import pytest

import layers
import minigrad
from minigrad import Tensor, gradcheck, gradgradcheck
from layer_helpers import MODES


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
