"""Moment-matched split and merge jumps with the allocations integrated out, compiled.

The restricted-Gibbs moves of :mod:`bayesgmm.mfm._split_merge` act on the partition:
the reverse of a merge is a split that must reproduce the current allocation of
every observation of the two clusters, and its probability falls exponentially
with their size unless the proposal's parameters match the current ones. On
large data a cluster split into two overlapping halves then stays split (no merge
is accepted at 10,000 rows). The jumps here act on the mixture itself, ``(K, eta,
theta)`` with the allocations summed out, so the acceptance ratio carries the
mixture likelihood ``prod_i sum_k eta_k N(y_i | mu_k, Sigma_k)`` and densities of a
few continuous variables, not the probability of a partition.

They are the split and combine moves of Richardson & Green (1997, *JRSS B* 59,
731-792), with the allocations integrated out rather than proposed, and
generalised to several dimensions by matching the first two moments (as
Dellaportas & Papageorgiou 2006, *Statistics and Computing* 16, 57-68; the
auxiliary variables here are chosen so that the Jacobian is simply ``w``):

    w_a = u w,  w_b = (1 - u) w
    mu_a = mu + (1 - u) delta,  mu_b = mu - u delta
    W = Sigma - u (1 - u) delta delta'
    Sigma_a = W + (1 - u) B,  Sigma_b = W - u B

so ``w_a + w_b = w``, ``w_a mu_a + w_b mu_b = w mu`` and ``w_a (Sigma_a + mu_a
mu_a') + w_b (Sigma_b + mu_b mu_b') = w (Sigma + mu mu')``. The merge is this map's
inverse (``u = w_a / w``, ``delta = mu_a - mu_b``, ``B = Sigma_a - Sigma_b``). For
``diag`` components ``Sigma``, ``W`` and ``B`` are diagonal (moments matched per
coordinate); for ``spherical`` they are scalars and the second moment is matched
in trace (``W = sigma^2 - u (1 - u) |delta|^2 / d``). Each coordinate pair
``(mu, delta) -> (mu_a, mu_b)`` and ``(Sigma, B) -> (Sigma_a, Sigma_b)`` has Jacobian
``-1``, and ``(w, u) -> (w_a, w_b)`` has ``-w``: ``|J| = w``.

The auxiliary variables: ``u ~ Beta(2, 2)``; ``delta = s^-1 L r`` with ``s = sqrt(u (1
- u))``, ``L`` the Cholesky factor of ``Sigma`` (``diag(sqrt(Sigma_jj))``, ``sqrt(d)
sigma I`` for ``spherical``) and ``r`` uniform in direction with ``|r| ~ Beta(2,
2)``, which keeps ``W`` positive definite; ``B = L_W C L_W'`` with ``L_W`` the
factor of ``W`` and the symmetric ``C`` uniform in direction with Frobenius norm
``R rho``, ``rho ~ Beta(1, 3)``, ``R = 1 / max(u, 1 - u)``, which keeps ``Sigma_a``
and ``Sigma_b`` positive definite. A merge whose inverse map falls outside these
supports is rejected (its reverse split could not be proposed).

One attempt: with probability 1/2 a split of a component chosen uniformly (kept in
its place, the new one appended as component ``K + 1``), otherwise a merge of a pair
(the merged component in the first's place, the last component moved into the
second's). The merge's pair is uniform half of the time and otherwise drawn in
proportion to the closeness ``exp(-D / 2)`` of the two components (``D`` the squared
distance of their means in their average precision), so that the two halves of an
over-split cluster are proposed far more often than at random among ``K (K - 1) /
2`` pairs. On the components as a set (the target is invariant under relabelling:
exchangeable priors, so a labelled state's density times ``K!`` is the set's), a
uniform choice gives no selection term in the ratio: the split's ``1 / K`` and the
merge's ``2 / (K (K + 1))`` cancel against ``(K + 1)!/K!`` and the two orderings of
the auxiliary variables (their density is symmetric under exchanging the roles of
``a`` and ``b``); the closeness-weighted choice multiplies the merge's probability
by ``1/2 + K (K + 1) h_ab / (4 H)`` (``h_ab`` the pair's closeness, ``H`` the sum
over pairs, both in the state with ``K + 1`` components), which enters the ratio of
both moves. The target is ``p(K) p(eta | K, gamma_K) prod_k p(mu_k) p(Sigma_k |
C0) prod_i sum_k eta_k N(y_i | theta_k)`` given ``alpha`` and ``C0``, in the
coordinates ``(w, mu, Sigma)`` (the precision prior's density carries
``|dP/dSigma|``: ``|P|^(d + 1)``, ``prod_j P_jj^2`` or ``p^2``). The sweep runs the
jumps right before it draws the allocations from their full conditional, so nothing
conditions on the old allocations afterwards.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401
from bayesgmm.core.numba_kernels import cholesky, lower_inverse
from bayesgmm.mfm._conditionals import (
    DIAG,
    FULL,
    SPHERICAL,
    _log_det,
    component_log_density,
    log_gaussian,
    log_precision,
    precision_conditional,
)

__all__ = ["jumps", "workspace"]

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_6 = math.log(6.0)
_LOG_SQRT2 = 0.5 * math.log(2.0)
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _log_beta(x, a, b):  # pragma: no cover
    if not 0.0 < x < 1.0:
        return -np.inf
    return (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + (a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x)
    )  # fmt: skip


@_jit
def _log_sphere(m):  # pragma: no cover
    """``log`` of the surface area of the unit sphere in ``R^m``."""
    return math.log(2.0) + 0.5 * m * math.log(math.pi) - math.lgamma(0.5 * m)


@_jit
def _log_ball(norm, m, radius, a, b):  # pragma: no cover
    """Log-density in ``R^m`` of a point uniform in direction with norm ``radius Beta(a, b)``."""
    if not 0.0 < norm < radius:
        return -np.inf
    return (
        _log_beta(norm / radius, a, b) - math.log(radius) - _log_sphere(m)
        - (m - 1) * math.log(norm)
    )  # fmt: skip


@_jit
def _draw_ball(rng, out, radius, a, b):  # pragma: no cover
    """``out`` uniform in direction with norm ``radius Beta(a, b)``; the norm."""
    total = 0.0
    for j in range(out.shape[0]):
        out[j] = rng.standard_normal()
        total += out[j] * out[j]
    x = rng.standard_gamma(a)
    norm = radius * x / (x + rng.standard_gamma(b))
    scale = norm / math.sqrt(total)
    for j in range(out.shape[0]):
        out[j] *= scale
    return norm


@_jit
def _n_shape(structure, d):  # pragma: no cover
    """Free coordinates of a covariance of ``structure``."""
    if structure == FULL:
        return d * (d + 1) // 2
    return d if structure == DIAG else 1


@_jit
def _to_vector(structure, C, v):  # pragma: no cover
    """The symmetric ``C`` as a vector with the Frobenius norm (off-diagonals times sqrt 2)."""
    d = C.shape[0]
    if structure == SPHERICAL:
        v[0] = C[0, 0]
        return
    k = 0
    for a in range(d):
        v[k] = C[a, a]
        k += 1
    if structure == FULL:
        for a in range(d):
            for b in range(a):
                v[k] = math.sqrt(2.0) * C[a, b]
                k += 1


@_jit
def _from_vector(structure, v, C):  # pragma: no cover
    d = C.shape[0]
    C[:] = 0.0
    if structure == SPHERICAL:
        for a in range(d):
            C[a, a] = v[0]
        return
    k = 0
    for a in range(d):
        C[a, a] = v[k]
        k += 1
    if structure == FULL:
        for a in range(d):
            for b in range(a):
                C[a, b] = v[k] / math.sqrt(2.0)
                C[b, a] = C[a, b]
                k += 1


@_jit
def _factor(structure, cov, floor, out):  # pragma: no cover
    """``out``: the Cholesky factor of ``cov`` (``spherical``: ``sqrt(d cov_00) I``).

    Returns ``log |out|``, NaN if ``cov`` is not positive definite.
    """
    d = cov.shape[0]
    out[:] = 0.0
    if structure == FULL:
        if not cholesky(cov, floor, out):
            return np.nan
    elif structure == DIAG:
        for a in range(d):
            if not cov[a, a] > 0.0:
                return np.nan
            out[a, a] = math.sqrt(cov[a, a])
    else:
        if not cov[0, 0] > 0.0:
            return np.nan
        for a in range(d):
            out[a, a] = math.sqrt(d * cov[0, 0])
    total = 0.0
    for a in range(d):
        total += math.log(out[a, a])
    return total


@_jit
def _within(structure, cov, delta, s2, out):  # pragma: no cover
    """``W = cov - s2 delta delta'`` (diagonal for ``diag``; trace-matched for ``spherical``)."""
    d = cov.shape[0]
    out[:] = 0.0
    if structure == FULL:
        for a in range(d):
            for b in range(d):
                out[a, b] = cov[a, b] - s2 * delta[a] * delta[b]
    elif structure == DIAG:
        for a in range(d):
            out[a, a] = cov[a, a] - s2 * delta[a] * delta[a]
    else:
        total = 0.0
        for a in range(d):
            total += delta[a] * delta[a]
        for a in range(d):
            out[a, a] = cov[0, 0] - s2 * total / d


