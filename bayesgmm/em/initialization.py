"""Initial values for EM: responsibilities and checks of user-given initial parameters.

Responsibilities come from k-means, k-means++, random or random_from_data, as in
scikit-learn.

Everything here is NumPy only (no scikit-learn): a greedy k-means++ seeding and
vectorised Lloyd iterations, both aware of frequency ``sample_weight``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.types import InitParams
from bayesgmm.covariance import CovarianceModel
from bayesgmm.em.hierarchical_start import hierarchical_partitions

__all__ = [
    "INIT_METHODS",
    "check_initial_parameters",
    "initial_responsibilities",
    "kmeans",
    "kmeans_plusplus",
]

INIT_METHODS: tuple[InitParams, ...] = (
    "kmeans",
    "k-means++",
    "random",
    "random_from_data",
    "hierarchical",
)


def _squared_distances(
    X: NDArray[np.float64], x_sq: NDArray[np.float64], centers: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Squared Euclidean distances ``(n_centers, n_samples)``, clipped at 0."""
    dist = centers @ X.T
    dist *= -2.0
    dist += x_sq[None, :]
    dist += np.einsum("kd,kd->k", centers, centers)[:, None]
    np.maximum(dist, 0.0, out=dist)
    return dist


def kmeans_plusplus(
    X: NDArray[np.float64],
    n_clusters: int,
    rng: np.random.Generator,
    sample_weight: NDArray[np.float64] | None = None,
    n_local_trials: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii, 2007).

    Each new centre is the best of ``n_local_trials`` candidates drawn with
    probability proportional to ``weight * distance**2`` to the nearest chosen centre.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.
    n_clusters : int
        Number of centres.
    rng : numpy.random.Generator
        Random generator.
    sample_weight : ndarray of shape (n_samples,), default=None
        Frequency weights.
    n_local_trials : int, default=None
        Candidates per step; ``2 + int(log(n_clusters))`` when ``None``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        Rows of ``X`` chosen as centres.

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
    >>> centers, idx = kmeans_plusplus(X, 2, np.random.default_rng(0))
    >>> sorted(np.round(centers.ravel()).tolist())
    [0.0, 10.0]
    """
    n_samples = X.shape[0]
    weight = np.ones(n_samples) if sample_weight is None else sample_weight
    if n_local_trials is None:
        n_local_trials = 2 + int(math.log(n_clusters))
    x_sq = np.einsum("nd,nd->n", X, X)
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.choice(n_samples, p=weight / weight.sum())
    closest = _squared_distances(X, x_sq, X[indices[:1]])[0]
    potential = float(weight @ closest)
    for c in range(1, n_clusters):
        if potential > 0:
            cumulative = np.cumsum(weight * closest)
            draws = rng.uniform(size=n_local_trials) * cumulative[-1]
            candidates = np.searchsorted(cumulative, draws)
            np.clip(candidates, 0, n_samples - 1, out=candidates)
        else:  # all remaining points coincide with a centre
            candidates = rng.choice(np.flatnonzero(weight > 0), size=n_local_trials)
        cand_dist = _squared_distances(X, x_sq, X[candidates])
        np.minimum(cand_dist, closest[None, :], out=cand_dist)
        potentials = cand_dist @ weight
        best = int(np.argmin(potentials))
        indices[c] = candidates[best]
        closest = cand_dist[best]
        potential = float(potentials[best])
    return X[indices].copy(), indices


def kmeans(
    X: NDArray[np.float64],
    n_clusters: int,
    rng: np.random.Generator,
    sample_weight: NDArray[np.float64] | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Weighted Lloyd k-means from a k-means++ start.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.
    n_clusters : int
        Number of clusters.
    rng : numpy.random.Generator
        Random generator (for the seeding).
    sample_weight : ndarray of shape (n_samples,), default=None
        Frequency weights.
    max_iter : int, default=300
        Maximum number of Lloyd iterations.
    tol : float, default=1e-4
        Stop when the squared centre shift is below ``tol`` times the mean feature
        variance (scikit-learn's rule), or when labels stop changing.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)

    Examples
    --------
    >>> X = np.array([[0.0], [0.2], [10.0], [10.2]])
    >>> labels, centers = kmeans(X, 2, np.random.default_rng(0))
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    n_samples, n_features = X.shape
    weight = np.ones(n_samples) if sample_weight is None else sample_weight
    centers, _ = kmeans_plusplus(X, n_clusters, rng, weight)
    x_sq = np.einsum("nd,nd->n", X, X)
    mean = weight @ X / weight.sum()
    threshold = tol * float(weight @ np.square(X - mean).sum(axis=1)) / weight.sum() / n_features
    labels = np.full(n_samples, -1, dtype=np.intp)
    for _ in range(max_iter):
        dist = _squared_distances(X, x_sq, centers)
        new_labels = dist.argmin(axis=0)
        counts = np.bincount(new_labels, weights=weight, minlength=n_clusters)
        sums = np.stack(
            [
                np.bincount(new_labels, weights=weight * X[:, d], minlength=n_clusters)
                for d in range(n_features)
            ],
            axis=1,
        )
        empty = np.flatnonzero(counts <= 0)
        if empty.size:
            # relocate empty clusters onto the points farthest from their centre
            far = np.argsort(-dist[new_labels, np.arange(n_samples)])[: empty.size]
            new_labels[far] = empty
            counts = np.bincount(new_labels, weights=weight, minlength=n_clusters)
            sums = np.stack(
                [
                    np.bincount(new_labels, weights=weight * X[:, d], minlength=n_clusters)
                    for d in range(n_features)
                ],
                axis=1,
            )
        new_centers = sums / np.maximum(counts, np.finfo(np.float64).tiny)[:, None]
        shift = float(np.square(new_centers - centers).sum())
        changed = not np.array_equal(new_labels, labels)
        centers, labels = new_centers, new_labels
        if not changed or shift <= threshold:
            break
    labels = _squared_distances(X, x_sq, centers).argmin(axis=0)
    return labels, centers


def initial_responsibilities(
    method: str,
    X: NDArray[np.float64],
    n_components: int,
    rng: np.random.Generator,
    sample_weight: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Initial responsibilities of shape ``(n_components, n_samples)``.

    Parameters
    ----------
    method : {"kmeans", "k-means++", "random", "random_from_data", "hierarchical"}
        ``"kmeans"``: hard labels of a k-means run; ``"k-means++"``: one-hot on the
        k-means++ seeds only; ``"random"``: uniform random responsibilities;
        ``"random_from_data"``: one-hot on randomly chosen rows (as in scikit-learn);
        ``"hierarchical"``: mclust's default, the partition of model-based
        agglomerative clustering (:mod:`bayesgmm.em.hierarchical_start`; deterministic, the
        merge tree cached per data set so that a grid over K builds it once).
    X : ndarray of shape (n_samples, n_features)
        Data (centred or not; k-means is translation invariant).
    n_components : int
        Number of components.
    rng : numpy.random.Generator
        Random generator.
    sample_weight : ndarray of shape (n_samples,), default=None
        Frequency weights (rows with zero weight are never chosen as seeds).

    Returns
    -------
    ndarray of shape (n_components, n_samples)

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> resp = initial_responsibilities("kmeans", X, 2, np.random.default_rng(0))
    >>> resp.shape, resp.sum(axis=0).tolist()
    ((2, 4), [1.0, 1.0, 1.0, 1.0])
    """
    n_samples = X.shape[0]
    resp = np.zeros((n_components, n_samples))
    if method == "kmeans":
        labels, _ = kmeans(X, n_components, rng, sample_weight)
        resp[labels, np.arange(n_samples)] = 1.0
    elif method == "k-means++":
        _, indices = kmeans_plusplus(X, n_components, rng, sample_weight)
        resp[np.arange(n_components), indices] = 1.0
    elif method == "random":
        resp = rng.uniform(size=(n_components, n_samples))
        resp /= resp.sum(axis=0)
    elif method == "random_from_data":
        if sample_weight is None:
            indices = rng.choice(n_samples, size=n_components, replace=False)
        else:
            candidates = np.flatnonzero(sample_weight > 0)
            if candidates.size < n_components:
                raise ValueError(
                    f"init_params='random_from_data' needs at least n_components="
                    f"{n_components} rows with positive sample_weight; got {candidates.size}."
                )
            indices = rng.choice(candidates, size=n_components, replace=False)
        resp[np.arange(n_components), indices] = 1.0
    elif method == "hierarchical":
        # deterministic; rows outside the clustered subset (above 2000 rows) get no
        # responsibility, so the first M-step uses the subset's partition, as mclust does
        rows = np.arange(n_samples) if sample_weight is None else np.flatnonzero(sample_weight > 0)
        partitions, clustered = hierarchical_partitions(X[rows], [n_components])
        labels = partitions[n_components]
        resp[labels, rows[clustered]] = 1.0
    else:
        raise ValueError(f"init_params must be one of {list(INIT_METHODS)}; got {method!r}.")
    return resp


