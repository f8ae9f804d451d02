"""The uniform noise component of the Bayesian mixture: fit, memberships, files, errors."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bayesgmm import BayesianGaussianMixture, GaussianMixture, posterior_predictive_check
from bayesgmm.bayes import Priors, build_model
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture
from bayesgmm.bayes.uniform_noise import log_noise_density, log_noise_density_std
from bayesgmm.em.noise import hypervolume
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.uses.anomaly import MixtureAnomalyDetector, noise_probability

N_BLOB, N_CLUTTER = 160, 40
TRUE_NOISE = N_CLUTTER / (N_BLOB + N_CLUTTER)


def _blob_and_clutter(seed=0):
    """A Gaussian blob and uniform clutter on [-10, 10]^2 (20% of the rows)."""
    rng = np.random.default_rng(seed)
    blob = rng.normal([1.0, -1.0], [1.0, 0.5], size=(N_BLOB, 2))
    clutter = rng.uniform(-10.0, 10.0, size=(N_CLUTTER, 2))
    return np.r_[blob, clutter]


@pytest.fixture(scope="module")
def data():
    return _blob_and_clutter()


@pytest.fixture(scope="module")
def fitted(data):
    start = time.perf_counter()
    with warnings.catch_warnings():  # a short run: r_hat or ESS may fall just short
        warnings.simplefilter("ignore", SamplingWarning)
        bgm = _fit(data)
    bgm.fit_seconds = time.perf_counter() - start
    return bgm


def _fit(data):
    return BayesianGaussianMixture(
        1,
        noise=True,
        draws=400,
        tune=400,
        chains=2,
        random_state=0,
        progressbar=False,
        max_doublings=0,
    ).fit(data)


def test_posterior_noise_proportion_is_near_the_truth(fitted, data):
    assert fitted.hypervolume_ == hypervolume(data)
    post = fitted.idata_["posterior"]["noise_proportion"]
    mean, sd = float(post.mean()), float(post.std())
    assert abs(mean - TRUE_NOISE) < 3 * sd + 0.02, (mean, sd)
    assert fitted.noise_proportion_ == pytest.approx(mean)
    # the Gaussian weights take the rest
    weights = fitted.idata_["posterior"]["weights"].sum("component")
    assert_allclose(weights + post, 1.0, rtol=1e-12)
    assert "noise_proportion" in fitted.summary().index


def test_clutter_rows_get_a_high_noise_probability(fitted, data):
    table = fitted.noise_probability(data)
    assert list(table.columns) == ["mean", "sd", "lower", "upper"]
    # (a skewed posterior's mean may lie outside its equal-tailed interval)
    assert (table["lower"] <= table["upper"]).all()
    assert table.values.min() >= 0
    assert table[["mean", "lower", "upper"]].values.max() <= 1
    # clutter away from the blob (> 4 sds) is noise; the blob's core is not
    far = np.hypot((data[:, 0] - 1.0) / 1.0, (data[:, 1] + 1.0) / 0.5) > 4
    core = np.hypot((data[:, 0] - 1.0) / 1.0, (data[:, 1] + 1.0) / 0.5) < 2
    assert far[N_BLOB:].sum() >= 30
    assert table["mean"].values[far].min() > 0.9
    assert table["mean"].values[core].max() < 0.1
    assert_allclose(table["mean"], fitted.predict_proba(data)[:, -1])


def test_predict_labels_noise_minus_one_and_proba_has_a_noise_column(fitted, data):
    proba = fitted.predict_proba(data)
    assert proba.shape == (len(data), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    labels = fitted.predict(data)
    assert set(np.unique(labels)) == {-1, 0}
    assert_array_equal(labels, np.where(proba[:, -1] > proba[:, 0], -1, 0))
    memberships = fitted.memberships(data[:3])
    assert memberships["component"].values.tolist() == [0, -1]


def test_log_likelihood_includes_the_noise(fitted, data):
    """A point far outside the blob has density about pi_0 / V, not ~0."""
    far = np.array([[-9.0, 9.0]])
    per_draw = fitted.log_density_draws(far)[:, 0]
    noise = fitted.idata_["posterior"]["noise_proportion"].values.reshape(-1)
    assert_allclose(per_draw, np.log(noise) - math.log(fitted.hypervolume_), rtol=1e-6)
    stored = fitted.idata_["log_likelihood"]["obs"].values.reshape(-1, len(data))
    assert_allclose(stored, fitted.log_density_draws(data), rtol=1e-12)


def test_predictive_draws_include_noise_points(fitted):
    X, y = fitted.sample(400)
    assert set(np.unique(y)) <= {-1, 0}
    assert 0.1 < np.mean(y == -1) < 0.35
    assert np.all(np.abs(X[y == -1] - fitted.idata_["constant_data"]["data_center"].values) < 20)


def test_persistence_round_trips_the_noise_exactly(fitted, data, tmp_path):
    loaded = BayesianGaussianMixture.load(fitted.save(tmp_path / "noise.nc"))
    assert loaded.noise is True
    assert loaded.hypervolume is None
    assert loaded.hypervolume_ == fitted.hypervolume_
    assert loaded.noise_proportion_ == fitted.noise_proportion_
    assert_array_equal(loaded.predict_proba(data), fitted.predict_proba(data))
    pd.testing.assert_frame_equal(loaded.noise_probability(data), fitted.noise_probability(data))


def test_anomaly_detector_flags_by_noise_probability(fitted, data):
    detector = MixtureAnomalyDetector(fitted, score="noise_probability", noise_threshold=0.5)
    labels = detector.fit(data).predict(data)
    probability = fitted.noise_probability(data)["mean"].values
    assert_array_equal(labels, np.where(probability > 0.5, -1, 1))
    assert detector.contamination_ == pytest.approx(np.mean(probability > 0.5))
    assert detector.threshold_ == 0.5
    assert (labels[N_BLOB:] == -1).mean() > 0.7
    assert (labels[:N_BLOB] == 1).mean() > 0.95


def test_anomaly_detector_reads_an_em_fit_with_noise(data):
    """An EM fit with a noise component flags by its noise membership (its last column)."""
    model = GaussianMixture(1, noise=True, random_state=0).fit(data)
    detector = MixtureAnomalyDetector(model, score="noise_probability").fit(data)
    flags = detector.predict(data)
    expected = np.where(model.predict(data) == -1, -1, 1)  # noise most probable: an anomaly
    np.testing.assert_array_equal(flags, expected)
    assert (flags[N_BLOB:] == -1).mean() > 0.8


def test_from_em_takes_the_noise_of_an_em_fit(data):
    """An EM fit with ``noise_proportion_`` and ``hypervolume_`` starts a noise model."""
    gm = GaussianMixture(1, noise=True, hypervolume=400.0, random_state=0).fit(data)
    bgm = BayesianGaussianMixture.from_em(
        gm, draws=200, tune=200, chains=1, random_state=0, progressbar=False, max_doublings=0
    )
    assert bgm.noise is True
    assert bgm.hypervolume == 400.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        bgm.fit(data)
    assert bgm.hypervolume_ == 400.0
    assert abs(bgm.noise_proportion_ - TRUE_NOISE) < 0.1
    without = BayesianGaussianMixture.from_em(gm, noise=False)
    assert without.noise is False
    assert without.hypervolume is None


def test_noise_with_missing_cells_fits_and_scores(data):
    X = data.copy()
    X[::9, 1] = np.nan
    bgm = BayesianGaussianMixture(
        1,
        noise=True,
        hypervolume=400.0,
        missing="marginalize",
        draws=100,
        tune=100,
        chains=1,
        random_state=1,
        progressbar=False,
        max_doublings=0,
    )
    with pytest.warns(SamplingWarning):  # 100 draws: the ESS warnings
        bgm.fit(X)
    assert bgm.hypervolume_ == 400.0
    points = np.array([[-9.0, np.nan], [-9.0, 9.0]])  # a column all NaN: another matter
    per_draw = bgm.log_density_draws(points)[:, 0]
    noise = bgm.idata_["posterior"]["noise_proportion"].values.reshape(-1)
    scale = bgm.idata_["constant_data"]["data_scale"].values
    expected = np.log(noise) + log_noise_density(points, 400.0, scale)[0]
    assert_allclose(per_draw, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="impute is not available with noise=True"):
        bgm.impute(X)
    with pytest.raises(ValueError, match="impute_mean is not available with noise=True"):
        bgm.impute_mean(X)


# ---------------------------------------------------------------------- noise density
def test_noise_density_in_standardised_units_has_the_jacobian():
    scale = np.array([2.0, 0.5, 3.0])
    log_v = math.log(17.0)
    # complete rows: -log V + sum log scale
    assert_allclose(log_noise_density_std([3], 17.0, scale), [-log_v + np.log(scale).sum()])
    # back in data units: -log V for complete rows, for any scale
    X = np.array([[0.0, 1.0, 2.0], [np.nan, 1.0, 2.0]])
    values = log_noise_density(X, 17.0, scale)
    assert values[0] == pytest.approx(-log_v)
    # a missing cell: the box's side along it (sides proportional to scale) drops out
    side = scale * (17.0 / np.prod(scale)) ** (1 / 3)
    assert_allclose(np.prod(side), 17.0)
    assert values[1] == pytest.approx(-np.log(side[1:]).sum())


def test_pymc_model_has_the_noise_variables():
    X = _blob_and_clutter()[:60]
    model = build_model(X, 2, "diag", noise=True)
    assert model.free_RVs[0].name == "proportions"
    assert {"weights", "noise_proportion"} <= {v.name for v in model.deterministics}
    assert float(model["hypervolume"].get_value()) == hypervolume(X)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("value", [0.0, -1.0, math.inf, math.nan, "big"])
def test_bad_hypervolume_is_refused_everywhere(value):
    X = _blob_and_clutter()[:50]
    message = "hypervolume must be a finite number > 0"
    with pytest.raises(ValueError, match=message):
        BayesianGaussianMixture(1, noise=True, hypervolume=value).fit(X)
    with pytest.raises(ValueError, match=message):
        build_model(X, 1, noise=True, hypervolume=value)
    with pytest.raises(ValueError, match=message):
        CompiledMixture(X, 1, "full", Priors(), *standardization(X), hypervolume=value)


def test_hypervolume_without_noise_is_refused():
    X = _blob_and_clutter()[:50]
    with pytest.raises(ValueError, match=r"hypervolume=3\.0 was given with noise=False"):
        BayesianGaussianMixture(1, hypervolume=3.0).fit(X)
    with pytest.raises(ValueError, match=r"hypervolume=3\.0 was given with noise=False"):
        build_model(X, 1, hypervolume=3.0)
    with pytest.raises(TypeError, match="noise must be True or False; got 'yes'"):
        BayesianGaussianMixture(1, noise="yes").fit(X)


def test_data_without_a_region_need_an_explicit_hypervolume():
    X = np.c_[np.arange(20.0), np.ones(20)]
    with pytest.raises(ValueError, match="hypervolume: the data's region has volume 0"):
        build_model(X, 1, noise=True)


def test_noise_requests_on_models_without_noise_are_refused(data):
    gm = GaussianMixture(1, random_state=0).fit(data)
    with pytest.raises(ValueError, match="needs a model fitted with a noise component"):
        noise_probability(gm, data)
    with pytest.raises(ValueError, match="needs a model fitted with a noise component"):
        MixtureAnomalyDetector(gm, score="noise_probability").fit(data)
    with pytest.raises(ValueError, match=r"contamination \(0\.05\) and threshold_quantile"):
        MixtureAnomalyDetector(gm, score="noise_probability", contamination=0.05).fit(data)
    with pytest.raises(ValueError, match="noise_threshold must be a real number in"):
        MixtureAnomalyDetector(gm, score="noise_probability", noise_threshold=1.5).fit(data)
    with pytest.raises(ValueError, match="score must be one of"):
        MixtureAnomalyDetector(gm, score="noise").fit(data)


def test_noise_probability_of_a_model_without_noise_is_refused(data):
    bgm = BayesianGaussianMixture(
        1, draws=50, tune=50, chains=1, random_state=0, progressbar=False, max_doublings=0
    )
    with pytest.warns(SamplingWarning):  # 50 draws: the ESS warnings
        bgm.fit(data[:N_BLOB])
    with pytest.raises(ValueError, match=r"fitted with noise=False\. Refit with noise=True"):
        bgm.noise_probability(data)


@pytest.mark.parametrize("source", ["posterior", "em"])
def test_predictive_checks_replicate_the_noise(fitted, data, source):
    """Replicates hold the noise too (uniform in the data's region): the clutter of the
    data is no longer a misfit; the same model's replicates without it miss the tails."""
    model = fitted if source == "posterior" else GaussianMixture(1, noise=True).fit(data)
    region = model.noise_region_
    assert region.volume == pytest.approx(model.hypervolume_)
    checked = posterior_predictive_check(model, data, random_state=0)
    assert checked.n_flagged == 0, checked.table
    without = GaussianMixture(1, random_state=0).fit(data)
    assert posterior_predictive_check(without, data, random_state=0).n_flagged > 0
