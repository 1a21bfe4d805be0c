"""What a student coming from PyTorch types works, and means what it means in PyTorch.

Each test runs the same line in minigrad and in PyTorch (float64) and compares the
results: the methods, constructors and modules of PyTorch's names, dim=/keepdim=,
integer labels and dtypes, and the edge points where engines part from PyTorch.
The deliberate differences (docs/cheatsheet.md) are tested as such.
"""
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def both(torch, data, requires_grad=False):
    """The same data as a minigrad tensor and a torch tensor (float64)."""
    data = np.asarray(data, dtype=np.float64)
    return (mg.tensor(data, requires_grad=requires_grad),
            torch.tensor(data, requires_grad=requires_grad))


def same(ours, theirs, atol=1e-12):
    ours = ours.data if isinstance(ours, mg.Tensor) else np.asarray(ours)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, atol=atol, rtol=1e-10)


X = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]])


# -- mg.nn / mg.optim without importing them ---------------------------------------------------

def test_nn_and_optim_come_with_import_minigrad():
    code = "import minigrad as mg; mg.nn.Linear(2, 3); mg.optim.SGD; mg.nn.functional.relu"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# -- dim= / keepdim= ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_take_dim_and_keepdim(torch, name, dim, keepdim):
    x, tx = both(torch, X, requires_grad=True)
    y = getattr(x, name)(dim=dim, keepdim=keepdim)
    ty = getattr(tx, name)(dim=dim, keepdim=keepdim)
    ty = ty.values if name in ("max", "min") else ty     # PyTorch's max(dim) adds indices
    same(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, tx.grad)
    same(getattr(mg, name)(x, dim=dim, keepdim=keepdim), ty)       # the function form too


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_take_dim_keepdim_and_correction(torch, name):
    x, tx = both(torch, X)
    for correction in (0, 1):
        same(getattr(x, name)(dim=1, keepdim=True, correction=correction),
             getattr(tx, name)(dim=1, keepdim=True, correction=correction))
    # the default differs deliberately: NumPy's ddof=0, PyTorch's correction=1
    same(getattr(x, name)(dim=1), getattr(tx, name)(dim=1, correction=0))


def test_giving_both_spellings_is_a_type_error():
    x = mg.tensor(X)
    for call in (lambda: x.sum(axis=0, dim=0), lambda: x.sum(0, dim=0),
                 lambda: mg.mean(x, 1, dim=1), lambda: x.mean(keepdims=True, keepdim=True),
                 lambda: F.softmax(x, 1, dim=1), lambda: mg.cat([x, x], axis=0, dim=0)):
        with pytest.raises(TypeError, match="both"):
            call()


def test_shape_functions_take_dim(torch):
    x, tx = both(torch, X)
    same(mg.cat([x, x], dim=1), torch.cat([tx, tx], dim=1))
    same(mg.concatenate([x, x], dim=0), torch.cat([tx, tx], dim=0))
    same(mg.stack([x, x], dim=1), torch.stack([tx, tx], dim=1))
    same(x.unsqueeze(1).squeeze(dim=1), tx.unsqueeze(1).squeeze(dim=1))
    same(mg.expand_dims(x, dim=0), tx.unsqueeze(0))


def test_softmax_takes_dim(torch):
    x, tx = both(torch, X, requires_grad=True)
    y = F.softmax(x, dim=1)
    ty = torch.nn.functional.softmax(tx, dim=1)
    same(y, ty)
    same(F.log_softmax(x, dim=0), torch.nn.functional.log_softmax(tx, dim=0))
    same(x.softmax(dim=0), tx.softmax(dim=0))
    same(x.log_softmax(-1), tx.log_softmax(-1))
    (y[:, 0]).sum().backward()
    (ty[:, 0]).sum().backward()
    same(x.grad, tx.grad)


# -- Tensor methods with PyTorch's meaning ------------------------------------------------------

