"""Tests for minigrad.coursework: check_backward on the exercises, their solutions and planted bugs.

The forwards are the shipped templates (tutorials/exercises), the backward passes come from
tests/solutions: the correct one must pass, every planted bug must fail on exactly the input
it breaks, whether the oracle is finite differences alone or the layers/PyTorch references.
"""
import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad.coursework import check as check_module
from minigrad.coursework import THRESHOLD, check_backward
from minigrad.cli.check import EXERCISES, make_inputs
from minigrad.cli.exercises import LISTING, Exercise

ROOT = pathlib.Path(__file__).resolve().parents[1]
BACKWARD = sorted(name for name, ex in EXERCISES.items() if isinstance(ex, Exercise))


def load(path):
    spec = importlib.util.spec_from_file_location("checked_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exercise(name, seed=0):
    """(template module, solution module, exercise spec, inputs)."""
    ex = EXERCISES[name]
    template = load(ROOT / "tutorials" / "exercises" / LISTING[name].file)
    planted = ROOT / "tests" / "solutions" / f"{name}.py"     # a solution and planted bugs
    solution = load(planted if planted.exists() else
                    ROOT / "tutorials" / "solutions" / LISTING[name].file)
    return template, solution, ex, make_inputs(ex.shapes, seed, ex.shifted)


def run(name, backward, oracles="all", **kwargs):
    template, solution, ex, inputs = exercise(name)
    if isinstance(backward, str):
        backward = getattr(solution, backward)
    refs = {} if oracles == "fd" else {"reference": ex.reference}
    return check_backward(getattr(template, ex.forward), backward, inputs,
                          constants=ex.constants, **refs, **kwargs)


PLANTED = [(name, bug, who) for name in ("batchnorm", "layernorm", "groupnorm", "weightnorm")
           for bug, who in exercise(name)[1].BUGS.items()]


# ----------------------------------------------------------------------------
# The exercises: solutions pass, planted bugs fail on the right input
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKWARD)
def test_solution_passes_against_every_oracle(name, torch):
    report = run(name, EXERCISES[name].backward, torch_reference=EXERCISES[name].torch_reference)
    assert report.passed, str(report)
    assert report.wrong == []
    for row in report.rows:
        assert set(row.comparisons) == {"finite diff", "autograd", "torch"}
        assert row.comparisons["autograd"].rel < 1e-12
        assert row.comparisons["torch"].rel < 1e-12
    assert report.output.ok and report.output.comparisons["torch"].rel < 1e-12
    assert "PASSED" in str(report)


@pytest.mark.parametrize("name,bug,who", PLANTED)
@pytest.mark.parametrize("oracles", ["fd", "all"])
def test_planted_bug_fails_on_the_right_input(name, bug, who, oracles):
    report = run(name, bug, oracles)
    assert not report.passed
    assert report.wrong == [who], str(report)
    text = str(report)
    assert f"FAILED: wrong gradient for {who}." in text
    assert report.output is None or report.output.ok     # the forward itself is right


@pytest.mark.parametrize("name", ["batchnorm", "layernorm", "groupnorm"])
def test_hints_name_the_pattern(name):
    assert "sign is flipped" in " ".join(run(name, "dgamma_sign_flipped")["gamma"].hints)
    assert "path through the mean" in " ".join(run(name, "dx_missing_mean_term")["x"].hints)
    wrong_shape = run(name, "dgamma_wrong_shape")["gamma"]
    assert wrong_shape.problem.startswith("shape")
    assert "the input's shape" in wrong_shape.hints[0]


@pytest.mark.parametrize("name", ["batchnorm", "layernorm"])
def test_unbiased_variance_hint(name):
    hints = " ".join(run(name, "dx_unbiased_variance")["x"].hints)
    assert "path through the variance" in hints and "1/(m-1)" in hints


def test_template_as_shipped_fails_with_a_helpful_message():
    report = run("batchnorm", exercise("batchnorm")[0].batchnorm_backward)
    assert not report.passed and report.error is not None
    text = str(report)
    assert "batchnorm_backward (your backward) is not done yet" in text
    assert "minigrad check tutorials/exercises/batchnorm_backward.py --exercise batchnorm" in text
    assert "No gradient was checked." in text
    assert "\n        raise NotImplementedError(\n" in text      # the line of code, unbroken


# ----------------------------------------------------------------------------
# Malformed answers are failed rows or clear messages, never a crash
# ----------------------------------------------------------------------------

