"""Control variates of the large-N posterior: the log-likelihood's Taylor expansion.

:func:`bayesgmm.bayes.approximate.fit_large` samples NUTS on a subsample, correcting the
subsample's log-likelihood with a second-order expansion around the EM point whose
sums over all rows are computed once (:func:`log_likelihood_sums`, in blocks, flat
memory). This module holds that expansion, in the sampler's unconstrained coordinates:
the gradient of the difference ``sum_{i<=N} l_i - f sum_{i in S} l_i`` from the
compiled kernels (:class:`~bayesgmm.bayes.compiled_model.CompiledMixture`, nothing
compiled per data set) and its Hessian by central differences.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture
from bayesgmm.core.numerics import LOG_2PI

__all__ = ["difference_gradient", "log_likelihood_sums", "taylor_expansion"]


#: relative step of the central differences that give the Hessian of the expansion
_FD_STEP = 1e-4


#: rows per block and values per block of the NumPy log-likelihood passes
_BLOCK_ROWS = 4096


_BLOCK_VALUES = 1 << 20


#: below this a row's mixture density is recomputed with the exact log-sum-exp
_TINY = 1e-290


# ---------------------------------------------------------------------- the expansion
def difference_gradient(
    full: CompiledMixture, subsample: CompiledMixture
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """``theta -> grad (sum_{i<=N} l_i - f sum_{i in S} l_i)`` from two compiled models.

    ``full`` holds every row, ``subsample`` the subsample's rows with row weight
    ``f``; both have the same priors and standardisation, so the priors and the
    transforms' Jacobians cancel in the difference of their log-density gradients.

    Examples
    --------
    >>> from bayesgmm.bayes.spec import Priors
    >>> X = np.random.default_rng(0).normal(size=(40, 1))
    >>> center, scale = standardization(X)
    >>> full = CompiledMixture(X, 1, "diag", Priors(), center, scale)
    >>> half = CompiledMixture(X[::2], 1, "diag", Priors(), center, scale,
    ...                        sample_weight=np.full(20, 2.0))  # fmt: skip
    >>> difference_gradient(full, full)(np.zeros(full.n_dim)).tolist()  # L - L
    [0.0, 0.0]
    >>> difference_gradient(full, half)(np.zeros(full.n_dim)).shape
    (2,)
    """

    def gradient(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        return full.logp_and_grad(theta)[1] - subsample.logp_and_grad(theta)[1]

    return gradient


def taylor_expansion(
    gradient: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    theta_hat: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gradient and Hessian at ``theta_hat`` of the function whose ``gradient`` is given.

    The Hessian comes from central differences of the exact gradient (``2 P``
    evaluations), made symmetric.

    Examples
    --------
    >>> hessian = np.array([[-2.0, 0.5], [0.5, -1.0]])
    >>> grad, hess = taylor_expansion(lambda t: hessian @ (t - 1.0), np.zeros(2))
    >>> grad.round(6).tolist(), bool(np.allclose(hess, hessian))
    ([1.5, 0.5], True)
    """
    grad = gradient(theta_hat)
    steps = _FD_STEP * np.maximum(np.abs(theta_hat), 1e-2)
    hessian = np.empty((theta_hat.size, theta_hat.size))
    for j, step in enumerate(steps):
        shift = np.zeros_like(theta_hat)
        shift[j] = step
        hessian[:, j] = (gradient(theta_hat + shift) - gradient(theta_hat - shift)) / (2.0 * step)
    return grad, 0.5 * (hessian + hessian.T)


