"""Cross-validated error and Brier score of a mixture classifier, as mclust's ``cvMclustDA``.

:func:`cross_validate_classifier` fits the classifier on all rows once (choosing
its models), then refits on each fold's training rows with those models fixed and
the full data's class proportions as priors, and scores the held-out rows: the
misclassification rate and the Brier score ``sum (1[y = c] - P(c | x))^2 / 2`` per
row, averaged over folds weighted by their sizes, with mclust's standard errors.
The folds are stratified (:func:`balanced_folds`, mclust's scheme) or given, so that
both libraries can be run on the same folds. scikit-learn's ``cross_val_score``
works as well, but re-chooses the models in every fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.classification.classifier import MixtureClassifier
from bayesgmm.classification.targets import check_targets
from bayesgmm.core.validation import check_integer, check_random_state, validate_data

__all__ = ["CrossValidation", "balanced_folds", "brier_score", "cross_validate_classifier"]


@dataclass
class CrossValidation:
    """Cross-validated error and Brier score, with the held-out predictions.

    Made by :func:`cross_validate_classifier`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(3, 1, (30, 2))]
    >>> y = np.repeat(["a", "b"], 30)
    >>> print(cross_validate_classifier(MixtureClassifier("EDDA", "EEE"), X, y, n_folds=5))
    5-fold cross-validation: error 0.0333 (se 0.0204), Brier score 0.0164 (se 0.0098)
    """

    #: misclassification rate, folds weighted by their sizes
    error: float
    #: its standard error (mclust's)
    se_error: float
    #: Brier score, ``sum_c (1[y = c] - P(c | x))^2 / 2`` averaged over rows
    brier: float
    #: its standard error
    se_brier: float
    #: held-out class of every row
    predictions: NDArray[Any] = field(repr=False)
    #: held-out class probabilities, shape (n_samples, n_classes)
    probabilities: NDArray[np.float64] = field(repr=False)
    #: the rows of each fold
    folds: list[NDArray[np.intp]] = field(repr=False)
    #: each fold's error and Brier score
    fold_errors: NDArray[np.float64] = field(repr=False)
    fold_briers: NDArray[np.float64] = field(repr=False)

    def __str__(self) -> str:
        return (
            f"{len(self.folds)}-fold cross-validation: error {self.error:.4f} "
            f"(se {self.se_error:.4f}), Brier score {self.brier:.4f} (se {self.se_brier:.4f})"
        )


def brier_score(codes: NDArray[np.intp], probabilities: NDArray[np.float64]) -> float:
    """The Brier score as mclust reports it: ``sum_c (1[y = c] - P(c | x))^2 / 2``, row mean.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,)
        Each row's true class, as a column index of ``probabilities``.
    probabilities : ndarray of shape (n_samples, n_classes)
        Predicted class probabilities.

    Returns
    -------
    float
        0 for certain, correct predictions; 1 for certain, wrong ones.

    Examples
    --------
    >>> brier_score(np.array([0, 1]), np.array([[1.0, 0.0], [0.5, 0.5]]))
    0.125
    """
    truth = np.zeros_like(probabilities)
    truth[np.arange(len(codes)), codes] = 1.0
    return float(((truth - probabilities) ** 2).sum() / (2 * len(codes)))


def balanced_folds(
    y: ArrayLike, n_folds: int = 10, random_state: Any = 0
) -> list[NDArray[np.intp]]:
    """Stratified folds by mclust's scheme (``balancedFolds``).

    Each class's rows, shuffled, are laid one after another in blocks of
    ``n_folds``; each block is spread over the folds in a random order, so every
    fold has each class's rows in proportion (within one row).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    n_folds : int, default=10
        At most the size of the largest class.
    random_state : int, Generator or None, default=0

    Returns
    -------
    list of ndarray
        The rows of each fold, sorted.

    Examples
    --------
    >>> folds = balanced_folds([0] * 6 + [1] * 4, n_folds=2)
    >>> [len(f) for f in folds], sorted(np.concatenate(folds).tolist()) == list(range(10))
    ([5, 5], True)
    """
    labels = np.asarray(y)
    n_folds = check_integer("n_folds", n_folds, 2)
    rng = check_random_state(random_state)
    classes, codes = np.unique(labels, return_inverse=True)
    totals = np.bincount(codes.reshape(-1))
    n_folds = min(n_folds, int(totals.max()))
    height = -(-int(totals.max()) // n_folds) * n_folds
    stacked = np.full((len(classes), height), -1, dtype=np.intp)
    for k in range(len(classes)):
        rows = np.flatnonzero(codes == k)
        stacked[k, : len(rows)] = rng.permutation(rows)
    blocks = stacked.reshape(-1, n_folds)
    blocks = np.array([rng.permutation(block) for block in blocks])
    return [np.sort(column[column >= 0]) for column in blocks.T]


def _fixed(classifier: MixtureClassifier) -> MixtureClassifier:
    """A copy of ``classifier`` with its chosen models and class proportions fixed."""
    params = classifier.get_params()
    classes = classifier.classes_.tolist()
    params["priors"] = dict(zip(classes, classifier.class_prior_.tolist(), strict=True))
    if classifier.model_type == "MclustDA":
        params["covariance_type"] = dict(classifier.covariance_types_)
        params["n_components"] = dict(classifier.n_components_)
    else:
        params["covariance_type"] = classifier.covariance_types_[classes[0]]
    return type(classifier)(**params)


def cross_validate_classifier(
    classifier: MixtureClassifier,
    X: ArrayLike,
    y: ArrayLike,
    n_folds: int = 10,
    *,
    folds: list[ArrayLike] | None = None,
    random_state: Any = 0,
) -> CrossValidation:
    """Cross-validated misclassification rate and Brier score (mclust's ``cvMclustDA``).

    Parameters
    ----------
    classifier : MixtureClassifier
        Fitted on ``(X, y)`` or not (then it is fitted here, once): its chosen
        covariance models and numbers of components, and its class proportions, are
        kept in every fold, as ``cvMclustDA`` does.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels (every row labelled).
    n_folds : int, default=10
        Number of stratified folds (:func:`balanced_folds`); ``n_samples`` gives
        leave-one-out.
    folds : list of array-like, default=None
        The rows of each fold (0-based), instead of drawing them: for example
        mclust's own, to compare on the same folds.
    random_state : int, Generator or None, default=0
        Seed of the folds.

    Returns
    -------
    CrossValidation

    Examples
    --------
    >>> from bayesgmm import load_iris
    >>> iris = load_iris()
    >>> X, y = iris.drop(columns="species"), iris["species"]
    >>> cv = cross_validate_classifier(MixtureClassifier("EDDA", "VEV"), X, y, n_folds=5)
    >>> round(cv.error, 3), cv.probabilities.shape
    (0.02, (150, 3))
    """
    data = validate_data(X, min_samples=2, allow_nan=classifier.missing == "marginalize")
    labels = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    classes, codes = check_targets(labels, data.n_samples, None)
    if classifier.unlabelled is not None and (labels == classifier.unlabelled).any():
        raise ValueError(
            "cross_validate_classifier needs every row labelled; y has rows equal to "
            f"unlabelled={classifier.unlabelled!r}. Cross-validate on the labelled rows."
        )
    if not hasattr(classifier, "classes_"):
        classifier = type(classifier)(**classifier.get_params()).fit(data, labels)
    n = data.n_samples
    if folds is None:
        fold_rows = balanced_folds(codes, n_folds, random_state)
    else:
        fold_rows = [np.asarray(f, dtype=np.intp).reshape(-1) for f in folds]
        every = np.sort(np.concatenate(fold_rows))
        if not np.array_equal(every, np.arange(n)):
            raise ValueError(
                f"folds must split the rows 0 .. {n - 1} into disjoint parts, each row in "
                "exactly one fold."
            )
    base = _fixed(classifier)
    predictions = np.empty(n, dtype=classes.dtype)
    probabilities = np.full((n, len(classes)), np.nan)
    errors, briers = np.empty(len(fold_rows)), np.empty(len(fold_rows))
    for i, test in enumerate(fold_rows):
        train = np.setdiff1d(np.arange(n), test)
        model = type(base)(**base.get_params()).fit(data.array[train], labels[train])
        proba = model.predict_proba(data.array[test])
        # columns in the order of all classes (a class absent from a training fold: 0)
        full = np.zeros((len(test), len(classes)))
        full[:, np.searchsorted(classes, model.classes_)] = proba
        probabilities[test] = full
        predictions[test] = classes[np.argmax(full, axis=1)]
        errors[i] = float(np.mean(np.argmax(full, axis=1) != codes[test]))
        briers[i] = brier_score(codes[test], full)
    sizes = np.array([len(f) for f in fold_rows], dtype=float)
    k = len(fold_rows)

    def summary(values: NDArray[np.float64]) -> tuple[float, float]:
        mean = float(values @ sizes / sizes.sum())
        spread = ((values - mean) ** 2) @ sizes / (sizes.sum() * (k - 1) / k)
        return mean, float(np.sqrt(spread / k))

    error, se_error = summary(errors)
    brier, se_brier = summary(briers)
    return CrossValidation(
        error, se_error, brier, se_brier, predictions, probabilities, fold_rows, errors, briers
    )
