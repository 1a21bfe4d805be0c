"""Grade a hand-written backward pass, an exercise of the course, or a whole assignment.

Loads FILE, runs your NumPy forward(*inputs) -> (out, cache) and backward(dout, cache) -> grads
(the CS231n convention), and compares every gradient with finite differences of your forward,
with minigrad's autograd through a reference and with PyTorch (when installed). Prints a table
of relative errors per input. The course's other exercises (--exercise NAME: a local derivative,
broadcasting puzzles, running statistics, ...) run your functions by name on seeded cases and
print one row per part and case. Exit status: 0 when everything is right, 1 when something is
wrong, not done yet, or your code raised or hung, 2 when the command itself is wrong.

examples:
  # CS231n assignment 2: every function of your layers.py, with the notebooks' inputs
  minigrad check cs231n/layers.py --assignment cs231n
  minigrad check cs231n/layers.py --assignment cs231n --only batchnorm     # one, in full

  # an exercise from tutorials/exercises: names, inputs and references are built in
  minigrad check tutorials/exercises/batchnorm_backward.py --exercise batchnorm

  # your own functions: name them and give each input's shape, in argument order
  minigrad check my_layer.py --forward affine_forward --backward affine_backward \\
      --shape x=4,5 --shape w=5,3 --shape b=3

  # constants are arguments of forward that are not arrays; --init draws like the notebook;
  # a reference is MODULE:FUNCTION (or FILE.py:FUNCTION)
  minigrad check layers.py --forward batchnorm_forward --backward batchnorm_backward \\
      --shape x=4,5 --shape gamma=5 --shape beta=5 --init "x=5*randn+12" \\
      --const "bn_param={'mode': 'train'}"

  # for teachers: machine-readable output, and Gradescope's results.json
  minigrad check layers.py --assignment cs231n --format json
  minigrad check layers.py --assignment cs231n --gradescope /autograder/results/results.json

  # every exercise of the course (tutorials/exercises/README.md lists them)
  minigrad check tutorials/exercises/softmax_cross_entropy.py --exercise softmax_cross_entropy
"""
from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys

from minigrad.cli.exercises import EXERCISES, LISTING, make_inputs
from minigrad.coursework import THRESHOLD, check_backward
from minigrad.coursework.assignment import ASSIGNMENTS, check_assignment
from minigrad.coursework.task import Task, check_task
from minigrad.coursework.runner import DEFAULT_TIMEOUT, Runner, StudentError

__all__ = ["EXERCISES", "make_inputs", "add_arguments", "run"]


# ----------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------

def _shape_spec(text):
    """'x=4,5' -> ('x', (4, 5)); 'c=' is a scalar."""
    name, sep, dims = text.partition("=")
    try:
        if not sep or not name.isidentifier():
            raise ValueError
        shape = tuple(int(d) for d in dims.replace("x", ",").split(",") if d.strip())
        if any(n < 1 for n in shape):
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected NAME=D1,D2,... with positive sizes (e.g. x=4,5), got {text!r}") from None
    return name, shape


def _const_spec(text):
    """'G=3' -> ('G', 3); values are Python literals, anything else stays a string."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. eps=1e-5), got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
INIT = re.compile(rf"^(?:(?P<scale>-?{NUMBER})\s*\*\s*)?randn(?:\s*\*\s*(?P<scale2>-?{NUMBER}))?"
                  rf"(?:\s*(?P<sign>[-+])\s*(?P<shift>{NUMBER}))?$")


def _init_spec(text):
    """'x=5*randn+12' -> ('x', (5.0, 12.0)): the input is drawn as scale * randn + shift."""
    name, sep, expr = text.partition("=")
    name = name.strip()
    match = INIT.match(expr.replace(" ", "")) if sep and name.isidentifier() else None
    if match is None or (match["scale"] and match["scale2"]):
        raise argparse.ArgumentTypeError(f"expected NAME=A*randn+B (e.g. x=5*randn+12, "
                                         f"x=0.001*randn), got {text!r}")
    scale = float(match["scale"] or match["scale2"] or 1.0)
    shift = float(match["shift"] or 0.0) * (-1 if match["sign"] == "-" else 1)
    return name, (scale, shift)


def _seed(text):
    """A seed for NumPy's generator: a non-negative integer."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return seed


