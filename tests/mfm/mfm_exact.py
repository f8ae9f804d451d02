"""Exact posteriors over K for tiny data sets, by enumerating partitions.

For a mixture of finite mixtures with the priors of :mod:`bayesgmm.mfm.priors` (one
feature, or diagonal or spherical components), ``p(K | y)`` is proportional to
``p(K) sum_C p(C | K, gamma_K) p(y | C)`` over the set partitions ``C`` of the
observations with at most ``K`` blocks.
``p(y | C)`` integrates each block's mean in closed form, each block's precision and
the shared hyperparameter ``C0`` by quadrature, and ``alpha`` (dynamic weights with
an F prior) on a grid. Feasible for up to about six observations (203 partitions).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special, stats

from bayesgmm.mfm.priors import ResolvedPriors


def set_partitions(items: list[int]) -> list[list[list[int]]]:
    """Every partition of ``items`` into non-empty blocks."""
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for partition in set_partitions(rest):
        out.append([[first], *partition])
        for j in range(len(partition)):
            out.append([*partition[:j], [first, *partition[j]], *partition[j + 1 :]])
    return out


def _log_block_given_precision(y: np.ndarray, precision: np.ndarray, b0: float, B0: float):
    """log of the integral over mu of prod_i N(y_i | mu, 1/tau) N(mu | b0, B0), per tau."""
    m = len(y)
    d = y - b0
    tau = precision
    # covariance I/tau + B0 11': det = tau^-m (1 + m B0 tau); by Sherman-Morrison the
    # quadratic form is tau (within-block sum of squares) + tau (sum d)^2 / m / (1 + m B0 tau)
    log_det = -m * np.log(tau) + np.log1p(m * B0 * tau)
    within = float(((y - y.mean()) ** 2).sum())
    quad = tau * within + tau * d.sum() ** 2 / m / (1 + m * B0 * tau)
    return -0.5 * (m * math.log(2 * math.pi) + log_det + quad)


def _c0_grid(priors: ResolvedPriors, j: int) -> tuple[np.ndarray, np.ndarray]:
    """``C0`` (coordinate ``j``'s) on a log grid with its Gamma(g0, G0) weights, or fixed."""
    g0, G0 = priors.g0, float(priors.G0[j, j])
    if g0 > 0:
        log_c = np.linspace(-60.0, 8.0, 1000) - math.log(G0)
        c_grid = np.exp(log_c)
        log_w_c = stats.gamma.logpdf(c_grid, g0, scale=1 / G0) + log_c  # d log C0
        return c_grid, log_w_c + np.log(np.gradient(log_c))
    return np.array([float(priors.C0[j, j])]), np.zeros(1)


def _log_marginals(y: np.ndarray, columns: list[int], priors: ResolvedPriors, c_grid):
    """``log m_S(C0)`` of every subset ``S`` of the rows, on the ``C0`` grid.

    The columns share one precision ``tau = v / C0`` with ``v ~ Gamma(c0, 1)``.
    """
    n = len(y)
    log_v = np.linspace(-25.0, 6.0, 500)
    v = np.exp(log_v)
    log_w_v = stats.gamma.logpdf(v, priors.c0) + log_v + np.log(np.gradient(log_v))
    tau = v[None, :] / c_grid[:, None]
    subsets = {}
    for size in range(1, n + 1):
        for subset in itertools.combinations(range(n), size):
            inner = log_w_v.copy()
            for j in columns:
                b0, B0 = float(priors.b0[j]), float(priors.B0[j, j])
                inner = inner + _log_block_given_precision(y[list(subset), j], tau, b0, B0)
            subsets[subset] = special.logsumexp(inner, axis=1)
    return subsets


def exact_posterior(y: np.ndarray, priors: ResolvedPriors) -> tuple[np.ndarray, np.ndarray]:
    """``(p(K = k | y), p(K+ = k | y))`` for k = 1..k_max (quadrature error below 1e-7).

    One feature, or several with ``diag`` (independent coordinates, each with its
    own ``C0_jj``) or ``spherical`` components (one precision per component) and a
    diagonal ``B0``.
    """
    y = np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    n, r = y.shape
    if r > 1 and (
        priors.covariance_type == "full" or np.any(np.diag(np.diag(priors.B0)) != priors.B0)
    ):
        raise ValueError("several features need diag or spherical components and a diagonal B0")
    # groups of columns sharing a precision and a C0
    groups = [[j] for j in range(r)] if priors.covariance_type == "diag" else [list(range(r))]
    grids = [_c0_grid(priors, group[0]) for group in groups]
    marginals = [
        _log_marginals(y, group, priors, grid[0]) for group, grid in zip(groups, grids, strict=True)
    ]
    partitions = set_partitions(list(range(n)))
    log_lik = np.zeros(len(partitions))
    sizes = []
    for j, partition in enumerate(partitions):
        for (_, log_w_c), subsets in zip(grids, marginals, strict=True):
            total = log_w_c.copy()
            for block in partition:
                total += subsets[tuple(sorted(block))]
            log_lik[j] += special.logsumexp(total)
        sizes.append([len(b) for b in partition])
    k_max = priors.k_max
    if priors.dynamic and priors.alpha is None:
        log_a = np.linspace(-12.0, 8.0, 600)
        alphas = np.exp(log_a)
        nu_l, nu_r = priors.alpha_prior
        log_w_a = stats.f.logpdf(alphas, nu_l, nu_r) + log_a + np.log(np.gradient(log_a))
    else:
        alphas = np.array([priors.alpha if priors.dynamic else np.nan])
        log_w_a = np.zeros(1)
    joint = np.full((k_max, k_max), -np.inf)  # [K - 1, K+ - 1]
    for K in range(1, k_max + 1):
        for j, blocks in enumerate(sizes):
            k_plus = len(blocks)
            if k_plus > K:
                continue
            gamma = alphas / K if priors.dynamic else np.array([priors.gamma])
            counts = np.array(blocks, dtype=float)[:, None]
            log_c = (
                special.gammaln(K + 1)
                - special.gammaln(K - k_plus + 1)
                + special.gammaln(K * gamma)
                - special.gammaln(n + K * gamma)
                + (special.gammaln(counts + gamma) - special.gammaln(gamma)).sum(axis=0)
            )
            term = priors.log_prior_k[K - 1] + special.logsumexp(log_c + log_w_a) + log_lik[j]
            joint[K - 1, k_plus - 1] = np.logaddexp(joint[K - 1, k_plus - 1], term)
    joint = np.exp(joint - special.logsumexp(joint))
    return joint.sum(axis=1), joint.sum(axis=0)


def sample_and_compare(X: np.ndarray, priors: dict, covariance_type: str = "full", **settings):
    """Run posterior_over_k (k_max 8, 4000 draws of 10 sweeps) and compare with the exact.

    The table must equal the exact ``p(K | y)`` and ``p(K+ | y)`` within 4 Monte Carlo
    errors + 0.003. Returns the result, for checks of its settings.
    """
    import warnings

    from bayesgmm import posterior_over_k
    from bayesgmm.exceptions import SamplingWarning
    from bayesgmm.mfm import MFMPriors

    resolved = MFMPriors.from_spec(priors, X.shape[1]).resolve(X, 8, covariance_type)
    p_components, p_clusters = exact_posterior(X, resolved)
    settings = {"random_state": 3, **settings}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # mass at k_max=8 (by design)
        result = posterior_over_k(
            X, 8, priors=priors, draws=4000, thin=10, progress=False,
            covariance_type=covariance_type, **settings,
        )  # fmt: skip
    table = result.table
    for column, exact in (("p_components", p_components), ("p_clusters", p_clusters)):
        error = np.abs(table[column].to_numpy() - exact)
        bound = 4 * table[f"{column}_mcse"].to_numpy() + 0.003
        assert np.all(error <= bound), (column, exact.round(4), table[column].round(4))
    return result
