"""`minigrad tutorials list / run / copy / notebook`: lesson discovery, selection, streaming,
summary and exit code; copies that run from anywhere; notebooks that find their helper."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minigrad import cli
from minigrad.cli import tutorials as tutorials_cli

PASSING = '''"""A lesson that passes and draws one figure."""
import sys
from pathlib import Path
out = Path(sys.argv[sys.argv.index("--out") + 1])
out.mkdir(parents=True, exist_ok=True)
(out / "figure.png").write_bytes(b"png")
print("lesson ran", "fast" if "--fast" in sys.argv else "slow")
'''
FAILING = '''"""A lesson whose claim is false."""
raise AssertionError("claim failed: 1 == 2")
'''


@pytest.fixture
def course(tmp_path, monkeypatch):
    folder = tmp_path / "tutorials"
    folder.mkdir()
    (folder / "01_first.py").write_text(PASSING)
    (folder / "02_second.py").write_text(FAILING)
    (folder / "_helper.py").write_text("")           # not a lesson: no number
    monkeypatch.setattr(tutorials_cli, "tutorials_dir", lambda: folder)
    return folder


def test_list_shows_numbers_names_and_summaries(course, capsys):
    assert cli.main(["tutorials", "list"]) == 0
    out = capsys.readouterr().out
    assert "1  01_first" in out and "A lesson that passes and draws one figure." in out
    assert "02_second" in out and "_helper" not in out


def test_run_one_by_number_streams_output_and_writes_into_out_name(course, tmp_path, capfd):
    root = tmp_path / "figures"
    assert cli.main(["tutorials", "run", "1", "--out", str(root), "--fast"]) == 0
    out = capfd.readouterr().out
    assert "lesson ran fast" in out                    # the lesson's own output
    assert "01_first" in out and "1 of 1 lessons passed" in out and "1 figure(s)" in out
    assert (root / "01_first" / "figure.png").exists()


def test_a_failing_lesson_makes_the_exit_code_nonzero_but_the_rest_still_run(course, tmp_path, capfd):
    code = cli.main(["tutorials", "run", "all", "--out", str(tmp_path / "o")])
    out = capfd.readouterr().out
    assert code == 1
    assert "lesson ran slow" in out                    # lesson 1 ran although lesson 2 fails
    assert "FAILED" in out and "failed: 02_second" in out and "1 of 2 lessons passed" in out


def test_lessons_by_name_and_in_the_order_given(course, tmp_path, capfd):
    assert cli.main(["tutorials", "run", "01_first", "01_first.py", "--out", str(tmp_path)]) == 0
    assert capfd.readouterr().out.count("lesson ran") == 2


def test_unknown_lesson_is_a_clear_error(course, capfd):
    assert cli.main(["tutorials", "run", "7"]) == 2
    err = capfd.readouterr().err
    assert "no lesson '7'" in err and "1, 2" in err


def test_all_mixed_with_numbers_is_explained(course, capfd):
    assert cli.main(["tutorials", "run", "1", "all"]) == 2
    err = capfd.readouterr().err
    assert "'all' runs every lesson; give it alone" in err and "no lesson 'all'" not in err


def test_missing_tutorials_folder_is_explained(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tutorials_cli, "tutorials_dir", lambda: tmp_path / "nowhere")
    assert cli.main(["tutorials", "list"]) == 2
    err = capsys.readouterr().err
    assert "the course is not installed" in err and "pip install" in err


def test_no_action_prints_usage(capsys):
    assert cli.main(["tutorials"]) == 2
    assert "list,run,copy,notebook" in capsys.readouterr().err


def test_copy_writes_the_course_and_never_overwrites_without_force(course, tmp_path, capsys):
    (course / "exercises").mkdir()
    (course / "exercises" / "ex.py").write_text("# an exercise\n")
    (course / "data").mkdir()
    (course / "data" / "make.py").write_text("")            # a maintainer's script: left out
    target = tmp_path / "mine"
    assert cli.main(["tutorials", "copy", str(target)]) == 0
    assert "copied 2 lessons" in capsys.readouterr().out
    assert (target / "01_first.py").read_text() == PASSING
    assert (target / "exercises" / "ex.py").exists() and not (target / "data").exists()
    (target / "01_first.py").write_text("# my edits")
    assert cli.main(["tutorials", "copy", str(target)]) == 2
    assert "already exist" in capsys.readouterr().err
    assert (target / "01_first.py").read_text() == "# my edits"
    assert cli.main(["tutorials", "copy", str(target), "--force"]) == 0
    assert (target / "01_first.py").read_text() == PASSING


def test_a_copied_lesson_runs_from_the_copy(tmp_path):
    """The real course, copied: a lesson imports the copy's _lesson and runs anywhere."""
    assert cli.main(["tutorials", "copy", str(tmp_path / "course")]) == 0
    assert (tmp_path / "course" / "_lesson.py").exists()
    assert (tmp_path / "course" / "exercises" / "batchnorm_backward.py").exists()
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(tmp_path / "course" / "01_chain_rule.py"), "--out",
                           str(tmp_path / "o"), "--fast"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (tmp_path / "o" / "finite_differences.png").exists()


