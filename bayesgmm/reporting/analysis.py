"""Reference analyses: run a declarative ``spec.toml`` and check it against published numbers.

Each folder under ``models/`` is one analysis: a ``spec.toml`` saying which data, which
models to compare, which model is chosen, how to sample its posterior, and which
published numbers the results must reproduce. :func:`run_analysis` runs it (the
``bayesgmm run`` command calls it); :func:`load_spec` only reads and validates it.

Spec format
-----------
Top level
    ``description`` (str, required); ``name`` (str, default: the folder's name).
``[data]``
    Exactly one source: ``dataset = "faithful"`` (``bayesgmm.datasets.load_faithful()``;
    also ``"galaxies"``, ``"iris"``), ``file = "data.csv"`` (a CSV file beside
    ``spec.toml``) or ``generator = "make_gmm_data"``
    (:func:`bayesgmm.testing.make_gmm_data` with ``covariance_type``, ``n_samples``,
    ``seed`` and optionally ``separation``; its true parameters become
    :attr:`AnalysisResult.truth`). ``columns``: the features used (required for
    ``dataset`` and ``file``; for ``generator``, names for its two columns).
    ``scale`` (default 1): the data are multiplied by it. ``variant``: a version of
    the dataset (``load_galaxies(variant)``: ``"MASS"`` or ``"richardson_green"``).
``[selection]``
    The model grid of :func:`bayesgmm.select_model`: ``n_components = [low, high]``
    (inclusive), ``covariance_types`` (both required), ``criterion`` (default
    ``"bic"``), ``n_init``, ``random_state``, ``max_iter``, ``tol``, ``reg_covar``,
    ``init_params``, ``n_jobs``.
``[model]``
    The chosen model: :class:`bayesgmm.GaussianMixture` parameters;
    ``n_components`` and ``covariance_type`` are required.
``[bayes]`` (optional)
    The Bayesian fit of the chosen model: ``run`` (default true) and
    :class:`bayesgmm.BayesianGaussianMixture` settings (``draws``, ``tune``,
    ``chains``, ``random_state``, ``target_accept``, ``sampler``, ``n_init``,
    ``relabel``, ``progressbar``); ``[bayes.priors]`` holds
    :class:`bayesgmm.bayes.Priors` fields.
``[k_posterior]`` (optional)
    The posterior over the number of components (:func:`bayesgmm.posterior_over_k`):
    ``run`` (default true), ``k_max``, ``priors`` (a name or a table with ``name``
    and :class:`bayesgmm.mfm.MFMPriors` fields), ``draws``, ``tune``, ``chains``,
    ``thin``, ``max_doublings``, ``random_state``. Its checks: ``p_components`` and
    ``p_clusters`` (lists of p(K = k | y) and p(K+ = k | y) from k = 1, compared with
    the same number of ours) and ``k_posterior_mode``.
``[selection.quick]``, ``[model.quick]``, ``[bayes.quick]``, ``[k_posterior.quick]``
    Settings that replace the ones above when ``quick=True`` (the test suite's
    mode). In quick mode the Bayesian fit runs only if ``[bayes.quick]`` says
    ``run = true``.
``[published]``
    ``source`` (str, required: where the numbers come from) and a list of
    ``[[published.checks]]``, each with

    - ``quantity``: one of :data:`QUANTITIES`;
    - ``value``: the published number (a string for ``selected_model``, nested lists
      for arrays);
    - ``comparison``: one of :data:`COMPARISONS`; ``tolerance`` (default 0);
    - ``model`` (optional): the model the quantity is computed for, as
      ``"K=2 full"`` (mclust names such as ``"K=2 VVV"`` are accepted); default the
      chosen model. Models of the grid are taken from it, others are fitted with
      the ``[model]`` settings;
    - ``origin`` (optional): ``"published"`` (default), ``"mclust"`` (R's mclust's
      output on the same data, with its version in the source), ``"ours"`` (a number
      bayesgmm produced, kept as a regression check) or ``"truth"`` (simulated data);
    - ``source`` and ``note`` (optional): a source replacing ``published.source``
      for this check, and a remark.

Arrays (weights, means, covariances) are compared component by component in
increasing order of the first coordinate of the component means, so labels do not
matter; ``close`` then bounds the largest absolute difference.

Examples
--------
>>> import tempfile, pathlib
>>> spec_text = '''
... description = "Old Faithful, K = 3 tied"
... [data]
... dataset = "faithful"
... columns = ["eruptions", "waiting"]
... [selection]
... n_components = [2, 3]
... covariance_types = ["tied"]
... [model]
... n_components = 3
... covariance_type = "tied"
... tol = 1e-8
... n_init = 10
... random_state = 0
... [published]
... source = "mclust: Mclust(faithful), EEE with G = 3, log-likelihood -1126.326"
... [[published.checks]]
... quantity = "log_likelihood"
... value = -1126.33
... comparison = "at_least"
... tolerance = 0.005
... '''
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "spec.toml").write_text(spec_text)
>>> result = run_analysis(folder, progress=False)
>>> result.passed
True
>>> result.checks[["quantity", "published", "passed"]]
         quantity  published  passed
0  log_likelihood   -1126.33    True
"""

