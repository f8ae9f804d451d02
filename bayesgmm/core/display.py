"""Plain-text rendering of result tables: the one place that picks number formats.

Criteria and log-likelihoods print with one decimal (differences of a few units
matter), p-values and probabilities with three significant digits, counts as
integers, and anything else with four significant digits, so that no column is
printed in scientific notation when it need not be (``bic 4.75e+03``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["format_table"]

#: column name (or name ending) -> formatter
_ONE_DECIMAL = (
    "bic", "aic", "icl", "delta", "delta_bic", "delta_icl", "log_likelihood", "elpd",
    "elpd_se", "se", "elpd_diff", "dse", "statistic", "p", "mean_elpd",
)  # fmt: skip
_PROBABILITIES = ("p_value", "ppc_min_p", "p_occupied", "loo_weight", "weight", "probability")
_COUNTS = ("n_components", "n_parameters", "n_high_pareto_k", "k0", "k1", "rank", "n_boot")


def _number(fmt: str) -> Callable[[object], str]:
    def render(value: object) -> str:
        if isinstance(value, float | np.floating) and not math.isfinite(value):
            return "" if math.isnan(value) else str(value)
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            return str(value)
        return format(value, fmt)

    return render


def _formatter(column: str) -> Callable[[object], str]:
    if column in _COUNTS:
        return _number(".0f")
    if column in _ONE_DECIMAL or column.endswith(("_bic", "_icl", "_aic")):
        return _number(".1f")
    if column in _PROBABILITIES or column.startswith("p_"):
        return _number(".3g")
    if column in ("z_diff", "loo_se_behind"):
        return _number(".2f")
    return _number(".4g")


def format_table(table: pd.DataFrame, *, index: bool = True) -> str:
    """Render ``table`` as text with formats chosen by column name.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table.
    index : bool, default=True
        Print the index.

    Returns
    -------
    str

    Examples
    --------
    >>> frame = pd.DataFrame({"bic": [4751.234], "p_value": [0.0123456], "n_parameters": [11]})
    >>> print(format_table(frame, index=False))
       bic p_value n_parameters
    4751.2  0.0123           11
    """
    formatters = {column: _formatter(str(column)) for column in table.columns}
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        return table.to_string(formatters=formatters, index=index, na_rep="")
