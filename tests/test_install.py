"""A plain (not editable) install carries the course: build the wheel, install it into
a fresh virtual environment, and from a folder outside the clone run a lesson with
`minigrad tutorials run`, copy the course and run the copy. Also: the LICENSE ships.

The fresh environment gets minigrad only from the wheel; its dependencies (NumPy,
matplotlib, graphviz) are this environment's, reached through a .pth file, so that
the test needs no network.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow       # about 30 s: deselect with -m "not slow"; CI runs it


def run(command, cwd, timeout=300):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # no source checkout
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, command))} failed (exit {done.returncode})"
                                  f"\n--- stdout ---\n{done.stdout[-3000:]}"
                                  f"\n--- stderr ---\n{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # built from a copy, so that a stale build/ folder in the clone cannot slip old files in
    source = tmp_path_factory.mktemp("source") / "minigrad"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "tutorial_output", "out"))
    folder = tmp_path_factory.mktemp("wheel")
    # with setuptools at hand, build with it (no download); else pip fetches it (Python 3.12+
    # virtual environments come without setuptools)
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation,
         "--disable-pip-version-check", "-q", "-w", folder, source], cwd=folder)
    (path,) = folder.glob("minigrad-*.whl")
    return path


def test_the_wheel_holds_the_course_and_the_license(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names), "no LICENSE in the wheel"
    for lesson in sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py")):
        assert f"minigrad_course/{lesson.name}" in names
    for part in ("_lesson.py", "README.md", "exercises/batchnorm_backward.py", "images/"):
        assert any(n.startswith(f"minigrad_course/{part}") for n in names), part
    for folder in ("exercises", "solutions"):         # the graded exercises and their solutions
        files = sorted((ROOT / "tutorials" / folder).glob("*.py"))
        assert files and all(f"minigrad_course/{folder}/{f.name}" in names for f in files)


def test_the_course_runs_from_an_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
               cwd=tmp_path).strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", wheel], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run([python, "-c", "import minigrad, minigrad_course; print(minigrad.__file__); "
                 "print(minigrad_course.__path__[0])"], cwd=elsewhere).split()
    assert all(Path(p).is_relative_to(venv) for p in where), where

    minigrad = venv / "bin" / "minigrad"
    out = run([minigrad, "tutorials", "run", "1", "--out", "out"], cwd=elsewhere)
    assert "1 of 1 lessons passed" in out
    assert (elsewhere / "out" / "01_chain_rule" / "finite_differences.png").exists()
    assert "12_higher_order" in run([minigrad, "tutorials", "list"], cwd=elsewhere)

    run([minigrad, "tutorials", "copy", "course"], cwd=elsewhere)
    run([python, "course/02_broadcasting.py", "--out", "o"], cwd=elsewhere)
    assert (elsewhere / "o" / "broadcast_gradient.png").exists()
    assert (elsewhere / "course" / "exercises" / "batchnorm_backward.py").exists()
