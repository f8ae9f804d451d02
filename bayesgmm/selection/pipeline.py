"""One analysis pipeline, from the EM grid to the chosen model's posterior.

The steps: EM grid (extended while a criterion's best has the largest K tried) ->
bootstrap LRT -> Bayesian fits and PSIS-LOO (extended likewise) -> posterior
predictive checks -> overfitted mixture (off by default) -> posterior over K ->
evidence -> the chosen model's posterior.
Every workflow of the package runs through :func:`run_pipeline`:
:func:`bayesgmm.collect_evidence`, the demo (:func:`bayesgmm.reporting.demo.run_demo`), the
``bayesgmm fit`` command and the reference analyses
(:func:`bayesgmm.reporting.analysis.run_analysis`). Fitted objects move forward and are never
fitted again: the grid's EM fits are the bootstrap tests' fits on the data and the
Bayesian fits' starts; the posterior of the recommended model is one of the LOO fits
when it was compared, else it starts from the grid's EM fit. One progress reporter
(:class:`Progress`) shows every step and can be silenced.
"""

from __future__ import annotations

import contextlib
import functools
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import numpy as np
from numpy.typing import ArrayLike

from bayesgmm.bayes.spec import BAYESIAN_COVARIANCE_TYPES
from bayesgmm.core.types import MissingOption
from bayesgmm.core.validation import check_settings, validate_data
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.em.map_prior import check_prior
from bayesgmm.exceptions import RangeEdgeWarning
from bayesgmm.selection.evidence import EvidenceTable
from bayesgmm.selection.k_range import check_extension, check_grid
from bayesgmm.selection.model_selection import (
    GRID_OPTIONS,
    ModelSelection,
    candidate_name,
    select_model,
)
from bayesgmm.selection.noise_grid import choose_noise, gaussian_rows, is_auto
from bayesgmm.selection.progress import Progress
from bayesgmm.selection.range_extension import RangeExtension, extend_grid, extend_loo
from bayesgmm.selection.recommendation import RULES

__all__ = ["PipelineResult", "Progress", "chosen_estimator", "collect_evidence", "run_pipeline"]

#: the posterior over K runs by default only below this rows x features x (features + 1)
#: (10,000 rows x 5 features: 300,000, about 30 s). Larger data run when asked
#: (k_posterior={...}): 100,000 x 5 takes about 3 minutes, too long for a default step
K_POSTERIOR_MAX_WORK = 500_000
#: the bootstrap LRTs run by default only up to this many rows refitted per test
#: (rows x replicates: 10,000 rows x 99 replicates, whose tests took 3.2 minutes on 2
#: cores in benchmarks/analysis_scale.py). Each replicate fits K and K + 1 components
#: with restarts on all rows: at 100,000 rows one test took 2.6 minutes, the tests of
#: three structures half an hour
LRT_MAX_WORK = 1_000_000
#: the Bayesian fits compared by PSIS-LOO run by default only up to this many row
#: evaluations per fit (rows x chains x (draws + tune): 12,500 rows x 4 chains x 2,000;
#: three fits of 10,000 rows took 3.1 minutes on 2 cores); at 100,000 rows one fit of
#: 4 chains takes about 3 minutes, so three (and their checks) take over ten
BAYES_MAX_WORK = 100_000_000

#: what the pipeline hands to ``on_result`` after a step: the step's name and result
ResultHook = Callable[[str, Any], None]


