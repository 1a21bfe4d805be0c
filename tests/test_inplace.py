"""In-place operations (minigrad/inplace.py) with PyTorch's rules, PyTorch as the oracle."""
import numpy as np
import pytest

import minigrad as mg

W0 = [1.0, -2.0, 3.0]
X0 = [0.5, 1.5, -1.0]


def both(torch):
    """The same leaf w (requires grad) and constant x in minigrad and in PyTorch."""
    ours = mg.Tensor(W0, requires_grad=True), mg.Tensor(X0)
    theirs = torch.tensor(W0, requires_grad=True), torch.tensor(X0)
    return ours, theirs


# ----------------------------------------------------------------------------
# The optimizer step: allowed on a leaf under no_grad, changing the tensor itself
# ----------------------------------------------------------------------------

def test_sgd_step_under_no_grad_changes_the_leaf_itself(torch):
    (w, x), (tw, tx) = both(torch)
    for _ in range(3):
        (w * w * x).sum().backward()
        (tw * tw * tx).sum().backward()
        same = w
        with mg.no_grad():
            w -= 0.1 * w.grad
        with torch.no_grad():
            tw -= 0.1 * tw.grad
        assert w is same and w.is_leaf and w.requires_grad and w.grad_fn is None
        w.grad.zero_()
        tw.grad.zero_()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-14)
    np.testing.assert_array_equal(w.grad.data, 0.0)


def test_p_data_minus_equals_lr_times_grad_works_on_the_array():
    # micrograd's and PyTorch's idiom: NumPy writes into p.data with the Tensor's values.
    w = mg.Tensor(W0, requires_grad=True)
    (w * w).sum().backward()
    array = w.data
    w.data -= 0.5 * w.grad
    assert w.data is array
    np.testing.assert_allclose(w.data, np.array(W0) - 0.5 * 2 * np.array(W0))


def test_every_in_place_method_under_no_grad_matches_torch(torch):
    (w, x), (tw, tx) = both(torch)
    with mg.no_grad():
        w.add_(x).mul_(2.0).sub_(1.0).div_(x)
        w *= 3.0
        w /= 2.0
        w += x
    with torch.no_grad():
        tw.add_(tx).mul_(2.0).sub_(1.0).div_(tx)
        tw *= 3.0
        tw /= 2.0
        tw += tx
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-14)
    y, ty = mg.zeros(3), torch.zeros(3)
    y.copy_(x)
    ty.copy_(tx)
    np.testing.assert_array_equal(y.data, ty.numpy())
    y.zero_()
    assert not y.data.any()


def test_an_array_meets_a_tensor():
    t = mg.Tensor([1.0, 2.0], requires_grad=True)
    total = np.zeros(2)
    total += t                                   # writes into the array
    np.testing.assert_array_equal(total, [1.0, 2.0])
    result = np.ones(2) * t                      # the Tensor's operator: stays in the graph
    assert isinstance(result, mg.Tensor) and result.grad_fn is not None
    assert isinstance(np.ones(2) < t, mg.Tensor)
    with pytest.raises(TypeError, match="call minigrad's function"):
        np.exp(t)


# ----------------------------------------------------------------------------
# Refused: a leaf that requires grad while recording
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("change", [
    lambda w: w.__iadd__(1.0), lambda w: w.__isub__(1.0), lambda w: w.__imul__(2.0),
    lambda w: w.__itruediv__(2.0), lambda w: w.add_(1.0), lambda w: w.sub_(1.0),
    lambda w: w.mul_(2.0), lambda w: w.div_(2.0), lambda w: w.zero_(),
    lambda w: w.copy_(w.detach() * 0),
])
def test_a_leaf_that_requires_grad_is_refused_while_recording(torch, change):
    message = "a leaf Variable that requires grad is being used in an in-place operation"
    w = mg.Tensor(W0, requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        change(w)
    np.testing.assert_array_equal(w.data, W0)            # and left unchanged
    tw = torch.tensor(W0, requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        change(tw)


# ----------------------------------------------------------------------------
# Recorded: a result in a graph, or a tensor given a gradient by the other operand
# ----------------------------------------------------------------------------

def test_in_place_on_a_result_is_recorded_and_differentiates_like_torch(torch):
    (w, x), (tw, tx) = both(torch)
    h, th = w * x, tw * tx
    h += w
    th += tw
    h *= w
    th *= tw
    h /= 2.0
    th /= 2.0
    assert h.grad_fn.name == "DivBackward"              # the op became its grad_fn
    h.sum().backward()
    th.sum().backward()
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-14)


def test_a_constant_given_a_gradient_in_place_becomes_a_result(torch):
    (w, x), (tw, tx) = both(torch)
    c, tc = mg.zeros(3), torch.zeros(3)
    c += w * x
    tc += tw * tx
    c.mul_(w)
    tc.mul_(tw)
    assert not c.is_leaf and c.requires_grad
    c.sum().backward()
    tc.sum().backward()
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-14)


