"""What a primitive's backward saves (its `saves=`) and that the graph keeps only that."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.node import NotSaved
from minigrad.ops import Primitive, primitive


def every_primitive():
    import minigrad.nn.functional  # noqa: F401  (its entries register too)
    found = {}
    for module in list(vars(ops).values()):
        for value in vars(module).values() if hasattr(module, "__dict__") else ():
            if isinstance(value, Primitive):
                found[value.name] = value
    return found


def test_every_entry_of_the_table_says_what_it_saves():
    table = every_primitive()
    assert len(table) > 40
    for name, prim in table.items():
        assert isinstance(prim.saves, tuple), name


def test_a_declaration_is_checked_when_the_entry_is_made():
    with pytest.raises(TypeError, match="saves"):
        primitive("twice", lambda x: 2 * x, lambda g, ans, x: 2 * g)
    with pytest.raises(ValueError, match="'twice'.*'y'.*\\('x',\\)"):
        primitive("twice", lambda x: 2 * x, lambda g, ans, x: 2 * g, saves="y")
    with pytest.raises(ValueError, match="'x.values'"):
        primitive("twice", lambda x: 2 * x, lambda g, ans, x: 2 * g, saves="x.values")


def test_the_node_keeps_what_the_entry_names_and_nothing_else():
    x = mg.Tensor(np.arange(1.0, 4.0), requires_grad=True)
    w = mg.Tensor(np.ones(3), requires_grad=True)
    exp_node = x.exp().grad_fn                     # saves="output"
    assert exp_node.inputs == [None] and exp_node.saved_output is not None
    mul_node = (x * w).grad_fn                     # saves=("a", "b")
    assert all(isinstance(v, np.ndarray) for v in mul_node.inputs)
    assert mul_node.saved_output is None
    add_node = (x + w).grad_fn                     # saves=()
    assert add_node.inputs == [None, None] and add_node.saved_output is None
    sum_node = x.sum().grad_fn                     # saves="x.shape"
    kept = sum_node.inputs[0]
    assert isinstance(kept, NotSaved) and kept.shape == (3,) and kept.dtype == np.float64


def test_a_constant_input_whose_shape_alone_is_saved_is_not_kept():
    w = mg.Tensor(np.ones(2), requires_grad=True)
    constant = mg.Tensor(np.ones(1000))            # no gradient: a constant input
    node = mg.concatenate([w, constant]).grad_fn   # saves the inputs' shapes only
    assert [type(v).__name__ for v in node.inputs] == ["NotSaved", "NotSaved"]
    seen = weakref.ref(constant)
    del constant
    assert seen() is None                          # the graph does not hold it


def test_a_backward_that_reads_an_input_whose_shape_alone_is_saved_is_told_so():
    wrong = primitive("wrong_square", lambda x: x * x, lambda g, ans, x: 2 * x * g,
                      saves="x.shape")
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="WrongSquareBackward.*declare the input itself"):
        wrong(x).sum().backward()


def test_the_chain_keeps_at_most_one_array_per_operation_until_backward():
    size = 20_000
    x = mg.Tensor(np.linspace(-1.0, 1.0, size), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = x
    for _ in range(33):
        y = (y * 1.0001 + 0.1).tanh()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    arrays_per_op = held / x.data.nbytes / 99
    assert arrays_per_op <= 0.5             # mul's input is tanh's output: one array per step
    y.sum().backward()
    assert x.grad is not None
