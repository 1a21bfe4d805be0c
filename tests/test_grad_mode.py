"""Grad mode: no_grad, enable_grad, set_grad_enabled, and that each thread has its own."""
import sys
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


@pytest.fixture
def busy_switching():
    """Switch threads every 10 microseconds, so that they interleave inside operations."""
    saved = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(saved)


def run_threads(*targets):
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as e:      # reported by the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=guarded(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# ----------------------------------------------------------------------------
# set_grad_enabled: a plain call, a with block, a decorator (as in PyTorch)
# ----------------------------------------------------------------------------

def test_set_grad_enabled_as_call_block_and_decorator():
    x = mg.Tensor([1.0], requires_grad=True)
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    try:
        assert not mg.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    assert mg.is_grad_enabled()

    @mg.set_grad_enabled(False)
    def evaluate():
        return x * 2

    assert mg.is_grad_enabled()                 # decorating switches nothing
    assert not evaluate().requires_grad and mg.is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False"):
        mg.set_grad_enabled("no")


def test_enable_grad_inside_no_grad_and_nesting_restore():
    x = mg.Tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.enable_grad():
            assert (x * 2).requires_grad
        with mg.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


# ----------------------------------------------------------------------------
# One grad mode per thread
# ----------------------------------------------------------------------------

def test_training_threads_lose_no_graph_while_another_thread_loops_in_no_grad(busy_switching):
    iterations = 1500
    lost = []
    stop = threading.Event()

    def train():
        w = mg.Tensor(np.linspace(-1.0, 1.0, 4), requires_grad=True)
        for _ in range(iterations):
            loss = ((w * 3.0 + 1.0).tanh() * w).sum()     # recorded, even mid no_grad elsewhere
            if loss.grad_fn is None:
                lost.append("forward")
                continue
            w.grad = None
            loss.backward()                                 # the walk switches only this thread
            if w.grad is None:
                lost.append("backward")

    def evaluate():
        v = mg.Tensor(np.ones(4), requires_grad=True)
        while not stop.is_set():
            with mg.no_grad():
                assert (v * 2.0).grad_fn is None

    evaluator = threading.Thread(target=evaluate)
    evaluator.start()
    try:
        run_threads(train, train)
    finally:
        stop.set()
        evaluator.join()
    assert lost == []


def test_grad_mode_is_restored_in_every_thread_after_concurrent_no_grad_blocks(busy_switching):
    seen = []

    @mg.no_grad()
    def evaluate(x):                      # one decorated function, called from every thread
        return x * 2.0

    def worker():
        x = mg.Tensor([1.0], requires_grad=True)
        for _ in range(500):
            with mg.no_grad():
                assert not mg.is_grad_enabled()
            assert evaluate(x).grad_fn is None
            assert mg.is_grad_enabled()
        seen.append(mg.is_grad_enabled())

    run_threads(*[worker] * 4)
    assert seen == [True] * 4 and mg.is_grad_enabled()


def test_a_new_thread_records_even_if_the_main_thread_is_in_no_grad():
    result = []
    with mg.no_grad():
        run_threads(lambda: result.append((mg.Tensor([1.0], requires_grad=True) * 2).grad_fn))
    assert result[0] is not None


def test_the_drawing_scope_of_a_module_stays_in_its_thread():
    class Slow(nn.Module):
        def forward(self, x):
            entered.set()
            other_done.wait(5)
            return x * 2.0

    entered, other_done = threading.Event(), threading.Event()
    scopes = {}

    def inside_module():
        y = Slow()(mg.Tensor([1.0], requires_grad=True))
        scopes["module"] = y.grad_fn.scope

    def outside():
        entered.wait(5)
        scopes["plain"] = (mg.Tensor([1.0], requires_grad=True) * 3.0).grad_fn.scope
        other_done.set()

    run_threads(inside_module, outside)
    assert scopes["plain"] == ()
    assert [type(m).__name__ for m, _ in scopes["module"]] == ["Slow"]
