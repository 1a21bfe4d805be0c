"""Coursework: grading a student's hand-written NumPy backward pass.

  check.py   check_backward: runs the student's forward and backward and compares
             every gradient with finite differences, minigrad's autograd and PyTorch
  report.py  the measure (relative error), the table and the hints for a wrong gradient

The engine never imports this part; the command line (`minigrad check`) does.
"""
from minigrad.coursework.check import THRESHOLD, check_backward
from minigrad.coursework.report import rel_error

__all__ = ["check_backward", "rel_error", "THRESHOLD"]
