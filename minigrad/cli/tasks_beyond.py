"""The graded tasks of the lessons past the layers themselves: lesson 13 (build your own scalar
engine) and lesson 14 (why normalize?). Each is a coursework Task, graded like tasks.py's: the
student's functions run on seeded cases and every result is compared with minigrad's own.

Lives in the command line because lesson 14's reference network uses layers.BatchNorm1d.
"""
from __future__ import annotations

import numpy as np

from minigrad.coursework.task import Part, Task

# ----------------------------------------------------------------------------
# Lesson 13: a scalar engine, graded against minigrad
# ----------------------------------------------------------------------------

_UNARY = ("pow2", "exp", "tanh", "relu")
_BINARY = ("+", "-", "*", "/")


def _minigrad_program(program, values):
    """What the template's evaluate() should return, computed with minigrad tensors."""
    import minigrad as mg
    inputs = [mg.Tensor(float(v), requires_grad=True) for v in values]
    stack = list(inputs)
    for op, i, j in program:
        a, b = stack[i], stack[j]
        stack.append({"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                      "/": lambda: a / b, "pow2": lambda: a ** 2, "exp": lambda: mg.exp(a),
                      "tanh": lambda: mg.tanh(a), "relu": lambda: mg.relu(a)}[op]())
    grads = mg.grad(stack[-1], inputs, allow_unused=True)
    return [stack[-1].item()] + [0.0 if d is None else d.item() for d in grads]


def _random_program(rng, n_inputs, n_steps, ops):
    """n_steps random steps over n_inputs inputs, each reading the step before it and a random
    earlier value, so that every operation is on the path to the result (a division divides
    by e^b, never by 0)."""
    program, size = [], n_inputs
    for _ in range(n_steps):
        op = ops[rng.integers(len(ops))]
        i, j = size - 1, int(rng.integers(0, size))    # every step feeds the result
        if op == "/":                               # divide by e^b: never 0
            program.append(("exp", j, j))
            size += 1
            j = size - 1
        program.append((op, i, j))
        size += 1
    return program


def _neuron(g):
    import minigrad as mg
    for label, values in (("x = 1.5, w = 0.8, b = -0.4 (lesson 1)", (1.5, 0.8, -0.4)),
                          ("x = -2, w = 3, b = 1 (saturated)", (-2.0, 3.0, 1.0))):
        mine = g.call("neuron", *values, case=label)
        x, w, b = (mg.Tensor(v, requires_grad=True) for v in values)
        loss = mg.tanh(w * x + b) ** 2
        grads = mg.grad(loss, [x, w, b])
        g.compare("neuron", label, mine, [loss.item()] + [d.item() for d in grads],
                  hint="the values are [L, dL/dx, dL/dw, dL/db]: check tanh's and pow's "
                       "local derivatives, and that _backward adds (+=)")


def _expressions(g):
    rng = g.rng
    for op in _UNARY:                       # op(a) * op(a): two results of op feed a
        case = f"{op}, its input used twice"
        program, values = [(op, 0, 0), (op, 0, 0), ("*", 1, 2)], [0.7]
        mine = g.call("evaluate", program, values, case=case)
        g.compare("evaluate", case, mine, _minigrad_program(program, values),
                  hint=f"[op(a) * op(a), d/da] for op = {op}: a gradient off while the value is "
                       f"right points at {op}'s _backward: it must ADD (+=) its local derivative "
                       f"times out.grad to the input's grad")
    for ops, label in ((_BINARY, "+ - * / (a divisor is e^b)"),
                       (_BINARY + _UNARY, "all operations"),
                       (("*", "+"), "a node used many times")):
        for k in range(3):
            values = list(rng.uniform(-1.5, 1.5, 3))
            program = _random_program(rng, 3, 8, ops)
            case = f"{label}, #{k + 1}"
            mine = g.call("evaluate", program, values, case=case)
            g.compare("evaluate", case, mine, _minigrad_program(program, values),
                      values={"inputs": np.array(values)},
                      hint="[the result, then its gradient for each input]: a wrong gradient "
                           "with right values points at a _backward, or at the walk's order")


def _chain(g):
    mine = g.call("chain", 5000, case="5,000 products")
    g.compare("chain", "5,000 products", mine, 1.0001 ** 5000,
              hint="d x_5000 / d x_0 of a chain of products; a RecursionError means a "
                   "recursive topological sort")


def _mlp(g):
    result = g.call("train_mlp", 100, case="XOR, 100 SGD steps")
    result = list(result)
    count, losses = int(result[0]), np.asarray(result[1:], dtype=float)
    g.compare("train_mlp: parameters", "MLP(2, [4, 4, 1])", count, 2 * 4 + 4 + 4 * 4 + 4 + 4 + 1,
              hint="weights and a bias per neuron: 2*4+4, 4*4+4, 4+1")
    if len(losses) != 100 or not np.all(np.isfinite(losses)):
        g.fail("train_mlp: loss", "XOR, 100 SGD steps", "not 100 finite losses")
    elif losses[-1] < 0.5 * losses[0]:
        g.compare("train_mlp: loss falls", "last / first loss", losses[-1] / losses[0],
                  losses[-1] / losses[0])
    else:
        g.fail("train_mlp: loss falls", "last / first loss",
               f"the loss went from {losses[0]:.3g} to {losses[-1]:.3g}",
               hint="the loss should at least halve in 100 steps: check that the MLP's layers "
                    "feed each other, that the last layer is linear and that parameters() "
                    "lists every weight and bias")


