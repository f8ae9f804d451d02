"""Reading a CSV table for the command line: clear errors, numeric columns chosen.

:func:`read_table` reads a file and :func:`select_columns` picks the columns to fit;
every failure is a :class:`~bayesgmm.reporting.console.CLIError` that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bayesgmm.reporting.console import CLIError

__all__ = ["read_table", "select_columns"]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file, turning every failure into a :class:`CLIError` that says why.

    Parameters
    ----------
    path : str or path-like
        The CSV file (a header line, then one observation per line).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    CLIError
        If the file is missing, a directory, unreadable, not CSV text or has no rows.

    Examples
    --------
    >>> read_table("no-such-file.csv")
    Traceback (most recent call last):
    ...
    bayesgmm.reporting.console.CLIError: cannot read 'no-such-file.csv': no such file.
    """
    path = Path(path)
    if not path.exists():
        raise CLIError(f"cannot read {str(path)!r}: no such file.")
    if path.is_dir():
        raise CLIError(f"cannot read {str(path)!r}: it is a directory, not a CSV file.")
    try:
        frame = pd.read_csv(path)
    except PermissionError:
        raise CLIError(f"cannot read {str(path)!r}: permission denied.") from None
    except UnicodeDecodeError:
        raise CLIError(
            f"cannot read {str(path)!r} as CSV: it is not UTF-8 text (a binary file?)."
        ) from None
    except pd.errors.EmptyDataError:
        raise CLIError(f"cannot read {str(path)!r}: the file is empty.") from None
    except (pd.errors.ParserError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise CLIError(f"cannot read {str(path)!r} as CSV: {reason}.") from None
    if frame.empty:
        raise CLIError(f"{str(path)!r} has a header but no data rows.")
    return frame


def _stray_text(column: pd.Series, name: object) -> str:
    """Describe the text in a column that is otherwise numbers ('' if it is not)."""
    present = column.notna()
    if pd.api.types.is_bool_dtype(column) or not present.any():
        return ""
    parsed = pd.to_numeric(column, errors="coerce").notna()
    bad = column.index[present & ~parsed]
    if len(bad) == 0 or parsed.sum() < 0.5 * present.sum():
        return ""
    lines = [column.index.get_loc(row) + 2 for row in bad[:5]]  # line 1 is the header
    more = ", ..." if len(bad) > 5 else ""
    return (
        f"column {str(name)!r} is numbers except {column.loc[bad[0]]!r} on line"
        f"{'s' if len(bad) > 1 else ''} {', '.join(map(str, lines))}{more}"
    )


def select_columns(
    frame: pd.DataFrame,
    columns: Sequence[str] | None,
    source: str = "the data",
    *,
    allow_missing: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """The numeric columns to fit, and the non-numeric ones left out.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table read.
    columns : sequence of str or None
        Columns asked for (``--columns``); ``None``: every numeric column.
    source : str, default="the data"
        Name of the table in messages (the file name).

    Returns
    -------
    data : pandas.DataFrame
        The selected columns as float64.
    dropped : list of str
        Non-numeric columns ignored (only when ``columns`` is ``None``).

    Raises
    ------
    CLIError
        If a column is missing or not numeric, no numeric column exists, or a value
        is missing or infinite.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]})
    >>> data, dropped = select_columns(frame, None)
    >>> list(data.columns), dropped
    (['x'], ['name'])
    >>> select_columns(frame, ["name"])
    Traceback (most recent call last):
    ...
    bayesgmm.reporting.console.CLIError: column 'name' (line 2: 'a') of the data is not numeric; ...
    """
    dropped: list[str] = []
    if columns is None:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        numeric = [c for c in numeric if not pd.api.types.is_bool_dtype(frame[c])]
        dropped = [str(c) for c in frame.columns if c not in numeric]
        typos = [_stray_text(frame[c], c) for c in frame.columns if c not in numeric]
        typos = [t for t in typos if t]
        if typos:
            raise CLIError(
                f"{'; '.join(typos)} in {source}: fix those values, or leave the "
                f"column{'s' if len(typos) > 1 else ''} out with --columns."
            )
        if not numeric:
            raise CLIError(
                f"{source} has no numeric column (columns: {', '.join(map(str, frame.columns))})."
                " Check the delimiter (a comma is expected) and the header line."
            )
        selected = numeric
    else:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise CLIError(
                f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} not "
                f"found in {source}; its columns are {', '.join(map(str, frame.columns))}."
            )
        duplicates = sorted({c for c in columns if list(columns).count(c) > 1})
        if duplicates:
            raise CLIError(f"--columns names {', '.join(map(repr, duplicates))} twice.")
        text = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c])]
        text += [c for c in columns if pd.api.types.is_bool_dtype(frame[c])]
        if text:
            examples = []
            for column in text:
                values = pd.to_numeric(frame[column], errors="coerce")
                bad = frame.index[values.isna() & frame[column].notna()]
                row = bad[0] if len(bad) else frame.index[0]
                line = frame.index.get_loc(row) + 2  # line 1 is the header
                examples.append(f"{column!r} (line {line}: {frame[column].loc[row]!r})")
            raise CLIError(
                f"column{'s' if len(text) > 1 else ''} {', '.join(examples)} of {source} "
                f"{'are' if len(text) > 1 else 'is'} not numeric; choose numeric columns "
                "with --columns."
            )
        selected = list(columns)
    data = frame[selected].astype(np.float64)
    values = data.to_numpy()
    if allow_missing:  # empty cells are missing; infinities and empty rows are not data
        bad = np.isinf(values).any(axis=1) | np.isnan(values).all(axis=1)
        what, fix = "infinite values or no value at all", "fix or remove them"
    else:
        bad = ~np.isfinite(values).all(axis=1)
        what = "missing or infinite values"
        fix = "remove or impute them, or pass --missing marginalize to fit the observed cells"
    bad_rows = np.flatnonzero(bad)
    if len(bad_rows):
        shown = ", ".join(str(i + 2) for i in bad_rows[:5])  # line 1 is the header
        more = " ..." if len(bad_rows) > 5 else ""
        raise CLIError(
            f"{len(bad_rows)} row{'s' if len(bad_rows) > 1 else ''} of {source} "
            f"{'have' if len(bad_rows) > 1 else 'has'} {what} "
            f"(line{'s' if len(bad_rows) > 1 else ''} {shown}{more}); {fix}."
        )
    if len(data) < 2:
        raise CLIError(f"{source} has {len(data)} row; a mixture needs at least 2.")
    return data, dropped


# ---------------------------------------------------------------------- outputs
