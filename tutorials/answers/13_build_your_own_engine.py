"""Worked answers to lesson 13's questions (build your own engine). Try the questions first.

Run it:  python tutorials/answers/13_build_your_own_engine.py
Each answer is worked out in the comments and checked in code below it.
"""
# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the course folder, for _lesson

from _lesson import check, section


class Value:
    """Lesson 13's Value, with a switch: add to the parents' grad, or assign it."""

    def __init__(self, data, parents=(), assign=False):
        self.data, self.grad, self.parents, self.assign = float(data), 0.0, parents, assign
        self._backward = lambda: None

    def _give(self, parent, amount):
        parent.grad = amount if self.assign else parent.grad + amount

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), self.assign)
        out._backward = lambda: (self._give(self, out.grad), self._give(other, out.grad))
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other, assign=self.assign)
        out = Value(self.data * other.data, (self, other), self.assign)
        out._backward = lambda: (self._give(self, other.data * out.grad),
                                 self._give(other, self.data * out.grad))
        return out

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents if id(p) not in seen)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


# %% [markdown]
# ## Question 1. Why must `_backward` ADD to a parent's grad instead of assigning it?
# A parent used twice receives a share from each use, and the chain rule sums over the paths
# (lesson 1, section 6). Assigning keeps only the last share. The smallest case is a + a: the
# node + has the same parent twice, so d(a + a)/da = 2, but assigning leaves a.grad = 1.

# %%
section("Question 1: assigning instead of adding loses every share but the last")
for assign in (False, True):
    a = Value(3.0, assign=assign)
    (a + a).backward()
    print(f"  {'assign' if assign else 'add':6s}: d(a + a)/da = {a.grad}")
    check(f"{'assigning' if assign else 'adding'} gives {1.0 if assign else 2.0}",
          a.grad == (1.0 if assign else 2.0))

# %% [markdown]
# ## Question 2. Write a - b with the operations we have.
# a - b = a + (-1) * b: one multiplication by the constant -1 and one addition. The walk then
# gives d(a - b)/da = 1 (through +) and d(a - b)/db = 1 * (-1) = -1 (through + then *): the
# local derivatives of subtraction, without writing a new _backward.

# %%
section("Question 2: a - b as a + (-1) * b")
a, b = Value(5.0), Value(2.0)
difference = a + b * -1
difference.backward()
print(f"  a - b = {difference.data}; d/da = {a.grad}, d/db = {b.grad}")
check("a + (-1) * b is a - b with gradients 1 and -1",
      (difference.data, a.grad, b.grad) == (3.0, 1.0, -1.0))
