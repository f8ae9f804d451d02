"""Compiled layout of the covariance scales: their unconstrained values, priors, gradients.

Every covariance type of the Bayesian model (:func:`bayesgmm.bayes.build_model`) has a
block of unconstrained values in ``theta`` that sets the standard deviations of its
Cholesky factors (standardised units). This module is that block's part of the
compiled log-density (:mod:`bayesgmm.bayes.logp_kernels`): how long it is, the
standard deviations it gives, and its prior with the transform's log-Jacobian and the
chain rule from the gradient with respect to the standard deviations back to it.

Two kinds of block:

- **scales** (full, diag: ``K * D``; tied, EEI: ``D``; spherical: ``K``; EII: one):
  ``log(sds_std)``, each ``sd_scale`` times a chi(``sd_dof``) variable (PyMC's log
  transform: log-Jacobian ``log sd``);
- **volume and shape** (VEI, VEE, VEV: ``K`` volumes and one shape; EVI, EVV, EVE:
  one volume and ``K`` shapes; VVE: ``K`` of each; EEV: one of each):
  ``log_volume_std`` values, Normal(``2 log sd_scale``, ``volume_sd``), then
  ``log_shape`` rows of ``D`` values summing to 0 on PyMC's ``ZeroSumTransform``
  (``D - 1`` unconstrained values per row, an orthonormal map: log-Jacobian 0) with a
  ``ZeroSumNormal(shape_sd)`` prior. The component standard deviations are
  ``sd[k, j] = exp((log_volume[k] + log_shape[k, j]) / 2)``.

VEE and EVV (``Sigma_k = lambda_k C``, ``Sigma_k = lambda C_k``, ``det C = 1``) add LKJ
correlation factors ``R`` (after this block in ``theta``): their factor is
``diag(sd) R`` with ``sd`` divided by ``det(R R^T)**(1 / (2 D))``
(:func:`normalise_determinant`), so that ``det Sigma_k = lambda_k**D``;
:func:`determinant_pullback` is that step's chain rule.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs bayesgmm's cache locator before any cached function is compiled
import bayesgmm.bayes.cache  # noqa: F401

__all__ = [
    "DENSE_TYPES",
    "ORIENTED_TYPES",
    "PER_COMPONENT_CORR_TYPES",
    "PER_COMPONENT_ORIENTATION_TYPES",
    "SHARED_FACTOR_TYPES",
    "TYPE_CODES",
    "UNIT_DETERMINANT_TYPES",
    "n_scale_values",
    "n_sds",
]

#: covariance structure -> integer code used inside the kernels
TYPE_CODES = {
    "full": 0, "tied": 1, "diag": 2, "spherical": 3, "EII": 4, "EEI": 5, "VEI": 6, "EVI": 7,
    "VEE": 8, "EVV": 9, "EVE": 10, "VVE": 11, "EEV": 12, "VEV": 13,
}  # fmt: skip
(_FULL, _TIED, _DIAG, _SPHERICAL, _EII, _EEI, _VEI, _EVI, _VEE, _EVV,
 _EVE, _VVE, _EEV, _VEV) = range(14)  # fmt: skip
#: the codes whose Cholesky factors are dense (LKJ correlations)
DENSE_TYPES = (_FULL, _TIED, _VEE, _EVV)
#: the dense codes with one LKJ correlation factor per component (the others share one)
PER_COMPONENT_CORR_TYPES = (_FULL, _EVV)
#: the codes whose covariance is a volume times a unit-determinant matrix with correlations
UNIT_DETERMINANT_TYPES = (_VEE, _EVV)
#: the codes with an explicit orientation (Cayley parameters after the scale block)
ORIENTED_TYPES = (_EVE, _VVE, _EEV, _VEV)
#: the oriented codes with one orientation per component (the others share one)
PER_COMPONENT_ORIENTATION_TYPES = (_EEV, _VEV)
#: the volume-and-shape codes; those with a volume per component; a shape per component
_VOLUME_SHAPE = (_VEI, _EVI, _VEE, _EVV, *ORIENTED_TYPES)
_VARYING_VOLUME = (_VEI, _VEE, _VVE, _VEV)
_VARYING_SHAPE = (_EVI, _EVV, _EVE, _VVE)
#: the codes whose components share one Cholesky factor
SHARED_FACTOR_TYPES = (_TIED, _EII, _EEI)

_jit = numba.njit(nogil=True, error_model="numpy")


@_jit
def n_scale_values(code: int, K: int, D: int) -> int:
    """Length of the covariance-scale block of ``theta``.

    Examples
    --------
    >>> n_scale_values(TYPE_CODES["VEI"], 3, 2), n_scale_values(TYPE_CODES["EVI"], 3, 2)
    (4, 4)
    >>> n_scale_values(TYPE_CODES["EII"], 3, 2), n_scale_values(TYPE_CODES["EEI"], 3, 2)
    (1, 2)
    >>> n_scale_values(TYPE_CODES["VEE"], 3, 2), n_scale_values(TYPE_CODES["EVV"], 3, 2)
    (4, 4)
    """
    if code in _VOLUME_SHAPE:
        n_vol = K if code in _VARYING_VOLUME else 1
        return n_vol + (K if code in _VARYING_SHAPE else 1) * (D - 1)
    return n_sds(code, K, D)


@_jit
def n_sds(code: int, K: int, D: int) -> int:
    """Number of standard deviations the block gives (``sd`` of :func:`constrain_scales`).

    Examples
    --------
    >>> n_sds(TYPE_CODES["EII"], 3, 2), n_sds(TYPE_CODES["VEI"], 3, 2)
    (1, 6)
    """
    if code in (_TIED, _EEI):
        return D
    if code == _SPHERICAL:
        return K
    if code == _EII:
        return 1
    return K * D


@_jit
def _zerosum_extend(y, D, out):
    """PyMC's ``ZeroSumTransform.backward``: ``D - 1`` values ``y`` -> ``D`` summing to 0."""
    n = float(D)
    total = 0.0
    for j in range(D - 1):
        total += y[j]
    norm = total / (math.sqrt(n) + n)
    for j in range(D - 1):
        out[j] = y[j] - norm
    out[D - 1] = -total / math.sqrt(n)


