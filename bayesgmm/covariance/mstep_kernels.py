"""Compiled iterative M-steps of the constrained covariance models.

The models of :mod:`bayesgmm.covariance.constrained` without a closed form alternate
between parts of ``Sigma_k = lambda_k D_k A_k D_k^T``: VEI and VEV between volumes
and one shape (:func:`volumes_and_shape`), VEE between volumes and one shape and
orientation (:func:`volumes_and_common`), EVE and VVE between axis variances and one
orientation turned by cyclic Jacobi rotations, each minimising the objective exactly
in its plane (:func:`descend`). The loops are small-matrix arithmetic run at every
EM iteration, compiled with Numba (cached on disk) so that they cost microseconds
instead of a fraction of a millisecond of Python per iteration. Each stops when the
relative change of its objective is at most ``tol`` and reports whether it did
within ``max_iter`` iterations.
"""

from __future__ import annotations

import numba
import numpy as np

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401

__all__ = [
    "MODEL_CODES",
    "N_DIAGONAL_CODES",
    "descend",
    "diagonal_mstep",
    "ellipsoidal_mstep",
    "volumes_and_common",
    "volumes_and_shape",
]

_TINY = 1e-300


@numba.njit(cache=True)
def _log_root_det(values):  # pragma: no cover
    """``log(prod(max(values, tiny))) / d``: the log of the geometric mean."""
    acc = 0.0
    for value in values:
        acc += np.log(max(value, _TINY))
    return acc / values.shape[0]


@numba.njit(cache=True)
def volumes_and_shape(values, nk, max_iter, tol):  # pragma: no cover
    """Variable volumes ``lambda_k`` and one shape ``A`` from per-axis scatter ``(K, d)``.

    Alternates ``A = normalised sum_k values_k / lambda_k`` and ``lambda_k =
    sum_j values_kj / A_j / (n_k d)`` (Celeux and Govaert's VEI and VEV M-steps); the
    objective ``d sum_k n_k log lambda_k`` decreases at every step. Returns the
    volumes ``(K,)``, the shape ``(d,)`` (determinant 1) and whether it converged.
    """
    K, d = values.shape
    volumes = np.empty(K)
    for k in range(K):
        volumes[k] = values[k].sum() / (nk[k] * d)
    shape = np.empty(d)
    previous = np.inf
    converged = False
    for _ in range(max_iter):
        for j in range(d):
            total = 0.0
            for k in range(K):
                total += values[k, j] / max(volumes[k], _TINY)
            shape[j] = total
        shape /= np.exp(_log_root_det(shape))
        objective = 0.0
        for k in range(K):
            total = 0.0
            for j in range(d):
                total += values[k, j] / shape[j]
            volumes[k] = total / (nk[k] * d)
            objective += nk[k] * np.log(max(volumes[k], _TINY))
        objective *= d
        if abs(previous - objective) <= tol * max(abs(objective), 1.0):
            converged = True
            break
        previous = objective
    return volumes, shape, converged


@numba.njit(cache=True)
def volumes_and_common(scatter, nk, max_iter, tol):  # pragma: no cover
    """Variable volumes and one shape and orientation ``C = D A D'`` (mclust VEE).

    Alternates ``C`` = the pooled ``sum_k W_k / lambda_k`` scaled to determinant 1
    and ``lambda_k = tr(W_k C^-1) / (n_k d)``; the objective ``d sum_k n_k log
    lambda_k`` decreases at every step. Returns the volumes ``(K,)``, ``C`` ``(d, d)``
    and whether it converged.
    """
    K, d, _ = scatter.shape
    volumes = np.empty(K)
    for k in range(K):
        volumes[k] = np.trace(scatter[k]) / (nk[k] * d)
    pooled = np.empty((d, d))
    common = np.empty((d, d))
    inverse = np.empty((d, d))
    previous = np.inf
    converged = False
    for _ in range(max_iter):
        pooled[:] = 0.0
        for k in range(K):
            pooled += scatter[k] / max(volumes[k], _TINY)
        values, vectors = np.linalg.eigh(pooled)
        values = np.maximum(values, 0.0)
        root = max(np.exp(_log_root_det(values)), _TINY)
        for i in range(d):
            for j in range(d):
                a = 0.0
                c = 0.0
                for m in range(d):
                    scaled = values[m] / root
                    a += vectors[i, m] * vectors[j, m] / max(scaled, _TINY)
                    c += vectors[i, m] * vectors[j, m] * scaled
                inverse[i, j] = a
                common[i, j] = c
        objective = 0.0
        for k in range(K):
            total = 0.0
            for i in range(d):
                for j in range(d):
                    total += scatter[k, i, j] * inverse[j, i]
            volumes[k] = total / (nk[k] * d)
            objective += nk[k] * np.log(max(volumes[k], _TINY))
        objective *= d
        if abs(previous - objective) <= tol * max(abs(objective), 1.0):
            converged = True
            break
        previous = objective
    return volumes, common, converged