@dataclass
class PipelineResult:
    """Everything :func:`run_pipeline` computed, each fitted object once.

    Attributes
    ----------
    selection : ModelSelection
        The EM grid (its estimators are the fits every later step started from).
    lrt : list of SequentialLRTResult
        One sequential bootstrap test per covariance type tested (empty if none).
    comparison : LOOComparison or None
        The Bayesian fits of the candidates compared by PSIS-LOO.
    checks : dict of str to PPCResult
        Posterior predictive checks of the compared fits, by candidate name.
    sparse : SparseMixtureResult or None
        The overfitted mixture's posterior over the number of occupied components.
    k_posterior : KPosterior or None
        The posterior over the number of components and clusters
        (:func:`bayesgmm.posterior_over_k`).
    evidence : EvidenceTable or None
        Every result in one table with a recommendation (``None`` when the grid ranks
        by a criterion other than BIC and nothing else ran).
    chosen : dict
        ``name``, ``n_components``, ``covariance_type`` of the model reported.
    em : GaussianMixture
        The chosen model's EM fit (from the grid, unless it was handed in).
    posterior : BayesianGaussianMixture or None
        The chosen model's posterior, when asked for or compared by LOO.
    posteriors : dict of str to BayesianGaussianMixture
        Every Bayesian fit made, by candidate name.
    elapsed : dict of str to float
        Seconds per step.
    skipped : dict of str to str
        Steps not run, with the reason (also said in the progress).
    extension : RangeExtension or None
        How the range of K was extended, and where it stopped.
    """

    selection: ModelSelection
    lrt: list[Any] = field(default_factory=list)
    comparison: Any = None
    checks: dict[str, Any] = field(default_factory=dict)
    sparse: Any = None
    k_posterior: Any = None
    evidence: EvidenceTable | None = None
    chosen: dict[str, Any] = field(default_factory=dict)
    em: GaussianMixture | None = None
    posterior: Any = None
    posteriors: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    elapsed: dict[str, float] = field(default_factory=dict)
    extension: RangeExtension | None = None

    @property
    def model(self) -> Any:
        """The chosen model's posterior when there is one, else its EM fit."""
        return self.posterior if self.posterior is not None else self.em


def chosen_estimator(
    selection: ModelSelection, evidence: EvidenceTable | None = None
) -> GaussianMixture:
    """The EM fit of the chosen model: the evidence's recommendation, else the grid's best.

    The one rule by which a model is chosen from a grid: :func:`run_pipeline` applies
    it (unless handed a model) and :func:`bayesgmm.reporting.html_report.build_report` when
    it is given no model.

    Parameters
    ----------
    selection : ModelSelection
        The EM grid.
    evidence : EvidenceTable, default=None
        Its evidence table; the recommended model is taken when it is in the grid.

    Returns
    -------
    GaussianMixture
        A fitted estimator of ``selection``.

    Examples
    --------
    >>> from bayesgmm import load_faithful, select_model
    >>> selection = select_model(load_faithful(), [1, 2, 3], ["full"], n_init=1)
    >>> chosen_estimator(selection) is selection.best_estimator_
    True
    """
    if evidence is None:
        return selection.best_estimator_
    pick = evidence.recommendation
    key = (pick["n_components"], pick["covariance_type"])
    return selection.estimators.get(key, selection.best_estimator_)


def _lrt_plan(selection: ModelSelection, mode: str, n_candidates: int) -> list[tuple[str, int]]:
    """``(covariance type, largest K)`` of each sequential test.

    ``"candidates"``: every covariance type among the ``n_candidates`` best models,
    up to one K past the largest candidate K; ``"best"``: the best model's type, up
    to two K past its K (so that the sequence can stop). Never past the grid.
    """
    k_grid = int(selection.table.n_components.max())
    if mode == "best":
        best = selection.best_params_
        return [(best["covariance_type"], min(k_grid, best["n_components"] + 2))]
    top = selection.candidates(n_candidates)
    k_max = min(k_grid, int(top.n_components.max()) + 1)
    return [(cov, k_max) for cov in dict.fromkeys(top.covariance_type)]


