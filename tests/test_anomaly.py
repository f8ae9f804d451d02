"""Tests of bayesgmm.uses.anomaly: predictive densities, anomaly scores and the detector."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from bayesgmm import BayesianGaussianMixture, GaussianMixture, NotFittedError, load_faithful
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.testing import make_gmm_data
from bayesgmm.uses.anomaly import (
    DEFAULT_CONTAMINATION,
    MixtureAnomalyDetector,
    anomaly_scores,
    log_predictive_density,
)

FAR = np.array([[80.0, 80.0], [-70.0, 60.0], [0.0, -90.0]])


@pytest.fixture(scope="module")
def data():
    X, *_ = make_gmm_data("full", 400, seed=3)
    return X


@pytest.fixture(scope="module")
def em(data):
    return GaussianMixture(3, random_state=0).fit(data)


@pytest.fixture(scope="module")
def faithful():
    return load_faithful()


@pytest.fixture(scope="module")
def bayes_faithful(faithful):
    model = BayesianGaussianMixture(
        2,
        covariance_type="full",
        draws=300,
        tune=300,
        chains=2,
        random_state=0,
        progressbar=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.fit(faithful)


# ---------------------------------------------------------------------- scores
def test_far_points_get_the_highest_scores(em, data):
    scores = anomaly_scores(em, np.r_[data, FAR])
    assert set(np.argsort(scores)[-3:]) == {400, 401, 402}
    np.testing.assert_allclose(scores[:400], -em.score_samples(data))


def test_log_predictive_density_em(em, data):
    table = log_predictive_density(em, data)
    assert list(table.columns) == ["log_density", "lower", "upper"]
    np.testing.assert_allclose(table["log_density"], em.score_samples(data))
    assert table[["lower", "upper"]].isna().all().all()


def test_bayes_log_predictive_density(bayes_faithful, faithful):
    table = log_predictive_density(bayes_faithful, faithful)
    np.testing.assert_allclose(table["log_density"], bayes_faithful.score_samples(faithful))
    assert np.all(table["lower"] < table["upper"])
    inside = (table["lower"] <= table["log_density"]) & (table["log_density"] <= table["upper"])
    assert inside.mean() > 0.95
    narrow = log_predictive_density(bayes_faithful, faithful, ci_prob=0.5)
    assert np.all(narrow["upper"] - narrow["lower"] < table["upper"] - table["lower"])
    # the density is least certain far from the data
    far = log_predictive_density(bayes_faithful, [[7.0, 130.0]])
    width = float(far["upper"].iloc[0] - far["lower"].iloc[0])
    assert width > (table["upper"] - table["lower"]).max()


def test_bayes_and_em_scores_agree(bayes_faithful, faithful):
    em = GaussianMixture(2, random_state=0).fit(faithful)
    points = np.r_[faithful.to_numpy(), [[1.0, 100.0], [6.0, 40.0]]]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
        bayes, plug_in = anomaly_scores(bayes_faithful, points), anomaly_scores(em, points)
    assert np.corrcoef(bayes, plug_in)[0, 1] > 0.99
    assert np.median(np.abs(bayes - plug_in)) < 0.1


# ---------------------------------------------------------------------- detector
def test_contamination_flags_that_share_of_training_points(data):
    detector = MixtureAnomalyDetector(GaussianMixture(3, random_state=0), contamination=0.05)
    labels = detector.fit_predict(data)
    assert set(np.unique(labels)) == {-1, 1}
    assert labels.dtype == np.intp
    assert abs(np.mean(labels == -1) - 0.05) <= 1 / len(data)
    decision = detector.decision_function(data)
    np.testing.assert_array_equal(labels == -1, decision < 0)
    np.testing.assert_allclose(decision, detector.score_samples(data) - detector.offset_)
    assert detector.threshold_ == -detector.offset_
    outliers = anomaly_scores(detector.model_, data) > detector.threshold_
    np.testing.assert_array_equal(outliers, labels == -1)


def test_far_points_are_outliers(em, data):
    detector = MixtureAnomalyDetector(em, contamination=0.01).fit(data)
    assert detector.predict(FAR).tolist() == [-1, -1, -1]
    assert detector.predict(em.means_).tolist() == [1, 1, 1]


def test_threshold_quantile_matches_contamination(em, data):
    by_rate = MixtureAnomalyDetector(em, contamination=0.05).fit(data)
    by_quantile = MixtureAnomalyDetector(em, threshold_quantile=0.95).fit(data)
    assert by_quantile.contamination_ == pytest.approx(0.05)
    assert by_quantile.offset_ == pytest.approx(by_rate.offset_)
    default = MixtureAnomalyDetector(em).fit(data)
    assert default.contamination_ == DEFAULT_CONTAMINATION
    assert default.contamination is None  # user parameter untouched


def test_unfitted_model_is_fitted_on_a_copy(data):
    model = GaussianMixture(3, random_state=0)
    detector = MixtureAnomalyDetector(model).fit(data)
    assert not hasattr(model, "means_")
    assert detector.model_ is not model
    assert detector.n_features_in_ == 2
    again = MixtureAnomalyDetector(GaussianMixture(3, random_state=0)).fit(data)
    assert again.offset_ == detector.offset_  # seeded: reproducible


def test_prefitted_model_is_used_as_is(em, data):
    detector = MixtureAnomalyDetector(em).fit(data[:100])
    assert detector.model_ is em
    np.testing.assert_allclose(detector.score_samples(data), em.score_samples(data))


def test_bayes_detector(bayes_faithful, faithful):
    detector = MixtureAnomalyDetector(bayes_faithful, contamination=0.05).fit(faithful)
    labels = detector.predict(faithful)
    assert abs(np.mean(labels == -1) - 0.05) <= 1 / len(faithful)
    em = MixtureAnomalyDetector(GaussianMixture(2, random_state=0), contamination=0.05)
    agree = np.mean(em.fit_predict(faithful) == labels)
    assert agree > 0.97


def test_works_with_sklearn_models_and_clone(data):
    detector = MixtureAnomalyDetector(SklearnGaussianMixture(3, random_state=0), contamination=0.1)
    labels = detector.fit_predict(data)
    assert abs(np.mean(labels == -1) - 0.1) <= 1 / len(data)
    copy = clone(detector)
    assert copy.contamination == 0.1
    assert not hasattr(copy, "offset_")


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"contamination": 0.0}, r"contamination must be None or a number in \(0, 0.5\]; got 0.0"),
        ({"contamination": 0.6}, r"contamination must be .*; got 0.6"),
        ({"contamination": "1%"}, r"contamination must be .*; got '1%'"),
        ({"contamination": True}, r"contamination must be .*; got True"),
        (
            {"threshold_quantile": 1.0},
            r"threshold_quantile must be None or a number in \[0.5, 1\); got 1.0",
        ),
        ({"threshold_quantile": 0.4}, r"threshold_quantile must be .*; got 0.4"),
        (
            {"contamination": 0.01, "threshold_quantile": 0.99},
            r"not both; got contamination=0.01 and threshold_quantile=0.99",
        ),
    ],
)
def test_detector_parameter_errors(em, data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        MixtureAnomalyDetector(em, **kwargs).fit(data)


def test_other_errors(em, data):
    with pytest.raises(TypeError, match=r"model must be .* score_samples\); got object"):
        MixtureAnomalyDetector(object()).fit(data)
    with pytest.raises(TypeError, match=r"score_samples\); got str"):
        anomaly_scores("gmm", data)
    with pytest.raises(NotFittedError, match="MixtureAnomalyDetector instance is not fitted"):
        MixtureAnomalyDetector(em).predict(data)
    with pytest.raises(ValueError, match=r"ci_prob must be a number in \(0, 1\); got 0"):
        log_predictive_density(em, data, ci_prob=0)
    with pytest.raises(ValueError, match="X has 1 features"):
        MixtureAnomalyDetector(em).fit(data).predict([[0.0]])
