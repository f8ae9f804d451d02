"""Degenerate data: fits succeed with a warning that names the component, or fail clearly.

Never NaN parameters: every fit below either returns finite weights, means and
covariances with valid responsibilities and finite scores, or raises a
``ValueError`` that says what to do.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bayesgmm import GaussianMixture
from bayesgmm.exceptions import ComponentCollapseWarning, DataScaleWarning

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
RNG = np.random.default_rng(7)
BASE = RNG.normal(size=(200, 3))
T = RNG.normal(size=200)

CASES = {
    "constant feature": np.c_[BASE[:, :2], np.full(200, 5.0)],
    "all points identical": np.full((200, 3), 3.3),
    "points on a line in 3-D": np.c_[T, 2 * T + 1, -T],
    "heavy duplicates": np.repeat(BASE[:10], 20, axis=0),
    "huge scale 1e150": BASE * 1e150,
    "tiny scale 1e-150": BASE * 1e-150,
    "huge offset 1e12": BASE + 1e12,
    "mixed scales 1e-8..1e8": BASE * np.array([1e-8, 1e8, 1.0]),
    "integer input": RNG.integers(0, 5, size=(200, 3)),
    "float32 input": BASE.astype(np.float32),
    "more components than distinct points": np.repeat(BASE[:3], 50, axis=0),
}


def _fit(X, covariance_type, n_components=5):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = GaussianMixture(n_components, covariance_type=covariance_type, random_state=0).fit(X)
    return gm, caught


def _assert_usable(gm, X):
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        value = getattr(gm, name)
        assert np.isfinite(value).all(), name
        # float32 data keep float32 (scikit-learn's contract); everything else float64
        assert value.dtype == (np.float32 if X.dtype == np.float32 else np.float64), name
    assert np.isclose(gm.weights_.sum(), 1.0)
    proba = gm.predict_proba(X)
    assert np.isfinite(proba).all()
    assert (proba >= 0).all()
    assert (proba <= 1).all()
    rtol = 1e-6 if X.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol)
    assert np.isfinite(gm.score_samples(X)).all()
    assert np.isfinite(gm.lower_bound_)
    np.testing.assert_array_equal(gm.predict(X), proba.argmax(axis=1))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("case", list(CASES))
def test_degenerate_data_gives_finite_fit(case, covariance_type):
    X = CASES[case]
    gm, caught = _fit(X, covariance_type)
    _assert_usable(gm, X)
    # any warning is one of ours and names what it is about
    for warning in caught:
        assert issubclass(warning.category, ComponentCollapseWarning | DataScaleWarning), (
            warning.message
        )
        text = str(warning.message)
        assert ("Component " in text) or ("feature(s)" in text), text


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_collapsed_components_are_named(covariance_type):
    X = CASES["more components than distinct points"]
    _, caught = _fit(X, covariance_type)
    named = [w for w in caught if issubclass(w.category, ComponentCollapseWarning)]
    assert named
    assert all(str(w.message).startswith("Component ") for w in named)


def test_identical_points_put_all_weight_on_that_point():
    gm, _ = _fit(CASES["all points identical"], "full")
    heavy = gm.weights_.argmax()
    np.testing.assert_allclose(gm.means_[heavy], 3.3, rtol=1e-12)
    assert gm.weights_[heavy] > 0.99


def test_line_in_3d_is_found_by_a_near_singular_covariance():
    gm, _ = _fit(CASES["points on a line in 3-D"], "full", n_components=1)
    eigenvalues = np.linalg.eigvalsh(gm.covariances_[0])
    # two directions are flat up to reg_covar; the line's own variance is 6 var(t)
    np.testing.assert_allclose(eigenvalues[:2], 1e-6, rtol=1e-3)
    np.testing.assert_allclose(eigenvalues[2], 6 * T.var() + 1e-6, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_huge_scale_is_equivariant(covariance_type):
    """Data times 1e150 fits to means times 1e150 (reg_covar is negligible there)."""
    X = BASE[:, :2]
    settings = {
        "covariance_type": covariance_type,
        "random_state": 0,
        "tol": 1e-8,
        "max_iter": 2000,
    }
    small = GaussianMixture(2, reg_covar=0.0, **settings).fit(X)
    big = GaussianMixture(2, **settings).fit(X * 1e150)
    np.testing.assert_allclose(big.means_ / 1e150, small.means_, rtol=1e-6)
    np.testing.assert_allclose(big.weights_, small.weights_, rtol=1e-6)
    np.testing.assert_allclose(big.covariances_ / 1e300, small.covariances_, rtol=1e-6)


def test_tiny_scale_warns_that_reg_covar_dominates():
    X = BASE[:, :2] * 1e-150
    _, caught = _fit(X, "full", n_components=2)
    scale = [str(w.message) for w in caught if issubclass(w.category, DataScaleWarning)]
    assert len(scale) == 1
    assert scale[0].startswith(
        "reg_covar=1e-06 is not small next to the variance of feature(s) [0, 1]"
    )


def test_reg_covar_warning_names_only_the_small_features():
    X = BASE * np.array([1.0, 1e-4, 1.0])
    with pytest.warns(
        DataScaleWarning, match=r"feature\(s\) \[1\] \(smallest variance 8\.\d+e-09\)"
    ):
        GaussianMixture(2, random_state=0).fit(X)


def test_overflowing_data_is_refused_with_a_fix():
    with pytest.raises(
        ValueError, match=r"too large to fit.*Divide X by a constant \(for example 1e\+300\)"
    ):
        GaussianMixture(2).fit(BASE * 1e300)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_and_float32_input_equal_float64_fit(covariance_type):
    X_int = CASES["integer input"]
    settings = {"covariance_type": covariance_type, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentCollapseWarning)
        a = GaussianMixture(3, **settings).fit(X_int)
        b = GaussianMixture(3, **settings).fit(X_int.astype(np.float64))
    np.testing.assert_array_equal(a.means_, b.means_)
    X32 = CASES["float32 input"]
    c = GaussianMixture(3, **settings).fit(X32)  # float32 passes, float32 attributes
    d = GaussianMixture(3, **settings).fit(X32.astype(np.float64))
    assert c.means_.dtype == np.float32
    np.testing.assert_allclose(c.means_, d.means_, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(c.predict(X32), d.predict(X32))
