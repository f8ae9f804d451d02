"""EM model files: a fitted :class:`~bayesgmm.GaussianMixture` as ``.npz`` or JSON.

The ``.npz`` archive (a zip file of ``.npy`` arrays, read with ``allow_pickle=False``:
loading a file never runs code from it) holds every fitted array bit for bit, the
constructor parameters and a JSON header with the file format version
(:data:`bayesgmm.persistence.format.FORMAT_VERSION`) and the bayesgmm version that
wrote it. The zip CRC-32 of every member is checked on reading, so a corrupted or
truncated file gives a clear error rather than wrong numbers. The same header, with
the arrays inline (base64), is the JSON form (:func:`em_to_json`) that posterior
files embed. Writes are atomic.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bayesgmm._version import __version__
from bayesgmm.core.atomic_io import write_bytes_atomic
from bayesgmm.exceptions import NotFittedError
from bayesgmm.persistence.format import (
    FORMAT_VERSION,
    READABLE_VERSIONS,
    check_format_version,
    file_kind,
    require_file,
    unreadable,
    wrong_signature,
)

__all__ = [
    "em_from_json",
    "em_to_json",
    "load_gaussian_mixture",
    "register_em_class",
    "save_gaussian_mixture",
]


#: ``format`` entry of the header of an EM model file
_EM_FORMAT = "bayesgmm.GaussianMixture"
#: format -> the class its files are restored as by default (see register_em_class)
_DEFAULT_CLASS: dict[str, type] = {}


#: name of the archive member holding the JSON header
_HEADER = "bayesgmm_header"


#: fitted attributes every EM model file holds (format version 1)
_REQUIRED_ATTRIBUTES = frozenset(
    {
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
        "_center",
        "n_features_in_",
        "n_iter_",
        "converged_",
        "lower_bound_",
        "lower_bounds_",
    }
)


#: bit generators a saved ``random_state`` may name
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


_ATTRIBUTE_NAME = re.compile(r"^_?[A-Za-z][A-Za-z0-9_]*$")


class _ArrayStore(Protocol):
    """Keeps an array (``suffix`` extends its key) and returns what the header records."""

    def __call__(self, array: np.ndarray, suffix: str = "", /) -> Any: ...


def _encode_value(value: Any, what: str, store: _ArrayStore) -> dict:
    """A JSON description of ``value``; arrays go through ``store``."""
    if value is None or isinstance(value, bool | int | float | str):
        return {"type": "json", "value": value}
    if isinstance(value, np.random.Generator):
        return {"type": "generator", "state": _jsonable(value.bit_generator.state)}
    if isinstance(value, np.random.RandomState):
        return {"type": "random_state", "state": _jsonable(value.get_state(legacy=False))}
    if isinstance(value, np.generic):
        return {"type": "numpy_scalar", "array": store(_plain_array(np.asarray(value), what))}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            if not all(isinstance(item, str) for item in value.flat):
                raise TypeError(f"cannot save {what}: an object array of non-strings.")
            return {"type": "str_array", "array": store(value.astype(str))}
        return {"type": "ndarray", "array": store(_plain_array(value, what))}
    if isinstance(value, dict):  # e.g. the running statistics of partial_fit
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"cannot save {what}: a dict with non-string keys.")
        return {
            "type": "dict",
            "items": {
                key: _encode_value(
                    item,
                    f"{what}[{key!r}]",
                    # one array per item: its key extends the dict's
                    lambda array, suffix="", key=key: store(array, f".{key}{suffix}"),
                )
                for key, item in value.items()
            },
        }
    if isinstance(value, list | tuple):
        kinds = {type(item) for item in value}
        if kinds <= {float} or kinds <= {int}:
            array = np.asarray(value, dtype=float if float in kinds else np.int64)
            return {"type": type(value).__name__, "array": store(array)}
        # nested lists (e.g. means_init=[[0, 0], [1, 1]]) are saved as an array
        return {"type": "ndarray", "array": store(_plain_array(np.asarray(value), what))}
    raise TypeError(
        f"cannot save {what} of type {type(value).__name__}: bayesgmm.persistence does not "
        "know how to store it."
    )


def _plain_array(array: np.ndarray, what: str) -> np.ndarray:
    if array.dtype.hasobject:
        raise TypeError(f"cannot save {what}: an object array.")
    return array


def _decode_value(spec: dict, fetch: Callable[[Any], np.ndarray]) -> Any:
    kind = spec["type"]
    if kind == "json":
        return spec["value"]
    if kind == "ndarray":
        return fetch(spec["array"])
    if kind == "str_array":
        return fetch(spec["array"]).astype(object)
    if kind == "numpy_scalar":
        return fetch(spec["array"])[()]
    if kind == "list":
        return fetch(spec["array"]).tolist()
    if kind == "tuple":
        return tuple(fetch(spec["array"]).tolist())
    if kind == "dict":
        return {key: _decode_value(item, fetch) for key, item in spec["items"].items()}
    if kind == "generator":
        state = _from_jsonable(spec["state"])
        name = state["bit_generator"]
        if name not in _BIT_GENERATORS:
            raise ValueError(f"unknown bit generator {name!r}")
        bit_generator = getattr(np.random, name)()
        bit_generator.state = state
        return np.random.Generator(bit_generator)
    if kind == "random_state":
        generator = np.random.RandomState()
        generator.set_state(_from_jsonable(spec["state"]))
        return generator
    raise ValueError(f"unknown value type {kind!r}")


def _jsonable(value: Any) -> Any:
    """``value`` (nested dicts of ints, floats, strings and arrays) as JSON data."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _inline_array(value)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            return _array_from_inline(value["__ndarray__"])
        return {key: _from_jsonable(item) for key, item in value.items()}
    return value


