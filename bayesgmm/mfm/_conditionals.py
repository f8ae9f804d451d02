"""Gibbs conditionals of one Gaussian component, compiled: draws and log-densities.

A component has a mean ``mu ~ N(b0, B0)`` and a precision ``P`` whose prior depends on
the covariance structure (Frühwirth-Schnatter's parametrisation, rates not scales):

- ``full`` (``FULL``): ``P ~ W(c0, C0)``, density proportional to
  ``|P|^(c0 - (d + 1)/2) exp(-tr(C0 P))``;
- ``diag`` (``DIAG``): ``P = diag(p_1..p_d)``, ``p_j ~ Gamma(c0, rate C0_jj)``;
- ``spherical`` (``SPHERICAL``): ``P = p I``, ``p ~ Gamma(c0, rate C0_00)``.

In one dimension the three coincide. Given ``m`` observations with scatter ``S``
about ``mu``, the precision's conditional is ``W(c0 + m/2, C0 + S/2)``,
``Gamma(c0 + m/2, C0_jj + S_jj/2)`` per coordinate, or ``Gamma(c0 + m d/2, C0_00 +
tr(S)/2)``; given ``P`` and the observations' sum ``s``, the mean's is normal with
precision ``B0^-1 + m P`` and precision-times-mean ``B0^-1 b0 + P s``. The sweep
(:mod:`bayesgmm.mfm._sampler`) draws from them; the split-merge move
(:mod:`bayesgmm.mfm._split_merge`) also needs their log-densities, for its proposal
probabilities. Precisions are kept as ``d x d`` matrices for every structure (zeros
off the diagonal for ``diag``), so the Gaussian algebra is shared.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401
from bayesgmm.core.numba_kernels import centre, cholesky, lower_inverse, whitened_log_density

__all__ = ["DIAG", "FULL", "SPHERICAL", "STRUCTURES"]

FULL, DIAG, SPHERICAL = 0, 1, 2
#: the structures' names, by code
STRUCTURES = ("full", "diag", "spherical")
_LOG_2PI = math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _gram(factor, out):  # pragma: no cover
    """``out = factor factor'`` (symmetric)."""
    d = factor.shape[0]
    for a in range(d):
        for b in range(a + 1):
            total = 0.0
            for m in range(d):
                total += factor[a, m] * factor[b, m]
            out[a, b] = total
            out[b, a] = total


@_jit
def _wishart(rng, shape, rate, out, work, floor):  # pragma: no cover
    """A draw of ``W(shape, rate)`` (density ``|W|^(shape - (d+1)/2) exp(-tr(rate W))``).

    This is the standard Wishart with ``2 shape`` degrees of freedom and scale
    ``(2 rate)^-1``, drawn by Bartlett's decomposition: with ``2 rate = L L'`` and
    ``A`` lower triangular (``A_jj^2 ~ chi2(2 shape - j)``, ``A_ij ~ N(0, 1)`` below
    the diagonal), ``W = L^-T A A' L^-1``. Returns False if ``rate`` is not
    positive definite.
    """
    d = rate.shape[0]
    lower, inverse_lower, bartlett, factor = work[0], work[1], work[2], work[3]
    for a in range(d):
        for b in range(d):
            factor[a, b] = 2.0 * rate[a, b]
    if not cholesky(factor, floor, lower):
        return False
    lower_inverse(lower, inverse_lower)
    bartlett[:] = 0.0
    for j in range(d):
        bartlett[j, j] = math.sqrt(2.0 * rng.standard_gamma(shape - 0.5 * j))
        for i in range(j + 1, d):
            bartlett[i, j] = rng.standard_normal()
    # factor = L^-T A (L^-T is upper triangular: (L^-1)[m, a] for m >= a)
    for a in range(d):
        for b in range(d):
            total = 0.0
            for m in range(max(a, b), d):
                total += inverse_lower[m, a] * bartlett[m, b]
            factor[a, b] = total
    _gram(factor, out)
    return True


@_jit
def _log_det(matrix, floor, lower):  # pragma: no cover
    """``log |matrix|`` by its Cholesky factor (into ``lower``); NaN if not PD."""
    if not cholesky(matrix, floor, lower):
        return np.nan
    total = 0.0
    for a in range(matrix.shape[0]):
        total += 2.0 * math.log(lower[a, a])
    return total


