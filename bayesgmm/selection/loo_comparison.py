"""Bayesian comparison of candidate mixtures by PSIS-LOO (ArviZ).

:func:`compare_loo` fits :class:`~bayesgmm.BayesianGaussianMixture` for each
candidate (by default the top BIC models of :func:`bayesgmm.select_model`), computes
Pareto-smoothed importance-sampling leave-one-out cross-validation with ArviZ
(``elpd``, its standard error, differences with their standard errors and stacking
weights) and flags the observations whose Pareto k exceeds 0.7, where the
importance-sampling estimate is unreliable. Those terms are then repaired by exact
leave-one-out refits (:mod:`bayesgmm.bayes.reloo`, as brms's ``reloo``), up to a cap
per model; the comparison is computed from the repaired pointwise values.

A fit's sampler diagnostics (r_hat, ESS, divergences) and the reliability of its
LOO are separate states: ``diagnostics_ok`` says whether the fit failed,
``loo_state`` whether its LOO is ``"ok"``, ``"repaired (m refits)"`` or
``"unreliable: m Pareto k > 0.7"`` (more flagged points than the cap allows).

The pointwise log-likelihood is the mixture density ``log sum_k w_k N(x_i | mu_k,
Sigma_k)``, which does not depend on the component labels: LOO needs no
relabelling.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.reloo import reloo_cap, repair_loo
from bayesgmm.bayes.spec import BAYESIAN_COVARIANCE_TYPES, check_bayesian_covariance_type
from bayesgmm.core.display import format_table
from bayesgmm.core.validation import ValidatedData, is_int, progress_stream, validate_data
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.selection.model_selection import ModelSelection, candidate_name, select_model

__all__ = ["PARETO_K_THRESHOLD", "LOOComparison", "candidate_name", "compare_loo"]

#: Pareto k above which a PSIS-LOO term is unreliable (Vehtari et al. 2024)
PARETO_K_THRESHOLD = 0.7


@dataclass
class LOOComparison:
    """PSIS-LOO comparison of fitted Bayesian mixtures (result of :func:`compare_loo`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model, best first: ``n_components``, ``covariance_type``, the
        columns of :func:`arviz.compare` (``rank``, ``elpd``, ``se``, ``p``
        (effective number of parameters), ``elpd_diff`` and ``dse`` (``elpd`` minus
        the best's, so <= 0, and its standard error), ``weight`` (stacking), ...),
        ``z_diff`` (``-elpd_diff / dse``: standard errors behind the best),
        ``n_high_pareto_k`` (observations whose PSIS Pareto k exceeded the
        threshold), ``n_refits`` (of them, those repaired by exact refits),
        ``loo_state`` (``"ok"``, ``"repaired (m refits)"`` or ``"unreliable: m
        Pareto k > 0.7"``), ``loo_ok`` (no unrepaired high-k point),
        ``diagnostics_ok`` (the fit passed its sampler checks -- r_hat, bulk and
        tail ESS, no divergences; a fit failing them is a failed fit) and
        ``diagnostics`` (what failed, or ``"ok"``; followed by the draws run when the
        chains were continued, e.g. ``"ok (4 x 2000 draws, chains doubled once)"``).
    loo : dict of str to arviz_stats ELPDData
        Pointwise LOO results per model (PSIS, with the repaired terms replaced).
    models : dict of str to BayesianGaussianMixture
        The fitted models.
    high_pareto_k : dict of str to ndarray
        Row indices of the observations with PSIS Pareto k above
        ``pareto_k_threshold``.
    repaired : dict of str to ndarray
        Row indices whose LOO term was computed exactly by refitting without them.
    pareto_k_threshold : float
        The flagging threshold.
    skipped : dict of str to str
        Candidates of the grid that were not fitted, with the reason (degenerate EM
        fits among the best ``n_candidates``).

    Examples
    --------
    >>> comparison = compare_loo(X, [1, 2, 3])  # doctest: +SKIP
    >>> comparison.best  # doctest: +SKIP
    'K=3 full'
    """

    table: pd.DataFrame
    loo: dict[str, Any] = field(repr=False)
    models: dict[str, Any] = field(repr=False)
    high_pareto_k: dict[str, NDArray[np.intp]] = field(repr=False)
    pareto_k_threshold: float = PARETO_K_THRESHOLD
    skipped: dict[str, str] = field(default_factory=dict)
    repaired: dict[str, NDArray[np.intp]] = field(default_factory=dict, repr=False)

    @property
    def best(self) -> str:
        """Name of the model with the highest ELPD.

        Returns
        -------
        str

        Examples
        --------
        >>> comparison.best  # doctest: +SKIP
        'K=3 full'
        """
        return str(self.table.index[0])

    def difference(self, name: str, reference: str | None = None) -> tuple[float, float]:
        """ELPD difference of ``reference`` over ``name`` and its standard error.

        Parameters
        ----------
        name : str
            Model compared.
        reference : str, default=None
            Reference model (the best when ``None``).

        Returns
        -------
        diff, se : float
            ``elpd[reference] - elpd[name]`` and the standard error of the paired
            pointwise differences.

        Examples
        --------
        >>> diff, se = comparison.difference("K=2 full")  # doctest: +SKIP
        >>> diff > 2 * se  # doctest: +SKIP
        True
        """
        reference = reference or self.best
        for label in (name, reference):
            if label not in self.loo:
                raise ValueError(f"unknown model {label!r}; compared models: {list(self.loo)}.")
        a = np.asarray(self.loo[reference].elpd_i).ravel()
        b = np.asarray(self.loo[name].elpd_i).ravel()
        diff = a - b
        return float(diff.sum()), float(np.sqrt(diff.size * np.var(diff)))

    def plot(self, ax: Any = None) -> Any:
        """Draw ELPD +- se per model and the difference to the best +- dse.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw (a new figure when ``None``).

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> ax = comparison.plot()  # doctest: +SKIP
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.6 * len(self.table) + 1.5))
        table = self.table.iloc[::-1]
        y = np.arange(len(table))
        ax.errorbar(table["elpd"], y, xerr=table["se"], fmt="o", color="black", label="ELPD +- se")
        best = float(self.table["elpd"].iloc[0])
        # the difference drawn from the best model's ELPD, with its own (paired) se
        shifted = best + table["elpd_diff"].to_numpy()
        ax.errorbar(
            shifted,
            y - 0.2,
            xerr=table["dse"],
            fmt="^",
            color="grey",
            label="difference to best +- dse",
        )
        ax.axvline(best, color="grey", linestyle="--", linewidth=0.8)
        ax.set_yticks(y, list(table.index))
        ax.set_xlabel("ELPD (PSIS-LOO, higher is better)")
        ax.legend(fontsize="small")
        return ax

    def __str__(self) -> str:
        shown: tuple[str, ...] = ("elpd", "se", "p", "elpd_diff", "dse", "z_diff", "weight")
        shown += ("n_high_pareto_k", "loo_state", "diagnostics")
        columns = [c for c in shown if c in self.table]
        text = f"PSIS-LOO comparison (higher ELPD is better; best: {self.best})\n"
        text += format_table(self.table[columns])
        if self.skipped:
            text += "\n" + "\n".join(f"- skipped {n}: {why}" for n, why in self.skipped.items())
        return text

    def _repr_html_(self) -> str:
        flags = {name: len(rows) for name, rows in self.high_pareto_k.items() if len(rows)}
        note = (
            f"<p>Pareto k &gt; {self.pareto_k_threshold}: {flags} (see loo_state)</p>"
            if flags
            else f"<p>All Pareto k &le; {self.pareto_k_threshold}.</p>"
        )
        columns = ["elpd", "se", "p", "elpd_diff", "dse", "z_diff", "weight", "n_high_pareto_k"]
        columns += [c for c in ("loo_state",) if c in self.table]
        html = self.table[columns].to_html(float_format=lambda v: f"{v:.2f}")
        return f"<p><b>PSIS-LOO comparison</b> (best: {self.best})</p>" + html + note


def _as_candidates(
    X: ValidatedData,
    candidates: Any,
    covariance_type: str,
    n_candidates: int,
    random_state: int | None,
) -> tuple[list[tuple[int, str, Any]], dict[str, str]]:
    """``(K, covariance type, EM start or None)`` per candidate, and the skipped ones.

    From a :class:`ModelSelection`, its best *sound* fits are taken, each started
    from the grid's own EM fit (not refitted); fits with a degenerate component are
    skipped with their reason. Candidates named explicitly are always fitted.
    """
    skipped: dict[str, str] = {}
    if candidates is None:
        candidates = select_model(X, random_state=random_state)
    if isinstance(candidates, ModelSelection):
        table = candidates.table
        bayesian = table["covariance_type"].isin(BAYESIAN_COVARIANCE_TYPES)
        degenerate = table["degenerate"].astype(bool)
        sound = table[bayesian & ~degenerate].head(n_candidates)
        # the fits that ranked among the candidates by the criterion but are not compared
        cutoff = sound[candidates.criterion].max() if len(sound) else np.inf
        for row in table[~bayesian | degenerate].itertuples():
            if getattr(row, candidates.criterion) <= cutoff:
                name = candidate_name(row.n_components, row.covariance_type)
                skipped[name] = (
                    f"degenerate EM fit: {row.warnings}"
                    if row.degenerate
                    else f"no Bayesian model for mclust's {row.mclust_name}"
                )
        out = [
            (
                int(r.n_components),
                str(r.covariance_type),
                candidates.estimators.get((int(r.n_components), str(r.covariance_type))),
            )
            for r in sound.itertuples()
        ]
        if not out:
            raise ValueError(
                "every model of the grid is degenerate (a collapsed component or one with "
                "fewer effective samples than parameters): there is no sound candidate to "
                "compare. Name candidates explicitly to fit them anyway."
            )
        return out, skipped
    if isinstance(candidates, pd.DataFrame):
        out = [(int(r.n_components), str(r.covariance_type), None) for r in candidates.itertuples()]
        return out, skipped
    if isinstance(candidates, int | np.integer):
        candidates = [candidates]
    pairs = []
    for item in candidates:
        if isinstance(item, tuple) and len(item) == 2:
            k, cov = item
        else:
            k, cov = item, covariance_type
        if not (is_int(k) and k >= 1):
            raise ValueError(
                "candidates must be integers >= 1, (n_components, covariance_type) pairs, "
                f"a ModelSelection or a dict of fitted models; got {item!r}."
            )
        pairs.append((int(k), check_bayesian_covariance_type(cov)))
    if len(set(pairs)) < 2:
        raise ValueError(f"compare_loo needs at least two distinct candidates; got {pairs}.")
    return [(k, cov, None) for k, cov in dict.fromkeys(pairs)], skipped


def _fit_named(name: str, model: Any, data: Any) -> Any:
    """Fit ``model``; re-issue its warnings with the model's name in front."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data)
    for w in caught:
        warnings.warn_explicit(f"{name}: {w.message}", w.category, w.filename, w.lineno)
    return model


def compare_loo(
    X: ArrayLike,
    candidates: Any = None,
    *,
    covariance_type: str = "full",
    n_candidates: int = 3,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_state: int | None = 0,
    method: str = "stacking",
    pareto_k_threshold: float = PARETO_K_THRESHOLD,
    reloo: bool | int = True,
    progress: bool | TextIO = False,
    **model_params: Any,
) -> LOOComparison:
    """Fit Bayesian mixtures for candidate models and compare them by PSIS-LOO.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    candidates : None, ModelSelection, sequence or dict, default=None
        ``None``: run :func:`bayesgmm.select_model` on ``X`` and take its
        ``n_candidates`` best BIC models. A :class:`~bayesgmm.ModelSelection`:
        its best models. A sequence of ints (numbers of components, with
        ``covariance_type``) or of ``(n_components, covariance_type)`` pairs. A dict
        of name to *fitted* :class:`~bayesgmm.BayesianGaussianMixture` (nothing is
        refitted).
    covariance_type : str, default="full"
        Covariance structure for integer candidates.
    n_candidates : int, default=3
        How many of the best BIC models to compare when ``candidates`` is ``None``
        or a ModelSelection.
    draws, tune, chains : int, default=1000, 1000, 4
        Sampler settings of every fit.
    random_state : int or None, default=0
        Seed of every fit (and of the grid when ``candidates`` is ``None``).
    method : {"stacking", "BB-pseudo-BMA", "pseudo-BMA"}, default="stacking"
        How :func:`arviz.compare` weights the models.
    pareto_k_threshold : float, default=0.7
        Observations with a larger Pareto k are flagged (their PSIS term is
        unreliable; a model that flags many is misspecified or too flexible).
    reloo : bool or int, default=True
        Repair the flagged terms by exact leave-one-out: refit the model without
        each flagged row (same settings and seed, started from the full fit's EM
        solution) and use the log of the refit's posterior-mean density of that row
        (:mod:`bayesgmm.bayes.reloo`). ``True`` refits up to 10 rows per model, an
        integer up to that many, ``False`` (or 0) none. A model with more flagged
        rows than the cap is not refitted at all: its ``loo_state`` is
        ``"unreliable: m Pareto k > 0.7"`` and the warning says which ``reloo`` value
        repairs it (each refit costs about one Bayesian fit).
    progress : bool or file-like, default=False
        Print a line per fitted model and per refit (to stderr when ``True``);
        sampler progress bars are shown only with ``progressbar=True`` in
        ``model_params``.
    **model_params
        Other :class:`~bayesgmm.BayesianGaussianMixture` parameters (``priors``,
        ``target_accept``, ``sampler``, ``n_init``, ``progressbar``).

    Returns
    -------
    LOOComparison

    Warns
    -----
    SamplingWarning
        From fits whose diagnostics fail (named parameters), and when a model keeps
        observations with Pareto k above the threshold that were not repaired.

    Examples
    --------
    >>> from bayesgmm import load_galaxies
    >>> X = load_galaxies() / 1000
    >>> comparison = compare_loo(X, [2, 3], draws=300, tune=300)  # doctest: +SKIP
    >>> comparison.table[["elpd", "se", "elpd_diff", "dse", "weight"]]  # doctest: +SKIP
    """
    import arviz as az

    from bayesgmm.bayes.estimator import BayesianGaussianMixture

    incomplete_ok = model_params.get("missing") == "marginalize"
    data = validate_data(X, min_samples=2, allow_nan=incomplete_ok)  # the fits trust it
    array = data.array
    if not pareto_k_threshold > 0:  # also rejects NaN
        raise ValueError(f"pareto_k_threshold must be positive; got {pareto_k_threshold!r}.")
    cap = reloo_cap(reloo)
    stream = progress_stream(progress)
    skipped: dict[str, str] = {}
    if isinstance(candidates, Mapping):
        models = dict(candidates)
        if len(models) < 2:
            raise ValueError(f"compare_loo needs at least two models; got {list(models)}.")
        for name, model in models.items():
            if not isinstance(model, BayesianGaussianMixture) or not hasattr(model, "idata_"):
                raise TypeError(
                    f"candidates[{name!r}] must be a fitted BayesianGaussianMixture; "
                    f"got {type(model).__name__}."
                )
    else:
        model_params.setdefault("progressbar", False)
        cells, skipped = _as_candidates(
            data, candidates, covariance_type, n_candidates, random_state
        )
        for name, why in skipped.items():
            if stream is not None:
                print(f"  skipped {name}: {why}", file=stream, flush=True)
        models = {}
        for i, (k, cov, start) in enumerate(cells):
            name = candidate_name(k, cov)
            if stream is not None:
                print(f"  [{i + 1}/{len(cells)}] sampling {name}", file=stream, flush=True)
            # an EM start with a noise component: the same noise and V
            noise = {"noise": True, "hypervolume": start.hypervolume_} if hasattr(
                start, "hypervolume_") else {}  # fmt: skip
            model = BayesianGaussianMixture(
                k,
                covariance_type=cov,
                draws=draws,
                tune=tune,
                chains=chains,
                random_state=random_state,
                start=start,
                **noise,
                **model_params,
            )
            models[name] = _fit_named(name, model, data)
            diagnostics = model.diagnostics_
            if stream is not None and diagnostics.doublings:
                print(
                    f"      {name}: chains continued to {diagnostics.n_chains} x "
                    f"{diagnostics.n_draws} draws ({diagnostics.doublings} doubling"
                    f"{'s' if diagnostics.doublings != 1 else ''}); diagnostics "
                    f"{'ok' if diagnostics.ok else '; '.join(diagnostics.problems)}",
                    file=stream,
                    flush=True,
                )
    loo, high, repaired, states = {}, {}, {}, {}
    for name, model in models.items():
        n_fitted = model.idata_["observed_data"]["obs"].sizes["obs_id"]
        if n_fitted != array.shape[0]:
            raise ValueError(
                f"model {name!r} was fitted on different data ({n_fitted} rows; X has "
                f"{array.shape[0]}): LOO compares models on the same observations."
            )
        loo[name] = model.loo()  # in blocks of rows; Pareto k reported here
        k_hat = np.asarray(loo[name].pareto_k).ravel()
        high[name] = np.flatnonzero(k_hat > pareto_k_threshold)
        repaired[name] = np.empty(0, dtype=np.intp)
        m = len(high[name])
        rows = f"rows {high[name][:10].tolist()}{' ...' if m > 10 else ''}"
        if not m:
            states[name] = "ok"
        elif m <= cap:
            if stream is not None:
                print(
                    f"  {name}: {m} observation(s) with Pareto k > {pareto_k_threshold} "
                    f"({rows}): exact LOO by refitting without each",
                    file=stream,
                    flush=True,
                )
            loo[name], summary = repair_loo(
                model,
                data,
                loo[name],
                high[name],
                threshold=pareto_k_threshold,
                name=name,
                stream=stream,
            )
            repaired[name] = summary.rows
            states[name] = f"repaired ({m} refit{'s' if m != 1 else ''})"
            if summary.failed:
                states[name] += f"; {len(summary.failed)} refit(s) failed diagnostics"
                warnings.warn(
                    f"PSIS-LOO of {name}: {len(summary.failed)} of the {m} refits without "
                    f"one row failed their sampler diagnostics ({summary.failed[0]}); their "
                    "exact LOO terms are used but carry more Monte Carlo error.",
                    SamplingWarning,
                    stacklevel=2,
                )
        else:
            states[name] = f"unreliable: {m} Pareto k > {pareto_k_threshold}"
            fix = (
                f"pass reloo={m} to repair them by {m} exact refits"
                if cap
                else f"pass reloo=True (or reloo={m}) to repair them by exact refits"
            )
            warnings.warn(
                f"PSIS-LOO of {name}: {m} observation(s) with Pareto k > "
                f"{pareto_k_threshold} ({rows}), more than reloo={cap} refits allow; their "
                f"LOO terms are unreliable (usually optimistic). Check these points "
                f"(outliers?) or {fix}.",
                SamplingWarning,
                stacklevel=2,
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = az.compare(loo, method=method, round_to="none")
    table = pd.DataFrame(table)
    # arviz 1.x: elpd_diff = elpd(model) - elpd(best) <= 0; z_diff counts how many
    # standard errors of the paired difference the model is behind the best
    behind = -table["elpd_diff"].to_numpy()
    dse = table["dse"].to_numpy()
    table["z_diff"] = np.divide(behind, dse, out=np.zeros_like(behind), where=dse > 0)
    table["n_high_pareto_k"] = [len(high[name]) for name in table.index]
    table["n_refits"] = [len(repaired[name]) for name in table.index]
    table["loo_state"] = [states[name] for name in table.index]
    table["loo_ok"] = [len(repaired[name]) == len(high[name]) for name in table.index]
    problems = {name: _problems(models[name]) for name in table.index}
    table["diagnostics_ok"] = [not problems[name] for name in table.index]
    table["diagnostics"] = [
        ("; ".join(problems[name]) or "ok") + _run_note(models[name]) for name in table.index
    ]
    table.insert(0, "n_components", [int(models[n].n_components) for n in table.index])
    table.insert(1, "covariance_type", [str(models[n].covariance_type) for n in table.index])
    table.index.name = "model"
    return LOOComparison(
        table=table,
        loo=loo,
        models=models,
        high_pareto_k=high,
        pareto_k_threshold=pareto_k_threshold,
        skipped=skipped,
        repaired=repaired,
    )


def _run_note(model: Any) -> str:
    """`` (4 x 2000 draws, chains doubled once)`` when the chains were continued, else ""."""
    d = getattr(model, "diagnostics_", None)
    if d is None or not d.doublings:
        return ""
    times = {1: "once", 2: "twice"}.get(d.doublings, f"{d.doublings} times")
    return f" ({d.n_chains} x {d.n_draws} draws, chains doubled {times})"


def _problems(model: Any) -> list[str]:
    """Why a fitted model failed its sampler diagnostics (empty if it passed)."""
    diagnostics = getattr(model, "diagnostics_", None)
    return list(diagnostics.problems) if diagnostics is not None else []
