"""nn/attention.py against PyTorch in float64: scaled_dot_product_attention with
boolean and float masks and is_causal, its second derivative; MultiheadAttention
loaded from PyTorch's state_dict (batch_first or not, unbatched, masks, key
padding, need_weights) computes the same outputs and gradients."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from torch_oracle import compare, compare_second


def _qkv(rng, batch=(2, 3), L=4, S=5, E=6, Ev=3):
    return (rng.standard_normal(batch + (L, E)), rng.standard_normal(batch + (S, E)),
            rng.standard_normal(batch + (S, Ev)))


@pytest.mark.parametrize("mask_kind", ["none", "causal", "bool", "float", "bool_broadcast"])
def test_sdpa_like_torch(torch, rng, mask_kind):
    q, k, v = _qkv(rng, L=5)
    mask = {"none": None, "causal": None,
            "bool": rng.random((2, 3, 5, 5)) < 0.7, "float": rng.standard_normal((5, 5)),
            "bool_broadcast": np.tri(5, 5, dtype=bool)[None]}[mask_kind]
    if mask is not None and mask.dtype == bool:
        mask[..., 0] = True                      # every query sees at least one key
    causal = mask_kind == "causal"
    tmask = None if mask is None else torch.tensor(mask)
    compare(torch, lambda a, b, c: F.scaled_dot_product_attention(a, b, c, mask, is_causal=causal),
            lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(
                a, b, c, tmask, is_causal=causal), q, k, v)


def test_sdpa_scale_and_second_derivative(torch, rng):
    q, k, v = _qkv(rng, batch=(2,), L=3, S=3, E=4, Ev=2)
    compare(torch, lambda a, b, c: F.scaled_dot_product_attention(a, b, c, scale=0.3),
            lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(a, b, c, scale=0.3),
            q, k, v)
    compare_second(torch, lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                   lambda a, b, c: torch.nn.functional.scaled_dot_product_attention(
                       a, b, c, is_causal=True), q, k, v)


def test_sdpa_dropout_and_errors(rng):
    q, k, v = _qkv(rng)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5,
                                         generator=np.random.default_rng(0))
    assert out.shape == (2, 3, 4, 3)
    with pytest.raises(ValueError, match="scaled_dot_product_attention: expected query"):
        F.scaled_dot_product_attention(q, k[..., :2], v)
    with pytest.raises(ValueError, match="give attn_mask or is_causal, not both"):
        F.scaled_dot_product_attention(q, k, v, np.ones((4, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 3\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 3), bool))


def _pair(torch, E=8, H=2, batch_first=False, bias=True):
    theirs = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first)
    ours = mg.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert all(ours.state_dict()[k].shape == tuple(v.shape)
               for k, v in theirs.state_dict().items())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal_bool", "float", "padding", "per_head"])
def test_multihead_attention_like_torch(torch, rng, batch_first, masks):
    ours, theirs = _pair(torch, batch_first=batch_first)
    L, N, E = 4, 3, 8
    shape = (N, L, E) if batch_first else (L, N, E)
    x, mem = rng.standard_normal(shape), rng.standard_normal(shape)
    attn_mask = {"none": None, "causal_bool": ~np.tri(L, L, dtype=bool),
                 "float": rng.standard_normal((L, L)), "padding": None,
                 "per_head": rng.standard_normal((N * 2, L, L))}[masks]
    padding = (rng.random((N, L)) < 0.3) if masks == "padding" else None
    if padding is not None:
        padding[:, 0] = False
    tm = None if attn_mask is None else torch.tensor(attn_mask)
    tp = None if padding is None else torch.tensor(padding)
    compare(torch, lambda a, b: ours(a, b, b, padding, attn_mask=attn_mask)[0],
            lambda a, b: theirs(a, b, b, tp, attn_mask=tm)[0], x, mem)
    compare(torch, lambda a: ours(a, a, a, padding, attn_mask=attn_mask)[1],
            lambda a: theirs(a, a, a, tp, attn_mask=tm)[1], x)
    compare(torch, lambda a: ours(a, a, a, attn_mask=attn_mask, average_attn_weights=False)[1],
            lambda a: theirs(a, a, a, attn_mask=tm, average_attn_weights=False)[1], x)


def test_multihead_attention_parameter_gradients_unbatched_and_no_bias(torch, rng):
    for bias in (True, False):
        ours, theirs = _pair(torch, E=6, H=3, bias=bias)
        x = rng.standard_normal((5, 6))                      # unbatched (L, E)
        out, weights = ours(mg.Tensor(x), x, x, need_weights=False)[0], None
        t_out = theirs(torch.tensor(x), torch.tensor(x), torch.tensor(x), need_weights=False)[0]
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        t_out.backward(torch.tensor(g))
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.data,
                                       p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_multihead_attention_with_other_key_and_value_sizes(torch, rng):
    theirs = torch.nn.MultiheadAttention(6, 2, kdim=4, vdim=5, batch_first=True)
    ours = mg.nn.MultiheadAttention(6, 2, kdim=4, vdim=5, batch_first=True)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    q, k, v = (rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 5, 4)),
               rng.standard_normal((2, 5, 5)))
    compare(torch, lambda a, b, c: ours(a, b, c)[0], lambda a, b, c: theirs(a, b, c)[0], q, k, v)
    with pytest.raises(ValueError, match="expected query, key and value with last dimensions 6, 4"):
        ours(q, v, v)


def test_multihead_attention_errors_and_dropout():
    with pytest.raises(ValueError, match="embed_dim 5 must be divisible by num_heads 2"):
        mg.nn.MultiheadAttention(5, 2)
    m = mg.nn.MultiheadAttention(4, 2, dropout=0.5)
    x = np.ones((3, 2, 4))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(3, 3\)"):
        m(x, x, x, attn_mask=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="is_causal is a hint"):
        m(x, x, x, is_causal=True)
    m.eval()
    a, b = m(x, x, x)[0].data, m(x, x, x)[0].data
    assert np.array_equal(a, b)


def test_float32_stays_float32(rng):
    q = mg.Tensor(rng.standard_normal((2, 3, 4)).astype(np.float32), requires_grad=True)
    masks = (None, mg.Tensor(np.zeros((3, 3))), np.tri(3, dtype=bool))
    for mask in masks:
        out = F.scaled_dot_product_attention(q, q, q, mask)
        assert out.dtype == np.float32
        out.sum().backward()
        assert q.grad.dtype == np.float32
    out, weights = mg.nn.MultiheadAttention(4, 2)(q, q, q)
    assert out.dtype == weights.dtype == np.float32
