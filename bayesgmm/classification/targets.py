"""Class labels of a mixture classifier: checked once, coded, with their prior probabilities.

The one validation path of ``y`` for :class:`bayesgmm.MixtureClassifier` (fit and
score): any label type NumPy can sort (integers, strings, booleans, integral
floats), one label per row, no missing labels, at least two classes, and optionally
a value that marks unlabelled rows (scikit-learn's semi-supervised ``-1``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bayesgmm.core.validation import describe_rows
from bayesgmm.exceptions import DataConversionWarning, scikit_learn_compatible

__all__ = ["check_class_prior", "check_class_weights", "check_targets", "codes_of"]


def _as_labels(y: Any, n_samples: int) -> NDArray[Any]:
    """``y`` as a 1-D array of ``n_samples`` labels (a column vector raveled, with a warning)."""
    if y is None:
        raise ValueError(
            "MixtureClassifier requires y to be passed, but the target y is None: one "
            "class label per row of X."
        )
    labels = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples,), for example using ravel().",
            scikit_learn_compatible(DataConversionWarning),
            stacklevel=4,
        )
        labels = labels.ravel()
    if labels.ndim != 1:
        raise ValueError(
            f"y must be one class label per row, shape ({n_samples},); got shape "
            f"{labels.shape} (multi-output classification is not supported)."
        )
    if len(labels) != n_samples:
        raise ValueError(
            f"y has {len(labels)} labels but X has {n_samples} rows; give one label per row."
        )
    missing = np.flatnonzero(pd.isna(labels))
    if missing.size:
        raise ValueError(
            f"y has missing labels (NaN or None) in {describe_rows(missing)}. Drop those "
            "rows, or mark them unlabelled (e.g. -1 with unlabelled=-1) for a "
            "semi-supervised fit."
        )
    if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
        bad = np.flatnonzero(labels != np.round(labels))
        raise ValueError(
            "Unknown label type: continuous. y must hold class labels (integers, strings, "
            f"...); it has non-integer numbers in {describe_rows(bad)}. For a continuous "
            "target use a regression model."
        )
    if labels.dtype.kind == "c":
        raise ValueError("Unknown label type: complex numbers are not class labels.")
    return labels


def check_targets(
    y: Any, n_samples: int, unlabelled: Any = None
) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """The classes of ``y`` (sorted) and each row's class index, -1 for unlabelled rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels of any sortable type; a column vector is raveled with a
        ``DataConversionWarning``.
    n_samples : int
        Rows of X.
    unlabelled : scalar or None, default=None
        The value that marks unlabelled rows (scikit-learn's ``-1``), or None: every
        row is labelled.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    codes : ndarray of int of shape (n_samples,)

    Raises
    ------
    ValueError
        For a wrong length, missing or continuous labels, and fewer than two classes.

    Examples
    --------
    >>> classes, codes = check_targets(["b", "a", "b", "x"], 4, unlabelled="x")
    >>> classes.tolist(), codes.tolist()
    (['a', 'b'], [1, 0, 1, -1])
    """
    labels = _as_labels(y, n_samples)
    known = np.ones(n_samples, bool) if unlabelled is None else labels != unlabelled
    try:
        classes, inverse = np.unique(labels[known], return_inverse=True)
    except TypeError as error:
        kinds = sorted({type(v).__name__ for v in labels.tolist()})
        raise ValueError(
            f"y mixes label types {kinds} that cannot be ordered; use one type "
            "(for example all strings)."
        ) from error
    if len(classes) < 2:
        what = "no labelled row" if len(classes) == 0 else f"one class ({classes.tolist()[0]!r})"
        hint = (
            f" Rows equal to {unlabelled!r} count as unlabelled (unlabelled="
            f"{unlabelled!r}); if that is a class, pass unlabelled=None."
            if unlabelled is not None and not known.all()
            else ""
        )
        raise ValueError(
            f"MixtureClassifier needs at least two classes to tell apart; y has {what}." + hint
        )
    codes = np.full(n_samples, -1, dtype=np.intp)
    codes[known] = inverse.reshape(-1)
    return classes, codes


def codes_of(y: Any, classes: NDArray[Any], n_samples: int) -> NDArray[np.intp]:
    """Each label's index in the fitted ``classes``; unknown labels are an error.

    Examples
    --------
    >>> codes_of(["b", "a"], np.array(["a", "b"]), 2).tolist()
    [1, 0]
    """
    labels = _as_labels(y, n_samples)
    lookup = {label: i for i, label in enumerate(classes.tolist())}
    codes = np.fromiter(
        (lookup.get(label, -1) for label in labels.tolist()), dtype=np.intp, count=n_samples
    )
    unknown = np.flatnonzero(codes < 0)
    if unknown.size:
        seen = list(dict.fromkeys(labels[unknown].tolist()))[:5]
        raise ValueError(
            f"y has labels {seen} in {describe_rows(unknown)} that were not among the "
            f"classes seen in fit, {classes.tolist()}."
        )
    return codes


def check_class_weights(
    classes: NDArray[Any], codes: NDArray[np.intp], weight: NDArray[np.float64]
) -> None:
    """Every class must keep a positive total ``sample_weight``.

    Examples
    --------
    >>> classes, codes = np.array(["a", "b"]), np.array([0, 1])
    >>> check_class_weights(classes, codes, np.array([1.0, 0.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sample_weight is zero on every row of class 'b'; ...
    """
    known = codes >= 0
    total = np.bincount(codes[known], weights=weight[known], minlength=len(classes))
    empty = np.flatnonzero(total <= 0)
    if empty.size:
        which = ", ".join(repr(classes.tolist()[i]) for i in empty)
        raise ValueError(
            f"sample_weight is zero on every row of class {which}; a class needs weight "
            "to be fitted. With one class left there is no class to tell apart: drop the "
            "class's rows instead."
        )


def check_class_prior(
    priors: Any, classes: NDArray[Any], codes: NDArray[np.intp], weight: NDArray | None
) -> NDArray[np.float64]:
    """Prior class probabilities: the labelled rows' class shares, or the given ones.

    ``priors`` is None (estimated), an array of ``n_classes`` probabilities in the
    order of ``classes``, or a dict by class label; given ones must be positive and
    are normalised to sum to 1.

    Examples
    --------
    >>> check_class_prior(None, np.array([0, 1]), np.array([0, 1, 1, -1]), None).tolist()
    [0.3333333333333333, 0.6666666666666666]
    >>> check_class_prior({1: 3, 0: 1}, np.array([0, 1]), np.array([0, 1]), None).tolist()
    [0.25, 0.75]
    """
    n_classes = len(classes)
    if priors is None:
        known = codes >= 0
        share = np.bincount(
            codes[known], weights=None if weight is None else weight[known], minlength=n_classes
        ).astype(np.float64)
        return share / share.sum()
    if isinstance(priors, Mapping):
        extra = [c for c in priors if c not in set(classes.tolist())]
        absent = [c for c in classes.tolist() if c not in priors]
        if extra or absent:
            raise ValueError(
                f"priors must give every class of y, {classes.tolist()}, a probability; "
                + (f"it names unknown classes {extra}" if extra else f"it lacks {absent}")
                + "."
            )
        values = np.array([priors[c] for c in classes.tolist()], dtype=np.float64)
    else:
        values = np.asarray(priors, dtype=np.float64)
        if values.shape != (n_classes,):
            raise ValueError(
                f"priors must have one probability per class, shape ({n_classes},) in the "
                f"order of classes_ {classes.tolist()}; got shape {values.shape}."
            )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"priors must be positive and finite; got {values.tolist()}.")
    return values / values.sum()
