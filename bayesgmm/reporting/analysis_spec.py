"""The ``spec.toml`` of a reference analysis: its schema, validation and loading.

:func:`load_spec` reads a spec and checks every table, key and value against the
format documented in :mod:`bayesgmm.reporting.analysis` (which runs it), raising
:class:`SpecError` with the file, the table and the fix. :data:`QUANTITIES` and
:data:`COMPARISONS` list what a published number can be checked as.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import bayesgmm.datasets
from bayesgmm.core.validation import is_int, is_real
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.selection.model_selection import CRITERIA, candidate_name, select_model

__all__ = [
    "ARRAY_QUANTITIES",
    "BAYES_PREFIX",
    "COMPARISONS",
    "GENERATORS",
    "K_POSTERIOR_QUANTITIES",
    "ORIGINS",
    "QUANTITIES",
    "SpecError",
    "load_spec",
    "parse_model_label",
    "spec_settings",
]


#: what a check can compare, and what it means
QUANTITIES: dict[str, str] = {
    "selected_model": "the grid's best model by its criterion, as 'K=3 tied'",
    "log_likelihood": "total log-likelihood sum_i log p(x_i) of the model",
    "n_parameters": "number of free parameters of the model",
    "bic": "BIC, bayesgmm's sign: -2 log L + p log n (lower is better)",
    "mclust_bic": "BIC, mclust's sign: 2 log L - p log n (higher is better)",
    "aic": "AIC: -2 log L + 2 p",
    "icl": "ICL (BIC plus twice the classification entropy)",
    "weights": "EM mixture weights",
    "means": "EM component means",
    "covariances": "EM covariances, shaped as GaussianMixture.covariances_",
    "bayes_weights": "posterior mean of the weights (the Bayesian fit of the chosen model)",
    "bayes_means": "posterior mean of the component means",
    "bayes_covariances": "posterior mean of the covariances",
    "p_components": "p(K = k | y), k = 1, 2, ... (the [k_posterior] run; a list from k = 1)",
    "p_clusters": "p(K+ = k | y), k = 1, 2, ... (the [k_posterior] run; a list from k = 1)",
    "k_posterior_mode": "the most probable number of components K (the [k_posterior] run)",
}

#: what a quantity without a 'model' key refers to (default: the chosen model)
_REFERS_TO = {
    "selected_model": "the grid",
    "p_components": "the [k_posterior] run",
    "p_clusters": "the [k_posterior] run",
    "k_posterior_mode": "the [k_posterior] run",
}

#: the quantities of the posterior over K (posterior_over_k), and the listed ones
K_POSTERIOR_QUANTITIES = {"p_components", "p_clusters", "k_posterior_mode"}
_K_POSTERIOR_LISTS = {"p_components", "p_clusters"}


#: how a check compares ``ours`` with the published ``value``
COMPARISONS: dict[str, str] = {
    "at_least": "ours >= value - tolerance (e.g. a maximum log-likelihood EM must reach)",
    "at_most": "ours <= value + tolerance",
    "close": "|ours - value| <= tolerance (largest absolute difference for arrays)",
    "equal": "ours == value (model labels, parameter counts)",
}


ORIGINS = ("published", "mclust", "ours", "truth")


GENERATORS = ("make_gmm_data",)


ARRAY_QUANTITIES = {"weights", "means", "covariances"}


BAYES_PREFIX = "bayes_"


#: mclust's one-dimensional names (unequal and equal variances)
_UNIVARIATE = {"V": "full", "E": "tied"}


_LABEL = re.compile(r"^\s*K\s*=\s*(\d+)\s+(\S+)\s*$")


_TOP_KEYS = {
    "name", "description", "data", "selection", "model", "bayes", "k_posterior", "published",
}  # fmt: skip


_DATA_KEYS = {
    "dataset",
    "variant",
    "file",
    "generator",
    "columns",
    "scale",
    "covariance_type",
    "n_samples",
    "seed",
    "separation",
}


_GENERATOR_KEYS = {"covariance_type", "n_samples", "seed", "separation"}


_SELECTION_KEYS = set(inspect.signature(select_model).parameters) - {"X", "progress"}


_MODEL_KEYS = set(inspect.signature(GaussianMixture).parameters)


_BAYES_KEYS = {
    "draws",
    "tune",
    "chains",
    "target_accept",
    "sampler",
    "random_state",
    "relabel",
    "progressbar",
    "n_init",
}


_K_POSTERIOR_KEYS = {"run", "k_max", "priors", "draws", "tune", "chains", "thin"} | {
    "max_doublings", "random_state",
}  # fmt: skip


_PRIOR_KEYS = {"weight_concentration", "mean_scale", "sd_scale", "lkj_eta", "sd_dof"}


_CHECK_KEYS = {
    "quantity",
    "value",
    "comparison",
    "tolerance",
    "model",
    "origin",
    "source",
    "note",
}


class SpecError(ValueError):
    """A ``spec.toml`` is missing a key or has a bad value (the message says which)."""


# --------------------------------------------------------------------------- spec
def _where(path: Path, table: str) -> str:
    return f"{path}: [{table}]" if table else f"{path}:"


def _require(table: Mapping[str, Any], key: str, path: Path, where: str) -> Any:
    if key not in table:
        raise SpecError(f"{_where(path, where)} is missing the required key {key!r}.")
    return table[key]


def _check_keys(table: Mapping[str, Any], allowed: set[str], path: Path, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(
            f"{_where(path, where)} has unknown key(s) {unknown}; allowed: {sorted(allowed)}."
        )


def _check_table(spec: Mapping[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = _require(spec, key, path, "")
    if not isinstance(value, dict):
        raise SpecError(f"{path}: {key!r} must be a table [{key}]; got {value!r}.")
    return value


_is_int = is_int
_is_number = is_real


def _covariance_name(value: Any, path: Path, where: str) -> str:
    try:
        return get_covariance_model(value).name
    except (ValueError, TypeError) as error:
        raise SpecError(f"{_where(path, where)} covariance_type: {error}") from None


def parse_model_label(label: str) -> tuple[int, str]:
    """Split a model label such as ``"K=3 tied"`` or ``"K=2 VVV"``.

    Parameters
    ----------
    label : str
        ``"K=<n_components> <covariance type>"``; mclust names are accepted
        (``"V"`` and ``"E"``, mclust's one-dimensional models, mean ``"full"``
        and ``"tied"``).

    Returns
    -------
    n_components : int
    covariance_type : str
        bayesgmm's name (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``).

    Raises
    ------
    ValueError
        If the label does not have that form or names an unknown structure.

    Examples
    --------
    >>> parse_model_label("K=2 VVV")
    (2, 'full')
    >>> parse_model_label("K=3 E")
    (3, 'tied')
    """
    match = _LABEL.match(label) if isinstance(label, str) else None
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"model labels look like 'K=3 tied'; got {label!r}.")
    name = _UNIVARIATE.get(match.group(2), match.group(2))
    return int(match.group(1)), get_covariance_model(name).name


def _check_data(data: dict[str, Any], path: Path) -> None:
    _check_keys(data, _DATA_KEYS, path, "data")
    sources = [key for key in ("dataset", "file", "generator") if key in data]
    if len(sources) != 1:
        raise SpecError(
            f"{_where(path, 'data')} needs exactly one of 'dataset', 'file' or "
            f"'generator'; got {sources or 'none'}."
        )
    source = sources[0]
    if source != "generator":
        extra = sorted(_GENERATOR_KEYS & set(data))
        if extra:
            raise SpecError(f"{_where(path, 'data')} keys {extra} apply to 'generator' only.")
    if source == "dataset":
        name = data["dataset"]
        if not isinstance(name, str) or not hasattr(bayesgmm.datasets, f"load_{name}"):
            known = [n.removeprefix("load_") for n in bayesgmm.datasets.__all__ if "load_" in n]
            raise SpecError(f"{_where(path, 'data')} dataset must be one of {known}; got {name!r}.")
        if "variant" in data:
            loader = getattr(bayesgmm.datasets, f"load_{name}")
            if "variant" not in inspect.signature(loader).parameters:
                raise SpecError(f"{_where(path, 'data')} dataset {name!r} has no variants.")
            try:
                loader(data["variant"])
            except ValueError as error:
                raise SpecError(f"{_where(path, 'data')} {error}") from None
    elif "variant" in data:
        raise SpecError(f"{_where(path, 'data')} variant applies to 'dataset' only.")
    elif source == "file":
        file = path.parent / str(data["file"])
        if not file.is_file():
            raise SpecError(f"{_where(path, 'data')} file {str(file)!r} does not exist.")
    else:
        if data["generator"] not in GENERATORS:
            raise SpecError(
                f"{_where(path, 'data')} generator must be one of {list(GENERATORS)}; "
                f"got {data['generator']!r}."
            )
        for key in ("covariance_type", "n_samples", "seed"):
            _require(data, key, path, "data")
        _covariance_name(data["covariance_type"], path, "data")
        for key in ("n_samples", "seed"):
            if not _is_int(data[key]) or data[key] < (2 if key == "n_samples" else 0):
                raise SpecError(
                    f"{_where(path, 'data')} {key} must be an integer >= "
                    f"{2 if key == 'n_samples' else 0}; got {data[key]!r}."
                )
    if source != "generator" or "columns" in data:
        columns = _require(data, "columns", path, "data")
        if (
            not isinstance(columns, list)
            or not columns
            or not all(isinstance(c, str) for c in columns)
        ):
            raise SpecError(
                f"{_where(path, 'data')} columns must be a non-empty list of column "
                f"names; got {columns!r}."
            )
    scale = data.get("scale", 1.0)
    if not _is_number(scale) or not scale > 0:
        raise SpecError(f"{_where(path, 'data')} scale must be a positive number; got {scale!r}.")


def _split_quick(
    table: dict[str, Any], allowed: set[str], path: Path, where: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    quick = table.get("quick", {})
    if not isinstance(quick, dict):
        raise SpecError(f"{_where(path, where)} quick must be a table [{where}.quick].")
    base = {k: v for k, v in table.items() if k != "quick"}
    _check_keys(base, allowed, path, where)
    _check_keys(quick, allowed, path, f"{where}.quick")
    return base, quick


def _check_selection(selection: dict[str, Any], path: Path) -> None:
    for settings, where in zip(
        _split_quick(selection, _SELECTION_KEYS, path, "selection"),
        ("selection", "selection.quick"),
        strict=True,
    ):
        if "n_components" in settings:
            value = settings["n_components"]
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(_is_int(v) for v in value)
                or not 1 <= value[0] <= value[1]
            ):
                raise SpecError(
                    f"{_where(path, where)} n_components must be [low, high] with "
                    f"1 <= low <= high (an inclusive range); got {value!r}."
                )
        if "covariance_types" in settings:
            value = settings["covariance_types"]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not value:
                raise SpecError(
                    f"{_where(path, where)} covariance_types must be a non-empty list; "
                    f"got {value!r}."
                )
            for name in value:
                _covariance_name(name, path, where)
        if "criterion" in settings and settings["criterion"] not in CRITERIA:
            raise SpecError(
                f"{_where(path, where)} criterion must be one of {list(CRITERIA)}; "
                f"got {settings['criterion']!r}."
            )
    _require(selection, "n_components", path, "selection")
    _require(selection, "covariance_types", path, "selection")


def _check_model(model: dict[str, Any], path: Path) -> None:
    base, quick = _split_quick(model, _MODEL_KEYS, path, "model")
    for settings, where in ((base, "model"), (quick, "model.quick")):
        if "n_components" in settings and (
            not _is_int(settings["n_components"]) or settings["n_components"] < 1
        ):
            raise SpecError(
                f"{_where(path, where)} n_components must be an integer >= 1; "
                f"got {settings['n_components']!r}."
            )
        if "covariance_type" in settings:
            _covariance_name(settings["covariance_type"], path, where)
    _require(model, "n_components", path, "model")
    _require(model, "covariance_type", path, "model")


def _check_bayes(bayes: dict[str, Any], path: Path) -> None:
    allowed = _BAYES_KEYS | {"run", "priors"}
    base, quick = _split_quick(bayes, allowed, path, "bayes")
    for settings, where in ((base, "bayes"), (quick, "bayes.quick")):
        if "run" in settings and not isinstance(settings["run"], bool):
            raise SpecError(
                f"{_where(path, where)} run must be true or false; got {settings['run']!r}."
            )
        for key in ("draws", "chains"):
            if key in settings and (not _is_int(settings[key]) or settings[key] < 1):
                raise SpecError(
                    f"{_where(path, where)} {key} must be an integer >= 1; got {settings[key]!r}."
                )
        if "tune" in settings and (not _is_int(settings["tune"]) or settings["tune"] < 0):
            raise SpecError(
                f"{_where(path, where)} tune must be an integer >= 0; got {settings['tune']!r}."
            )
        if "priors" in settings:
            priors = settings["priors"]
            if not isinstance(priors, dict):
                raise SpecError(f"{_where(path, where)} priors must be a table [{where}.priors].")
            _check_keys(priors, _PRIOR_KEYS, path, f"{where}.priors")
            from bayesgmm.bayes.spec import Priors

            try:
                Priors(**priors)
            except ValueError as error:
                raise SpecError(f"{_where(path, where + '.priors')} {error}") from None


def _check_k_posterior(table: dict[str, Any], path: Path) -> None:
    from bayesgmm.mfm.priors import MFMPriors

    base, quick = _split_quick(table, _K_POSTERIOR_KEYS, path, "k_posterior")
    for settings, where in ((base, "k_posterior"), (quick, "k_posterior.quick")):
        if "run" in settings and not isinstance(settings["run"], bool):
            raise SpecError(
                f"{_where(path, where)} run must be true or false; got {settings['run']!r}."
            )
        for key in ("k_max", "draws", "chains", "thin", "tune", "max_doublings"):
            minimum = 0 if key in ("tune", "max_doublings") else 1
            if key in settings and (not _is_int(settings[key]) or settings[key] < minimum):
                raise SpecError(
                    f"{_where(path, where)} {key} must be an integer >= {minimum}; got "
                    f"{settings[key]!r}."
                )
        priors = settings.get("priors")
        if priors is not None:
            fields = {"name": priors} if isinstance(priors, str) else priors
            if not isinstance(fields, dict) or not isinstance(fields.get("name"), str):
                raise SpecError(
                    f"{_where(path, where)} priors must be a name or a table with 'name' and "
                    f"fields of bayesgmm.mfm.MFMPriors; got {priors!r}."
                )
            fields = dict(fields)
            try:
                MFMPriors.named(fields.pop("name"), **fields)
            except ValueError as error:
                raise SpecError(f"{_where(path, where + '.priors')} {error}") from None


def _check_value(check: dict[str, Any], path: Path, where: str) -> None:
    quantity, value = check["quantity"], check["value"]
    if quantity == "selected_model":
        try:
            k, cov = parse_model_label(value)
        except ValueError as error:
            raise SpecError(f"{_where(path, where)} value: {error}") from None
        check["value"] = candidate_name(k, cov)
    elif quantity.removeprefix(BAYES_PREFIX) in ARRAY_QUANTITIES | _K_POSTERIOR_LISTS:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is None or array.ndim == 0 or not np.all(np.isfinite(array)):
            raise SpecError(
                f"{_where(path, where)} value of {quantity!r} must be a (nested) list of "
                f"numbers; got {value!r}."
            )
    elif not _is_number(value):
        raise SpecError(
            f"{_where(path, where)} value of {quantity!r} must be a number; got {value!r}."
        )
    if quantity in ("selected_model", "n_parameters") and check["comparison"] != "equal":
        raise SpecError(
            f"{_where(path, where)} {quantity!r} is compared with comparison = 'equal'; "
            f"got {check['comparison']!r}."
        )


def _check_published(
    published: dict[str, Any], path: Path, spec_tables: set[str] | frozenset[str] = frozenset()
) -> None:
    _check_keys(published, {"source", "checks"}, path, "published")
    source = _require(published, "source", path, "published")
    if not isinstance(source, str) or not source.strip():
        raise SpecError(f"{_where(path, 'published')} source must be a non-empty string.")
    checks = _require(published, "checks", path, "published")
    if not isinstance(checks, list) or not checks:
        raise SpecError(
            f"{_where(path, 'published')} needs at least one [[published.checks]] table."
        )
    for index, check in enumerate(checks):
        where = f"published.checks #{index + 1}"
        if not isinstance(check, dict):
            raise SpecError(f"{_where(path, where)} must be a table; got {check!r}.")
        _check_keys(check, _CHECK_KEYS, path, where)
        quantity = _require(check, "quantity", path, where)
        if quantity not in QUANTITIES:
            raise SpecError(
                f"{_where(path, where)} quantity must be one of {list(QUANTITIES)}; "
                f"got {quantity!r}."
            )
        _require(check, "value", path, where)
        comparison = _require(check, "comparison", path, where)
        if comparison not in COMPARISONS:
            raise SpecError(
                f"{_where(path, where)} comparison must be one of {list(COMPARISONS)}; "
                f"got {comparison!r}."
            )
        tolerance = check.setdefault("tolerance", 0.0)
        if not _is_number(tolerance) or tolerance < 0:
            raise SpecError(
                f"{_where(path, where)} tolerance must be a number >= 0; got {tolerance!r}."
            )
        origin = check.setdefault("origin", "published")
        if origin not in ORIGINS:
            raise SpecError(
                f"{_where(path, where)} origin must be one of {list(ORIGINS)}; got {origin!r}."
            )
        if quantity in K_POSTERIOR_QUANTITIES and "k_posterior" not in spec_tables:
            raise SpecError(
                f"{_where(path, where)} {quantity!r} needs a [k_posterior] table (the "
                "posterior_over_k settings)."
            )
        if "model" in check:
            if (
                quantity == "selected_model"
                or quantity.startswith(BAYES_PREFIX)
                or quantity in K_POSTERIOR_QUANTITIES
            ):
                raise SpecError(
                    f"{_where(path, where)} {quantity!r} refers to "
                    f"{_REFERS_TO.get(quantity, 'the chosen model')}; "
                    "remove its 'model' key."
                )
            try:
                check["model"] = candidate_name(*parse_model_label(check["model"]))
            except ValueError as error:
                raise SpecError(f"{_where(path, where)} model: {error}") from None
        _check_value(check, path, where)


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read and validate a reference analysis ``spec.toml``.

    Parameters
    ----------
    path : str or path-like
        The ``spec.toml`` file or the folder holding it.

    Returns
    -------
    dict
        The parsed spec (format in the module documentation) with defaults filled
        in (``name``, ``data.scale``, ``selection.criterion``, each check's
        ``tolerance`` and ``origin``, model labels in the canonical ``"K=3 tied"``
        form) and ``path``, the resolved ``spec.toml`` path as a string.

    Raises
    ------
    SpecError
        If the file is missing or not valid TOML, a required key is missing, a key is
        unknown, or a value is bad; the message names the file, the table and the key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "spec.toml").write_text('''
    ... description = "Old Faithful"
    ... [data]
    ... dataset = "faithful"
    ... ''')
    >>> try:
    ...     load_spec(folder)
    ... except SpecError as error:
    ...     print("SpecError:", error)  # doctest: +ELLIPSIS
    SpecError: ...spec.toml: [data] is missing the required key 'columns'.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "spec.toml"
    if not path.is_file():
        raise SpecError(f"no spec file at {str(path)!r}; a reference analysis needs spec.toml.")
    try:
        with path.open("rb") as handle:
            spec = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML ({error}).") from None
    _check_keys(spec, _TOP_KEYS, path, "")
    description = _require(spec, "description", path, "")
    if not isinstance(description, str) or not description.strip():
        raise SpecError(f"{path}: description must be a non-empty string.")
    spec.setdefault("name", path.parent.name)
    data = _check_table(spec, "data", path)
    _check_data(data, path)
    data.setdefault("scale", 1.0)
    selection = _check_table(spec, "selection", path)
    _check_selection(selection, path)
    selection.setdefault("criterion", "bic")
    _check_model(_check_table(spec, "model", path), path)
    if "bayes" in spec:
        _check_bayes(_check_table(spec, "bayes", path), path)
    if "k_posterior" in spec:
        _check_k_posterior(_check_table(spec, "k_posterior", path), path)
    _check_published(_check_table(spec, "published", path), path, set(spec))
    spec["path"] = str(path.resolve())
    return spec


def spec_settings(table: Mapping[str, Any], quick: bool) -> dict[str, Any]:
    """A table's settings, its ``quick`` sub-table applied when ``quick`` is True.

    Examples
    --------
    >>> spec_settings({"n_init": 10, "quick": {"n_init": 2}}, quick=True)
    {'n_init': 2}
    """
    settings = {k: v for k, v in table.items() if k != "quick"}
    if quick:
        settings.update(table.get("quick", {}))
    return settings