@_jit
def _log_jacobian_b(structure, lower_w):  # pragma: no cover
    """``log |dB/dC|`` of ``B = L_W C L_W'`` on the structure's coordinates."""
    d = lower_w.shape[0]
    total = 0.0
    for a in range(d):
        total += math.log(lower_w[a, a])
    if structure == FULL:
        return (d + 1) * total
    if structure == DIAG:
        return 2.0 * total
    return 2.0 * math.log(lower_w[0, 0])


@_jit
def _log_auxiliary(
    structure, u, r_norm, d, v_norm, radius, log_factor, lower_w
):  # pragma: no cover
    """``log q(u, delta, B)`` given ``|r|``, ``|C|_F``, ``log |L|`` and ``L_W``."""
    m = _n_shape(structure, d)
    s = math.sqrt(u * (1.0 - u))
    value = _LOG_6 + math.log(u) + math.log1p(-u)
    value += _log_ball(r_norm, d, 1.0, 2.0, 2.0) + d * math.log(s) - log_factor
    value += _log_ball(v_norm, m, radius, 1.0, 3.0) - _log_jacobian_b(structure, lower_w)
    if structure == FULL:
        value += 0.5 * d * (d - 1) * _LOG_SQRT2
    return value


@_jit
def _covariance(precision, floor, out, lower, inverse):  # pragma: no cover
    """``out = precision^-1``; False if not PD."""
    d = precision.shape[0]
    if not cholesky(precision, floor, lower):
        return False
    lower_inverse(lower, inverse)
    for a in range(d):
        for b in range(a + 1):
            total = 0.0
            for m in range(a, d):
                total += inverse[m, a] * inverse[m, b]
            out[a, b] = total
            out[b, a] = total
    return True


