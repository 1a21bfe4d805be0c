"""The report of check_backward (minigrad/coursework/report.py): the error measure, verdicts,
the printed table and the shape hints, built directly from rows and comparisons."""
import re

import numpy as np
import pytest

from minigrad.coursework.hints import shape_hint
from minigrad.coursework.report import (
    CheckReport, Comparison, Row, rel_error, shape_text, zero_floor,
)


def test_rel_error_is_cs231n_formula():
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert rel_error([0.0], [1e-9]) == pytest.approx(1e-9 / 1e-8)     # the 1e-8 floor
    assert rel_error([0.0], [1e-9], floor=1e-12) == pytest.approx(1.0)


def test_the_zero_floor_scales_only_below_one():
    assert zero_floor([np.array([3.0, -0.5])]) == 1e-8                 # CS231n's
    assert zero_floor([np.array([2e-16]), np.array([-1e-16])]) == pytest.approx(2e-24)
    assert zero_floor([np.zeros(3)]) == 1e-8 and zero_floor([]) == 1e-8


def report_with(rows):
    report = CheckReport("check_backward(f, b): test", 1e-7)
    report.oracles = {"finite diff": "central differences", "autograd": "a reference"}
    report.rows = rows
    return report


def row(name, mine, expected):
    r = Row(name, np.shape(mine))
    r.got = np.asarray(mine, dtype=float)
    for oracle in ("finite diff", "autograd"):
        r.comparisons[oracle] = Comparison(oracle, r.got, np.asarray(expected, dtype=float), 1e-7,
                                           noisy=oracle == "finite diff")
    return r


def test_the_table_is_aligned_and_names_the_wrong_inputs():
    long_name = row("a_rather_long_input_name", np.ones((2, 3)), np.ones((2, 3)))
    wrong = row("w", [1.0, -2.0], [1.0, 2.0])
    missing = Row("b", (4,))
    missing.problem = "missing"
    report = report_with([long_name, wrong, missing])
    text = str(report)
    table = text[text.index("\ninput") + 1:].split("\n\n")[0].splitlines()
    assert len(table) == 4
    starts = [m.start() for m in re.finditer(r"(?<=  )\S", table[0])]    # each column's start
    for line in table[1:]:
        assert all(line[s - 2:s] == "  " and line[s] != " " for s in starts[:5])
    assert not report.passed and report.wrong == ["w", "b"]
    assert "FAILED: wrong gradients for w and b." in text
    assert [r.verdict for r in report.rows] == ["ok", "WRONG", "WRONG: missing"]
    with pytest.raises(KeyError, match="no input named 'z'"):
        report["z"]


def test_worst_element_and_absolute_error():
    r = row("x", [[1.0, 2.0], [3.0, 4.5]], [[1.0, 2.0], [3.0, 4.0]])
    worst = r.worst()
    assert worst.worst == (1, 1) and worst.abs == pytest.approx(0.5)
    assert worst.rel == pytest.approx(0.5 / 8.5)


def test_shape_hints_name_the_likely_slip():
    assert "drop the kept size-1 axes" in shape_hint((1, 5), (5,))
    assert "sum over axis 0" in shape_hint((4, 5), (5,))
    assert "transposed?" in shape_hint((5, 4), (4, 5))
    assert "summed over the wrong axis?" in shape_hint((4,), (5,))
    assert shape_text((3,)) == "(3,)" and shape_text(()) == "()"
