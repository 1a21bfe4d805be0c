"""Grade a hand-written backward pass.

Loads FILE, runs your NumPy forward(*inputs) -> (out, cache) and backward(dout, cache) -> grads
(the CS231n convention), and compares every gradient with finite differences of your forward,
with minigrad's autograd through a reference and with PyTorch (when installed). Prints a table
of relative errors per input. Exit status: 0 when every gradient is right, 1 when one is wrong
or your code raised, 2 when the command itself is wrong.

examples:
  # an exercise from tutorials/exercises: names, inputs and references are built in
  minigrad check tutorials/exercises/batchnorm_backward.py --exercise batchnorm

  # your own functions: name them and give each input's shape, in argument order
  minigrad check my_layer.py --forward affine_forward --backward affine_backward \\
      --shape x=4,5 --shape w=5,3 --shape b=3

  # constants are keyword arguments of forward; a reference is MODULE:FUNCTION (or FILE.py:FUNCTION)
  minigrad check my_norm.py --forward bn_forward --backward bn_backward \\
      --shape x=8,3 --shape gamma=3 --shape beta=3 --const eps=1e-5 --reference refs.py:batch_norm

exercises: batchnorm, layernorm, groupnorm, weightnorm (tutorials/exercises/<name>_backward.py)
"""
from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import os
import sys
from typing import NamedTuple

import numpy as np

from minigrad.coursework import THRESHOLD, check_backward


# ----------------------------------------------------------------------------
# The exercises of tutorials/exercises: their inputs and references
# ----------------------------------------------------------------------------

def layers_batch_norm(x, gamma, beta, eps=1e-5):
    from layers import functional
    return functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def torch_batch_norm(x, gamma, beta, eps=1e-5):
    import torch
    return torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def layers_layer_norm(x, gamma, beta, eps=1e-5):
    from layers import functional
    return functional.layer_norm(x, gamma.shape, gamma, beta, eps=eps)


def torch_layer_norm(x, gamma, beta, eps=1e-5):
    import torch
    return torch.nn.functional.layer_norm(x, gamma.shape, gamma, beta, eps=eps)


def layers_group_norm(x, gamma, beta, G=3, eps=1e-5):
    from layers import functional
    return functional.group_norm(x, G, gamma, beta, eps=eps)


def torch_group_norm(x, gamma, beta, G=3, eps=1e-5):
    import torch
    return torch.nn.functional.group_norm(x, G, gamma, beta, eps=eps)


def layers_weight_norm_linear(x, g, v):
    from layers import functional
    return x @ functional.normalized_weight(v, g, dim=0).T


def torch_weight_norm_linear(x, g, v):
    import torch
    # the kernel behind torch.nn.utils.parametrizations.weight_norm
    return x @ torch._weight_norm(v, g, 0).T


class Exercise(NamedTuple):
    forward: str
    backward: str
    shapes: dict            # input name -> shape, in argument order
    constants: dict         # keyword arguments of the forward
    reference: object       # minigrad reference
    torch_reference: object
    shifted: tuple = ()     # inputs drawn as 5 * randn + 12 (CS231n's BatchNorm inputs)


EXERCISES = {
    "batchnorm": Exercise("batchnorm_forward", "batchnorm_backward",
                          {"x": (4, 5), "gamma": (5,), "beta": (5,)}, {"eps": 1e-5},
                          layers_batch_norm, torch_batch_norm, shifted=("x",)),
    "layernorm": Exercise("layernorm_forward", "layernorm_backward",
                          {"x": (4, 5), "gamma": (5,), "beta": (5,)}, {"eps": 1e-5},
                          layers_layer_norm, torch_layer_norm, shifted=("x",)),
    "groupnorm": Exercise("groupnorm_forward", "groupnorm_backward",
                          {"x": (2, 6, 3, 4), "gamma": (6,), "beta": (6,)}, {"G": 3, "eps": 1e-5},
                          layers_group_norm, torch_group_norm, shifted=("x",)),
    "weightnorm": Exercise("weightnorm_forward", "weightnorm_backward",
                           {"x": (4, 5), "g": (3, 1), "v": (3, 5)}, {},
                           layers_weight_norm_linear, torch_weight_norm_linear),
}