def test_tolist_view_t_permute_unsqueeze(torch):
    x, tx = both(torch, X)
    assert x.tolist() == tx.tolist()
    assert mg.tensor(2.5).tolist() == torch.tensor(2.5).tolist() == 2.5
    same(x.view(3, 2), tx.view(3, 2))
    same(x.view(-1), tx.view(-1))
    same(x.t(), tx.t())
    same(x[0].t(), tx[0].t())
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        mg.zeros(2, 3, 4).t()
    y, ty = both(torch, np.arange(24.0).reshape(2, 3, 4))
    same(y.permute(2, 0, 1), ty.permute(2, 0, 1))
    same(y.permute((1, 2, 0)), ty.permute((1, 2, 0)))
    same(y.unsqueeze(-1), ty.unsqueeze(-1))
    same(y.expand(4, -1, -1, -1), ty.expand(4, -1, -1, -1))
    same(x.clamp(-0.5, 1.0), tx.clamp(-0.5, 1.0))
    same(x.pow(3), tx.pow(3))
    assert y.dim() == ty.dim() and y.numel() == ty.numel()


@pytest.mark.parametrize("args", [(), (0,), (1,), (0, 1), (1, 2), (-2, -1)])
def test_flatten_has_start_dim_and_end_dim(torch, args):
    y, ty = both(torch, np.arange(24.0).reshape(2, 3, 4))
    same(y.flatten(*args), ty.flatten(*args))
    same(mg.flatten(y, *args), torch.flatten(ty, *args))
    same(mg.tensor(3.0).flatten(), torch.tensor(3.0).flatten())


def test_argmax_and_argmin(torch):
    x, tx = both(torch, X)
    for name in ("argmax", "argmin"):
        same(getattr(x, name)(), getattr(tx, name)())
        assert getattr(x, name)().dtype == np.int64
        for dim in (0, 1, -1):
            same(getattr(x, name)(dim=dim), getattr(tx, name)(dim=dim))
            same(getattr(x, name)(dim=dim, keepdim=True), getattr(tx, name)(dim=dim, keepdim=True))
            same(getattr(mg, name)(x, dim), getattr(torch, name)(tx, dim))


def test_clone_is_a_differentiable_copy(torch):
    x, tx = both(torch, X, requires_grad=True)
    y, ty = x.clone(), tx.clone()
    assert y.grad_fn.name == "CloneBackward" and y.data is not x.data
    y.data[0, 0] = 100.0                        # the copy has its own memory
    assert x.data[0, 0] == 0.5
    (y * 3).sum().backward()
    (ty * 3).sum().backward()
    same(x.grad, tx.grad)


def test_contiguous_copies_a_transposed_tensor_and_returns_a_contiguous_one(torch):
    x, tx = both(torch, X, requires_grad=True)
    assert x.contiguous() is x and tx.contiguous() is tx
    y, ty = x.T.contiguous(), tx.T.contiguous()
    assert y.data.flags.c_contiguous and ty.is_contiguous()
    same(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, tx.grad)


def test_requires_grad_float_double(torch):
    x, tx = both(torch, X)
    assert x.requires_grad_() is x and x.requires_grad and tx.requires_grad_().requires_grad
    assert not x.requires_grad_(False).requires_grad
    assert x.float().dtype == np.float32 and tx.float().dtype == torch.float32
    assert x.float().double().dtype == np.float64
    labels = mg.tensor([1.0, 2.0]).long()
    assert labels.dtype == np.int64 and torch.tensor([1.0, 2.0]).long().dtype == torch.int64
    with pytest.raises(TypeError, match="floating"):
        mg.tensor([1, 2]).requires_grad_()


def test_size_stays_numpys_int(torch):
    x, tx = both(torch, X)
    assert x.size == 6 and isinstance(x.size, int)        # NumPy's; PyTorch: tx.numel()
    assert x.shape == tuple(tx.shape) == tuple(tx.size())


