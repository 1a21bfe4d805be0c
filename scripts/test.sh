#!/usr/bin/env bash
# Install what the tests need (minigrad, pytest, hypothesis, PyTorch CPU as the
# oracle, Graphviz, headless Chromium for the player's browser test) and run the
# whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/_env.sh"
ensure_dot
ensure_torch_cpu           # first, so that the test extra's torch pin is already met
ensure_chromium
echo "==> installing minigrad with its test extras"
$PY -m pip install -q --disable-pip-version-check -e ".[test,tutorials]"
echo "==> running the tests"
$PY -m pytest "$@"