from __future__ import annotations

import copy
import functools
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd

import bayesgmm.datasets
from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.validation import progress_stream
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning, SamplingWarning
from bayesgmm.reporting.analysis_spec import (
    ARRAY_QUANTITIES,
    BAYES_PREFIX,
    COMPARISONS,
    K_POSTERIOR_QUANTITIES,
    QUANTITIES,
    SpecError,
    load_spec,
    parse_model_label,
    spec_settings,
)
from bayesgmm.selection.model_selection import ModelSelection, candidate_name
from bayesgmm.selection.pipeline import PipelineResult, Progress, run_pipeline

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bayesgmm.bayes.estimator import BayesianGaussianMixture

__all__ = [
    "COMPARISONS",
    "QUANTITIES",
    "AnalysisResult",
    "SpecError",
    "load_data",
    "load_spec",
    "parse_model_label",
    "run_analysis",
]


#: statistical warnings recorded in AnalysisResult.warnings instead of being raised
_RECORDED_WARNINGS = (SamplingWarning, ConvergenceWarning, ComponentCollapseWarning)


@dataclass
class AnalysisResult:
    """What :func:`run_analysis` produced.

    Attributes
    ----------
    spec : dict
        The validated spec (see :func:`load_spec`).
    data : pandas.DataFrame
        The data fitted (selected columns, scaled).
    selection : ModelSelection
        The EM grid.
    model : GaussianMixture
        The chosen model (``[model]``), fitted by EM.
    bayes_model : BayesianGaussianMixture or None
        Its Bayesian fit, or ``None`` when it did not run.
    k_posterior : KPosterior or None
        The posterior over K (``[k_posterior]``), or ``None`` when it did not run.
    checks : pandas.DataFrame
        One row per evaluated check: ``quantity``, ``model``, ``published``, ``ours``,
        ``difference`` (ours - published; the largest absolute difference for
        arrays; NaN for labels), ``comparison``, ``tolerance``, ``passed``,
        ``origin``, ``source``.
    skipped : list of str
        Checks not evaluated and why (Bayesian or posterior-over-K quantities when
        their run did not happen).
    truth : dict or None
        True ``weights``, ``means`` and ``covariances`` of generated data.
    report : object or None
        The report of :func:`bayesgmm.reporting.html_report.build_report` when ``out`` was given
        and that module is available.
    warnings : list of str
        Sampler, convergence and collapse warnings raised while running.
    quick : bool
        Whether the quick settings were used.
    elapsed : float
        Wall-clock seconds.
    """

    spec: dict[str, Any]
    data: pd.DataFrame
    selection: ModelSelection
    model: GaussianMixture
    bayes_model: BayesianGaussianMixture | None
    checks: pd.DataFrame
    k_posterior: Any = None
    skipped: list[str] = field(default_factory=list)
    truth: dict[str, np.ndarray] | None = None
    report: Any = None
    warnings: list[str] = field(default_factory=list)
    quick: bool = False
    elapsed: float = 0.0

    @property
    def passed(self) -> bool:
        """Whether every evaluated check passed.

        Returns
        -------
        bool
        """
        return bool(self.checks["passed"].all())

    @property
    def table(self) -> pd.DataFrame:
        """The checks against the published numbers (:attr:`checks`).

        Returns
        -------
        pandas.DataFrame
        """
        return self.checks

    def __str__(self) -> str:
        mode = "quick" if self.quick else "full"
        lines = [
            f"{self.spec['name']} ({mode} mode, {self.elapsed:.1f} s): "
            f"{int(self.checks['passed'].sum())}/{len(self.checks)} checks passed",
        ]
        for row in self.checks.itertuples():
            mark = "ok  " if row.passed else "FAIL"
            if isinstance(row.ours, list):
                compared = f"largest |ours - published| {row.difference:.4g}"
            else:
                compared = f"ours {_format(row.ours)} {row.comparison} {_format(row.published)}"
            lines.append(
                f"  {mark} {row.quantity} [{row.model}]: {compared} "
                f"(tolerance {row.tolerance:g}, {row.origin})"
            )
        lines.extend(f"  skipped: {reason}" for reason in self.skipped)
        return "\n".join(lines)


