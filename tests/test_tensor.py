"""The Tensor (minigrad/tensor.py): dtype rules, attributes, conversions,
requires_grad, detach, hooks' bookkeeping and repr."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor


# ----------------------------------------------------------------------------
# Construction and dtypes
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("data, dtype", [(3, np.int64), (2.5, np.float64), ([1, 2], np.int64),
                                         ([[1, 2], [3, 4]], np.int64), ([1.5, 2], np.float64),
                                         (True, np.bool_), ([True, False], np.bool_)])
def test_python_numbers_and_lists_get_numpys_dtypes(data, dtype):
    # as np.array and torch.tensor: ints int64, floats float64, bools bool
    t = Tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.asarray(data))


def test_requires_grad_on_integers_says_to_use_floats():
    with pytest.raises(TypeError, match=r"use floats \(mg.tensor\(\[1.0, 2.0\]\)"):
        Tensor([1, 2], requires_grad=True)
    assert Tensor([1.0, 2], requires_grad=True).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.int64, np.bool_])
def test_arrays_keep_their_dtype(dtype):
    arr = np.ones(3, dtype=dtype)
    assert Tensor(arr).dtype == dtype
    assert Tensor(np.ones((), dtype=dtype)[()]).dtype == dtype     # NumPy scalar too


def test_dtype_argument_converts():
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2), dtype="int64").dtype == np.int64
    with pytest.raises(TypeError, match="Tensor.*not a NumPy dtype"):
        Tensor([1.0], dtype="no such dtype")


def test_the_array_is_copied():
    arr = np.zeros(2)
    t = Tensor(arr)
    arr[0] = 5.0
    assert t.data[0] == 0.0
    u = Tensor(t)
    t.data[1] = 7.0
    assert u.data[1] == 0.0


@pytest.mark.parametrize("bad", ["text", None, {"a": 1}, [1, [2, 3]], 1 + 2j, object()])
def test_unsupported_data_is_a_type_error_naming_tensor(bad):
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(bad)


def test_tensor_function_is_the_constructor():
    t = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    assert isinstance(t, Tensor) and t.requires_grad and t.name == "x"


# ----------------------------------------------------------------------------
# requires_grad
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_requires_grad_on_a_non_float_tensor_is_a_type_error(dtype):
    with pytest.raises(TypeError, match=str(np.dtype(dtype))):
        Tensor(np.ones(2, dtype=dtype), requires_grad=True)
    t = Tensor(np.ones(2, dtype=dtype))
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad = True


def test_requires_grad_on_float32_and_switching_off():
    t = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    t.requires_grad = False
    assert not (t * 2).requires_grad


def test_requires_grad_of_a_non_leaf_cannot_be_switched_off():
    y = Tensor([1.0], requires_grad=True) * 2
    assert not y.is_leaf and y.grad_fn.name == "MulBackward"
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False
    y.requires_grad = True                       # already true: allowed


def test_detach_shares_data_and_leaves_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)


def test_operations_on_constants_record_nothing():
    a, b = Tensor([1.0]), Tensor([2.0])
    c = a * b + 1
    assert not c.requires_grad and c.grad_fn is None


# ----------------------------------------------------------------------------
# Array attributes and conversions
# ----------------------------------------------------------------------------

def test_array_attributes():
    t = Tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.size == 24 and t.dtype == np.float32
    assert len(t) == 2
    assert t.numpy() is t.data


def test_zero_dimensional_tensor():
    t = Tensor(3.5)
    assert t.shape == () and t.ndim == 0 and t.size == 1
    assert t.item() == 3.5 and float(t) == 3.5 and int(t) == 3 and bool(t)
    with pytest.raises(TypeError, match="0-d"):
        len(t)


def test_item_and_bool_need_one_element():
    t = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        t.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    assert Tensor([[4.0]]).item() == 4.0


def test_format_spec_formats_a_one_element_tensor():
    # f"{loss:.4f}" is how students print losses; it raised TypeError.
    assert f"{Tensor(1.23456):.3f}" == "1.235" and f"{Tensor([[2.0]]):>5}" == "  2.0"
    assert f"{Tensor([1.0, 2.0])}" == str(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"format: only a one-element tensor.*\(2,\)"):
        f"{Tensor([1.0, 2.0]):.2f}"


def test_iteration_and_numpy_conversion():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(t)
    assert len(rows) == 2 and rows[1].data.tolist() == [3.0, 4.0]
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32


def test_np_array_copies_and_np_asarray_shares_like_for_an_ndarray():
    t = Tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 99.0                         # used to write into the tensor
    assert t.data[0] == 1.0
    assert np.asarray(t) is t.data and np.array(t, copy=False) is t.data
    assert np.array(t, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="copy=False"):
        np.array(t, dtype=np.float32, copy=False)


def test_numpy_functions_defer_to_tensor_operators():
    t = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([10.0, 20.0]) - t
    assert isinstance(out, Tensor) and out.grad_fn.name == "SubBackward"


def test_repr():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(Tensor([1.0], requires_grad=True) * 2)
    assert "dtype=float32" in repr(Tensor(np.ones(1, np.float32)))
    assert "name='w'" in repr(Tensor([1.0], name="w"))


def test_method_forms_match_module_functions(rng):
    x = Tensor(rng.standard_normal((2, 3)))
    pairs = [(x.exp(), mg.exp(x)), (x.abs(), mg.abs(x)), (x.sum(1), mg.sum(x, 1)),
             (x.T, mg.transpose(x)), (x.max(0, keepdims=True), mg.max(x, 0, True)),
             (x.reshape(3, 2), mg.reshape(x, (3, 2))), (x.clip(-0.1, 0.1), mg.clip(x, -0.1, 0.1)),
             (x.flatten(), mg.reshape(x, -1)), (x.squeeze(), mg.squeeze(x))]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)


def test_tensors_are_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# ----------------------------------------------------------------------------
# retain_grad and hooks' bookkeeping (the walk itself is tested in test_autograd)
# ----------------------------------------------------------------------------

def test_retain_grad_on_a_leaf_is_a_no_op_and_leaves_keep_grad():
    x = Tensor([1.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_non_leaf_grad_is_not_kept_without_retain_grad():
    x = Tensor([1.0], requires_grad=True)
    h = x * 2
    (h * 3).sum().backward()
    assert h.grad is None


def test_retain_grad_accumulates_like_a_leaf():
    x = Tensor([1.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    y = (h * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert h.grad.item() == 6.0


def test_deepcopy_of_a_leaf_and_of_a_result():
    import copy
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    (x * 2).sum().backward()
    c = copy.deepcopy(x)
    assert c is not x and c.requires_grad and c.name == "x" and c.is_leaf
    c.data[0] = 9.0
    c.grad.data[0] = 9.0
    assert x.data[0] == 1.0 and x.grad.data[0] == 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        copy.deepcopy(x * 2)


def test_grad_can_be_cleared_and_only_set_to_a_matching_tensor():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    (x * 2).sum().backward()
    x.grad = None
    assert x.grad is None
    x.grad = Tensor(np.full(2, 3.0, dtype=np.float32))
    (x * 2).sum().backward()
    assert x.grad.data.tolist() == [5.0, 5.0]
    # An ndarray, a wrong shape or dtype used to be stored as given; the next
    # backward or optimizer step then failed far away or computed in float64.
    with pytest.raises(TypeError, match="grad.*Tensor or None.*ndarray"):
        x.grad = np.ones(2, dtype=np.float32)
    with pytest.raises(ValueError, match=r"grad.*\(3,\).*\(2,\)"):
        x.grad = Tensor(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match="grad.*float64.*float32"):
        x.grad = Tensor(np.ones(2))


def test_a_hook_returning_another_dtype_does_not_change_the_gradient_dtype():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g.astype(np.float64) * 10)
    (h * 3).sum().backward()
    assert h.grad.dtype == np.float32 and x.grad.dtype == np.float32
    assert x.grad.data.tolist() == [60.0, 60.0]


def test_pickle_keeps_a_used_leaf_and_refuses_a_result():
    import pickle

    from minigrad import nn
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    x.register_hook(lambda g: g)
    (x * 2).sum().backward()           # x now has a (weakly referenced) AccumulateGrad node
    y = pickle.loads(pickle.dumps(x))  # this used to fail: cannot pickle 'weakref' object
    assert y.is_leaf and y.requires_grad and y.name == "x" and y.grad.data.tolist() == [2.0, 2.0]
    (y * 3).sum().backward()
    assert y.grad.data.tolist() == [5.0, 5.0] and x.grad.data.tolist() == [2.0, 2.0]
    model = nn.Linear(2, 1)
    model(np.ones((1, 2))).sum().backward()
    twin = pickle.loads(pickle.dumps(model))
    assert type(twin.weight) is nn.Parameter
    np.testing.assert_array_equal(twin(np.ones((1, 2))).data, model(np.ones((1, 2))).data)
    with pytest.raises(RuntimeError, match="pickle.*leaf"):
        pickle.dumps(x * 2)


def test_shallow_copy_shares_data_and_cuts_a_result_from_the_graph():
    import copy
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    c = copy.copy(x)
    assert c is not x and c.data is x.data and c.requires_grad and c.name == "x" and c.is_leaf
    y = x * 2
    d = copy.copy(y)        # used to fail inside pickle's protocol, naming pickle
    assert d.data is y.data and d.grad_fn is None and not d.requires_grad


def test_deepcopy_keeps_the_subclass():
    import copy

    from minigrad import nn
    p = nn.Parameter(np.ones(2))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and not np.shares_memory(p.data, q.data)


def test_retain_grad_stores_the_gradient_after_the_other_hooks(torch):
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    (h * 3).sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    th = tx * 2
    th.retain_grad()
    th.register_hook(lambda g: g * 10)
    (th * 3).sum().backward()
    np.testing.assert_array_equal(h.grad.data, th.grad.numpy())
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
