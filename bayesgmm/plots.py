"""Plots of fitted Gaussian mixtures and of model-choice results (matplotlib).

Every function draws on ``ax`` when given (a new figure otherwise), returns what it
drew on and never calls ``plt.show()``. matplotlib and ArviZ are imported inside the
functions, so ``import bayesgmm`` stays light.

The functions take a fitted :class:`~bayesgmm.GaussianMixture` (the point estimate)
or a fitted :class:`~bayesgmm.BayesianGaussianMixture` (the posterior):

* data and clusters: :func:`plot_clusters` (points coloured by cluster, transparency
  from the membership certainty), :func:`plot_ellipses` (covariance ellipses; for the
  posterior, many translucent draws), :func:`plot_density` (contours of the log
  density of two features, marginalised exactly when there are more),
  :func:`plot_density_1d` (histogram with the density and its credible band),
  :func:`plot_coclustering` (heatmap of a co-clustering matrix such as
  :func:`bayesgmm.clustering.coclustering_matrix`);
* convergence: :func:`plot_trace` (trace or rank plots through arviz-plots);
* model choice and checks, thin wrappers of the result objects' own ``plot``
  methods: :func:`plot_criteria`, :func:`plot_loo`, :func:`plot_bootstrap_lrt`,
  :func:`plot_ppc`, plus :func:`plot_ppc_density` and :func:`plot_ppc_dist`
  (replicated against observed densities; the latter through arviz-plots).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm._base import is_bayesian
from bayesgmm._typing import RandomStateLike
from bayesgmm._validation import check_array, check_random_state
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em import GaussianMixture
from bayesgmm.projection import discriminant_directions, informative_pairs

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse

__all__ = [
    "most_informative_pairs",
    "plot_bootstrap_lrt",
    "plot_clusters",
    "plot_coclustering",
    "plot_criteria",
    "plot_density",
    "plot_density_1d",
    "plot_discriminant",
    "plot_ellipses",
    "plot_loo",
    "plot_ppc",
    "plot_ppc_density",
    "plot_ppc_dist",
    "plot_trace",
]

_LOG_2PI = math.log(2.0 * math.pi)
#: array elements (draws x components x grid points x features) evaluated at once
_CHUNK_ELEMENTS = 4_000_000
#: the arviz-plots function behind each ``kind`` of :func:`plot_trace`
_TRACE_KINDS = {"trace": "plot_trace_dist", "rank": "plot_rank_dist"}


# ---------------------------------------------------------------------- helpers
def check_mixture(model: Any, func: str) -> bool:
    """Whether ``model`` is a fitted Bayesian mixture (``False``: a fitted EM one).

    Raises ``TypeError`` naming ``func`` for anything else (see
    :func:`bayesgmm._base.is_bayesian`).
    """
    if is_bayesian(model):
        model._check_is_fitted()
        return True
    if isinstance(model, GaussianMixture):
        model._check_is_fitted()
        return False
    raise TypeError(
        f"{func} needs a fitted bayesgmm.GaussianMixture or bayesgmm.BayesianGaussianMixture; "
        f"got {type(model).__name__}."
    )


def _parameters(
    model: Any,
    bayes: bool,
    n_draws: int | None = None,
    random_state: RandomStateLike = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights ``(S, K)``, means ``(S, K, D)`` and full covariances ``(S, K, D, D)``.

    ``S`` is 1 for an EM fit; for a posterior, all draws or ``n_draws`` of them
    picked at random without replacement (kept in chain, draw order).
    """
    if bayes:
        _, _, weights, means, covs = model._draw_parameters()
        n_total = len(weights)
        if n_draws is not None and n_draws < n_total:
            rng = check_random_state(random_state)
            picks = np.sort(rng.choice(n_total, size=n_draws, replace=False))
            weights, means, covs = weights[picks], means[picks], covs[picks]
    else:
        weights, means, covs = model.weights_[None], model.means_[None], model.covariances_[None]
    n_components, n_features = means.shape[1:]
    full = get_covariance_model(model.covariance_type).full_covariances(
        covs, n_components, n_features
    )
    return np.asarray(weights, dtype=np.float64), np.asarray(means, dtype=np.float64), full


