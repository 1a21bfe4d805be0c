"""The graded tasks of lessons 1-4 (`minigrad check FILE --exercise NAME`) that are not a
backward pass in the forward/backward convention: each is a coursework Task whose parts run the
student's functions on seeded cases and compare with minigrad's own operations and layers.

Lives in the command line because the BatchNorm task's reference is layers.BatchNorm1d.
"""
from __future__ import annotations

import numpy as np

from minigrad.coursework.task import Part, Task


def _sigmoid(x):
    e = np.exp(-np.abs(x))                  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


# ----------------------------------------------------------------------------
# Lesson 1: a new operation's local derivative, and the finite-difference check
# ----------------------------------------------------------------------------

def _softplus_derivative(g):
    rng = g.rng
    cases = [("x = 3 randn", 3 * rng.standard_normal(7)),
             ("x = -800, -30, 0, 30, 800", np.array([-800.0, -30.0, 0.0, 30.0, 800.0]))]
    for label, x in cases:
        mine = g.call("softplus_local_derivative", x.copy(), case=label)
        g.compare("softplus_local_derivative", label, mine, _sigmoid(x), values={"x": x},
                  mistakes=[("this is softplus itself, log(1 + e^x): differentiate it",
                             np.logaddexp(0, x))],
                  hint="" if label.startswith("x = 3") else
                  "at large |x| compute it from e^-|x|, which never overflows")


def _central_difference(g):
    rng = g.rng
    for label, f, h in (("f = sin, h = 1e-5", np.sin, 1e-5), ("f = exp, h = 1e-3", np.exp, 1e-3)):
        x = rng.standard_normal(6)
        mine = g.call("central_difference", f, x.copy(), h, case=label)
        g.compare("central_difference", label, mine, (f(x + h) - f(x - h)) / (2 * h),
                  values={"x": x},
                  mistakes=[("this is the one-sided difference (f(x + h) - f(x)) / h: its error "
                             "shrinks like h; the central one's like h^2", (f(x + h) - f(x)) / h),
                            ("divided by h instead of 2h", (f(x + h) - f(x - h)) / h)])


def _gradient_check(g):
    x = 2 * g.rng.standard_normal(8)
    softplus = lambda t: np.logaddexp(0.0, t)     # noqa: E731
    central = (softplus(x + 1e-5) - softplus(x - 1e-5)) / 2e-5
    for label, df in (("df = sigmoid (right)", _sigmoid), ("df = tanh (wrong)", np.tanh)):
        mine = g.call("gradient_check", softplus, df, x.copy(), 1e-5, case=label)
        expected = _rel(df(x), central)
        # the right derivative's error is rounding (~1e-11): judged to 1e-3 of its own size
        g.compare("gradient_check", label, mine, expected, threshold=1e-3,
                  mistakes=[("the largest ABSOLUTE difference: divide by max(1e-8, |a| + |b|)",
                             float(np.max(np.abs(df(x) - central))))])


LOCAL_DERIVATIVE = Task(
    "local_derivative: softplus's local derivative and a finite-difference check",
    [Part("softplus_local_derivative", _softplus_derivative, "write softplus_local_derivative"),
     Part("central_difference", _central_difference, "write central_difference"),
     Part("gradient_check", _gradient_check, "write gradient_check")],
    about="each function runs on seeded inputs; the reference is the exact derivative "
          "(sigmoid), the central difference and CS231n's relative error")


# ----------------------------------------------------------------------------
# Lesson 2: two broadcasting puzzles
# ----------------------------------------------------------------------------

def _autograd(forward, arrays, dout):
    """The gradients of sum(forward(*arrays) * dout) by minigrad's autograd."""
    from minigrad.tensor import Tensor
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    (forward(*tensors) * Tensor(dout)).sum().backward()
    return [t.grad.data if hasattr(t.grad, "data") else t.grad for t in tensors]


def _puzzle(number, shapes, forward):
    names = list(shapes)

    def run(g):
        for seed in (1, 2):
            rng = np.random.default_rng(seed)
            arrays = [rng.standard_normal(s) for s in shapes.values()]
            out = forward(*arrays)
            dout = rng.standard_normal(out.shape)
            label = f"seed {seed}"
            mine = g.call(f"puzzle{number}_backward", dout.copy(), *[a.copy() for a in arrays],
                          case=label)
            mine = g.unpack(mine, [f"d{n}" for n in names], label)
            expected = _autograd(forward, arrays, dout)
            values = dict(zip(names, arrays))
            for name, got, want in zip(names, mine, expected):
                g.compare(f"puzzle {number}: d{name}", label, got, want, values=values)
    return run


BROADCASTING = Task(
    "broadcasting: the gradients of two broadcast operations",
    [Part("puzzle1_backward", _puzzle(1, {"a": (3, 1), "b": (4,)}, lambda a, b: a + b),
          "write puzzle1_backward"),
     Part("puzzle2_backward", _puzzle(2, {"x": (2, 3, 4), "w": (3, 1)}, lambda x, w: x * w),
          "write puzzle2_backward")],
    about="each puzzle on two seeded draws of its inputs and dout; the reference is minigrad's "
          "autograd of sum(out * dout)")


# ----------------------------------------------------------------------------
# Lesson 3: softmax cross-entropy and its gradient
# ----------------------------------------------------------------------------

