"""MixtureClassifier: EDDA's estimates are the labelled M-step, MclustDA's class
densities are select_model's choices, probabilities are Bayes' rule, semi-supervised
fits keep their labels, and bad input gets errors naming what is wrong."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from bayesgmm import (
    GaussianMixture,
    MixtureClassifier,
    NotFittedError,
    cross_validate_classifier,
    select_model,
)
from bayesgmm.classification import balanced_folds


def _two_classes(seed=0, n=(60, 40), shift=1.0):
    rng = np.random.default_rng(seed)
    a = rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 0.5]], n[0])
    b = rng.multivariate_normal(
        [2 * shift, shift, 0], [[2, -0.3, 0], [-0.3, 0.5, 0], [0, 0, 1]], n[1]
    )
    return np.r_[a, b], np.repeat(np.array(["a", "b"]), n)


def test_edda_full_is_each_class_mean_and_covariance():
    X, y = _two_classes()
    clf = MixtureClassifier("EDDA", "VVV", reg_covar=0.0).fit(X, y)
    for label in ("a", "b"):
        rows = X[y == label]
        gm = clf.class_models_[label]
        np.testing.assert_allclose(gm.means_[0], rows.mean(axis=0), atol=1e-12)
        np.testing.assert_allclose(gm.covariances_[0], np.cov(rows.T, bias=True), atol=1e-10)
    np.testing.assert_allclose(clf.class_prior_, [0.6, 0.4])


def test_edda_shared_covariance_is_the_pooled_within_class_covariance():
    X, y = _two_classes()
    clf = MixtureClassifier("EDDA", "EEE", reg_covar=0.0).fit(X, y)
    pooled = sum(np.cov(X[y == c].T, bias=True) * (y == c).sum() for c in "ab") / len(X)
    for label in ("a", "b"):
        full = clf.class_models_[label].covariances_
        np.testing.assert_allclose(full.reshape(3, 3), pooled, atol=1e-10)
    assert clf.covariance_types_ == {"a": "EEE", "b": "EEE"}


def test_predict_proba_is_bayes_rule_on_the_class_densities():
    X, y = _two_classes()
    clf = MixtureClassifier("EDDA", "VVV", priors={"a": 0.2, "b": 0.8}).fit(X, y)
    grid = np.random.default_rng(1).normal(size=(25, 3))
    log_joint = np.column_stack(
        [
            np.log(p)
            + multivariate_normal(
                clf.class_models_[c].means_[0], clf.class_models_[c].covariances_[0]
            ).logpdf(grid)
            for c, p in (("a", 0.2), ("b", 0.8))
        ]
    )
    expected = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(grid), expected, rtol=1e-10)
    assert clf.predict(grid).tolist() == np.array(["a", "b"])[expected.argmax(1)].tolist()
    np.testing.assert_allclose(clf.class_prior_, [0.2, 0.8])


def test_edda_choice_is_the_best_of_mclusts_bic_and_counts_the_models():
    X, y = _two_classes()
    clf = MixtureClassifier("EDDA", ["VVV", "EEE", "VII"]).fit(X, y)
    assert set(clf.bic_.index) == {"VVV", "EEE", "VII"}
    assert clf.covariance_types_["a"] == clf.bic_.idxmin()
    # mclust's EDDA BIC: mixture log-likelihood, proportions not counted as parameters
    joint = GaussianMixture(2, covariance_type="VVV", reg_covar=0.0)
    joint.fit(X, labels=(y == "b").astype(int))
    n_parameters = 2 * 3 + 2 * 6
    expected = -2 * joint.score_samples(X).sum() + n_parameters * np.log(len(X))
    assert clf.bic_["VVV"] == pytest.approx(expected, rel=1e-9)


def test_mclustda_class_densities_are_select_models_choices():
    X, y = _two_classes(n=(80, 80))
    clf = MixtureClassifier("MclustDA", ["VVV", "VII", "EEI"], range(1, 4)).fit(X, y)
    for label in ("a", "b"):
        best = select_model(X[y == label], range(1, 4), ["VVV", "VII", "EEI"]).best_estimator_
        gm = clf.class_models_[label]
        assert (gm.n_components, gm.covariance_type) == (best.n_components, best.covariance_type)
        np.testing.assert_allclose(gm.means_, best.means_)
    assert clf.n_components_ == {c: clf.class_models_[c].n_components for c in "ab"}


def test_mixture_class_is_found_where_one_gaussian_fails():
    # class "b" is two blobs on either side of class "a": EDDA cannot separate them
    rng = np.random.default_rng(3)
    a = rng.normal(0, 0.5, (100, 2))
    b = np.r_[rng.normal(-3, 0.5, (100, 2)), rng.normal(3, 0.5, (100, 2))]
    X, y = np.r_[a, b], np.repeat([0, 1], [100, 200])
    mclustda = MixtureClassifier("MclustDA").fit(X, y)
    edda = MixtureClassifier("EDDA").fit(X, y)
    assert mclustda.n_components_[1] == 2
    assert mclustda.score(X, y) > 0.99 > edda.score(X, y) + 0.02


def test_partial_labels_stay_and_em_never_decreases():
    X, y = _two_classes(n=(150, 150))
    labels = np.full(len(X), -1)
    labels[:5], labels[150:155] = 0, 1
    gm = GaussianMixture(2, tol=1e-8, max_iter=500).fit(X, labels=labels)
    assert np.all(np.diff(gm.lower_bounds_) > -1e-10)
    # the labelled rows' terms are log(pi_y p(x | y)): the fit's own bound
    log_joint = np.column_stack(
        [
            np.log(gm.weights_[k]) + multivariate_normal(gm.means_[k], gm.covariances_[k]).logpdf(X)
            for k in range(2)
        ]
    )
    known = labels >= 0
    total = log_joint[known, labels[known]].sum() + logsumexp(log_joint[~known], axis=1).sum()
    assert gm.lower_bound_ == pytest.approx(total / len(X), rel=1e-6)
    supervised = GaussianMixture(2).fit(X, labels=(y == "b").astype(int))
    bayes_rate = (supervised.predict(X) == (y == "b")).mean()
    assert (gm.predict(X) == (y == "b")).mean() > bayes_rate - 0.03


def test_semi_supervised_classifier_uses_the_unlabelled_rows():
    X, y = _two_classes(seed=5, n=(200, 200), shift=2.0)
    partial = y.astype(object)
    partial[np.r_[15:200, 215:400]] = -1
    labelled_only = MixtureClassifier("EDDA", "VVV").fit(X[partial != -1], y[partial != -1])
    semi = MixtureClassifier("EDDA", "VVV", unlabelled=-1).fit(X, partial)
    assert semi.classes_.tolist() == ["a", "b"]
    complete = MixtureClassifier("EDDA", "VVV").fit(X, y)
    assert semi.score(X, y) > labelled_only.score(X, y)
    assert semi.score(X, y) > complete.score(X, y) - 0.02


def test_missing_cells_are_integrated_out_in_fit_and_predict():
    X, y = _two_classes(seed=2, n=(150, 150))
    holey = X.copy()
    holey[np.random.default_rng(0).random(len(X)) < 0.2, 0] = np.nan
    clf = MixtureClassifier("EDDA", "VVV", missing="marginalize").fit(holey, y)
    complete = MixtureClassifier("EDDA", "VVV").fit(X, y)
    assert abs(clf.score(holey, y) - complete.score(X, y)) < 0.05
    # a row with its first cell missing is classified by the other two's marginal
    row = holey[np.isnan(holey[:, 0])][:1]
    marginal = [
        multivariate_normal(gm.means_[0][1:], gm.covariances_[0][1:, 1:]).logpdf(row[0, 1:])
        for gm in (clf.class_models_["a"], clf.class_models_["b"])
    ]
    joint = np.log(clf.class_prior_) + np.array(marginal)
    np.testing.assert_allclose(clf.predict_proba(row)[0], np.exp(joint - logsumexp(joint)))
    with pytest.raises(ValueError, match="missing='marginalize'"):
        complete.predict(row)


def test_cross_validation_keeps_the_chosen_models_and_reports_brier():
    X, y = _two_classes(n=(60, 60))
    clf = MixtureClassifier("EDDA").fit(X, y)
    cv = cross_validate_classifier(clf, X, y, n_folds=5)
    wrong = 0
    for fold in cv.folds:
        train = np.setdiff1d(np.arange(len(X)), fold)
        model = MixtureClassifier(
            "EDDA",
            clf.covariance_types_["a"],
            priors=dict(zip("ab", clf.class_prior_, strict=True)),
        ).fit(X[train], y[train])
        np.testing.assert_allclose(cv.probabilities[fold], model.predict_proba(X[fold]))
        wrong += (model.predict(X[fold]) != y[fold]).sum()
    assert cv.error == pytest.approx(wrong / len(X))
    onehot = np.c_[y == "a", y == "b"].astype(float)
    assert cv.brier == pytest.approx(((onehot - cv.probabilities) ** 2).sum() / (2 * len(X)))
    assert cv.se_error >= 0
    assert cv.se_brier >= 0


def test_balanced_folds_are_stratified_and_seeded():
    y = np.repeat([0, 1, 2], [30, 20, 10])
    folds = balanced_folds(y, 10, random_state=3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(60))
    for fold in folds:
        assert np.bincount(y[fold], minlength=3).tolist() == [3, 2, 1]
    again = balanced_folds(y, 10, random_state=3)
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))


# ----------------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def data():
    return _two_classes()


def test_one_class_is_an_error(data):
    X, _ = data
    with pytest.raises(ValueError, match=r"at least two classes.*one class \('a'\)"):
        MixtureClassifier("EDDA").fit(X, ["a"] * len(X))


def test_minus_one_as_a_class_needs_unlabelled_none(data):
    X, _ = data
    y = np.where(np.arange(len(X)) < 50, -1, 1)
    with pytest.raises(ValueError, match="unlabelled=None"):
        MixtureClassifier("EDDA", unlabelled=-1).fit(X, y)
    assert MixtureClassifier("EDDA").fit(X, y).classes_.tolist() == [-1, 1]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda y: y[:-1], "y has 99 labels but X has 100 rows"),
        (lambda y: np.where(np.arange(100) == 7, None, y), r"missing labels .* rows \[7\]"),
        (lambda y: np.linspace(0, 1, 100), "Unknown label type: continuous"),
        (lambda y: np.c_[y, y], "one class label per row"),
    ],
)
def test_bad_labels_are_named(data, labels, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        MixtureClassifier("EDDA").fit(X, labels(y.astype(object)))


def test_a_class_too_small_for_the_model_is_named_with_one_that_fits(data):
    X, y = data
    y = y.astype(object)
    y[:3] = "tiny"
    message = r"VVV needs at least 4 labelled rows.*'tiny' \(3 rows\).*'EEE'"
    with pytest.raises(ValueError, match=message):
        MixtureClassifier("EDDA", "VVV").fit(X, y)
    fitted = MixtureClassifier("EDDA", ["VVV", "EEE"]).fit(X, y)
    assert fitted.covariance_types_["tiny"] == "EEE"
    assert "'tiny'" in fitted.skipped_["VVV"]


def test_unknown_labels_at_score_are_named(data):
    X, y = data
    clf = MixtureClassifier("EDDA", "EEE").fit(X, y)
    with pytest.raises(ValueError, match=r"labels \['c'\] .* not among the classes"):
        clf.score(X[:3], ["a", "b", "c"])


def test_settings_are_checked(data):
    X, y = data
    with pytest.raises(ValueError, match="model_type must be one of"):
        MixtureClassifier("QDA").fit(X, y)
    with pytest.raises(ValueError, match="EDDA has one Gaussian per class"):
        MixtureClassifier("EDDA", n_components=3).fit(X, y)
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        MixtureClassifier("EDDA", "XYZ").fit(X, y)
    with pytest.raises(ValueError, match="need model_type='EDDA'"):
        MixtureClassifier("MclustDA", unlabelled="u").fit(X, np.r_[y[:-5], ["u"] * 5])
    with pytest.raises(ValueError, match="priors must have one probability per class"):
        MixtureClassifier("EDDA", priors=[1.0]).fit(X, y)
    with pytest.raises(NotFittedError):
        MixtureClassifier().predict(X)


def test_partial_label_errors_name_rows_and_components():
    X, _ = _two_classes()
    with pytest.raises(ValueError, match="labels name no row of component 1"):
        GaussianMixture(2).fit(X, labels=np.r_[0, np.full(99, -1)])
    with pytest.raises(ValueError, match=r"rows \[3\] \(1 row\) have \[2\]"):
        GaussianMixture(2).fit(X, labels=np.r_[0, 1, -1, 2, np.full(96, -1)])
    with pytest.raises(ValueError, match="not available with noise"):
        GaussianMixture(2, noise=True).fit(X, labels=np.r_[0, 1, np.full(98, -1)])


def test_class_too_small_for_every_mclustda_model_falls_back_with_a_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(43, 6))
    y = np.r_[np.zeros(40, int), np.ones(3, int)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = MixtureClassifier("MclustDA", ["VVV", "EEE"]).fit(X, y)
    assert any("class 1 has 3 rows" in str(w.message) for w in caught)
    assert clf.covariance_types_[1] == "XII"


def test_mclustda_with_missing_cells_marginalises_in_every_class():
    X, y = _two_classes(seed=4, n=(120, 120), shift=2.0)
    holey = X.copy()
    holey[np.random.default_rng(1).random(len(X)) < 0.25, 1] = np.nan
    clf = MixtureClassifier("MclustDA", ["VVV", "VII"], range(1, 3), missing="marginalize")
    clf.fit(holey, y)
    for label in ("a", "b"):
        assert clf.class_models_[label].missing == "marginalize"
    complete = MixtureClassifier("MclustDA", ["VVV", "VII"], range(1, 3)).fit(X, y)
    assert clf.score(holey, y) > complete.score(X, y) - 0.05
