"""Worked solution of tutorials/exercises/broadcasting.py (lesson 2).

Puzzle 1: out = a + b. Aligned from the right, a (3, 1) is repeated along axis 1 of out
(4 copies), b (4,) gains axis 0 (3 copies). d out / d a = 1 for every copy, so
    da = dout.sum(axis=1, keepdims=True)   (3, 1)     db = dout.sum(axis=0)   (4,)
Puzzle 2: out = x * w. d out / d x = w (broadcast), so dx = dout * w, of x's shape already.
w (3, 1) aligns with x's last two axes (3, 4): it is repeated along axis 0 (a new axis) and
axis 2 (its size-1 axis), so
    dw = (dout * x).sum(axis=(0, 2))[:, None]   (3, 1)   (sum over axis 0, then keepdims on 2)

    minigrad check tutorials/solutions/broadcasting.py --exercise broadcasting
"""
import numpy as np


def puzzle1_forward(a, b):
    return a + b


def puzzle1_backward(dout, a, b):
    da = dout.sum(axis=1, keepdims=True)
    db = dout.sum(axis=0)
    return da, db


def puzzle2_forward(x, w):
    return x * w


def puzzle2_backward(dout, x, w):
    dx = dout * w
    dw = (dout * x).sum(axis=0).sum(axis=1, keepdims=True)
    return dx, dw