def _threshold(text):
    """A relative error between 0 and 1 (exclusive)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a relative error between 0 and 1 (e.g. "
                                         f"1e-6), got {text!r}")
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument("file", help="the Python file with your forward and backward functions")
    parser.add_argument("--assignment", choices=sorted(ASSIGNMENTS),
                        help="check every function of an assignment found in FILE by name, "
                             "with the notebooks' inputs; prints one table")
    parser.add_argument("--only", metavar="NAME", action="append", default=[],
                        help="with --assignment: check only this function (e.g. batchnorm or "
                             "batchnorm_backward) and print its full report; repeatable")
    parser.add_argument("--exercise", choices=sorted(EXERCISES),
                        help="grade one of tutorials/exercises: sets the function names, the "
                             "inputs and the references")
    parser.add_argument("--forward", metavar="NAME", help="your forward function, "
                        "forward(*inputs, **constants) -> (out, cache)")
    parser.add_argument("--backward", metavar="NAME", help="your backward function, "
                        "backward(dout, cache) -> one gradient per input, in order")
    parser.add_argument("--shape", metavar="NAME=D1,D2", type=_shape_spec, action="append",
                        default=[], help="an input and its shape, in argument order (repeat "
                        "for each input); inputs are standard normal from --seed")
    parser.add_argument("--init", metavar="NAME=A*randn+B", type=_init_spec, action="append",
                        default=[], help="draw an input as A * randn + B instead of randn "
                        "(e.g. \"x=5*randn+12\", the BatchNorm notebook's)")
    parser.add_argument("--const", metavar="NAME=VALUE", type=_const_spec, action="append",
                        default=[], help="an argument of forward that is not an array, passed "
                        "by name to forward and the references (e.g. eps=1e-5, G=2, "
                        "\"bn_param={'mode': 'train'}\")")
    parser.add_argument("--reference", metavar="MODULE:FUNCTION",
                        help="a minigrad function of Tensors computing the same forward output")
    parser.add_argument("--torch-reference", metavar="MODULE:FUNCTION",
                        help="the same on torch tensors (used when PyTorch is installed)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the inputs and dout "
                        "(default 0)")
    parser.add_argument("--threshold", type=_threshold, default=THRESHOLD,
                        help=f"largest relative error that passes (default {THRESHOLD:g})")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                        help=f"seconds each call of your code may take before it counts as hung "
                             f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (a table, default) or json (the same, machine-readable)")
    parser.add_argument("--gradescope", metavar="PATH",
                        help="also write Gradescope's results.json (score per function, with "
                             "the report as each test's output) to PATH")


# ----------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------

class UsageError(Exception):
    """The command line is wrong (exit status 2)."""


class SubmissionError(Exception):
    """The student's file cannot be used (exit status 1)."""


