"""Compiled orientations of EVE, VVE, EEV and VEV: the Cayley map, its prior and gradient.

mclust's models with an explicit orientation, ``Sigma_k = lambda_k D_k A_k D_k^T``
(``D`` shared by EVE and VVE, one per component for EEV and VEV), parameterise each
orientation by ``M = d (d - 1) / 2`` unconstrained values ``t``: the strictly lower
triangle of a skew-symmetric ``S`` (``S[i, j] = t``, ``S[j, i] = -t`` for ``i > j``, in
``numpy.tril_indices(d, -1)`` order) and the Cayley transform

    ``Q = (I + S)^-1 (I - S)``,

a rotation (``det Q = 1``) for every ``S``; every rotation without the eigenvalue -1 has
exactly one ``S``. The prior is the uniform (Haar) distribution on rotations, whose
density in these coordinates is ``det(I + S)**-(d - 1)`` (up to a constant that does
not depend on the parameters and is left out, in the kernels and in the PyMC
specification alike).

``Sigma_k = Q diag(lambda_k a_k) Q^T`` does not change when a column of ``Q`` changes
sign, or when the columns of ``Q`` and the entries of ``a_k`` are permuted together:
an orientation is identified only up to these ``2**(d-1) d!`` equivalent rotations
(``2**d d!`` signed permutations with determinant 1). Neither the Haar prior nor the
exchangeable ``ZeroSumNormal`` log-shape distinguishes them, so the posterior over
``(t, log_shape)`` has that many copies of every mode, all mapping to the same
covariances; a chain explores one copy (the one its EM start is in), which is
enough for every reported quantity (weights, means, covariances, densities). The
orientation and log-shape draws themselves are therefore not comparable across
chains and are not diagnosed; the rotations with eigenvalue -1 (a rotation by pi in
some plane) are outside the Cayley chart, but each has equivalent copies inside it.

Used by :mod:`bayesgmm.bayes.logp_kernels`; the likelihood sees the square root
``F_k = Q diag(sd_k)`` of ``Sigma_k`` and factorises ``F_k F_k^T`` itself.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs bayesgmm's cache locator before any cached function is compiled
import bayesgmm.bayes.cache  # noqa: F401

__all__ = ["cayley", "cayley_pullback", "haar_prior", "inverse_cayley"]

_jit = numba.njit(nogil=True, error_model="numpy")


@_jit
def _skew(t, D, S):
    """``S`` (``(D, D)``) from its strictly lower triangle ``t`` (row-major)."""
    m = 0
    for i in range(D):
        S[i, i] = 0.0
        for j in range(i):
            S[i, j] = t[m]
            S[j, i] = -t[m]
            m += 1


@_jit
def _invert(B, D, out):
    """``out = B^-1`` by Gauss-Jordan elimination with partial pivoting; ``log |det B|``."""
    A = B.copy()
    for i in range(D):
        for j in range(D):
            out[i, j] = 1.0 if i == j else 0.0
    log_det = 0.0
    for c in range(D):
        p = c
        for r in range(c + 1, D):
            if abs(A[r, c]) > abs(A[p, c]):
                p = r
        if p != c:
            for j in range(D):
                A[c, j], A[p, j] = A[p, j], A[c, j]
                out[c, j], out[p, j] = out[p, j], out[c, j]
        pivot = A[c, c]
        log_det += math.log(abs(pivot))
        for j in range(D):
            A[c, j] /= pivot
            out[c, j] /= pivot
        for r in range(D):
            if r != c:
                factor = A[r, c]
                if factor != 0.0:
                    for j in range(D):
                        A[r, j] -= factor * A[c, j]
                        out[r, j] -= factor * out[c, j]
    return log_det


@_jit
def cayley(t, D, Q, B_inv):
    """The rotation ``Q = (I + S)^-1 (I - S)`` of Cayley parameters ``t`` (in place).

    Also writes ``(I + S)^-1`` into ``B_inv`` (for :func:`cayley_pullback`) and returns
    ``log det(I + S)`` (positive determinant: ``S`` is skew-symmetric).

    Examples
    --------
    >>> Q, B_inv = np.empty((2, 2)), np.empty((2, 2))
    >>> _ = cayley(np.array([1.0]), 2, Q, B_inv)
    >>> (np.round(Q, 6) + 0.0).tolist()  # a rotation by -2 atan(1) = -pi / 2
    [[0.0, 1.0], [-1.0, 0.0]]
    """
    S = np.empty((D, D))
    _skew(t, D, S)
    B = np.eye(D) + S
    log_det = _invert(B, D, B_inv)
    for i in range(D):
        for j in range(D):
            acc = 0.0
            for m in range(D):
                acc += B_inv[i, m] * ((1.0 if m == j else 0.0) - S[m, j])
            Q[i, j] = acc
    return log_det


@_jit
def cayley_pullback(g_Q, Q, B_inv, D, out):
    """Gradient with respect to ``t`` (written into ``out``) of one with respect to ``Q``.

    ``(I + S) Q = I - S`` gives ``dQ = -(I + S)^-1 dS (I + Q)``, so the gradient with
    respect to ``S`` is ``H = -(I + S)^-T g_Q (I + Q)^T``, and ``t[i, j]`` moves
    ``S[i, j]`` and ``-S[j, i]``.
    """
    T = np.zeros((D, D))  # g_Q (I + Q)^T
    for i in range(D):
        for j in range(D):
            acc = g_Q[i, j]
            for m in range(D):
                acc += g_Q[i, m] * Q[j, m]
            T[i, j] = acc
    H = np.zeros((D, D))
    for i in range(D):
        for j in range(D):
            acc = 0.0
            for m in range(D):
                acc += B_inv[m, i] * T[m, j]
            H[i, j] = -acc
    m = 0
    for i in range(D):
        for j in range(i):
            out[m] = H[i, j] - H[j, i]
            m += 1


@_jit
def haar_prior(t, B_inv, D, grad):
    """Haar log-density ``-(d - 1) log det(I + S)`` (no constant); its gradient added to ``grad``.

    ``d log det(I + S) / dS = (I + S)^-T`` (``B_inv`` is ``(I + S)^-1``).
    """
    S = np.empty((D, D))
    _skew(t, D, S)
    log_det = _invert(np.eye(D) + S, D, np.empty((D, D)))
    c = float(D - 1)
    m = 0
    for i in range(D):
        for j in range(i):
            grad[m] -= c * (B_inv[j, i] - B_inv[i, j])
            m += 1
    return -c * log_det


def inverse_cayley(Q: np.ndarray) -> np.ndarray:
    """Cayley parameters ``t`` of rotations ``Q`` (``(..., d, d)``, ``det Q = 1``).

    ``S = (I + Q)^-1 (I - Q)`` (the map is its own inverse); ``Q`` must not have the
    eigenvalue -1 (:func:`bayesgmm.bayes.fit.em_start` picks column signs that avoid it).

    Examples
    --------
    >>> Q = np.array([[0.0, 1.0], [-1.0, 0.0]])
    >>> inverse_cayley(Q).round(12).tolist()
    [1.0]
    """
    D = Q.shape[-1]
    eye = np.eye(D)
    S = np.linalg.solve(eye + Q, eye - Q)
    rows, cols = np.tril_indices(D, -1)
    return np.asarray(S[..., rows, cols])
