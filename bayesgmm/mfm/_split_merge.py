"""Split-merge moves for the telescoping sampler, compiled with Numba.

The Gibbs sweep of :mod:`bayesgmm.mfm._sampler` changes the number of clusters ``K+``
one observation at a time: a cluster splits only when an empty component drawn from
the prior happens to land on half of it, and two clusters merge only when one empties
point by point. With many adjacent clusters the chains stay where they started.

The move here is the restricted-Gibbs split-merge move of Jain & Neal (2007,
*Bayesian Analysis* 2, 445-472, "Splitting and merging components of a nonconjugate
Dirichlet process mixture model"), for the non-conjugate priors used here
(independent normal mean and Wishart or Gamma precision). Miller & Harrison (2018,
*JASA* 113, 340-356) show that samplers for Dirichlet process mixtures carry over to
mixtures of finite mixtures with the MFM's partition distribution in place of the
Chinese restaurant process; that is what is done here.

It is a Metropolis-Hastings step on the partition ``C`` and the filled components'
parameters ``theta_+``, with the weights ``eta`` and the number of components ``K``
integrated out and ``alpha`` and ``C0`` held fixed. Its target is

    p(C, theta_+ | alpha, C0, y) ∝ p(C | alpha) prod_k p(theta_k | C0) p(y_{C_k} | theta_k),

with ``p(C | alpha) = sum_{K >= K+} p(K) p(C | K, alpha)`` and ``p(C | K, alpha)``
:func:`partition_log_prob` (Miller & Harrison's partition distribution; ``K <=
k_max``). Integrating ``K`` out as well (the brief of the move needs only ``eta``
integrated) lets a split be proposed when ``K+ = K``. The sweep runs it after the
filled components' parameters and ``C0`` are drawn (steps 1-2), before ``K`` is drawn
from ``p(K | C, alpha)`` and the weights and empty components are redrawn (steps
3-4): every quantity the move integrates out is drawn again before anything
conditions on it, so the sampler keeps its target (partial collapsing: van Dyk &
Park 2008, *JASA* 103, 790-796).

One attempt picks two observations ``i != j``: ``i`` uniformly, ``j`` with
probability one half among ``i``'s nearest observations (in a random block of the
data, :func:`bayesgmm.mfm.k_posterior._neighbours`), otherwise uniformly. The choice
depends on the data alone, not on the state, so every pair's move keeps the target
and so does the mixture over pairs; with many clusters, uniform pairs almost
never fall in two adjacent clusters (or in the two halves of an over-split one),
and neighbour pairs do, in both directions of the move. ``S`` holds the other
members of their clusters.

- Launch states (independent of the current ``C`` on ``S`` and of ``theta``): for a
  split, the members of ``S`` go to the nearer of ``y_i`` and ``y_j`` (distances
  scaled by the prior variance of the means, i.e. the feature ranges), then
  ``n_scans`` restricted Gibbs scans (parameters, then allocations restricted to
  the two clusters) and one more parameter update; for a merge, ``n_scans + 1``
  parameter updates of the merged cluster, from its sample mean.
- ``c_i = c_j``: a split is proposed by one more restricted Gibbs scan from the split
  launch state; ``q`` is the product of its allocation probabilities and the
  densities of its parameter draws (precision given the launch mean, then mean given
  the precision). The reverse move's probability is the density of the current
  parameters under one parameter update from the merge launch state.
- ``c_i != c_j``: a merge is proposed by one parameter update from the merge launch
  state; the reverse probability is that of the restricted Gibbs scan from the split
  launch state ending in the current clusters and parameters.

The allocation probabilities within a scan are ``n_g^-k N(y_k | theta_g)`` (the two
clusters' sizes without ``k``): any proposal is valid when ``q`` is computed as
drawn; these are the restricted Gibbs probabilities of a Chinese restaurant process.
All sums over observations go through sufficient statistics of ``y - b0``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401
from bayesgmm.core.numba_kernels import cholesky
from bayesgmm.mfm._conditionals import (
    draw_gaussian,
    draw_precision,
    log_gaussian,
    log_likelihood,
    log_precision,
    mean_conditional,
    precision_conditional,
    scatter_about,
)

__all__ = ["log_partition", "partition_log_prob", "split_merge", "workspace"]

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _log_blocks(n_filled, counts, gamma):  # pragma: no cover
    """``sum_k log Gamma(N_k + gamma) - log Gamma(gamma)`` over the filled blocks."""
    value = 0.0
    for k in range(n_filled):
        value += math.lgamma(counts[k] + gamma) - math.lgamma(gamma)
    return value


@_jit
def _log_labelled(n_filled, n_samples, n_components, gamma):  # pragma: no cover
    """The rest of :func:`partition_log_prob`: labellings and the Dirichlet's normaliser."""
    if n_components < n_filled:
        return -np.inf
    value = math.lgamma(n_components + 1.0) - math.lgamma(n_components - n_filled + 1.0)
    return value + math.lgamma(n_components * gamma) - math.lgamma(n_samples + n_components * gamma)