def check_initial_parameters(
    model: CovarianceModel,
    n_components: int,
    n_features: int,
    weights_init: ArrayLike | None,
    means_init: ArrayLike | None,
    precisions_init: ArrayLike | None,
) -> tuple[Any, Any, Any]:
    """User-given initial weights, means and precisions as float64 arrays (or ``None``).

    Raises ``ValueError`` naming the parameter, its expected shape or range, and what
    was given.

    Examples
    --------
    >>> from bayesgmm.covariance import get_covariance_model
    >>> model = get_covariance_model("diag")
    >>> check_initial_parameters(model, 2, 1, [0.5, 0.5], None, None)[0]
    array([0.5, 0.5])
    >>> check_initial_parameters(model, 2, 1, [0.7, 0.7], None, None)
    Traceback (most recent call last):
    ...
    ValueError: weights_init must sum to 1; got sum 1.4. Divide by the sum to normalise.
    """
    K = n_components
    weights = means = precisions = None
    if weights_init is not None:
        given = np.asarray(weights_init)
        # scikit-learn's tolerance: float32 weights carry ~1e-7 of rounding each
        tolerance = 1e-6 if given.dtype == np.float32 else 1e-8
        weights = given.astype(np.float64)
        if weights.shape != (K,):
            raise ValueError(
                f"weights_init must have shape ({K},) (n_components,); got {weights.shape}."
            )
        if not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.max() > 1:
            raise ValueError(
                "weights_init must be in [0, 1]; got min "
                f"{weights.min():.5g}, max {weights.max():.5g}."
            )
        if abs(weights.sum() - 1.0) > tolerance:
            raise ValueError(
                f"weights_init must sum to 1; got sum {weights.sum():.10g}. "
                "Divide by the sum to normalise."
            )
    if means_init is not None:
        means = np.asarray(means_init, dtype=np.float64)
        if means.shape != (K, n_features):
            raise ValueError(
                f"means_init must have shape ({K}, {n_features}) (n_components, "
                f"n_features); got {means.shape}."
            )
        if not np.all(np.isfinite(means)):
            raise ValueError("means_init contains NaN or infinite values.")
    if precisions_init is not None:
        precisions = np.asarray(precisions_init, dtype=np.float64)
        if not np.all(np.isfinite(precisions)):
            raise ValueError("precisions_init contains NaN or infinite values.")
        precisions = model.validate_precisions(precisions, K, n_features)
    return weights, means, precisions
