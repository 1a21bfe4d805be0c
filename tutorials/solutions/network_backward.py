"""Worked solution (lesson 15): the backward pass of a whole network, by hand.

Grade it with
    minigrad check tutorials/solutions/network_backward.py --exercise network_backward

How it is derived: read the forward bottom-up and, for each line out = f(a, b), send
d(out) times f's local derivative to each input, summed over the axes the input was
broadcast along (lesson 2).
  * loss = -(1/N) sum_i log softmax(logits)_i[y_i]. For one row, d(-log softmax_y)/dlogit_k =
    softmax_k - [k == y]; the mean divides by N: dlogits = (probs - onehot) / N.
  * logits = h @ W2.T + b2 (lesson 2's matmul): dh = dlogits @ W2, dW2 = dlogits.T @ h, and b2,
    added to every row, collects the sum of dlogits over the batch. Check the shapes: each
    gradient has its variable's shape.
  * h = tanh(hpre): tanh' = 1 - tanh^2 = 1 - h^2, so dhpre = dh * (1 - h^2).
  * hpre = gamma * bn_hat + beta: dgamma = sum(dhpre * bn_hat), dbeta = sum(dhpre) over the
    batch; and lesson 5's closed form for the rest, with g = dhpre:
        dbn_in = gamma * bn_std_inv / N * (N g - sum(g) - bn_hat * sum(g * bn_hat))
    (the two sums come from the mean and the variance, which depend on every input).
  * bn_in = x @ W1.T + b1: dW1 = dbn_in.T @ x, db1 = sum of dbn_in over the batch (which is
    zero for the network's own dbn_in: lesson 15's question 2).
"""
import numpy as np

EPS = 1e-5


def forward(x, y, params):
    """The network's forward in NumPy: (loss, cache). Not graded: for your own experiments."""
    bn_in = x @ params["W1"].T + params["b1"]
    bn_mean = bn_in.mean(axis=0, keepdims=True)
    bn_var = ((bn_in - bn_mean) ** 2).mean(axis=0, keepdims=True)
    bn_std_inv = (bn_var + EPS) ** -0.5
    bn_hat = (bn_in - bn_mean) * bn_std_inv
    hpre = params["gamma"] * bn_hat + params["beta"]
    h = np.tanh(hpre)
    logits = h @ params["W2"].T + params["b2"]
    counts = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = counts / counts.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(len(y)), y]).mean()
    cache = dict(x=x, y=y, bn_in=bn_in, bn_mean=bn_mean, bn_var=bn_var, bn_std_inv=bn_std_inv,
                 bn_hat=bn_hat, hpre=hpre, h=h, logits=logits, probs=probs)
    return loss, cache


def logits_backward(cache):
    probs, y = cache["probs"], cache["y"]
    onehot = np.eye(probs.shape[1])[y]
    return (probs - onehot) / len(y)


def linear2_backward(dlogits, cache, params):
    dh = dlogits @ params["W2"]
    dW2 = dlogits.T @ cache["h"]
    db2 = dlogits.sum(axis=0)
    return dh, dW2, db2


def tanh_backward(dh, cache):
    return dh * (1 - cache["h"] ** 2)


def batchnorm_backward(dhpre, cache, params):
    bn_hat, n = cache["bn_hat"], len(dhpre)
    dgamma = (dhpre * bn_hat).sum(axis=0)
    dbeta = dhpre.sum(axis=0)
    dbn_in = params["gamma"] * cache["bn_std_inv"] / n * (
        n * dhpre - dhpre.sum(axis=0) - bn_hat * (dhpre * bn_hat).sum(axis=0))
    return dbn_in, dgamma, dbeta


def linear1_backward(dbn_in, cache, params):
    dW1 = dbn_in.T @ cache["x"]
    db1 = dbn_in.sum(axis=0)
    return dW1, db1