@_jit
def partition_log_prob(n_filled, counts, n_samples, n_components, gamma):  # pragma: no cover
    """``log p(partition | K, gamma_K)``.

    The Dirichlet-multinomial probability of one labelling, times the ``K! / (K - K+)!``
    labellings of the partition's ``K+`` blocks by ``K`` components.
    """
    if n_components < n_filled:
        return -np.inf
    return _log_labelled(n_filled, n_samples, n_components, gamma) + _log_blocks(
        n_filled, counts, gamma
    )


@_jit
def log_partition(
    n_filled, counts, n_samples, log_prior_k, gamma, dynamic, alpha
):  # pragma: no cover
    """``log p(partition | alpha) = log sum_K p(K) p(partition | K, gamma_K)``."""
    k_max = log_prior_k.shape[0]
    if n_filled > k_max:
        return -np.inf
    best = -np.inf
    terms = np.empty(k_max - n_filled + 1)
    blocks = 0.0 if dynamic else _log_blocks(n_filled, counts, gamma)
    for j in range(n_filled, k_max + 1):
        if dynamic:
            value = partition_log_prob(n_filled, counts, n_samples, j, alpha / j)
        else:
            value = _log_labelled(n_filled, n_samples, j, gamma) + blocks
        value += log_prior_k[j - 1]
        terms[j - n_filled] = value
        best = max(best, value)
    if not math.isfinite(best):
        return -np.inf
    total = 0.0
    for value in terms:
        total += math.exp(value - best)
    return best + math.log(total)


@_jit
def _group_stats(Xt, b0, items, n_items, group, merged, stats, z):  # pragma: no cover
    """Counts, sums of ``y - b0`` and scatter about the mean of the two groups.

    ``merged``: every item in group 0 (the merged cluster), ``group`` unused. Two
    passes (the sums, then the scatter about their means), for :func:`scatter_about`.
    """
    counts, sums, squares = stats
    d = Xt.shape[0]
    sums[:] = 0.0
    squares[:] = 0.0
    counts[:] = 0
    for k in range(n_items):
        g = 0 if merged else group[k]
        counts[g] += 1
        for a in range(d):
            sums[g, a] += Xt[a, items[k]] - b0[a]
    for k in range(n_items):
        g = 0 if merged else group[k]
        for a in range(d):
            z[a] = Xt[a, items[k]] - b0[a] - sums[g, a] / counts[g]
        for a in range(d):
            for b in range(a + 1):
                squares[g, a, b] += z[a] * z[b]
    for g in range(2):
        for a in range(d):
            for b in range(a):
                squares[g, b, a] = squares[g, a, b]


@_jit
def _update(rng, prior, count, sums, squares, mean, precision, mats, floor):  # pragma: no cover
    """One parameter update: precision given ``mean``, then mean given the precision."""
    structure, c0, C0, B0_inv, zero = prior
    work, rate, scatter, joint, shift = mats[0:4], mats[4], mats[5], mats[6], mats[7, 0]
    scatter_about(count, sums, squares, mean, scatter)
    shape = precision_conditional(structure, c0, C0, scatter, count, rate)
    if not draw_precision(rng, structure, shape, rate, precision, work, floor):
        return False
    mean_conditional(precision, B0_inv, zero, sums, count, joint, shift)
    return draw_gaussian(rng, joint, shift, mean, work, floor)


@_jit
def _log_update(
    prior, count, sums, squares, start, precision, mean, mats, floor
):  # pragma: no cover
    """``log`` density of :func:`_update` from the mean ``start`` to ``(precision, mean)``."""
    structure, c0, C0, B0_inv, zero = prior
    work, rate, scatter, joint, shift = mats[0:4], mats[4], mats[5], mats[6], mats[7, 0]
    scatter_about(count, sums, squares, start, scatter)
    shape = precision_conditional(structure, c0, C0, scatter, count, rate)
    value = log_precision(structure, shape, rate, precision, work, floor)
    mean_conditional(precision, B0_inv, zero, sums, count, joint, shift)
    return value + log_gaussian(joint, shift, mean, work, floor)


