"""Atomic file writes shared by the report and the command-line interface."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic"]

#: permissions of a new file (an existing file keeps its own)
_NEW_FILE_MODE = 0o644


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, whole.

    The text goes to a temporary file in the same directory, which is flushed to
    disk and renamed over ``path`` (:func:`os.replace` is atomic on one file
    system). If anything fails, the temporary file is removed and an existing
    ``path`` is left untouched.

    Parameters
    ----------
    path : str or path-like
        Destination file; its directory must exist.
    text : str
        Content, written as UTF-8.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = write_text_atomic(Path(folder) / "note.txt", "hello")
    ...     target.read_text()
    'hello'
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write {path}: directory {folder} does not exist. Create it first."
        )
    mode = path.stat().st_mode & 0o777 if path.exists() else _NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