def test_notebook_has_the_lessons_cells(tmp_path):
    assert cli.main(["tutorials", "notebook", "1", "3", "--out", str(tmp_path)]) == 0
    notebook = json.loads((tmp_path / "01_chain_rule.ipynb").read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["metadata"]["kernelspec"]["name"] == "python3"
    kinds = [cell["cell_type"] for cell in notebook["cells"]]
    assert kinds[:3] == ["markdown", "code", "code"] and kinds.count("markdown") >= 3
    title = "".join(notebook["cells"][0]["source"])
    assert title.startswith("# Lesson 1:") and "What you will learn" in title
    first_code = "".join(notebook["cells"][1]["source"])
    assert 'NOTEBOOK_LESSON = "01_chain_rule"' in first_code
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        assert "# %%" not in text
        if cell["cell_type"] == "code":
            compile(text, "<cell>", "exec")                  # every code cell is Python
        else:
            assert not text.startswith("# %%")
    assert (tmp_path / "03_first_network.ipynb").exists()


KERNEL = """import json, sys
sys.argv = ["ipykernel_launcher.py", "-f", "kernel-1.json"]     # what a kernel's argv looks like
namespace = {{"__name__": "__main__"}}
for cell in json.load(open({notebook!r}, encoding="utf-8"))["cells"]:
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), "<cell>", "exec"), namespace)
"""


def test_a_notebook_runs_from_another_folder_and_saves_into_its_own(tmp_path):
    """The generated notebook's cells, run in order as a kernel would, from a folder that
    is not the course's: _lesson is found and the figures go to tutorial_output/01_chain_rule."""
    assert cli.main(["tutorials", "notebook", "1", "--out", str(tmp_path)]) == 0
    notebook = tmp_path / "01_chain_rule.ipynb"
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", KERNEL.format(notebook=str(notebook))],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = tmp_path / "tutorial_output" / "01_chain_rule"
    assert (out / "finite_differences.png").exists() and (out / "graph_gradients.svg").exists()


def test_the_real_course_is_found_next_to_the_package():
    folder = tutorials_cli.tutorials_dir()
    assert folder == Path(__file__).resolve().parents[1] / "tutorials"
    lessons = tutorials_cli.find_lessons(folder)
    assert sorted(lessons) == list(range(1, len(lessons) + 1)) and len(lessons) >= 12
    assert all(tutorials_cli.summary_line(p).startswith(f"Lesson {n}:") for n, p in lessons.items())


def test_end_to_end_as_a_command(tmp_path):
    """`python -m minigrad tutorials run 1 --fast` really runs lesson 1 in its own process."""
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-m", "minigrad", "tutorials", "run", "1", "--fast",
                           "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 of 1 lessons passed" in done.stdout
    assert (tmp_path / "01_chain_rule" / "finite_differences.png").exists()


def test_list_into_a_pipe_closed_early_ends_quietly():
    # `minigrad tutorials list | head -1`: the reader leaves before the listing is
    # written (here at once, so that the write always meets a closed pipe).
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(repo))
    proc = subprocess.Popen([sys.executable, "-m", "minigrad", "tutorials", "list"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
