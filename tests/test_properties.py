"""Property-based checks of GaussianMixture (hypothesis) on arbitrary (small) data sets.

Two kinds of data: arbitrary finite floats in a bounded range (hypothesis ``arrays``:
duplicates, constant columns, wild scales) and mixtures drawn from a seeded NumPy
``Generator`` whose seed hypothesis draws (well-conditioned clusters).

Properties checked on any data and parameters:

* ``predict_proba`` rows lie in [0, 1] and sum to 1 (to 1e-10), ``score_samples`` is
  finite and ``predict`` is the argmax of ``predict_proba``.
* EM never decreases the log-likelihood: ``lower_bounds_`` is non-decreasing (relative
  slack 1e-8 for rounding), with complete data and with NaN cells marginalised. This
  is the EM theorem for the exact M-step, so it is checked with ``reg_covar=0`` (the
  regularised M-step maximises no fixed objective) and only on fits where no
  covariance had to be repaired (a singular covariance means an unbounded likelihood;
  the repair that adds jitter is a deliberate departure from EM).

Invariances, each exact in exact arithmetic given the same explicit initial parameters
(``weights_init``, ``means_init``, ``precisions_init``: no random initialisation) and
the same number of iterations (``tol=0``, fixed ``max_iter``), checked to ~1e-8
relative:

* permuting the rows of ``X`` leaves the fit unchanged;
* an integer ``sample_weight`` ``k`` equals repeating the row ``k`` times (0 removes it);
* the affine map ``X -> c X + b`` (scalar ``c != 0``, vector ``b``) with the initial
  parameters mapped alike (means ``c mu + b``, precisions ``P / c**2``) and
  ``reg_covar`` mapped to ``c**2 reg_covar`` gives means ``c mu + b``, covariances
  ``c**2 Sigma``, the same weights and responsibilities, and lower bounds shifted by
  ``-n_features log|c|``. It holds for any ``reg_covar`` scaled by ``c**2`` (so for
  ``reg_covar=0`` unscaled) because the responsibilities do not change and every
  M-step estimate, the added ``reg_covar`` included, then scales by ``c**2``; with an
  unscaled ``reg_covar > 0`` it holds only approximately. (bayesgmm's repair floor is
  relative to the data's variance, hence scale-free too.)
"""

import math
import warnings

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from bayesgmm import COVARIANCE_TYPES, ComponentCollapseWarning, ConvergenceWarning, GaussianMixture
from bayesgmm.exceptions import DataScaleWarning

#: legitimate on arbitrary data: collapsed components, slow convergence, tiny variances
FIT_WARNINGS = (ComponentCollapseWarning, ConvergenceWarning, DataScaleWarning)
#: iterations of the invariance fits (tol=0: all of them run, then ConvergenceWarning)
N_ITER = 15


@st.composite
def data_and_model(draw):
    n_features = draw(st.integers(1, 3))
    n_samples = draw(st.integers(4, 40))
    values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)
    X = draw(arrays(np.float64, (n_samples, n_features), elements=values))
    n_components = draw(st.integers(1, min(3, n_samples)))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    return X, n_components, covariance_type


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data_and_model(), st.integers(0, 2**31 - 1))
def test_fit_gives_valid_probabilities_on_any_finite_data(case, seed):
    X, n_components, covariance_type = case
    gm = GaussianMixture(
        n_components, covariance_type=covariance_type, max_iter=20, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentCollapseWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DataScaleWarning)
        labels = gm.fit_predict(X)
    proba = gm.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.array_equal(labels, gm.predict(X))
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert np.all(gm.weights_ >= 0)
    np.testing.assert_allclose(gm.weights_.sum(), 1.0, rtol=1e-12)
    far = X.mean(axis=0) + 1e6 * (X.std(axis=0) + 1.0)
    assert np.isfinite(gm.score_samples(far[None, :])).all()


# ----------------------------------------------------------------------------- strategies
def _mixture_sample(rng, n_samples, n_features, n_components):
    """Clusters around well-separated centres, each with its own random shape."""
    centres = rng.normal(scale=4.0, size=(n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    shapes = rng.normal(size=(n_components, n_features, n_features)) / math.sqrt(n_features)
    shapes += np.eye(n_features)
    noise = rng.normal(size=(n_samples, n_features))
    return centres[labels] + np.einsum("nd,ned->ne", noise, shapes[labels])


def _initial_parameters(rng, X, n_components, covariance_type):
    """Explicit ``weights_init``, ``means_init`` and ``precisions_init`` near the data."""
    n_samples, n_features = X.shape
    weights = rng.dirichlet(np.full(n_components, 5.0))
    rows = rng.choice(n_samples, n_components, replace=False)
    means = X[rows] + rng.normal(scale=0.1, size=(n_components, n_features))
    covariance = np.atleast_2d(np.cov(X.T)) + 1e-3 * np.eye(n_features)
    stretch = rng.uniform(0.5, 2.0, size=n_components)
    if covariance_type == "full":
        precisions = np.stack([np.linalg.inv(covariance * s) for s in stretch])
    elif covariance_type == "tied":
        precisions = np.linalg.inv(covariance)
    elif covariance_type == "diag":
        precisions = 1.0 / (np.diag(covariance)[None, :] * stretch[:, None])
    else:
        precisions = 1.0 / (np.diag(covariance).mean() * stretch)
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


@st.composite
def mixtures(draw, *, min_per_parameter=3, min_features=1):
    """``(X, n_components, covariance_type, rng)``: X drawn from a random mixture."""
    n_features = draw(st.integers(min_features, 4), label="n_features")
    n_components = draw(st.integers(1, 4), label="n_components")
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES), label="covariance_type")
    low = max(10, min_per_parameter * n_components * (n_features + 1))
    n_samples = draw(st.integers(low, low + 80), label="n_samples")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    X = _mixture_sample(rng, n_samples, n_features, n_components)
    return X, n_components, covariance_type, rng