@_jit
def _zerosum_pullback(g_v, D, out):
    """Gradient with respect to ``y`` of one with respect to ``_zerosum_extend(y)``."""
    n = float(D)
    head = 0.0
    for j in range(D - 1):
        head += g_v[j]
    for i in range(D - 1):
        out[i] = g_v[i] - head / (math.sqrt(n) + n) - g_v[D - 1] / math.sqrt(n)


@_jit
def constrain_scales(block, code, K, D):
    """Standard deviations (``(n_sds,)``, standardised units) of a scale block of ``theta``.

    The volume-shape models give ``K * D`` values (component-major; VEE and EVV before
    :func:`normalise_determinant`; EVE, VVE, EEV and VEV the square roots of the
    eigenvalues ``lambda_k A_k``); the others ``exp(block)``.
    """
    if code not in _VOLUME_SHAPE:
        return np.exp(block)
    varying = code in _VARYING_VOLUME
    rows = code in _VARYING_SHAPE
    n_vol = K if varying else 1
    n_rows = K if rows else 1
    shape = np.empty((n_rows, D))
    for r in range(n_rows):
        _zerosum_extend(block[n_vol + r * (D - 1) :], D, shape[r])
    sd = np.empty(K * D)
    for k in range(K):
        volume = block[k if varying else 0]
        row = k if rows else 0
        for j in range(D):
            sd[k * D + j] = math.exp(0.5 * (volume + shape[row, j]))
    return sd