VALUE_ENGINE = Task(
    "value_engine: a scalar autograd engine and an MLP on it (lesson 13)",
    [Part("neuron", _neuron, "write pow and tanh"),
     Part("evaluate", _expressions, "write pow, exp, tanh, relu, -, /"),
     Part("chain", _chain, "keep backward's walk free of recursion"),
     Part("train_mlp", _mlp, "write Neuron, Layer and MLP")],
    about="your Value against minigrad's tensors on lesson 1's neuron, on each operation with "
          "its input used twice and on random expressions (seeded), a 5,000-step chain, and "
          "your MLP trained on XOR")


# ----------------------------------------------------------------------------
# Lesson 14: a network's statistics at initialisation
# ----------------------------------------------------------------------------

def _reference_statistics(net, x, labels):
    import minigrad as mg
    from minigrad import nn
    from minigrad.nn import functional as F
    h, outputs = mg.Tensor(x), []
    for module in net:
        h = module(h)
        if isinstance(module, nn.Tanh):
            h.retain_grad()
            outputs.append(h)
    F.cross_entropy(h, mg.Tensor(labels)).backward()
    return np.array([[np.std(o.data), np.mean(np.abs(o.data) > 0.97), np.std(o.grad.data)]
                     for o in outputs])


def _test_network(rng, scale, batchnorm):
    import layers
    from minigrad import nn
    modules, fan_in = [], 16
    for _ in range(4):
        linear = nn.Linear(fan_in, 16)
        linear.weight.data[...] = scale * rng.standard_normal(linear.weight.shape)
        modules += [linear] + ([layers.BatchNorm1d(16)] if batchnorm else []) + [nn.Tanh()]
    return nn.Sequential(*modules, nn.Linear(16, 5))


def _statistics(g):
    rng = g.rng
    x, labels = rng.standard_normal((64, 16)), rng.integers(0, 5, 64)
    for label, scale, batchnorm in (("weights N(0, 1)", 1.0, False),
                                    ("weights N(0, 0.1^2)", 0.1, False),
                                    ("weights N(0, 1) + BatchNorm", 1.0, True)):
        net = _test_network(rng, scale, batchnorm)
        state = {k: v.copy() for k, v in net.state_dict().items()}
        mine = g.call("layer_statistics", net, x.copy(), labels.copy(), case=label)
        net.load_state_dict(state)                   # the same network, unchanged, for ours
        net.zero_grad()
        g.compare("layer_statistics", label, mine, _reference_statistics(net, x, labels),
                  hint="one row per nn.Tanh: [np.std(output), mean(|output| > 0.97), "
                       "np.std(output.grad)]; retain_grad() before backward")


def _fan_in(g):
    from minigrad import nn
    import layers
    import minigrad as mg
    rng = g.rng
    x, labels = rng.standard_normal((256, 32)), rng.integers(0, 10, 256)
    for batchnorm in (False, True):        # 32 inputs, not 64: the first layer's fan_in differs
        case = f"32 inputs, depth 6, width 64{', batchnorm' if batchnorm else ''}"
        mg.manual_seed(0)
        net = g.call("fan_in_network", 6, 64, 32, 10, batchnorm, case=case)
        kinds = [type(m) for m in net]
        block = [nn.Linear] + ([layers.BatchNorm1d] if batchnorm else []) + [nn.Tanh]
        if kinds != block * 6 + [nn.Linear]:
            g.fail("fan_in_network: layers", case, "wrong modules",
                   hint=f"expected {' -> '.join(k.__name__ for k in block)} six times, then a "
                        f"Linear; got {' -> '.join(k.__name__ for k in kinds)}")
            continue
        hidden = [m for m in net if isinstance(m, nn.Linear)][:-1]
        spread = np.array([np.std(m.weight.data) * np.sqrt(m.weight.shape[1]) for m in hidden])
        g.compare("fan_in_network: weight std * sqrt(fan_in)", case, spread, np.full(6, 5 / 3),
                  threshold=0.05, hint="each hidden weight: N(0, 1) * (5/3) / sqrt(fan_in), "
                                       "fan_in = that layer's inputs (n_in for the first)")
        g.compare("fan_in_network: biases", case, [np.abs(m.bias.data).max() for m in hidden],
                  np.zeros(6), hint="hidden biases start at 0")
        stats = _reference_statistics(net, x, labels)
        saturation, ratio = stats[:, 1].max(), stats[0, 2] / stats[-1, 2]
        if saturation < 0.25 and 0.1 < ratio < 10:
            g.compare("fan_in_network: healthy", case, [saturation, ratio], [saturation, ratio])
        else:
            g.fail("fan_in_network: healthy", case,
                   f"saturation up to {saturation:.0%}, gradient ratio {ratio:.2g}",
                   hint="a healthy start has under 25 % saturated units in every layer and a "
                        "gradient within 10x from the last layer to the first")


LAYER_STATISTICS = Task(
    "layer_statistics: a deep network measured at initialisation, and one that is healthy "
    "(lesson 14)",
    [Part("layer_statistics", _statistics, "write layer_statistics"),
     Part("fan_in_network", _fan_in, "write fan_in_network")],
    about="your statistics against the lesson's on three seeded 4-layer networks; your "
          "fan-in network's weights, biases, saturation and gradients")

TASKS = {"value_engine": VALUE_ENGINE, "layer_statistics": LAYER_STATISTICS}
