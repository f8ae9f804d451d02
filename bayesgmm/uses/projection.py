"""Directions that show a fitted mixture's clusters best (MclustDR's discriminant kernel).

For more than two features, plotting pairs of features can hide what separates the
clusters. :func:`discriminant_directions` finds the linear combinations of the
features along which the fitted mixture's components differ most, in location and
in spread, following Scrucca (2010), "Dimension reduction for model-based
clustering", *Statistics and Computing* 20, 471-484 (R's ``MclustDR``): with mixing
weights ``pi_k``, means ``mu_k``, covariances ``Sigma_k``, the mixture's mean ``mu``
and covariance ``Sigma`` and the pooled within-component covariance
``Sigma_bar = sum_k pi_k Sigma_k``, the kernel

    M = M_I Sigma^-1 M_I + sum_k pi_k (Sigma_k - Sigma_bar) Sigma^-1 (Sigma_k - Sigma_bar),
    M_I = sum_k pi_k (mu_k - mu)(mu_k - mu)'

is decomposed as ``M v = lambda Sigma v``. Directions with large ``lambda`` separate
the components; the first ``K - 1`` mostly by their means, the others by their
covariances (so two components with equal means but different shapes still get
directions). :func:`informative_pairs` ranks pairs of original features by the
same kernel restricted to them.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import eigh

__all__ = ["discriminant_directions", "informative_pairs", "mixture_moments"]


def mixture_moments(
    weights: NDArray[np.float64], means: NDArray[np.float64], covariances: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The mixture's mean, covariance and pooled within-component covariance.

    Parameters
    ----------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covariances : ndarray of shape (K, D, D)
        Full covariance matrices.

    Returns
    -------
    mean : ndarray of shape (D,)
    total : ndarray of shape (D, D)
        ``Sigma = Sigma_bar + sum_k pi_k (mu_k - mu)(mu_k - mu)'``.
    within : ndarray of shape (D, D)
        ``Sigma_bar = sum_k pi_k Sigma_k``.

    Examples
    --------
    >>> mean, total, within = mixture_moments(
    ...     np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.ones((2, 1, 1))
    ... )
    >>> float(mean[0]), float(total[0, 0]), float(within[0, 0])
    (0.0, 2.0, 1.0)
    """
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    mean = weights @ means
    centred = means - mean
    within = np.einsum("k,kij->ij", weights, covariances)
    between = (centred.T * weights) @ centred
    return mean, within + between, within


def _kernel(
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    total: NDArray[np.float64],
    within: NDArray[np.float64],
    mean: NDArray[np.float64],
) -> NDArray[np.float64]:
    centred = means - mean
    location = (centred.T * weights) @ centred
    solve = np.linalg.solve
    kernel = location @ solve(total, location)
    for w, cov in zip(weights, covariances, strict=True):
        spread = cov - within
        kernel += w * spread @ solve(total, spread)
    return (kernel + kernel.T) / 2.0


def discriminant_directions(
    weights: NDArray[np.float64], means: NDArray[np.float64], covariances: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Directions that separate the components, best first (MclustDR's kernel).

    Parameters
    ----------
    weights : ndarray of shape (K,)
        Mixing weights.
    means : ndarray of shape (K, D)
        Component means.
    covariances : ndarray of shape (K, D, D)
        Full component covariances.

    Returns
    -------
    directions : ndarray of shape (D, D)
        Column ``j`` is the ``j``-th direction, scaled to unit length; project data
        with ``(X - mean) @ directions[:, :2]``.
    eigenvalues : ndarray of shape (D,)
        How much each direction separates the components (decreasing).

    Examples
    --------
    >>> means = np.array([[0.0, 0.0, 0.0], [0.0, 5.0, 0.0]])  # apart along feature 1
    >>> covs = np.stack([np.eye(3), np.eye(3)])
    >>> directions, values = discriminant_directions(np.array([0.5, 0.5]), means, covs)
    >>> np.round(np.abs(directions[:, 0]), 6).tolist(), bool(values[0] > values[1])
    ([0.0, 1.0, 0.0], True)
    """
    means = np.asarray(means, dtype=np.float64)
    covariances = np.asarray(covariances, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    mean, total, within = mixture_moments(weights, means, covariances)
    kernel = _kernel(weights, means, covariances, total, within, mean)
    eigenvalues, vectors = eigh(kernel, total)
    order = np.argsort(eigenvalues)[::-1]
    vectors = vectors[:, order]
    vectors /= np.linalg.norm(vectors, axis=0)
    # a deterministic sign: the largest loading of each direction is positive
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return vectors * signs, np.clip(eigenvalues[order], 0.0, None)


def informative_pairs(
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    n_pairs: int = 3,
) -> list[tuple[int, int]]:
    """The pairs of features on which the components are best separated.

    Each pair is scored by the sum of the eigenvalues of the discriminant kernel of
    the two features alone (the mixture's marginal on them).

    Parameters
    ----------
    weights, means, covariances
        As for :func:`discriminant_directions`.
    n_pairs : int, default=3
        How many pairs to return.

    Returns
    -------
    list of (int, int)
        Best first.

    Examples
    --------
    >>> means = np.array([[0.0, 0.0, 0.0], [0.0, 5.0, 4.0]])
    >>> covs = np.stack([np.eye(3), np.eye(3)])
    >>> informative_pairs(np.array([0.5, 0.5]), means, covs, n_pairs=1)
    [(1, 2)]
    """
    scores = {}
    for pair in combinations(range(means.shape[1]), 2):
        index = np.ix_(pair, pair)
        _, values = discriminant_directions(
            weights, means[:, pair], covariances[(slice(None), *index)]
        )
        scores[pair] = float(values.sum())
    return sorted(scores, key=lambda pair: -scores[pair])[:n_pairs]
