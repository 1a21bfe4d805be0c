"""nn.Module mechanics, and Linear/Conv2d against PyTorch's modules."""
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def _load_from_torch(module, torch_module):
    module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("scale", np.array([2.0]))
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


def test_registration_and_tree():
    net = nn.Sequential(Block(), nn.Linear(2, 1, bias=False))
    assert [n for n, _ in net.named_parameters()] == ["0.fc.weight", "0.fc.bias", "1.weight"]
    assert [n for n, _ in net.named_buffers()] == ["0.scale"]
    assert [type(m).__name__ for m in net.modules()] == ["Sequential", "Block", "Linear", "Tanh",
                                                          "Linear"]
    assert len(list(net.children())) == 2 and len(net) == 2 and net[1].bias is None
    # PyTorch's order: a module's own parameters and buffers, then its children's.
    assert list(net.state_dict()) == ["0.scale", "0.fc.weight", "0.fc.bias", "1.weight"]
    assert net[0].fc.weight.name == "weight"


def test_sequential_indexing_and_slicing_like_pytorch(torch):
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    tail = net[1:]
    # A slice used to be a plain list, which cannot be called or saved.
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[1] is net[2]
    assert list(tail.state_dict()) == list(torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))[1:].state_dict())
    assert tail(np.ones((1, 4))).shape == (1, 2) and net[-1] is net[2]
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 3"):
        net[3]


