"""List the tutorials, run them, copy them to edit, or turn them into notebooks.

The course (numbered lessons, exercises, worked answers) installs with minigrad as
the package minigrad_course; in a source checkout it is the tutorials/ folder. Each
lesson runs as its own Python process, with this Python, so a lesson behaves exactly
as `python NN_name.py --out DIR/NN_name` would; its output is streamed as it runs,
and a summary with the times follows.

examples:
  minigrad tutorials list
  minigrad tutorials run 1                       # figures in ./tutorial_output/01_chain_rule
  minigrad tutorials run 4 5 --out /tmp/tut
  minigrad tutorials run all --out /tmp/tut --fast
  minigrad tutorials copy course                 # your own copy: python course/01_chain_rule.py
  minigrad tutorials notebook all --out nb       # nb/01_chain_rule.ipynb, ...
The exit code is non-zero if any lesson failed.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

LESSON_NAME = re.compile(r"^(\d\d)_\w+\.py$")


def tutorials_dir():
    """The course folder: tutorials/ beside the minigrad package in a source checkout
    (so a clone runs its own lessons), else the installed minigrad_course package."""
    import minigrad
    checkout = Path(minigrad.__file__).resolve().parents[1] / "tutorials"
    if (checkout / "_lesson.py").is_file():
        return checkout
    spec = importlib.util.find_spec("minigrad_course")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return checkout


def find_lessons(folder):
    """{number: path} of the NN_name.py lessons in folder."""
    lessons = {}
    for path in sorted(folder.glob("*.py")):
        match = LESSON_NAME.match(path.name)
        if match:
            lessons[int(match.group(1))] = path
    return lessons


def summary_line(path):
    """The first line of a lesson's docstring, read without running it."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return doc.strip().splitlines()[0] if doc else ""


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list the lessons with their one-line summaries")
    run = sub.add_parser("run", help="run lessons by number (or 'all'), streaming their output")
    run.add_argument("lessons", nargs="+", metavar="N",
                     help="lesson numbers (e.g. 3 or 03), names (03_first_network) or 'all'")
    run.add_argument("--out", type=Path, default=Path("tutorial_output"),
                     help="root folder: each lesson writes its figures to OUT/NN_name "
                          "(default: ./tutorial_output)")
    run.add_argument("--fast", action="store_true",
                     help="fewer steps and samples (what the tests run; a few seconds each)")
    copy = sub.add_parser("copy", help="copy the course (lessons, exercises, answers) into DIR "
                                       "to edit and run there")
    copy.add_argument("dir", type=Path, metavar="DIR", help="where to put the copy")
    copy.add_argument("--force", action="store_true",
                      help="overwrite files that already exist in DIR")
    notebook = sub.add_parser("notebook", help="write lessons as Jupyter notebooks (.ipynb)")
    notebook.add_argument("lessons", nargs="+", metavar="N", help="lesson numbers, names or 'all'")
    notebook.add_argument("--out", type=Path, default=Path("."),
                          help="folder for the .ipynb files (default: the current folder); "
                               "each notebook saves its figures in tutorial_output/NN_name "
                               "next to it")


def run(args):
    folder = tutorials_dir()
    if not folder.is_dir():
        print(f"minigrad tutorials: the course is not installed (no folder {folder}). Reinstall "
              f"minigrad ('pip install minigrad[tutorials]', or 'pip install -e .[tutorials]' "
              f"in a clone of the source repository).", file=sys.stderr)
        return 2
    lessons = find_lessons(folder)
    if not lessons:
        print(f"minigrad tutorials: no lessons (files named NN_name.py) in {folder}",
              file=sys.stderr)
        return 2
    if args.action == "list":
        _list(folder, lessons)
        return 0
    if args.action == "copy":
        return _copy_course(folder, args.dir, args.force)
    if args.action not in ("run", "notebook"):
        print("usage: minigrad tutorials {list,run,copy,notebook} ... "
              "(see 'minigrad tutorials --help')", file=sys.stderr)
        return 2
    try:
        chosen = _select(args.lessons, lessons)
    except ValueError as error:
        print(f"minigrad tutorials {args.action}: {error}", file=sys.stderr)
        return 2
    if args.action == "notebook":
        from minigrad.cli.notebook import write_notebook
        args.out.mkdir(parents=True, exist_ok=True)
        for path in chosen:
            print(f"wrote {write_notebook(path, args.out / (path.stem + '.ipynb'))}")
        print(f"run one with 'jupyter nbconvert --to notebook --execute --inplace "
              f"{args.out / (chosen[0].stem + '.ipynb')}' (pip install notebook), or open it "
              f"in Jupyter or VS Code")
        return 0
    return _run_lessons(chosen, args.out, args.fast)


