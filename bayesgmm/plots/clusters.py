"""Data and clusters: scatter by cluster, ellipses, discriminant directions, co-clustering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.types import RandomStateLike
from bayesgmm.uses.projection import discriminant_directions, informative_pairs

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

from bayesgmm.plots._common import (
    OUTSIDE_LEGEND,
    check_mixture,
    check_n_draws,
    check_X,
    component_colors,
    ellipse,
    feature_names,
    feature_pair,
    label_directions,
    model_parameters,
    new_axes,
    point_estimate,
)


# ---------------------------------------------------------------------- clusters
def plot_clusters(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    features: Sequence[int | str] = (0, 1),
    size: float = 12.0,
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Scatter two features coloured by cluster, opacity from the membership certainty.

    Each point gets the colour of its most probable component and an opacity (alpha)
    equal to that component's membership probability, so points between clusters
    fade. For a Bayesian mixture the probabilities are the posterior means of the
    memberships (:meth:`~bayesgmm.BayesianGaussianMixture.predict_proba`).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture.
    X : array-like of shape (n_samples, n_features)
        Points, with the model's features (a DataFrame's columns label the axes).
    features : pair of int or str, default=(0, 1)
        The two features drawn, by index or (with feature names) by name.
    size : float, default=12.0
        Marker area in points squared.
    legend : bool, default=True
        Add a legend entry per component.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        The points are ``ax.collections[0]``; their face colours carry the alphas.

    Raises
    ------
    ValueError
        If the model has one feature, or ``features`` is not a pair of distinct
        valid features, or ``X`` has another number of features than the model.
    TypeError
        If ``model`` is not a fitted bayesgmm mixture.

    See Also
    --------
    plot_ellipses, plot_density

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> X = load_faithful()
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> ax = plot_clusters(gm, X)
    >>> ax.get_xlabel(), len(ax.collections[0].get_offsets())
    ('eruptions', 272)
    >>> plt.close("all")
    """
    posterior = check_mixture(model, "plot_clusters")
    array, names = check_X(model, X)
    labels = feature_names(model, names)
    first, second = feature_pair(features, model, labels, "plot_clusters")
    palette, colors, noise = _membership_colors(model, np.asarray(model.predict_proba(X)))
    ax = new_axes(ax)
    _scatter_apart(ax, array[:, [first, second]], colors, noise, size)
    ax.set_xlabel(labels[first])
    ax.set_ylabel(labels[second])
    if legend:
        title = "posterior mean membership" if posterior else "membership"
        ax.legend(handles=_handles(palette, noise), title=f"{title} (opacity)", **OUTSIDE_LEGEND)
    return ax


#: the colour of points that a noise component holds (drawn apart, as crosses)
NOISE_COLOR = "0.45"


def _membership_colors(
    model: FittedMixtureLike, proba: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """The components' palette, each row's colour (opacity: its membership) and noise rows.

    A model with a uniform noise component has a last membership column for it; the
    rows it holds most are drawn apart (grey crosses).
    """
    from matplotlib.colors import to_rgba

    n_gaussian = proba.shape[1] - int(hasattr(model, "hypervolume_"))
    palette = np.array([to_rgba(c) for c in component_colors(n_gaussian)])
    palette = np.vstack([palette, to_rgba(NOISE_COLOR)])  # the noise's colour last
    cluster = proba.argmax(axis=1)
    colors = palette[cluster]
    colors[:, 3] = proba.max(axis=1)
    return palette[:n_gaussian], colors, cluster == n_gaussian


def _scatter_apart(ax: Any, points: NDArray, colors: NDArray, noise: NDArray, size: float) -> None:
    """Component points as dots, noise points as grey crosses."""
    ax.scatter(points[~noise, 0], points[~noise, 1], c=colors[~noise], s=size, linewidths=0)
    if noise.any():
        ax.scatter(
            points[noise, 0], points[noise, 1], c=colors[noise], s=size, marker="x",
            linewidths=0.8,
        )  # fmt: skip


def _handles(palette: NDArray, noise: NDArray) -> list[Any]:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", color=palette[k], label=f"component {k}")
        for k in range(len(palette))
    ]
    if noise.any():
        handles.append(Line2D([], [], marker="x", linestyle="", color=NOISE_COLOR, label="noise"))
    return handles


