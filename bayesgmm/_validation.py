"""Input validation: one declarative parameter table and clear messages."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Constraint",
    "check_array",
    "check_parameters",
    "check_random_state",
    "check_sample_weight",
    "describe_rows",
]


@dataclass(frozen=True)
class Constraint:
    """One allowed-values rule: a predicate and the words that describe it."""

    accepts: Callable[[Any], bool]
    description: str
    hint: str = ""


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(low: int) -> Constraint:
    """An integer ``>= low``."""
    return Constraint(lambda v: _is_int(v) and v >= low, f"an integer >= {low}")


def real(low: float, *, hint: str = "") -> Constraint:
    """A finite real number ``>= low``."""
    return Constraint(
        lambda v: _is_real(v) and np.isfinite(v) and v >= low, f"a real number >= {low}", hint
    )


def one_of(*options: Any) -> Constraint:
    """One of a fixed set of values."""
    return Constraint(lambda v: isinstance(v, str) and v in options, f"one of {list(options)}")


def boolean() -> Constraint:
    """``True`` or ``False``."""
    return Constraint(lambda v: isinstance(v, bool | np.bool_), "True or False")


def anything() -> Constraint:
    """Any value (checked elsewhere)."""
    return Constraint(lambda v: True, "anything")


def random_state() -> Constraint:
    """``None``, an int, a ``numpy.random.Generator`` or ``RandomState``."""
    return Constraint(
        lambda v: (
            v is None
            or (_is_int(v) and 0 <= v < 2**63)
            or isinstance(v, np.random.Generator | np.random.RandomState)
        ),
        "None, a non-negative int, a numpy.random.Generator or a numpy.random.RandomState",
    )


def check_parameters(owner: object, table: Mapping[str, Constraint]) -> None:
    """Check every constructor parameter of ``owner`` against ``table``.

    Parameters
    ----------
    owner : object
        The estimator, whose attributes hold the parameters.
    table : mapping of str to Constraint
        Allowed values per parameter name.

    Raises
    ------
    ValueError
        Naming the parameter, the allowed values and the value received.

    Examples
    --------
    >>> class Thing:
    ...     tol = -1.0
    >>> check_parameters(Thing(), {"tol": real(0.0)})
    Traceback (most recent call last):
    ...
    ValueError: tol must be a real number >= 0.0; got -1.0.
    """
    for name, constraint in table.items():
        value = getattr(owner, name)
        if not constraint.accepts(value):
            hint = f" {constraint.hint}" if constraint.hint else ""
            raise ValueError(f"{name} must be {constraint.description}; got {value!r}.{hint}")


def describe_rows(rows: NDArray[np.intp], limit: int = 10) -> str:
    """Format row indices for an error message, e.g. ``'rows [3, 7] (2 rows)'``.

    Examples
    --------
    >>> describe_rows(np.array([3, 7]))
    'rows [3, 7] (2 rows)'
    """
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = ", ..." if len(rows) > limit else ""
    return f"rows [{shown}{more}] ({len(rows)} row{'s' if len(rows) != 1 else ''})"


def _feature_names(X: Any) -> NDArray[np.object_] | None:
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = list(columns)
    if names and all(isinstance(name, str) for name in names):
        return np.asarray(names, dtype=object)
    return None


def check_array(
    X: Any,
    *,
    name: str = "X",
    min_samples: int = 1,
    allow_nan: bool = False,
    nan_hint: str | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.object_] | None]:
    """Convert ``X`` to a finite float64 array of shape ``(n_samples, n_features)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data: a NumPy array, nested lists or a pandas DataFrame. float32 input is
        accepted and converted to float64.
    name : str, default="X"
        Name used in error messages.
    min_samples : int, default=1
        Minimum number of rows required.
    allow_nan : bool, default=False
        Accept NaN cells as missing values (pandas ``NA`` becomes NaN). Infinite
        values are never treated as missing, and rows with every feature missing are
        rejected either way.
    nan_hint : str, default=None
        Sentence appended to the error raised for NaN when ``allow_nan=False`` (the
        fix to suggest); by default "Drop or impute those rows before fitting".

    Returns
    -------
    array : ndarray of shape (n_samples, n_features)
        C-contiguous float64 copy or view of the data.
    feature_names : ndarray of str or None
        Column names when ``X`` is a DataFrame with string column names.

    Raises
    ------
    TypeError
        If the data are not numeric.
    ValueError
        If the data are not 2-D, are empty, contain infinite values, NaN (unless
        ``allow_nan``) or rows that are entirely NaN (the message lists the
        offending rows).

    Examples
    --------
    >>> arr, names = check_array([[1, 2], [3, 4]])
    >>> arr.dtype, arr.shape, names
    (dtype('float64'), (2, 2), None)
    >>> check_array([[1.0, np.nan], [3.0, 4.0]], allow_nan=True)[0]
    array([[ 1., nan],
           [ 3.,  4.]])
    """
    feature_names = _feature_names(X)
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        bad = [str(c) for c, dt in zip(X.columns, X.dtypes, strict=True) if not _numeric(dt)]
        if bad:
            raise TypeError(
                f"{name} must contain only numeric columns; columns {bad} are not numeric. "
                "Encode or drop them before fitting."
            )
        array = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            array = np.asarray(X)
        except ValueError as err:  # ragged nested sequences
            raise ValueError(
                f"{name} must be a rectangular array of shape (n_samples, n_features); "
                f"could not convert it: {err}"
            ) from None
        if array.dtype.kind == "c":
            raise TypeError(f"{name} must be real-valued; got a complex array.")
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must contain numbers; got an array of dtype {array.dtype}. "
                "Convert it with np.asarray(X, dtype=float)."
            )
    if array.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got a 1-D array of "
            f"shape {array.shape}. Use X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample."
        )
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got {array.ndim}-D "
            f"array of shape {array.shape}."
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {array.shape}); need at least 1.")
    if array.shape[0] < min_samples:
        raise ValueError(
            f"{name} must have at least {min_samples} sample{'s' if min_samples > 1 else ''};"
            f" got {array.shape[0]} (shape {array.shape})."
        )
    array = np.ascontiguousarray(array, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.all():
        _check_non_finite(array, finite, name, allow_nan, nan_hint)
    return array, feature_names


def _check_non_finite(
    array: NDArray[np.float64],
    finite: NDArray[np.bool_],
    name: str,
    allow_nan: bool,
    nan_hint: str | None,
) -> None:
    """Raise for NaN (unless allowed), infinite values and rows entirely NaN."""
    nan = np.isnan(array)
    if not allow_nan and nan.any():
        rows = np.flatnonzero(nan.any(axis=1))
        cells = int(np.count_nonzero(nan))
        hint = (
            nan_hint
            or "Drop or impute those rows before fitting; GaussianMixture needs finite data."
        )
        raise ValueError(
            f"{name} contains NaN in {describe_rows(rows)}: {cells} missing "
            f"value{'s' if cells != 1 else ''} in all. {hint}"
        )
    infinite = ~(finite | nan)
    if infinite.any():
        rows = np.flatnonzero(infinite.any(axis=1))
        raise ValueError(
            f"{name} contains infinite values in {describe_rows(rows)}. Infinite values are "
            "never treated as missing: replace them by finite values (or by NaN to mark "
            "them missing) or drop those rows."
        )
    empty = np.flatnonzero(nan.all(axis=1))
    if empty.size:
        raise ValueError(
            f"{name} has every feature missing (NaN) in {describe_rows(empty)}; such rows "
            "carry no information. Drop them."
        )


def _numeric(dtype: Any) -> bool:
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:
        return str(dtype).lower().startswith(("int", "uint", "float", "boolean"))


def check_sample_weight(sample_weight: Any, n_samples: int) -> NDArray[np.float64] | None:
    """Validate frequency weights: shape ``(n_samples,)``, finite, >= 0, not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Weights per sample; ``None`` means all ones.
    n_samples : int
        Number of rows of ``X``.

    Returns
    -------
    ndarray of shape (n_samples,) or None

    Raises
    ------
    ValueError
        Naming the problem and the offending rows.

    Examples
    --------
    >>> check_sample_weight([1, 2, 0], 3)
    array([1., 2., 0.])
    """
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight)
    if weight.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric; got dtype {weight.dtype}.")
    weight = weight.astype(np.float64)
    if weight.ndim == 0:
        weight = np.full(n_samples, float(weight))
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X; got shape {weight.shape}."
        )
    bad = np.flatnonzero(~np.isfinite(weight) | (weight < 0))
    if bad.size:
        raise ValueError(
            f"sample_weight must be finite and >= 0; {describe_rows(bad)} are not "
            f"(first value {float(weight[bad[0]])!r})."
        )
    if not weight.sum() > 0:
        raise ValueError("sample_weight sums to 0; at least one sample needs a positive weight.")
    return weight


def check_random_state(seed: Any) -> np.random.Generator:
    """Turn ``random_state`` into one ``numpy.random.Generator``.

    Parameters
    ----------
    seed : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` draws fresh entropy; an int seeds a new generator (same int, same
        stream); a Generator is used (and advanced) as is; a RandomState seeds a new
        generator from its stream (and is advanced).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> bool(check_random_state(0).integers(10) == check_random_state(0).integers(10))
    True
    """
    if seed is None or _is_int(seed):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**32 - 1, size=4, dtype=np.uint64))
    raise ValueError(
        "random_state must be None, a non-negative int, a numpy.random.Generator or a "
        f"numpy.random.RandomState; got {seed!r}."
    )
