"""Lesson 1: the chain rule on scalars, one local derivative at a time.

What you will learn
  * a formula is a chain of small operations, and minigrad records that chain as a graph;
  * each operation only knows its own *local* derivative (d output / d input);
  * the chain rule multiplies the local derivatives along the path from the loss back to a
    variable, and reverse mode does this for every variable in one backward pass;
  * a variable used twice gets the *sum* of the gradients along both paths;
  * how to check any gradient with finite differences, and why the step h cannot be tiny.

Time: about 30 minutes to read and run, plus about 15 for the exercise.
Assumes: Python and NumPy, and the derivative of a function of one variable; no earlier lesson.
Ends with: exercise local_derivative (exercises/local_derivative.py), graded by `minigrad
  check`; then 2 questions, worked answers in answers/01_chain_rule.py.

Run it:  python tutorials/01_chain_rule.py --out DIR
Figures: graph_forward.svg (the recorded graph with values), graph_gradients.svg (the same graph
after backward, with each .grad), backward_walk.html (the walk of section 4, one node at a time:
open it in a browser), finite_differences.png (error of the finite difference vs h).
"""
# %%
import math

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
from minigrad.draw import draw_graph

from _lesson import setup, section, check, save_graph, save_player, save_plot, numerical_gradient

args = setup()

# %% [markdown]
# ## 1. A formula as a chain of small steps
# A single neuron with a squared output:  L = tanh(w*x + b)^2.  Written out, one operation
# per line, every intermediate gets a name. This is exactly what minigrad records: each
# operation on tensors that require gradients leaves a node pointing at its inputs.
# In the drawing (graph_forward.svg) an ellipse is an operation, with the shape of its result
# after the arrow ("→ ()" is a scalar, shape ()); a box is a tensor, with its name, shape, dtype
# and value. Blue boxes are the inputs we asked gradients for, red is the result.

# %%
section("1. A formula as a chain of small steps")
x = mg.Tensor(1.5, requires_grad=True, name="x")
w = mg.Tensor(0.8, requires_grad=True, name="w")
b = mg.Tensor(-0.4, requires_grad=True, name="b")
u = w * x              # mul
v = u + b              # add
y = mg.tanh(v)         # tanh
L = y * y              # mul (the square, written as a product to keep one op per step)
for name, t in [("x", x), ("w", w), ("b", b), ("u = w*x", u), ("v = u + b", v),
                ("y = tanh(v)", y), ("L = y*y", L)]:
    recorded = f"recorded by {t.grad_fn.name}" if t.grad_fn is not None else "a leaf (an input)"
    print(f"  {name:12s} = {t.item():+.6f}   {recorded}")
check("every intermediate remembers the operation that made it (grad_fn); inputs do not",
      all(t.grad_fn is not None for t in (u, v, y, L)) and all(t.is_leaf for t in (x, w, b)))
graph = draw_graph(L, names={"u": u, "v": v, "y": y, "L": L}, show_values=True,
                   title="L = tanh(w*x + b)^2: the graph minigrad recorded")
save_graph(graph, "graph_forward")

# %% [markdown]
# ## 2. Local derivatives
# Each operation knows the derivative of its output with respect to each of its inputs, at
# the values it saw. Nothing else: `tanh` does not know there is a square after it.
#   u = w*x      du/dw = x,  du/dx = w
#   v = u + b    dv/du = 1,  dv/db = 1
#   y = tanh(v)  dy/dv = 1 - tanh(v)^2 = 1 - y^2
#   L = y*y      dL/dy = 2y

# %%
section("2. Local derivatives (each operation alone)")
local = {
    "du/dw = x": x.item(), "du/dx = w": w.item(),
    "dv/du = 1": 1.0, "dv/db = 1": 1.0,
    "dy/dv = 1 - y^2": 1 - y.item() ** 2,
    "dL/dy = 2y": 2 * y.item(),
}
for name, value in local.items():
    print(f"  {name:18s} = {value:+.6f}")