# -- constructors -------------------------------------------------------------------------------

def test_like_constructors_and_full(torch):
    x, tx = both(torch, X)
    same(mg.zeros_like(x), torch.zeros_like(tx))
    same(mg.ones_like(x), torch.ones_like(tx))
    same(mg.full_like(x, 7.5), torch.full_like(tx, 7.5))
    same(mg.full((2, 3), 1.5), torch.full((2, 3), 1.5))
    assert mg.full((2,), 3).dtype == np.int64 and torch.full((2,), 3).dtype == torch.int64
    assert mg.full((2,), True).dtype == np.bool_ and torch.full((2,), True).dtype == torch.bool
    assert mg.zeros_like(mg.tensor([1, 2])).dtype == np.int64
    assert mg.ones_like(x, requires_grad=True).requires_grad


def test_eye_linspace_arange(torch):
    same(mg.eye(3), torch.eye(3))
    same(mg.eye(2, 4), torch.eye(2, 4))
    same(mg.linspace(-1, 2, 7), torch.linspace(-1, 2, 7))
    same(mg.arange(5), torch.arange(5))
    same(mg.arange(1, 2, 0.25), torch.arange(1, 2, 0.25))


def test_random_constructors():
    mg.manual_seed(0)
    u = mg.rand(1000)
    assert u.shape == (1000,) and u.dtype == np.float64 and 0 <= u.data.min() and u.data.max() < 1
    assert abs(u.data.mean() - 0.5) < 0.05
    assert mg.rand(2, 3).shape == (2, 3) == mg.rand((2, 3)).shape
    r = mg.randint(10, (500,))
    assert r.dtype == np.int64 and r.data.min() >= 0 and r.data.max() == 9
    r = mg.randint(3, 5, (2, 4))
    assert r.shape == (2, 4) and set(r.data.ravel()) <= {3, 4}
    with pytest.raises(ValueError, match="greater than low"):
        mg.randint(5, 5, (2,))


def test_from_numpy_shares_memory(torch):
    array = np.arange(3.0)
    t, tt = mg.from_numpy(array), torch.from_numpy(array)
    array[0] = 42.0
    assert t.data[0] == 42.0 == tt[0].item()
    assert mg.tensor(array).data is not array         # the constructor copies, as torch.tensor
    with pytest.raises(TypeError, match="ndarray"):
        mg.from_numpy([1.0, 2.0])


# -- nn modules ---------------------------------------------------------------------------------

def test_loss_modules(torch):
    logits, tlogits = both(torch, X, requires_grad=True)
    labels = [2, 0]
    same(nn.CrossEntropyLoss()(logits, mg.tensor(labels)),
         torch.nn.CrossEntropyLoss()(tlogits, torch.tensor(labels)))
    same(nn.CrossEntropyLoss(reduction="sum")(logits, mg.tensor(labels)),
         torch.nn.CrossEntropyLoss(reduction="sum")(tlogits, torch.tensor(labels)))
    target, ttarget = both(torch, X[::-1].copy())
    same(nn.MSELoss()(logits, target), torch.nn.MSELoss()(tlogits, ttarget))
    same(nn.MSELoss(reduction="none")(logits, target),
         torch.nn.MSELoss(reduction="none")(tlogits, ttarget))


def test_sigmoid_and_identity(torch):
    x, tx = both(torch, X)
    same(nn.Sigmoid()(x), torch.nn.Sigmoid()(tx))
    assert nn.Identity(54, unused="x")(x) is x
    assert not list(nn.Identity().parameters())


def test_module_list_matches_pytorch(torch):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
            self.layers.append(nn.Linear(2, 2))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x).tanh()
            return x

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)])
            self.layers.append(torch.nn.Linear(2, 2))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x).tanh()
            return x

    ours, theirs = Net(), TorchNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x, tx = both(torch, X)
    same(ours(x), theirs(tx))
    assert len(ours.layers) == 3 and isinstance(ours.layers[1:], nn.ModuleList)
    assert ours.layers[-1] is list(ours.layers)[2]
    del ours.layers[0]
    assert list(ours.layers.state_dict())[:2] == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="expected a Module"):
        ours.layers.append(lambda x: x)
    with pytest.raises(IndexError, match="out of range"):
        ours.layers[5]