def test_train_eval_and_zero_grad():
    net = nn.Sequential(Block())
    assert net.eval() is net and not net[0].fc.training
    net.train()
    assert net[0].act.training
    net(mg.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_is_a_copy_and_loads_back():
    a, b = Block(), Block()
    state = a.state_dict()
    before = a.fc.weight.data.copy()
    a.fc.weight.data += 1
    b.load_state_dict(state)
    np.testing.assert_array_equal(b.fc.weight.data, before)
    assert b.fc.weight.data is not state["fc.weight"]


def test_load_state_dict_errors():
    block = Block()
    state = block.state_dict()
    state["fc.weight"] = np.zeros((5, 5))
    with pytest.raises(ValueError, match=r"fc\.weight.*\(5, 5\).*\(2, 3\)"):
        block.load_state_dict(state)
    with pytest.raises(RuntimeError, match="missing keys.*fc.bias"):
        block.load_state_dict({"fc.weight": np.zeros((2, 3)), "scale": [1.0]})


def test_load_state_dict_reports_keys_like_pytorch(torch):
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    state = {"weight": np.ones((2, 3)), "extra": np.zeros(1)}
    got = ours.load_state_dict(state, strict=False)
    want = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert got == (["bias"], ["extra"]) and tuple(got) == tuple(want)
    assert got.missing_keys == want.missing_keys and got.unexpected_keys == want.unexpected_keys
    assert (ours.weight.data == 1).all()
    matched = ours.load_state_dict(ours.state_dict())
    assert repr(matched) == repr(theirs.load_state_dict(theirs.state_dict()))
    assert matched.missing_keys == [] and matched.unexpected_keys == []


@pytest.mark.parametrize("bad", ["shape", "text", "missing"])
def test_a_failed_load_state_dict_changes_nothing(bad):
    block = Block()
    before = {k: v.copy() for k, v in block.state_dict().items()}
    state = {k: v + 1 for k, v in before.items()}        # "fc.weight" comes first
    if bad == "shape":
        state["scale"] = np.zeros(7)
    elif bad == "text":
        state["scale"] = np.array(["a"])
    else:
        del state["scale"]
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        block.load_state_dict(state)
    for key, value in block.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_of_text_names_the_key():
    block = Block()
    with pytest.raises(TypeError, match="load_state_dict.*'scale'.*<U1"):
        block.load_state_dict({**block.state_dict(), "scale": np.array(["a"])})


def test_a_shared_module_is_in_state_dict_under_each_name_like_pytorch(torch):
    # named_modules lists a shared module once, but PyTorch's state_dict (which a
    # student loads from) has a key under each name: loading it used to fail.
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.Tanh(), shared)
    t_shared = torch.nn.Linear(2, 2)
    t_net = torch.nn.Sequential(t_shared, torch.nn.Tanh(), t_shared)
    assert list(net.state_dict()) == list(t_net.state_dict())
    _load_from_torch(net, t_net)
    x = np.random.default_rng(0).standard_normal((3, 2))
    np.testing.assert_allclose(net(x).data, t_net(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert len(list(net.named_modules(remove_duplicate=False))) == 4
    assert len(list(net.parameters())) == 2


def test_registering_over_a_plain_attribute_is_refused():
    block = Block()
    for name in ("training", "forward"):
        with pytest.raises(ValueError, match=f"register_buffer.*'{name}'"):
            block.register_buffer(name, np.zeros(1))
    with pytest.raises(ValueError, match="register_parameter.*'training'"):
        block.register_parameter("training", nn.Parameter(np.zeros(1)))
    assert block.training is True
    block.register_buffer("scale", np.ones(1))      # replacing a buffer is fine


def test_deep_nesting_prints_and_copies_without_recursion():
    import copy
    import sys
    net = inner = nn.Sequential()
    depth = sys.getrecursionlimit()         # deeper than any recursive walk could go
    for _ in range(depth):
        inner.add = nn.Sequential()
        inner = inner.add
    inner.fc = nn.Linear(2, 1)
    text = repr(net)
    assert text.count("\n") == 2 * depth + 2 and "  " * depth + "(fc): Linear(" in text
    twin = copy.deepcopy(net)
    names = [n for n, _ in twin.named_parameters()]
    assert names == [n for n, _ in net.named_parameters()] and len(names) == 2
    assert twin.state_dict().keys() == net.state_dict().keys()
    assert next(twin.parameters()) is not next(net.parameters())


def test_repr_and_deepcopy_of_a_small_network():
    import copy
    net = nn.Sequential(Block(), nn.Linear(2, 1))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Block(\n"
        "    (fc): Linear(in_features=3, out_features=2, bias=True)\n"
        "    (act): Tanh()\n"
        "  )\n"
        "  (1): Linear(in_features=2, out_features=1, bias=True)\n"
        ")")
    twin = copy.deepcopy(net)
    assert type(twin[0]) is Block and twin[0].scale.data.tolist() == [2.0]
    assert twin[0].fc.weight is not net[0].fc.weight and twin.training
    np.testing.assert_array_equal(twin(np.ones((1, 3))).data, net(np.ones((1, 3))).data)


def test_assigning_wrong_type_to_parameter_slot():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = np.zeros((2, 2))


def test_module_call_records_scope():
    block = Block()
    y = block(mg.randn(2, 3, requires_grad=True))
    scope = y.grad_fn.scope
    assert [type(m).__name__ for m, _ in scope] == ["Block"]
    inner = y.grad_fn.edges[0][0]           # the tanh, run inside Block.act
    assert [name for _, name in inner.scope] == ["", "act"]


def test_linear_init_matches_pytorch_bounds():
    mg.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    assert lin.weight.shape == (300, 400) and lin.bias.shape == (300,)
    assert np.abs(lin.weight.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.99 * bound       # uniform, fills the range
    assert abs(lin.weight.data.std() - bound / np.sqrt(3)) < 0.01 * bound


def test_conv_init_shapes_and_bounds():
    conv = nn.Conv2d(3, 8, (3, 5))
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert np.abs(conv.weight.data).max() <= 1 / np.sqrt(45)


@pytest.mark.parametrize("stride,padding,flat", [(1, 0, 4 * 5 * 5), (2, 1, 4 * 4 * 4),
                                                  ((1, 2), (2, 0), 4 * 9 * 3)])
def test_linear_conv_model_matches_pytorch(torch, stride, padding, flat):
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=stride, padding=padding), nn.ReLU(),
                        nn.Flatten(), nn.Linear(flat, 5))
    tnet = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=stride, padding=padding),
                               torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(flat, 5))
    _load_from_torch(net, tnet)

    x = np.random.default_rng(1).standard_normal((2, 3, 7, 7))
    xm, xt = mg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    target = np.array([0, 4])
    ym, yt = net(xm), tnet(xt)
    np.testing.assert_allclose(ym.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    F.cross_entropy(ym, target).backward()
    torch.nn.functional.cross_entropy(yt, torch.tensor(target)).backward()
    np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    tparams = dict(tnet.named_parameters())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad.data, tparams[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_conv2d_unbatched_and_gradcheck():
    conv = nn.Conv2d(2, 3, 2, stride=1, padding=1)
    x = mg.randn(2, 4, 4, requires_grad=True)
    assert conv(x).shape == (3, 5, 5)
    assert mg.gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1),
                        (mg.randn(1, 2, 5, 5, requires_grad=True),
                         mg.randn(3, 2, 3, 3, requires_grad=True)))
    assert mg.gradgradcheck(lambda x, w: F.conv2d(x, w).tanh(),
                            (mg.randn(1, 1, 3, 3, requires_grad=True),
                             mg.randn(2, 1, 2, 2, requires_grad=True)))


