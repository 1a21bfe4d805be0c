#!/usr/bin/env bash
# Install what the tutorials need (minigrad, matplotlib, Graphviz) and run the
# whole course; the figures land in tutorial_output/ (or the folder given).
source "$(dirname "$0")/_env.sh"
ensure_dot
echo "==> installing minigrad with its tutorial extras"
$PY -m pip install -q --disable-pip-version-check -e ".[tutorials]"
out=${1:-tutorial_output}
echo "==> running the tutorials; figures go to $out/"
$PY -m minigrad tutorials run all --out "$out"
