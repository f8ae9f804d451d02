"""The uniform noise component of the Bayesian mixture: its density and its draws.

With a noise component (Banfield & Raftery 1993; Fraley & Raftery 1998; mclust's
``Mclust(..., initialization = list(noise = ...))``) the mixture density is

    p(x) = sum_k pi_k N(x | mu_k, Sigma_k) + pi_0 / V,

with ``pi_0`` the noise proportion (``pi_0 + pi_1 + ... + pi_K = 1``) and ``V`` a
fixed hypervolume of the data's region (by default mclust's ``hypvol``,
:func:`bayesgmm.em.noise.hypervolume`). This module holds what the Bayesian model
needs besides its likelihood: the check of ``V``, the noise's log-density in the
model's standardised units (where the Jacobian of the standardisation enters), in
data units for rows with missing cells, its predictive draws, and the per-draw
memberships with a noise row (:class:`NoiseDraws`). PyMC-free.

**Rows with missing cells.** The noise density of the observed cells ``o`` of a row
is that of a box of volume ``V`` whose sides are proportional to the features'
standard deviations (the model's ``scale``): ``1 / V_o`` with
``log V_o = |o| / D (log V - sum_j log scale_j) + sum_{j in o} log scale_j``. A
complete row has density ``1 / V`` exactly; in standardised units every observed
feature contributes the same ``-(log V - sum_j log scale_j) / D``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.numerics import exp_normalize
from bayesgmm.core.validation import check_number
from bayesgmm.em.noise import NoiseRegion, noise_region
from bayesgmm.em.parameter_draws import ParameterDraws

__all__ = [
    "NoiseDraws",
    "check_hypervolume",
    "data_region",
    "default_hypervolume",
    "log_noise_density",
    "log_noise_density_std",
    "noise_probability_table",
    "sample_noise",
]


def check_hypervolume(hypervolume: Any) -> float:
    """``hypervolume`` as a float, or ``ValueError`` unless it is finite and positive.

    Parameters
    ----------
    hypervolume : float
        Volume of the noise component's region, in data units.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If it is not a finite number > 0.

    Examples
    --------
    >>> check_hypervolume(2)
    2.0
    >>> check_hypervolume(0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: hypervolume must be a finite number > 0; got 0.0. Leave it None ...
    """
    return check_number(
        "hypervolume",
        hypervolume,
        lambda v: v > 0,
        "a finite number > 0",
        "Leave it None to use the volume of the training data's region (mclust's hypvol).",
    )


def default_hypervolume(X: NDArray[np.float64]) -> float:
    """The noise region's volume of the data ``X``: mclust's ``hypvol``.

    Complete data: :func:`bayesgmm.em.noise.hypervolume` (the smaller of the bounding
    box's and the principal-axes box's volumes). With NaN (missing cells) the
    principal axes are not defined: the volume of the bounding box of each feature's
    observed values.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data, NaN for missing cells.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the volume is 0 (a feature with one distinct value).

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, np.nan], [np.nan, 3.0]])
    >>> default_hypervolume(X)
    6.0
    """
    volume = data_region(X).volume
    if not (math.isfinite(volume) and volume > 0):
        raise ValueError(
            f"hypervolume: the data's region has volume {volume!r} (a feature takes one "
            "value, or the rows lie on a lower-dimensional subspace). Pass hypervolume= "
            "explicitly, or drop the constant feature."
        )
    return volume


def data_region(X: NDArray[np.float64]) -> NoiseRegion:
    """The data's region: the box of the noise's density and its predictive draws.

    Complete data: :func:`bayesgmm.em.noise.noise_region` (the box whose volume is
    mclust's ``hypvol``); with NaN cells, where principal axes are not defined, the
    bounding box of each feature's observed values.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, np.nan], [np.nan, 3.0]])
    >>> region = data_region(X)
    >>> region.lower.tolist(), region.upper.tolist(), region.volume
    ([0.0, 0.0], [2.0, 3.0], 6.0)
    """
    if not np.isnan(X).any():
        return noise_region(X)
    lower, upper = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    return NoiseRegion(np.zeros(X.shape[1]), np.eye(X.shape[1]), lower, upper)


def log_noise_density_std(
    n_observed: ArrayLike, hypervolume: float, scale: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Log-density of the noise in standardised units, for rows with ``n_observed`` cells.

    ``-(n_observed / D) (log V - sum_j log scale_j)``: for a complete row ``-log V +
    sum_j log scale_j``, the data-unit density ``1 / V`` times the Jacobian of
    ``x = center + scale * z``.

    Parameters
    ----------
    n_observed : array-like of int
        Observed cells of each row (or pattern).
    hypervolume : float
        ``V`` in data units.
    scale : ndarray of shape (n_features,)
        The model's standardisation scale.

    Returns
    -------
    ndarray
        Shape of ``n_observed``.

    Examples
    --------
    >>> log_noise_density_std([2, 1], 8.0, np.array([2.0, 1.0])).round(4).tolist()
    [-1.3863, -0.6931]
    """
    log_scale = np.log(np.asarray(scale, dtype=np.float64))
    per_feature = (math.log(hypervolume) - log_scale.sum()) / log_scale.size
    return -np.asarray(n_observed, dtype=np.float64) * per_feature


def log_noise_density(
    X: NDArray[np.float64], hypervolume: float, scale: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Log-density of the noise at every row of ``X`` in data units (NaN: missing cells).

    ``-log V`` for complete rows; ``-log V_o`` (see the module notes) for rows with
    missing cells.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points, NaN for missing cells.
    hypervolume : float
        ``V`` in data units.
    scale : ndarray of shape (n_features,)
        The model's standardisation scale.

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [np.nan, 1.0]])
    >>> log_noise_density(X, 8.0, np.array([2.0, 1.0])).round(4).tolist()
    [-2.0794, -0.6931]
    """
    observed = ~np.isnan(X)
    log_scale = np.log(np.asarray(scale, dtype=np.float64))
    std = log_noise_density_std(observed.sum(axis=1), hypervolume, scale)
    return std - observed.astype(np.float64) @ log_scale


def sample_noise(
    rng: np.random.Generator,
    n_samples: int,
    hypervolume: float,
    center: NDArray[np.float64],
    scale: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Points uniform on the noise box: centred on ``center``, volume ``V``.

    The box's sides are proportional to ``scale`` (the box of the module notes), so
    the points have density ``1 / V`` on it.

    Examples
    --------
    >>> points = sample_noise(np.random.default_rng(0), 1000, 4.0, np.zeros(2), np.ones(2))
    >>> bool(np.all(np.abs(points) <= 1.0)), points.shape
    (True, (1000, 2))
    """
    log_scale = np.log(np.asarray(scale, dtype=np.float64))
    side = np.exp(log_scale + (math.log(hypervolume) - log_scale.sum()) / log_scale.size)
    offsets = rng.uniform(-0.5, 0.5, size=(n_samples, len(side)))
    return np.asarray(center, dtype=np.float64) + offsets * side


