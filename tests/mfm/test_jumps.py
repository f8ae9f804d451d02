"""The split and merge jumps of the posterior over K (allocations integrated out)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from mfm_exact import sample_and_compare

from bayesgmm import posterior_over_k
from bayesgmm.exceptions import SamplingWarning

TINY = np.array([[0.0], [0.4], [2.1], [2.5], [5.0]])
TINY_2D = np.array([[0.0, 1.0], [0.4, 0.2], [2.1, 2.9], [2.5, 2.2], [5.0, 0.5]])


def blobs(n_samples: int, n_features: int = 5, n_clusters: int = 6, seed: int = 0) -> np.ndarray:
    """Gaussians with diagonal covariances, centres N(0, 4^2), sds U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (n_clusters, n_features))
    labels = rng.integers(n_clusters, size=n_samples)
    scales = rng.uniform(0.5, 1.5, (n_clusters, n_features))
    return centres[labels] + scales[labels] * rng.standard_normal((n_samples, n_features))


@pytest.mark.parametrize(
    ("X", "priors", "covariance_type"),
    [
        (TINY, {"name": "telescope"}, "full"),
        (TINY, {"name": "richardson_green", "k_prior": ("poisson", 2.0), "gamma": 0.5}, "full"),
        (TINY_2D, {"name": "telescope"}, "diag"),
        (TINY_2D, {"name": "telescope"}, "spherical"),
    ],
    ids=["telescope", "poisson-gamma", "diag", "spherical"],
)
def test_jumps_alone_keep_the_exact_posterior(X, priors, covariance_type):
    # the restricted-Gibbs moves off: the Gibbs sweep and the jumps only; a wrong
    # Jacobian or prior term would shift p(K) by far more than the bound
    result = sample_and_compare(X, priors, covariance_type, split_merge=0, jumps=5)
    for kind in ("split_jumps", "merge_jumps"):
        accepted, proposed = result.settings[kind]
        assert proposed > 100_000
        assert accepted > 0.01 * proposed, (kind, accepted, proposed)
    assert result.settings["splits"] == (0, 0)
    accepted, proposed = result.settings["merge_jumps"]
    assert result.diagnostics["merge_jump_acceptance"] == accepted / proposed
    assert "telescoping sampler with jumps," in str(result)


def test_jumps_agree_with_the_split_merge_moves_for_full_covariances():
    # no enumeration covers full covariances in two dimensions: two valid samplers
    # (restricted-Gibbs moves only, jumps only) must agree within their errors
    rng = np.random.default_rng(5)
    X = np.r_[rng.normal([0, 0], 1, (5, 2)), rng.normal([4, 3], [1, 0.5], (4, 2))]
    X[:, 1] += 0.5 * X[:, 0]
    tables = []
    for split_merge, jumps in ((1, 0), (0, 5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            result = posterior_over_k(
                X, 8, priors={"name": "telescope"}, draws=4000, thin=10, random_state=11,
                progress=False, split_merge=split_merge, jumps=jumps,
            )  # fmt: skip
        tables.append(result.table)
    assert result.settings["merge_jumps"][0] > 1000
    for column in ("p_components", "p_clusters"):
        error = np.abs(tables[0][column] - tables[1][column])
        bound = 4 * np.hypot(tables[0][f"{column}_mcse"], tables[1][f"{column}_mcse"]) + 0.003
        assert np.all(error <= bound), (column, tables[0][column], tables[1][column])


def test_jumps_merge_an_over_split_start_on_large_data():
    # 10,000 rows of 6 clusters from ten k-means components: the restricted-Gibbs
    # merges are never accepted at this size, and the Gibbs sweep empties the
    # superfluous halves only slowly; the jumps merge them within the tuning sweeps
    X = blobs(10_000)
    runs = {}
    for jumps in (0, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            runs[jumps] = posterior_over_k(
                X, start=10, chains=2, draws=200, max_doublings=0, random_state=0,
                progress=False, jumps=jumps,
            )  # fmt: skip
    with_jumps, without = runs[2], runs[0]
    assert np.all(with_jumps.n_clusters == 6)
    assert with_jumps.settings["merge_jumps"][0] >= 4  # ten to six, at least
    assert with_jumps.settings["merges"][0] == 0
    assert np.any(without.n_clusters[:, 0] > 6)  # still over-split after the tuning sweeps
    assert without.settings["merge_jumps"] == (0, 0)


@pytest.mark.parametrize("jumps", [-1, 1.5, True])
def test_bad_jumps_are_named(jumps):
    with pytest.raises(ValueError, match="jumps must be an integer >= 0"):
        posterior_over_k(TINY, jumps=jumps, progress=False)


@pytest.mark.slow
def test_a_hundred_thousand_rows_pass_with_the_defaults():
    # half of the chains start from ten components: the jumps merge their extra
    # halves, and every check passes without doubling (3-4 minutes on 2 cores)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SamplingWarning
        result = posterior_over_k(blobs(100_000), random_state=0, progress=False)
    assert result.ok, result.problems
    assert result.mode_clusters == 6
    assert result.settings["doublings"] == 0
    assert result.settings["start"] == [1, 10, 1, 10]
