"""Worked solution of tutorials/exercises/seed_running_variance.py (lesson 11, E29).

The biased variance of m examples, (1/m) sum (x_i - mean)^2, has expectation (m - 1)/m times
the true variance (one degree of freedom goes to the sample mean). An exponential average of
such values converges to that expectation, so the seed's running variance is (m - 1)/m of the
truth; multiplying each batch's variance by m/(m - 1) (ddof=1) removes the bias. Both streams
see the same batches, so their ratio shows the factor with little noise.

    minigrad check tutorials/solutions/seed_running_variance.py --exercise seed_running_variance
"""
import numpy as np


def running_variance(batches, momentum=0.1, unbiased=True):
    running = np.ones(np.shape(batches[0])[1])
    for batch in batches:
        running = (1 - momentum) * running + momentum * np.var(batch, axis=0,
                                                                ddof=1 if unbiased else 0)
    return running


def shrink_factor(m):
    return (m - 1) / m


def measured_shrink(m, seed=0):
    rng = np.random.default_rng(seed)
    batches = [rng.normal(0, 3, (m, 3)) for _ in range(2000)]
    seed_version = running_variance(batches, 0.01, unbiased=False)
    fixed = running_variance(batches, 0.01, unbiased=True)
    return float(np.mean(seed_version / fixed))
