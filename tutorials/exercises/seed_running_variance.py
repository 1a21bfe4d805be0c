"""Exercise (lesson 11): reproduce one seed's numeric mistake, then fix it (E29).

A seed text (lesson 11's index, E29; lesson 4 shows it) updates BatchNorm's running variance
with the BIASED variance of each batch, np.var(x, axis=0). Over many batches of m examples the
running variance then converges to (m - 1)/m of the true variance, not to the variance: 3/4 of
it for m = 4, half of it for m = 2. PyTorch (and layers.BatchNorm1d) update it with the
unbiased variance, var * m / (m - 1), which converges to the truth.

Your task: write
  1. running_variance(batches, momentum=0.1, unbiased=True): the running variance of a
     BatchNorm layer, shape (D,), after the batches (each of shape (m, D)) in order, starting
     from 1, with PyTorch's update  running <- (1 - momentum) * running + momentum * batch_var,
     batch_var unbiased (ddof=1) or, to reproduce the seed, biased (ddof=0).
  2. shrink_factor(m): what the seed's estimate converges to as a fraction of the true
     variance, for batches of m examples (the expected biased variance over the true one).
  3. measured_shrink(m, seed=0): reproduce it: draw 2000 batches of m examples with 3 features
     from N(0, 9) (rng = np.random.default_rng(seed); rng.normal(0, 3, (m, 3)) for each batch,
     in order), run running_variance on them with momentum 0.01, biased and unbiased, and
     return the biased result over the unbiased one, averaged over the 3 features: a float
     near shrink_factor(m).
Common slips: starting the running variance at 0 (E28: eval would divide by sqrt(0 + eps));
the Keras momentum; m / (m - 1) instead of its inverse.

Grade it (exit status 0 when every part is right), about 15 minutes:

    minigrad check tutorials/exercises/seed_running_variance.py --exercise seed_running_variance

A worked solution is in tutorials/solutions/seed_running_variance.py: open it after you have
tried.
"""
import numpy as np


def running_variance(batches, momentum=0.1, unbiased=True):
    """The running variance, shape (D,), after `batches`, starting from 1 (step 1)."""
    raise NotImplementedError(
        "start from ones, then for each batch: running = (1 - momentum) * running + momentum * "
        "np.var(batch, axis=0, ddof=1 if unbiased else 0); return running (step 1)")


def shrink_factor(m):
    """E[biased variance] / true variance for batches of m examples (step 2)."""
    raise NotImplementedError(
        "return the factor that the biased variance of m examples underestimates the true "
        "variance by, on average (step 2)")


def measured_shrink(m, seed=0):
    """The seed's running variance over PyTorch's, measured on 2000 batches (step 3)."""
    raise NotImplementedError(
        "draw 2000 batches rng.normal(0, 3, (m, 3)), run running_variance with momentum 0.01 "
        "biased and unbiased, and return mean(biased / unbiased) (step 3)")
