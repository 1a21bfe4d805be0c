"""Tensor contractions: einsum, and dot, inner, outer, tensordot written as einsums.

einsum is one entry in the derivative table. Its VJP is again an einsum: the
gradient of operand i is the einsum of the output's gradient with all the
other operands, producing operand i's subscripts. Three details make that
exact for every subscript string NumPy accepts:
  - a letter only operand i has (summed away in the forward) gets its gradient
    by broadcasting: d/dx_ij of sum_j x_ij is 1 for every j;
  - a letter repeated within operand i ("ii->i", a diagonal) gets the gradient
    of the diagonal put back on the diagonal (zeros elsewhere);
  - a letter of size 1 that broadcast against a larger one gets a gradient of the
    larger size, which the backward walk sums back down, as for any broadcast.
Before any of this the subscripts are made explicit: "..." becomes letters and
an implicit output ("ij,jk") gets NumPy's (the letters seen once, sorted).
"""
from __future__ import annotations

import string

import numpy as np

from minigrad.ops.primitive import _shape, primitive
from minigrad.ops.shape import _scatter_add, broadcast_to, reshape

# ----------------------------------------------------------------------------
# Subscripts made explicit
# ----------------------------------------------------------------------------

def _sublist_to_subscripts(args):
    """NumPy's other form einsum(op0, sublist0, op1, sublist1, ..., [out]): axes
    named by integers (and Ellipsis) instead of letters."""
    def letters(sublist):
        return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sublist)
    n = len(args) // 2
    operands, subs = args[0:2 * n:2], args[1:2 * n:2]
    spec = ",".join(letters(s) for s in subs)
    if len(args) % 2:                           # an output sublist at the end
        spec += "->" + letters(args[-1])
    return spec, operands


