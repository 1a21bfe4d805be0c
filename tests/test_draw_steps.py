"""backward_steps (minigrad/draw/steps.py): the replayed walk is the walk backward() performs,
in the same order with the same values, and it leaves the graph as it found it."""
import numpy as np
import pytest

import layers
import minigrad as mg
from minigrad.draw import backward_steps
from minigrad.node import AccumulateGrad


def fan_out_graph(rng):
    """a (3,) is broadcast against B (2, 3) and used twice (a shared leaf); d feeds two ops."""
    a = mg.Tensor(rng.standard_normal(3), requires_grad=True, name="a")
    B = mg.Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="B")
    c = a * B
    d = mg.tanh(c)
    e = d * a
    f = d + e
    loss = (f * f).sum()
    return [a, B], {"c": c, "d": d, "e": e, "f": f, "loss": loss}


def record_backward(leaves, results, root):
    """Run root.backward() with a hook on every tensor: the order in which the engine takes
    their nodes and the gradient each received."""
    seen = []
    for name, t in list(zip("aB", leaves)) + list(results.items()):
        t.register_hook(lambda g, name=name: seen.append((name, g.data.copy())))
    root.backward()
    return seen


def test_the_replay_is_the_walk_backward_performs(rng):
    leaves, results = fan_out_graph(rng)
    loss = results["loss"]
    names = {id(t): n for n, t in zip("aB", leaves)}
    node_names = {t.grad_fn: n for n, t in results.items()}
    steps = list(backward_steps(loss))
    assert all(not n.released for n in node_names) and all(t.grad is None for t in leaves)

    replayed = []
    for step in steps:
        if step.is_leaf:
            replayed.append((names[id(step.leaf)], step.grads[0]))
        elif step.node in node_names:
            replayed.append((node_names[step.node], step.grads[0]))
    seen = record_backward(leaves, results, loss)       # the graph was not released
    assert [n for n, _ in replayed] == [n for n, _ in seen]
    for (name, mine), (_, engine) in zip(replayed, seen):
        assert mine.dtype == engine.dtype and mine.shape == engine.shape, name
        assert np.array_equal(mine, engine), name        # the same arithmetic: bit for bit

    # Every node once, newest first; what arrived is the sum of what was sent.
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert [s.node.seq for s in steps] == sorted((s.node.seq for s in steps), reverse=True)
    sent = {}
    for step in steps:
        for n, g in step.arrivals[0]:           # (n = 0: the start, the root's gradient 1)
            assert n == 0 or any(s is not None and s.to is step.node and s.grad is g
                                 for s in steps[n - 1].sends)
        for send in step.sends:
            if send is not None:
                sent.setdefault(send.to, []).append(send.grad)
    for step in steps[1:]:
        total = sent[step.node][0]
        for g in sent[step.node][1:]:
            total = total + g
        assert np.array_equal(total, step.grads[0])
    for leaf in leaves:
        (last,) = [s for s in steps if s.leaf is leaf]
        assert np.array_equal(last.leaf_grad, leaf.grad.data)


def test_captions_say_what_each_vjp_sends(rng):
    leaves, results = fan_out_graph(rng)
    steps = {s.label: s for s in backward_steps(results["loss"], names=results)}
    assert steps["mul#1"].caption == ("mul#1 sends g·B to a and g·a to B; a was broadcast, so "
                                      "its (2, 3) share is summed to (3,)")
    assert steps["mul#1"].sends[0].summed_from == (2, 3)
    assert steps["tanh"].caption.startswith("2 gradients arrived and were added; tanh sends "
                                            "g·(1 − d²) to c")
    assert steps["a"].caption.startswith("a was used 2 times, so its gradients add up; a.grad = ")
    assert steps["sum"].caption.startswith("the walk starts here with g = 1; sum sends")
    assert steps["mul#3"].caption == "mul#3 sends g·f to f and g·f to f"


def test_grad_accumulates_in_the_replay_but_not_in_the_tensor():
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    x.grad = mg.Tensor([10.0, 10.0])
    y = (x * 3.0).sum()
    steps = list(backward_steps(y))
    assert steps[0].caption == "the walk starts here with g = 1; sum sends g copied back over " \
                               "the summed axes to mul"
    assert steps[1].caption == "mul sends g·3 to x"
    assert steps[-1].caption == "x.grad accumulates: [10, 10] + [3, 3] = [13, 13]"
    assert x.grad.data.tolist() == [10.0, 10.0]


