"""Hints: cheap patterns that say how a wrong gradient is wrong.

Each hint is a test on the student's gradient `mine` against the most trusted oracle's
`expected` (autograd, then torch, then finite differences): a flipped sign, another input's
gradient (swapped return order), a transpose, a constant factor (a stray m, or m - 1 for m),
a factor per row or per column (a forgotten gamma or 1/std), an error constant along an axis
(the path through the mean) or proportional to x - mean(x) (the path through the variance).
A hint is only given when the pattern explains the error to 1e-6, so it is never a guess.
"""
from __future__ import annotations

from itertools import combinations, permutations

import numpy as np

from minigrad.coursework.report import rel_error, shape_text

FIT = 1e-6       # a pattern must explain the student's gradient to this relative error


def explain(row, i, values, expected, report, threshold):
    """Add hints to a wrong row. values: {input name: its array}; expected: {oracle: grads}."""
    best = next(o for o in ("autograd", "torch", "finite diff") if o in expected)
    inputs = report.rows[:len(expected[best])]
    others = {r.name: expected[best][j] for j, r in enumerate(inputs) if j != i}
    sizes = {n for r in inputs for n in r.shape}
    row.hints += value_hints(row, expected[best][i], values, others, sizes, threshold,
                             report.floor)
    fd = row.comparisons.get("finite diff")
    refs = [c for o, c in row.comparisons.items() if o != "finite diff"]
    if fd is not None and refs and fd.ok and not fd.unreliable and not all(c.ok for c in refs):
        forward_differs = report.output is not None and not report.output.ok
        row.hints.append(
            "agrees with finite differences of your own forward but not with the reference: "
            + ("your forward computes something else (see the forward row)" if forward_differs
               else "your forward and backward agree with each other but both differ from the "
                    "reference in how the output changes with " + row.name))


