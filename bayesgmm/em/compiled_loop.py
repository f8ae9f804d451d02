"""EM iterations on small stored data in one compiled loop.

On data held in memory whose passes are cheap (a few hundred or thousand rows), the
NumPy engine's cost per EM iteration is call overhead, not arithmetic: 50-150 us per
iteration on Old Faithful, where the arithmetic takes a few microseconds. Here whole
iterations run in one Numba loop: the E-step (log-densities through each component's
Cholesky factor, responsibilities with the engine's ``LOG_PROB_FLOOR``, the
log-likelihood), the sufficient statistics, the covariance model's M-step (the
compiled M-steps of :mod:`bayesgmm.covariance.mstep_kernels`, for all 14 models; mclust's
code is the model's index) and the check that every new covariance factorises with
its pivots above the engine's variance floor.

It is a fast path of :meth:`bayesgmm.em.engine.EMEngine.run`, not a second algorithm:
the same iterations and the same stopping rule, and at the first iteration that
would need a covariance repair or whose iterative M-step did not converge, it hands
back the last accepted parameters and the NumPy steps take over (they repair and
warn). Results equal the NumPy path's to rounding (``tests/test_compiled_em.py``).
Maximum-likelihood EM on complete, stored data only (with or without a uniform noise
component); priors, missing cells, streamed or Dask data and ``verbose`` output use
the NumPy steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401
from bayesgmm.core.numba_kernels import centre, cholesky, lower_inverse, whitened_log_density
from bayesgmm.covariance.mstep_kernels import (
    MODEL_CODES,
    N_DIAGONAL_CODES,
    diagonal_mstep,
    ellipsoidal_mstep,
)

__all__ = ["CompiledRun", "compiled_iterations"]

#: iteration stopped because: the change fell below tol, max_iter was reached, or
#: the NumPy steps must take over (a repair or an unconverged M-step ahead)
CONVERGED, MAX_ITER, HAND_BACK, STALLED = 0, 1, 2, 3

_LOG_2PI = math.log(2.0 * math.pi)


_FAST = {"reassoc", "contract"}  # vectorised sums; NaN and inf keep their meaning


@numba.njit(cache=True, error_model="numpy", fastmath=_FAST)
def _normalise(resp, sample_weight, weighted, log_prob_floor, work):  # pragma: no cover
    """Log-probabilities ``(K, n)`` to weighted responsibilities; the log-likelihood.

    Entries more than ``-log_prob_floor`` below their sample's best become 0, as in
    the engine's ``exp_normalize``.
    """
    K, n = resp.shape
    best = work
    best[:] = resp[0]
    for k in range(1, K):
        for i in range(n):
            best[i] = max(best[i], resp[k, i])
    total = np.zeros(n)
    for k in range(K):
        for i in range(n):
            delta = resp[k, i] - best[i]
            value = math.exp(delta) if delta > log_prob_floor else 0.0
            resp[k, i] = value
            total[i] += value
    log_likelihood = 0.0
    for i in range(n):
        w = sample_weight[i] if weighted else 1.0
        log_likelihood += w * (best[i] + math.log(total[i]))
        total[i] = w / total[i]
    for k in range(K):
        for i in range(n):
            resp[k, i] *= total[i]
    return log_likelihood


@numba.njit(cache=True, error_model="numpy", fastmath=_FAST)
def _weighted_sum(resp, Xt, out):  # pragma: no cover
    """``out = sum_i resp_i x_i``; returns ``sum_i resp_i``."""
    d, n = Xt.shape
    for a in range(d):
        acc = 0.0
        for i in range(n):
            acc += resp[i] * Xt[a, i]
        out[a] = acc
    total = 0.0
    for i in range(n):
        total += resp[i]
    return total


@numba.njit(cache=True, error_model="numpy", fastmath=_FAST)
def _diagonal_scatter(resp, centred, out):  # pragma: no cover
    d, n = centred.shape
    for a in range(d):
        acc = 0.0
        for i in range(n):
            acc += resp[i] * centred[a, i] * centred[a, i]
        out[a] = acc


@numba.njit(cache=True, error_model="numpy", fastmath=_FAST)
def _full_scatter(resp, centred, out, work):  # pragma: no cover
    d, n = centred.shape
    for a in range(d):
        for i in range(n):
            work[i] = resp[i] * centred[a, i]
        for b in range(a + 1):
            acc = 0.0
            for i in range(n):
                acc += work[i] * centred[b, i]
            out[a, b] = acc
            out[b, a] = acc


@numba.njit(cache=True, error_model="numpy")
def _em_loop(
    Xt, sample_weight, weights, means, covariances, code, reg_covar, floor, nk_eps,
    log_prob_floor, tol, max_iter, mstep_max_iter, mstep_tol, previous, noise_weight,
    log_noise_density, max_decreases, fall_tolerance,
):  # pragma: no cover  # fmt: skip
    d, n = Xt.shape
    K = weights.shape[0]
    noise = not math.isnan(log_noise_density)  # a uniform noise component: a last row
    weighted = sample_weight.shape[0] == n
    total_weight = sample_weight.sum() if weighted else float(n)
    diagonal = code < N_DIAGONAL_CODES
    chol = np.empty((K, d, d))
    for k in range(K):
        if not cholesky(covariances[k], floor, chol[k]):
            return weights, means, covariances, noise_weight, np.empty(0), HAND_BACK
    bounds = np.empty(max_iter)
    resp = np.empty((K + noise, n))
    centred = np.empty((d, n))
    work = np.empty(n)
    const = np.empty(K)
    whiten = np.empty((K, d, d))
    new_chol = np.empty((K, d, d))
    n_done = 0
    decreases = 0
    status = MAX_ITER
    for _ in range(max_iter):
        # E-step through inv(L_k): log N(x | mu_k, Sigma_k) = const_k - |inv(L_k)(x - mu_k)|^2 / 2
        for k in range(K):
            lower_inverse(chol[k], whiten[k])
            const[k] = math.log(weights[k]) - 0.5 * d * _LOG_2PI
            for a in range(d):
                const[k] -= math.log(chol[k, a, a])
            centre(Xt, means[k], centred)
            whitened_log_density(centred, whiten[k], const[k], resp[k], work)
        if noise:
            resp[K] = math.log(noise_weight) + log_noise_density
        log_likelihood = _normalise(resp, sample_weight, weighted, log_prob_floor, work)
        noise_nk = resp[K].sum() if noise else 0.0
        bound = log_likelihood / total_weight
        # M-step: weights, means, the scatter of each component, the model's covariances
        nk = np.empty(K)
        new_means = np.empty((K, d))
        for k in range(K):
            nk[k] = _weighted_sum(resp[k], Xt, new_means[k]) + nk_eps
            new_means[k] /= nk[k]
        if diagonal:
            scatter_diag = np.empty((K, d))
            for k in range(K):
                centre(Xt, new_means[k], centred)
                _diagonal_scatter(resp[k], centred, scatter_diag[k])
            variances, ok = diagonal_mstep(code, scatter_diag, nk, mstep_max_iter, mstep_tol)
            new_covariances = np.zeros((K, d, d))
            for k in range(K):
                for a in range(d):
                    new_covariances[k, a, a] = variances[k, a]
        else:
            scatter = np.empty((K, d, d))
            for k in range(K):
                centre(Xt, new_means[k], centred)
                _full_scatter(resp[k], centred, scatter[k], work)
            new_covariances, ok = ellipsoidal_mstep(code, scatter, nk, mstep_max_iter, mstep_tol)
        if not ok:
            status = HAND_BACK
            break
        factorised = True
        for k in range(K):
            for a in range(d):
                new_covariances[k, a, a] += reg_covar
            if not cholesky(new_covariances[k], floor, new_chol[k]):
                factorised = False
        if not factorised:
            status = HAND_BACK
            break
        bounds[n_done] = bound
        n_done += 1
        total = nk.sum() + noise_nk
        weights = nk / total
        noise_weight = noise_nk / total
        means = new_means
        covariances = new_covariances
        chol, new_chol = new_chol, chol
        change = bound - previous
        previous = bound
        if abs(change) < tol:
            status = CONVERGED
            break
        if change < -fall_tolerance * abs(bound):
            decreases += 1
            if decreases == max_decreases:  # exact EM never falls: see the engine
                status = STALLED
                break
    return weights, means, covariances, noise_weight, bounds[:n_done], status


@dataclass
class CompiledRun:
    """What the compiled iterations hand back to the engine's loop."""

    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    #: full ``(K, D, D)`` covariances, whatever the model's storage
    covariances: NDArray[np.float64]
    #: the mean log-likelihood before each accepted iteration's M-step
    lower_bounds: list[float]
    converged: bool
    #: whether the NumPy steps must continue (a repair or an M-step warning ahead)
    hand_back: bool
    #: the noise component's proportion (0 without one)
    noise_weight: float = 0.0
    #: stopped after ``max_decreases`` falls of the log-likelihood (not converged)
    stalled: bool = False


