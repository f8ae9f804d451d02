"""The merge loop of mclust's hierarchical start, compiled (Numba).

:func:`merge_sequence` is :mod:`bayesgmm.em.hierarchical_start`'s agglomeration:
Fraley's (1998) merges of the unconstrained Gaussian model with Banfield and
Raftery's regularisation, the cheapest merge first, each cluster's best partner kept
and refreshed only where a merge changed it. In NumPy the loop paid Python's cost per
merge (1.8 s for mclust's 2000-row subset in 5-D); compiled, with the
log-determinants by an in-place Cholesky (a singular scatter adds 0, as a
non-positive determinant did), it gives the same merges 2.5-7x faster (2000 rows
in 5-D: 0.48 s). Imported only where a hierarchical start is made.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["merge_sequence"]


@numba.njit(cache=True)
def _log_det(matrix, work):  # pragma: no cover - compiled
    """``log |matrix|`` of a symmetric matrix by Cholesky; NaN when not positive definite."""
    d = matrix.shape[0]
    total = 0.0
    for j in range(d):
        pivot = matrix[j, j]
        for k in range(j):
            pivot -= work[j, k] * work[j, k]
        if not pivot > 0.0:
            return math.nan
        root = math.sqrt(pivot)
        work[j, j] = root
        total += 2.0 * math.log(root)
        for i in range(j + 1, d):
            value = matrix[i, j]
            for k in range(j):
                value -= work[i, k] * work[j, k]
            work[i, j] = value / root
    return total


@numba.njit(cache=True)
def _term(count, scatter, alpha, work):  # pragma: no cover - compiled
    """``n log(|W/n| [n > d] + (tr W + alpha) / n)`` of one cluster (0 for a singular W)."""
    d = scatter.shape[0]
    trace = 0.0
    for i in range(d):
        trace += scatter[i, i]
    value = (trace + alpha) / count
    if count > d:
        log_det = _log_det(scatter, work)
        if not math.isnan(log_det):
            value += math.exp(log_det - d * math.log(count))
    return count * math.log(value)


@numba.njit(cache=True)
def _merged(count, mean, scatter, a, b, out_mean, out_scatter):  # pragma: no cover
    """Count of ``a`` merged with ``b``; its mean and scatter into ``out_*``."""
    n_a, n_b = count[a], count[b]
    n = n_a + n_b
    d = mean.shape[1]
    factor = n_a * n_b / n
    for i in range(d):
        out_mean[i] = mean[a, i] + (mean[b, i] - mean[a, i]) * (n_b / n)
    for i in range(d):
        delta_i = mean[b, i] - mean[a, i]
        for j in range(d):
            delta_j = mean[b, j] - mean[a, j]
            out_scatter[i, j] = scatter[a, i, j] + scatter[b, i, j] + factor * delta_i * delta_j
    return n


@numba.njit(cache=True)
def _loop(count, mean, scatter, term, alpha):  # pragma: no cover - compiled
    g, d = mean.shape
    cost = np.full((g, g), np.inf)
    new_mean = np.empty(d)
    new_scatter = np.empty((d, d))
    work = np.empty((d, d))
    for a in range(1, g):
        for b in range(a):
            n = _merged(count, mean, scatter, a, b, new_mean, new_scatter)
            cost[a, b] = cost[b, a] = _term(n, new_scatter, alpha, work) - term[a] - term[b]
    active = np.ones(g, dtype=np.bool_)
    best = np.empty(g, dtype=np.int64)
    best_cost = np.empty(g)
    for a in range(g):
        best[a] = np.argmin(cost[a])
        best_cost[a] = cost[a, best[a]]
    merges = np.empty((max(g - 1, 0), 2), dtype=np.int64)
    n_merges = 0
    for _ in range(g - 1):
        a = -1
        lowest = np.inf
        for i in range(g):
            if active[i] and (a < 0 or best_cost[i] < lowest):
                a, lowest = i, best_cost[i]
        b = best[a]
        keep, gone = min(a, b), max(a, b)
        merges[n_merges, 0], merges[n_merges, 1] = keep, gone
        n_merges += 1
        n_new = _merged(count, mean, scatter, keep, gone, new_mean, new_scatter)
        count[keep] = n_new
        mean[keep] = new_mean
        scatter[keep] = new_scatter
        term[keep] = _term(n_new, new_scatter, alpha, work)
        active[gone] = False
        cost[gone, :] = np.inf
        cost[:, gone] = np.inf
        best_cost[gone] = np.inf
        others = np.flatnonzero(active)
        others = others[others != keep]
        if len(others) == 0:
            break
        row = np.empty(len(others))
        for j in range(len(others)):
            other = others[j]
            n = _merged(count, mean, scatter, keep, other, new_mean, new_scatter)
            row[j] = _term(n, new_scatter, alpha, work) - term[keep] - term[other]
        cost[keep, :] = np.inf
        for j in range(len(others)):
            cost[keep, others[j]] = row[j]
            cost[others[j], keep] = row[j]
        first = np.argmin(row)
        best[keep] = others[first]
        best_cost[keep] = row[first]
        # rows whose best partner was merged away look again; others may now prefer keep
        for j in range(len(others)):
            other = others[j]
            if best[other] == keep or best[other] == gone:
                best[other] = np.argmin(cost[other])
                best_cost[other] = cost[other, best[other]]
            elif row[j] < best_cost[other]:
                best[other] = keep
                best_cost[other] = row[j]
    return merges[:n_merges]


def merge_sequence(Z: NDArray[np.float64], groups: NDArray[np.intp]) -> list[tuple[int, int]]:
    """The pairs merged, in order, from the initial ``groups`` down to one cluster.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        The SVD-transformed data.
    groups : ndarray of int of shape (n,)
        Initial clusters (identical rows together), numbered from 0.

    Returns
    -------
    list of (int, int)
        ``(kept, merged away)`` per merge.

    Examples
    --------
    >>> Z = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.2]])
    >>> merge_sequence(Z, np.arange(4))
    [(0, 1), (2, 3), (0, 2)]
    """
    n, d = Z.shape
    alpha = max(float(((Z - Z.mean(axis=0)) ** 2).sum()) / (n * d), np.finfo(float).eps)
    n_groups = int(groups.max()) + 1
    count = np.bincount(groups, minlength=n_groups).astype(np.float64)
    mean = np.zeros((n_groups, d))
    np.add.at(mean, groups, Z)
    mean /= count[:, None]
    centred = Z - mean[groups]
    scatter = np.zeros((n_groups, d, d))
    np.add.at(scatter, groups, centred[:, :, None] * centred[:, None, :])
    work = np.empty((d, d))
    term = np.array([_term(count[k], scatter[k], alpha, work) for k in range(n_groups)])
    merges = _loop(count, mean, scatter, term, alpha)
    return [(int(keep), int(gone)) for keep, gone in merges]