# --------------------------------------------------------------------------- data
def load_data(spec: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, np.ndarray] | None]:
    """The data of a validated spec, and the true parameters of generated data.

    Parameters
    ----------
    spec : dict
        As returned by :func:`load_spec`.

    Returns
    -------
    X : pandas.DataFrame
        The ``columns`` of the data, as floats, multiplied by ``scale``.
    truth : dict or None
        ``weights``, ``means`` and ``covariances`` for ``generator`` data (components
        in increasing order of the first mean coordinate), else ``None``.

    Raises
    ------
    SpecError
        If a column is not in the data.

    Examples
    --------
    >>> spec = {"data": {"dataset": "galaxies", "columns": ["velocity"], "scale": 0.001}}
    >>> X, truth = load_data(spec)
    >>> round(float(X["velocity"].min()), 3), truth
    (9.172, None)
    """
    data = spec["data"]
    truth = None
    if "generator" in data:
        from bayesgmm.testing import make_gmm_data

        X, weights, means, covariances = make_gmm_data(
            data["covariance_type"],
            data["n_samples"],
            data["seed"],
            separation=data.get("separation", 10.0),
        )
        names = data.get("columns") or [f"x{i}" for i in range(X.shape[1])]
        if len(names) != X.shape[1]:
            raise SpecError(
                f"{spec.get('path', 'spec')}: [data] columns must name the generator's "
                f"{X.shape[1]} columns; got {names!r}."
            )
        frame = pd.DataFrame(X, columns=names)
        truth = {"weights": weights, "means": means, "covariances": covariances}
    else:
        if "dataset" in data:
            loader = getattr(bayesgmm.datasets, f"load_{data['dataset']}")
            frame = loader(data["variant"]) if "variant" in data else loader()
        else:
            frame = pd.read_csv(Path(spec["path"]).parent / data["file"])
        missing = [c for c in data["columns"] if c not in frame.columns]
        if missing:
            raise SpecError(
                f"{spec.get('path', 'spec')}: [data] columns {missing} are not in the data; "
                f"available: {list(frame.columns)}."
            )
        frame = frame[data["columns"]]
    return frame.astype(np.float64) * float(data.get("scale", 1.0)), truth


# --------------------------------------------------------------------------- checks
def _sorted_parameters(
    weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, covariance_type: str
) -> dict[str, np.ndarray]:
    order = np.argsort(means[:, 0], kind="stable")
    model = get_covariance_model(covariance_type)
    return {
        "weights": np.asarray(weights)[order],
        "means": np.asarray(means)[order],
        "covariances": model.take_components(np.asarray(covariances), order),
    }


def _bayes_parameters(bayes_model: BayesianGaussianMixture) -> dict[str, np.ndarray]:
    post = bayes_model.idata_["posterior"].dataset
    mean = {name: post[name].mean(("chain", "draw")).values for name in ARRAY_QUANTITIES}
    return _sorted_parameters(
        mean["weights"], mean["means"], mean["covariances"], bayes_model.covariance_type
    )


