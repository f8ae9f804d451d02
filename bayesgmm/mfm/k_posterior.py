"""``posterior_over_k``: the posterior of the number of components by telescoping sampling."""

from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from bayesgmm.core.types import RandomStateLike
from bayesgmm.core.validation import (
    Constraint,
    anything,
    check_integer,
    check_random_state,
    integer,
    optional,
    progress_option,
    progress_stream,
    random_state,
    validate_data,
)
from bayesgmm.em.initialization import kmeans
from bayesgmm.exceptions import SamplingError, SamplingWarning
from bayesgmm.mfm.priors import STRUCTURES, MFMPriors, ResolvedPriors, check_covariance_type
from bayesgmm.mfm.result import KPosterior

__all__ = ["default_length", "posterior_over_k", "rounding_widths"]

#: sweeps per call into the compiled chain (progress is reported between calls)
_CHUNK = 5000
#: seconds between a chain's progress lines (and one when it finishes)
PROGRESS_EVERY = 5.0
#: random-walk step of the Metropolis move on log(alpha) (the telescope package's s0)
ALPHA_STEP = 2.5
#: components the chains start from without split-merge moves (the telescope package's Kinit)
START_K = 10
#: restricted Gibbs scans that build a split-merge move's launch state (Jain & Neal's
#: t; they used several). The launch starts from a split by the nearer of two points,
#: which in several dimensions cuts a cluster almost at random; the scans move it to a
#: split the data support. On 500 x 10 data with four clusters (two of 8 % and 9 %),
#: chains climbing from one component stopped at K+ = 3 for 160,000 sweeps with one
#: scan, reached 4 after three doublings with 5 and within the first run with 10
#: (83 s; 148 s with 20); on 1- and 2-D data 10 costs 1.2-2x the time of one.
SPLIT_MERGE_SCANS = 10
#: candidate partners per observation for the split-merge moves' second observation
NEIGHBOURS = 20
#: observations per random block within which those candidates are the nearest
NEIGHBOUR_BLOCK = 2000


