"""The `minigrad` command (also `python -m minigrad`).

Each sub-command lives in its own module with two functions:
add_arguments(parser) and run(args) -> exit code. This file only wires them up.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# (name, module, one-line help). Add a sub-command by adding a line here.
COMMANDS = [
    ("graph", "minigrad.cli.graph", "draw the computation graph of a layer or an expression"),
    ("check", "minigrad.cli.check", "grade a hand-written backward pass or a course exercise"),
    ("tutorials", "minigrad.cli.tutorials",
     "list or run the lessons, copy the course to edit it, or write notebooks"),
]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: a teaching autograd engine on NumPy, with the normalization "
                    "layers of deep learning.",
        epilog="Run 'minigrad COMMAND --help' for the options and an example of each command.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=mod.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _version():
    from minigrad import __version__
    return f"minigrad {__version__}"


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        return args._run(args) or 0
    except BrokenPipeError:
        # The reader went away (`minigrad tutorials list | head`): stop quietly, as
        # other commands do, and keep Python from failing again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
