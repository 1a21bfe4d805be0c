"""Cross-checking a hand-written backward pass: coursework in the CS231n convention.

A student writes two plain NumPy functions,

    forward(*arrays, **constants) -> (out, cache)
    backward(dout, cache)         -> (d_input_1, d_input_2, ...)    one per input, in order

and check_backward says whether each gradient is right and, when it is not, which one and how.
It draws a random upstream gradient dout (seeded), runs both functions, and compares every
returned gradient with up to three oracles:

    finite diff   grad[k] = sum((f(x + h e_k) - f(x - h e_k)) * dout) / (2 h),   h = 1e-5,
                  in float64 on the student's own forward (CS231n's eval_numerical_gradient_array)
    autograd      minigrad's backward walk through `reference`, a minigrad function computing the
                  same forward on Tensors (e.g. layers.functional.batch_norm)
    torch         PyTorch's autograd through `torch_reference`, when PyTorch is installed

Every comparison reports CS231n's relative error

    rel = max_k |a_k - b_k| / max(1e-8, |a_k| + |b_k|)

with the largest absolute error and the index of the worst element. The 1e-8 stands for "zero";
when every gradient of the problem is smaller than 1 it is scaled down with the largest of them,
so that gradients of size 1e-16 are still told apart instead of all counting as zero. The
student's forward output is compared with the references' outputs the same way. The report,
its table and the hints that explain a wrong gradient are in report.py.

Verdict: a gradient is right when rel < 1e-7 against every oracle that ran. Why 1e-7
(docs/normalization.md section 5): closed-form backward passes agree with autograd to about 1e-15;
against central differences with h = 1e-5, correct BatchNorm and LayerNorm backward passes give
1e-13 to 1e-8 (CS231n's notebook; BatchNorm dx 1.7e-9 in its setup), while real bugs (a dropped
term, a flipped sign, m - 1 for m) give 1e-3 and more. 1e-7 sits an order of magnitude above the
noise of correct code and far below any bug.
Finite differences carry a rounding noise of about 1e-10 times the gradient's scale, so an element
far below that scale can show a large relative error although it is right. Against finite
differences only, elements smaller than 1% of the array's largest |a| + |b| are therefore judged
relative to that 1%; a row that passes only thanks to this is marked "ok~".
float32 code (a forward or gradient in float32) is judged at float32 precision: right float32
gradients differ from float64 ones by 1e-6 to 1e-5 (rounding), so they pass below sqrt(eps) =
3.5e-4, tiny elements judged as above; finite differences of a float32 forward are mostly rounding
at h = 1e-5, so they are skipped and only the references judge.
"""
from __future__ import annotations

import os
import textwrap
import traceback
from collections.abc import Mapping

import numpy as np

from minigrad.autograd import grad
from minigrad.coursework.report import (  # rel_error: the measure, importable from here too
    CheckReport, Comparison, Row, explain, join_names, rel_error, shape_hint, shape_text,
    zero_floor,
)
from minigrad.tensor import Tensor

THRESHOLD = 1e-7     # largest relative error of a right gradient (see the module docstring)


# ----------------------------------------------------------------------------
# Running the student's code: their exceptions become readable messages
# ----------------------------------------------------------------------------

class StudentError(Exception):
    """The student's forward or backward raised or returned something unusable."""


