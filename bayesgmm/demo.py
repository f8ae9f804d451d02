"""The demo: the full analysis of Old Faithful, from the EM grid to an HTML report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayesgmm._console import (
    Progress,
    fit_bayes,
    prepare_output,
    print_parameters,
    print_selection,
)
from bayesgmm.covariance import COVARIANCE_TYPES
from bayesgmm.datasets import load_faithful
from bayesgmm.evidence import EvidenceTable
from bayesgmm.selection import ModelSelection, select_model

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
    model: Any
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
    out: str | Path | None = None,
) -> DemoResult:
    """The full analysis of Old Faithful, from the EM grid to an HTML report.

    1. EM for K = 1..``max_components`` x the four covariance types; prints the BIC
       table and the parameters of the best model (BIC picks K=3 tied, mclust EEE).
    2. Sequential bootstrap likelihood-ratio tests for the best covariance type.
    3. Bayesian fits of the best three models by BIC (4 chains x 1000 draws),
       compared by PSIS-LOO (quick mode: only the best model, 2 x 100 draws, no LOO).
    4. The evidence table (:class:`bayesgmm.EvidenceTable`) and its recommendation.
    5. The report (:func:`bayesgmm.reporting.build_report`) of the recommended model's
       posterior, written to ``out/report.html``.

    The full run takes about half a minute on a 2-core machine once the Bayesian
    kernels are compiled (``make`` compiles them after installing).

    Parameters
    ----------
    max_components : int, default=6
        Largest number of components tried.
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
    >>> len(result.table), result.report_path is None
    (8, True)
    """
    start = time.perf_counter()
    settings = _DEMO_SETTINGS["quick" if quick else "full"]
    progress = Progress(quiet, verbose)
    if out is not None:
        prepare_output(Path(out))
    data = load_faithful()
    print(f"Old Faithful: {len(data)} eruptions, features {list(data.columns)}")
    with progress.step(
        f"EM grid: K = 1..{max_components} x {', '.join(COVARIANCE_TYPES)} ({n_init} restarts each)"
    ):
        selection = select_model(
            data,
            range(1, max_components + 1),
            COVARIANCE_TYPES,
            n_init=n_init,
            random_state=0,
            progress=progress.detail or False,
        )
    print_selection(selection)
    best = selection.best_params_
    gm = selection.best_estimator_
    print_parameters(gm, data.columns)
    lrt = None
    # test one K past the best so that the sequence can stop
    k_max = min(max_components, best["n_components"] + 2)
    if k_max >= 2:
        from bayesgmm.bootstrap import sequential_lrt

        with progress.step(
            f"Bootstrap LRT, {best['covariance_type']}, K = 1 vs 2 ... up to {k_max} "
            f"({settings['n_boot']} replicates per test)"
        ):
            lrt = sequential_lrt(
                data,
                k_max,
                best["covariance_type"],
                n_boot=settings["n_boot"],
                n_init=min(n_init, 5),
                random_state=0,
                progress=progress.detail or False,
                fits=selection,  # the grid's fits on the data are not fitted again
            )
        print(f"\nBootstrap LRT ({best['covariance_type']}):")
        print(lrt.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    comparison = None
    posterior: dict[str, Any] = {}
    n_loo = min(settings["n_loo"], len(selection.table))
    if bayes and n_loo >= 2:
        from bayesgmm.bayes.compare import compare_loo

        with progress.step(
            f"Bayesian fits of the best {n_loo} models by BIC ({settings['chains']} chains x "
            f"{settings['draws']} draws) and PSIS-LOO"
        ):
            comparison = compare_loo(
                data,
                selection,
                n_candidates=n_loo,
                draws=settings["draws"],
                tune=settings["tune"],
                chains=settings["chains"],
                random_state=0,
                progress=progress.detail or False,
                progressbar=progress.verbose,
            )
        posterior = dict(comparison.models)
        print()
        print(comparison)
    evidence = EvidenceTable.from_results(selection, lrt=lrt, loo=comparison)
    recommended = evidence.recommendation
    print(f"\nEvidence: recommended {recommended['name']}")
    for reason in evidence.reasons:
        print(f"  - {reason}")
    model: Any = selection.estimators.get(
        (recommended["n_components"], recommended["covariance_type"]), gm
    )
    if bayes:
        name = recommended["name"]
        if name not in posterior:
            with progress.step(
                f"Bayesian fit of {name} ({settings['chains']} chains x {settings['draws']} "
                "draws; compiles the model first)"
            ):
                posterior[name] = fit_bayes(
                    data,
                    selection.estimators[
                        (recommended["n_components"], recommended["covariance_type"])
                    ],
                    draws=settings["draws"],
                    tune=settings["tune"],
                    chains=settings["chains"],
                    seed=0,
                    progress=progress,
                )
        model = posterior[name]
        verdict = "pass" if model.diagnostics_ok_ else "FAIL (see the report)"
        print(f"Posterior of {name}: sampling diagnostics {verdict}")
    with progress.step("Report"):
        from bayesgmm.reporting import build_report

        page = build_report(
            data,
            selection=selection,
            model=model,
            evidence=evidence,
            title="Old Faithful: bayesgmm demo",
        )
        path = page.save(Path(out) / "report.html") if out is not None else None
    elapsed = time.perf_counter() - start
    if path is not None:
        print(f"\nReport: {path} (open it in a browser)")
    progress.say(f"Demo finished in {elapsed:.0f} s")
    return DemoResult(selection, evidence, model, page, path, elapsed)
