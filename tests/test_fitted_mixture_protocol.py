"""The fitted-mixture protocol: EM fits and posteriors both implement it, consistently."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from bayesgmm import BayesianGaussianMixture, GaussianMixture, load_faithful
from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.exceptions import NotFittedError


@pytest.fixture(scope="module")
def faithful():
    return load_faithful()


@pytest.fixture(scope="module")
def em_fit(faithful):
    return GaussianMixture(2, covariance_type="diag", random_state=0).fit(faithful)


@pytest.fixture(scope="module")
def bayes_fit(faithful):
    model = BayesianGaussianMixture(
        2, draws=100, tune=100, chains=2, max_doublings=0, random_state=0, progressbar=False
    )
    with warnings.catch_warnings():  # a tiny fit's sampling diagnostics may warn
        warnings.simplefilter("ignore")
        return model.fit(faithful)


def test_both_estimators_satisfy_the_protocol(em_fit, bayes_fit):
    assert isinstance(em_fit, FittedMixtureLike)
    assert isinstance(bayes_fit, FittedMixtureLike)
    assert em_fit.is_posterior is False
    assert bayes_fit.is_posterior is True
    # unfitted estimators have the members; their methods say they are not fitted
    for unfitted in (GaussianMixture(2), BayesianGaussianMixture(2)):
        assert isinstance(unfitted, FittedMixtureLike)
        with pytest.raises(NotFittedError):
            unfitted.parameter_draws()


@pytest.mark.parametrize("other", [object(), "model", {"means_": 1}])
def test_other_objects_do_not(other):
    assert not isinstance(other, FittedMixtureLike)


def test_em_draws_are_the_fitted_parameters(em_fit, faithful):
    draws = em_fit.parameter_draws()
    assert draws.size == draws.n_chains * draws.n_draws == 1
    np.testing.assert_array_equal(draws.weights[0], em_fit.weights_)
    np.testing.assert_array_equal(draws.means[0], em_fit.means_)
    np.testing.assert_array_equal(draws.covariances[0], em_fit.covariances_)
    assert draws.full_covariances().shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(
        draws.full_covariances()[0], np.stack([np.diag(c) for c in em_fit.covariances_])
    )
    np.testing.assert_array_equal(
        em_fit.log_density_draws(faithful)[0], em_fit.score_samples(faithful)
    )
    np.testing.assert_array_equal(
        em_fit.membership_draws(faithful)[0], em_fit.predict_proba(faithful)
    )


def test_bayes_draws_are_the_posterior(bayes_fit, faithful):
    draws = bayes_fit.parameter_draws()
    post = bayes_fit.idata_["posterior"]
    assert (draws.n_chains, draws.n_draws, draws.size) == (2, 100, 200)
    np.testing.assert_array_equal(draws.weights, post["weights"].values.reshape(200, 2))
    np.testing.assert_array_equal(draws.means, post["means"].values.reshape(200, 2, 2))
    assert draws.full_covariances().shape == (200, 2, 2, 2)
    np.testing.assert_allclose(draws.weights.mean(axis=0), bayes_fit.weights_)
    np.testing.assert_allclose(draws.means.mean(axis=0), bayes_fit.means_)


@pytest.mark.parametrize("which", ["em", "bayes"])
def test_averages_agree_with_the_per_draw_values(which, em_fit, bayes_fit, faithful):
    model = em_fit if which == "em" else bayes_fit
    S = model.parameter_draws().size
    X = faithful.iloc[:40]
    per_draw = model.log_density_draws(X)
    assert per_draw.shape == (S, 40)
    np.testing.assert_allclose(logsumexp(per_draw, axis=0) - np.log(S), model.score_samples(X))
    np.testing.assert_allclose(model.score(X), model.score_samples(X).mean())
    memberships = model.membership_draws(X)
    assert memberships.shape == (S, 40, 2)
    np.testing.assert_allclose(memberships.sum(axis=-1), 1.0)
    np.testing.assert_allclose(memberships.mean(axis=0), model.predict_proba(X))
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), model.predict_proba(X).argmax(axis=1))


def test_bayes_per_draw_values_match_the_xarray_views(bayes_fit, faithful):
    X = faithful.iloc[:10]
    np.testing.assert_array_equal(
        bayes_fit.log_density_draws(X), bayes_fit.log_likelihood(X).values.reshape(200, 10)
    )
    np.testing.assert_array_equal(
        bayes_fit.membership_draws(X), bayes_fit.memberships(X).values.reshape(200, 10, 2)
    )


@pytest.mark.parametrize("which", ["em", "bayes"])
def test_membership_draws_of_picked_draws_are_those_draws(which, em_fit, bayes_fit, faithful):
    model = em_fit if which == "em" else bayes_fit
    X = faithful.iloc[:10]
    every = model.membership_draws(X)
    picks = np.array([0]) if which == "em" else np.array([3, 17, 150])
    np.testing.assert_array_equal(model.membership_draws(X, picks), every[picks])
