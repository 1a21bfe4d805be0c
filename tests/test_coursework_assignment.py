"""Tests for minigrad.coursework.assignment: a whole CS231n `layers.py` in one check.

tests/solutions/cs231n_layers.py is a complete, correct solution with CS231n's signatures:
every function must PASS. Each planted bug is that source with one line changed inside one
function; the check must FAIL exactly that row, on the input (or the forward output) the bug
breaks, and give the hint that points at it.
"""
import ast
import importlib.util
import json
import pathlib
import time

import numpy as np
import pytest

from minigrad.coursework.assignment import check_assignment
from minigrad.coursework.cs231n import CASES

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "tests" / "solutions" / "cs231n_layers.py"


def load_source(source, tmp_path, name="layers"):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"student_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def planted(function, old, new):
    """The solution's source with `old` replaced by `new` once, inside `function` only."""
    source = SOLUTION.read_text()
    node = next(n for n in ast.parse(source).body
                if isinstance(n, ast.FunctionDef) and n.name == function)
    lines = source.splitlines(keepends=True)
    body = "".join(lines[node.lineno - 1:node.end_lineno])
    assert body.count(old) == 1, f"{old!r} must occur once in {function}"
    return ("".join(lines[:node.lineno - 1]) + body.replace(old, new)
            + "".join(lines[node.end_lineno:]))