def _explicit(subscripts, shapes):
    """'...ij,jk' with the operand shapes -> (['aij', 'jk'], 'aik'): every "..."
    replaced by letters of its own, the output written out as NumPy infers it."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operands, got {len(shapes)}")
    for s in inputs + [output]:
        if s.replace("...", "").strip(string.ascii_letters) or s.count("...") > 1 or \
                "." in s.replace("...", ""):
            raise ValueError(f"einsum: subscripts {subscripts!r} may hold only letters and one "
                             f"'...' per operand")
    free = [c for c in string.ascii_letters if c not in spec]
    widths = [len(shape) - len(s.replace("...", "")) for s, shape in zip(inputs, shapes)]
    for s, shape, w in zip(inputs, shapes, widths):
        if w < 0 or (w > 0 and "..." not in s):
            raise ValueError(f"einsum: subscripts {s!r} do not fit an operand with "
                             f"{len(shape)} dimensions (shape {shape})")
    width = max([w for s, w in zip(inputs, widths) if "..." in s], default=0)
    batch = "".join(free[:width])
    inputs = [s.replace("...", batch[width - w:] if w else "") for s, w in zip(inputs, widths)]
    if arrow:
        output = output.replace("...", batch)
    else:
        counts = {c: "".join(inputs).count(c) for c in "".join(inputs)}
        output = batch + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in batch))
    return inputs, output


# ----------------------------------------------------------------------------
# The primitive and its VJP
# ----------------------------------------------------------------------------

def _unique(letters):
    return "".join(dict.fromkeys(letters))


def _einsum_vjp(g, ans, *operands, inputs, output):
    return [_operand_grad(i, g, operands, inputs, output) for i in range(len(operands))]


def _operand_grad(i, g, operands, inputs, output):
    """The gradient of operand i: an einsum of g with the other operands."""
    target = inputs[i]
    shape = _shape(operands[i])
    others = [s for j, s in enumerate(inputs) if j != i]
    seen = set(output).union(*others)
    kept = "".join(c for c in _unique(target) if c in seen)
    grad = _einsum(g, *(x for j, x in enumerate(operands) if j != i),
                   inputs=(output, *others), output=kept)
    letters = _unique(target)            # kept is these, in this order, minus some
    size = {c: shape[target.index(c)] for c in letters}
    if kept != letters:                 # letters only this operand had: broadcast
        grad_size = dict(zip(kept, _shape(grad)))
        grad = reshape(grad, tuple(grad_size.get(c, 1) for c in letters))
        grad = broadcast_to(grad, tuple(grad_size.get(c, size[c]) for c in letters))
    if letters != target:               # a repeated letter: back onto the diagonal
        diagonal = tuple(np.arange(size[c]).reshape([-1 if d == letters.index(c) else 1
                                                     for d in range(len(letters))])
                         for c in target)
        grad = _scatter_add(grad, diagonal, shape)
    return grad


_einsum = primitive("einsum",
                    lambda *ops, inputs, output: np.einsum(",".join(inputs) + "->" + output, *ops),
                    variadic_vjp=_einsum_vjp, saves="operands")


def einsum(subscripts, *operands):
    """Einstein summation, NumPy's einsum: einsum("ij,jk->ik", a, b) is a @ b.

    Accepts what NumPy accepts: implicit outputs ("ij,jk"), "..." for
    broadcast dimensions, repeated letters (traces and diagonals, "ii->i"),
    and the sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]). Every operand
    gets a gradient, itself an einsum."""
    if not isinstance(subscripts, str):
        subscripts, operands = _sublist_to_subscripts((subscripts,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])           # torch.einsum("ij->ji", [a]) form
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    inputs, output = _explicit(subscripts, [_shape(x) for x in operands])
    if len(set(output)) != len(output) or set(output) - set("".join(inputs)):
        raise ValueError(f"einsum: output subscripts of {subscripts!r} must be distinct letters "
                         f"that appear in the inputs")
    return _einsum(*operands, inputs=tuple(inputs), output=output)


# ----------------------------------------------------------------------------
# NumPy's products, as einsums
# ----------------------------------------------------------------------------

def _axes_list(axes, ndim, op):
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for {ndim} dimensions")
    return [int(a) % ndim for a in axes]


def tensordot(a, b, axes=2):
    """Sum over axes of a paired with axes of b: axes=N pairs a's last N with b's
    first N; axes=(a_axes, b_axes) names them. The result has a's free axes,
    then b's (NumPy's tensordot)."""
    sa, sb = _shape(a), _shape(b)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(len(sa), len(sb)):
            raise ValueError(f"tensordot: axes={axes} does not fit shapes {sa} and {sb}")
        a_axes, b_axes = list(range(len(sa) - axes, len(sa))), list(range(axes))
    else:
        a_axes, b_axes = (_axes_list(ax, len(s), "tensordot") for ax, s in zip(axes, (sa, sb)))
    if len(a_axes) != len(b_axes) or any(sa[i] != sb[j] for i, j in zip(a_axes, b_axes)):
        raise ValueError(f"tensordot: shapes {sa} and {sb} do not match on the summed axes "
                         f"{a_axes} and {b_axes}")
    letters = iter(string.ascii_letters)
    sub_a = [next(letters) for _ in sa]
    sub_b = [next(letters) for _ in sb]
    for i, j in zip(a_axes, b_axes):
        sub_b[j] = sub_a[i]
    out = [c for k, c in enumerate(sub_a) if k not in a_axes] + \
          [c for k, c in enumerate(sub_b) if k not in b_axes]
    return _einsum(a, b, inputs=("".join(sub_a), "".join(sub_b)), output="".join(out))


def dot(a, b):
    """NumPy's dot: the inner product of vectors, matmul of matrices, and for N-d
    arrays the sum over a's last axis and b's second-to-last."""
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return a * b
    axis_b = 0 if len(sb) == 1 else len(sb) - 2
    if sa[-1] != sb[axis_b]:
        raise ValueError(f"dot: shapes {sa} and {sb} are not aligned: {sa[-1]} (last dim of the "
                         f"first) != {sb[axis_b]} (dim {axis_b} of the second)")
    return tensordot(a, b, ([len(sa) - 1], [axis_b]))


def inner(a, b):
    """NumPy's inner: the sum over the last axes of a and b."""
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return a * b
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: shapes {sa} and {sb} differ in their last dimension")
    return tensordot(a, b, ([len(sa) - 1], [len(sb) - 1]))


def outer(a, b):
    """NumPy's outer: out[i, j] = a[i] * b[j] of the flattened a and b."""
    return _einsum(reshape(a, -1), reshape(b, -1), inputs=("i", "j"), output="ij")
