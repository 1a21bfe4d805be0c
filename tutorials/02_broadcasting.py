"""Lesson 2: tensors, broadcasting and reductions, and why gradients sum over broadcast axes.

What you will learn
  * NumPy's broadcasting rule, which minigrad follows exactly, and the error when shapes clash;
  * reductions (sum, mean) over chosen axes, and the `keepdims` bug that broadcasting hides;
  * why the gradient of a broadcast input is the *sum* of the output gradient over the axes it
    was stretched along - shown with finite differences, not just stated;
  * that minigrad's derivative table never mentions broadcasting: the engine reduces every
    gradient to its input's shape in exactly one place;
  * the duality behind it all: broadcasting forward means summing backward, and summing forward
    means broadcasting backward. BatchNorm (lessons 4-5) is built from exactly these pieces.

Time: about 30 minutes to read and run, plus about 15 for the exercise.
Assumes: lesson 1 (local derivatives, the chain rule, finite differences).
Ends with: exercise broadcasting (exercises/broadcasting.py), graded by `minigrad check`; then 2
  questions, worked answers in answers/02_broadcasting.py.

Run it:  python tutorials/02_broadcasting.py --out DIR
Figures: broadcast_gradient.png (a bias broadcast over a batch and its summed gradient),
broadcast_graph.svg (the same computation with the broadcast written explicitly),
broadcast_backward_graph.svg (the operations backward ran for the bias: a sum_to at the end).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
from minigrad import ops
from minigrad.draw import draw_graph

from _lesson import setup, section, check, check_pytorch, save_graph, save_plot, numerical_gradient

try:                        # PyTorch is optional: section 1 checks its dtype claim against it
    import torch
except ImportError:
    torch = None

args = setup()
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Tensors
# A minigrad Tensor wraps a NumPy array: `.data` is that array, with its shape and dtype.
# Dtypes are NumPy's: Python ints give int64, floats float64 (PyTorch agrees on the ints, but
# makes Python floats float32, its default dtype). Only floats can carry gradients, so write
# `mg.arange(6.0)` or `mg.tensor([1.0, 2.0])` for anything you will differentiate; integers are
# for counts and class labels.

# %%
section("1. Tensors")
A = mg.arange(6.0).reshape(2, 3)
print(f"A = mg.arange(6.0).reshape(2, 3)\n{A.data}\nshape {A.shape}, ndim {A.ndim}, dtype {A.dtype}")
check("a tensor has the shape and dtype of its NumPy array", A.shape == (2, 3) and A.dtype == np.float64)
labels = mg.tensor([0, 2, 1])
print(f"mg.tensor([0, 2, 1]) has dtype {labels.dtype}; mg.tensor([0.0, 2.0, 1.0]) has dtype "
      f"{mg.tensor([0.0, 2.0, 1.0]).dtype}")
check("a list of Python ints is int64, as in NumPy and PyTorch", labels.dtype == np.int64)
check_pytorch("PyTorch makes a list of Python ints int64 too, but Python floats float32 (its "
              "default dtype), not float64", torch,
              lambda torch: torch.tensor([0, 2, 1]).dtype == torch.int64
              and torch.tensor([0.0, 2.0, 1.0]).dtype == torch.get_default_dtype() == torch.float32)

# %% [markdown]
# ## 2. Broadcasting
# When two shapes differ, NumPy aligns them from the right; each pair of dimensions must be
# equal, or one of them 1 (or missing), and the 1s are stretched. No data is copied: the
# stretched array just reads the same number again.
#   (2, 3) + (3,)      ->  (2, 3)   the row is added to every row
#   (2, 1) + (3,)      ->  (2, 3)   a column plus a row: an "outer sum" ((3,) acts as (1, 3))
#   (4, 3) + (4,)      ->  error: 3 and 4 are aligned, not 4 and 4

# %%
section("2. Broadcasting")
row = mg.Tensor([10.0, 20.0, 30.0])
col = mg.Tensor([[100.0], [200.0]])
print(f"A + row   {A.shape} + {row.shape} -> {(A + row).shape}\n{(A + row).data}")
print(f"col + row {col.shape} + {row.shape} -> {(col + row).shape}\n{(col + row).data}")
check("(2,3) + (3,) and (2,1) + (3,) both broadcast to (2,3)",
      (A + row).shape == (2, 3) and (col + row).shape == (2, 3))
try:
    mg.ones(4, 3) + mg.ones(4)
    clashed = None
except ValueError as error:
    clashed = str(error)
print(f"ones(4, 3) + ones(4) raises: {clashed}")
check("clashing shapes raise a ValueError that names the operation and both shapes",
      clashed is not None and "add" in clashed and "(4, 3)" in clashed and "(4,)" in clashed)

# %% [markdown]
# ## 3. Reductions and the keepdims bug
# `x.sum(axis=0)` adds down the rows (removing axis 0); `x.mean(axis=1)` averages along each row.
# To subtract each row's mean from that row, the mean must keep its axis: shape (N, 1)
# broadcasts along the row. Without keepdims the mean has shape (N,), which broadcasting
# aligns with the *columns*. On a square matrix that runs without any error and is wrong.

# %%
section("3. Reductions, and the keepdims bug")
X = mg.Tensor(rng.normal(size=(3, 3)).round(2))
print(f"X =\n{X.data}")
print(f"X.sum(axis=0) = {X.sum(axis=0).data}   (shape {X.sum(axis=0).shape})")
print(f"X.mean(axis=1, keepdims=True) shape {X.mean(axis=1, keepdims=True).shape}")
right = X - X.mean(axis=1, keepdims=True)
wrong = X - X.mean(axis=1)                       # (3, 3) - (3,): runs, but subtracts by column
print(f"row means after X - X.mean(axis=1, keepdims=True): {right.mean(axis=1).data.round(12) + 0.0}")
print(f"row means after X - X.mean(axis=1):                {wrong.mean(axis=1).data.round(12) + 0.0}")
check("with keepdims every row is centred", np.allclose(right.mean(axis=1).data, 0))
check("without keepdims the square case runs silently and does not centre the rows",
      not np.allclose(wrong.mean(axis=1).data, 0))

# %% [markdown]
# ## 4. Why the gradient of a broadcast input is a sum
# A bias b of shape (3,) is added to a batch x of shape (4, 3): y = x + b, then some loss
# L = sum(c * y) with fixed weights c, so that dL/dy = c. Each b[j] was read four times, once
# per row. Nudge b[j] by h and all four y[i, j] move by h, so L moves by h * sum_i c[i, j]:
#   dL/db[j] = sum over i of dL/dy[i, j]         (sum over the axis b was broadcast along)
# The output gradient has shape (4, 3) but b has 3 numbers; summing is not a convention
# to make the shapes fit, it is what the finite differences say.

# %%
section("4. The gradient of a broadcast input is a sum (finite differences say so)")
x_np = rng.normal(size=(4, 3))
c = rng.normal(size=(4, 3))                      # dL/dy
b_np = np.array([0.5, -1.0, 2.0])


def loss_of_b(b_value):
    return float(np.sum(c * (x_np + b_value)))


numeric_db = numerical_gradient(loss_of_b, b_np)
print(f"dL/dy = c, shape {c.shape}:\n{c.round(3)}")
print(f"column sums of dL/dy:          {c.sum(axis=0).round(6)}")
print(f"finite differences of L in b:  {numeric_db.round(6)}")
check("the finite-difference gradient of the bias is the column sum of dL/dy",
      np.allclose(numeric_db, c.sum(axis=0), atol=1e-8))

x = mg.Tensor(x_np, requires_grad=True, name="x")
b = mg.Tensor(b_np, requires_grad=True, name="b")
y = x + b
L = (y * c).sum()
L.backward()
print(f"b.grad from autograd:          {b.grad.data.round(6)}   shape {b.grad.shape}")
check("autograd gives b a gradient of b's shape (3,), equal to the column sums",
      b.grad.shape == (3,) and np.allclose(b.grad.data, c.sum(axis=0)))
check("x, which was not broadcast, gets dL/dy unchanged", np.allclose(x.grad.data, c))

print("\nA non-scalar y has no single gradient; y.backward(c) means 'c is dL/dy'. It computes")
print("exactly what (y * c).sum().backward() computes: the backward of sum(upstream * y).")
x_up = mg.Tensor(x_np, requires_grad=True)
b_up = mg.Tensor(b_np, requires_grad=True)
(x_up + b_up).backward(c)                         # the upstream gradient passed directly
check("y.backward(c) gives the same gradients as (y * c).sum().backward()",
      np.allclose(x_up.grad.data, x.grad.data) and np.allclose(b_up.grad.data, b.grad.data))

print("\nA per-row scale s of shape (4, 1) multiplying x: y = s * x is stretched along axis 1,")
print("so dL/ds[i] = sum over j of dL/dy[i, j] * x[i, j], kept with shape (4, 1).")
s_np = rng.normal(size=(4, 1))
s = mg.Tensor(s_np, requires_grad=True)
(s * mg.Tensor(x_np) * c).sum().backward()
numeric_ds = numerical_gradient(lambda s_value: float(np.sum(c * s_value * x_np)), s_np)
print(f"s.grad {s.grad.shape}: {s.grad.data.ravel().round(6)}")
print(f"finite differences: {numeric_ds.ravel().round(6)}")
check("a (4,1) scale gets a (4,1) gradient: the row sums of dL/dy * x, as finite differences say",
      s.grad.shape == (4, 1) and np.allclose(s.grad.data, numeric_ds, atol=1e-8))

fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), layout="constrained")
b_stretched = np.broadcast_to(b_np, (4, 3))
panels = [(b_stretched, "forward: b (3,) read by every row\n(broadcast to (4, 3), no copy)"),
          (c, "backward: dL/dy = c, shape (4, 3)"),
          (np.vstack([c, c.sum(axis=0)]), "dL/db = column sums of dL/dy\n(last row, shape (3,))")]
for ax, (values, title) in zip(axes, panels):
    ax.imshow(values, cmap="coolwarm", vmin=-3, vmax=3, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        bold = values.shape[0] == 5 and i == 4
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=9,
                fontweight="bold" if bold else "normal")
    if values.shape[0] == 5:
        ax.axhline(3.5, color="black", lw=2)
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(3))
    ax.set_xlabel("column j")
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels([f"row {i}" for i in range(4)] + (["sum"] if values.shape[0] == 5 else []))
fig.suptitle("A bias broadcast over a batch of 4: forward it is repeated, backward it is summed")
save_plot(fig, "broadcast_gradient")

# %% [markdown]
# ## 5. The engine does it once
# A word first. Each derivative rule takes g = dL/d(output), the "upstream" gradient, and returns
# dL/d(input) for each input: g multiplied by the op's Jacobian d(output)/d(input), without ever
# building that Jacobian. This product is called a vector-Jacobian product, a VJP; the
# derivative table is a table of VJPs, and `y.backward(g)` starts the walk with g as the
# upstream gradient of y (the backward of sum(g * y), as section 4 checked). In every lesson,
# g stands for an upstream gradient like this one, the gradient arriving at the quantity we
# differentiate through (in lessons 5-9: g = weight * dy, the gradient arriving at x_hat).
# Look at the derivative table (minigrad/ops/elementwise.py): the rule for `add` returns the incoming
# gradient g unchanged for both inputs, and `mul` returns g * b and g * a. These rules are
# written as if both inputs had the output's shape. After calling a rule, the backward walk
# (`_fit` in minigrad/autograd.py) reduces each gradient to its input's shape with one
# primitive, `sum_to`: sum over the leading axes that were added and the axes that were 1.
# So broadcasting costs each derivative rule nothing, and no rule can get it wrong.

# %%
section("5. The derivative table ignores broadcasting; the engine reduces once")
g = mg.Tensor(c)
raw = ops.add.vjps[1](g, None, x, b)             # add's rule for its second input: just g
print(f"add's rule hands b a gradient of shape {raw.shape} (b has shape {b.shape})")
reduced = ops.sum_to(raw, b.shape)
print(f"sum_to(that, {b.shape}) = {reduced.data.round(6)}")
check("the derivative rule alone gives the output's shape; sum_to makes it b's gradient",
      raw.shape == (4, 3) and np.allclose(reduced.data, b.grad.data))

seen = {}


def record_shape(name):
    def hook(grad):
        seen[name] = grad.shape       # returns None: look at the gradient, do not replace it
    return hook


x2 = mg.Tensor(x_np, requires_grad=True)
b2 = mg.Tensor(b_np, requires_grad=True)
y2 = x2 + b2
y2.register_hook(record_shape("y"))
b2.register_hook(record_shape("b"))
(y2 * c).sum().backward()
print(f"a hook on y sees a gradient of shape {seen['y']}; a hook on b sees shape {seen['b']}")
check("the gradient arriving at b has already been reduced to b's shape",
      seen == {"y": (4, 3), "b": (3,)})

print("\nWriting the broadcast explicitly gives the same gradient, through a BroadcastTo node")
print("whose own rule is sum_to (and sum_to's rule is broadcast_to: each is the other's adjoint):")
x3 = mg.Tensor(x_np, requires_grad=True, name="x")
b3 = mg.Tensor(b_np, requires_grad=True, name="b")
b_rows = mg.broadcast_to(b3, (4, 3))
L3 = ((x3 + b_rows) * mg.Tensor(c, name="c")).sum()
L3.backward(retain_graph=True)                   # keep the saved values, to draw them
check("explicit broadcast_to gives the same gradient as implicit broadcasting",
      np.allclose(b3.grad.data, b.grad.data))
graph = draw_graph(L3, names={"b broadcast to (4, 3)": b_rows, "L": L3},
                   title="b broadcast explicitly with broadcast_to (whose backward rule is sum_to)")
save_graph(graph, "broadcast_graph")

# %% [markdown]
# To SEE the sum in the backward pass, ask backward to record its own operations with
# `create_graph=True` (lesson 12 is about what that is for) and draw the history of b.grad.
# The loss is L = sum(y * y) this time, so that dL/db depends on x and b and has a history
# (for L = sum(c * y) it would be the constant column sums of c). The drawing reads top down:
# the forward add (faded: backward reuses its result y); the gradient of the sum, an array of
# ones (grey), times y once for each of the two uses of y in y * y, added: dL/dy = 2y (lesson 1,
# section 6); and at the bottom the `sum_to` that the engine inserted to bring that (4, 3)
# gradient down to b's shape (3,).

# %%
x5 = mg.Tensor(x_np, requires_grad=True, name="x")
b5 = mg.Tensor(b_np, requires_grad=True, name="b")
y5 = x5 + b5                                     # implicit broadcasting, as in section 4
L5 = (y5 * y5).sum()
L5.backward(create_graph=True)
last_step = b5.grad.grad_fn.name
print(f"b.grad = {b5.grad.data.round(6)}; the last operation that made it: {last_step}")
check("the backward pass ends b's gradient with a sum over the broadcast axis (SumToBackward)",
      last_step == "SumToBackward" and np.allclose(b5.grad.data, (2 * (x_np + b_np)).sum(axis=0)))
graph = draw_graph(b5.grad, backward_of=L5, names={"y": y5, "dL/db": b5.grad}, legend=True,
                   title="what backward computed for dL/db, L = sum((x + b)^2): sum_to at the end")
save_graph(graph, "broadcast_backward_graph")

# %% [markdown]
# ## 6. The other direction: the gradient of a reduction is a broadcast
# If m = x.mean(axis=0) (one mean per column, as BatchNorm computes), each x[i, j] enters m[j]
# with weight 1/N. So the gradient of m flows back to x by broadcasting it over the rows and
# dividing by N. Broadcast forward <-> sum backward; sum forward <-> broadcast backward.

# %%
section("6. The gradient of a mean is a broadcast, divided by N")
w = rng.normal(size=3)                            # L = sum(w * mean(x, axis=0)), so dL/dm = w
x4 = mg.Tensor(x_np, requires_grad=True)
(x4.mean(axis=0) * w).sum().backward()
numeric_dx = numerical_gradient(lambda xv: float(np.sum(w * xv.mean(axis=0))), x_np)
print(f"dL/dm = w = {w.round(4)}\nx.grad =\n{x4.grad.data.round(4)}")
check("x.grad is dL/dm broadcast to every row, divided by N = 4",
      np.allclose(x4.grad.data, np.broadcast_to(w / 4, (4, 3))))
check("finite differences agree", np.allclose(x4.grad.data, numeric_dx, atol=1e-8))
print("\nNext: lesson 3 trains a network, where every bias is broadcast over the batch exactly so.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Two broadcasting-gradient puzzles** (about 15 min). Two broadcasting puzzles: the
#    gradients of a + b with a (3, 1), b (4,), and of x * w with x (2, 3, 4), w (3, 1), each
#    summed to its input's shape.
#    File: tutorials/exercises/broadcasting.py. Grade it:
#        minigrad check tutorials/exercises/broadcasting.py --exercise broadcasting
#    Worked solution: tutorials/solutions/broadcasting.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. If the bias has shape (1, 3) instead of (3,), what shape and values does b.grad have?
# 2. For y = x.sum(axis=1) with x of shape (4, 3), what is dL/dx in terms of dL/dy?
# Worked answers, each checked in code: tutorials/answers/02_broadcasting.py (run it with python).
