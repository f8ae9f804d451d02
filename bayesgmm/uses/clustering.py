"""Clustering with uncertainty: memberships, co-clustering and a summary partition.

Works with any fitted mixture of the protocol
:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`: a fitted
:class:`~bayesgmm.GaussianMixture` (plug-in: the point estimate stands in for the
posterior) or :class:`~bayesgmm.BayesianGaussianMixture` (every posterior draw
``theta_s``), read through its ``membership_draws``; importing this module does not
import PyMC. Any other estimator with ``predict_proba`` (such as scikit-learn's
``GaussianMixture``) is treated as a plug-in estimate. The partition losses and the
search live in :mod:`bayesgmm.uses.partitions`.

* :func:`cluster_uncertainty`: per point, the most probable cluster, its posterior
  mean membership probability with an equal-tailed credible interval over the draws,
  the entropy of the memberships and an ``ambiguous`` flag.
* :func:`coclustering_matrix`: ``P(z_i = z_j | data)``, the posterior similarity matrix.
* :func:`sample_partitions`: allocation vectors ``z ~ p(z | X, theta_s)``, one per draw.
* :func:`summary_partition`: the partition minimising the posterior expected
  variation of information (VI) or Binder loss (Wade & Ghahramani 2018, *Bayesian
  Analysis* 13, 559-626), found by a SALSO-like search (Dahl, Johnson & Müller 2022),
  with its expected loss, that of the MAP partition and a credible ball.
* :func:`binder_loss`, :func:`variation_of_information`, :func:`expected_loss`,
  :func:`adjusted_rand_index`.

Co-clustering probabilities and partition losses do not depend on how components are
labelled, so they are unaffected by label switching; the per-label quantities of
:func:`cluster_uncertainty` rely on the relabelled draws of the Bayesian model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.types import RandomStateLike
from bayesgmm.core.validation import check_integer, check_random_state, is_real
from bayesgmm.uses.partitions import (
    LOSSES,
    TOLERANCE,
    CredibleBall,
    Loss,
    adjusted_rand_index,
    align_labels,
    binder_from_coclustering,
    binder_loss,
    binder_sweeps,
    check_loss,
    credible_ball,
    expected_loss,
    pairwise_loss,
    variation_of_information,
    vi_sweeps,
)

__all__ = [
    "LOSSES",
    "MAX_CANDIDATES",
    "ClusteringResult",
    "CredibleBall",
    "SummaryPartition",
    "adjusted_rand_index",
    "binder_loss",
    "cluster_uncertainty",
    "coclustering_matrix",
    "expected_loss",
    "sample_partitions",
    "summary_partition",
    "variation_of_information",
]

#: allocation vectors drawn from the plug-in memberships of an EM model
DEFAULT_EM_DRAWS = 1000
#: largest n_samples for which an (n, n) matrix is built unless max_samples is raised
DEFAULT_MAX_SAMPLES = 5000
#: sampled partitions scored as starting candidates by summary_partition
MAX_CANDIDATES = 250


# ---------------------------------------------------------------------- validation
def _is_number(value: Any) -> bool:
    return is_real(value) and math.isfinite(value)


def _check_open_unit(name: str, value: Any, *, closed_right: bool = False) -> float:
    ok = _is_number(value) and value > 0 and (value <= 1 if closed_right else value < 1)
    if not ok:
        interval = "(0, 1]" if closed_right else "(0, 1)"
        raise ValueError(f"{name} must be a number in {interval}; got {value!r}.")
    return float(value)


@overload
def _check_int(name: str, value: Any, low: int, *, allow_none: Literal[False] = ...) -> int: ...
@overload
def _check_int(name: str, value: Any, low: int, *, allow_none: bool) -> int | None: ...
def _check_int(name: str, value: Any, low: int, *, allow_none: bool = False) -> int | None:
    return check_integer(name, value, low, allow_none=allow_none)


def _check_size(n_samples: int, max_samples: Any, what: str) -> None:
    max_samples = _check_int("max_samples", max_samples, 1)
    if n_samples > max_samples:
        gib = n_samples**2 * 8 / 2**30
        raise ValueError(
            f"{what} builds an (n_samples, n_samples) matrix: n_samples={n_samples} exceeds "
            f"max_samples={max_samples} (~{gib:.1f} GiB). Pass a subset of X, or raise "
            "max_samples if the memory is available."
        )


# ---------------------------------------------------------------------- memberships
def _membership_draws(
    model: FittedMixtureLike, X: ArrayLike, n_draws: int | None, rng: np.random.Generator
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64]]:
    """Posterior memberships per draw ``(S, n, K)`` (None for a plug-in estimate) and their mean.

    A plug-in estimate (an EM fit, or any other estimator with ``predict_proba``)
    has no posterior draws: its memberships are ``predict_proba`` and ``n_draws`` is
    ignored.
    """
    n_draws = _check_int("n_draws", n_draws, 1, allow_none=True)
    if not isinstance(model, FittedMixtureLike):
        if not callable(getattr(model, "predict_proba", None)):
            raise TypeError(
                "model must be a fitted bayesgmm GaussianMixture or BayesianGaussianMixture "
                f"(or an estimator with predict_proba); got {type(model).__name__}."
            )
        return None, np.asarray(model.predict_proba(X), dtype=np.float64)
    if not model.is_posterior:
        return None, np.asarray(model.membership_draws(X), dtype=np.float64).mean(axis=0)
    picks = None  # memberships only of the draws kept
    if n_draws is not None:
        size = model.parameter_draws().size
        if n_draws > size:
            raise ValueError(
                f"n_draws must not exceed the number of posterior draws ({size}); got "
                f"{n_draws}. Use n_draws=None for all of them."
            )
        if n_draws < size:
            picks = np.sort(rng.choice(size, size=n_draws, replace=False))
    draws = np.asarray(model.membership_draws(X, picks), dtype=np.float64)
    return draws, draws.mean(axis=0)


def _index(X: ArrayLike, n_samples: int) -> pd.Index:
    index = getattr(X, "index", None)
    if isinstance(index, pd.Index) and len(index) == n_samples:
        return index
    return pd.RangeIndex(n_samples)


def _entropy(proba: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row entropies in nats (0 log 0 = 0)."""
    return -special.xlogy(proba, proba).sum(axis=1)


