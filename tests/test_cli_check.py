"""Tests for `minigrad check`: exit codes 0/1/2, the exercises as shipped and with a solution
dropped in, custom functions with --shape/--const/--reference, and --help."""
import ast
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time

import pytest

from minigrad import cli
from minigrad.cli.check import EXERCISES

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXERCISE_DIR = ROOT / "tutorials" / "exercises"
SOLUTIONS = ROOT / "tests" / "solutions"


def check(capsys, *argv):
    """Run `minigrad check ARGV` in-process: (exit code, stdout, stderr)."""
    code = cli.main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def solved(name, tmp_path):
    """The template with its backward stub replaced by the solution module's source."""
    template = (EXERCISE_DIR / f"{name}_backward.py").read_text()
    stub = next(node for node in ast.parse(template).body
                if isinstance(node, ast.FunctionDef) and node.name == f"{name}_backward")
    lines = template.splitlines(keepends=True)
    text = ("".join(lines[:stub.lineno - 1]) + (SOLUTIONS / f"{name}.py").read_text()
            + "".join(lines[stub.end_lineno:]))
    path = tmp_path / f"{name}_backward.py"
    path.write_text(text)
    return path


AFFINE = '''
import numpy as np

def affine_forward(x, w, b):
    return x @ w + b, (x, w)

def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)

def affine_backward_bad_db(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.mean(axis=0)
'''

REFERENCE = '''
def affine(x, w, b):
    return x @ w + b
'''


@pytest.fixture
def affine_file(tmp_path):
    (tmp_path / "ref_affine.py").write_text(REFERENCE)
    path = tmp_path / "affine.py"
    path.write_text(AFFINE)
    return path


# ----------------------------------------------------------------------------
# The exercises
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["batchnorm", "groupnorm", "layernorm", "weightnorm"])
def test_template_as_shipped_fails_with_its_grading_command(name, capsys, monkeypatch):
    source = (EXERCISE_DIR / f"{name}_backward.py").read_text()
    command = f"minigrad check tutorials/exercises/{name}_backward.py --exercise {name}"
    assert command in source                     # the docstring tells the student what to run
    monkeypatch.chdir(ROOT)
    code, out, _ = check(capsys, *shlex.split(command)[2:])
    assert code == 1
    assert f"{name}_backward (your backward) is not done yet" in out
    assert command in out                        # the message repeats the command
    assert "Traceback" not in out


@pytest.mark.parametrize("name", ["batchnorm", "groupnorm", "layernorm", "weightnorm"])
def test_solution_dropped_in_passes(name, tmp_path, capsys, torch):
    code, out, _ = check(capsys, solved(name, tmp_path), "--exercise", name)
    assert code == 0, out
    assert "PASSED" in out
    assert re.search(r"^input .* finite diff +autograd +torch", out, re.M)


@pytest.mark.parametrize("name,bug,who", [("batchnorm", "dx_unbiased_variance", "x"),
                                          ("layernorm", "dgamma_wrong_shape", "gamma"),
                                          ("groupnorm", "dgamma_sign_flipped", "gamma"),
                                          ("weightnorm", "dv_missing_norm_path", "v")])
def test_planted_bug_dropped_in_fails(name, bug, who, tmp_path, capsys):
    code, out, _ = check(capsys, solved(name, tmp_path), "--exercise", name, "--backward", bug)
    assert code == 1
    assert f"FAILED: wrong gradient for {who}." in out


def test_exercise_shapes_and_constants_can_be_overridden(tmp_path, capsys):
    path = solved("groupnorm", tmp_path)
    code, out, _ = check(capsys, path, "--exercise", "groupnorm", "--shape", "x=2,4,2,3",
                         "--shape", "gamma=4", "--shape", "beta=4", "--const", "G=2")
    assert code == 0, out
    assert "(2, 4, 2, 3)" in out
    code, _, err = check(capsys, path, "--exercise", "groupnorm", "--shape", "w=3")
    assert code == 2 and "inputs ['x', 'gamma', 'beta']" in err


# ----------------------------------------------------------------------------
# Custom functions
# ----------------------------------------------------------------------------

def test_custom_functions_pass_and_fail(affine_file, capsys):
    args = [affine_file, "--forward", "affine_forward", "--shape", "x=4,5", "--shape", "w=5,3",
            "--shape", "b=3"]
    code, out, _ = check(capsys, *args, "--backward", "affine_backward")
    assert code == 0, out
    assert "autograd" not in out                # no reference: finite differences only
    code, out, _ = check(capsys, *args, "--backward", "affine_backward_bad_db")
    assert code == 1
    assert "FAILED: wrong gradient for b." in out
    assert "a stray 1/4" in out


def test_shapes_follow_the_signature_order_and_reference_from_a_file(affine_file, capsys):
    reference = f"{affine_file.parent / 'ref_affine.py'}:affine"
    code, out, _ = check(capsys, affine_file, "--forward", "affine_forward", "--backward",
                         "affine_backward", "--shape", "b=3", "--shape", "x=4,5",
                         "--shape", "w=5,3", "--reference", reference)
    assert code == 0, out
    assert out.index("\nx ") < out.index("\nw ") < out.index("\nb ")
    assert "minigrad autograd through affine" in out