@pytest.fixture(scope="module")
def solution_report():
    spec = importlib.util.spec_from_file_location("cs231n_solution", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return check_assignment(module)


def test_the_correct_solution_passes_every_function(solution_report):
    report = solution_report
    assert [r.case.name for r in report.results] == [c.name for c in CASES]
    assert [r.verdict for r in report.results] == ["PASS"] * len(CASES), str(report)
    assert report.passed and report.score == len(CASES)
    for r in report.results:
        assert r.report.output.ok and "autograd" in r.report.oracles
        assert r.worst < 1e-6
    text = str(report)
    assert f"{len(CASES)} of {len(CASES)} pass." in text and "PASSED" in text
    header = next(line for line in text.splitlines() if line.startswith("function"))
    assert header.split() == ["function", "verdict", "worst", "rel", "err", "hint"]


def test_the_notebooks_inputs_are_drawn(solution_report):
    batchnorm = solution_report["batchnorm"].report
    assert batchnorm["x"].shape == (4, 5) and batchnorm["gamma"].shape == (5,)
    conv = solution_report["conv_naive"].report
    assert [r.shape for r in conv.rows] == [(4, 3, 5, 5), (2, 3, 3, 3), (2,)]
    x = 5 * np.random.RandomState(231).randn(2, 6, 4, 5) + 12
    group = solution_report["spatial_groupnorm"].report
    assert group["gamma"].shape == (1, 6, 1, 1) and group.output.got.shape == x.shape


# (function to plant the bug in, old text, new text, row, what fails, words of the hint)
BUGS = [
    ("affine_backward", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)", "affine", "b",
     "a stray 1/10"),
    ("affine_backward", "return dx, dw, db", "return dx, db, dw", "affine", "w",
     "the shape of b: swapped return order"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = dout * (x < 0)", "relu", "x", ""),
    ("batchnorm_backward", "dgamma = np.sum(dout * x_hat, axis=0)",
     "dgamma = -np.sum(dout * x_hat, axis=0)", "batchnorm", "gamma", "sign is flipped"),
    ("batchnorm_backward", "dx_hat = dout * gamma", "dx_hat = dout", "batchnorm", "x",
     "c = 1/gamma: did you forget to multiply by gamma"),
    ("batchnorm_backward_alt", "m * g - g.sum(axis=0) - ", "m * g - ", "batchnorm_alt", "x",
     "path through the mean"),
    ("layernorm_backward", "dx = inv_std / D * (", "dx = 1 / D * (", "layernorm", "x",
     "forget the factor 1/std"),
    ("dropout_backward", "return dout * mask", "return dout", "dropout", "x", ""),
    ("conv_backward_naive", "dout[n, f, i, j] * w[f]", "dout[n, f, i, j] * w[f, :, ::-1, ::-1]",
     "conv_naive", "x", ""),
    ("conv_backward_naive", "db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(0, 2, 3)) * 2",
     "conv_naive", "b", "2 times"),
    ("max_pool_backward_naive", "np.argmax(window)", "np.argmin(window)", "max_pool_naive", "x",
     ""),
    ("spatial_batchnorm_backward", "dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
     "dx.reshape(N, C, H, W)", "spatial_batchnorm", "x", ""),
    ("spatial_groupnorm_backward", "axis=(0, 2, 3), keepdims=True)\n    g",
     "axis=(0, 2, 3))\n    g", "spatial_groupnorm", "gamma", "reshape to the input's shape"),
    ("softmax_loss", "dx /= N", "pass", "softmax_loss", "x", "an extra factor 50"),
    ("svm_loss", "= -positive.sum(axis=1)", "= positive.sum(axis=1)", "svm_loss", "x", ""),
]


@pytest.mark.parametrize("function,old,new,row,who,hint", BUGS,
                         ids=[f"{b[0]}-{b[4]}-{i}" for i, b in enumerate(BUGS)])
def test_a_planted_bug_fails_the_right_function_and_input(function, old, new, row, who, hint,
                                                          tmp_path):
    module = load_source(planted(function, old, new), tmp_path)
    report = check_assignment(module, only=[row])
    result = report[row]
    assert result.verdict == "FAIL", str(result.report)
    assert result.report.wrong[:1] == [who], str(result.report)
    assert result.report.output.ok                 # the forward is untouched
    assert hint in " ".join(result.report[who].hints), str(result.report)
    assert who in result.hint and not report.passed


def test_a_bug_in_a_forward_fails_its_output_and_names_no_gradient(tmp_path):
    module = load_source(planted("layernorm_forward", "var = x.var(axis=1, keepdims=True)",
                                 "var = x.var(axis=1, keepdims=True, ddof=1)"), tmp_path)
    result = check_assignment(module, only=["layernorm"])["layernorm"]
    assert result.verdict == "FAIL" and not result.report.output.ok
    assert "forward output" in result.hint


def test_one_bug_leaves_the_other_rows_passing(tmp_path):
    source = planted("max_pool_backward_naive", "np.argmax(window)", "np.argmin(window)")
    skip = ["conv_naive", "spatial_groupnorm", "softmax_loss", "svm_loss"]      # kept quick
    report = check_assignment(load_source(source, tmp_path),
                              only=[c.name for c in CASES if c.name not in skip])
    verdicts = {r.case.name: r.verdict for r in report.results}
    assert verdicts.pop("max_pool_naive") == "FAIL"
    assert set(verdicts.values()) == {"PASS"}
    text = str(report)
    assert "report['NAME'].report" in text and "1 fail" in text


UNFINISHED = '''
import numpy as np

def affine_forward(x, w, b):
    out = None
    ###########################################################################
    # TODO: Copy over your solution from Assignment 1.                        #
    ###########################################################################
    pass
    cache = (x, w, b)
    return out, cache

def affine_backward(dout, cache):
    dx, dw, db = None, None, None
    return dx, dw, db

def relu_forward(x):
    return np.maximum(x, 0), x

def relu_backward(dout, cache):
    dx = None
    return dx

def batchnorm_forward(x, gamma, beta, bn_param):
    raise NotImplementedError("TODO")

def batchnorm_backward(dout, cache):
    pass
'''


def test_unfinished_functions_are_skipped_saying_why(tmp_path):
    report = check_assignment(load_source(UNFINISHED, tmp_path),
                              only=["affine", "relu", "batchnorm", "dropout"])
    verdicts = {r.case.name: (r.verdict, r.hint) for r in report.results}
    assert verdicts["affine"][0] == "SKIPPED" and "out = None" in verdicts["affine"][1]
    assert verdicts["relu"][0] == "SKIPPED" and "returned None" in verdicts["relu"][1]
    assert verdicts["batchnorm"][0] == "SKIPPED" and "not done yet" in verdicts["batchnorm"][1]
    assert verdicts["dropout"][0] == "SKIPPED"
    assert "dropout_forward and dropout_backward not found" in verdicts["dropout"][1]
    assert "4 skipped" in str(report) and not report.passed


def test_a_hang_is_one_row_and_the_rest_goes_on(tmp_path):
    source = SOLUTION.read_text() + "\n\ndef relu_backward(dout, cache):\n    while True:\n" \
        "        pass\n"
    start = time.perf_counter()
    report = check_assignment(load_source(source, tmp_path), only=["relu", "affine"],
                              timeout=0.5)
    assert time.perf_counter() - start < 5
    assert report["relu"].verdict == "HANG"
    assert "relu_backward (your backward) did not return within 0.5 s" in report["relu"].hint
    assert report["affine"].verdict == "PASS"


def test_printing_is_captured_and_trimmed(tmp_path):
    source = planted("relu_forward", "return np.maximum(x, 0), x",
                     "for k in range(200):\n        print('relu step', k)\n"
                     "    return np.maximum(x, 0), x")
    result = check_assignment(load_source(source, tmp_path), only=["relu"])["relu"]
    assert result.verdict == "PASS"
    text = str(result.report)
    assert "your code printed" in text and "more lines" in text
    assert len(text.splitlines()) < 40


def test_dropout_with_the_other_meaning_of_p_gets_a_hint(tmp_path):
    source = planted("dropout_forward", "mask = (np.random.rand(*x.shape) < p) / p",
                     "mask = (np.random.rand(*x.shape) >= p) / (1 - p)")
    result = check_assignment(load_source(source, tmp_path), only=["dropout"])["dropout"]
    assert result.verdict == "FAIL" and not result.report.output.ok
    assert "probability of keeping" in " ".join(result.report.output.hints)


def test_json_gradescope_and_html(solution_report, tmp_path):
    data = json.loads(json.dumps(solution_report.to_dict()))
    assert data["score"] == data["max_score"] == len(CASES) and data["passed"]
    assert data["functions"][0]["verdict"] == "PASS"
    assert data["functions"][0]["report"]["inputs"][0]["name"] == "x"
    results = json.loads(json.dumps(solution_report.gradescope()))
    assert results["score"] == len(CASES)
    assert {"name", "score", "max_score", "output"} <= set(results["tests"][0])
    assert "PASSED" in results["tests"][0]["output"]
    page = solution_report._repr_html_()
    assert page.count("<tr>") == len(CASES) + 1 and "<th" in page
    assert "<table>" in solution_report["affine"].report._repr_html_()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown assignment 'cs230'"):
        check_assignment({}, "cs230")
    with pytest.raises(ValueError, match="no function 'batchnrm'"):
        check_assignment({}, only=["batchnrm"])
    report = check_assignment({}, only=["relu"])             # a dict of functions works too
    assert report["relu"].verdict == "SKIPPED"
