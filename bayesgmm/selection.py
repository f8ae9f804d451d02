"""Model selection over the number of components and the covariance structure.

:func:`criterion_grid` fits the EM model on a grid of ``n_components`` x
``covariance_type`` and tabulates BIC, AIC, ICL and the log-likelihood, as mclust's
``mclustBIC`` does (in scikit-learn's lower-is-better sign).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from typing import TextIO

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bayesgmm._typing import RandomStateLike
from bayesgmm._validation import check_array
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.em import GaussianMixture
from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning

__all__ = ["criterion_grid"]


def criterion_grid(
    X: ArrayLike,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] = COVARIANCE_TYPES,
    *,
    n_init: int = 5,
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    random_state: RandomStateLike = 0,
    progress: bool | TextIO = False,
) -> pd.DataFrame:
    """Fit EM on a grid of models and tabulate their information criteria.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    n_components : iterable of int, default=range(1, 10)
        Numbers of components to try.
    covariance_types : iterable of str, default=("full", "tied", "diag", "spherical")
        Covariance structures to try.
    n_init : int, default=5
        EM restarts per model (the best is kept).
    max_iter : int, default=500
        EM iteration limit per restart.
    tol : float, default=1e-6
        EM convergence threshold.
    reg_covar : float, default=1e-6
        Added to covariance diagonals.
    random_state : int, Generator, RandomState or None, default=0
        Seed; each grid cell gets the same seed so cells are reproducible alone.
    progress : bool or file-like, default=False
        Print one line per fitted model (to stderr if ``True``).

    Returns
    -------
    pandas.DataFrame
        One row per model with columns ``n_components``, ``covariance_type``,
        ``mclust_name``, ``n_parameters``, ``log_likelihood``, ``bic``, ``aic``,
        ``icl``, ``converged`` and ``warnings`` (collapse/convergence messages),
        sorted by ``bic`` (lower is better). Models that cannot be fitted (more
        components than samples) are left out.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> table = criterion_grid(load_faithful(), range(1, 3), ["tied"], n_init=1)
    >>> best = table.iloc[0]
    >>> int(best.n_components), best.covariance_type
    (2, 'tied')
    """
    array, _ = check_array(X, min_samples=2)
    stream = sys.stderr if progress is True else progress or None
    rows = []
    for covariance_type in covariance_types:
        model = get_covariance_model(covariance_type)
        for k in n_components:
            if k > array.shape[0]:
                continue
            gm = GaussianMixture(
                k,
                covariance_type=model.name,
                n_init=n_init,
                max_iter=max_iter,
                tol=tol,
                reg_covar=reg_covar,
                random_state=random_state,
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                warnings.simplefilter("always", ComponentCollapseWarning)
                gm.fit(array)
            messages = [
                str(w.message)
                for w in caught
                if issubclass(w.category, ConvergenceWarning | ComponentCollapseWarning)
            ]
            for w in caught:
                if not issubclass(w.category, ConvergenceWarning | ComponentCollapseWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            log_likelihood = float(gm.score(array) * array.shape[0])
            rows.append(
                {
                    "n_components": k,
                    "covariance_type": model.name,
                    "mclust_name": model.mclust_name,
                    "n_parameters": gm._n_parameters(),
                    "log_likelihood": log_likelihood,
                    "bic": gm.bic(array),
                    "aic": gm.aic(array),
                    "icl": gm.icl(array),
                    "converged": bool(gm.converged_),
                    "warnings": "; ".join(messages),
                }
            )
            if stream is not None:
                print(
                    f"  fitted K={k} {model.name:<9} log-lik {log_likelihood:10.3f}  "
                    f"BIC {rows[-1]['bic']:10.3f}",
                    file=stream,
                    flush=True,
                )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values("bic", kind="stable").reset_index(drop=True)


def bic_matrix(table: pd.DataFrame, criterion: str = "bic") -> pd.DataFrame:
    """Pivot a :func:`criterion_grid` table to K rows x covariance-type columns.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`criterion_grid`.
    criterion : {"bic", "aic", "icl", "log_likelihood"}, default="bic"
        Column to pivot.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(
    ...     {"n_components": [1, 2], "covariance_type": ["full", "full"], "bic": [3.0, 2.0]}
    ... )
    >>> bic_matrix(t).loc[2, "full"]
    np.float64(2.0)
    """
    if criterion not in table.columns:
        raise ValueError(
            f"criterion must be one of ['bic', 'aic', 'icl', 'log_likelihood']; got {criterion!r}."
        )
    matrix = table.pivot(index="n_components", columns="covariance_type", values=criterion)
    order = [c for c in COVARIANCE_TYPES if c in matrix.columns]
    return matrix[order].astype(np.float64)
