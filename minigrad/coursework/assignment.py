"""Checking a whole assignment at once: every function of a student's file, one table.

check_assignment(module) finds the assignment's functions by name (cs231n.py lists them with
their signatures and the notebooks' setups), runs check_backward on each pair with the
notebook's inputs and a minigrad reference, and gathers the verdicts:

    PASS      every gradient and the forward output agree with every oracle
    FAIL      a gradient or the output is wrong, or the code raised (the hint says which)
    HANG      a call ran past the time limit
    SKIPPED   not written yet: the function is missing, raises NotImplementedError or
              returns None (CS231n's templates return None until the TODO is done)

The AssignmentReport prints as one table (function, verdict, worst relative error, hint),
turns into plain data (to_dict, for --format json), into Gradescope's results.json
(gradescope()), and into an HTML table in Jupyter.
"""
from __future__ import annotations

import copy
import functools
import html
import textwrap

import numpy as np

from minigrad.coursework import cs231n
from minigrad.coursework.check import THRESHOLD, check_backward
from minigrad.coursework.report import json_number, html_table
from minigrad.coursework.runner import DEFAULT_TIMEOUT

ASSIGNMENTS = {"cs231n": ("CS231n assignment 2 (the layers of cs231n/layers.py)", cs231n.CASES)}
SEED = 231           # the notebooks' np.random.seed(231)


class Result:
    """One row of the table: a case, its verdict, and the full CheckReport behind it."""

    def __init__(self, case, verdict, hint="", report=None):
        self.case, self.verdict, self.hint, self.report = case, verdict, hint, report

    @property
    def function(self):
        """The function the row is named by: the backward (or the loss)."""
        name = self.case.backward or self.case.forward
        return name + " (test mode)" if self.case.name == "dropout_test" else name

    @property
    def worst(self):
        return None if self.report is None else self.report.worst_error()

    def to_dict(self):
        return {"name": self.case.name, "function": self.function,
                "forward": self.case.forward, "backward": self.case.backward,
                "verdict": self.verdict, "worst_relative_error": json_number(self.worst),
                "hint": self.hint, "report": self.report.to_dict() if self.report else None}


class AssignmentReport:
    """The verdict of every function of an assignment; `.passed`, `.results`, `[name]`."""

    def __init__(self, title, results):
        self.title, self.results = title, results
        # how to see one function's full report; the command line puts its command here
        self.details = "the full report of one function: report['NAME'].report"

    @property
    def passed(self):
        return bool(self.results) and all(r.verdict == "PASS" for r in self.results)

    @property
    def score(self):
        return sum(r.verdict == "PASS" for r in self.results)

    def __getitem__(self, name):
        for r in self.results:
            if name in (r.case.name, r.function, r.case.backward):
                return r
        raise KeyError(f"assignment report: no function {name!r}; the rows are "
                       f"{[r.case.name for r in self.results]}")

    def _cells(self):
        header = ["function", "verdict", "worst rel err", "hint"]
        body = [[r.function, r.verdict, "-" if r.worst is None else f"{r.worst:.1e}", r.hint]
                for r in self.results]
        return header, body

    def __str__(self):
        header, body = self._cells()
        widths = [max(len(row[i]) for row in [header] + body) for i in range(3)]
        indent = sum(widths) + 2 * 3
        lines = [self.title, f"  each function runs on its notebook's inputs (seed {SEED}) and is "
                             f"compared with", "  finite differences and a minigrad reference",
                 ""]
        for row in [header] + body:
            left = "  ".join(c.ljust(w) for c, w in zip(row, widths))
            hint = textwrap.wrap(row[3], max(40, 100 - indent), break_long_words=False) or [""]
            lines.append((left + "  " + hint[0]).rstrip())
            lines += [" " * indent + more for more in hint[1:]]
        lines.append("")
        counts = {v: sum(r.verdict == v for r in self.results)
                  for v in ("PASS", "FAIL", "HANG", "SKIPPED")}
        lines.append(f"{counts['PASS']} of {len(self.results)} pass" + "".join(
            f", {n} {v.lower()}" for v, n in counts.items() if n and v != "PASS") + ".")
        if self.passed:
            lines.append("PASSED: every function is right.")
        elif any(r.report is not None for r in self.results if r.verdict != "PASS"):
            lines.append(self.details)
        printed = sum(1 for r in self.results if r.report is not None and r.report.printed)
        if printed:
            lines.append(f"note: your code printed something in {printed} function"
                         f"{'s' * (printed != 1)}; the full report of one shows it.")
        return "\n".join(lines)

    __repr__ = __str__

    def to_dict(self):
        return {"title": self.title, "passed": self.passed, "score": self.score,
                "max_score": len(self.results), "functions": [r.to_dict() for r in self.results]}

    def gradescope(self):
        """Gradescope's results.json: one test per function, 1 point each."""
        tests = [{"name": f"{r.function} ({r.case.forward})", "score": float(r.verdict == "PASS"),
                  "max_score": 1.0, "status": "passed" if r.verdict == "PASS" else "failed",
                  "output": str(r.report) if r.report is not None else r.hint}
                 for r in self.results]
        return {"score": float(self.score), "output": str(self), "tests": tests}

    def _repr_html_(self):
        header, body = self._cells()
        lines = str(self).split("\n")
        footer = lines[next(k for k in range(len(lines) - 1, -1, -1) if not lines[k]) + 1:]
        return (f"<p><b>{html.escape(self.title)}</b></p>\n" + html_table(header, body) +
                "\n<pre>" + html.escape("\n".join(footer)) + "</pre>")


