"""Fitting a grid of models: one table row per (K, covariance type), serial or in workers.

:func:`run_grid` is what :func:`bayesgmm.select_model` runs: each cell is a
:class:`~bayesgmm.GaussianMixture` fit whose convergence and collapse warnings become
the row's ``warnings`` and ``degenerate`` columns. With ``n_jobs`` the cells run in
spawned worker processes that iterate exactly as this process would (the compiled EM
loop when it is loaded here), so the results do not depend on ``n_jobs``.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from bayesgmm import exceptions
from bayesgmm.core.validation import ValidatedData, is_int, validate_data
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.engine import COMPILED_MAX_CELLS
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    scikit_learn_compatible,
)

__all__ = ["fit_cell", "run_grid"]

_FIT_WARNINGS = (ConvergenceWarning, ComponentCollapseWarning)


def fit_cell(
    X: ValidatedData | NDArray[np.float64],
    k: int,
    covariance_type: str,
    settings: dict[str, Any],
) -> tuple[dict[str, Any], GaussianMixture, list[warnings.WarningMessage]]:
    """Fit one grid cell; collapse/convergence warnings become a column, others return.

    ``X`` is checked unless it is a :class:`~bayesgmm.core.validation.ValidatedData`
    (what :func:`run_grid` passes): the fit and its criteria take it as it is.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> row, gm, others = fit_cell(load_faithful().to_numpy(), 2, "full", {"random_state": 0})
    >>> row["mclust_name"], round(row["log_likelihood"], 2), others
    ('VVV', -1130.26, [])
    """
    model = get_covariance_model(covariance_type)
    data = validate_data(X, min_samples=2, allow_nan=settings.get("missing") == "marginalize")
    gm = GaussianMixture(k, covariance_type=model.name, **settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm.fit(data)
    messages = [str(w.message) for w in caught if issubclass(w.category, _FIT_WARNINGS)]
    others = [w for w in caught if not issubclass(w.category, _FIT_WARNINGS)]
    values = gm.criteria(data)  # one pass over X for the four numbers
    row = {
        "n_components": k,
        "covariance_type": model.name,
        "mclust_name": model.mclust_label(data.n_features),
        "n_parameters": int(values["n_parameters"]),
        "log_likelihood": values["log_likelihood"],
        "bic": values["bic"],
        "aic": values["aic"],
        "icl": values["icl"],
        "converged": bool(gm.converged_),
        "degenerate": any(issubclass(w.category, ComponentCollapseWarning) for w in caught),
        "warnings": "; ".join(messages),
    }
    return row, gm, others


def _fit_cell_quiet_blas(X, k, covariance_type, settings, compiled):
    # worker processes: one BLAS thread each, or n_jobs workers oversubscribe the cores
    from threadpoolctl import threadpool_limits

    if compiled:
        importlib.import_module("bayesgmm.em.compiled_loop")

    with threadpool_limits(limits=1):
        row, gm, others = fit_cell(X, k, covariance_type, settings)
    # WarningMessage objects do not pickle; send back what re-issuing needs (with
    # bayesgmm's own class: the scikit-learn-compatible one is made per process)
    return row, gm, [(str(w.message), _own_class(w.category), w.filename, w.lineno) for w in others]


def _own_class(category: type[Warning]) -> type[Warning]:
    if category.__module__ == "bayesgmm.exceptions":
        return getattr(exceptions, category.__name__, category)
    return category


def _n_workers(n_jobs: int | None, n_tasks: int) -> int:
    if n_jobs is None or n_jobs == 1:
        return 1
    if not is_int(n_jobs) or n_jobs == 0:
        raise ValueError(
            f"n_jobs must be a nonzero integer (-1 for all cores) or None; got {n_jobs!r}."
        )
    cpus = os.cpu_count() or 1
    workers = cpus + 1 + n_jobs if n_jobs < 0 else n_jobs
    return max(1, min(workers, n_tasks))


def _load_compiled_loop(data: ValidatedData, cells: list[tuple[int, str]]) -> None:
    """Load the compiled EM loop once for a grid of fits on small data.

    Single fits use it only once Numba is loaded (``EMEngine.compiled``); a grid's
    fits share the ~0.4 s of loading it.
    """
    smallest = min(k for k, _ in cells)
    if len(cells) > 1 and data.n_samples * smallest <= COMPILED_MAX_CELLS:
        importlib.import_module("bayesgmm.em.compiled_loop")


def run_grid(
    data: ValidatedData,
    cells: list[tuple[int, str]],
    settings: dict[str, Any],
    n_jobs: int | None,
    stream: TextIO | None,
) -> list[tuple[dict[str, Any], GaussianMixture]]:
    """Fit every ``(K, covariance type)`` cell: its table row and its fitted estimator.

    In this process, or with ``n_jobs`` in spawned worker processes (one BLAS thread
    each) with the same results; ``stream`` gets a progress line per cell. ``data``
    was checked by the caller; no cell checks it again.
    """

    def report(i: int, row: dict[str, Any]) -> None:
        if stream is not None:
            print(
                f"  [{i + 1}/{len(cells)}] K={row['n_components']} "
                f"{row['covariance_type']:<9} log-lik {row['log_likelihood']:10.3f}  "
                f"BIC {row['bic']:10.3f}",
                file=stream,
                flush=True,
            )

    results: list[tuple[dict[str, Any], GaussianMixture]] = []
    workers = _n_workers(n_jobs, len(cells))
    _load_compiled_loop(data, cells)
    if workers == 1:
        for i, (k, cov) in enumerate(cells):
            row, gm, others = fit_cell(data, k, cov, settings)
            for w in others:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            report(i, row)
            results.append((row, gm))
        return results
    # "spawn": forking a process that runs BLAS threads can deadlock
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # the workers iterate where this process would (compiled loop or NumPy steps),
        # so that the grid's results do not depend on n_jobs
        compiled = "numba" in sys.modules
        futures = [
            pool.submit(_fit_cell_quiet_blas, data, k, cov, settings, compiled) for k, cov in cells
        ]
        for i, future in enumerate(futures):
            row, gm, others = future.result()
            for message, category, filename, lineno in others:
                category = scikit_learn_compatible(category)
                warnings.warn_explicit(message, category, filename, lineno)
            report(i, row)
            results.append((row, gm))
    return results