def _check_n_draws(n_draws: Any, *, allow_none: bool = False) -> int | None:
    if n_draws is None and allow_none:
        return None
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
        allowed = "an integer >= 1" + (" or None (all draws)" if allow_none else "")
        raise ValueError(f"n_draws must be {allowed}; got {n_draws!r}.")
    return int(n_draws)


def _check_X(model: Any, X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.object_] | None]:
    """``X`` as a float array with the model's number of features, and its column names.

    NaN cells are accepted when the model marginalizes them (rows with a missing
    drawn feature are left out of scatter plots).
    """
    array, names = check_array(X, allow_nan=getattr(model, "missing", "error") == "marginalize")
    if array.shape[1] != model.n_features_in_:
        raise ValueError(
            f"X has {array.shape[1]} features, but the model was fitted with "
            f"{model.n_features_in_}."
        )
    return array, names


def _feature_names(model: Any, names: NDArray[np.object_] | None) -> list[str]:
    """Axis labels: the DataFrame's columns, else the model's, else ``feature j``."""
    if names is None:
        names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"feature {j}" for j in range(model.n_features_in_)]
    return [str(name) for name in names]


def _feature_index(feature: Any, n_features: int, names: list[str] | None) -> int:
    if isinstance(feature, str):
        if names is None or feature not in names:
            known = f"the features are {names}" if names else "the model has no feature names"
            raise ValueError(f"feature {feature!r} not found; {known}. Pass an index instead.")
        return names.index(feature)
    if isinstance(feature, bool) or not isinstance(feature, int | np.integer):
        raise TypeError(f"a feature must be an index or a name; got {feature!r}.")
    if not 0 <= feature < n_features:
        raise ValueError(
            f"feature index {feature} is out of range: the model has {n_features} "
            f"feature{'s' if n_features > 1 else ''} (indices 0..{n_features - 1})."
        )
    return int(feature)


def _pair(features: Any, model: Any, names: list[str] | None, func: str) -> tuple[int, int]:
    """Validate a pair of features (indices or names) for a two-dimensional plot."""
    n_features = model.n_features_in_
    if n_features < 2:
        raise ValueError(
            f"{func} draws two features, but the model has {n_features}. "
            "Use plot_density_1d for one-dimensional data."
        )
    if isinstance(features, str | bytes) or not isinstance(features, Sequence | np.ndarray):
        raise TypeError(f"features must be a pair of feature indices or names; got {features!r}.")
    if len(features) != 2:
        raise ValueError(
            f"features must be a pair of feature indices or names; got {len(features)} "
            f"({list(features)!r})."
        )
    first, second = (_feature_index(f, n_features, names) for f in features)
    if first == second:
        raise ValueError(f"features must be two different features; got {tuple(features)!r}.")
    return first, second


