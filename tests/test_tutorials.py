"""Every lesson in tutorials/ runs (with --fast), asserts its claims and leaves its figures.

The lessons assert what they claim with _lesson.check, so a lesson that exits 0 has
checked every claim it printed. Parametrized over the files present: a new lesson is
covered as soon as it exists. Also: the lessons that compare with PyTorch run without it,
every lesson splits into notebook cells, and a lesson runs as notebook cells would.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
LESSONS = sorted(p for p in TUTORIALS.glob("*.py") if re.match(r"\d\d_\w+\.py$", p.name))
SAVED = re.compile(r"^saved (?:graph|plot|player): (.+)$", re.MULTILINE)
USES_TORCH = [p for p in LESSONS if re.search(r"^\s*import torch\b", p.read_text(encoding="utf-8"),
                                              re.MULTILINE)]


def run_lesson(args, cwd, code=None):
    """Run a lesson (or `code`, with args as sys.argv) in a fresh interpreter; fail with its output."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    command = [sys.executable] + (["-c", code] if code else []) + [str(a) for a in args]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (f"{args[0]} failed (exit {done.returncode})\n"
                                  f"--- stdout (end) ---\n{done.stdout[-3000:]}\n"
                                  f"--- stderr ---\n{done.stderr[-3000:]}")
    assert "✓" in done.stdout, f"{args[0]} checked no claim"
    return done.stdout


def check_figure(path):
    """A PNG with a sensible size, or an SVG that parses; .dot text only without Graphviz."""
    assert path.exists() and path.stat().st_size > 0, f"{path} is missing"
    if path.suffix == ".png":
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        width, height = struct.unpack(">II", head[16:24])
        assert 150 <= width <= 3000 and 100 <= height <= 3000, f"{path}: {width}x{height} pixels"
    elif path.suffix == ".svg":
        root = ElementTree.parse(path).getroot()
        assert root.tag.endswith("svg") and len(root) > 0, f"{path} is an empty SVG"
    elif path.suffix == ".html":                 # a backward player: the drawing and its frames
        page = path.read_text(encoding="utf-8")
        assert "<svg" in page and '<script type="application/json" id="frames">' in page, path
    else:
        assert path.suffix == ".dot" and not shutil.which("dot"), f"unexpected figure {path}"


def test_the_course_numbers_its_lessons_from_1_without_gaps():
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert len(numbers) >= 12 and numbers == list(range(1, len(numbers) + 1)), \
        [p.name for p in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_and_saves_its_figures(lesson, tmp_path):
    out = tmp_path / "out"
    stdout = run_lesson([lesson, "--out", out, "--fast"], cwd=tmp_path)
    saved = [Path(p.strip()) for p in SAVED.findall(stdout)]
    assert saved, f"{lesson.name} saved no figure"
    for path in saved:
        assert path.parent == out, f"{lesson.name}: {path} is not in --out"
        check_figure(path)
    assert sorted(out.iterdir()) == sorted(saved), f"{lesson.name} saved files it did not announce"
    assert not list(tmp_path.glob("tutorial_output")), "a lesson ignored --out"


BLOCK_TORCH = """import runpy, sys
sys.argv = sys.argv[1:]                     # the lesson's own: path, --out DIR, --fast
sys.modules["torch"] = None                 # `import torch` now raises ImportError
sys.path.insert(0, {folder!r})
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("lesson", USES_TORCH, ids=[p.stem for p in USES_TORCH])
def test_lesson_runs_without_pytorch(lesson, tmp_path):
    assert USES_TORCH, "no lesson compares with PyTorch"
    run_lesson([lesson, "--out", tmp_path / "out", "--fast"], cwd=tmp_path,
               code=BLOCK_TORCH.format(folder=str(TUTORIALS)))


def cells(source):
    """The '# %%' cells of a lesson as (kind, lines): what jupytext turns into a notebook."""
    found, kind, lines = [], "code", []
    for line in source.splitlines():
        if line.startswith("# %%"):
            found.append((kind, lines))
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    return [(k, ls) for k, ls in found + [(kind, lines)] if any(l.strip() for l in ls)]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_opens_as_a_notebook(lesson):
    found = cells(lesson.read_text(encoding="utf-8"))
    kinds = [kind for kind, _ in found]
    assert kinds.count("code") >= 3 and "markdown" in kinds, f"{lesson.name}: {kinds}"
    for kind, lines in found:
        if kind == "markdown":              # jupytext keeps a markdown cell only if all comments
            assert all(l.startswith("#") for l in lines if l.strip()), \
                f"{lesson.name}: a markdown cell holds code: {lines[:3]}"


NOTEBOOK = """import os, sys
sys.argv = ["ipykernel_launcher.py", "-f", "kernel-1.json"]     # what a kernel's argv looks like
sys.path.insert(0, {folder!r})
os.environ["JPY_SESSION_NAME"] = {notebook!r}
source = open({lesson!r}, encoding="utf-8").read()
exec(compile(source, "<notebook>", "exec"), {{"__name__": "__main__"}})
"""


def test_a_lesson_runs_as_notebook_cells(tmp_path):
    lesson = LESSONS[0]
    code = NOTEBOOK.format(folder=str(TUTORIALS), lesson=str(lesson),
                           notebook=str(tmp_path / f"{lesson.stem}.ipynb"))
    stdout = run_lesson([lesson.name], cwd=tmp_path, code=code)
    out = tmp_path / "tutorial_output" / lesson.stem
    saved = [Path(p.strip()) for p in SAVED.findall(stdout)]
    assert saved and all(p.parent == out for p in (tmp_path / p for p in saved)), stdout[-2000:]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_reads_as_lecture_notes(lesson):
    source = lesson.read_text(encoding="utf-8")
    assert source.startswith('"""Lesson '), f"{lesson.name} should open with its prose docstring"
    assert "What you will learn" in source.split('"""')[1], lesson.name
    assert source.count("# %%") >= 3, f"{lesson.name} should be split into '# %%' cells"
    assert "from _lesson import" in source and "setup(" in source, lesson.name


def test_readme_lists_every_lesson_with_a_picture():
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert f"{lesson.name}" in readme, f"tutorials/README.md does not list {lesson.name}"
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert len(pictures) >= len(LESSONS), "one picture per lesson"
    for picture in pictures:
        assert (TUTORIALS / picture).is_file(), f"README shows {picture}, which does not exist"
