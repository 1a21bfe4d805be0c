"""Exercise (lesson 1): a new operation's local derivative, and the finite-difference check.

softplus(x) = log(1 + exp(x)) is a smooth ReLU. As an operation of the engine it needs one
thing only: its local derivative d softplus / dx at the value it saw (lesson 1, section 2).
Then, as lesson 1 does for L = tanh(w*x + b)^2, check that derivative with central differences.

Your task: write the three functions below marked TODO.
  1. softplus_local_derivative(x): d softplus(x) / dx for every element of the array x.
     Hint: differentiate log(1 + e^x); the result has a name you met in the lesson's Questions.
     It must stay finite for x = -800 and x = 800 (e^800 overflows to inf: which form of the
     answer never computes it?).
  2. central_difference(f, x, h): for a function f applied element by element, the array
     (f(x + h) - f(x - h)) / (2h), an estimate of f'(x) at every element of x.
  3. gradient_check(f, df, x, h): the largest relative error between df(x) (your derivative)
     and central_difference(f, x, h), with CS231n's measure max |a - b| / max(1e-8, |a| + |b|).
     It is tiny (below 1e-8) when df is right, and large when it is not.
Common slips: the one-sided difference (f(x + h) - f(x)) / h (its error shrinks like h, not
h^2: the grader tells them apart); dividing by h instead of 2h; exp(x) / (1 + exp(x)), which is
NaN at x = 800.

Grade it (exit status 0 when every part is right), about 15 minutes:

    minigrad check tutorials/exercises/local_derivative.py --exercise local_derivative

A worked solution is in tutorials/solutions/local_derivative.py: open it after you have tried.
"""
import numpy as np


def softplus(x):
    """log(1 + exp(x)), computed without overflow: the forward of the new operation."""
    return np.logaddexp(0.0, x)


def softplus_local_derivative(x):
    """d softplus(x) / dx, element by element (TODO 1)."""
    raise NotImplementedError(
        "write d softplus / dx = d log(1 + e^x) / dx for every element of x, finite at "
        "x = +-800 (step 1 of this file's docstring)")


def central_difference(f, x, h=1e-5):
    """(f(x + h) - f(x - h)) / (2h) for an elementwise f (TODO 2)."""
    raise NotImplementedError(
        "return (f(x + h) - f(x - h)) / (2 * h), the central difference of the elementwise "
        "function f at every element of x (step 2)")


def gradient_check(f, df, x, h=1e-5):
    """max |df(x) - c| / max(1e-8, |df(x)| + |c|) with c = central_difference(f, x, h) (TODO 3)."""
    raise NotImplementedError(
        "compare df(x) with central_difference(f, x, h) and return the largest relative error "
        "max |a - b| / max(1e-8, |a| + |b|), a float (step 3)")
