"""The posterior over K with many adjacent clusters: a ring of 14 Gaussians."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bayesgmm import posterior_over_k


def ring(n_samples: int = 1000, n_clusters: int = 14, seed: int = 0) -> np.ndarray:
    """Gaussians (sd 0.8) centred on a circle of radius 10: neighbours 5.6 sd apart."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_clusters) / n_clusters
    centres = 10.0 * np.c_[np.cos(angles), np.sin(angles)]
    labels = rng.integers(n_clusters, size=n_samples)
    return centres[labels] + 0.8 * rng.standard_normal((n_samples, 2))


def test_chains_reach_fourteen_clusters_from_one_by_splits():
    # chain 1 starts from one component (13 splits reach 14), chain 2 from ten k-means
    # components (at least 4 splits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2 x 300 draws: ESS may be short
        result = posterior_over_k(
            ring(), draws=300, chains=2, max_doublings=0, random_state=1, progress=False
        )
    assert result.mode_clusters == 14
    assert np.all(result.n_clusters[:, -100:] == 14)
    accepted_splits, proposed_splits = result.settings["splits"]
    split_jumps = result.settings["split_jumps"][0]
    assert accepted_splits + split_jumps >= 13 + 4  # by split-merge moves or split jumps
    assert result.diagnostics["split_acceptance"] == accepted_splits / proposed_splits
    assert "telescoping sampler with split-merge moves" in str(result)


def test_without_split_merge_the_chains_stay_below_fourteen():
    # the moves and the jumps off (chains from 10 k-means components): the Gibbs
    # sweep alone does not get there
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = posterior_over_k(
            ring(), draws=300, chains=2, max_doublings=0, random_state=1, progress=False,
            split_merge=0, jumps=0,
        )  # fmt: skip
    assert result.table.loc[14, "p_clusters"] < 0.5
    assert result.settings["splits"] == (0, 0)
    assert np.isnan(result.diagnostics["split_acceptance"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_ring_of_fourteen_converges_with_the_defaults(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SamplingWarning: every check passes
        result = posterior_over_k(ring(seed=seed), random_state=seed, progress=False)
    assert result.ok, result.problems
    assert result.mode_clusters == 14
    assert result.table.loc[14, "p_clusters"] > 0.9
    r_hat = result.diagnostics["r_hat_clusters"]  # NaN: every draw of every chain is 14
    assert np.isnan(r_hat) or r_hat <= 1.01


def small_clusters_in_ten_dimensions(seed: int = 0) -> np.ndarray:
    """500 x 10: two clusters of 210 and 200 rows and two small ones of 40 and 50.

    Means are N(0, 1.5^2 I) apart and each covariance is ``A A' + I / 2`` with a random
    ``A`` (entries N(0, 1/10)): correlated clusters whose small members a split cut
    by the nearer of two points almost never separates.
    """
    rng = np.random.default_rng(seed)
    n_features, sizes = 10, (210, 200, 40, 50)
    means = 1.5 * rng.standard_normal((len(sizes), n_features))
    rows = []
    for mean, size in zip(means, sizes, strict=True):
        factor = rng.standard_normal((n_features, n_features)) / np.sqrt(n_features)
        covariance = factor @ factor.T + 0.5 * np.eye(n_features)
        noise = rng.standard_normal((size, n_features))
        rows.append(mean + noise @ np.linalg.cholesky(covariance).T)
    return rng.permutation(np.vstack(rows))


def test_chains_find_small_clusters_in_ten_dimensions():
    # the chain from one component must split its way to the two small clusters, the
    # chain from ten k-means components must merge down to four; with one restricted
    # Gibbs scan per launch state they were still at 3 for part of the run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = posterior_over_k(
            small_clusters_in_ten_dimensions(), draws=300, chains=2, max_doublings=0,
            random_state=1, progress=False,
        )  # fmt: skip
    assert result.settings["start"] == [1, 10]
    assert np.all(result.n_clusters == 4)
    assert result.mode_clusters == 4
