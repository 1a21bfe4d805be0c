"""Bad input is refused at the door, by name (issue 10's three rows of probes).

Each case is (what is called, the exception class, words the message must hold):
the words name the function and the offending value or shape. Where PyTorch
accepts an input, minigrad gives PyTorch's result instead (the last test).
"""
import math

import numpy as np
import pytest

import layers
import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F


def leaf():
    return mg.Tensor([1.0, 2.0], requires_grad=True)


class NoBackward(mg.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2


class ComplexGradient(mg.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        return g.data * (1 + 1j)


def through(function):
    x = leaf()
    function.apply(x).sum().backward()


STRINGS = np.array([["a", "b"], ["c", "d"]])
COMPLEX = np.ones((2, 2)) * 1j


def check(call, kind, words):
    with pytest.raises(kind) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


# ----------------------------------------------------------------------------
# Silent acceptance: each was computed on (or cast) and gave a plausible answer
# ----------------------------------------------------------------------------

SILENT = {
    "abs of an object array": (lambda: mg.abs(np.array([1, -2], dtype=object)), TypeError,
                               ["abs", "object"]),
    "stack of a string": (lambda: mg.stack("abc"), TypeError, ["stack", "'abc'"]),
    "pad of None": (lambda: mg.pad(None, 1), TypeError, ["pad", "None"]),
    "x + an object array": (lambda: leaf() + np.array([1, 2], dtype=object), TypeError,
                            ["add", "object"]),
    "linear, string weight": (lambda: F.linear(mg.ones(2, 2), STRINGS), TypeError,
                              ["linear", "weight", "<U1"]),
    "linear, complex weight": (lambda: F.linear(mg.ones(2, 2), COMPLEX), TypeError,
                               ["linear", "weight", "complex128"]),
    "conv2d, string weight": (lambda: F.conv2d(mg.ones(1, 1, 3, 3), np.full((1, 1, 2, 2), "a")),
                              TypeError, ["conv2d", "weight", "<U1"]),
    "conv2d, complex weight": (lambda: F.conv2d(mg.ones(1, 1, 3, 3), COMPLEX.reshape(1, 1, 2, 2)),
                               TypeError, ["conv2d", "weight", "complex128"]),
    "mse_loss, string target": (lambda: F.mse_loss(mg.ones(2), np.array(["a", "b"])), TypeError,
                                ["mse_loss", "target"]),
    "mse_loss, complex target": (lambda: F.mse_loss(mg.ones(2), np.ones(2) * 1j), TypeError,
                                 ["mse_loss", "target", "complex128"]),
    "BatchNorm1d eps=-1.0": (lambda: layers.BatchNorm1d(3, eps=-1.0), ValueError,
                             ["BatchNorm1d", "eps", "-1.0"]),
    "BatchNorm1d eps=1j": (lambda: layers.BatchNorm1d(3, eps=1j), TypeError,
                           ["BatchNorm1d", "eps", "1j"]),
    "requires_grad='no'": (lambda: mg.Tensor([1.0], requires_grad="no"), TypeError,
                           ["requires_grad", "'no'"]),
    "zeros(requires_grad='no')": (lambda: mg.zeros(2, requires_grad="no"), TypeError,
                                  ["requires_grad", "'no'"]),
    "keepdims='no'": (lambda: mg.sum(leaf(), axis=0, keepdims="no"), TypeError,
                      ["sum", "keepdims", "'no'"]),
    "mean keepdims='no'": (lambda: leaf().mean(keepdims="no"), TypeError,
                           ["mean", "keepdims", "'no'"]),
    "Module.train('no')": (lambda: nn.Linear(2, 2).train("no"), TypeError,
                           ["Linear.train", "'no'"]),
    "Adam eps=nan": (lambda: optim.Adam([leaf()], eps=math.nan), ValueError,
                     ["Adam", "eps", "nan"]),
    "Adam lr=-1": (lambda: optim.Adam([leaf()], lr=-1), ValueError, ["Adam", "lr", "-1"]),
    "Adam betas=(1.0, 0.9)": (lambda: optim.Adam([leaf()], betas=(1.0, 0.9)), ValueError,
                              ["Adam", "betas[0]", "1.0"]),
    "SGD momentum=-1": (lambda: optim.SGD([leaf()], lr=0.1, momentum=-1), ValueError,
                        ["SGD", "momentum", "-1"]),
    "SGD lr='fast'": (lambda: optim.SGD([leaf()], lr="fast"), TypeError, ["SGD", "'fast'"]),
    "Function with a complex gradient": (lambda: through(ComplexGradient), TypeError,
                                         ["ComplexGradient.backward", "complex128"]),
    "grad(y, [])": (lambda: mg.grad((leaf() * 2).sum(), []), RuntimeError,
                    ["grad", "inputs", "empty"]),
    "check_backward h=0": (lambda: mg.check_backward(lambda a: a * 2, lambda a, g: 2 * g,
                                                     {"a": np.ones(2)}, h=0),
                           ValueError, ["check_backward", "h", "0"]),
    "draw_graph collapse=3.5": (lambda: mg.draw_graph(leaf() * 2, collapse=3.5), TypeError,
                                ["draw_graph", "collapse", "3.5"]),
    "draw_graph rankdir='sideways'": (lambda: mg.draw_graph(leaf() * 2, rankdir="sideways"),
                                      ValueError, ["draw_graph", "rankdir", "'sideways'"]),
    "draw_graph legend='yes'": (lambda: mg.draw_graph(leaf() * 2, legend="yes"), TypeError,
                                ["draw_graph", "legend", "'yes'"]),
}


@pytest.mark.parametrize("case", SILENT)
def test_what_was_silently_accepted_is_refused_by_name(case):
    check(*SILENT[case])


# ----------------------------------------------------------------------------
# Wrong exception types: NumPy's MemoryError, AttributeError, OverflowError, ...
# ----------------------------------------------------------------------------

WRONG_KIND = {
    "zeros(10**6, 10**6)": (lambda: mg.zeros(10**6, 10**6), RuntimeError,
                            ["zeros", "(1000000, 1000000)", "TB"]),
    "nn.Linear(10**12, 3)": (lambda: nn.Linear(10**12, 3), RuntimeError,
                             ["Linear", "(3, 1000000000000)", "TB"]),
    "sigmoid(None)": (lambda: mg.sigmoid(None), TypeError, ["sigmoid", "None"]),
    "linear, weight None": (lambda: F.linear(mg.ones(2, 2), None), TypeError,
                            ["linear", "weight", "None"]),
    "linear, weight 5": (lambda: F.linear(mg.ones(2, 2), 5), ValueError,
                         ["linear", "weight", "()"]),
    "conv2d, weight None": (lambda: F.conv2d(mg.ones(1, 1, 3, 3), None), TypeError,
                            ["conv2d", "weight", "None"]),
    "draw_graph names=5": (lambda: mg.draw_graph(leaf() * 2, names=5), TypeError,
                           ["draw_graph", "names", "int"]),
    "draw_graph backward_of=5": (lambda: mg.draw_graph(leaf() * 2, backward_of=5), TypeError,
                                 ["draw_graph", "backward_of", "5"]),
    "relu(10**30)": (lambda: mg.relu(10**30), ValueError,
                     ["relu", "1000000000000000000000000000000", "64 bits"]),
    "arange(0, 10, 0)": (lambda: mg.arange(0, 10, 0), ValueError, ["arange", "step", "zero"]),
}


@pytest.mark.parametrize("case", WRONG_KIND)
def test_errors_are_of_the_right_class(case):
    check(*WRONG_KIND[case])


# ----------------------------------------------------------------------------
# Unclear errors: they named neither the op nor the value, or spoke NumPy
# ----------------------------------------------------------------------------

UNCLEAR = {
    "x < 'abc'": (lambda: leaf() < "abc", TypeError, ["less", "'abc'"]),
    "Function without backward": (lambda: through(NoBackward), NotImplementedError,
                                  ["NoBackward.backward", "staticmethod"]),
    "sum('abc', axis=1)": (lambda: mg.sum("abc", axis=1), TypeError, ["sum", "'abc'"]),
    "optim.SGD(5, 0.1)": (lambda: optim.SGD(5, 0.1), TypeError, ["SGD", "params", "int 5"]),
    "register_hook(5)": (lambda: (leaf() * 2).register_hook(5), TypeError,
                         ["register_hook", "5"]),
    "Tensor of a ragged list": (lambda: mg.Tensor([[1], [1, 2]]), TypeError,
                                ["Tensor", "ragged", "[[1], [1, 2]]"]),
    "x + a ragged list": (lambda: leaf() + [[1], [1, 2]], TypeError,
                          ["add", "ragged", "[[1], [1, 2]]"]),
    "concatenate with None": (lambda: mg.concatenate([leaf(), None]), TypeError,
                              ["concatenate", "position 1", "None"]),
    "zeros_like of a ragged list": (lambda: mg.zeros_like([[1], [1, 2]]), TypeError,
                                    ["zeros_like", "ragged"]),
    "full_like(x, 'abc')": (lambda: mg.full_like(leaf(), "abc"), TypeError,
                            ["full_like", "fill_value", "'abc'"]),
    "pad with ragged widths": (lambda: mg.pad(leaf(), [[1], [1, 2]]), TypeError,
                               ["pad", "pad_width"]),
    "logsumexp(None)": (lambda: mg.logsumexp(None), TypeError, ["logsumexp", "None"]),
    "save_graph of a tensor": (lambda: mg.save_graph(leaf(), "out.svg"), TypeError,
                               ["save_graph", "Tensor", "draw_graph"]),
}


@pytest.mark.parametrize("case", UNCLEAR)
def test_messages_name_the_function_and_the_value(case):
    kind = UNCLEAR[case][1]
    check(*UNCLEAR[case])
    with pytest.raises(kind) as info:
        UNCLEAR[case][0]()
    assert "setting an array element" not in str(info.value)      # never NumPy's words


def test_a_hook_that_is_refused_leaves_nothing_behind():
    x = leaf()
    y = x * 2
    with pytest.raises(TypeError):
        y.register_hook(5)
    y.sum().backward()                  # the next backward runs as if nothing happened
    assert x.grad.data.tolist() == [2.0, 2.0]


# ----------------------------------------------------------------------------
# What PyTorch accepts, minigrad accepts too, with PyTorch's result
# ----------------------------------------------------------------------------

ACCEPTED = {
    "x * True": (lambda m, x: x * True, lambda t, x: x * True),
    "keepdims as a NumPy bool": (lambda m, x: m.sum(x, axis=0, keepdims=np.True_),
                                 lambda t, x: t.sum(x, dim=0, keepdim=True)),
    "an int64 array operand": (lambda m, x: x + np.array([1, 2]),
                               lambda t, x: x + t.tensor([1, 2])),
    "stack of arrays in a list": (lambda m, x: m.stack([x, np.array([3.0, 4.0])]),
                                  lambda t, x: t.stack([x, t.tensor([3.0, 4.0])])),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_what_pytorch_accepts_gives_pytorchs_result(torch, case):
    ours, theirs = ACCEPTED[case]
    got = ours(mg, mg.Tensor([1.0, 2.0]))
    want = theirs(torch, torch.tensor([1.0, 2.0], dtype=torch.float64))
    np.testing.assert_allclose(got.data, want.numpy())
    assert got.dtype == want.numpy().dtype


def test_hyper_parameters_pytorch_accepts_are_accepted(torch):
    p = torch.zeros(1, requires_grad=True)
    torch.optim.Adam([p], eps=0.0, lr=0.0, betas=(0.0, 0.0))
    torch.optim.SGD([p], lr=0.0, momentum=0.0)
    torch.nn.BatchNorm1d(3, eps=0.0)
    optim.Adam([leaf()], eps=0.0, lr=0.0, betas=(0.0, 0.0))
    optim.SGD([leaf()], lr=0.0, momentum=0.0)
    layers.BatchNorm1d(3, eps=0.0)
    assert nn.Linear(2, 2).train(np.False_).training is False


def test_a_list_operand_reaches_the_vjps_as_an_array():
    # ops.linear's weight VJP uses x.reshape: a list x is read as the array NumPy sees.
    w = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    mg.ops.linear([[1.0, 2.0, 3.0]], w, 0.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