def _compare(comparison: str, ours: Any, value: Any, tolerance: float) -> tuple[bool, float]:
    if isinstance(value, str):
        return ours == value, float("nan")
    ours_array = np.asarray(ours, dtype=np.float64)
    value_array = np.asarray(value, dtype=np.float64)
    if ours_array.shape != value_array.shape:
        return False, float("nan")
    difference = ours_array - value_array
    if comparison == "equal":
        return bool(np.all(difference == 0)), float(np.max(np.abs(difference)))
    if comparison == "close":
        largest = float(np.max(np.abs(difference)))
        return largest <= tolerance, largest
    if comparison == "at_least":
        return bool(np.all(difference >= -tolerance)), float(np.min(difference))
    return bool(np.all(difference <= tolerance)), float(np.max(difference))


def _format(value: Any) -> str:
    if isinstance(value, str):
        return value
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    return np.array2string(array, precision=4, separator=", ").replace("\n", "")


class _Evaluator:
    """Compute the quantities of checks, fitting extra EM models at most once."""

    def __init__(self, X, run: PipelineResult, model_settings) -> None:
        self.X = X
        self.k_posterior = run.k_posterior
        self.n = len(X)
        self.selection = run.selection
        em = run.em
        assert em is not None  # the pipeline always ends with its chosen EM fit
        self.model = em
        self.model_settings = model_settings
        self.bayes_model = run.posterior
        self.chosen = run.chosen["name"]  # the pipeline's choice, named once
        self.fitted: dict[str, GaussianMixture] = {self.chosen: em}

    def estimator(self, label: str) -> GaussianMixture:
        if label not in self.fitted:
            k, cov = parse_model_label(label)
            grid = self.selection.estimators.get((k, cov))
            if grid is None:
                settings = dict(self.model_settings, n_components=k, covariance_type=cov)
                grid = GaussianMixture(**settings).fit(self.X)
            self.fitted[label] = grid
        return self.fitted[label]

    def quantity(self, name: str, label: str, value: Any = None) -> Any:
        if name in K_POSTERIOR_QUANTITIES:
            if name == "k_posterior_mode":
                return float(self.k_posterior.mode)
            return self.k_posterior.table[name].to_numpy()[: len(value)]
        if name == "selected_model":
            best = self.selection.best_params_
            return candidate_name(best["n_components"], best["covariance_type"])
        if name.startswith(BAYES_PREFIX):
            return _bayes_parameters(self.bayes_model)[name.removeprefix(BAYES_PREFIX)]
        gm = self.estimator(label)
        if name in ARRAY_QUANTITIES:
            return _sorted_parameters(gm.weights_, gm.means_, gm.covariances_, gm.covariance_type)[
                name
            ]
        if name == "log_likelihood":
            return float(gm.score(self.X) * self.n)
        if name == "n_parameters":
            return get_covariance_model(gm.covariance_type).n_parameters(*gm.means_.shape)
        if name == "mclust_bic":
            return -float(gm.bic(self.X))
        return float(getattr(gm, name)(self.X))


def _evaluate_checks(
    spec: Mapping[str, Any], evaluator: _Evaluator
) -> tuple[pd.DataFrame, list[str]]:
    rows, skipped = [], []
    default_source = spec["published"]["source"].strip()
    for check in spec["published"]["checks"]:
        quantity = check["quantity"]
        if quantity == "selected_model":
            label = "grid"
        elif quantity in K_POSTERIOR_QUANTITIES:
            label = "posterior over K"
        elif quantity.startswith(BAYES_PREFIX):
            label = evaluator.chosen
        else:
            label = check.get("model", evaluator.chosen)
        if quantity.startswith(BAYES_PREFIX) and evaluator.bayes_model is None:
            skipped.append(f"{quantity} [{label}]: the Bayesian fit did not run")
            continue
        if quantity in K_POSTERIOR_QUANTITIES and evaluator.k_posterior is None:
            skipped.append(f"{quantity}: the posterior over K did not run")
            continue
        value = check["value"]
        ours = evaluator.quantity(quantity, label, value)
        passed, difference = _compare(check["comparison"], ours, value, check["tolerance"])
        rows.append(
            {
                "quantity": quantity,
                "model": label,
                "published": value,
                "ours": ours.tolist() if isinstance(ours, np.ndarray) else ours,
                "difference": difference,
                "comparison": check["comparison"],
                "tolerance": float(check["tolerance"]),
                "passed": bool(passed),
                "origin": check["origin"],
                "source": check.get("source", default_source).strip(),
                "note": check.get("note", "").strip(),
            }
        )
    columns = [
        "quantity",
        "model",
        "published",
        "ours",
        "difference",
        "comparison",
        "tolerance",
        "passed",
        "origin",
        "source",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns), skipped


