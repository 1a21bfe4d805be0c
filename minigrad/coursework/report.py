"""The report of check_backward: one row per input, the table it prints, and the hints
that say how a wrong gradient is wrong.

How the gradients are obtained and compared is in check.py; this file only judges and
words the result. A Row holds one returned gradient and a Comparison per oracle; the
CheckReport prints them as a table, then the verdict, then the hints. The hints are cheap
patterns read off the error: a flipped sign, a constant factor (a stray m, or m - 1 for m),
swapped gradients, an error constant along an axis (the path through the mean) or
proportional to x - mean(x) (the path through the variance).
"""
from __future__ import annotations

import textwrap
from itertools import combinations

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
    """One array against one oracle: relative and absolute error, worst element, verdict."""

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
        self.ok = self.rel < threshold
        self.approx = False      # passed only because finite-difference noise was allowed for
        if not self.ok and noisy and np.all(np.isfinite(scale)):
            noise = max(floor, NOISE_FLOOR * scale.max(initial=0.0))
            self.ok = self.approx = bool(np.max(diff / np.maximum(noise, scale)) < threshold)


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
        return "ok~" if any(c.approx for c in self.comparisons.values()) else "ok"

    def worst(self):
        """The comparison with the largest relative error."""
        return max(self.comparisons.values(), key=lambda c: c.rel, default=None)


class CheckReport:
    """The result of check_backward: `.passed`, `.wrong`, `.rows`; prints as a table."""

    def __init__(self, title, threshold):
        self.title = title
        self.threshold = threshold
        self.floor = 1e-8         # the zero of the relative error (see zero_floor)
        self.coarse = {}          # dtype name -> threshold, for float32 (or float16) results
        self.rows = []            # one Row per input, in argument order
        self.output = None        # the Row comparing the forward output with the references
        self.oracles = {}         # oracle name -> what it is, for the legend
        self.error = None         # the student's code raised, or returned nonsense: nothing checked
        self.notes = []

    @property
    def passed(self):
        return (self.error is None and bool(self.rows) and all(r.ok for r in self.rows)
                and (self.output is None or self.output.ok))

    @property
    def wrong(self):
        """Names of the inputs whose gradient is wrong."""
        return [r.name for r in self.rows if not r.ok]

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"check report: no input named {name!r}; inputs are "
                       f"{[r.name for r in self.rows]}")

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
            lines += [f"note: {n}" for n in self.notes]
            return "\n".join(lines)
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
        for row in ([self.output] if self.output else []) + self.rows:
            lines += [_wrap(f"  {row.name}: {hint}", "    ") for hint in row.hints]
        lines += [_wrap(f"note: {n}", "    ") for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__

    def _table(self):
        oracles = [o for o in ORACLES if o in self.oracles]
        header = ["input", "shape", *oracles, "max abs err", "worst at", "verdict"]
        body = []
        for row in ([self.output] if self.output else []) + self.rows:
            cells = [row.name, shape_text(row.shape)]
            cells += [f"{row.comparisons[o].rel:.1e}" if o in row.comparisons else "-"
                      for o in oracles]
            worst = row.worst()
            cells += [f"{worst.abs:.1e}", shape_text(worst.worst)] if worst else ["-", "-"]
            body.append(cells + [row.verdict])
        widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
        return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + body]


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


# ----------------------------------------------------------------------------
# Hints: cheap patterns behind a wrong gradient
# ----------------------------------------------------------------------------

def explain(row, i, x, expected, report, threshold):
    """Add hints to a wrong row, judged against the most trusted oracle available."""
    best = next(o for o in ("autograd", "torch", "finite diff") if o in expected)
    inputs = report.rows[:len(expected[best])]
    others = {r.name: expected[best][j] for j, r in enumerate(inputs) if j != i}
    sizes = {n for r in inputs for n in r.shape}
    row.hints += _value_hints(row, expected[best][i], x, others, sizes, threshold, report.floor)
    fd = row.comparisons.get("finite diff")
    refs = [c for o, c in row.comparisons.items() if o != "finite diff"]
    if fd is not None and refs:
        if fd.ok and not all(c.ok for c in refs):
            row.hints.append("agrees with finite differences of your own forward but not with "
                             "the reference: your forward computes something else")
        elif not fd.ok and all(c.ok for c in refs):
            row.hints.append("agrees with the reference but not with finite differences of your "
                             "forward: your forward differs from the reference")