def make_inputs(shapes, seed=0, shifted=()):
    """{name: array}: standard normal from `seed`, or 5 * randn + 12 for the `shifted` names."""
    rng = np.random.default_rng(seed)
    inputs = {}
    for name, shape in shapes.items():
        value = rng.standard_normal(shape)
        inputs[name] = 5 * value + 12 if name in shifted else value
    return inputs


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


def add_arguments(parser):
    parser.add_argument("file", help="the Python file with your forward and backward functions")
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
    parser.add_argument("--const", metavar="NAME=VALUE", type=_const_spec, action="append",
                        default=[], help="a keyword argument passed to forward and the "
                        "references (e.g. eps=1e-5, G=2)")
    parser.add_argument("--reference", metavar="MODULE:FUNCTION",
                        help="a minigrad function of Tensors computing the same forward output")
    parser.add_argument("--torch-reference", metavar="MODULE:FUNCTION",
                        help="the same on torch tensors (used when PyTorch is installed)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the inputs and dout "
                        "(default 0)")
    parser.add_argument("--threshold", type=_threshold, default=THRESHOLD,
                        help=f"largest relative error that passes (default {THRESHOLD:g})")


# ----------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------

class UsageError(Exception):
    """The command line is wrong (exit status 2)."""


class SubmissionError(Exception):
    """The student's file cannot be used (exit status 1)."""


def run(args):
    try:
        module = _load(args.file)
        forward_name, backward_name, shapes, constants, ref, torch_ref, shifted = _plan(args)
        forward = _function(module, forward_name, args.file)
        backward = _function(module, backward_name, args.file)
        if args.exercise is None:
            shapes = _in_signature_order(forward, shapes)
        if args.reference:
            ref = _import(args.reference)
        if args.torch_reference:
            torch_ref = _import(args.torch_reference)
    except UsageError as e:
        print(f"minigrad check: error: {e}", file=sys.stderr)
        return 2
    except SubmissionError as e:
        print(f"FAILED: {e}")
        return 1
    inputs = make_inputs(shapes, args.seed, shifted)
    report = check_backward(forward, backward, inputs, ref, torch_reference=torch_ref,
                            constants=constants, seed=args.seed, threshold=args.threshold)
    print(report)
    return 0 if report.passed else 1


def _plan(args):
    """Names, shapes, constants and references, from --exercise and the options."""
    given = dict(args.shape)
    if len(given) != len(args.shape):
        raise UsageError("an input was given twice with --shape")
    constants = dict(args.const)
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
                         f"--exercise NAME for one of {sorted(EXERCISES)}")
    if not given:
        raise UsageError("give the shape of every input with --shape NAME=D1,D2 (e.g. "
                         "--shape x=4,5), in argument order")
    return args.forward, args.backward, given, constants, None, None, ()


def _load(path):
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    name = "minigrad_check_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)          # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:          # its exit status must not become the grade
        raise SubmissionError(f"importing {path} called sys.exit({exc.code!r}); a file to "
                              f"grade defines functions and does not exit") from exc
    except Exception as exc:
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


def _in_signature_order(forward, shapes):
    """Reorder --shape inputs to forward's parameters when the names match them."""
    try:
        params = [p for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return shapes
    required = [p.name for p in params if p.default is p.empty]
    names = [p.name for p in params]
    if not set(shapes) <= set(names):
        return shapes
    missing = [n for n in required if n not in shapes]
    if missing:
        raise UsageError(f"{forward.__name__} takes ({', '.join(names)}); no --shape given "
                         f"for {', '.join(missing)}")
    return {n: shapes[n] for n in names if n in shapes}


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