def _inline_array(array: np.ndarray) -> dict:
    """An array as JSON data: dtype, shape and the raw bytes in base64 (bit-exact)."""
    array = np.ascontiguousarray(array)
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "base64": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _array_from_inline(spec: dict) -> np.ndarray:
    dtype = np.dtype(spec["dtype"])
    if dtype.hasobject:
        raise ValueError("object arrays are not allowed")
    raw = base64.b64decode(spec["base64"], validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape(spec["shape"]).copy()


def _check_fitted_em(model: Any) -> None:
    if getattr(type(model), "file_format", None) != _EM_FORMAT:
        raise TypeError(
            f"save_gaussian_mixture saves a bayesgmm.GaussianMixture; got {type(model).__name__}."
        )
    if not hasattr(model, "means_"):
        raise NotFittedError(
            f"This {type(model).__name__} instance is not fitted yet, so there is nothing to "
            "save. Call 'fit' first."
        )


def _em_header(model: Any, store: Callable[[str, np.ndarray], Any]) -> dict:
    """Header of a fitted EM model; arrays go through ``store(key, array)``."""
    params = model.get_params()
    parameters = {
        name: _encode_value(
            value,
            f"parameter {name}",
            lambda array, suffix="", name=name: store(f"parameter.{name}{suffix}", array),
        )
        for name, value in params.items()
    }
    attributes = {
        name: _encode_value(
            value,
            f"attribute {name}",
            lambda array, suffix="", name=name: store(f"attribute.{name}{suffix}", array),
        )
        for name, value in vars(model).items()
        if name not in params
    }
    return {
        "format": _EM_FORMAT,
        "format_version": FORMAT_VERSION,
        "bayesgmm_version": __version__,
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "parameters": parameters,
        "attributes": attributes,
    }


def _em_from_header(
    header: dict,
    fetch: Callable[[Any], np.ndarray],
    path: Path,
    cls: type,
) -> Any:
    """Rebuild the estimator from a header (arrays through ``fetch``)."""
    try:
        params = {name: _decode_value(spec, fetch) for name, spec in header["parameters"].items()}
        attributes = {
            name: _decode_value(spec, fetch) for name, spec in header["attributes"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
        raise unreadable(path, f"{type(err).__name__}: {err}") from err
    unknown = sorted(set(params) - set(cls().get_params()))
    if unknown:
        raise ValueError(
            f"{path} was written by bayesgmm {header.get('bayesgmm_version')} with "
            f"{cls.__name__} parameters that this bayesgmm ({__version__}) does not "
            f"know: {unknown}. Upgrade bayesgmm to load it (pip install --upgrade bayesgmm)."
        )
    missing = sorted(_REQUIRED_ATTRIBUTES - set(attributes))
    if missing:
        raise unreadable(path, f"the fitted attributes {missing} are missing")
    model = cls()
    model.set_params(**params)
    for name, value in attributes.items():
        if not _ATTRIBUTE_NAME.match(name) or name in params or hasattr(cls, name):
            raise unreadable(path, f"it sets an invalid attribute {name!r}")
        setattr(model, name, value)
    _check_shapes(model, path)
    return model


def _check_shapes(model: Any, path: Path) -> None:
    K, D = model.n_components, model.n_features_in_
    expected = {"weights_": (K,), "means_": (K, D), "_center": (D,)}
    for name, shape in expected.items():
        value = getattr(model, name)
        if not isinstance(value, np.ndarray) or value.shape != shape:
            found = getattr(value, "shape", type(value).__name__)
            raise unreadable(path, f"{name} has shape {found}, expected {shape}")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and names.shape != (D,):
        raise unreadable(path, f"feature_names_in_ has shape {names.shape}, expected {(D,)}")


def em_to_json(model: Any) -> str:
    """A fitted EM model as one JSON string (arrays bit-exact in base64).

    Used for the EM fit embedded in a ``BayesianGaussianMixture`` netCDF file.

    Examples
    --------
    >>> from pathlib import Path
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
    >>> back = em_from_json(em_to_json(gm), Path("in-memory"), GaussianMixture)
    >>> bool((back.means_ == gm.means_).all())
    True
    """
    _check_fitted_em(model)
    return json.dumps(_em_header(model, lambda key, array: _inline_array(array)))


def em_from_json(text: str, path: Path, cls: type) -> Any:
    """The fitted EM model of :func:`em_to_json`'s ``text``, as an instance of ``cls``.

    ``path`` names the file in errors.

    Examples
    --------
    >>> from pathlib import Path
    >>> from bayesgmm import GaussianMixture
    >>> em_from_json("{}", Path("fit.nc"), GaussianMixture)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: fit.nc is not a readable bayesgmm model file ...
    """
    try:
        header = json.loads(text)
        if not isinstance(header, dict) or header.get("format") != _EM_FORMAT:
            raise ValueError("not a bayesgmm GaussianMixture header")
    except ValueError as err:  # json.JSONDecodeError too
        raise unreadable(path, f"its EM fit: {err}") from err
    check_format_version(
        header.get("format_version"), READABLE_VERSIONS, path, header.get("bayesgmm_version")
    )
    return _em_from_header(header, _array_from_inline, path, cls)


def save_gaussian_mixture(model: Any, path: str | os.PathLike) -> Path:
    """Save a fitted :class:`~bayesgmm.GaussianMixture` to an ``.npz`` file, atomically.

    The file holds every fitted attribute (weights, means, covariances, precisions and
    their Cholesky factors, the internal data centre, the convergence record, feature
    names) bit for bit, the constructor parameters (a ``random_state`` Generator or
    RandomState is saved with its current state) and a JSON header with the format
    version (:data:`FORMAT_VERSION`) and the bayesgmm version. Nothing is pickled. The
    write is atomic (:func:`write_bytes_atomic`): an existing file is replaced whole or
    not at all. Any file name works; ``.npz`` is conventional.

    Parameters
    ----------
    model : GaussianMixture
        A fitted EM estimator.
    path : str or path-like
        Destination file; its directory must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    NotFittedError
        If ``model`` is not fitted.
    TypeError
        If ``model`` is not a ``GaussianMixture``, or holds a value that cannot be
        stored without pickling (e.g. a parameter of an unexpected type).
    FileNotFoundError
        If the directory of ``path`` does not exist.

    See Also
    --------
    load_gaussian_mixture : read the file back.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> X = load_faithful()
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_gaussian_mixture(gm, Path(folder) / "faithful.npz")
    ...     loaded = load_gaussian_mixture(path)
    >>> bool((loaded.predict_proba(X) == gm.predict_proba(X)).all())
    True
    """
    _check_fitted_em(model)
    arrays: dict[str, np.ndarray] = {}

    def store(key: str, array: np.ndarray) -> str:
        arrays[key] = array
        return key

    header = _em_header(model, store)
    arrays[_HEADER] = np.asarray(json.dumps(header))
    return write_bytes_atomic(path, lambda handle: np.savez(handle, allow_pickle=False, **arrays))


def load_gaussian_mixture(path: str | os.PathLike, cls: type | None = None) -> Any:
    """Load a :class:`~bayesgmm.GaussianMixture` written by :func:`save_gaussian_mixture`.

    The loaded estimator equals the saved one attribute for attribute (arrays bit for
    bit), so its predictions are bit-identical, and it can do everything a fitted
    estimator can, including a ``warm_start`` refit. The file is read with
    ``allow_pickle=False``; a file from an untrusted source cannot run code.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save_gaussian_mixture` (or
        :meth:`GaussianMixture.save <bayesgmm.GaussianMixture.save>`).
    cls : type, default=None
        Class to instantiate (a subclass of ``GaussianMixture``; ``None``:
        :class:`bayesgmm.GaussianMixture`).

    Returns
    -------
    GaussianMixture
        The fitted estimator.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a readable bayesgmm EM model file (corrupted, truncated,
        not written by bayesgmm, or a ``BayesianGaussianMixture`` file), or was written
        with a newer file format version than this bayesgmm reads.

    See Also
    --------
    save_gaussian_mixture : write the file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> gm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     loaded = load_gaussian_mixture(save_gaussian_mixture(gm, Path(folder) / "m.npz"))
    >>> np.array_equal(loaded.means_, gm.means_), loaded.covariance_type
    (True, 'diag')
    """
    cls = _em_class() if cls is None else cls
    path = Path(path)
    require_file(path)
    kind = file_kind(path)
    if kind == "netcdf":
        raise ValueError(
            f"{path} is a netCDF file, as written by BayesianGaussianMixture.save, not a "
            "GaussianMixture (EM) model file: load it with BayesianGaussianMixture.load."
        )
    if kind is None:
        raise unreadable(path, wrong_signature(path, "an .npz (zip) archive"))
    try:
        # an open file of our own: np.load leaks its handle when the zip is unreadable
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            if _HEADER not in archive.files:
                raise ValueError(f"it has no {_HEADER} member")
            header = json.loads(str(archive[_HEADER][()]))
            arrays = {key: archive[key] for key in archive.files if key != _HEADER}
        if not isinstance(header, dict):
            raise TypeError(f"{_HEADER} is not a JSON object")
    except (PermissionError, IsADirectoryError):
        raise
    except Exception as err:  # zipfile.BadZipFile, EOFError, zlib.error, JSON errors, ...
        raise unreadable(path, f"{type(err).__name__}: {err}") from err
    if header.get("format") != _EM_FORMAT:
        raise unreadable(path, f"its header names format {header.get('format')!r}")
    check_format_version(
        header.get("format_version"), READABLE_VERSIONS, path, header.get("bayesgmm_version")
    )
    return _em_from_header(header, arrays.__getitem__, path, cls)


def register_em_class(cls: type) -> type:
    """Hand this layer the class EM files are restored as by default.

    :mod:`bayesgmm.em` registers :class:`~bayesgmm.GaussianMixture` when it is
    imported, so that persistence restores it without importing the estimator (the
    estimator imports persistence, not the other way round). ``cls`` must declare
    ``file_format = "bayesgmm.GaussianMixture"``.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> register_em_class(GaussianMixture) is GaussianMixture
    True
    """
    if getattr(cls, "file_format", None) != _EM_FORMAT:
        raise TypeError(f"{cls.__name__} does not declare file_format = {_EM_FORMAT!r}.")
    _DEFAULT_CLASS[_EM_FORMAT] = cls
    return cls


def _em_class() -> type:
    """The registered default class (registered on ``import bayesgmm``)."""
    return _DEFAULT_CLASS[_EM_FORMAT]
