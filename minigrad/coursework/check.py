"""Cross-checking a hand-written backward pass: coursework in the CS231n convention.

A student writes two plain NumPy functions,

    forward(*arrays, **constants) -> (out, cache)
    backward(dout, cache)         -> (d_input_1, d_input_2, ...)    one per input, in order

and check_backward says whether each gradient is right and, when it is not, which one and how.
It draws a random upstream gradient dout (seeded), runs both functions (runner.py: a time limit
per call, their printing kept aside), and compares every returned gradient with up to three
oracles (oracles.py): finite differences of the student's own forward, minigrad's autograd
through a `reference` and PyTorch's through a `torch_reference`.

Every comparison reports CS231n's relative error

    rel = max_k |a_k - b_k| / max(1e-8, |a_k| + |b_k|)

with the largest absolute error and the index of the worst element. The 1e-8 stands for "zero";
when every gradient of the problem is smaller than 1 it is scaled down with the largest of them,
so that gradients of size 1e-16 are still told apart instead of all counting as zero. The
student's forward output is compared with the references' outputs the same way. The report,
its table and the hints that explain a wrong gradient are in report.py and hints.py.

Verdict: a gradient is right when rel < 1e-7 against every oracle that ran. Why 1e-7
(docs/normalization.md section 5): closed-form backward passes agree with autograd to about 1e-15;
against central differences with h = 1e-5, correct BatchNorm and LayerNorm backward passes give
1e-13 to 1e-8 (CS231n's notebook; BatchNorm dx 1.7e-9 in its setup), while real bugs (a dropped
term, a flipped sign, m - 1 for m) give 1e-3 and more. 1e-7 sits an order of magnitude above the
noise of correct code and far below any bug.
Finite differences are not always able to judge: elements far below the array's scale (judged
relative to 1% of it, marked "ok~"), a kink within h, or a true gradient below their noise
(marked "ok*", see oracles.py). They never fail a gradient alone when the references agree
with it and with the forward's output.
float32 code is judged at float32 precision: a forward that returns float32, or float64 values
that are all float32 numbers (computed in float32 inside, cast at the end). Right float32
gradients differ from float64 ones by 1e-6 to 1e-5 (rounding), so they pass below sqrt(eps) =
3.5e-4, tiny elements judged as above; finite differences of a float32 forward are mostly
rounding at h = 1e-5, so they are skipped and only the references judge.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from minigrad.checks import number
from minigrad.coursework.hints import explain, shape_hint
from minigrad.coursework.oracles import (
    FiniteDifferences, autograd_oracle, torch_available, torch_oracle,
)
from minigrad.coursework.report import (  # rel_error: the measure, importable from here too
    CheckReport, Comparison, Row, join_names, rel_error, shape_text, zero_floor,
)
from minigrad.coursework.runner import DEFAULT_TIMEOUT, Runner, StudentError, name_of
from minigrad.tensor import Tensor

THRESHOLD = 1e-7     # largest relative error of a right gradient (see the module docstring)


def check_backward(forward, backward, inputs, reference=None, *, torch_reference=None,
                   constants=None, dout=None, seed=0, h=1e-5, threshold=THRESHOLD,
                   finite_differences=True, timeout=DEFAULT_TIMEOUT):
    """Cross-check a hand-written NumPy backward pass; return a CheckReport.

    forward(*arrays, **constants) -> (out, cache) and backward(dout, cache) -> gradients, one
    per input in the order of `inputs` (a tuple; a dict keyed "x" or "dx" also works).
    inputs: a dict {name: array} in argument order; the arrays are copied to float64.
    reference: a minigrad function of Tensors with forward's signature, returning `out`
        (e.g. lambda x, gamma, beta, eps: layers.functional.batch_norm(...)).
    torch_reference: the same on torch tensors; used when PyTorch is installed.
    constants: non-differentiable keyword arguments (eps, G, bn_param, ...) passed to all three.
    dout: the upstream gradient; by default standard normal from `seed`.
    h: the finite-difference step. threshold: the largest relative error that passes
        (1e-7, see the module docstring for why).
    timeout: seconds each call of the student's code may take (None: no limit).

    The report's `.passed` is True when every gradient agrees with every oracle and the
    forward output agrees with the references'. An exception, a hang or a malformed return
    value in the student's code is reported, not raised.
    """
    if not callable(forward) or not callable(backward):
        raise TypeError("check_backward: forward and backward must be functions, got "
                        f"{type(forward).__name__} and {type(backward).__name__}")
    names, arrays = _inputs(inputs)
    if not 0 < threshold < 1:
        raise ValueError(f"check_backward: threshold is a relative error between 0 and 1, got "
                         f"{threshold!r}")
    number(h, "check_backward", "the finite-difference step h", low=0, low_open=True)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"check_backward: seed must be a non-negative integer, got {seed!r}")
    if not finite_differences and reference is None and torch_reference is None:
        raise ValueError("check_backward: with finite_differences=False give a reference or a "
                         "torch_reference; otherwise nothing checks the gradients")
    if dout is not None and _array(dout) is None:
        raise TypeError(f"check_backward: dout must be an array of numbers, got "
                        f"{type(dout).__name__}")
    runner = Runner(timeout)
    constants = dict(constants or {})
    fname, bname = name_of(forward, "forward"), name_of(backward, "backward")
    drawn = "dout given" if dout is not None else f"dout ~ N(0, 1) with seed {seed}"
    report = CheckReport(f"check_backward({fname}, {bname}): {len(names)} input"
                         f"{'s' * (len(names) != 1)}, {drawn}", threshold)
    report.rows = [Row(n, a.shape) for n, a in zip(names, arrays)]
    if finite_differences:
        report.oracles["finite diff"] = f"central differences of {fname}, h={h:g}"
    if reference is not None:
        report.oracles["autograd"] = f"minigrad autograd through {_fn_name(reference)}"
    if torch_reference is not None:
        if torch_available():
            report.oracles["torch"] = f"PyTorch autograd through {_fn_name(torch_reference)}"
        else:
            report.notes.append("PyTorch is not installed, so there is no torch column")
            torch_reference = None
    try:
        _check(runner, report, forward, backward, names, arrays, constants,
               {"autograd": reference, "torch": torch_reference}, dout, seed, h,
               finite_differences)
    except StudentError as e:
        report.error, report.status = str(e), e.kind
    report.printed = runner.printed.summary()
    return report


def _check(runner, report, forward, backward, names, arrays, constants, references, dout, seed,
           h, finite_differences):
    threshold = report.threshold
    out, cache, out_dtype, returned = _forward(runner, forward, arrays, constants)
    report.output = Row("forward out", out.shape if dout is None else _array(dout).shape)
    report.output.got, report.output.dtype = out, out_dtype
    if dout is not None and out.shape != report.output.shape:
        report.output.problem = f"shape {shape_text(out.shape)}"
        report.output.hints.append(f"your forward returns shape {shape_text(out.shape)} but dout "
                                   f"has shape {shape_text(report.output.shape)}: the output must "
                                   f"have dout's shape")
        return
    if not np.all(np.isfinite(out)):
        report.notes.append("your forward's output contains NaN or inf for these inputs, "
                            "so no gradient can be compared there (log or sqrt of a "
                            "negative input? 1/0?); try other inputs")
    _check_forward_is_pure(runner, forward, arrays, constants, out, names, report)
    dout = _dout(dout, out.shape, seed)
    _gradients(runner.call(backward, "backward", dout.copy(), cache), report.rows, backward)
    expected, fd = {}, None
    if finite_differences and _coarse(out_dtype):
        # f(x + h) - f(x - h) with h = 1e-5 keeps about 2 of float32's 7 digits
        del report.oracles["finite diff"]
        inside = "" if returned == out_dtype else (
            f" inside (it returns {returned}, but every value is a {out_dtype} number)")
        report.notes.append(f"your forward {'computes' if inside else 'returns'} {out_dtype}"
                            f"{inside}: central differences with h={h:g} drown in its rounding, "
                            f"so they were skipped and your gradients are judged at {out_dtype} "
                            f"precision; compute in float64 to have them checked fully")
    elif finite_differences:
        fd = FiniteDifferences(lambda args: _forward(runner, forward, args, constants)[0],
                               forward, arrays, dout, h)
        expected["finite diff"] = fd.central
    judge = _judge(threshold, report, out_dtype)
    for oracle, fn in references.items():
        if fn is None:
            continue
        run = autograd_oracle if oracle == "autograd" else torch_oracle
        try:
            ref_out, ref_grads = run(fn, arrays, names, constants, dout)
        except Exception as exc:
            report.error = (f"the {oracle} reference {_fn_name(fn)} raised "
                            f"{type(exc).__name__}: {exc} (a problem with the reference or the "
                            f"constants, not with your backward)")
            return
        _compare_output(report.output, oracle, np.asarray(ref_out, dtype=np.float64), judge)
        if ref_grads is not None:
            expected[oracle] = ref_grads
    if not expected and not report.output.problem:
        report.error = ("nothing to compare your gradients with: no finite differences (see the "
                        "note) and no reference; give a reference, or compute in float64"
                        if finite_differences else "finite_differences=False and no reference ran")
        return
    if not report.output.comparisons and not report.output.problem:
        report.output = None      # nothing to compare the forward with
    report.floor = zero_floor([g for grads in expected.values() for g in grads])
    values = dict(zip(names, arrays))
    for i, row in enumerate(report.rows):
        if row.got is None:
            continue
        limit, coarse = _judge(threshold, report, row.dtype, out_dtype)
        for oracle, grads in expected.items():
            row.comparisons[oracle] = Comparison(oracle, row.got, grads[i], limit,
                                                 coarse or oracle == "finite diff", report.floor)
        if fd is not None:
            _second_look(row, i, fd, report.output)
        if not row.ok:
            explain(row, i, values, expected, report, limit)


def _second_look(row, i, fd, output):
    """Finite differences alone never fail a gradient they cannot judge: at a kink, below
    their noise, or when every reference agrees with it and the forward agrees with theirs."""
    comparison = row.comparisons["finite diff"]
    if comparison.ok:
        return
    why = fd.why_unreliable(i, row.got, comparison)
    refs = [c for o, c in row.comparisons.items() if o != "finite diff"]
    if refs and all(c.ok for c in refs) and output is not None and output.ok:
        why = (why + "; " if why else "") + ("the references agree with your gradient, and your "
                                             "forward agrees with theirs")
    if why:
        comparison.set_unreliable(why)
    elif refs and all(c.ok for c in refs) and output is not None and not output.ok:
        row.hints.append("agrees with the reference but not with finite differences of your "
                         "forward: your forward differs from the reference (see the forward row)")


# ----------------------------------------------------------------------------
# Running the student's forward and reading what backward returned
# ----------------------------------------------------------------------------

def _forward(runner, forward, arrays, constants):
    """Run the student's forward on copies; return (out as float64, cache, the dtype it was
    computed in, the dtype it was returned in)."""
    name = name_of(forward, "forward")
    result = runner.call(forward, "forward", *[a.copy() for a in arrays], **constants)
    if result is None:
        raise StudentError(f"{name} (your forward) returned None: not written yet? It must "
                           f"return a pair (out, cache)", "unfinished")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = type(result).__name__ + (f" of length {len(result)}"
                                       if isinstance(result, (tuple, list)) else "")
        raise StudentError(f"{name} (your forward) must return a pair (out, cache), got {got}")
    out, cache = result
    if out is None:
        raise StudentError(f"{name} (your forward) returned out = None: not written yet?",
                           "unfinished")
    if _is_torch(out):
        raise StudentError(f"{name} (your forward) returned out as a torch.Tensor; return a "
                           f"NumPy array (out.detach().numpy())")
    dtype, returned = _computed_dtype(out, arrays), _dtype(out)
    out = _array(out)
    if out is None:
        raise StudentError(f"{name} (your forward) returned out of type "
                           f"{type(result[0]).__name__}; it must be a NumPy array")
    return out, cache, dtype, returned


def _array(value):
    """A float64 array from an ndarray/Tensor/number, or None for anything else."""
    if isinstance(value, Tensor):
        value = value.data
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def _dtype(value):
    """The dtype of an array, a Tensor, or what NumPy makes of a list; None if it cannot."""
    try:
        return np.asarray(value.data if isinstance(value, Tensor) else value).dtype
    except Exception:
        return None


def _computed_dtype(value, arrays=()):
    """The precision a result was computed in: its dtype, except float64 values that are all
    float32 numbers (from inputs that are not), which were computed in float32 and cast."""
    dtype = _dtype(value)
    if dtype != np.float64 or isinstance(value, Tensor):
        return dtype
    arr = np.asarray(value)
    if arr.size and np.array_equal(arr.astype(np.float32), arr) and any(
            not np.array_equal(a.astype(np.float32), a) for a in arrays):
        return np.dtype(np.float32)
    return dtype


def _is_torch(value):
    return type(value).__module__.split(".")[0] == "torch"


def _kind(value):
    dtype = _dtype(value)
    return "?" if dtype is None else dtype.kind


def _gradients(result, rows, backward):
    """Fill row.got (or row.problem) from what the student's backward returned."""
    name = name_of(backward, "backward")
    wanted = "(" + ", ".join("d" + r.name for r in rows) + ")"
    if result is None:
        raise StudentError(f"{name} (your backward) returned None: not written yet? It must "
                           f"return one gradient per input, in order: return {wanted}",
                           "unfinished")
    if isinstance(result, Mapping):             # keyed by input name, or "dx" for x
        known = {r.name for r in rows} | {"d" + r.name for r in rows}
        extra = sorted(map(str, set(result) - known))
        if extra:
            rows[0].hints.append(f"{name} returned gradients for unknown inputs {extra}")
        result = [result.get(r.name, result.get("d" + r.name)) for r in rows]
    elif isinstance(result, (np.ndarray, Tensor)) or np.isscalar(result) or _is_torch(result):
        result = [result]
    try:
        result, inputs = list(result), list(rows)
    except TypeError:
        raise StudentError(f"{name} (your backward) returned an object of type "
                           f"{type(result).__name__}; it must return one gradient per input, "
                           f"in order: return {wanted}") from None
    if result and all(g is None for g in result):
        raise StudentError(f"{name} (your backward) returned only None: not written yet?",
                           "unfinished")
    if len(result) != len(rows):
        note = (f"{name} returned {len(result)} gradient{'s' * (len(result) != 1)} for "
                f"{len(rows)} input{'s' * (len(rows) != 1)}; expected {wanted}")
        for row in rows[len(result):]:
            row.problem = "missing"
            row.hints.append(note)
        for k in range(len(rows), len(result)):
            extra = Row(f"extra #{k + 1}", ())
            extra.problem = "not an input"
            extra.hints.append(note)
            rows.append(extra)
    shapes = {r.name: r.shape for r in inputs}
    for row, g in zip(inputs, result):
        if _is_torch(g):
            row.problem = "a torch.Tensor, not a NumPy array"
            row.hints.append(f"return d{row.name}.detach().numpy(): a NumPy array, cut from "
                             f"PyTorch's graph")
            continue
        arr = None if g is None or _kind(g) == "b" else _array(g)
        if arr is None:
            row.problem = ("missing" if g is None else
                           f"{_dtype(g)} values, not real numbers" if _kind(g) in "bc" else
                           f"not an array of numbers ({type(g).__name__})")
        elif arr.shape != row.shape:
            row.problem = f"shape {shape_text(arr.shape)}"
            others = {n: s for n, s in shapes.items() if n != row.name}
            row.hints.append(shape_hint(arr.shape, row.shape, others))
        else:
            row.got, row.dtype = arr, _computed_dtype(g)


