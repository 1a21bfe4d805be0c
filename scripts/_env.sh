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
