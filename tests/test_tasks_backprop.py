"""Lesson 15's exercise, the backward of a whole network by hand (minigrad/cli/tasks_backprop.py):
each layer is graded on its own, and the classic mistakes are named."""
import importlib.util
import pathlib

import numpy as np

from minigrad.cli.exercises import EXERCISES
from minigrad.coursework.task import check_task

SOLUTION = pathlib.Path(__file__).resolve().parents[1] / "tutorials" / "solutions" / \
    "network_backward.py"
TASK = EXERCISES["network_backward"]


def solution():
    spec = importlib.util.spec_from_file_location("network_backward_solution", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if callable(v)}


def report_text(functions):
    report = check_task(functions, TASK)
    return report, " ".join(str(report).split())


def test_the_solution_passes_every_row():
    report, _ = report_text(solution())
    assert report.passed
    assert {r.name for r in report.rows} == {"dlogits", "dh", "dW2", "db2", "dhpre", "dgamma",
                                             "dbeta", "dbn_in", "dW1", "db1"}


def test_a_missing_one_over_n_is_named_and_only_its_layer_fails():
    functions = solution()
    right = functions["logits_backward"]
    functions["logits_backward"] = lambda cache: right(cache) * len(cache["y"])
    report, text = report_text(functions)
    assert report.wrong == ["dlogits"]            # the layers above get the true upstream
    assert "without the 1/N" in text


def test_a_bias_averaged_instead_of_summed_is_named():
    functions = solution()
    right = functions["linear1_backward"]
    functions["linear1_backward"] = lambda d, cache, params: (right(d, cache, params)[0],
                                                              d.mean(axis=0))
    report, text = report_text(functions)
    assert report.wrong == ["db1"]
    assert "collects the SUM" in text
    # the network's own dbn_in sums to zero, so only the random-upstream cases can tell
    assert all(r.ok for r in report.rows if r.name == "db1" and "random upstream" not in r.case)


def test_tanh_prime_as_one_minus_tanh_is_named():
    functions = solution()
    functions["tanh_backward"] = lambda dh, cache: dh * (1 - cache["h"])
    report, text = report_text(functions)
    assert report.wrong == ["dhpre"] and "1 - tanh^2" in text


def test_batchnorm_without_its_mean_and_variance_paths_is_named():
    functions = solution()
    right = functions["batchnorm_backward"]

    def direct_only(dhpre, cache, params):
        _, dgamma, dbeta = right(dhpre, cache, params)
        return params["gamma"] * cache["bn_std_inv"] * dhpre, dgamma, dbeta
    functions["batchnorm_backward"] = direct_only
    report, text = report_text(functions)
    assert report.wrong == ["dbn_in"] and "only the direct path" in text
    assert np.isfinite([r.worst_judged() for r in report.rows if r.comparisons]).all()
