"""Property-based tests (hypothesis): over random shapes, broadcasts, axes and
indices, every gradient agrees with central finite differences, and has its
input's shape and dtype."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from torch_oracle import finite_differences

EXAMPLES = settings(max_examples=200, deadline=None, database=None)


def values(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False))


def away_from_zero(shape):
    # |x| in [0.3, 2]: abs, division and ties stay smooth under a 1e-6 nudge.
    return st.tuples(values(shape, 0.3, 2.0), hnp.arrays(bool, shape)).map(
        lambda pair: np.where(pair[1], pair[0], -pair[0]))


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: abs(a) ** b,
    "maximum": lambda a, b: mg.maximum(a, b * 1.01),
    "minimum": lambda a, b: mg.minimum(a, b * 1.01),
    "where": lambda a, b: mg.where(a.data > 0, a * 2, b),
}


@EXAMPLES
@given(name=st.sampled_from(sorted(BINARY)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       data=st.data())
def test_binary_ops_under_broadcasting(name, shapes, data):
    a = data.draw(away_from_zero(shapes.input_shapes[0]), label="a")
    b = data.draw(away_from_zero(shapes.input_shapes[1]), label="b")
    if name in ("maximum", "minimum"):
        # keep the two sides at least 1e-3 apart: the gradient jumps at a tie
        b = np.where(np.abs(a - b * 1.01) < 1e-3, b + 0.1, b)
    finite_differences(BINARY[name], [a, b])


UNARY = {
    "exp": mg.exp, "tanh": mg.tanh, "sigmoid": mg.sigmoid, "abs": mg.abs, "relu": mg.relu,
    "log": lambda x: mg.log(abs(x)), "sqrt": lambda x: mg.sqrt(abs(x)),
    "clip": lambda x: x.clip(-1.0, 1.0), "neg": lambda x: -x,
}


@EXAMPLES
@given(name=st.sampled_from(sorted(UNARY)),
       x=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3).flatmap(away_from_zero))
def test_unary_ops(name, x):
    if name == "clip":
        x = np.where(np.abs(np.abs(x) - 1.0) < 1e-3, x * 0.9, x)    # not at the bounds
    finite_differences(UNARY[name], [x])


@st.composite
def array_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
    x = draw(values(shape))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
    return x, axis


REDUCTIONS = ["sum", "mean", "var", "std", "max", "min"]


@EXAMPLES
@given(name=st.sampled_from(REDUCTIONS), x_axis=array_and_axis(), keepdims=st.booleans())
def test_reductions_over_random_axes(name, x_axis, keepdims):
    x, axis = x_axis
    if name in ("max", "min"):
        # distinct values, at least 1e-3 apart: no ties for the finite difference to straddle
        x = np.argsort(np.argsort(x, axis=None)).reshape(x.shape) * 0.01 + 0.001 * x
    if name == "std":
        # std has a kink where a slice is constant (like |x| at 0): keep slices spread out
        x = x + 0.1 * np.arange(x.size).reshape(x.shape)
    finite_differences(lambda t: getattr(t, name)(axis, keepdims=keepdims), [x])


@EXAMPLES
@given(shapes=hnp.mutually_broadcastable_shapes(signature="(m,n),(n,p)->(m,p)", max_dims=2,
                                                max_side=3),
       vector=st.sampled_from([None, "left", "right"]), data=st.data())
def test_matmul_with_broadcast_batches(shapes, vector, data):
    sa, sb = shapes.input_shapes
    if vector == "left":
        sa = sa[-1:]
    elif vector == "right":
        sb = sb[-2:-1]
    a, b = data.draw(values(sa), label="a"), data.draw(values(sb), label="b")
    finite_differences(lambda x, y: x @ y, [a, b])


@EXAMPLES
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_integer_array_indexing_with_repeats(shape, data):
    x = data.draw(values(shape), label="x")
    index = tuple(data.draw(hnp.arrays(np.int64, st.integers(1, 5),
                                       elements=st.integers(-n, n - 1)), label=f"index {k}")
                  for k, n in enumerate(shape[:1]))
    finite_differences(lambda t: t[index] * 1.5, [x])


@EXAMPLES
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_transpose_reshape_and_basic_slicing(shape, data):
    x = data.draw(values(shape), label="x")
    perm = tuple(data.draw(st.permutations(range(len(shape))), label="perm"))
    slices = tuple(slice(data.draw(st.integers(0, n - 1)), None,
                         data.draw(st.integers(1, 2))) for n in shape)
    finite_differences(lambda t: t.transpose(perm).reshape(-1)[::2] * t[slices].sum(), [x])


@EXAMPLES
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), count=st.integers(1, 3),
       data=st.data())
def test_concatenate_stack_and_pad(shape, count, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    arrays = [data.draw(values(shape), label=f"x{k}") for k in range(count)]
    widths = data.draw(st.integers(0, 2), label="pad")
    finite_differences(
        lambda *ts: mg.pad(mg.concatenate(ts, axis=axis), widths) ** 2 + mg.stack(ts, axis).sum(),
        arrays)


@EXAMPLES
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       dtype=st.sampled_from([np.float32, np.float64]), data=st.data())
def test_gradient_has_the_input_shape_and_dtype(shapes, dtype, data):
    a = data.draw(values(shapes.input_shapes[0]), label="a").astype(dtype)
    b = data.draw(values(shapes.input_shapes[1]), label="b").astype(dtype)
    x, y = mg.Tensor(a, requires_grad=True), mg.Tensor(b, requires_grad=True)
    out = (x * y + x.tanh()).sum()
    assert out.dtype == dtype
    out.backward()
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    assert x.grad.dtype == dtype and y.grad.dtype == dtype
