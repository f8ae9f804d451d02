"""Importance sampling of posterior draws: PSIS weights, weighted quantiles, resampling.

Used by :func:`bayesgmm.fit_large`, which corrects draws from an approximate
posterior (a subsample likelihood) with weights ``exp(L(theta) - L_hat(theta))``:
:func:`psis` smooths those weights (Pareto-smoothed importance sampling, with its
k-hat diagnostic), :func:`weighted_quantiles` summarises a weighted sample and
:func:`resample` turns it into equally weighted draws.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy import special

__all__ = ["psis", "resample", "weighted_quantiles"]


def psis(log_ratios: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, float]:
    """PSIS log-weights (normalised), Pareto k-hat and relative ESS of importance ratios.

    Parameters
    ----------
    log_ratios : ndarray of shape (n_chains, n_draws)
        Log importance ratios of the draws.

    Returns
    -------
    log_weights : ndarray of shape (n_chains, n_draws)
        Smoothed, normalised log-weights (``logsumexp == 0``).
    khat : float
        Pareto shape estimate (reliable below about 0.7; NaN for constant ratios).
    r_eff : float
        Relative efficiency of the draws (mean ESS / number of draws, in [0.05, 1]).

    Examples
    --------
    >>> log_weights, khat, r_eff = psis(np.zeros((2, 50)))  # the proposal is the target
    >>> bool(np.allclose(np.exp(log_weights), 1 / 100)), r_eff
    (True, 1.0)
    """
    import arviz_stats  # noqa: F401  (registers the .azstats accessor)

    n = log_ratios.size
    if np.ptp(log_ratios) < 1e-8:  # constant ratios: the proposal is the target
        return np.full(log_ratios.shape, -math.log(n)), float("nan"), 1.0
    ratios = np.exp(log_ratios - log_ratios.max())
    ess = xr.DataArray(ratios, dims=("chain", "draw")).azstats.ess(method="mean")
    r_eff = float(np.clip(np.nan_to_num(float(ess) / n, nan=1.0), 0.05, 1.0))
    # arviz_stats smooths exp(-x): pass the negated ratios, as its LOO does
    log_weights, khat = xr.DataArray(-log_ratios, dims=("chain", "draw")).azstats.psislw(
        dim=["chain", "draw"], r_eff=r_eff
    )
    return np.asarray(log_weights.transpose("chain", "draw").values), float(khat), r_eff


def weighted_quantiles(
    values: NDArray[np.float64], weights: NDArray[np.float64], probs: list[float]
) -> list[float]:
    """Quantiles of a weighted sample (linear interpolation of the weighted CDF).

    Examples
    --------
    >>> weights = np.zeros(10)
    >>> weights[[2, 7]] = 0.5
    >>> weighted_quantiles(np.arange(10.0), weights, [0.1, 0.9])
    [2.0, 7.0]
    """
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    sorted_values, sorted_weights = values[order], weights[order]
    cdf = np.cumsum(sorted_weights) - 0.5 * sorted_weights
    cdf /= sorted_weights.sum()
    return [float(np.interp(p, cdf, sorted_values)) for p in probs]


def resample(
    log_weights: NDArray[np.float64], n: int, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Systematic resampling: ``n`` indices (shuffled) drawn with the given weights.

    Each index appears ``n w_i`` times, rounded up or down (lower variance than
    multinomial resampling).

    Examples
    --------
    >>> picks = resample(np.log([0.25, 0.75]), 8, np.random.default_rng(0))
    >>> np.bincount(picks).tolist()
    [2, 6]
    """
    weights = np.exp(log_weights - special.logsumexp(log_weights))
    positions = (rng.random() + np.arange(n)) / n
    picks = np.searchsorted(np.cumsum(weights), positions)
    picks = np.minimum(picks, weights.size - 1)
    rng.shuffle(picks)
    return picks
