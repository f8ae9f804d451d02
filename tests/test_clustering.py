"""Tests of bayesgmm.uses.clustering: memberships, co-clustering, losses, summary partitions."""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import adjusted_rand_score, mutual_info_score, rand_score

from bayesgmm import BayesianGaussianMixture, GaussianMixture, NotFittedError, load_faithful
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.testing import make_gmm_data
from bayesgmm.uses.clustering import (
    ClusteringResult,
    SummaryPartition,
    adjusted_rand_index,
    binder_loss,
    cluster_uncertainty,
    coclustering_matrix,
    expected_loss,
    sample_partitions,
    summary_partition,
    variation_of_information,
)


def true_labels(X, weights, means, covariances):
    """Most probable true component of every point (the oracle partition)."""
    log_dens = [
        np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
        for w, m, c in zip(weights, means, covariances, strict=True)
    ]
    return np.argmax(log_dens, axis=0)


@pytest.fixture(scope="module")
def separated():
    """Three well-separated 2-D clusters, their true labels and an EM fit."""
    X, weights, means, covariances = make_gmm_data("full", 300, seed=0)
    gm = GaussianMixture(3, random_state=0).fit(X)
    return X, true_labels(X, weights, means, covariances), gm


@pytest.fixture(scope="module")
def overlapping():
    """Three strongly overlapping clusters (separation 1): the MAP partition is poor."""
    X, *_ = make_gmm_data("full", 200, seed=1, separation=1.0)
    gm = GaussianMixture(3, random_state=0, n_init=3).fit(X)
    return X, gm


@pytest.fixture(scope="module")
def two_groups():
    """1-D groups at 0 and 6 (sd 1), mirror images of each other, and their midpoint 3."""
    z = np.random.default_rng(7).normal(0, 1, (200, 1))
    X = np.r_[z, 6 - z, [[3.0]]]
    return X, GaussianMixture(2, random_state=0).fit(X)


@pytest.fixture(scope="module")
def faithful():
    return load_faithful()


