"""The report of check_backward: one row per input, the table it prints, and the same
as a dict (for --format json and autograders) and as HTML (for Jupyter).

How the gradients are obtained and compared is in check.py and oracles.py; this file only
judges and words the result. A Row holds one returned gradient and a Comparison per oracle;
the CheckReport prints them as a table, then the verdict, then the hints (hints.py) and
notes, then what the student's code printed, trimmed.
"""
from __future__ import annotations

import html
import textwrap

import numpy as np

NOISE_FLOOR = 1e-2   # finite differences: tiny elements are judged relative to 1% of the largest
ORACLES = ("finite diff", "autograd", "torch")      # the table's columns, in this order


# ----------------------------------------------------------------------------
# The error measure
# ----------------------------------------------------------------------------

def rel_error(a, b, floor=1e-8):
    """CS231n's relative error: max |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b)), initial=0.0))


def zero_floor(arrays):
    """The 1e-8 of rel_error, below which |a| + |b| counts as zero: CS231n's 1e-8, scaled
    down when every value of the problem is below 1 (else gradients of size 1e-16 all
    count as zero, and any of them, even with its sign flipped, passes)."""
    largest = max((float(np.max(np.abs(a), initial=0.0)) for a in arrays), default=0.0)
    return 1e-8 * largest if 0 < largest < 1 else 1e-8


# ----------------------------------------------------------------------------
# The report: one row per input (plus one for the forward output)
# ----------------------------------------------------------------------------

class Comparison:
    """One array against one oracle: relative and absolute error, worst element, verdict.

    unreliable: why this oracle cannot judge here (finite differences across a kink, or
    below their own noise); such a comparison does not fail the row."""

    def __init__(self, oracle, mine, expected, threshold, noisy=False, floor=1e-8):
        with np.errstate(invalid="ignore"):             # inf - inf, inf / inf: NaN, then inf
            diff = np.abs(mine - expected)
            scale = np.abs(mine) + np.abs(expected)
            rel = np.nan_to_num(diff / np.maximum(floor, scale), nan=np.inf, posinf=np.inf)
        self.oracle = oracle
        self.rel = float(rel.max(initial=0.0))
        self.abs = float(np.nan_to_num(diff, nan=np.inf, posinf=np.inf).max(initial=0.0))
        at = np.unravel_index(np.argmax(rel), rel.shape) if rel.size else ()
        self.worst = tuple(int(i) for i in at)
        self.failing = rel >= threshold       # the elements that fail, for a closer look
        self.ok = self.rel < threshold
        self.approx = False      # passed only because finite-difference noise was allowed for
        self.unreliable = ""
        if not self.ok and noisy and np.all(np.isfinite(scale)):
            noise = max(floor, NOISE_FLOOR * scale.max(initial=0.0))
            self.failing = diff / np.maximum(noise, scale) >= threshold
            self.ok = self.approx = not bool(self.failing.any())

    def set_unreliable(self, why):
        """This oracle cannot judge here: say why, and let the other oracles decide."""
        self.unreliable, self.ok = why, True


class Row:
    """What is known about one gradient (or, for the forward row, the output)."""

    def __init__(self, name, shape):
        self.name = name
        self.shape = shape        # the shape the gradient must have: the input's
        self.got = None           # the returned array, float64, when it has the right shape
        self.comparisons = {}     # oracle name -> Comparison
        self.problem = ""         # "missing", "wrong shape (1, 5)", ... : failed before comparing
        self.hints = []
        self.dtype = None         # the returned array's own dtype (float32 is judged coarser)

    @property
    def ok(self):
        return not self.problem and bool(self.comparisons) and all(
            c.ok for c in self.comparisons.values())

    @property
    def verdict(self):
        if self.problem:
            return "WRONG: " + self.problem
        if not self.comparisons:
            return "not checked"
        if not self.ok:
            return "WRONG"
        if any(c.unreliable for c in self.comparisons.values()):
            return "ok*"
        return "ok~" if any(c.approx for c in self.comparisons.values()) else "ok"

    def worst(self):
        """The comparison with the largest relative error."""
        return max(self.comparisons.values(), key=lambda c: c.rel, default=None)

    def worst_judged(self):
        """The largest relative error among the oracles that could judge (None if none)."""
        judged = [c.rel for c in self.comparisons.values() if not c.unreliable]
        return max(judged, default=None)

    def to_dict(self):
        return {"name": self.name, "shape": list(self.shape), "verdict": self.verdict,
                "ok": self.ok, "problem": self.problem or None, "hints": list(self.hints),
                "errors": {o: {"relative": json_number(c.rel), "absolute": json_number(c.abs),
                               "worst_at": list(c.worst), "unreliable": c.unreliable or None}
                           for o, c in self.comparisons.items()}}


class CheckReport:
    """The result of check_backward: `.passed`, `.wrong`, `.rows`; prints as a table,
    `.to_dict()` for machines, and an HTML table in Jupyter."""

    def __init__(self, title, threshold):
        self.title = title
        self.threshold = threshold
        self.floor = 1e-8         # the zero of the relative error (see zero_floor)
        self.coarse = {}          # dtype name -> threshold, for float32 (or float16) results
        self.rows = []            # one Row per input, in argument order
        self.output = None        # the Row comparing the forward output with the references
        self.oracles = {}         # oracle name -> what it is, for the legend
        self.error = None         # the student's code raised, or returned nonsense: nothing checked
        self.status = None        # with error: "error", "unfinished" or "hang"
        self.notes = []
        self.printed = ""         # what the student's code printed, trimmed

    @property
    def passed(self):
        return (self.error is None and bool(self.rows) and all(r.ok for r in self.rows)
                and (self.output is None or self.output.ok))

    @property
    def wrong(self):
        """Names of the inputs whose gradient is wrong."""
        return [r.name for r in self.rows if not r.ok]

    def worst_error(self):
        """The largest relative error among the oracles that judged, over all rows (None when
        a row failed before any comparison: a wrong shape, a missing gradient)."""
        if any(r.problem for r in self._all_rows()):
            return None
        errors = [r.worst_judged() for r in self._all_rows()]
        return max((e for e in errors if e is not None), default=None)

    def first_hint(self):
        """One line for a summary table: what is wrong, or why it is unsure."""
        if self.error is not None:
            return self.error.split("\n")[0]
        for row in self._all_rows():
            if not row.ok:
                what = "forward output" if row is self.output else f"gradient of {row.name}"
                return f"wrong {what}" + (f": {row.hints[0]}" if row.hints else "")
        return self.notes[0] if self.notes else ""

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"check report: no input named {name!r}; inputs are "
                       f"{[r.name for r in self.rows]}")

    def _all_rows(self):
        return ([self.output] if self.output else []) + self.rows

    def __str__(self):
        lines = [self.title]
        lines += [f"  {name:<12} {what}" for name, what in self.oracles.items()]
        if self.floor == 1e-8:
            lines.append("  relative error = max |a-b| / max(1e-8, |a|+|b|) (CS231n)")
        else:
            lines.append(f"  relative error = max |a-b| / max({self.floor:.1e}, |a|+|b|) (CS231n's "
                         f"1e-8, scaled to your gradients, all below 1)")
        lines.append(f"  a gradient passes when its relative error is < {self.threshold:.0e} "
                     f"against every oracle")
        for dtype, limit in self.coarse.items():
            lines.append(f"  ({dtype} results: < {limit:.1e}, since {dtype} keeps only "
                         f"{_digits(dtype)} digits; compute in float64 for the full check)")
        if self.error is not None:
            lines += ["", _wrap("FAILED: " + self.error), "No gradient was checked."]
            lines += [_wrap(f"note: {n}", "    ") for n in self.notes]
            return "\n".join(lines + ([self.printed] if self.printed else []))
        lines += [""] + self._table() + [""]
        if self.passed:
            names = [r.name for r in self.rows]
            lines.append(f"PASSED: the gradients of {join_names(names)} are right.")
        else:
            wrong = self.wrong
            if wrong:
                lines.append(f"FAILED: wrong gradient{'s' if len(wrong) > 1 else ''} for "
                             f"{join_names(wrong)}.")
            if self.output is not None and not self.output.ok:
                lines.append("FAILED: your forward output differs from the reference's.")
        if any(r.verdict == "ok~" for r in self.rows):
            lines.append("ok~: right, except for elements below 1% of the largest, where finite "
                         "differences (or float32 rounding) are too noisy to judge.")
        for row in self._all_rows():
            lines += [_wrap(f"  {row.name}: {hint}", "    ") for hint in row.hints]
            lines += [_wrap(f"  {row.name} (ok*): finite differences unreliable here: "
                            f"{c.unreliable}", "    ")
                      for c in row.comparisons.values() if c.unreliable]
        lines += [_wrap(f"note: {n}", "    ") for n in self.notes]
        return "\n".join(lines + ([self.printed] if self.printed else []))

    __repr__ = __str__

    def _cells(self):
        oracles = [o for o in ORACLES if o in self.oracles]
        header = ["input", "shape", *oracles, "max abs err", "worst at", "verdict"]
        body = []
        for row in self._all_rows():
            body.append([row.name, shape_text(row.shape)] + comparison_cells(row, oracles))
        return header, body

    def _table(self):
        return text_table(*self._cells())

    def to_dict(self):
        """The report as plain data (for json.dumps): verdict, rows, hints, notes."""
        return {"title": self.title, "passed": self.passed, "status": self.status,
                "error": self.error, "threshold": self.threshold,
                "worst_relative_error": json_number(self.worst_error()),
                "oracles": dict(self.oracles),
                "output": self.output.to_dict() if self.output else None,
                "inputs": [r.to_dict() for r in self.rows], "notes": list(self.notes),
                "printed": self.printed or None}

    def gradescope(self):
        """Gradescope's results.json: one test, worth 1 point when the check passes."""
        name = self.title.split(":")[0]
        return {"score": float(self.passed),
                "tests": [{"name": name, "score": float(self.passed), "max_score": 1.0,
                           "status": "passed" if self.passed else "failed",
                           "output": str(self)}]}

    def _repr_html_(self):
        """Jupyter shows the report as an HTML table, with the text report's lines below."""
        verdict = "PASSED" if self.passed else "FAILED"
        parts = [f"<p><b>{html.escape(self.title)}</b>: {verdict}</p>"]
        if self.error is None:
            header, body = self._cells()
            parts.append(html_table(header, body))
        lines = str(self).split("\n")
        start = next((k for k, line in enumerate(lines) if line.startswith(("PASSED", "FAILED"))),
                     len(lines))
        parts.append("<pre>" + html.escape("\n".join(lines[start:])) + "</pre>")
        return "\n".join(parts)


