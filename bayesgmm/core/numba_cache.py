"""Numba's on-disk cache, keyed by every kernel source of the package.

Numba keys a cached function by its own file only, so a compiled function that calls
a kernel in another module keeps its old machine code when only that other module
changes (the sampler of :mod:`bayesgmm.mfm` after an edit of
:mod:`bayesgmm.core.numba_kernels`, for example). Here every cached bayesgmm function
is keyed instead by one digest of all the package's modules that use Numba
(:func:`kernel_sources_digest`): when any of them changes, every entry is stale and is
compiled again. Each kernel module imports this module before it defines a cached
function, which installs the locator.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from numba.core import caching

__all__ = ["KernelSourcesStamp", "kernel_sources_digest"]

#: the installed package's folder
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def kernel_sources_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the source of every module under ``package_dir`` that uses Numba.

    Parameters
    ----------
    package_dir : path, default=the bayesgmm package
        Folder searched recursively for ``*.py`` files that mention ``numba``.

    Returns
    -------
    str
        Hex digest over the files' relative paths and contents, in path order.

    Examples
    --------
    >>> len(kernel_sources_digest())
    64
    """
    if package_dir == PACKAGE_DIR:
        return _package_digest()
    return _digest(package_dir)


@functools.cache
def _package_digest() -> str:
    return _digest(PACKAGE_DIR)


def _digest(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        content = path.read_bytes()
        if b"numba" in content:
            digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
            digest.update(content + b"\0")
    return digest.hexdigest()


class KernelSourcesStamp:
    """Locator mixin: the source stamp of a cached function is :func:`kernel_sources_digest`."""

    def get_source_stamp(self) -> str:
        """The digest of the package's kernel sources (not the function's file alone)."""
        return kernel_sources_digest()


class _StampedInTreeLocator(KernelSourcesStamp, caching.InTreeCacheLocator):
    """Numba's ``__pycache__`` locator for bayesgmm functions, with the package stamp."""

    @classmethod
    def from_function(cls, py_func, py_file):
        module = getattr(py_func, "__module__", "") or ""
        if not module.startswith("bayesgmm."):
            return None
        return super().from_function(py_func, py_file)


def _install_locator() -> None:
    classes = caching.CacheImpl._locator_classes
    if _StampedInTreeLocator not in classes:
        classes.insert(0, _StampedInTreeLocator)


_install_locator()
