"""mclust's models with an explicit orientation (EVE, VVE, EEV, VEV) through the
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

FAMILY = ["EVE", "VVE", "EEV", "VEV"]
#: a quick sampler setting: these tests check the plumbing, not the posterior
QUICK = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False, "random_state": 0}

TRUE_WEIGHTS = np.array([0.4, 0.6])
TRUE_MEANS = np.array([[0.0, 0.0], [5.0, 3.0]])


def _rotation(degrees: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def _covariances(volumes, shapes, rotations) -> np.ndarray:
    """``lambda_k D_k A_k D_k^T`` (data units) of two components."""
    return np.stack(
        [v * r @ np.diag(a) @ r.T for v, a, r in zip(volumes, shapes, rotations, strict=True)]
    )


_A1, _A2 = np.array([2.5, 0.4]), np.array([0.5, 2.0])  # det 1 each
_A = np.array([3.0, 1.0 / 3.0])
TRUE_COVARIANCES = {
    "EVE": _covariances([1.5, 1.5], [_A1, _A2], [_rotation(30)] * 2),
    "VVE": _covariances([1.0, 2.0], [_A1, _A2], [_rotation(30)] * 2),
    "EEV": _covariances([1.5, 1.5], [_A, _A], [_rotation(30), _rotation(-45)]),
    "VEV": _covariances([1.0, 2.25], [_A, _A], [_rotation(30), _rotation(-45)]),
}


def _simulate(covariances: np.ndarray, n: int, seed: int) -> np.ndarray:
    return simulate_full(TRUE_WEIGHTS, TRUE_MEANS, covariances, n, seed)


@pytest.fixture(scope="module")
def fits():
    """One quick fit per model, started from its EM fit."""
    X = _simulate(TRUE_COVARIANCES["VEV"], 300, seed=0)
    out = {}
    for name in FAMILY:
        gm = GaussianMixture(2, covariance_type=name, random_state=0).fit(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)  # short chains
            bgm = BayesianGaussianMixture.from_em(gm, **QUICK).fit(X)
        out[name] = (gm, bgm)
    return X, out


def test_all_fourteen_mclust_models_are_bayesian_models():
    from bayesgmm.covariance import CONSTRAINED_MODELS

    for name in CONSTRAINED_MODELS:
        assert check_bayesian_covariance_type(name.lower()) in BAYESIAN_COVARIANCE_TYPES
    assert len(BAYESIAN_COVARIANCE_TYPES) == 14


@pytest.mark.parametrize("name", FAMILY)
def test_from_em_fit_has_the_em_shapes_and_answers_like_it(fits, name):
    X, models = fits
    gm, bgm = models[name]
    assert bgm.covariance_type == name
    assert bgm.covariances_.shape == gm.covariances_.shape == (2, 2, 2)
    dims = bgm.idata_["posterior"]["covariances"].dims
    assert dims == ("chain", "draw", "component", "feature", "feature_bis")
    assert_allclose(bgm.covariances_, gm.covariances_, rtol=0.3, atol=0.15)
    assert np.mean(bgm.predict(X) == gm.predict(X)) > 0.97
    assert_allclose(bgm.predict_proba(X).sum(axis=1), 1.0)
    assert np.all(np.isfinite(bgm.score_samples(X)))


@pytest.mark.parametrize("name", FAMILY)
def test_draws_have_their_structure(fits, name):
    """In data units (mclust's structure): shared orientations commute; shared volumes
    and shapes have equal eigenvalues."""
    _, models = fits
    post = models[name][1].idata_["posterior"]
    cov = post["covariances"].values  # (chain, draw, K, D, D)
    eigenvalues = np.linalg.eigvalsh(cov)
    log_volume = np.log(eigenvalues).mean(axis=-1)
    if name in ("EVE", "VVE"):  # one orientation: the two covariances commute
        a, b = cov[:, :, 0], cov[:, :, 1]
        assert_allclose(a @ b - b @ a, 0.0, atol=1e-9)
    if name == "EEV":  # one volume and shape: the same eigenvalues
        assert_allclose(eigenvalues[:, :, 0], eigenvalues[:, :, 1], rtol=1e-9)
    if name == "EVE":
        assert_allclose(log_volume[:, :, 0], log_volume[:, :, 1], atol=1e-9)
    if name == "VEV":  # one shape: eigenvalues in the same ratios
        ratio = eigenvalues / np.exp(log_volume)[..., None]
        assert_allclose(ratio[:, :, 0], ratio[:, :, 1], rtol=1e-9)


@pytest.mark.parametrize("name", FAMILY)
def test_continued_chains_start_at_the_relabelled_last_draws(fits, name):
    X, models = fits
    free = ["weights", "means_std", "log_volume_std", "log_shape", "orientation"]
    assert_free_variables_map_back(models[name][1], X, free)


@pytest.mark.parametrize("name", ["VVE", "VEV"])
def test_posterior_predictive_check_and_save_round_trip(fits, name, tmp_path):
    X, models = fits
    assert_checks_and_round_trips(models[name][1], X, tmp_path)


def test_compare_loo_takes_the_grids_oriented_models():
    X = _simulate(TRUE_COVARIANCES["VEV"], 300, seed=0)
    selection = select_model(X, [2], ["VEV", "EEV", "VVE"], n_init=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains
        result = compare_loo(X, selection, n_candidates=3, reloo=False, **QUICK)
    assert set(result.table.index) == {"K=2 VEV", "K=2 EEV", "K=2 VVE"}
    assert not result.skipped


# ---------------------------------------------------------------------- recovery
@pytest.mark.parametrize("name", FAMILY)
def test_posterior_means_recover_a_simulated_mixture(name):
    """Large n: the posterior means are within 4 posterior sds of the truth."""
    covariances = TRUE_COVARIANCES[name]
    truth = {"weights": TRUE_WEIGHTS, "means": TRUE_MEANS, "covariances": covariances}
    assert_posterior_recovers(name, _simulate(covariances, 3000, seed=1), truth)


# ---------------------------------------------------------------------- orientation
def test_cayley_gives_rotations_and_inverse_cayley_inverts_it():
    from bayesgmm.bayes.orientation_kernels import cayley, inverse_cayley

    rng = np.random.default_rng(0)
    for D in (2, 3, 5):
        t = rng.normal(size=D * (D - 1) // 2)
        Q, B_inv = np.empty((D, D)), np.empty((D, D))
        cayley(t, D, Q, B_inv)
        assert_allclose(Q @ Q.T, np.eye(D), atol=1e-12)
        assert np.linalg.det(Q) == pytest.approx(1.0)
        assert_allclose(inverse_cayley(Q), t, rtol=1e-10, atol=1e-12)


def test_haar_draws_in_cayley_coordinates_are_uniform_rotations():
    """Two features: a uniform angle theta has Cayley parameter tan(theta / 2), a
    standard Cauchy variable; the prior's density there is 1 / (1 + t^2)."""
    from scipy import stats

    from bayesgmm.bayes.build import _haar_cayley_logp, _haar_cayley_random

    draws = _haar_cayley_random(np.zeros(1), 2, rng=np.random.default_rng(0), size=(4000,))
    assert stats.kstest(np.abs(draws[:, 0]), stats.halfcauchy.cdf).pvalue > 0.01
    t = np.array([[0.0], [1.0], [3.0]])
    logp = _haar_cayley_logp(t, np.zeros(1), 2).eval()
    assert_allclose(logp, -np.log1p(t[:, 0] ** 2), rtol=1e-12)
