"""Worked solution of tutorials/exercises/hvp.py (lesson 12).

g = grad f(x) recorded with create_graph=True is a Tensor with its own graph back to x;
sum(g * v) is a scalar whose gradient is sum_j v_j d g_j / d x_i = (H v)_i, since H is
symmetric. The finite difference is the directional derivative of the gradient along v,
exact to O(h^2).

    minigrad check tutorials/solutions/hvp.py --exercise hvp
"""
import numpy as np

import minigrad as mg


def hvp(f, x, v):
    xt = mg.Tensor(x, requires_grad=True)
    (g,) = mg.grad(f(xt), xt, create_graph=True)
    (hv,) = mg.grad((g * mg.Tensor(v)).sum(), xt)
    return hv.data


def finite_difference_hvp(grad_f, x, v, h=1e-5):
    return (grad_f(x + h * v) - grad_f(x - h * v)) / (2 * h)