def test_missing_function_or_broken_file_is_a_failure(affine_file, tmp_path, capsys):
    code, out, _ = check(capsys, affine_file, "--forward", "affine_fwd", "--backward",
                         "affine_backward", "--shape", "x=4,5")
    assert code == 1
    assert "no function named 'affine_fwd'" in out and "affine_forward" in out
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    code, out, _ = check(capsys, broken, "--exercise", "batchnorm")
    assert code == 1 and "importing" in out and "SyntaxError" in out
    quits = tmp_path / "quits.py"
    quits.write_text("import sys\nsys.exit(0)\n")       # exit status 0 would read as a pass
    code, out, _ = check(capsys, quits, "--exercise", "batchnorm")
    assert code == 1 and "importing" in out and "sys.exit(0)" in out


# ----------------------------------------------------------------------------
# Usage errors: exit status 2
# ----------------------------------------------------------------------------

def test_usage_errors_exit_2(affine_file, capsys):
    code, _, err = check(capsys, "no/such/file.py", "--exercise", "batchnorm")
    assert code == 2 and "no such file" in err
    code, _, err = check(capsys, affine_file, "--shape", "x=4,5")
    assert code == 2 and "--forward and --backward" in err
    code, _, err = check(capsys, affine_file, "--forward", "affine_forward", "--backward",
                         "affine_backward")
    assert code == 2 and "--shape" in err
    code, _, err = check(capsys, affine_file, "--forward", "affine_forward", "--backward",
                         "affine_backward", "--shape", "x=4,5")
    assert code == 2 and "no --shape (an input) or --const (a constant) given for w, b" in err
    code, _, err = check(capsys, affine_file, "--forward", "affine_forward", "--backward",
                         "affine_backward", "--shape", "x=4,5", "--shape", "w=5,3",
                         "--shape", "b=3", "--reference", "no_such_module_xyz:f")
    assert code == 2 and "cannot import the reference" in err


@pytest.mark.parametrize("bad", [["--shape", "x=4,-1"], ["--shape", "4,5"],
                                 ["--exercise", "dropout"], ["--seed", "one"], ["--seed", "-1"],
                                 ["--threshold", "0"], ["--threshold", "nan"],
                                 ["--threshold", "2"]])
