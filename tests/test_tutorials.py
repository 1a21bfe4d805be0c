"""Every lesson in tutorials/ runs (with --fast), asserts its claims and leaves its figures.

The lessons assert what they claim with _lesson.check, so a lesson that exits 0 has
checked every claim it printed. Parametrized over the files present: a new lesson is
covered as soon as it exists.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
LESSONS = sorted(p for p in TUTORIALS.glob("*.py") if re.match(r"\d\d_\w+\.py$", p.name))
SAVED = re.compile(r"^saved (?:graph|plot): (.+)$", re.MULTILINE)


def test_the_course_has_twelve_numbered_lessons():
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers == list(range(1, 13)), [p.name for p in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_and_saves_its_figures(lesson, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, str(lesson), "--out", str(out), "--fast"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (f"{lesson.name} failed (exit {done.returncode})\n"
                                  f"--- stdout (end) ---\n{done.stdout[-3000:]}\n"
                                  f"--- stderr ---\n{done.stderr[-3000:]}")
    assert "✓" in done.stdout, f"{lesson.name} checked no claim"
    saved = [Path(p.strip()) for p in SAVED.findall(done.stdout)]
    assert saved, f"{lesson.name} saved no figure"
    kinds = {".svg", ".png"} if shutil.which("dot") else {".svg", ".png", ".dot"}
    for path in saved:
        assert path.exists() and path.stat().st_size > 0, f"{lesson.name}: {path} is missing"
        assert path.parent == out and path.suffix in kinds, f"{lesson.name}: unexpected {path}"
    assert not list(tmp_path.glob("tutorial_output")), "a lesson ignored --out"


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