def _call(fn, role, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as exc:      # sys.exit(0) must not end a grading as a pass
        raise StudentError(_describe(fn, role, exc)) from exc


def _describe(fn, role, exc):
    """'batchnorm_backward raised ZeroDivisionError: ... at file.py:12 `line`'."""
    name = getattr(fn, "__name__", role)
    if isinstance(exc, SystemExit):
        head = f"{name} (your {role}) called sys.exit({exc.code!r}); return your results instead"
    elif isinstance(exc, NotImplementedError):
        head = f"{name} (your {role}) is not implemented yet"
        head += ":\n" + textwrap.indent(str(exc), "    ") if str(exc) else "."
    else:
        head = f"{name} (your {role}) raised {type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)[1:]   # drop _call's own frame
    code = getattr(fn, "__code__", None)
    mine = [f for f in frames if code is not None and f.filename == code.co_filename]
    if mine or frames:
        f = (mine or frames)[-1]
        code_line = (f.line or "").strip()
        head += f"\n    at {_short(f.filename)}, line {f.lineno}, in {f.name}:\n        {code_line}"
    return head


def _short(path):
    """The path relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _forward(forward, arrays, constants):
    """Run the student's forward on copies; return (out as float64, cache)."""
    name = getattr(forward, "__name__", "forward")
    result = _call(forward, "forward", *[a.copy() for a in arrays], **constants)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = type(result).__name__ + (f" of length {len(result)}"
                                       if isinstance(result, (tuple, list)) else "")
        raise StudentError(f"{name} (your forward) must return a pair (out, cache), got {got}")
    out, cache = result
    dtype = _dtype(out)
    out = _array(out)
    if out is None:
        raise StudentError(f"{name} (your forward) returned out of type "
                           f"{type(result[0]).__name__}; it must be a NumPy array")
    return out, cache, dtype


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


def _kind(value):
    dtype = _dtype(value)
    return "?" if dtype is None else dtype.kind


def _gradients(result, rows, backward):
    """Fill row.got (or row.problem) from what the student's backward returned."""
    name = getattr(backward, "__name__", "backward")
    wanted = "(" + ", ".join("d" + r.name for r in rows) + ")"
    if result is None:
        raise StudentError(f"{name} (your backward) returned None; it must return one gradient "
                           f"per input, in order: return {wanted}")
    if isinstance(result, Mapping):             # keyed by input name, or "dx" for x
        known = {r.name for r in rows} | {"d" + r.name for r in rows}
        extra = sorted(map(str, set(result) - known))
        if extra:
            rows[0].hints.append(f"{name} returned gradients for unknown inputs {extra}")
        result = [result.get(r.name, result.get("d" + r.name)) for r in rows]
    elif isinstance(result, (np.ndarray, Tensor)) or np.isscalar(result):
        result = [result]
    try:
        result, inputs = list(result), list(rows)
    except TypeError:
        raise StudentError(f"{name} (your backward) returned an object of type "
                           f"{type(result).__name__}; it must return one gradient per input, "
                           f"in order: return {wanted}") from None
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
    for row, g in zip(inputs, result):
        arr = None if g is None or _kind(g) == "b" else _array(g)
        if arr is None:
            row.problem = ("missing" if g is None else
                           f"{_dtype(g)} values, not real numbers" if _kind(g) in "bc" else
                           f"not an array of numbers ({type(g).__name__})")
        elif arr.shape != row.shape:
            row.problem = f"shape {shape_text(arr.shape)}"
            row.hints.append(shape_hint(arr.shape, row.shape))
        else:
            row.got, row.dtype = arr, _dtype(g)


# ----------------------------------------------------------------------------
# The oracles
# ----------------------------------------------------------------------------

def _finite_differences(forward, arrays, constants, dout, h):
    """Central differences of sum(forward(...) * dout) for every element of every input."""
    grads = []
    for i, x in enumerate(arrays):
        args = list(arrays)
        g = np.zeros_like(x)
        for k in np.ndindex(x.shape):
            shifted = x.copy()
            shifted[k] += h
            args[i] = shifted
            plus = _forward(forward, args, constants)[0]
            shifted[k] -= 2 * h
            minus = _forward(forward, args, constants)[0]
            if plus.shape != dout.shape or minus.shape != dout.shape:
                raise StudentError(f"{getattr(forward, '__name__', 'forward')} (your forward) "
                                   f"changed its output shape when input {i} moved by {h:g}")
            g[k] = np.sum((plus - minus) * dout) / (2 * h)
        grads.append(g)
    return grads


def _autograd(reference, arrays, names, constants, dout):
    """The reference's output and minigrad's gradients of sum(out * dout)."""
    xs = [Tensor(a.copy(), requires_grad=True, name=n) for a, n in zip(arrays, names)]
    out = reference(*xs, **constants)
    if not isinstance(out, Tensor):
        raise TypeError(f"the reference must return a minigrad Tensor, got {type(out).__name__}")
    if out.shape != dout.shape:
        return out.data, None
    grads = grad(out, xs, Tensor(dout.astype(out.dtype)), allow_unused=True)
    return out.data, [np.zeros(x.shape) if g is None else g.data for g, x in zip(grads, xs)]


def _torch(torch_reference, arrays, names, constants, dout):
    """The torch reference's output and PyTorch's gradients of sum(out * dout)."""
    import torch
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = torch_reference(*xs, **constants)
    if tuple(out.shape) != dout.shape:
        return out.detach().numpy(), None
    grads = torch.autograd.grad(out, xs, torch.tensor(dout, dtype=out.dtype), allow_unused=True)
    return out.detach().numpy(), [np.zeros(a.shape) if g is None else g.numpy()
                                  for g, a in zip(grads, arrays)]


def _torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------
# check_backward
# ----------------------------------------------------------------------------

def check_backward(forward, backward, inputs, reference=None, *, torch_reference=None,
                   constants=None, dout=None, seed=0, h=1e-5, threshold=THRESHOLD,
                   finite_differences=True):
    """Cross-check a hand-written NumPy backward pass; return a CheckReport.

    forward(*arrays, **constants) -> (out, cache) and backward(dout, cache) -> gradients, one
    per input in the order of `inputs` (a tuple; a dict keyed "x" or "dx" also works).
    inputs: a dict {name: array} in argument order; the arrays are copied to float64.
    reference: a minigrad function of Tensors with forward's signature, returning `out`
        (e.g. lambda x, gamma, beta, eps: layers.functional.batch_norm(...)).
    torch_reference: the same on torch tensors; used when PyTorch is installed.
    constants: non-differentiable keyword arguments (eps, G, ...) passed to all three.
    dout: the upstream gradient; by default standard normal from `seed`.
    h: the finite-difference step. threshold: the largest relative error that passes
        (1e-7, see the module docstring for why).

    The report's `.passed` is True when every gradient agrees with every oracle and the
    forward output agrees with the references'. An exception in the student's code or a
    malformed return value is reported, not raised.
    """
    if not callable(forward) or not callable(backward):
        raise TypeError("check_backward: forward and backward must be functions, got "
                        f"{type(forward).__name__} and {type(backward).__name__}")
    names, arrays = _inputs(inputs)
    if not 0 < threshold < 1:
        raise ValueError(f"check_backward: threshold is a relative error between 0 and 1, got "
                         f"{threshold!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"check_backward: seed must be a non-negative integer, got {seed!r}")
    if not finite_differences and reference is None and torch_reference is None:
        raise ValueError("check_backward: with finite_differences=False give a reference or a "
                         "torch_reference; otherwise nothing checks the gradients")
    constants = dict(constants or {})
    fname = getattr(forward, "__name__", "forward")
    bname = getattr(backward, "__name__", "backward")
    drawn = "dout given" if dout is not None else f"dout ~ N(0, 1) with seed {seed}"
    report = CheckReport(f"check_backward({fname}, {bname}): {len(names)} input"
                         f"{'s' * (len(names) != 1)}, {drawn}", threshold)
    report.rows = [Row(n, a.shape) for n, a in zip(names, arrays)]
    if finite_differences:
        report.oracles["finite diff"] = f"central differences of {fname}, h={h:g}"
    if reference is not None:
        report.oracles["autograd"] = f"minigrad autograd through {_fn_name(reference)}"
    if torch_reference is not None:
        if _torch_available():
            report.oracles["torch"] = f"PyTorch autograd through {_fn_name(torch_reference)}"
        else:
            report.notes.append("PyTorch is not installed, so there is no torch column")
            torch_reference = None
    try:
        out, cache, out_dtype = _forward(forward, arrays, constants)
        if not np.all(np.isfinite(out)):
            report.notes.append("your forward's output contains NaN or inf for these inputs, "
                                "so no gradient can be compared there (log or sqrt of a "
                                "negative input? 1/0?); try other inputs")
        _check_forward_is_pure(forward, arrays, constants, out, names, report)
        dout = _dout(dout, out.shape, seed)
        _gradients(_call(backward, "backward", dout.copy(), cache), report.rows, backward)
        expected = {}
        if finite_differences and _coarse(out_dtype):
            # f(x + h) - f(x - h) with h = 1e-5 keeps about 2 of float32's 7 digits
            del report.oracles["finite diff"]
            report.notes.append(f"your forward returns {out_dtype}: central differences with "
                                f"h={h:g} drown in its rounding, so they were skipped; compute "
                                f"in float64 to have them checked")
        elif finite_differences:
            expected["finite diff"] = _finite_differences(forward, arrays, constants, dout, h)
    except StudentError as e:
        report.error = str(e)
        return report
    report.output = Row("forward out", out.shape)
    report.output.got, report.output.dtype = out, out_dtype
    for oracle, run, fn in (("autograd", _autograd, reference), ("torch", _torch, torch_reference)):
        if fn is None:
            continue
        try:
            ref_out, ref_grads = run(fn, arrays, names, constants, dout)
        except Exception as exc:
            report.error = (f"the {oracle} reference {_fn_name(fn)} raised "
                            f"{type(exc).__name__}: {exc} (a problem with the reference or the "
                            f"constants, not with your backward)")
            return report
        _compare_output(report.output, oracle, np.asarray(ref_out, dtype=np.float64),
                        _judge(threshold, report, out_dtype))
        if ref_grads is not None:
            expected[oracle] = ref_grads
    if not expected:
        report.error = ("nothing to compare your gradients with: no finite differences (see the "
                        "note) and no reference; give a reference, or compute in float64"
                        if finite_differences else "finite_differences=False and no reference ran")
        return report
    if not report.output.comparisons:
        report.output = None      # nothing to compare the forward with
    report.floor = zero_floor([g for grads in expected.values() for g in grads])
    for i, row in enumerate(report.rows):
        if row.got is None:
            continue
        limit, coarse = _judge(threshold, report, row.dtype, out_dtype)
        for oracle, grads in expected.items():
            row.comparisons[oracle] = Comparison(oracle, row.got, grads[i], limit,
                                                 coarse or oracle == "finite diff", report.floor)
        if not row.ok:
            explain(row, i, arrays[i], expected, report, limit)
    return report


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
    arr = _array(dout)
    if arr is None or arr.shape != shape:
        raise ValueError(f"check_backward: dout must be an array of the forward output's shape "
                         f"{shape_text(shape)}, got {getattr(arr, 'shape', type(dout).__name__)}")
    return arr


def _check_forward_is_pure(forward, arrays, constants, out, names, report):
    """Finite differences need a forward that is deterministic and leaves its inputs alone."""
    probe = [a.copy() for a in arrays]
    _call(forward, "forward", *probe, **constants)
    changed = [n for n, a, b in zip(names, probe, arrays)
               if not np.array_equal(a, b, equal_nan=True)]
    if changed:
        report.notes.append(f"your forward modified {join_names(changed)} in place; it should not "
                            f"change its inputs")
    again = _forward(forward, arrays, constants)[0]
    if again.shape != out.shape or not np.array_equal(again, out, equal_nan=True):
        report.notes.append("your forward gave different outputs for the same inputs (random "
                            "numbers?); finite differences mean nothing then")


def _compare_output(row, oracle, ref_out, judge):
    if ref_out.shape != row.shape:
        row.problem = f"reference gives {shape_text(ref_out.shape)}"
        row.hints.append(f"your forward returns shape {shape_text(row.shape)} but the {oracle} "
                         f"reference returns {shape_text(ref_out.shape)}")
    elif not row.problem:
        threshold, coarse = judge
        row.comparisons[oracle] = Comparison(oracle, row.got, ref_out, threshold, coarse,
                                             zero_floor([ref_out]))
        if not row.comparisons[oracle].ok and not row.hints:
            row.hints.append("your forward computes something else than the reference: fix the "
                             "forward first (check eps, the variance and the reduction axes)")


def _fn_name(fn):
    return getattr(fn, "__name__", None) or repr(fn)
