"""PSIS-LOO in blocks of rows equals ArviZ's on the stored log-likelihood; large fits
do not store it."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest
from scipy.special import logsumexp

from bayesgmm import BayesianGaussianMixture, load_faithful
from bayesgmm.bayes import posterior_likelihood
from bayesgmm.exceptions import SamplingWarning


def _fit(X, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return BayesianGaussianMixture(
            2, draws=150, tune=150, chains=2, random_state=1, progressbar=False, **settings
        ).fit(X)


@pytest.fixture(scope="module")
def faithful_fit():
    return _fit(load_faithful())


def test_posterior_likelihood_equals_arviz_on_the_stored_group(faithful_fit):
    assert "log_likelihood" in faithful_fit.idata_.children
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ArviZ's Pareto k warning
        expected = az.loo(faithful_fit.idata_, pointwise=True)
    for block_rows in (None, 37, 1):
        got = faithful_fit.loo(block_rows=block_rows)
        np.testing.assert_allclose(
            got.elpd_i.values, expected.elpd_i.values, rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(got.pareto_k.values, expected.pareto_k.values, atol=1e-11)
        assert got.elpd == pytest.approx(expected.elpd, rel=1e-12)
        assert got.se == pytest.approx(expected.se, rel=1e-10)
        assert got.p == pytest.approx(expected.p, rel=1e-10)
        assert (got.good_k, got.warning) == (expected.good_k, expected.warning)
        posterior = faithful_fit.idata_["posterior"]
        assert (
            got.n_samples
            == expected.n_samples
            == posterior.sizes["chain"] * posterior.sizes["draw"]
        )
        assert got.elpd_i["obs_id"].values.tolist() == list(range(272))


def test_p_loo_i_is_lpd_minus_elpd(faithful_fit):
    got = faithful_fit.loo(block_rows=100)
    stored = faithful_fit.idata_["log_likelihood"]["obs"].values
    log_lik = stored.reshape(-1, stored.shape[-1])
    lpd = logsumexp(log_lik, axis=0) - np.log(len(log_lik))
    np.testing.assert_allclose(got.p_loo_i.values, lpd - got.elpd_i.values, rtol=1e-9, atol=1e-12)


def test_a_fit_over_the_limit_keeps_no_log_likelihood_until_asked(monkeypatch, faithful_fit):
    # 2 chains x 150 draws (or more, extended) x 272 rows: over a limit of 50,000
    monkeypatch.setattr(posterior_likelihood, "MAX_STORED_LOG_LIKELIHOOD", 50_000)
    X = load_faithful()
    bgm = _fit(X)
    assert "log_likelihood" not in bgm.idata_.children
    assert bgm.idata_["observed_data"]["obs"].shape == X.shape
    blocked = bgm.loo()
    # the same draws as the module fit (same seed): the same LOO
    np.testing.assert_allclose(blocked.elpd_i.values, faithful_fit.loo().elpd_i.values, rtol=1e-12)
    assert bgm.store_log_likelihood() is bgm
    stored = bgm.idata_["log_likelihood"]["obs"]
    assert stored.dims == ("chain", "draw", "obs_id")
    assert stored.shape == faithful_fit.idata_["log_likelihood"]["obs"].shape
    np.testing.assert_array_equal(
        stored.values, faithful_fit.idata_["log_likelihood"]["obs"].values
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert az.loo(bgm.idata_).elpd == pytest.approx(blocked.elpd, rel=1e-12)


def test_stores_log_likelihood_up_to_ten_million_values():
    assert posterior_likelihood.stores_log_likelihood(2000, 5000)
    assert not posterior_likelihood.stores_log_likelihood(2000, 5001)