@_jit
def _log_wishart(value, shape, rate, work, floor):  # pragma: no cover
    """``log W(value | shape, rate)`` (normalised); ``-inf`` if a matrix is not PD."""
    d = rate.shape[0]
    log_det_value = _log_det(value, floor, work[0])
    log_det_rate = _log_det(rate, floor, work[0])
    if not (math.isfinite(log_det_value) and math.isfinite(log_det_rate)):
        return -np.inf
    trace = 0.0
    for a in range(d):
        for b in range(d):
            trace += rate[a, b] * value[b, a]
    log_norm = 0.25 * d * (d - 1) * _LOG_PI
    for j in range(d):
        log_norm += math.lgamma(shape - 0.5 * j)
    return (shape - 0.5 * (d + 1)) * log_det_value - trace + shape * log_det_rate - log_norm


@_jit
def _log_gamma_density(value, shape, rate):  # pragma: no cover
    """``log Gamma(value | shape, rate)``."""
    if not (value > 0.0 and rate > 0.0):
        return -np.inf
    return (
        (shape - 1.0) * math.log(value) - rate * value + shape * math.log(rate) - math.lgamma(shape)
    )


@_jit
def precision_conditional(structure, c0, C0, scatter, m, rate):  # pragma: no cover
    """The conditional's shape (returned) and rate (into ``rate``) given ``m`` and ``S``.

    ``m = 0`` and ``S = 0`` give the prior. For ``spherical``, ``rate[0, 0]`` holds the
    scalar rate; for ``diag``, the diagonal.
    """
    d = C0.shape[0]
    if structure == SPHERICAL:
        trace = 0.0
        for a in range(d):
            trace += scatter[a, a]
        rate[0, 0] = C0[0, 0] + 0.5 * trace
        return c0 + 0.5 * m * d
    for a in range(d):
        for b in range(d):
            rate[a, b] = C0[a, b] + 0.5 * scatter[a, b]
    return c0 + 0.5 * m


@_jit
def draw_precision(rng, structure, shape, rate, out, work, floor):  # pragma: no cover
    """``out`` from the precision distribution ``(shape, rate)`` of ``structure``.

    Returns False if a matrix lost positive definiteness.
    """
    d = out.shape[0]
    if structure == FULL:
        return _wishart(rng, shape, rate, out, work, floor)
    out[:] = 0.0
    if structure == SPHERICAL:
        value = rng.standard_gamma(shape) / rate[0, 0]
        for a in range(d):
            out[a, a] = value
        return value > 0.0 and math.isfinite(value)
    for a in range(d):
        out[a, a] = rng.standard_gamma(shape) / rate[a, a]
        if not (out[a, a] > 0.0 and math.isfinite(out[a, a])):
            return False
    return True


@_jit
def log_precision(structure, shape, rate, value, work, floor):  # pragma: no cover
    """``log p(value)`` under the precision distribution ``(shape, rate)`` of ``structure``."""
    if structure == FULL:
        return _log_wishart(value, shape, rate, work, floor)
    if structure == SPHERICAL:
        return _log_gamma_density(value[0, 0], shape, rate[0, 0])
    total = 0.0
    for a in range(value.shape[0]):
        total += _log_gamma_density(value[a, a], shape, rate[a, a])
    return total


@_jit
def mean_conditional(precision, B0_inv, B0_inv_b0, sums, m, joint, shift):  # pragma: no cover
    """The mean's conditional: precision ``joint = B0^-1 + m P``, ``shift = B0^-1 b0 + P s``."""
    d = precision.shape[0]
    for a in range(d):
        total = B0_inv_b0[a]
        for b in range(d):
            total += precision[a, b] * sums[b]
            joint[a, b] = B0_inv[a, b] + m * precision[a, b]
        shift[a] = total


@_jit
def draw_gaussian(rng, precision, shift, out, work, floor):  # pragma: no cover
    """``out ~ N(precision^-1 shift, precision^-1)``; False if ``precision`` is not PD."""
    d = precision.shape[0]
    lower, inverse_lower = work[0], work[1]
    half = work[2, 0]  # a scratch row
    if not cholesky(precision, floor, lower):
        return False
    lower_inverse(lower, inverse_lower)
    # mean = L^-T L^-1 shift; draw = mean + L^-T z
    for a in range(d):
        total = 0.0
        for m in range(a + 1):
            total += inverse_lower[a, m] * shift[m]
        half[a] = total + rng.standard_normal()
    for a in range(d):
        total = 0.0
        for m in range(a, d):
            total += inverse_lower[m, a] * half[m]
        out[a] = total
    return True


