"""Bayesian class probabilities: per-draw Bayes' rule over the classes' posteriors."""

from __future__ import annotations

import numpy as np
import pytest

from bayesgmm import MixtureClassifier, SamplingWarning, class_posterior

pytestmark = pytest.mark.filterwarnings(f"ignore::{SamplingWarning.__module__}.SamplingWarning")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(2.5, 1, (40, 2))]
    y = np.repeat(["a", "b"], [60, 40])
    clf = MixtureClassifier("EDDA", "VVV").fit(X, y)
    return clf, class_posterior(clf, X, y, draws=250, tune=250, chains=2), X, y


def test_each_draw_is_bayes_rule_on_that_draws_class_densities(fitted):
    _, post, _, _ = fitted
    rows = np.array([[1.25, 1.25], [-2.0, -2.0], [3.5, 3.0]])
    draws = post.predict_proba_draws(rows)
    # 2 chains x 250 draws, or more where a chain was extended for its ESS
    assert draws.shape[1:] == (3, 2)
    assert draws.shape[0] >= 500
    log_a = post.posteriors["a"].log_density_draws(rows)
    log_b = post.posteriors["b"].log_density_draws(rows)
    pi = post.prior_draws[: len(draws)]
    expected_a = 1 / (1 + np.exp(np.log(pi[:, 1:]) + log_b - np.log(pi[:, :1]) - log_a))
    np.testing.assert_allclose(draws[..., 0], expected_a, rtol=1e-10)
    # the class shares' posterior is Dirichlet(1 + 60, 1 + 40)
    assert pi[:, 0].mean() == pytest.approx(61 / 102, abs=0.01)


def test_the_boundary_row_is_uncertain_and_the_far_rows_are_not(fitted):
    clf, post, _, _ = fitted
    rows = np.array([[1.25, 1.25], [-2.0, -2.0], [3.5, 3.0]])
    summary = post.class_probabilities(rows, credible=0.9)
    assert summary.uncertain.tolist() == [True, False, False]
    assert summary.predicted.tolist()[1:] == ["a", "b"]
    # far from the boundary the posterior mean agrees with the EM plug-in probability
    np.testing.assert_allclose(summary.mean[1:], clf.predict_proba(rows)[1:], atol=0.01)
    lower, upper = summary.lower, summary.upper
    assert np.all(lower <= upper)
    assert upper[0, 0] - lower[0, 0] > 0.1  # the boundary row's interval is wide
    table = summary.table()
    assert list(table.columns) == [
        "predicted", "probability", "lower 90%", "upper 90%", "uncertain",
    ]  # fmt: skip


def test_wrong_training_labels_are_an_error(fitted):
    clf, _, X, y = fitted
    with pytest.raises(ValueError, match="not the classifier's"):
        class_posterior(clf, X, np.where(y == "a", "a", "c"), draws=10, tune=10)
