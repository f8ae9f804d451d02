"""The telescoping sampler for mixtures of finite mixtures, compiled with Numba.

One chain of the sampler of Frühwirth-Schnatter, Malsiner-Walli & Grün (2021,
*Bayesian Analysis* 16, 1279-1307, Algorithm 1) for a Gaussian mixture with an unknown
number of components ``K``:

- ``K - 1`` (or ``K``) has the prior ``p(K)`` (any pmf on 1..k_max);
- weights ``eta | K ~ Dirichlet(gamma_K, ..., gamma_K)`` with ``gamma_K`` either fixed
  (static) or ``alpha / K`` (dynamic), ``alpha`` fixed or with an F(nu_l, nu_r) prior;
- means ``mu_k ~ N(b0, B0)``; precisions ``Sigma_k^-1 ~ W(c0, C0)`` and, when
  ``g0 > 0``, ``C0 ~ W(g0, G0)``, in Frühwirth-Schnatter's parametrisation
  (density proportional to ``|W|^(c - (r + 1) / 2) exp(-tr(C W))``; in one dimension
  ``Gamma(c0, rate C0)`` and ``C0 ~ Gamma(g0, rate G0)``: Richardson & Green's
  ``alpha``, ``beta``, ``g``, ``h``); or, for diagonal and spherical covariances,
  the Gamma analogues per coordinate or for one shared precision
  (:mod:`bayesgmm.mfm._conditionals`).

One sweep: (1) allocations given the K components, after (1b) split and merge
jumps on the mixture with the allocations integrated out (moment-matched
reversible jumps, :mod:`bayesgmm.mfm._jumps`: the allocations are drawn from their
full conditional right after, so nothing conditions on the old ones); the filled
ones are moved to the front (``K+`` of them); (2) the filled components' precisions and means, the
latent values of rounded features (data augmentation: an observation of a rounded
feature is the interval it was rounded from), then ``C0`` given the filled
components; (2c) split-merge moves on the partition and the filled components'
parameters, with the weights and ``K`` integrated out (Jain & Neal 2007;
:mod:`bayesgmm.mfm._split_merge`); (3) ``K`` from ``p(K | partition, alpha)``, which
is proportional to ``p(K) K! / (K - K+)! Gamma(K gamma_K) / Gamma(N + K gamma_K)
prod_k Gamma(N_k + gamma_K) / Gamma(gamma_K)``, after ``alpha`` by a random-walk
Metropolis step on ``log alpha`` targeting ``p(alpha | partition)``, ``K`` summed out
(a joint draw of ``alpha`` and ``K``: ``K`` and ``alpha`` drawn each given the other
mix slowly once ``K+`` is settled, as on large data); (4) the ``K - K+`` empty components from their
prior and the weights from ``Dirichlet(gamma_K + N_k)``. The normalised
``p(K | partition, alpha)`` of every kept sweep is returned, so that ``p(K | y)`` can
be estimated by its average (Rao-Blackwellised) rather than by counting draws of K.

The Gaussian algebra (Cholesky factors, whitening, log-densities, scatter matrices)
is the compiled EM loop's (:mod:`bayesgmm.em.compiled_loop`), through the component
draws and densities of :mod:`bayesgmm.mfm._conditionals`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs the cache locator keyed by every kernel source, before any cached function
import bayesgmm.core.numba_cache  # noqa: F401
from bayesgmm.mfm._conditionals import (
    component_log_density,
    draw_c0,
    draw_gaussian,
    draw_precision,
    mean_conditional,
    precision_conditional,
)
from bayesgmm.mfm._jumps import jumps
from bayesgmm.mfm._jumps import workspace as jump_workspace
from bayesgmm.mfm._split_merge import (
    _log_blocks,
    _log_labelled,
    log_partition,
    partition_log_prob,
    split_merge,
    workspace,
)

__all__ = ["partition_log_prob", "run_chain"]

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _truncated_standard_normal(rng, a, b):  # pragma: no cover
    """A draw of N(0, 1) restricted to ``[a, b]`` (``a < b``), by rejection.

    Narrow intervals (rounded values are mostly narrow against a component's spread)
    use a uniform proposal; wide ones on one side of 0 a truncated exponential
    proposal with Robert's (1995) rate, accepted with probability
    ``exp(-(x - rate)^2 / 2)``; wide ones around 0 the normal itself. Every branch
    accepts more than a third of its proposals.
    """
    sign = 1.0
    if b <= 0.0:
        a, b, sign = -b, -a, -1.0
    if a >= 0.0 and (b - a) * (a + b) < 2.0:  # narrow: the density falls by < e^-1
        while True:
            x = a + (b - a) * rng.random()
            if rng.random() <= math.exp(0.5 * (a * a - x * x)):
                return sign * x
    if a >= 0.0:
        rate = 0.5 * (a + math.sqrt(a * a + 4.0))
        span = 1.0 - math.exp(-rate * (b - a))
        while True:
            x = a - math.log(1.0 - rng.random() * span) / rate
            if rng.random() <= math.exp(-0.5 * (x - rate) ** 2):
                return sign * x
    if b - a < 2.5:
        while True:
            x = a + (b - a) * rng.random()
            if rng.random() <= math.exp(-0.5 * x * x):
                return x
    while True:
        x = rng.standard_normal()
        if a <= x <= b:
            return x


@_jit
def _update_latent(
    rng, Xt, Yt, width, alloc, means, precisions, n_filled, scales
):  # pragma: no cover
    """Each rounded value from its normal full conditional, within its rounding interval.

    Feature ``j`` of observation ``i`` in component ``k`` is normal with precision
    ``P_jj`` and mean ``mu_j - sum_{l != j} P_jl (x_l - mu_l) / P_jj`` given its other
    features; it is drawn restricted to ``y_ij +- width_j / 2``.
    """
    d, n = Xt.shape
    for k in range(n_filled):  # the allocations point at the filled components
        for j in range(d):
            scales[k, j] = 1.0 / math.sqrt(precisions[k, j, j]) if precisions[k, j, j] > 0 else 0.0
    for i in range(n):
        k = alloc[i]
        for j in range(d):
            if width[j] <= 0.0:
                continue
            shift = 0.0
            for m in range(d):
                if m != j:
                    shift += precisions[k, j, m] * (Xt[m, i] - means[k, m])
            scale = scales[k, j]
            centre = means[k, j] - shift * scale * scale
            lower = Yt[j, i] - 0.5 * width[j]
            upper = Yt[j, i] + 0.5 * width[j]
            low = (lower - centre) / scale
            high = (upper - centre) / scale
            if math.isfinite(low) and math.isfinite(high):
                Xt[j, i] = centre + scale * _truncated_standard_normal(rng, low, high)
            elif math.isfinite(centre):  # a point mass: its nearest point in the interval
                Xt[j, i] = min(max(centre, lower), upper)


@_jit
def _probabilities(log_prob, n_components, best_row, prob, row):  # pragma: no cover
    """``prob = exp(log_prob - best_row)`` with ``best_row`` the row maxima; ``row`` its sums."""
    n_samples = log_prob.shape[1]
    best_row[:] = log_prob[0]
    for k in range(1, n_components):
        for i in range(n_samples):
            best_row[i] = max(best_row[i], log_prob[k, i])
    row[:] = 0.0
    for k in range(n_components):
        for i in range(n_samples):
            value = math.exp(log_prob[k, i] - best_row[i])
            prob[k, i] = value
            row[i] += value


@_jit
def _gamma_k(n_components, gamma, alpha, dynamic):  # pragma: no cover
    return alpha / n_components if dynamic else gamma


@_jit
def _log_f_density(alpha, nu_l, nu_r):  # pragma: no cover
    """Log-density of the F(nu_l, nu_r) distribution at ``alpha`` (up to a constant)."""
    return (0.5 * nu_l - 1.0) * math.log(alpha) - 0.5 * (nu_l + nu_r) * math.log1p(
        nu_l * alpha / nu_r
    )


@_jit
def run_chain(
    rng,
    Xt,
    Yt,
    width,
    log_prior_k,
    settings,
    b0,
    B0_lower,
    B0_inv,
    B0_inv_b0,
    c0,
    g0,
    G0,
    alloc,
    state,
    weights,
    means,
    precisions,
    C0,
    n_sweeps,
    thin,
    out_k,
    out_filled,
    out_prob_k,
    out_share,
    out_alpha,
    neighbours,
):  # pragma: no cover
    """Run ``n_sweeps`` sweeps of one chain in place, recording one draw per ``thin``.

    Parameters
    ----------
    rng : numpy.random.Generator
    Xt : the data ``(r, N)``; for rounded features the latent values, updated in place.
    Yt : the observed data ``(r, N)``.
    width : ``(r,)`` rounding width of each feature (0: observed exactly): the value
        of feature ``j`` is only known to lie within ``Yt[j] +- width[j] / 2``.
    log_prior_k : ``(k_max,)`` log p(K = k), k = 1..k_max.
    settings : ``[gamma, dynamic, alpha_fixed, nu_l, nu_r, alpha_step, random_C0,
        structure, split-merge attempts per sweep, restricted Gibbs scans per launch,
        jumps per sweep]``
        (structure: 0 full, 1 diag, 2 spherical; see :mod:`._conditionals`).
    b0, B0_lower, B0_inv, B0_inv_b0, c0, g0, G0 : the component priors (``B0_lower``
        the Cholesky factor of ``B0``; ``g0 = 0``: C0 fixed).
    alloc, state, weights, means, precisions, C0 : the chain's state, updated in
        place; ``state = [K, K+, alpha, accepted alpha moves, alpha proposals, accepted
        splits, proposed splits, accepted merges, proposed merges, the same for the
        jumps]``.
    n_sweeps, thin : sweeps to run; sweeps per recorded draw.
    out_k, out_filled, out_prob_k, out_share, out_alpha : the records, ``n_sweeps /
        thin`` rows (none: nothing is recorded, e.g. burn-in). ``K``, ``K+`` and
        ``alpha`` at the end of each block of ``thin`` sweeps; ``out_prob_k`` the
        block's average of ``p(K = k | partition, alpha)`` and ``out_share`` the
        share of the block's sweeps with ``K+ = k`` (no sweep's information is lost
        to thinning).
    neighbours : ``(N, m)`` candidate partners of each observation for the
        split-merge moves' pairs (``m = 0``: uniform pairs).

    Returns
    -------
    int
        0 on success; 1 if a matrix lost positive definiteness (numerically).
    """
    d, n_samples = Xt.shape
    rounded = False
    for a in range(d):
        rounded = rounded or width[a] > 0
    k_max = log_prior_k.shape[0]
    gamma, dynamic, alpha_fixed = settings[0], settings[1] > 0, settings[2] > 0
    nu_l, nu_r, alpha_step, random_c0 = settings[3], settings[4], settings[5], settings[6] > 0
    structure, n_split_merge, n_scans = int(settings[7]), int(settings[8]), int(settings[9])
    n_jumps = int(settings[10])
    prior = (structure, c0, C0, B0_inv, np.zeros(d))
    moves = workspace(n_samples, d)
    jump_work = jump_workspace(n_samples, d, k_max)
    jump_counts = np.zeros(4)
    total_row = np.zeros(n_samples)
    floor = np.full(d, 1e-300)
    work = np.zeros((4, d, d))
    scales = np.zeros((k_max, d))
    scratch = np.zeros((d, d))
    scatter = np.zeros((d, d))
    shift = np.zeros(d)
    sums = np.zeros(d)
    log_prob = np.zeros((k_max, n_samples))
    prob = np.zeros((k_max, n_samples))
    row = np.zeros(n_samples)
    row_work = np.zeros(n_samples)
    best_row = np.zeros(n_samples)
    counts = np.zeros(k_max, dtype=np.int64)
    new_label = np.zeros(k_max, dtype=np.int64)
    centred = np.zeros((d, n_samples))
    stat_sums = np.zeros((k_max, d))
    stat_squares = np.zeros((k_max, d, d))
    z = np.zeros(d)
    prob_k = np.zeros(k_max)
    n_components = int(state[0])
    alpha = state[2]
    record = out_k.shape[0] > 0
    for sweep in range(n_sweeps):
        # (1) allocations given the K components
        for k in range(n_components):
            if not component_log_density(
                Xt, means[k], precisions[k], weights[k], log_prob[k], centred, row_work, work,
                floor,
            ):  # fmt: skip
                return 1
        # each observation's probabilities (one exp per pair)
        _probabilities(log_prob, n_components, best_row, prob, row)
        # (1b) split and merge jumps with the allocations integrated out
        if n_jumps > 0:
            for i in range(n_samples):
                total_row[i] = best_row[i] + math.log(row[i])
            jump_counts[:] = 0.0
            n_components = jumps(
                rng, Xt, n_components, weights, means, precisions, log_prob, total_row,
                structure, (c0, C0, B0_inv, B0_inv_b0), log_prior_k, gamma, dynamic, alpha,
                n_jumps, jump_counts, jump_work,
            )  # fmt: skip
            if n_components < 0:
                return 1
            for j in range(4):
                state[9 + j] += jump_counts[j]
            if jump_counts[0] + jump_counts[2] > 0:  # components changed
                _probabilities(log_prob, n_components, best_row, prob, row)
        # then one uniform each
        counts[:] = 0
        for i in range(n_samples):
            u = rng.random() * row[i]
            label = n_components - 1
            acc = 0.0
            for k in range(n_components):
                acc += prob[k, i]
                if u < acc:
                    label = k
                    break
            alloc[i] = label
            counts[label] += 1
        # the filled components first, in their order
        n_filled = 0
        for k in range(n_components):
            if counts[k] > 0:
                new_label[k] = n_filled
                if n_filled != k:
                    means[n_filled] = means[k]
                    precisions[n_filled] = precisions[k]
                    counts[n_filled] = counts[k]
                n_filled += 1
        counts[n_filled:] = 0
        for i in range(n_samples):
            alloc[i] = new_label[alloc[i]]
        # (2) the filled components' parameters, then C0 given them
        # one pass for the sums and scatter of y - mu_k about each filled component's
        # current mean mu_k (no cancellation however narrow the component)
        stat_sums[:n_filled] = 0.0
        stat_squares[:n_filled] = 0.0
        for i in range(n_samples):
            k = alloc[i]
            for a in range(d):
                z[a] = Xt[a, i] - means[k, a]
            for a in range(d):
                stat_sums[k, a] += z[a]
                for b in range(a + 1):
                    stat_squares[k, a, b] += z[a] * z[b]
        for k in range(n_filled):
            m = counts[k]
            for a in range(d):
                sums[a] = stat_sums[k, a] + m * means[k, a]
                for b in range(a + 1):
                    scatter[a, b] = stat_squares[k, a, b]
                    scatter[b, a] = stat_squares[k, a, b]
            shape = precision_conditional(structure, c0, C0, scatter, m, scratch)
            if not draw_precision(rng, structure, shape, scratch, precisions[k], work, floor):
                return 1
            mean_conditional(precisions[k], B0_inv, B0_inv_b0, sums, m, scratch, shift)
            if not draw_gaussian(rng, scratch, shift, means[k], work, floor):
                return 1
        # (2b) the latent values of rounded features given allocations and parameters
        if rounded:
            _update_latent(rng, Xt, Yt, width, alloc, means, precisions, n_filled, scales)
        if random_c0 and not draw_c0(
            rng, structure, g0, G0, c0, precisions, n_filled, C0, scratch, work, floor
        ):
            return 1
        # (2c) split-merge moves on the partition and the filled components
        for _ in range(n_split_merge):
            n_filled, outcome = split_merge(
                rng, Xt, alloc, n_filled, counts, means, precisions, prior, b0, log_prior_k,
                gamma, dynamic, alpha, n_scans, neighbours, moves,
            )  # fmt: skip
            if outcome < 0:
                return 1
            state[6 + 2 * (outcome // 2)] += 1  # proposals of splits (6), merges (8)
            state[5 + 2 * (outcome // 2)] += outcome % 2  # accepted (5, 7)
        # (3) alpha given the partition (K integrated out), then K given both
        if dynamic and not alpha_fixed:
            proposal = alpha * math.exp(alpha_step * rng.standard_normal())
            log_ratio = (
                _log_f_density(proposal, nu_l, nu_r)
                + math.log(proposal)
                + log_partition(n_filled, counts, n_samples, log_prior_k, gamma, True, proposal)
                - _log_f_density(alpha, nu_l, nu_r)
                - math.log(alpha)
                - log_partition(n_filled, counts, n_samples, log_prior_k, gamma, True, alpha)
            )
            state[4] += 1
            if math.log(rng.random()) < log_ratio:
                alpha = proposal
                state[3] += 1
        best = -np.inf
        static_blocks = 0.0 if dynamic else _log_blocks(n_filled, counts, gamma)
        for j in range(k_max):
            kk = j + 1
            if kk < n_filled:
                prob_k[j] = -np.inf
            elif dynamic:
                prob_k[j] = log_prior_k[j] + partition_log_prob(
                    n_filled, counts, n_samples, kk, alpha / kk
                )
            else:
                prob_k[j] = log_prior_k[j] + _log_labelled(n_filled, n_samples, kk, gamma)
                prob_k[j] += static_blocks
            best = max(best, prob_k[j])
        total = 0.0
        for j in range(k_max):
            prob_k[j] = math.exp(prob_k[j] - best)
            total += prob_k[j]
        for j in range(k_max):
            prob_k[j] /= total
        u = rng.random()
        acc = 0.0
        n_components = k_max
        for j in range(n_filled - 1, k_max):
            acc += prob_k[j]
            if u < acc:
                n_components = j + 1
                break
        # (4) the empty components from the prior, then the weights
        for k in range(n_filled, n_components):
            if not draw_precision(rng, structure, c0, C0, precisions[k], work, floor):
                return 1
            for a in range(d):
                shift[a] = rng.standard_normal()
            for a in range(d):
                total = b0[a]
                for b in range(a + 1):
                    total += B0_lower[a, b] * shift[b]
                means[k, a] = total
        gamma_k = _gamma_k(n_components, gamma, alpha, dynamic)
        total = 0.0
        for k in range(n_components):
            weights[k] = rng.standard_gamma(gamma_k + counts[k])
            total += weights[k]
        for k in range(n_components):
            weights[k] /= total
        if record:
            j = sweep // thin
            out_prob_k[j, :] += prob_k / thin
            out_share[j, n_filled - 1] += 1.0 / thin
            out_k[j] = n_components
            out_filled[j] = n_filled
            out_alpha[j] = alpha
    state[0] = n_components
    state[1] = n_filled
    state[2] = alpha
    return 0
