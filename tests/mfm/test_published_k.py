"""The galaxy tables of the literature, reproduced by posterior_over_k.

Richardson & Green (1997, JRSS B 59, 731-792), Table 1, galaxy column: p(k | y) for
the 82 galaxy velocities / 1000 (Roeder's values: observation 78 is 26.960, where
R's MASS::galaxies has 26.690) under their default priors (uniform k on 1..30, delta
= 1, xi the midrange, kappa = 1/R^2, alpha = 2, beta ~ Gamma(0.2, 10/R^2)), from their
reversible jump sampler. The numbers below are those of the table as reprinted in the
vignette of the CRAN package sBIC (``post.MCMC = c(0.000, 0.000, 0.061, 0.128, 0.182,
0.199, 0.160, 0.109, 0.071, 0.040, 0.023, 0.013, 0.006, 0.003)``).

Two further runs of the same model by other samplers:

- Green's own Nmix program (reversible jump; 10,000 sweeps, no burn-in) on ``galx``
  with its defaults (the same priors), as logged in jwmi/BayesianMixtures.jl
  (examples/Nmix-source/galx/1.k, first block): p(k | y) for k = 1..17.
- The R package telescope's vignette "Bayesian Univariate Gaussian Mixtures with the
  Telescoping Sampler" (version 0.2-0): the same priors (uniform K on 1..30, static
  e0 = 1, c0 = 2, g0 = 0.2, G0 = 10/R^2, B0 = R^2, b0 midrange), one chain of 10,000
  draws; ``round(p_K[1:20], 2)`` and the K+ results. Its data have 24.368 (not
  24.366) as observation 74 as well.

Each is matched within 0.05 per k, as the issue asks; our Monte Carlo errors are
below 0.01 (the published runs' are not reported and are larger for the short runs).
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesgmm import load_galaxies, posterior_over_k

RICHARDSON_GREEN_TABLE_1 = [0.000, 0.000, 0.061, 0.128, 0.182, 0.199, 0.160, 0.109, 0.071,
                            0.040, 0.023, 0.013, 0.006, 0.003]  # fmt: skip
NMIX_GALX_10000 = [0.0001, 0.0005, 0.0392, 0.1243, 0.2076, 0.2210, 0.1683, 0.1090, 0.0536,
                   0.0354, 0.0196, 0.0096, 0.0058, 0.0034, 0.0013, 0.0008, 0.0005]  # fmt: skip
TELESCOPE_VIGNETTE_P_K = [0.00, 0.00, 0.05, 0.15, 0.21, 0.20, 0.16, 0.11, 0.06, 0.03, 0.02,
                          0.01, 0.00]  # fmt: skip


@pytest.fixture(scope="module")
def galaxies_rg():
    X = load_galaxies("richardson_green") / 1000
    return posterior_over_k(X, priors="richardson_green", random_state=0, progress=False)


def test_richardson_green_table_1(galaxies_rg):
    assert galaxies_rg.ok, galaxies_rg.problems
    table = galaxies_rg.table
    published = np.array(RICHARDSON_GREEN_TABLE_1)
    ours = table["p_components"].to_numpy()[: len(published)]
    np.testing.assert_allclose(ours, published, atol=0.05)
    assert abs(galaxies_rg.mode - 6) <= 1
    assert table["p_components_mcse"].max() < 0.01


def test_green_nmix_run(galaxies_rg):
    published = np.array(NMIX_GALX_10000)
    ours = galaxies_rg.table["p_components"].to_numpy()[: len(published)]
    np.testing.assert_allclose(ours, published, atol=0.05)


def test_telescope_vignette():
    X = load_galaxies("richardson_green") / 1000
    X.iloc[73, 0] = 24.368  # the vignette's data
    priors = {"name": "richardson_green", "k_prior": "uniform"}  # its "Unif" prior, e0 = 1
    result = posterior_over_k(X, priors=priors, random_state=1, progress=False)
    table = result.table
    published = np.array(TELESCOPE_VIGNETTE_P_K)
    np.testing.assert_allclose(
        table["p_components"].to_numpy()[: len(published)], published, atol=0.05
    )
    # mean(K) = 6.2517; K+ quartiles 5, 6, 7 and p(K+ = 5) = 2582 / 10000
    assert result.mean == pytest.approx(6.2517, abs=0.3)
    cumulative = table["p_clusters"].cumsum()
    quartiles = [int(np.searchsorted(cumulative.to_numpy(), q)) + 1 for q in (0.25, 0.5, 0.75)]
    assert quartiles == [5, 6, 7]
    assert table.loc[5, "p_clusters"] == pytest.approx(0.2582, abs=0.05)
