"""Helpers for testing Gaussian mixture code: simulated data with known parameters."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bayesgmm.covariance import get_covariance_model

__all__ = ["make_gmm_data"]

#: true mixture weights of :func:`make_gmm_data` (three components).
_WEIGHTS = np.array([0.5, 0.3, 0.2])
#: true means on a unit scale; multiplied by ``separation``. Distinct first coordinates.
_MEANS = np.array([[-1.0, 0.0], [0.0, 1.0], [1.0, -0.5]])
_FULL = np.array(
    [
        [[1.0, 0.5], [0.5, 1.5]],
        [[2.0, -0.6], [-0.6, 0.8]],
        [[0.7, 0.2], [0.2, 1.2]],
    ]
)
_TIED = np.array([[1.5, 0.4], [0.4, 1.0]])
_DIAG = np.array([[1.0, 2.0], [0.5, 1.5], [2.0, 0.7]])
_SPHERICAL = np.array([1.0, 2.0, 0.5])


def make_gmm_data(
    covariance_type: str,
    n_samples: int,
    seed: int,
    *,
    separation: float = 10.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Draw a sample from a known 3-component, 2-feature Gaussian mixture.

    The true parameters are fixed (only the draw depends on ``seed``); the component
    labels are drawn with the true weights, so component sizes vary like a real sample.

    Parameters
    ----------
    covariance_type : {"full", "tied", "diag", "spherical"}
        Covariance structure of the true mixture (mclust's names are accepted too).
        ``true_covariances`` has the shape of ``GaussianMixture.covariances_`` for it.
    n_samples : int
        Number of rows.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.
    separation : float, default=10.0
        Scale of the distances between the true means (the component standard
        deviations are about 1): 10 is well separated, 2 overlaps strongly.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The sample, in random order.
    true_weights : ndarray of shape (3,)
        Mixture weights, sorted like ``true_means``.
    true_means : ndarray of shape (3, 2)
        Component means, in increasing order of their first coordinate.
    true_covariances : ndarray
        ``(3, 2, 2)`` full, ``(2, 2)`` tied, ``(3, 2)`` diag, ``(3,)`` spherical.

    Examples
    --------
    >>> X, weights, means, covariances = make_gmm_data("full", 1000, seed=0)
    >>> X.shape, weights.shape, means.shape, covariances.shape
    ((1000, 2), (3,), (3, 2), (3, 2, 2))
    >>> bool(np.all(np.diff(means[:, 0]) > 0))
    True
    >>> make_gmm_data("spherical", 5, seed=1)[3].tolist()
    [1.0, 2.0, 0.5]
    """
    name = get_covariance_model(covariance_type).name
    rng = np.random.default_rng(seed)
    weights = _WEIGHTS.copy()
    means = _MEANS * separation
    covariances = {"full": _FULL, "tied": _TIED, "diag": _DIAG, "spherical": _SPHERICAL}[name]
    covariances = covariances.copy()
    labels = rng.choice(len(weights), size=n_samples, p=weights)
    noise = rng.standard_normal((n_samples, means.shape[1]))
    X = np.empty((n_samples, means.shape[1]))
    for k in range(len(weights)):
        rows = labels == k
        if name == "full":
            factor = np.linalg.cholesky(covariances[k])
            X[rows] = means[k] + noise[rows] @ factor.T
        elif name == "tied":
            X[rows] = means[k] + noise[rows] @ np.linalg.cholesky(covariances).T
        else:  # diag and spherical: independent coordinates
            X[rows] = means[k] + noise[rows] * np.sqrt(covariances[k])
    return X, weights, means, covariances
