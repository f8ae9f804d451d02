"""Build the marginalised Gaussian-mixture model in PyMC.

No discrete assignments: the likelihood of each observation is a log-sum-exp over
components of a Gaussian log-density computed with one batched triangular solve
(all components at once), registered as an observed ``CustomDist`` so that
per-observation log-likelihoods and posterior predictive draws work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from numpy.typing import ArrayLike, NDArray

from bayesgmm._validation import check_array
from bayesgmm.bayes.spec import Priors
from bayesgmm.covariance import get_covariance_model

__all__ = ["build_model", "standardization"]

_LOG_2PI = math.log(2.0 * math.pi)


def standardization(X: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centre and scale used by the model: the data mean and standard deviations.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.

    Returns
    -------
    center, scale : ndarray of shape (n_features,)
        Constant features get scale 1.

    Examples
    --------
    >>> center, scale = standardization(np.array([[0.0, 1.0], [2.0, 1.0]]))
    >>> center.tolist(), scale.tolist()
    ([1.0, 1.0], [1.0, 1.0])
    """
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    return center, np.where(scale > 0, scale, 1.0)


def _mixture_logp(value, weights, means, chol, center, scale):
    """Per-observation log-density of the mixture, in data units.

    ``means`` and ``chol`` are in standardised units; ``value`` in data units.
    """
    # CustomDist hands parameters with a leading batch axis of length 1
    weights, means, chol, center, scale = weights[0], means[0], chol[0], center[0], scale[0]
    n_features = means.shape[-1]
    z = (value - center) / scale
    if chol.ndim == 2:  # tied: one factor, one solve for all components
        solved_z = pt.linalg.solve_triangular(chol, z.T, lower=True)  # (D, N)
        solved_mu = pt.linalg.solve_triangular(chol, means.T, lower=True)  # (D, K)
        diff = solved_z[None, :, :] - solved_mu.T[:, :, None]  # (K, D, N)
        maha = pt.sum(pt.square(diff), axis=1)
        log_det = pt.sum(pt.log(pt.diagonal(chol)))[None]
    else:
        diff = z[None, :, :] - means[:, None, :]  # (K, N, D)
        solved = pt.linalg.solve_triangular(chol, pt.swapaxes(diff, 1, 2), lower=True)
        maha = pt.sum(pt.square(solved), axis=1)  # (K, N)
        log_det = pt.sum(pt.log(pt.diagonal(chol, axis1=1, axis2=2)), axis=1)  # (K,)
    log_comp = (
        pt.log(weights)[:, None] - log_det[:, None] - 0.5 * maha - 0.5 * n_features * _LOG_2PI
    )
    return pt.logsumexp(log_comp, axis=0) - pt.sum(pt.log(scale))


def _mixture_random(weights, means, chol, center, scale, rng=None, size=None):
    """Draw observations from the mixture, in data units."""
    weights, means, chol, center, scale = weights[0], means[0], chol[0], center[0], scale[0]
    if chol.ndim == 2:
        chol = np.broadcast_to(chol, (len(weights), *chol.shape))
    batch = tuple(size) if size is not None else ()  # ``size`` excludes the feature axis
    n = int(np.prod(batch)) if batch else 1
    counts = rng.multinomial(n, weights / weights.sum())
    labels = np.repeat(np.arange(len(weights)), counts)
    rng.shuffle(labels)
    noise = rng.standard_normal((n, means.shape[-1]))
    draws = (means[labels] + np.einsum("nij,nj->ni", chol[labels], noise)) * scale + center
    return draws.reshape(*batch, means.shape[-1])


