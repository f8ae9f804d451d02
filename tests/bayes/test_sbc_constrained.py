"""Simulation-based calibration (Talts et al. 2018) of mclust's constrained models. Slow.

A model with a shared shape (VEI: ``Sigma_k = lambda_k A``), one with a shared shape
and orientation (VEE: ``Sigma_k = lambda_k C``) and one with a shared orientation
(EVE: ``Sigma_k = lambda D A_k D'``, the orientation a Cayley rotation), 2 features,
2 components. The
parameters and the data are drawn from the specification's own prior
(:func:`bayesgmm.bayes.build_model` with a fixed standardisation, so the prior does
not see the data), the posterior is sampled by the compiled kernels from an EM start,
and the rank of each true value among the posterior draws must be uniform.
"""

import warnings

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from bayesgmm import GaussianMixture
from bayesgmm.bayes import build_model
from bayesgmm.bayes.fit import em_start, sample_model

N_SIMS, N_OBS, N_BINS, N_FEATURES = 100, 60, 10, 2
STATISTICS = ["lower mean", "upper mean", "lower weight", "lower log volume", "shape"]


def _full(covariances: np.ndarray, n_components: int) -> np.ndarray:
    """``(K, D, D)`` matrices from a model's ``covariances`` (any shape it stores)."""
    covariances = np.asarray(covariances)
    if covariances.ndim == 3:
        return covariances
    if covariances.ndim == 2 and covariances.shape[0] == n_components:
        return np.stack([np.diag(row) for row in covariances])
    raise AssertionError(f"unexpected covariances shape {covariances.shape}")


def _statistics(weights, means, covariances) -> np.ndarray:
    """Label-invariant statistics of draws (leading axis of every argument: the draws).

    The components are told apart by the first coordinate of their means: the lower
    and upper first coordinate, the lower component's weight, its log volume
    ``log det(Sigma) / D`` and its shape ``log(Sigma_00 / Sigma_11)``.
    """
    full = np.stack([_full(c, weights.shape[1]) for c in covariances])
    rows = np.arange(len(weights))
    lower = np.argmin(means[:, :, 0], axis=1)
    sigma = full[rows, lower]
    return np.stack(
        [
            means[:, :, 0].min(axis=1),
            means[:, :, 0].max(axis=1),
            weights[rows, lower],
            np.linalg.slogdet(sigma)[1] / N_FEATURES,
            np.log(sigma[:, 0, 0] / sigma[:, 1, 1]),
        ],
        axis=1,
    )


def _ranks(covariance_type: str, seed: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    standardize = (np.zeros(N_FEATURES), np.ones(N_FEATURES))
    placeholder = rng.normal(size=(N_OBS, N_FEATURES))
    prior_model = build_model(placeholder, 2, covariance_type, standardize=standardize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the observed variable's random draws run in Python
        truths = pm.draw(
            [prior_model[name] for name in ("weights", "means", "covariances", "obs")],
            draws=N_SIMS,
            random_seed=seed,
        )
    ranks, n_draws = [], 0
    for sim in range(N_SIMS):
        weights, means, covariances, X = (value[sim] for value in truths)
        model = build_model(X, 2, covariance_type, standardize=standardize)
        gm = GaussianMixture(
            2, covariance_type=covariance_type, n_init=3, reg_covar=1e-4,
            random_state=int(rng.integers(1e9)),
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(X)
        start = em_start(covariance_type, gm.weights_, gm.means_, gm.covariances_, *standardize)
        idata = sample_model(
            model, start, cache_key=("sbc", covariance_type, N_OBS), data={"X": X},
            draws=400, tune=400, chains=2, target_accept=0.9, sampler="nutpie",
            seed=int(rng.integers(1e9)), progressbar=False,
        )  # fmt: skip
        post = idata["posterior"]
        draws = _statistics(
            post["weights"].values[:, ::4].reshape(-1, 2),
            post["means"].values[:, ::4].reshape(-1, 2, N_FEATURES),
            post["covariances"].values[:, ::4].reshape(-1, *covariances.shape),
        )
        truth = _statistics(weights[None], means[None], covariances[None])[0]
        ranks.append((draws < truth).sum(axis=0))
        n_draws = len(draws)
    return np.array(ranks), n_draws


@pytest.mark.slow
@pytest.mark.parametrize("covariance_type", ["VEI", "VEE", "EVE"])
def test_sbc_rank_histograms_are_uniform(covariance_type):
    ranks, n_draws = _ranks(covariance_type, seed=2026)
    p_values = []
    for j, name in enumerate(STATISTICS):
        counts = np.bincount(ranks[:, j] * N_BINS // (n_draws + 1), minlength=N_BINS)
        p = stats.chisquare(counts).pvalue
        p_values.append(p)
        print(f"SBC {covariance_type} {name}: counts {counts.tolist()}, chi-square p = {p:.3f}")
    # each statistic uniform at the 0.1% level (5 tests per model)
    assert min(p_values) > 0.001, dict(zip(STATISTICS, p_values, strict=True))