@_jit
def _log_target(prior, count, sums, squares, mean, precision, mats, floor):  # pragma: no cover
    """``log p(theta | C0) + log p(y_block | theta)`` of one cluster."""
    structure, c0, C0, B0_inv, zero = prior
    work, rate, scatter = mats[0:4], mats[4], mats[5]
    scatter[:] = 0.0
    shape = precision_conditional(structure, c0, C0, scatter, 0, rate)
    value = log_precision(structure, shape, rate, precision, work, floor)
    value += log_gaussian(B0_inv, zero, mean, work, floor)
    return value + log_likelihood(count, sums, squares, mean, precision, scatter, work, floor)


@_jit
def _allocate(
    rng, data, group, target, forced, counts, means, precisions, work
):  # pragma: no cover
    """One restricted Gibbs scan of the allocations of ``items[2:]``; its log-probability.

    ``forced``: the scan's probability of moving ``group`` to ``target`` (nothing is
    drawn); otherwise ``target`` is not used.
    """
    Xt, b0, items, n_items = data
    mats, vectors, floor = work[2], work[3], work[4]
    d = Xt.shape[0]
    lowers = mats[8:10]
    z, small = vectors[0], work[6]
    lp, log_det = small[:2], small[2:]
    for g in range(2):
        if not cholesky(precisions[g], floor, lowers[g]):
            return np.nan
        log_det[g] = 0.0
        for a in range(d):
            log_det[g] += math.log(lowers[g, a, a])
    log_q = 0.0
    for k in range(2, n_items):
        i = items[k]
        counts[group[k]] -= 1
        for g in range(2):
            for a in range(d):
                z[a] = Xt[a, i] - b0[a] - means[g, a]
            quad = 0.0
            for a in range(d):  # |L' z|^2
                total = 0.0
                for m in range(a, d):
                    total += lowers[g, m, a] * z[m]
                quad += total * total
            lp[g] = math.log(counts[g]) + log_det[g] - 0.5 * quad
        top = max(lp[0], lp[1])
        p0 = math.exp(lp[0] - top)
        p1 = math.exp(lp[1] - top)
        p0 = p0 / (p0 + p1)
        chosen = target[k] if forced else 0 if rng.random() < p0 else 1
        log_q += math.log(p0) if chosen == 0 else math.log1p(-p0)
        group[k] = chosen
        counts[chosen] += 1
    return log_q


@_jit
def _launch_split(rng, data, prior, group, n_scans, work):  # pragma: no cover
    """The split launch state: nearest of ``y_i``, ``y_j``, then restricted Gibbs scans."""
    Xt, b0, items, n_items = data
    stats, means, precisions = work[0][0], work[0][1], work[0][2]
    counts, sums = stats[0], stats[1]
    mats, z, floor = work[2], work[3][0], work[4]
    d = Xt.shape[0]
    B0_inv = prior[3]
    i, j = items[0], items[1]
    group[0], group[1] = 0, 1
    for k in range(2, n_items):
        near_i = 0.0
        near_j = 0.0
        for a in range(d):
            x = Xt[a, items[k]]
            near_i += B0_inv[a, a] * (x - Xt[a, i]) ** 2
            near_j += B0_inv[a, a] * (x - Xt[a, j]) ** 2
        group[k] = 0 if near_i <= near_j else 1
    _group_stats(Xt, b0, items, n_items, group, False, stats, z)
    for g in range(2):
        for a in range(d):
            means[g, a] = sums[g, a] / counts[g]
    for scan in range(n_scans + 1):
        for g in range(2):
            if not _update(
                rng, prior, counts[g], sums[g], stats[2][g], means[g], precisions[g], mats, floor
            ):
                return False
        if scan == n_scans:
            break
        log_q = _allocate(rng, data, group, group, False, counts, means, precisions, work)
        if not math.isfinite(log_q):
            return False
        _group_stats(Xt, b0, items, n_items, group, False, stats, z)
    return True


@_jit
def _launch_merge(rng, data, prior, n_scans, work):  # pragma: no cover
    """The merge launch state: ``n_scans + 1`` parameter updates from the sample mean."""
    Xt, b0, items, n_items = data
    stats, mean, precision = work[1][0], work[1][1][0], work[1][2][0]
    counts, sums, squares = stats
    mats, z, floor = work[2], work[3][0], work[4]
    _group_stats(Xt, b0, items, n_items, items, True, stats, z)
    for a in range(Xt.shape[0]):
        mean[a] = sums[0, a] / counts[0]
    for _ in range(n_scans + 1):
        if not _update(rng, prior, counts[0], sums[0], squares[0], mean, precision, mats, floor):
            return False
    return True


