"""Names a package loads on first use (PEP 562 module ``__getattr__`` / ``__dir__``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose ``names`` load on first use.

    Parameters
    ----------
    package : str
        The package's name (for the error message).
    names : mapping of str to str
        Public name -> module that defines it.
    namespace : dict
        The package's ``globals()`` (what ``dir`` lists besides the lazy names).

    Returns
    -------
    __getattr__, __dir__ : callable

    Examples
    --------
    >>> getattr_, dir_ = lazy_names("pkg", {"sqrt": "math"}, {})
    >>> getattr_("sqrt")(4.0), dir_()
    (2.0, ['sqrt'])
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
