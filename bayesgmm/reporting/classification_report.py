"""The HTML report of a mixture classifier: class models, errors, uncertain rows.

:func:`build_classification_report` reports a fitted
:class:`~bayesgmm.MixtureClassifier` on some rows (its training rows or new ones):
the models chosen per class and their BIC, the error, Brier score and confusion
matrix when the true classes are known, the cross-validated error, the rows whose
class the posterior leaves uncertain (from
:meth:`bayesgmm.classification.ClassPosterior.class_probabilities`) and figures of the
classes and of the credible intervals. It shares :class:`~bayesgmm.reporting.html.Report`
with :func:`bayesgmm.report`: the same page, saved atomically, shown in Jupyter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bayesgmm.classification.classifier import MixtureClassifier
from bayesgmm.classification.cross_validation import CrossValidation, brier_score
from bayesgmm.classification.targets import codes_of
from bayesgmm.core.validation import check_fitted_features, validate_data
from bayesgmm.reporting.html import (
    Report,
    Section,
    data_section,
    fixed,
    html_figure,
    html_table,
    integer,
    new_figure,
    paragraph,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bayesgmm.classification.class_probabilities import ClassProbabilities

__all__ = ["build_classification_report", "classification_report"]

#: uncertain rows listed in the table (the least certain first)
MAX_UNCERTAIN_ROWS = 50


def _models_section(classifier: MixtureClassifier) -> Section:
    rows = []
    for k, label in enumerate(classifier.classes_.tolist()):
        row: dict[str, Any] = {
            "class": str(label),
            "prior": float(classifier.class_prior_[k]),
            "model": classifier.covariance_types_[label],
            "components": classifier.n_components_[label],
        }
        if isinstance(classifier.bic_, dict):  # MclustDA: a selection per class
            best = classifier.bic_[label].candidates(1).iloc[0]
            row["BIC"] = float(best[classifier.bic_[label].criterion])
        rows.append(row)
    table = pd.DataFrame(rows).set_index("class")
    parts = [
        paragraph(
            f"{classifier.model_type}: "
            + (
                "one Gaussian per class, every class under one covariance model chosen "
                "by BIC across the candidates."
                if classifier.model_type == "EDDA"
                else "a Gaussian mixture per class, its number of components and "
                "covariance model chosen by BIC on that class's rows."
            )
        ),
        html_table(
            table,
            caption="Class models",
            formats={"prior": fixed(3), "components": integer},
            text_columns=["model"],
        ),
    ]
    if isinstance(classifier.bic_, pd.Series):  # EDDA: BIC per candidate model
        bic = classifier.bic_.dropna().sort_values().to_frame("BIC")
        bic.index.name = "model"
        best = bic.index[0]
        parts.append(
            html_table(
                bic,
                caption="BIC of the candidate models (lowest is best)",
                cell_class=lambda row, column, value: "best" if row == best else None,
            )
        )
    what = "model" if classifier.model_type == "EDDA" else "class"
    for label, note in classifier.skipped_.items():  # models skipped, notes per class
        parts.append(paragraph(f"{what} {label}: {note}", "note"))
    return Section("classes", "Class models", "\n".join(parts))


def _performance_section(
    classifier: MixtureClassifier, codes: np.ndarray, proba: np.ndarray
) -> Section:
    classes = classifier.classes_
    predicted = proba.argmax(axis=1)
    error = float(np.mean(predicted != codes))
    confusion = pd.crosstab(
        pd.Categorical(classes[codes], categories=classes),
        pd.Categorical(classes[predicted], categories=classes),
        dropna=False,
    )
    confusion.index = [f"true {label}" for label in classes.tolist()]
    confusion.columns = [f"predicted {label}" for label in classes.tolist()]
    confusion.index.name = "class"
    formats = dict.fromkeys(confusion.columns, integer)
    body = paragraph(
        f"On these {len(codes)} rows: error {error:.4f} ({int((predicted != codes).sum())} "
        f"misclassified), Brier score {brier_score(codes, proba):.4f} (mclust's: "
        "0 for certain, correct predictions)."
    ) + html_table(confusion, caption="Confusion matrix", formats=formats)
    return Section("performance", "Error on these rows", body)


def _cross_validation_section(result: CrossValidation) -> Section:
    folds = pd.DataFrame(
        {
            "rows": [len(fold) for fold in result.folds],
            "error": result.fold_errors,
            "Brier score": result.fold_briers,
        },
        index=pd.RangeIndex(1, len(result.folds) + 1, name="fold"),
    )
    body = paragraph(
        f"{len(result.folds)}-fold cross-validation (the chosen models refitted on each "
        f"training part): error {result.error:.4f} (se {result.se_error:.4f}), Brier "
        f"score {result.brier:.4f} (se {result.se_brier:.4f})."
    ) + html_table(
        folds,
        caption="Per fold",
        formats={"rows": integer, "error": fixed(4), "Brier score": fixed(4)},
    )
    return Section("cross-validation", "Cross-validation", body)


def _uncertainty_section(
    probabilities: ClassProbabilities, truth: np.ndarray | None, index: pd.Index
) -> Section:
    from bayesgmm.plots.classes import plot_class_probabilities

    table = probabilities.table()
    table.index = index
    if truth is not None:
        table.insert(0, "true class", truth)
    uncertain = table[table["uncertain"]].drop(columns="uncertain")
    lower = next(column for column in table.columns if str(column).startswith("lower"))
    uncertain = uncertain.sort_values(lower)
    level = f"{probabilities.credible:.0%}"
    n_uncertain, n_rows = len(uncertain), len(table)
    parts = [
        paragraph(
            f"Each row's class probabilities have a posterior: every draw of the class "
            f"densities and class shares gives them by Bayes' rule. {n_uncertain} of "
            f"{n_rows} rows are uncertain: the {level} credible interval of their most "
            "probable class reaches below 1/2."
        )
    ]
    if n_uncertain:
        shown = uncertain.head(MAX_UNCERTAIN_ROWS)
        caption = "Uncertain rows, least certain first" + (
            f" (the first {MAX_UNCERTAIN_ROWS})" if n_uncertain > MAX_UNCERTAIN_ROWS else ""
        )
        formats = {column: fixed(3) for column in shown.columns if column != "predicted"}
        formats.pop("true class", None)
        parts.append(
            html_table(shown, caption=caption, formats=formats, text_columns=["predicted"])
        )
    figure = new_figure(7.5, 3.2)
    plot_class_probabilities(probabilities, ax=figure.subplots())
    parts.append(
        html_figure(
            figure,
            "Posterior class probabilities with credible intervals",
            f"Each row's posterior probability of its predicted class with its {level} "
            "credible interval, sorted; uncertain rows in red.",
        )
    )
    return Section("uncertainty", "Uncertain rows", "\n".join(parts), n_figures=1)


def _figures_section(
    classifier: MixtureClassifier,
    X: ArrayLike,
    truth: np.ndarray | None,
    probabilities: ClassProbabilities | None,
) -> Section:
    from bayesgmm.plots.classes import plot_classes

    figure = new_figure(7.5, 5.0)
    plot_classes(classifier, X, truth, probabilities=probabilities, ax=figure.subplots())
    marks = []
    if truth is not None:
        marks.append("crosses are misclassified rows")
    if probabilities is not None:
        marks.append("red rings are uncertain rows")
    caption = (
        "The rows on the two directions that best separate the classes (MclustDR's, "
        "from each class density's mean and covariance), coloured by predicted class"
        + (f"; {' and '.join(marks)}" if marks else "")
        + "."
    )
    body = html_figure(figure, "Classes on discriminant directions", caption)
    return Section("figures", "Figures", body, n_figures=1)


def build_classification_report(
    classifier: MixtureClassifier,
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    cross_validation: CrossValidation | None = None,
    probabilities: ClassProbabilities | None = None,
    title: str = "bayesgmm classification report",
) -> Report:
    """Build a self-contained HTML report of a fitted mixture classifier on some rows.

    Sections appear only when their input is given:

    * **Data** (always): size, feature names and summary statistics of ``X``.
    * **Class models** (always): each class's prior, covariance model, number of
      components and BIC; for EDDA the BIC of every candidate model.
    * **Error on these rows** (``y``): error, Brier score and confusion matrix.
    * **Cross-validation** (``cross_validation``): error and Brier score with their
      standard errors, and each fold's.
    * **Uncertain rows** (``probabilities``): the rows whose predicted class's
      credible interval reaches below 1/2, least certain first, with the true class
      when ``y`` is given, and the figure of every row's interval.
    * **Figures** (two or more features): the rows on the directions that best
      separate the classes, misclassified and uncertain rows marked.

    Parameters
    ----------
    classifier : MixtureClassifier
        A fitted classifier.
    X : array-like of shape (n_samples, n_features)
        The rows reported: the training rows or new ones.
    y : array-like of shape (n_samples,), default=None
        Their true classes (all among the classifier's classes).
    cross_validation : CrossValidation, default=None
        Result of :func:`bayesgmm.classification.cross_validate_classifier`.
    probabilities : ClassProbabilities, default=None
        Bayesian class probabilities of the rows of ``X``, from
        :meth:`bayesgmm.classification.ClassPosterior.class_probabilities`.
    title : str, default="bayesgmm classification report"
        Title of the page.

    Returns
    -------
    Report
        ``.html``, ``.save(path)``, ``.sections``; shows as HTML in Jupyter.

    Raises
    ------
    TypeError
        If ``classifier``, ``cross_validation`` or ``probabilities`` is not of the
        expected type, or the classifier is not fitted.
    ValueError
        If ``X`` does not match the classifier's features, ``y`` or
        ``probabilities`` do not have one entry per row of ``X``, or ``y`` holds a
        class the classifier does not know.

    See Also
    --------
    bayesgmm.report : the report of a clustering analysis.

    Examples
    --------
    >>> from bayesgmm import MixtureClassifier, load_iris
    >>> from bayesgmm.classification import cross_validate_classifier
    >>> iris = load_iris()
    >>> X, y = iris.drop(columns="species"), iris.species
    >>> clf = MixtureClassifier("EDDA").fit(X, y)
    >>> cv = cross_validate_classifier(clf, X, y, n_folds=5)
    >>> page = build_classification_report(clf, X, y, cross_validation=cv)
    >>> [section.id for section in page.sections]
    ['data', 'classes', 'performance', 'cross-validation', 'figures']

    With Bayesian class probabilities, the uncertain rows are listed and drawn:

    >>> from bayesgmm import class_posterior
    >>> posterior = class_posterior(clf, X, y)  # doctest: +SKIP
    >>> probabilities = posterior.class_probabilities(X)  # doctest: +SKIP
    >>> build_classification_report(clf, X, y, probabilities=probabilities).save(
    ...     "classification.html"
    ... )  # doctest: +SKIP
    """
    from bayesgmm.plots.classes import check_classifier, check_probabilities

    classifier = check_classifier(classifier, "build_classification_report")
    if cross_validation is not None and not isinstance(cross_validation, CrossValidation):
        raise TypeError(
            "cross_validation must be the CrossValidation returned by "
            f"cross_validate_classifier; got {type(cross_validation).__name__}."
        )
    data = validate_data(X, allow_nan=classifier.missing == "marginalize")
    check_fitted_features(classifier, data.shape[1], data.feature_names)
    n_samples = data.n_samples
    labels = (
        [str(name) for name in data.feature_names]
        if data.feature_names is not None
        else [f"feature {j}" for j in range(data.shape[1])]
    )
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(n_samples)
    frame = pd.DataFrame(data.array, columns=labels, index=index)
    sections = [data_section(frame), _models_section(classifier)]
    truth = None
    if y is not None:
        truth = np.asarray(y)
        if truth.shape != (n_samples,):
            raise ValueError(
                f"y must have one class per row of X ({n_samples}); got shape {truth.shape}."
            )
        codes = codes_of(truth, classifier.classes_, n_samples)
        proba = np.asarray(classifier.predict_proba(X))
        sections.append(_performance_section(classifier, codes, proba))
    if cross_validation is not None:
        sections.append(_cross_validation_section(cross_validation))
    if probabilities is not None:
        probabilities = check_probabilities(probabilities, n_samples, "build_classification_report")
        sections.append(_uncertainty_section(probabilities, truth, index))
    if data.shape[1] >= 2:
        sections.append(_figures_section(classifier, X, truth, probabilities))
    return Report(str(title), sections)


#: ``bayesgmm.classification_report(classifier, X, y, ...)``: the same function
classification_report = build_classification_report