@_jit
def log_gaussian(precision, shift, value, work, floor):  # pragma: no cover
    """``log N(value | precision^-1 shift, precision^-1)``; ``-inf`` if not PD.

    With ``L L' = precision``: ``log|L| - d/2 log 2 pi - |L' x - L^-1 shift|^2 / 2``.
    """
    d = precision.shape[0]
    lower, inverse_lower = work[0], work[1]
    if not cholesky(precision, floor, lower):
        return -np.inf
    lower_inverse(lower, inverse_lower)
    total = -0.5 * d * _LOG_2PI
    quad = 0.0
    for a in range(d):
        total += math.log(lower[a, a])
        value_a = 0.0
        for m in range(a, d):
            value_a += lower[m, a] * value[m]
        white = 0.0
        for m in range(a + 1):
            white += inverse_lower[a, m] * shift[m]
        quad += (value_a - white) ** 2
    return total - 0.5 * quad


@_jit
def scatter_about(count, sums, centred, mean, out):  # pragma: no cover
    """``sum_i (x_i - mean)(x_i - mean)'`` from the count, sums and centred scatter.

    With ``xbar`` the sample mean and ``C`` the scatter about it (``centred``):
    ``C + count (xbar - mean)(xbar - mean)'``. Both terms are non-negative: no
    cancellation, even for clusters whose spread is many orders of magnitude below
    their distance from the origin.
    """
    d = mean.shape[0]
    for a in range(d):
        for b in range(d):
            out[a, b] = centred[a, b]
            if count > 0:
                out[a, b] += count * (sums[a] / count - mean[a]) * (sums[b] / count - mean[b])


@_jit
def log_likelihood(count, sums, squares, mean, precision, scatter, work, floor):  # pragma: no cover
    """``sum_i log N(x_i | mean, precision^-1)`` from the sufficient statistics."""
    d = mean.shape[0]
    if count == 0:
        return 0.0
    scatter_about(count, sums, squares, mean, scatter)
    log_det = _log_det(precision, floor, work[0])
    if not math.isfinite(log_det):
        return -np.inf
    trace = 0.0
    for a in range(d):
        for b in range(d):
            trace += precision[a, b] * scatter[b, a]
    return 0.5 * count * (log_det - d * _LOG_2PI) - 0.5 * trace


@_jit
def draw_c0(
    rng, structure, g0, G0, c0, precisions, n_filled, out, scratch, work, floor
):  # pragma: no cover
    """``C0`` given the filled components' precisions (a Wishart or Gamma conditional).

    ``full``: ``W(g0 + K+ c0, G0 + sum_k P_k)``; ``diag``: per coordinate
    ``Gamma(g0 + K+ c0, G0_jj + sum_k P_k,jj)``; ``spherical``: ``Gamma(g0 + K+ c0,
    G0_00 + sum_k p_k)``, written on the whole diagonal. False if not PD.
    """
    d = G0.shape[0]
    for a in range(d):
        for b in range(d):
            total = G0[a, b]
            for k in range(n_filled):
                total += precisions[k, a, b]
            scratch[a, b] = total
    return draw_precision(rng, structure, g0 + n_filled * c0, scratch, out, work, floor)


@_jit
def precision_whitening(precision, floor, reversed_, lower, out):  # pragma: no cover
    """Lower-triangular ``out`` with ``out' out = precision``; False if not PD.

    The Cholesky factor of the precision with its coordinates reversed (``J P J =
    L L'``, ``J`` the reversal) gives ``out = J L' J``: one factorisation, where
    going through the covariance would take two and two triangular inverses.
    ``|out (x - mu)|^2`` is then the Mahalanobis distance :func:`_log_density` needs.
    """
    d = precision.shape[0]
    for a in range(d):
        for b in range(d):
            reversed_[a, b] = precision[d - 1 - a, d - 1 - b]
    if not cholesky(reversed_, floor, lower):
        return False
    for a in range(d):
        for b in range(d):
            out[a, b] = lower[d - 1 - b, d - 1 - a]
    return True


@_jit
def component_log_density(
    Xt, mean, precision, weight, out, centred, row_work, mats, floor
):  # pragma: no cover
    """``log weight + log N(y_i | mean, precision^-1)`` for every observation, into ``out``.

    Returns False if the precision is not positive definite.
    """
    d = Xt.shape[0]
    if not precision_whitening(precision, floor, mats[0], mats[1], mats[2]):
        return False
    const = -0.5 * d * _LOG_2PI
    for a in range(d):
        const += math.log(mats[2, a, a])
    const += math.log(weight) if weight > 0 else -np.inf
    centre(Xt, mean, centred)
    whitened_log_density(centred, mats[2], const, out, row_work)
    return True