def _list(folder, lessons):
    """Each lesson with its summary, then the graded exercises it ends with."""
    from minigrad.cli.exercises import LISTING
    exercises = _shown(folder / "exercises")
    for number, path in lessons.items():
        print(f"{number:2d}  {path.stem:32s} {summary_line(path)}")
        for name, entry in LISTING.items():
            if entry.lesson == number:
                print(f"{'':4s}{'exercise: ' + name:32s} {entry.what} (about {entry.minutes} min)")
    print(f"\nrun one with 'minigrad tutorials run N', all with 'minigrad tutorials run all'"
          f"\ngrade an exercise: minigrad check {exercises}/FILE --exercise NAME (FILE is in "
          f"{exercises}/README.md;\n  worked solutions in {_shown(folder / 'solutions')}/)"
          f"\n(the course: {folder})")


def _shown(path):
    """path relative to the current folder when it lies below it, else absolute."""
    relative = os.path.relpath(path) if path.is_absolute() else str(path)
    return str(path) if relative.startswith("..") else relative


# What `copy` leaves out: compiled files, and the maintainers' scripts that re-make the
# data (data/) and the README's pictures (images/refresh.py).
NOT_COPIED = {"__pycache__", "data", "refresh.py"}


def _copy_course(folder, target, force):
    """The course's files under `target`, the lessons at its top, so that
    `python target/01_chain_rule.py` runs the copy (it imports target/_lesson.py)."""
    sources = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".pyc"
               and not NOT_COPIED & set(p.relative_to(folder).parts)]
    clashes = [target / p.relative_to(folder) for p in sources
               if (target / p.relative_to(folder)).exists()]
    if clashes and not force:
        print(f"minigrad tutorials copy: {len(clashes)} file(s) already exist in {target} "
              f"(e.g. {clashes[0]}); your edits would be lost. Choose another folder, or "
              f"give --force to overwrite them.", file=sys.stderr)
        return 2
    for path in sources:
        destination = target / path.relative_to(folder)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    lessons = find_lessons(target)
    print(f"copied {len(lessons)} lessons, the exercises and the answers to {target}/\n"
          f"run one:   python {target / lessons[min(lessons)].name} --out out\n"
          f"grade one: minigrad check {target / 'exercises' / 'batchnorm_backward.py'} "
          f"--exercise batchnorm")
    return 0


def _select(requested, lessons):
    if [r.lower() for r in requested] == ["all"]:
        return list(lessons.values())
    if "all" in (r.lower() for r in requested):
        raise ValueError("'all' runs every lesson; give it alone, or give lesson numbers")
    by_stem = {path.stem: path for path in lessons.values()}
    chosen = []
    for item in requested:
        if item.isdigit() and int(item) in lessons:
            chosen.append(lessons[int(item)])
        elif item.removesuffix(".py") in by_stem:
            chosen.append(by_stem[item.removesuffix(".py")])
        else:
            raise ValueError(f"no lesson {item!r}; the lessons are "
                             f"{', '.join(str(n) for n in lessons)} (or 'all')")
    return chosen


def _run_lessons(paths, out_root, fast):
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    results = []
    start_all = time.perf_counter()
    for path in paths:
        out = out_root / path.stem
        command = [sys.executable, str(path), "--out", str(out)] + (["--fast"] if fast else [])
        print(f"\n{'=' * 78}\n{path.stem}   (python {path.name} --out {out}"
              f"{' --fast' if fast else ''})\n{'=' * 78}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command, env=env)   # output streams straight to our terminal
        seconds = time.perf_counter() - start
        results.append((path.stem, code, seconds, out))
        if code != 0:
            print(f"!! {path.stem} failed with exit code {code}", flush=True)
    total = time.perf_counter() - start_all
    failed = [stem for stem, code, _, _ in results if code != 0]
    print(f"\n{'=' * 78}\nsummary{' (--fast)' if fast else ''}\n{'=' * 78}")
    for stem, code, seconds, out in results:
        figures = _count_figures(out)
        status = "ok    " if code == 0 else f"FAILED (exit {code})"
        print(f"  {stem:32s} {status:20s} {seconds:6.1f} s   {figures} figure(s)")
    print(f"  {'total':32s} {'':20s} {total:6.1f} s")
    print(f"\n{len(results) - len(failed)} of {len(results)} lessons passed; figures in {out_root}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def _count_figures(folder):
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.suffix in (".svg", ".png", ".dot"))
