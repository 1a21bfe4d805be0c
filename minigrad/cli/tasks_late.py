"""The graded tasks of lessons 10-12 (`minigrad check FILE --exercise NAME`): re-estimating
BatchNorm's running statistics, a seed's running-variance mistake reproduced and fixed, and a
Hessian-vector product by double backward. Coursework Tasks, graded like tasks.py's.

Lives in the command line because lesson 10's network uses layers.BatchNorm1d and lesson 12's
function uses layers.functional.layer_norm.
"""
from __future__ import annotations

import numpy as np

from minigrad.coursework.task import Part, Task

# ----------------------------------------------------------------------------
# Lesson 10: re-estimate BatchNorm's running statistics ("precise BN")
# ----------------------------------------------------------------------------

SIZES = (6, 8, 5)            # in -> hidden 1 -> hidden 2 (-> 3 outputs)


def _network(rng):
    """Linear-BN-ReLU-Linear-BN-ReLU-Linear with seeded weights and garbage running statistics,
    as a network trained for 300 steps at a micro-batch might leave them."""
    from layers import BatchNorm1d
    from minigrad import nn
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), BatchNorm1d(SIZES[1]), nn.ReLU(),
                          nn.Linear(SIZES[1], SIZES[2]), BatchNorm1d(SIZES[2]), nn.ReLU(),
                          nn.Linear(SIZES[2], 3))
    for p in model.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    for m in model.modules():
        if hasattr(m, "running_mean"):
            m.running_mean.data[...] = rng.standard_normal(m.running_mean.shape) * 5
            m.running_var.data[...] = rng.uniform(0.01, 40, m.running_var.shape)
            m.num_batches_tracked.data[...] = 300       # as after 300 training steps
    return model.train()


def _numpy_forward(model, x, statistics=None, seen=None):
    """The network's output in NumPy: each BatchNorm normalises with the batch's statistics
    (training mode; their means and unbiased variances are appended to `seen`) or, given
    `statistics` [(mean, var) per BatchNorm], with those (eval mode)."""
    h, k = np.asarray(x, dtype=np.float64), 0
    for layer in model.children():
        if hasattr(layer, "running_mean"):
            if statistics is None:
                mean, var = h.mean(0), h.var(0)
                seen.setdefault(k, []).append((mean, h.var(0, ddof=1)))
            else:
                mean, var = statistics[k]
            h = layer.weight.data * (h - mean) / np.sqrt(var + layer.eps) + layer.bias.data
            k += 1
        elif hasattr(layer, "weight"):
            h = h @ layer.weight.data.T + layer.bias.data
        else:
            h = np.maximum(h, 0)
    return h


def _precise_statistics(model, batches):
    """Each BatchNorm's average batch mean and unbiased variance, computed in NumPy by running
    the network in training mode layer by layer (not through the layers' own update)."""
    seen = {}
    for x in batches:
        _numpy_forward(model, x, seen=seen)
    return [tuple(np.mean(values, axis=0) for values in zip(*seen[k])) for k in sorted(seen)]


def _precise_bn(g):
    from minigrad.tensor import Tensor
    rng = g.rng
    model = _network(rng)
    batches = [rng.standard_normal((16, SIZES[0])) * 2 + 1 for _ in range(12)]
    weights = [p.data.copy() for p in model.parameters()]
    expected = _precise_statistics(model, batches)
    norms = [m for m in model.modules() if hasattr(m, "running_mean")]
    stale = [(m.running_mean.data.copy(), m.running_var.data.copy()) for m in norms]
    label = "12 batches of 16"
    result = g.call("reestimate_bn", model, [b.copy() for b in batches], case=label)
    for k, (m, (mean, var), (old_mean, old_var)) in enumerate(zip(norms, expected, stale), 1):
        g.compare(f"BatchNorm {k}: running_mean", label, m.running_mean.data, mean,
                  mistakes=[("unchanged: were the batches run in training mode?", old_mean)],
                  hint="the plain average of the 12 batch means: reset the statistics (and the "
                       "batch count the 1/k factor uses), then momentum=None")
        g.compare(f"BatchNorm {k}: running_var", label, m.running_var.data, var,
                  mistakes=[("unchanged: were the batches run in training mode?", old_var)],
                  hint="the plain average of the 12 unbiased batch variances")
    g.compare("momentum restored", label, [m.momentum for m in norms], [0.1] * len(norms),
              hint="put each layer's momentum back after the passes")
    if any(m.training for m in model.modules()):
        g.fail("eval mode", label, "left in training mode", "return model.eval()")
    if any(p.grad is not None for p in model.parameters()):
        g.fail("no gradients", label, "a parameter has a .grad",
               "run the passes under mg.no_grad(); no backward is needed")
    g.compare("weights unchanged", label,
              np.concatenate([p.data.ravel() for p in model.parameters()]),
              np.concatenate([w.ravel() for w in weights]))
    if result is not model:
        g.fail("returns the model", label, f"returned {type(result).__name__}", "return model")
    x = rng.standard_normal((4, SIZES[0]))
    model.eval()
    out = model(Tensor(x)).data
    h = _numpy_forward(model, x, statistics=expected)
    g.compare("eval output", "4 new inputs", out, h)


