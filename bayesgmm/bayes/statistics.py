"""Test statistics for posterior predictive checks of mixtures (PyMC-free).

Statistics that reveal a missing or superfluous component: the number of modes of a
kernel density estimate (binned, Gaussian kernel, Silverman bandwidth fixed from the
observed data), quantiles, skewness, kurtosis, the largest gap between sorted values,
and in several dimensions the mean nearest-neighbour distance; computed per feature
and along the first principal component (:func:`default_statistics`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal, spatial, stats

from bayesgmm.core.validation import is_real, validate_data

__all__ = [
    "QUANTILES",
    "Statistic",
    "binned_kde",
    "count_modes",
    "default_statistics",
    "silverman_bandwidth",
]


#: quantile levels (in %) of the default statistics
QUANTILES = (5, 25, 50, 75, 95)


#: grid points per bandwidth of the binned kernel density estimate
_GRID_PER_BANDWIDTH = 5


#: kernel truncated at this many bandwidths (exp(-32) ~ 1e-14 of its peak)
_KERNEL_RADIUS = 8


#: most grid points of one density estimate (the grid is coarsened beyond)
_MAX_GRID = 200_000


Statistic = Callable[[NDArray[np.float64]], float]


# ---------------------------------------------------------------------- statistics
def silverman_bandwidth(x: ArrayLike, factor: float = 1.0) -> float:
    """Silverman's rule-of-thumb bandwidth of a Gaussian kernel density estimate.

    ``factor * 0.9 * min(sd, IQR / 1.34) * n ** (-1/5)``; falls back to the standard
    deviation (or 1) when the interquartile range (or both) is zero.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Values.
    factor : float, default=1.0
        Multiplier (below 1 reveals finer structure, above 1 smooths more).

    Returns
    -------
    float
        The bandwidth, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=500)
    >>> round(silverman_bandwidth(x), 3)
    0.263
    """
    values = np.asarray(x, dtype=np.float64).ravel()
    sd = float(np.std(values, ddof=1)) if values.size > 1 else 0.0
    q75, q25 = np.percentile(values, [75, 25])
    spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
    if not spread > 0:
        spread = 1.0
    return float(factor * 0.9 * spread * values.size ** (-0.2))


def _is_positive(value: Any) -> bool:
    """True for a positive finite real number (not a bool)."""
    return is_real(value) and math.isfinite(value) and value > 0


def _kde_grid(x: NDArray[np.float64], bandwidth: float) -> tuple[NDArray, NDArray]:
    """Binned Gaussian KDE (unnormalised) of ``x`` on a grid spanning the data."""
    step = bandwidth / _GRID_PER_BANDWIDTH
    lo = float(x.min()) - 4 * bandwidth
    span = float(x.max()) + 4 * bandwidth - lo
    if span / step > _MAX_GRID:
        step = span / _MAX_GRID
    n_grid = math.ceil(span / step) + 2
    return binned_kde(x, bandwidth, lo, step, n_grid), lo + step * np.arange(n_grid)


def binned_kde(
    x: NDArray[np.float64], bandwidth: float, lo: float, step: float, n_grid: int
) -> NDArray[np.float64]:
    """Linear binning on ``lo + step * arange(n_grid)``, then a Gaussian convolution.

    The result is the exact KDE of the binned (weighted) points; points outside the
    grid are left out. Divide by ``n * bandwidth * sqrt(2 pi)`` for a density.
    """
    position = (x - lo) / step
    position = position[(position >= 0) & (position <= n_grid - 1)]
    left = np.minimum(np.floor(position).astype(np.intp), n_grid - 2)
    frac = position - left
    counts = np.bincount(left, weights=1.0 - frac, minlength=n_grid)
    counts += np.bincount(left + 1, weights=frac, minlength=n_grid)
    half = min(math.ceil(_KERNEL_RADIUS * bandwidth / step), n_grid)
    offsets = np.arange(-half, half + 1) * (step / bandwidth)
    kernel = np.exp(-0.5 * offsets**2)
    return np.convolve(counts, kernel, mode="full")[half : half + n_grid]


def count_modes(x: ArrayLike, bandwidth: float, *, min_prominence: float = 0.02) -> int:
    """Number of modes of a Gaussian kernel density estimate with a fixed bandwidth.

    The estimate is evaluated on a grid of step ``bandwidth / 5`` spanning the data
    (linear binning, then a convolution), so the cost grows with the data's range in
    bandwidths, not with the number of points. Keep the bandwidth fixed when
    comparing data sets, as :func:`default_statistics` does.

    A local maximum counts only if its prominence (height above the higher of the
    two minima separating it from taller peaks) is at least ``min_prominence`` times
    the highest density. Without this, lone points in the tails of a sample of a
    single Gaussian make extra modes in about 40% of samples (n = 100 to 3000, Silverman
    bandwidth); with the default 0.02, in 10% at n = 100, 5% at n = 300 and under 3%
    from n = 1000 on, while three well-separated equal groups keep their three modes.
    The price: a component much smaller than 2% of the tallest mode is not counted
    (the quantiles and the largest gap of :func:`default_statistics` still see it).

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Values.
    bandwidth : float
        Standard deviation of the Gaussian kernel, > 0.
    min_prominence : float, default=0.02
        Smallest prominence of a counted mode, as a fraction of the highest density.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the bandwidth is not a positive finite number, ``min_prominence`` is not in
        [0, 1) or ``x`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(-4, 0.7, 100), rng.normal(4, 0.7, 100)])
    >>> count_modes(x, bandwidth=0.5), count_modes(x, bandwidth=5.0)
    (2, 1)
    """
    if not _is_positive(bandwidth):
        raise ValueError(f"bandwidth must be a positive finite number; got {bandwidth!r}.")
    if not 0 <= min_prominence < 1:
        raise ValueError(f"min_prominence must be in [0, 1); got {min_prominence!r}.")
    values = np.asarray(x, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("x is empty; count_modes needs at least one value.")
    density, _ = _kde_grid(values, float(bandwidth))
    # 1e-7: rounding noise and the kernel's truncation at 8 bandwidths are far below
    threshold = max(min_prominence, 1e-7) * density.max()
    peaks, _ = signal.find_peaks(density, prominence=threshold)
    return max(len(peaks), 1)  # the grid spans 4 bandwidths past the data: no edge modes


def _largest_gap(x: NDArray[np.float64]) -> float:
    return float(np.diff(np.sort(x)).max()) if x.size > 1 else 0.0


def _mean_nn_distance(Z: NDArray[np.float64]) -> float:
    distances, _ = spatial.cKDTree(Z).query(Z, k=2)
    return float(distances[:, 1].mean())


def default_statistics(
    X: ArrayLike,
    *,
    feature_names: Sequence[str] | None = None,
    bandwidth_factor: float = 1.0,
) -> dict[str, Statistic]:
    """Test statistics that reveal missing or spurious components, fixed by ``X``.

    Every constant a statistic needs (KDE bandwidths, the standardisation, the first
    principal axis) is computed once from the observed ``X`` and reused for every
    replicate, so observed and replicated values are comparable.

    One feature: ``modes`` (number of KDE modes, Silverman bandwidth times
    ``bandwidth_factor``), the quantiles ``q05``, ``q25``, ``q50``, ``q75``, ``q95``,
    ``skewness``, ``kurtosis`` (excess) and ``max_gap`` (largest gap between sorted
    points).

    Several features: per feature ``modes[j]``, ``q05[j]``, ``q50[j]``, ``q95[j]`` and
    ``skewness[j]``; along the first principal axis of the standardised observed data
    ``modes[PC1]`` and ``max_gap[PC1]``; and ``nn_distance``, the mean distance to the
    nearest neighbour in the observed standardisation (too few components spread the
    replicates out, too many or too narrow ones clump them).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The observed data.
    feature_names : sequence of str, default=None
        Names used in the statistic labels (column names of a DataFrame ``X``, else
        the feature indices).
    bandwidth_factor : float, default=1.0
        Multiplier of Silverman's bandwidth for the mode counts.

    Returns
    -------
    dict of str to callable
        ``name -> T(X) -> float``; combine with your own, e.g.
        ``{**default_statistics(X), "max": lambda X: X.max()}``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> statistics = default_statistics(X)
    >>> list(statistics)
    ['modes', 'q05', 'q25', 'q50', 'q75', 'q95', 'skewness', 'kurtosis', 'max_gap']
    >>> statistics["modes"](X)
    1.0
    >>> list(default_statistics(np.hstack([X, X**2]), feature_names=["a", "b"]))[:3]
    ['modes[a]', 'q05[a]', 'q50[a]']
    """
    data = validate_data(X, min_samples=2)
    array, names = data.array, data.feature_names
    if not _is_positive(bandwidth_factor):
        raise ValueError(
            f"bandwidth_factor must be a positive finite number; got {bandwidth_factor!r}."
        )
    n_features = array.shape[1]
    if feature_names is None:
        feature_names = [str(n) for n in names] if names is not None else None
    if feature_names is None:
        feature_names = [str(j) for j in range(n_features)]
    if len(feature_names) != n_features:
        raise ValueError(
            f"feature_names must have one name per feature ({n_features}); "
            f"got {len(feature_names)}."
        )
    bandwidths = [silverman_bandwidth(array[:, j], bandwidth_factor) for j in range(n_features)]
    out: dict[str, Statistic] = {}
    if n_features == 1:
        out["modes"] = lambda X: float(count_modes(X[:, 0], bandwidths[0]))
        for q in QUANTILES:

            def quantile(X: NDArray[np.float64], q: int = q) -> float:
                return float(np.percentile(X[:, 0], q))

            out[f"q{q:02d}"] = quantile
        out["skewness"] = lambda X: float(stats.skew(X[:, 0]))
        out["kurtosis"] = lambda X: float(stats.kurtosis(X[:, 0]))
        out["max_gap"] = lambda X: _largest_gap(X[:, 0])
        return out

    # a def per statistic binds the loop's j and q by default arguments (a lambda with
    # defaults would not match the Statistic signature for a type checker)
    for j, name in enumerate(feature_names):

        def modes(X: NDArray[np.float64], j: int = j) -> float:
            return float(count_modes(X[:, j], bandwidths[j]))

        out[f"modes[{name}]"] = modes
        for q in (5, 50, 95):

            def column_quantile(X: NDArray[np.float64], j: int = j, q: int = q) -> float:
                return float(np.percentile(X[:, j], q))

            out[f"q{q:02d}[{name}]"] = column_quantile

        def skewness(X: NDArray[np.float64], j: int = j) -> float:
            return float(stats.skew(X[:, j]))

        out[f"skewness[{name}]"] = skewness
    center = array.mean(axis=0)
    scale = array.std(axis=0)
    scale[scale == 0] = 1.0
    standardised = (array - center) / scale
    _, eigenvectors = np.linalg.eigh(np.cov(standardised, rowvar=False))
    axis = eigenvectors[:, -1]
    pc_bandwidth = silverman_bandwidth(standardised @ axis, bandwidth_factor)
    out["modes[PC1]"] = lambda X: float(count_modes(((X - center) / scale) @ axis, pc_bandwidth))
    out["max_gap[PC1]"] = lambda X: _largest_gap(((X - center) / scale) @ axis)
    out["nn_distance"] = lambda X: _mean_nn_distance((X - center) / scale)
    return out