@dataclass
class ClusteringResult:
    """Per-point cluster memberships with their uncertainty, from :func:`cluster_uncertainty`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per point (indexed like ``X`` when it is a DataFrame): ``label``
        (most probable cluster under the posterior mean memberships; ``-1`` for
        the noise component of a model with one, whose memberships are last),
        ``probability`` (its posterior mean membership), ``lower`` and ``upper``
        (equal-tailed ``ci_prob`` credible interval of that membership over the
        posterior draws; NaN for an EM model, which has no posterior), ``entropy``
        (of the posterior mean memberships, in nats; 0 is certain, ``log K`` uniform)
        and ``ambiguous`` (``probability < ambiguous_threshold``).
    proba : ndarray of shape (n_samples, n_components)
        Posterior mean membership probabilities (EM: ``predict_proba``).
    lower, upper : ndarray of shape (n_samples, n_components)
        Credible bounds of every membership probability (NaN for EM).
    ci_prob : float
        Probability of the credible intervals.
    ambiguous_threshold : float
        Points whose label has a smaller probability are flagged.
    n_draws : int
        Posterior draws used (0 for an EM model).

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.55, 0.45]])
    >>> table = pd.DataFrame({"probability": [0.9, 0.55], "ambiguous": [False, True]})
    >>> result = ClusteringResult(table, proba, proba * np.nan, proba * np.nan, 0.94, 0.8, 0)
    >>> result.n_ambiguous
    1
    """

    table: pd.DataFrame
    proba: NDArray[np.float64] = field(repr=False)
    lower: NDArray[np.float64] = field(repr=False)
    upper: NDArray[np.float64] = field(repr=False)
    ci_prob: float
    ambiguous_threshold: float
    n_draws: int

    @property
    def labels(self) -> NDArray[np.intp]:
        """Most probable cluster of every point.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> X = np.r_[np.zeros((5, 1)), np.full((5, 1), 9.0)] + np.arange(10)[:, None] / 50
        >>> result = cluster_uncertainty(GaussianMixture(2, random_state=0).fit(X), X)
        >>> len(set(result.labels[:5])), len(set(result.labels))
        (1, 2)
        """
        return self.table["label"].to_numpy()

    @property
    def n_ambiguous(self) -> int:
        """Number of points flagged ambiguous.

        Returns
        -------
        int

        Examples
        --------
        >>> table = pd.DataFrame({"ambiguous": [False, True, True]})
        >>> ClusteringResult(table, None, None, None, 0.94, 0.8, 0).n_ambiguous
        2
        """
        return int(self.table["ambiguous"].sum())

    def _summary_line(self) -> str:
        source = f"{self.n_draws} posterior draws" if self.n_draws else "plug-in (EM) estimate"
        return (
            f"Cluster memberships of {len(self.table)} points from the {source}: "
            f"{self.n_ambiguous} ambiguous (probability < {self.ambiguous_threshold:g})"
        )

    def __str__(self) -> str:
        flagged = self.table[self.table["ambiguous"]]
        if flagged.empty:
            return self._summary_line()
        return self._summary_line() + "\n" + flagged.to_string(float_format=lambda v: f"{v:.3f}")