PRECISE_BN = Task(
    "precise_bn: BatchNorm's running statistics re-estimated as an average over batches",
    [Part("reestimate_bn", _precise_bn, "write reestimate_bn")],
    about="a seeded Linear-BN-ReLU-Linear-BN-ReLU-Linear network with garbage running "
          "statistics and 12 batches; the reference averages each layer's batch statistics in "
          "NumPy")


# ----------------------------------------------------------------------------
# Lesson 11: E29, the running variance from biased variances
# ----------------------------------------------------------------------------

def _running(batches, momentum, ddof):
    running = np.ones(batches[0].shape[1])
    for b in batches:
        running = (1 - momentum) * running + momentum * b.var(0, ddof=ddof)
    return running


def _running_variance(g):
    rng = g.rng
    batches = [rng.normal(0, 3, (4, 3)) for _ in range(30)]
    for unbiased in (True, False):
        label = f"30 batches of 4, unbiased={unbiased}"
        mine = g.call("running_variance", [b.copy() for b in batches], 0.1, unbiased, case=label)
        want = _running(batches, 0.1, 1 if unbiased else 0)
        starts_at_zero = want - 0.9 ** 30
        g.compare("running_variance", label, mine, want,
                  mistakes=[("started from 0 (E28): the running variance starts at 1",
                             starts_at_zero),
                            ("the other variance: ddof=1 is unbiased, ddof=0 the seed's",
                             _running(batches, 0.1, 0 if unbiased else 1)),
                            ("Keras' momentum: PyTorch's keeps 1 - momentum of the old value",
                             _keras(batches, 0.1, 1 if unbiased else 0))])


def _keras(batches, momentum, ddof):
    running = np.ones(batches[0].shape[1])
    for b in batches:
        running = momentum * running + (1 - momentum) * b.var(0, ddof=ddof)
    return running


def _shrink_factor(g):
    for m in (2, 4, 32):
        mine = g.call("shrink_factor", m, case=f"m = {m}")
        g.compare("shrink_factor", f"m = {m}", mine, (m - 1) / m,
                  mistakes=[("inverted: the biased variance is SMALLER than the truth",
                             m / (m - 1))])


def _measured_shrink(g):
    for m in (2, 4):
        rng = np.random.default_rng(0)
        batches = [rng.normal(0, 3, (m, 3)) for _ in range(2000)]
        want = float(np.mean(_running(batches, 0.01, 0) / _running(batches, 0.01, 1)))
        mine = g.call("measured_shrink", m, 0, case=f"m = {m}")
        g.compare("measured_shrink", f"m = {m}", mine, want, threshold=1e-6,
                  hint=f"it should come out near (m - 1)/m = {(m - 1) / m:g}; draw the batches "
                       f"in order from np.random.default_rng(seed)")
        if abs(want - (m - 1) / m) > 0.05:    # the measurement itself reproduces the claim
            g.note(f"the reference measurement {want:.3f} is far from {(m - 1) / m:g}")


SEED_RUNNING_VARIANCE = Task(
    "seed_running_variance: E29 reproduced (biased variances) and fixed (unbiased)",
    [Part("running_variance", _running_variance, "write running_variance"),
     Part("shrink_factor", _shrink_factor, "write shrink_factor"),
     Part("measured_shrink", _measured_shrink, "write measured_shrink")],
    about="seeded batches from N(0, 9); the reference is the same update in NumPy")


# ----------------------------------------------------------------------------
# Lesson 12: a Hessian-vector product by double backward
# ----------------------------------------------------------------------------

