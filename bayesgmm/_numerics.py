"""Numerical building blocks shared by the EM core and the Bayesian layer.

The one log-sum-exp of the NumPy code (:func:`exp_normalize`, which also turns
log-probabilities into responsibilities) and the constants the Gaussian
log-densities use. (The compiled Bayesian kernels, :mod:`bayesgmm.bayes.kernels`,
have their own Numba version: they cannot call NumPy code.)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["LOG_2PI", "LOG_PROB_FLOOR", "SPARSE_FRACTION", "exp_normalize"]

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