def run_pipeline(
    X: ArrayLike,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] | str = COVARIANCE_TYPES,
    *,
    criterion: str = "bic",
    n_init: int = 10,
    grid_options: Mapping[str, Any] | None = None,
    lrt: Literal["candidates", "best", False] = "candidates",
    n_boot: int = 99,
    lrt_n_init: int = 5,
    loo: bool = True,
    n_candidates: int = 3,
    ppc: bool | None = None,
    sparse: bool = False,
    max_components: int = 10,
    k_posterior: bool | Mapping[str, Any] = True,
    extend: bool = True,
    k_cap: int | None = None,
    rule: str = "k_posterior",
    posterior: bool = False,
    chosen: GaussianMixture | Callable[[ModelSelection], GaussianMixture] | None = None,
    bayes_options: Mapping[str, Any] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_state: int | None = 0,
    missing: MissingOption = "error",
    noise: bool | str | ArrayLike = False,
    progress: Progress | bool | TextIO = True,
    on_result: ResultHook | None = None,
) -> PipelineResult:
    """Run the steps of a model-choice analysis once each, passing fitted objects forward.

    1. EM grid (:func:`bayesgmm.select_model`). While the best model by BIC or ICL
       has the largest K tried for its structure (``extend``), the range is doubled
       (K_max -> 2 K_max, up to ``k_cap``) and only the new cells are fitted.
    2. Sequential bootstrap likelihood-ratio tests (``lrt``), from the grid's fits.
    3. Bayesian fits of the ``n_candidates`` best models, started from the grid's EM
       fits, compared by PSIS-LOO (``loo``; skipped for fewer than 2 candidates).
       While the LOO-best usable fit has the largest K compared (``extend``), the
       next K of its structure joins the comparison (from its EM fit).
    4. Posterior predictive checks of those fits (``ppc``; not with missing cells).
    5. An overfitted mixture of ``max_components`` (``sparse``; off by default: it
       rarely passes its diagnostics on hard data and costs minutes).
    6. The posterior over the number of components (``k_posterior``; not with
       missing cells). When its most probable number of clusters is beyond the
       grid, the grid is extended to it (``extend``, within ``k_cap``).
    7. The evidence table and its recommendation (BIC grids; ``rule``), "at least
       K" where the extension stopped at an edge.
    8. The chosen model: ``chosen`` if given, else the recommendation (else the
       grid's best); with ``posterior``, its posterior (a LOO fit when it was
       compared, else started from its EM fit).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (NaN cells with ``missing="marginalize"``).
    n_components, covariance_types, criterion, n_init
        The EM grid (see :func:`bayesgmm.select_model`).
    grid_options : mapping, default=None
        Other :func:`~bayesgmm.select_model` settings (``max_iter``, ``tol``, ...).
    lrt : {"candidates", "best", False}, default="candidates"
        Which sequential tests to run (see Notes). Skipped (and said so) when rows x
        ``n_boot`` exceeds :data:`LRT_MAX_WORK` (10,000 rows at 99 replicates).
    n_boot, lrt_n_init : int, default=99, 5
        Bootstrap replicates per test and EM restarts per replicate fit.
    loo, n_candidates, sparse, max_components
        Which further evidence to compute, and for how many candidates (``sparse``:
        the overfitted mixture, :func:`bayesgmm.bayes.overfitted.fit_sparse_mixture`).
        The Bayesian fits are skipped (and said so) when rows x chains x (draws +
        tune) exceeds :data:`BAYES_MAX_WORK` (12,500 rows at 4 x 2,000 iterations).
    ppc : bool or None, default=None
        Posterior predictive checks of the LOO fits (``None``: when ``loo``; ``True``
        with ``loo=False`` is an error, there would be no fits to check).
    k_posterior : bool or mapping, default=True
        Sample the posterior over K (:func:`bayesgmm.posterior_over_k`); a mapping
        is passed to it as settings (``priors``, ``k_max``, ``draws``, ...). Its
        components take the covariance structure of the grid's best model (full,
        diag or spherical; mclust's VVV, VVI, VII; full for any other) unless the
        settings name a ``covariance_type``. With ``True`` it is skipped (and said
        so) when rows x features x (features + 1) exceeds
        :data:`K_POSTERIOR_MAX_WORK` (10,000 rows x 5 features run, in under a
        minute; 100,000 x 5 only when asked, see the constant).
    extend : bool, default=True
        Extend the range of K while a voting source's best model has the largest K
        it tried (see the steps); ``False``: warn instead
        (:class:`~bayesgmm.exceptions.RangeEdgeWarning`), and the recommendation
        reads "at least K" when it rests on that edge.
    k_cap : int or None, default=None
        The largest K the extension may reach; ``None``:
        :func:`bayesgmm.selection.k_range.automatic_k_cap` (the simplest structure of the grid
        keeps 5 rows per free parameter; at most half the rows). Must be at least the
        largest K asked for, and needs ``extend=True``.
    rule : {"k_posterior", "loo"}, default="k_posterior"
        The evidence table's recommendation rule (:mod:`bayesgmm.selection.recommendation`).
    posterior : bool, default=False
        Fit the chosen model's posterior if no step did.
    chosen : GaussianMixture or callable, default=None
        A fitted EM model to report instead of the recommendation, or a function of
        the grid that returns one (e.g. the grid's fit of a given model, refined).
    bayes_options : mapping, default=None
        Other :class:`~bayesgmm.BayesianGaussianMixture` settings of every Bayesian fit
        (``priors``, ``target_accept``, ``progressbar``, ...).
    draws, tune, chains : int, default=1000, 1000, 4
        Sampler settings.
    random_state : int, default=0
        Seed of every step.
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean (every step fits the observed cells with ``"marginalize"``).
    noise : bool, "auto" or array-like of bool, default=False
        A uniform noise component in every model (:func:`bayesgmm.select_model`'s
        ``noise``: ``True`` or a start mask). ``"auto"``: fit the grid without and
        with one and keep the better by the criterion (the reasons say which). With
        noise the bootstrap tests and the Bayesian fits (PSIS-LOO, checks) have it
        too; the overfitted mixture is skipped, saying so (no noise term there yet);
        the posterior over K runs on the rows the grid's best model does not label
        noise (a plug-in of its classification, said in the progress).
    progress : Progress, bool or file-like, default=True
        The progress reporter (or what :class:`Progress` takes).
    on_result : callable, default=None
        Called as ``on_result(step, result)`` after each step (``"selection"``,
        ``"lrt"``, ``"loo"``, ``"ppc"``, ``"sparse"``, ``"k_posterior"``, ``"evidence"``,
        ``"posterior"``), e.g. to print results as they come.

    Returns
    -------
    PipelineResult

    Notes
    -----
    ``lrt="candidates"`` tests every covariance type among the candidates, up to one K
    past the largest candidate K; ``"best"`` tests the best model's type up to two K
    past its K.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> result = run_pipeline(
    ...     load_faithful(),
    ...     range(1, 4),
    ...     "tied",
    ...     n_init=2,
    ...     lrt="best",
    ...     n_boot=9,
    ...     loo=False,
    ...     k_posterior=False,
    ...     progress=False,
    ... )
    >>> result.chosen["name"], len(result.lrt), result.posterior is None
    ('K=3 tied', 1, True)
    >>> result.extension.steps[0]["added"]  # BIC was best at K=3, the largest K tried
    [4, 5, 6]
    """
    ks, types = check_grid(n_components, covariance_types)  # "all": mclust's 14
    check_extension(extend, k_cap, ks)
    if rule not in RULES:
        raise ValueError(f"rule must be one of {list(RULES)}; got {rule!r}.")
    if ppc and not loo:
        raise ValueError(
            "ppc=True needs loo=True: the posterior predictive checks are of the Bayesian "
            "fits that PSIS-LOO compares. Pass loo=True, or leave ppc=None."
        )
    ppc = loo if ppc is None else ppc
    _check_options(grid_options, bayes_options, k_posterior)
    reporter = progress if isinstance(progress, Progress) else Progress(progress)
    detail = reporter.detail or False
    hook = on_result or (lambda step, value: None)
    # checked once here; every step takes the validated data as it is
    data = validate_data(X, min_samples=2, allow_nan=missing == "marginalize")
    array = data.array
    incomplete = data.has_nan
    bayes_settings = {"draws": draws, "tune": tune, "chains": chains, **(bayes_options or {})}
    timer: dict[str, float] = {}

    skipped: dict[str, str] = {}

    def skip(name: str, reason: str) -> None:  # a step not run: said, and kept
        skipped[name] = reason
        reporter.say(f"{name} skipped: {reason}")

    @contextlib.contextmanager
    def step(key: str, message: str) -> Iterator[None]:
        start = time.perf_counter()
        with reporter.step(message):
            yield
        timer[key] = time.perf_counter() - start

    grid_text = f"K = {_k_text(ks)} x {', '.join(types)}"
    noise_text = ", without and with noise" if is_auto(noise) else ""
    noise_note = None
    with (
        step(
            "grid",
            f"EM grid: {grid_text} ({len(ks) * len(types)} models, {n_init} restarts "
            f"each{noise_text})",
        ),
        warnings.catch_warnings(),
    ):
        if extend:  # the extension below handles the edge and says so
            warnings.simplefilter("ignore", RangeEdgeWarning)
        grid = functools.partial(
            select_model, data, ks, types, criterion=criterion, n_init=n_init,
            random_state=random_state, progress=detail, missing=missing, **(grid_options or {}),
        )  # fmt: skip
        if is_auto(noise):
            selection, noise_note = choose_noise(grid(), grid(noise=True), criterion)
            reporter.say(f"    {noise_note}")
        else:
            selection = grid(noise=noise)
    noisy = selection.noise_only is not None
    n_samples, n_features = array.shape
    extension = RangeExtension.for_data(
        extend, k_cap, n_samples, n_features, selection.covariance_types
    )

    def announce(message: str) -> None:  # the extension's steps, said when they happen
        reporter.say(f"==> {message}")

    start = time.perf_counter()
    selection = extend_grid(data, selection, extension, say=announce, progress=detail)
    if extension.steps:
        timer["extend"] = time.perf_counter() - start
        reporter.say(f"    range extended in {timer['extend']:.1f} s")
    hook("selection", selection)
    result = PipelineResult(selection, elapsed=timer, extension=extension, skipped=skipped)

    if lrt and n_samples * n_boot > LRT_MAX_WORK:
        skip(
            "Bootstrap LRT",
            f"{n_boot} replicates x {n_samples:,} rows = {n_samples * n_boot:,} rows refitted "
            f"per test (> {LRT_MAX_WORK:,}: minutes per test); run bayesgmm.sequential_lrt "
            f"on X directly, or pass n_boot <= {LRT_MAX_WORK // n_samples} to run it here",
        )
    elif lrt:
        from bayesgmm.selection.bootstrap_lrt import sequential_lrt

        for cov, k_max in _lrt_plan(selection, lrt, n_candidates):
            if k_max < 2:
                continue
            with step(
                f"lrt {cov}",
                f"Bootstrap LRT, {cov}, K = 1 vs 2 ... up to {k_max} ({n_boot} replicates per "
                "test)",
            ):
                test = sequential_lrt(
                    data,
                    k_max,
                    cov,
                    n_boot=n_boot,
                    n_init=lrt_n_init,
                    random_state=random_state,
                    progress=detail,
                    missing=missing,
                    fits=selection,  # the grid's fits on X are not fitted again
                    noise=noisy,
                    hypervolume=selection.settings.get("hypervolume"),
                )
            result.lrt.append(test)
            hook("lrt", test)

    n_loo = min(n_candidates, len(selection.table))
    if noisy and sparse:
        skip("Overfitted mixture", "it has no noise component yet")
    bayes_work = (
        n_samples * bayes_settings["chains"] * (bayes_settings["draws"] + bayes_settings["tune"])
    )
    if loo and n_loo >= 2 and bayes_work > BAYES_MAX_WORK:
        skip(
            "Bayesian fits and PSIS-LOO",
            f"{n_samples:,} rows x {bayes_settings['chains']} chains x "
            f"{bayes_settings['draws'] + bayes_settings['tune']} iterations = {bayes_work:,} "
            f"row evaluations per fit (> {BAYES_MAX_WORK:,}: minutes per fit); fit "
            "bayesgmm.BayesianGaussianMixture to the models of interest directly, or pass "
            "fewer chains, draws or tune to run them here",
        )
        if ppc:
            skip("Posterior predictive checks", "there are no Bayesian fits to check")
    elif loo and n_loo >= 2:
        from bayesgmm.selection.loo_comparison import compare_loo

        with step(
            "loo",
            f"Bayesian fits of the best {n_loo} models by BIC ({chains} chains x {draws} "
            "draws) and PSIS-LOO",
        ):
            result.comparison = compare_loo(
                data,
                selection,
                n_candidates=n_loo,
                random_state=random_state,
                progress=detail,
                missing=missing,
                **bayes_settings,
            )
        if extend:
            start = time.perf_counter()
            selection, result.comparison = extend_loo(
                data,
                selection,
                result.comparison,
                extension,
                fit_options={"random_state": random_state, "missing": missing, **bayes_settings},
                say=announce,
                progress=detail,
            )
            timer["extend loo"] = time.perf_counter() - start
            result.selection = selection
        result.posteriors.update(result.comparison.models)
        hook("loo", result.comparison)
        if ppc and incomplete:
            skip("Posterior predictive checks", "X has missing cells")
        elif ppc:
            from bayesgmm.bayes.ppc import posterior_predictive_check

            with step("ppc", "Posterior predictive checks"):
                for name, model in result.comparison.models.items():
                    result.checks[name] = posterior_predictive_check(
                        model, data, random_state=random_state
                    )
            hook("ppc", result.checks)

    if sparse and not noisy:
        from bayesgmm.bayes.overfitted import fit_sparse_mixture

        table = selection.table
        bayesian = table[table.covariance_type.isin(BAYESIAN_COVARIANCE_TYPES)]
        best_type = bayesian.covariance_type.iloc[0] if len(bayesian) else "full"
        with step("sparse", f"Overfitted mixture, {max_components} components, {best_type}"):
            result.sparse = fit_sparse_mixture(
                data,
                max_components,
                covariance_type=best_type,
                draws=draws,
                tune=tune,
                chains=chains,
                random_state=random_state,
                progress=detail,
                missing=missing,
            )
        hook("sparse", result.sparse)

    run_k = k_posterior is True or isinstance(k_posterior, Mapping)  # {}: the defaults
    k_data = data
    if noisy and run_k and not incomplete:  # the rows the best model does not call noise
        k_data = data.take(gaussian_rows(selection, data))
        reporter.say(
            f"Posterior over K on the {k_data.n_samples} of {data.n_samples} rows that "
            f"{selection.best_params_['n_components']} components + noise do not label noise."
        )
    n_rows, n_features = k_data.array.shape
    work = n_rows * n_features * (n_features + 1)
    if run_k and incomplete:
        skip("Posterior over K", "X has missing cells")
    elif k_posterior is True and work > K_POSTERIOR_MAX_WORK:
        skip(
            "Posterior over K",
            f"{n_rows} rows x {n_features} features would take many minutes (rows x "
            f"features x (features + 1) = {work:,} > {K_POSTERIOR_MAX_WORK:,}); run "
            "bayesgmm.posterior_over_k on X directly, or pass k_posterior={...} settings "
            "to run it here",
        )
    elif run_k:
        from bayesgmm.mfm import default_length, nearest_structure, posterior_over_k

        options = dict(k_posterior) if isinstance(k_posterior, Mapping) else {}
        # the structure of the grid's best model, unless the settings name one
        options.setdefault(
            "covariance_type", nearest_structure(selection.best_params_["covariance_type"])
        )
        k_tune, k_thin = default_length(n_rows)
        sweeps = f"{options.get('tune', k_tune)} + {options.get('draws', 2000)} x " + (
            f"{options.get('thin', k_thin)} sweeps per chain"
        )
        with step(
            "k_posterior",
            "Posterior over the number of components (telescoping sampler with split-merge "
            f"moves and jumps, {options['covariance_type']} covariances, {sweeps})",
        ):
            result.k_posterior = posterior_over_k(
                k_data, **{"random_state": random_state, "progress": detail, **options}
            )
        hook("k_posterior", result.k_posterior)

    k_result = result.k_posterior
    target = int(k_result.mode_clusters) if k_result is not None and k_result.ok else 0
    if extend and int(selection.table.n_components.max()) < target < k_result.k_max:
        selection = extend_grid(
            data,
            selection,
            extension,
            criteria=(),
            target=target,
            because=f"the posterior over K's most probable K+ = {target} is beyond the grid",
            say=announce,
            progress=detail,
        )
        result.selection = selection

    if criterion == "bic" or result.lrt or result.comparison is not None:
        result.evidence = EvidenceTable.from_results(
            selection,
            lrt=result.lrt or None,
            loo=result.comparison,
            ppc=result.checks or None,
            sparse=result.sparse,
            k_posterior=result.k_posterior,
            n_candidates=n_candidates,
            extension=extension,
            rule=rule,
        )
        if noise_note is not None:
            result.evidence.reasons.insert(0, noise_note)
        result.evidence.skipped = dict(skipped)
        hook("evidence", result.evidence)

    if callable(chosen) and not isinstance(chosen, GaussianMixture):
        chosen = chosen(selection)
    result.em = chosen if chosen is not None else chosen_estimator(selection, result.evidence)
    key = (result.em.n_components, get_covariance_model(result.em.covariance_type).name)
    name = candidate_name(*key)
    result.chosen = {"name": name, "n_components": key[0], "covariance_type": key[1]}
    if name in result.posteriors and chosen is None:
        result.posterior = result.posteriors[name]
    elif posterior and key[1] not in BAYESIAN_COVARIANCE_TYPES:
        reporter.say(f"No Bayesian model for {name}: the EM fit is reported.")
    elif posterior:
        from bayesgmm.bayes.estimator import BayesianGaussianMixture

        with step(
            "posterior",
            f"Bayesian fit of {name} ({bayes_settings['chains']} chains x "
            f"{bayes_settings['draws']} draws), from its EM fit",
        ):
            options = {"random_state": random_state, "missing": missing, **bayes_settings}
            result.posterior = BayesianGaussianMixture.from_em(result.em, **options).fit(data)
        result.posteriors[name] = result.posterior
    if result.posterior is not None:
        hook("posterior", result.posterior)
    return result


