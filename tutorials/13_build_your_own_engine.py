"""Lesson 13: build your own engine - a scalar autograd in sixty lines, then the same ideas in minigrad.

What you will learn
  * that an autograd engine needs only three ideas: every result remembers its inputs and its
    local derivatives, gradients flow from the output back in a topological order, and a
    variable used twice adds up what reaches it;
  * why the order matters: a backward that pushes gradients on as soon as they arrive counts a
    shared node twice, and a recursive topological sort dies on a long chain;
  * how you write the rest yourself (pow, exp, tanh and a small MLP, graded against minigrad);
  * where each idea lives in minigrad's own source, which does the same with whole arrays.

Time: about 45 minutes to read and run, plus about 30 for the exercise.
Assumes: lessons 1 (the chain rule, one local derivative at a time) and 2 (what a VJP is).
Ends with: exercise value_engine (exercises/value_engine.py), graded by `minigrad check`; then 2
  questions, worked answers in answers/13_build_your_own_engine.py.

Run it:  python tutorials/13_build_your_own_engine.py --out DIR
Figure:  scalar_vs_array.png (time per training step of the same MLP in scalars and in arrays).
"""
# %%
import gc
import inspect
import math
import time

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
from minigrad import autograd, ops

from _lesson import setup, section, check, save_plot

args = setup()

# %% [markdown]
# ## 1. A number that remembers how it was made
# A `Value` holds one float, `data`, and the gradient of the final output with respect to it,
# `grad` (0 until backward runs). A Value made by an operation also remembers its inputs
# (`parents`) and a small function, `_backward`, that knows the operation's local derivatives:
# given this Value's grad (the upstream gradient g of lesson 2) it ADDS g * d(self)/d(parent) to
# each parent's grad. Adding, not assigning, because a parent may feed several results.
# Here are addition and multiplication, with their local derivatives 1, 1 and b, a.


# %%
class Value:
    """A scalar that records the operations that produced it."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self._backward = lambda: None          # a leaf has nothing to pass on

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():                        # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():                        # d(a b)/da = b, d(a b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"


# %%
section("1. Value with + and *")
a, b = Value(2.0), Value(-3.0)
c = a * b + a
print(f"c = a*b + a = {c.data}; c remembers op {c.op!r} and parents {c.parents}")
check("a result remembers its inputs and the operation", c.op == "+" and c.parents[1] is a)

# %% [markdown]
# ## 2. The order of the walk
# The obvious backward: set c.grad = 1, call c's _backward, then do the same for each parent,
# recursively. Try it on d = e + e with e = a * b. The node e is reached twice (once per use),
# and each time it pushes its whole gradient on to a and b, so a and b receive it twice: twice
# the true gradient. (With more uses, or uses at different depths, the error takes other sizes.)
# The cure is to process a node only after every node that uses it has added its share: a
# topological order, reversed. And no recursion: a chain of a few thousand operations would
# exceed Python's recursion limit (micrograd's recursive sort has exactly this limit).


# %%
def naive_backward(node):
    """Push gradients on as soon as a node is visited, recursively. Wrong with shared nodes."""
    node._backward()
    for parent in node.parents:
        naive_backward(parent)


def topological_order(root):
    """Every node reachable from root, each after all of its parents (inputs first), found
    with an explicit stack instead of recursion."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))              # come back once its parents are in `order`
        stack.extend((p, False) for p in node.parents if id(p) not in seen)
    return order


