"""Lesson 5: BatchNorm, backward. The gradient derived by hand, then checked four ways.

What you will learn
  * how to derive the gradient of BatchNorm's training-mode forward with the chain rule, one
    intermediate at a time (the mean and the variance both depend on every input), and how the
    steps collapse into one closed form:
        dx = weight / (m * s) * [ m * dy - sum_R dy - x_hat * sum_R(dy * x_hat) ]
  * how to check a hand-derived gradient: against autograd, against the formula, against finite
    differences and against PyTorch (when it is installed: the lesson runs without it);
  * two facts the formula makes visible: per channel the gradient sums to zero, and it is
    (almost) orthogonal to x_hat, because shifting or scaling a channel does not change BN's output;
  * what the engine draws for the composed forward (nine primitive operations) and for the
    hand-written backward (one node), side by side.

Time: about 45 minutes to read and run, plus about 45 for the exercises.
Assumes: lessons 1-2 (the chain rule on arrays) and 4 (BatchNorm's forward).
Ends with: exercises batchnorm (exercises/batchnorm_backward.py) and batchnorm_eval
  (exercises/batchnorm_eval_backward.py), graded by `minigrad check`; then 2 questions, worked
  answers in answers/05_batchnorm_backward.py.

Run it:  python tutorials/05_batchnorm_backward.py --out DIR
Figure:  bn_graphs_side_by_side.svg (the composed and the manual computation graph);
         backward_walk_composed.html, backward_walk_manual.html (backward() on each, step by step).
"""
# %%
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.draw import draw_graph
import layers

from _lesson import (setup, section, check, save_graph, save_player, numerical_gradient,
                     recorded_operations)

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(5)
eps = 1e-5

try:                        # PyTorch is an optional fourth opinion
    import torch
except ImportError:
    torch = None

# %% [markdown]
# ## 1. The derivation
# Everything below happens per channel, so write it for one channel: the reduction set R holds the
# m values of that channel (m = N for an (N, C) input, m = N*H*W for images). L is the loss and
# dy_i = dL/dy_i is the gradient that arrives from the layers above.

# %%
section("1. The derivation, step by step")
DERIVATION = """\
Forward (one channel, i and j run over the m values of R):
    mu    = (1/m) sum_j x_j
    var   = (1/m) sum_j (x_j - mu)^2                 (biased)
    s     = sqrt(var + eps)
    x_hat_i = (x_i - mu) / s
    y_i   = gamma * x_hat_i + beta                  upstream: dy_i = dL/dy_i

Step 1, the affine part. gamma and beta are shared by all m values, so their gradients collect
from every i; x_hat_i reaches L only through y_i:
    dL/dbeta  = sum_i dy_i
    dL/dgamma = sum_i dy_i * x_hat_i
    dL/dx_hat_i = gamma * dy_i  =: g_i

Step 2, the variance. var reaches L through every x_hat_i, and
d x_hat_i / d var = (x_i - mu) * (-1/2) * (var + eps)^(-3/2):
    dL/dvar = -1/2 * (var + eps)^(-3/2) * sum_i g_i * (x_i - mu)

Step 3, the mean. mu reaches L through every x_hat_i (d x_hat_i / d mu = -1/s) and through var
(d var / d mu = -(2/m) sum_j (x_j - mu), which is exactly 0):
    dL/dmu = -(1/s) * sum_i g_i  +  dL/dvar * 0

Step 4, the input. x_j reaches L through x_hat_j (1/s), through mu (d mu / d x_j = 1/m) and
through var (d var / d x_j = 2 (x_j - mu) / m):
    dL/dx_j = g_j / s  +  dL/dvar * 2 (x_j - mu) / m  +  dL/dmu / m

Step 5, simplify. Put steps 2 and 3 into step 4 and write x_j - mu = s * x_hat_j:
    dL/dx_j = (1/s) * [ g_j - mean_i(g_i) - x_hat_j * mean_i(g_i * x_hat_i) ]
            = gamma / (m s) * [ m dy_j - sum_i dy_i - x_hat_j * sum_i dy_i x_hat_i ]
"""
print(DERIVATION)

# %% [markdown]
# ## 2. Each step against autograd
# Write the forward in minigrad with the same intermediates and ask the engine to keep their
# gradients (`retain_grad`): then every line of the derivation can be compared with what autograd
# found for that intermediate. The input is a batch of N = 6 examples with C = 3 features; the
# upstream gradient dy is random (it stands for "whatever the layers above send back").

