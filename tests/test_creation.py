"""The convenience constructors (minigrad/creation.py)."""
import numpy as np
import pytest

import minigrad as mg


@pytest.mark.parametrize("make,fill", [(mg.zeros, 0.0), (mg.ones, 1.0)])
def test_zeros_ones_shapes_and_dtypes(make, fill):
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float64 and (t.data == fill).all()
    assert make().shape == () and make(0).shape == (0,)
    assert make(2, dtype=np.float32).dtype == np.float32
    assert make(2, dtype=np.int64).dtype == np.int64
    t = make(3, requires_grad=True, name="w")
    assert t.requires_grad and t.is_leaf and t.name == "w"


@pytest.mark.parametrize("make", [mg.zeros, mg.ones, mg.randn])
def test_bad_shapes_name_the_constructor(make):
    name = make.__name__
    with pytest.raises(ValueError, match=f"{name}: shape must be non-negative"):
        make(2, -1)
    with pytest.raises(TypeError, match=f"{name}: shape must be integers"):
        make(2.5)


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mg.zeros(2, dtype=np.int64, requires_grad=True)


def test_randn_is_reproducible_with_a_seed_or_generator():
    a = mg.randn(3, 4, rng=7)
    b = mg.randn(3, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.shape == (3, 4) and a.dtype == np.float64
    assert mg.randn(2, dtype=np.float32).dtype == np.float32


def test_manual_seed_drives_randn():
    mg.manual_seed(3)
    first = mg.randn(5).data
    mg.manual_seed(3)
    np.testing.assert_array_equal(mg.randn(5).data, first)
    assert mg.default_rng() is mg.default_rng()


def test_randn_looks_standard_normal():
    x = mg.randn(20000, rng=0).data
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03


def test_arange_follows_numpy():
    t = mg.arange(5)
    assert t.dtype == np.int64 and t.data.tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(1, 2, 0.25).data.tolist() == [1.0, 1.25, 1.5, 1.75]
    assert mg.arange(1, 2, 0.25).dtype == np.float64 == mg.arange(3.0).dtype
    assert mg.arange(3, dtype=np.int32).dtype == np.int32
    assert mg.arange(3, dtype=np.float64, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="use floats"):
        mg.arange(3, requires_grad=True)


def test_dtype_rng_and_argument_errors_name_the_constructor():
    # randn(..., dtype=int64) used to truncate the samples to mostly zeros, silently;
    # the others failed inside NumPy without saying which constructor.
    with pytest.raises(TypeError, match="randn: .*floating-point dtype, got int64"):
        mg.randn(3, dtype=np.int64)
    for make in (mg.zeros, mg.ones, mg.randn, mg.arange):
        with pytest.raises(TypeError, match=f"{make.__name__}: 'nope' is not a NumPy dtype"):
            make(2, dtype="nope")
    with pytest.raises(TypeError, match="randn: rng must be a numpy Generator or an integer seed"):
        mg.randn(2, rng="x")
    with pytest.raises(TypeError, match="arange: takes"):
        mg.arange()
    with pytest.raises(TypeError, match="arange: takes"):
        mg.arange("a")


def test_a_shape_may_be_an_integer_array():
    assert mg.zeros(np.array([2, 3])).shape == (2, 3)
