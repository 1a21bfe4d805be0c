"""Lesson 16's graded task (minigrad/cli/tasks_practice.py): the grader names the usual slips
of a pre-LN transformer layer (post-LN, a missing residual, the mask, exact GELU, wrong names)
instead of only saying "wrong"."""
import importlib.util
import pathlib

import numpy as np
import pytest

from minigrad.cli.exercises import EXERCISES
from minigrad.coursework.task import check_task
from minigrad.nn import functional as F

SOLUTION = pathlib.Path(__file__).resolve().parents[1] / "tutorials" / "solutions" / "pre_ln_block.py"


def _solution_class():
    spec = importlib.util.spec_from_file_location("solution_pre_ln_block", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PreLNBlock


def _attend(block, h, mask):
    return block.attn(h, h, h, attn_mask=mask, need_weights=False)[0]


def _post_ln(block, x, causal, gelu="tanh"):
    mask = ~np.tri(x.shape[1], dtype=bool) if causal else None
    x = block.norm1(x + _attend(block, x, mask))
    return block.norm2(x + block.ff2(F.gelu(block.ff1(x), approximate=gelu)))


def _pre_ln(block, x, causal, gelu="tanh", mask_kind="causal", residual=True):
    S = x.shape[1]
    mask = {"causal": ~np.tri(S, dtype=bool), "none": None}[mask_kind] if causal else None
    h = _attend(block, block.norm1(x), mask)
    x = x + h if residual else h
    out = block.ff2(F.gelu(block.ff1(block.norm2(x)), approximate=gelu))
    return x + out if residual else out


@pytest.mark.parametrize("forward, named", [
    (_post_ln, "this is post-LN"),
    (lambda b, x, c: _pre_ln(b, x, c, residual=False), "the residual '+' is missing"),
    (lambda b, x, c: _pre_ln(b, x, c, gelu="none"), "exact GELU"),
    (lambda b, x, c: _pre_ln(b, x, c, mask_kind="none"), "no causal mask"),
])
def test_a_known_slip_is_named(forward, named):
    base = _solution_class()

    class Slipped(base):
        def forward(self, x, causal=True):
            return forward(self, x, causal)
    report = check_task({"PreLNBlock": Slipped}, EXERCISES["pre_ln_block"])
    text = " ".join(str(report).split())
    assert not report.passed and "forward" in report.wrong
    assert named in text, text


def test_wrong_submodule_names_are_listed():
    base = _solution_class()

    class Renamed(base):
        def __init__(self, d_model, num_heads, d_ff):
            super().__init__(d_model, num_heads, d_ff)
            self.ffn_in = self.ff1
            del self._modules["ff1"]
    text = " ".join(str(check_task({"PreLNBlock": Renamed}, EXERCISES["pre_ln_block"])).split())
    assert "missing or of another shape: ff1.weight" in text and "ffn_in.weight" in text, text
