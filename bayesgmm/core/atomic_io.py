"""Atomic file writes: readers (and a crash at any moment) see the old file or the new one.

Shared by model persistence (:mod:`bayesgmm.persistence`), the report and the
command-line interface. The content goes to a temporary file in the destination's
directory, is flushed to disk (``fsync``) and renamed over the destination with
:func:`os.replace` (atomic on one file system); then the directory is synced.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "write_bytes_atomic", "write_text_atomic"]

#: permissions of a new file (an existing file keeps its own)
_NEW_FILE_MODE = 0o644


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Context manager: write a file by name, then put it in place atomically.

    Yields the path of a new, empty temporary file in the directory of ``path``. The
    caller writes the whole content there (by name, e.g. with a library's
    ``to_netcdf``); when the ``with`` block ends normally the temporary file is
    flushed to disk (``fsync``), given the permissions of the file it replaces
    (``0o644`` for a new file) and renamed over ``path`` with :func:`os.replace`,
    which is atomic on one file system. If the block raises anything (including
    ``KeyboardInterrupt``), or the flush or rename fails, the temporary file is
    removed and an existing ``path`` is left untouched. A process killed mid-write
    also leaves ``path`` untouched (and a hidden ``.<name>.*.tmp`` file behind).

    Parameters
    ----------
    path : str or path-like
        Destination file; its directory must exist.

    Yields
    ------
    pathlib.Path
        The temporary file to write.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.

    See Also
    --------
    write_bytes_atomic : the same for content written to a binary file object.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "data.bin"
    ...     with atomic_write(target) as tmp:
    ...         _ = tmp.write_bytes(b"new content")
    ...     target.read_bytes()
    b'new content'
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write {path}: directory {folder} does not exist. Create it first."
        )
    mode = path.stat().st_mode & 0o777 if path.exists() else _NEW_FILE_MODE
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(folder)


def write_bytes_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Write a binary file atomically: readers see the old file or the new one, whole.

    ``write`` is called with a binary file object opened on a temporary file in the
    directory of ``path``; then the file is flushed to disk and renamed over ``path``
    (see :func:`atomic_write`). If ``write`` or anything after it fails, the
    temporary file is removed and an existing ``path`` is left untouched.

    Parameters
    ----------
    path : str or path-like
        Destination file; its directory must exist.
    write : callable
        Called once with the open binary file object; writes the whole content.

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
    ...     target = write_bytes_atomic(Path(folder) / "data.bin", lambda f: f.write(b"abc"))
    ...     target.read_bytes()
    b'abc'
    """
    path = Path(path)
    with atomic_write(path) as tmp, open(tmp, "wb") as handle:
        write(handle)
        handle.flush()
    return path


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without directory fsync
        pass
    finally:
        os.close(fd)


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
    return write_bytes_atomic(path, lambda handle: handle.write(text.encode("utf-8")))
