"""User-defined operations with a backward of their own, as torch.autograd.Function.

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    y = Cube.apply(x)

forward runs without recording a graph; its result becomes one node whose
backward is yours. Write backward with minigrad operations and second
derivatives keep working (with create_graph=True).
"""
from __future__ import annotations

import numpy as np

from minigrad.node import STATE, Node, anomaly_checks, anomaly_paused
from minigrad.tensor import Tensor


class Context:
    """The `ctx` passed to forward and backward: a place to keep values.
    save_for_backward declares what the backward reads; the graph keeps that."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()

    def save_for_backward(self, *tensors):
        self._saved = tensors

    @property
    def saved_tensors(self):
        return self._saved


class _FunctionOp:
    """One call of a Function subclass, as the backward walk sees an op."""

    def __init__(self, cls):
        self.cls = cls
        self.name = cls.__name__
        self.backward_name = cls.__name__ + "Backward"

    def backward(self, node, grads, ans, inputs):
        """Your backward, on tensors (it reads what ctx saved, not ans or inputs)."""
        ctx = node.ctx
        grads = [g if isinstance(g, Tensor) else Tensor._make(g) for g in grads]
        if self.cls.backward is Function.backward:
            raise NotImplementedError(f"{self.name}.backward is not defined: a Function needs "
                                      f"@staticmethod backward(ctx, *grad_outputs) returning one "
                                      f"gradient per input of forward")
        result = self.cls.backward(ctx, *grads)
        if not isinstance(result, (tuple, list)):
            result = (result,)
        if len(result) != len(node.edges):
            raise RuntimeError(f"{self.cls.__name__}.backward returned {len(result)} gradients "
                               f"but forward took {len(node.edges)} inputs (return None for "
                               f"inputs without a gradient)")
        # (an array is fine as it is: the walk makes it a tensor when create_graph)
        return [g if g is None or isinstance(g, Tensor) else
                _numbers(g, f"{self.cls.__name__}.backward", f"gradient {i}")
                for i, g in enumerate(result)]


class Function:
    """Subclass with static forward(ctx, *args) and backward(ctx, *grad_outputs)."""

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("Function: a subclass must define @staticmethod "
                                  "forward(ctx, *inputs) returning its output(s)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function: a subclass must define @staticmethod "
                                  "backward(ctx, *grad_outputs) returning one gradient per "
                                  "input of forward (None where there is none)")

    @classmethod
    def apply(cls, *args):
        if cls.forward is Function.forward:
            raise NotImplementedError(f"{cls.__name__}.forward is not defined: a Function needs "
                                      f"@staticmethod forward(ctx, *inputs)")
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = Context(needs)
        saved_mode = STATE.grad_enabled
        STATE.grad_enabled = False                  # forward records no graph
        try:
            with anomaly_paused():      # checked below on the outputs, naming this Function
                result = cls.forward(ctx, *args)
        finally:
            STATE.grad_enabled = saved_mode
        single = not isinstance(result, (tuple, list))
        outputs = [result] if single else list(result)
        for k, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                out = Tensor._make(_numbers(out, f"{cls.__name__}.forward", f"output {k}"))
            elif any(out is a for a in args) or out.grad_fn is not None:
                out = Tensor._make(out.data)        # never rewire a tensor we did not create
            outputs[k] = out
        if anomaly_checks():
            _check_outputs(cls, args, outputs)
        if not (any(needs) and saved_mode):
            return outputs[0] if single else tuple(outputs)
        edges = [a._edge() if n else None for a, n in zip(args, needs)]
        # What the walk and drawing read of the inputs; the values backward reads are in ctx.
        inputs = [None if n else a for a, n in zip(args, needs)]
        versions = tuple((t._counter(), t._version) for t in ctx.saved_tensors
                         if isinstance(t, Tensor))
        node = Node(_FunctionOp(cls), edges, inputs, versions, {}, None,
                    tuple(o.shape for o in outputs), tuple(o.dtype for o in outputs), ctx)
        for k, out in enumerate(outputs):
            if out.dtype.kind == "f":       # integer outputs (indices, counts) carry no gradient
                out._grad_fn = node
                out._output_nr = k
                out._requires_grad = True
        return outputs[0] if single else tuple(outputs)


def _numbers(value, where, what):
    """A Function's output or gradient that is not a Tensor, as a numeric array."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        kind = type(value).__name__ + (f" of dtype {array.dtype}" if isinstance(
            value, np.ndarray) or array.dtype.kind == "c" else "")
        raise TypeError(f"{where} returned {kind} as its {what}; expected a Tensor, an array "
                        f"or a number of boolean, integer or float dtype")
    return array


def _check_outputs(cls, args, outputs):
    """detect_anomaly: nan/inf in a Function's outputs from finite inputs."""
    finite = all(np.isfinite(a.data).all() for a in args
                 if isinstance(a, Tensor) and a.dtype.kind == "f")
    for k, out in enumerate(outputs):
        if finite and out.dtype.kind == "f" and not np.isfinite(out.data).all():
            raise RuntimeError(f"detect_anomaly: {cls.__name__}.forward produced nan/inf in "
                               f"output {k} from finite inputs")