@numba.njit(cache=True)
def descend(scatter, nk, orientation, equal_volume, max_iter, tol):  # pragma: no cover
    """Minimise ``sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k)`` over ``Sigma_k = D V_k D'``.

    ``V_k`` is diagonal: ``diag(D' W_k D) / n_k`` (VVE) or, with ``equal_volume``,
    the same shapes scaled to one common volume (EVE). Returns the objective, the
    variances ``(K, d)``, the orientation ``(d, d)`` and whether the relative change of
    the objective fell below ``tol`` within ``max_iter`` iterations.
    """
    K, d, _ = scatter.shape
    D = orientation.copy()
    projected = np.empty((K, d))
    variances = np.empty((K, d))
    n_total = nk.sum()
    previous = np.inf
    objective = np.inf
    converged = False
    for _ in range(max_iter):
        for k in range(K):
            WD = scatter[k] @ D
            for a in range(d):
                total = 0.0
                for i in range(d):
                    total += D[i, a] * WD[i, a]
                projected[k, a] = total
        if equal_volume:
            roots = np.empty(K)
            for k in range(K):
                acc = 0.0
                for a in range(d):
                    acc += np.log(max(projected[k, a], _TINY))
                roots[k] = np.exp(acc / d)
            volume = roots.sum() / n_total
            for k in range(K):
                for a in range(d):
                    variances[k, a] = max(volume * projected[k, a] / max(roots[k], _TINY), _TINY)
        else:
            for k in range(K):
                for a in range(d):
                    variances[k, a] = max(projected[k, a] / nk[k], _TINY)
        objective = 0.0
        for k in range(K):
            for a in range(d):
                objective += nk[k] * np.log(variances[k, a]) + projected[k, a] / variances[k, a]
        if abs(previous - objective) <= tol * max(abs(objective), 1.0):
            converged = True
            break
        previous = objective
        for i in range(d - 1):
            for j in range(i + 1, d):
                p = 0.0
                q = 0.0
                for k in range(K):
                    w_ii = 0.0
                    w_jj = 0.0
                    w_ij = 0.0
                    for r in range(d):
                        wi = 0.0
                        wj = 0.0
                        for c in range(d):
                            wi += scatter[k, r, c] * D[c, i]
                            wj += scatter[k, r, c] * D[c, j]
                        w_ii += D[r, i] * wi
                        w_jj += D[r, j] * wj
                        w_ij += D[r, j] * wi
                    diff = 1.0 / variances[k, i] - 1.0 / variances[k, j]
                    p += 0.5 * (w_ii - w_jj) * diff
                    q += w_ij * diff
                if p * p + q * q > 0.0:
                    angle = 0.5 * np.arctan2(-q, -p)
                    cos, sin = np.cos(angle), np.sin(angle)
                    for r in range(d):
                        di = D[r, i]
                        dj = D[r, j]
                        D[r, i] = cos * di + sin * dj
                        D[r, j] = -sin * di + cos * dj
    return objective, variances, D, converged


#: mclust's 14 models in mclust's order: a model's index is its code in the kernels
MODEL_CODES = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)  # fmt: skip
#: the codes below this one are diagonal models (scatter enters by its diagonal)
N_DIAGONAL_CODES = 6