def most_informative_pairs(model: FittedMixtureLike, n_pairs: int = 3) -> list[tuple[int, int]]:
    """The pairs of features that best separate a fitted mixture's components.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture with at least two features.
    n_pairs : int, default=3
        How many pairs.

    Returns
    -------
    list of (int, int)
        Feature indices, best first (:func:`bayesgmm.uses.projection.informative_pairs`).

    Examples
    --------
    >>> from bayesgmm import GaussianMixture, load_iris
    >>> gm = GaussianMixture(3, random_state=0).fit(load_iris().drop(columns="species"))
    >>> len(most_informative_pairs(gm, 2))
    2
    """
    check_mixture(model, "most_informative_pairs")  # a fitted mixture, or TypeError
    return informative_pairs(*point_estimate(model), n_pairs=n_pairs)


def plot_discriminant(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    size: float = 12.0,
    n_std: Sequence[float] = (1.0, 2.0),
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """The data on the two directions that best separate the fitted clusters.

    The directions are MclustDR's (:func:`bayesgmm.uses.projection.discriminant_directions`:
    they separate the components by their means and by their covariances). Points are
    coloured by their most probable component under the full model (opacity: its
    membership probability) and each component's projected covariance is drawn as 1
    and 2 sd ellipses (posterior means for a Bayesian mixture).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture with at least two features.
    X : array-like of shape (n_samples, n_features)
        Points with the model's features.
    size : float, default=12.0
        Marker area.
    n_std : sequence of float, default=(1.0, 2.0)
        Ellipses drawn, in standard deviations.
    legend : bool, default=True
        Add a legend entry per component.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        Axis labels give each direction's largest loadings.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_iris
    >>> X = load_iris().drop(columns="species")
    >>> ax = plot_discriminant(GaussianMixture(3, random_state=0).fit(X), X)
    >>> ax.get_xlabel().startswith("discriminant direction 1")
    True
    >>> plt.close("all")
    """
    check_mixture(model, "plot_discriminant")  # a fitted mixture, or TypeError
    array, names = check_X(model, X)
    labels = feature_names(model, names)
    if array.shape[1] < 2:
        raise ValueError("plot_discriminant needs at least two features; the model has one.")
    weights, means, covs = point_estimate(model)
    directions, _ = discriminant_directions(weights, means, covs)
    basis = directions[:, :2]
    center = weights @ means / weights.sum()
    points = (array - center) @ basis
    palette, colors, noise = _membership_colors(model, np.asarray(model.predict_proba(X)))
    ax = new_axes(ax)
    _scatter_apart(ax, points, colors, noise, size)
    for k in range(means.shape[0]):
        mean = (means[k] - center) @ basis
        cov = basis.T @ covs[k] @ basis
        for s in n_std:
            ax.add_patch(ellipse(mean, cov, s, fill=False, color=palette[k], linewidth=1.2))
        ax.plot(*mean, marker="x", color=palette[k], markersize=8)
    label_directions(ax, basis, labels)
    ax.autoscale_view()
    if legend:
        ax.legend(handles=_handles(palette, noise), **OUTSIDE_LEGEND)
    return ax


def plot_ellipses(
    model: FittedMixtureLike,
    *,
    features: Sequence[int | str] = (0, 1),
    n_std: float | Sequence[float] = (1.0, 2.0),
    n_draws: int = 50,
    random_state: RandomStateLike = 0,
    ax: Axes | None = None,
) -> Axes:
    """Covariance ellipses of each component for two features.

    The ellipse of ``s`` standard deviations is ``{x : (x - mu)' Sigma^-1 (x - mu) =
    s**2}`` for the component's mean and covariance projected on the two features
    (the exact marginal of a Gaussian); in two dimensions it holds a fraction
    ``1 - exp(-s**2 / 2)`` of the component (39% for 1, 86% for 2, 99% for 3). For a
    Bayesian mixture ``n_draws`` posterior draws are drawn translucently, so the
    spread of the ellipses shows the posterior uncertainty; crosses mark the
    posterior mean of the means.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture (any covariance type).
    features : pair of int or str, default=(0, 1)
        The two features, by index or by name.
    n_std : float or sequence of float, default=(1.0, 2.0)
        Sizes of the ellipses in standard deviations (one ellipse per value).
    n_draws : int, default=50
        Posterior draws drawn (Bayesian mixtures; all when there are fewer).
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the choice of draws.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        ``ax.patches`` holds the ellipses: ``n_components * len(n_std)`` of them for
        an EM fit, ``n_draws`` times that for a posterior, component by component.

    Raises
    ------
    ValueError
        If the model has one feature, ``features`` is not a pair of distinct valid
        features, ``n_std`` is not positive or ``n_draws`` is not a positive integer.
    TypeError
        If ``model`` is not a fitted bayesgmm mixture.

    See Also
    --------
    plot_clusters, plot_density

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> gm = GaussianMixture(2, covariance_type="diag", random_state=0).fit(load_faithful())
    >>> ax = plot_ellipses(gm, n_std=(1, 2, 3))
    >>> len(ax.patches)
    6
    >>> plt.close("all")
    """
    posterior = check_mixture(model, "plot_ellipses")
    labels = feature_names(model, None)
    first, second = feature_pair(features, model, labels, "plot_ellipses")
    sizes = np.atleast_1d(np.asarray(n_std, dtype=np.float64))
    if sizes.ndim != 1 or sizes.size == 0 or not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"n_std must be positive numbers of standard deviations; got {n_std!r}.")
    n_draws = check_n_draws(n_draws)
    weights, means, covs = model_parameters(model, n_draws, random_state)
    pair = [first, second]
    means = means[..., pair]
    covs = covs[..., pair, :][..., pair]
    n_samples, n_components = weights.shape
    colors = component_colors(n_components)
    ax = new_axes(ax)
    alpha = 1.0 if not posterior else float(np.clip(3.0 / n_samples, 0.03, 0.5))
    for k in range(n_components):
        for s in range(n_samples):
            for j, size in enumerate(sizes):
                patch = ellipse(
                    means[s, k],
                    covs[s, k],
                    float(size),
                    facecolor="none",
                    edgecolor=colors[k],
                    linewidth=1.5 if not posterior else 0.8,
                    linestyle="-" if j == 0 or posterior else "--",
                    alpha=alpha,
                    label=f"component {k} (weight {weights[:, k].mean():.2f})"
                    if s == 0 and j == 0
                    else None,
                )
                ax.add_patch(patch)
        center = means[:, k].mean(axis=0)
        ax.plot(center[0], center[1], marker="x", color=colors[k], markersize=8, mew=2)
    ax.autoscale_view()
    ax.set_xlabel(labels[first])
    ax.set_ylabel(labels[second])
    what = f"{n_samples} posterior draws" if posterior else "EM estimate"
    ax.set_title(f"{', '.join(f'{s:g}' for s in sizes)} sd ellipses ({what})", fontsize="medium")
    legend = ax.legend(**OUTSIDE_LEGEND)
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)
    return ax


