"""Lesson 12: higher-order gradients - the gradient of a gradient, through a normalization layer.

What you will learn
  * `create_graph=True` makes backward record the graph of its own computation, so the
    gradient is a tensor with a history that can be differentiated again;
  * second and third derivatives of tanh, by differentiating three times, against the formulas;
  * a real second-order quantity - the derivative of an input-gradient penalty ||dL/dx||^2
    (input-gradient regularisers; WGAN-GP's penalty is a relative of it, see section 4) -
    through LayerNorm and through BatchNorm, with the engine's
    composed backward and with the layers' hand-written ("manual") backward, checked against
    finite differences of an independent NumPy formula (and PyTorch when it is installed);
  * why this works at all: minigrad writes every backward formula, including the hand-derived
    ones of layers/, with minigrad operations, so backward is itself differentiable;
  * Hessian-vector products, the workhorse of second-order methods, in two lines.

Time: about 40 minutes to read and run, plus about 20 for the exercise.
Assumes: lessons 2 (VJPs), 5 (BatchNorm's backward) and 6 (LayerNorm).
Ends with: exercise hvp (exercises/hvp.py), graded by `minigrad check`; then 2 questions, worked
  answers in answers/12_higher_order.py.

Run it:  python tutorials/12_higher_order.py --out DIR
Figures: derivatives.png (tanh and three derivatives), backward_graph_cube.svg (the graph that
backward records for x^3), backward_graph_layernorm.svg (LayerNorm's hand-written backward,
recorded so that it can be differentiated again).
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers
from minigrad.draw import draw_graph

from _lesson import setup, section, check, save_graph, save_plot, numerical_gradient

args = setup()
rng = np.random.default_rng(0)
try:
    import torch                                  # optional: the lessons never need it
    torch.set_default_dtype(torch.float64)
except ImportError:
    torch = None

# %% [markdown]
# ## 1. Differentiating twice, on a scalar
# `mg.grad(f, x)` returns df/dx. With `create_graph=True` the operations that compute df/dx
# are themselves recorded, so df/dx has a grad_fn and can be differentiated again. For
# f = x^3: df/dx = 3x^2 and d2f/dx2 = 6x.
# The drawing (backward_graph_cube.svg) is that recorded history of df/dx. f was computed as
# (x*x)*x. Backward through the last mul sends g*x to its first input x*x, and g*(x*x) to x,
# reusing the forward result x*x (faded); backward through the first mul sends (g*x)*x to each of
# its two x's. The adds collect the three paths: x^2 + x^2 + x^2 = 3x^2 (g = dL/df = 1 is a
# constant and not drawn).

# %%
section("1. Differentiating twice: f = x^3")
x = mg.Tensor(1.5, requires_grad=True, name="x")
f = x * x * x
(df,) = mg.grad(f, x, create_graph=True)
(d2f,) = mg.grad(df, x)
print(f"x = 1.5: f = {f.item()}, df/dx = {df.item()} (3x^2 = {3 * 1.5**2}), "
      f"d2f/dx2 = {d2f.item()} (6x = {6 * 1.5})")
print(f"df/dx has grad_fn {df.grad_fn.name}: it is the output of a recorded graph")
check("the second derivative of x^3 at 1.5 is 6x = 9", abs(d2f.item() - 9.0) < 1e-12)
graph = draw_graph(df, backward_of=f, names={"df/dx": df}, legend=True,
                   title="the graph backward recorded for f = x*x*x (faded: a forward result it reuses)")
save_graph(graph, "backward_graph_cube")

# %% [markdown]
# ## 2. Three derivatives of tanh
# On a vector of points, d/dx sum(tanh(x)) is tanh'(x) elementwise (each output depends on
# its own input only), so repeating grad with create_graph gives tanh', tanh'', tanh'''.
# With t = tanh(x):  tanh' = 1 - t^2,  tanh'' = -2t(1 - t^2),  tanh''' = -2(1 - t^2)(1 - 3t^2).

# %%
section("2. Three derivatives of tanh by repeated differentiation")
xs = mg.Tensor(np.linspace(-3, 3, 121), requires_grad=True)
curves = [mg.tanh(xs)]
for order in range(3):
    (d,) = mg.grad(curves[-1].sum(), xs, create_graph=True)
    curves.append(d)
t = np.tanh(xs.data)
formulas = [t, 1 - t**2, -2 * t * (1 - t**2), -2 * (1 - t**2) * (1 - 3 * t**2)]
for order, (curve, formula) in enumerate(zip(curves, formulas)):
    print(f"  derivative {order}: max |autograd - formula| = {np.abs(curve.data - formula).max():.1e}")
check("the first three derivatives of tanh by autograd match their formulas to 1e-12",
      all(np.abs(c.data - fm).max() < 1e-12 for c, fm in zip(curves, formulas)))

fig, ax = plt.subplots(figsize=(7, 4))
for order, (curve, style) in enumerate(zip(curves, ["-", "--", "-.", ":"])):
    ax.plot(xs.data, curve.data, style, lw=2, label=["tanh", "tanh'", "tanh''", "tanh'''"][order])
ax.axhline(0, color="gray", lw=0.5)
ax.set(xlabel="x", ylabel="value", title="tanh and three derivatives, each the gradient of the previous one")
ax.legend()
save_plot(fig, "derivatives")

# %% [markdown]
# ## 3. The gradient penalty through LayerNorm
# Take a batch x of shape (4, 5), y = LayerNorm(5)(x) with its weight and bias, a loss
# L = sum(c * y) with fixed random c, and the penalty  P(x) = ||dL/dx||^2.
# dP/dx needs the derivative of LayerNorm's backward formula: a second derivative.
# (Why the random c? sum(y) alone has dL/dx = 0 when the weight is 1: LayerNorm's outputs
# along a row always sum to sum(bias), whatever x is.)
# The check is independent of minigrad: the first derivative of LayerNorm in closed form,
#   dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),   g = dL/dy * weight,
# written in NumPy, then finite differences of ||dx||^2.

# %%
section("3. d/dx ||dL/dx||^2 through LayerNorm, both backward modes")
N, D = 4, 5
x_np = rng.normal(size=(N, D))
c = rng.normal(size=(N, D))
weight_np, bias_np = rng.normal(size=D), rng.normal(size=D)
EPS = 1e-5


def input_gradient_numpy(x_value, axis):
    """dL/dx of L = sum(c * (weight * x_hat + bias)), normalising over `axis`: closed form."""
    mean = x_value.mean(axis=axis, keepdims=True)
    inv_std = 1 / np.sqrt(((x_value - mean) ** 2).mean(axis=axis, keepdims=True) + EPS)
    x_hat = (x_value - mean) * inv_std
    g = c * weight_np
    return inv_std * (g - g.mean(axis=axis, keepdims=True)
                      - x_hat * (g * x_hat).mean(axis=axis, keepdims=True))


def penalty_gradient(layer):
    """d/dx ||dL/dx||^2 with minigrad: differentiate the gradient of L = sum(c * layer(x))."""
    layer.weight.data[...] = weight_np
    layer.bias.data[...] = bias_np
    xt = mg.Tensor(x_np, requires_grad=True)
    loss = (layer(xt) * c).sum()
    (dx,) = mg.grad(loss, xt, create_graph=True)   # a tensor with its own graph
    penalty = (dx * dx).sum()
    (d_penalty,) = mg.grad(penalty, xt)
    return dx.data, penalty.item(), d_penalty.data


numeric_ln = numerical_gradient(lambda xv: np.sum(input_gradient_numpy(xv, axis=1) ** 2), x_np)
results_ln, first_ln = {}, {}
for mode in ("autograd", "manual"):
    dx, penalty, d_penalty = penalty_gradient(layers.LayerNorm(D, backward=mode))
    results_ln[mode] = d_penalty
    first_ln[mode] = np.abs(dx - input_gradient_numpy(x_np, axis=1)).max()
    second = np.abs(d_penalty - numeric_ln).max()
    print(f"  backward={mode:8s}: penalty P = {penalty:.6f}; max |dL/dx - formula| "
          f"{first_ln[mode]:.1e}; max |dP/dx - finite differences| {second:.1e}")
check("LayerNorm's first derivative matches the closed form in both modes (1e-12)",
      max(first_ln.values()) < 1e-12)
check("the second-order gradient dP/dx agrees with finite differences in both modes (1e-6)",
      all(np.allclose(r, numeric_ln, atol=1e-6) for r in results_ln.values()))
check("the composed and the hand-written backward give the same second-order gradient (1e-10)",
      np.allclose(results_ln["autograd"], results_ln["manual"], atol=1e-10))

# %% [markdown]
# ## 4. The same through BatchNorm (training mode)
# BatchNorm1d normalizes each feature over the batch (axis 0 instead of axis 1), so every
# example's gradient depends on every other example's: the Hessian couples the whole batch.
# The same closed form over axis 0, the same two checks.
#
# That coupling is why WGAN-GP (Gulrajani et al., 2017) takes BatchNorm out of its critic D. Its
# penalty is (||grad_x D(x)|| - 1)^2 for each sample x on its own, and it is differentiated with
# respect to the critic's PARAMETERS (a mixed second derivative, parameters and input), not with
# respect to x as here. With BatchNorm in D, grad_x D(x) of one sample depends on the rest of the
# batch, so the per-sample penalty stops being per sample; the paper uses LayerNorm instead.

# %%
section("4. d/dx ||dL/dx||^2 through BatchNorm1d (training mode), both backward modes")
numeric_bn = numerical_gradient(lambda xv: np.sum(input_gradient_numpy(xv, axis=0) ** 2), x_np)
results_bn = {}
for mode in ("autograd", "manual"):
    dx, penalty, d_penalty = penalty_gradient(layers.BatchNorm1d(D, backward=mode))
    results_bn[mode] = d_penalty
    first = np.abs(dx - input_gradient_numpy(x_np, axis=0)).max()
    print(f"  backward={mode:8s}: penalty P = {penalty:.6f}; max |dL/dx - formula| {first:.1e}; "
          f"max |dP/dx - finite differences| {np.abs(d_penalty - numeric_bn).max():.1e}")
    check(f"BatchNorm's first derivative matches the closed form, backward={mode!r} (1e-12)",
          first < 1e-12)
check("through BatchNorm the second-order gradient agrees with finite differences in both modes",
      all(np.allclose(r, numeric_bn, atol=1e-6) for r in results_bn.values()))
check("BatchNorm's composed and hand-written backward agree to second order (1e-10)",
      np.allclose(results_bn["autograd"], results_bn["manual"], atol=1e-10))
# gradcheck(f, inputs) compares f's gradient with finite differences of f; gradgradcheck does the
# same one level up: it differentiates the gradient (the VJP of f with a random upstream v) and
# compares those second derivatives with finite differences of the first ones.
check("minigrad.gradgradcheck passes for LayerNorm and BatchNorm in both modes",
      all(mg.gradgradcheck(layer_of(mode), [mg.Tensor(x_np, requires_grad=True)])
          for layer_of in (lambda m: layers.LayerNorm(D, backward=m),
                           lambda m: layers.BatchNorm1d(D, backward=m))
          for mode in ("autograd", "manual")))

# %% [markdown]
# ## 5. PyTorch, when it is installed
# The same penalty gradient with torch.autograd.grad(create_graph=True). The lesson runs
# without PyTorch; this section only prints when it is there.

# %%
section("5. PyTorch's answer (optional)")
if torch is None:
    print("PyTorch is not installed: skipped (the finite differences above are the check).")
else:
    import torch.nn.functional as TF
    for name, normalize, ours in [
            ("LayerNorm", lambda z, w, b: TF.layer_norm(z, (D,), w, b, EPS), results_ln["manual"]),
            ("BatchNorm1d", lambda z, w, b: TF.batch_norm(z, None, None, w, b, True, 0.1, EPS),
             results_bn["manual"])]:
        xt = torch.tensor(x_np, requires_grad=True)
        loss = (normalize(xt, torch.tensor(weight_np), torch.tensor(bias_np)) * torch.tensor(c)).sum()
        (dx,) = torch.autograd.grad(loss, xt, create_graph=True)
        (d_penalty,) = torch.autograd.grad((dx * dx).sum(), xt)
        difference = np.abs(d_penalty.numpy() - ours).max()
        print(f"  {name:12s} max |minigrad - PyTorch| = {difference:.1e}")
        check(f"PyTorch {torch.__version__} agrees on d/dx ||dL/dx||^2 through {name} (1e-10)",
              difference < 1e-10)

# %% [markdown]
# ## 6. What makes it work: backward is written in minigrad operations
# LayerNorm(backward="manual") is one node with a hand-derived formula (lesson 6), but the
# formula is computed with minigrad operations. Under create_graph those operations are
# recorded like any others. The drawing shows the graph that produced dL/dx: on the left the
# formula recomputes mean and inv_std from x (sum, /3, sub, square, ..., sqrt, 1/.), so their
# dependence on x is recorded too; on the right g = dL/dy * weight, where the grey "constant"
# box is dL/dy = c, the gradient arriving from the loss; at the bottom
# inv_std * (g - mean(g) - x_hat * mean(g * x_hat)). All of it can be differentiated again.
# A backward written in raw NumPy would end the graph right there.

# %%
section("6. The recorded backward of LayerNorm (manual mode)")
small = mg.Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="x")
ln = layers.LayerNorm(3, backward="manual")
loss = (ln(small) * mg.Tensor(rng.normal(size=(2, 3)), name="c")).sum()
(dx,) = mg.grad(loss, small, create_graph=True)
print(f"dL/dx, shape {dx.shape}, has grad_fn {dx.grad_fn.name}: it can be differentiated again")
check("the hand-written backward's result is itself recorded (has a grad_fn)", dx.grad_fn is not None)
graph = draw_graph(dx, backward_of=loss, names={"dL/dx": dx}, legend=True,
                   title="LayerNorm's hand-written backward, recorded under create_graph=True")
save_graph(graph, "backward_graph_layernorm")

# %% [markdown]
# ## 7. Hessian-vector products
# For a loss L(x) and a direction v, the Hessian-vector product H v is the gradient of
# (dL/dx . v): one backward with create_graph, one more backward. It costs about two
# gradients, never forms the Hessian, and equals the directional derivative of the gradient:
#   H v  ~  (grad L(x + h v) - grad L(x - h v)) / (2h)

# %%
section("7. A Hessian-vector product through LayerNorm")
v = rng.normal(size=(N, D))
layer = layers.LayerNorm(D)


def loss_gradient(x_value, create_graph=False):
    xt = mg.Tensor(x_value, requires_grad=True)
    out = (mg.tanh(layer(xt)) * c).sum()         # a tanh makes the loss genuinely curved
    (grad_x,) = mg.grad(out, xt, create_graph=create_graph)
    return xt, grad_x


xt, grad_x = loss_gradient(x_np, create_graph=True)
(hv,) = mg.grad((grad_x * v).sum(), xt)
h = 1e-5
hv_numeric = (loss_gradient(x_np + h * v)[1].data - loss_gradient(x_np - h * v)[1].data) / (2 * h)
print(f"max |H v - finite difference of gradients| = {np.abs(hv.data - hv_numeric).max():.1e}")
check("the Hessian-vector product matches the finite difference of gradients (1e-7)",
      np.allclose(hv.data, hv_numeric, atol=1e-7))
print("\nThat is the end of the course. Lesson 5's four-way check and lesson 6's E31 show where "
      "hand-derived backwards go wrong; this lesson shows they can still be differentiated.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **A Hessian-vector product by double backward, checked by finite differences**
#    (about 20 min). Write a Hessian-vector product through a LayerNorm (and two other
#    functions) by double backward with create_graph=True, and its check by central differences
#    of the gradient; graded against both and against PyTorch.
#    File: tutorials/exercises/hvp.py. Grade it:
#        minigrad check tutorials/exercises/hvp.py --exercise hvp
#    Worked solution: tutorials/solutions/hvp.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Compute the Hessian-vector product of f(x) = sum(x^3) with two backward passes, without
#    building the Hessian. What should it equal?
# 2. What is the second derivative of ReLU, and what does minigrad record when you differentiate
#    relu(z).sum() with create_graph=True?
# Worked answers, each checked in code: tutorials/answers/12_higher_order.py (run it with python).
