"""Uniform background noise: its region, its hypervolume and a denoising start.

A mixture with a noise component (Banfield & Raftery 1993; Fraley & Raftery 1998) adds
to the Gaussians a uniform density ``1 / V`` over the data's region, with its own
proportion. This module holds what that component needs besides EM itself:

- :func:`noise_region` and :func:`hypervolume`: ``V`` as mclust's ``hypvol`` computes
  it, the smaller of the volume of the data's bounding box and that of the bounding
  box of its principal-component scores (the box along the data's principal axes).
- :func:`nearest_neighbour_clean`: the start, Byers & Raftery's (1998) nearest-
  neighbour clutter removal (the ``NNclean`` of R's prabclus and spatstat), which
  mclust's documentation uses to give ``Mclust`` its initial noise. It needs no
  model of the clusters: the distance of a point to its ``k``-th nearest neighbour
  is, in a Poisson process of intensity ``lambda`` in ``d`` dimensions, such that
  ``alpha_d D_k^d`` is Gamma(``k``, rate ``lambda``) (``alpha_d`` the unit ball's
  volume). Clutter and features are two processes of different intensities, so the
  transformed distances are a two-component Gamma mixture with known shape, fitted
  by EM; a point is noise when the low-intensity component is the more probable.
- :func:`check_noise_start`: validation of a user's start mask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from scipy.special import gammaln

__all__ = [
    "NNCLEAN_K",
    "FittedNoise",
    "NoiseRegion",
    "NoiseSetting",
    "check_noise_start",
    "hypervolume",
    "nearest_neighbour_clean",
    "noise_region",
    "noise_setting",
]

#: neighbours of :func:`nearest_neighbour_clean` by default. Byers & Raftery (1998)
#: found the classification stable over a wide range of ``k``; small ``k`` keeps
#: small clusters (a cluster needs more than ``k`` points to look dense), larger ``k``
#: smooths the distance distribution. 5 is small enough for clusters of a few dozen
#: points in 2-10 dimensions.
NNCLEAN_K = 5


@dataclass(frozen=True)
class NoiseRegion:
    """A box holding the data: along the data's axes, or along its principal axes.

    A point ``x`` has box coordinates ``(x - center) @ rotation``; the box is
    ``lower <= coordinates <= upper``. ``rotation`` is the identity for the data's own
    bounding box.

    Attributes
    ----------
    center : ndarray of shape (n_features,)
    rotation : ndarray of shape (n_features, n_features)
        Orthonormal columns.
    lower, upper : ndarray of shape (n_features,)

    Examples
    --------
    >>> box = NoiseRegion(np.zeros(2), np.eye(2), np.array([-1.0, 0.0]), np.array([1.0, 3.0]))
    >>> box.volume
    6.0
    """

    center: NDArray[np.float64]
    rotation: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]

    @property
    def log_volume(self) -> float:
        """Log of the box's volume (``-inf`` when a side has length 0)."""
        with np.errstate(divide="ignore"):
            return float(np.log(self.upper - self.lower).sum())

    @property
    def volume(self) -> float:
        """The box's volume."""
        return math.exp(self.log_volume)

    def scaled_to(self, volume: float) -> NoiseRegion:
        """The box scaled about its middle to ``volume`` (itself when it has it).

        Examples
        --------
        >>> box = NoiseRegion(np.zeros(2), np.eye(2), np.zeros(2), np.ones(2))
        >>> box.scaled_to(4.0).upper.tolist()
        [1.5, 1.5]
        """
        if volume == self.volume:
            return self
        stretch = (volume / self.volume) ** (1 / len(self.lower))
        middle = (self.lower + self.upper) / 2
        return NoiseRegion(
            self.center,
            self.rotation,
            middle + stretch * (self.lower - middle),
            middle + stretch * (self.upper - middle),
        )

    def sample(self, rng: np.random.Generator, n_samples: int) -> NDArray[np.float64]:
        """``n_samples`` points uniform in the box.

        Examples
        --------
        >>> X = np.random.default_rng(0).uniform(size=(200, 2))
        >>> region = noise_region(X)
        >>> points = region.sample(np.random.default_rng(1), 5)
        >>> points.shape
        (5, 2)
        """
        box = rng.uniform(self.lower, self.upper, size=(n_samples, len(self.lower)))
        return box @ self.rotation.T + self.center


def _box(X: NDArray[np.float64], rotation: NDArray[np.float64]) -> NoiseRegion:
    center = X.mean(axis=0)
    coordinates = (X - center) @ rotation
    return NoiseRegion(center, rotation, coordinates.min(axis=0), coordinates.max(axis=0))


def noise_region(X: NDArray[np.float64]) -> NoiseRegion:
    """The smaller of the data's bounding box and its principal-axes box (mclust's ``hypvol``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data (validated: finite, at least two rows).

    Returns
    -------
    NoiseRegion
        The box whose volume is mclust's ``hypvol(X)``: principal axes are the
        eigenvectors of the covariance (as R's ``princomp``); one feature: the range.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [1.0, 1.2]])
    >>> round(noise_region(X).volume, 4)  # a thin diagonal cloud: the rotated box wins
    0.4135
    """
    n_features = X.shape[1]
    box = _box(X, np.eye(n_features))
    if n_features == 1:
        return box
    _, axes = np.linalg.eigh(np.cov(X, rowvar=False))
    rotated = _box(X, axes)
    return rotated if rotated.log_volume < box.log_volume else box


