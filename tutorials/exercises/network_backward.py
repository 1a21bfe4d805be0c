"""Exercise (lesson 15): the backward pass of a whole network, by hand, one layer at a time.

The network of lesson 15, on a batch of N examples with labels y:
    bn_in  = x @ W1.T + b1                                   (N, H)   first Linear
    bn_mean, bn_var = mean and BIASED variance of bn_in over the batch (axis 0), shape (1, H)
    bn_std_inv = 1 / sqrt(bn_var + 1e-5);  bn_hat = (bn_in - bn_mean) * bn_std_inv
    hpre   = gamma * bn_hat + beta                           (N, H)   BatchNorm's output
    h      = tanh(hpre)                                      (N, H)
    logits = h @ W2.T + b2                                   (N, C)   second Linear
    loss   = mean over the batch of -log softmax(logits)[i, y[i]]

Write the five functions below in NumPy. Each gets the gradient arriving from the layer above
(for logits_backward: none, it starts the walk), `cache`, the forward's saved values as NumPy
arrays (keys "x", "y", "bn_in", "bn_mean", "bn_var", "bn_std_inv", "bn_hat", "hpre", "h",
"logits", "probs" = softmax(logits)), and `params` (keys "W1", "b1", "gamma", "beta", "W2",
"b2"; W1 is (H, D) and W2 is (C, H), PyTorch's layout). Each returns gradients with the shapes
of what they are gradients of:
    logits_backward(cache)                      -> dlogits
    linear2_backward(dlogits, cache, params)    -> (dh, dW2, db2)
    tanh_backward(dh, cache)                    -> dhpre
    batchnorm_backward(dhpre, cache, params)    -> (dbn_in, dgamma, dbeta)
    linear1_backward(dbn_in, cache, params)     -> (dW1, db1)

The grader gives each function autograd's true upstream gradient, so each layer is graded on
its own, on the lesson's digits batch and on a small random network of other sizes. The
usual slips: a missing 1/N in dlogits (the loss is a mean); a bias gradient not summed over
the batch; tanh's derivative written 1 - h instead of 1 - h**2; in BatchNorm, forgetting that
the mean and the variance depend on every input (two extra terms in dbn_in, lesson 5).
forward() below computes the cache, if you want to try your functions on your own numbers.

Grade it with
    minigrad check tutorials/exercises/network_backward.py --exercise network_backward
which compares every gradient with minigrad's autograd, one row per gradient and case.
A worked solution is in tutorials/solutions/network_backward.py: try first.
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
    raise NotImplementedError("return dlogits, the gradient of the mean cross-entropy with "
                              "respect to the logits: (softmax - onehot(y)) / N")


def linear2_backward(dlogits, cache, params):
    raise NotImplementedError("return (dh, dW2, db2) for logits = h @ W2.T + b2")


def tanh_backward(dh, cache):
    raise NotImplementedError("return dhpre for h = tanh(hpre), using the saved h")


def batchnorm_backward(dhpre, cache, params):
    raise NotImplementedError("return (dbn_in, dgamma, dbeta) for BatchNorm's training-mode "
                              "forward: step by step or lesson 5's closed form")


def linear1_backward(dbn_in, cache, params):
    raise NotImplementedError("return (dW1, db1) for bn_in = x @ W1.T + b1")
