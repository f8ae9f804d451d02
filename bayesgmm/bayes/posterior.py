"""Posterior draws of a mixture's parameters: tidy, relabel and evaluate them.

The one implementation of what every consumer of a posterior needs, PyMC-free:

- :func:`tidy_posterior`: labelled dims for ``corr_chol`` (sampled with ``shape=``);
- :func:`relabel_to_em`: permute every draw's components onto an EM fit's labels;
- :class:`ParameterDraws` (defined in :mod:`bayesgmm.em.parameter_draws`) and
  :func:`parameter_draws`: the draws of weights, means and covariances of any fitted
  mixture (its ``parameter_draws()``, :class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`),
  flattened over chains. A :class:`bayesgmm.GaussianMixture` is one plug-in draw; a
  posterior ``Dataset`` is read with :func:`draws_from_posterior`;
- :meth:`ParameterDraws.log_prob`: per-draw weighted log-densities of data (marginal
  over missing cells), used by memberships, predictive densities, LOO and anomaly
  scores;
- :func:`log_likelihood_groups`: ArviZ's ``log_likelihood`` and ``observed_data``.

Used by the estimator, :mod:`~bayesgmm.bayes.approximate`, plots, PPC and anomaly scores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.special import logsumexp

from bayesgmm.bayes.relabel import matching_permutations, relabel_draws
from bayesgmm.bayes.uniform_noise import NoiseDraws
from bayesgmm.core.fitted_mixture import FittedMixtureLike, MixtureDraws
from bayesgmm.core.numerics import LOG_2PI
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.em.parameter_draws import ParameterDraws

__all__ = [
    "ParameterDraws",
    "draws_from_posterior",
    "log_component_density",
    "log_density_per_draw",
    "log_likelihood_groups",
    "log_predictive_density",
    "parameter_draws",
    "relabel_to_em",
    "tidy_posterior",
]


def tidy_posterior(post: xr.Dataset) -> xr.Dataset:
    """The sampler's posterior with labelled dims on ``corr_chol``.

    ``corr_chol`` is sampled with ``shape=`` (PyMC names its dims
    ``corr_chol_dim_*``); it gets ``(chain, draw, [component,] feature,
    feature_bis)`` (tied covariances have no component axis). The noise component's
    ``proportions`` are dropped: ``weights`` and ``noise_proportion`` hold them (and
    relabelling permutes ``weights`` only).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> post = xr.Dataset(
    ...     {
    ...         "corr_chol": (
    ...             ("chain", "draw", "corr_chol_dim_0", "corr_chol_dim_1", "corr_chol_dim_2"),
    ...             np.zeros((1, 2, 3, 2, 2)),
    ...         )
    ...     }
    ... )
    >>> tidy_posterior(post)["corr_chol"].dims
    ('chain', 'draw', 'component', 'feature', 'feature_bis')
    """
    if "proportions" in post:
        post = post.drop_vars("proportions").drop_dims("proportion", errors="ignore")
    if "corr_chol" not in post:
        return post
    var = post["corr_chol"]
    inner = ("component", "feature", "feature_bis")[-(var.ndim - 2) :]
    generic = [d for d in var.dims if str(d).startswith("corr_chol_dim")]
    post = post.drop_vars("corr_chol").drop_vars(generic, errors="ignore")
    post["corr_chol"] = (("chain", "draw", *inner), var.values)
    return post


def relabel_to_em(post: xr.Dataset, em: GaussianMixture) -> tuple[xr.Dataset, int]:
    """Permute every draw's components onto the labels of the EM fit ``em``.

    Each draw's means are matched to the EM means under the EM precisions
    (:func:`bayesgmm.bayes.relabel.matching_permutations`); every variable with a
    ``component`` dim is permuted the same way. Returns the relabelled posterior (a
    copy when anything moved) and the number of draws that were permuted.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from bayesgmm import GaussianMixture
    >>> X = np.r_[np.zeros((20, 1)), np.full((20, 1), 10.0)] + np.linspace(0, 1, 40)[:, None]
    >>> em = GaussianMixture(2, random_state=0).fit(X)
    >>> swapped = em.means_[::-1][None, None]  # one draw with the labels swapped
    >>> post = xr.Dataset({"means": (("chain", "draw", "component", "feature"), swapped)})
    >>> relabelled, n = relabel_to_em(post, em)
    >>> n, bool(np.allclose(relabelled["means"].values[0, 0], em.means_))
    (1, True)
    """
    n = post.sizes["chain"] * post.sizes["draw"]
    K, D = em.means_.shape
    flat_means = post["means"].values.reshape(n, K, D)
    model = get_covariance_model(em.covariance_type)
    precisions = np.linalg.inv(model.full_covariances(em.covariances_, K, D))
    perms = matching_permutations(flat_means, em.means_, precisions)
    n_permuted = int(np.sum(np.any(perms != np.arange(K), axis=1)))
    if n_permuted == 0:
        return post, 0
    arrays, axes = {}, {}
    for name, var in post.data_vars.items():
        if "component" in var.dims:
            arrays[name] = var.values.reshape(n, *var.shape[2:])
            axes[name] = var.dims.index("component") - 1
    post = post.copy()
    for name, values in relabel_draws(arrays, perms, axes).items():
        post[name] = (post[name].dims, values.reshape(post[name].shape))
    return post, n_permuted


def draws_from_posterior(post: xr.Dataset, covariance_type: str) -> ParameterDraws:
    """The draws of a posterior with ``weights``, ``means`` and ``covariances`` variables.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> post = xr.Dataset(
    ...     {
    ...         "weights": (("chain", "draw", "component"), np.full((2, 3, 2), 0.5)),
    ...         "means": (("chain", "draw", "component", "feature"), np.zeros((2, 3, 2, 1))),
    ...         "covariances": (("chain", "draw", "component"), np.ones((2, 3, 2))),
    ...     }
    ... )
    >>> draws = draws_from_posterior(post, "spherical")
    >>> draws.size, draws.full_covariances().shape
    (6, (6, 2, 1, 1))
    """
    n_chains, n_draws = post.sizes["chain"], post.sizes["draw"]
    n = n_chains * n_draws

    def flat(name: str) -> NDArray[np.float64]:
        values = post[name].values
        return np.asarray(values.reshape(n, *values.shape[2:]), dtype=np.float64)

    return ParameterDraws(
        covariance_type, flat("weights"), flat("means"), flat("covariances"), n_chains, n_draws
    )


def parameter_draws(model: Any) -> MixtureDraws:
    """The draws of a fitted model's parameters (one plug-in draw for an EM fit).

    ``model.parameter_draws()`` for a fitted mixture
    (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`), with a ``TypeError``
    naming the model for anything else.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model.

    Returns
    -------
    MixtureDraws
        A :class:`ParameterDraws` for the package's estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> gm = GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(50, 2)))
    >>> parameter_draws(gm).size
    1
    """
    if not isinstance(model, FittedMixtureLike):
        raise TypeError(
            "model must be a fitted bayesgmm.GaussianMixture or "
            f"bayesgmm.BayesianGaussianMixture; got {type(model).__name__}."
        )
    return model.parameter_draws()


def log_likelihood_groups(
    draws: ParameterDraws | NoiseDraws, X: NDArray[np.float64], features: Any
) -> dict[str, xr.Dataset]:
    """ArviZ's ``log_likelihood`` (``obs``: chain, draw, obs_id) and ``observed_data``.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(30, 1))
    >>> draws = parameter_draws(GaussianMixture(1).fit(X))
    >>> groups = log_likelihood_groups(draws, X, ["x"])
    >>> groups["log_likelihood"]["obs"].shape, groups["observed_data"]["obs"].shape
    ((1, 1, 30), (30, 1))
    """
    values = draws.log_likelihood(X)
    coords = {
        "chain": np.arange(draws.n_chains),
        "draw": np.arange(draws.n_draws),
        "obs_id": np.arange(X.shape[0]),
    }
    shape = (draws.n_chains, draws.n_draws, -1)
    log_likelihood = xr.Dataset(
        {"obs": (("chain", "draw", "obs_id"), values.reshape(shape))}, coords=coords
    )
    observed = xr.Dataset(
        {"obs": (("obs_id", "feature"), X)},
        coords={"obs_id": coords["obs_id"], "feature": features},
    )
    return {"log_likelihood": log_likelihood, "observed_data": observed}


# ---------------------------------------------------------------------- densities of draws
#: array elements (draws x components x grid points x features) evaluated at once
CHUNK_ELEMENTS = 4_000_000


def log_component_density(
    points: NDArray[np.float64], means: NDArray[np.float64], covs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``log N(point | mean_sk, cov_sk)`` of shape ``(S, K, n_points)`` (full covariances).

    Examples
    --------
    >>> from scipy.stats import multivariate_normal
    >>> points = np.array([[0.0, 1.0], [2.0, -1.0]])
    >>> got = log_component_density(points, np.zeros((1, 1, 2)), np.eye(2)[None, None])
    >>> bool(np.allclose(got[0, 0], multivariate_normal(np.zeros(2)).logpdf(points)))
    True
    """
    d = points.shape[1]
    precisions = np.linalg.inv(covs)
    _, log_det = np.linalg.slogdet(covs)
    diff = points[None, None, :, :] - means[:, :, None, :]
    maha = np.sum((diff @ precisions) * diff, axis=-1)
    return -0.5 * (maha + log_det[..., None] + d * LOG_2PI)


def draw_chunks(n_draws: int, n_components: int, n_points: int, n_features: int):
    """Slices of draws small enough to evaluate at once."""
    size = max(1, CHUNK_ELEMENTS // max(1, n_components * n_points * n_features))
    for start in range(0, n_draws, size):
        yield slice(start, min(start + size, n_draws))


def log_density_per_draw(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covs: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Log mixture density of every draw at ``points``, shape ``(S, n_points)``.

    ``weights`` ``(S, K)``, ``means`` ``(S, K, D)`` and full ``covs`` ``(S, K, D, D)``
    (a marginal: the features of ``points`` only), evaluated in chunks of draws.

    Examples
    --------
    >>> points = np.array([[0.0], [1.0]])
    >>> out = log_density_per_draw(
    ...     points, np.ones((2, 1)), np.zeros((2, 1, 1)), np.array([1.0, 4.0])[:, None, None, None]
    ... )
    >>> np.round(out, 3).tolist()  # N(0, 1) and N(0, 4) at 0 and 1
    [[-0.919, -1.419], [-1.612, -1.737]]
    """
    out = np.empty((len(weights), len(points)))
    for part in draw_chunks(len(weights), means.shape[1], len(points), points.shape[1]):
        log_prob = log_component_density(points, means[part], covs[part])
        with np.errstate(divide="ignore"):  # an empty component: weight 0, log -inf
            log_prob += np.log(weights[part])[:, :, None]
        out[part] = logsumexp(log_prob, axis=1)
    return out


def log_predictive_density(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covs: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``log mean_s p(point | theta_s)`` (the plug-in density when ``S = 1``).

    Arguments as for :func:`log_density_per_draw`.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> draws = parameter_draws(GaussianMixture(2, random_state=0).fit(X))
    >>> density = log_predictive_density(
    ...     X[:3], draws.weights, draws.means, draws.full_covariances()
    ... )
    >>> density.shape
    (3,)
    """
    total = np.full(len(points), -np.inf)
    for part in draw_chunks(len(weights), means.shape[1], len(points), points.shape[1]):
        chunk = log_density_per_draw(points, weights[part], means[part], covs[part])
        total = np.logaddexp(total, logsumexp(chunk, axis=0))
    return total - math.log(len(weights))