# --------------------------------------------------------------------------- run


def _replay(caught: list[warnings.WarningMessage], recorded: list[str]) -> None:
    """Keep statistical warnings as messages; re-issue everything else."""
    for w in caught:
        if issubclass(w.category, _RECORDED_WARNINGS):
            recorded.append(f"{w.category.__name__}: {w.message}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _chosen_model(
    X: pd.DataFrame, settings: Mapping[str, Any], selection: ModelSelection
) -> GaussianMixture:
    """The chosen ``[model]``: the grid's fit of it, continued to its own tolerance.

    The grid already fitted this (K, covariance type); EM goes on from that solution
    (``warm_start``) until ``[model]``'s ``tol``/``max_iter`` are met. Only when the
    grid lacks the model, or ``[model]`` asks for something the grid's fit did not do
    (more restarts, another ``reg_covar`` or ``init_params``; a ``[model]`` without
    ``init_params`` takes the grid's), is it fitted on its own.
    """
    key = (settings["n_components"], get_covariance_model(settings["covariance_type"]).name)
    grid_fit = selection.estimators.get(key)
    if grid_fit is not None:
        grid = grid_fit.get_params()
        # a [model] that does not name its start takes the grid's
        wanted = GaussianMixture(**{"init_params": grid["init_params"], **settings}).get_params()
        same_model = all(grid[name] == wanted[name] for name in ("reg_covar", "init_params"))
        if same_model and wanted["n_init"] <= grid["n_init"]:
            model = copy.deepcopy(grid_fit)
            model.set_params(**{**settings, "warm_start": True}).fit(X)
            return model.set_params(warm_start=False)
    return GaussianMixture(**settings).fit(X)


def _priors(settings: Mapping[str, Any]) -> Any:
    from bayesgmm.bayes.spec import Priors

    return Priors(**settings.get("priors", {}))


def _write_outputs(result: AnalysisResult, model: FittedMixtureLike, out: Path, title: str) -> Any:
    out.mkdir(parents=True, exist_ok=True)
    result.checks.to_csv(out / "checks.csv", index=False)
    try:
        from bayesgmm.reporting.html_report import build_report
    except ImportError:
        return None
    from bayesgmm.selection.evidence import EvidenceTable

    evidence = EvidenceTable.from_results(result.selection, k_posterior=result.k_posterior)
    report = build_report(
        result.data, selection=result.selection, model=model, evidence=evidence, title=title
    )
    report.save(out / "report.html")
    return report


