"""Compiled log-density and gradient of the marginalised mixture (Numba, any K, D, N).

These kernels compute, for a point ``theta`` of the unconstrained parameter space,
exactly the log-density of the PyMC model of :func:`bayesgmm.bayes.build_model`
(priors, transforms with their log-Jacobians, and the marginal likelihood of the
observed cells of every row) and its gradient, in one pass over the data. The number
of components, features, rows and missingness patterns and the covariance structure
are run-time arguments, so the machine code is compiled once per machine and stored
in bayesgmm's cache (:mod:`bayesgmm.bayes.cache`); no model is compiled per data
shape.

Layout of ``theta`` (PyMC's order of free variables, each flattened in C order):

1. ``weights`` on PyMC's simplex transform (``K - 1`` values), or, with the uniform
   noise component, ``proportions`` (the ``K`` Gaussian weights and the noise
   proportion last) on it (``K`` values);
2. ``means_std`` (``K * D``), or ``means_ordered`` on PyMC's ordered transform (``K``,
   one feature);
3. the covariance scales (:mod:`bayesgmm.bayes.scale_kernels`): ``log(sds_std)``
   (``K * D`` full and diag, ``D`` tied and EEI, ``K`` spherical, one EII), or for VEI,
   EVI, VEE and EVV ``log_volume_std`` (``K`` VEI and VEE, one EVI and EVV) then
   ``log_shape`` on PyMC's zero-sum transform (``D - 1`` VEI and VEE, ``K * (D - 1)``
   EVI and EVV);
4. the LKJ correlation Cholesky factors on PyMC's ``CholeskyCorrTransform`` (``K * M``
   full and EVV, ``M`` tied and VEE, ``M = D (D - 1) / 2``; none for one feature), or
   the orientations' Cayley parameters (:mod:`bayesgmm.bayes.orientation_kernels`;
   ``M`` EVE and VVE, ``K * M`` EEV and VEV).

Data are passed standardised (``z = (x - center) / scale``, missing cells 0), the rows
stored transposed (``zt``, ``(D, N)``) with the rows grouped by missingness pattern
(``starts``; one pattern for complete data), their weights in the same order. The
noise component's density is constant within a pattern: ``noise_shift[p]`` is its log
minus the pattern's Gaussian constant ``pattern_const[p]`` (both in data units, so the
standardisation's Jacobian cancels).
Everything a model needs is packed into one float64 buffer (:func:`pack`; indices
are stored as exact float64 integers), whose address is the user data of the C
callbacks :func:`c_log_density` and :func:`c_expand` that nutpie calls from its own
threads: no Python and no GIL per gradient.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs bayesgmm's cache locator before any cached function below is defined
import bayesgmm.bayes.cache  # noqa: F401
from bayesgmm.bayes.orientation_kernels import cayley, cayley_pullback, haar_prior
from bayesgmm.bayes.row_block_math import log_block, normalise_block
from bayesgmm.bayes.scale_kernels import (
    DENSE_TYPES,
    ORIENTED_TYPES,
    PER_COMPONENT_CORR_TYPES,
    PER_COMPONENT_ORIENTATION_TYPES,
    SHARED_FACTOR_TYPES,
    TYPE_CODES,
    UNIT_DETERMINANT_TYPES,
    constrain_scales,
    determinant_pullback,
    n_scale_values,
    n_sds,
    normalise_determinant,
    scale_prior,
)
from bayesgmm.core.numba_kernels import cholesky, lower_inverse

__all__ = [
    "DENSE_TYPES",
    "TYPE_CODES",
    "constrain_draws",
    "log_density",
    "n_unconstrained",
]

_TIED, _SPHERICAL, _EII, _EEI = (TYPE_CODES[name] for name in ("tied", "spherical", "EII", "EEI"))

#: helpers: compiled into the cached entry points that call them
_jit = numba.njit(nogil=True, error_model="numpy")
#: the row-block kernel: reassociation lets LLVM vectorise its sums over rows
_jit_fast = numba.njit(nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
#: rows per block of the likelihood pass (its scratch stays in the L1/L2 cache)
_BLOCK = 128
#: entry points called from Python, cached on disk (:mod:`bayesgmm.bayes.cache`)
_jit_cached = numba.njit(cache=True, nogil=True, error_model="numpy")


def n_unconstrained(
    code: int, n_components: int, n_features: int, ordered: bool, noise: bool = False
) -> int:
    """Length of ``theta`` for a model (``noise``: with the uniform noise component).

    Examples
    --------
    >>> n_unconstrained(TYPE_CODES["full"], 2, 2, False)  # 1 + 4 + 4 + 2
    11
    >>> n_unconstrained(TYPE_CODES["full"], 2, 2, False, noise=True)
    12
    """
    K, D = n_components, n_features
    n = K - 1 + int(noise) + (K if ordered else K * D) + n_scale_values(code, K, D)
    return n + _n_corr_matrices(code, K, D) * (D * (D - 1) // 2)


def _n_corr_matrices(code: int, K: int, D: int) -> int:
    if D < 2 or (code not in DENSE_TYPES and code not in ORIENTED_TYPES):
        return 0
    per_component = code in PER_COMPONENT_CORR_TYPES or code in PER_COMPONENT_ORIENTATION_TYPES
    return K if per_component else 1


# ----------------------------------------------------------------------- transforms
@_jit
def _constrain(theta, code, K, D, ordered, spiral_rows, spiral_cols, ratio, noise):
    """Parameters from ``theta``: weights, log weights, means, sds, R and the W rows.

    Returns ``(w, log_w, mu, sd, R, W)`` in standardised units: ``w`` has ``K + 1``
    entries with ``noise`` (the noise proportion last), ``K`` otherwise; ``sd`` has the shape
    of ``sds_std`` flattened to ``(n_sd,)`` (VEI, EVI, VEE, EVV: the ``K * D`` component
    standard deviations, VEE and EVV of unit-determinant factors times the volume's
    root); ``R`` (``(n_mats, D, D)``) are the LKJ
    correlation Cholesky factors (identity rows for non-dense types) and ``W`` their
    unnormalised rows (strictly lower part from ``theta``, unit diagonal).
    """
    # weights: z = (y, -sum y), w = softmax(z)
    n_w = K + 1 if noise else K
    zw = np.empty(n_w)
    total = 0.0
    for k in range(n_w - 1):
        zw[k] = theta[k]
        total += theta[k]
    zw[n_w - 1] = -total
    top = zw.max()
    acc = 0.0
    for k in range(n_w):
        acc += math.exp(zw[k] - top)
    lse = top + math.log(acc)
    log_w = zw - lse
    w = np.exp(log_w)
    pos = n_w - 1
    mu = np.empty((K, D))
    if ordered:
        mu[0, 0] = theta[pos]
        for k in range(1, K):
            mu[k, 0] = mu[k - 1, 0] + math.exp(theta[pos + k])
        pos += K
    else:
        for k in range(K):
            for j in range(D):
                mu[k, j] = theta[pos + k * D + j]
        pos += K * D
    n_block = n_scale_values(code, K, D)
    sd = constrain_scales(theta[pos : pos + n_block], code, K, D)
    pos += n_block
    # one factor per component for full and EVV, one otherwise (identity unless LKJ);
    # oriented models: R holds the rotations, W the inverses (I + S)^-1 of the Cayley map
    n_R = K if code in PER_COMPONENT_CORR_TYPES or code in PER_COMPONENT_ORIENTATION_TYPES else 1
    has_corr = D > 1 and code in DENSE_TYPES
    M = D * (D - 1) // 2
    W = np.zeros((n_R, D, D))
    R = np.zeros((n_R, D, D))
    if code in ORIENTED_TYPES:
        for f in range(n_R):
            if D > 1:
                cayley(theta[pos + f * M : pos + (f + 1) * M], D, R[f], W[f])
            else:
                R[f, 0, 0] = 1.0
                W[f, 0, 0] = 1.0
        return w, log_w, mu, sd, R, W
    for f in range(n_R):
        for i in range(D):
            W[f, i, i] = 1.0
        if has_corr:
            for m in range(M):
                W[f, int(spiral_rows[m]), int(spiral_cols[m])] = theta[pos + f * M + m]
        for i in range(D):
            norm = 0.0
            for j in range(i + 1):
                norm += W[f, i, j] * W[f, i, j]
            norm = math.sqrt(norm)
            for j in range(i + 1):
                R[f, i, j] = W[f, i, j] / norm
    if code in UNIT_DETERMINANT_TYPES:
        normalise_determinant(sd, R, code, K, D)
    return w, log_w, mu, sd, R, W


@_jit
def _sd_index(code, f, i, D):
    """Index in ``sd`` of the diagonal entry ``i`` of factor ``f`` (diagonal models)."""
    if code == _SPHERICAL:
        return f
    if code == _EII:
        return 0
    if code == _EEI:
        return i
    return f * D + i  # diag, VEI, EVI


@_jit
def _sd_factor(code, ratio, i):
    """Multiplier of that ``sd``: the data-isotropy ratio (spherical, EII) or 1."""
    return ratio[i] if code in (_SPHERICAL, _EII) else 1.0


@_jit_cached
def constrain_draws(thetas, code, K, D, ordered, spiral_rows, spiral_cols, ratio, noise):
    """Constrained parameters of many draws (rows of ``thetas``), standardised units.

    Returns ``weights (S, K)`` (``(S, K + 1)`` with ``noise``, its last column the
    noise proportion), ``means (S, K, D)``, ``sds (S, n_sd)``, ``corr_chol
    (S, n_mats, D, D)`` and ``chol (S, K, D, D)`` (the covariance Cholesky factors of
    every component; tied, EII and EEI repeat one).
    """
    S = thetas.shape[0]
    n_sd = n_sds(code, K, D)
    n_mats = _n_factor_matrices(code, K)
    weights = np.empty((S, K + 1 if noise else K))
    means = np.empty((S, K, D))
    sds = np.empty((S, n_sd))
    corr = np.empty((S, n_mats, D, D))
    chol = np.zeros((S, K, D, D))
    sigma = np.empty((D, D))
    floor = np.zeros(D)
    for s in range(S):
        w, _, mu, sd, R, _ = _constrain(
            thetas[s], code, K, D, ordered, spiral_rows, spiral_cols, ratio, noise
        )
        weights[s] = w
        means[s] = mu
        sds[s] = sd
        corr[s] = R
        for k in range(K):
            f = k if n_mats > 1 else 0
            for i in range(D):
                if code in DENSE_TYPES:
                    idx = i if code == _TIED else k * D + i
                    for j in range(i + 1):
                        chol[s, k, i, j] = sd[idx] * R[f, i, j]
                elif code in ORIENTED_TYPES:
                    continue
                else:
                    chol[s, k, i, i] = sd[_sd_index(code, k, i, D)] * _sd_factor(code, ratio, i)
            if code in ORIENTED_TYPES:  # Sigma_k = diag(ratio) Q diag(sd_k^2) Q^T diag(ratio)
                for i in range(D):
                    for j in range(i + 1):
                        acc = 0.0
                        for m in range(D):
                            acc += R[f, i, m] * R[f, j, m] * sd[k * D + m] * sd[k * D + m]
                        sigma[i, j] = acc * ratio[i] * ratio[j]
                        sigma[j, i] = acc * ratio[i] * ratio[j]
                cholesky(sigma, floor, chol[s, k])
    return weights, means, sds, corr, chol


@_jit
def _n_factor_matrices(code, K):
    """Number of correlation factors or rotations in ``R`` (``_constrain``)."""
    if code in PER_COMPONENT_CORR_TYPES or code in PER_COMPONENT_ORIENTATION_TYPES:
        return K
    return 1


# ----------------------------------------------------------------------- small algebra
@_jit
def _solve_upper_t(C, d, b):
    """Solve ``C^T x = b`` in place (``C`` lower triangular, leading ``d`` block)."""
    for i in range(d - 1, -1, -1):
        acc = b[i]
        for m in range(i + 1, d):
            acc -= C[m, i] * b[m]
        b[i] = acc / C[i, i]


# ----------------------------------------------------------------------- likelihood
@_jit_fast
def _mixture_pass(zt, row_weight, starts, observed, pattern_const, noise_shift, log_w, mu,
                  F, tied, diagonal, square, g_logw, g_mu, g_F):  # fmt: skip
    """Mixture log-likelihood for lower Cholesky factors ``F`` (``(KF, D, D)``).

    ``tied``: one factor for every component; ``diagonal``: the factors are diagonal
    (diag and spherical models; only diagonal terms are computed); ``square``: ``F``
    is any square root of the covariance (``Sigma = F F^T``, not triangular: the
    oriented models' ``Q diag(sd)``), factorised here, and ``g_F`` is dense. When ``log_w``
    has ``K + 1`` entries the last is the noise component's, whose log-density in
    pattern ``p`` is ``noise_shift[p]`` plus the pattern's constant. Rows are processed
    in blocks with the rows in the innermost, contiguous loops (vectorised). Adds the
    gradient with respect to ``log_w``, ``mu`` and ``F`` into ``g_*`` and returns the
    log-likelihood, or NaN if an observed block is not positive definite.
    """
    D = zt.shape[0]
    K = mu.shape[0]
    n_w = log_w.shape[0]  # K + 1 with the noise component
    KF = F.shape[0]
    total = 0.0
    obs = np.empty(D, np.int64)
    C = np.zeros((KF, D, D))
    Ci = np.zeros((KF, D, D))
    S = np.empty((D, D))
    positive = np.zeros(D)  # pivot floor of the observed blocks' factors: above 0 only
    offset = np.empty(K)  # log w_k - log det C_k
    cm = np.empty((K, D))  # C^-1 mu_o
    Zt = np.empty((D, _BLOCK))  # observed cells of a block of rows, transposed
    W = np.empty((D, _BLOCK))  # tied: C^-1 z
    Y = np.empty((K, D, _BLOCK))  # u = C^-1 (z_o - mu_o)
    lp = np.empty((n_w, _BLOCK))
    weights = np.empty(_BLOCK)
    row_max = np.empty(_BLOCK)
    row_sum = np.empty(_BLOCK)
    log_sum = np.empty(_BLOCK)
    bits = np.empty(_BLOCK, np.int64)
    y = np.empty(D)
    nk = np.empty(n_w)
    V = np.empty((K, D))
    U = np.empty((K, D, D))
    B = np.empty((D, D))
    for p in range(starts.shape[0] - 1):
        d = 0
        for j in range(D):
            if observed[p, j] != 0.0:
                obs[d] = j
                d += 1
        for f in range(KF):
            if d == D and not square:
                for i in range(D):
                    for j in range(D):
                        C[f, i, j] = F[f, i, j] if j <= i else 0.0
            else:  # factor of the observed block F[o, :] F[o, :]^T
                for a in range(d):
                    for b in range(a + 1):
                        acc = 0.0
                        for m in range(D):
                            acc += F[f, obs[a], m] * F[f, obs[b], m]
                        S[a, b] = acc
                        S[b, a] = acc
                if not cholesky(S[:d, :d], positive[:d], C[f, :d, :d]):
                    return math.nan
            lower_inverse(C[f, :d, :d], Ci[f, :d, :d])
        for k in range(K):
            f = 0 if tied else k
            acc = 0.0
            for a in range(d):
                acc += math.log(C[f, a, a])
                value = 0.0
                for m in range(a + 1):
                    value += Ci[f, a, m] * mu[k, obs[m]]
                cm[k, a] = value
            offset[k] = log_w[k] - acc
        nk[:] = 0.0
        V[:] = 0.0
        U[:] = 0.0
        weight_sum = 0.0
        stop = int(starts[p + 1])
        for first in range(int(starts[p]), stop, _BLOCK):
            nb = min(_BLOCK, stop - first)
            for i in range(nb):
                weights[i] = row_weight[first + i]
            for a in range(d):  # contiguous copies: rows are stored in pattern order
                row = obs[a]
                for i in range(nb):
                    Zt[a, i] = zt[row, first + i]
            if tied:
                for a in range(d):
                    for i in range(nb):
                        W[a, i] = 0.0
                    for m in range(a if diagonal else 0, a + 1):
                        c = Ci[0, a, m]
                        for i in range(nb):
                            W[a, i] += c * Zt[m, i]
            for k in range(K):
                f = 0 if tied else k
                for i in range(nb):
                    lp[k, i] = 0.0
                for a in range(d):
                    shift = cm[k, a]
                    if tied:
                        for i in range(nb):
                            Y[k, a, i] = W[a, i] - shift
                    else:
                        for i in range(nb):
                            Y[k, a, i] = -shift
                        for m in range(a if diagonal else 0, a + 1):
                            c = Ci[f, a, m]
                            for i in range(nb):
                                Y[k, a, i] += c * Zt[m, i]
                    for i in range(nb):
                        lp[k, i] += Y[k, a, i] * Y[k, a, i]
                off = offset[k]
                for i in range(nb):
                    lp[k, i] = off - 0.5 * lp[k, i]
            if n_w > K:  # the uniform noise: one value for the pattern
                off = log_w[K] + noise_shift[p]
                for i in range(nb):
                    lp[K, i] = off
            normalise_block(lp, n_w, nb, row_max, row_sum, bits)  # responsibilities
            log_block(row_sum, nb, bits, log_sum)
            for i in range(nb):
                total += weights[i] * (row_max[i] + log_sum[i])
                weight_sum += weights[i]
                row_sum[i] = weights[i] / row_sum[i]
            for k in range(n_w):
                for i in range(nb):
                    lp[k, i] *= row_sum[i]
            if n_w > K:
                acc = 0.0
                for i in range(nb):
                    acc += lp[K, i]
                nk[K] += acc
            for k in range(K):
                acc = 0.0
                for i in range(nb):
                    acc += lp[k, i]
                nk[k] += acc
                for a in range(d):
                    acc = 0.0
                    for i in range(nb):
                        lpk_ya = lp[k, i] * Y[k, a, i]
                        acc += lpk_ya
                    V[k, a] += acc
                    for b in range(a if diagonal else 0, a + 1):
                        acc = 0.0
                        for i in range(nb):
                            acc += lp[k, i] * Y[k, a, i] * Y[k, b, i]
                        U[k, a, b] += acc
        total += weight_sum * pattern_const[p]
        if n_w > K:
            g_logw[K] += nk[K]
        # gradient of this pattern's rows with respect to log_w, mu_o and F[o, :]
        for k in range(K):
            f = 0 if tied else k
            g_logw[k] += nk[k]
            for a in range(d):
                y[a] = V[k, a]
            _solve_upper_t(C[f], d, y)
            for a in range(d):
                g_mu[k, obs[a]] += y[a]
            # M = C^-T (U - n I) C^-1 (symmetric), then dF[o, :] += M F[o, :]
            for a in range(d):
                for b in range(d):
                    B[a, b] = U[k, a, b] if b <= a else U[k, b, a]
                B[a, a] -= nk[k]
            for b in range(d):  # columns: B <- C^-T B
                for a in range(d):
                    y[a] = B[a, b]
                _solve_upper_t(C[f], d, y)
                for a in range(d):
                    B[a, b] = y[a]
            for a in range(d):  # rows: B <- B C^-1, i.e. solve C^T x = row
                for b in range(d):
                    y[b] = B[a, b]
                _solve_upper_t(C[f], d, y)
                for b in range(d):
                    B[a, b] = y[b]
            for a in range(d):
                for m in range(D if square else obs[a] + 1):
                    acc = 0.0
                    for b in range(d):
                        acc += B[a, b] * F[f, obs[b], m]
                    g_F[f, obs[a], m] += acc
    return total


# ----------------------------------------------------------------------- log-density
@_jit
def log_density(theta, grad, zt, row_weight, starts, observed, pattern_const,
                code, K, D, ordered, spiral_rows, spiral_cols, ratio, priors,
                prior_const, noise, noise_shift):  # fmt: skip
    """Log-density of the model at ``theta``; its gradient is written into ``grad``.

    ``priors`` is ``(weight_concentration, mean_scale, sd_scale, lkj_eta, sd_dof,
    volume_sd, shape_sd)`` and
    ``prior_const`` the sum of the priors' and transforms' constant terms. ``noise``:
    the model has the uniform noise component (``K + 1`` weights, a symmetric
    Dirichlet over all of them), whose log-density in pattern ``p`` is
    ``noise_shift[p] + pattern_const[p]``. Returns ``-inf`` (gradient zero) where the
    parameters are numerically invalid.
    """
    conc, mean_scale, sd_scale, eta, dof = priors[0], priors[1], priors[2], priors[3], priors[4]
    volume_sd, shape_sd = priors[5], priors[6]
    w, log_w, mu, sd, R, W = _constrain(theta, code, K, D, ordered, spiral_rows, spiral_cols,
                                        ratio, noise)  # fmt: skip
    n_mats = R.shape[0]
    n_w = w.shape[0]
    g_logw = np.zeros(n_w)
    g_mu = np.zeros((K, D))
    g_sd = np.zeros(sd.shape[0])
    g_R = np.zeros((n_mats, D, D))
    dense = code in DENSE_TYPES
    oriented = code in ORIENTED_TYPES
    shared = code in SHARED_FACTOR_TYPES
    KF = 1 if shared else K
    F = np.zeros((KF, D, D))
    for f in range(KF):
        r = f if n_mats > 1 else 0  # this factor's correlation (VEE: one shared)
        for i in range(D):
            if oriented:  # F = diag(ratio) Q diag(sd_k): the structure holds in data units
                for j in range(D):
                    F[f, i, j] = ratio[i] * R[r, i, j] * sd[f * D + j]
            elif dense:
                idx = i if code == _TIED else f * D + i
                for j in range(i + 1):
                    F[f, i, j] = sd[idx] * R[r, i, j]
            else:
                F[f, i, i] = sd[_sd_index(code, f, i, D)] * _sd_factor(code, ratio, i)
    g_F = np.zeros((KF, D, D))
    loglik = _mixture_pass(zt, row_weight, starts, observed, pattern_const, noise_shift, log_w,
                           mu, F, shared, not (dense or oriented), oriented, g_logw, g_mu,
                           g_F)  # fmt: skip
    for f in range(KF):
        r = f if n_mats > 1 else 0
        for i in range(D):
            if oriented:
                for j in range(D):
                    g_sd[f * D + j] += g_F[f, i, j] * ratio[i] * R[r, i, j]
                    g_R[r, i, j] += g_F[f, i, j] * ratio[i] * sd[f * D + j]
            elif dense:
                idx = i if code == _TIED else f * D + i
                for j in range(i + 1):
                    g_sd[idx] += g_F[f, i, j] * R[r, i, j]
                    g_R[r, i, j] += g_F[f, i, j] * sd[idx]
            else:
                g_sd[_sd_index(code, f, i, D)] += g_F[f, i, i] * _sd_factor(code, ratio, i)
    if not math.isfinite(loglik):
        grad[:] = 0.0
        return -math.inf
    if code in UNIT_DETERMINANT_TYPES and D > 1:
        determinant_pullback(sd, g_sd, R, g_R, code, K, D)
    logp = loglik + prior_const
    # Dirichlet(conc) prior with the simplex log-Jacobian: const + conc * sum log w
    total_g = 0.0
    for k in range(n_w):
        logp += conc * log_w[k]
        g_logw[k] += conc
        total_g += g_logw[k]
    g_z = np.empty(n_w)
    for k in range(n_w):
        g_z[k] = g_logw[k] - w[k] * total_g
    for k in range(n_w - 1):
        grad[k] = g_z[k] - g_z[n_w - 1]
    pos = n_w - 1
    # Normal(0, mean_scale) means
    inv_ms2 = 1.0 / (mean_scale * mean_scale)
    for k in range(K):
        for j in range(D):
            logp -= 0.5 * mu[k, j] * mu[k, j] * inv_ms2
            g_mu[k, j] -= mu[k, j] * inv_ms2
    if ordered:
        tail = 0.0
        for k in range(K - 1, 0, -1):
            tail += g_mu[k, 0]
            step = math.exp(theta[pos + k])
            logp += theta[pos + k]  # ordered transform's log-Jacobian
            grad[pos + k] = tail * step + 1.0
        grad[pos] = tail + g_mu[0, 0]
        pos += K
    else:
        for k in range(K):
            for j in range(D):
                grad[pos + k * D + j] = g_mu[k, j]
        pos += K * D
    # the covariance scales' priors (chi sds, or log-volumes and log-shapes)
    n_block = n_scale_values(code, K, D)
    logp += scale_prior(theta[pos : pos + n_block], grad[pos : pos + n_block], sd, g_sd, code,
                        K, D, sd_scale, dof, volume_sd, shape_sd)  # fmt: skip
    pos += n_block
    # LKJ(eta) with the CholeskyCorr log-Jacobian: const + (2 eta - 1 + D) sum log R_ii
    if D > 1 and code in DENSE_TYPES:
        M = D * (D - 1) // 2
        c_lkj = 2.0 * eta - 1.0 + D
        g_W = np.zeros((D, D))
        for f in range(n_mats):
            for i in range(1, D):
                norm2 = 0.0
                dot = 0.0
                for j in range(i + 1):
                    norm2 += W[f, i, j] * W[f, i, j]
                    dot += R[f, i, j] * g_R[f, i, j]
                norm = math.sqrt(norm2)
                logp -= 0.5 * c_lkj * math.log(norm2)
                for j in range(i):
                    g_W[i, j] = (g_R[f, i, j] - R[f, i, j] * dot) / norm
                    g_W[i, j] -= c_lkj * W[f, i, j] / norm2
            for m in range(M):
                grad[pos + f * M + m] = g_W[int(spiral_rows[m]), int(spiral_cols[m])]
    # uniform (Haar) rotations in Cayley coordinates; W holds (I + S)^-1
    if D > 1 and oriented:
        M = D * (D - 1) // 2
        for f in range(n_mats):
            block = grad[pos + f * M : pos + (f + 1) * M]
            cayley_pullback(g_R[f], R[f], W[f], D, block)
            logp += haar_prior(theta[pos + f * M : pos + (f + 1) * M], W[f], D, block)
    if not math.isfinite(logp):
        grad[:] = 0.0
        return -math.inf
    return logp


# ----------------------------------------------------------------------- packed model
#: header fields of the packed buffer, in order
HEADER = (
    "length", "n_samples", "n_features", "n_components", "code", "ordered", "n_patterns",
    "noise", "prior_const", "conc", "mean_scale", "sd_scale", "eta", "sd_dof",
    "volume_sd", "shape_sd", "zt", "row_weight", "starts", "observed", "pattern_const",
    "spiral_rows", "spiral_cols", "ratio", "noise_shift", "quadratic",
)  # fmt: skip
_H = len(HEADER)
#: prior values stored in the header (see log_density)
_N_PRIORS = 7


def pack(zt, row_weight, starts, observed, pattern_const, code, n_components, ordered,
         spiral_rows, spiral_cols, ratio, priors, prior_const, noise_shift=None,
         quadratic=None):  # fmt: skip
    """One float64 buffer holding a model's data and settings (a header of offsets first).

    ``noise_shift`` (one value per pattern, see :func:`log_density`) adds the uniform
    noise component; ``None``: no noise component. ``quadratic``, ``(center, gradient,
    hessian)`` in the unconstrained coordinates, adds ``g.d + d' H d / 2`` with ``d =
    theta - center`` to the log-density (the control variates of
    :func:`bayesgmm.bayes.approximate.fit_large`); ``None``: nothing.

    Examples
    --------
    >>> buf = pack(np.zeros((1, 3)), np.ones(3), np.array([0, 3]),
    ...            np.ones((1, 1)), np.zeros(1), 2, 2, False, np.zeros(0), np.zeros(0),
    ...            np.ones(1), np.ones(7), 0.0)  # fmt: skip
    >>> int(buf[0]) == buf.size, int(buf[1]), int(buf[2]), int(buf[3]), int(buf[7])
    (True, 3, 1, 2, 0)
    """
    if np.size(priors) != _N_PRIORS:
        raise ValueError(
            f"priors must hold {_N_PRIORS} values (weight_concentration, mean_scale, "
            f"sd_scale, lkj_eta, sd_dof, volume_sd, shape_sd); got {np.size(priors)}."
        )
    n_features, n_samples = zt.shape
    n_patterns = np.shape(observed)[0]
    noise = noise_shift is not None
    if noise and np.size(noise_shift) != n_patterns:
        raise ValueError(
            f"noise_shift must hold one value per pattern ({n_patterns}); got "
            f"{np.size(noise_shift)}."
        )
    shift = np.zeros(n_patterns) if noise_shift is None else noise_shift
    quad = np.zeros(0) if quadratic is None else np.concatenate([np.ravel(a) for a in quadratic])
    arrays = [zt, row_weight, starts, observed, pattern_const, spiral_rows, spiral_cols,
              ratio, shift, quad]  # fmt: skip
    offsets = []
    position = _H
    for array in arrays:
        offsets.append(position)
        position += np.size(array)
    head = [position, n_samples, n_features, n_components, code, float(ordered),
            n_patterns, float(noise), prior_const, *priors, *offsets]  # fmt: skip
    parts = [np.asarray(head, dtype=np.float64)]
    parts += [np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays]
    return np.concatenate(parts)


@_jit
def _unpack_and_evaluate(theta, grad, buf):
    N, D, K = int(buf[1]), int(buf[2]), int(buf[3])
    code, ordered, P, noise = int(buf[4]), buf[5] != 0.0, int(buf[6]), buf[7] != 0.0
    M = D * (D - 1) // 2
    o = buf[16:26]
    zt = buf[int(o[0]) : int(o[0]) + D * N].reshape((D, N))
    row_weight = buf[int(o[1]) : int(o[1]) + N]
    starts = buf[int(o[2]) : int(o[2]) + P + 1]
    observed = buf[int(o[3]) : int(o[3]) + P * D].reshape((P, D))
    pattern_const = buf[int(o[4]) : int(o[4]) + P]
    spiral_rows = buf[int(o[5]) : int(o[5]) + M]
    spiral_cols = buf[int(o[6]) : int(o[6]) + M]
    ratio = buf[int(o[7]) : int(o[7]) + D]
    noise_shift = buf[int(o[8]) : int(o[8]) + P]
    value = log_density(theta, grad, zt, row_weight, starts, observed, pattern_const,
                        code, K, D, ordered, spiral_rows, spiral_cols, ratio, buf[9:16],
                        buf[8], noise, noise_shift)  # fmt: skip
    start = int(o[9])
    if int(buf[0]) > start and math.isfinite(value):  # the quadratic control variate
        n = theta.shape[0]
        center = buf[start : start + n]
        slope = buf[start + n : start + 2 * n]
        hessian = buf[start + 2 * n : start + 2 * n + n * n].reshape((n, n))
        delta = theta - center
        for i in range(n):
            curvature = 0.0
            for j in range(n):
                curvature += hessian[i, j] * delta[j]
            value += delta[i] * (slope[i] + 0.5 * curvature)
            grad[i] += slope[i] + curvature
    return value


def c_log_density(dim, x_ptr, grad_ptr, logp_ptr, user_ptr):  # pragma: no cover - in C
    """Nutpie's log-density callback (compiled with ``numba.cfunc``; 0 means success)."""
    buf = numba.carray(user_ptr, (int(numba.carray(user_ptr, (1,))[0]),))
    theta = numba.carray(x_ptr, (dim,))
    grad = numba.carray(grad_ptr, (dim,))
    out = numba.carray(logp_ptr, (1,))
    value = _unpack_and_evaluate(theta, grad, buf)
    out[0] = value
    for i in range(dim):
        if not math.isfinite(grad[i]):
            return 3
    if not math.isfinite(value):
        return 4
    return 0


def c_expand(dim, n_expanded, x_ptr, out_ptr, user_ptr):  # pragma: no cover - in C
    """Nutpie's draw callback: stores the unconstrained point (transformed afterwards)."""
    x = numba.carray(x_ptr, (dim,))
    out = numba.carray(out_ptr, (n_expanded,))
    for i in range(dim):
        out[i] = x[i]
    return 0


@_jit_cached
def log_density_packed(theta, grad, buf):
    """:func:`log_density` of a packed model (what the C callback evaluates)."""
    return _unpack_and_evaluate(theta, grad, buf)
