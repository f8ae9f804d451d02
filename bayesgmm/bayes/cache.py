r"""Where bayesgmm keeps compiled machine code, and how it guards it.

The Bayesian model's log-density (:mod:`bayesgmm.bayes.logp_kernels`) is Numba code that
does not depend on the data's shape, so it is compiled once per machine and kept in
a per-user cache directory:

- ``$BAYESGMM_CACHE_DIR`` when set; otherwise the platform's user cache directory:
  ``$XDG_CACHE_HOME/bayesgmm`` or ``~/.cache/bayesgmm`` (Linux),
  ``~/Library/Caches/bayesgmm`` (macOS), ``%LOCALAPPDATA%\\bayesgmm\\Cache`` (Windows);
- inside it, one folder per bayesgmm version, Numba version and installation
  (``<root>/<bayesgmm version>/numba-<numba version>/<digest of the package's
  location>``), and Numba keys every entry by
  the package's kernel sources (one digest of every module that uses Numba:
  :mod:`bayesgmm.core.numba_cache`), the function's bytecode, its signature and
  the CPU, so an entry is used only by the exact code and machine that wrote it.

Processes that compile at the same time take turns on a lock file (the second one
then loads what the first wrote). Every entry's SHA-256 is recorded in a manifest
when it is written; an entry that does not match it (truncated, overwritten,
corrupted) is deleted and rebuilt with a :class:`~bayesgmm.exceptions.CacheWarning`
instead of being loaded, and so is an entry that Numba finds stale. When the
directory cannot be written, the kernels are compiled in memory (once per process)
with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numba
from numba.core import caching

from bayesgmm._version import __version__
from bayesgmm.core.atomic_io import write_text_atomic
from bayesgmm.core.numba_cache import KernelSourcesStamp
from bayesgmm.exceptions import CacheWarning

__all__ = ["CACHE_ENV", "cache_dir", "clear_cache", "compile_guarded", "kernel_cache_dir"]

#: environment variable naming the cache root
CACHE_ENV = "BAYESGMM_CACHE_DIR"
_MANIFEST = "manifest.json"
_LOCK = "compile.lock"
#: the package whose Numba functions are cached here
#: the modules whose compiled functions live in the guarded kernel cache
_KERNEL_PACKAGE = "bayesgmm.bayes."
#: unwritable folders already warned about in this process (one warning each)
_WARNED_UNWRITABLE: set[Path] = set()


def cache_dir() -> Path:
    """Root of bayesgmm's per-user cache (``$BAYESGMM_CACHE_DIR`` overrides it).

    Returns
    -------
    pathlib.Path
        The directory (not created here).

    Examples
    --------
    >>> import os
    >>> os.environ["BAYESGMM_CACHE_DIR"] = "/tmp/bgmm-cache"
    >>> str(cache_dir())
    '/tmp/bgmm-cache'
    >>> del os.environ["BAYESGMM_CACHE_DIR"]
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":  # pragma: no cover - not tested on Windows
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "bayesgmm" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover - not tested on macOS
        return home / "Library" / "Caches" / "bayesgmm"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else home / ".cache") / "bayesgmm"


def kernel_cache_dir() -> Path:
    """Folder of this bayesgmm installation's compiled kernels.

    ``<cache_dir()>/<bayesgmm version>/numba-<numba version>/<install>``, where
    ``<install>`` is a digest of the package's location (two checkouts of one version
    keep separate entries).

    Examples
    --------
    >>> kernel_cache_dir().parent.name.startswith("numba-")
    True
    """
    install = hashlib.sha256(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()
    return cache_dir() / __version__ / f"numba-{numba.__version__}" / install[:16]


def clear_cache() -> int:
    """Delete this version's compiled kernels; return the number of files removed.

    The next Bayesian fit compiles them again (seconds, once).

    Examples
    --------
    >>> n_removed = clear_cache()  # doctest: +SKIP
    """
    folder = kernel_cache_dir()
    removed = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name != _LOCK:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


class _KernelCacheLocator(
    KernelSourcesStamp, caching._SourceFileBackedLocatorMixin, caching._CacheLocator
):
    """Numba cache locator that puts bayesgmm's functions in :func:`kernel_cache_dir`."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(kernel_cache_dir())

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        # only the Bayesian kernels: other bayesgmm functions (e.g. the EM's compiled
        # orientation step) keep Numba's own cache, outside this guarded folder
        module = getattr(py_func, "__module__", "") or ""
        if not module.startswith(_KERNEL_PACKAGE):
            return None
        return super().from_function(py_func, py_file)


def _install_locator() -> None:
    classes = caching.CacheImpl._locator_classes
    if _KernelCacheLocator not in classes:
        classes.insert(0, _KernelCacheLocator)


_install_locator()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _entries(folder: Path, stem: str = "") -> list[Path]:
    return sorted(p for p in folder.glob(f"{stem}*") if p.suffix in (".nbi", ".nbc"))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (POSIX ``flock``; no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / _LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_manifest(folder: Path) -> dict[str, str]:
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _check_entries(folder: Path) -> list[str]:
    """Names of cache files that do not match the manifest."""
    manifest = _read_manifest(folder)
    return [p.name for p in _entries(folder) if manifest.get(p.name) != _digest(p)]


def _record_entries(folder: Path) -> None:
    manifest = {p.name: _digest(p) for p in _entries(folder)}
    write_text_atomic(folder / _MANIFEST, json.dumps(manifest, indent=1))


def compile_guarded[T](build: Callable[[bool], tuple[T, bool]], stem: str) -> T:
    """Compile a cached Numba function, or load it from the cache, guarded.

    Parameters
    ----------
    build : callable
        ``build(use_cache)`` compiles the function (from the cache when
        ``use_cache``) and returns ``(compiled, loaded_from_cache)``.
    stem : str
        Prefix of the function's cache files (``"<module>.<function>"``).

    Returns
    -------
    The compiled function.

    Warns
    -----
    CacheWarning
        When cache entries were corrupt or stale and were rebuilt, or when the cache
        cannot be written (the code is then compiled in memory, for this process).

    Examples
    --------
    >>> from bayesgmm.bayes.compiled_model import compile_kernels
    >>> callbacks = compile_kernels()  # calls compile_guarded for each kernel
    """
    folder = kernel_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        if folder in _WARNED_UNWRITABLE:
            return build(False)[0]
        _WARNED_UNWRITABLE.add(folder)
        warnings.warn(
            f"bayesgmm cannot write its cache directory {folder}; compiling the Bayesian "
            f"model in memory (this process only). Set {CACHE_ENV} to a writable folder to "
            "compile once per machine.",
            CacheWarning,
            stacklevel=3,
        )
        return build(False)[0]
    with _locked(folder):
        bad = _check_entries(folder)
        if bad:
            warnings.warn(
                f"bayesgmm's compiled-model cache in {folder} had corrupt or unknown "
                f"entries ({', '.join(bad)}); the cache was cleared and the model is "
                "compiled again.",
                CacheWarning,
                stacklevel=3,
            )
            for path in _entries(folder):
                path.unlink(missing_ok=True)
        had_index = any(p.suffix == ".nbi" for p in _entries(folder, stem))
        compiled, hit = build(True)
        if had_index and not hit and not bad:
            warnings.warn(
                f"bayesgmm's compiled-model cache entry {stem} in {folder} was stale (written "
                "by other code or another machine); it was compiled again.",
                CacheWarning,
                stacklevel=3,
            )
        _record_entries(folder)
    return compiled
