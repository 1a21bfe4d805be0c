"""Every lesson closes with questions, and each question's worked answer (tutorials/answers/)
runs and checks what it claims."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
LESSONS = sorted(p for p in TUTORIALS.glob("*.py") if re.match(r"\d\d_\w+\.py$", p.name))
ANSWERS = sorted((TUTORIALS / "answers").glob("[0-9][0-9]_*.py"))


def questions(lesson):
    """The numbered questions of a lesson's closing '## Questions' cell."""
    text = lesson.read_text(encoding="utf-8")
    assert "# ## Questions" in text, f"{lesson.name} has no Questions section"
    block = text.split("# ## Questions", 1)[1]
    return re.findall(r"^# (\d+)\. ", block, re.MULTILINE)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_ends_with_two_questions_and_their_worked_answers(lesson):
    numbers = questions(lesson)
    assert len(numbers) >= 2, f"{lesson.name}: {len(numbers)} question(s)"
    answers = TUTORIALS / "answers" / lesson.name
    assert answers.exists(), f"no worked answers for {lesson.name}"
    headings = re.findall(r"^# ## Question (\d+)\.", answers.read_text(encoding="utf-8"),
                          re.MULTILINE)
    assert headings == numbers, f"{answers.name} answers {headings}, the lesson asks {numbers}"


@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_worked_answers_run_and_check_their_claims(answers, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, str(answers)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.count("✓") >= 2, f"{answers.name} checked fewer than two claims"
