"""mclust's diagonal family (EII, EEI, VEI, EVI) through the Bayesian estimator."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from covariance_family_checks import (
    assert_checks_and_round_trips,
    assert_free_variables_map_back,
    assert_posterior_recovers,
)
from numpy.testing import assert_allclose

from bayesgmm import BayesianGaussianMixture, GaussianMixture
from bayesgmm.bayes import build_model
from bayesgmm.bayes.spec import BAYESIAN_COVARIANCE_TYPES, check_bayesian_covariance_type
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.selection.loo_comparison import compare_loo
from bayesgmm.selection.model_selection import select_model

FAMILY = ["EII", "EEI", "VEI", "EVI"]
#: a quick sampler setting: these tests check the plumbing, not the posterior
QUICK = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False, "random_state": 0}

#: the true mixture: weights, means and each model's variances (data units, (K, D))
TRUE_WEIGHTS = np.array([0.4, 0.6])
TRUE_MEANS = np.array([[0.0, 0.0], [4.0, 3.0]])
TRUE_VARIANCES = {
    "EEI": np.array([[1.0, 4.0], [1.0, 4.0]]),  # one diagonal covariance
    "EII": np.full((2, 2), 2.0),  # one spherical covariance
    "VEI": np.array([[1.0, 4.0], [2.25, 9.0]]),  # one shape, volumes 2 and 4.5
    "EVI": np.array([[1.0, 4.0], [4.0, 1.0]]),  # volume 2, two shapes
}


def _simulate(variances: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = rng.choice(2, size=n, p=TRUE_WEIGHTS)
    return TRUE_MEANS[labels] + rng.normal(size=(n, 2)) * np.sqrt(variances[labels])


def _data(seed: int = 0) -> np.ndarray:
    """Two diagonal clusters with unequal shapes and volumes (all four models fit)."""
    rng = np.random.default_rng(seed)
    return np.r_[
        rng.normal(size=(120, 2)) * [1.0, 2.0],
        rng.normal(size=(180, 2)) * [1.5, 1.5] + [6.0, 1.0],
    ]


@pytest.fixture(scope="module")
def fits():
    """One quick fit per model, started from its EM fit."""
    X = _data()
    out = {}
    for name in FAMILY:
        gm = GaussianMixture(2, covariance_type=name, random_state=0).fit(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)  # short chains
            bgm = BayesianGaussianMixture.from_em(gm, **QUICK).fit(X)
        out[name] = (gm, bgm)
    return X, out


# ---------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("given", "canonical"),
    [("EII", "EII"), ("eei", "EEI"), ("VEI", "VEI"), ("evi", "EVI"), ("VVV", "full")],
)
def test_mclust_names_are_bayesian_models(given, canonical):
    assert check_bayesian_covariance_type(given) == canonical
    assert canonical in BAYESIAN_COVARIANCE_TYPES


def test_unknown_covariance_type_names_the_allowed_values():
    X = _data()
    with pytest.raises(ValueError, match=r"got 'bogus'") as info:
        BayesianGaussianMixture(2, covariance_type="bogus", **QUICK).fit(X)
    for name in ("full", "spherical (VII)", "EII", "EEI", "VEI", "EVI", "VEV"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match=r"got 'VXV'"):
        build_model(X, 2, "VXV")


# ---------------------------------------------------------------------- estimator
@pytest.mark.parametrize("name", FAMILY)
def test_from_em_fit_has_the_em_shapes_and_answers_like_it(fits, name):
    X, models = fits
    gm, bgm = models[name]
    assert bgm.covariance_type == name
    assert bgm.covariances_.shape == gm.covariances_.shape == (2, 2)
    assert bgm.idata_["posterior"]["covariances"].dims == ("chain", "draw", "component", "feature")
    # the posterior mean is close to the EM fit on these well-separated clusters
    assert_allclose(bgm.covariances_, gm.covariances_, rtol=0.3)
    assert np.mean(bgm.predict(X) == gm.predict(X)) > 0.97
    assert_allclose(bgm.predict_proba(X).sum(axis=1), 1.0)
    assert np.all(np.isfinite(bgm.score_samples(X)))
    if name in ("EII", "EEI"):  # one shared covariance: every draw's rows are equal
        draws = bgm.idata_["posterior"]["covariances"].values
        assert_allclose(draws[:, :, 0], draws[:, :, 1], rtol=1e-12)
    if name == "EII":  # isotropic in data units
        draws = bgm.idata_["posterior"]["covariances"].values
        assert_allclose(draws[..., 0], draws[..., 1], rtol=1e-12)


@pytest.mark.parametrize("name", ["VEI", "EVI"])
def test_volume_shape_draws_have_their_structure(fits, name):
    _, models = fits
    post = models[name][1].idata_["posterior"]
    log_var = np.log(post["covariances"].values)  # (chain, draw, K, D), data units
    shape = log_var - log_var.mean(axis=-1, keepdims=True)
    volume = log_var.mean(axis=-1)
    if name == "VEI":  # one shape, volumes vary
        assert_allclose(shape[:, :, 0], shape[:, :, 1], atol=1e-10)
        assert np.ptp(volume, axis=-1).min() > 0
    else:  # one volume, shapes vary
        assert_allclose(volume[:, :, 0], volume[:, :, 1], atol=1e-10)
    assert_allclose(post["log_shape"].sum("feature").values, 0.0, atol=1e-12)


@pytest.mark.parametrize("name", FAMILY)
def test_continued_chains_start_at_the_relabelled_last_draws(fits, name):
    X, models = fits
    free = ["weights", "means_std"]
    free += ["log_volume_std", "log_shape"] if name in ("VEI", "EVI") else ["sds_std"]
    assert_free_variables_map_back(models[name][1], X, free)


@pytest.mark.parametrize("name", ["EEI", "VEI"])
def test_posterior_predictive_check_and_save_round_trip(fits, name, tmp_path):
    X, models = fits
    assert_checks_and_round_trips(models[name][1], X, tmp_path)


def test_compare_loo_takes_the_diagonal_family():
    X = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains
        result = compare_loo(X, [(2, "EEI"), (2, "EII")], reloo=False, **QUICK)
    assert set(result.table.index) == {"K=2 EEI", "K=2 EII"}
    # EII's one spherical covariance misfits these elongated clusters
    assert result.best == "K=2 EEI"


def test_compare_loo_takes_the_grids_diagonal_family_models():
    """A grid's EEI and VEI fits are candidates (and VEV, all 14 models have one)."""
    X = _data()
    selection = select_model(X, [2], ["EEI", "VEI", "VEV"], n_init=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains
        result = compare_loo(X, selection, n_candidates=3, reloo=False, **QUICK)
    assert set(result.table.index) == {"K=2 EEI", "K=2 VEI", "K=2 VEV"}
    assert not result.skipped


# ---------------------------------------------------------------------- recovery
@pytest.mark.parametrize("name", ["EEI", "EII", "VEI", "EVI"])
def test_posterior_means_recover_a_simulated_mixture(name):
    """Large n: the posterior means are within 4 posterior sds of the truth."""
    variances = TRUE_VARIANCES[name]
    truth = {"weights": TRUE_WEIGHTS, "means": TRUE_MEANS, "covariances": variances}
    assert_posterior_recovers(name, _simulate(variances, 3000, seed=1), truth)


def test_scale_kernels_are_in_the_compiled_cache_key(tmp_path):
    """The cached kernels inline scale_kernels: an edit of it changes their cache key."""
    from bayesgmm.bayes import scale_kernels
    from bayesgmm.core.numba_cache import kernel_sources_digest

    source = Path(scale_kernels.__file__).read_text()
    copy = tmp_path / "bayes" / "scale_kernels.py"
    copy.parent.mkdir()
    copy.write_text(source)
    before = kernel_sources_digest(tmp_path)
    copy.write_text(source + "\n# edited\n")
    assert kernel_sources_digest(tmp_path) != before
