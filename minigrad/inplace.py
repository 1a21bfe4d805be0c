"""In-place operations on a tensor, with PyTorch's rules.

    x += 1, x -= y, x *= 2, x /= 3, x.add_(y), x.sub_(y), x.mul_(y), x.div_(y),
    x.zero_(), x.copy_(y)

change the tensor x itself (the same Python object), and return it.

- Nothing to record (under no_grad(), or nothing needs a gradient): the new
  values are written into x's array. This is the optimizer step:
      with no_grad():
          w -= lr * w.grad
- While recording, on a leaf that requires grad: refused, as in PyTorch. Its
  gradient is what training is for; changing it in place would change the
  input of the very graph being recorded.
- While recording, when the result needs a gradient (x is a result in a
  graph, or y requires grad): recorded. x's grad_fn becomes the operation, as
  in PyTorch. x gets a new array: the graph may have saved the old one.
- A tensor that a recorded operation saved for its backward and that is
  changed in place afterwards makes that backward() raise, naming the
  operation: every in-place change counts one more version of the tensor (a
  counter shared with its views), and the operation noted the version it saved.

Also here: `array -= tensor` on a NumPy array (micrograd's and PyTorch's
`p.data -= lr * p.grad`), through Tensor.__array_ufunc__.
"""
from __future__ import annotations

import numpy as np

import minigrad             # (ops builds on Tensor: looked up when called)
from minigrad.node import STATE, VersionCounter


class InPlaceMethods:
    __slots__ = ()

    def __iadd__(self, other): return _in_place(self, "+=", minigrad.ops.add, other)
    def __isub__(self, other): return _in_place(self, "-=", minigrad.ops.sub, other)
    def __imul__(self, other): return _in_place(self, "*=", minigrad.ops.mul, other)
    def __itruediv__(self, other): return _in_place(self, "/=", minigrad.ops.div, other)

    def add_(self, other): return _in_place(self, "add_", minigrad.ops.add, other)
    def sub_(self, other): return _in_place(self, "sub_", minigrad.ops.sub, other)
    def mul_(self, other): return _in_place(self, "mul_", minigrad.ops.mul, other)
    def div_(self, other): return _in_place(self, "div_", minigrad.ops.div, other)

    def zero_(self):
        """Set every element to 0 (x.grad.zero_())."""
        return _in_place(self, "zero_", minigrad.ops.mul, 0)

    def copy_(self, src):
        """Copy src's values (broadcast to this shape, cast to this dtype) into this
        tensor. While recording, the gradient flows to src."""
        return _in_place(self, "copy_", _copy, src)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """NumPy meets a Tensor. Writing into a NumPy array (`array -= tensor`,
        np.add(a, t, out=a)) uses the tensor's values; `array + tensor` and the
        other operators give the Tensor's own operator; other NumPy functions
        of a tensor are refused: call minigrad's (mg.exp(t), not np.exp(t))."""
        from minigrad.tensor import Tensor     # (tensor.py imports this file)
        if method == "__call__" and out is not None:
            if any(isinstance(o, Tensor) for o in out):
                return NotImplemented           # a tensor changes through its own methods
            arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
            return ufunc(*arrays, out=out, **kwargs)
        operator = _operators().get(ufunc)
        if method == "__call__" and operator is not None and not kwargs:
            return operator(*inputs)
        raise TypeError(f"NumPy's {ufunc.__name__} ({method}) was given a minigrad Tensor: call "
                        f"minigrad's function instead (mg.{ufunc.__name__}(t) where it exists), "
                        f"or NumPy's on the array t.data (no gradient)")


def _copy(x, src):
    """src broadcast to x's shape and cast to x's dtype, as a new result."""
    src = minigrad.ops.astype(src, x.dtype) if np.asarray(src).dtype != x.dtype else src
    if np.shape(src) != x.shape:
        src = minigrad.ops.broadcast_to(src, x.shape)
    return minigrad.ops.clone(src)


def _in_place(x, name, op, other):
    """x becomes op(x, other), with the rules of the module docstring."""
    other_needs_grad = getattr(other, "requires_grad", False)
    if STATE.grad_enabled and (x.requires_grad or other_needs_grad):
        if x.grad_fn is None and x.requires_grad:
            raise RuntimeError(
                f"{name}: a leaf Variable that requires grad is being used in an in-place "
                f"operation (a tensor of shape {x.shape} made with requires_grad=True). "
                f"Update it under no_grad() (an optimizer step), or compute a new tensor: "
                f"y = x + 1")
        result = _fits(x, name, op(x, other), record=True)
        _take_result(x, result)
        x._grad_fn, x._output_nr, x._requires_grad = result.grad_fn, result._output_nr, True
    else:
        saved, STATE.grad_enabled = STATE.grad_enabled, False
        try:
            result = _fits(x, name, op(x, other), record=False)
        finally:
            STATE.grad_enabled = saved
        if x.grad_fn is None:
            try:
                np.copyto(x.data, result.data, casting="same_kind")
            except ValueError as e:             # a read-only array (a broadcast view)
                raise RuntimeError(f"{name}: cannot write into this tensor's data: {e}") from None
            x._counter().count += 1             # nodes that saved x (or a view of it) see it
        else:
            _take_result(x, result)
    return x


def _take_result(x, result):
    """x takes the result's values in a new array, not in its own: a node may have
    saved the old one (exp keeps its output). A node that kept x itself (a
    constant, which a drawing shows) sees a new version. Views taken of x before
    keep the old values."""
    version = x._version + 1
    if x.grad_fn is None:
        x._counter().count = version
    x.data = result.data.astype(x.dtype, copy=False)
    x._version_counter = VersionCounter(version)     # no longer shared with old views


def _fits(x, name, result, record):
    """The result of an in-place operation, checked to keep x's shape and dtype."""
    if result.shape != x.shape:
        raise RuntimeError(f"{name}: the result has shape {result.shape}, but an in-place "
                           f"operation cannot change the shape {x.shape} of the tensor it "
                           f"writes into")
    if result.dtype != x.dtype:
        if not np.can_cast(result.dtype, x.dtype, casting="same_kind"):
            raise TypeError(f"{name}: the result has dtype {result.dtype}, which cannot be "
                            f"stored in place in a tensor of dtype {x.dtype}")
        if record:
            result = minigrad.ops.astype(result, x.dtype)
    return result


def _operators():
    """NumPy's ufuncs that are a Tensor operator, and minigrad's function for each."""
    ops = minigrad.ops
    compare = {ufunc: lambda a, b, ufunc=ufunc: ops.compare(ufunc, a, b)
               for ufunc in (np.less, np.less_equal, np.greater, np.greater_equal, np.equal,
                             np.not_equal)}
    return {np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul,
            np.true_divide: ops.div, np.power: ops.power, np.matmul: ops.matmul, **compare}
