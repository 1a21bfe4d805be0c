"""The graded task of lesson 15 (backprop by hand): the backward pass of the whole network
    x -> Linear -> BatchNorm1d -> tanh -> Linear -> logits -> mean cross-entropy,
written by the student one layer at a time, as functions of the forward's saved values.

Each part gets the true upstream gradient (autograd's), so a mistake in one layer does not
spill into the next: every intermediate is graded on its own, against minigrad's autograd of
the same forward, on two seeded cases (the lesson's digits batch, and a small random network
of other sizes, so that a hard-coded size or a missing 1/N shows). Known mistakes are named.

Lives in the command line, next to the other tasks (the reference is minigrad's autograd only).
"""
from __future__ import annotations

import numpy as np

from minigrad.coursework.task import Part, Task

EPS = 1e-5
PARAMETERS = ("W1", "b1", "gamma", "beta", "W2", "b2")


def _case(rng, digits):
    """(label, x, labels, params) for one case: the digits batch, or a small random one."""
    if digits:
        from minigrad.datasets import load_digits
        images, labels = load_digits(flatten=True)
        pick = rng.choice(len(images), size=32, replace=False)
        x, y, hidden, classes = images[pick], labels[pick], 64, 10
        label = "digits, N=32, 64-64-10"
    else:
        x, hidden, classes = 2 * rng.standard_normal((8, 12)) + 1, 6, 5
        y = rng.integers(0, classes, len(x))
        label = "random, N=8, 12-6-5"
    d_in = x.shape[1]
    params = {"W1": rng.standard_normal((hidden, d_in)) / np.sqrt(d_in),
              "b1": 0.3 * rng.standard_normal(hidden),
              "gamma": 1 + 0.3 * rng.standard_normal(hidden),
              "beta": 0.3 * rng.standard_normal(hidden),
              "W2": rng.standard_normal((classes, hidden)) / np.sqrt(hidden),
              "b2": 0.3 * rng.standard_normal(classes)}
    return label, x, y, params


