"""Plots of a mixture classifier: its classes, and how sure each prediction is.

:func:`plot_classes` draws rows on the two directions that best separate the classes
of a fitted :class:`~bayesgmm.MixtureClassifier` (MclustDR's directions, computed
from each class density's mean and covariance), coloured by predicted class, with the
misclassified rows (when the true classes are given) and the uncertain rows (when
Bayesian class probabilities are given) marked. :func:`plot_class_probabilities`
draws each row's posterior probability of its predicted class with its credible
interval, sorted, uncertain rows in red.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.classification.classifier import MixtureClassifier
from bayesgmm.core.estimator_api import check_is_fitted
from bayesgmm.plots._common import (
    OUTSIDE_LEGEND,
    check_X,
    component_colors,
    feature_names,
    label_directions,
    new_axes,
    point_estimate,
)
from bayesgmm.uses.projection import discriminant_directions, mixture_moments

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from bayesgmm.classification.class_probabilities import ClassProbabilities

__all__ = [
    "check_classifier",
    "check_probabilities",
    "class_directions",
    "plot_class_probabilities",
    "plot_classes",
]

#: colour of uncertain rows and of a probability of 1/2
UNCERTAIN_COLOR = "tab:red"


def check_classifier(classifier: Any, func: str) -> MixtureClassifier:
    """``classifier`` if it is a fitted MixtureClassifier; TypeError naming ``func`` else.

    Examples
    --------
    >>> check_classifier(object(), "plot_classes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: plot_classes takes a fitted bayesgmm.MixtureClassifier ...
    """
    if not isinstance(classifier, MixtureClassifier):
        raise TypeError(
            f"{func} takes a fitted bayesgmm.MixtureClassifier (the classifier must be a "
            f"fitted one); got {type(classifier).__name__}."
        )
    check_is_fitted(classifier, "class_models_")
    return classifier


def check_probabilities(probabilities: Any, n_rows: int | None, func: str) -> ClassProbabilities:
    """``probabilities`` as ClassProbabilities of ``n_rows`` rows (any number if None).

    Examples
    --------
    >>> from bayesgmm import ClassProbabilities
    >>> summary = ClassProbabilities(np.array(["a", "b"]), np.full((3, 2, 2), 0.5))
    >>> check_probabilities(summary, 2, "plot_classes") is summary
    True
    """
    # imported here: the Bayesian class probabilities load PyMC
    from bayesgmm.classification.class_probabilities import ClassProbabilities

    if not isinstance(probabilities, ClassProbabilities):
        raise TypeError(
            f"{func}: probabilities must be the ClassProbabilities returned by "
            f"ClassPosterior.class_probabilities; got {type(probabilities).__name__}."
        )
    rows = probabilities.draws.shape[1]
    if n_rows is not None and rows != n_rows:
        raise ValueError(
            f"{func}: probabilities describe {rows} rows, but X has {n_rows}. Pass the "
            "class probabilities of the rows of X."
        )
    return probabilities


def class_directions(
    classifier: MixtureClassifier,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Directions that separate the classes, with each class's mean and covariance.

    Each class density (a mixture) is summarised by its mean and covariance (within-
    plus between-component), weighted by the class's prior probability, and passed to
    :func:`bayesgmm.uses.projection.discriminant_directions`.

    Parameters
    ----------
    classifier : MixtureClassifier
        A fitted classifier.

    Returns
    -------
    directions : ndarray of shape (n_features, n_features)
        Best direction first.
    means : ndarray of shape (n_classes, n_features)
    covariances : ndarray of shape (n_classes, n_features, n_features)

    Examples
    --------
    >>> from bayesgmm import MixtureClassifier, load_iris
    >>> iris = load_iris()
    >>> clf = MixtureClassifier("EDDA", "VEV").fit(iris.drop(columns="species"), iris.species)
    >>> directions, means, covs = class_directions(clf)
    >>> directions.shape, means.shape, covs.shape
    ((4, 4), (3, 4), (3, 4, 4))
    """
    moments = [
        mixture_moments(*point_estimate(classifier.class_models_[label]))
        for label in classifier.classes_.tolist()
    ]
    class_means = np.array([mean for mean, _, _ in moments])
    class_covs = np.array([total for _, total, _ in moments])
    prior = np.asarray(classifier.class_prior_, dtype=np.float64)
    directions, _ = discriminant_directions(prior, class_means, class_covs)
    return directions, class_means, class_covs


def plot_classes(
    classifier: MixtureClassifier,
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    probabilities: ClassProbabilities | None = None,
    size: float = 14.0,
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Rows on the two directions that best separate the classes, coloured by prediction.

    Parameters
    ----------
    classifier : MixtureClassifier
        A fitted classifier with at least two features.
    X : array-like of shape (n_samples, n_features)
        Rows to draw.
    y : array-like of shape (n_samples,), default=None
        Their true classes: misclassified rows are drawn as crosses.
    probabilities : ClassProbabilities, default=None
        Bayesian class probabilities of the rows of ``X``
        (:meth:`bayesgmm.classification.ClassPosterior.class_probabilities`): rows
        colour by the posterior's prediction, and uncertain rows are ringed in red.
    size : float, default=14.0
        Marker area.
    legend : bool, default=True
        A legend entry per class (and for the marks), beside the axes.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        Axis labels give each direction's largest loadings.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import MixtureClassifier, load_iris
    >>> iris = load_iris()
    >>> X, y = iris.drop(columns="species"), iris.species
    >>> clf = MixtureClassifier("EDDA", "VEV").fit(X, y)
    >>> ax = plot_classes(clf, X, y)
    >>> ax.get_xlabel().startswith("discriminant direction 1")
    True
    >>> plt.close("all")
    """
    from matplotlib.lines import Line2D

    classifier = check_classifier(classifier, "plot_classes")
    array, names = check_X(classifier, X)  # type: ignore[arg-type]
    if array.shape[1] < 2:
        raise ValueError("plot_classes needs at least two features; the classifier has one.")
    labels = feature_names(classifier, names)  # type: ignore[arg-type]
    classes = classifier.classes_
    if probabilities is not None:
        probabilities = check_probabilities(probabilities, len(array), "plot_classes")
        predicted = probabilities.predicted
    else:
        predicted = classifier.predict(X)
    truth = None if y is None else np.asarray(y)
    if truth is not None and truth.shape != (len(array),):
        raise ValueError(f"y must have one class per row of X ({len(array)}); got {truth.shape}.")
    directions, means, _ = class_directions(classifier)
    basis = directions[:, :2]
    center = np.asarray(classifier.class_prior_) @ means
    complete = ~np.isnan(array).any(axis=1)
    points = (np.where(complete[:, None], array, 0.0) - center) @ basis
    palette = component_colors(len(classes))
    index = {label: k for k, label in enumerate(classes.tolist())}
    colour_of = np.array([index[label] for label in np.asarray(predicted).tolist()])
    wrong = np.zeros(len(array), dtype=bool) if truth is None else truth != predicted
    ax = new_axes(ax)
    for k in range(len(classes)):
        for mask, marker in ((~wrong, "o"), (wrong, "x")):
            rows = complete & mask & (colour_of == k)
            x, y_ = points[rows, 0], points[rows, 1]
            ax.scatter(x, y_, s=size, marker=marker, color=palette[k], linewidths=1.0)
    uncertain = np.zeros(len(array), dtype=bool)
    if probabilities is not None:
        uncertain = probabilities.uncertain & complete
        ax.scatter(
            points[uncertain, 0], points[uncertain, 1], s=size * 5, facecolors="none",
            edgecolors=UNCERTAIN_COLOR, linewidths=1.2,
        )  # fmt: skip
    label_directions(ax, basis, labels)
    if legend:
        handles = [
            Line2D([], [], marker="o", linestyle="", color=palette[k], label=str(label))
            for k, label in enumerate(classes.tolist())
        ]
        if wrong.any():
            handles.append(
                Line2D([], [], marker="x", linestyle="", color="k", label="misclassified")
            )
        if uncertain.any():
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    label="uncertain",
                    markerfacecolor="none",
                    markeredgecolor=UNCERTAIN_COLOR,
                )
            )
        ax.legend(handles=handles, **OUTSIDE_LEGEND)
    return ax


def plot_class_probabilities(probabilities: ClassProbabilities, *, ax: Axes | None = None) -> Axes:
    """Each row's posterior probability of its predicted class, with its credible interval.

    Rows are sorted by that probability; uncertain rows (the interval reaches below
    1/2) are red, and a dashed line marks 1/2.

    Parameters
    ----------
    probabilities : ClassProbabilities
        From :meth:`bayesgmm.classification.ClassPosterior.class_probabilities`.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import ClassProbabilities
    >>> draws = np.array([[[0.9, 0.1], [0.6, 0.4]], [[0.8, 0.2], [0.3, 0.7]]])
    >>> ax = plot_class_probabilities(ClassProbabilities(np.array(["a", "b"]), draws))
    >>> ax.get_ylabel()
    'P(predicted class | x)'
    >>> plt.close("all")
    """
    probabilities = check_probabilities(probabilities, None, "plot_class_probabilities")
    rows = np.arange(probabilities.draws.shape[1])
    best = probabilities.mean.argmax(axis=1)
    mean = probabilities.mean[rows, best]
    order = np.argsort(mean, kind="stable")
    colours = [UNCERTAIN_COLOR if flag else "tab:blue" for flag in probabilities.uncertain[order]]
    positions = np.arange(len(order))
    ax = new_axes(ax)
    ax.vlines(
        positions, probabilities.lower[rows, best][order], probabilities.upper[rows, best][order],
        colors=colours, alpha=0.6,
    )  # fmt: skip
    ax.scatter(positions, mean[order], c=colours, s=8)
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set(
        xlabel="rows, sorted by probability",
        ylabel="P(predicted class | x)",
        ylim=(0.0, 1.02),
        title=f"Posterior class probability with {probabilities.credible:.0%} credible interval",
    )
    return ax
