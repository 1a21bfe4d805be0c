"""Exercise (lesson 13): finish a scalar autograd engine, then build a small MLP on it.

Lesson 13 gave you Value with + and *, the topological order and backward(). Add:
  1. x.tanh()                               local derivative  1 - tanh(x)**2
  2. x ** k for a plain number k           local derivative  k * x**(k-1)
  3. x.exp()                                local derivative  exp(x)
  4. x.relu()                               local derivative  1 where x > 0, else 0
  5. -x, x - y and x / y, written with the operations you already have (no new _backward)
  6. Neuron(n_inputs), Layer(n_inputs, n_outputs), MLP(n_inputs, [sizes...]): a neuron computes
     tanh(w . x + b) (the last layer of an MLP is linear: no tanh); each has .parameters(),
     the list of its Values, and is called like a function on a list of numbers or Values.

Each _backward must ADD to its parents' grad. Grade it with
    minigrad check tutorials/exercises/value_engine.py --exercise value_engine
which compares your gradients with minigrad's on lesson 1's neuron, on each operation whose
input is used twice (op(a) * op(a): an = instead of += shows there) and on random expressions,
runs a 5,000-step chain, and trains your MLP for a few steps. A worked solution is in
tutorials/solutions/value_engine.py: try first.
"""
import math          # math.exp, math.tanh: for your operations
import random


class Value:
    """A scalar that records the operations that produced it (lesson 13)."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        raise NotImplementedError("x.tanh(): math.tanh(x.data); local derivative 1 - tanh**2")

    def __pow__(self, k):
        raise NotImplementedError("x ** k: the result is x.data ** k; its _backward adds "
                                  "k * x.data ** (k - 1) * out.grad to x.grad")

    def exp(self):
        raise NotImplementedError("x.exp(): math.exp(x.data); its local derivative is the result")

    def relu(self):
        raise NotImplementedError("x.relu(): max(x.data, 0); local derivative 1 where x > 0")

    def __neg__(self):
        raise NotImplementedError("-x: write it with * (no new _backward)")

    def __sub__(self, other):
        raise NotImplementedError("x - y: write it with + and unary - (no new _backward)")

    def __truediv__(self, other):
        raise NotImplementedError("x / y: write it with * and ** -1 (no new _backward)")

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return Value(other) - self

    def __rtruediv__(self, other):
        return Value(other) / self

    def backward(self):
        """d self / d every Value it depends on, by the walk of lesson 13 (no recursion)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in seen)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"


class Neuron:
    def __init__(self, n_inputs, linear=False):
        raise NotImplementedError("Neuron: n_inputs weights and a bias, each a Value "
                                  "(e.g. random.uniform(-1, 1)); tanh unless linear")

    def __call__(self, x):
        raise NotImplementedError("Neuron(x): tanh(sum(w_i * x_i) + b), or without tanh if linear")

    def parameters(self):
        raise NotImplementedError("the weights and the bias, as a list of Values")


class Layer:
    def __init__(self, n_inputs, n_outputs, linear=False):
        raise NotImplementedError("Layer: n_outputs Neurons of n_inputs inputs each")

    def __call__(self, x):
        raise NotImplementedError("Layer(x): the list of each neuron's output")

    def parameters(self):
        raise NotImplementedError("every neuron's parameters, in one list")


class MLP:
    def __init__(self, n_inputs, sizes):
        raise NotImplementedError("MLP(3, [4, 4, 1]): Layers 3->4, 4->4, 4->1, the last linear")

    def __call__(self, x):
        raise NotImplementedError("MLP(x): each layer in turn; one Value if the last layer has "
                                  "one output, else the list")

    def parameters(self):
        raise NotImplementedError("every layer's parameters, in one list")


# ----------------------------------------------------------------------------
# The grader calls these; they use your Value and MLP (nothing to edit below).
# ----------------------------------------------------------------------------

def neuron(x, w, b):
    """Lesson 1's neuron L = tanh(w*x + b) ** 2: [L, dL/dx, dL/dw, dL/db]."""
    inputs = [Value(x), Value(w), Value(b)]
    loss = (inputs[1] * inputs[0] + inputs[2]).tanh() ** 2
    loss.backward()
    return [loss.data] + [v.grad for v in inputs]


def evaluate(program, values):
    """Run `program` on Values made from `values`: each step (op, i, j) appends a new Value
    computed from the i-th (and j-th) of those so far; op is one of + - * / pow2 exp tanh relu.
    Returns [the last Value's data] + the gradient of the last Value for each input."""
    inputs = [Value(v) for v in values]
    stack = list(inputs)
    for op, i, j in program:
        a, b = stack[i], stack[j]
        stack.append({"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                      "/": lambda: a / b, "pow2": lambda: a ** 2, "exp": lambda: a.exp(),
                      "tanh": lambda: a.tanh(), "relu": lambda: a.relu()}[op]())
    stack[-1].backward()
    return [stack[-1].data] + [v.grad for v in inputs]


def chain(n):
    """d x_n / d x_0 for x_{k+1} = x_k * 1.0001, n steps: 1.0001 ** n (and no RecursionError)."""
    start = x = Value(1.0)
    for _ in range(n):
        x = x * 1.0001
    x.backward()
    return start.grad


def train_mlp(steps, seed=0):
    """Train MLP(2, [4, 4, 1]) by SGD on four points (XOR); returns the number of parameters
    and the loss at each step."""
    random.seed(seed)
    net = MLP(2, [4, 4, 1])
    points, targets = [(0, 0), (0, 1), (1, 0), (1, 1)], [-1.0, 1.0, 1.0, -1.0]
    losses = []
    for _ in range(steps):
        loss = sum(((net(p) - t) ** 2 for p, t in zip(points, targets)), Value(0.0))
        for p in net.parameters():
            p.grad = 0.0
        loss.backward()
        for p in net.parameters():
            p.data -= 0.1 * p.grad
        losses.append(loss.data)
    return [len(net.parameters())] + losses
