"""Losses between partitions, their posterior expectation and the partition search.

The math behind :func:`bayesgmm.uses.clustering.summary_partition` (Wade & Ghahramani 2018,
*Bayesian Analysis* 13, 559-626; a SALSO-like search after Dahl, Johnson & Müller
2022): :func:`binder_loss` and :func:`variation_of_information` between two
partitions, :func:`expected_loss` of a partition under sampled partitions (or, for
Binder's loss, under a co-clustering matrix), the sweeps that lower it one
reassignment at a time, label alignment and the credible ball. Everything works on
integer label vectors; nothing here knows mixture models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

__all__ = [
    "LOSSES",
    "TOLERANCE",
    "CredibleBall",
    "Loss",
    "adjusted_rand_index",
    "align_labels",
    "binder_from_coclustering",
    "binder_loss",
    "binder_sweeps",
    "check_loss",
    "credible_ball",
    "expected_loss",
    "pairwise_loss",
    "variation_of_information",
    "vi_sweeps",
]


#: losses understood by :func:`expected_loss` and :func:`summary_partition`
LOSSES = ("vi", "binder")


#: most array elements of one dense contingency computation (chunks beyond)
_DENSE_BUDGET = 2**24


#: a move must lower the objective by more than this (guards against rounding cycles)
TOLERANCE = 1e-10


Loss = Literal["vi", "binder"]


def check_loss(loss: Any) -> Loss:
    """``loss`` if it is one of :data:`LOSSES`, else a ``ValueError`` listing them.

    Examples
    --------
    >>> check_loss("vi")
    'vi'
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}; got {loss!r}.")
    return loss


def _check_labels(labels: ArrayLike, name: str) -> NDArray[np.intp]:
    """A 1-D integer partition, recoded as 0, 1, ... in order of the sorted labels."""
    array = np.asarray(labels)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of cluster labels; got shape {array.shape}."
        )
    if array.dtype.kind not in "biu":
        raise TypeError(f"{name} must contain integer cluster labels; got dtype {array.dtype}.")
    return np.unique(array, return_inverse=True)[1].astype(np.intp)


def _check_partitions(partitions: ArrayLike, n_samples: int) -> NDArray[np.intp]:
    array = np.asarray(partitions)
    if array.ndim != 2 or array.shape[1] != n_samples or array.shape[0] == 0:
        raise ValueError(
            f"partitions must have shape (n_partitions, {n_samples}) to match labels; got "
            f"shape {array.shape}."
        )
    if array.dtype.kind not in "biu":
        raise TypeError(f"partitions must contain integer cluster labels; got dtype {array.dtype}.")
    return np.unique(array, return_inverse=True)[1].reshape(array.shape).astype(np.intp)


def _check_coclustering(coclustering: ArrayLike, n_samples: int) -> NDArray[np.float64]:
    array = np.asarray(coclustering, dtype=np.float64)
    if array.shape != (n_samples, n_samples):
        raise ValueError(
            f"coclustering must have shape ({n_samples}, {n_samples}) to match labels; got "
            f"shape {array.shape}."
        )
    if not np.all((array >= 0) & (array <= 1)):
        raise ValueError("coclustering must hold probabilities in [0, 1].")
    return array


def _vi_term(counts: NDArray) -> NDArray[np.float64]:
    """``x log2 x`` (0 at 0)."""
    return special.xlogy(counts, counts) / math.log(2)