# ----------------------------------------------------------------------------
# Checking the arguments, the forward and the precision
# ----------------------------------------------------------------------------

def _coarse(dtype):
    """True for a floating dtype with fewer digits than float64 (float32, float16)."""
    return dtype is not None and dtype.kind == "f" and np.finfo(dtype).eps > 1e-10


def _judge(threshold, report, *dtypes):
    """(threshold, coarse) for a result computed in `dtypes`: float32 rounding alone leaves
    errors of 1e-6 to 1e-5 in a right gradient, so a coarse result passes below
    sqrt(eps) of its dtype (3.5e-4 for float32), with tiny elements judged as in finite
    differences. Bugs still give 1e-3 and more."""
    coarse = [d for d in dtypes if _coarse(d)]
    if not coarse:
        return threshold, False
    dtype = max(coarse, key=lambda d: np.finfo(d).eps)
    limit = max(threshold, float(np.sqrt(np.finfo(dtype).eps)))
    report.coarse[str(dtype)] = limit
    return limit, True


def _inputs(inputs):
    if not isinstance(inputs, Mapping):
        raise TypeError("check_backward: inputs must be a dict mapping names to arrays in "
                        f"argument order, e.g. {{'x': x, 'gamma': gamma}}; got "
                        f"{type(inputs).__name__}")
    if not inputs:
        raise ValueError("check_backward: inputs is empty; give at least one array")
    names, arrays = [], []
    for name, value in inputs.items():
        arr = _array(value)
        if arr is None:
            raise TypeError(f"check_backward: input {name!r} must be a real-valued array, got "
                            f"{type(value).__name__}")
        names.append(str(name))
        arrays.append(arr)
    return names, arrays