def cluster_uncertainty(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    ci_prob: float = 0.94,
    ambiguous_threshold: float = 0.8,
) -> ClusteringResult:
    """Per-point cluster labels, membership probabilities and their uncertainty.

    For a Bayesian model the membership probabilities ``p_ik(theta_s)`` of every
    posterior draw give the posterior mean ``p_ik`` and an equal-tailed credible
    interval; for an EM model only the plug-in ``p_ik(theta_hat)`` exists and the
    interval columns are NaN. A membership close to 0 or 1 is skewed over the draws,
    so its posterior mean can lie outside the equal-tailed interval (e.g. 0.99999
    with 97% of the draws above it).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model.
    X : array-like of shape (n_samples, n_features)
        Points to cluster.
    ci_prob : float, default=0.94
        Probability of the credible intervals, in (0, 1) (ArviZ's default).
    ambiguous_threshold : float, default=0.8
        A point is ``ambiguous`` when the probability of its most probable cluster is
        below this value, in (0, 1]. Values ``<= 1 / n_components`` flag nothing.

    Returns
    -------
    ClusteringResult
        ``table`` with columns ``label``, ``probability``, ``lower``, ``upper``,
        ``entropy``, ``ambiguous``; the full ``proba``, ``lower`` and ``upper``
        arrays; ``labels`` and ``n_ambiguous``.

    Raises
    ------
    ValueError
        For ``ci_prob`` or ``ambiguous_threshold`` outside their range.
    TypeError
        If ``model`` has neither ``membership_draws`` nor ``predict_proba``.

    See Also
    --------
    coclustering_matrix : pairwise co-clustering probabilities.
    summary_partition : one partition summarising the posterior.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (50, 1)), rng.normal(6, 1, (50, 1)), [[3.0]]]
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> result = cluster_uncertainty(gm, X)
    >>> list(result.table.columns)
    ['label', 'probability', 'lower', 'upper', 'entropy', 'ambiguous']
    >>> result.table.index[result.table["ambiguous"]].tolist()  # the point between the groups
    [100]
    >>> result.table.loc[100, ["probability", "entropy"]].astype(float).round(2).tolist()
    [0.59, 0.68]

    With a Bayesian model the bounds are credible intervals over the draws:

    >>> from bayesgmm import BayesianGaussianMixture, load_faithful
    >>> bgm = BayesianGaussianMixture(2, draws=300, tune=300, chains=2, progressbar=False)
    >>> result = cluster_uncertainty(bgm.fit(load_faithful()), load_faithful())  # doctest: +SKIP
    >>> result.table[["probability", "lower", "upper"]].iloc[0]  # doctest: +SKIP
    """
    ci_prob = _check_open_unit("ci_prob", ci_prob)
    threshold = _check_open_unit("ambiguous_threshold", ambiguous_threshold, closed_right=True)
    draws, proba = _membership_draws(model, X, None, check_random_state(0))
    n_samples = proba.shape[0]
    rows = np.arange(n_samples)
    label = proba.argmax(axis=1)
    probability = proba[rows, label]
    noise = proba.shape[1] - 1 if hasattr(model, "hypervolume_") else -1  # noise: last column
    if draws is None:
        lower = upper = np.full_like(proba, np.nan)
    else:
        alpha = (1 - ci_prob) / 2
        lower, upper = np.quantile(draws, [alpha, 1 - alpha], axis=0)
    table = pd.DataFrame(
        {
            "label": np.where(label == noise, -1, label),
            "probability": probability,
            "lower": lower[rows, label],
            "upper": upper[rows, label],
            "entropy": _entropy(proba),
            "ambiguous": probability < threshold,
        },
        index=_index(X, n_samples),
    )
    return ClusteringResult(
        table=table,
        proba=proba,
        lower=lower,
        upper=upper,
        ci_prob=ci_prob,
        ambiguous_threshold=threshold,
        n_draws=0 if draws is None else len(draws),
    )