# ---------------------------------------------------------------------- co-clustering
def _hierarchical_order(matrix: NDArray[np.float64]) -> NDArray[np.intp]:
    """Leaf order of average-linkage clustering on ``max(S) - S`` (similar rows adjacent)."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    if len(matrix) < 3:
        return np.arange(len(matrix))
    similarity = (matrix + matrix.T) / 2.0
    distance = similarity.max() - similarity
    np.fill_diagonal(distance, 0.0)
    return leaves_list(linkage(squareform(distance, checks=False), method="average"))


def plot_coclustering(
    matrix: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    order: ArrayLike | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a co-clustering (or any similarity) matrix, reordered so blocks show.

    Rows and columns are permuted together: by ``order`` when given; else by
    ``labels`` (clusters in sorted label order, and within a cluster the most
    certain members first, certainty being the mean similarity to the cluster's
    members), with lines between the clusters; else by average-linkage hierarchical
    clustering of the rows.

    Parameters
    ----------
    matrix : array-like of shape (n, n)
        Similarities, e.g. the posterior co-clustering probabilities of
        :func:`bayesgmm.uses.clustering.coclustering_matrix`.
    labels : array-like of shape (n,), default=None
        A cluster label per row (e.g. ``model.predict(X)``).
    order : array-like of shape (n,), default=None
        An explicit permutation of ``range(n)`` (not with ``labels``).
    cmap : str, default="viridis"
        Colour map.
    colorbar : bool, default=True
        Add a colour bar.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes
        The heatmap is ``ax.images[0]`` (the reordered matrix).

    Raises
    ------
    ValueError
        If ``matrix`` is not square and finite, ``labels`` or ``order`` has the wrong
        length, ``order`` is not a permutation, or both are given.

    See Also
    --------
    bayesgmm.uses.clustering.coclustering_matrix

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> matrix = np.kron(np.eye(2), np.ones((3, 3)))[[0, 3, 1, 4, 2, 5]][:, [0, 3, 1, 4, 2, 5]]
    >>> ax = plot_coclustering(matrix, labels=[0, 1, 0, 1, 0, 1])
    >>> ax.images[0].get_array()[:3, :3].min()
    np.float64(1.0)
    >>> plt.close("all")
    """
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.size == 0:
        raise ValueError(f"matrix must be square of shape (n, n); got shape {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("matrix contains NaN or infinite values; it must be finite.")
    n = len(values)
    boundaries: list[int] = []
    if labels is not None and order is not None:
        raise ValueError("Pass labels or order, not both: order already fixes the permutation.")
    if order is not None:
        permutation = np.asarray(order)
        if permutation.shape != (n,) or not np.array_equal(np.sort(permutation), np.arange(n)):
            raise ValueError(
                f"order must be a permutation of range({n}); got an array of shape "
                f"{permutation.shape} with values {np.unique(permutation)[:10]}."
            )
    elif labels is not None:
        label_array = np.asarray(labels)
        if label_array.shape != (n,):
            raise ValueError(
                f"labels must have one entry per row ({n}); got shape {label_array.shape}."
            )
        _, codes = np.unique(label_array, return_inverse=True)
        same = codes[:, None] == codes[None, :]
        certainty = (values * same).sum(axis=1) / same.sum(axis=1)
        permutation = np.lexsort((-certainty, codes))
        counts = np.bincount(codes)
        boundaries = list(np.cumsum(counts)[:-1])
    else:
        permutation = _hierarchical_order(values)
    reordered = values[np.ix_(permutation, permutation)]
    ax = new_axes(ax)
    bounded = reordered.min() >= 0.0 and reordered.max() <= 1.0
    image = ax.imshow(
        reordered,
        cmap=cmap,
        vmin=0.0 if bounded else None,
        vmax=1.0 if bounded else None,
        interpolation="nearest",
    )
    for edge in boundaries:
        ax.axhline(edge - 0.5, color="white", linewidth=0.8)
        ax.axvline(edge - 0.5, color="white", linewidth=0.8)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="co-clustering probability")
    ax.set_xlabel("observation (reordered)")
    ax.set_ylabel("observation (reordered)")
    return ax
