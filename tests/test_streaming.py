"""Chunked (streamed) EM passes and online EM (``partial_fit``)."""

from __future__ import annotations

import contextlib
import tempfile
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import bayesgmm.em.engine as engine_module
import bayesgmm.em.passes as passes_module
from bayesgmm import ConvergenceWarning, GaussianMixture

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
TRUE_MEANS = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 5.0]])
TRUE_WEIGHTS = np.array([0.5, 0.3, 0.2])


def draw(rng: np.random.Generator, n: int) -> np.ndarray:
    labels = rng.choice(3, size=n, p=TRUE_WEIGHTS)
    return TRUE_MEANS[labels] + rng.normal(size=(n, 2)) * np.array([1.0, 0.5])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return draw(rng, 5000), rng.uniform(0.5, 2.0, size=5000)


def _fit(X, covariance_type, weight=None, **params):
    settings = {"covariance_type": covariance_type, "random_state": 0, "tol": 1e-10}
    settings |= {"max_iter": 60}
    gm = GaussianMixture(3, **settings, **params)
    with _no_warning_filter():
        return gm.fit(X, sample_weight=weight)


@contextlib.contextmanager
def _no_warning_filter():
    """Let ConvergenceWarning pass: runs stop at max_iter on purpose (tol=1e-10)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ----------------------------------------------------------------------------- chunked
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("chunk_size", [1, 97, 1000, 10_000])
def test_chunked_fit_equals_stored_fit(data, covariance_type, chunk_size):
    X, weight = data
    X = X[:1200] if chunk_size == 1 else X
    weight = weight[: len(X)]
    stored = _fit(X, covariance_type, weight)
    chunked = _fit(X, covariance_type, weight, chunk_size=chunk_size)
    assert chunked.n_iter_ == stored.n_iter_
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert_allclose(getattr(chunked, name), getattr(stored, name), rtol=1e-10, atol=1e-12)
    assert_allclose(chunked.lower_bounds_, stored.lower_bounds_, rtol=1e-12)
    np.testing.assert_array_equal(chunked.predict(X), stored.predict(X))
    assert_allclose(chunked.predict_proba(X), stored.predict_proba(X), atol=1e-12)
    assert_allclose(chunked.score_samples(X), stored.score_samples(X), rtol=1e-12)


def test_chunked_fit_reads_a_memmap_without_copying_it(data, tmp_path):
    X = data[0]
    path = tmp_path / "X.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    stored = _fit(X, "full")
    streamed = _fit(mapped, "full", chunk_size=512)
    assert_allclose(streamed.means_, stored.means_, rtol=1e-10)


def _peak_fit_bytes(X, **params) -> int:
    gm = GaussianMixture(8, covariance_type="diag", random_state=0, max_iter=3, **params)
    tracemalloc.start()
    with _no_warning_filter():
        gm.fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_chunked_memory_does_not_grow_with_n(monkeypatch):
    """Peak memory beyond X: O(chunk x (K + D)) when chunked, O(N x D) when stored.

    The labels computed at the end of ``fit`` (8 bytes a row) are the only
    per-row allocation left; the stored form adds a centred copy (2D + 1 rows of
    8 bytes for diag). Initialisation runs on a fixed-size subsample (lowered here
    so that the test stays small).
    """
    monkeypatch.setattr(engine_module, "INIT_SAMPLE_ROWS", 2000)
    rng = np.random.default_rng(1)
    small = rng.normal(size=(20_000, 10))
    large = rng.normal(size=(80_000, 10))
    chunked_small = _peak_fit_bytes(small, chunk_size=1000)
    chunked_large = _peak_fit_bytes(large, chunk_size=1000)
    stored_large = _peak_fit_bytes(large)
    per_row_chunked = (chunked_large - chunked_small) / 60_000
    assert per_row_chunked < 16  # labels and the log-normaliser: not N x K or N x D
    assert stored_large > chunked_large + 60_000 * 8 * 10  # the stored copy


def test_chunk_size_is_validated():
    with pytest.raises(ValueError, match=r"chunk_size must be None or an integer >= 1; got 0"):
        GaussianMixture(chunk_size=0).fit(np.zeros((5, 1)) + np.arange(5)[:, None])


def test_large_data_stream_automatically(monkeypatch):
    """Without chunk_size, data whose centred copy would be too large are streamed."""
    X = np.random.default_rng(2).normal(size=(60_000, 10))
    stored = _peak_fit_bytes(X)
    monkeypatch.setattr(passes_module, "MAX_COPY_BYTES", 1000)
    streamed = _peak_fit_bytes(X)
    assert stored > streamed + 60_000 * 8 * 10  # no centred copy of X


# ----------------------------------------------------------------------------- online EM
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_partial_fit_converges_near_the_batch_solution(covariance_type):
    rng = np.random.default_rng(3)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    batches = [draw(rng, 500) for _ in range(150)]
    for batch in batches:
        gm.partial_fit(batch)
    X = np.concatenate(batches)
    batch_fit = GaussianMixture(3, covariance_type=covariance_type, random_state=0, tol=1e-8)
    batch_fit.fit(X)
    order = np.argsort(gm.means_ @ [10.0, 1.0])
    reference = np.argsort(batch_fit.means_ @ [10.0, 1.0])
    assert_allclose(gm.means_[order], batch_fit.means_[reference], atol=0.03)
    assert_allclose(gm.weights_[order], batch_fit.weights_[reference], atol=0.01)
    assert abs(gm.score(X) - batch_fit.score(X)) < 1e-3
    assert gm.n_iter_ == 150
    assert len(gm.lower_bounds_) == 150


def test_partial_fit_state_survives_save_and_load():
    rng = np.random.default_rng(4)
    gm = GaussianMixture(3, random_state=0).partial_fit(draw(rng, 400))
    batch = draw(rng, 400)
    with tempfile.TemporaryDirectory() as folder:
        gm.save(Path(folder) / "online.npz")
        loaded = GaussianMixture.load(Path(folder) / "online.npz")
    loaded.partial_fit(batch)
    gm.partial_fit(batch)
    np.testing.assert_array_equal(loaded.means_, gm.means_)
    np.testing.assert_array_equal(loaded.covariances_, gm.covariances_)


def test_partial_fit_first_batch_equals_one_em_step_from_the_initialisation():
    X = draw(np.random.default_rng(5), 600)
    online = GaussianMixture(3, random_state=0).partial_fit(X)
    batch = GaussianMixture(3, random_state=0, max_iter=1)
    with _no_warning_filter():
        batch.fit(X)
    assert_allclose(online.means_, batch.means_, rtol=1e-12)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"learning_decay": 0.5}, r"learning_decay must be in \(0\.5, 1\]"),
        ({"learning_decay": 1.5}, r"learning_decay must be in \(0\.5, 1\]"),
        ({"learning_offset": -1.0}, r"learning_offset must be a real number >= 0"),
    ],
)
def test_partial_fit_rejects_bad_settings(params, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, **params).partial_fit(draw(np.random.default_rng(0), 50))


def test_partial_fit_checks_later_batches_against_the_first():
    gm = GaussianMixture(2, random_state=0).partial_fit(draw(np.random.default_rng(0), 50))
    with pytest.raises(ValueError, match=r"X has 3 features, but GaussianMixture is expecting 2"):
        gm.partial_fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"at least 2 samples"):
        GaussianMixture(2).partial_fit(np.zeros((1, 2)))


def test_partial_fit_refuses_missing_values_even_when_marginalizing():
    batch = draw(np.random.default_rng(0), 50)
    GaussianMixture(2, missing="marginalize", random_state=0).partial_fit(batch)
    batch[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN in rows \[3\].*partial_fit does not handle"):
        GaussianMixture(2, missing="marginalize").partial_fit(batch)
    online = GaussianMixture(2, missing="marginalize", random_state=0).partial_fit(batch[4:])
    with pytest.raises(ValueError, match=r"NaN in rows \[3\].*partial_fit does not handle"):
        online.partial_fit(batch)