def test_copy_sends_the_gradient_to_the_source(torch):
    (w, _), (tw, _) = both(torch)
    y, ty = mg.zeros((2, 3)), torch.zeros(2, 3)
    y.copy_(w * 2.0)
    ty.copy_(tw * 2.0)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-14)


# ----------------------------------------------------------------------------
# The version counter: a saved tensor changed before backward() is caught
# ----------------------------------------------------------------------------

def test_a_saved_leaf_changed_by_an_optimizer_step_before_backward_is_caught(torch):
    (w, x), (tw, tx) = both(torch)
    loss, tloss = (w * w * x).sum(), (tw * tw * tx).sum()      # w * w saves w
    with mg.no_grad():
        w -= 0.1
    with torch.no_grad():
        tw -= 0.1
    with pytest.raises(RuntimeError, match="MulBackward.*modified by an in-place operation"):
        loss.backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()


def test_a_saved_constant_changed_later_is_caught_but_an_unsaved_one_is_not():
    w = mg.Tensor(W0, requires_grad=True)
    x = mg.Tensor(X0)
    product, total = w * x, w + x          # mul saves x, add saves nothing
    x += 1.0
    total.sum().backward()                 # add never reads x: nothing to refuse
    np.testing.assert_array_equal(w.grad.data, 1.0)
    with pytest.raises(RuntimeError, match="MulBackward"):
        product.sum().backward()


def test_a_view_shares_the_version_of_the_tensor_it_views(torch):
    w = mg.Tensor(W0, requires_grad=True)
    view = w.reshape(3, 1)
    loss = (view * view).sum()             # mul saves the view, which is w's memory
    with mg.no_grad():
        w.mul_(2.0)
    assert view._version == w._version == 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    tw = torch.tensor(W0, requires_grad=True)
    tview = tw.reshape(3, 1)
    tloss = (tview * tview).sum()
    with torch.no_grad():
        tw.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()


def test_a_function_that_saved_a_tensor_sees_it_changed():
    class Square(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    w = mg.Tensor(W0, requires_grad=True)
    y = Square.apply(w)
    with mg.no_grad():
        w += 1.0
    with pytest.raises(RuntimeError, match="SquareBackward.*in-place"):
        y.sum().backward()


def test_a_result_changed_under_no_grad_keeps_the_values_its_node_saved():
    # exp saved its output array; the tensor gets new values in a new array, so the
    # gradient of the recorded exp is still exp(x) (PyTorch refuses this backward).
    x = mg.Tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y += 100.0
    np.testing.assert_allclose(y.data, np.exp([0.0, 1.0]) + 100.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.0, 1.0]), rtol=1e-15)


# ----------------------------------------------------------------------------
# Shape and dtype are the tensor's own
# ----------------------------------------------------------------------------

def test_an_in_place_op_cannot_change_shape_or_dtype_kind(torch):
    x = mg.Tensor(X0)
    with pytest.raises(RuntimeError, match=r"\+=: .*shape \(2, 3\).*shape \(3,\)"):
        x += np.ones((2, 3))
    with pytest.raises(RuntimeError):
        tx = torch.tensor(X0)
        tx += torch.ones(2, 3)
    counts = mg.Tensor(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="int64"):
        counts += 0.5
    single = mg.Tensor(np.array([1.0, 2.0], dtype=np.float32))
    single += np.array([0.5, 0.5])               # float64 operand, float32 tensor: cast
    assert single.dtype == np.float32
    np.testing.assert_array_equal(single.data, [1.5, 2.5])
