"""EM on Dask arrays (``bayesgmm.em.dask_arrays``), on a two-worker ``LocalCluster``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesgmm import ConvergenceWarning, GaussianMixture
from bayesgmm.em.dask_arrays import is_dask_array

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(scope="module")
def client():
    with (
        warnings.catch_warnings(),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(2500, 3)), rng.normal(size=(1500, 3)) * 0.5 + 3.0]
    return X, rng.uniform(0.5, 2.0, size=len(X))


def _inits(X, covariance_type):
    """Explicit initial parameters, so both fits start from the same point."""
    means = X[[0, 2600, 3900]]
    precisions = {
        "full": np.stack([np.eye(3)] * 3),
        "tied": np.eye(3),
        "diag": np.ones((3, 3)),
        "spherical": np.ones(3),
    }[covariance_type]
    return {"weights_init": np.full(3, 1 / 3), "means_init": means, "precisions_init": precisions}


def _fit(X, covariance_type, weight=None, **params):
    gm = GaussianMixture(
        3, covariance_type=covariance_type, tol=1e-12, max_iter=25, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gm.fit(X, sample_weight=weight)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_dask_fit_on_local_cluster_equals_numpy_fit(client, data, covariance_type):
    X, weight = data
    inits = _inits(X, covariance_type)
    expected = _fit(X, covariance_type, weight, **inits)
    dX = da.from_array(X, chunks=(613, 3))
    got = _fit(dX, covariance_type, weight, **inits)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert_allclose(getattr(got, name), getattr(expected, name), rtol=1e-8, atol=1e-12)
    assert got.n_iter_ == expected.n_iter_
    assert_allclose(got.lower_bounds_, expected.lower_bounds_, rtol=1e-10)


def test_dask_fit_with_default_init_matches_numpy(client, data):
    """Up to 100,000 rows the initialisation sees every row, as in memory."""
    X = data[0]
    expected = _fit(X, "full")
    got = _fit(da.from_array(X, chunks=(1000, 3)), "full")
    assert_allclose(got.means_, expected.means_, rtol=1e-8)


def test_dask_predictions_are_lazy_and_equal_numpy(client, data):
    X = data[0]
    expected = _fit(X, "diag")
    got = _fit(da.from_array(X, chunks=(1000, 3)), "diag")
    dX = da.from_array(X, chunks=(700, 3))
    proba = got.predict_proba(dX)
    labels = got.predict(dX)
    scores = got.score_samples(dX)
    assert all(is_dask_array(a) for a in (proba, labels, scores))
    assert proba.chunks == ((700,) * 5 + (500,), (3,))
    assert_allclose(proba.compute(), expected.predict_proba(X), atol=1e-10)
    np.testing.assert_array_equal(labels.compute(), expected.predict(X))
    assert_allclose(scores.compute(), expected.score_samples(X), rtol=1e-10)
    assert_allclose(got.score(dX), expected.score(X), rtol=1e-10)
    assert_allclose(got.bic(dX), expected.bic(X), rtol=1e-10)


def test_dask_fit_predict_returns_lazy_labels(client, data):
    X = data[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = GaussianMixture(2, random_state=0).fit_predict(da.from_array(X, chunks=1000))
    assert is_dask_array(labels)
    assert labels.compute().shape == (len(X),)


def test_dask_columns_split_into_chunks_are_joined(client, data):
    X = data[0]
    expected = _fit(X, "spherical")
    got = _fit(da.from_array(X, chunks=(1000, 1)), "spherical")
    assert_allclose(got.means_, expected.means_, rtol=1e-8)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda X: X[:, 0], ValueError, r"2-D.*1-D Dask array.*reshape\(-1, 1\)"),
        (lambda X: X.astype(complex), ValueError, r"real-valued; got a complex Dask array"),
        (lambda X: da.where(X > 3.5, np.nan, X), ValueError, r"NaN or infinite values in rows"),
        (lambda X: X[X[:, 0] > 0], ValueError, r"unknown chunk sizes.*compute_chunk_sizes"),
        (lambda X: X[:1], ValueError, r"at least 2 samples"),
    ],
    ids=["1-D", "complex", "nan", "unknown chunks", "one row"],
)
def test_bad_dask_input_is_explained(client, data, make, error, message):
    dX = da.from_array(data[0], chunks=(1000, 3))
    with pytest.raises(error, match=message):
        GaussianMixture(2).fit(make(dX))


def test_dask_predict_checks_the_number_of_features(client, data):
    gm = _fit(data[0], "full")
    with pytest.raises(ValueError, match=r"X has 2 features, but GaussianMixture is expecting 3"):
        gm.predict(da.zeros((10, 2), chunks=5))