@_jit
def _draw_and_score(rng, prior, stats, g, mean, precision, work):  # pragma: no cover
    """A parameter update of group ``g``; ``log p(theta, y_g) - log q(theta)``, NaN if it fails."""
    counts, sums, squares = stats
    mats, start, floor = work[2], work[3][2], work[4]
    start[:] = mean
    if not _update(rng, prior, counts[g], sums[g], squares[g], mean, precision, mats, floor):
        return np.nan
    value = _log_target(prior, counts[g], sums[g], squares[g], mean, precision, mats, floor)
    return value - _log_update(
        prior, counts[g], sums[g], squares[g], start, precision, mean, mats, floor
    )


@_jit
def _score_reverse(prior, stats, g, start, precision, mean, work):  # pragma: no cover
    """``log q(theta) - log p(theta, y_g)`` of the current parameters of group ``g``."""
    counts, sums, squares = stats
    mats, floor = work[2], work[4]
    value = _log_update(prior, counts[g], sums[g], squares[g], start, precision, mean, mats, floor)
    return value - _log_target(prior, counts[g], sums[g], squares[g], mean, precision, mats, floor)


@_jit
def workspace(n_samples, d):  # pragma: no cover
    """Scratch for :func:`split_merge`, allocated once per chain.

    ``(split, merge, mats, vectors, floor, labels, small)``: ``split`` and ``merge``
    are ``((counts, sums, scatters), means, precisions)`` of two groups (the merge
    uses group 0); ``mats`` ``(10, d, d)`` matrix scratch; ``vectors`` ``(3, d)``;
    ``labels`` ``(3, n_samples)`` integer scratch (the attempt's observations, their
    groups, their current groups); ``small`` ``(4,)``.
    """
    split = (
        (np.zeros(2, dtype=np.int64), np.zeros((2, d)), np.zeros((2, d, d))),
        np.zeros((2, d)),
        np.zeros((2, d, d)),
    )
    merge = (
        (np.zeros(2, dtype=np.int64), np.zeros((2, d)), np.zeros((2, d, d))),
        np.zeros((2, d)),
        np.zeros((2, d, d)),
    )
    return (
        split, merge, np.zeros((10, d, d)), np.zeros((3, d)), np.full(d, 1e-300),
        np.zeros((3, n_samples), dtype=np.int64), np.zeros(4),
    )  # fmt: skip


@_jit
def _pair(rng, n, neighbours):  # pragma: no cover
    """Two distinct observations ``(i, j)``, drawn independently of the sampler's state.

    ``i`` is uniform; ``j`` is, with probability one half, one of ``i``'s listed
    neighbours (uniformly; a row of ``neighbours`` holds ``i``'s nearest observations
    in a random block of the data, see :func:`bayesgmm.mfm.k_posterior`), otherwise
    uniform over the rest. The choice does not depend on the partition or the
    parameters, so each pair's move keeps the target and so does their mixture: no
    correction enters the acceptance ratio.
    """
    i = rng.integers(0, n)
    m = neighbours.shape[1]
    if m > 0 and rng.random() < 0.5:
        j = neighbours[i, rng.integers(0, m)]
        if j != i:
            return i, j
    j = rng.integers(0, n - 1)
    if j >= i:
        j += 1
    return i, j


