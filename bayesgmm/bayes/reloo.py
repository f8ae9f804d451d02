"""Exact leave-one-out for the observations where PSIS-LOO is unreliable (reloo).

PSIS-LOO (:func:`arviz.loo`) estimates each ``log p(y_i | y_-i)`` by importance
sampling from the full posterior. Where the Pareto shape ``k`` of the importance
weights exceeds 0.7 (typically an outlier, or a point that alone holds up a
component), the estimate is unreliable, and usually optimistic. For these points
:func:`repair_loo` computes the term exactly, as brms's ``reloo`` and
:func:`arviz_stats.reloo` do (here without the stored draws x rows log-likelihood
that ArviZ's needs): the same model is fitted again on the data
without row ``i``, started from the full fit's EM solution (no new EM, same
settings and seed), and

    ``elpd_i = log( (1/S) sum_s p(y_i | theta_s) )``, ``theta_s ~ p(theta | y_-i)``,

the log of the posterior-mean density of ``y_i`` over the refit's ``S`` draws.
``elpd``, its standard error and ``p_loo`` are recomputed from the repaired
pointwise values; the repaired points get Pareto k 0.

Why refitting rather than importance-weighted moment matching (Paananen et al.
2021): moment matching transforms the existing draws and is still importance
sampling, with its own Pareto k that often stays above 0.7 for the points that
matter here (outliers, for which k is frequently above 1); refitting is exact up to
Monte Carlo error and costs one Bayesian fit (about a second once compiled) per
flagged point, so it is capped (``reloo``) rather than approximated.
"""

from __future__ import annotations

import copy
import time
import warnings
from typing import Any, TextIO

import numpy as np
import pandas as pd
from scipy import special

from bayesgmm.bayes.posterior import draws_from_posterior
from bayesgmm.core.validation import ValidatedData
from bayesgmm.exceptions import SamplingWarning

__all__ = ["DEFAULT_RELOO_CAP", "RefitSummary", "reloo_cap", "repair_loo"]

#: refits per model when ``reloo=True``
DEFAULT_RELOO_CAP = 10


def reloo_cap(reloo: bool | int) -> int:
    """The number of refits allowed per model by a ``reloo`` setting.

    Examples
    --------
    >>> reloo_cap(True), reloo_cap(False), reloo_cap(25)
    (10, 0, 25)
    """
    if isinstance(reloo, bool | np.bool_):
        return DEFAULT_RELOO_CAP if reloo else 0
    if isinstance(reloo, int | np.integer) and reloo >= 0:
        return int(reloo)
    raise ValueError(
        "reloo must be True (up to 10 refits per model), False (no refits) or an integer "
        f">= 0 (the most refits per model); got {reloo!r}."
    )


class RefitSummary:
    """What :func:`repair_loo` did for one model.

    Attributes
    ----------
    rows : ndarray of int
        The rows refitted (exact LOO terms).
    failed : list of str
        One entry per refit whose sampler diagnostics failed (its term is used; its
        Monte Carlo error is larger than the checks allow).
    seconds : float
        Time spent refitting.
    """

    def __init__(self) -> None:
        self.rows = np.empty(0, dtype=np.intp)
        self.failed: list[str] = []
        self.seconds = 0.0


def _without_row(data: Any, row: int) -> tuple[Any, np.ndarray]:
    """The data without ``row``, and that row's values (a (1, D) array)."""
    keep = np.ones(len(data), dtype=bool)
    keep[row] = False
    if isinstance(data, ValidatedData):
        return data.take(keep), data.array[[row]]
    if isinstance(data, pd.DataFrame):
        return data.iloc[keep], data.iloc[[row]].to_numpy(float)
    return data[keep], np.asarray(data, dtype=np.float64)[[row]]


def _exact_term(model: Any, data: Any, row: int, summary: RefitSummary) -> float:
    """``log p(y_row | y_-row)``: the model refitted without the row, from its EM start."""
    rest, values = _without_row(data, row)
    params = model.get_params()
    params.update(start=model.em_, progressbar=False)
    refit = type(model)(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        refit.fit(rest)
    if not refit.diagnostics_ok_:
        summary.failed.append("; ".join(refit.diagnostics_.problems))
    post = refit.idata_["posterior"].to_dataset()
    log_lik = draws_from_posterior(post, model.covariance_type).log_likelihood(values)[:, 0]
    return float(special.logsumexp(log_lik) - np.log(log_lik.size))


def repair_loo(
    model: Any,
    data: Any,
    loo: Any,
    rows: np.ndarray,
    *,
    threshold: float,
    name: str,
    stream: TextIO | None = None,
) -> tuple[Any, RefitSummary]:
    """Replace the PSIS-LOO terms of ``rows`` by exact leave-one-out refits.

    Parameters
    ----------
    model : BayesianGaussianMixture
        The fitted model (its settings, seed and EM start are reused).
    data : ndarray or DataFrame
        The data ``model`` was fitted on.
    loo : arviz_stats ELPDDataLOO
        Its pointwise PSIS-LOO with ``p_loo_i`` (``model.loo()``).
    rows : ndarray of int
        The rows to refit (those with Pareto k above ``threshold``).
    threshold : float
        The Pareto k threshold that selected ``rows``.
    name : str
        The model's name in progress lines.
    stream : file-like, default=None
        Where a progress line per refit goes (``None``: nowhere).

    Returns
    -------
    loo : ELPDDataLOO
        The repaired LOO (``elpd``, ``se``, ``p`` and pointwise values recomputed).
    summary : RefitSummary
        The rows refitted, failed refits and the time taken.

    Examples
    --------
    :func:`bayesgmm.selection.loo_comparison.compare_loo` calls it for every model with Pareto
    k above the threshold (``reloo=``); by hand:

    >>> loo = bgm.loo()  # doctest: +SKIP
    >>> rows = np.flatnonzero(np.asarray(loo.pareto_k) > 0.7)  # doctest: +SKIP
    >>> repaired, summary = repair_loo(
    ...     bgm, X, loo, rows, threshold=0.7, name="K=2 full"
    ... )  # doctest: +SKIP
    """
    summary = RefitSummary()
    if not len(rows):
        return loo, summary
    start = time.perf_counter()
    repaired = copy.deepcopy(loo)
    elpd_i = repaired.elpd_i.values
    # lpd_i - elpd_i, kept by the blocked PSIS-LOO (psis_loo)
    p_loo_i = repaired.p_loo_i.values
    pareto_k = repaired.pareto_k.values
    for count, row in enumerate(np.asarray(rows, dtype=np.intp), 1):
        if stream is not None:
            print(
                f"    reloo {name}: refit {count}/{len(rows)} without one row",
                file=stream,
                flush=True,
            )
        lpd = elpd_i[row] + p_loo_i[row]  # log of the full posterior's mean density
        elpd_i[row] = _exact_term(model, data, int(row), summary)
        p_loo_i[row] = lpd - elpd_i[row]
        pareto_k[row] = 0.0
    elpd, se, p_loo, _ = repaired.elpd_i.azstats.loo_summary(repaired.p_loo_i)
    repaired.elpd, repaired.se, repaired.p = float(elpd), float(se), float(p_loo)
    repaired.warning = bool(np.any(pareto_k > repaired.good_k))
    summary.rows = np.asarray(rows, dtype=np.intp)
    summary.seconds = time.perf_counter() - start
    return repaired, summary
