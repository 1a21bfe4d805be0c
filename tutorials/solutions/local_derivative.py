"""Worked solution of tutorials/exercises/local_derivative.py (lesson 1).

  1. d/dx log(1 + e^x) = e^x / (1 + e^x) = 1 / (1 + e^-x) = sigmoid(x). The first form is
     inf / inf = NaN at x = 800 and the second overflows e^-x at x = -800 (to inf, and
     1 / inf = 0: right, but with a warning); splitting by sign computes e^-|x| only, which
     never overflows.
  2. The central difference: the Taylor terms of order h cancel between f(x + h) and f(x - h),
     so its error is f'''(x) h^2 / 6 (plus rounding of order 1e-16 / h).
  3. CS231n's relative error, elementwise, then the largest.

    minigrad check tutorials/solutions/local_derivative.py --exercise local_derivative
"""
import numpy as np


def softplus(x):
    """log(1 + exp(x)), computed without overflow: the forward of the new operation."""
    return np.logaddexp(0.0, x)


def softplus_local_derivative(x):
    """sigmoid(x), from e^-|x| so that nothing overflows."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def central_difference(f, x, h=1e-5):
    """(f(x + h) - f(x - h)) / (2h) for an elementwise f."""
    x = np.asarray(x, dtype=np.float64)
    return (f(x + h) - f(x - h)) / (2 * h)


def gradient_check(f, df, x, h=1e-5):
    """The largest CS231n relative error between df(x) and the central difference."""
    a = np.asarray(df(x), dtype=np.float64)
    b = central_difference(f, x, h)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
