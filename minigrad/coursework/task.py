"""Grading exercises that are not a backward pass: run the student's functions on seeded cases
and compare what they return with a reference, part by part.

check_backward (check.py) grades forward(...) -> (out, cache) and backward(dout, cache). Many
exercises ask for something else: a local derivative and a finite-difference check, the
gradient of softmax cross-entropy, BatchNorm's running statistics batch after batch, a
Hessian-vector product. Each such exercise is a Task: a title and a list of Parts. A part is
a function part(grader) that calls the student's functions through the grader (grader.call:
a time limit per call, printing kept aside, exceptions turned into one readable line) and
hands each result to grader.compare with the value it should be. Every compare is one row:

    part                     case                shape  reference  max abs err  worst at  verdict
    softplus_local_derivative  x = 3 randn, (7,)   (7,)   1.1e-16    5.6e-17      (3,)      ok

The measure (CS231n's relative error), the row and the hints for a wrong value (a flipped
sign, a constant factor, a factor per row, a wrong shape ...) are report.py's and hints.py's,
as in check_backward; a part may add its own hints for known mistakes ("yours equals the
running variance updated with the biased variance"). A part whose function still raises
NotImplementedError (or returns None) is "not done yet": its row says so and the message of
the template's raise (what to do) is printed below the table. Other parts are still graded.

check_task(functions, task) -> TaskReport: `.passed`, `.rows`, prints as a table, `.to_dict()`,
Gradescope's results.json and HTML in Jupyter, like CheckReport.
"""
from __future__ import annotations

import html

import numpy as np

from minigrad.coursework.hints import shape_hint, value_hints
from minigrad.coursework.report import (
    Comparison, Row, comparison_cells, html_table, join_names, json_number, rel_error,
    shape_text, text_table,
    zero_floor, _wrap,
)
from minigrad.coursework.runner import DEFAULT_TIMEOUT, Runner, StudentError

THRESHOLD = 1e-7       # as check_backward's: right code agrees to ~1e-12, mistakes to 1e-3


class Part:
    """One graded part of a task: `run(grader)` calls the student's functions and compares.

    name: what the table calls it (usually the student's function); todo: what to do, shown
    when the student's file lacks the function."""

    def __init__(self, name, run, todo=""):
        self.name, self.run, self.todo = name, run, todo


class Task:
    """An exercise graded by running functions: a title, the parts, what the cases are."""

    def __init__(self, title, parts, about=""):
        self.title, self.parts, self.about = title, list(parts), about


class TaskRow(Row):
    """One comparison: a part, the case it ran, the student's value against the expected."""

    def __init__(self, part, case, shape):
        super().__init__(part, shape)
        self.case = case
        self.unfinished = ""      # the template's message: what is left to do

    @property
    def verdict(self):
        return "not done yet" if self.unfinished else super().verdict


class _PartFailed(Exception):
    """The student's code raised or hung inside a part: its row is written, go to the next."""