def _check_options(grid_options: Any, bayes_options: Any, k_posterior: Any) -> None:
    """Every field of the dict-valued parameters, before any step runs."""
    from bayesgmm.bayes.estimator import SETTINGS_CONSTRAINTS as BAYES_SETTINGS
    from bayesgmm.mfm.k_posterior import SETTINGS_CONSTRAINTS as K_SETTINGS

    if grid_options is not None:
        options = check_settings(
            "grid_options", grid_options, GRID_OPTIONS, kind="select_model settings"
        )
        check_prior(options.get("prior"))
    if bayes_options is not None:
        check_settings(
            "bayes_options", bayes_options, BAYES_SETTINGS, kind="BayesianGaussianMixture settings"
        )
    if isinstance(k_posterior, Mapping):
        check_settings("k_posterior", k_posterior, K_SETTINGS, kind="posterior_over_k settings")
    elif not (k_posterior is None or isinstance(k_posterior, bool | np.bool_)):
        raise TypeError(
            "k_posterior must be True, False or a dict of posterior_over_k settings (keys "
            f"among {list(K_SETTINGS)}); got {type(k_posterior).__name__} {k_posterior!r}."
        )


def _k_text(ks: list[int]) -> str:
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]}..{ks[-1]}"
    return ", ".join(map(str, ks))


