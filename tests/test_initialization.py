"""Tests of bayesgmm.em.initialization: k-means++, weighted k-means, initial responsibilities."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bayesgmm.em.initialization import (
    INIT_METHODS,
    initial_responsibilities,
    kmeans,
    kmeans_plusplus,
)
from bayesgmm.testing import make_gmm_data


def separated_blobs(seed=0, n_per_cluster=60, n_clusters=4):
    """Tight clusters far apart (std 0.3, centres 20 apart) and their true labels."""
    rng = np.random.default_rng(seed)
    centres = 20.0 * rng.permutation(np.arange(n_clusters))[:, None] * np.array([[1.0, -0.5]])
    labels = np.repeat(np.arange(n_clusters), n_per_cluster)
    X = centres[labels] + 0.3 * rng.normal(size=(len(labels), 2))
    order = rng.permutation(len(labels))
    return X[order], labels[order], centres


def same_partition(a, b):
    """True when the two labelings define the same clusters (up to renaming)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_method_names():
    assert INIT_METHODS == ("kmeans", "k-means++", "random", "random_from_data", "hierarchical")


# ----------------------------------------------------------------------------- k-means
@pytest.mark.parametrize("seed", range(5))
def test_kmeans_recovers_separated_clusters_exactly(seed):
    X, truth, centres = separated_blobs(seed)
    labels, found = kmeans(X, 4, np.random.default_rng(seed))
    assert labels.shape == (len(X),)
    assert same_partition(labels, truth)
    order = np.argsort(found[:, 0])
    assert_allclose(found[order], centres[np.argsort(centres[:, 0])], atol=0.2)
    # centres are the means of their clusters
    for k in range(4):
        assert_allclose(found[k], X[labels == k].mean(axis=0), rtol=1e-12)


def test_kmeans_is_deterministic_given_the_generator():
    X = make_gmm_data("full", 300, seed=0, separation=2.0)[0]
    a = kmeans(X, 3, np.random.default_rng(7))
    b = kmeans(X, 3, np.random.default_rng(7))
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[1], b[1])


def test_weighted_kmeans_equals_kmeans_on_repeated_rows():
    X, _, _ = separated_blobs(1, n_per_cluster=30, n_clusters=3)
    weight = np.random.default_rng(1).integers(1, 4, size=len(X))
    _, weighted = kmeans(X, 3, np.random.default_rng(0), sample_weight=weight.astype(float))
    _, repeated = kmeans(np.repeat(X, weight, axis=0), 3, np.random.default_rng(0))
    assert_allclose(
        weighted[np.argsort(weighted[:, 0])], repeated[np.argsort(repeated[:, 0])], rtol=1e-10
    )
    # and both are the weighted cluster means, not the unweighted ones
    unweighted = kmeans(X, 3, np.random.default_rng(0))[1]
    assert not np.allclose(np.sort(weighted[:, 1]), np.sort(unweighted[:, 1]), rtol=0, atol=1e-6)


def test_kmeans_ignores_zero_weight_rows():
    X, _, _ = separated_blobs(2, n_per_cluster=30, n_clusters=3)
    X_all = np.vstack([X, [[1e4, 1e4]]])
    weight = np.r_[np.ones(len(X)), 0.0]
    _, with_outlier = kmeans(X_all, 3, np.random.default_rng(0), sample_weight=weight)
    _, without = kmeans(X, 3, np.random.default_rng(0))
    assert_allclose(
        with_outlier[np.argsort(with_outlier[:, 0])],
        without[np.argsort(without[:, 0])],
        rtol=1e-10,
    )


def test_kmeans_more_clusters_than_distinct_points_keeps_no_empty_cluster():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]]), 10, axis=0)
    labels, centres = kmeans(X, 3, np.random.default_rng(0))
    assert np.all(np.isfinite(centres))
    assert labels.shape == (20,)


# ----------------------------------------------------------------------------- k-means++
@pytest.mark.parametrize("seed", range(5))
def test_kmeans_plusplus_picks_distinct_rows(seed):
    X = make_gmm_data("full", 200, seed=seed, separation=3.0)[0]
    centres, indices = kmeans_plusplus(X, 6, np.random.default_rng(seed))
    assert centres.shape == (6, 2)
    assert len(set(indices.tolist())) == 6
    assert_array_equal(centres, X[indices])


def test_kmeans_plusplus_seeds_one_centre_per_separated_cluster():
    X, truth, _ = separated_blobs(3)
    for seed in range(5):
        _, indices = kmeans_plusplus(X, 4, np.random.default_rng(seed))
        assert sorted(truth[indices].tolist()) == [0, 1, 2, 3]


def test_kmeans_plusplus_never_picks_zero_weight_rows():
    X = make_gmm_data("full", 100, seed=0)[0]
    weight = np.zeros(len(X))
    weight[::10] = 1.0
    for seed in range(10):
        _, indices = kmeans_plusplus(X, 5, np.random.default_rng(seed), sample_weight=weight)
        assert np.all(weight[indices] > 0)


