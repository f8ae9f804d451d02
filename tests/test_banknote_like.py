"""A banknote-like case: the evidence table sees the grid's best model. Slow.

Swiss banknotes (200 x 6) made the library's layers disagree: the 14-model grid and
the posterior over K said 3 groups (VVE), while the evidence table, which compared
only scikit-learn's four structures, recommended K=4 tied. Here a simulated
analogue with a known answer: 200 x 6, three groups (50 %, 35 %, 15 %) with one
shared orientation and their own volumes and shapes (mclust's VVE), so that the four
structures need extra components or a full covariance per group.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bayesgmm import collect_evidence, select_model


def banknote_like(seed: int = 0, n_samples: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n_features, weights = 6, np.array([0.5, 0.35, 0.15])
    orientation, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    labels = rng.choice(3, size=n_samples, p=weights)
    means = 2.0 * rng.standard_normal((3, n_features))
    X = np.empty((n_samples, n_features))
    for k in range(3):
        log_shape = rng.normal(0.0, 1.0, n_features)
        log_shape -= log_shape.mean()
        volume = np.exp(rng.normal(0.0, 0.5))
        covariance = volume * (orientation * np.exp(log_shape)) @ orientation.T
        rows = labels == k
        noise = rng.standard_normal((rows.sum(), n_features))
        X[rows] = means[k] + noise @ np.linalg.cholesky(covariance).T
    return X


@pytest.mark.slow
def test_the_table_agrees_with_the_posterior_over_k_once_it_sees_the_grids_model():
    X = banknote_like()
    best = select_model(X, range(1, 8), "all").best_estimator_
    assert best.n_components == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = collect_evidence(X, range(1, 8), "all", random_state=0, progress=False)
    chosen = table.recommendation
    assert chosen["n_components"] == 3
    assert chosen["covariance_type"] in ("EVE", "VVE")  # a shared orientation
    assert "posterior over K" in chosen["source"]
    assert table.table.loc[chosen["name"], "p_k_clusters"] > 0.9  # p(K+ = 3 | y)