def collect_evidence(
    X: ArrayLike,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] | str = COVARIANCE_TYPES,
    *,
    n_candidates: int = 3,
    n_init: int = 10,
    lrt: bool = True,
    n_boot: int = 99,
    loo: bool = True,
    ppc: bool | None = None,
    sparse: bool = False,
    max_components: int = 10,
    k_posterior: bool | Mapping[str, Any] = True,
    extend: bool = True,
    k_cap: int | None = None,
    rule: str = "k_posterior",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_state: int | None = 0,
    progress: bool | TextIO = True,
    missing: MissingOption = "error",
    noise: bool | str | ArrayLike = False,
) -> EvidenceTable:
    """Run every model-choice method on ``X`` and gather them in an EvidenceTable.

    Fits the EM grid, then for the ``n_candidates`` best BIC models: bootstrap LRTs
    (sequentially from K = 1, per covariance type among the candidates), Bayesian
    fits compared by PSIS-LOO, posterior predictive checks of each fit, and the
    posterior over the number of components under a prior on K (:func:`run_pipeline`,
    which keeps every fitted object). While BIC, ICL or PSIS-LOO is best at the
    largest K tried, the range is doubled (only new models are fitted) up to a cap;
    where the cap stops it the recommendation reads "at least K". The overfitted
    mixture (``sparse``) is no longer run by default: on hard data it seldom passed
    its diagnostics and cost minutes. The Bayesian steps take
    seconds per model (the sampler's code is compiled once per machine, whatever K,
    D, N or covariance type).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    n_components, covariance_types
        The EM grid (see :func:`bayesgmm.select_model`).
    n_candidates : int, default=3
        Best BIC models examined further.
    n_init : int, default=10
        EM restarts per grid model.
    lrt, loo : bool, default=True
        Bootstrap likelihood-ratio tests; Bayesian fits compared by PSIS-LOO. On large
        data each is skipped, saying why and how to run it (the limits
        :data:`~bayesgmm.selection.pipeline.LRT_MAX_WORK` and
        :data:`~bayesgmm.selection.pipeline.BAYES_MAX_WORK`: 10,000 and 12,500 rows at
        the defaults, so that every step together stays under 10 minutes on 2
        cores); :attr:`EvidenceTable.skipped` lists the steps not run.
    ppc : bool or None, default=None
        Posterior predictive checks of the LOO fits (``None``: when ``loo``;
        ``True`` with ``loo=False`` is an error).
    sparse : bool, default=False
        Also fit an overfitted mixture (:func:`bayesgmm.bayes.overfitted.fit_sparse_mixture`);
        its posterior over occupied components is reported, never votes.
    n_boot : int, default=99
        Bootstrap replicates per likelihood-ratio test.
    max_components : int, default=10
        Components of the overfitted mixture.
    k_posterior : bool or mapping, default=True
        Sample the posterior over K (:func:`bayesgmm.posterior_over_k`; a mapping
        holds its settings, e.g. ``{"priors": "telescope", "k_max": 20}``).
    extend : bool, default=True
        Extend the range of K while a voting source is best at its largest K.
    k_cap : int or None, default=None
        The largest K of the extension (``None``: automatic, see
        :func:`bayesgmm.selection.k_range.automatic_k_cap`).
    rule : {"k_posterior", "loo"}, default="k_posterior"
        The recommendation rule (:mod:`bayesgmm.selection.recommendation`).
    draws, tune, chains : int, default=1000, 1000, 4
        Sampler settings of the Bayesian fits (not of the posterior over K).
    random_state : int, default=0
        Seed of every step.
    progress : bool or file-like, default=True
        Report each step (stderr when ``True``).
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"marginalize"``: every step fits the observed cells
        (missing at random): the grid, the bootstrap tests (whose samples copy the
        data's missingness), the Bayesian fits, their PSIS-LOO (observed-data
        log-likelihood of each row) and the overfitted mixture. Posterior predictive
        checks compare complete replicated data sets with the data, so they are
        skipped when ``X`` has missing cells (the progress says so).
    noise : bool, "auto" or array-like of bool, default=False
        A uniform noise component in every model (see :func:`run_pipeline`).

    Returns
    -------
    EvidenceTable

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> evidence = collect_evidence(load_faithful(), range(1, 5))  # doctest: +SKIP
    >>> evidence.recommendation["label"], evidence.recommendation["source"]  # doctest: +SKIP
    ('K=3 tied', 'posterior over K, PSIS-LOO')
    """
    result = run_pipeline(
        X,
        n_components,
        covariance_types,
        n_init=n_init,
        lrt="candidates" if lrt else False,
        n_boot=n_boot,
        loo=loo,
        n_candidates=n_candidates,
        ppc=ppc,
        sparse=sparse,
        max_components=max_components,
        k_posterior=k_posterior,
        extend=extend,
        k_cap=k_cap,
        rule=rule,
        draws=draws,
        tune=tune,
        chains=chains,
        random_state=random_state,
        missing=missing,
        noise=noise,
        progress=progress,
    )
    assert result.evidence is not None  # a BIC grid always has one
    return result.evidence