@_jit
def _log_prior(structure, mean, precision, prior, mats, floor):  # pragma: no cover
    """``log p(mu) + log p(Sigma | C0)``: the precision's prior times ``|dP/dSigma|``."""
    c0, C0, B0_inv, B0_inv_b0 = prior
    d = mean.shape[0]
    rate = mats[4]
    shape = precision_conditional(structure, c0, C0, mats[5], 0, rate)
    value = log_precision(structure, shape, rate, precision, mats, floor)
    value += log_gaussian(B0_inv, B0_inv_b0, mean, mats, floor)
    if structure == FULL:
        value += (d + 1) * _log_det(precision, floor, mats[0])
    elif structure == DIAG:
        for a in range(d):
            value += 2.0 * math.log(precision[a, a])
    else:
        value += 2.0 * math.log(precision[0, 0])
    return value


@_jit
def _log_dirichlet_k(n_components, sum_log_w, gamma):  # pragma: no cover
    """``log Dirichlet(eta | gamma, ..., gamma)`` on ``n_components`` components."""
    return (
        math.lgamma(n_components * gamma) - n_components * math.lgamma(gamma)
        + (gamma - 1.0) * sum_log_w
    )  # fmt: skip


@_jit
def _rest(log_prob, total, n_components, skip_a, skip_b, out):  # pragma: no cover
    """``log sum_{k != a, b} exp(log_prob[k, i])`` per observation (``b = -1``: only ``a``).

    From the total ``log sum_k``, exactly recomputed where the two carry nearly all
    of an observation's density (no cancellation).
    """
    n = total.shape[0]
    for i in range(n):
        share = math.exp(log_prob[skip_a, i] - total[i])
        if skip_b >= 0:
            share += math.exp(log_prob[skip_b, i] - total[i])
        if share < 1.0 - 1e-6:
            out[i] = total[i] + math.log1p(-share)
            continue
        best = -np.inf
        for k in range(n_components):
            if k != skip_a and k != skip_b:
                best = max(best, log_prob[k, i])
        if best == -np.inf:
            out[i] = -np.inf
            continue
        value = 0.0
        for k in range(n_components):
            if k != skip_a and k != skip_b:
                value += math.exp(log_prob[k, i] - best)
        out[i] = best + math.log(value)


