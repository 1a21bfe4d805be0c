"""check_backward on correct code that used to be failed, and on code that used to crash,
pass falsely, hang or drown the report (minigrad/coursework/check.py, oracles.py, runner.py)."""
import time

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli.check import make_inputs
from minigrad.coursework import check_backward

from test_coursework_check import exercise


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


# ----------------------------------------------------------------------------
# No false alarms on correct code
# ----------------------------------------------------------------------------

def test_relu_across_its_kink_is_not_failed():
    # seed 1056 puts an input 1.6e-10 from 0: the central difference straddles the kink
    inputs = make_inputs({"x": (10, 10)}, 1056)
    assert np.min(np.abs(inputs["x"])) < 1e-5
    report = check_backward(relu_forward, relu_backward, inputs, seed=1056)
    assert report.passed, str(report)
    assert report["x"].verdict == "ok*"
    assert "finite differences unreliable here" in str(report) and "kink" in str(report)
    wrong = check_backward(relu_forward, lambda d, x: -relu_backward(d, x), inputs, seed=1056)
    assert wrong.wrong == ["x"]                # a real error is still caught there


def test_relu_kink_with_agreeing_references_blames_nothing(torch):
    inputs = make_inputs({"x": (10, 10)}, 1056)
    report = check_backward(relu_forward, relu_backward, inputs, mg.relu, seed=1056,
                            torch_reference=torch.relu)
    assert report.passed and report.output.ok, str(report)
    assert report["x"].comparisons["autograd"].rel == report["x"].comparisons["torch"].rel == 0
    text = str(report)
    assert "references agree" in text and "forward differs" not in text


@pytest.mark.parametrize("oracles", ["fd", "all"])
def test_batchnorm_with_a_batch_of_two_passes_for_50_seeds(oracles):
    # dx is eps-sized for N = 2: below the noise of finite differences, not wrong
    template, solution, ex, _ = exercise("batchnorm")
    reference = None if oracles == "fd" else ex.reference
    failed = []
    for seed in range(50):
        inputs = make_inputs({"x": (2, 5), "gamma": (5,), "beta": (5,)}, seed, ("x",))
        report = check_backward(template.batchnorm_forward, solution.batchnorm_backward, inputs,
                                reference, constants=ex.constants, seed=seed)
        if not report.passed:
            failed.append(seed)
    assert failed == [], str(report)
    assert "near-zero true gradient" in str(report)
    inputs = make_inputs({"x": (2, 5), "gamma": (5,), "beta": (5,)}, 0, ("x",))
    report = check_backward(template.batchnorm_forward, solution.dgamma_sign_flipped, inputs,
                            reference, constants=ex.constants)
    assert report.wrong == ["gamma"]           # bugs in the gradients that are not tiny still fail


def test_a_forward_computing_in_float32_inside_passes_with_a_note():
    template, solution, ex, inputs = exercise("batchnorm")

    def forward(x, gamma, beta, eps):
        out, cache = template.batchnorm_forward(*(a.astype(np.float32) for a in (x, gamma, beta)),
                                                np.float32(eps))
        return out.astype(np.float64), cache       # float32 inside, float64 outside

    def backward(dout, cache):
        return tuple(g.astype(np.float64)
                     for g in solution.batchnorm_backward(dout.astype(np.float32), cache))
    report = check_backward(forward, backward, inputs, ex.reference, constants=ex.constants)
    assert report.passed, str(report)
    assert any("computes float32 inside" in n for n in report.notes)
    assert "finite diff" not in report.oracles
    report = check_backward(forward, lambda d, c: (-backward(d, c)[0],) + backward(d, c)[1:],
                            inputs, ex.reference, constants=ex.constants)
    assert report.wrong == ["x"]


# ----------------------------------------------------------------------------
# Shapes: a failed row, never an exception or a silent skip
# ----------------------------------------------------------------------------

def test_a_forward_whose_shape_differs_from_dout_is_a_failed_row():
    report = check_backward(lambda x: (x.sum(axis=0), None), lambda d, c: d, {"x": np.ones((3, 4))},
                            dout=np.ones((3, 4)))
    assert not report.passed and report.error is None
    assert report.output.problem == "shape (4,)"
    assert "your forward returns shape (4,) but dout has shape (3, 4)" in str(report)


def test_a_reference_whose_shape_differs_fails_instead_of_being_dropped():
    report = check_backward(lambda x: (2 * x, None), lambda d, c: 2 * d, {"x": np.ones((3, 4))},
                            lambda t: (2 * t).sum(axis=0))
    assert not report.passed
    assert not report.output.ok and report.output.problem == "shape (3, 4)"
    assert "the autograd reference returns (4,)" in str(report)


# ----------------------------------------------------------------------------
# Hangs, printing, torch tensors
# ----------------------------------------------------------------------------

def spin(*args):
    while True:
        pass


@pytest.mark.parametrize("where", ["forward", "backward"])
def test_a_hang_is_reported_within_the_limit(where):
    forward = spin if where == "forward" else (lambda x: (2 * x, None))
    backward = spin if where == "backward" else (lambda d, c: 2 * d)
    start = time.perf_counter()
    report = check_backward(forward, backward, {"x": np.ones(3)}, timeout=0.3)
    assert time.perf_counter() - start < 2
    assert not report.passed and report.status == "hang"
    assert f"spin (your {where}) did not return within 0.3 s" in report.error
    with pytest.raises(ValueError, match="timeout is a number of seconds"):
        check_backward(forward, backward, {"x": np.ones(3)}, timeout=0)


def test_printing_is_captured_and_shown_trimmed(capsys):
    def chatty_forward(x):
        for k in range(200):
            print("step", k)
        return 2 * x, None
    report = check_backward(chatty_forward, lambda d, c: 2 * d, {"x": np.ones((2, 3))})
    assert capsys.readouterr().out == ""        # nothing leaked to the terminal
    assert report.passed
    text = str(report)
    assert "your code printed" in text and "| step 0" in text and "more lines" in text
    assert len(text.splitlines()) < 30


def test_gradients_as_torch_tensors_say_detach_numpy(torch):
    def backward(dout, cache):
        return torch.tensor(2 * dout, requires_grad=True)
    report = check_backward(lambda x: (2 * x, None), backward, {"x": np.ones(3)})
    assert report.wrong == ["x"] and "torch.Tensor" in report["x"].problem
    assert ".detach().numpy()" in " ".join(report["x"].hints)


def test_the_report_as_json_and_html():
    report = check_backward(relu_forward, lambda d, x: -relu_backward(d, x),
                            {"x": np.linspace(-1, 1, 6) + 0.05})
    data = report.to_dict()
    assert data["passed"] is False and data["inputs"][0]["verdict"] == "WRONG"
    assert "sign is flipped" in data["inputs"][0]["hints"][0]
    assert report.gradescope()["tests"][0]["score"] == 0.0
    page = report._repr_html_()
    assert "<table>" in page and "FAILED" in page
