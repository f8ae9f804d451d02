"""Parameter rules: one declarative table per estimator and clear messages.

:class:`Constraint` says what a parameter may be; :func:`check_parameters` checks an
estimator's parameters against its table, :func:`check_value`,
:func:`check_integer` and :func:`check_number` single values, and
:func:`check_settings` every field of a dict-valued parameter. Re-exported by
:mod:`bayesgmm.core.validation`, the package's one validation module.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "Constraint",
    "check_integer",
    "check_number",
    "check_parameters",
    "check_settings",
    "check_value",
    "is_int",
    "is_real",
]


@dataclass(frozen=True)
class Constraint:
    """One allowed-values rule: a predicate and the words that describe it."""

    accepts: Callable[[Any], bool]
    description: str
    hint: str = ""


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (NumPy integers too; ``bool`` is not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (NumPy scalars too; ``bool`` is not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(low: int, *, hint: str = "") -> Constraint:
    """An integer ``>= low``."""
    return Constraint(lambda v: is_int(v) and v >= low, f"an integer >= {low}", hint)


def real(low: float, *, hint: str = "") -> Constraint:
    """A finite real number ``>= low``."""
    return Constraint(
        lambda v: is_real(v) and np.isfinite(v) and v >= low, f"a real number >= {low}", hint
    )


def positive_real(*, hint: str = "") -> Constraint:
    """A finite real number ``> 0``."""
    return Constraint(
        lambda v: is_real(v) and bool(np.isfinite(v)) and v > 0, "a finite real number > 0", hint
    )


def open_unit_interval(*, hint: str = "") -> Constraint:
    """A real number in ``(0, 1)``."""
    return Constraint(lambda v: is_real(v) and 0 < v < 1, "a real number in (0, 1)", hint)


def optional(constraint: Constraint) -> Constraint:
    """``None`` or what ``constraint`` allows."""
    return Constraint(
        lambda v: v is None or constraint.accepts(v),
        f"None or {constraint.description}",
        constraint.hint,
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
            or (is_int(v) and 0 <= v < 2**63)
            or isinstance(v, np.random.Generator | np.random.RandomState)
        ),
        "None, a non-negative int, a numpy.random.Generator or a numpy.random.RandomState",
    )


def progress_option() -> Constraint:
    """A ``progress`` argument: ``True``, ``False``, ``None`` or a writable file.

    Examples
    --------
    >>> import io
    >>> check = progress_option()
    >>> check.accepts(True), check.accepts(io.StringIO()), check.accepts("stderr")
    (True, True, False)
    """
    return Constraint(
        lambda v: v is None or isinstance(v, bool) or callable(getattr(v, "write", None)),
        "True, False, None or a file-like object with a write method",
    )


def progress_stream(progress: Any) -> Any:
    """Where progress lines go: stderr for ``True``, the file itself, or ``None`` (quiet).

    Examples
    --------
    >>> import sys
    >>> progress_stream(True) is sys.stderr, progress_stream(False), progress_stream(None)
    (True, None, None)
    """
    if progress is True:
        return sys.stderr
    return progress or None


def check_value(name: str, value: Any, constraint: Constraint) -> None:
    """Check one value against ``constraint``; the error names it and the allowed values.

    Raises
    ------
    ValueError
        ``"{name} must be {allowed}; got {value!r}."`` and the constraint's hint.

    Examples
    --------
    >>> check_value("n", True, integer(1))
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1; got True.
    """
    if not constraint.accepts(value):
        hint = f" {constraint.hint}" if constraint.hint else ""
        raise ValueError(f"{name} must be {constraint.description}; got {value!r}.{hint}")


@overload
def check_integer(
    name: str, value: Any, low: int, *, allow_none: Literal[False] = ..., none_means: str = ...
) -> int: ...
@overload
def check_integer(
    name: str, value: Any, low: int, *, allow_none: bool, none_means: str = ...
) -> int | None: ...
def check_integer(
    name: str, value: Any, low: int, *, allow_none: bool = False, none_means: str = ""
) -> int | None:
    """``value`` as an int after checking it is an integer ``>= low`` (``bool`` is not).

    Parameters
    ----------
    name : str
        The parameter, for the message.
    value : Any
        Its value.
    low : int
        The smallest value allowed.
    allow_none : bool, default=False
        Accept ``None`` (returned as is); ``none_means`` says what it means.

    Examples
    --------
    >>> check_integer("draws", np.int64(3), 1)
    3
    >>> check_integer("k_cap", False, 1, allow_none=True, none_means="automatic")
    Traceback (most recent call last):
    ...
    ValueError: k_cap must be an integer >= 1 or None (automatic); got False.
    """
    if value is None and allow_none:
        return None
    description = f"an integer >= {low}"
    if allow_none:
        description += " or None" + (f" ({none_means})" if none_means else "")
    check_value(name, value, Constraint(lambda v: is_int(v) and v >= low, description))
    return int(value)


def check_number(
    name: str,
    value: Any,
    accepts: Callable[[float], bool] = lambda v: True,
    description: str = "a finite real number",
    hint: str = "",
) -> float:
    """``value`` as a float after checking it is a finite real number that ``accepts``.

    ``bool`` is not a number here; the message is ``"{name} must be {description};
    got {value!r}."`` (and ``hint``).

    Examples
    --------
    >>> check_number("alpha", 0.05, lambda v: 0 < v < 1, "a number in (0, 1)")
    0.05
    >>> check_number("alpha", True, lambda v: 0 < v < 1, "a number in (0, 1)")
    Traceback (most recent call last):
    ...
    ValueError: alpha must be a number in (0, 1); got True.
    """
    rule = Constraint(
        lambda v: is_real(v) and bool(np.isfinite(v)) and bool(accepts(v)), description, hint
    )
    check_value(name, value, rule)
    return float(value)


def check_settings(
    name: str, settings: Any, table: Mapping[str, Constraint], *, kind: str = "settings"
) -> dict[str, Any]:
    """Check a dict-valued parameter: a mapping, known keys, every field in range.

    Parameters
    ----------
    name : str
        The parameter, as the user spells it (``"prior"``, ``"grid_options"``).
    settings : mapping
        Its value.
    table : mapping of str to Constraint
        The allowed keys and what each field may be.
    kind : str, default="settings"
        What the fields are, for the messages.

    Returns
    -------
    dict
        A copy of ``settings``.

    Raises
    ------
    TypeError
        If ``settings`` is not a mapping or a key is not a string.
    ValueError
        For an unknown key (the allowed keys listed) or a field out of range (naming
        the parameter, the field and its allowed values).

    Examples
    --------
    >>> check_settings("prior", {"shrinkage": -1.0}, {"shrinkage": real(0.0)})
    Traceback (most recent call last):
    ...
    ValueError: prior['shrinkage'] must be a real number >= 0.0; got -1.0.
    >>> check_settings("prior", {"shrink": 1.0}, {"shrinkage": real(0.0)})
    Traceback (most recent call last):
    ...
    ValueError: prior has unknown keys ['shrink']; the allowed keys are ['shrinkage'].
    """
    if not isinstance(settings, Mapping):
        raise TypeError(
            f"{name} must be a dict of {kind} (keys among {list(table)}); got "
            f"{type(settings).__name__} {settings!r}."
        )
    for key in settings:
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be strings among {list(table)}; got {key!r}.")
    unknown = [key for key in settings if key not in table]
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; the allowed keys are {list(table)}.")
    for key, value in settings.items():
        check_value(f"{name}[{key!r}]", value, table[key])
    return dict(settings)


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
        check_value(name, getattr(owner, name), constraint)
