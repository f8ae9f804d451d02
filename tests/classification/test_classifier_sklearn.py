"""MixtureClassifier as a scikit-learn classifier: the common checks, and its use in
``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` (scikit-learn is a test
dependency only; the classifier never imports it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from bayesgmm import (  # noqa: E402
    ComponentCollapseWarning,
    ConvergenceWarning,
    MixtureClassifier,
    RangeEdgeWarning,
    load_iris,
)

ESTIMATORS = [
    MixtureClassifier("EDDA"),
    MixtureClassifier("MclustDA", ["VVV", "EEE", "VII"], range(1, 3)),
    MixtureClassifier("EDDA", missing="marginalize"),
]


def _checks(estimators):
    # the classifier does not inherit from sklearn.base.BaseEstimator, by design
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Estimator MixtureClassifier does not inherit")
        return parametrize_with_checks(estimators)


@_checks(ESTIMATORS)
def test_sklearn_checks(estimator, check):
    with warnings.catch_warnings():
        for category in (ComponentCollapseWarning, ConvergenceWarning, RangeEdgeWarning):
            warnings.simplefilter("ignore", category)
        # the checks' classes of 3 rows in 30 features fit no model of MclustDA's grid
        warnings.filterwarnings("ignore", "MixtureClassifier: class .* too few for any model")
        check(estimator)


def test_tags_say_classifier():
    tags = get_tags(MixtureClassifier())
    assert tags.estimator_type == "classifier"
    assert tags.target_tags.required
    assert not tags.input_tags.allow_nan
    assert get_tags(MixtureClassifier(missing="marginalize")).input_tags.allow_nan


@pytest.fixture(scope="module")
def iris():
    data = load_iris()
    return data.drop(columns="species").to_numpy(), data["species"].to_numpy()


def test_cross_val_score_matches_a_loop_over_the_same_folds(iris):
    X, y = iris
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(MixtureClassifier("EDDA"), X, y, cv=folds)
    by_hand = [
        MixtureClassifier("EDDA").fit(X[train], y[train]).score(X[test], y[test])
        for train, test in folds.split(X, y)
    ]
    np.testing.assert_allclose(scores, by_hand)
    assert scores.mean() > 0.95


def test_grid_search_and_pipeline(iris):
    X, y = iris
    pipeline = make_pipeline(StandardScaler(), MixtureClassifier("EDDA"))
    search = GridSearchCV(
        pipeline, {"mixtureclassifier__covariance_type": ["EEE", "VVV", "VII"]}, cv=3
    ).fit(X, y)
    assert search.best_params_["mixtureclassifier__covariance_type"] in {"EEE", "VVV", "VII"}
    assert search.best_score_ > 0.9
    assert search.predict(X[:3]).tolist() == ["setosa"] * 3
