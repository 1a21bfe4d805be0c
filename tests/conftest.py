"""Shared test fixtures.

Tests that compare against PyTorch, render with Graphviz's `dot` or click through
a page in headless Chromium take the `torch`, `dot` or `chromium` fixture. On a student's laptop without them they skip; under
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


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def chromium():
    """Selenium's webdriver module, with Debian's chromium and chromium-driver at
    CHROMIUM and CHROMEDRIVER (scripts/test.sh installs them with apt-get)."""
    webdriver = require_module("selenium.webdriver", "pip install selenium, in the [test] extra")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        _missing(f"headless Chromium ({', '.join(missing)})",
                 "apt-get install -y chromium chromium-driver")
    return webdriver


@pytest.fixture
def rng():
    return np.random.default_rng(0)