def solution(name="batchnorm"):
    return getattr(exercise(name)[1], EXERCISES[name].backward)


def test_backward_returning_none():
    report = run("batchnorm", lambda dout, cache: None)
    assert not report.passed
    assert "returned None" in report.error and "return (dx, dgamma, dbeta)" in report.error


def test_backward_returning_something_else():
    report = run("batchnorm", lambda dout, cache: object())
    assert "returned an object of type object; it must return one gradient per input" in \
        report.error


def test_too_few_gradients_fail_the_missing_row():
    report = run("batchnorm", lambda dout, cache: solution()(dout, cache)[:2])
    assert report.wrong == ["beta"]
    assert report["beta"].problem == "missing"
    assert "returned 2 gradients for 3 inputs" in str(report)


def test_too_many_gradients_fail_an_extra_row():
    report = run("batchnorm", lambda dout, cache: solution()(dout, cache) + (np.zeros(3),))
    assert report.wrong == ["extra #4"]
    assert [r.ok for r in report.rows[:3]] == [True, True, True]


def test_single_array_for_several_inputs():
    report = run("batchnorm", lambda dout, cache: solution()(dout, cache)[0])
    assert report.wrong == ["gamma", "beta"]
    assert report["x"].ok


def test_gradients_as_a_dict_by_name():
    def backward(dout, cache):
        dx, dgamma, dbeta = solution()(dout, cache)
        return {"beta": dbeta, "x": dx, "gamma": dgamma}
    assert run("batchnorm", backward).passed


def test_gradients_as_a_dict_by_gradient_name():
    def backward(dout, cache):
        dx, dgamma, dbeta = solution()(dout, cache)
        return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}        # the names in the docstring
    assert run("batchnorm", backward).passed


@pytest.mark.parametrize("bad, problem", [
    (lambda g: g + 0j, "complex128 values, not real numbers"),
    (lambda g: g > 0, "bool values, not real numbers"),
    (lambda g: [g, "a"], "not an array of numbers (list)"),
])
def test_a_gradient_that_is_not_real_numbers_says_what_it_is(bad, problem):
    def backward(dout, cache):
        dx, dgamma, dbeta = solution()(dout, cache)
        return bad(dx), dgamma, dbeta
    report = run("batchnorm", backward)
    assert report.wrong == ["x"] and report["x"].problem == problem


def test_an_infinite_gradient_shows_an_infinite_error():
    def backward(dout, cache):
        dx, dgamma, dbeta = solution()(dout, cache)
        return dx, dgamma / 0.0, dbeta
    with np.errstate(divide="ignore"):
        report = run("batchnorm", backward)
    assert report.wrong == ["gamma"]
    assert report["gamma"].worst().abs == np.inf                 # not the largest float
    assert "contains NaN or inf" in str(report) and "e+308" not in str(report)


def test_swapped_gradients_are_named():
    def backward(dout, cache):
        dx, dgamma, dbeta = solution()(dout, cache)
        return dx, dbeta, dgamma
    report = run("batchnorm", backward)
    assert report.wrong == ["gamma", "beta"]
    assert any("gradient of beta" in h for h in report["gamma"].hints)


def test_constant_factor_names_m_minus_one():
    def mean_forward(x):
        return x.mean(axis=0), x.shape[0]

    def mean_backward(dout, m):
        return np.broadcast_to(dout / (m - 1), (m,) + dout.shape).copy()
    report = check_backward(mean_forward, mean_backward, {"x": np.arange(12.0).reshape(4, 3)})
    assert report.wrong == ["x"]
    assert any("m - 1 instead of m = 4" in h for h in report["x"].hints)


def test_exception_in_student_code_is_reported_not_raised():
    def backward(dout, cache):
        return dout + undefined_name  # noqa: F821
    report = run("batchnorm", backward)
    assert not report.passed and report.wrong == ["x", "gamma", "beta"]
    assert "backward (your backward) raised NameError" in report.error
    assert "test_coursework_check.py" in report.error and "undefined_name" in report.error
    assert "No gradient was checked." in str(report)


def test_sys_exit_in_student_code_is_a_failure_not_an_exit():
    # An autograder must not let sys.exit(0) in a backward pass for a pass.
    def backward(dout, cache):
        raise SystemExit(0)
    report = check_backward(lambda x: (x * 2, None), backward, {"x": np.ones(3)})
    assert not report.passed and "(your backward) called sys.exit(0)" in report.error


