"""Exact leave-one-out for the observations where PSIS-LOO is unreliable (reloo).

PSIS-LOO (:func:`arviz.loo`) estimates each ``log p(y_i | y_-i)`` by importance
sampling from the full posterior. Where the Pareto shape ``k`` of the importance
weights exceeds 0.7 (typically an outlier, or a point that alone holds up a
component), the estimate is unreliable, and usually optimistic. For these points
:func:`repair_loo` computes the term exactly, as brms's ``reloo`` and
:func:`arviz_stats.reloo` (used here) do: the same model is fitted again on the data
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
import xarray as xr

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


def _refit_wrapper(model: Any, data: Any, stream: TextIO | None, name: str, summary: RefitSummary):
    """An :class:`arviz_stats.loo.wrapper.SamplingWrapper` refitting ``model`` without a row."""
    from arviz_stats.loo.wrapper import SamplingWrapper

    n_rows = len(data)

    class _Refit(SamplingWrapper):
        def __init__(self) -> None:
            super().__init__(model, idata_orig=model.idata_)
            self.count = 0
            self.total = 0

        def sel_observations(self, idx):
            keep = np.ones(n_rows, dtype=bool)
            keep[int(idx)] = False
            if isinstance(data, ValidatedData):
                return data.take(keep), (int(idx), data.array[[int(idx)]])
            if isinstance(data, pd.DataFrame):
                return data.iloc[keep], (int(idx), data.iloc[[int(idx)]].to_numpy(float))
            return data[keep], (int(idx), np.asarray(data)[[int(idx)]])

        def sample(self, modified_observed_data):
            self.count += 1
            if stream is not None:
                print(
                    f"    reloo {name}: refit {self.count}/{self.total} without one row",
                    file=stream,
                    flush=True,
                )
            params = model.get_params()
            params.update(start=model.em_, progressbar=False)
            refit = type(model)(**params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SamplingWarning)
                refit.fit(modified_observed_data)
            if not refit.diagnostics_ok_:
                summary.failed.append("; ".join(refit.diagnostics_.problems))
            return refit

        def get_inference_data(self, fitted_model):
            return fitted_model.idata_

        def log_likelihood__i(self, excluded_obs, idata__i):
            row, values = excluded_obs
            post = idata__i["posterior"].to_dataset()
            draws = draws_from_posterior(post, model.covariance_type)
            log_lik = draws.log_likelihood(values)[:, 0]
            return xr.DataArray(
                log_lik.reshape(draws.n_chains, draws.n_draws, 1),
                dims=("chain", "draw", "obs_id"),
                coords={"obs_id": [row]},
            )

    return _Refit()


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
        Its pointwise PSIS-LOO.
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

    >>> import arviz as az
    >>> loo = az.loo(bgm.idata_, pointwise=True)  # doctest: +SKIP
    >>> rows = np.flatnonzero(np.asarray(loo.pareto_k) > 0.7)  # doctest: +SKIP
    >>> repaired, summary = repair_loo(
    ...     bgm, X, loo, rows, threshold=0.7, name="K=2 full"
    ... )  # doctest: +SKIP
    """
    from arviz_stats import reloo

    summary = RefitSummary()
    if not len(rows):
        return loo, summary
    start = time.perf_counter()
    wrapper = _refit_wrapper(model, data, stream, name, summary)
    wrapper.total = len(rows)
    # reloo refits every row with k above its threshold: select exactly ``rows``
    k_hat = loo.pareto_k.copy()
    mask = np.zeros(k_hat.size, dtype=bool)
    mask[np.asarray(rows, dtype=np.intp)] = True
    selected = copy.deepcopy(loo)
    selected.pareto_k = k_hat.copy(data=np.where(mask, np.maximum(k_hat.values, 1.0), 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        repaired = reloo(
            wrapper, loo_orig=selected, k_threshold=min(threshold, 0.99), pointwise=True
        )
    # the same summary as arviz's loo (reloo's se uses ddof=1)
    elpd, se, p_loo, _ = repaired.elpd_i.azstats.loo_summary(repaired.p_loo_i)
    repaired.elpd, repaired.se, repaired.p = float(elpd), float(se), float(p_loo)
    # the unrefitted points keep their own Pareto k
    repaired.pareto_k = k_hat.copy(data=np.where(mask, 0.0, k_hat.values))
    repaired.warning = bool(np.any(repaired.pareto_k.values > repaired.good_k))
    summary.rows = np.asarray(rows, dtype=np.intp)
    summary.seconds = time.perf_counter() - start
    return repaired, summary