def hypervolume(X: NDArray[np.float64]) -> float:
    """The volume of :func:`noise_region`: mclust's ``hypvol(X)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.

    Returns
    -------
    float

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(0, 2, size=(2000, 2))
    >>> round(hypervolume(X), 1)
    4.0
    """
    return noise_region(X).volume


def _gamma_log_density(y: NDArray[np.float64], shape: int, rate: float) -> NDArray[np.float64]:
    return shape * math.log(rate) + (shape - 1) * np.log(y) - rate * y - gammaln(shape)


def nearest_neighbour_clean(
    X: NDArray[np.float64],
    k: int = NNCLEAN_K,
    *,
    tol: float = 1e-6,
    max_iter: int = 500,
) -> NDArray[np.bool_]:
    """Rows that look like background noise, by Byers & Raftery's (1998) clutter removal.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data (finite).
    k : int, default=NNCLEAN_K
        The neighbour whose distance is modelled (``1 <= k < n_samples``).
    tol : float, default=1e-6
        Convergence threshold on the relative change of the log-likelihood.
    max_iter : int, default=500
        Maximum EM iterations.

    Returns
    -------
    ndarray of bool, shape (n_samples,)
        True for rows classified as noise: those more probably from the
        low-intensity process. Duplicated points (a zero distance) are features.

    Notes
    -----
    With ``alpha_d`` the volume of the unit ball, ``y = alpha_d D_k^d`` of a point
    whose neighbourhood has intensity ``lambda`` is Gamma(``k``, rate ``lambda``). EM
    fits ``p Gamma(k, lambda_1) + (1 - p) Gamma(k, lambda_2)`` to the ``y``, started as
    the original: points whose distance is above a third of the range from the
    smallest are the noise. The M-step is closed-form: ``lambda_j = k sum_i z_ij /
    sum_i z_ij y_i``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 0.1, size=(200, 2)), rng.uniform(-5, 5, size=(40, 2))]
    >>> noise = nearest_neighbour_clean(X)
    >>> int(noise[:200].sum()) <= 10, int(noise[200:].sum()) >= 36
    (True, True)
    """
    n, d = X.shape
    distance = cKDTree(X).query(X, k=k + 1)[0][:, k]  # the point itself is its nearest
    positive = distance > 0
    noise = np.zeros(n, dtype=bool)
    if positive.sum() < 2:
        return noise
    # alpha_d D^d in logs: D^d can under- or overflow in many dimensions
    log_alpha = 0.5 * d * math.log(math.pi) - gammaln(0.5 * d + 1)
    log_y = log_alpha + d * np.log(distance[positive])
    y = np.exp(log_y - log_y.max())  # a common scale: the classification is invariant
    d_pos = distance[positive]
    high = d_pos > d_pos.min() + (d_pos.max() - d_pos.min()) / 3
    if high.all() or not high.any():
        return noise
    z = high.astype(np.float64)  # responsibility of the noise (low-intensity) process
    previous = -np.inf
    for _ in range(max_iter):
        p_noise = float(z.mean())
        rate_noise = k * z.sum() / (z @ y)
        rate_feature = k * (1 - z).sum() / ((1 - z) @ y)
        log_noise = math.log(p_noise) + _gamma_log_density(y, k, rate_noise)
        log_feature = math.log1p(-p_noise) + _gamma_log_density(y, k, rate_feature)
        top = np.maximum(log_noise, log_feature)
        log_total = top + np.log(np.exp(log_noise - top) + np.exp(log_feature - top))
        z = np.exp(log_noise - log_total)
        loglik = float(log_total.sum())
        if abs(loglik - previous) <= tol * (1 + abs(loglik)):
            break
        previous = loglik
        if not 0 < z.sum() < len(z):
            break
    # the noise process is the one of lower intensity
    if rate_noise > rate_feature:
        z = 1 - z
    noise[positive] = z > 0.5
    return noise


def check_noise_start(noise: object, n_samples: int) -> NDArray[np.bool_] | None:
    """A user's ``noise`` as a start mask, or None for ``True`` (the default start).

    Parameters
    ----------
    noise : True or array-like of bool of shape (n_samples,)
        ``True`` or a boolean mask of the rows that start as noise (as mclust's
        ``initialization$noise``).
    n_samples : int
        Rows of the data.

    Returns
    -------
    ndarray of bool or None

    Raises
    ------
    TypeError
        If the mask is not boolean.
    ValueError
        If it has the wrong length, or marks every row or none.

    Examples
    --------
    >>> check_noise_start([True, False, False], 3).tolist()
    [True, False, False]
    """
    if noise is True:
        return None
    mask = np.asarray(noise)
    if mask.dtype != np.bool_:
        raise TypeError(
            f"noise must be True, False or a boolean mask of the rows that start as noise "
            f"(one entry per row); got an array of dtype {mask.dtype}."
        )
    if mask.shape != (n_samples,):
        raise ValueError(
            f"noise: the start mask must have one entry per row of X ({n_samples}); got "
            f"shape {mask.shape}."
        )
    if mask.all() or not mask.any():
        which = "every" if mask.all() else "no"
        raise ValueError(
            f"noise: the start mask marks {which} row as noise; it must mark some rows "
            "and leave some for the Gaussian components (or pass noise=True for the "
            "nearest-neighbour start)."
        )
    return mask