def _binder_term(counts: NDArray) -> NDArray[np.float64]:
    """``x (x - 1) / 2``: pairs among ``x`` points."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts * (counts - 1) / 2


_TERMS = {"vi": _vi_term, "binder": _binder_term}


def _marginal_sums(partitions: NDArray[np.intp], term) -> NDArray[np.float64]:
    """``sum_k term(n_k)`` for every row (labels 0..L-1)."""
    n_rows = partitions.shape[0]
    n_labels = int(partitions.max()) + 1
    codes = partitions + (np.arange(n_rows) * n_labels)[:, None]
    counts = np.bincount(codes.ravel(), minlength=n_rows * n_labels).reshape(n_rows, n_labels)
    return term(counts).sum(axis=1)


def _cross_sums(a: NDArray[np.intp], b: NDArray[np.intp], term) -> NDArray[np.float64]:
    """``sum_kl term(n_kl)`` of the contingency table of every row of ``a`` with every row of ``b``.

    ``a`` is ``(C, n)``, ``b`` is ``(S, n)``, both with labels 0..L-1; the result is
    ``(C, S)``. Dense one-hot matrix products when they fit in ``_DENSE_BUDGET``
    elements (chunked over the rows of ``a``), else sorting per row of ``a``.
    """
    (n_a, n), n_b = a.shape, b.shape[0]
    la, lb = int(a.max()) + 1, int(b.max()) + 1
    out = np.empty((n_a, n_b))
    if n * n_b * lb <= _DENSE_BUDGET:
        onehot_b = np.zeros((n, n_b * lb))
        onehot_b[np.arange(n)[None, :], np.arange(n_b)[:, None] * lb + b] = 1.0
        chunk = max(1, min(_DENSE_BUDGET // (la * n_b * lb), _DENSE_BUDGET // (la * n)))
        for start in range(0, n_a, chunk):
            part = a[start : start + chunk]
            onehot_a = np.zeros((len(part) * la, n))
            onehot_a[np.arange(len(part))[:, None] * la + part, np.arange(n)[None, :]] = 1.0
            counts: NDArray = onehot_a @ onehot_b
            out[start : start + chunk] = (
                term(counts).reshape(len(part), la, n_b, lb).sum(axis=(1, 3))
            )
        return out
    offsets = np.arange(n_b, dtype=np.int64)[:, None] * (la * lb)
    for c in range(n_a):
        keys = (offsets + a[c].astype(np.int64) * lb + b).ravel()
        cells, counts = np.unique(keys, return_counts=True)
        out[c] = np.bincount(cells // (la * lb), weights=term(counts), minlength=n_b)
    return out


def pairwise_loss(a: NDArray[np.intp], b: NDArray[np.intp], loss: str) -> NDArray[np.float64]:
    """``(C, S)`` losses between the rows of ``a`` and of ``b`` (compact labels)."""
    term = _TERMS[loss]
    n = a.shape[1]
    joint = _cross_sums(a, b, term)
    value = _marginal_sums(a, term)[:, None] + _marginal_sums(b, term)[None, :] - 2 * joint
    norm = n if loss == "vi" else n * (n - 1) / 2
    if norm == 0:  # one point: every partition is the same
        return np.zeros_like(value)
    return np.maximum(value / norm, 0.0)


def binder_loss(labels_a: ArrayLike, labels_b: ArrayLike) -> float:
    """Binder loss between two partitions: the fraction of pairs they disagree on.

    ``sum_{i<j} |1(a_i = a_j) - 1(b_i = b_j)| / (n (n - 1) / 2)``, i.e. Binder's loss
    with equal costs, normalised to [0, 1]; it equals ``1 - Rand index``.

    Parameters
    ----------
    labels_a, labels_b : array-like of shape (n_samples,)
        Cluster labels (any integers; only the grouping matters).

    Returns
    -------
    float

    Examples
    --------
    >>> binder_loss([0, 0, 1, 1], [5, 5, 7, 7])
    0.0
    >>> round(binder_loss([0, 0, 1, 1], [0, 0, 0, 0]), 4)
    0.6667
    """
    a = _check_labels(labels_a, "labels_a")
    b = _check_labels(labels_b, "labels_b")
    if a.shape != b.shape:
        raise ValueError(
            f"labels_a and labels_b must have the same length; got {a.size} and {b.size}."
        )
    return float(pairwise_loss(a[None], b[None], "binder")[0, 0])


def adjusted_rand_index(labels_a: ArrayLike, labels_b: ArrayLike) -> float:
    """Hubert & Arabie's (1985) adjusted Rand index between two partitions.

    The Rand index corrected for chance: 1 for the same partition, about 0 for
    unrelated ones (mclust's ``adjustedRandIndex``).

    Parameters
    ----------
    labels_a, labels_b : array-like of shape (n_samples,)
        Cluster labels (any integers, ``-1`` for noise included: only the grouping
        matters).

    Returns
    -------
    float

    Examples
    --------
    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> round(adjusted_rand_index([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2]), 4)
    0.4444
    """
    a = _check_labels(labels_a, "labels_a")
    b = _check_labels(labels_b, "labels_b")
    if a.shape != b.shape:
        raise ValueError(
            f"labels_a and labels_b must have the same length; got {a.size} and {b.size}."
        )
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1.0)
    pairs = special.comb(table, 2).sum()
    rows = special.comb(table.sum(axis=1), 2).sum()
    columns = special.comb(table.sum(axis=0), 2).sum()
    expected = rows * columns / special.comb(a.size, 2)
    largest = (rows + columns) / 2
    if largest == expected:  # both partitions trivial (one cluster, or all singletons)
        return 1.0
    return float((pairs - expected) / (largest - expected))


def variation_of_information(labels_a: ArrayLike, labels_b: ArrayLike) -> float:
    """Variation of information between two partitions, in bits.

    ``VI(a, b) = H(a) + H(b) - 2 I(a, b)`` (Meila 2007): a metric on partitions,
    between 0 (same grouping) and ``log2(n_samples)``.

    Parameters
    ----------
    labels_a, labels_b : array-like of shape (n_samples,)
        Cluster labels (any integers; only the grouping matters).

    Returns
    -------
    float

    Examples
    --------
    >>> variation_of_information([0, 0, 1, 1], [1, 1, 0, 0])
    0.0
    >>> variation_of_information([0, 0, 1, 1], [0, 0, 0, 0])
    1.0
    """
    a = _check_labels(labels_a, "labels_a")
    b = _check_labels(labels_b, "labels_b")
    if a.shape != b.shape:
        raise ValueError(
            f"labels_a and labels_b must have the same length; got {a.size} and {b.size}."
        )
    return float(pairwise_loss(a[None], b[None], "vi")[0, 0])


def binder_from_coclustering(
    candidates: NDArray[np.intp], coclustering: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Expected (normalised) Binder loss of every row of ``candidates`` given ``P(z_i = z_j)``."""
    n = coclustering.shape[0]
    if n == 1:
        return np.zeros(len(candidates))
    weights = 1.0 - 2.0 * coclustering
    np.fill_diagonal(weights, 0.0)
    base = (coclustering.sum() - np.trace(coclustering)) / 2
    n_labels = int(candidates.max()) + 1
    out = np.empty(len(candidates))
    chunk = max(1, _DENSE_BUDGET // (n_labels * n))
    for start in range(0, len(candidates), chunk):
        part = candidates[start : start + chunk]
        onehot = np.zeros((len(part), n_labels, n))
        onehot[np.arange(len(part))[:, None], part, np.arange(n)[None, :]] = 1.0
        flat = onehot.reshape(-1, n)
        same = np.einsum("rj,rj->r", flat @ weights, flat).reshape(len(part), -1).sum(axis=1)
        out[start : start + chunk] = base + same / 2
    return np.maximum(out / (n * (n - 1) / 2), 0.0)


def expected_loss(
    labels: ArrayLike,
    partitions: ArrayLike | None = None,
    *,
    loss: Loss = "vi",
    coclustering: ArrayLike | None = None,
) -> float:
    """Posterior expected loss of a partition.

    ``E[L(labels, z) | data]`` estimated as the mean of ``L(labels, z_s)`` over
    sampled partitions ``z_s``; for the Binder loss it can instead be computed from
    the co-clustering matrix, ``sum_{i<j} [1(c_i = c_j)(1 - p_ij) + 1(c_i != c_j)
    p_ij] / (n (n - 1) / 2)``, since the loss is linear in the pair indicators.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        The partition to score.
    partitions : array-like of shape (n_partitions, n_samples), default=None
        Posterior partitions (:func:`sample_partitions`). Needed for ``"vi"``.
    loss : {"vi", "binder"}, default="vi"
        Variation of information (bits) or normalised Binder loss
        (see :func:`variation_of_information`, :func:`binder_loss`).
    coclustering : array-like of shape (n_samples, n_samples), default=None
        ``P(z_i = z_j | data)`` (:func:`coclustering_matrix`); ``"binder"`` only, in
        place of ``partitions``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown ``loss``, shapes that do not match ``labels``, or when neither
        or both of ``partitions`` and ``coclustering`` are given.

    Examples
    --------
    >>> partitions = np.array([[0, 0, 1, 1], [0, 0, 0, 1]])
    >>> round(expected_loss([0, 0, 1, 1], partitions, loss="binder"), 4)
    0.25
    >>> same = np.mean([p[:, None] == p[None, :] for p in partitions], axis=0)
    >>> round(expected_loss([0, 0, 1, 1], loss="binder", coclustering=same), 4)
    0.25
    """
    loss = check_loss(loss)
    candidate = _check_labels(labels, "labels")
    n_samples = candidate.size
    if (partitions is None) == (coclustering is None):
        raise ValueError(
            "Pass exactly one of partitions and coclustering; got "
            f"{'both' if partitions is not None else 'neither'}."
        )
    if coclustering is not None:
        if loss != "binder":
            raise ValueError(
                f"coclustering determines only the expected Binder loss; got loss={loss!r}. "
                "Pass sampled partitions for loss='vi'."
            )
        matrix = _check_coclustering(coclustering, n_samples)
        return float(binder_from_coclustering(candidate[None], matrix)[0])
    assert partitions is not None  # exactly one of the two is given
    sampled = _check_partitions(partitions, n_samples)
    return float(pairwise_loss(candidate[None], sampled, loss)[0].mean())


def vi_sweeps(
    labels: NDArray[np.intp], partitions: NDArray[np.intp], max_sweeps: int
) -> tuple[NDArray[np.intp], int]:
    """Greedy point moves lowering the expected VI; returns labels and sweeps run.

    Up to terms constant in ``c``, ``n E[VI](c) = sum_k f(n_k) - (2/S) sum_s sum_kl
    f(n_kl^s)`` with ``f(x) = x log2 x``, so the change from adding point ``i`` to
    cluster ``b`` needs only the counts of ``b`` (the gains ``f(x + 1) - f(x)`` are
    tabulated).
    """
    n_draws, n = partitions.shape
    n_components = int(partitions.max()) + 1
    labels = np.unique(labels, return_inverse=True)[1].astype(np.intp)
    n_labels = int(labels.max()) + 2  # one empty cluster to move into
    sizes = np.bincount(labels, minlength=n_labels)
    rows = np.arange(n_draws)
    joint = np.bincount(
        ((rows[:, None] * n_labels + labels[None, :]) * n_components + partitions).ravel(),
        minlength=n_draws * n_labels * n_components,
    ).reshape(n_draws, n_labels, n_components)
    f = _vi_term(np.arange(n + 2, dtype=np.float64))
    gain = np.diff(f)  # gain[x] = f(x + 1) - f(x)
    scale = 2.0 / n_draws
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - reported after the loop
        moved = 0
        for i in range(n):
            a, z = labels[i], partitions[:, i]
            sizes[a] -= 1
            joint[rows, a, z] -= 1
            cost = gain[sizes] - scale * gain[joint[rows, :, z]].sum(axis=0)
            b = int(np.argmin(cost))
            if not cost[b] < cost[a] - TOLERANCE:
                b = a
            labels[i] = b
            sizes[b] += 1
            joint[rows, b, z] += 1
            if b != a:
                moved += 1
                if not np.any(sizes == 0):
                    sizes = np.append(sizes, 0)
                    joint = np.concatenate(
                        [joint, np.zeros((n_draws, 1, n_components), dtype=joint.dtype)], axis=1
                    )
        if not moved:
            break
    return labels, sweeps


def binder_sweeps(
    labels: NDArray[np.intp], coclustering: NDArray[np.float64], max_sweeps: int
) -> tuple[NDArray[np.intp], int]:
    """Greedy point moves lowering the expected Binder loss given ``P(z_i = z_j)``.

    Joining cluster ``b`` changes the (unnormalised) loss by
    ``sum_{j in b} (1 - 2 p_ij)``.
    """
    n = labels.size
    labels = np.unique(labels, return_inverse=True)[1].astype(np.intp)
    n_labels = int(labels.max()) + 2
    sizes = np.bincount(labels, minlength=n_labels)
    weights = 1.0 - 2.0 * coclustering
    np.fill_diagonal(weights, 0.0)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - reported after the loop
        moved = 0
        for i in range(n):
            a = labels[i]
            sizes[a] -= 1
            # weights[i, i] = 0, so i (still labelled a) adds nothing
            cost = np.bincount(labels, weights=weights[i], minlength=len(sizes))
            b = int(np.argmin(cost))
            if not cost[b] < cost[a] - TOLERANCE:
                b = a
            labels[i] = b
            sizes[b] += 1
            if b != a:
                moved += 1
                if not np.any(sizes == 0):
                    sizes = np.append(sizes, 0)
        if not moved:
            break
    return labels, sweeps


def align_labels(labels: NDArray[np.intp], reference: NDArray[np.intp]) -> NDArray[np.intp]:
    """Rename clusters of ``labels`` to best match ``reference`` (most shared points).

    Unmatched clusters get the next unused labels, in order of first appearance.
    """
    codes = np.unique(labels, return_inverse=True)[1]
    n_codes = int(codes.max()) + 1
    n_ref = int(reference.max()) + 1
    table = np.zeros((n_codes, n_ref))
    np.add.at(table, (codes, reference), 1.0)
    rows, cols = optimize.linear_sum_assignment(table, maximize=True)
    mapping = np.full(n_codes, -1, dtype=np.intp)
    mapping[rows] = cols
    first = np.unique(codes, return_index=True)[1]
    next_label = n_ref
    for code in np.argsort(first, kind="stable"):
        if mapping[code] < 0:
            mapping[code] = next_label
            next_label += 1
    return mapping[codes]


@dataclass
class CredibleBall:
    """Credible ball of a summary partition (Wade & Ghahramani 2018, section 3.2).

    The smallest ball around the summary partition ``c*`` (in the distance of the
    loss) holding ``ci_prob`` of the sampled partitions, and its bounds among the
    sampled partitions in it. Labels are aligned with ``c*``.

    Attributes
    ----------
    ci_prob : float
        Posterior probability of the ball.
    radius : float
        Its radius ``epsilon*``.
    horizontal : ndarray of shape (n_samples,)
        A partition in the ball farthest from ``c*``.
    upper_vertical : ndarray of shape (n_samples,)
        Among those with the fewest clusters, the farthest from ``c*``.
    lower_vertical : ndarray of shape (n_samples,)
        Among those with the most clusters, the farthest from ``c*``.
    distances : ndarray of shape (3,)
        Distance of ``horizontal``, ``upper_vertical`` and ``lower_vertical`` to ``c*``.

    Examples
    --------
    >>> ball = CredibleBall(
    ...     0.95,
    ...     0.5,
    ...     np.array([0, 1]),
    ...     np.array([0, 0]),
    ...     np.array([0, 1]),
    ...     np.array([0.5, 0.5, 0.5]),
    ... )
    >>> ball.n_clusters
    {'horizontal': 2, 'upper_vertical': 1, 'lower_vertical': 2}
    """

    ci_prob: float
    radius: float
    horizontal: NDArray[np.intp] = field(repr=False)
    upper_vertical: NDArray[np.intp] = field(repr=False)
    lower_vertical: NDArray[np.intp] = field(repr=False)
    distances: NDArray[np.float64]

    @property
    def n_clusters(self) -> dict[str, int]:
        """Number of clusters of each bound.

        Returns
        -------
        dict of str to int

        Examples
        --------
        >>> ball = CredibleBall(
        ...     0.9, 0.1, np.array([0, 1]), np.array([0, 1]), np.array([0, 1]), np.zeros(3)
        ... )
        >>> ball.n_clusters["horizontal"]
        2
        """
        return {
            name: len(np.unique(getattr(self, name)))
            for name in ("horizontal", "upper_vertical", "lower_vertical")
        }


def credible_ball(
    labels: NDArray[np.intp], partitions: NDArray[np.intp], loss: str, ci_prob: float
) -> CredibleBall:
    """The credible ball around ``labels`` holding ``ci_prob`` of the sampled partitions."""
    distance = pairwise_loss(np.unique(labels, return_inverse=True)[1][None], partitions, loss)[0]
    order = np.sort(distance)
    radius = float(order[max(0, math.ceil(ci_prob * len(distance)) - 1)])
    inside = np.flatnonzero(distance <= radius + TOLERANCE)
    n_clusters = np.array([len(np.unique(p)) for p in partitions[inside]])

    def farthest(candidates: NDArray[np.intp]) -> int:
        return int(candidates[np.argmax(distance[candidates])])

    picks = [
        farthest(inside),
        farthest(inside[n_clusters == n_clusters.min()]),
        farthest(inside[n_clusters == n_clusters.max()]),
    ]
    horizontal, upper, lower = (align_labels(partitions[s], labels) for s in picks)
    return CredibleBall(
        ci_prob=ci_prob,
        radius=radius,
        horizontal=horizontal,
        upper_vertical=upper,
        lower_vertical=lower,
        distances=distance[picks],
    )
