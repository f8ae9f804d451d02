"""The range of a model grid: which K and covariance structures, which cells, how far.

Checks of the numbers of components asked for (:func:`check_k_range`) and of the
settings of an automatic extension (:func:`check_extension`), the cells of a grid
that can be estimated from the rows at hand, and the cap of an automatic extension
of the range (:func:`automatic_k_cap`).

The cap
-------
When the best model of a criterion has the largest K tried, a larger K might be
better still, so :func:`bayesgmm.collect_evidence` doubles the range (K_max -> 2
K_max) until no criterion is at the edge or the cap is reached. The automatic cap is
the largest K at which the most parsimonious covariance structure of the grid still
has :data:`ROWS_PER_PARAMETER` (5) rows per free parameter, and never more than
half the rows. Five observations per free parameter is the usual lower bound for
estimates and for the large-sample approximations behind BIC and ICL (ten is the
common rule in regression, Peduzzi et al. 1996; five its tolerated minimum,
Vittinghoff & McCulloch 2007). Since every structure has at least K D means and
K - 1 weights, at the cap each component keeps on average at least 5 (D + 1) rows,
enough to estimate its mean and a variance; beyond it a grid's "best" K says more
about the penalty than about the data. With scikit-learn's four structures the
cap is 17 for Old Faithful (272 rows, 2 features; tied, 3 K + 2 parameters, is the
simplest there), 66 for 1,000 rows in 2-D, 16 for 1,000 rows in 10-D and 8 for the
82 rows of the galaxies data.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from bayesgmm.core.validation import Constraint, check_value, is_int
from bayesgmm.covariance import COVARIANCE_TYPES, MCLUST_MODELS, get_covariance_model

__all__ = [
    "ROWS_PER_PARAMETER",
    "automatic_k_cap",
    "candidate_name",
    "candidate_names",
    "check_extension",
    "check_k_range",
]

#: the automatic cap keeps this many rows per free parameter of the simplest structure
ROWS_PER_PARAMETER = 5


def candidate_name(n_components: int, covariance_type: str) -> str:
    """The label of a model in comparison tables: ``"K=3 tied"``.

    Parameters
    ----------
    n_components : int
        Number of components.
    covariance_type : str
        Covariance structure (mclust names are accepted).

    Returns
    -------
    str

    Examples
    --------
    >>> candidate_name(3, "EEE")
    'K=3 tied'
    """
    return f"K={int(n_components)} {get_covariance_model(covariance_type).name}"


def candidate_names(table: pd.DataFrame) -> list[str]:
    """Labels of the rows of a table with ``n_components`` and ``covariance_type``.

    Parameters
    ----------
    table : pandas.DataFrame
        For example :attr:`ModelSelection.table`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> t = pd.DataFrame({"n_components": [2, 3], "covariance_type": ["full", "tied"]})
    >>> candidate_names(t)
    ['K=2 full', 'K=3 tied']
    """
    return [
        candidate_name(k, c)
        for k, c in zip(table["n_components"], table["covariance_type"], strict=True)
    ]


def check_k_range(n_components: Iterable[int] | int, name: str = "n_components") -> list[int]:
    """The numbers of components asked for, sorted and without duplicates.

    Parameters
    ----------
    n_components : int or iterable of int
        One K or several (for example ``range(1, 10)``).
    name : str, default="n_components"
        The parameter's name in error messages.

    Returns
    -------
    list of int

    Raises
    ------
    TypeError
        If ``n_components`` is neither an integer nor an iterable.
    ValueError
        If it is empty, or holds a value that is not an integer >= 1.

    Examples
    --------
    >>> check_k_range(range(3, 0, -1))
    [1, 2, 3]
    >>> check_k_range([2, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n_components must be a non-empty iterable of integers >= 1 ...; got [0].
    """
    if is_int(n_components):
        ks: list[Any] = [n_components]
    elif isinstance(n_components, str | bytes | Mapping) or not isinstance(n_components, Iterable):
        raise TypeError(
            f"{name} must be an integer or an iterable of integers >= 1 (for example "
            f"range(1, 10)); got {type(n_components).__name__} {n_components!r}."
        )
    else:
        ks = list(n_components)
    bad = [k for k in ks if not (is_int(k) and k >= 1)]
    if not ks or bad:
        raise ValueError(
            f"{name} must be a non-empty iterable of integers >= 1 "
            f"(for example range(1, 10)); got {bad or ks!r}."
        )
    return sorted(dict.fromkeys(int(k) for k in ks))


def check_grid(
    n_components: Iterable[int], covariance_types: Iterable[str] | str
) -> tuple[list[int], list[str]]:
    ks = check_k_range(n_components)
    if isinstance(covariance_types, str):
        covariance_types = MCLUST_MODELS if covariance_types == "all" else [covariance_types]
    names = [get_covariance_model(c).name for c in covariance_types]
    if not names:
        raise ValueError(
            f"covariance_types must name at least one of {list(COVARIANCE_TYPES)}; got []."
        )
    return ks, list(dict.fromkeys(names))


def distinct_univariate(names: list[str]) -> list[str]:
    """With one feature, full = diag = spherical (mclust's V): keep the first asked."""
    kept, seen = [], set()
    for name in names:
        kind = get_covariance_model(name).mclust_label(1)
        if kind not in seen:
            seen.add(kind)
            kept.append(name)
    return kept


def estimable_cells(
    ks: list[int], names: list[str], n_samples: int, n_features: int
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Split the grid into models with fewer free parameters than rows, and the rest.

    A model with at least as many free parameters as observations cannot be
    estimated (every fit interpolates the data and its BIC is meaningless); skipping
    it up front also keeps wide data (few rows, thousands of features) from
    allocating ``K x D x D`` covariances for nothing.
    """
    cells, skipped = [], []
    for cov in names:
        model = get_covariance_model(cov)
        for k in ks:
            if k > n_samples:
                continue
            if model.n_parameters(k, n_features) >= n_samples:
                skipped.append((k, cov))
            else:
                cells.append((k, cov))
    return cells, skipped


def plan_cells(
    ks: list[int], names: list[str], shape: tuple[int, int], *, allow_empty: bool
) -> list[tuple[int, str]]:
    """The cells to fit; warns about those skipped (more K than rows, or not estimable)."""
    n, n_features = shape
    if all(k > n for k in ks) and not allow_empty:
        raise ValueError(
            f"every n_components value exceeds the number of samples ({n}); "
            f"got {ks}. Try values between 1 and {n}."
        )
    skipped = [k for k in ks if k > n]
    if skipped:
        warnings.warn(
            f"n_components {skipped} exceed the number of samples ({n}) and were skipped.",
            UserWarning,
            stacklevel=3,
        )
    cells, not_estimable = estimable_cells(ks, names, n, n_features)
    if not_estimable:
        listed = ", ".join(candidate_name(k, cov) for k, cov in not_estimable[:8])
        more = f" and {len(not_estimable) - 8} more" if len(not_estimable) > 8 else ""
        message = (
            f"{len(not_estimable)} model(s) have at least as many free parameters as there "
            f"are rows (n = {n}, {n_features} features) and cannot be estimated: {listed}"
            f"{more}."
        )
        if not cells and not allow_empty:
            raise ValueError(
                message + " No model in the grid can be estimated from these rows: reduce "
                "the number of features (e.g. principal components) or add rows."
            )
        warnings.warn(message + " They were skipped.", UserWarning, stacklevel=3)
    return cells


def automatic_k_cap(
    n_samples: int, n_features: int, covariance_types: Iterable[str] = COVARIANCE_TYPES
) -> int:
    """The largest K an automatic extension of the range may reach (see the module).

    Parameters
    ----------
    n_samples, n_features : int
        Shape of the data.
    covariance_types : iterable of str, default=scikit-learn's four
        The grid's structures; the one with the fewest free parameters counts.

    Returns
    -------
    int
        The largest K with at least ``ROWS_PER_PARAMETER`` rows per free parameter
        of the most parsimonious structure, at most ``n_samples // 2`` (and at least 1).

    Examples
    --------
    >>> automatic_k_cap(272, 2)  # Old Faithful: tied has 3 K + 2 <= 272 / 5 parameters
    17
    >>> automatic_k_cap(1000, 2), automatic_k_cap(82, 1)
    (66, 8)
    """
    models = [get_covariance_model(c) for c in covariance_types]
    if not models:
        raise ValueError("covariance_types must name at least one structure; got [].")

    def fits(k: int) -> bool:
        fewest = min(model.n_parameters(k, n_features) for model in models)
        return ROWS_PER_PARAMETER * fewest <= n_samples

    low, high = 1, max(1, n_samples // 2)  # fits(low) or the answer is 1
    while low < high:  # the number of parameters grows with K: bisect
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def check_extension(extend: Any, k_cap: Any, ks: list[int]) -> None:
    """Check the settings of an automatic extension of the range against each other.

    Parameters
    ----------
    extend : bool
        Whether the range may be extended.
    k_cap : int or None
        The largest K it may reach (``None``: :func:`automatic_k_cap`).
    ks : list of int
        The numbers of components asked for (checked by :func:`check_k_range`).

    Raises
    ------
    TypeError
        If ``extend`` is not a bool.
    ValueError
        If ``k_cap`` is not None or an integer >= 1, is below the largest K asked
        for, or is given with ``extend=False``.

    Examples
    --------
    >>> check_extension(True, 12, [1, 2, 3])
    >>> check_extension(True, 2, [1, 2, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: k_cap must be at least the largest n_components (3); got k_cap=2. ...
    """
    if not isinstance(extend, bool | np.bool_):
        raise TypeError(f"extend must be True or False; got {extend!r}.")
    if k_cap is None:
        return
    rule = Constraint(lambda v: is_int(v) and v >= 1, "None (automatic) or an integer >= 1")
    check_value("k_cap", k_cap, rule)
    if not extend:
        raise ValueError(
            f"k_cap={k_cap} contradicts extend=False: k_cap limits the automatic extension "
            "of the range. Pass extend=True to extend up to k_cap, or leave k_cap=None."
        )
    if k_cap < max(ks):
        raise ValueError(
            f"k_cap must be at least the largest n_components ({max(ks)}); got k_cap={k_cap}. "
            "Raise k_cap or shorten the range."
        )