@_jit
def _log_add(a, b):  # pragma: no cover
    top = max(a, b)
    if top == -np.inf:
        return -np.inf
    return top + math.log(math.exp(a - top) + math.exp(b - top))


@_jit
def _closeness(mean_a, precision_a, mean_b, precision_b):  # pragma: no cover
    """``exp(-D / 2)``, ``D`` the squared distance of the means in the average precision."""
    d = mean_a.shape[0]
    total = 0.0
    for a in range(d):
        for b in range(d):
            total += (
                (mean_a[a] - mean_b[a]) * 0.5 * (precision_a[a, b] + precision_b[a, b])
                * (mean_a[b] - mean_b[b])
            )  # fmt: skip
    return math.exp(-0.5 * total)


@_jit
def _closeness_matrix(n_components, means, precisions, out):  # pragma: no cover
    """:func:`_closeness` of every pair into ``out`` (symmetric); the sum over pairs."""
    total = 0.0
    for a in range(n_components):
        out[a, a] = 0.0
        for b in range(a):
            out[a, b] = _closeness(means[a], precisions[a], means[b], precisions[b])
            out[b, a] = out[a, b]
            total += out[a, b]
    return total


@_jit
def _log_pair_choice(n_larger, closeness, total):  # pragma: no cover
    """``log`` of the merge's chance of picking a pair over a uniform pick's.

    The merge picks its unordered pair uniformly or, with probability one half, in
    proportion to :func:`_closeness` among the ``n_larger`` components of the state
    it merges from; ``closeness`` is the pair's, ``total`` the sum over all pairs.
    """
    share = closeness / total if total > 0.0 else 0.0
    return math.log(0.5 + 0.25 * n_larger * (n_larger - 1) * share)


@_jit
def workspace(n_samples, d, k_max):  # pragma: no cover
    """Scratch for :func:`jumps`, allocated once per chain.

    ``(rows (3, N), row work (N,), centred (d, N), mats (13, d, d), vectors (4, d (d
    + 1) / 2 + d), closeness (k_max, k_max))``.
    """
    m = d * (d + 1) // 2 + d
    return (
        np.zeros((3, n_samples)), np.zeros(n_samples), np.zeros((d, n_samples)),
        np.zeros((13, d, d)), np.zeros((4, m)), np.zeros((k_max, k_max)),
    )  # fmt: skip