@_jit
def split_merge(
    rng, Xt, alloc, n_filled, counts, means, precisions, prior, b0, log_prior_k, gamma,
    dynamic, alpha, n_scans, neighbours, work,
):  # pragma: no cover  # fmt: skip
    """One split-merge attempt (see the module documentation), in place.

    Parameters
    ----------
    rng, Xt : the chain's generator and the data ``(d, N)`` (latent values included).
    alloc, n_filled, counts, means, precisions : the partition (filled components
        first) and the filled components' parameters, updated when accepted.
    prior : ``(structure, c0, C0, B0_inv, zeros(d))``.
    b0, log_prior_k, gamma, dynamic, alpha : the rest of the priors.
    n_scans : restricted Gibbs scans of the launch state.
    neighbours : ``(N, m)`` candidates for the second observation (:func:`_pair`);
        ``m = 0``: uniform pairs.
    work : :func:`workspace`.

    Returns
    -------
    (int, int)
        The new ``K+``, and the outcome: 0 split rejected, 1 split accepted, 2 merge
        rejected, 3 merge accepted, -1 a matrix lost positive definiteness.
    """
    d, n = Xt.shape
    k_max = log_prior_k.shape[0]
    split, merge = work[0], work[1]
    split_stats, split_means, split_precisions = split
    merge_stats, merge_mean, merge_precision = merge[0], merge[1][0], merge[2][0]
    items, group, original = work[5][0], work[5][1], work[5][2]
    current_means = merge[1]  # row 1 of the merge's means is free: it uses group 0
    i, j = _pair(rng, n, neighbours)
    a, b = alloc[i], alloc[j]
    items[0], items[1] = i, j
    n_items = 2
    for m in range(n):
        if m != i and m != j and (alloc[m] == a or alloc[m] == b):
            items[n_items] = m
            n_items += 1
    data = (Xt, b0, items, n_items)
    old = log_partition(n_filled, counts, n, log_prior_k, gamma, dynamic, alpha)
    if a == b:  # propose a split
        if n_filled >= k_max:
            return n_filled, 0
        for c in range(d):
            current_means[1, c] = means[a, c] - b0[c]
        if not _launch_split(rng, data, prior, group, n_scans, work):
            return n_filled, -1
        sizes = split_stats[0]
        log_ratio = -_allocate(
            rng, data, group, group, False, sizes, split_means, split_precisions, work
        )
        _group_stats(Xt, b0, items, n_items, group, False, split_stats, work[3][0])
        for g in range(2):
            log_ratio += _draw_and_score(
                rng, prior, split_stats, g, split_means[g], split_precisions[g], work
            )
        if not _launch_merge(rng, data, prior, n_scans, work):
            return n_filled, -1
        log_ratio += _score_reverse(
            prior, merge_stats, 0, merge_mean, precisions[a], current_means[1], work
        )
        counts[a] = sizes[1]
        counts[n_filled] = sizes[0]
        new = log_partition(n_filled + 1, counts, n, log_prior_k, gamma, dynamic, alpha)
        log_ratio += new - old
        if math.isfinite(log_ratio) and math.log(rng.random()) < log_ratio:
            for k in range(n_items):
                if group[k] == 0:
                    alloc[items[k]] = n_filled
            for c in range(d):
                means[n_filled, c] = split_means[0, c] + b0[c]
                means[a, c] = split_means[1, c] + b0[c]
            precisions[n_filled] = split_precisions[0]
            precisions[a] = split_precisions[1]
            return n_filled + 1, 1
        counts[a] = sizes[0] + sizes[1]
        counts[n_filled] = 0
        return n_filled, 0
    # propose a merge
    if not _launch_merge(rng, data, prior, n_scans, work):
        return n_filled, -1
    log_ratio = _draw_and_score(rng, prior, merge_stats, 0, merge_mean, merge_precision, work)
    for k in range(n_items):
        original[k] = 0 if alloc[items[k]] == a else 1
    if not _launch_split(rng, data, prior, group, n_scans, work):
        return n_filled, -1
    sizes = split_stats[0]
    log_ratio += _allocate(
        rng, data, group, original, True, sizes, split_means, split_precisions, work
    )
    _group_stats(Xt, b0, items, n_items, original, False, split_stats, work[3][0])
    for g in range(2):
        label = a if g == 0 else b
        for c in range(d):
            current_means[1, c] = means[label, c] - b0[c]
        log_ratio += _score_reverse(
            prior, split_stats, g, split_means[g], precisions[label], current_means[1], work
        )
    # the merged cluster takes the lower label; the last filled one the higher's place
    low, high, last = min(a, b), max(a, b), n_filled - 1
    size_low, size_high, size_last = counts[low], counts[high], counts[last]
    counts[low] = size_low + size_high
    counts[high] = size_last
    log_ratio += log_partition(last, counts, n, log_prior_k, gamma, dynamic, alpha) - old
    counts[high] = size_high
    counts[low] = size_low
    if not (math.isfinite(log_ratio) and math.log(rng.random()) < log_ratio):
        return n_filled, 2
    for m in range(n):
        if alloc[m] == high:
            alloc[m] = low
        elif alloc[m] == last:
            alloc[m] = high
    for c in range(d):
        means[low, c] = merge_mean[c] + b0[c]
    precisions[low] = merge_precision
    counts[low] = size_low + size_high
    if high != last:
        means[high] = means[last]
        precisions[high] = precisions[last]
        counts[high] = size_last
    counts[last] = 0
    return last, 3