# %%
section("2. Each step of the derivation against autograd")
N, C = 6, 3
x = rng.normal(loc=2.0, scale=3.0, size=(N, C))
gamma, beta = rng.normal(size=C), rng.normal(size=C)
dy = rng.normal(size=(N, C))

X = mg.tensor(x, requires_grad=True)
Gamma, Beta = mg.tensor(gamma, requires_grad=True), mg.tensor(beta, requires_grad=True)
mu_t = X.mean(axis=0, keepdims=True)
var_t = ((X - mu_t) ** 2).mean(axis=0, keepdims=True)
x_hat_t = (X - mu_t) / mg.sqrt(var_t + eps)
for t in (mu_t, var_t, x_hat_t):
    t.retain_grad()
(Gamma * x_hat_t + Beta).backward(dy)

# The derivation, in NumPy (axis 0 is R for this (N, C) input).
m = N
mu = x.mean(axis=0)
var = x.var(axis=0)
s = np.sqrt(var + eps)
x_hat = (x - mu) / s
d_beta = dy.sum(axis=0)                                               # step 1
d_gamma = (dy * x_hat).sum(axis=0)
g = gamma * dy
d_var = -0.5 * (var + eps) ** -1.5 * (g * (x - mu)).sum(axis=0)      # step 2
d_mu = -(1 / s) * g.sum(axis=0)                                       # step 3
d_x_steps = g / s + d_var * 2 * (x - mu) / m + d_mu / m               # step 4
d_x = gamma / (m * s) * (m * dy - dy.sum(axis=0) - x_hat * (dy * x_hat).sum(axis=0))  # step 5

for name, ours, engine in [("dL/dbeta", d_beta, Beta.grad), ("dL/dgamma", d_gamma, Gamma.grad),
                           ("dL/dx_hat", g, x_hat_t.grad), ("dL/dvar", d_var, var_t.grad),
                           ("dL/dmu", d_mu, mu_t.grad), ("dL/dx (step 4)", d_x_steps, X.grad),
                           ("dL/dx (step 5)", d_x, X.grad)]:
    err = np.abs(ours - engine.data.reshape(np.shape(ours))).max()
    check(f"{name:15s} matches autograd", err < 1e-12, f"max |diff| {err:.1e}")

# %% [markdown]
# ## 3. What the formula says
# The bracket [g - mean(g) - x_hat * mean(g * x_hat)] removes from g its mean and its component
# along x_hat. That is no accident: adding a constant to one channel of the input does not change
# BN's output (the mean absorbs it), and neither does scaling it (the standard deviation absorbs
# it, exactly when eps = 0). A gradient can have no component along a direction in which the
# output does not change, so per channel
#     sum_R dx = 0        and        sum_R dx * x_hat = 0   (up to eps: it equals
#                                     eps / (var + eps) * sum_R g * x_hat / s)

# %%
section("3. Two properties of the gradient")
print("per channel, sum of dL/dx:        ", " ".join(f"{v:9.1e}" for v in d_x.sum(axis=0)))
print("per channel, sum of dL/dx * x_hat:", " ".join(f"{v:9.1e}" for v in (d_x * x_hat).sum(axis=0)))
print("for scale, per channel sum |dL/dx|:", " ".join(f"{v:9.1e}" for v in np.abs(d_x).sum(axis=0)))
check("per channel, dL/dx sums to zero", np.abs(d_x.sum(axis=0)).max() < 1e-12)
along_x_hat = eps / (var + eps) * (g * x_hat).sum(axis=0) / s
check("per channel, sum dL/dx * x_hat is eps/(var+eps) * sum(g * x_hat)/s, tiny",
      np.allclose((d_x * x_hat).sum(axis=0), along_x_hat, rtol=1e-6, atol=1e-15))

# %% [markdown]
# ## 4. Four independent checks of the layer
# Now the real layer, `layers.BatchNorm1d` / `BatchNorm2d`. Four ways to get its gradient:
#   1. autograd: backward="autograd" composes primitives; the engine applies the chain rule;
#   2. the formula: step 5 above, in NumPy, and the layer's backward="manual", which is the same
#      formula written once in minigrad operations;
#   3. finite differences: (f(x + h) - f(x - h)) / 2h for each entry, with f = sum(dy * y), using
#      only the forward pass (no derivative code at all);
#   4. PyTorch's F.batch_norm in float64, if installed.
# They are compared with the CS231n relative error max |a - b| / max(1e-8, |a| + |b|). Autograd,
# the formula and PyTorch agree to rounding (about 1e-15). Finite differences carry their own
# error: truncation of order h^2 and rounding of order 1e-16 * |f| / h, about 1e-9 here with
# h = 1e-5; an error near 1e-2 would mean a wrong formula.