# %% [markdown]
# ## 3. The chain rule, by hand, in reverse
# The derivative of L with respect to w is the product of the local derivatives on the path
# L <- y <- v <- u <- w. Reverse mode starts at L with dL/dL = 1 and walks backwards,
# multiplying by one local derivative per step. The running product at a node is that
# node's gradient, and it is shared: dL/dv is computed once and reused for b, w and x.

# %%
section("3. The chain rule by hand, walking backwards from L")
dL_dL = 1.0
dL_dy = dL_dL * local["dL/dy = 2y"]
dL_dv = dL_dy * local["dy/dv = 1 - y^2"]
dL_du = dL_dv * local["dv/du = 1"]
dL_db = dL_dv * local["dv/db = 1"]
dL_dw = dL_du * local["du/dw = x"]
dL_dx = dL_du * local["du/dx = w"]
for name, value in [("dL/dL", dL_dL), ("dL/dy = dL/dL * 2y", dL_dy),
                    ("dL/dv = dL/dy * (1 - y^2)", dL_dv), ("dL/du = dL/dv * 1", dL_du),
                    ("dL/db = dL/dv * 1", dL_db), ("dL/dw = dL/du * x", dL_dw),
                    ("dL/dx = dL/du * w", dL_dx)]:
    print(f"  {name:28s} = {value:+.6f}")

# %% [markdown]
# ## 4. The engine does the same walk
# `L.backward()` visits the nodes from L back to the leaves, calls each node's local
# derivative rule (the derivative table in minigrad/ops/), and stores the result in `.grad`
# of each leaf. `retain_grad()` asks it to keep the gradient of intermediates too; on L itself
# it shows dL/dL = 1, the gradient the walk starts from.
# In the drawing, the two arrows from y into the last mul are y*y using y twice: section 6
# shows what that does to the gradient.

# %%
section("4. L.backward() does the same walk")
for t in (u, v, y, L):
    t.retain_grad()
# backward_walk.html replays the walk below one node at a time: what each node receives and sends.
save_player(L, "backward_walk", names={"u": u, "v": v, "y": y, "L": L}, show_values=True,
            title="L = tanh(w*x + b)^2: L.backward(), one node at a time")
L.backward(retain_graph=True)   # keep the values saved for backward, to draw them below
rows = [("L", L, dL_dL), ("y", y, dL_dy), ("v", v, dL_dv), ("u", u, dL_du),
        ("b", b, dL_db), ("w", w, dL_dw), ("x", x, dL_dx)]
for name, t, by_hand in rows:
    print(f"  {name}.grad = {t.grad.item():+.6f}   by hand: {by_hand:+.6f}")
check("autograd's gradients equal the hand-multiplied chain rule (to 1e-12)",
      all(abs(t.grad.item() - by_hand) < 1e-12 for _, t, by_hand in rows))
graph = draw_graph(L, names={"u": u, "v": v, "y": y, "L": L}, show_values=True, show_grad=True,
                   title="after L.backward(): each tensor with its .grad")
save_graph(graph, "graph_gradients")

# %% [markdown]
# ## 5. Checking with finite differences
# The definition of the derivative gives an independent check that needs no calculus:
#   dL/dw  ~  (L(w + h) - L(w - h)) / (2h)
# The central difference has error of order h^2 from the Taylor series ("truncation"), but
# each evaluation of L is only accurate to about 1e-16 (float64), and dividing by 2h magnifies
# that "rounding" error to about 1e-16 / h. So the error is smallest for a middle h, near 1e-5.

# %%
section("5. Finite differences: an independent check")


def loss_of(w_value, x_value=1.5, b_value=-0.4):
    """The same formula in plain floats."""
    return math.tanh(w_value * x_value + b_value) ** 2


steps = np.logspace(-1, -13, 25)
errors = np.array([abs((loss_of(0.8 + h) - loss_of(0.8 - h)) / (2 * h) - w.grad.item())
                   for h in steps])