def _dout(dout, shape, seed):
    if dout is None:
        # Not default_rng(seed) itself: inputs drawn from that would equal dout (or be a
        # linear function of it), and BatchNorm's dx is exactly zero for dout linear in x.
        return np.random.default_rng([seed, 1]).standard_normal(shape)
    return _array(dout)


def _check_forward_is_pure(runner, forward, arrays, constants, out, names, report):
    """Finite differences need a forward that is deterministic and leaves its inputs alone."""
    probe = [a.copy() for a in arrays]
    runner.call(forward, "forward", *probe, **constants)
    changed = [n for n, a, b in zip(names, probe, arrays)
               if not np.array_equal(a, b, equal_nan=True)]
    if changed:
        report.notes.append(f"your forward modified {join_names(changed)} in place; it should not "
                            f"change its inputs")
    again = _forward(runner, forward, arrays, constants)[0]
    if again.shape != out.shape or not np.array_equal(again, out, equal_nan=True):
        report.notes.append("your forward gave different outputs for the same inputs (random "
                            "numbers?); finite differences mean nothing then")


def _compare_output(row, oracle, ref_out, judge):
    """The forward's output against a reference's: a different shape fails the row."""
    if ref_out.shape != row.got.shape:
        row.problem = f"shape {shape_text(row.got.shape)}"
        row.hints.append(f"your forward returns shape {shape_text(row.got.shape)} but the "
                         f"{oracle} reference returns {shape_text(ref_out.shape)}")
    elif not row.problem:
        threshold, coarse = judge
        row.comparisons[oracle] = Comparison(oracle, row.got, ref_out, threshold, coarse,
                                             zero_floor([ref_out]))
        if not row.comparisons[oracle].ok and not row.hints:
            worst = shape_text(row.comparisons[oracle].worst)
            row.hints.append(f"your forward computes something else than the reference (worst "
                             f"at {worst}): fix the forward first")


def _fn_name(fn):
    return getattr(fn, "__name__", None) or repr(fn)