@pytest.fixture(scope="module")
def bayes_faithful(faithful):
    model = BayesianGaussianMixture(
        2,
        covariance_type="full",
        draws=300,
        tune=300,
        chains=2,
        random_state=0,
        progressbar=False,
        max_doublings=0,  # exactly 2 x 300 draws
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.fit(faithful)


# ---------------------------------------------------------------------- cluster_uncertainty
def test_cluster_uncertainty_em_columns_and_nan_bounds(two_groups):
    X, gm = two_groups
    result = cluster_uncertainty(gm, X)
    assert isinstance(result, ClusteringResult)
    assert list(result.table.columns) == [
        "label",
        "probability",
        "lower",
        "upper",
        "entropy",
        "ambiguous",
    ]
    assert result.n_draws == 0
    assert result.table[["lower", "upper"]].isna().all().all()
    np.testing.assert_allclose(result.proba, gm.predict_proba(X))
    np.testing.assert_array_equal(result.labels, gm.predict(X))
    np.testing.assert_allclose(result.table["probability"], gm.predict_proba(X).max(axis=1))


def test_midpoint_is_ambiguous_far_points_are_not(two_groups):
    X, gm = two_groups
    table = cluster_uncertainty(gm, X).table
    assert table["ambiguous"].iloc[-1]  # the point at 3.0
    assert table["entropy"].iloc[-1] == table["entropy"].max()
    assert not table["ambiguous"][np.abs(X[:, 0] - 3.0) > 1.5].any()
    assert table["ambiguous"].sum() < 10


def test_threshold_flags_nested_sets(two_groups):
    X, gm = two_groups
    flags = [
        cluster_uncertainty(gm, X, ambiguous_threshold=t).table["ambiguous"].to_numpy()
        for t in (0.5, 0.8, 0.99, 1.0)
    ]
    assert flags[0].sum() == 0  # with two components the top probability is >= 0.5
    for smaller, larger in itertools.pairwise(flags):
        assert np.all(larger[smaller])
    assert 1 == flags[1].sum() <= flags[2].sum() < flags[3].sum()


def test_dataframe_index_is_kept(two_groups):
    X, _ = two_groups
    frame = pd.DataFrame(X, columns=["x"], index=[f"p{i}" for i in range(len(X))])
    gm = GaussianMixture(2, random_state=0).fit(frame)
    table = cluster_uncertainty(gm, frame).table
    assert list(table.index[:2]) == ["p0", "p1"]


def test_cluster_uncertainty_bayes_intervals(bayes_faithful, faithful):
    result = cluster_uncertainty(bayes_faithful, faithful)
    table = result.table
    assert result.n_draws == 600
    assert result.lower.shape == result.upper.shape == (272, 2)
    assert np.all((table["lower"] >= 0) & (table["upper"] <= 1))
    assert np.all(table["lower"] <= table["upper"])
    # equal-tailed bounds: quantiles of the membership of the label over the draws
    draws = bayes_faithful.memberships(faithful).values.reshape(600, 272, 2)
    of_label = draws[:, np.arange(272), table["label"].to_numpy()]
    np.testing.assert_allclose(table["lower"], np.quantile(of_label, 0.03, axis=0))
    np.testing.assert_allclose(table["upper"], np.quantile(of_label, 0.97, axis=0))
    # memberships near 1 are skewed over draws: the mean may fall below the 3% quantile
    inside = (table["lower"] <= table["probability"]) & (table["probability"] <= table["upper"])
    assert inside.mean() > 0.8
    np.testing.assert_allclose(result.proba, bayes_faithful.predict_proba(faithful))
    narrow = cluster_uncertainty(bayes_faithful, faithful, ci_prob=0.5).table
    assert np.all(narrow["upper"] - narrow["lower"] <= table["upper"] - table["lower"] + 1e-12)


def test_bayes_ambiguous_points_lie_between_the_clusters(bayes_faithful, faithful):
    table = cluster_uncertainty(bayes_faithful, faithful, ambiguous_threshold=0.95).table
    means = bayes_faithful.em_.means_
    direction = means[1] - means[0]
    # position along the segment between the component means: 0 at one mean, 1 at the other
    position = (faithful.to_numpy() - means[0]) @ direction / (direction @ direction)
    ambiguous = table["ambiguous"].to_numpy()
    assert 1 <= ambiguous.sum() <= 10
    assert np.all((position[ambiguous] > 0.2) & (position[ambiguous] < 0.8))
    assert not ambiguous[(position < 0) | (position > 1)].any()


# ---------------------------------------------------------------------- co-clustering
def check_similarity_matrix(matrix, n):
    assert matrix.shape == (n, n)
    np.testing.assert_array_equal(matrix, matrix.T)
    np.testing.assert_array_equal(np.diag(matrix), 1.0)
    assert np.all((matrix >= 0) & (matrix <= 1))


def test_coclustering_em_is_plug_in(separated):
    X, truth, gm = separated
    matrix = coclustering_matrix(gm, X)
    check_similarity_matrix(matrix, len(X))
    proba = gm.predict_proba(X)
    off = ~np.eye(len(X), dtype=bool)
    np.testing.assert_allclose(matrix[off], (proba @ proba.T)[off], atol=1e-12)
    same = truth[:, None] == truth[None, :]
    assert np.all(matrix[same] > 0.99)
    assert np.all(matrix[~same] < 0.01)


def test_coclustering_bayes_equals_brute_force(bayes_faithful, faithful):
    subset = faithful.iloc[:12]
    matrix = coclustering_matrix(bayes_faithful, subset)
    check_similarity_matrix(matrix, 12)
    draws = bayes_faithful.memberships(subset).values.reshape(-1, 12, 2)
    expected = np.eye(12)
    for i in range(12):
        for j in range(12):
            if i != j:
                expected[i, j] = np.mean([draws[s, i] @ draws[s, j] for s in range(len(draws))])
    np.testing.assert_allclose(matrix, expected, atol=1e-12)


def test_coclustering_bayes_agrees_with_sampled_partitions(bayes_faithful, faithful):
    matrix = coclustering_matrix(bayes_faithful, faithful)
    check_similarity_matrix(matrix, 272)
    partitions = sample_partitions(bayes_faithful, faithful, random_state=1)
    empirical = np.mean([p[:, None] == p[None, :] for p in partitions], axis=0)
    assert np.max(np.abs(matrix - empirical)) < 0.1  # Monte Carlo error of 600 allocations


def test_coclustering_draw_subsets_are_reproducible(bayes_faithful, faithful):
    subset = faithful.iloc[230:260]
    a = coclustering_matrix(bayes_faithful, subset, n_draws=100, random_state=3)
    b = coclustering_matrix(bayes_faithful, subset, n_draws=100, random_state=3)
    c = coclustering_matrix(bayes_faithful, subset, n_draws=100, random_state=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match=r"n_draws must not exceed .* \(600\); got 601"):
        coclustering_matrix(bayes_faithful, subset, n_draws=601)


def test_coclustering_size_guard(two_groups):
    X, gm = two_groups
    with pytest.raises(ValueError, match=r"n_samples=401 exceeds max_samples=100"):
        coclustering_matrix(gm, X, max_samples=100)
    with pytest.raises(ValueError, match=r"n_samples=401 exceeds max_samples=100"):
        summary_partition(gm, X, loss="binder", max_samples=100)


# ---------------------------------------------------------------------- losses
def test_loss_values_on_small_partitions():
    assert variation_of_information([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(2.0)
    assert binder_loss([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(4 / 6)
    assert variation_of_information([3, 3, 7], [0, 0, 1]) == 0.0
    assert binder_loss([5], [2]) == 0.0


def test_losses_match_sklearn_oracles():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.integers(0, 4, size=40), rng.integers(0, 6, size=40)
        assert binder_loss(a, b) == pytest.approx(1 - rand_score(a, b))
        entropy_a = stats.entropy(np.bincount(a), base=2)
        entropy_b = stats.entropy(np.bincount(b), base=2)
        vi = entropy_a + entropy_b - 2 * mutual_info_score(a, b) / np.log(2)
        assert variation_of_information(a, b) == pytest.approx(vi)


def test_expected_binder_loss_two_ways_agree():
    rng = np.random.default_rng(1)
    partitions = rng.integers(0, 3, size=(50, 30))
    labels = rng.integers(0, 3, size=30)
    coclustering = np.mean([p[:, None] == p[None, :] for p in partitions], axis=0)
    from_partitions = expected_loss(labels, partitions, loss="binder")
    from_matrix = expected_loss(labels, loss="binder", coclustering=coclustering)
    assert from_partitions == pytest.approx(from_matrix, abs=1e-12)
    assert from_partitions == pytest.approx(np.mean([binder_loss(labels, p) for p in partitions]))


def test_expected_vi_is_mean_of_pairwise_vi():
    rng = np.random.default_rng(2)
    partitions = rng.integers(0, 4, size=(40, 25))
    labels = rng.integers(0, 2, size=25)
    expected = np.mean([variation_of_information(labels, p) for p in partitions])
    assert expected_loss(labels, partitions) == pytest.approx(expected)


def test_expected_binder_bayes_exact_matrix_close_to_sampled(bayes_faithful, faithful):
    matrix = coclustering_matrix(bayes_faithful, faithful)
    partitions = sample_partitions(bayes_faithful, faithful, random_state=2)
    labels = bayes_faithful.predict(faithful)
    exact = expected_loss(labels, loss="binder", coclustering=matrix)
    sampled = expected_loss(labels, partitions, loss="binder")
    assert exact == pytest.approx(sampled, abs=2e-3)


# ---------------------------------------------------------------------- summary partition
@pytest.mark.parametrize("loss", ["vi", "binder"])
def test_summary_partition_recovers_separated_truth(separated, loss):
    X, truth, gm = separated
    result = summary_partition(gm, X, loss=loss, n_draws=200)
    assert isinstance(result, SummaryPartition)
    assert adjusted_rand_score(truth, result.labels) == 1.0
    assert result.n_clusters == 3
    assert result.expected_loss <= result.map_expected_loss
    np.testing.assert_array_equal(result.labels, gm.predict(X))  # aligned with the MAP labels
    assert result.credible_ball.radius >= 0


@pytest.mark.parametrize("loss", ["vi", "binder"])
def test_sweeps_improve_on_the_map_partition(overlapping, loss):
    X, gm = overlapping
    partitions = sample_partitions(gm, X, n_draws=300, random_state=5)
    result = summary_partition(gm, X, loss=loss, n_draws=300, random_state=5)
    assert result.expected_loss < result.map_expected_loss - 1e-3
    assert result.source.endswith("sweeps")
    matrix = coclustering_matrix(gm, X)

    def value(labels):
        if loss == "vi":
            return expected_loss(labels, partitions)
        return expected_loss(labels, loss="binder", coclustering=matrix)

    assert value(result.labels) == pytest.approx(result.expected_loss, abs=1e-12)
    assert value(result.map_labels) == pytest.approx(result.map_expected_loss, abs=1e-12)
    # no single move of a point (to a cluster or a new singleton) lowers the loss
    new_label = result.labels.max() + 1
    for i in range(0, len(X), 10):
        for label in [*np.unique(result.labels), new_label]:
            moved = result.labels.copy()
            moved[i] = label
            assert value(moved) >= result.expected_loss - 1e-12


def test_vi_merges_and_binder_splits_uncertain_points(overlapping):
    X, gm = overlapping
    vi = summary_partition(gm, X, loss="vi", n_draws=300, random_state=5)
    binder = summary_partition(gm, X, loss="binder", n_draws=300, random_state=5)
    assert vi.n_clusters <= 3 < binder.n_clusters


def test_summary_partition_bayes_faithful(bayes_faithful, faithful):
    start = time.perf_counter()
    result = summary_partition(bayes_faithful, faithful, loss="vi")
    elapsed = time.perf_counter() - start
    assert elapsed < 20  # ~0.6 s on one idle core
    assert result.n_draws == 600
    assert result.n_clusters == 2
    assert result.expected_loss <= result.map_expected_loss
    assert adjusted_rand_score(result.labels, bayes_faithful.em_.predict(faithful)) > 0.95
    ball = result.credible_ball
    assert ball.ci_prob == 0.95
    assert np.all(ball.distances <= ball.radius + 1e-12)
    assert ball.radius <= np.log2(272)
    assert "credible ball" in str(result)


def test_summary_partition_is_reproducible(bayes_faithful, faithful):
    a = summary_partition(bayes_faithful, faithful, loss="binder", n_draws=200, random_state=9)
    b = summary_partition(bayes_faithful, faithful, loss="binder", n_draws=200, random_state=9)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.expected_loss == b.expected_loss
    np.testing.assert_array_equal(a.credible_ball.horizontal, b.credible_ball.horizontal)


def test_summary_partition_without_sweeps_or_ball(separated):
    X, _, gm = separated
    result = summary_partition(gm, X, n_draws=20, max_sweeps=0, ball_prob=None)
    assert result.credible_ball is None
    assert result.n_sweeps == 0
    assert result.source in {"map", "draw"}


def test_sample_partitions_shapes_and_seeds(two_groups):
    X, gm = two_groups
    a = sample_partitions(gm, X, n_draws=30, random_state=0)
    assert a.shape == (30, len(X))
    assert a.dtype == np.intp
    np.testing.assert_array_equal(a, sample_partitions(gm, X, n_draws=30, random_state=0))
    assert sample_partitions(gm, X, random_state=0).shape == (1000, len(X))
    far = np.abs(X[:, 0] - 3) > 2
    assert np.all(a[:, far] == gm.predict(X)[far])  # certain points never switch


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ci_prob": 1.5}, r"ci_prob must be a number in \(0, 1\); got 1.5"),
        ({"ci_prob": "wide"}, r"ci_prob must be a number in \(0, 1\); got 'wide'"),
        ({"ambiguous_threshold": 0}, r"ambiguous_threshold must be a number in \(0, 1\]; got 0"),
        ({"ambiguous_threshold": 1.2}, r"ambiguous_threshold .* got 1.2"),
    ],
)
def test_cluster_uncertainty_errors(two_groups, kwargs, message):
    X, gm = two_groups
    with pytest.raises(ValueError, match=message):
        cluster_uncertainty(gm, X, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "rand"}, r"loss must be one of \['vi', 'binder'\]; got 'rand'"),
        ({"n_draws": 0}, r"n_draws must be an integer >= 1 or None; got 0"),
        ({"max_sweeps": -1}, r"max_sweeps must be an integer >= 0; got -1"),
        ({"ball_prob": 1.0}, r"ball_prob must be a number in \(0, 1\); got 1.0"),
        ({"max_samples": 0, "loss": "binder"}, r"max_samples must be an integer >= 1; got 0"),
    ],
)
def test_summary_partition_errors(two_groups, kwargs, message):
    X, gm = two_groups
    with pytest.raises(ValueError, match=message):
        summary_partition(gm, X, **kwargs)