def comparison_cells(row, oracles):
    """A row's cells after its name: the relative error against each oracle, the largest
    absolute error and where it is, the verdict."""
    cells = [f"{row.comparisons[o].rel:.1e}" if o in row.comparisons else "-" for o in oracles]
    worst = row.worst()
    cells += [f"{worst.abs:.1e}", shape_text(worst.worst)] if worst else ["-", "-"]
    return cells + [row.verdict]


def text_table(header, body):
    """The lines of a plain-text table, each column as wide as its widest cell."""
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + body]


def html_table(header, body):
    """A plain HTML table; the cells are escaped."""
    row = lambda cells, tag: "<tr>" + "".join(  # noqa: E731
        f"<{tag} style='text-align:left'>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"
    return "<table>" + row(header, "th") + "".join(row(r, "td") for r in body) + "</table>"


def json_number(value):
    """A float for JSON: inf and NaN become strings, which JSON cannot hold as numbers."""
    if value is None:
        return None
    return float(value) if np.isfinite(value) else str(value)


def shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _wrap(text, indent="    "):
    """Wrap each line of text at 100 columns, continuing with `indent`."""
    return "\n".join(textwrap.fill(line, 100, subsequent_indent=indent, break_long_words=False,
                                   break_on_hyphens=False) for line in text.split("\n"))


def join_names(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _digits(dtype):
    return int(np.finfo(dtype).precision)