class Grader:
    """What a part sees: call the student's functions, compare their results, note things."""

    def __init__(self, functions, report, runner):
        self._lookup = functions.get if isinstance(functions, dict) else (
            lambda name: getattr(functions, name, None))
        self.report, self.runner = report, runner
        self.part = None
        self.rng = None

    def function(self, name):
        """The student's function `name` (callable), or the part fails with a row saying so."""
        fn = self._lookup(name)
        if not callable(fn):
            self._fail(f"{name} is missing from your file", self.part.todo, unfinished=True)
        return fn

    def call(self, name, *args, case="", **kwargs):
        """name(*args, **kwargs) in the student's file; a raise, a hang or None ends the part."""
        fn = self.function(name)
        try:
            value = self.runner.call(fn, "function", *args, **kwargs)
        except StudentError as e:
            if e.kind == "unfinished":
                todo = str(e.__cause__) or self.part.todo or f"write {name}"
                self._fail(f"{name} raises NotImplementedError", todo, case, unfinished=True)
            self._fail(str(e), case=case)
        if value is None:
            self._fail(f"{name} returned None", self.part.todo or f"make {name} return its "
                       f"result", case, unfinished=True)
        return value

    def compare(self, what, case, mine, expected, *, values=None, mistakes=(), hint="",
                threshold=None, oracle="reference"):
        """One row: the student's `mine` against `expected` (arrays or numbers). values: the
        case's inputs by name (hints name a factor after them); mistakes: (description,
        wrong value) pairs, named in a hint when the student's value equals one; hint: said
        whenever the row is wrong. Returns True when it passes."""
        expected = np.asarray(expected, dtype=np.float64)
        rows = self.report.rows
        if rows and (rows[-1].name, rows[-1].case) == (what, case) and rows[-1].got is not None \
                and oracle not in rows[-1].comparisons and rows[-1].shape == expected.shape:
            row = rows[-1]         # the same value against a second oracle: one more column
        else:
            row = self._row(what, case, expected.shape)
        limit = self.report.threshold if threshold is None else threshold
        got = _as_array(mine)
        if got is None:
            row.problem = f"returned {type(mine).__name__}, not numbers"
            row.hints.append(f"return an array of shape {shape_text(expected.shape)}")
            return False
        if got.shape != expected.shape:
            if got.size == expected.size == 1:      # a number returned as a 1-element array
                got = got.reshape(expected.shape)
            else:
                row.problem = f"shape {shape_text(got.shape)}"
                row.hints.append(shape_hint(got.shape, expected.shape))
                return False
        row.got = got
        floor = zero_floor([expected]) if expected.size else 1e-8
        comparison = Comparison(oracle, got, expected, limit, floor=floor)
        row.comparisons[oracle] = comparison
        if comparison.ok:
            return True
        named = [why for why, wrong in mistakes
                 if np.shape(wrong) == got.shape and rel_error(got, wrong, floor) < limit]
        row.hints += named
        if not named and got.ndim:
            sizes = {n for v in (values or {}).values() for n in np.shape(v)} | set(got.shape)
            row.hints += value_hints(row, expected, dict(values or {}), {}, sizes, limit, floor)
        elif not named and not np.isfinite(got):
            row.hints.append("is NaN or inf (an overflow, a log of 0, a division by zero?)")
        if hint:
            row.hints.append(hint)
        return False

    def unpack(self, value, names, case=""):
        """The student's tuple `value` as len(names) values, or the part fails saying so."""
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            got = f"a {type(value).__name__}" + (f" of {len(value)}" if isinstance(
                value, (tuple, list)) else "")
            self._fail(f"{self.part.name} returned {got}; it returns ({', '.join(names)})",
                       case=case)
        return value

    def fail(self, what, case, problem, hint=""):
        """A row that is wrong for a reason the part worked out itself."""
        row = self._row(what, case, ())
        row.problem = problem
        if hint:
            row.hints.append(hint)

    def note(self, text):
        self.report.notes.append(text)

    def _row(self, what, case, shape):
        row = TaskRow(what, case, shape)
        self.report.rows.append(row)
        return row

    def _fail(self, problem, todo="", case="", unfinished=False):
        row = self._row(self.part.name, case, ())
        if unfinished:
            row.unfinished = todo or problem
            row.problem = problem
        else:
            row.problem = "raised" if " raised " in problem else "hung" if "did not return" \
                in problem else "failed"
            row.hints.append(problem)
        raise _PartFailed


def _as_array(value):
    """The student's value as float64, or None when it is not numbers."""
    value = getattr(value, "data", value)        # a minigrad Tensor: its array
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