def coclustering_matrix(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    n_draws: int | None = None,
    random_state: RandomStateLike = 0,
    max_samples: int = DEFAULT_MAX_SAMPLES,
) -> NDArray[np.float64]:
    """Posterior probability that two points belong to the same cluster.

    Given the parameters ``theta`` the allocations are independent, so
    ``P(z_i = z_j | theta) = sum_k p_ik(theta) p_jk(theta)`` exactly; the Bayesian
    matrix averages this over posterior draws (a Rao-Blackwellised estimate: no
    allocations are sampled, so its only Monte Carlo error is that of the draws). For
    an EM model it is the plug-in ``sum_k p_ik p_jk``. The diagonal is 1 by
    definition. The result does not depend on component labels (label switching).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model.
    X : array-like of shape (n_samples, n_features)
        Points.
    n_draws : int or None, default=None
        Posterior draws to average, chosen at random without replacement (``None``:
        all). Ignored for an EM model.
    random_state : int, Generator or None, default=0
        Seed of the choice of draws.
    max_samples : int, default=5000
        Largest ``n_samples`` accepted: the matrix has ``n_samples ** 2`` entries.

    Returns
    -------
    ndarray of shape (n_samples, n_samples)
        Symmetric, entries in [0, 1], ones on the diagonal.

    Raises
    ------
    ValueError
        If ``n_samples > max_samples``, or for an invalid ``n_draws``.

    See Also
    --------
    summary_partition : uses this matrix for the Binder loss.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.array([[0.0], [0.1], [0.2], [9.0], [9.1], [9.2]])
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> coclustering_matrix(gm, X).round(2)[[0, 0], [1, 3]].tolist()
    [1.0, 0.0]
    """
    draws, proba = _membership_draws(model, X, n_draws, check_random_state(random_state))
    _check_size(proba.shape[0], max_samples, "coclustering_matrix")
    return _coclustering(draws, proba)


