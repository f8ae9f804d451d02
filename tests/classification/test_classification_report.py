"""The classification report and its plots: sections from their inputs, numbers that
agree with the classifier, uncertain rows listed, bad input named."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from bayesgmm import (
    ClassProbabilities,
    MixtureClassifier,
    build_classification_report,
    load_iris,
)
from bayesgmm.classification import brier_score, cross_validate_classifier
from bayesgmm.plots import plot_class_probabilities, plot_classes
from bayesgmm.plots.classes import class_directions

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def iris():
    frame = load_iris()
    return frame.drop(columns="species"), frame.species.to_numpy()


@pytest.fixture(scope="module")
def edda(iris):
    X, y = iris
    return MixtureClassifier("EDDA").fit(X, y)


def _probabilities(n_rows: int, uncertain_rows: list[int]) -> ClassProbabilities:
    """Draws for iris's 3 classes: certain rows put 0.95 on their class, the listed
    rows spread between two classes."""
    rng = np.random.default_rng(1)
    draws = np.zeros((200, n_rows, 3))
    draws[:, :, 0] = 0.95
    draws[:, :, 1:] = 0.025
    for row in uncertain_rows:
        p = rng.uniform(0.2, 0.8, 200)
        draws[:, row] = np.c_[np.zeros(200), p, 1 - p]
    return ClassProbabilities(np.array(["setosa", "versicolor", "virginica"]), draws)


def _table_rows(html: str, section: str) -> int:
    body = html.split(f'<section id="bgm-{section}">')[1].split("</section>")[0]
    return len(re.findall(r"<tr><th scope=\"row\">", body))


def test_sections_follow_the_inputs_given(iris, edda):
    X, y = iris
    assert [s.id for s in build_classification_report(edda, X).sections] == [
        "data",
        "classes",
        "figures",
    ]
    cv = cross_validate_classifier(edda, X, y, n_folds=5)
    page = build_classification_report(
        edda, X, y, cross_validation=cv, probabilities=_probabilities(len(X), [3])
    )
    assert [s.id for s in page.sections] == [
        "data",
        "classes",
        "performance",
        "cross-validation",
        "uncertainty",
        "figures",
    ]
    assert page.n_figures == 2 == page.html.count("data:image/png;base64,")
    assert f"error {cv.error:.4f} (se {cv.se_error:.4f})" in page.html


def test_error_brier_and_confusion_agree_with_the_classifier(iris, edda):
    X, y = iris
    page = build_classification_report(edda, X, y)
    error = 1 - edda.score(X, y)
    codes = np.searchsorted(edda.classes_, y)
    brier = brier_score(codes, edda.predict_proba(X))
    assert f"error {error:.4f} ({round(error * len(y))} misclassified)" in page.html
    assert f"Brier score {brier:.4f}" in page.html
    # the confusion matrix's diagonal: correct predictions per class
    predicted = edda.predict(X)
    body = page.html.split('<section id="bgm-performance">')[1].split("</section>")[0]
    for label in edda.classes_:
        row = re.search(rf"<th scope=\"row\">true {label}</th>(.*?)</tr>", body).group(1)
        counts = [int(v) for v in re.findall(r"<td[^>]*>(\d+)</td>", row)]
        truth = y == label
        expected = [int(np.sum(truth & (predicted == other))) for other in edda.classes_]
        assert counts == expected


def test_class_models_table_for_edda_and_mclustda(iris, edda):
    X, y = iris
    page = build_classification_report(edda, X)
    best = edda.bic_.idxmin()
    assert re.search(rf'<tr><th scope="row">{best}</th><td class="best">', page.html)
    assert edda.covariance_types_["setosa"] == best
    mclustda = MixtureClassifier("MclustDA", n_components=[1, 2]).fit(X, y)
    page = build_classification_report(mclustda, X)
    assert _table_rows(page.html, "classes") == 3
    for label in mclustda.classes_:
        assert mclustda.covariance_types_[label] in page.html


def test_uncertain_rows_are_listed_least_certain_first(iris, edda):
    X, y = iris
    probabilities = _probabilities(len(X), [5, 60, 120])
    assert probabilities.uncertain.sum() == 3
    page = build_classification_report(edda, X, y, probabilities=probabilities)
    assert "3 of 150 rows are uncertain" in page.html
    body = page.html.split('<section id="bgm-uncertainty">')[1].split("</section>")[0]
    listed = [int(v) for v in re.findall(r'<tr><th scope="row">(\d+)</th>', body)]
    lower = probabilities.table()["lower 90%"].to_numpy()
    assert listed == sorted([5, 60, 120], key=lambda row: lower[row])
    # the true class is shown beside the prediction
    assert f"<td>{y[5]}</td>" in body


def test_a_dataframe_index_labels_the_rows(iris, edda):
    X, _ = iris
    renamed = X.set_axis([f"flower {i}" for i in range(len(X))])
    page = build_classification_report(edda, renamed, probabilities=_probabilities(len(X), [7]))
    assert '<th scope="row">flower 7</th>' in page.html


def test_class_directions_separate_the_classes(edda):
    directions, means, covs = class_directions(edda)
    projected = means @ directions[:, 0]
    # the best direction puts setosa apart from the other two classes
    gaps = np.abs(projected[:, None] - projected[None, :])
    assert gaps[0, 1:].min() > gaps[1, 2]
    np.testing.assert_allclose(covs, np.swapaxes(covs, 1, 2))
    # each class's mean is the mean of its (one-component) density
    np.testing.assert_allclose(means[0], edda.class_models_["setosa"].means_[0])


def test_plots_mark_misclassified_and_uncertain_rows(iris, edda):
    import matplotlib.pyplot as plt

    X, y = iris
    ax = plot_classes(edda, X, y, probabilities=_probabilities(len(X), [5, 60]))
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:3] == ["setosa", "versicolor", "virginica"]
    assert "uncertain" in legend
    assert ("misclassified" in legend) == bool((edda.predict(X) != y).any())
    ax = plot_class_probabilities(_probabilities(len(X), [5]))
    assert ax.get_ylim() == (0.0, 1.02)
    plt.close("all")


def test_bad_input_is_named(iris, edda):
    X, y = iris
    with pytest.raises(TypeError, match="classifier must be a fitted"):
        build_classification_report(object(), X)
    with pytest.raises(TypeError, match="cross_validation must be"):
        build_classification_report(edda, X, cross_validation=0.1)
    with pytest.raises(TypeError, match="probabilities must be"):
        build_classification_report(edda, X, probabilities=np.ones((150, 3)))
    with pytest.raises(ValueError, match="y must have one class per row of X"):
        build_classification_report(edda, X, y[:-1])
    with pytest.raises(ValueError, match="probabilities describe 10 rows, but X has 150"):
        build_classification_report(edda, X, probabilities=_probabilities(10, []))
    with pytest.raises(ValueError, match="expecting 4 features"):
        build_classification_report(edda, X.iloc[:, :3])
    with pytest.raises(ValueError, match="daisy"):
        build_classification_report(edda, X, np.where(y == "setosa", "daisy", y))
    with pytest.raises(TypeError, match=r"takes a fitted bayesgmm\.MixtureClassifier"):
        plot_classes(pd.DataFrame(), X)
