"""Helpers for testing Gaussian mixture code: simulated data with known parameters."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bayesgmm.covariance import get_covariance_model

__all__ = ["make_clutter_data", "make_gmm_data"]

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


def make_clutter_data(
    n_features: int = 2, random_state: int = 3
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """A V-shaped band, a blob and uniform clutter: data for a noise component.

    490 rows: a band of 300 points along a V, a Gaussian blob of 120 and 70 points of
    uniform clutter over a box around them (14 %). With ``n_features=3`` a third
    feature separates the band and the blob and spreads the clutter.

    Parameters
    ----------
    n_features : {2, 3}, default=2
    random_state : int, default=3

    Returns
    -------
    X : ndarray of shape (490, n_features)
    truth : ndarray of shape (490,)
        0 for the band, 1 for the blob, -1 for the clutter.

    Examples
    --------
    >>> X, truth = make_clutter_data()
    >>> X.shape, int((truth == -1).sum())
    ((490, 2), 70)
    """
    if n_features not in (2, 3):
        raise ValueError(f"n_features must be 2 or 3; got {n_features!r}.")
    rng = np.random.default_rng(random_state)
    t = rng.uniform(0, 1, 300)
    band = np.c_[t * 4, np.abs(t - 0.5) * 4] + rng.normal(scale=0.15, size=(300, 2))
    blob = rng.normal([3.0, -1.0], 0.4, size=(120, 2))
    clutter = rng.uniform(-2, 6, size=(70, 2))
    X = np.r_[band, blob, clutter]
    if n_features == 3:
        third = np.r_[rng.normal(0, 0.3, 300), rng.normal(2, 0.3, 120), rng.uniform(-2, 4, 70)]
        X = np.c_[X, third]
    return X, np.repeat([0, 1, -1], [300, 120, 70])
