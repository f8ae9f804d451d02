"""Helpers shared by the plotting modules: model checks, parameter draws, densities."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.types import RandomStateLike
from bayesgmm.core.validation import check_integer, check_random_state, is_int, validate_data
from bayesgmm.covariance import get_covariance_model

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.patches import Ellipse

    from bayesgmm.bayes.estimator import BayesianGaussianMixture


# ---------------------------------------------------------------------- helpers
#: legends beside the axes, not inside them: nothing is hidden, and matplotlib's search
#: for the "best" place inside (seconds over thousands of points, with a warning) is
#: not needed
OUTSIDE_LEGEND: dict[str, Any] = {
    "loc": "upper left",
    "bbox_to_anchor": (1.02, 1.0),
    "borderaxespad": 0.0,
    "fontsize": "small",
}


def check_mixture(model: Any, func: str) -> bool:
    """Whether ``model``'s parameter draws are a posterior (``False``: a point estimate).

    ``model`` must be a fitted mixture
    (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`, such as a
    :class:`~bayesgmm.GaussianMixture` or a :class:`~bayesgmm.BayesianGaussianMixture`);
    anything else raises ``TypeError`` naming ``func``.
    """
    if isinstance(model, FittedMixtureLike):
        model.parameter_draws()  # NotFittedError when not fitted
        return model.is_posterior
    raise TypeError(
        f"{func} needs a fitted bayesgmm.GaussianMixture or bayesgmm.BayesianGaussianMixture; "
        f"got {type(model).__name__}."
    )


def posterior_model(model: FittedMixtureLike, func: str) -> BayesianGaussianMixture:
    """``model`` as the :class:`~bayesgmm.BayesianGaussianMixture` its posterior draws show.

    For a model for which :func:`check_mixture` returned ``True`` (its class, defined
    in :mod:`bayesgmm.bayes.estimator`, is then imported already); any other
    posterior raises ``TypeError`` naming ``func``.
    """
    from bayesgmm.bayes.estimator import BayesianGaussianMixture

    if not isinstance(model, BayesianGaussianMixture):
        raise TypeError(
            f"{func} needs a fitted bayesgmm.BayesianGaussianMixture; got {type(model).__name__}."
        )
    return model


def model_parameters(
    model: FittedMixtureLike,
    n_draws: int | None = None,
    random_state: RandomStateLike = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights ``(S, K)``, means ``(S, K, D)`` and full covariances ``(S, K, D, D)``.

    ``S`` is 1 for an EM fit; for a posterior, all draws or ``n_draws`` of them
    picked at random without replacement (kept in chain, draw order).
    """
    draws = model.parameter_draws()
    if n_draws is not None and n_draws < draws.size:
        rng = check_random_state(random_state)
        draws = draws.take(np.sort(rng.choice(draws.size, size=n_draws, replace=False)))
    return draws.weights, draws.means, draws.full_covariances()


@overload
def check_n_draws(n_draws: Any, *, allow_none: Literal[False] = ...) -> int: ...
@overload
def check_n_draws(n_draws: Any, *, allow_none: bool) -> int | None: ...
def check_n_draws(n_draws: Any, *, allow_none: bool = False) -> int | None:
    return check_integer("n_draws", n_draws, 1, allow_none=allow_none, none_means="all draws")


def check_X(
    model: FittedMixtureLike, X: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.object_] | None]:
    """``X`` as a float array with the model's number of features, and its column names.

    NaN cells are accepted when the model marginalizes them (rows with a missing
    drawn feature are left out of scatter plots).
    """
    data = validate_data(X, allow_nan=getattr(model, "missing", "error") == "marginalize")
    array, names = data.array, data.feature_names
    if array.shape[1] != model.n_features_in_:
        raise ValueError(
            f"X has {array.shape[1]} features, but the model was fitted with "
            f"{model.n_features_in_}."
        )
    return array, names


def feature_names(model: FittedMixtureLike, names: NDArray[np.object_] | None) -> list[str]:
    """Axis labels: the DataFrame's columns, else the model's, else ``feature j``."""
    if names is None:
        names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"feature {j}" for j in range(model.n_features_in_)]
    return [str(name) for name in names]


def feature_index(feature: Any, n_features: int, names: list[str] | None) -> int:
    if isinstance(feature, str):
        if names is None or feature not in names:
            known = f"the features are {names}" if names else "the model has no feature names"
            raise ValueError(f"feature {feature!r} not found; {known}. Pass an index instead.")
        return names.index(feature)
    if not is_int(feature):
        raise TypeError(f"a feature must be an index or a name; got {feature!r}.")
    if not 0 <= feature < n_features:
        raise ValueError(
            f"feature index {feature} is out of range: the model has {n_features} "
            f"feature{'s' if n_features > 1 else ''} (indices 0..{n_features - 1})."
        )
    return int(feature)


def feature_pair(
    features: Any, model: FittedMixtureLike, names: list[str] | None, func: str
) -> tuple[int, int]:
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
    first, second = (feature_index(f, n_features, names) for f in features)
    if first == second:
        raise ValueError(f"features must be two different features; got {tuple(features)!r}.")
    return first, second


def label_directions(ax: Axes, basis: NDArray[np.float64], labels: list[str]) -> None:
    """Name the axes of a projection on two discriminant directions by their largest loadings."""
    names = []
    for j in range(2):
        loadings = basis[:, j]
        top = np.argsort(-np.abs(loadings))[:2]
        terms = " ".join(f"{loadings[i]:+.2f} {labels[i]}" for i in top)
        names.append(f"discriminant direction {j + 1} ({terms} ...)")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])


def component_colors(n_components: int) -> list[Any]:
    """One colour per component: matplotlib's default cycle, then a wider map."""
    import matplotlib as mpl

    if n_components <= 10:
        return [f"C{k}" for k in range(n_components)]
    cmap = mpl.colormaps["tab20" if n_components <= 20 else "turbo"]
    return [cmap(k / max(n_components - 1, 1)) for k in range(n_components)]


def new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def ellipse(
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


def point_estimate(
    model: FittedMixtureLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weights, means and full covariances of a fitted mixture.

    The EM estimate, or a Bayesian model's posterior means (its ``weights_``,
    ``means_``, ``covariances_``: nothing is recomputed from the draws).
    """
    n_components, n_features = model.means_.shape
    full = get_covariance_model(model.covariance_type).full_covariances(
        model.covariances_, n_components, n_features
    )
    return np.asarray(model.weights_), np.asarray(model.means_), np.asarray(full)
