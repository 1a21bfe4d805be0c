"""Shared test fixtures.

Tests that compare against PyTorch or render with Graphviz's `dot` take the
`torch` or `dot` fixture. On a student's laptop without them they skip; under
CI=true a missing oracle is a failure, never a silent skip.
"""
import importlib
import os
import shutil

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(what, how):
    message = f"{what} is not available ({how})"
    if IN_CI:
        pytest.fail(f"CI=true but {message}")
    pytest.skip(message)


def require_module(name, how):
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python package {name!r}", how)


@pytest.fixture(scope="session")
def torch():
    """PyTorch in float64, the oracle."""
    t = require_module("torch", "pip install torch==2.13.0")
    t.set_default_dtype(t.float64)
    return t


@pytest.fixture(scope="session")
def dot():
    """The path of Graphviz's `dot` program."""
    path = shutil.which("dot")
    if path is None:
        _missing("Graphviz's dot program", "apt-get install -y graphviz")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(0)