def test_argparse_errors_exit_2(bad, affine_file, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", str(affine_file), *bad])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_help_shows_a_real_example(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "minigrad check tutorials/exercises/batchnorm_backward.py --exercise batchnorm" in out
    assert "--shape x=4,5" in out and "exit status" in out.lower()


@pytest.mark.parametrize("backward,status", [("affine_backward", 0),
                                              ("affine_backward_bad_db", 1)])
def test_exit_status_of_the_real_command(backward, status, affine_file):
    """`python -m minigrad check` hands the status to the shell, as an autograder sees it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "minigrad", "check", str(affine_file),
                           "--forward", "affine_forward", "--backward", backward,
                           "--shape", "x=4,5", "--shape", "w=5,3", "--shape", "b=3"],
                          capture_output=True, text=True, env=env, cwd=affine_file.parent)
    assert done.returncode == status, done.stdout + done.stderr
    assert ("PASSED" if status == 0 else "FAILED: wrong gradient for b.") in done.stdout


# ----------------------------------------------------------------------------
# A whole assignment, CS231n's signatures, the teachers' formats
# ----------------------------------------------------------------------------

@pytest.fixture
def layers_file(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text((SOLUTIONS / "cs231n_layers.py").read_text())
    return path


def test_the_whole_assignment_prints_one_table(layers_file, capsys):
    code, out, _ = check(capsys, layers_file, "--assignment", "cs231n")
    assert code == 0, out
    assert re.search(r"^function +verdict +worst rel err +hint$", out, re.M)
    assert re.search(r"^batchnorm_backward_alt +PASS +\d\.\de-\d\d$", out, re.M)
    assert "13 of 13 pass." in out and "PASSED: every function is right." in out


def test_one_function_of_the_assignment_in_full_and_as_json(layers_file, tmp_path, capsys):
    code, out, _ = check(capsys, layers_file, "--assignment", "cs231n", "--only", "batchnorm")
    assert code == 0
    assert "check_backward(batchnorm_forward, batchnorm_backward)" in out
    assert "1 of 1 pass." in out
    results = tmp_path / "results.json"
    code, out, _ = check(capsys, layers_file, "--assignment", "cs231n", "--only", "relu",
                         "--only", "svm_loss", "--format", "json", "--gradescope", results)
    data = json.loads(out)
    assert code == 0 and data["score"] == 2 and data["functions"][1]["name"] == "svm_loss"
    graded = json.loads(results.read_text())
    assert graded["score"] == 2.0 and len(graded["tests"]) == 2
    assert set(graded["tests"][0]) >= {"name", "score", "max_score", "output"}
    code, _, err = check(capsys, layers_file, "--assignment", "cs231n", "--only", "batchnrm")
    assert code == 2 and "no function 'batchnrm'" in err


def test_cs231n_signatures_in_the_single_function_mode(layers_file, capsys):
    code, out, _ = check(capsys, layers_file, "--forward", "batchnorm_forward", "--backward",
                         "batchnorm_backward", "--shape", "x=4,5", "--shape", "gamma=5",
                         "--shape", "beta=5", "--const", "bn_param={'mode': 'train'}",
                         "--init", "x=5*randn+12")
    assert code == 0, out
    code, out, _ = check(capsys, layers_file, "--forward", "conv_forward_naive", "--backward",
                         "conv_backward_naive", "--shape", "x=2,3,4,4", "--shape", "w=2,3,3,3",
                         "--shape", "b=2", "--const", "conv_param={'stride': 1, 'pad': 1}")
    assert code == 0, out


def test_an_exercise_on_a_cs231n_file_says_the_signature_differs(layers_file, capsys):
    code, _, err = check(capsys, layers_file, "--exercise", "batchnorm")
    assert code == 2
    assert "takes (x, gamma, beta, bn_param), but the batchnorm exercise's signature differs" \
        in err and "--assignment cs231n" in err


def test_init_draws_like_the_notebook(affine_file, capsys):
    from minigrad.cli.check import _init_spec
    assert _init_spec("x=5*randn+12") == ("x", (5.0, 12.0))
    assert _init_spec("x = 0.001 * randn") == ("x", (0.001, 0.0))
    assert _init_spec("x=randn*2-1") == ("x", (2.0, -1.0))
    with pytest.raises(SystemExit):
        cli.main(["check", str(affine_file), "--init", "x=5*rand+12"])
    code, out, _ = check(capsys, affine_file, "--forward", "affine_forward", "--backward",
                         "affine_backward", "--shape", "x=4,5", "--shape", "w=5,3", "--shape",
                         "b=3", "--init", "x=5*randn+12")
    assert code == 0, out


RELU = '''
import numpy as np

def relu_forward(x):
    return np.maximum(x, 0), x

def relu_backward(dout, x):
    return dout * (x > 0)

def loud_forward(x):
    for k in range(200):
        print("computing", k)
    return np.maximum(x, 0), x

def stuck_backward(dout, x):
    while True:
        pass
'''


@pytest.fixture
def relu_file(tmp_path):
    path = tmp_path / "relu.py"
    path.write_text(RELU)
    return path


def test_relu_at_its_kink_is_not_a_false_alarm(relu_file, capsys):
    code, out, _ = check(capsys, relu_file, "--forward", "relu_forward", "--backward",
                         "relu_backward", "--shape", "x=10,10", "--seed", "1056")
    assert code == 0, out
    assert "finite differences unreliable here" in out and "WRONG" not in out


def test_a_hang_is_one_line_within_the_limit(relu_file, capsys):
    start = time.perf_counter()
    code, out, _ = check(capsys, relu_file, "--forward", "relu_forward", "--backward",
                         "stuck_backward", "--shape", "x=3,4", "--timeout", "0.5")
    assert time.perf_counter() - start < 5
    assert code == 1
    assert "FAILED: stuck_backward (your backward) did not return within 0.5 s" in out


def test_printing_does_not_bury_the_report(relu_file, capsys):
    code, out, _ = check(capsys, relu_file, "--forward", "loud_forward", "--backward",
                         "relu_backward", "--shape", "x=3,4")
    assert code == 0
    assert len(out.splitlines()) < 40 and "your code printed" in out


def test_one_function_as_json_and_for_gradescope(affine_file, tmp_path, capsys):
    results = tmp_path / "results.json"
    code, out, _ = check(capsys, affine_file, "--forward", "affine_forward", "--backward",
                         "affine_backward_bad_db", "--shape", "x=4,5", "--shape", "w=5,3",
                         "--shape", "b=3", "--format", "json", "--gradescope", results)
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False and [r["verdict"] for r in data["inputs"]] == \
        ["ok", "ok", "WRONG"]
    graded = json.loads(results.read_text())
    assert graded["score"] == 0.0 and graded["tests"][0]["max_score"] == 1.0
    assert "FAILED: wrong gradient for b." in graded["tests"][0]["output"]


def test_a_file_that_hangs_or_breaks_on_import_still_gets_a_grade(tmp_path, capsys):
    stuck = tmp_path / "stuck.py"
    stuck.write_text("while True:\n    pass\n")
    results = tmp_path / "results.json"
    start = time.perf_counter()
    code, out, _ = check(capsys, stuck, "--assignment", "cs231n", "--timeout", "0.5",
                         "--gradescope", results)
    assert time.perf_counter() - start < 5
    assert code == 1 and "did not finish within 0.5 s" in out
    assert json.loads(results.read_text())["score"] == 0.0