@dataclass(frozen=True)
class NoiseSetting:
    """What a fit with a noise component starts from: its region, ``V`` and start mask.

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(size=(50, 2))
    >>> setting = noise_setting(np.arange(50) < 5, 2.0, X)
    >>> setting.hypervolume, round(setting.log_density, 4), int(setting.start.sum())
    (2.0, -0.6931, 5)
    """

    region: NoiseRegion
    hypervolume: float
    start: NDArray[np.bool_]

    @property
    def log_density(self) -> float:
        """``-log V``: the log-density of the uniform noise."""
        return -math.log(self.hypervolume)


def noise_setting(
    noise: object, hypervolume: float | None, X: NDArray[np.float64]
) -> NoiseSetting | None:
    """The noise component of a fit on ``X``, None when ``noise`` is False.

    Parameters
    ----------
    noise : bool or array-like of bool
        The estimator's ``noise``: False, True (start from
        :func:`nearest_neighbour_clean`) or a start mask (:func:`check_noise_start`).
    hypervolume : float or None
        A fixed ``V`` (validated positive and finite), or None for :func:`hypervolume`.
    X : ndarray of shape (n_samples, n_features)
        The training data (finite).

    Returns
    -------
    NoiseSetting or None

    Raises
    ------
    ValueError
        ``hypervolume`` without ``noise``; missing cells (NaN) with noise; data whose
        region has no volume.

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(size=(100, 2))
    >>> setting = noise_setting(True, None, X)
    >>> round(setting.hypervolume, 2), setting.start.shape
    (0.98, (100,))
    """
    if noise is False or noise is np.False_:
        if hypervolume is not None:
            raise ValueError(
                "hypervolume is set but noise=False: the hypervolume is the noise "
                "component's; pass noise=True (or a start mask) or leave hypervolume=None."
            )
        return None
    if np.isnan(X).any():
        raise ValueError(
            "noise is not available with missing cells (missing='marginalize' and NaN in "
            "X) yet; impute or drop those rows, or fit without noise."
        )
    region = noise_region(X)
    if hypervolume is None:
        if not np.isfinite(region.log_volume) or region.volume == 0:
            flat = np.flatnonzero(region.upper - region.lower <= 0)
            raise ValueError(
                f"noise: the data's region has no volume (no spread along axes "
                f"{flat.tolist()}), so the uniform noise density 1 / V is undefined; "
                "pass hypervolume= explicitly or drop constant features."
            )
        hypervolume = region.volume
    start = check_noise_start(noise, X.shape[0])
    if start is None:
        start = nearest_neighbour_clean(X, min(NNCLEAN_K, X.shape[0] - 1))
        if not start.any():  # no clutter found: the farthest-from-their-neighbours 1 %
            distance = cKDTree(X).query(X, k=min(NNCLEAN_K, X.shape[0] - 1) + 1)[0][:, -1]
            start[np.argsort(distance)[-max(1, X.shape[0] // 100) :]] = True
        if start.all():
            raise ValueError(
                "noise=True: the nearest-neighbour start marks every row as noise; pass "
                "a start mask (noise=array of bool) instead."
            )
    return NoiseSetting(region, float(hypervolume), start)


class FittedNoise:
    """The noise component of a fitted EM mixture, as prediction reads it (a mixin).

    ``fit`` sets ``hypervolume_`` and the region (``_noise_region``, the fields of
    :class:`NoiseRegion`) when the model has a noise component.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.r_[np.random.default_rng(0).normal(size=(100, 2)), [[9.0, 9.0]]]
    >>> gm = GaussianMixture(1, noise=True, random_state=0).fit(X)
    >>> round(gm.noise_region_.volume, 6) == round(gm.hypervolume_, 6), int(gm.predict(X)[-1])
    (True, -1)
    """

    n_components: int
    hypervolume_: float
    _noise_region: dict[str, NDArray[np.float64]]

    @property
    def _has_noise(self) -> bool:
        return hasattr(self, "hypervolume_")

    @property
    def noise_region_(self) -> NoiseRegion | None:
        """The box the noise component fills (volume ``hypervolume_``); None without one."""
        if not self._has_noise:
            return None
        return NoiseRegion(**self._noise_region).scaled_to(self.hypervolume_)

    def _noise_labels(self, labels: NDArray[np.intp]) -> NDArray[np.intp]:
        """Labels with the noise component's (``n_components``) as ``-1``, in place."""
        if self._has_noise:
            labels[labels == self.n_components] = -1
        return labels