# -- dtypes as NumPy and PyTorch ----------------------------------------------------------------

@pytest.mark.parametrize("data", [3, 2.5, True, [1, 2], [1.0, 2], [[True, False]], [[1, 2], [3, 4]]])
def test_python_data_gets_pytorchs_dtype(torch, data):
    assert mg.tensor(data).dtype == np.dtype(str(torch.tensor(data).dtype).split(".")[1])
    assert mg.tensor(data).dtype == np.asarray(data).dtype            # and NumPy's


def test_requires_grad_on_integers_is_refused_in_both(torch):
    with pytest.raises(TypeError, match="use floats"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)


def test_integer_labels_work_and_float_labels_are_explained(torch):
    logits, tlogits = both(torch, X, requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([2, 0]))
    tloss = torch.nn.functional.cross_entropy(tlogits, torch.tensor([2, 0]))
    same(loss, tloss)
    loss.backward()
    tloss.backward()
    same(logits.grad, tlogits.grad)
    with pytest.raises(TypeError, match="class indices must be integers"):
        F.cross_entropy(logits, mg.tensor([2.0, 0.0]))
    with pytest.raises(RuntimeError):       # PyTorch refuses them too (as probabilities)
        torch.nn.functional.cross_entropy(tlogits, torch.tensor([2.0, 0.0]))
    same(F.cross_entropy(logits, mg.tensor([2.0, 0.0]).long()), tloss)


# -- the edge points where engines part from PyTorch --------------------------------------------

def test_derivative_of_x_to_the_zero_at_infinity_is_zero(torch):
    data = [np.inf, -np.inf, 0.0, -2.0, 3.0]
    x, tx = both(torch, data, requires_grad=True)
    (x ** 0).sum().backward()
    (tx ** 0).sum().backward()
    same(x.grad, tx.grad)
    assert x.grad.data.tolist() == [0.0] * 5
    x, tx = both(torch, data, requires_grad=True)        # a tensor exponent holding 0
    (x ** mg.zeros(5)).sum().backward()
    (tx ** torch.zeros(5)).sum().backward()
    same(x.grad, tx.grad)


def test_derivative_of_zero_to_a_negative_power_is_minus_infinity(torch):
    exponents = [-2.0, -0.5, 0.0, 0.5, 3.0]
    y, ty = both(torch, exponents, requires_grad=True)
    with np.errstate(divide="ignore"):          # 0 ** -2 = inf and log(0), on purpose
        (mg.zeros(5) ** y).sum().backward()
    (torch.zeros(5) ** ty).sum().backward()
    same(y.grad, ty.grad)
    assert y.grad.data.tolist() == [-np.inf, -np.inf, 0.0, 0.0, 0.0]
    y.grad = None                               # a Python 0.0 as the base
    with np.errstate(divide="ignore"):
        (0.0 ** y).sum().backward()
    same(y.grad, ty.grad)


def test_a_list_of_tensors_is_stacked_keeping_the_graph(torch):
    x, tx = both(torch, [1.0, 2.0, 3.0], requires_grad=True)
    y = mg.mean([x, x + 2])
    ty = torch.mean(torch.stack([tx, tx + 2]))
    same(y, ty)
    y.backward()
    ty.backward()
    same(x.grad, tx.grad)                         # not 0: the graph was kept
    z = mg.maximum([[x, x * 2]], 3.0)
    assert z.shape == (1, 2, 3) and z.grad_fn is not None


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_of_a_zero_d_tensor(torch, dim):
    x, tx = both(torch, 2.5, requires_grad=True)
    same(F.softmax(x, dim), torch.nn.functional.softmax(tx, dim))
    same(F.log_softmax(x, dim), torch.nn.functional.log_softmax(tx, dim))
    assert F.softmax(x, dim).item() == 1.0 and F.log_softmax(x, dim).item() == 0.0
    F.log_softmax(x, dim).backward()
    torch.nn.functional.log_softmax(tx, dim).backward()
    same(x.grad, tx.grad)
    with pytest.raises(IndexError):
        F.softmax(x, 1)