def test_float32_input_stays_float32():
    lin = nn.Linear(3, 2)
    x = mg.Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    y = lin(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and lin.weight.grad.dtype == np.float64


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"linear: expected input with last dimension 3.*\(4, 5\)"):
        nn.Linear(3, 2)(mg.randn(4, 5))
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, 3, H, W\).*\(2, 4, 5, 5\)"):
        nn.Conv2d(3, 1, 3)(mg.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match="kernel"):
        nn.Conv2d(1, 1, 5)(mg.randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="Sequential: argument 1"):
        nn.Sequential(nn.ReLU(), "relu")
    # These failed inside NumPy (a bias of the wrong length met a reshape, kernel_size 0
    # divided by zero), or silently flattened a 1-d input that PyTorch refuses.
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\).*got \(5,\)"):
        F.conv2d(mg.randn(1, 3, 5, 5), mg.randn(4, 3, 3, 3), mg.randn(5))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\).*got \(5,\)"):
        F.linear(mg.randn(2, 3), mg.randn(4, 3), mg.randn(5))
    with pytest.raises(TypeError, match="conv2d: stride must be an int or a pair of ints, got 1.5"):
        F.conv2d(mg.randn(1, 3, 5, 5), mg.randn(4, 3, 3, 3), stride=1.5)
    with pytest.raises(ValueError, match="Conv2d: kernel_size and stride must be >= 1"):
        nn.Conv2d(3, 4, 0)
    with pytest.raises(ValueError, match="Conv2d: kernel_size and stride must be >= 1"):
        nn.Conv2d(3, 4, 3, stride=(1, 0))
    for shape in [(3,), ()]:
        with pytest.raises(ValueError, match=rf"Flatten: .*out of range.*{re.escape(str(shape))}"):
            nn.Flatten()(mg.randn(*shape))


def test_every_way_of_changing_a_parameter_or_buffer_is_what_the_attribute_reads():
    # A module keeps its parameters and buffers in its __dict__ as well as in its
    # registries (a plain attribute read in forward). Each public way of changing one
    # must leave the attribute, the registry and parameters() telling the same story.
    import copy
    import pickle

    def agree(m):
        for registry in (m._parameters, m._buffers):
            for name, value in registry.items():
                assert getattr(m, name) is value, name
        assert [id(p) for p in m.parameters()] == \
            [id(v) for v in m._parameters.values() if v is not None]

    m = nn.Linear(3, 2)
    agree(m)
    new = nn.Parameter(np.ones((2, 3)))
    m.weight = new                                  # replaced by assignment
    assert m.weight is new
    m.bias = None                                   # a parameter slot emptied
    assert m.bias is None and "bias" in m._parameters
    m.register_parameter("bias", nn.Parameter(np.zeros(2)))
    m.register_buffer("count", np.array(0))
    m.count = np.array(5)                           # a buffer replaced by assignment
    assert int(m.count.data) == 5
    agree(m)
    del m.count
    with pytest.raises(AttributeError):
        m.count
    m.register_buffer("count", None)                # the name registered again
    assert m.count is None
    agree(m)
    m.register_parameter("weight", nn.Parameter(np.full((2, 3), 2.0)))   # re-registered
    assert float(m.weight.data[0, 0]) == 2.0
    agree(m)
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        agree(twin)
        assert twin.weight is not m.weight
        twin.weight = nn.Parameter(np.zeros((2, 3)))
        assert twin(np.ones((1, 3))).data.tolist() == [[0.0, 0.0]]
        assert float(m.weight.data[0, 0]) == 2.0
    m.load_state_dict({"weight": np.full((2, 3), 7.0), "bias": np.zeros(2)})
    assert float(m.weight.data[0, 0]) == 7.0
    agree(m)


def test_a_shallow_copy_and_a_second_init_keep_attributes_and_registries_together():
    import copy
    m = nn.Linear(3, 2)
    c = copy.copy(m)
    assert c.weight is m.weight and list(c.parameters()) == list(m.parameters())
    c.weight = nn.Parameter(np.zeros((2, 3)))       # changes the copy only
    del c.bias
    assert m.weight is m._parameters["weight"] and m.bias is m._parameters["bias"]
    assert c.weight is c._parameters["weight"] and "bias" not in c.state_dict()
    with pytest.raises(AttributeError):
        c.bias
    x = np.ones((1, 3))
    assert np.allclose(m(x).data, x @ m.weight.data.T + m.bias.data)

    # Module.__init__ run again (a reset() that calls self.__init__) starts from nothing
    nn.Module.__init__(m)
    assert not hasattr(m, "weight") and not hasattr(m, "bias")
    assert list(m.parameters()) == [] and dict(m.state_dict()) == {}