def _softmax_ce(g):
    from minigrad.nn import functional as F
    from minigrad.tensor import Tensor
    rng = g.rng
    cases = [("N=5, C=4", rng.standard_normal((5, 4)), rng.integers(0, 4, 5)),
             ("N=1, C=3", rng.standard_normal((1, 3)), np.array([2])),
             ("N=4, C=6, logits ~ 1000", 1000 + 5 * rng.standard_normal((4, 6)),
              rng.integers(0, 6, 4))]
    for label, logits, labels in cases:
        mine = g.call("softmax_cross_entropy", logits.copy(), labels.copy(), case=label)
        loss, dlogits = g.unpack(mine, ["loss", "dlogits"], label)
        z = Tensor(logits.copy(), requires_grad=True)
        ref = F.cross_entropy(z, labels)
        ref.backward()
        n = logits.shape[0]
        g.compare("loss", label, loss, ref.item(),
                  mistakes=[("the SUM over the batch: the loss is the mean", ref.item() * n)],
                  hint="loss = mean over the rows of -log softmax(logits)[i, labels[i]]"
                  if "1000" not in label else "subtract each row's max before exp")
        g.compare("dlogits", label, dlogits, z.grad.data, values={"logits": logits},
                  hint="dlogits = (softmax(logits) - onehot(labels)) / N")


SOFTMAX_CROSS_ENTROPY = Task(
    "softmax_cross_entropy: the mean cross-entropy and its gradient (softmax - onehot) / N",
    [Part("softmax_cross_entropy", _softmax_ce, "write softmax_cross_entropy")],
    about="three seeded batches (one of a single row, one with logits near 1000); the "
          "reference is minigrad's F.cross_entropy and its autograd")


# ----------------------------------------------------------------------------
# Lesson 4: BatchNorm's forward with running statistics
# ----------------------------------------------------------------------------

def _batchnorm_running(g):
    from layers import BatchNorm1d
    from minigrad.tensor import Tensor
    rng = g.rng
    d, momentum, eps = 3, 0.1, 1e-5
    bn = BatchNorm1d(d, momentum=momentum, eps=eps)
    gamma, beta = 1 + 0.5 * rng.standard_normal(d), rng.standard_normal(d)
    bn.weight.data[...], bn.bias.data[...] = gamma, beta
    for step, n in enumerate((8, 4, 2), 1):
        x = 5 * rng.standard_normal((n, d)) + 12
        rm, rv = bn.running_mean.data.copy(), bn.running_var.data.copy()
        label = f"batch {step} (N={n})"
        mine = g.call("batchnorm_train", x.copy(), gamma.copy(), beta.copy(), rm.copy(),
                      rv.copy(), momentum, eps, case=label)
        out, new_mean, new_var = g.unpack(mine, ["out", "new_running_mean", "new_running_var"],
                                          label)
        bn.train()
        ref = bn(Tensor(x)).data
        mean, biased, unbiased = x.mean(0), x.var(0), x.var(0, ddof=1)
        g.compare("train: out", label, out, ref, values={"x": x},
                  mistakes=[("normalised with the unbiased variance: the normalisation uses the "
                             "batch's biased (1/N) variance", gamma * (x - mean) /
                             np.sqrt(unbiased + eps) + beta)])
        g.compare("train: running_mean", label, new_mean, bn.running_mean.data,
                  mistakes=[("Keras' convention momentum * running + (1 - momentum) * batch: "
                             "PyTorch's is (1 - momentum) * running + momentum * batch",
                             momentum * rm + (1 - momentum) * mean)])
        g.compare("train: running_var", label, new_var, bn.running_var.data,
                  mistakes=[("updated with the biased variance: the running variance takes the "
                             "unbiased one, var * N / (N - 1)", (1 - momentum) * rv +
                             momentum * biased),
                            ("Keras' momentum convention (see running_mean)",
                             momentum * rv + (1 - momentum) * unbiased)])


def _batchnorm_eval(g):
    from layers import BatchNorm1d
    from minigrad.tensor import Tensor
    rng = g.rng
    d, eps = 3, 1e-5
    bn = BatchNorm1d(d, eps=eps)
    gamma, beta = 1 + 0.5 * rng.standard_normal(d), rng.standard_normal(d)
    bn.weight.data[...], bn.bias.data[...] = gamma, beta
    for n in (8, 4, 2):                          # the running statistics of the training part
        bn(Tensor(5 * rng.standard_normal((n, d)) + 12))
    x = 5 * rng.standard_normal((3, d)) + 12
    rm, rv = bn.running_mean.data.copy(), bn.running_var.data.copy()
    label = "N=3, after 3 batches"
    mine = g.call("batchnorm_eval", x.copy(), gamma.copy(), beta.copy(), rm.copy(), rv.copy(),
                  eps, case=label)
    bn.eval()
    g.compare("eval: out", label, mine, bn(Tensor(x)).data, values={"x": x},
              mistakes=[("normalised with the batch's statistics: eval mode uses the running "
                         "ones", gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta)])


BATCHNORM_RUNNING = Task(
    "batchnorm_running: BatchNorm's forward with running statistics, train and eval",
    [Part("batchnorm_train", _batchnorm_running, "write batchnorm_train"),
     Part("batchnorm_eval", _batchnorm_eval, "write batchnorm_eval")],
    about="three training batches (N = 8, 4, 2; x = 5 randn + 12), then one in eval mode, "
          "against layers.BatchNorm1d(3, momentum=0.1)")


TASKS = {"local_derivative": LOCAL_DERIVATIVE, "broadcasting": BROADCASTING,
         "softmax_cross_entropy": SOFTMAX_CROSS_ENTROPY, "batchnorm_running": BATCHNORM_RUNNING}
