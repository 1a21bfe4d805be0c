# Sourced by the other scripts: choose the Python to use and make sure Graphviz's
# dot program is there when it can be installed.
#
# Inside an activated virtual environment that environment is used; otherwise a
# project-local one in .venv is created (so nothing touches the system Python).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${VIRTUAL_ENV:-}" ]; then
    PY=python
elif [ "${MINIGRAD_SYSTEM_PYTHON:-}" = 1 ]; then
    PY=${PYTHON:-python3}
else
    if [ ! -x .venv/bin/python ]; then
        echo "==> creating a virtual environment in .venv"
        "${PYTHON:-python3}" -m venv .venv
    fi
    PY=.venv/bin/python
fi

ensure_dot() {
    command -v dot >/dev/null 2>&1 && return 0
    if command -v apt-get >/dev/null 2>&1; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo -n"
        echo "==> installing Graphviz (the dot program) with apt-get"
        if $sudo apt-get update -qq >/dev/null 2>&1 && \
           $sudo apt-get install -y -qq graphviz >/dev/null 2>&1; then
            return 0
        fi
    fi
    echo "Graphviz's dot program is missing; graphs will be saved as .dot files. Install it with:" \
         "apt-get install graphviz | brew install graphviz | conda install graphviz"
}

# PyTorch is the tests' oracle. An unpinned or default-index install on Linux pulls the
# CUDA build (a 527 MB wheel plus several GB of CUDA libraries); the CPU build is about
# 200 MB. Try PyTorch's CPU-only index first, giving up within seconds when it cannot be
# reached, then the default index (where a CPU wheel may already sit in pip's find-links).
TORCH_VERSION=2.13.0
ensure_torch_cpu() {
    if $PY -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" \
            2>/dev/null; then
        return 0
    fi
    echo "==> installing PyTorch $TORCH_VERSION, CPU-only build (about 200 MB to download)"
    if $PY -m pip install --disable-pip-version-check --timeout 5 --retries 0 \
            --index-url https://download.pytorch.org/whl/cpu "torch==$TORCH_VERSION"; then
        return 0
    fi
    echo "==> PyTorch's CPU index could not be reached; trying the default index"
    $PY -m pip install --disable-pip-version-check "torch==$TORCH_VERSION"
}

ensure_chromium() {
    # Headless Chromium and its driver, for the browser test of the backward player.
    [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && return 0
    if command -v apt-get >/dev/null 2>&1; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo -n"
        echo "==> installing Chromium and chromium-driver with apt-get"
        if $sudo apt-get update -qq >/dev/null 2>&1 && \
           $sudo apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; then
            return 0
        fi
    fi
    echo "Chromium is missing; the player's browser test skips (and fails under CI=true)." \
         "Install it with: apt-get install chromium chromium-driver"
}
