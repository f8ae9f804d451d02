"""EDDA: one Gaussian per class, one covariance model for all classes, chosen by BIC.

mclust's ``MclustDA(modelType = "EDDA")`` (Bensmail & Celeux 1996): for every
candidate covariance model, the class Gaussians are the M-step from the labels (a
:class:`~bayesgmm.GaussianMixture` with one component per class, fitted with every
row labelled), and the model with the best BIC is kept. With unlabelled rows the
same fit is mclust's ``MclustSSC``: EM over all rows, labelled rows fixed in their
class, memberships estimated for the rest.

The BIC is mclust's in both cases, so that the same model is chosen:

- every row labelled (EDDA): ``-2 sum_i log p(x_i) + (p - (C - 1)) log n``, with
  ``p(x)`` the mixture density at the class proportions and the proportions not
  counted as parameters (mclust's ``bic(..., equalPro = TRUE)``);
- unlabelled rows (MclustSSC): ``-2 l + p log n``, where ``l`` sums
  ``log(pi_y p(x | y))`` over labelled rows and ``log p(x)`` over the others.

(mclust's BIC is the negative of these; lower is better here.)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bayesgmm.core.validation import ValidatedData
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.exceptions import ComponentCollapseWarning

__all__ = ["EDDAFit", "check_class_sizes", "fit_edda", "rows_needed"]


def rows_needed(covariance_type: str, n_features: int) -> int:
    """Rows per class a covariance model needs for its class parameters to be estimable.

    ``n_features + 1`` where each class has its own orientation (a full covariance per
    class: ``VVV``, ``EEV``, ``VEV``, ``EVV``), 2 where a class has any other
    parameter of its own (a volume or a shape), 1 where every covariance parameter
    is shared (``EII``, ``EEI``, ``EEE``).

    Examples
    --------
    >>> rows_needed("VVV", 4), rows_needed("VII", 4), rows_needed("EEE", 4)
    (5, 2, 1)
    """
    name = get_covariance_model(covariance_type).mclust_name
    if n_features > 1 and name[2] == "V":
        return n_features + 1
    return 2 if "V" in name else 1


def check_class_sizes(
    classes: NDArray[Any], codes: NDArray[np.intp], covariance_type: str, n_features: int
) -> None:
    """A model some class has too few labelled rows for is an error naming the class.

    For a model the user named alone (among several, such models are skipped).

    Examples
    --------
    >>> classes, codes = np.array(["a", "b"]), np.array([0, 0, 0, 1])
    >>> check_class_sizes(classes, codes, "VVV", 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: covariance_type VVV needs at least 3 labelled rows per class; class 'b' ...
    """
    counts = np.bincount(codes[codes >= 0], minlength=len(classes))
    needed = rows_needed(covariance_type, n_features)
    small = np.flatnonzero(counts < needed)
    if small.size:
        model = get_covariance_model(covariance_type).mclust_name
        which = ", ".join(f"{classes.tolist()[i]!r} ({counts[i]} rows)" for i in small)
        raise ValueError(
            f"covariance_type {model} needs at least {needed} labelled rows per class; "
            f"class {which} has fewer. A model with shared parameters fits: 'EEE' (one "
            "covariance for all classes) or 'EII'; or covariance_type='all' to choose "
            "among the models the classes support."
        )


@dataclass
class EDDAFit:
    """The chosen joint fit and every candidate's BIC (:func:`fit_edda` makes it)."""

    #: one component per class (component k is class k), the best BIC
    mixture: GaussianMixture
    #: the chosen covariance model, mclust's name
    model: str
    #: mclust name -> BIC (lower is better); NaN where the model was not fitted
    bic: pd.Series
    #: mclust name -> why it was not fitted or ranked (too few rows, degenerate)
    skipped: dict[str, str] = field(default_factory=dict)


def _bic(gm: GaussianMixture, data: ValidatedData, n_classes: int, semi_supervised: bool) -> float:
    """Mclust's EDDA or MclustSSC BIC of a fit with labels (see the module docstring)."""
    weight = data.sample_weight
    n = float(data.n_samples if weight is None else weight.sum())
    n_features = data.shape[1]
    n_parameters = get_covariance_model(gm.covariance_type).n_parameters(n_classes, n_features)
    if semi_supervised:
        log_likelihood = gm.lower_bound_ * n
    else:
        density = gm.score_samples(data)
        log_likelihood = float(density.sum() if weight is None else weight @ density)
        n_parameters -= n_classes - 1  # class proportions are not counted (equalPro)
    return -2.0 * log_likelihood + n_parameters * math.log(n)


def fit_edda(
    data: ValidatedData,
    codes: NDArray[np.intp],
    classes: NDArray[Any],
    covariance_types: list[str],
    settings: dict[str, Any],
) -> EDDAFit:
    """Fit every candidate covariance model with the labels and keep the best BIC.

    Parameters
    ----------
    data : ValidatedData
        The rows (with their sample weights).
    codes : ndarray of int
        Each row's class, -1 for unlabelled rows.
    classes : ndarray
        The class labels (for messages).
    covariance_types : list of str
        Candidate models (validated names). A model some class has too few rows for
        (:func:`rows_needed`) is skipped, as mclust skips models it cannot estimate.
    settings : dict
        :class:`~bayesgmm.GaussianMixture` parameters for every fit.

    Returns
    -------
    EDDAFit

    Examples
    --------
    >>> from bayesgmm.core.validation import validate_data
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(3, 1, (30, 2))]
    >>> codes, classes = np.repeat([0, 1], 30), np.array(["a", "b"])
    >>> fit = fit_edda(validate_data(X), codes, classes, ["EEE", "VVV", "EII"], {})
    >>> fit.model, fit.bic.round(1).to_dict()
    ('EII', {'EEE': 431.9, 'VVV': 435.4, 'EII': 425.3})
    """
    n_features, n_classes = data.shape[1], len(classes)
    counts = np.bincount(codes[codes >= 0], minlength=n_classes)
    smallest = int(np.argmin(counts))
    semi_supervised = bool((codes < 0).any())
    bic: dict[str, float] = {}
    skipped: dict[str, str] = {}
    fits: dict[str, GaussianMixture] = {}
    for name in covariance_types:
        label = get_covariance_model(name).mclust_label(n_features)
        needed = rows_needed(name, n_features)
        if counts[smallest] < needed:
            skipped[label] = (
                f"class {classes.tolist()[smallest]!r} has {counts[smallest]} labelled "
                f"row(s); {label} needs {needed} per class"
            )
            bic[label] = np.nan
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gm = GaussianMixture(n_classes, covariance_type=name, **settings)
            gm.fit(data, labels=codes)
        # a class that holds few rows for its parameters is what rows_needed admits;
        # a collapsed class (a singular covariance, repaired) makes the BIC meaningless
        flagged = [w for w in caught if issubclass(w.category, ComponentCollapseWarning)]
        collapsed = [w for w in flagged if "collapsed" in str(w.message)]
        for other in caught:
            if other not in flagged:
                warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
        bic[label] = _bic(gm, data, n_classes, semi_supervised)
        fits[label] = gm
        if collapsed:
            skipped[label] = f"degenerate: {collapsed[0].message}"
    ranked = {m: v for m, v in bic.items() if m in fits and m not in skipped}
    if not ranked:  # every fitted model degenerate: rank them anyway, as mclust would not
        ranked = {m: v for m, v in bic.items() if m in fits}
    if not ranked:
        reasons = "; ".join(f"{m}: {why}" for m, why in skipped.items())
        raise ValueError(
            f"No covariance model of {list(bic)} can be estimated from these classes "
            f"({reasons}). Use a model with shared parameters, such as 'EEE' or 'EII', "
            "or give the small classes more rows."
        )
    best = min(ranked, key=lambda m: ranked[m])
    if best in skipped:
        warnings.warn(
            f"EDDA's covariance model {best} is degenerate here ({skipped[best]}); its "
            "class covariances were repaired. A model with shared parameters (e.g. 'EEE') "
            "may suit these classes better.",
            ComponentCollapseWarning,
            stacklevel=4,
        )
    return EDDAFit(fits[best], best, pd.Series(bic, name="bic", dtype=float), skipped)
