"""Conjugate-prior (MAP) EM, as mclust's priorControl()."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesgmm import ComponentCollapseWarning, GaussianMixture, load_faithful, select_model
from bayesgmm.em.map_prior import ConjugatePrior, default_prior, map_estimates


@pytest.fixture
def clumped():
    """A cloud plus four identical points: maximum likelihood collapses a component."""
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(size=(60, 2)), np.tile([[4.0, 4.0]], (4, 1))]


def test_prior_keeps_a_component_from_collapsing(clumped):
    with pytest.warns(ComponentCollapseWarning):
        GaussianMixture(2, covariance_type="full", random_state=0, n_init=3).fit(clumped)
    gm = GaussianMixture(2, covariance_type="full", random_state=0, n_init=3, prior="default")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentCollapseWarning)  # few points, by design
        gm.fit(clumped)
    smallest = np.linalg.eigvalsh(gm.covariances_).min()
    prior = default_prior(clumped, 2, "full")
    # the prior's scale bounds the covariances away from zero
    assert smallest > 0.1 * np.linalg.eigvalsh(prior.scale).min() / (prior.dof + 64 + 4)


def test_map_step_is_the_posterior_mode_spherical():
    """The spherical M-step maximises log-likelihood + log-prior (checked numerically)."""
    rng = np.random.default_rng(1)
    y = rng.normal(size=(20, 3)) * 1.5 + 2.0
    n, d = y.shape
    prior = ConjugatePrior(0.5, np.zeros(3), 5.0, 2.0)
    ybar = y.mean(axis=0)
    trace = ((y - ybar) ** 2).sum()
    means, variances = map_estimates("spherical", np.array([trace]), np.array([float(n)]),
                                     ybar[None], prior)  # fmt: skip

    def log_posterior(mu, s2):
        loglik = -0.5 * (n * d * math.log(s2) + ((y - mu) ** 2).sum() / s2)
        # mu | s2 ~ N(mu_P, s2 / kappa I); s2 ~ inverse gamma(dof / 2, scale / 2)
        log_mu = -0.5 * (d * math.log(s2) + prior.shrinkage * ((mu - prior.mean) ** 2).sum() / s2)
        log_s2 = -(prior.dof / 2 + 1) * math.log(s2) - prior.scale / (2 * s2)
        return loglik + log_mu + log_s2

    best = log_posterior(means[0], variances[0])
    for step in (1e-3, -1e-3):
        assert best >= log_posterior(means[0] + step, variances[0])
        assert best >= log_posterior(means[0], variances[0] * (1 + step))


def test_bic_uses_the_likelihood_at_the_posterior_mode():
    X = load_faithful().to_numpy()
    tight = {"covariance_type": "tied", "random_state": 0, "tol": 1e-10, "max_iter": 10_000}
    gm = GaussianMixture(3, prior="default", **tight).fit(X)
    p = 2 + 3 * 2 + 3
    assert gm.bic(X) == pytest.approx(-2 * gm.score(X) * len(X) + p * math.log(len(X)))
    ml = GaussianMixture(3, **tight).fit(X)
    assert gm.score(X) <= ml.score(X) + 1e-9  # the mode is not the likelihood maximum
    assert gm.score(X) == pytest.approx(ml.score(X), rel=1e-3)  # a weak prior moves little


def test_select_model_with_prior():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = select_model(load_faithful(), range(1, 5), ["full", "tied"], prior="default")
    assert grid.best_params_ == {"n_components": 3, "covariance_type": "tied"}
    assert all(gm.prior == "default" for gm in grid.estimators.values())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"prior": "strong"}, r"prior must be None, 'default' or a dict"),
        ({"prior": {"shrinkag": 0.1}}, r"unknown keys \['shrinkag'\]"),
        ({"prior": "default", "covariance_type": "VEE"}, r"prior is available for .*got 'VEE'"),
    ],
)
def test_bad_prior_settings_are_explained(params, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, **params).fit(load_faithful())


def test_prior_is_refused_where_it_is_not_implemented():
    X = load_faithful().to_numpy().copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="prior is not available with missing cells"):
        GaussianMixture(2, missing="marginalize", prior="default").fit(X)
    with pytest.raises(ValueError, match="prior is not available for partial_fit"):
        GaussianMixture(2, prior="default").partial_fit(X[1:])
    with pytest.raises(ValueError, match=r"prior is available for covariance types"):
        select_model(X[1:], [2], ["full", "VEE"], prior="default")


def test_prior_settings_survive_save_and_load(tmp_path):
    X = load_faithful().to_numpy()
    gm = GaussianMixture(2, prior={"shrinkage": 0.05, "dof": 6.0}, random_state=0).fit(X)
    loaded = GaussianMixture.load(gm.save(tmp_path / "gm.npz"))
    assert loaded.prior == {"shrinkage": 0.05, "dof": 6.0}
    assert_allclose(loaded.score_samples(X), gm.score_samples(X), rtol=0, atol=0)


@pytest.mark.parametrize("covariance_type", ["EII", "EEI", "VEI", "EVI", "EEV", "VEV"])
def test_mclusts_constrained_models_take_the_prior(covariance_type, clumped):
    # mclust's values are checked in tests/test_vs_mclust.py; here: the MAP fit
    # converges, keeps every variance away from zero on data that collapse a
    # maximum-likelihood component, and its likelihood stays below the ML fit's
    settings = {
        "covariance_type": covariance_type, "init_params": "hierarchical", "tol": 1e-9,
        "max_iter": 5000,
    }  # fmt: skip
    X = load_faithful().to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComponentCollapseWarning)  # few points, by design
        ml = GaussianMixture(3, **settings).fit(X)
        gm = GaussianMixture(3, prior="default", **settings).fit(X)
        fit = GaussianMixture(3, prior="default", **settings).fit(clumped)
    assert gm.converged_
    assert gm.score(X) <= ml.score(X) + 1e-9
    covariances = fit.covariances_
    smallest = np.linalg.eigvalsh(covariances).min() if covariances.ndim == 3 else covariances.min()
    assert smallest > 1e-3 * clumped.var(axis=0).min()