@_jit
def jumps(
    rng, Xt, n_components, weights, means, precisions, log_prob, total, structure, prior,
    log_prior_k, gamma, dynamic, alpha, attempts, counts_out, work,
):  # pragma: no cover  # fmt: skip
    """``attempts`` split or merge jumps (see the module documentation), in place.

    Parameters
    ----------
    rng, Xt : the chain's generator and the data ``(d, N)``.
    n_components, weights, means, precisions : the mixture's ``K`` components.
    log_prob, total : ``log eta_k N(y_i | theta_k)`` per component (rows) and its
        ``log sum_k`` per observation, kept up to date.
    structure : ``FULL``, ``DIAG`` or ``SPHERICAL``.
    prior : ``(c0, C0, B0_inv, B0_inv b0)``.
    log_prior_k, gamma, dynamic, alpha : the prior on ``K`` and the weights'.
    attempts : jumps to attempt.
    counts_out : ``[accepted splits, proposed splits, accepted merges, proposed
        merges]``, incremented.
    work : :func:`workspace`.

    Returns
    -------
    int
        The new ``K``; -1 if a matrix lost positive definiteness.
    """
    d, n = Xt.shape
    k_max = log_prior_k.shape[0]
    rows, row_work, centred, mats, vectors, closeness = work
    floor = np.full(d, 1e-300)
    cov, cov_a, cov_b, within = mats[6], mats[7], mats[8], mats[9]
    lower, lower_w, shape_c = mats[10], mats[11], mats[3]
    m_shape = _n_shape(structure, d)
    r, delta, v = vectors[0, :d], vectors[1, :d], vectors[2, :m_shape]
    mean_a, mean_b = vectors[3, :d], vectors[3, d : 2 * d]
    changed = True
    sum_log_w = total_close = 0.0
    for _ in range(attempts):
        if changed:  # the state's sums, again only after an accepted jump
            sum_log_w = 0.0
            for k in range(n_components):
                if not weights[k] > 0.0:
                    return n_components  # no jumps from a state with an empty weight
                sum_log_w += math.log(weights[k])
            total_close = _closeness_matrix(n_components, means, precisions, closeness)
            changed = False
        split = rng.random() < 0.5
        counts_out[1 if split else 3] += 1
        if (split and n_components >= k_max) or (not split and n_components < 2):
            continue
        small = n_components if split else n_components - 1  # K of the merged state
        gamma_small = alpha / small if dynamic else gamma
        gamma_large = alpha / (small + 1) if dynamic else gamma
        log_ratio = log_prior_k[small - 1] - log_prior_k[small]  # merged over split
        if split:
            target = rng.integers(0, n_components)
            other = n_components
            w = weights[target]
            x = rng.standard_gamma(2.0)
            u = x / (x + rng.standard_gamma(2.0))
            if not 0.0 < u < 1.0:
                continue
            if not _covariance(precisions[target], floor, cov, mats[0], mats[1]):
                return -1
            log_factor = _factor(structure, cov, floor, lower)
            if not math.isfinite(log_factor):
                return -1
            r_norm = _draw_ball(rng, r, 1.0, 2.0, 2.0)
            s = math.sqrt(u * (1.0 - u))
            for a in range(d):
                total_a = 0.0
                for b in range(a + 1):
                    total_a += lower[a, b] * r[b]
                delta[a] = total_a / s
            _within(structure, cov, delta, s * s, within)
            if not math.isfinite(_factor(structure, within, floor, lower_w)):
                continue  # rounding at |r| near 1
            if structure == SPHERICAL:
                lower_w[:] = 0.0
                for a in range(d):
                    lower_w[a, a] = math.sqrt(within[0, 0])
            radius = 1.0 / max(u, 1.0 - u)
            v_norm = _draw_ball(rng, v, radius, 1.0, 3.0)
            _from_vector(structure, v, shape_c)
            # B = L_W C L_W' into cov_b; Sigma_a, Sigma_b
            for a in range(d):
                for b in range(d):
                    total_ab = 0.0
                    for p in range(d):
                        for q in range(d):
                            total_ab += lower_w[a, p] * shape_c[p, q] * lower_w[b, q]
                    cov_b[a, b] = total_ab
            for a in range(d):
                for b in range(d):
                    cov_a[a, b] = within[a, b] + (1.0 - u) * cov_b[a, b]
                    cov_b[a, b] = within[a, b] - u * cov_b[a, b]
                mean_a[a] = means[target, a] + (1.0 - u) * delta[a]
                mean_b[a] = means[target, a] - u * delta[a]
            log_aux = _log_auxiliary(structure, u, r_norm, d, v_norm, radius, log_factor, lower_w)
            weight_a, weight_b = u * w, (1.0 - u) * w
            # the proposed components' precisions into mats[12] and precisions[other]
            if not _covariance(cov_a, floor, mats[12], mats[0], mats[1]):
                continue
            if not _covariance(cov_b, floor, precisions[other], mats[0], mats[1]):
                continue
            precision_a = mats[12]
            if not component_log_density(
                Xt, mean_a, precision_a, weight_a, rows[0], centred, row_work, mats, floor
            ):
                continue
            if not component_log_density(
                Xt, mean_b, precisions[other], weight_b, rows[1], centred, row_work, mats, floor
            ):
                continue
            _rest(log_prob, total, n_components, target, -1, rows[2])
            log_lik = 0.0
            for i in range(n):
                value = _log_add(_log_add(rows[2, i], rows[0, i]), rows[1, i])
                log_lik += value - total[i]
                rows[2, i] = value
            log_ratio -= log_lik
            log_ratio += _log_dirichlet_k(small, sum_log_w, gamma_small)
            log_ratio -= _log_dirichlet_k(
                small + 1,
                sum_log_w - math.log(w) + math.log(weight_a) + math.log(weight_b),
                gamma_large,
            )
            log_ratio += _log_prior(
                structure, means[target], precisions[target], prior, mats, floor
            )
            log_ratio -= _log_prior(structure, mean_a, precision_a, prior, mats, floor)
            log_ratio -= _log_prior(structure, mean_b, precisions[other], prior, mats, floor)
            log_ratio += log_aux - math.log(w)
            # the merge back picks the new pair by closeness half of the time
            total_after = total_close
            for j in range(n_components):
                if j != target:
                    total_after -= closeness[target, j]
                    total_after += _closeness(mean_a, precision_a, means[j], precisions[j])
                    total_after += _closeness(mean_b, precisions[other], means[j], precisions[j])
            pair = _closeness(mean_a, precision_a, mean_b, precisions[other])
            log_ratio -= _log_pair_choice(n_components + 1, pair, total_after + pair)
            if math.isfinite(log_ratio) and math.log(rng.random()) < -log_ratio:
                precisions[target] = precision_a
                means[target] = mean_a
                means[other] = mean_b
                weights[target] = weight_a
                weights[other] = weight_b
                log_prob[target] = rows[0]
                log_prob[other] = rows[1]
                total[:] = rows[2]
                n_components += 1
                counts_out[0] += 1
                changed = True
            continue
        # merge a pair into the first: uniform, or half of the time by closeness
        total_before = total_close
        first = rng.integers(0, n_components)
        second = rng.integers(0, n_components - 1)
        if second >= first:
            second += 1
        if rng.random() < 0.5 and total_before > 0.0:
            pick = rng.random() * total_before
            running = 0.0
            for a in range(n_components):
                for b in range(a):
                    running += closeness[a, b]
                    if running >= pick:
                        first, second = a, b
                        break
                if running >= pick:
                    break
            if rng.random() < 0.5:
                first, second = second, first
        pair = closeness[first, second]
        log_pair = _log_pair_choice(n_components, pair, total_before)
        w = weights[first] + weights[second]
        u = weights[first] / w
        s = math.sqrt(u * (1.0 - u))
        if not (0.0 < u < 1.0):
            continue
        if not _covariance(precisions[first], floor, cov_a, mats[0], mats[1]):
            return -1
        if not _covariance(precisions[second], floor, cov_b, mats[0], mats[1]):
            return -1
        for a in range(d):
            delta[a] = means[first, a] - means[second, a]
            mean_a[a] = u * means[first, a] + (1.0 - u) * means[second, a]
        # W = u Sigma_a + (1 - u) Sigma_b; Sigma = W + s^2 delta delta' (trace-matched)
        for a in range(d):
            for b in range(d):
                within[a, b] = u * cov_a[a, b] + (1.0 - u) * cov_b[a, b]
        cov[:] = 0.0
        if structure == FULL:
            for a in range(d):
                for b in range(d):
                    cov[a, b] = within[a, b] + s * s * delta[a] * delta[b]
        elif structure == DIAG:
            for a in range(d):
                cov[a, a] = within[a, a] + s * s * delta[a] * delta[a]
        else:
            norm2 = 0.0
            for a in range(d):
                norm2 += delta[a] * delta[a]
            for a in range(d):
                cov[a, a] = within[0, 0] + s * s * norm2 / d
        log_factor = _factor(structure, cov, floor, lower)
        if not math.isfinite(log_factor):
            continue
        # r = s L^-1 delta must lie in the unit ball
        lower_inverse(lower, mats[0])
        r_norm2 = 0.0
        for a in range(d):
            total_a = 0.0
            for b in range(a + 1):
                total_a += mats[0, a, b] * delta[b]
            r_norm2 += (s * total_a) ** 2
        r_norm = math.sqrt(r_norm2)
        if not math.isfinite(_factor(structure, within, floor, lower_w)):
            continue
        if structure == SPHERICAL:
            lower_w[:] = 0.0
            for a in range(d):
                lower_w[a, a] = math.sqrt(within[0, 0])
        # C = L_W^-1 (Sigma_a - Sigma_b) L_W^-T
        lower_inverse(lower_w, mats[1])
        for a in range(d):
            for b in range(d):
                total_ab = 0.0
                for p in range(d):
                    for q in range(d):
                        total_ab += mats[1, a, p] * (cov_a[p, q] - cov_b[p, q]) * mats[1, b, q]
                shape_c[a, b] = total_ab
        _to_vector(structure, shape_c, v)
        v_norm = 0.0
        for j in range(m_shape):
            v_norm += v[j] * v[j]
        v_norm = math.sqrt(v_norm)
        radius = 1.0 / max(u, 1.0 - u)
        log_aux = _log_auxiliary(structure, u, r_norm, d, v_norm, radius, log_factor, lower_w)
        if not math.isfinite(log_aux):
            continue  # outside the split's support
        if not _covariance(cov, floor, mats[12], mats[0], mats[1]):
            continue
        precision_m = mats[12]
        if not component_log_density(
            Xt, mean_a, precision_m, w, rows[0], centred, row_work, mats, floor
        ):
            continue
        _rest(log_prob, total, n_components, first, second, rows[2])
        log_lik = 0.0
        for i in range(n):
            value = _log_add(rows[2, i], rows[0, i])
            log_lik += value - total[i]
            rows[2, i] = value
        log_ratio += log_lik
        log_ratio += _log_dirichlet_k(
            small,
            sum_log_w - math.log(weights[first]) - math.log(weights[second]) + math.log(w),
            gamma_small,
        )
        log_ratio -= _log_dirichlet_k(small + 1, sum_log_w, gamma_large)
        log_ratio += _log_prior(structure, mean_a, precision_m, prior, mats, floor)
        log_ratio -= _log_prior(structure, means[first], precisions[first], prior, mats, floor)
        log_ratio -= _log_prior(structure, means[second], precisions[second], prior, mats, floor)
        log_ratio += log_aux - math.log(w) - log_pair
        if math.isfinite(log_ratio) and math.log(rng.random()) < log_ratio:
            last = n_components - 1
            precisions[first] = precision_m
            means[first] = mean_a
            weights[first] = w
            log_prob[first] = rows[0]
            total[:] = rows[2]
            if second != last:
                precisions[second] = precisions[last]
                means[second] = means[last]
                weights[second] = weights[last]
                log_prob[second] = log_prob[last]
            weights[last] = 0.0
            n_components -= 1
            counts_out[2] += 1
            changed = True
    return n_components
