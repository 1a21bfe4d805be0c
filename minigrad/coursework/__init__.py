"""Coursework: grading a student's hand-written NumPy backward pass, and other exercises.

  check.py       check_backward: runs the student's forward and backward and compares
                 every gradient with finite differences, minigrad's autograd and PyTorch
  runner.py      calling the student's code: a time limit per call, printing kept aside
  oracles.py     finite differences (and when they cannot judge), autograd, PyTorch
  report.py      the measure (relative error), the table, JSON and HTML
  hints.py       the hints for a wrong gradient
  cs231n.py      CS231n assignment 2's functions: signatures, the notebook's setups, references
  assignment.py  check_assignment: every function of a student's file, one table, Gradescope
  task.py        check_task: exercises that are not a backward pass, run on seeded cases
                 against a reference, one row per part and case (report.py's rows and hints)

The engine never imports this part; the command line (`minigrad check`) does.
"""
from minigrad.coursework.assignment import check_assignment
from minigrad.coursework.check import THRESHOLD, check_backward
from minigrad.coursework.report import rel_error
from minigrad.coursework.task import check_task

__all__ = ["check_assignment", "check_backward", "check_task", "rel_error", "THRESHOLD"]
