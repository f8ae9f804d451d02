"""Compiled M-step of the models with one orientation shared by all components.

EVE and VVE (:mod:`bayesgmm.covariance.constrained`) alternate between the axis
variances given the orientation ``D`` and cyclic Jacobi rotations of ``D`` given the
variances, each rotation minimising the objective exactly in its plane. The loop is
small-matrix arithmetic, compiled with Numba (cached on disk) so that it costs
microseconds per EM iteration instead of milliseconds of Python.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["descend"]

_TINY = 1e-300


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