def test_forward_errors_are_reported():
    report = check_backward(lambda x: x * 2, lambda d, c: d, {"x": np.ones(3)})
    assert "must return a pair (out, cache)" in report.error
    report = check_backward(lambda x: 1 / 0, lambda d, c: d, {"x": np.ones(3)})
    assert "(your forward) raised ZeroDivisionError" in report.error


def test_forward_that_differs_from_the_reference_fails_the_output_row():
    template, _, ex, inputs = exercise("batchnorm")

    def shifted_forward(x, gamma, beta, eps):
        out, cache = template.batchnorm_forward(x, gamma, beta, eps)
        return out + 1.0, cache
    report = check_backward(shifted_forward, solution(), inputs, ex.reference,
                            constants=ex.constants)
    assert not report.passed and report.wrong == []
    assert not report.output.ok
    assert "your forward output differs from the reference" in str(report)


def test_reference_failure_is_not_blamed_on_the_student():
    def broken(x):
        raise ValueError("bad reference")
    report = check_backward(lambda x: (x * 2, None), lambda d, c: 2 * d, {"x": np.ones(3)}, broken)
    assert "the autograd reference" in report.error and "not with your backward" in report.error


def test_a_forward_that_is_nan_at_the_inputs_is_named_as_the_cause():
    def forward(x):
        return np.log(x), x

    with np.errstate(invalid="ignore"):
        report = check_backward(forward, lambda dout, x: dout / x, {"x": np.array([1.0, -2.0])})
    assert report.wrong == ["x"]
    assert any("your forward's output contains NaN or inf" in n for n in report.notes)


def test_forward_modifying_its_input_is_noted():
    def forward(x):
        out = 3 * x
        x *= 0
        return out, None
    report = check_backward(forward, lambda d, c: 3 * d, {"x": np.ones(4)})
    assert report.passed
    assert any("modified x in place" in n for n in report.notes)


# ----------------------------------------------------------------------------
# The error measure, the threshold and the oracles
# ----------------------------------------------------------------------------

def test_the_threshold_is_documented():
    assert THRESHOLD == 1e-7 and "rel < 1e-7 against every oracle" in check_module.__doc__


@pytest.mark.parametrize("size", [1e-16, 1e-9, 1e12])
def test_the_verdict_does_not_depend_on_the_gradients_size(size):
    # With CS231n's fixed 1e-8, gradients of size 1e-16 all counted as zero: a flipped sign passed.
    def forward(x, w):
        return size * np.tanh(x * w), (x, w)

    def backward(dout, cache, sign=1.0):
        x, w = cache
        g = size * dout * (1 - np.tanh(x * w) ** 2)
        return g * w, sign * g * x
    inputs = {"x": np.linspace(-1, 1, 6), "w": np.linspace(0.5, 2, 6)}
    assert check_backward(forward, backward, inputs).passed
    report = check_backward(forward, lambda d, c: backward(d, c, -1.0), inputs)
    assert report.wrong == ["w"] and "the sign is flipped" in str(report)
    assert ("max(1e-8, |a|+|b|)" in str(report)) == (size > 1)          # scaled when tiny


def float32(name, backward):
    """The exercise's forward and `backward` run in float32, as a student's code might."""
    template, solution_, ex, inputs = exercise(name)
    forward = getattr(template, ex.forward)

    def forward32(*arrays, **constants):
        return forward(*[a.astype(np.float32) for a in arrays],
                       **{k: np.float32(v) if isinstance(v, float) else v
                          for k, v in constants.items()})

    def backward32(dout, cache):
        return getattr(solution_, backward)(dout.astype(np.float32), cache)
    return forward32, backward32, inputs, ex


@pytest.mark.parametrize("name", ["batchnorm", "groupnorm"])
def test_float32_code_is_judged_at_float32_precision(name):
    # Finite differences of a float32 forward are noise (1e-1); against the reference a right
    # float32 backward is off by float32 rounding (1e-6), a bug by far more.
    forward, backward, inputs, ex = float32(name, EXERCISES[name].backward)
    report = check_backward(forward, backward, inputs, ex.reference, constants=ex.constants)
    assert report.passed, str(report)
    assert "finite diff" not in report.oracles and "float32 results: < 3.5e-04" in str(report)
    assert any("returns float32" in n for n in report.notes)
    forward, backward, inputs, ex = float32(name, "dgamma_sign_flipped")
    report = check_backward(forward, backward, inputs, ex.reference, constants=ex.constants)
    assert report.wrong == ["gamma"]