def check_assignment(functions, assignment="cs231n", *, only=None, timeout=DEFAULT_TIMEOUT,
                     threshold=THRESHOLD):
    """Check every function of an assignment found in `functions` (a module, or a dict of
    name -> function); return an AssignmentReport. only: names of rows or functions to check
    (default all). timeout: seconds per call of the student's code."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"check_assignment: unknown assignment {assignment!r}; known: "
                         f"{sorted(ASSIGNMENTS)}")
    title, cases = ASSIGNMENTS[assignment]
    if only:
        known = {n for c in cases for n in (c.name, c.forward, c.backward) if n}
        unknown = sorted(set(only) - known)
        if unknown:
            raise ValueError(f"check_assignment: {assignment} has no function {unknown[0]!r}; "
                             f"the rows are {[c.name for c in cases]}")
        cases = [c for c in cases if {c.name, c.forward, c.backward} & set(only)]
    lookup = functions.get if isinstance(functions, dict) else (
        lambda name: getattr(functions, name, None))
    return AssignmentReport(title, [_check_case(case, lookup, timeout, threshold)
                                    for case in cases])


def _check_case(case, lookup, timeout, threshold):
    student_forward = lookup(case.forward)
    student_backward = lookup(case.backward) if case.backward else None
    missing = [n for n, fn in ((case.forward, student_forward),
                               (case.backward, student_backward)) if n and not callable(fn)]
    if missing:
        return Result(case, "SKIPPED", f"{' and '.join(missing)} not found in your file")
    inputs, params, dout = case.setup(np.random.RandomState(SEED))
    seen = {}

    @functools.wraps(student_forward)
    def forward(*arrays):
        result = student_forward(*arrays, *copy.deepcopy(params))
        seen.setdefault("first", (arrays, result))
        return result

    if case.backward:
        backward = student_backward
    else:                                   # a loss returns (loss, dx): dx is its "cache"
        def backward(dout, dx):
            return dx
        backward.__name__ = f"{case.forward} (its dx)"

    def reference(*tensors):
        make = case.reference
        if make is cs231n.dropout:
            train = params[0]["mode"] == "train"
            make = cs231n.dropout(_seen_mask(seen, params[0], report_hints) if train else None)
        return make(*tensors, *params)
    reference.__name__ = case.reference.__name__
    report_hints = []
    report = check_backward(forward, backward, inputs, reference, dout=dout, timeout=timeout,
                            threshold=threshold)
    if report.output is not None and not report.output.ok:
        report.output.hints[:0] = report_hints
    if report.passed:
        verdicts = {row.verdict for row in report.rows}
        hint = ("ok*: finite differences unreliable here; the references agree"
                if "ok*" in verdicts else
                "ok~: finite differences too noisy on the tiniest elements; the rest agree"
                if "ok~" in verdicts else "")
        return Result(case, "PASS", hint, report)
    verdict = {"unfinished": "SKIPPED", "hang": "HANG"}.get(report.status, "FAIL")
    hint = report.first_hint()
    return Result(case, verdict, hint, report)


def _seen_mask(seen, dropout_param, hints):
    """The mask the student's dropout drew (out / x), when it is 0 or 1/p everywhere;
    otherwise CS231n's own mask for the seed, and a hint on what is off."""
    arrays, result = seen.get("first", ((None,), None))
    x = arrays[0]
    try:
        out = np.asarray(result[0], dtype=np.float64)
        mask = out / x
    except Exception:
        mask = None
    p = dropout_param["p"]
    if mask is not None and mask.shape == x.shape and np.all(
            np.isclose(mask, 0, atol=1e-12) | np.isclose(mask, 1 / p, rtol=1e-9)):
        return mask
    if mask is not None and mask.shape == x.shape and np.all(
            np.isclose(mask, 0, atol=1e-12) | np.isclose(mask, 1 / (1 - p), rtol=1e-9)):
        hints.append(f"your mask keeps units scaled by 1/(1 - p): in CS231n p = {p} is the "
                     f"probability of keeping a unit, so mask = (np.random.rand(*x.shape) < p) / p")
    else:
        hints.append("in training mode dropout's output is x / p where a unit is kept and 0 "
                     "where it is dropped (inverted dropout, p = probability of keeping)")
    return cs231n.dropout_mask(x, dropout_param)
