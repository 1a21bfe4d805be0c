"""A lesson as a Jupyter notebook: `minigrad tutorials notebook N --out DIR`.

A lesson is a Python script cut into cells by `# %%` lines (`# %% [markdown]` for
prose written as comments), the percent format that VS Code and jupytext read. This
turns one into an .ipynb file (nbformat 4) without any extra package:

  * the module docstring becomes the title cell;
  * a markdown cell is its comment lines without the leading "# ";
  * a first code cell makes the notebook work wherever it is saved: it puts the
    course folder on sys.path (for `import _lesson`) and tells _lesson the lesson's
    name, so that its figures go to tutorial_output/NN_name next to the notebook
    (and show inline, since _lesson displays what it saves inside a kernel).
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

SETUP_CELL = '''\
# Set up: the course's helper (_lesson.py) is importable wherever this notebook is,
# and this lesson's figures go to tutorial_output/{stem}/ next to the notebook.
import sys
from minigrad.cli.tutorials import tutorials_dir
sys.path.insert(0, str(tutorials_dir()))
import _lesson
_lesson.NOTEBOOK_LESSON = "{stem}"'''


def percent_cells(source):
    """The cells of a percent-format script as (kind, text): kind is "code" or "markdown"."""
    cells, kind, lines = [], "code", []
    for line in source.splitlines():
        if line.startswith("# %%"):
            cells.append((kind, lines))
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    cells.append((kind, lines))
    found = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        text = "\n".join(lines).strip("\n")
        if text.strip():
            found.append((kind, text))
    return found


def _title_cell(docstring):
    """The docstring as markdown: its first line the title, the rest kept as written."""
    first, _, rest = docstring.strip().partition("\n")
    return f"# {first}\n\n```text\n{rest.strip()}\n```" if rest.strip() else f"# {first}"


def _cell(kind, text):
    lines = text.splitlines(keepends=True)
    if kind == "markdown":
        return {"cell_type": "markdown", "metadata": {}, "source": lines}
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": lines}


def lesson_notebook(path):
    """The notebook (a dict in nbformat 4) of the lesson at `path`."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    cells = [_cell("markdown", _title_cell(docstring))] if docstring else []
    cells.append(_cell("code", SETUP_CELL.format(stem=path.stem)))
    for i, (kind, text) in enumerate(percent_cells(source)):
        if i == 0 and kind == "code" and docstring:
            # the docstring is already the title cell; keep the code that follows it
            text = text.split('"""', 2)[2].strip("\n") if text.lstrip().startswith('"""') else text
            if not text.strip():
                continue
        cells.append(_cell(kind, text))
    return {"cells": cells,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 4}


def write_notebook(lesson, target):
    """Write the lesson's notebook to `target` (an .ipynb path); returns the path."""
    target = Path(target)
    target.write_text(json.dumps(lesson_notebook(lesson), indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    return target