def shape_hint(got, want):
    """Why a gradient might have shape `got` instead of the input's shape `want`."""
    base = (f"the gradient of an input has the input's shape {shape_text(want)}, got "
            f"{shape_text(got)}")
    if len(got) > len(want):
        if tuple(n for n in got if n != 1) == tuple(n for n in want if n != 1):
            return base + ": drop the kept size-1 axes (keepdims=True) or reshape"
        for axes in combinations(range(len(got)), len(got) - len(want)):
            if tuple(n for i, n in enumerate(got) if i not in axes) == want:
                return base + (f": sum over axis {axes[0]}" if len(axes) == 1 else
                               f": sum over axes {axes}") + (
                    " (the axes that broadcasting added in the forward)")
    if len(got) == len(want) and got == want[::-1]:
        return base + ": transposed?"
    if int(np.prod(got)) == int(np.prod(want)):
        return base + ": same number of elements; reshape to the input's shape"
    if len(got) == len(want) and sum(a != b for a, b in zip(got, want)) == 1:
        return base + ": summed over the wrong axis?"
    return base


def _value_hints(row, expected, x, others, sizes, threshold, floor):
    """Hints for a gradient of the right shape whose values are wrong.

    expected: the most trusted oracle's gradient; x: the input's values; others: {name:
    expected gradient} of the other inputs (to spot swapped gradients); sizes: axis lengths
    seen in the inputs.
    """
    mine = row.got
    if not np.all(np.isfinite(mine)):
        return ["contains NaN or inf (a division by zero, or sqrt of a negative variance?)"]
    if not np.any(mine) and np.any(expected):
        return ["is all zeros: is the gradient still a placeholder?"]
    hints = []
    if rel_error(mine, -expected, floor) < threshold:
        return ["the sign is flipped: yours is -1 times the expected gradient"]
    for other, g in others.items():
        if g.shape == mine.shape and rel_error(mine, g, floor) < threshold:
            hints.append(f"these values are the gradient of {other}: swapped return order?")
    square = mine.ndim == 2 and mine.shape[0] == mine.shape[1]
    if square and rel_error(mine.T, expected, floor) < threshold:
        hints.append("these values are the transpose of the expected gradient")
    denom = float(np.sum(expected * expected))
    if denom > 0:
        c = float(np.sum(mine * expected)) / denom
        if abs(c - 1) > 1e-6 and rel_error(mine, c * expected, floor) < 1e-6:
            hints.append(f"off by a constant factor: yours is {c:.6g} times the expected "
                         f"gradient" + _factor_hint(c, sizes))
    diff = mine - expected
    hints += _error_pattern_hints(diff, x)
    wrong = np.abs(diff) > threshold * np.maximum(floor, np.abs(mine) + np.abs(expected))
    if 0 < wrong.sum() <= max(1, wrong.size // 4):
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        hints.append(f"only {int(wrong.sum())} of {wrong.size} elements are wrong, the first at "
                     f"{shape_text(first)}")
    return hints


def _error_pattern_hints(diff, x):
    """Is the error constant along an axis, or proportional to x - mean(x) along it?

    A dropped or wrong term of a normalization's dx leaves exactly these traces: the mean's
    path adds a constant per reduced slice, the variance's path a multiple of x - mean.
    """
    scale = np.max(np.abs(diff))
    constant, centred = [], []
    for axis, n in enumerate(diff.shape):
        if n < 2:
            continue
        if np.max(np.abs(diff - diff.mean(axis, keepdims=True))) < 1e-6 * scale:
            constant.append(axis)
        elif x is not None and x.shape == diff.shape:
            d = x - x.mean(axis, keepdims=True)
            # least-squares factor per slice, then: does c * d explain the whole error?
            c = np.sum(diff * d, axis, keepdims=True) / np.maximum(
                np.sum(d * d, axis, keepdims=True), 1e-300)
            if np.max(np.abs(diff - c * d)) < 1e-6 * scale:
                centred.append(axis)
    hints = []
    if constant:
        axes = _axes(constant)
        hints.append(f"the error is the same all along {axes}: a term summed over {axes} (the "
                     f"path through the mean, -sum(g)/m) is missing or wrong")
    if centred:
        axes = _axes(centred)
        hints.append(f"the error is proportional to x - mean(x) along {axes}: the path through "
                     f"the variance is missing or scaled wrong (1/(m-1) instead of 1/m?)")
    return hints


def _axes(axes):
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + shape_text(tuple(axes))


def _factor_hint(c, sizes):
    """Name the likely cause of a constant factor: a stray m, or m - 1 for m."""
    for m in sorted(sizes):
        if m < 2:
            continue
        for value, why in ((m, f"an extra factor {m}"), (1 / m, f"a stray 1/{m}"),
                           (m / (m - 1), f"m - 1 instead of m = {m}"),
                           ((m - 1) / m, f"m instead of m - 1, m = {m}")):
            if abs(c - value) < 1e-6 * max(1, abs(value)):
                return f" ({why}?)"
    return ""