def test_float32_code_without_a_reference_says_there_is_nothing_to_compare():
    forward, backward, inputs, ex = float32("batchnorm", "batchnorm_backward")
    report = check_backward(forward, backward, inputs, constants=ex.constants)
    assert not report.passed and "nothing to compare your gradients with" in report.error


def test_finite_difference_noise_on_tiny_elements_is_tolerated_and_marked():
    x = np.array([1e-3, 0.5, -1.0, 2.0])
    report = check_backward(lambda x: (x ** 3, x), lambda d, x: 3 * x ** 2 * d, {"x": x},
                            dout=np.ones(4))
    fd = report["x"].comparisons["finite diff"]
    assert fd.rel > THRESHOLD and fd.ok and report["x"].verdict == "ok~"
    assert report.passed and "ok~" in str(report)


def test_exact_oracles_get_no_noise_allowance():
    x = np.array([1e-3, 0.5, -1.0, 2.0])
    wrong_tiny = lambda d, x: 3 * x ** 2 * d + np.array([1e-9, 0, 0, 0])  # noqa: E731
    report = check_backward(lambda x: (x ** 3, x), wrong_tiny, {"x": x}, lambda t: t ** 3,
                            dout=np.ones(4), finite_differences=False)
    assert report.wrong == ["x"]


def test_torch_column_and_missing_torch(torch, monkeypatch):
    template, sol, ex, inputs = exercise("layernorm")
    args = (template.layernorm_forward, sol.layernorm_backward, inputs)
    report = check_backward(*args, torch_reference=ex.torch_reference, constants=ex.constants)
    assert "torch" in report["x"].comparisons
    monkeypatch.setattr(check_module, "torch_available", lambda: False)
    report = check_backward(*args, torch_reference=ex.torch_reference, constants=ex.constants)
    assert report.passed and "torch" not in report["x"].comparisons
    assert "PyTorch is not installed" in str(report)


def test_table_is_aligned_and_states_the_threshold():
    text = str(run("groupnorm", "dgamma_wrong_shape"))
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("input"))
    rows = lines[header:header + 5]
    col = rows[0].index("verdict")
    assert all(len(r) > col and r[col - 2:col] == "  " for r in rows)
    assert "< 1e-07 against every oracle" in text
    assert "max |a-b| / max(1e-8, |a|+|b|)" in text
    assert repr(run("groupnorm", "dgamma_wrong_shape")) == text


def test_bad_arguments_raise_at_the_boundary():
    f, b = (lambda x: (x, None)), (lambda d, c: d)
    with pytest.raises(TypeError, match="inputs must be a dict"):
        check_backward(f, b, [np.ones(3)])
    with pytest.raises(ValueError, match="inputs is empty"):
        check_backward(f, b, {})
    with pytest.raises(TypeError, match="'x' must be a real-valued array"):
        check_backward(f, b, {"x": "abc"})
    with pytest.raises(TypeError, match=r"dout must be an array of numbers, got str"):
        check_backward(f, b, {"x": np.ones(3)}, dout="abc")
    with pytest.raises(TypeError, match="must be functions"):
        check_backward(None, b, {"x": np.ones(3)})
    with pytest.raises(ValueError, match="finite_differences=False give a reference"):
        check_backward(f, b, {"x": np.ones(3)}, finite_differences=False)    # was StopIteration
    with pytest.raises(ValueError, match="threshold is a relative error between 0 and 1"):
        check_backward(f, b, {"x": np.ones(3)}, threshold=0.0)       # nothing could pass
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        check_backward(f, b, {"x": np.ones(3)}, seed=-1)


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 100))
def test_any_shape_right_passes_and_negated_fails(shape, seed):
    """tanh with its exact backward passes for every shape; the negated gradient fails."""
    x = np.random.default_rng(seed).standard_normal(shape)
    forward = lambda x: (np.tanh(x), np.tanh(x))  # noqa: E731
    right = lambda dout, y: dout * (1 - y ** 2)  # noqa: E731
    report = check_backward(forward, right, {"x": x}, mg.tanh, seed=seed)
    assert report.passed, str(report)
    wrong = check_backward(forward, lambda dout, y: -right(dout, y), {"x": x}, mg.tanh, seed=seed)
    assert wrong.wrong == ["x"]
    assert "sign is flipped" in wrong["x"].hints[0]
