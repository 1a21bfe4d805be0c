"""Lesson 17's graded task (minigrad/cli/tasks_ics.py): the grader catches the usual slips of
noisy BatchNorm (noise drawn in the wrong order or only once, a result cut off from the graph)
and of the effective beta (weights left moved, the distance without the learning rate)."""
import importlib.util
import pathlib

import numpy as np

import minigrad as mg
from minigrad.cli.exercises import EXERCISES
from minigrad.coursework.task import check_task

SOLUTION = (pathlib.Path(__file__).resolve().parents[1] / "tutorials" / "solutions"
            / "noisy_batchnorm.py")


def _solution():
    spec = importlib.util.spec_from_file_location("solution_noisy_batchnorm", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"noisy_batchnorm": module.noisy_batchnorm, "effective_beta": module.effective_beta}


def _wrong(functions):
    return check_task(functions, EXERCISES["noisy_batchnorm"]).wrong


def test_the_solution_passes():
    assert check_task(_solution(), EXERCISES["noisy_batchnorm"]).passed


def test_noise_slips_are_caught():
    from layers import functional as LF
    functions = _solution()

    def shift_first(x, gamma, beta, rng, amount):
        y = LF.batch_norm(x, None, None, gamma, beta, training=True)
        shift = rng.uniform(-amount, amount, y.shape[1])
        scale = rng.uniform(1 - amount, 1 + amount, y.shape[1])
        return y * mg.tensor(scale) + mg.tensor(shift)
    assert "noisy_batchnorm: value" in _wrong(dict(functions, noisy_batchnorm=shift_first))

    frozen = {}

    def drawn_once(x, gamma, beta, rng, amount):        # the same noise at every step
        if not frozen:
            frozen["s"] = rng.uniform(1 - amount, 1 + amount, x.shape[1])
            frozen["m"] = rng.uniform(-amount, amount, x.shape[1])
        y = LF.batch_norm(x, None, None, gamma, beta, training=True)
        return y * mg.tensor(frozen["s"]) + mg.tensor(frozen["m"])
    assert "noisy_batchnorm: value" in _wrong(dict(functions, noisy_batchnorm=drawn_once))

    def detached(x, gamma, beta, rng, amount):           # computed on .data: no gradient
        out = functions["noisy_batchnorm"](x, gamma, beta, rng, amount)
        return mg.tensor(out.data)
    assert "noisy_batchnorm: gradient for x" in _wrong(dict(functions, noisy_batchnorm=detached))


def test_beta_slips_are_caught():
    functions = _solution()
    right = functions["effective_beta"]

    def not_restored(net, x, labels, lr, multiples):
        value = right(net, x, labels, lr, multiples)
        for p in net.parameters():
            p.data[...] = p.data + 0.01
        return value
    assert "effective_beta: weights restored" in _wrong(dict(functions,
                                                             effective_beta=not_restored))

    def without_lr(net, x, labels, lr, multiples):        # divided by ||k g0||, not ||k lr g0||
        return right(net, x, labels, lr, multiples) * lr
    assert _wrong(dict(functions, effective_beta=without_lr)) == ["effective_beta"]
