"""Numerical building blocks shared by the EM core and the Bayesian layer.

The one log-sum-exp of the NumPy code (:func:`exp_normalize`, which also turns
log-probabilities into responsibilities), the constants the Gaussian log-densities
use, and the factorisation of covariance stacks that repairs singular members
(:func:`cholesky_with_jitter`, :func:`precision_cholesky_from_chol`). The compiled
Bayesian kernels (:mod:`bayesgmm.bayes.logp_kernels`) have their own Numba version: they
cannot call NumPy code.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LOG_2PI",
    "LOG_PROB_FLOOR",
    "RELATIVE_VARIANCE_FLOOR",
    "SPARSE_FRACTION",
    "cholesky_with_jitter",
    "default_variance_floor",
    "exp_normalize",
    "precision_cholesky_from_chol",
    "psd_factor",
    "restrict_to_labels",
]

#: log(2 pi), of every Gaussian log-density
LOG_2PI = math.log(2.0 * math.pi)
#: In EM passes a component whose log-probability is more than 37 below a sample's
#: best (responsibility < exp(-37) ~ 8.5e-17, under half an ulp of the best term's
#: 1.0) gets responsibility exactly 0: the log normaliser is unchanged to rounding,
#: no subnormal numbers (13x slower arithmetic) reach the M-step products, and
#: ``exp`` is evaluated only where it matters.
LOG_PROB_FLOOR = -37.0
#: below this fraction of live entries, ``exp`` runs on the gathered live entries only
SPARSE_FRACTION = 0.4


def exp_normalize(
    log_prob: NDArray[np.float64], floor: float | None = LOG_PROB_FLOOR
) -> NDArray[np.float64]:
    """Turn ``(K, n)`` weighted log-probabilities into responsibilities, in place.

    Returns the per-sample log normaliser ``log p(x)`` of shape ``(n,)``.
    Entries more than ``-floor`` below their column's maximum become exactly 0 (EM
    passes, see ``LOG_PROB_FLOOR``); with ``floor=None`` every entry is
    exponentiated (public ``predict_proba``: exact down to underflow).

    Examples
    --------
    >>> log_prob = np.log(np.array([[0.2, 0.5], [0.6, 0.5]]))
    >>> norm = exp_normalize(log_prob)
    >>> np.round(log_prob, 3).tolist(), np.round(np.exp(norm), 3).tolist()
    ([[0.25, 0.5], [0.75, 0.5]], [0.8, 1.0])
    """
    if log_prob.shape[0] == 1:
        norm = log_prob[0].copy()
        log_prob.fill(1.0)
        return norm
    top = log_prob.max(axis=0)
    log_prob -= top
    if floor is None:
        with np.errstate(under="ignore"):
            np.exp(log_prob, out=log_prob)
    else:
        live = log_prob > floor
        n_live = int(np.count_nonzero(live))
        if n_live < SPARSE_FRACTION * live.size:
            flat = log_prob.reshape(-1)
            index = np.flatnonzero(live)
            values = np.exp(flat[index])
            flat.fill(0.0)
            flat[index] = values
        else:
            np.maximum(log_prob, floor, out=log_prob)
            np.exp(log_prob, out=log_prob)
            if n_live < live.size:
                log_prob *= live
    total = log_prob.sum(axis=0)
    log_prob *= 1.0 / total
    np.log(total, out=total)
    total += top
    return total


def restrict_to_labels(log_prob: NDArray, labels: NDArray[np.intp]) -> None:
    """Give labelled samples only their label's component, in place.

    ``log_prob`` is ``(K, n)`` (a noise component's row included); ``labels`` holds
    each sample's component, or -1 where unknown. For labelled samples every other
    component's entry becomes ``-inf``, so that :func:`exp_normalize` gives them
    responsibility 1 for their label and their term of the log-likelihood is
    ``log(pi_y p(x | y))``: EM with partial labels (semi-supervised mixtures, mclust's
    ``MclustSSC``; with every sample labelled, one M-step from the labels).

    Examples
    --------
    >>> log_prob = np.log(np.array([[0.2, 0.5], [0.6, 0.5]]))
    >>> restrict_to_labels(log_prob, np.array([0, -1]))
    >>> np.exp(log_prob).round(2).tolist()
    [[0.2, 0.5], [0.0, 0.5]]
    """
    known = np.flatnonzero(labels >= 0)
    if known.size == 0:
        return
    rows = labels[known]
    kept = log_prob[rows, known]
    log_prob[:, known] = -np.inf
    log_prob[rows, known] = kept


#: a variance below this fraction of the data's variance is numerically zero.
RELATIVE_VARIANCE_FLOOR = 1e-10


def default_variance_floor(diagonals: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-feature variance floor when the data's variances are not known.

    ``RELATIVE_VARIANCE_FLOOR`` times the mean absolute variance of each feature over
    the rows of ``diagonals`` (shape ``(n_rows, n_features)``), using 1 where that
    mean is zero or not finite.

    Examples
    --------
    >>> default_variance_floor(np.array([[1.0, 4.0], [3.0, 0.0]]))
    array([2.e-10, 2.e-10])
    """
    scale = np.abs(diagonals).mean(axis=0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return RELATIVE_VARIANCE_FLOOR * scale


def cholesky_with_jitter(
    covariances: NDArray[np.float64], floor: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[int]]:
    """Batched lower Cholesky of a ``(K, D, D)`` stack, repairing singular members.

    A member is repaired when its Cholesky factorisation fails or one of its
    conditional variances (squared diagonal of the factor) falls below ``floor``
    (per feature): ``floor * 10**e`` is added to its diagonal for the smallest
    ``e = 0, 1, ...`` that makes it factorise. Off-diagonal entries are kept.
    """
    try:
        chol = np.linalg.cholesky(covariances)
        pivots = np.square(np.diagonal(chol, axis1=1, axis2=2))
        if np.all(pivots >= floor):
            return chol, covariances, []
        bad = [int(k) for k in np.flatnonzero((pivots < floor).any(axis=1))]
    except np.linalg.LinAlgError:
        chol = np.empty_like(covariances)
        bad = []
        for k, cov in enumerate(covariances):
            try:
                chol[k] = np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                bad.append(k)
                continue
            if np.any(np.square(np.diag(chol[k])) < floor):
                bad.append(k)
    covariances = covariances.copy()
    for k in bad:
        cov = np.where(np.isfinite(covariances[k]), covariances[k], 0.0)
        for exponent in range(0, 16):
            candidate = cov + np.diag(floor * 10.0**exponent)
            try:
                chol[k] = np.linalg.cholesky(candidate)
            except np.linalg.LinAlgError:
                continue
            covariances[k] = candidate
            break
        else:  # pragma: no cover - only for absurd (non-finite) input
            covariances[k] = np.diag(np.maximum(np.abs(np.diag(cov)), floor))
            chol[k] = np.linalg.cholesky(covariances[k])
    return chol, covariances, bad


def precision_cholesky_from_chol(chol: NDArray[np.float64]) -> NDArray[np.float64]:
    """``inv(L).T`` for a stack of lower-triangular ``L`` (exactly upper-triangular)."""
    inv = np.linalg.inv(chol)
    return np.triu(np.swapaxes(inv, -1, -2))


def psd_factor(matrices: NDArray[np.float64]) -> NDArray[np.float64]:
    """``F`` with ``F F^T = A`` for symmetric positive semi-definite ``(K, d, d)`` ``A``.

    Cholesky when it succeeds; otherwise a symmetric square root with negative
    round-off eigenvalues set to zero.

    Examples
    --------
    >>> factor = psd_factor(np.array([[[1.0, 1.0], [1.0, 1.0]]]))  # singular
    >>> bool(np.allclose(factor @ np.swapaxes(factor, 1, 2), 1.0))
    True
    """
    try:
        return np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(matrices)
        return vectors * np.sqrt(np.clip(values, 0.0, None))[..., None, :]
