"""Model-based hierarchical initialisation (mclust's default start)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesgmm import GaussianMixture, load_faithful, load_iris
from bayesgmm.em.hierarchical_start import DEFAULT_SUBSET, hierarchical_partitions, quantile_classes
from bayesgmm.em.initialization import initial_responsibilities


def _same_partition(a, b) -> bool:
    table = pd.crosstab(a, b)
    return bool(((table > 0).sum(axis=0) == 1).all() and ((table > 0).sum(axis=1) == 1).all())


def test_separated_groups_are_recovered_for_every_k():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    truth = np.repeat(np.arange(4), 40)
    X = centres[truth] + rng.normal(size=(160, 2))
    partitions, rows = hierarchical_partitions(X, [1, 2, 4])
    assert np.array_equal(rows, np.arange(160))
    assert _same_partition(partitions[4], truth)
    assert set(partitions[1]) == {0}
    # the tree is nested: the 2-cluster partition merges whole groups of the 4-cluster one
    assert (pd.crosstab(partitions[4], partitions[2]) > 0).sum(axis=1).max() == 1


def test_scaling_a_feature_does_not_change_the_partitions():
    """The data are standardised first (mclust's SVD transformation)."""
    X = load_iris().iloc[:, :4].to_numpy()
    ks = [2, 3, 5]
    plain, _ = hierarchical_partitions(X, ks)
    scaled, _ = hierarchical_partitions(X * [1.0, 1000.0, 0.01, 7.0] + 3.0, ks)
    for k in ks:
        assert _same_partition(plain[k], scaled[k])


def test_identical_rows_stay_together():
    X = load_faithful().to_numpy()
    partitions, _ = hierarchical_partitions(X, [9])
    labels = partitions[9]
    _, groups = np.unique(X, axis=0, return_inverse=True)
    for g in np.unique(groups.ravel()):
        assert len(set(labels[groups.ravel() == g])) == 1


def test_large_data_cluster_a_subset():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(size=(1500, 3)), rng.normal(8.0, 1.0, size=(1500, 3))]
    partitions, rows = hierarchical_partitions(X, [2])
    assert len(rows) == DEFAULT_SUBSET
    assert _same_partition(partitions[2], (X[rows, 0] > 4).astype(int))
    resp = initial_responsibilities("hierarchical", X, 2, rng)
    assert resp.sum() == DEFAULT_SUBSET  # the other rows start with no responsibility
    assert set(resp.sum(axis=0)) == {0.0, 1.0}


def test_quantile_classes_in_one_dimension():
    x = np.r_[np.arange(10.0), np.arange(10.0)]
    assert quantile_classes(x, 2).tolist() == quantile_classes(np.sort(x), 2)[np.argsort(
        np.argsort(x, kind="stable"), kind="stable")].tolist()  # fmt: skip
    assert np.bincount(quantile_classes(np.arange(100.0), 4)).tolist() == [25, 25, 25, 25]


@pytest.mark.parametrize("covariance_type", ["full", "VEV", "EEI"])
def test_gaussian_mixture_starts_from_the_tree(covariance_type):
    X = load_faithful().to_numpy()
    a = GaussianMixture(3, covariance_type=covariance_type, init_params="hierarchical").fit(X)
    b = GaussianMixture(3, covariance_type=covariance_type, init_params="hierarchical")
    b.fit(X)
    assert a.converged_
    np.testing.assert_array_equal(a.means_, b.means_)  # deterministic: no random_state needed