def test_large_gradients_are_described_by_shape_and_norm():
    x = mg.Tensor(np.ones((4, 5)), requires_grad=True, name="x")
    (last,) = [s for s in backward_steps((x * 2.0).sum()) if s.is_leaf]
    assert last.caption == f"x.grad = shape (4, 5), norm {np.sqrt(20 * 4):.4g}"


def test_float32_stays_float32():
    x = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    steps = list(backward_steps(mg.tanh(x * 2.0).sum()))
    assert all(s.grads[0].dtype == np.float32 for s in steps)


def test_batchnorm2d_autograd_shows_its_primitives_and_manual_one_node(rng):
    x = mg.Tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True, name="x")
    dy = rng.standard_normal((2, 3, 4, 4))
    grads = {}
    for mode in ("autograd", "manual"):
        bn = layers.BatchNorm2d(3, backward=mode)
        out = bn(x)
        steps = list(backward_steps(out, dy))
        ops = [s for s in steps if not s.is_leaf]
        grads[mode] = {s.label: s.leaf_grad for s in steps if s.is_leaf}
        out.backward(dy)
        for name, t in [("x", x), ("weight", bn.weight), ("bias", bn.bias)]:
            assert np.array_equal(grads[mode][name], t.grad.data), (mode, name)
        x.grad = None
        if mode == "autograd":
            assert len(ops) >= 11
            assert {"mean", "rsqrt", "sub", "mul", "add"} <= {s.node.op.name for s in ops}
        else:
            functions = [s for s in ops if hasattr(s.node.op, "cls")]
            assert len(functions) == 1 and "dx = inv_std * (g - mean_R g" in functions[0].caption
    np.testing.assert_allclose(grads["autograd"]["x"], grads["manual"]["x"], atol=1e-12)


def test_after_backward_the_replay_says_to_retain_the_graph():
    x = mg.Tensor(2.0, requires_grad=True)
    y = mg.exp(x) * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        list(backward_steps(y))
    z = mg.exp(x) * x
    z.backward(retain_graph=True)
    assert len(list(backward_steps(z))) == 3


def test_bad_roots_are_named():
    with pytest.raises(TypeError, match="backward_steps: expected a Tensor, got ndarray"):
        list(backward_steps(np.ones(2)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        list(backward_steps(mg.Tensor(1.0)))
    with pytest.raises(RuntimeError, match="one element"):
        list(backward_steps(mg.Tensor(np.ones(2), requires_grad=True) * 2.0))


def test_a_leaf_as_root_is_one_step():
    x = mg.Tensor(1.5, requires_grad=True, name="x")
    (step,) = backward_steps(x)
    assert isinstance(step.node, AccumulateGrad) and step.caption == "x.grad = 1"


def test_code_between_steps_still_records_a_graph():
    x = mg.Tensor(2.0, requires_grad=True)
    for _ in backward_steps(mg.exp(x)):
        assert (x * 3.0).requires_grad


def test_the_replay_runs_no_hook_and_writes_no_grad():
    x = mg.Tensor([1.0, -2.0], requires_grad=True, name="x")
    h = x * 2.0
    h.retain_grad()
    called = []
    h.register_hook(lambda g: called.append(g))
    x.register_hook(lambda g: called.append(g))
    steps = list(backward_steps(mg.tanh(h).sum()))
    assert len(steps) == 4 and called == [] and h.grad is None and x.grad is None


def test_captions_of_a_layer_and_of_a_variadic_op(rng):
    x = mg.Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="x")
    layer = mg.nn.Linear(3, 4)
    steps = {s.label: s for s in backward_steps(layer(x).sum())}
    assert steps["linear"].caption.startswith("linear sends g @ weight to x, gᵀ @ x to weight "
                                              "and g to bias; bias was broadcast")
    y = mg.Tensor([1.0, 2.0], requires_grad=True, name="y")
    (joined,) = [s for s in backward_steps(mg.concatenate([x.reshape(6), y]).sum())
                 if s.label == "concatenate"]
    assert joined.caption == "concatenate sends its slice of g to reshape and its slice of g to y"