def run_analysis(
    path: str | Path,
    *,
    quick: bool = False,
    out: str | Path | None = None,
    progress: bool | TextIO = True,
) -> AnalysisResult:
    """Run a reference analysis and check it against its published numbers.

    The steps (:func:`bayesgmm.selection.pipeline.run_pipeline`): load the data; fit the EM
    grid (:func:`bayesgmm.select_model`); take the grid's fit of the chosen model
    (``[model]``) and continue its EM to ``[model]``'s tolerance (fitted on its own
    only when the grid lacks it or did less, e.g. fewer restarts); sample its
    posterior from that fit when ``[bayes]`` asks (in
    quick mode only when ``[bayes.quick]`` says ``run = true``); evaluate every
    ``[[published.checks]]``; with ``out``, write ``checks.csv`` and (when
    :mod:`bayesgmm.reporting.html_report` is available) ``report.html`` there.

    Parameters
    ----------
    path : str or path-like
        A ``spec.toml`` or the folder holding it (e.g. ``models/faithful``).
    quick : bool, default=False
        Use the ``quick`` settings (small sampler runs, as in the test suite).
    out : str or path-like, default=None
        Folder for ``checks.csv`` and ``report.html`` (created if needed).
    progress : bool or file-like, default=True
        Print each step (to stderr when ``True``) and show sampler progress bars.

    Returns
    -------
    AnalysisResult
        ``spec``, ``selection``, ``model``, ``bayes_model``, ``checks``, ``passed``,
        ``report`` and more.

    Raises
    ------
    SpecError
        If the spec is invalid (see :func:`load_spec`).

    See Also
    --------
    load_spec : read and validate a spec without running it.

    Examples
    --------
    The reference analyses live in ``models/`` of the source tree
    (``run_analysis("models/galaxies", quick=True)``). A small one:

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "spec.toml").write_text('''
    ... description = "Galaxy velocities in 1000 km/s, three components"
    ... [data]
    ... dataset = "galaxies"
    ... columns = ["velocity"]
    ... scale = 0.001
    ... [selection]
    ... n_components = [2, 4]
    ... covariance_types = ["full"]
    ... n_init = 20
    ... [model]
    ... n_components = 3
    ... covariance_type = "full"
    ... n_init = 20
    ... tol = 1e-8
    ... [published]
    ... source = "mclust: Mclust(galaxies / 1000, G = 3, modelNames = 'V')"
    ... [[published.checks]]
    ... quantity = "log_likelihood"
    ... value = -203.18
    ... comparison = "at_least"
    ... tolerance = 0.005
    ... ''')
    >>> result = run_analysis(folder, progress=False, out=folder / "out")
    >>> result.passed, round(float(result.checks.loc[0, "ours"]), 2)
    (True, -203.18)
    >>> (folder / "out" / "checks.csv").exists()
    True
    """
    start = time.perf_counter()
    spec = load_spec(path)
    stream = progress_stream(progress)

    def say(message: str) -> None:
        if stream is not None:
            print(message, file=stream, flush=True)

    X, truth = load_data(spec)
    say(f"{spec['name']}: {len(X)} observations x {X.shape[1]} features {list(X.columns)}")
    recorded: list[str] = []
    selection_settings = spec_settings(spec["selection"], quick)
    low, high = selection_settings.pop("n_components")
    covariance_types = selection_settings.pop("covariance_types")
    model_settings = spec_settings(spec["model"], quick)
    bayes_settings = spec_settings(spec.get("bayes", {}), quick)
    if "bayes" not in spec:
        run_bayes = False
    elif quick:
        run_bayes = spec["bayes"].get("quick", {}).get("run", False)
    else:
        run_bayes = spec["bayes"].get("run", True)
    grid_options = dict(selection_settings)
    grid_settings = {
        name: grid_options.pop(name)
        for name in ("criterion", "n_init", "random_state")
        if name in grid_options
    }
    bayes_options = {k: v for k, v in bayes_settings.items() if k not in ("run", "priors")}
    bayes_options.setdefault("progressbar", stream is not None)
    k_settings = spec_settings(spec.get("k_posterior", {}), quick)
    run_k = "k_posterior" in spec and k_settings.pop("run", True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_pipeline(
            X,
            range(low, high + 1),
            covariance_types,
            **grid_settings,
            grid_options=grid_options,
            lrt=False,
            loo=False,
            ppc=False,
            sparse=False,
            k_posterior=k_settings if run_k else False,
            extend=False,  # the spec's grid, as published
            chosen=functools.partial(_chosen_model, X, model_settings),
            posterior=run_bayes,
            bayes_options={**bayes_options, "priors": _priors(bayes_settings)},
            progress=Progress(stream if stream is not None else False, verbose=True),
        )
    _replay(caught, recorded)
    evaluator = _Evaluator(X, run, model_settings)
    checks, skipped = _evaluate_checks(spec, evaluator)
    result = AnalysisResult(
        spec=spec,
        data=X,
        selection=run.selection,
        model=evaluator.model,
        bayes_model=run.posterior,
        k_posterior=run.k_posterior,
        checks=checks,
        skipped=skipped,
        truth=truth,
        warnings=recorded,
        quick=quick,
    )
    if out is not None:
        title = f"{spec['name']}: reference analysis"
        # the model the pipeline chose (its posterior when it ran), as it reports it
        result.report = _write_outputs(result, run.model, Path(out), title)
    result.elapsed = time.perf_counter() - start
    say(str(result))
    return result