def test_kmeans_plusplus_with_duplicated_points():
    X = np.repeat(np.array([[0.0], [1.0]]), 5, axis=0)
    centres, indices = kmeans_plusplus(X, 3, np.random.default_rng(0))
    assert centres.shape == (3, 1)
    assert set(centres.ravel().tolist()) == {0.0, 1.0}
    assert_array_equal(centres, X[indices])


# ----------------------------------------------------------------------------- responsibilities
@pytest.mark.parametrize("method", INIT_METHODS)
def test_initial_responsibilities_shapes_and_sums(method):
    X = make_gmm_data("full", 120, seed=0)[0]
    resp = initial_responsibilities(method, X, 3, np.random.default_rng(0))
    assert resp.shape == (3, 120)
    assert np.all(resp >= 0)
    assert np.all(resp <= 1)
    column_sums = resp.sum(axis=0)
    if method in ("kmeans", "random", "hierarchical"):
        assert_allclose(column_sums, 1.0, rtol=1e-12)  # every sample is assigned
    else:
        # one-hot on the chosen seeds only (as in scikit-learn): 3 distinct samples
        assert sorted(np.unique(column_sums).tolist()) == [0.0, 1.0]
        assert column_sums.sum() == 3
        assert_array_equal(resp.sum(axis=1), 1.0)
    assert np.all(resp.sum(axis=1) > 0)  # no empty component


def test_kmeans_responsibilities_are_one_hot_kmeans_labels():
    X, truth, _ = separated_blobs(4, n_clusters=3)
    resp = initial_responsibilities("kmeans", X, 3, np.random.default_rng(0))
    assert set(np.unique(resp).tolist()) == {0.0, 1.0}
    assert same_partition(resp.argmax(axis=0), truth)


@pytest.mark.parametrize("method", INIT_METHODS)
def test_initial_responsibilities_are_reproducible(method):
    X = make_gmm_data("full", 120, seed=0)[0]
    a = initial_responsibilities(method, X, 3, np.random.default_rng(3))
    b = initial_responsibilities(method, X, 3, np.random.default_rng(3))
    c = initial_responsibilities(method, X, 3, np.random.default_rng(4))
    assert_array_equal(a, b)
    if method == "hierarchical":  # deterministic: the generator is not used
        assert_array_equal(a, c)
    elif method != "kmeans":  # k-means may well converge to the same partition
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("method", ["k-means++", "random_from_data"])
def test_seeds_come_from_positive_weight_rows(method):
    X = make_gmm_data("full", 100, seed=0)[0]
    weight = np.zeros(len(X))
    weight[:7] = 2.0
    for seed in range(5):
        resp = initial_responsibilities(method, X, 3, np.random.default_rng(seed), weight)
        assert np.all(resp[:, 7:] == 0)


def test_random_from_data_needs_enough_positive_weights():
    X = make_gmm_data("full", 10, seed=0)[0]
    weight = np.r_[1.0, 1.0, np.zeros(8)]
    with pytest.raises(ValueError, match="n_components=3 rows with positive sample_weight; got 2"):
        initial_responsibilities("random_from_data", X, 3, np.random.default_rng(0), weight)


def test_unknown_method_is_rejected():
    X = make_gmm_data("full", 10, seed=0)[0]
    with pytest.raises(ValueError, match=r"init_params must be one of .*; got 'bogus'"):
        initial_responsibilities("bogus", X, 2, np.random.default_rng(0))


def test_restarts_on_many_rows_run_on_a_subsample_and_the_best_continues(monkeypatch):
    from bayesgmm import GaussianMixture
    from bayesgmm.em import engine

    monkeypatch.setattr(engine, "RESTART_SAMPLE_ROWS", 500)
    calls = []
    run = engine.EMEngine.run

    def spy(self, inputs, rng, *, n_init, inits=(None, None, None), warm=None):
        calls.append((inputs.data.n_samples, n_init, warm is not None))
        return run(self, inputs, rng, n_init=n_init, inits=inits, warm=warm)

    monkeypatch.setattr(engine.EMEngine, "run", spy)
    X = make_gmm_data("full", 3000, seed=2)[0]
    gm = GaussianMixture(3, n_init=5, tol=1e-8, random_state=0).fit(X)
    # the restarts on 500 rows, then one run on all 3,000 from their best
    assert calls == [(3000, 5, False), (500, 5, False)]
    assert gm.converged_
    # it ends at a maximum of the full data: EM started there stays there
    again = GaussianMixture(
        3, weights_init=gm.weights_, means_init=gm.means_, precisions_init=gm.precisions_,
        tol=1e-8,
    ).fit(X)  # fmt: skip
    assert again.lower_bound_ == pytest.approx(gm.lower_bound_, rel=1e-9)
    # one restart, or few rows: no subsample
    calls.clear()
    GaussianMixture(3, n_init=1, random_state=0).fit(X)
    GaussianMixture(3, n_init=5, random_state=0).fit(X[:500])
    assert calls == [(3000, 1, False), (500, 5, False)]