def noise_probability_table(
    values: NDArray[np.float64], ci_prob: float = 0.94, index: Any = None
) -> pd.DataFrame:
    """Mean, sd and equal-tailed ``ci_prob`` interval of per-draw noise probabilities.

    Parameters
    ----------
    values : ndarray of shape (S, n_samples)
        The probability that each row is noise under every draw.
    ci_prob : float, default=0.94
        Probability of the credible interval, in (0, 1).
    index : pandas.Index, default=None
        Index of the table (a ``RangeIndex`` when ``None`` or of another length).

    Returns
    -------
    pandas.DataFrame
        Columns ``mean``, ``sd``, ``lower``, ``upper``.

    Raises
    ------
    ValueError
        For ``ci_prob`` outside (0, 1).

    Examples
    --------
    >>> table = noise_probability_table(np.array([[0.1, 0.9], [0.3, 0.7]]), 0.5)
    >>> table.round(3).values.tolist()
    [[0.2, 0.1, 0.15, 0.25], [0.8, 0.1, 0.75, 0.85]]
    """
    if not (isinstance(ci_prob, int | float) and 0 < ci_prob < 1):
        raise ValueError(f"ci_prob must be a number in (0, 1); got {ci_prob!r}.")
    alpha = (1 - ci_prob) / 2
    lower, upper = np.quantile(values, [alpha, 1 - alpha], axis=0)
    if not (isinstance(index, pd.Index) and len(index) == values.shape[1]):
        index = pd.RangeIndex(values.shape[1])
    return pd.DataFrame(
        {"mean": values.mean(axis=0), "sd": values.std(axis=0), "lower": lower, "upper": upper},
        index=index,
    )


@dataclass(frozen=True)
class NoiseDraws:
    """Posterior draws of a mixture with a noise component.

    Attributes
    ----------
    gaussian : ParameterDraws
        The Gaussian components' draws; their weights sum to ``1 - noise_proportion``.
    noise_proportion : ndarray of shape (S,)
        The noise proportion of every draw.
    hypervolume : float
        ``V`` in data units.
    scale : ndarray of shape (n_features,)
        The model's standardisation scale (for rows with missing cells).

    Examples
    --------
    >>> gaussian = ParameterDraws(
    ...     "spherical", np.full((1, 1), 0.8), np.zeros((1, 1, 1)), np.ones((1, 1))
    ... )
    >>> draws = NoiseDraws(gaussian, np.array([0.2]), 10.0, np.ones(1))
    >>> draws.log_likelihood(np.array([[0.0], [30.0]])).round(3).tolist()
    [[-1.081, -3.912]]
    """

    gaussian: ParameterDraws
    noise_proportion: NDArray[np.float64]
    hypervolume: float
    scale: NDArray[np.float64]

    @property
    def size(self) -> int:
        """Number of draws ``S``."""
        return self.gaussian.size

    @property
    def n_chains(self) -> int:
        """Number of chains."""
        return self.gaussian.n_chains

    @property
    def n_draws(self) -> int:
        """Draws per chain."""
        return self.gaussian.n_draws

    def take(self, picks: NDArray[np.intp]) -> NoiseDraws:
        """The draws ``picks`` (as one chain)."""
        return NoiseDraws(
            self.gaussian.take(picks), self.noise_proportion[picks], self.hypervolume, self.scale
        )

    def log_prob(self, X: NDArray[np.float64]) -> Iterator[tuple[int, NDArray[np.float64]]]:
        """Yield ``(s, (K + 1, n) weighted log-densities)``, the noise's row last."""
        log_noise = log_noise_density(X, self.hypervolume, self.scale)
        with np.errstate(divide="ignore"):
            log_proportion = np.log(self.noise_proportion)
        for s, log_prob in self.gaussian.log_prob(X):
            yield s, np.vstack([log_prob, (log_proportion[s] + log_noise)[None, :]])

    def log_likelihood(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Pointwise log-likelihood ``(S, n)`` of the rows of ``X`` under every draw."""
        values = np.empty((self.size, X.shape[0]))
        for s, log_prob in self.log_prob(X):
            values[s] = exp_normalize(log_prob, floor=None)
        return values