def _autograd(x, y, params):
    """The forward in minigrad tensors, as lesson 15 writes it: the saved values (the cache the
    student's functions get) and autograd's gradient of every intermediate and parameter."""
    import minigrad as mg
    from minigrad.nn import functional as F
    p = {k: mg.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    t = {"bn_in": mg.tensor(x) @ p["W1"].T + p["b1"]}
    t["bn_mean"] = t["bn_in"].mean(axis=0, keepdims=True)
    t["bn_var"] = ((t["bn_in"] - t["bn_mean"]) ** 2).mean(axis=0, keepdims=True)
    t["bn_std_inv"] = (t["bn_var"] + EPS) ** -0.5
    t["bn_hat"] = (t["bn_in"] - t["bn_mean"]) * t["bn_std_inv"]
    t["hpre"] = p["gamma"] * t["bn_hat"] + p["beta"]
    t["h"] = mg.tanh(t["hpre"])
    t["logits"] = t["h"] @ p["W2"].T + p["b2"]
    for value in t.values():
        value.retain_grad()
    F.cross_entropy(t["logits"], y).backward()
    logits = t["logits"].data
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    cache = {"x": x.copy(), "y": y.copy(), "probs": probs / probs.sum(axis=1, keepdims=True)}
    cache.update({k: v.data.copy() for k, v in t.items()})
    grads = {k: v.grad.data for k, v in list(t.items()) + list(p.items())}
    return cache, grads


def _cases(g):
    """Both cases, each as (label, cache, grads, params); the student gets copies."""
    out = []
    for digits in (True, False):
        label, x, y, params = _case(g.rng, digits)
        cache, grads = _autograd(x, y, params)
        out.append((label, cache, grads, params))
    return out


def _copy(d):
    return {k: np.array(v, copy=True) for k, v in d.items()}


def _dlogits(g):
    for label, cache, grads, params in _cases(g):
        mine = g.call("logits_backward", _copy(cache), case=label)
        n, onehot = len(cache["y"]), np.eye(cache["probs"].shape[1])[cache["y"]]
        g.compare("dlogits", label, mine, grads["logits"], values={"logits": cache["logits"]},
                  mistakes=[("softmax - onehot without the 1/N: the loss is the MEAN over the "
                             "batch", cache["probs"] - onehot),
                            ("onehot - softmax: the sign is flipped (the loss is MINUS the "
                             "log-probability)", (onehot - cache["probs"]) / n),
                            ("softmax / N: the one-hot labels are not subtracted",
                             cache["probs"] / n)],
                  hint="dlogits = (softmax(logits) - onehot(y)) / N; cache['probs'] is softmax")


def _linear2(g):
    for label, cache, grads, params in _cases(g):
        upstream = grads["logits"]
        mine = g.call("linear2_backward", upstream.copy(), _copy(cache), _copy(params),
                      case=label)
        dh, dW2, db2 = g.unpack(mine, ["dh", "dW2", "db2"], label)
        g.compare("dh", label, dh, grads["h"], hint="dh = dlogits @ W2 (shape of h: N x hidden)")
        g.compare("dW2", label, dW2, grads["W2"],
                  hint="dW2 = dlogits.T @ h (shape of W2: classes x hidden)")
        g.compare("db2", label, db2, grads["b2"],
                  mistakes=[("the MEAN of dlogits over the batch: b2 is added to every row, so "
                             "it collects the SUM", upstream.mean(axis=0))],
                  hint="b2 is broadcast over the batch: sum dlogits over axis 0")


def _tanh(g):
    for label, cache, grads, params in _cases(g):
        upstream = grads["h"]
        mine = g.call("tanh_backward", upstream.copy(), _copy(cache), case=label)
        g.compare("dhpre", label, mine, grads["hpre"], values={"h": cache["h"]},
                  mistakes=[("dh * (1 - h): tanh's derivative is 1 - tanh^2, i.e. 1 - h**2",
                             upstream * (1 - cache["h"])),
                            ("dh * (1 - hpre**2): square tanh's OUTPUT h, not its input",
                             upstream * (1 - cache["hpre"] ** 2)),
                            ("1 - h**2 without the upstream dh", 1 - cache["h"] ** 2)],
                  hint="dhpre = dh * (1 - h ** 2)")


def _batchnorm(g):
    for label, cache, grads, params in _cases(g):
        upstream, gamma = grads["hpre"], params["gamma"]
        n, hat, s = len(upstream), cache["bn_hat"], cache["bn_std_inv"]
        mine = g.call("batchnorm_backward", upstream.copy(), _copy(cache), _copy(params),
                      case=label)
        dbn_in, dgamma, dbeta = g.unpack(mine, ["dbn_in", "dgamma", "dbeta"], label)
        g.compare("dgamma", label, dgamma, grads["gamma"],
                  mistakes=[("sum(dhpre * hpre): gamma multiplies the NORMALISED bn_hat",
                             (upstream * cache["hpre"]).sum(axis=0))],
                  hint="dgamma = sum over the batch of dhpre * bn_hat")
        g.compare("dbeta", label, dbeta, grads["beta"],
                  mistakes=[("the mean over the batch: beta collects the SUM",
                             upstream.mean(axis=0))],
                  hint="dbeta = sum over the batch of dhpre")
        direct = gamma * s * upstream
        g.compare("dbn_in", label, dbn_in, grads["bn_in"], values={"bn_in": cache["bn_in"]},
                  mistakes=[("only the direct path gamma * bn_std_inv * dhpre: bn_mean and "
                             "bn_var depend on every input too", direct),
                            ("the path through the variance is missing",
                             direct - direct.mean(axis=0)),
                            ("the path through the mean is missing",
                             direct - hat * (direct * hat).mean(axis=0)),
                            ("without gamma: dbn_hat = gamma * dhpre",
                             direct / gamma - (direct / gamma).mean(axis=0)
                             - hat * (direct / gamma * hat).mean(axis=0)),
                            ("N times too large: a 1/N is missing (the mean and the variance "
                             "are means over N)", n * grads["bn_in"])],
                  hint="lesson 5: dbn_in = gamma * bn_std_inv / N * (N * dhpre - sum(dhpre) "
                       "- bn_hat * sum(dhpre * bn_hat)), sums over the batch")


def _linear1(g):
    import minigrad as mg
    for label, cache, grads, params in _cases(g):
        # The network's dbn_in sums to zero over the batch (lesson 15's question 2): autograd's
        # db1 is rounding noise (~1e-17), so it is judged against 0 there, and a random
        # upstream, whose sum is not 0, grades db1 for real.
        cases = [(label, grads["bn_in"], grads["W1"], np.zeros_like(grads["b1"]))]
        upstream = g.rng.standard_normal(grads["bn_in"].shape)
        W1, b1 = (mg.tensor(params[k].copy(), requires_grad=True) for k in ("W1", "b1"))
        (mg.tensor(cache["x"]) @ W1.T + b1).backward(upstream)
        cases.append((label.split(",")[0] + ", random upstream", upstream, W1.grad.data,
                      b1.grad.data))
        for case, up, want_W1, want_b1 in cases:
            mine = g.call("linear1_backward", up.copy(), _copy(cache), _copy(params), case=case)
            dW1, db1 = g.unpack(mine, ["dW1", "db1"], case)
            g.compare("dW1", case, dW1, want_W1, hint="dW1 = dbn_in.T @ x (shape of W1)")
            g.compare("db1", case, db1, want_b1,
                      mistakes=[("the mean over the batch: b1 is added to every row, so it "
                                 "collects the SUM", up.mean(axis=0))],
                      hint="db1 = sum of dbn_in over the batch (axis 0)")


NETWORK_BACKWARD = Task(
    "network_backward: the backward pass of Linear -> BatchNorm1d -> tanh -> Linear -> "
    "cross-entropy, by hand (lesson 15)",
    [Part("logits_backward", _dlogits, "write logits_backward"),
     Part("linear2_backward", _linear2, "write linear2_backward"),
     Part("tanh_backward", _tanh, "write tanh_backward"),
     Part("batchnorm_backward", _batchnorm, "write batchnorm_backward"),
     Part("linear1_backward", _linear1, "write linear1_backward")],
    about="each layer gets autograd's true upstream gradient and the forward's saved values, on "
          "the lesson's digits batch and a small random network; the reference is minigrad's "
          "autograd of the same forward")

TASKS = {"network_backward": NETWORK_BACKWARD}