# %%
section("4. Four ways: autograd, the formula, finite differences, PyTorch")


def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def layer_gradients(layer_class, x, gamma, beta, dy, backward):
    bn = layer_class(len(gamma), backward=backward)
    bn.weight.data[...] = gamma
    bn.bias.data[...] = beta
    X = mg.tensor(x, requires_grad=True)
    bn(X).backward(dy)
    return X.grad.data, bn.weight.grad.data, bn.bias.grad.data


def formula_gradients(x, gamma, dy):
    axes = (0,) + tuple(range(2, x.ndim))               # R: every axis except the channel axis
    shape = (1, -1) + (1,) * (x.ndim - 2)               # (C,) -> broadcastable against x
    m = x.size // x.shape[1]
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    s = np.sqrt(var + eps)
    x_hat = (x - mu) / s
    dx = gamma.reshape(shape) / (m * s) * (m * dy - dy.sum(axis=axes, keepdims=True)
                                           - x_hat * (dy * x_hat).sum(axis=axes, keepdims=True))
    return dx, (dy * x_hat).sum(axis=axes), dy.sum(axis=axes)


def finite_difference_gradients(layer_class, x, gamma, beta, dy):
    bn = layer_class(len(gamma))

    def f(x_, gamma_, beta_):                           # f = sum(dy * y): its gradient is the VJP
        bn.weight.data[...], bn.bias.data[...] = gamma_, beta_
        with mg.no_grad():
            return float((bn(mg.tensor(x_)).data * dy).sum())
    h = 1e-5                                            # CS231n's step: truncation ~h^2, rounding ~1e-16/h
    return (numerical_gradient(lambda v: f(v, gamma, beta), x, eps=h),
            numerical_gradient(lambda v: f(x, v, beta), gamma, eps=h),
            numerical_gradient(lambda v: f(x, gamma, v), beta, eps=h))


def torch_gradients(x, gamma, beta, dy):
    X, G, B = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, gamma, beta))
    y = torch.nn.functional.batch_norm(X, None, None, G, B, training=True, eps=eps)
    y.backward(torch.tensor(dy))
    return X.grad.numpy(), G.grad.numpy(), B.grad.numpy()


cases = [("BatchNorm1d, x (6, 3)", layers.BatchNorm1d, x, gamma, beta, dy)]
x4 = rng.normal(loc=-1.0, scale=2.0, size=(2, 3, 4, 4))
cases.append(("BatchNorm2d, x (2, 3, 4, 4)", layers.BatchNorm2d, x4, gamma, beta,
              rng.normal(size=x4.shape)))
for title, layer_class, x_, gamma_, beta_, dy_ in cases:
    reference = layer_gradients(layer_class, x_, gamma_, beta_, dy_, "autograd")
    others = {"formula (NumPy)": formula_gradients(x_, gamma_, dy_),
              "layer, backward='manual'": layer_gradients(layer_class, x_, gamma_, beta_, dy_,
                                                          "manual"),
              "finite differences": finite_difference_gradients(layer_class, x_, gamma_, beta_, dy_)}
    if torch is not None:
        others["PyTorch (float64)"] = torch_gradients(x_, gamma_, beta_, dy_)
    errors = {method: [rel_error(a, b) for a, b in zip(grads, reference)]
              for method, grads in others.items()}
    print(f"\n{title}: relative error against autograd")
    print(f"  {'method':26s} {'dx':>9s} {'dweight':>9s} {'dbias':>9s}")
    for method, errs in errors.items():
        print(f"  {method:26s} " + " ".join(f"{e:9.1e}" for e in errs))
    for method, errs in errors.items():
        limit = 1e-6 if method == "finite differences" else 1e-12
        check(f"{method}: relative error < {limit:g}", max(errs) < limit)
if torch is None:
    print("\n(PyTorch is not installed: the fourth check was skipped.)")

# %% [markdown]
# ## 5. Eval mode has a much simpler gradient
# In eval mode the mean and variance are the running buffers: constants. Steps 2 and 3 vanish and
#     dx = weight * dy / sqrt(running_var + eps)
# The layer in eval mode is just a per-channel affine map of x.

# %%
section("5. The gradient in eval mode")
bn = layers.BatchNorm1d(C)
for _ in range(3):
    bn(mg.tensor(rng.normal(size=(N, C))))        # a few training steps fill the buffers
bn.eval()
bn.weight.data[...] = gamma
X = mg.tensor(x, requires_grad=True)
bn(X).backward(dy)
expected = gamma * dy / np.sqrt(bn.running_var.data + eps)
check("eval mode: dx = weight * dy / sqrt(running_var + eps)",
      np.abs(X.grad.data - expected).max() < 1e-14)