def run(args):
    try:
        if args.assignment and (args.exercise or args.forward or args.backward or args.shape):
            raise UsageError("--assignment checks every function by name; leave out --exercise, "
                             "--forward, --backward and --shape")
        if args.only and not args.assignment:
            raise UsageError("--only picks functions of an --assignment")
        task = EXERCISES.get(args.exercise)
        if isinstance(task, Task):
            given = [opt for opt, value in (("--forward", args.forward), ("--backward",
                     args.backward), ("--shape", args.shape), ("--const", args.const),
                     ("--init", args.init), ("--reference", args.reference),
                     ("--torch-reference", args.torch_reference)) if value]
            if given:
                raise UsageError(f"the {args.exercise} exercise runs your functions by their "
                                 f"names on its own cases; leave out {', '.join(given)}")
        module = _load(args.file, args.timeout)
        if isinstance(task, Task):
            report = check_task(module, task, seed=args.seed, timeout=args.timeout,
                                threshold=args.threshold)
            report.title = f"{args.file}, checked as {report.title}"
        elif args.assignment:
            report = check_assignment(module, args.assignment, only=args.only or None,
                                      timeout=args.timeout, threshold=args.threshold)
            report.title = f"{args.file}, checked as {report.title}"
            report.details = (f"the full report of one function: minigrad check {args.file} "
                              f"--assignment {args.assignment} --only NAME")
            if args.only and args.format == "text":
                print("\n\n".join(str(r.report or r.hint) for r in report.results) + "\n")
        else:
            report = _check_one(module, args)
    except UsageError as e:
        print(f"minigrad check: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:                 # check_assignment's --only names
        print(f"minigrad check: error: {e}", file=sys.stderr)
        return 2
    except SubmissionError as e:
        # an autograder still gets its file: nothing could be graded, so nothing scores
        if args.format == "json":
            print(json.dumps({"passed": False, "error": str(e)}, indent=2))
        else:
            print(f"FAILED: {e}")
        if args.gradescope:
            with open(args.gradescope, "w") as f:
                json.dump({"score": 0.0, "output": f"FAILED: {e}",
                           "tests": [{"name": f"loading {args.file}", "score": 0.0,
                                      "max_score": 1.0, "status": "failed",
                                      "output": str(e)}]}, f, indent=2)
        return 1
    print(json.dumps(report.to_dict(), indent=2) if args.format == "json" else report)
    if args.gradescope:
        with open(args.gradescope, "w") as f:
            json.dump(report.gradescope(), f, indent=2)
    return 0 if report.passed else 1


def _check_one(module, args):
    forward_name, backward_name, shapes, constants, ref, torch_ref, shifted = _plan(args)
    forward = _function(module, forward_name, args.file)
    backward = _function(module, backward_name, args.file)
    if args.exercise is None:
        shapes = _in_signature_order(forward, shapes, constants)
    else:
        _fits_the_exercise(forward, shapes, constants, args)
    if args.reference:
        ref = _import(args.reference)
    if args.torch_reference:
        torch_ref = _import(args.torch_reference)
    unknown = sorted(set(dict(args.init)) - set(shapes))
    if unknown:
        raise UsageError(f"--init names {unknown}, which are not inputs {list(shapes)}")
    inputs = make_inputs(shapes, args.seed, shifted, dict(args.init))
    return check_backward(forward, backward, inputs, ref, torch_reference=torch_ref,
                          constants=constants, seed=args.seed, threshold=args.threshold,
                          timeout=args.timeout)


def _plan(args):
    """Names, shapes, constants and references, from --exercise and the options."""
    given = dict(args.shape)
    if len(given) != len(args.shape):
        raise UsageError("an input was given twice with --shape")
    constants = dict(args.const)
    both = sorted(set(given) & set(constants))
    if both:
        raise UsageError(f"{both[0]} is given both as an input (--shape) and a constant (--const)")
    if args.exercise:
        ex = EXERCISES[args.exercise]
        unknown = sorted(set(given) - set(ex.shapes))
        if unknown:
            raise UsageError(f"the {args.exercise} exercise has inputs {list(ex.shapes)}; "
                             f"--shape names {unknown}")
        shapes = {name: given.get(name, shape) for name, shape in ex.shapes.items()}
        return (args.forward or ex.forward, args.backward or ex.backward, shapes,
                {**ex.constants, **constants}, ex.reference, ex.torch_reference, ex.shifted)
    missing = [opt for opt, value in (("--forward", args.forward), ("--backward", args.backward))
               if not value]
    if missing:
        raise UsageError(f"give {' and '.join(missing)} (the names of your functions), or "
                         f"--exercise NAME for one of {sorted(EXERCISES)}, or --assignment "
                         f"NAME for one of {sorted(ASSIGNMENTS)}")
    if not given:
        raise UsageError("give the shape of every input with --shape NAME=D1,D2 (e.g. "
                         "--shape x=4,5), in argument order")
    return args.forward, args.backward, given, constants, None, None, ()


def _load(path, timeout=DEFAULT_TIMEOUT):
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    name = "minigrad_check_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)          # so the file can import its neighbours
    runner = Runner(timeout)
    try:
        runner.call(spec.loader.exec_module, "file", module)
    except StudentError as e:
        exc = e.__cause__
        if isinstance(exc, SystemExit):     # its exit status must not become the grade
            raise SubmissionError(f"importing {path} called sys.exit({exc.code!r}); a file to "
                                  f"grade defines functions and does not exit") from exc
        if e.kind == "hang":
            raise SubmissionError(f"importing {path} did not finish within {timeout:g} s: "
                                  f"code at the top level that never ends?") from e
        raise SubmissionError(f"importing {path} raised {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(folder)
    return module


def _function(module, name, path):
    fn = getattr(module, name, None)
    if not callable(fn):
        defined = sorted(k for k, v in vars(module).items()
                         if inspect.isfunction(v) and v.__module__ == module.__name__)
        raise SubmissionError(f"{path} has no function named {name!r}; it defines "
                              f"{', '.join(defined) or 'no functions'}")
    return fn


def _parameters(forward):
    try:
        return list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return None


def _in_signature_order(forward, shapes, constants):
    """Reorder --shape inputs to forward's parameters when the names match them; every
    parameter without a default must be an input (--shape) or a constant (--const)."""
    params = _parameters(forward)
    if params is None:
        return shapes
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    if not set(shapes) <= set(names):
        return shapes
    missing = [p.name for p in positional if p.default is p.empty
               and p.name not in shapes and p.name not in constants]
    if missing:
        raise UsageError(f"{forward.__name__} takes ({', '.join(names)}); no --shape (an input) "
                         f"or --const (a constant) given for {', '.join(missing)}")
    return {n: shapes[n] for n in names if n in shapes}


def _fits_the_exercise(forward, shapes, constants, args):
    """The exercise calls forward(*inputs, **constants): say so when the student's differs
    (CS231n's batchnorm_forward(x, gamma, beta, bn_param) is not the exercise's)."""
    try:
        inspect.signature(forward).bind(*shapes, **constants)
    except TypeError:
        call = ", ".join([*shapes] + [f"{k}={v!r}" for k, v in constants.items()])
        params = _parameters(forward) or []
        raise UsageError(
            f"your {forward.__name__} takes ({', '.join(p.name for p in params)}), but the "
            f"{args.exercise} exercise's signature differs: it calls {forward.__name__}({call}) "
            f"(tutorials/exercises/{LISTING[args.exercise].file}). For CS231n's layers.py run "
            f"`minigrad check {args.file} --assignment cs231n`, or name the inputs yourself with "
            f"--forward/--backward/--shape/--const") from None
    except ValueError:
        pass


def _import(spec):
    """'package.module:function' or 'path/file.py:function' -> the function."""
    where, sep, attr = spec.rpartition(":")
    if not sep or not where or not attr:
        raise UsageError(f"a reference is MODULE:FUNCTION or FILE.py:FUNCTION, got {spec!r}")
    try:
        module = _load(where) if where.endswith(".py") else importlib.import_module(where)
    except (ImportError, SubmissionError) as exc:
        raise UsageError(f"cannot import the reference {spec!r}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"the reference {spec!r}: {where} has no function {attr!r}")
    return fn
