"""Exercise (lesson 12): a Hessian-vector product through a layer, by double backward.

Lesson 12 differentiates a gradient: with create_graph=True the backward pass is itself
recorded, so the gradient is a function you can differentiate again. The Hessian-vector
product H v of a scalar f at x, where H is the matrix of second derivatives, is then

    H v = d/dx (grad f(x) . v)            one backward to get g = grad f(x), kept as a graph,
                                          a second backward of sum(g * v)

without ever forming H (n^2 numbers). A finite-difference check of it needs only gradients:

    H v  ~  (grad f(x + h v) - grad f(x - h v)) / (2h)

Your task: write
  1. hvp(f, x, v): f maps a minigrad Tensor to a scalar Tensor; x and v are float64 arrays of
     the same shape. Return H v as an array of x's shape. Use mg.grad(y, xt, create_graph=True)
     for the first gradient (xt = mg.Tensor(x, requires_grad=True)), then mg.grad again.
  2. finite_difference_hvp(grad_f, x, v, h=1e-5): grad_f maps an array to its gradient
     (an array); return the central difference above.
Common slips: the first gradient without create_graph=True (the second backward then sees a
constant and fails or returns nothing); differentiating sum(g) instead of sum(g * v); a
one-sided difference.

Grade it (exit status 0 when every part is right), about 20 minutes:

    minigrad check tutorials/exercises/hvp.py --exercise hvp

It runs hvp on three functions (a tanh, a LayerNorm with a weighted square, a small tanh
network) and compares with PyTorch's torch.autograd.functional.hvp when installed and with
central differences of minigrad's first-order gradient.
A worked solution is in tutorials/solutions/hvp.py: open it after you have tried.
"""
import numpy as np

import minigrad as mg


def hvp(f, x, v):
    """H v of the scalar function f at x, by double backward (step 1)."""
    raise NotImplementedError(
        "make xt = mg.Tensor(x, requires_grad=True), g = mg.grad(f(xt), xt, create_graph=True)"
        "[0], then return mg.grad((g * mg.Tensor(v)).sum(), xt)[0] as an array (step 1)")


def finite_difference_hvp(grad_f, x, v, h=1e-5):
    """(grad_f(x + h v) - grad_f(x - h v)) / (2h) (step 2)."""
    raise NotImplementedError(
        "return (grad_f(x + h * v) - grad_f(x - h * v)) / (2 * h) (step 2)")