def build_model(
    X: ArrayLike,
    n_components: int,
    covariance_type: str = "full",
    priors: Priors | None = None,
    *,
    feature_names: Sequence[str] | None = None,
    standardize: tuple[ArrayLike, ArrayLike] | None = None,
    ordered_means: bool = False,
) -> pm.Model:
    """Build the marginalised Bayesian Gaussian mixture as a ``pm.Model``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (a DataFrame's column names become the ``feature`` coordinates).
    n_components : int
        Number of components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure (mclust names accepted).
    priors : Priors, default=None
        Prior settings; ``Priors()`` when ``None``.
    feature_names : sequence of str, default=None
        Names of the features (default: DataFrame columns or ``x0, x1, ...``).
    standardize : (center, scale), default=None
        Fixed standardisation instead of the data's mean and standard deviation
        (the priors are stated relative to it). Use it when the prior must not
        depend on the data, e.g. for simulation-based calibration.
    ordered_means : bool, default=False
        One feature only: constrain the component means to increase with the
        component index (an ordered transform), which removes label switching by
        construction. The free variable is then ``means_ordered`` of shape
        ``(n_components,)``; ``means_std`` is deterministic.

    Returns
    -------
    pymc.Model
        Free variables (standardised units): ``weights`` (Dirichlet), ``means_std``,
        ``sds_std`` (half-normal; per component and feature, per feature for tied,
        per component for spherical, where it is in units of the geometric mean of
        the feature scales so that the covariance is isotropic in data units) and
        ``corr_chol`` (LKJ Cholesky factors, full and tied with 2+ features).
        Deterministics in data units: ``means``, ``covariances``. Observed: ``obs``
        (the marginal mixture likelihood of the data in data units, so
        log-likelihoods and predictive draws are in data units).
        Dims: ``component``, ``feature``, ``feature_bis``, ``obs_id``. The data
        standardisation is kept as constant data ``data_center``, ``data_scale``.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> model = build_model(load_faithful(), 2, "diag")
    >>> sorted(rv.name for rv in model.free_RVs)
    ['means_std', 'sds_std', 'weights']
    """
    array, names = check_array(X, min_samples=2)
    model_type = get_covariance_model(covariance_type)
    priors = priors or Priors()
    n_samples, n_features = array.shape
    if feature_names is None:
        feature_names = list(names) if names is not None else [f"x{j}" for j in range(n_features)]
    if len(feature_names) != n_features:
        raise ValueError(
            f"feature_names has {len(feature_names)} names but X has {n_features} features."
        )
    K, D = int(n_components), n_features
    if standardize is None:
        center, scale = standardization(array)
    else:
        center = np.broadcast_to(np.asarray(standardize[0], dtype=np.float64), (n_features,))
        scale = np.broadcast_to(np.asarray(standardize[1], dtype=np.float64), (n_features,))
        if not np.all(scale > 0):
            raise ValueError(f"standardize scale must be positive; got {scale.tolist()}.")
    coords = {
        "component": np.arange(K),
        "feature": list(feature_names),
        "feature_bis": list(feature_names),
        "obs_id": np.arange(n_samples),
    }
    with pm.Model(coords=coords) as model:
        center_t = pm.Data("data_center", center, dims="feature")
        scale_t = pm.Data("data_scale", scale, dims="feature")
        x_data = pm.Data("X", array, dims=("obs_id", "feature"))
        weights = pm.Dirichlet(
            "weights", a=np.full(K, priors.weight_concentration), dims="component"
        )
        if ordered_means:
            if D != 1:
                raise ValueError(
                    f"ordered_means=True needs exactly one feature; X has {D}. Use "
                    "relabelling (the default) for multivariate data."
                )
            from pymc.distributions.transforms import ordered

            ordered_values = pm.Normal(
                "means_ordered",
                0.0,
                priors.mean_scale,
                dims="component",
                transform=ordered,
                initval=np.linspace(-1.0, 1.0, K),
            )
            means_std = pm.Deterministic(
                "means_std", ordered_values[:, None], dims=("component", "feature")
            )
        else:
            means_std = pm.Normal(
                "means_std", 0.0, priors.mean_scale, dims=("component", "feature")
            )
        eye = pt.eye(D)
        if model_type.name == "full":
            sds = pm.HalfNormal("sds_std", priors.sd_scale, dims=("component", "feature"))
            if D > 1:
                corr = pm.LKJCorr("corr_chol", n=D, eta=priors.lkj_eta, shape=(K, D, D))
                chol = sds[:, :, None] * corr
            else:
                chol = sds[:, :, None] * eye
        elif model_type.name == "tied":
            sds = pm.HalfNormal("sds_std", priors.sd_scale, dims="feature")
            if D > 1:
                corr = pm.LKJCorr("corr_chol", n=D, eta=priors.lkj_eta, shape=(D, D))
                single = sds[:, None] * corr
            else:
                single = sds[:, None] * eye
            chol = single
        elif model_type.name == "diag":
            sds = pm.HalfNormal("sds_std", priors.sd_scale, dims=("component", "feature"))
            chol = sds[:, :, None] * eye
        else:
            # isotropic in data units: sd_data = sds_std * geometric mean of the scales
            sds = pm.HalfNormal("sds_std", priors.sd_scale, dims="component")
            ratio = np.exp(np.mean(np.log(scale))) / scale
            chol = sds[:, None, None] * pt.as_tensor(np.diag(ratio))
        pm.Deterministic("means", means_std * scale_t + center_t, dims=("component", "feature"))
        # covariances in data units, shaped as GaussianMixture.covariances_
        if model_type.name == "full":
            cov_std = chol @ pt.swapaxes(chol, 1, 2)
            covariances = cov_std * scale_t[:, None] * scale_t[None, :]
            pm.Deterministic(
                "covariances", covariances, dims=("component", "feature", "feature_bis")
            )
        elif model_type.name == "tied":
            cov_std = single @ single.T
            covariances = cov_std * scale_t[:, None] * scale_t[None, :]
            pm.Deterministic("covariances", covariances, dims=("feature", "feature_bis"))
        elif model_type.name == "diag":
            pm.Deterministic("covariances", pt.square(sds * scale_t), dims=("component", "feature"))
        else:
            mean_scale = float(np.exp(np.mean(np.log(scale))))
            pm.Deterministic("covariances", pt.square(sds * mean_scale), dims="component")
        pm.CustomDist(
            "obs",
            weights,
            means_std,
            chol,
            center_t,
            scale_t,
            logp=_mixture_logp,
            random=_mixture_random,
            signature=(
                "(k),(k,d),(d,d),(d),(d)->(d)"
                if model_type.name == "tied"
                else "(k),(k,d),(k,d,d),(d),(d)->(d)"
            ),
            observed=x_data,
            dims=("obs_id", "feature"),
        )
    return model
