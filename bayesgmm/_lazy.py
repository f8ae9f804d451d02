"""Import machinery: lazy names and the old paths of moved modules.

Names a package loads on first use (PEP 562 ``__getattr__`` / ``__dir__``), and an
import hook that keeps the old dotted paths of moved modules working.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["MovedModules", "install_moved_modules", "lazy_names"]


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


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook that keeps the old dotted path of a moved module working.

    ``import old`` (or ``from old import name``) imports the module now at
    ``moved[old]`` and binds that same module object under the old name, so the two
    paths share one module: its classes, caches and monkeypatches. The module keeps
    its own ``__name__`` and ``__spec__``.

    Parameters
    ----------
    moved : mapping of str to str
        Old dotted module path -> the path the module lives at now.

    Examples
    --------
    >>> import sys
    >>> hook = MovedModules({"old_json_name": "json"})
    >>> sys.meta_path.insert(0, hook)
    >>> import old_json_name, json
    >>> old_json_name is json
    True
    >>> sys.meta_path.remove(hook)
    >>> del sys.modules["old_json_name"]
    """

    def __init__(self, moved: Mapping[str, str]) -> None:
        self.moved = dict(moved)
        self._specs: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        """A spec for ``fullname`` if it is an old path, else ``None``."""
        if fullname not in self.moved:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> ModuleType:
        """The module at its new path (imported if it is not yet)."""
        module = importlib.import_module(self.moved[spec.name])
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: restore the ``__spec__`` the import system replaced."""
        module.__spec__ = self._specs.pop(module.__name__)


def install_moved_modules(moved: Mapping[str, str]) -> None:
    """Put one :class:`MovedModules` hook for ``moved`` first on ``sys.meta_path``.

    A second call (a reloaded package) leaves the hook that is there.

    Examples
    --------
    >>> import bayesgmm  # installs bayesgmm's hook
    >>> install_moved_modules({})
    >>> sum(isinstance(finder, MovedModules) for finder in sys.meta_path)
    1
    """
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules(moved))