@numba.njit(cache=True)
def diagonal_mstep(code, scatter, nk, max_iter, tol):  # pragma: no cover
    """Variances ``(K, d)`` of a diagonal model from the scatter diagonals ``(K, d)``.

    ``code`` is the model's index in :data:`MODEL_CODES` (EII, VII, EEI, VEI, EVI,
    VVI); ``scatter[k]`` is ``sum_i r_ik (x_i - mu_k)**2``. Returns the maximisers of
    the expected complete-data log-likelihood and whether an iterative one converged.
    """
    K, d = scatter.shape
    variances = np.empty((K, d))
    n_total = nk.sum()
    converged = True
    if code == 0:  # EII: one variance
        variances[:] = scatter.sum() / (n_total * d)
    elif code == 1:  # VII: a variance per component
        for k in range(K):
            variances[k] = scatter[k].sum() / (nk[k] * d)
    elif code == 2:  # EEI: one diagonal
        pooled = np.zeros(d)
        for k in range(K):
            pooled += scatter[k]
        for k in range(K):
            variances[k] = pooled / n_total
    elif code == 3:  # VEI: variable volumes, one shape
        volumes, shape, converged = volumes_and_shape(scatter, nk, max_iter, tol)
        for k in range(K):
            variances[k] = volumes[k] * shape
    elif code == 4:  # EVI: one volume, variable shapes
        roots = np.empty(K)
        for k in range(K):
            roots[k] = np.exp(_log_root_det(scatter[k]))
        volume = roots.sum() / n_total
        for k in range(K):
            variances[k] = volume * scatter[k] / max(roots[k], _TINY)
    else:  # VVI: each its own diagonal
        for k in range(K):
            variances[k] = scatter[k] / nk[k]
    return variances, converged


@numba.njit(cache=True)
def _eigh_descending(matrix):  # pragma: no cover
    values, vectors = np.linalg.eigh(matrix)
    return np.maximum(values[::-1], 0.0), np.ascontiguousarray(vectors[:, ::-1])


@numba.njit(cache=True)
def _rotate(vectors, variances):  # pragma: no cover
    """``V diag(variances) V'``."""
    return (vectors * variances) @ vectors.T


@numba.njit(cache=True)
def ellipsoidal_mstep(code, scatter, nk, max_iter, tol):  # pragma: no cover
    """Covariances ``(K, d, d)`` of an ellipsoidal model from the scatter matrices.

    ``code`` is the model's index in :data:`MODEL_CODES` (EEE, VEE, EVE, VVE, EEV,
    VEV, EVV, VVV); ``scatter[k]`` is ``sum_i r_ik (x_i - mu_k)(x_i - mu_k)'``.
    Returns the maximisers of the expected complete-data log-likelihood (made exactly
    symmetric) and whether an iterative one converged.
    """
    K, d, _ = scatter.shape
    covariances = np.empty((K, d, d))
    n_total = nk.sum()
    converged = True
    if code == 6:  # EEE: one covariance
        pooled = scatter.sum(axis=0) / n_total
        for k in range(K):
            covariances[k] = pooled
    elif code == 7:  # VEE: variable volumes, one shape and orientation
        volumes, common, converged = volumes_and_common(scatter, nk, max_iter, tol)
        for k in range(K):
            covariances[k] = volumes[k] * common
    elif code == 8 or code == 9:  # EVE, VVE: one orientation
        # not convex in the orientation: start from the pooled scatter's axes (the EEE
        # orientation) and from the largest component's, keep the better
        best = np.inf
        for start in range(2):
            if start == 0:
                _, axes = _eigh_descending(scatter.sum(axis=0))
            else:
                _, axes = _eigh_descending(scatter[np.argmax(nk)])
            objective, variances, axes, ok = descend(scatter, nk, axes, code == 8, max_iter, tol)
            converged = converged and ok
            if objective < best:
                best = objective
                for k in range(K):
                    covariances[k] = _rotate(axes, variances[k])
    elif code == 13:  # VVV
        for k in range(K):
            covariances[k] = scatter[k] / nk[k]
    else:  # EEV, VEV, EVV: from each component's eigen-decomposition
        values = np.empty((K, d))
        vectors = np.empty((K, d, d))
        for k in range(K):
            component_values, component_vectors = _eigh_descending(scatter[k])
            values[k] = component_values
            vectors[k] = component_vectors
        if code == 10:  # EEV: one volume and shape
            total = values.sum(axis=0)
            log_root = _log_root_det(total)
            shape = total / np.exp(log_root)
            volume = np.exp(log_root) / n_total
            for k in range(K):
                covariances[k] = _rotate(vectors[k], volume * shape)
        elif code == 11:  # VEV: variable volumes, one shape
            volumes, shape, converged = volumes_and_shape(values, nk, max_iter, tol)
            for k in range(K):
                covariances[k] = _rotate(vectors[k], volumes[k] * shape)
        else:  # EVV: one volume
            roots = np.empty(K)
            for k in range(K):
                roots[k] = np.exp(_log_root_det(values[k]))
            volume = roots.sum() / n_total
            for k in range(K):
                covariances[k] = volume * scatter[k] / max(roots[k], _TINY)
    for k in range(K):
        covariances[k] = 0.5 * (covariances[k] + covariances[k].T)
    return covariances, converged
