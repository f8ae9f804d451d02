"""Tests of bayesgmm.core.validation: arrays, weights, parameter tables, random states."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from bayesgmm.core.validation import (
    boolean,
    check_array,
    check_parameters,
    check_random_state,
    check_sample_weight,
    describe_rows,
    integer,
    one_of,
    random_state,
    real,
)


# ----------------------------------------------------------------------------- check_array
@pytest.mark.parametrize(
    "X",
    [
        [[1, 2], [3, 4]],
        np.array([[1, 2], [3, 4]], dtype=np.int32),
        np.array([[1, 2], [3, 4]], dtype=np.float32),
        np.array([[True, False], [False, True]]),
        np.asfortranarray([[1.0, 2.0], [3.0, 4.0]]),
    ],
    ids=["list", "int32", "float32", "bool", "fortran"],
)
def test_check_array_returns_c_contiguous_float64(X):
    array, names = check_array(X)
    assert array.dtype == np.float64
    assert array.shape == (2, 2)
    assert array.flags.c_contiguous
    assert names is None
    assert_array_equal(array, np.asarray(X, dtype=np.float64))


def test_check_array_dataframe_feature_names():
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    array, names = check_array(df)
    assert_array_equal(names, ["a", "b"])
    assert names.dtype == object
    assert_array_equal(array, [[1.0, 3.0], [2.0, 4.0]])
    # non-string column names are not feature names
    _, names = check_array(pd.DataFrame(np.ones((2, 2))))
    assert names is None


def test_check_array_dataframe_with_missing_values_lists_rows():
    df = pd.DataFrame({"a": [1.0, None, 3.0], "b": pd.array([1, 2, None], dtype="Int64")})
    with pytest.raises(ValueError, match=r"X contains NaN in rows \[1, 2\] \(2 rows\)"):
        check_array(df)


def test_check_array_dataframe_text_column():
    df = pd.DataFrame({"a": [1.0, 2.0], "label": ["x", "y"], "when": pd.to_datetime(["2020"] * 2)})
    with pytest.raises(TypeError, match=r"columns \['label', 'when'\] are not numeric"):
        check_array(df)


def test_check_array_one_dimensional_suggests_reshape():
    with pytest.raises(ValueError, match=r"1-D array of shape \(3,\)\. Use X.reshape\(-1, 1\)"):
        check_array([1.0, 2.0, 3.0])


def test_check_array_three_dimensional():
    with pytest.raises(ValueError, match=r"got 3-D array of shape \(2, 2, 2\)"):
        check_array(np.zeros((2, 2, 2)))


def test_check_array_scalar():
    with pytest.raises(ValueError, match=r"got 0-D array of shape \(\)"):
        check_array(3.0)


def test_check_array_no_features():
    with pytest.raises(ValueError, match=r"X has no features \(shape \(4, 0\)\)"):
        check_array(np.zeros((4, 0)))


def test_check_array_min_samples_and_name():
    with pytest.raises(ValueError, match=r"data must have at least 2 samples; got 1 \(shape"):
        check_array([[1.0, 2.0]], name="data", min_samples=2)
    with pytest.raises(ValueError, match=r"X must have at least 1 sample; got 0"):
        check_array(np.zeros((0, 3)))


def test_check_array_ragged():
    with pytest.raises(ValueError, match="must be a rectangular array"):
        check_array([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        ([["a", "b"]], TypeError, r"X must contain numbers; 2 cell\(s\) are not \(\(0, 0\): 'a'"),
        (np.array([[1, "x"]], dtype=object), TypeError, r"\(0, 1\): 'x'"),
        (np.array([[1j, 2]]), ValueError, "X must be real-valued"),
        ([[np.inf, 1.0], [1.0, 2.0]], ValueError, r"infinite values in rows \[0\] \(1 row\)"),
        ([[np.nan, np.inf], [1.0, 2.0]], ValueError, r"NaN in rows \[0\]"),
    ],
    ids=["strings", "object", "complex", "inf", "nan-and-inf"],
)
def test_check_array_rejects(X, error, message):
    with pytest.raises(error, match=message):
        check_array(X)


# ----------------------------------------------------------------------------- describe_rows
def test_describe_rows():
    assert describe_rows(np.array([3, 7])) == "rows [3, 7] (2 rows)"
    assert describe_rows(np.array([5])) == "rows [5] (1 row)"
    assert describe_rows(np.arange(12)) == "rows [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...] (12 rows)"
    assert describe_rows(np.arange(4), limit=2) == "rows [0, 1, ...] (4 rows)"


# ----------------------------------------------------------------------------- sample_weight
def test_check_sample_weight_accepts_and_converts():
    assert check_sample_weight(None, 3) is None
    weight = check_sample_weight([1, 2, 0], 3)
    assert weight.dtype == np.float64
    assert_array_equal(weight, [1.0, 2.0, 0.0])
    assert_array_equal(check_sample_weight(2.5, 3), [2.5, 2.5, 2.5])


@pytest.mark.parametrize(
    ("weight", "error", "message"),
    [
        (
            [1.0, -2.0, 1.0, -1.0],
            ValueError,
            r"rows \[1, 3\] \(2 rows\) are not \(first value -2\.0\)\.$",
        ),
        ([1.0, np.inf, 1.0, 1.0], ValueError, r"finite and >= 0; rows \[1\]"),
        ([1.0, 1.0, 1.0], ValueError, r"shape \(4,\) to match X; got shape \(3,\)"),
        ([0, 0, 0, 0], ValueError, "sample_weight sums to 0"),
        (-1.0, ValueError, r"rows \[0, 1, 2, 3\]"),
        (["a", "b", "c", "d"], TypeError, "sample_weight must be numeric; got dtype <U1"),
    ],
    ids=["negative", "inf", "shape", "zeros", "negative-scalar", "strings"],
)
def test_check_sample_weight_rejects(weight, error, message):
    with pytest.raises(error, match=message):
        check_sample_weight(weight, 4)


# ----------------------------------------------------------------------------- parameters
class Owner:
    n = 3
    tol = 0.5
    kind = "a"
    flag = True
    seed = None


def test_check_parameters_accepts_valid_values():
    table = {
        "n": integer(1),
        "tol": real(0.0),
        "kind": one_of("a", "b"),
        "flag": boolean(),
        "seed": random_state(),
    }
    check_parameters(Owner(), table)


@pytest.mark.parametrize(
    ("name", "value", "constraint", "message"),
    [
        ("n", 0, integer(1), r"n must be an integer >= 1; got 0\."),
        ("n", 2.0, integer(1), r"n must be an integer >= 1; got 2\.0\."),
        ("n", False, integer(0), r"n must be an integer >= 0; got False\."),
        ("tol", -0.5, real(0.0), r"tol must be a real number >= 0\.0; got -0\.5\."),
        ("tol", float("inf"), real(0.0), r"got inf\."),
        ("tol", True, real(0.0), r"got True\."),
        ("tol", "1e-3", real(0.0), r"got '1e-3'\."),
        ("kind", "c", one_of("a", "b"), r"kind must be one of \['a', 'b'\]; got 'c'\."),
        ("flag", 1, boolean(), r"flag must be True or False; got 1\."),
        ("seed", 2**63, random_state(), r"seed must be None, .*got 9223372036854775808"),
    ],
)
def test_check_parameters_names_parameter_and_value(name, value, constraint, message):
    owner = Owner()
    setattr(owner, name, value)
    with pytest.raises(ValueError, match=message):
        check_parameters(owner, {name: constraint})


def test_check_parameters_appends_hint():
    owner = Owner()
    owner.tol = -1.0
    with pytest.raises(ValueError, match=r"got -1\.0\. Use a small value\.$"):
        check_parameters(owner, {"tol": real(0.0, hint="Use a small value.")})


def test_numpy_scalars_are_accepted():
    owner = Owner()
    owner.n, owner.tol, owner.flag, owner.seed = np.int64(2), np.float32(0.1), np.True_, np.int64(5)
    check_parameters(
        owner, {"n": integer(1), "tol": real(0.0), "flag": boolean(), "seed": random_state()}
    )


# ----------------------------------------------------------------------------- random state
def test_check_random_state_int_is_reproducible():
    a = check_random_state(42).random(5)
    b = check_random_state(42).random(5)
    assert_array_equal(a, b)
    assert not np.array_equal(a, check_random_state(43).random(5))


def test_check_random_state_generator_is_used_as_is():
    generator = np.random.default_rng(0)
    assert check_random_state(generator) is generator


def test_check_random_state_randomstate_seeds_and_advances():
    legacy = np.random.RandomState(0)
    first = check_random_state(legacy).random(3)
    second = check_random_state(legacy).random(3)
    assert not np.array_equal(first, second)  # the RandomState advanced
    again = check_random_state(np.random.RandomState(0)).random(3)
    assert_array_equal(first, again)


def test_check_random_state_none_gives_fresh_generator():
    a = check_random_state(None)
    assert isinstance(a, np.random.Generator)
    assert not np.array_equal(a.random(4), check_random_state(None).random(4))


@pytest.mark.parametrize("bad", ["0", 1.5, [1, 2]])
def test_check_random_state_rejects(bad):
    with pytest.raises(ValueError, match=rf"random_state must be None.*got {re.escape(repr(bad))}"):
        check_random_state(bad)


def test_check_array_converts_numeric_object_arrays():
    array, _ = check_array(np.array([[1, None], [2.5, 3]], dtype=object), allow_nan=True)
    np.testing.assert_array_equal(array, [[1.0, np.nan], [2.5, 3.0]])