def test_model_errors(two_groups):
    X, _ = two_groups
    with pytest.raises(TypeError, match=r"model must be a fitted .*; got object"):
        cluster_uncertainty(object(), X)
    with pytest.raises(NotFittedError):
        coclustering_matrix(GaussianMixture(2), X)


def test_loss_input_errors():
    with pytest.raises(ValueError, match=r"same length; got 3 and 2"):
        binder_loss([0, 1, 1], [0, 1])
    with pytest.raises(TypeError, match=r"labels_a must contain integer .* float64"):
        variation_of_information([0.5, 1.0], [0, 1])
    with pytest.raises(
        ValueError, match=r"exactly one of partitions and coclustering; got neither"
    ):
        expected_loss([0, 1])
    with pytest.raises(ValueError, match=r"got both"):
        expected_loss([0, 1], [[0, 1]], loss="binder", coclustering=np.eye(2))
    with pytest.raises(ValueError, match=r"Binder loss; got loss='vi'"):
        expected_loss([0, 1], coclustering=np.eye(2))
    with pytest.raises(ValueError, match=r"shape \(n_partitions, 2\) .* got shape \(3,\)"):
        expected_loss([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match=r"coclustering must have shape \(2, 2\)"):
        expected_loss([0, 1], loss="binder", coclustering=np.eye(3))


def test_adjusted_rand_index_equals_scikit_learns():
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.integers(-1, 5, size=150)  # -1 (noise) is a label like any other
        b = np.where(rng.uniform(size=150) < 0.6, a, rng.integers(0, 6, size=150))
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    assert adjusted_rand_index([0, 0, 0], [1, 1, 1]) == adjusted_rand_score([0, 0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match="same length"):
        adjusted_rand_index([0, 1], [0, 1, 1])