def _neighbours(X: np.ndarray, scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each observation's ``NEIGHBOURS`` nearest others within a random block of the data.

    The observations are shuffled into blocks of about ``NEIGHBOUR_BLOCK`` (all of
    them when fewer); distances are Euclidean after dividing each feature by
    ``scale`` (the prior standard deviation of the means, as the moves' launch
    states use). Half of the split-merge moves pair an observation with one of
    these (:func:`bayesgmm.mfm._split_merge._pair`): an over-split cluster's two
    halves, or two adjacent clusters, are then proposed for a merge (and the
    reverse split) far more often than by uniform pairs when there are many
    clusters. The lists depend only on the data and the seed, not on the chain's
    state, so the moves keep their target. Blocks keep the cost at ``O(N
    NEIGHBOUR_BLOCK d)`` (about 1 s for 100,000 rows) whatever ``d``, and on large
    data reach beyond the immediate neighbourhood.
    """
    n = X.shape[0]
    size = min(NEIGHBOURS, n - 1)
    Z = X / scale
    out = np.empty((n, size), dtype=np.int64)
    for block in np.array_split(rng.permutation(n), max(1, n // NEIGHBOUR_BLOCK)):
        points = Z[block]
        norms = np.einsum("ij,ij->i", points, points)
        for first in range(0, len(block), 500):
            rows = slice(first, first + 500)
            distance = norms[rows, None] - 2.0 * points[rows] @ points.T + norms[None, :]
            distance[np.arange(distance.shape[0]), np.arange(len(block))[rows]] = np.inf
            nearest = np.argpartition(distance, size - 1, axis=1)[:, :size]
            out[block[rows]] = block[nearest]
    return out


def _check_count(name: str, value: Any, minimum: int) -> int:
    return int(check_integer(name, value, minimum))


def _start_sizes(
    k_max: int, n_samples: int, split_merge: int, chains: int, start: Any
) -> list[int]:
    """Components each chain starts from (see _Chain), ``start`` validated.

    ``None``: with split-merge moves, the chains alternate between one component and
    ``min(k_max, 10, n)`` (over-dispersed starts, from both sides of any plausible
    K+); without, every chain starts from ``min(k_max, 10, n)``. An integer: every
    chain from that many; a sequence: chain ``c`` from ``start[c % len(start)]``.
    """
    many = min(k_max, START_K, n_samples)
    if start is None:
        return [1 if split_merge and c % 2 == 0 else many for c in range(chains)]
    values = [start] if isinstance(start, int | np.integer) else start
    try:
        sizes = [_check_count("start", v, 1) for v in values]
    except (TypeError, ValueError):
        sizes = []
    largest = min(k_max, n_samples)
    if not sizes or max(sizes) > largest:
        raise ValueError(
            f"start must be None, an integer or a sequence of integers in 1..{largest} "
            f"(k_max and n_samples bound it); got {start!r}."
        )
    return [sizes[c % len(sizes)] for c in range(chains)]


class _Chain:
    """The state of one chain, in the arrays the compiled sampler updates in place.

    A chain starts from ``n_start`` components at the centres of its own k-means
    run (k-means++ seeds from the chain's stream), with the precisions' prior mean.

    With split-merge moves, the chains alternate between one component and ten
    (:func:`_start_sizes`): over-dispersed starts, as Gelman-Rubin diagnostics
    require. From one component, a split of a cluster that holds two gains so much
    likelihood that it is accepted, and the chains reach the clusters one split at
    a time (13 splits on a ring of 14 Gaussians); but a cluster that holds two
    overlapping clusters may stay unsplit for thousands of sweeps (K+ = 3 for 4
    clusters in 10-D with full covariances). A split-merge move's merge of a
    cluster split into two overlapping halves carries the probability of
    proposing that very split back, which falls exponentially with the cluster's
    size: none is accepted at 10,000 rows. The jumps (``jumps``) merge such halves
    with the allocations integrated out: from ten components on 10,000 or 100,000
    rows of 6 clusters, the chains are at six within the 500 tuning sweeps. Chains
    that start from both sides and stay apart show up in r_hat of ``K+``, which
    identical starts would hide. Without the moves, every chain starts from ten
    (the telescope package's start): the Gibbs sweep empties superfluous components
    readily, while a new cluster has to be found by an empty component drawn from
    the prior, which is slow.
    """

    def __init__(
        self,
        X: np.ndarray,
        width: np.ndarray,
        priors: ResolvedPriors,
        n_start: int,
        rng: np.random.Generator,
        split_merge: int,
        neighbours: np.ndarray,
        jumps: int,
    ) -> None:
        n, d = X.shape
        self.split_merge = split_merge
        self.jumps = jumps
        self.neighbours = neighbours
        k_max = priors.k_max
        self.rng = rng
        self.observed = np.ascontiguousarray(X.T)
        self.latent = self.observed.copy()  # rounded features: updated by the sampler
        self.width = width
        self.alloc = np.zeros(n, dtype=np.int64)
        self.weights = np.zeros(k_max)
        self.weights[:n_start] = 1.0 / n_start
        self.means = np.zeros((k_max, d))
        _, self.means[:n_start] = kmeans(X, n_start, rng)
        self.precisions = np.zeros((k_max, d, d))
        self.precisions[:] = priors.c0 * np.linalg.inv(priors.C0)  # the prior mean
        self.C0 = priors.C0.copy()
        alpha = priors.alpha if priors.alpha is not None else 1.0
        # K, K+, alpha, then accepted / proposed moves of alpha, splits and merges,
        # split jumps and merge jumps
        self.state = np.zeros(13)
        self.state[:3] = n_start, n_start, alpha


def _run(
    priors: ResolvedPriors,
    chain: _Chain,
    n_sweeps: int,
    thin: int,
    records: tuple[np.ndarray, ...],
) -> None:
    """``n_sweeps`` sweeps of ``chain``; ``records`` (views) get ``n_sweeps / thin`` rows."""
    from bayesgmm.mfm._sampler import run_chain

    B0_inv = np.linalg.inv(priors.B0)
    settings = np.array(
        [
            priors.gamma,
            float(priors.dynamic),
            float(priors.alpha is not None),
            priors.alpha_prior[0],
            priors.alpha_prior[1],
            ALPHA_STEP,
            float(priors.g0 > 0),
            float(STRUCTURES.index(priors.covariance_type)),
            float(chain.split_merge),
            float(SPLIT_MERGE_SCANS),
            float(chain.jumps),
        ]
    )
    out_k, out_filled, out_prob_k, out_share, out_alpha = records
    code = run_chain(
        chain.rng,
        chain.latent,
        chain.observed,
        chain.width,
        priors.log_prior_k,
        settings,
        priors.b0,
        np.linalg.cholesky(priors.B0),
        B0_inv,
        B0_inv @ priors.b0,
        priors.c0,
        priors.g0,
        priors.G0,
        chain.alloc,
        chain.state,
        chain.weights,
        chain.means,
        chain.precisions,
        chain.C0,
        n_sweeps,
        thin,
        out_k,
        out_filled,
        out_prob_k,
        out_share,
        out_alpha,
        chain.neighbours,
    )
    if code != 0:
        raise SamplingError(
            "posterior_over_k: a component's precision or mean covariance lost positive "
            "definiteness in floating point. Rescale X (e.g. to unit ranges) or use "
            "priors with larger c0."
        )


def _sample_chain(
    priors: ResolvedPriors,
    chain: _Chain,
    index: int,
    n_tune: int,
    thin: int,
    records: tuple[np.ndarray, ...],
    stream: Any,
) -> None:
    """``n_tune`` sweeps, then row ``index`` of ``records``: draws of ``thin`` sweeps each."""
    start = time.perf_counter()
    empty = tuple(np.zeros((0, *r.shape[2:]), dtype=r.dtype) for r in records)
    for first in range(0, n_tune, _CHUNK):
        _run(priors, chain, min(_CHUNK, n_tune - first), 1, empty)
    draws = records[0].shape[1]
    per_call = max(_CHUNK // thin, 1)
    said = start
    for first in range(0, draws, per_call):
        last = min(first + per_call, draws)
        rows = tuple(r[index, first:last] for r in records)
        _run(priors, chain, (last - first) * thin, thin, rows)
        now = time.perf_counter()
        if stream is not None and (last == draws or now - said >= PROGRESS_EVERY):
            said = now
            print(
                f"posterior over K: chain {index + 1}, {n_tune + last * thin}/"
                f"{n_tune + draws * thin} sweeps ({now - start:.1f} s)",
                file=stream,
                flush=True,
            )


def _sample(
    priors: ResolvedPriors,
    chains: list[_Chain],
    n_tune: int,
    draws: int,
    thin: int,
    stream: Any,
) -> tuple[np.ndarray, ...]:
    """Every chain's next ``draws`` draws (after ``n_tune`` sweeps), on parallel threads.

    Returns ``(K, K+, p(K = k | partition), share of K+ = k, alpha)``, each with rows
    ``(n_chains, draws, ...)``.
    """
    n_chains, k_max = len(chains), priors.k_max
    records = (
        np.zeros((n_chains, draws), dtype=np.int64),
        np.zeros((n_chains, draws), dtype=np.int64),
        np.zeros((n_chains, draws, k_max)),
        np.zeros((n_chains, draws, k_max)),
        np.zeros((n_chains, draws)),
    )
    # the compiled chain releases the GIL: chains run in parallel on threads
    with ThreadPoolExecutor(max_workers=min(n_chains, os.cpu_count() or 1)) as pool:
        futures = [
            pool.submit(_sample_chain, priors, chain, c, n_tune, thin, records, stream)
            for c, chain in enumerate(chains)
        ]
        for future in futures:
            future.result()
    return records


def _merge_pairs(
    first: tuple[np.ndarray, ...], second: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...]:
    """Two runs of ``draws`` draws of ``thin`` sweeps -> ``draws`` draws of ``2 thin``.

    Probabilities are averaged over each pair of draws; ``K``, ``K+`` and ``alpha``
    are the pair's last (the state at the end of the longer block).
    """
    merged = []
    for j, (a, b) in enumerate(zip(first, second, strict=True)):
        both = np.concatenate([a, b], axis=1)
        pairs = both.reshape(both.shape[0], -1, 2, *both.shape[2:])
        merged.append(pairs.mean(axis=2) if j in (2, 3) else pairs[:, :, 1].copy())
    return tuple(merged)


def default_length(n_samples: int) -> tuple[int, int]:
    """The default burn-in sweeps and sweeps per draw of :func:`posterior_over_k`.

    A sweep's cost grows with the number of observations ``n``; with the split-merge
    moves, the chains need fewer sweeps to mix. ``tune = clip(2e6 / n, 500, 2000)``
    and ``thin = clip(2e4 / n, 1, 10)``: 2000 and 10 up to 1,000 and 2,000 rows,
    500 and 1 from 100,000 rows (on 2,000 draws per chain). Doubling still extends
    a run whose chains have not converged.

    Parameters
    ----------
    n_samples : int

    Returns
    -------
    (int, int)
        ``(tune, thin)``.

    Examples
    --------
    >>> default_length(82), default_length(10_000), default_length(100_000)
    ((2000, 10), (500, 2), (500, 1))
    """
    tune = int(np.clip(round(2e6 / n_samples), 500, 2000))
    thin = int(np.clip(round(2e4 / n_samples), 1, 10))
    return tune, thin


def _rate(accepted: float, proposed: float) -> float:
    return float(accepted / proposed) if proposed else float("nan")


def _unconverged(result: KPosterior) -> list[str]:
    """The failed checks that more sweeps can mend (r_hat and ESS, not the truncation)."""
    return [p for p in result.problems if p.startswith(("r_hat", "bulk ESS"))]


def rounding_widths(X: np.ndarray, rounding: Any) -> np.ndarray:
    """The rounding width of each feature (0: observed exactly).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    rounding : "auto", None, float or array-like of shape (n_features,)
        ``"auto"``: a feature whose values repeat is taken as rounded to its
        resolution, the smallest gap between its distinct values (1 for
        integer-valued data); a feature without repeats as exact. ``None``: every
        feature exact. A number or one per feature: the widths themselves.

    Returns
    -------
    ndarray of shape (n_features,)

    Raises
    ------
    ValueError
        For a negative, non-finite or wrongly shaped width, or another string.

    Examples
    --------
    >>> X = np.array([[1.0, 0.11], [2.0, 0.52], [2.0, 0.30], [4.0, 0.77]])
    >>> rounding_widths(X, "auto").tolist()
    [1.0, 0.0]
    >>> rounding_widths(X, 0.5).tolist()
    [0.5, 0.5]
    """
    n_features = X.shape[1]
    if rounding is None:
        return np.zeros(n_features)
    if isinstance(rounding, str):
        if rounding != "auto":
            raise ValueError(
                f"rounding must be 'auto', None, a width or one width per feature; got "
                f"{rounding!r}."
            )
        widths = np.zeros(n_features)
        for j in range(n_features):
            values = np.unique(X[:, j])
            if len(values) < len(X) and len(values) > 1:
                widths[j] = float(np.diff(values).min())
        return widths
    widths = np.broadcast_to(np.asarray(rounding, dtype=float), (n_features,)).copy()
    if widths.ndim != 1 or not np.all(np.isfinite(widths)) or np.any(widths < 0):
        raise ValueError(
            f"rounding widths must be finite and >= 0, one number or {n_features} (one "
            f"per feature); got {rounding!r}."
        )
    return widths


def _improper_reason(X: np.ndarray, width: np.ndarray, priors: ResolvedPriors) -> str | None:
    """Why the posterior is improper (tied rows, a random C0, no rounding), or None.

    A block of ``t`` identical rows has a likelihood growing like ``|P|^((t - 1)/2)``
    in its precision ``P``; under ``P ~ W(c0, C0)`` and ``C0 ~ W(g0, G0)`` the
    marginal likelihood of a partition whose tied blocks hold ``t_j`` rows and whose
    other points form one block diverges as ``C0 -> 0`` when ``sum_j (t_j - 1) / 2 >=
    g0 + c0``. Rounded features (latent values) cannot tie.
    """
    if priors.g0 <= 0 or np.any(width > 0) or priors.k_max < 2:
        return None
    _, counts = np.unique(X, axis=0, return_counts=True)
    tied = np.sort(counts[counts > 1])[::-1][: priors.k_max - 1]
    excess = float(((tied - 1) / 2).sum())
    if excess < priors.g0 + priors.c0:
        return None
    return (
        f"the posterior is improper: X has {len(counts[counts > 1])} values repeated "
        f"(up to {int(tied.max())} times), and with C0 random (g0 = {priors.g0:g}) a "
        "component made of identical rows has an unbounded likelihood whose mass does "
        "not vanish as C0 -> 0; the table shows where the chains happened to stay. Treat "
        "the data as rounded (rounding='auto') or fix C0 (priors={'g0': 0})"
    )


#: the settings of :func:`posterior_over_k` (all but ``X``) and what each may be; the
#: priors, rounding and start are checked by posterior_over_k itself
SETTINGS_CONSTRAINTS: dict[str, Constraint] = {
    "k_max": integer(1),
    "priors": anything(),
    "draws": integer(1),
    "tune": optional(integer(0)),
    "chains": integer(1),
    "thin": optional(integer(1)),
    "max_doublings": integer(0),
    "rounding": anything(),
    "covariance_type": anything(),
    "split_merge": integer(0),
    "jumps": integer(0),
    "start": anything(),
    "random_state": random_state(),
    "progress": progress_option(),
}


def posterior_over_k(
    X: ArrayLike,
    k_max: int = 30,
    *,
    priors: Any = None,
    draws: int = 2000,
    tune: int | None = None,
    chains: int = 4,
    thin: int | None = None,
    max_doublings: int = 3,
    rounding: Any = "auto",
    covariance_type: str = "full",
    split_merge: int = 1,
    jumps: int = 2,
    start: int | list[int] | None = None,
    random_state: RandomStateLike = None,
    progress: Any = True,
) -> KPosterior:
    r"""The posterior of the number of components ``K`` (and of clusters ``K+``).

    A Gaussian mixture of finite mixtures (full covariances) with a prior on ``K``
    (:class:`~bayesgmm.mfm.MFMPriors`) is sampled by the telescoping sampler
    (Frühwirth-Schnatter, Malsiner-Walli & Grün 2021): a Gibbs sampler on the
    allocations, the component parameters and ``K``, which moves between values of
    ``K`` through empty components, so no per-K fits are needed; split-merge moves
    on the partition and moment-matched split and merge jumps on the mixture
    change the number of clusters a whole cluster at a time. ``p(K = k | y)`` is
    the average over sweeps of ``p(K = k | partition)`` (Rao-Blackwellised),
    ``p(K+ = k | y)`` the share of sweeps with ``k`` filled components.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data (no missing values).
    k_max : int, default=30
        Largest ``K``; the prior on ``K`` is truncated there (Richardson & Green
        used 30). A warning says when the posterior reaches it.
    priors : None, str, mapping or MFMPriors, default=None
        ``"richardson_green"`` (one feature; the default for one feature),
        ``"telescope"`` (the default for more), a mapping of field overrides with an
        optional ``"name"`` (e.g. ``{"name": "richardson_green", "k_prior":
        ("poisson", 3.0)}``), or an :class:`~bayesgmm.mfm.MFMPriors`.
    draws : int, default=2000
        Recorded draws per chain, each summarising ``thin`` sweeps.
    tune : int or None, default=None
        Sweeps per chain discarded first (burn-in). ``None``: 2000, fewer (down to
        500) above 1,000 observations, as :func:`default_length` says.
    chains : int, default=4
        Independent chains (their agreement is the convergence check). With
        split-merge moves, over-dispersed starts: the first, third, ... chain from one
        component, the second, fourth, ... from its own k-means fit with
        ``min(k_max, 10, n_samples)`` components, so that chains which climb to K+
        by splits and chains which come down to it by emptying and merging must
        agree (with one chain, from one component). With ``split_merge=0``, every
        chain from its own k-means fit with ``min(k_max, 10, n_samples)``
        components.
    thin : int or None, default=None
        Sweeps per recorded draw; ``None``: 10, fewer (down to 1) above 2,000
        observations (:func:`default_length`), where a sweep costs more and the
        split-merge moves make each sweep mix better. ``K``, ``K+`` are recorded at
        the end of each block of sweeps, the probabilities averaged over all its
        sweeps (thinning loses no information from the table, only memory).
    max_doublings : int, default=3
        While the chains fail their convergence checks (r_hat of ``K`` or ``K+``
        above 1.01, bulk ESS below 400), run them as long again, up to this many
        times (so up to ``2**max_doublings`` times the sweeps); the draws are merged
        in pairs, so memory stays the same. 0 runs exactly ``draws * thin`` sweeps.
    rounding : "auto", None, float or array-like, default="auto"
        Rounded data: a value rounded to width ``w`` is known only to lie within
        ``+- w / 2``, and the sampler draws it there (data augmentation), so the
        likelihood of tied values stays bounded. ``"auto"``: features whose values
        repeat are rounded to their resolution (see :func:`rounding_widths`; 1 for
        Old Faithful's integer waiting times); ``None``: every value exact (with
        repeated rows and a random ``C0`` the posterior is then improper, which the
        result reports as a problem). Features without repeats are exact either way.
    covariance_type : {"full", "diag", "spherical"}, default="full"
        The components' covariance structure (mclust's ``"VVV"``, ``"VVI"``,
        ``"VII"`` are accepted): full precisions with a Wishart prior, or diagonal or
        spherical ones with the Gamma analogues (see Notes), so that the posterior
        over ``K`` can be asked under the structure a model grid chose.
    split_merge : int, default=1
        Split-merge moves per sweep (Jain & Neal 2007's restricted Gibbs moves for
        non-conjugate mixtures, with the weights and ``K`` integrated out; see
        :mod:`bayesgmm.mfm._split_merge`). They change ``K+`` by one cluster at a
        time, which the Gibbs sweep alone does only by emptying or filling a
        component point by point: with many adjacent clusters the chains mix only
        with them. Half of the attempts pair an observation with one of its nearest
        neighbours, which proposes merges of adjacent clusters (and the reverse
        splits) far more often than uniform pairs. 0 turns them off. Acceptance
        counts are in ``settings["splits"]`` and ``settings["merges"]`` (accepted,
        proposed).
    jumps : int, default=2
        Split and merge jumps per sweep on the mixture with the allocations
        integrated out (Richardson & Green 1997's split and combine moves, moments
        matched in several dimensions; :mod:`bayesgmm.mfm._jumps`). Their
        acceptance carries the mixture likelihood, not the probability of
        re-proposing a partition, so they merge a cluster split into two
        overlapping halves on large data, where the split-merge moves do not.
        Each costs about one component's share of a sweep. 0 turns them off.
        Counts in ``settings["split_jumps"]`` and ``settings["merge_jumps"]``.
    start : None, int or sequence of int, default=None
        Components each chain starts from (at the centres of its own k-means fit).
        ``None``: the over-dispersed starts described under ``chains``; an integer:
        every chain from that many; a sequence: chain ``c`` from
        ``start[c % len(start)]``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed (each chain gets its own stream from it).
    progress : bool or file-like, default=True
        A line per chain to standard error (``True``), a file, or nothing.

    Returns
    -------
    KPosterior
        ``.table`` (``p_components``, ``p_clusters`` and their Monte Carlo errors,
        indexed by ``k``), ``.plot()``, ``.diagnostics``, ``.problems``,
        ``.to_datatree()``.

    Raises
    ------
    ValueError
        For bad data, counts or priors (naming the field).

    Warns
    -----
    SamplingWarning
        When the estimate is unreliable: chains that disagree about ``K`` or ``K+``
        (r_hat above 1.01), too few effective draws (below 400) or posterior mass at
        ``k_max``; the message names each failed check.

    Notes
    -----
    The priors, with ``R`` each feature's range (see :mod:`bayesgmm.mfm.priors`):
    Diagonal components have ``Sigma_k = diag(1 / p_kj)``, ``p_kj ~ Gamma(c0, C0_j)``,
    ``C0_j ~ Gamma(g0, G0_j)``, spherical ones ``Sigma_k = I / p_k``, ``p_k ~
    Gamma(c0, C0)``, ``C0 ~ Gamma(g0, G0)``, both with ``c0 = 2.5``, ``g0 = 0.5`` and
    ``G0_j = 20 / R_j^2`` (spherical: ``20 / mean_j R_j^2``) by default: the
    one-feature telescope priors per coordinate, which is also the marginal prior of
    each variance under the Wishart default. With one feature the three coincide.
    ``"richardson_green"`` is ``K ~ U{1..k_max}``, ``eta ~ Dir(1)``,
    ``mu_k ~ N(midrange, R^2)``, ``sigma_k^-2 ~ Gamma(2, beta)``,
    ``beta ~ Gamma(0.2, 10/R^2)``; ``"telescope"`` is ``K - 1 ~ BNB(1, 4, 3)``,
    ``eta ~ Dir(alpha/K)``, ``alpha ~ F(6, 3)``, ``mu_k ~ N(midrange, diag(R^2))``,
    ``Sigma_k^-1 ~ W(c0, C0)``, ``C0 ~ W(g0, G0)`` with ``c0 = 2.5 + (r-1)/2``,
    ``g0 = 0.5 + (r-1)/2``, ``G0 = 100 g0/c0 diag(1/R^2)``.

    Examples
    --------
    >>> from bayesgmm import load_galaxies, posterior_over_k
    >>> X = load_galaxies(variant="richardson_green") / 1000
    >>> result = posterior_over_k(X, draws=2000, random_state=0, progress=False)
    >>> 5 <= result.mode <= 7
    True
    """
    array = validate_data(X, min_samples=2).array
    k_max = _check_count("k_max", k_max, 1)
    draws = _check_count("draws", draws, 1)
    auto_tune, auto_thin = default_length(array.shape[0])
    tune = auto_tune if tune is None else _check_count("tune", tune, 0)
    thin = auto_thin if thin is None else _check_count("thin", thin, 1)
    chains = _check_count("chains", chains, 1)
    max_doublings = _check_count("max_doublings", max_doublings, 0)
    split_merge = _check_count("split_merge", split_merge, 0)
    jumps = _check_count("jumps", jumps, 0)
    structure = check_covariance_type(covariance_type)
    resolved = MFMPriors.from_spec(priors, array.shape[1]).resolve(array, k_max, structure)
    width = rounding_widths(array, rounding)
    seeds = np.random.SeedSequence(int(check_random_state(random_state).integers(2**63)))
    stream = progress_stream(progress)
    starts = _start_sizes(k_max, array.shape[0], split_merge, chains, start)
    chain_seeds = seeds.spawn(chains)
    neighbours = (
        _neighbours(array, np.sqrt(np.diag(resolved.B0)), np.random.default_rng(seeds.spawn(1)[0]))
        if split_merge
        else np.zeros((array.shape[0], 0), dtype=np.int64)
    )
    chain_states = [
        _Chain(
            array,
            width,
            resolved,
            n_start,
            np.random.default_rng(seed),
            split_merge,
            neighbours,
            jumps,
        )
        for n_start, seed in zip(starts, chain_seeds, strict=True)
    ]
    improper = _improper_reason(array, width, resolved)

    def sample(n_tune: int, thin: int) -> tuple[np.ndarray, ...]:
        try:
            return _sample(resolved, chain_states, n_tune, draws, thin, stream)
        except SamplingError as error:
            if improper is None:
                raise
            raise SamplingError(f"{error} The likely cause: {improper}.") from None

    started = time.perf_counter()
    records = sample(tune, thin)
    doublings = 0
    while True:
        moves = np.sum([chain.state[3:13] for chain in chain_states], axis=0)
        result = KPosterior(
            n_components=records[0],
            n_clusters=records[1],
            prob_components=records[2],
            share_clusters=records[3],
            alpha=records[4],
            priors=resolved,
            n_samples=array.shape[0],
            settings={
                "draws": draws,
                "tune": tune,
                "chains": chains,
                "thin": thin,
                "doublings": doublings,
                "rounding": width,
                "improper": improper,
                "random_state": random_state,
                "alpha_acceptance": _rate(moves[0], moves[1]),
                "split_merge": split_merge,
                "start": starts,
                "splits": (int(moves[2]), int(moves[3])),
                "merges": (int(moves[4]), int(moves[5])),
                "jumps": jumps,
                "split_jumps": (int(moves[6]), int(moves[7])),
                "merge_jumps": (int(moves[8]), int(moves[9])),
            },
            elapsed=time.perf_counter() - started,
        )
        failed = _unconverged(result)
        if not failed or doublings >= max_doublings:
            break
        if stream is not None:
            print(
                f"posterior over K: not converged after {tune + draws * thin} sweeps per "
                f"chain ({failed[0].split(':')[0]}); doubling the run",
                file=stream,
                flush=True,
            )
        more = sample(0, thin)
        records = _merge_pairs(records, more)
        thin *= 2
        doublings += 1
    if result.problems:
        warnings.warn(
            "posterior_over_k: the estimate is unreliable: " + "; ".join(result.problems) + ".",
            SamplingWarning,
            stacklevel=2,
        )
    return result
