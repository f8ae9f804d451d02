"""Property-based checks of GaussianMixture on arbitrary (small) data sets."""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bayesgmm import COVARIANCE_TYPES, ComponentCollapseWarning, ConvergenceWarning, GaussianMixture


@st.composite
def data_and_model(draw):
    n_features = draw(st.integers(1, 3))
    n_samples = draw(st.integers(4, 40))
    values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)
    X = draw(arrays(np.float64, (n_samples, n_features), elements=values))
    n_components = draw(st.integers(1, min(3, n_samples)))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    return X, n_components, covariance_type


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_and_model(), st.integers(0, 2**31 - 1))
def test_fit_gives_valid_probabilities_on_any_finite_data(case, seed):
    X, n_components, covariance_type = case
    gm = GaussianMixture(
        n_components, covariance_type=covariance_type, max_iter=20, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentCollapseWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
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