# %% [markdown]
# ## 6. Two graphs for the same layer, side by side
# With backward="autograd" the layer's forward is nine primitive operations (mean, subtract,
# square, add, rsqrt, multiply, ...), each recorded as a node with its own small derivative;
# backward() walks all of them. With backward="manual" the normalization is ONE node (a Function, drawn as a
# double ellipse) whose backward is the step-5 formula, so backward() takes one step there and
# keeps fewer intermediate arrays. (Its one output is y. The batch mean and variance, which the
# layer needs for its running statistics, are not outputs of the node: no gradient ever reaches
# them.) Same numbers (section 4), different graphs.
# Both layers below read the same input x, so one drawing (bn_graphs_side_by_side.svg) shows the
# two graphs next to each other: composed on the left, manual on the right. Each cluster is
# labelled with the layer's class and its attribute name in the small module holding the pair.

# %%
section("6. The composed graph and the manual graph, side by side")


class TwoWays(nn.Module):
    """The same BatchNorm1d twice, so that the drawing can label each graph by its name."""

    def __init__(self, num_features):
        super().__init__()
        self.composed = layers.BatchNorm1d(num_features, backward="autograd")
        self.manual = layers.BatchNorm1d(num_features, backward="manual")


pair = TwoWays(C)
x_in = mg.tensor(x, requires_grad=True, name="x")
outputs = {"composed": pair.composed(x_in), "manual": pair.manual(x_in)}
graphs = {}
for backward, y in outputs.items():
    operations = recorded_operations(y)
    graphs[backward] = operations
    names = sorted({node.name for node in operations})
    print(f"{backward:8s} (backward={'autograd' if backward == 'composed' else 'manual'!r}): "
          f"{len(operations):2d} operations: {', '.join(names)}")
check("both graphs compute the same output", np.abs(outputs["composed"].data
                                                    - outputs["manual"].data).max() < 1e-12)
check("the manual graph has far fewer operations than the composed one",
      len(graphs["manual"]) * 3 < len(graphs["composed"]),
      f"{len(graphs['manual'])} vs {len(graphs['composed'])}")
save_graph(draw_graph(outputs["composed"], outputs["manual"], legend=True,
                      names={"y, composed": outputs["composed"], "y, manual": outputs["manual"]},
                      title="BatchNorm1d(3) on the same x: composed of primitives (left) "
                            "vs one node with a hand-written backward (right)"),
           "bn_graphs_side_by_side")
# Watch backward() on each graph (open the pages in a browser): nine operations in turn, or one.
for backward, y in outputs.items():
    save_player(y, f"backward_walk_{backward}", gradient=dy, title=f"BatchNorm1d, {backward}")

# %% [markdown]
# ## Summary
# * Both statistics depend on every input of the channel, which is where the two correction terms
#   of dx come from: dx = (1/s) [g - mean(g) - x_hat * mean(g * x_hat)], g = weight * dy.
# * A derivation is finished only when it is checked: here against autograd step by step, and the
#   layer against the formula, finite differences and PyTorch.

# %%
print("\nNext: lesson 6 applies the same method to LayerNorm and finds a wrong step"
      " in a seed's derivation.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **BatchNorm's backward (training mode)** (about 30 min). Derive BatchNorm's backward
#    (training mode) by hand: dx, dgamma, dbeta.
#    File: tutorials/exercises/batchnorm_backward.py. Grade it:
#        minigrad check tutorials/exercises/batchnorm_backward.py --exercise batchnorm
#    Worked solution: tutorials/solutions/batchnorm_backward.py.
# 2. **BatchNorm's backward in eval mode (the running statistics fixed)** (about 15 min). Derive
#    BatchNorm's backward in eval mode, where the running statistics are constants: dx, dgamma,
#    dbeta.
#    File: tutorials/exercises/batchnorm_eval_backward.py. Grade it:
#        minigrad check tutorials/exercises/batchnorm_eval_backward.py --exercise batchnorm_eval
#    Worked solution: tutorials/solutions/batchnorm_eval_backward.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Why does the bias of a Linear layer just before a BatchNorm get exactly zero gradient? (Use
#    the property sum over the batch of dx = 0 that this lesson proves.) Check it on a real
#    network.
# 2. Derive the backward pass of mean-only BatchNorm, y = x - mean(x) over the batch. Which term
#    of full BatchNorm's dx does it keep?
# Worked answers, each checked in code: tutorials/answers/05_batchnorm_backward.py (run it with python).
