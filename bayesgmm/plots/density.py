"""Densities of a fitted mixture: 2-D contours (exact marginals) and 1-D histograms with bands."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, SupportsInt, cast

import numpy as np
from numpy.typing import ArrayLike

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.types import RandomStateLike

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

from bayesgmm.bayes.posterior import (
    log_component_density,
    log_density_per_draw,
    log_predictive_density,
)
from bayesgmm.core.validation import check_integer, is_int
from bayesgmm.plots._common import (
    OUTSIDE_LEGEND,
    check_mixture,
    check_n_draws,
    check_X,
    component_colors,
    feature_index,
    feature_names,
    feature_pair,
    model_parameters,
    new_axes,
)


# ---------------------------------------------------------------------- densities
def plot_density(
    model: FittedMixtureLike,
    X: ArrayLike | None = None,
    *,
    features: Sequence[int | str] = (0, 1),
    levels: int | ArrayLike = 10,
    decades: float = 4.0,
    grid_size: int = 100,
    n_draws: int | None = None,
    random_state: RandomStateLike = 0,
    filled: bool = False,
    colorbar: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Contours of the log density of two features, with the data on top.

    With more than two features the density drawn is the exact marginal of the two
    (a Gaussian mixture's marginal keeps the weights and takes the sub-vectors of the
    means and the sub-matrices of the covariances). For a Bayesian mixture it is the
    posterior predictive density, the average over draws of each draw's mixture
    density. Contours at evenly spaced log densities are density contours on a log
    scale: each is a constant factor below the previous one.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture.
    X : array-like of shape (n_samples, n_features), default=None
        Points drawn over the contours; they also set the grid's extent (otherwise
        it covers every component's mean +- 3.5 standard deviations).
    features : pair of int or str, default=(0, 1)
        The two features, by index or by name.
    levels : int or array-like, default=10
        Number of contours, evenly spaced in log density from ``decades`` powers of
        ten below the peak up to the peak; or the natural-log density values.
    decades : float, default=4.0
        Powers of ten of density below the peak covered by an integer ``levels``.
    grid_size : int, default=100
        Grid points along each axis.
    n_draws : int or None, default=None
        Posterior draws averaged (Bayesian mixtures; ``None`` uses them all).
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the choice of draws when ``n_draws`` is set.
    filled : bool, default=False
        Filled contours (``contourf``) instead of lines.
    colorbar : bool, default=True
        Add a colour bar of the log density.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        The contours are a ``ContourSet`` in ``ax.collections``.

    Raises
    ------
    ValueError
        If the model has one feature, ``features`` is not a pair of distinct valid
        features, ``levels``, ``decades``, ``grid_size`` or ``n_draws`` is invalid,
        or ``X`` has another number of features than the model.

    See Also
    --------
    plot_density_1d, plot_ellipses

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> X = load_faithful()
    >>> ax = plot_density(GaussianMixture(2, random_state=0).fit(X), X, levels=5)
    >>> contours = ax.collections[0]
    >>> len(contours.levels)
    5
    >>> plt.close("all")
    """
    check_mixture(model, "plot_density")  # a fitted mixture, or TypeError
    array, names = (None, None) if X is None else check_X(model, X)
    labels = feature_names(model, names)
    first, second = feature_pair(features, model, labels, "plot_density")
    check_integer("grid_size", grid_size, 2)
    if not (isinstance(decades, int | float) and np.isfinite(decades) and decades > 0):
        raise ValueError(f"decades must be a positive number; got {decades!r}.")
    n_draws = check_n_draws(n_draws, allow_none=True)
    weights, means, covs = model_parameters(model, n_draws, random_state)
    pair = [first, second]
    means = means[..., pair]
    covs = covs[..., pair, :][..., pair]
    if array is not None:
        low, high = array[:, pair].min(axis=0), array[:, pair].max(axis=0)
        pad = 0.1 * np.where(high > low, high - low, 1.0)
        low, high = low - pad, high + pad
    else:
        sd = np.sqrt(np.diagonal(covs, axis1=-2, axis2=-1))
        low = (means - 3.5 * sd).min(axis=(0, 1))
        high = (means + 3.5 * sd).max(axis=(0, 1))
    xs = np.linspace(low[0], high[0], grid_size)
    ys = np.linspace(low[1], high[1], grid_size)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    log_density = log_predictive_density(points, weights, means, covs).reshape(grid_x.shape)
    peak = float(log_density.max())
    if is_int(levels):
        n_levels = int(cast(SupportsInt, levels))  # a Python or NumPy integer (is_int)
        if n_levels < 1:
            raise ValueError(f"levels must be a positive integer or an array; got {levels!r}.")
        values = np.linspace(peak - decades * math.log(10.0), peak, n_levels + 1)[:-1]
    else:
        values = np.sort(np.atleast_1d(np.asarray(levels, dtype=np.float64)))
        if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(f"levels must be finite log-density values; got {levels!r}.")
    ax = new_axes(ax)
    if filled:
        contours = ax.contourf(grid_x, grid_y, log_density, levels=values, extend="max")
    else:
        contours = ax.contour(grid_x, grid_y, log_density, levels=values, linewidths=1.0)
    if colorbar:
        ax.figure.colorbar(contours, ax=ax, label="log density")
    if array is not None:
        ax.scatter(array[:, first], array[:, second], s=6, color="0.25", alpha=0.6, linewidths=0)
    ax.set_xlabel(labels[first])
    ax.set_ylabel(labels[second])
    if model.n_features_in_ > 2:
        ax.set_title(f"marginal density of {labels[first]}, {labels[second]}", fontsize="medium")
    return ax


