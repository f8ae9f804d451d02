"""mclust's VEE and EVV (a volume times a unit-determinant covariance) through the
Bayesian estimator."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from covariance_family_checks import (
    assert_checks_and_round_trips,
    assert_free_variables_map_back,
    assert_posterior_recovers,
    simulate_full,
)
from numpy.testing import assert_allclose

from bayesgmm import BayesianGaussianMixture, GaussianMixture
from bayesgmm.bayes.spec import BAYESIAN_COVARIANCE_TYPES, check_bayesian_covariance_type
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.selection.loo_comparison import compare_loo
from bayesgmm.selection.model_selection import select_model

FAMILY = ["VEE", "EVV"]
#: a quick sampler setting: these tests check the plumbing, not the posterior
QUICK = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False, "random_state": 0}

#: the true mixture: weights, means and each model's covariances (data units)
TRUE_WEIGHTS = np.array([0.4, 0.6])
TRUE_MEANS = np.array([[0.0, 0.0], [5.0, 3.0]])
_BASE = np.array([[2.0, 1.2], [1.2, 1.5]])  # det 1.56
TRUE_COVARIANCES = {
    "VEE": np.stack([_BASE, 2.25 * _BASE]),  # one C, volumes in ratio 2.25
    "EVV": np.stack([_BASE, np.array([[1.2, -0.6], [-0.6, 1.6]])]),  # both det 1.56
}


def _simulate(covariances: np.ndarray, n: int, seed: int) -> np.ndarray:
    return simulate_full(TRUE_WEIGHTS, TRUE_MEANS, covariances, n, seed)


def _unit(covariances: np.ndarray) -> np.ndarray:
    """``Sigma / det(Sigma)**(1/D)`` over the last two axes."""
    D = covariances.shape[-1]
    return covariances / np.linalg.det(covariances)[..., None, None] ** (1.0 / D)


@pytest.fixture(scope="module")
def fits():
    """One quick fit per model, started from its EM fit."""
    X = _simulate(TRUE_COVARIANCES["VEE"], 300, seed=0)
    out = {}
    for name in FAMILY:
        gm = GaussianMixture(2, covariance_type=name, random_state=0).fit(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)  # short chains
            bgm = BayesianGaussianMixture.from_em(gm, **QUICK).fit(X)
        out[name] = (gm, bgm)
    return X, out


@pytest.mark.parametrize(("given", "canonical"), [("VEE", "VEE"), ("evv", "EVV")])
def test_mclust_names_are_bayesian_models(given, canonical):
    assert check_bayesian_covariance_type(given) == canonical
    assert canonical in BAYESIAN_COVARIANCE_TYPES


@pytest.mark.parametrize("name", FAMILY)
def test_from_em_fit_has_the_em_shapes_and_answers_like_it(fits, name):
    X, models = fits
    gm, bgm = models[name]
    assert bgm.covariance_type == name
    assert bgm.covariances_.shape == gm.covariances_.shape == (2, 2, 2)
    dims = bgm.idata_["posterior"]["covariances"].dims
    assert dims == ("chain", "draw", "component", "feature", "feature_bis")
    assert_allclose(bgm.covariances_, gm.covariances_, rtol=0.3, atol=0.1)
    assert np.mean(bgm.predict(X) == gm.predict(X)) > 0.97
    assert_allclose(bgm.predict_proba(X).sum(axis=1), 1.0)
    assert np.all(np.isfinite(bgm.score_samples(X)))


@pytest.mark.parametrize("name", FAMILY)
def test_draws_have_their_structure(fits, name):
    """VEE: every draw's components share ``Sigma / det**(1/D)``; EVV: one determinant."""
    _, models = fits
    post = models[name][1].idata_["posterior"]
    cov = post["covariances"].values  # (chain, draw, K, D, D), data units
    if name == "VEE":
        unit = _unit(cov)
        assert_allclose(unit[:, :, 0], unit[:, :, 1], rtol=1e-9)
        assert "component" not in post["corr_chol"].dims
    else:
        det = np.linalg.det(cov)
        assert_allclose(det[:, :, 0], det[:, :, 1], rtol=1e-9)
        assert "component" in post["corr_chol"].dims
    assert_allclose(post["log_shape"].sum("feature").values, 0.0, atol=1e-12)


@pytest.mark.parametrize("name", FAMILY)
def test_continued_chains_start_at_the_relabelled_last_draws(fits, name):
    X, models = fits
    free = ["weights", "means_std", "log_volume_std", "log_shape", "corr_chol"]
    assert_free_variables_map_back(models[name][1], X, free)


@pytest.mark.parametrize("name", FAMILY)
def test_posterior_predictive_check_and_save_round_trip(fits, name, tmp_path):
    X, models = fits
    assert_checks_and_round_trips(models[name][1], X, tmp_path)


def test_compare_loo_takes_the_grids_unit_determinant_models():
    """A grid's VEE and EVV fits are candidates."""
    X = _simulate(TRUE_COVARIANCES["VEE"], 300, seed=0)
    selection = select_model(X, [2], ["VEE", "EVV", "VEV"], n_init=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains
        result = compare_loo(X, selection, n_candidates=3, reloo=False, **QUICK)
    assert set(result.table.index) == {"K=2 VEE", "K=2 EVV", "K=2 VEV"}
    assert not result.skipped


# ---------------------------------------------------------------------- recovery
@pytest.mark.parametrize("name", FAMILY)
def test_posterior_means_recover_a_simulated_mixture(name):
    """Large n: the posterior means are within 4 posterior sds of the truth."""
    covariances = TRUE_COVARIANCES[name]
    truth = {"weights": TRUE_WEIGHTS, "means": TRUE_MEANS, "covariances": covariances}
    assert_posterior_recovers(name, _simulate(covariances, 3000, seed=1), truth)