def test_an_out_of_range_axis_is_both_value_error_and_index_error(torch):
    x, tx = both(torch, X)
    for call in (lambda t: t.sum(axis=2), lambda t: t.mean(dim=-3), lambda t: t.max(axis=5),
                 lambda t: F.softmax(t, 2), lambda t: mg.expand_dims(t, 4)):
        for kind in (ValueError, IndexError):
            with pytest.raises(kind, match="out of range"):
                call(x)
    with pytest.raises(IndexError):                 # PyTorch: IndexError
        tx.sum(dim=2)
    with pytest.raises(np.exceptions.AxisError):    # NumPy: AxisError, the same pair
        X.sum(axis=2)


def _takes_axis(fn):
    import inspect
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return bool({"axis", "keepdims", "ddof"} & set(parameters))


def test_every_function_and_method_with_axis_also_takes_dim():
    """The rule, checked over everything public: a new op with axis= gets dim= too."""
    from minigrad import ops
    places = [(mg, n) for n in mg.__all__] + [(ops, n) for n in ops.__all__] + \
        [(F, n) for n in dir(F) if not n.startswith("_")] + \
        [(mg.Tensor, n) for n in dir(mg.Tensor) if not n.startswith("_")]
    without = [f"{getattr(where, '__name__', where)}.{name}" for where, name in places
               if _takes_axis(getattr(where, name)) and not hasattr(getattr(where, name), "__wrapped__")]
    assert not without, f"take axis= but not dim= (decorate with @numpy_or_torch_names): {without}"


@pytest.mark.parametrize("name", ["prod", "logsumexp", "cumsum", "argmax", "all"])
def test_reductions_added_later_take_dim_too(torch, name):
    x, tx = both(torch, X)
    if name == "all":
        x, tx = x > 0, tx > 0
    same(getattr(mg, name)(x, dim=1), getattr(torch, name)(tx, dim=1))


def test_flip_and_roll_take_dims(torch):
    x, tx = both(torch, X)
    same(mg.flip(x, dims=(0, 1)), torch.flip(tx, dims=(0, 1)))
    same(mg.roll(x, 1, dims=1), torch.roll(tx, 1, dims=1))


def test_the_cheatsheet_is_linked_from_the_readme():
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    assert "(docs/cheatsheet.md)" in (root / "README.md").read_text(encoding="utf-8")
    sheet = (root / "docs" / "cheatsheet.md").read_text(encoding="utf-8")
    for topic in ("x.size", "float64", "x.max(dim=1)", "correction", "transpose", "micrograd"):
        assert topic in sheet, topic


def test_a_shallow_copy_of_a_module_has_registries_of_its_own(torch):
    # PyTorch's copy shares the registries; minigrad's has its own (docs/cheatsheet.md)
    import copy
    theirs = torch.nn.Linear(3, 2)
    theirs_copy = copy.copy(theirs)
    theirs_copy.weight = torch.nn.Parameter(torch.zeros(2, 3))
    assert theirs.weight is theirs_copy.weight
    ours = nn.Linear(3, 2)
    ours_copy = copy.copy(ours)
    assert ours_copy.weight is ours.weight
    ours_copy.weight = nn.Parameter(np.zeros((2, 3)))
    assert ours.weight is not ours_copy.weight
    assert ours.weight is ours._parameters["weight"]
    assert any(p is ours.weight for p in ours.parameters())
