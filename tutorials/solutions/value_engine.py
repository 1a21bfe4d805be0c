"""Worked solution of tutorials/exercises/value_engine.py (lesson 13). Try the exercise first."""
import math
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

    def __pow__(self, k):
        out = Value(self.data ** k, (self,), f"**{k}")

        def _backward():                      # d x^k / dx = k x^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():                      # d e^x / dx = e^x, the result itself
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():                      # 1 - tanh^2
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():                      # 1 where x > 0
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other if isinstance(other, Value) else Value(-other))

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self * other ** -1

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
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_inputs)]
        self.b = Value(0.0)
        self.linear = linear

    def __call__(self, x):
        total = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return total if self.linear else total.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, n_inputs, n_outputs, linear=False):
        self.neurons = [Neuron(n_inputs, linear) for _ in range(n_outputs)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, n_inputs, sizes):
        widths = [n_inputs] + list(sizes)
        self.layers = [Layer(widths[i], widths[i + 1], linear=i == len(sizes) - 1)
                       for i in range(len(sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


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
