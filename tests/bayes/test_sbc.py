"""Simulation-based calibration (Talts et al. 2018) of the 1-D, K=2 model. Slow."""

import warnings

import numpy as np
import pytest
from scipy import stats

from bayesgmm import GaussianMixture
from bayesgmm.bayes import Priors, build_model
from bayesgmm.bayes.fit import em_start, sample_model

N_SIMS, N_OBS, N_BINS = 100, 40, 10


def _ranks(rng, priors):
    # prior draw (standardisation fixed at 0/1, so the prior does not see the data)
    weights = rng.dirichlet(np.full(2, priors.weight_concentration))
    means = rng.normal(0.0, priors.mean_scale, size=(2, 1))
    sds = np.abs(rng.normal(0.0, priors.sd_scale, size=(2, 1)))
    labels = rng.choice(2, size=N_OBS, p=weights)
    X = means[labels] + sds[labels] * rng.normal(size=(N_OBS, 1))
    model = build_model(X, 2, "full", priors, standardize=(0.0, 1.0))
    gm = GaussianMixture(2, n_init=3, random_state=int(rng.integers(1e9)), reg_covar=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X)
    start = em_start("full", gm.weights_, gm.means_, gm.covariances_, np.zeros(1), np.ones(1))
    idata = sample_model(
        model,
        start,
        cache_key=("sbc", N_OBS),
        data={"X": X},
        draws=400,
        tune=400,
        chains=2,
        target_accept=0.9,
        sampler="nutpie",
        seed=int(rng.integers(1e9)),
        progressbar=False,
    )
    post = idata["posterior"]
    m = post["means"].values[:, ::4, :, 0].reshape(-1, 2)  # thinned: 200 draws
    w = post["weights"].values[:, ::4].reshape(-1, 2)
    # label-invariant statistics: the lower and upper mean, the lower component's weight
    lower = np.argmin(m, axis=1)
    draws = np.stack([m.min(axis=1), m.max(axis=1), w[np.arange(len(w)), lower]], axis=1)
    truth = np.array([means.min(), means.max(), weights[np.argmin(means[:, 0])]])
    return (draws < truth).sum(axis=0), len(draws)


@pytest.mark.slow
def test_sbc_rank_histograms_are_uniform():
    rng = np.random.default_rng(2024)
    priors = Priors()
    ranks = []
    for _ in range(N_SIMS):
        r, n_draws = _ranks(rng, priors)
        ranks.append(r)
    ranks = np.array(ranks)
    p_values = []
    for j, name in enumerate(["lower mean", "upper mean", "lower weight"]):
        counts = np.bincount(ranks[:, j] * N_BINS // (n_draws + 1), minlength=N_BINS)
        p = stats.chisquare(counts).pvalue
        p_values.append(p)
        print(f"SBC {name}: counts {counts.tolist()}, chi-square p = {p:.3f}")
    # each statistic uniform at the 0.1% level (3 tests)
    assert min(p_values) > 0.001, p_values