class TaskReport:
    """The result of check_task: `.passed`, `.rows`; prints as a table with the hints below."""

    def __init__(self, title, threshold, about=""):
        self.title, self.threshold, self.about = title, threshold, about
        self.rows = []
        self.notes = []
        self.printed = ""
        self.error = None          # the grader itself failed (not the student's code)
        self.status = None

    @property
    def passed(self):
        return self.error is None and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def unfinished(self):
        """The parts not done yet, in order, each once."""
        return list(dict.fromkeys(r.name for r in self.rows if r.unfinished))

    @property
    def wrong(self):
        """The parts with a wrong row (not counting the unfinished ones), each once."""
        return list(dict.fromkeys(r.name for r in self.rows if not r.ok and not r.unfinished))

    def worst_error(self):
        if any(r.problem for r in self.rows):
            return None
        return max((r.worst_judged() for r in self.rows if r.comparisons), default=None)

    def first_hint(self):
        for row in self.rows:
            if row.unfinished:
                return f"{row.name}: not done yet: {row.unfinished.splitlines()[0]}"
            if not row.ok:
                return f"wrong {row.name}" + (f": {row.hints[0]}" if row.hints else "")
        return self.notes[0] if self.notes else ""

    def _cells(self):
        oracles = list(dict.fromkeys(o for r in self.rows for o in r.comparisons)) or \
            ["reference"]
        header = ["part", "case", "shape", *oracles, "max abs err", "worst at", "verdict"]
        body = []
        for row in self.rows:
            body.append([row.name, row.case, shape_text(row.shape) if not row.problem else "-"]
                        + comparison_cells(row, oracles))
        return header, body

    def __str__(self):
        lines = [self.title] + ([f"  {line}" for line in self.about.splitlines()]
                                if self.about else [])
        lines.append("  relative error = max |a-b| / max(1e-8, |a|+|b|) (CS231n); a value "
                     f"passes when it is < {self.threshold:.0e}")
        if self.error is not None:
            lines += ["", _wrap("FAILED: " + self.error)]
            return "\n".join(lines)
        lines += [""] + text_table(*self._cells()) + [""]
        if self.passed:
            parts = list(dict.fromkeys(r.name for r in self.rows))
            lines.append(f"PASSED: {join_names(parts)} {'is' if len(parts) == 1 else 'are'} "
                         f"right on every case.")
        else:
            if self.wrong:
                lines.append(f"FAILED: wrong {join_names(self.wrong)}.")
            if self.unfinished:
                lines.append(f"FAILED: not done yet: {join_names(self.unfinished)}.")
        said = {}            # (part, hint) -> the cases it holds for: each hint said once
        for row in self.rows:
            if row.unfinished:
                said.setdefault((row.name, f"not done yet: {row.unfinished}"), [])
            for h in row.hints:
                said.setdefault((row.name, h), []).append(row.case)
        for (name, h), cases in said.items():
            cases = [c for c in cases if c]
            where = "" if not cases else f" ({cases[0]})" if len(cases) == 1 else \
                f" ({cases[0]}, and {len(cases) - 1} more case{'s' * (len(cases) > 2)})"
            lines.append(_wrap(f"  {name}{where}: {h}", "    "))
        lines += [_wrap(f"note: {n}", "    ") for n in self.notes]
        return "\n".join(lines + ([self.printed] if self.printed else []))

    __repr__ = __str__

    def to_dict(self):
        return {"title": self.title, "passed": self.passed, "error": self.error,
                "threshold": self.threshold, "worst_relative_error": json_number(
                    self.worst_error()),
                "rows": [dict(r.to_dict(), case=r.case, unfinished=r.unfinished or None)
                         for r in self.rows],
                "notes": list(self.notes), "printed": self.printed or None}

    def gradescope(self):
        """Gradescope's results.json: one test per part, 1 point when all its rows pass."""
        parts = list(dict.fromkeys(r.name for r in self.rows))
        tests = []
        for part in parts:
            ok = all(r.ok for r in self.rows if r.name == part)
            tests.append({"name": part, "score": float(ok), "max_score": 1.0,
                          "status": "passed" if ok else "failed", "output": str(self)})
        return {"score": float(sum(t["score"] for t in tests)), "output": str(self),
                "tests": tests}

    def _repr_html_(self):
        verdict = "PASSED" if self.passed else "FAILED"
        lines = str(self).split("\n")
        start = next((k for k, line in enumerate(lines) if line.startswith(("PASSED", "FAILED"))),
                     len(lines))
        return (f"<p><b>{html.escape(self.title)}</b>: {verdict}</p>\n"
                + html_table(*self._cells())
                + "\n<pre>" + html.escape("\n".join(lines[start:])) + "</pre>")


def check_task(functions, task, *, seed=0, timeout=DEFAULT_TIMEOUT, threshold=THRESHOLD):
    """Grade `functions` (a module, or a dict name -> function) on every part of `task`;
    return a TaskReport. The student's code never raises out of here: a raise, a hang or a
    template's NotImplementedError becomes a row."""
    report = TaskReport(task.title, threshold, task.about)
    runner = Runner(timeout)
    grader = Grader(functions, report, runner)
    for part in task.parts:
        grader.part = part
        grader.rng = np.random.default_rng(seed)
        try:
            part.run(grader)
        except _PartFailed:
            pass
        except Exception as e:     # a value of the student's that the part could not use
            row = grader._row(part.name, "", ())
            row.problem = "failed"
            row.hints.append(f"grading stopped: {type(e).__name__}: {e} (check what your "
                             f"functions return: the types and shapes the file's docstring asks)")
    report.printed = runner.printed.summary()
    return report
