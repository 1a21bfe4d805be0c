"""Exercise (lesson 2): two broadcasting-gradient puzzles.

Lesson 2's rule: an input that broadcasting repeated along an axis receives the SUM of the
upstream gradient along that axis, reshaped to the input's own shape. Both puzzles give you
the forward and the upstream gradient dout (the gradient of the loss with respect to `out`);
return the gradient of each input, each with its input's shape.

Puzzle 1:  out = a + b        a of shape (3, 1), b of shape (4,)         ->  out (3, 4)
Puzzle 2:  out = x * w        x of shape (2, 3, 4), w of shape (3, 1)    ->  out (2, 3, 4)

Your task: write puzzle1_backward(dout, a, b) -> (da, db) and puzzle2_backward(dout, x, w)
-> (dx, dw). Work it out on paper first: line the shapes up from the right, as NumPy does;
which axes of `out` did each input not have, or have with size 1?
Common slips: returning da with shape (3, 4) (not summed), or (3,) (the kept axis of size 1
dropped); in puzzle 2, dw = sum(dout) without the factor x, or summed over axis 0 only.

Grade it (exit status 0 when every gradient is right), about 15 minutes:

    minigrad check tutorials/exercises/broadcasting.py --exercise broadcasting

The grader runs each puzzle on two seeded draws and compares with minigrad's autograd.
A worked solution is in tutorials/solutions/broadcasting.py: open it after you have tried.
"""
import numpy as np


def puzzle1_forward(a, b):
    return a + b


def puzzle1_backward(dout, a, b):
    """(da, db) for out = a + b, a (3, 1), b (4,), dout (3, 4)."""
    raise NotImplementedError(
        "return (da, db) for out = a + b with a (3, 1) and b (4,): sum dout over the axes each "
        "input was repeated along, keeping the input's shape (puzzle 1)")


def puzzle2_forward(x, w):
    return x * w


def puzzle2_backward(dout, x, w):
    """(dx, dw) for out = x * w, x (2, 3, 4), w (3, 1), dout (2, 3, 4)."""
    raise NotImplementedError(
        "return (dx, dw) for out = x * w with x (2, 3, 4) and w (3, 1): multiply by the other "
        "factor, then sum over the axes w was broadcast along, keeping w's shape (puzzle 2)")
