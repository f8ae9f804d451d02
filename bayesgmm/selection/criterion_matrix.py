"""Criterion tables in mclust's layout: K rows by covariance-model columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesgmm.covariance import COVARIANCE_TYPES, MCLUST_MODELS, get_covariance_model

__all__ = ["CRITERIA", "bic_matrix"]

#: criteria a grid can be ranked by (all lower-is-better)
CRITERIA = ("bic", "icl", "aic")


def bic_matrix(
    table: pd.DataFrame, criterion: str = "bic", *, mclust: bool = False
) -> pd.DataFrame:
    """Pivot a criterion table to K rows x covariance-model columns.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`ModelSelection.table` (or :func:`criterion_grid`'s output).
    criterion : {"bic", "aic", "icl", "log_likelihood"}, default="bic"
        Column to pivot.
    mclust : bool, default=False
        ``mclustBIC``'s layout: columns named and ordered as mclust's models (EII,
        VII, ..., VVV) and criteria in mclust's sign (higher is better, ``-bic``).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(
    ...     {
    ...         "n_components": [1, 2, 2],
    ...         "covariance_type": ["full", "full", "VEV"],
    ...         "bic": [3.0, 2.0, 1.0],
    ...     }
    ... )
    >>> bic_matrix(t).loc[2].tolist()
    [2.0, 1.0]
    >>> bic_matrix(t, mclust=True).columns.tolist(), bic_matrix(t, mclust=True).loc[2, "VVV"]
    (['VEV', 'VVV'], np.float64(-2.0))
    """
    allowed = [*CRITERIA, "log_likelihood"]
    if criterion not in allowed or criterion not in table.columns:
        raise ValueError(f"criterion must be one of {allowed}; got {criterion!r}.")
    matrix = table.pivot(index="n_components", columns="covariance_type", values=criterion)
    model_names = {c: get_covariance_model(c).mclust_name for c in matrix.columns}
    if mclust:
        order = [c for m in MCLUST_MODELS for c in matrix.columns if model_names[c] == m]
        labels = model_names
        if "mclust_name" in table:  # one feature: mclust's E and V
            labels = dict(zip(table.covariance_type, table.mclust_name, strict=True))
        sign = 1.0 if criterion == "log_likelihood" else -1.0
        out = sign * matrix[order].astype(np.float64)
        out.columns = [labels[c] for c in order]
        out.columns.name = "model"
        return out
    order = [c for c in COVARIANCE_TYPES if c in matrix.columns]
    order += [c for m in MCLUST_MODELS for c in matrix.columns if c == m]
    return matrix[order].astype(np.float64)