def shape_hint(got, want, others=None):
    """Why a gradient might have shape `got` instead of the input's shape `want`.

    others: {name: shape} of the other inputs; a gradient with another input's shape is
    most likely that input's gradient, returned in the wrong place."""
    base = (f"the gradient of an input has the input's shape {shape_text(want)}, got "
            f"{shape_text(got)}")
    same = [name for name, shape in (others or {}).items() if tuple(shape) == tuple(got)]
    if same:
        return base + f", the shape of {' and '.join(same)}: swapped return order?"
    if len(got) > len(want):
        if tuple(n for n in got if n != 1) == tuple(n for n in want if n != 1):
            return base + ": drop the kept size-1 axes (keepdims=True) or reshape"
        for axes in combinations(range(len(got)), len(got) - len(want)):
            if tuple(n for i, n in enumerate(got) if i not in axes) == want:
                return base + (f": sum over axis {axes[0]}" if len(axes) == 1 else
                               f": sum over axes {axes}") + (
                    " (the axes that broadcasting added in the forward)")
    if len(got) == len(want) and all(w in (1, g) for g, w in zip(got, want)):
        axes = tuple(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
        return base + (f": sum over axis {axes[0]}" if len(axes) == 1 else
                       f": sum over axes {axes}") + (
            " with keepdims=True (the size-1 axes that broadcasting repeated in the forward)")
    if len(got) == len(want) and sorted(got) == sorted(want) and len(got) > 1:
        return base + ": transposed? (the same sizes in another order)"
    if int(np.prod(got)) == int(np.prod(want)):
        return base + ": same number of elements; reshape to the input's shape"
    if len(got) == len(want) and sum(a != b for a, b in zip(got, want)) == 1:
        return base + ": summed over the wrong axis?"
    return base


def value_hints(row, expected, values, others, sizes, threshold, floor):
    """Hints for a gradient of the right shape whose values are wrong.

    expected: the most trusted oracle's gradient; values: {input name: array}; others: {name:
    expected gradient} of the other inputs (to spot swapped gradients); sizes: axis lengths
    seen in the inputs.
    """
    mine = row.got
    if not np.all(np.isfinite(mine)):
        return ["contains NaN or inf (a division by zero, or sqrt of a negative variance?)"]
    if not np.any(mine) and np.any(expected):
        return ["is all zeros: is the gradient still a placeholder?"]
    if rel_error(mine, -expected, floor) < threshold:
        return ["the sign is flipped: yours is the negative of the expected gradient"]
    hints = []
    for other, g in others.items():
        if g.shape == mine.shape and rel_error(mine, g, floor) < threshold:
            hints.append(f"these values are the gradient of {other}: swapped return order?")
    for axes in permutations(range(mine.ndim)):
        moved = np.transpose(expected, axes)
        if list(axes) != sorted(axes) and moved.shape == mine.shape and \
                rel_error(mine, moved, floor) < threshold:
            hints.append("these values are the transpose of the expected gradient" +
                         ("" if mine.ndim == 2 else f" (axes in the order {axes})"))
            break
    factor = _constant_factor(mine, expected, floor, sizes)
    hints += [factor] if factor else _per_axis_factor(mine, expected, values, row.name, floor)
    diff = mine - expected
    if not factor:
        hints += _error_pattern_hints(diff, values.get(row.name))
    wrong = np.abs(diff) > threshold * np.maximum(floor, np.abs(mine) + np.abs(expected))
    if 0 < wrong.sum() <= max(1, wrong.size // 4):
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        hints.append(f"only {int(wrong.sum())} of {wrong.size} elements are wrong, the first at "
                     f"{shape_text(first)}")
    return hints


def _constant_factor(mine, expected, floor, sizes):
    """'yours is 0.25 times the expected gradient (a stray 1/4?)', or None."""
    denom = float(np.sum(expected * expected))
    if denom == 0:
        return None
    c = float(np.sum(mine * expected)) / denom
    # near 1 it is no factor at all ("1 times" helps nobody): the error lies elsewhere
    if abs(c - 1) < 1e-3 or rel_error(mine, c * expected, floor) > FIT:
        return None
    return (f"off by a constant factor: yours is {c:.6g} times the expected gradient"
            + _factor_hint(c, sizes))


def _per_axis_factor(mine, expected, values, name, floor):
    """A factor that changes along one axis (one per row, column or channel): a forgotten
    or extra gamma or 1/std. Fit mine = c[k] * expected for each index k of the axis."""
    for axis, n in enumerate(mine.shape):
        if n < 2:
            continue
        others = tuple(a for a in range(mine.ndim) if a != axis)
        denom = np.sum(expected * expected, axis=others)
        if np.any(denom == 0):
            continue
        c = np.sum(mine * expected, axis=others) / denom
        shape = [1] * mine.ndim
        shape[axis] = n
        if np.ptp(c) < 1e-3 * np.max(np.abs(c)) or \
                rel_error(mine, c.reshape(shape) * expected, floor) > FIT:
            continue
        where = {0: "per row (axis 0)", 1: "per column (axis 1)"}.get(axis) \
            if mine.ndim == 2 else f"per index of axis {axis}"
        text = f"off by a factor {where}: yours is c[k] times the expected gradient"
        return [text + _name_the_factor(c, axis, values, name)]
    return []


def _name_the_factor(c, axis, values, name):
    """Is c (or 1/c) gamma, or the standard deviation of x along the other axes?"""
    close = lambda a, b: a.shape == b.shape and np.allclose(a, b, rtol=1e-3, atol=0)  # noqa: E731
    for other, v in values.items():
        flat = np.asarray(v).reshape(-1)
        if flat.size != c.size or other == name or np.asarray(v).ndim > 4:
            continue
        if close(c, 1 / flat):
            return f", c = 1/{other}: did you forget to multiply by {other}?"
        if close(c, flat):
            return f", c = {other}: an extra factor {other}?"
    for other, v in values.items():
        v = np.asarray(v)
        if v.ndim <= axis or v.shape[axis] != c.size or v.ndim < 2:
            continue
        std = v.std(axis=tuple(a for a in range(v.ndim) if a != axis))
        if close(c, std):
            return (f", c = the std of {other} over the other axes: did you forget the factor "
                    f"1/std (inv_std)?")
        if close(c, 1 / std):
            return f", c = 1/std of {other} over the other axes: an extra 1/std?"
    return f", c = {_short_list(c)}"


def _short_list(c):
    shown = ", ".join(f"{v:.3g}" for v in c[:4])
    return f"[{shown}{', ...' if c.size > 4 else ''}]"


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