@_jit
def scale_prior(block, grad, sd, g_sd, code, K, D, sd_scale, dof, volume_sd, shape_sd):
    """Non-constant log-prior (log-Jacobian included) of a scale block; its gradient.

    ``g_sd`` is the gradient of the rest of the log-density with respect to ``sd``;
    the total gradient with respect to ``block`` is written into ``grad`` (of the
    same length). Returns the log-prior without the constants of
    :func:`bayesgmm.bayes.compiled_model.CompiledMixture`'s prior constant.
    """
    logp = 0.0
    if code not in _VOLUME_SHAPE:
        # sd_scale x chi(dof) (dof = 1: half-normal) on the log scale, Jacobian included:
        # const - sd^2 / (2 s^2) + dof log sd
        inv_ss2 = 1.0 / (sd_scale * sd_scale)
        for i in range(sd.shape[0]):
            logp += -0.5 * sd[i] * sd[i] * inv_ss2 + dof * block[i]
            grad[i] = (g_sd[i] - sd[i] * inv_ss2) * sd[i] + dof
        return logp
    varying = code in _VARYING_VOLUME
    rows = code in _VARYING_SHAPE
    n_vol = K if varying else 1
    n_rows = K if rows else 1
    g_vol = np.zeros(n_vol)
    g_shape = np.zeros((n_rows, D))
    for k in range(K):
        for j in range(D):
            g = 0.5 * g_sd[k * D + j] * sd[k * D + j]  # d/d log sd = sd d/d sd
            g_vol[k if varying else 0] += g
            g_shape[k if rows else 0, j] += g
    # Normal(2 log sd_scale, volume_sd) log-volumes
    centre = 2.0 * math.log(sd_scale)
    inv_v2 = 1.0 / (volume_sd * volume_sd)
    for c in range(n_vol):
        delta = block[c] - centre
        logp -= 0.5 * delta * delta * inv_v2
        grad[c] = g_vol[c] - delta * inv_v2
    # ZeroSumNormal(shape_sd) log-shapes: -0.5 sum v^2 / s^2 on the constrained values
    inv_s2 = 1.0 / (shape_sd * shape_sd)
    shape = np.empty(D)
    for r in range(n_rows):
        first = n_vol + r * (D - 1)
        _zerosum_extend(block[first:], D, shape)
        for j in range(D):
            logp -= 0.5 * shape[j] * shape[j] * inv_s2
            g_shape[r, j] -= shape[j] * inv_s2
        _zerosum_pullback(g_shape[r], D, grad[first:])
    return logp


@_jit
def normalise_determinant(sd, R, code, K, D):
    """VEE, EVV: divide ``sd`` in place by ``det(R R^T)**(1 / (2 D))`` of each factor.

    ``R`` (``(n_mats, D, D)``) are the LKJ correlation Cholesky factors (one shared for
    VEE, one per component for EVV). Afterwards ``diag(sd_k) R`` has determinant
    ``exp(sum_j log_volume + log_shape)**(1/2)``: ``Sigma_k = lambda_k C_k`` with
    ``det C_k = 1``, ``log det Sigma_k = D log lambda_k``.
    """
    for k in range(K):
        f = k if code == _EVV else 0
        log_det = 0.0
        for m in range(D):
            log_det += math.log(R[f, m, m])
        factor = math.exp(-log_det / D)
        for i in range(D):
            sd[k * D + i] *= factor


@_jit
def determinant_pullback(sd, g_sd, R, g_R, code, K, D):
    """Chain rule of :func:`normalise_determinant` into ``g_R`` (added to its diagonal).

    ``sd`` are the normalised values, ``g_sd`` the gradient with respect to them.
    ``log sd[k, i]`` moves by ``-1/D`` per unit of ``log R[f, m, m]``; the gradient
    with respect to the values before normalisation is unchanged in ``log`` scale
    (``g_sd * sd``), so ``g_sd`` itself needs no change.
    """
    for k in range(K):
        f = k if code == _EVV else 0
        total = 0.0
        for i in range(D):
            total += g_sd[k * D + i] * sd[k * D + i]
        for m in range(D):
            g_R[f, m, m] -= total / (D * R[f, m, m])
