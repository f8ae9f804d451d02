"""Input validation: data checked once at the public boundary, parameters by table.

Data: :func:`check_array` is the one array check; :func:`validate_data` runs it and
wraps the result in a :class:`ValidatedData`, which every public entry point also
accepts without checking it again, so inner layers (grid cells, pipeline steps) trust
what they are handed. Parameters: the rules of :mod:`bayesgmm.core.parameters`,
re-exported here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

__all__ = [
    "Constraint",
    "ValidatedData",
    "check_array",
    "check_fitted_features",
    "check_integer",
    "check_number",
    "check_parameters",
    "check_partial_labels",
    "check_random_state",
    "check_sample_weight",
    "check_settings",
    "describe_rows",
    "validate_data",
]

from bayesgmm.core.parameters import (  # noqa: F401 - re-exported
    Constraint,
    anything,
    boolean,
    check_integer,
    check_number,
    check_parameters,
    check_settings,
    check_value,
    integer,
    is_int,
    is_real,
    one_of,
    open_unit_interval,
    optional,
    positive_real,
    progress_option,
    progress_stream,
    random_state,
    real,
)


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
    keep_float32: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.object_] | None]:
    """Convert ``X`` to a finite float64 array of shape ``(n_samples, n_features)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data: a NumPy array, nested lists or a pandas DataFrame. float32 input is
        converted to float64 unless ``keep_float32``.
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
    keep_float32 : bool, default=False
        Keep float32 arrays (and DataFrames whose columns are all float32) float32,
        as scikit-learn's estimators do.

    Returns
    -------
    array : ndarray of shape (n_samples, n_features)
        C-contiguous float64 copy or view of the data.
    feature_names : ndarray of str or None
        Column names when ``X`` is a DataFrame with string column names.

    Raises
    ------
    TypeError
        If the data are sparse or not numeric (an object array must convert to float).
    ValueError
        If the data are complex, not 2-D, are empty, contain infinite values, NaN
        (unless ``allow_nan``) or rows that are entirely NaN (the message lists the
        offending rows).

    Examples
    --------
    >>> arr, names = check_array([[1, 2], [3, 4]])
    >>> arr.dtype, arr.shape, names
    (dtype('float64'), (2, 2), None)
    >>> check_array([[1.0, np.nan], [3.0, 4.0]], allow_nan=True)[0]
    array([[ 1., nan],
           [ 3.,  4.]])
    >>> check_array(np.ones((2, 2), dtype=np.float32), keep_float32=True)[0].dtype
    dtype('float32')
    """
    if sparse.issparse(X):
        raise TypeError(
            f"{name} is a SciPy sparse {X.format} matrix of shape {X.shape}; sparse input is "
            "not supported (the model needs every cell). Convert it with X.toarray() if it "
            "fits in memory."
        )
    feature_names = _feature_names(X)
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        bad = [c for c, dt in zip(X.columns, X.dtypes, strict=True) if not _numeric(dt)]
        if bad:
            details = "; ".join(_non_numeric_detail(X[c], c) for c in bad)
            raise TypeError(
                f"{name} must contain only numeric columns; columns {[str(c) for c in bad]} "
                f"are not numeric ({details}). Encode or drop them."
            )
        single = keep_float32 and len(X.columns) and all(dt == np.float32 for dt in X.dtypes)
        array = X.to_numpy(dtype=np.float32 if single else np.float64, na_value=np.nan)
    else:
        try:
            array = np.asarray(X)
        except ValueError as err:  # ragged nested sequences
            raise ValueError(
                f"{name} must be a rectangular array of shape (n_samples, n_features); "
                f"could not convert it: {err}"
            ) from None
        if array.dtype.kind == "O":  # e.g. a list mixing numbers and None/strings
            array = _object_to_float(array, name)
        if array.dtype.kind == "c":
            raise ValueError(
                f"{name} must be real-valued; got a complex array. Complex data not "
                "supported: pass its real part, or its real and imaginary parts as features."
            )
        if array.dtype.kind in "US":
            _object_to_float(array.astype(object), name)  # names cells that are not numbers
            raise TypeError(
                f"{name} holds numbers stored as text (dtype {array.dtype}). Convert it "
                "with np.asarray(X, dtype=float)."
            )
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must contain numbers; got an array of dtype {array.dtype}. "
                "Convert it with np.asarray(X, dtype=float)."
            )
    if array.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got a 1-D array of "
            f"shape {array.shape}. Use X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample (expected 2D array, got 1D array instead: "
            "Reshape your data)."
        )
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got {array.ndim}-D "
            f"array of shape {array.shape}."
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"{name} has no features (shape {array.shape}): found array with 0 feature(s) "
            f"(shape={array.shape}) while a minimum of 1 is required."
        )
    if array.shape[0] < min_samples:
        raise ValueError(
            f"{name} must have at least {min_samples} sample{'s' if min_samples > 1 else ''};"
            f" got {array.shape[0]} (shape {array.shape}): found array with "
            f"{array.shape[0]} sample(s) while a minimum of {min_samples} is required."
        )
    dtype = np.float32 if keep_float32 and array.dtype == np.float32 else np.float64
    array = np.ascontiguousarray(array, dtype=dtype)
    if not _all_finite(array):
        _check_non_finite(array, np.isfinite(array), name, allow_nan, nan_hint)
    return array, feature_names


def _all_finite(array: NDArray[np.float64], rows: int = 1 << 16) -> bool:
    """``np.isfinite(array).all()`` without an array-sized temporary."""
    return all(np.isfinite(array[s : s + rows]).all() for s in range(0, array.shape[0], rows))


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


def _non_numeric_detail(column: Any, label: Any) -> str:
    """Say where a non-numeric column holds values that are not numbers."""
    values = column.to_numpy(dtype=object)
    present = column.notna().to_numpy()
    parsed = np.asarray([_as_number(v) is not None for v in values], dtype=bool)
    bad_rows = np.flatnonzero(present & ~parsed)
    if bad_rows.size == 0:
        return f"column {str(label)!r} has dtype {column.dtype}; convert it with pd.to_numeric"
    first = values[bad_rows[0]]
    share = 1 - bad_rows.size / max(int(present.sum()), 1)
    kind = "numbers except" if share >= 0.5 else "text, e.g."
    return f"column {str(label)!r} is {kind} {first!r} in {describe_rows(bad_rows)}"


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _object_to_float(array: NDArray[Any], name: str) -> NDArray[np.float64]:
    """Convert an object array of numbers (None -> NaN); name the cells that are not."""
    flat = array.ravel()
    converted = np.empty(flat.shape, dtype=np.float64)
    bad = []
    for i, value in enumerate(flat):
        number = np.nan if value is None else _as_number(value)
        if number is None:
            bad.append(i)
        else:
            converted[i] = number
    if bad:
        cells = [np.unravel_index(i, array.shape) for i in bad[:5]]
        where = ", ".join(
            f"{tuple(int(j) for j in c)}: {flat[i]!r}" for c, i in zip(cells, bad, strict=False)
        )
        raise TypeError(
            f"{name} must contain numbers; {len(bad)} cell(s) are not ({where}"
            f"{', ...' if len(bad) > 5 else ''}; {_float_error(flat[bad[0]])}). Convert or "
            "drop them."
        )
    return converted.reshape(array.shape)


def _float_error(value: Any) -> str:
    """What ``float(value)`` says about a value that is not a number."""
    try:
        float(value)
    except (TypeError, ValueError) as err:
        return str(err)
    return "not a number"  # pragma: no cover - only called for values float() refuses


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
        raise ValueError(
            "sample_weight sums to 0 (every weight is zero); at least one sample needs a "
            "positive weight."
        )
    return weight


@dataclass(frozen=True, eq=False)
class ValidatedData:
    """Data checked once at a public entry point; inner layers take it as it is.

    :func:`validate_data` makes it from what the user passed (through
    :func:`check_array`, the one array check) and every public function that takes
    ``X`` also takes a ``ValidatedData`` without checking it again: the model
    selection grid, the pipeline's steps and the fits they run pass it inward.

    Attributes
    ----------
    array : ndarray of shape (n_samples, n_features)
        C-contiguous float64 (float32 when the caller kept float32) data; NaN cells
        only when ``has_nan``.
    feature_names : ndarray of str or None
        Column names of a DataFrame input with string column names.
    sample_weight : ndarray of shape (n_samples,) or None
        Checked frequency weights.
    has_nan : bool
        Whether ``array`` has missing (NaN) cells.

    Examples
    --------
    >>> data = validate_data([[1.0, 2.0], [3.0, 4.0]])
    >>> data.shape, data.has_nan, validate_data(data) is data
    ((2, 2), False, True)
    """

    array: NDArray[np.float64]
    feature_names: NDArray[np.object_] | None = None
    sample_weight: NDArray[np.float64] | None = None
    has_nan: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_features)``."""
        return self.array.shape

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.array.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features."""
        return int(self.array.shape[1])

    def __len__(self) -> int:
        return self.n_samples

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        """The data as an array (``np.asarray(data)``), for code that expects one."""
        return self.array if dtype is None else self.array.astype(dtype, copy=False)

    def take(self, rows: Any) -> ValidatedData:
        """The rows ``rows`` (indices or a boolean mask), still validated."""
        array = np.ascontiguousarray(self.array[rows])
        weight = None if self.sample_weight is None else self.sample_weight[rows]
        has_nan = self.has_nan and not _all_finite(array)
        return ValidatedData(array, self.feature_names, weight, has_nan)

    def without_names(self) -> ValidatedData:
        """The same data without feature names (an estimator then stores none)."""
        return self if self.feature_names is None else replace(self, feature_names=None)

    @classmethod
    def derived(
        cls,
        array: NDArray[np.float64],
        feature_names: NDArray[np.object_] | None = None,
    ) -> ValidatedData:
        """Wrap an array the package made from validated data (a bootstrap sample).

        Not a check: the array is trusted to be 2-D and float, with NaN only for
        missing cells.
        """
        array = np.ascontiguousarray(array, dtype=np.float64)
        return cls(array, feature_names, None, not _all_finite(array))


def validate_data(
    X: Any,
    *,
    name: str = "X",
    min_samples: int = 1,
    allow_nan: bool = False,
    nan_hint: str | None = None,
    keep_float32: bool = False,
    sample_weight: Any = None,
) -> ValidatedData:
    """Check ``X`` once (:func:`check_array`) and wrap it; a ``ValidatedData`` passes.

    A ``ValidatedData`` is not checked again: only what differs between callers is
    (enough rows, NaN where this caller cannot take it, float64 unless
    ``keep_float32``), without a pass over the data.

    Parameters
    ----------
    X : array-like or ValidatedData
        Data.
    name, min_samples, allow_nan, nan_hint, keep_float32
        As for :func:`check_array`.
    sample_weight : array-like of shape (n_samples,), default=None
        Frequency weights (:func:`check_sample_weight`); ``None`` keeps those of a
        ``ValidatedData``.

    Returns
    -------
    ValidatedData

    Examples
    --------
    >>> data = validate_data([[1.0, np.nan], [2.0, 3.0]], allow_nan=True)
    >>> data.has_nan
    True
    >>> validate_data(data)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X contains NaN in rows [0] (1 row): 1 missing value in all. ...
    """
    if isinstance(X, ValidatedData):
        data = X
        n_samples = data.n_samples
        if n_samples < min_samples:
            raise ValueError(
                f"{name} must have at least {min_samples} sample{'s' if min_samples > 1 else ''};"
                f" got {n_samples} (shape {data.shape}): found array with "
                f"{n_samples} sample(s) while a minimum of {min_samples} is required."
            )
        if data.has_nan and not allow_nan:
            _check_non_finite(data.array, ~np.isnan(data.array), name, False, nan_hint)
        if data.array.dtype != np.float64 and not keep_float32:
            data = replace(data, array=data.array.astype(np.float64))
    else:
        array, names = check_array(
            X,
            name=name,
            min_samples=min_samples,
            allow_nan=allow_nan,
            nan_hint=nan_hint,
            keep_float32=keep_float32,
        )
        has_nan = allow_nan and not _all_finite(array)
        data = ValidatedData(array, names, None, has_nan)
    if sample_weight is not None:
        weight = check_sample_weight(sample_weight, data.n_samples)
        data = replace(data, sample_weight=weight)
    return data


def like_input(X: Any, values: NDArray[np.float64]) -> Any:
    """``values`` as a DataFrame with ``X``'s index and columns when ``X`` is one.

    Examples
    --------
    >>> import pandas as pd
    >>> like_input(pd.DataFrame({"a": [1.0]}, index=[7]), np.array([[2.0]])).loc[7, "a"]
    np.float64(2.0)
    >>> like_input([[1.0]], np.array([[2.0]]))
    array([[2.]])
    """
    if hasattr(X, "columns") and hasattr(X, "index"):
        import pandas

        return pandas.DataFrame(values, index=X.index, columns=X.columns)
    return values


def check_fitted_features(
    estimator: Any, n_features: int, names: NDArray[np.object_] | None, stacklevel: int = 3
) -> None:
    """Prediction-time X against what ``estimator`` was fitted on (scikit-learn's rules).

    A different number of features than ``estimator.n_features_in_``, or different
    feature names than ``feature_names_in_``, is an error; no names, where the
    estimator was fitted with names, a warning.

    Examples
    --------
    >>> class Fitted:
    ...     n_features_in_ = 2
    ...     feature_names_in_ = np.array(["a", "b"], dtype=object)
    >>> check_fitted_features(Fitted(), 2, np.array(["a", "c"], dtype=object))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The feature names should match ... got ['a', 'c'].
    """
    if n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None:
        if len(names) != len(fitted) or np.any(names != fitted):
            raise ValueError(
                "The feature names should match those that were passed during fit; "
                f"fitted with {list(fitted)}, got {list(names)}."
            )
    elif fitted is not None and names is None:
        warnings.warn(
            f"X does not have valid feature names, but {type(estimator).__name__} was "
            "fitted with feature names",
            UserWarning,
            stacklevel=stacklevel,
        )


def check_partial_labels(labels: Any, n_samples: int, n_components: int) -> NDArray[np.intp]:
    """Partial labels of a semi-supervised fit: each row's component, -1 where unknown.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Integers in ``0 .. n_components - 1``, or -1 for an unlabelled row
        (scikit-learn's semi-supervised convention). Every component needs at least
        one labelled row: EM starts from them.
    n_samples, n_components : int
        Of the fit.

    Returns
    -------
    ndarray of int of shape (n_samples,)

    Raises
    ------
    ValueError
        Naming the rows or components at fault.

    Examples
    --------
    >>> check_partial_labels([0, -1, 1], 3, 2).tolist()
    [0, -1, 1]
    >>> check_partial_labels([0, -1, 0], 3, 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: labels name no row of component 1; every component needs at least one ...
    """
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(
            f"labels must have shape ({n_samples},), one per row of X (-1 for unlabelled "
            f"rows); got shape {values.shape}."
        )
    if values.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(values) | (values != np.round(values)))
        if bad.size:
            raise ValueError(
                f"labels must be integers (-1 for unlabelled rows); {describe_rows(bad)} are not."
            )
    elif values.dtype.kind not in "iub":
        raise TypeError(
            f"labels must be integers (-1 for unlabelled rows); got dtype {values.dtype}."
        )
    values = values.astype(np.intp)
    bad = np.flatnonzero((values < -1) | (values >= n_components))
    if bad.size:
        raise ValueError(
            f"labels must be -1 (unlabelled) or a component in 0 .. {n_components - 1}; "
            f"{describe_rows(bad)} have {sorted(set(values[bad].tolist()))[:5]}."
        )
    absent = np.setdiff1d(np.arange(n_components), values)
    if absent.size:
        which = ", ".join(str(int(k)) for k in absent)
        raise ValueError(
            f"labels name no row of component{'s' if absent.size > 1 else ''} {which}; "
            "every component needs at least one labelled row (EM starts from them)."
        )
    return values


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
    if seed is None or is_int(seed):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**32 - 1, size=4, dtype=np.uint64))
    raise ValueError(
        "random_state must be None, a non-negative int, a numpy.random.Generator or a "
        f"numpy.random.RandomState; got {seed!r}."
    )