for h, err in list(zip(steps, errors))[::4]:
    print(f"  h = {h:8.1e}   |finite difference - w.grad| = {err:.2e}")
best = steps[np.argmin(errors)]
print(f"smallest error {errors.min():.1e} at h = {best:.0e}")
check("the finite difference agrees with autograd to better than 1e-9 at a good step size",
      errors.min() < 1e-9)
check("too small a step is worse: at h = 1e-13 rounding error dominates",
      errors[-1] > 100 * errors.min())
numeric = numerical_gradient(lambda p: math.tanh(p[1] * p[0] + p[2]) ** 2, [1.5, 0.8, -0.4])
print(f"finite differences for (x, w, b) with h = 1e-6: {np.round(numeric, 8)}")
check("finite differences confirm all three gradients (x, w, b) to 1e-8",
      np.allclose(numeric, [x.grad.item(), w.grad.item(), b.grad.item()], atol=1e-8))

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(steps, errors, "o-", label="measured error")
ax.loglog(steps, steps ** 2 * 0.5, ":", color="gray", label="~ h² (truncation)")
ax.loglog(steps, 1e-16 / steps, "--", color="gray", label="~ 1e-16 / h (rounding)")
ax.set(xlabel="step h", ylabel="|central difference − autograd|",
       title="Finite differences for dL/dw: neither too big nor too small", ylim=(1e-13, 1))
ax.invert_xaxis()
ax.legend()
save_plot(fig, "finite_differences")

# %% [markdown]
# ## 6. A variable used twice: gradients add
# In f = x*x + x, the variable x feeds three places. A small change in x moves f through
# every path, so df/dx is the *sum* over paths: x + x (from x*x) + 1 (from + x) = 2x + 1.
# The engine sums what arrives from every consumer before passing the gradient on.

# %%
section("6. A variable used twice: the gradients from each path add")
x2 = mg.Tensor(3.0, requires_grad=True, name="x")
f = x2 * x2 + x2
f.backward()
print(f"f = x*x + x at x = 3: df/dx = {x2.grad.item()} (2x + 1 = {2 * 3 + 1})")
check("the gradient of a variable used in several places is the sum over the paths",
      x2.grad.item() == 7.0)

# %% [markdown]
# ## 7. .grad accumulates across backward calls
# Because gradients from several paths are *added* into .grad, calling backward twice
# adds twice. Training loops therefore clear the gradients (`optimizer.zero_grad()`,
# or `t.grad = None`) before each backward. (micrograd's readers meet this bug often.)

# %%
section("7. .grad accumulates: clear it before the next backward")
(x2 * x2 + x2).backward()
print(f"after a second backward without clearing: x.grad = {x2.grad.item()} (7 + 7)")
check("a second backward adds to .grad instead of replacing it", x2.grad.item() == 14.0)
x2.grad = None
(x2 * x2 + x2).backward()
check("after x.grad = None the next backward gives the plain gradient again",
      x2.grad.item() == 7.0)
print("\nNext: lesson 2 does the same with whole arrays, where shapes and broadcasting enter.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Softplus's local derivative and its finite-difference check** (about 15 min). Give
#    softplus(x) = log(1 + e^x), a new operation, its local derivative, then check it with
#    central differences: write softplus_local_derivative, central_difference and
#    gradient_check.
#    File: tutorials/exercises/local_derivative.py. Grade it:
#        minigrad check tutorials/exercises/local_derivative.py --exercise local_derivative
#    Worked solution: tutorials/solutions/local_derivative.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Replace tanh by sigmoid: L = sigmoid(w*x + b)^2. Which local derivative of the chain
#    changes, and what is dL/dw at x = 1.5, w = 0.8, b = -0.4?
# 2. The forward difference (L(w + h) - L(w)) / h has a truncation error of order h, not h^2.
#    Which step h gives it the smallest total error, and about how small is that error?
# Worked answers, each checked in code: tutorials/answers/01_chain_rule.py (run it with python).
