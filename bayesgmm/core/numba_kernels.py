"""Compiled small linear algebra and Gaussian log-densities, shared by every kernel.

The EM loop on small data (:mod:`bayesgmm.em.compiled_loop`), the posterior over K's
sampler (:mod:`bayesgmm.mfm`) and the Bayesian model's log-density
(:mod:`bayesgmm.bayes.logp_kernels`) factor covariances, invert triangular factors and
evaluate Gaussian log-densities through these functions, compiled with Numba (cached
on disk). Each works on the arrays it is handed (views of larger buffers included)
and allocates nothing.
"""

from __future__ import annotations

import math

import numba

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401

__all__ = ["centre", "cholesky", "lower_inverse", "whitened_log_density"]

_FAST = {"reassoc", "contract"}  # vectorised sums; NaN and inf keep their meaning


@numba.njit(cache=True, error_model="numpy")
def cholesky(matrix, floor, out):  # pragma: no cover
    """Lower Cholesky factor of ``matrix`` into ``out``; False if it does not factor.

    It does not factor when a pivot is not above 0 or is below ``floor`` (one value
    per row; zeros ask for positive definiteness only). The pivots (squared diagonal
    of the factor) are the conditional variances that the EM engine's repair compares
    with its per-feature floor.

    Examples
    --------
    >>> import numpy as np
    >>> A, out = np.array([[4.0, 2.0], [2.0, 3.0]]), np.empty((2, 2))
    >>> bool(cholesky(A, np.zeros(2), out)), out.tolist()
    (True, [[2.0, 0.0], [1.0, 1.4142135623730951]])
    >>> bool(cholesky(A, np.array([0.0, 2.5]), out))  # second pivot 2 < 2.5
    False
    """
    d = matrix.shape[0]
    out[:] = 0.0
    for j in range(d):
        pivot = matrix[j, j]
        for m in range(j):
            pivot -= out[j, m] * out[j, m]
        if not (pivot > 0.0 and pivot >= floor[j]):  # also catches NaN
            return False
        out[j, j] = math.sqrt(pivot)
        for i in range(j + 1, d):
            total = matrix[i, j]
            for m in range(j):
                total -= out[i, m] * out[j, m]
            out[i, j] = total / out[j, j]
    return True


@numba.njit(cache=True, error_model="numpy")
def lower_inverse(lower, out):  # pragma: no cover
    """Inverse of a lower-triangular matrix into ``out`` (forward substitution).

    Examples
    --------
    >>> import numpy as np
    >>> L, out = np.array([[2.0, 0.0], [1.0, 4.0]]), np.empty((2, 2))
    >>> lower_inverse(L, out)
    >>> bool(np.allclose(out @ L, np.eye(2)))
    True
    """
    d = lower.shape[0]
    out[:] = 0.0
    for j in range(d):
        out[j, j] = 1.0 / lower[j, j]
        for i in range(j + 1, d):
            total = 0.0
            for m in range(j, i):
                total -= lower[i, m] * out[m, j]
            out[i, j] = total / lower[i, i]


@numba.njit(cache=True, error_model="numpy", fastmath=_FAST)
def centre(Xt, mean, out):  # pragma: no cover
    """``Xt - mean`` (features in rows, samples in columns) into ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty((2, 3))
    >>> centre(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]]), np.array([2.0, 2.0]), out)
    >>> out.tolist()
    [[-1.0, 0.0, 1.0], [-2.0, -2.0, 4.0]]
    """
    d, n = Xt.shape
    for a in range(d):
        m = mean[a]
        for i in range(n):
            out[a, i] = Xt[a, i] - m


@numba.njit(cache=True, error_model="numpy", fastmath=_FAST)
def whitened_log_density(centred, whiten, const, out, work):  # pragma: no cover
    """``const - |whiten @ centred|^2 / 2`` per sample into ``out``.

    ``whiten`` is lower triangular (the inverse Cholesky factor of a covariance), so
    with ``const = -log|L| - d/2 log(2 pi)`` this is the Gaussian log-density; ``work``
    is scratch of one row.

    Examples
    --------
    >>> import numpy as np
    >>> out, work = np.empty(2), np.empty(2)
    >>> whitened_log_density(np.array([[0.0, 2.0]]), np.array([[0.5]]), 1.0, out, work)
    >>> out.tolist()
    [1.0, 0.5]
    """
    d, n = centred.shape
    out[:] = 0.0
    for a in range(d):
        w = whiten[a, a]
        for i in range(n):
            work[i] = w * centred[a, i]
        for b in range(a):
            w = whiten[a, b]
            for i in range(n):
                work[i] += w * centred[b, i]
        for i in range(n):
            out[i] += work[i] * work[i]
    for i in range(n):
        out[i] = const - 0.5 * out[i]