def _component_colors(n_components: int) -> list[Any]:
    """One colour per component: matplotlib's default cycle, then a wider map."""
    import matplotlib as mpl

    if n_components <= 10:
        return [f"C{k}" for k in range(n_components)]
    cmap = mpl.colormaps["tab20" if n_components <= 20 else "turbo"]
    return [cmap(k / max(n_components - 1, 1)) for k in range(n_components)]


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _log_component_density(
    points: NDArray[np.float64], means: NDArray[np.float64], covs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``log N(point | mean_sk, cov_sk)`` of shape ``(S, K, n_points)``."""
    d = points.shape[1]
    precisions = np.linalg.inv(covs)
    _, log_det = np.linalg.slogdet(covs)
    diff = points[None, None, :, :] - means[:, :, None, :]
    maha = np.sum((diff @ precisions) * diff, axis=-1)
    return -0.5 * (maha + log_det[..., None] + d * _LOG_2PI)


def _draw_chunks(n_draws: int, n_components: int, n_points: int, n_features: int):
    """Slices of draws small enough to evaluate at once."""
    size = max(1, _CHUNK_ELEMENTS // max(1, n_components * n_points * n_features))
    for start in range(0, n_draws, size):
        yield slice(start, min(start + size, n_draws))


def _log_density_per_draw(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covs: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Log mixture density of every draw at ``points``, shape ``(S, n_points)``."""
    from scipy.special import logsumexp

    out = np.empty((len(weights), len(points)))
    for part in _draw_chunks(len(weights), means.shape[1], len(points), points.shape[1]):
        log_prob = _log_component_density(points, means[part], covs[part])
        with np.errstate(divide="ignore"):  # an empty component: weight 0, log -inf
            log_prob += np.log(weights[part])[:, :, None]
        out[part] = logsumexp(log_prob, axis=1)
    return out


def _log_predictive_density(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covs: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``log mean_s p(point | theta_s)`` (the plug-in density when ``S = 1``)."""
    from scipy.special import logsumexp

    total = np.full(len(points), -np.inf)
    for part in _draw_chunks(len(weights), means.shape[1], len(points), points.shape[1]):
        chunk = _log_density_per_draw(points, weights[part], means[part], covs[part])
        total = np.logaddexp(total, logsumexp(chunk, axis=0))
    return total - math.log(len(weights))


def _ellipse(
    mean: NDArray[np.float64], cov: NDArray[np.float64], n_std: float, **kwargs: Any
) -> Ellipse:
    """The ellipse ``(x - mean)' cov^-1 (x - mean) = n_std**2`` of a 2x2 covariance.

    Its axes are ``2 n_std sqrt(eigenvalue)`` long, along the eigenvectors; the
    width follows the largest eigenvalue.
    """
    from matplotlib.patches import Ellipse

    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    width, height = 2.0 * n_std * np.sqrt(eigenvalues[::-1])
    angle = math.degrees(math.atan2(eigenvectors[1, -1], eigenvectors[0, -1]))
    return Ellipse(
        (float(mean[0]), float(mean[1])), float(width), float(height), angle=angle, **kwargs
    )


# ---------------------------------------------------------------------- clusters
def plot_clusters(
    model: Any,
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
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D

    bayes = check_mixture(model, "plot_clusters")
    array, names = _check_X(model, X)
    labels = _feature_names(model, names)
    first, second = _pair(features, model, labels, "plot_clusters")
    proba = np.asarray(model.predict_proba(X))
    cluster = proba.argmax(axis=1)
    certainty = proba.max(axis=1)
    palette = np.array([to_rgba(c) for c in _component_colors(proba.shape[1])])
    colors = palette[cluster]
    colors[:, 3] = certainty
    ax = _new_axes(ax)
    ax.scatter(array[:, first], array[:, second], c=colors, s=size, linewidths=0)
    ax.set_xlabel(labels[first])
    ax.set_ylabel(labels[second])
    if legend:
        handles = [
            Line2D([], [], marker="o", linestyle="", color=palette[k], label=f"component {k}")
            for k in range(proba.shape[1])
        ]
        title = "posterior mean membership" if bayes else "membership"
        ax.legend(handles=handles, title=f"{title} (opacity)", fontsize="small")
    return ax


def _point_estimate(model: Any, bayes: bool):
    """Weights, means and full covariances of the fit (posterior means if Bayesian)."""
    weights, means, covs = _parameters(model, bayes)
    return weights.mean(axis=0), means.mean(axis=0), covs.mean(axis=0)


def most_informative_pairs(model: Any, n_pairs: int = 3) -> list[tuple[int, int]]:
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
        Feature indices, best first (:func:`bayesgmm.projection.informative_pairs`).

    Examples
    --------
    >>> from bayesgmm import GaussianMixture, load_iris
    >>> gm = GaussianMixture(3, random_state=0).fit(load_iris().drop(columns="species"))
    >>> len(most_informative_pairs(gm, 2))
    2
    """
    bayes = check_mixture(model, "most_informative_pairs")
    return informative_pairs(*_point_estimate(model, bayes), n_pairs=n_pairs)


def plot_discriminant(
    model: Any,
    X: ArrayLike,
    *,
    size: float = 12.0,
    n_std: Sequence[float] = (1.0, 2.0),
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """The data on the two directions that best separate the fitted clusters.

    The directions are MclustDR's (:func:`bayesgmm.projection.discriminant_directions`:
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
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D

    bayes = check_mixture(model, "plot_discriminant")
    array, names = _check_X(model, X)
    labels = _feature_names(model, names)
    if array.shape[1] < 2:
        raise ValueError("plot_discriminant needs at least two features; the model has one.")
    weights, means, covs = _point_estimate(model, bayes)
    directions, _ = discriminant_directions(weights, means, covs)
    basis = directions[:, :2]
    center = weights @ means / weights.sum()
    points = (array - center) @ basis
    proba = np.asarray(model.predict_proba(X))
    palette = np.array([to_rgba(c) for c in _component_colors(proba.shape[1])])
    colors = palette[proba.argmax(axis=1)]
    colors[:, 3] = proba.max(axis=1)
    ax = _new_axes(ax)
    ax.scatter(points[:, 0], points[:, 1], c=colors, s=size, linewidths=0)
    for k in range(means.shape[0]):
        mean = (means[k] - center) @ basis
        cov = basis.T @ covs[k] @ basis
        for s in n_std:
            ax.add_patch(_ellipse(mean, cov, s, fill=False, color=palette[k], linewidth=1.2))
        ax.plot(*mean, marker="x", color=palette[k], markersize=8)
    for j, set_label in enumerate((ax.set_xlabel, ax.set_ylabel)):
        loadings = basis[:, j]
        top = np.argsort(-np.abs(loadings))[:2]
        terms = " ".join(f"{loadings[i]:+.2f} {labels[i]}" for i in top)
        set_label(f"discriminant direction {j + 1} ({terms} ...)")
    ax.autoscale_view()
    if legend:
        handles = [
            Line2D([], [], marker="o", linestyle="", color=palette[k], label=f"component {k}")
            for k in range(proba.shape[1])
        ]
        ax.legend(handles=handles, fontsize="small")
    return ax


def plot_ellipses(
    model: Any,
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
    bayes = check_mixture(model, "plot_ellipses")
    labels = _feature_names(model, None)
    first, second = _pair(features, model, labels, "plot_ellipses")
    sizes = np.atleast_1d(np.asarray(n_std, dtype=np.float64))
    if sizes.ndim != 1 or sizes.size == 0 or not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"n_std must be positive numbers of standard deviations; got {n_std!r}.")
    n_draws = _check_n_draws(n_draws)
    weights, means, covs = _parameters(model, bayes, n_draws, random_state)
    pair = [first, second]
    means = means[..., pair]
    covs = covs[..., pair, :][..., pair]
    n_samples, n_components = weights.shape
    colors = _component_colors(n_components)
    ax = _new_axes(ax)
    alpha = 1.0 if not bayes else float(np.clip(3.0 / n_samples, 0.03, 0.5))
    for k in range(n_components):
        for s in range(n_samples):
            for j, size in enumerate(sizes):
                patch = _ellipse(
                    means[s, k],
                    covs[s, k],
                    float(size),
                    facecolor="none",
                    edgecolor=colors[k],
                    linewidth=1.5 if not bayes else 0.8,
                    linestyle="-" if j == 0 or bayes else "--",
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
    what = f"{n_samples} posterior draws" if bayes else "EM estimate"
    ax.set_title(f"{', '.join(f'{s:g}' for s in sizes)} sd ellipses ({what})", fontsize="medium")
    legend = ax.legend(fontsize="small")
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)
    return ax


# ---------------------------------------------------------------------- densities
def plot_density(
    model: Any,
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
    bayes = check_mixture(model, "plot_density")
    array, names = (None, None) if X is None else _check_X(model, X)
    labels = _feature_names(model, names)
    first, second = _pair(features, model, labels, "plot_density")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int | np.integer) or grid_size < 2:
        raise ValueError(f"grid_size must be an integer >= 2; got {grid_size!r}.")
    if not (isinstance(decades, int | float) and np.isfinite(decades) and decades > 0):
        raise ValueError(f"decades must be a positive number; got {decades!r}.")
    n_draws = _check_n_draws(n_draws, allow_none=True)
    weights, means, covs = _parameters(model, bayes, n_draws, random_state)
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
    log_density = _log_predictive_density(points, weights, means, covs).reshape(grid_x.shape)
    peak = float(log_density.max())
    if isinstance(levels, int | np.integer) and not isinstance(levels, bool):
        if levels < 1:
            raise ValueError(f"levels must be a positive integer or an array; got {levels!r}.")
        values = np.linspace(peak - decades * math.log(10.0), peak, int(levels) + 1)[:-1]
    else:
        values = np.sort(np.atleast_1d(np.asarray(levels, dtype=np.float64)))
        if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(f"levels must be finite log-density values; got {levels!r}.")
    ax = _new_axes(ax)
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
    model: Any,
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
    bayes = check_mixture(model, "plot_density_1d")
    values = X
    if np.ndim(X) == 1 and model.n_features_in_ == 1:  # a vector (a Series keeps its name)
        values = X.to_frame() if hasattr(X, "to_frame") else np.asarray(X).reshape(-1, 1)
    array, names = _check_X(model, values)
    labels = _feature_names(model, names)
    j = _feature_index(feature, model.n_features_in_, labels)
    if not (isinstance(ci_prob, int | float) and 0 < ci_prob < 1):
        raise ValueError(f"ci_prob must be in (0, 1); got {ci_prob!r}.")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int | np.integer) or grid_size < 2:
        raise ValueError(f"grid_size must be an integer >= 2; got {grid_size!r}.")
    n_draws = _check_n_draws(n_draws, allow_none=True)
    weights, means, covs = _parameters(model, bayes, n_draws, random_state)
    means = means[..., [j]]
    covs = covs[..., [j], :][..., [j]]
    x = array[:, j]
    spread = float(x.max() - x.min()) or 1.0
    grid = np.linspace(x.min() - 0.1 * spread, x.max() + 0.1 * spread, grid_size)
    per_draw = np.exp(_log_density_per_draw(grid[:, None], weights, means, covs))
    ax = _new_axes(ax)
    ax.hist(x, bins=bins, density=True, color="0.85", edgecolor="white", label="data")
    ax.plot(grid, per_draw.mean(axis=0), color="black", lw=2, label="mixture density")
    if bayes:
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
        colors = _component_colors(weights.shape[1])
        log_parts = _log_component_density(grid[:, None], means, covs)
        parts = (np.exp(log_parts) * weights[:, :, None]).mean(axis=0)
        for k, part in enumerate(parts):
            ax.plot(grid, part, color=colors[k], lw=1, ls="--", label=f"component {k}")
    ax.set_xlabel(labels[j])
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
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
        :func:`bayesgmm.clustering.coclustering_matrix`.
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
    bayesgmm.clustering.coclustering_matrix

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
    ax = _new_axes(ax)
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


# ---------------------------------------------------------------------- convergence
def plot_trace(
    model: Any,
    var_names: str | Sequence[str] = ("weights", "means"),
    *,
    kind: str = "trace",
    **kwargs: Any,
) -> Any:
    """Trace or rank plots of posterior draws, one line per chain (arviz-plots).

    ``kind="trace"`` calls :func:`arviz.plot_trace_dist` (marginal densities beside
    the draws against iteration); ``kind="rank"`` calls :func:`arviz.plot_rank_dist`
    (marginal densities beside each chain's fractional-rank ECDF minus the uniform
    one: chains that sample the same distribution stay close to zero). The posterior
    is relabelled, so per-component traces are meaningful.

    With ``compact=True`` (arviz's default) every feature, or pair of features for
    a covariance, gets its own row with the components coloured, since features on
    different scales would flatten each other in one panel; the rows are named like
    ``means[waiting]`` and component ``k`` has the same colour in every row. Pass
    ``compact=False`` for one row per scalar.

    Parameters
    ----------
    model : BayesianGaussianMixture or xarray.DataTree
        A fitted Bayesian mixture, or a DataTree with a ``posterior`` group.
    var_names : str or sequence of str, default=("weights", "means")
        Posterior variables (also ``"covariances"`` and the sampled ones).
    kind : {"trace", "rank"}, default="trace"
        Which plot.
    **kwargs : dict
        Passed to the arviz-plots function (``coords``, ``compact``, ...).

    Returns
    -------
    arviz_plots.PlotCollection
        Its figure is ``pc.viz["figure"].item()``; ``pc.savefig(path)`` saves it.

    Raises
    ------
    ValueError
        If ``kind`` is unknown or a variable is not in the posterior.
    TypeError
        If ``model`` is neither a fitted Bayesian mixture nor a DataTree with a
        posterior.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> weights = rng.dirichlet([50, 50], size=(2, 100))
    >>> posterior = xr.Dataset({"weights": (("chain", "draw", "component"), weights)})
    >>> pc = plot_trace(xr.DataTree.from_dict({"posterior": posterior}), "weights")
    >>> type(pc.viz["figure"].item()).__name__
    'Figure'
    >>> plt.close("all")
    """
    import arviz as az
    import xarray as xr

    if kind not in _TRACE_KINDS:
        raise ValueError(f"kind must be one of {list(_TRACE_KINDS)}; got {kind!r}.")
    if isinstance(model, xr.DataTree):
        tree = model
    else:
        if not check_mixture(model, "plot_trace"):
            raise TypeError(
                "plot_trace needs posterior draws: a fitted BayesianGaussianMixture or a "
                "DataTree with a posterior group; got a GaussianMixture (EM has no draws)."
            )
        tree = model.idata_
    if "posterior" not in tree.children:
        raise TypeError(
            f"plot_trace needs a DataTree with a posterior group; got groups {list(tree.children)}."
        )
    names = [var_names] if isinstance(var_names, str) else list(var_names)
    missing = [name for name in names if name not in tree["posterior"].data_vars]
    if missing:
        raise ValueError(
            f"var_names {missing} are not in the posterior; it has "
            f"{list(tree['posterior'].data_vars)}."
        )
    if kwargs.get("compact", True):
        tree, names = _split_features(tree, names)
        if all("component" in tree["posterior"][name].dims for name in names):
            kwargs["aes"] = {"color": ["component"], **kwargs.get("aes", {})}
    return getattr(az, _TRACE_KINDS[kind])(tree, var_names=names, **kwargs)


def _split_features(tree: xr.DataTree, names: list[str]) -> tuple[xr.DataTree, list[str]]:
    """One posterior variable per feature (or feature pair), components kept together.

    A compact trace plot draws all entries of a variable in one panel; the means of
    features on different scales (minutes and seconds, say) would flatten each other.
    Splitting ``means`` into ``means[eruptions]``, ``means[waiting]`` gives one panel
    per feature with the components coloured. Symmetric duplicates (the lower
    triangle of a covariance matrix) and constant entries are left out.
    """
    import xarray as xr

    post = tree["posterior"].to_dataset()
    out: dict[str, xr.DataArray] = {}
    for name in names:
        var = post[name]
        head = [d for d in ("chain", "draw", "component") if d in var.dims]
        extra = [d for d in var.dims if d not in head]
        if not extra:
            out[name] = var
            continue
        var = var.transpose(*head, *extra)
        shape = tuple(var.sizes[d] for d in extra)
        values = var.values
        symmetric = (
            len(extra) == 2
            and shape[0] == shape[1]
            and np.allclose(values, np.swapaxes(values, -1, -2))
        )
        for index in np.ndindex(*shape):
            if symmetric and index[0] > index[1]:
                continue
            entry = values[(..., *index)]
            if np.ptp(entry) == 0:
                continue
            labels = [
                str(var[d].values[i]) if d in var.coords else str(i)
                for d, i in zip(extra, index, strict=True)
            ]
            coords = {d: var[d].values for d in head if d in var.coords}
            out[f"{name}[{', '.join(labels)}]"] = xr.DataArray(entry, dims=head, coords=coords)
    groups = {"posterior": xr.Dataset(out)}
    if "sample_stats" in tree.children:
        groups["sample_stats"] = tree["sample_stats"].to_dataset()
    return xr.DataTree.from_dict(groups), list(out)


# ---------------------------------------------------------------------- model choice
def plot_criteria(
    selection: Any,
    criteria: str | Sequence[str] = ("bic", "icl"),
    ax: Axes | NDArray[np.object_] | None = None,
) -> Any:
    """Information criteria against the number of components, one line per covariance type.

    A thin wrapper of :meth:`bayesgmm.selection.ModelSelection.plot`: one panel per
    criterion, the best model circled.

    Parameters
    ----------
    selection : ModelSelection
        The result of :func:`bayesgmm.select_model`.
    criteria : str or sequence of str, default=("bic", "icl")
        Criteria drawn (``"bic"``, ``"icl"``, ``"aic"``, ``"log_likelihood"``).
    ax : matplotlib Axes or array of Axes, default=None
        One Axes per criterion (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes or ndarray of Axes
        One Axes for one criterion, an array for several.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import load_faithful, select_model
    >>> selection = select_model(load_faithful(), [1, 2], ["full"], n_init=1)
    >>> axes = plot_criteria(selection)
    >>> [a.get_ylabel() for a in axes]
    ['BIC (lower is better)', 'ICL (lower is better)']
    >>> plt.close("all")
    """
    if isinstance(criteria, str):
        return selection.plot(criteria, ax=ax)
    return selection.plot(list(criteria), ax=ax)


def plot_loo(comparison: Any, ax: Axes | None = None) -> Axes:
    """PSIS-LOO ELPD of each model (+- se) and its difference to the best (+- dse).

    A thin wrapper of :meth:`bayesgmm.bayes.compare.LOOComparison.plot`.

    Parameters
    ----------
    comparison : LOOComparison
        The result of :func:`bayesgmm.compare_loo`.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from bayesgmm import compare_loo, load_galaxies
    >>> comparison = compare_loo(load_galaxies() / 1000, [2, 3, 4])  # doctest: +SKIP
    >>> ax = plot_loo(comparison)  # doctest: +SKIP
    """
    return comparison.plot(ax=ax)


def plot_bootstrap_lrt(result: Any, ax: Axes | None = None) -> Axes:
    """Bootstrap distribution of the likelihood-ratio statistic, observed value marked.

    A thin wrapper of :meth:`bayesgmm.bootstrap.BootstrapLRTResult.plot`.

    Parameters
    ----------
    result : BootstrapLRTResult
        The result of :func:`bayesgmm.bootstrap_lrt`.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import bootstrap_lrt, load_faithful
    >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
    >>> plot_bootstrap_lrt(result).get_xlabel()
    'LRTS'
    >>> plt.close("all")
    """
    return result.plot(ax=ax)


# ---------------------------------------------------------------------- predictive checks
def plot_ppc(result: Any, statistics: Sequence[str] | None = None, *, ncols: int = 3) -> Figure:
    """Replicated test statistics of a posterior predictive check, observed values marked.

    A thin wrapper of :meth:`bayesgmm.bayes.ppc.PPCResult.plot`: one histogram per
    statistic, titled with its two-sided p-value (flagged ones in red).

    Parameters
    ----------
    result : PPCResult
        The result of :func:`bayesgmm.posterior_predictive_check`.
    statistics : sequence of str, default=None
        Statistics drawn (all when ``None``).
    ncols : int, default=3
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    plot_ppc_density, plot_ppc_dist

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture, posterior_predictive_check
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> result = posterior_predictive_check(GaussianMixture(1).fit(X), X, n_replicates=20)
    >>> len(plot_ppc(result, ["modes", "max_gap"]).axes)
    2
    >>> plt.close("all")
    """
    return result.plot(statistics, ncols=ncols)


def plot_ppc_density(
    model: Any,
    X: ArrayLike,
    *,
    n_replicates: int = 50,
    random_state: RandomStateLike = 0,
    ax: Any = None,
) -> Figure:
    """Observed density of each feature over the densities of replicated data sets.

    A thin wrapper of :func:`bayesgmm.bayes.ppc.plot_density` (kernel density
    estimates with one shared bandwidth; an EM fit gives plug-in replicates).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture.
    X : array-like of shape (n_samples, n_features)
        The observed data.
    n_replicates : int, default=50
        Number of replicated data sets.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the replicates.
    ax : matplotlib Axes or sequence of Axes, default=None
        One Axes per feature (a new figure when ``None``).

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    plot_ppc_dist, plot_density_1d

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> X = load_faithful()
    >>> fig = plot_ppc_density(GaussianMixture(2, random_state=0).fit(X), X, n_replicates=5)
    >>> len(fig.axes)
    2
    >>> plt.close("all")
    """
    from bayesgmm.bayes.ppc import plot_density as _plot_replicated_density

    return _plot_replicated_density(
        model, X, n_replicates=n_replicates, random_state=random_state, ax=ax
    )


def plot_ppc_dist(
    model: Any,
    *,
    num_samples: int = 50,
    random_state: RandomStateLike = 0,
    **kwargs: Any,
) -> Any:
    """Posterior predictive densities against the observed one, through arviz-plots.

    Calls :func:`arviz.plot_ppc_dist` on the model's ``idata_``, one panel per
    feature. When ``idata_`` has no ``posterior_predictive`` group yet, one is
    added first with
    :meth:`~bayesgmm.BayesianGaussianMixture.sample_posterior_predictive` (one
    replicated data set per draw; this modifies ``model.idata_``).

    Parameters
    ----------
    model : BayesianGaussianMixture
        A fitted Bayesian mixture.
    num_samples : int, default=50
        Replicated data sets drawn (at most one per posterior draw).
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the replicates when they are created here (arviz-plots picks the
        ``num_samples`` drawn with its own fixed seed).
    **kwargs : dict
        Passed to :func:`arviz.plot_ppc_dist` (e.g. ``kind="ecdf"``).

    Returns
    -------
    arviz_plots.PlotCollection
        Its figure is ``pc.viz["figure"].item()``.

    Raises
    ------
    TypeError
        If ``model`` is not a fitted BayesianGaussianMixture (use
        :func:`plot_ppc_density` for an EM fit).

    See Also
    --------
    plot_ppc_density, plot_ppc

    Examples
    --------
    >>> from bayesgmm import BayesianGaussianMixture, load_faithful
    >>> bgm = BayesianGaussianMixture(2, draws=200, tune=200, chains=2, progressbar=False)
    >>> bgm = bgm.fit(load_faithful())  # doctest: +SKIP
    >>> pc = plot_ppc_dist(bgm)  # doctest: +SKIP
    """
    import arviz as az

    if not check_mixture(model, "plot_ppc_dist"):
        raise TypeError(
            "plot_ppc_dist needs a fitted BayesianGaussianMixture; for a GaussianMixture "
            "use plot_ppc_density (plug-in replicates)."
        )
    if (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, int | np.integer)
        or num_samples < 1
    ):
        raise ValueError(f"num_samples must be an integer >= 1; got {num_samples!r}.")
    if "posterior_predictive" not in model.idata_.children:
        model.sample_posterior_predictive(random_state=random_state)
    if model.n_features_in_ > 1:
        kwargs.setdefault("cols", ["feature"])
    n_available = model.idata_["posterior_predictive"].sizes
    num_samples = min(num_samples, n_available["chain"] * n_available["draw"])
    return az.plot_ppc_dist(model.idata_, num_samples=num_samples, **kwargs)
