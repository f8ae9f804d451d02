"""The file of a fitted BayesianGaussianMixture: netCDF-4, versioned, checksummed.

The posterior (every group of ``idata_``, bit for bit) is written with h5netcdf, with
root attributes holding the file format version, the estimator's settings, its EM
fit (the EM file format's JSON header, :mod:`bayesgmm.persistence.em_files`) and a SHA-256
checksum of the data (HDF5 does not checksum: a flipped byte would otherwise load
silently). Object arrays that netCDF cannot hold (strings, nutpie's ``None``
divergence messages) are encoded and restored exactly. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from bayesgmm._version import __version__
from bayesgmm.core.atomic_io import atomic_write
from bayesgmm.covariance import get_covariance_model
from bayesgmm.persistence.em_files import em_from_json, em_to_json
from bayesgmm.persistence.format import (
    FORMAT_VERSION,
    READABLE_VERSIONS,
    check_format_version,
    file_kind,
    require_file,
    unreadable,
    wrong_signature,
)

__all__ = ["FORMAT_VERSION", "PosteriorFile", "read_posterior_file", "write_posterior_file"]

#: variable attribute marking object values encoded for netCDF (see _encode_objects)
_OBJECT_ENCODING = "bayesgmm_object_encoding"
#: root attributes covered by the checksum
_HASHED_ATTRS = (
    "bayesgmm_format_version",
    "bayesgmm_version",
    "settings",
    "em",
    "feature_names",
    "n_relabelled",
)
#: dtype each numeric kind is hashed as
_HASH_KINDS = {"b": np.uint8, "i": np.int64, "u": np.uint64, "f": np.float64, "c": np.complex128}


@dataclass
class PosteriorFile:
    """What a posterior file holds, decoded and verified."""

    idata: xr.DataTree
    settings: dict[str, Any]
    em: Any
    feature_names: list[str] | None
    n_relabelled: int


def write_posterior_file(
    path: Path,
    idata: xr.DataTree,
    *,
    settings: dict[str, Any],
    em: Any,
    feature_names: list[str] | None,
) -> Path:
    """Write ``idata`` with the settings, the EM fit and a checksum, atomically.

    Returns ``path``; see :meth:`bayesgmm.BayesianGaussianMixture.save`.
    """
    tree = idata.copy()
    tree.attrs["bayesgmm_format_version"] = FORMAT_VERSION
    tree.attrs["settings"] = json.dumps(settings)
    tree.attrs["em"] = em_to_json(em)
    tree.attrs["feature_names"] = json.dumps(feature_names)
    tree.attrs["checksum"] = _tree_checksum(tree)
    _encode_objects(tree)
    with atomic_write(path) as tmp:
        tree.to_netcdf(tmp, engine="h5netcdf")
    return path


def read_posterior_file(
    path: Path, param_names: Iterable[str], *, em_class: type, priors_class: type
) -> PosteriorFile:
    """Read and verify a file of :func:`write_posterior_file`.

    ``param_names`` are the estimator's settings this bayesgmm knows (a file with
    others is refused with the fix). The embedded EM fit is restored as ``em_class``
    and the priors setting as ``priors_class`` (this layer imports no estimator).
    Raises ``FileNotFoundError`` or ``ValueError`` as
    :meth:`bayesgmm.BayesianGaussianMixture.load` documents.
    """
    param_names = list(param_names)
    require_file(path)
    kind = file_kind(path)
    if kind == "npz":
        raise ValueError(
            f"{path} is a GaussianMixture (EM) model file, not a BayesianGaussianMixture "
            "one: load it with GaussianMixture.load."
        )
    if kind is None:
        raise unreadable(path, wrong_signature(path, "a netCDF-4 (HDF5) file"))
    try:
        with xr.open_datatree(path, engine="h5netcdf") as opened:
            tree = opened.load()
    except (PermissionError, IsADirectoryError):
        raise
    except Exception as err:  # h5py's OSError for a truncated file, decoding errors
        raise unreadable(path, f"{type(err).__name__}: {err}") from err
    attrs = tree.attrs
    version = attrs.get("bayesgmm_format_version")
    if version is None:
        raise ValueError(
            f"{path} was not written by BayesianGaussianMixture.save (no "
            "bayesgmm_format_version attribute)."
        )
    check_format_version(version, READABLE_VERSIONS, path, attrs.get("bayesgmm_version"))
    checksum = attrs.pop("checksum", None)
    try:
        _decode_objects(tree)
    except ValueError as err:  # json.JSONDecodeError
        raise unreadable(path, f"{type(err).__name__}: {err}") from err
    if checksum is not None and checksum != _tree_checksum(tree):
        raise unreadable(path, "its data do not match the checksum written with them")
    try:
        settings = json.loads(attrs["settings"])
        unknown = sorted(set(settings) - set(param_names))
        if settings["priors"] is not None:
            settings["priors"] = priors_class(**settings["priors"])
        names = json.loads(attrs["feature_names"])
        n_relabelled = int(attrs.get("n_relabelled", 0))
        em_text = attrs["em"]
    except (ValueError, KeyError, TypeError) as err:
        raise unreadable(path, f"{type(err).__name__}: {err}") from err
    if unknown:
        raise ValueError(
            f"{path} was written by bayesgmm {attrs.get('bayesgmm_version')} with "
            f"settings that this bayesgmm ({__version__}) does not know: "
            f"{unknown}. Upgrade bayesgmm to load it (pip install --upgrade bayesgmm)."
        )
    em = _load_em(em_text, settings, path, em_class)
    for key in ("bayesgmm_format_version", "em", "feature_names"):
        attrs.pop(key, None)
    if "n_relabelled" in attrs:
        attrs["n_relabelled"] = n_relabelled  # an int, as fit writes it
    return PosteriorFile(tree, settings, em, names, n_relabelled)


def _load_em(text: str, settings: dict[str, Any], path: Path, em_class: type) -> Any:
    """The EM fit of a saved estimator (only weights, means and covariances in old files)."""
    try:
        em = json.loads(text)
        if "format" not in em:  # files written before the whole EM fit was saved
            model_type = get_covariance_model(settings["covariance_type"])
            gm = em_class(settings["n_components"], covariance_type=model_type.name)
            gm.weights_ = np.asarray(em["weights"], dtype=np.float64)
            gm.means_ = np.asarray(em["means"], dtype=np.float64)
            gm.covariances_ = np.asarray(em["covariances"], dtype=np.float64)
            return gm
    except (ValueError, KeyError, TypeError) as err:
        raise unreadable(path, f"its EM fit: {type(err).__name__}: {err}") from err
    return em_from_json(text, path, em_class)


def _encode_objects(tree: xr.DataTree) -> None:
    """Prepare object variables (and coordinates) for netCDF, in place.

    netCDF has neither object arrays nor ``None``: xarray writes strings back as
    ``<U`` arrays and, e.g., nutpie's ``divergence_message`` (``None`` for most draws)
    as NaN floats. Object arrays of strings are marked so that :func:`_decode_objects`
    restores their dtype; other object arrays are written as the JSON text of each
    element (strings, numbers and ``None`` come back exactly; anything else as its
    ``str``).
    """
    for node in tree.subtree:
        dataset = node.to_dataset(inherit=False)
        changed = False
        for name, var in dataset.variables.items():
            if var.dtype != object:
                continue
            if all(isinstance(v, str) for v in var.values.flat):
                encoding, values = "str", var.values
            else:
                text = [json.dumps(v, default=str) for v in var.values.flat]
                encoding, values = "json", np.array(text, dtype=str).reshape(var.shape)
            attrs = {**var.attrs, _OBJECT_ENCODING: encoding}
            dataset = _replace_variable(dataset, name, xr.Variable(var.dims, values, attrs))
            changed = True
        if changed:
            node.dataset = dataset


def _decode_objects(tree: xr.DataTree) -> None:
    """Undo :func:`_encode_objects` in place."""
    for node in tree.subtree:
        dataset = node.to_dataset(inherit=False)
        changed = False
        for name, var in dataset.variables.items():
            encoding = var.attrs.get(_OBJECT_ENCODING)
            if encoding not in ("str", "json"):
                continue
            values = np.empty(var.shape, dtype=object)
            for index, text in enumerate(var.values.flat):
                values.flat[index] = str(text) if encoding == "str" else json.loads(str(text))
            attrs = {k: v for k, v in var.attrs.items() if k != _OBJECT_ENCODING}
            dataset = _replace_variable(dataset, name, xr.Variable(var.dims, values, attrs))
            changed = True
        if changed:
            node.dataset = dataset


def _replace_variable(dataset: xr.Dataset, name: Any, variable: xr.Variable) -> xr.Dataset:
    if name in dataset.coords:
        return dataset.assign_coords({name: variable})
    return dataset.assign({name: variable})


def _tree_checksum(tree: xr.DataTree) -> str:
    """SHA-256 of every variable (values, dims, names) of every group and of the settings.

    Stable under a netCDF round trip: numbers are hashed by kind (so a decoded
    integer or float width does not matter) and strings by their text.
    """
    digest = hashlib.sha256()
    for key in _HASHED_ATTRS:
        digest.update(f"{key}={tree.attrs.get(key)!s};".encode())
    for node in sorted(tree.subtree, key=lambda node: node.path):
        variables = node.to_dataset(inherit=False).variables
        for name in sorted(map(str, variables)):
            var = variables[name]
            values = np.asarray(var.values)
            digest.update(f"{node.path}/{name}{tuple(var.dims)}{values.shape};".encode())
            if values.dtype.kind in _HASH_KINDS:
                values = values.astype(_HASH_KINDS[values.dtype.kind], copy=False)
                digest.update(np.ascontiguousarray(values).tobytes())
            else:  # strings (and anything else) by their text
                digest.update(json.dumps([str(v) for v in values.ravel()]).encode())
    return digest.hexdigest()