def _coclustering(
    draws: NDArray[np.float64] | None, proba: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``mean_s sum_k p_ik^s p_jk^s`` (``proba`` alone when ``draws`` is None), diagonal 1."""
    if draws is None:
        matrix = proba @ proba.T
    else:
        stacked = draws.transpose(1, 0, 2).reshape(proba.shape[0], -1)
        matrix = (stacked @ stacked.T) / len(draws)
    matrix = np.clip((matrix + matrix.T) / 2, 0.0, 1.0)
    np.fill_diagonal(matrix, 1.0)
    return matrix


def _sample_allocations(draws: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.intp]:
    """One allocation vector per draw: ``z_si ~ Categorical(draws[s, i])``."""
    cumulative = np.cumsum(draws, axis=-1)
    u = rng.random(draws.shape[:-1]) * cumulative[..., -1]
    labels = np.count_nonzero(cumulative <= u[..., None], axis=-1)
    return np.minimum(labels, draws.shape[-1] - 1).astype(np.intp)


def sample_partitions(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    n_draws: int | None = None,
    random_state: RandomStateLike = 0,
) -> NDArray[np.intp]:
    """Draw partitions of ``X`` from the posterior: one allocation vector per draw.

    For posterior draw ``theta_s`` the labels are ``z_si ~ p(z_i | x_i, theta_s)``,
    independently over points, so ``(theta_s, z_s)`` is a draw from the joint
    posterior of parameters and allocations. For an EM model the plug-in memberships
    are used for every draw.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model.
    X : array-like of shape (n_samples, n_features)
        Points.
    n_draws : int or None, default=None
        Bayesian: posterior draws to use, chosen at random without replacement
        (``None``: all). EM: number of partitions (``None``: 1000).
    random_state : int, Generator or None, default=0
        Seed of the choice of draws and of the allocations.

    Returns
    -------
    ndarray of shape (n_draws, n_samples)
        Component labels.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.array([[0.0], [0.1], [0.2], [9.0], [9.1], [9.2]])
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> partitions = sample_partitions(gm, X, n_draws=5)
    >>> partitions.shape, len(np.unique(partitions[:, :3] == partitions[:, 3:]))
    ((5, 6), 1)
    """
    rng = check_random_state(random_state)
    draws, proba = _membership_draws(model, X, n_draws, rng)
    if draws is None:
        n_draws = DEFAULT_EM_DRAWS if n_draws is None else n_draws
        draws = np.broadcast_to(proba, (n_draws, *proba.shape))
    return _sample_allocations(draws, rng)


# ---------------------------------------------------------------------- losses


# ---------------------------------------------------------------------- search


@dataclass
class SummaryPartition:
    """Partition minimising the posterior expected loss, from :func:`summary_partition`.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        The summary partition; clusters matching a component of the MAP partition
        carry its label, others get the next labels.
    expected_loss : float
        Its posterior expected loss (VI in bits, or normalised Binder loss).
    loss : {"vi", "binder"}
        The loss minimised.
    map_labels : ndarray of shape (n_samples,)
        The MAP partition (most probable component under the posterior mean
        memberships).
    map_expected_loss : float
        Expected loss of the MAP partition (``>= expected_loss``).
    source : str
        Where the search found the chosen partition: ``"map"`` or ``"draw"`` (a
        sampled partition), with ``" + sweeps"`` when point moves improved it.
    n_sweeps : int
        Sweeps over the points run from the chosen start.
    n_draws : int
        Sampled partitions used.
    credible_ball : CredibleBall or None
        Credible ball around ``labels`` (``None`` when not requested).

    Examples
    --------
    >>> result = SummaryPartition(
    ...     np.array([0, 0, 1]), 0.1, "vi", np.array([0, 1, 1]), 0.3, "map + sweeps", 2, 100, None
    ... )
    >>> result.n_clusters, result.sizes.tolist()
    (2, [2, 1])
    """

    labels: NDArray[np.intp]
    expected_loss: float
    loss: str
    map_labels: NDArray[np.intp] = field(repr=False)
    map_expected_loss: float
    source: str
    n_sweeps: int
    n_draws: int
    credible_ball: CredibleBall | None = None

    @property
    def n_clusters(self) -> int:
        """Number of clusters of the summary partition.

        Returns
        -------
        int

        Examples
        --------
        >>> SummaryPartition(
        ...     np.array([0, 2, 2]), 0.0, "vi", np.zeros(3, int), 0.0, "map", 1, 10
        ... ).n_clusters
        2
        """
        return len(np.unique(self.labels))

    @property
    def sizes(self) -> NDArray[np.intp]:
        """Points per cluster, by label.

        Returns
        -------
        ndarray of shape (n_clusters,)

        Examples
        --------
        >>> SummaryPartition(
        ...     np.array([1, 0, 1]), 0.0, "vi", np.zeros(3, int), 0.0, "map", 1, 10
        ... ).sizes.tolist()
        [1, 2]
        """
        return np.unique(self.labels, return_counts=True)[1]

    def __str__(self) -> str:
        name = {"vi": "variation of information", "binder": "Binder loss"}[self.loss]
        text = (
            f"Summary partition minimising the expected {name} over {self.n_draws} sampled "
            f"partitions: {self.n_clusters} clusters of sizes {self.sizes.tolist()}, "
            f"expected loss {self.expected_loss:.4f} (MAP partition: "
            f"{self.map_expected_loss:.4f}; found from {self.source})"
        )
        if self.credible_ball is not None:
            ball = self.credible_ball
            text += (
                f"\n{ball.ci_prob:.0%} credible ball: radius {ball.radius:.4f}; clusters in "
                f"its bounds {ball.n_clusters}"
            )
        return text


def summary_partition(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    loss: Loss = "vi",
    n_draws: int | None = None,
    max_sweeps: int = 50,
    ball_prob: float | None = 0.95,
    random_state: RandomStateLike = 0,
    max_samples: int = DEFAULT_MAX_SAMPLES,
) -> SummaryPartition:
    """The partition of ``X`` that minimises the posterior expected loss.

    A point estimate of the clustering in the decision-theoretic sense of Wade &
    Ghahramani (2018). Partitions ``z_s`` are sampled from the posterior
    (:func:`sample_partitions`); the expected variation of information of a
    candidate ``c`` is the mean of ``VI(c, z_s)``, the expected Binder loss is
    computed exactly from the co-clustering matrix (:func:`coclustering_matrix`).
    The search, in the spirit of SALSO (Dahl, Johnson & Müller 2022):

    1. score every candidate: the MAP partition and the sampled partitions (at most
       250 of them, chosen at random);
    2. from the MAP partition and from the best sampled one, sweep over the points,
       moving each to the cluster (or a new singleton cluster) that lowers the
       expected loss most, until a sweep moves nothing;
    3. keep the best. Its expected loss is never above the MAP partition's.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model. For EM the partitions are sampled from the plug-in
        memberships (the result then mostly reproduces the MAP partition).
    X : array-like of shape (n_samples, n_features)
        Points.
    loss : {"vi", "binder"}, default="vi"
        Variation of information (bits; favours fewer, larger clusters) or Binder
        loss with equal costs normalised to [0, 1] (``1 - Rand index``; tends to
        split uncertain points off as small clusters).
    n_draws : int or None, default=None
        Bayesian: posterior draws used, at random without replacement (``None``:
        all). EM: number of sampled partitions (``None``: 1000).
    max_sweeps : int, default=50
        Most sweeps of point moves per start (0: candidates only).
    ball_prob : float or None, default=0.95
        Probability of the credible ball reported (``None``: none).
    random_state : int, Generator or None, default=0
        Seed of the choice of draws and of the sampled partitions.
    max_samples : int, default=5000
        Largest ``n_samples`` accepted for ``loss="binder"`` (an ``(n, n)`` matrix).

    Returns
    -------
    SummaryPartition
        ``labels``, ``expected_loss``, ``map_labels``, ``map_expected_loss``,
        ``credible_ball``, ``n_clusters``, ``sizes``.

    Raises
    ------
    ValueError
        For an unknown ``loss`` or invalid ``n_draws``, ``max_sweeps``, ``ball_prob``.

    See Also
    --------
    expected_loss : score any partition.
    cluster_uncertainty : per-point memberships.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.array([[0.0], [0.1], [0.2], [9.0], [9.1], [9.2]])
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> result = summary_partition(gm, X, n_draws=50)
    >>> result.n_clusters, result.expected_loss <= result.map_expected_loss
    (2, True)
    """
    loss = check_loss(loss)
    max_sweeps = _check_int("max_sweeps", max_sweeps, 0)
    if ball_prob is not None:
        ball_prob = _check_open_unit("ball_prob", ball_prob)
    rng = check_random_state(random_state)
    draws, proba = _membership_draws(model, X, n_draws, rng)
    n_samples = proba.shape[0]
    if loss == "binder":
        _check_size(n_samples, max_samples, "summary_partition(loss='binder')")
    if draws is None:
        n_draws = DEFAULT_EM_DRAWS if n_draws is None else n_draws
        partitions = _sample_allocations(np.broadcast_to(proba, (n_draws, *proba.shape)), rng)
    else:
        partitions = _sample_allocations(draws, rng)
    map_labels = proba.argmax(axis=1).astype(np.intp)
    pool = partitions
    if len(pool) > MAX_CANDIDATES:  # scoring costs O(candidates x draws x n)
        pool = pool[np.sort(rng.choice(len(pool), size=MAX_CANDIDATES, replace=False))]
    candidates = np.vstack([map_labels[None], pool])

    if loss == "vi":

        def score(rows: NDArray[np.intp]) -> NDArray[np.float64]:
            return pairwise_loss(rows, partitions, "vi").mean(axis=1)

        def sweep(labels: NDArray[np.intp]) -> tuple[NDArray[np.intp], int]:
            return vi_sweeps(labels, partitions, max_sweeps)

    else:
        coclustering = _coclustering(draws, proba)

        def score(rows: NDArray[np.intp]) -> NDArray[np.float64]:
            return binder_from_coclustering(rows, coclustering)

        def sweep(labels: NDArray[np.intp]) -> tuple[NDArray[np.intp], int]:
            return binder_sweeps(labels, coclustering, max_sweeps)

    scores = score(candidates)
    map_loss = float(scores[0])
    best_draw = 1 + int(np.argmin(scores[1:]))
    # (expected loss, source, labels, sweeps); min() keeps the first of equal losses
    results: list[tuple[float, str, NDArray[np.intp], int]] = []
    for name, start in (("map", 0), ("draw", best_draw)):
        value, labels, n_sweeps = float(scores[start]), candidates[start], 0
        if max_sweeps:
            moved, n_sweeps = sweep(candidates[start].copy())
            moved_value = float(score(moved[None])[0])
            if moved_value < value - TOLERANCE:
                value, labels, name = moved_value, moved, f"{name} + sweeps"
        results.append((value, name, labels, n_sweeps))
    value, source, labels, n_sweeps = min(results, key=lambda r: r[0])
    labels = align_labels(labels, map_labels)
    ball = None if ball_prob is None else credible_ball(labels, partitions, loss, ball_prob)
    return SummaryPartition(
        labels=labels,
        expected_loss=value,
        loss=loss,
        map_labels=map_labels,
        map_expected_loss=map_loss,
        source=source,
        n_sweeps=n_sweeps,
        n_draws=len(partitions),
        credible_ball=ball,
    )