@st.composite
def arbitrary_data(draw):
    """``(X, n_components, covariance_type, seed)`` with X any bounded finite floats."""
    n_features = draw(st.integers(1, 4), label="n_features")
    n_samples = draw(st.integers(2, 40), label="n_samples")
    values = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
    X = draw(arrays(np.float64, (n_samples, n_features), elements=values), label="X")
    n_components = draw(st.integers(1, min(4, n_samples)), label="n_components")
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES), label="covariance_type")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    return X, n_components, covariance_type, seed


def _fit(X, n_components, covariance_type, *, sample_weight=None, **params):
    gm = GaussianMixture(n_components, covariance_type=covariance_type, **params)
    with warnings.catch_warnings():
        for category in FIT_WARNINGS:
            warnings.simplefilter("ignore", category)
        return gm.fit(X, sample_weight=sample_weight)


def _fit_without_repairs(X, n_components, covariance_type, *, sample_weight=None, **params):
    """Fit; reject the example if a covariance had to be repaired.

    Only with ``reg_covar=0`` can an M-step covariance be singular (a component on
    fewer than ``n_features + 1`` distinct points). Its likelihood is then unbounded:
    the fit adds jitter, which is not an EM step (so EM's monotonicity does not
    apply), and whether a singular matrix passes its Cholesky test is decided by
    rounding (so the invariances hold only approximately).
    """
    gm = GaussianMixture(n_components, covariance_type=covariance_type, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm.fit(X, sample_weight=sample_weight)
    for warning in caught:
        assert issubclass(warning.category, ComponentCollapseWarning | ConvergenceWarning), (
            warning.message
        )
    assume(not any("jitter" in str(warning.message) for warning in caught))
    return gm


def _invariance_fit(X, n_components, covariance_type, inits, **params):
    return _fit_without_repairs(
        X, n_components, covariance_type, tol=0.0, max_iter=N_ITER, **inits, **params
    )


def _assert_same_fit(actual, expected, rtol=1e-8):
    scale = np.abs(expected.means_).max() + 1.0
    assert_allclose(actual.weights_, expected.weights_, rtol=rtol, atol=rtol)
    assert_allclose(actual.means_, expected.means_, rtol=rtol, atol=rtol * scale)
    covariance_scale = np.abs(expected.covariances_).max()
    assert_allclose(
        actual.covariances_, expected.covariances_, rtol=rtol, atol=rtol * covariance_scale
    )
    assert actual.n_iter_ == expected.n_iter_
    lower = np.asarray(expected.lower_bounds_)
    assert_allclose(actual.lower_bounds_, lower, rtol=rtol, atol=rtol * np.abs(lower).max())


# ----------------------------------------------------------------------------- predictions
def _check_predictions(gm, X):
    proba = gm.predict_proba(X)
    assert proba.shape == (len(X), gm.n_components)
    assert np.all((proba >= 0.0) & (proba <= 1.0))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-10)
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert_array_equal(gm.predict(X), proba.argmax(axis=1))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(arbitrary_data())
def test_predictions_are_probabilities_on_arbitrary_data(case):
    X, n_components, covariance_type, seed = case
    gm = _fit(X, n_components, covariance_type, max_iter=20, random_state=seed)
    _check_predictions(gm, X)
    _check_predictions(gm, X[::-1] * 2.0 + 1.0)  # and on points not seen in fit


@settings(max_examples=40, deadline=None, derandomize=True)
@given(mixtures(), st.integers(0, 2**32 - 1))
def test_predictions_are_probabilities_on_mixture_data(case, seed):
    X, n_components, covariance_type, _ = case
    gm = _fit(X, n_components, covariance_type, random_state=seed)
    _check_predictions(gm, X)


# ----------------------------------------------------------------------------- monotone EM
def _assert_non_decreasing(lower_bounds):
    bounds = np.asarray(lower_bounds)
    slack = 1e-8 * np.maximum(np.abs(bounds[1:]), 1.0)
    assert np.all(np.diff(bounds) >= -slack), np.diff(bounds)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(mixtures(), st.integers(0, 2**32 - 1))