def compiled_iterations(
    mclust_name: str,
    Xt: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    *,
    reg_covar: float,
    variance_floor: NDArray[np.float64],
    nk_eps: float,
    log_prob_floor: float,
    tol: float,
    max_iter: int,
    mstep_max_iter: int,
    mstep_tol: float,
    previous: float,
    noise_weight: float = 0.0,
    log_noise_density: float | None = None,
    max_decreases: int = 10,
    fall_tolerance: float = 1e-9,
) -> CompiledRun:
    """Run up to ``max_iter`` EM iterations of model ``mclust_name`` in compiled code.

    ``Xt`` is the centred data transposed ``(D, n)``, ``covariances`` full ``(K, D,
    D)``; ``previous`` is the lower bound before the first iteration. Stops when the
    change of the mean log-likelihood is below ``tol`` (as the engine), after
    ``max_iter``, after the log-likelihood has fallen (by more than ``fall_tolerance``
    relative) ``max_decreases`` times (``stalled``), or before an iteration the engine
    must do itself. A uniform noise component (``log_noise_density`` ``-log V``,
    proportion ``noise_weight``) gets a last row of responsibilities, left out of the
    Gaussians' statistics, as in the engine's passes.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm.em.compiled_loop import compiled_iterations
    >>> rng = np.random.default_rng(0)
    >>> Xt = np.r_[rng.normal(-3, 1, 100), rng.normal(3, 1, 100)][None, :]
    >>> run = compiled_iterations(
    ...     "VVV",
    ...     Xt,
    ...     None,
    ...     np.array([0.5, 0.5]),
    ...     np.array([[-1.0], [1.0]]),
    ...     np.ones((2, 1, 1)),
    ...     reg_covar=1e-6,
    ...     variance_floor=np.array([1e-10]),
    ...     nk_eps=1e-15,
    ...     log_prob_floor=-37.0,
    ...     tol=1e-8,
    ...     max_iter=200,
    ...     mstep_max_iter=500,
    ...     mstep_tol=1e-12,
    ...     previous=-np.inf,
    ... )
    >>> run.converged, np.sort(run.means.ravel()).round(1).tolist()
    (True, [-2.9, 3.0])
    """
    weight = np.empty(0) if sample_weight is None else np.ascontiguousarray(sample_weight)
    noise_density = np.nan if log_noise_density is None else float(log_noise_density)
    new_weights, new_means, new_covariances, new_noise, bounds, status = _em_loop(
        np.ascontiguousarray(Xt, dtype=np.float64), weight,
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(means, dtype=np.float64),
        np.ascontiguousarray(covariances, dtype=np.float64),
        MODEL_CODES.index(mclust_name), float(reg_covar),
        np.ascontiguousarray(variance_floor, dtype=np.float64), float(nk_eps),
        float(log_prob_floor), float(tol), int(max_iter), int(mstep_max_iter),
        float(mstep_tol), float(previous), float(noise_weight), noise_density,
        int(max_decreases), float(fall_tolerance),
    )  # fmt: skip
    return CompiledRun(
        new_weights,
        new_means,
        new_covariances,
        [float(b) for b in bounds],
        status == CONVERGED,
        status == HAND_BACK,
        float(new_noise),
        status == STALLED,
    )
