"""The bayesgmm file format: one format version, file signatures, clear errors.

Every file bayesgmm writes (EM models as ``.npz``, posteriors as netCDF-4) carries
``FORMAT_VERSION``; readers accept ``READABLE_VERSIONS`` and explain what to do with
a newer or older file. The helpers here recognise a file by its first bytes and word
the errors for missing, truncated or corrupted files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bayesgmm._version import __version__
from bayesgmm.core.validation import is_int

__all__ = [
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "check_format_version",
    "file_kind",
    "require_file",
    "unreadable",
    "wrong_signature",
]

#: version of the layout of every file bayesgmm writes (EM ``.npz`` and posterior
#: netCDF); bumped when a file it writes could not be read correctly by an older bayesgmm
FORMAT_VERSION = 1
#: format versions the readers accept
READABLE_VERSIONS = (1,)
#: first bytes of a zip archive (``.npz``) and of an HDF5 file (netCDF-4)
_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def require_file(path: Path) -> None:
    """``FileNotFoundError`` naming ``path`` unless it exists."""
    if not path.exists():
        raise FileNotFoundError(f"cannot load {path}: no such file.")


def file_kind(path: Path) -> str | None:
    """``"npz"``, ``"netcdf"`` or ``None`` from the first bytes of ``path``."""
    with open(path, "rb") as handle:
        head = handle.read(len(_HDF5_MAGIC))
    if head.startswith(_ZIP_MAGIC):
        return "npz"
    if head == _HDF5_MAGIC:
        return "netcdf"
    return None


def unreadable(path: Path, detail: str) -> ValueError:
    """The error for a corrupted or truncated file, with ``detail`` and the fix."""
    return ValueError(
        f"{path} is not a readable bayesgmm model file (corrupted or truncated?): "
        f"{detail.rstrip('.')}. Save the model again, or restore the file from a backup."
    )


def wrong_signature(path: Path, expected: str) -> str:
    """Why a file that does not start with the signature of ``expected`` is unreadable."""
    size = path.stat().st_size
    if size == 0:
        return "the file is empty"
    return f"its {size} bytes do not start with the signature of {expected}"


def check_format_version(
    found: Any, readable: tuple[int, ...], path: Path, written_by: Any = None
) -> int:
    """Return the file's format version, or raise a ValueError saying what to do.

    Examples
    --------
    >>> check_format_version(1, READABLE_VERSIONS, Path("m.npz"))
    1
    >>> check_format_version(9, READABLE_VERSIONS, Path("m.npz"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: m.npz has bayesgmm file format version 9, newer than this bayesgmm ...
    """
    if not is_int(found):
        raise unreadable(path, f"its format version {found!r} is not an integer")
    version = int(found)
    if version in readable:
        return version
    writer = f" (it was written by bayesgmm {written_by})" if written_by else ""
    current = f"this bayesgmm ({__version__}) reads format version"
    current += f" {readable[0]}" if len(readable) == 1 else f"s {', '.join(map(str, readable))}"
    if version > max(readable):
        raise ValueError(
            f"{path} has bayesgmm file format version {version}, newer than {current}"
            f"{writer}. Upgrade bayesgmm to load it (pip install --upgrade bayesgmm)."
        )
    raise ValueError(
        f"{path} has bayesgmm file format version {version}, older than {current}"
        f"{writer}. Load it with a bayesgmm release that reads format version {version}."
    )