def test_lower_bounds_never_decrease(case, seed):
    X, n_components, covariance_type, _ = case
    gm = _fit_without_repairs(
        X, n_components, covariance_type, reg_covar=0.0, tol=1e-10, max_iter=40, random_state=seed
    )
    assert len(gm.lower_bounds_) == gm.n_iter_
    assert gm.lower_bound_ == gm.lower_bounds_[-1]
    _assert_non_decreasing(gm.lower_bounds_)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(
    mixtures(min_per_parameter=5, min_features=2), st.floats(0.05, 0.3), st.integers(0, 2**32 - 1)
)
def test_lower_bounds_never_decrease_with_missing_cells(case, missing_share, seed):
    X, n_components, covariance_type, rng = case
    X = X.copy()
    X[rng.random(X.shape) < missing_share] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.5  # keep one observed cell in every row
    gm = _fit_without_repairs(
        X,
        n_components,
        covariance_type,
        missing="marginalize",
        reg_covar=0.0,
        tol=1e-10,
        max_iter=25,
        random_state=seed,
    )
    _assert_non_decreasing(gm.lower_bounds_)


# ----------------------------------------------------------------------------- invariances
@settings(max_examples=40, deadline=None, derandomize=True)
@given(mixtures(min_per_parameter=2), st.sampled_from([0.0, 1e-6]))
def test_row_order_does_not_change_the_fit(case, reg_covar):
    X, n_components, covariance_type, rng = case
    inits = _initial_parameters(rng, X, n_components, covariance_type)
    order = rng.permutation(len(X))
    fit = _invariance_fit(X, n_components, covariance_type, inits, reg_covar=reg_covar)
    shuffled = _invariance_fit(X[order], n_components, covariance_type, inits, reg_covar=reg_covar)
    _assert_same_fit(shuffled, fit)
    assert_allclose(shuffled.predict_proba(X), fit.predict_proba(X), rtol=0, atol=1e-8)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(mixtures(min_per_parameter=2), st.sampled_from([0.0, 1e-6]))
def test_integer_sample_weight_equals_repeated_rows(case, reg_covar):
    X, n_components, covariance_type, rng = case
    weight = rng.integers(0, 4, size=len(X))
    weight[rng.choice(len(X), n_components + 1, replace=False)] += 1  # enough positive rows
    inits = _initial_parameters(rng, X, n_components, covariance_type)
    weighted = _invariance_fit(
        X, n_components, covariance_type, inits, sample_weight=weight, reg_covar=reg_covar
    )
    repeated = _invariance_fit(
        np.repeat(X, weight, axis=0), n_components, covariance_type, inits, reg_covar=reg_covar
    )
    _assert_same_fit(weighted, repeated)
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=1e-8)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    mixtures(min_per_parameter=2),
    st.floats(-3.0, 3.0),
    st.booleans(),
    st.floats(-100.0, 100.0),
    st.sampled_from([0.0, 1e-6]),
)
def test_affine_map_of_data_maps_the_fit(case, log_scale, negative, shift, reg_covar):
    X, n_components, covariance_type, rng = case
    n_features = X.shape[1]
    c = (-1.0 if negative else 1.0) * 10.0**log_scale
    b = shift * rng.uniform(-1.0, 1.0, size=n_features)
    inits = _initial_parameters(rng, X, n_components, covariance_type)
    mapped_inits = {
        "weights_init": inits["weights_init"],
        "means_init": c * inits["means_init"] + b,
        "precisions_init": inits["precisions_init"] / c**2,
    }
    fit = _invariance_fit(X, n_components, covariance_type, inits, reg_covar=reg_covar)
    mapped = _invariance_fit(
        c * X + b, n_components, covariance_type, mapped_inits, reg_covar=reg_covar * c**2
    )
    rtol = 1e-8
    assert_allclose(mapped.weights_, fit.weights_, rtol=rtol, atol=rtol)
    assert_allclose(
        mapped.means_,
        c * fit.means_ + b,
        rtol=rtol,
        atol=rtol * abs(c) * (np.abs(fit.means_).max() + 1.0),
    )
    expected_covariances = c**2 * fit.covariances_
    assert_allclose(
        mapped.covariances_,
        expected_covariances,
        rtol=rtol,
        atol=rtol * np.abs(expected_covariances).max(),
    )
    shift_log = n_features * math.log(abs(c))
    expected_bounds = np.asarray(fit.lower_bounds_) - shift_log
    assert_allclose(
        mapped.lower_bounds_,
        expected_bounds,
        rtol=rtol,
        atol=rtol * (np.abs(fit.lower_bounds_).max() + abs(shift_log)),
    )
    assert_allclose(mapped.predict_proba(c * X + b), fit.predict_proba(X), rtol=0, atol=1e-8)