def plot_density_1d(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    feature: int | str = 0,
    bins: int | str | ArrayLike = "auto",
    ci_prob: float = 0.94,
    n_draws: int | None = 200,
    components: bool = False,
    grid_size: int = 400,
    random_state: RandomStateLike = 0,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of one feature with the fitted density (and its credible band).

    An EM fit draws its mixture density. A Bayesian mixture draws the posterior mean
    of the density (the posterior predictive density) and a pointwise credible band
    of the per-draw densities. With several features the curves are the exact
    marginal density of ``feature``.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture.
    X : array-like of shape (n_samples, n_features) or (n_samples,)
        The data (a 1-D array only for a one-feature model).
    feature : int or str, default=0
        The feature drawn, by index or by name.
    bins : int, str or array-like, default="auto"
        Histogram bins (as in :func:`numpy.histogram`).
    ci_prob : float, default=0.94
        Probability of the equal-tailed credible band (Bayesian mixtures).
    n_draws : int or None, default=200
        Posterior draws behind the band and the mean (``None``: all of them).
    components : bool, default=False
        Also draw each component's weighted density ``w_k N(x | mu_k, sigma_k^2)``
        (posterior means for a Bayesian mixture).
    grid_size : int, default=400
        Points of the density curves.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the choice of draws.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        For a posterior, the band is a ``PolyCollection`` (``fill_between``).

    Raises
    ------
    ValueError
        If ``X`` does not match the model, ``feature`` is out of range, or
        ``ci_prob``, ``n_draws`` or ``grid_size`` is invalid.

    See Also
    --------
    plot_density, plot_ppc_density

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_galaxies
    >>> X = load_galaxies() / 1000
    >>> gm = GaussianMixture(3, random_state=0).fit(X)
    >>> ax = plot_density_1d(gm, X, components=True)
    >>> len(ax.lines)
    4
    >>> plt.close("all")
    """
    posterior = check_mixture(model, "plot_density_1d")
    values = X
    if np.ndim(X) == 1 and model.n_features_in_ == 1:  # a vector (a Series keeps its name)
        values = X.to_frame() if hasattr(X, "to_frame") else np.asarray(X).reshape(-1, 1)
    array, names = check_X(model, values)
    labels = feature_names(model, names)
    j = feature_index(feature, model.n_features_in_, labels)
    if not (isinstance(ci_prob, int | float) and 0 < ci_prob < 1):
        raise ValueError(f"ci_prob must be in (0, 1); got {ci_prob!r}.")
    check_integer("grid_size", grid_size, 2)
    n_draws = check_n_draws(n_draws, allow_none=True)
    weights, means, covs = model_parameters(model, n_draws, random_state)
    means = means[..., [j]]
    covs = covs[..., [j], :][..., [j]]
    x = array[:, j]
    spread = float(x.max() - x.min()) or 1.0
    grid = np.linspace(x.min() - 0.1 * spread, x.max() + 0.1 * spread, grid_size)
    per_draw = np.exp(log_density_per_draw(grid[:, None], weights, means, covs))
    ax = new_axes(ax)
    # matplotlib's stubs allow only sequences of edges; it hands bins to numpy.histogram
    ax.hist(x, bins=bins, density=True, color="0.85", edgecolor="white", label="data")  # type: ignore[arg-type]
    ax.plot(grid, per_draw.mean(axis=0), color="black", lw=2, label="mixture density")
    if posterior:
        tail = (1.0 - ci_prob) / 2.0
        lower, upper = np.quantile(per_draw, [tail, 1.0 - tail], axis=0)
        ax.fill_between(
            grid,
            lower,
            upper,
            color="0.3",
            alpha=0.3,
            linewidth=0,
            label=f"{ci_prob:.0%} credible band ({len(per_draw)} draws)",
        )
    if components:
        colors = component_colors(weights.shape[1])
        log_parts = log_component_density(grid[:, None], means, covs)
        parts = (np.exp(log_parts) * weights[:, :, None]).mean(axis=0)
        for k, part in enumerate(parts):
            ax.plot(grid, part, color=colors[k], lw=1, ls="--", label=f"component {k}")
    ax.set_xlabel(labels[j])
    ax.set_ylabel("density")
    ax.legend(**OUTSIDE_LEGEND)
    return ax
