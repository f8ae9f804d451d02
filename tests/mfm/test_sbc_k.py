"""Simulation-based calibration of posterior_over_k (Talts et al. 2018). Slow.

Data sets are simulated from the prior (K, weights, C0, component parameters,
allocations, observations); for each, the posterior's randomised probability integral
transform of the true value, ``u = p(K < K_true | y) + V p(K = K_true | y)`` with
``V ~ U(0, 1)``, is uniform on (0, 1) exactly when the posterior is right (the
randomisation makes the discrete K's transform continuous). The same for ``K+`` (the
number of components the simulated allocations filled), also for data rounded to a
grid and given to the sampler as rounded (``rounding``). Run with
``pytest -m slow tests/mfm/test_sbc_k.py -s`` to see the numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from bayesgmm import posterior_over_k
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.mfm import MFMPriors, ResolvedPriors

N_SIMS, N_OBS = 400, 30
#: rounding width of the "rounded" case
WIDTH = 0.25

CASES = {
    # Richardson & Green's priors with the data-dependent fields fixed (the prior must
    # not see the data): uniform K on 1..6, Dir(1), N(0, 1) means, Gamma(2, C0)
    # precisions, C0 ~ Gamma(0.2, 10)
    "rg-1d": (1, {"name": "richardson_green", "b0": [0.0], "B0": 1.0, "G0": 10.0}, 6),
    # the same, the data rounded to 0.25 (ties) and given as rounded: the latent values
    # are sampled within their rounding intervals
    "rg-1d-rounded": (1, {"name": "richardson_green", "b0": [0.0], "B0": 1.0, "G0": 10.0}, 6),
    # telescope: K - 1 ~ BNB(1, 4, 3) truncated at 8, Dir(alpha / K), alpha ~ F(6, 3)
    "telescope-1d": (1, {"name": "telescope", "b0": [0.0], "B0": 1.0, "G0": 20.0}, 8),
    # two features, full covariances with Wishart priors
    "telescope-2d": (
        2,
        {"name": "telescope", "b0": [0.0, 0.0], "B0": [1.0, 1.0], "G0": [[40.0, 5.0], [5.0, 30.0]]},
        6,
    ),
    # two features, diagonal and spherical components with their Gamma priors
    "telescope-2d-diag": (2, {"name": "telescope", "b0": [0.0, 0.0], "B0": [1.0, 1.0],
                              "G0": [8.0, 6.0]}, 6),
    "telescope-2d-spherical": (2, {"name": "telescope", "b0": [0.0, 0.0], "B0": [1.0, 1.0],
                                   "G0": 8.0}, 6),
}  # fmt: skip


def _wishart(rng: np.random.Generator, shape: float, rate: np.ndarray) -> np.ndarray:
    """W(shape, rate) of Frühwirth-Schnatter: df 2 shape, scale (2 rate)^-1."""
    return stats.wishart.rvs(df=2 * shape, scale=np.linalg.inv(2 * rate), random_state=rng)


def _precision(rng: np.random.Generator, structure: str, shape: float, rate: np.ndarray):
    """A Wishart, one Gamma per coordinate (diag) or one shared Gamma (spherical)."""
    if structure == "full":
        return np.atleast_2d(_wishart(rng, shape, rate))
    if structure == "diag":
        return np.diag(rng.gamma(shape, 1 / np.diag(rate)))
    return rng.gamma(shape, 1 / rate[0, 0]) * np.eye(len(rate))


def _simulate(priors: ResolvedPriors, rng: np.random.Generator):
    d = len(priors.b0)
    K = int(rng.choice(priors.k_max, p=np.exp(priors.log_prior_k))) + 1
    if priors.dynamic:
        alpha = priors.alpha if priors.alpha is not None else rng.f(*priors.alpha_prior)
        gamma = alpha / K
    else:
        gamma = priors.gamma
    weights = rng.dirichlet(np.full(K, gamma)) if K > 1 else np.ones(1)
    C0 = _precision(rng, priors.covariance_type, priors.g0, priors.G0)
    labels = rng.choice(K, size=N_OBS, p=weights / weights.sum())
    X = np.empty((N_OBS, d))
    for k in range(K):
        precision = _precision(rng, priors.covariance_type, priors.c0, C0)
        mean = rng.multivariate_normal(priors.b0, priors.B0)
        rows = labels == k
        cov = np.linalg.inv(precision)
        X[rows] = rng.multivariate_normal(mean, cov, size=int(rows.sum()))
    return X, K, len(np.unique(labels))


def _pit(probabilities: np.ndarray, true_value: int, rng: np.random.Generator) -> float:
    below = probabilities[: true_value - 1].sum()
    return float(below + rng.uniform() * probabilities[true_value - 1])


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_posterior_over_k_is_calibrated(case):
    d, spec, k_max = CASES[case]
    structure = case.rsplit("-", 1)[-1] if case.endswith(("diag", "spherical")) else "full"
    rng = np.random.default_rng(20261206)
    priors = MFMPriors.from_spec(spec, d)
    u_components, u_clusters = [], []
    for _ in range(N_SIMS):
        resolved = priors.resolve(np.eye(d + 1)[:, :d], k_max, structure)
        X, K, K_plus = _simulate(resolved, rng)
        rounding = None
        if case.endswith("rounded"):
            X, rounding = WIDTH * np.round(X / WIDTH), WIDTH
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            result = posterior_over_k(
                X, k_max, priors=priors, draws=400, thin=10, tune=500, chains=2,
                max_doublings=1, rounding=rounding, random_state=int(rng.integers(2**31)),
                progress=False, covariance_type=structure,
            )  # fmt: skip
        table = result.table
        u_components.append(_pit(table["p_components"].to_numpy(), K, rng))
        u_clusters.append(_pit(table["p_clusters"].to_numpy(), K_plus, rng))
    for name, u in (("K", u_components), ("K+", u_clusters)):
        counts = np.histogram(u, bins=10, range=(0, 1))[0]
        ks = stats.kstest(u, "uniform")
        chi2 = stats.chisquare(counts)
        print(f"SBC {case} {name}: {N_SIMS} data sets, decile counts {counts.tolist()}, "
              f"KS p = {ks.pvalue:.3f}, chi-square p = {chi2.pvalue:.3f}")  # fmt: skip
        assert ks.pvalue > 0.001, (case, name, counts)
        assert chi2.pvalue > 0.001, (case, name, counts)