def backward(root):
    """d root / d every node: gradient 1 at the root, then each node once, consumers first."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        node._backward()


# %%
section("2. The order of the walk")
a, b = Value(2.0), Value(-3.0)
e = a * b
d = e + e                                       # dd/da = 2b = -6, dd/db = 2a = 4
d.grad = 1.0
naive_backward(d)
print(f"naive recursion:   a.grad = {a.grad}, b.grad = {b.grad}   (true: -6, 4)")
check("pushing gradients on as soon as they arrive counts the shared node twice",
      (a.grad, b.grad) == (-12.0, 8.0))
a.grad = b.grad = e.grad = 0.0
backward(d)
print(f"topological order: a.grad = {a.grad}, b.grad = {b.grad}")
check("in reversed topological order each node passes on its full gradient once",
      (a.grad, b.grad) == (-6.0, 4.0))

start = x = Value(1.0)
for _ in range(20000):                          # far past Python's recursion limit of 1000
    x = x * 1.0001
backward(x)
print(f"a chain of 20,000 products: d x_end / d x_start = {start.grad:.6f} (1.0001^20000 = "
      f"{1.0001 ** 20000:.6f})")
check("the iterative sort handles a 20,000-step chain (no RecursionError)",
      abs(start.grad - 1.0001 ** 20000) < 1e-9)

# %% [markdown]
# ## 3. Lesson 1's neuron, in our engine and in minigrad
# With + and * and the walk we can already differentiate polynomials. For lesson 1's neuron
# L = tanh(w*x + b)^2 we need tanh; here it is as one more operation (its local derivative is
# 1 - tanh^2). Squaring is y * y, a node used twice, which section 2 taught the walk to handle.


# %%
def tanh(v):
    t = math.tanh(v.data)
    out = Value(t, (v,), "tanh")

    def _backward():                            # d tanh(v)/dv = 1 - tanh(v)^2
        v.grad += (1 - t * t) * out.grad
    out._backward = _backward
    return out


section("3. The neuron in both engines")
x, w, bias = Value(1.5), Value(0.8), Value(-0.4)
y = tanh(w * x + bias)
L = y * y
backward(L)
X, W, B = (mg.Tensor(v, requires_grad=True) for v in (1.5, 0.8, -0.4))
(mg.tanh(W * X + B) ** 2).backward()
for name, ours, theirs in (("x", x, X), ("w", w, W), ("b", bias, B)):
    print(f"  d L/d{name}: ours {ours.grad:+.12f}   minigrad {theirs.grad.item():+.12f}")
check("our sixty-line engine and minigrad agree on every gradient (1e-12)",
      all(abs(ours.grad - theirs.grad.item()) < 1e-12
          for ours, theirs in ((x, X), (w, W), (bias, B))))

# %% [markdown]
# ## 4. The same ideas in minigrad
# minigrad does exactly this, with whole arrays instead of single numbers:
# * the local derivatives live in one table, `minigrad/ops/` (a file per family): each entry is
#   a NumPy forward and one VJP per input, e.g. `tanh` in `minigrad/ops/elementwise.py`. Our
#   `_backward` closures are those entries, one per operation instead of one per result;
# * the walk is `backward()` in `minigrad/autograd.py`: every node is handled once, after all
#   its consumers, without recursion (a 100,000-operation chain is fine);
# * one thing scalars never need: broadcasting. A VJP hands back a gradient of the OUTPUT's
#   shape; the walk reduces it to the input's shape with `sum_to` (`minigrad/ops/shape.py`).

# %%
section("4. The same ideas in minigrad's source")
entry = next(line.strip() for line in inspect.getsource(ops.elementwise).splitlines()
             if line.startswith("tanh = primitive("))
print(f"minigrad/ops/elementwise.py: {entry} ...")
check("minigrad's derivative table has an entry for tanh", entry.startswith("tanh = primitive("))
check("and the walk (minigrad/autograd.py) reduces broadcast gradients with ops.sum_to "
      "(minigrad/ops/shape.py)",
      "ops.sum_to(" in inspect.getsource(autograd) and "sum_to" in inspect.getsource(ops.shape))
chain = mg.Tensor(1.0, requires_grad=True)
end = chain
for _ in range(100_000):
    end = end * 1.0
end.backward()
check("minigrad's walk handles a 100,000-operation chain", chain.grad.item() == 1.0)

# %% [markdown]
# ## 5. Scalars against arrays
# A scalar engine makes a Python object for every multiplication: a 64-32-10 MLP on a batch of
# 32 digits is 32 * (64*32 + 32*10) = 75,776 multiplications per forward pass alone. minigrad
# does the same arithmetic in a few NumPy calls. We time one training step of a smaller network
# in both engines: n inputs -> n tanh units -> 1 output, on a batch of 8 random rows, for n from
# 4 to 32 (the exercise below asks you to build such MLPs from your Values). Python's garbage
# collector is paused while we time, as Python's `timeit` does: every Value is a reference cycle
# (out -> its _backward closure -> out), and with tens of thousands of them the collector's
# repeated sweeps would dominate the time, several times over at n = 32, and hide the arithmetic.


# %%
def scalar_step(weights, inputs, targets, lr=0.1):
    """One SGD step of a 1-hidden-layer tanh network written with Values; returns the loss."""
    w1, w2 = weights
    loss = Value(0.0)
    for row, target in zip(inputs, targets):
        hidden = [tanh(sum((wi * xi for wi, xi in zip(unit, row)), Value(0.0))) for unit in w1]
        out = sum((wi * hi for wi, hi in zip(w2, hidden)), Value(0.0))
        loss = loss + (out + (-target)) * (out + (-target))
    for p in [p for unit in w1 for p in unit] + w2:
        p.grad = 0.0
    backward(loss)
    for p in [p for unit in w1 for p in unit] + w2:
        p.data -= lr * p.grad / len(inputs)
    return loss.data / len(inputs)


section("5. The same network as scalars and as arrays")
rng = np.random.default_rng(13)
sizes = [4, 8, 16] if args.fast else [4, 8, 16, 32]
inputs_all, targets_all = rng.normal(size=(8, max(sizes))), rng.normal(size=8)
times = {"scalar Values": [], "minigrad arrays": []}
for n in sizes:
    inputs = inputs_all[:, :n]
    w1 = [[Value(v) for v in row] for row in rng.normal(scale=n ** -0.5, size=(n, n))]
    w2 = [Value(v) for v in rng.normal(scale=n ** -0.5, size=n)]
    W1 = mg.Tensor(np.array([[v.data for v in row] for row in w1]), requires_grad=True)
    W2 = mg.Tensor(np.array([v.data for v in w2]), requires_grad=True)
    first = scalar_step((w1, w2), inputs, targets_all, lr=0.0)    # lr 0: the weights stay put
    for label, step in (("scalar Values", lambda: scalar_step((w1, w2), inputs, targets_all,
                                                              lr=0.0)),
                        ("minigrad arrays", lambda: ((mg.tanh(mg.Tensor(inputs) @ W1.T) @ W2
                                                      - targets_all) ** 2).mean().backward())):
        runs = []
        for _ in range(3):                     # the best of three: the least disturbed run
            gc.disable()                       # no garbage collection inside the timing
            start = time.perf_counter()
            step()
            runs.append(time.perf_counter() - start)
            gc.enable()
        times[label].append(min(runs))
    print(f"  width {n:2d}: scalar step {times['scalar Values'][-1] * 1e3:7.2f} ms, "
          f"array step {times['minigrad arrays'][-1] * 1e3:5.2f} ms")
scalar_step((w1, w2), inputs, targets_all, lr=0.1)           # one real step...
after = scalar_step((w1, w2), inputs, targets_all, lr=0.0)   # ...and the loss it left
print(f"  loss on the batch before one scalar SGD step {first:.4f}, after {after:.4f}")
check("one scalar SGD step lowers the loss on its batch", after < first)

fig, ax = plt.subplots(figsize=(6, 3.8))
for label, values in times.items():
    ax.loglog(sizes, np.array(values) * 1e3, "o-", label=label)
ax.set_xticks(sizes, [str(n) for n in sizes], minor=False)
ax.minorticks_off()
fastest = min(min(values) for values in times.values()) * 1e3
ax.set_ylim(bottom=10 ** np.floor(np.log10(fastest)))  # a labelled decade below the array line
ax.set(xlabel="hidden width n (n inputs, n hidden units, batch of 8)", ylabel="ms per step",
       title="The same arithmetic: a Python object per number vs NumPy arrays")
ax.legend()
save_plot(fig, "scalar_vs_array")

# %% [markdown]
# ## Summary
# * An engine is: results that remember inputs and local derivatives, a walk in reversed
#   topological order that calls each node once, and gradients that add up.
# * minigrad is the same engine on arrays: a derivative table of VJPs, one iterative walk, and
#   sum_to for broadcasting.

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Finish the engine** (about 30 min). Add pow, exp, tanh, relu, -, / to Value, then
#    Neuron, Layer and MLP on top of it; trained on XOR, your MLP's loss must fall.
#    File: tutorials/exercises/value_engine.py. Grade it:
#        minigrad check tutorials/exercises/value_engine.py --exercise value_engine
#    Worked solution: tutorials/solutions/value_engine.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Why must `_backward` ADD to a parent's grad instead of assigning it? Give the smallest
#    expression where assigning is wrong.
# 2. Our Value makes `a - b` impossible so far. Write it with the operations we have (no new
#    `_backward`), and say what its local derivatives are.
# Worked answers, each checked in code: tutorials/answers/13_build_your_own_engine.py (run it with python).