# ---------------------------------------------------------------------- log-likelihoods
def log_likelihood_sums(
    X: NDArray[np.float64],
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    center: NDArray[np.float64] | None = None,
    scale: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Full-data mixture log-likelihood ``sum_i log sum_k w_k N(x_i | mu_k, Sigma_k)`` per draw.

    Vectorised over draws: the log-density of every (draw, component) pair is one row
    of a matrix product with the features ``[1, z, z_a z_b (a <= b)]`` of the
    standardised rows ``z = (x - center) / scale``, done in blocks of draws and rows
    (bounded memory). Each draw is shifted by its highest component peak, so the
    log-sum-exp needs no maximum pass; rows whose density underflows (far from every
    component) are recomputed exactly.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows, in data units.
    weights : ndarray of shape (n_draws, n_components)
    means : ndarray of shape (n_draws, n_components, n_features)
    covariances : ndarray of shape (n_draws, n_components, n_features, n_features)
        Full covariance matrices in data units.
    center, scale : ndarray of shape (n_features,), default=None
        Standardisation used for the arithmetic (default: mean and standard deviation
        of ``X``); the result does not depend on it beyond rounding.

    Returns
    -------
    ndarray of shape (n_draws,)

    Examples
    --------
    >>> from scipy.stats import multivariate_normal
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    >>> w, mu, cov = np.array([[1.0]]), np.zeros((1, 1, 2)), np.eye(2)[None, None]
    >>> value = log_likelihood_sums(X, w, mu, cov)[0]
    >>> bool(np.isclose(value, multivariate_normal(np.zeros(2)).logpdf(X).sum()))
    True
    """
    n_draws, n_components, n_features = means.shape
    if center is None or scale is None:
        center, scale = standardization(X)
    means_std = (means - center) / scale
    cov_std = covariances / np.outer(scale, scale)
    chol = np.linalg.cholesky(cov_std)
    inv_chol = np.linalg.inv(chol)
    precision = np.swapaxes(inv_chol, -1, -2) @ inv_chol
    log_det = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    linear = np.einsum("skab,skb->ska", precision, means_std)
    peak = np.log(weights) - 0.5 * log_det - 0.5 * n_features * LOG_2PI  # at the mean
    # shift every draw by its highest component peak: each exp() below is <= 1
    shift = peak.max(axis=1)
    const = peak - shift[:, None] - 0.5 * np.einsum("ska,ska->sk", means_std, linear)
    upper_a, upper_b = np.triu_indices(n_features)
    quad = -0.5 * precision[..., upper_a, upper_b] * np.where(upper_a == upper_b, 1.0, 2.0)
    coef = np.concatenate([const[..., None], linear, quad], axis=-1)  # (S, K, p)
    coef = np.ascontiguousarray(np.swapaxes(coef, 0, 1))  # (K, S, p)
    n_coef = coef.shape[-1]
    n_samples = X.shape[0]
    rows = max(1, min(n_samples, _BLOCK_ROWS))
    draws_per_block = max(1, _BLOCK_VALUES // (n_components * rows))
    totals = np.zeros(n_draws)
    with threadpool_limits(limits=1, user_api="blas"):  # small products: no threads
        for row_start in range(0, n_samples, rows):
            z = (X[row_start : row_start + rows] - center) / scale
            features = np.empty((n_coef, z.shape[0]))
            features[0] = 1.0
            features[1 : 1 + n_features] = z.T
            features[1 + n_features :] = (z[:, upper_a] * z[:, upper_b]).T
            for s0 in range(0, n_draws, draws_per_block):
                s1 = min(n_draws, s0 + draws_per_block)
                block = coef[:, s0:s1].reshape(-1, n_coef) @ features
                block = block.reshape(n_components, s1 - s0, -1)  # shifted log-densities
                density = np.exp(block).sum(axis=0)
                tiny = density < _TINY
                np.log(density, out=density, where=~tiny)
                if tiny.any():  # rows far from every component: exact log-sum-exp there
                    far = block[:, tiny]
                    top = far.max(axis=0)
                    density[tiny] = np.log(np.exp(far - top).sum(axis=0)) + top
                totals[s0:s1] += density.sum(axis=1)
    return totals + n_samples * (shift - float(np.sum(np.log(scale))))