def _functions(rng):
    """(label, shape, minigrad f, torch f): scalar functions with non-trivial Hessians."""
    w = rng.standard_normal((3, 4))
    w1, w2 = rng.standard_normal((4, 5)), rng.standard_normal((2, 4))

    def ln_mg(x):
        from layers import functional
        from minigrad.tensor import Tensor
        y = functional.layer_norm(x, (4,))
        return (Tensor(w) * y * y).sum()

    def ln_torch(x):
        import torch
        y = torch.nn.functional.layer_norm(x, (4,))
        return (torch.tensor(w) * y * y).sum()

    def mlp_mg(x):
        import minigrad as mg
        h = mg.tanh(mg.Tensor(w1) @ x)
        return ((mg.Tensor(w2) @ h) ** 2).sum()

    def mlp_torch(x):
        import torch
        h = torch.tanh(torch.tensor(w1) @ x)
        return ((torch.tensor(w2) @ h) ** 2).sum()

    def tanh_mg(x):
        import minigrad as mg
        return (mg.tanh(x) ** 3).sum()

    def tanh_torch(x):
        import torch
        return (torch.tanh(x) ** 3).sum()

    return [("sum(tanh(x)^3)", (6,), tanh_mg, tanh_torch),
            ("sum(w * layer_norm(x)^2)", (3, 4), ln_mg, ln_torch),
            ("sum((W2 tanh(W1 x))^2)", (5,), mlp_mg, mlp_torch)]


def _gradient(f):
    """x -> grad f(x) as an array, by minigrad's first-order backward."""
    def grad_f(x):
        import minigrad as mg
        xt = mg.Tensor(np.array(x, dtype=np.float64), requires_grad=True)
        return mg.grad(f(xt), xt)[0].data
    return grad_f


def _hvp(g):
    from minigrad.coursework.oracles import torch_available
    rng = g.rng
    for label, shape, f, f_torch in _functions(rng):
        x, v = rng.standard_normal(shape), rng.standard_normal(shape)
        mine = g.call("hvp", f, x.copy(), v.copy(), case=label)
        grad_f, h = _gradient(f), 1e-5
        fd = (grad_f(x + h * v) - grad_f(x - h * v)) / (2 * h)
        wrong_sum = _hvp_of_sum(f, x)
        g.compare("hvp", label, mine, fd, threshold=1e-6, oracle="finite diff",
                  mistakes=[("this is the gradient of sum(g), H times ones: multiply g by v "
                             "before the second backward", wrong_sum)])
        if torch_available():
            import torch
            xt, vt = torch.tensor(x), torch.tensor(v)
            want = torch.autograd.functional.hvp(f_torch, xt, vt)[1].numpy()
            g.compare("hvp", label, mine, want, oracle="torch")


def _hvp_of_sum(f, x):
    import minigrad as mg
    xt = mg.Tensor(x.copy(), requires_grad=True)
    (first,) = mg.grad(f(xt), xt, create_graph=True)
    return mg.grad(first.sum(), xt)[0].data


def _finite_difference_hvp(g):
    rng = g.rng
    for label, shape, f, _ in _functions(rng)[:2]:
        x, v = rng.standard_normal(shape), rng.standard_normal(shape)
        grad_f = _gradient(f)
        for h in (1e-5, 1e-3):
            case = f"{label}, h = {h:g}"
            mine = g.call("finite_difference_hvp", grad_f, x.copy(), v.copy(), h, case=case)
            g.compare("finite_difference_hvp", case, mine,
                      (grad_f(x + h * v) - grad_f(x - h * v)) / (2 * h),
                      mistakes=[("the one-sided difference (grad(x + hv) - grad(x)) / h",
                                 (grad_f(x + h * v) - grad_f(x)) / h)])


HVP = Task(
    "hvp: a Hessian-vector product by double backward, and its finite-difference check",
    [Part("hvp", _hvp, "write hvp"),
     Part("finite_difference_hvp", _finite_difference_hvp, "write finite_difference_hvp")],
    about="three seeded scalar functions; hvp is compared with central differences of "
          "minigrad's gradient (h = 1e-5, to 1e-6) and with PyTorch's autograd hvp (to 1e-7)")


TASKS = {"precise_bn": PRECISE_BN, "seed_running_variance": SEED_RUNNING_VARIANCE, "hvp": HVP}
