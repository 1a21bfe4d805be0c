"""The graded task of lesson 16 (normalization where it is used): a pre-LN transformer layer,
written by the student as a Module and graded against a reference layer with the same weights:
outputs and every gradient, with and without the causal mask. A coursework Task, as in tasks.py.

Lives in the command line because the reference uses layers.LayerNorm.
"""
from __future__ import annotations

import numpy as np

from minigrad.coursework.task import Part, Task

_NAMES = "norm1, attn, norm2, ff1, ff2"


def _reference_block(d_model, num_heads, d_ff):
    """The reference layer: the same submodules as the exercise asks for, by name."""
    import layers
    from minigrad import nn
    block = nn.Module()
    block.norm1 = layers.LayerNorm(d_model)
    block.attn = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
    block.norm2 = layers.LayerNorm(d_model)
    block.ff1 = nn.Linear(d_model, d_ff)
    block.ff2 = nn.Linear(d_ff, d_model)
    return block


def _reference_forward(block, x, causal=True, layout="pre", gelu="tanh", mask_kind="causal"):
    """The reference's output; the other arguments give the known mistakes' outputs."""
    from minigrad.nn import functional as F
    S = x.shape[1]
    mask = {"causal": ~np.tri(S, dtype=bool), "reversed": ~np.tri(S, dtype=bool).T,
            "none": None}[mask_kind if causal else "none"]

    def attention(h):
        return block.attn(h, h, h, attn_mask=mask, need_weights=False)[0]

    def feed_forward(h):
        return block.ff2(F.gelu(block.ff1(h), approximate=gelu))

    if layout == "post":
        x = block.norm1(x + attention(x))
        return block.norm2(x + feed_forward(x))
    if layout == "no residual":
        return feed_forward(block.norm2(attention(block.norm1(x))))
    x = x + attention(block.norm1(x))
    return x + feed_forward(block.norm2(x))


def _seeded_state(block, rng):
    """Every parameter drawn at random (the LayerNorms' weights and biases too, so that a
    missing affine part shows), as a state_dict."""
    return {name: rng.normal(0, 0.5 if name.endswith("bias") else 1.0, value.shape)
            / (np.sqrt(value.shape[-1]) if value.ndim == 2 else 1.0)
            + (1.0 if name.startswith("norm") and name.endswith("weight") else 0.0)
            for name, value in block.state_dict().items()}


def _build(g, d_model, num_heads, d_ff, case):
    """The student's block and the reference, with the same seeded weights; None when the
    student's names or shapes differ from the reference's (a row says which)."""
    mine = g.call("PreLNBlock", d_model, num_heads, d_ff, case=case)
    reference = _reference_block(d_model, num_heads, d_ff)
    expected = {k: v.shape for k, v in reference.state_dict().items()}
    got = {k: np.shape(v) for k, v in mine.state_dict().items()}
    if got != expected:
        missing = [f"{k} {v}" for k, v in expected.items() if got.get(k) != v]
        extra = [k for k in got if k not in expected]
        g.fail("PreLNBlock: parameters", case, "names or shapes differ",
               hint=f"expected submodules {_NAMES} (lesson 16's exercise docstring); missing or "
                    f"of another shape: {', '.join(missing) or 'none'}; not expected: "
                    f"{', '.join(extra) or 'none'}")
        return None, None
    state = _seeded_state(reference, g.rng)
    reference.load_state_dict(state)
    mine.load_state_dict({k: v.copy() for k, v in state.items()})
    return mine, reference


def _parameters(g):
    case = "d_model 16, 2 heads, d_ff 32"
    mine, reference = _build(g, 16, 2, 32, case)
    if mine is not None:
        count = sum(p.data.size for p in mine.parameters())
        g.compare("PreLNBlock: parameter count", case, count,
                  sum(p.data.size for p in reference.parameters()),
                  hint="two LayerNorms, the attention's in_proj and out_proj, two Linears")


def _forward_and_gradients(g):
    import minigrad as mg
    for d_model, heads, d_ff, shape, causal in ((16, 2, 32, (3, 6), True),
                                                 (16, 2, 32, (3, 6), False),
                                                 (8, 1, 16, (2, 7), True)):
        case = f"({shape[0]}, {shape[1]}, {d_model}), {heads} head{'s' * (heads > 1)}" \
               f"{', causal' if causal else ', no mask'}"
        mine, reference = _build(g, d_model, heads, d_ff, case)
        if mine is None:
            continue
        x = g.rng.normal(size=shape + (d_model,))
        upstream = g.rng.normal(size=x.shape)
        x_mine, x_ref = mg.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
        try:
            out = mine(x_mine, causal=causal)
        except NotImplementedError as e:
            g.fail("forward", case, "not done yet", hint=str(e))
            continue
        expected = _reference_forward(reference, x_ref, causal)
        with mg.no_grad():
            mistakes = [(why, _reference_forward(reference, mg.tensor(x), causal, **options).data)
                        for why, options in (
                            ("this is post-LN: the norm is applied to the sum x + sublayer(x); "
                             "pre-LN normalizes only the sublayer's input",
                             {"layout": "post"}),
                            ("the residual '+' is missing: return x + sublayer(norm(x))",
                             {"layout": "no residual"}),
                            ("exact GELU: use F.gelu(h, approximate='tanh')", {"gelu": "none"}),
                            ("the causal mask is the wrong way round: True means 'may NOT "
                             "attend', above the diagonal", {"mask_kind": "reversed"}),
                            ("no causal mask: with causal=True position i sees 0..i only",
                             {"mask_kind": "none"}))]
        if not g.compare("forward", case, out, expected.data, mistakes=mistakes):
            continue
        out.backward(mg.tensor(upstream))
        expected.backward(mg.tensor(upstream))
        g.compare("gradient dL/dx", case, x_mine.grad, x_ref.grad.data,
                  hint="the output is right but its gradient is not: is part of the path "
                       "computed in NumPy (outside the graph)?")
        names = [name for name, _ in reference.named_parameters()]
        mine_grads = dict(mine.named_parameters())
        missing = [n for n in names if mine_grads[n].grad is None]
        if missing:
            g.fail("gradients of the parameters", case, "no gradient",
                   hint=f"no gradient reached {', '.join(missing)}")
            continue
        g.compare("gradients of the parameters", case,
                  np.concatenate([mine_grads[n].grad.data.ravel() for n in names]),
                  np.concatenate([p.grad.data.ravel() for _, p in reference.named_parameters()]))


PRE_LN_BLOCK = Task(
    "pre_ln_block: a pre-LN transformer layer as a Module (lesson 16)",
    [Part("PreLNBlock", _parameters, "write PreLNBlock.__init__"),
     Part("forward", _forward_and_gradients, "write PreLNBlock.forward")],
    about="your layer's submodules, then its output and every gradient against a reference "
          "layer with the same seeded weights, causal and not, on two sizes")

TASKS = {"pre_ln_block": PRE_LN_BLOCK}
