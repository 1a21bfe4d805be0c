"""contract.py against PyTorch in float64: einsum over every kind of subscript
NumPy accepts (implicit output, ellipsis and broadcasting, repeated letters,
letters summed away, the sublist form), its gradients and second derivatives;
dot, inner, outer, tensordot."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from torch_oracle import compare, compare_second, finite_differences, signed

EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]), ("ij", [(2, 3)]), ("ji", [(2, 3)]), ("ij->", [(2, 3)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (4,)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("iij->ij", [(3, 3, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("...i,...i", [(2, 1, 3), (4, 3)]),
    ("i...->...", [(2, 3, 4)]), ("ij,kl->", [(2, 3), (4, 5)]), ("ijk,ikl,lm->jm",
                                                                   [(2, 3, 4), (2, 4, 5), (5, 2)]),
    ("ij,ij->ij", [(1, 3), (4, 3)]), ("Ab,bC", [(2, 3), (3, 4)]), ("ba", [(2, 3)]),
    ("i,->i", [(3,), ()]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum_values_and_gradients(torch, rng, subscripts, shapes):
    arrays = [signed(rng, s) for s in shapes]
    compare(torch, lambda *ts: mg.einsum(subscripts, *ts),
            lambda *ts: torch.einsum(subscripts, *ts), *arrays)
    np.testing.assert_allclose(mg.einsum(subscripts, *arrays).data,
                               np.einsum(subscripts, *arrays), rtol=1e-12)


@pytest.mark.parametrize("subscripts, shapes", [EINSUM[0], EINSUM[8], EINSUM[12], EINSUM[16]],
                         ids=lambda v: str(v))
def test_einsum_second_derivatives(torch, rng, subscripts, shapes):
    arrays = [signed(rng, s) for s in shapes]
    compare_second(torch, lambda *ts: mg.einsum(subscripts, *ts) ** 2,
                   lambda *ts: torch.einsum(subscripts, *ts) ** 2, *arrays)


def test_einsum_sublist_and_list_forms(rng):
    a, b = signed(rng, (2, 3)), signed(rng, (3, 4))
    np.testing.assert_allclose(mg.einsum(mg.Tensor(a), [0, 1], mg.Tensor(b), [1, 2], [0, 2]).data,
                               a @ b)
    np.testing.assert_allclose(mg.einsum(mg.Tensor(a), [Ellipsis, 1], b, [1, 2]).data, a @ b)
    np.testing.assert_allclose(mg.einsum("ij,jk", [mg.Tensor(a), mg.Tensor(b)]).data, a @ b)
    np.testing.assert_allclose(mg.einsum("ij,jk", mg.Tensor(a), b).data, a @ b)


def test_einsum_errors_name_einsum():
    a = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="einsum: 'ij,jk' names 2 operands, got 1"):
        mg.einsum("ij,jk", a)
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ijk' do not fit an operand with 2"):
        mg.einsum("ijk", a)
    with pytest.raises(ValueError, match="einsum: output subscripts .* must be distinct"):
        mg.einsum("ij->ii", a)
    with pytest.raises(ValueError, match="einsum: output subscripts"):
        mg.einsum("ij->k", a)
    with pytest.raises(ValueError, match="einsum"):
        mg.einsum("ij,ij->i", a, mg.Tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match="einsum: subscripts 'i1' may hold only letters"):
        mg.einsum("i1", a)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 2)),
                                    ((2, 2, 3), (4, 3, 5)), ((), (3,)), ((2, 3), ())], ids=str)
def test_dot_like_numpy(torch, rng, shapes):
    a, b = signed(rng, shapes[0]), signed(rng, shapes[1])
    def torch_dot(s, t):            # NumPy's dot, spelled in PyTorch
        if s.ndim == 0 or t.ndim == 0:
            return s * t
        return torch.tensordot(s, t, dims=([s.ndim - 1], [max(t.ndim - 2, 0)]))
    compare(torch, mg.dot, torch_dot, a, b)
    np.testing.assert_allclose(mg.dot(a, b).data, np.dot(a, b), rtol=1e-12)
    if len(shapes[0]) <= 2 and len(shapes[1]) <= 2 and shapes[0] and shapes[1]:
        compare(torch, mg.dot, torch.matmul, a, b)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 4, 3), (3,)), ((), (2,))],
                         ids=str)
def test_inner(torch, rng, shapes):
    a, b = signed(rng, shapes[0]), signed(rng, shapes[1])
    compare(torch, mg.inner, torch.inner, a, b)
    compare(torch, lambda s, t: mg.inner(t, s), lambda s, t: torch.inner(t, s), a, b)


def test_outer(torch, rng):
    a, b = signed(rng, (3,)), signed(rng, (4,))
    compare(torch, mg.outer, torch.outer, a, b)
    compare(torch, lambda s, t: mg.outer(t, s), lambda s, t: torch.outer(t, s), a, b)
    np.testing.assert_allclose(mg.outer(mg.Tensor(np.ones((2, 2))), b).data,
                               np.outer(np.ones((2, 2)), b))


@pytest.mark.parametrize("axes", [0, 1, 2, ([0], [1]), ([1, 0], [0, 2]), ([-1], [0])], ids=str)
def test_tensordot(torch, rng, axes):
    a, b = signed(rng, (3, 4)), signed(rng, (4, 3, 2))
    if axes == 2:
        a = signed(rng, (2, 4, 3))
    if axes == ([1, 0], [0, 2]):
        a = signed(rng, (2, 4))
    compare(torch, lambda s, t: mg.tensordot(s, t, axes), lambda s, t: torch.tensordot(
        s, t, dims=axes if isinstance(axes, int) else [[x % s.ndim for x in axes[0]], axes[1]]),
        a, b)


def test_products_errors_name_the_operation():
    a, b = mg.Tensor(np.ones((2, 3))), mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        mg.dot(a, b)
    with pytest.raises(ValueError, match=r"tensordot: shapes \(2, 3\) and \(2, 3\) do not match"):
        mg.tensordot(a, b, 1)
    with pytest.raises(ValueError, match=r"inner: shapes \(2, 3\) and \(4,\) differ"):
        mg.inner(a, mg.Tensor(np.ones(4)))


@settings(max_examples=20, deadline=None, database=None)
@given(st.data())
def test_property_einsum_matches_finite_differences(data):
    # Random two-operand contractions over letters i, j, k with random sizes.
    sizes = {c: data.draw(st.integers(1, 3)) for c in "ijk"}
    subs = [data.draw(st.text("ijk", min_size=1, max_size=3)) for _ in range(2)]
    letters = sorted(set("".join(subs)))
    out = "".join(data.draw(st.permutations(letters))[:data.draw(st.integers(0, len(letters)))])
    spec = ",".join(subs) + "->" + out
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal([sizes[c] for c in s]) for s in subs]
    np.testing.assert_allclose(mg.einsum(spec, *arrays).data, np.einsum(spec, *arrays),
                               rtol=1e-12, atol=1e-12)
    finite_differences(lambda a, b: mg.einsum(spec, a, b), arrays)
