"""The demo: the full analysis of Old Faithful, from the EM grid to an HTML report."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.covariance import COVARIANCE_TYPES
from bayesgmm.datasets import load_faithful
from bayesgmm.reporting.console import prepare_output, print_parameters, print_selection
from bayesgmm.selection.evidence import EvidenceTable
from bayesgmm.selection.model_selection import ModelSelection, candidate_name
from bayesgmm.selection.pipeline import Progress, run_pipeline

__all__ = ["DemoResult", "run_demo"]


# ---------------------------------------------------------------------- demo
@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    selection : ModelSelection
        The EM grid on Old Faithful.
    evidence : EvidenceTable
        BIC/ICL, bootstrap LRTs and (full mode) PSIS-LOO of the top candidates.
    model : GaussianMixture or BayesianGaussianMixture
        The model shown in the report (the posterior of the recommended model
        unless ``bayes=False``).
    report : Report
        The HTML report.
    report_path : pathlib.Path or None
        Where the report was written (``None`` when ``out`` is ``None``).
    elapsed : float
        Wall-clock seconds.
    """

    selection: ModelSelection
    evidence: EvidenceTable
    model: FittedMixtureLike
    report: Any
    report_path: Path | None
    elapsed: float

    @property
    def table(self) -> pd.DataFrame:
        """The criterion table of the EM grid (:attr:`ModelSelection.table`).

        Returns
        -------
        pandas.DataFrame
        """
        return self.selection.table


#: demo settings: full run, and the quick one of the tests and doctests
_DEMO_SETTINGS = {
    "full": {
        "n_boot": 49,
        "draws": 1000,
        "tune": 1000,
        "chains": 4,
        "n_loo": 3,
    },
    "quick": {
        "n_boot": 9,
        "draws": 100,
        "tune": 100,
        "chains": 2,
        "n_loo": 0,
    },
}


def run_demo(
    max_components: int = 6,
    *,
    n_init: int = 10,
    quiet: bool = False,
    verbose: bool = False,
    bayes: bool = True,
    quick: bool = False,
    extend: bool = True,
    out: str | Path | None = None,
) -> DemoResult:
    """The full analysis of Old Faithful, from the EM grid to an HTML report.

    1. EM for K = 1..``max_components`` x the four covariance types, the range
       doubled while BIC or ICL is best at its largest K (up to the automatic cap,
       17 here); prints the BIC table and the parameters of the best model (BIC picks
       K=3 tied, mclust EEE).
    2. Sequential bootstrap likelihood-ratio tests for the best covariance type.
    3. Bayesian fits of the best three models by BIC (4 chains x 1000 draws),
       compared by PSIS-LOO, with the next K added while the LOO-best fit has the
       largest K compared (quick mode: only the best model, 2 x 100 draws, no LOO).
    4. The posterior over the number of components and clusters
       (:func:`bayesgmm.posterior_over_k`, telescope priors; not in quick mode).
    5. The evidence table (:class:`bayesgmm.EvidenceTable`) and its recommendation
       (the posterior over K chooses K when it passed its checks; "at least K" if
       the range could not be extended past the answer).
    6. The report (:func:`bayesgmm.reporting.html_report.build_report`) of the recommended model's
       posterior, written to ``out/report.html``.

    The full run takes about half a minute on a 2-core machine once the compiled
    kernels are cached (``make`` compiles them after installing).

    Parameters
    ----------
    max_components : int, default=6
        Largest number of components tried first (the range is extended when a
        criterion's best model has this K; the progress says so).
    n_init : int, default=10
        EM restarts per model.
    quiet : bool, default=False
        No progress on stderr (results still print on stdout).
    verbose : bool, default=False
        Also report every EM fit, bootstrap replicate block and sampler progress
        (by default: one line per stage and its time).
    bayes : bool, default=True
        Run the Bayesian steps (``False``: EM, bootstrap LRT and the report only).
    quick : bool, default=False
        Tiny settings (9 bootstrap replicates; one Bayesian fit, 2 x 100 draws).
    extend : bool, default=True
        Extend the range of K at its edge (``False``: the recommendation reads "at
        least K" when it rests on the largest K tried).
    out : str or path-like, default=None
        Folder for ``report.html`` (created); ``None`` writes nothing.

    Returns
    -------
    DemoResult
        ``selection``, ``evidence``, ``model``, ``report``, ``report_path``, ``table``.

    Examples
    --------
    >>> result = run_demo(2, n_init=1, quiet=True, bayes=False, quick=True)  # doctest: +ELLIPSIS
    Old Faithful...
    >>> len(result.table), result.report_path is None  # K = 1..2 extended to 1..4
    (16, True)
    """
    start = time.perf_counter()
    settings = _DEMO_SETTINGS["quick" if quick else "full"]
    progress = Progress(not quiet, verbose=verbose)
    if out is not None:
        prepare_output(Path(out))
    data = load_faithful()
    print(f"Old Faithful: {len(data)} eruptions, features {list(data.columns)}")
    result = run_pipeline(
        data,
        range(1, max_components + 1),
        COVARIANCE_TYPES,
        n_init=n_init,
        lrt="best",
        n_boot=settings["n_boot"],
        lrt_n_init=min(n_init, 5),
        loo=bayes and settings["n_loo"] >= 2,
        n_candidates=3,
        ppc=False,
        sparse=False,
        k_posterior=bayes and not quick,
        extend=extend,
        posterior=bayes,
        draws=settings["draws"],
        tune=settings["tune"],
        chains=settings["chains"],
        bayes_options={"progressbar": progress.verbose},
        random_state=0,
        progress=progress,
        on_result=functools.partial(_print_result, columns=list(data.columns)),
    )
    with progress.step("Report"):
        from bayesgmm.reporting.html_report import build_report

        page = build_report(
            data,
            selection=result.selection,
            model=result.model,
            evidence=result.evidence,
            title="Old Faithful: bayesgmm demo",
        )
        path = page.save(Path(out) / "report.html") if out is not None else None
    elapsed = time.perf_counter() - start
    if path is not None:
        print(f"\nReport: {path} (open it in a browser)")
    progress.say(f"Demo finished in {elapsed:.0f} s")
    assert result.evidence is not None  # a BIC grid
    return DemoResult(result.selection, result.evidence, result.model, page, path, elapsed)


def _print_result(step: str, value: Any, *, columns: list[str]) -> None:
    """Print each step's result as the pipeline hands it over."""
    if step == "selection":
        print_selection(value)
        print_parameters(value.best_estimator_, columns)
    elif step == "lrt":
        print(f"\nBootstrap LRT ({value.tests[0].covariance_type}):")
        print(value.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    elif step in ("loo", "k_posterior"):
        print()
        print(value)
    elif step == "evidence":
        label = value.recommendation.get("label", value.recommendation["name"])
        print(f"\nEvidence: recommended {label}")
        for reason in value.reasons:
            print(f"  - {reason}")
        for step_name, why in value.skipped.items():
            print(f"  - not run: {step_name} ({why})")
    elif step == "posterior":
        verdict = "pass" if value.diagnostics_ok_ else "FAIL (see the report)"
        name = candidate_name(value.n_components, value.covariance_type)
        print(f"Posterior of {name}: sampling diagnostics {verdict}")
