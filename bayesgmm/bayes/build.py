"""Build the marginalised Gaussian-mixture model in PyMC.

No discrete assignments: the likelihood of each observation is a log-sum-exp over
components of a Gaussian log-density computed with one batched triangular solve
(all components at once), registered as an observed ``CustomDist`` so that
per-observation log-likelihoods and posterior predictive draws work.

With missing cells (``missing="marginalize"``) the likelihood of a row is the
mixture density of its observed coordinates ``o`` only,
``sum_k pi_k N(x_o | mu_k[o], Sigma_k[o, o])`` (exact under missing at random). Rows
are grouped by missingness pattern when the graph is built; each pattern gets the
sub-vector of means and the Cholesky factor of its observed block, and the per-row
log-densities are put back in row order, so there is still one observed ``obs`` over
``obs_id``. Complete data build exactly the graph of the complete-data model.

With the uniform noise component (``noise=True``) every row's log-sum-exp gets one
more term, ``log pi_0 - log V`` in data units (:mod:`bayesgmm.bayes.uniform_noise`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from numpy.typing import ArrayLike, NDArray

# PyTensor's BLAS settings before PyMC compiles anything
import bayesgmm.bayes._backend  # noqa: F401
from bayesgmm.bayes.spec import Priors, check_bayesian_covariance_type
from bayesgmm.bayes.uniform_noise import check_hypervolume, default_hypervolume, sample_noise
from bayesgmm.core.numerics import LOG_2PI
from bayesgmm.core.types import MissingOption
from bayesgmm.core.validation import validate_data
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.missing import MISSING_OPTIONS, group_by_pattern

__all__ = ["build_model", "check_observed_features", "missingness_key", "standardization"]

#: the fix suggested when X contains NaN and missing="error"
_NAN_HINT = "Pass missing='marginalize' to use their observed cells, or impute or drop those rows."


def standardization(X: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centre and scale used by the model: the data mean and standard deviations.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.

    Returns
    -------
    center, scale : ndarray of shape (n_features,)
        Constant features get scale 1. With NaN (missing cells) the mean and standard
        deviation of each feature's observed values.

    Examples
    --------
    >>> center, scale = standardization(np.array([[0.0, 1.0], [2.0, 1.0]]))
    >>> center.tolist(), scale.tolist()
    ([1.0, 1.0], [1.0, 1.0])
    >>> standardization(np.array([[0.0, np.nan], [2.0, 1.0]]))[0].tolist()
    [1.0, 1.0]
    """
    if np.isnan(X).any():
        center = np.nanmean(X, axis=0)
        scale = np.nanstd(X, axis=0)
    else:  # complete data: exactly the former computation
        center = X.mean(axis=0)
        scale = X.std(axis=0)
    return center, np.where(scale > 0, scale, 1.0)


def check_observed_features(X: NDArray[np.float64]) -> None:
    """Raise if a feature of ``X`` is never observed (every cell NaN).

    Examples
    --------
    >>> check_observed_features(np.array([[1.0, np.nan], [2.0, np.nan]]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X has no observed value in column [1]; a feature that is never ...
    """
    never = np.flatnonzero(np.isnan(X).all(axis=0))
    if never.size:
        raise ValueError(
            f"X has no observed value in column{'s' if never.size > 1 else ''} "
            f"{never.tolist()}; a feature that is never observed cannot be modelled. "
            "Drop it."
        )


def missingness_key(X: NDArray[np.float64]) -> str | None:
    """Digest of the NaN pattern of ``X``, ``None`` for complete data.

    The model graph of incomplete data depends on which cells are missing (the rows
    are grouped by pattern when it is built), so compiled models may only be reused
    for data with the same digest.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data with NaN for missing cells.

    Returns
    -------
    str or None

    Examples
    --------
    >>> missingness_key(np.ones((2, 2))) is None
    True
    >>> a = missingness_key(np.array([[1.0, np.nan], [2.0, 3.0]]))
    >>> b = missingness_key(np.array([[5.0, 3.0], [np.nan, 1.0]]))
    >>> a == b
    False
    """
    mask = np.isnan(X)
    if not mask.any():
        return None
    digest = hashlib.sha256(repr(mask.shape).encode())
    digest.update(np.packbits(mask).tobytes())
    return digest.hexdigest()


def _log_components(z, weights, means, chol):
    """``log pi_k + log N(z | m_k, L_k L_k^T)`` of shape ``(K, N)`` in standardised units.

    ``z`` is ``(N, d)``, ``means`` ``(K, d)`` and ``chol`` ``(K, d, d)`` or, tied,
    ``(d, d)``, all over the same ``d`` coordinates.
    """
    n_features = means.shape[-1]
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
    return pt.log(weights)[:, None] - log_det[:, None] - 0.5 * maha - 0.5 * n_features * LOG_2PI


def _with_noise(log_comp, proportions, scale, hypervolume, n_observed: int):
    """``log_comp`` of the Gaussians with the noise's row appended (standardised units).

    ``proportions`` has ``K + 1`` entries, the noise proportion last; the noise's
    log-density of ``n_observed`` cells in standardised units is ``n_observed / D``
    times ``-(log V - sum_j log scale_j)``
    (:func:`bayesgmm.bayes.uniform_noise.log_noise_density_std`).
    """
    per_feature = -(pt.log(hypervolume) - pt.sum(pt.log(scale))) / scale.shape[0]
    noise_row = pt.log(proportions[-1]) + n_observed * per_feature
    noise_row = pt.zeros_like(log_comp[:1]) + noise_row
    return pt.concatenate([log_comp, noise_row], axis=0)


def _mixture_logp(value, weights, means, chol, center, scale, *noise):
    """Per-observation log-density of the mixture, in data units.

    ``means`` and ``chol`` are in standardised units; ``value`` in data units. With
    ``noise`` (the hypervolume), ``weights`` has ``K + 1`` entries, the noise's last.
    """
    # CustomDist hands parameters with a leading batch axis of length 1
    weights, means, chol, center, scale = weights[0], means[0], chol[0], center[0], scale[0]
    z = (value - center) / scale
    if noise:
        log_comp = _log_components(z, weights[:-1], means, chol)
        log_comp = _with_noise(log_comp, weights, scale, noise[0][0], means.shape[-1])
    else:
        log_comp = _log_components(z, weights, means, chol)
    return pt.logsumexp(log_comp, axis=0) - pt.sum(pt.log(scale))


def _observed_block_chol(chol, observed: NDArray[np.intp], n_features: int, diagonal: bool):
    """Cholesky factor of the observed block ``(L L^T)[o, o]`` (batched or tied).

    Slicing ``L`` is exact when ``o`` is a leading prefix of the features or ``L`` is
    diagonal; otherwise the block is formed and factorised (one small Cholesky per
    component).
    """
    d_obs = observed.size
    if d_obs == n_features:
        return chol
    if np.array_equal(observed, np.arange(d_obs)):
        return chol[..., :d_obs, :d_obs]
    if diagonal:
        return chol[..., observed[:, None], observed]
    rows = chol[..., observed, :]  # L[o, :], so that Sigma[o, o] = L[o, :] L[o, :]^T
    return pt.linalg.cholesky(rows @ pt.swapaxes(rows, -1, -2))


class _MarginalMixtureLogp:
    """Per-observation log-density of the observed cells of each row, in data units.

    The rows and observed features of every missingness pattern are constants of
    the graph; missing cells of ``value`` (stored as 0) are never read.

    Parameters
    ----------
    patterns : list of (rows, observed)
        Row indices and observed feature indices of each pattern.
    n_features : int
        Number of features.
    diagonal : bool
        Whether the Cholesky factors are diagonal (every model but full and tied).
    """

    def __init__(
        self,
        patterns: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
        n_features: int,
        diagonal: bool,
    ) -> None:
        self.patterns = patterns
        self.n_features = n_features
        self.diagonal = diagonal
        # position of every row in the concatenation of the patterns' rows
        self.order = np.argsort(np.concatenate([rows for rows, _ in patterns]), kind="stable")

    def __call__(self, value, weights, means, chol, center, scale, *noise):
        weights, means, chol, center, scale = weights[0], means[0], chol[0], center[0], scale[0]
        gaussian_weights = weights[:-1] if noise else weights
        pieces = []
        for rows, observed in self.patterns:
            if observed.size == self.n_features:  # the complete rows
                z = (value[rows] - center) / scale
                block_means, block_scale = means, scale
            else:
                z = (value[rows[:, None], observed] - center[observed]) / scale[observed]
                block_means, block_scale = means[:, observed], scale[observed]
            block_chol = _observed_block_chol(chol, observed, self.n_features, self.diagonal)
            log_comp = _log_components(z, gaussian_weights, block_means, block_chol)
            if noise:
                log_comp = _with_noise(log_comp, weights, scale, noise[0][0], observed.size)
            pieces.append(pt.logsumexp(log_comp, axis=0) - pt.sum(pt.log(block_scale)))
        return pt.concatenate(pieces)[self.order]


def _mixture_random(weights, means, chol, center, scale, *noise, rng=None, size=None):
    """Draw observations from the mixture, in data units.

    With ``noise`` (the hypervolume) the last weight is the noise's, whose draws are
    uniform on :func:`bayesgmm.bayes.uniform_noise.sample_noise`'s box.
    """
    weights, means, chol, center, scale = weights[0], means[0], chol[0], center[0], scale[0]
    n_components = means.shape[0]
    if chol.ndim == 2:
        chol = np.broadcast_to(chol, (n_components, *chol.shape))
    batch = tuple(size) if size is not None else ()  # ``size`` excludes the feature axis
    n = int(np.prod(batch)) if batch else 1
    counts = rng.multinomial(n, weights / weights.sum())
    labels = np.repeat(np.arange(len(weights)), counts)
    rng.shuffle(labels)
    gaussian = labels < n_components
    labels = np.where(gaussian, labels, 0)
    normal = rng.standard_normal((n, means.shape[-1]))
    draws = (means[labels] + np.einsum("nij,nj->ni", chol[labels], normal)) * scale + center
    if noise and not gaussian.all():
        hypervolume = float(np.ravel(noise[0])[0])
        draws[~gaussian] = sample_noise(rng, int((~gaussian).sum()), hypervolume, center, scale)
    return draws.reshape(*batch, means.shape[-1])


def _f64(value: float) -> NDArray[np.float64]:
    """A prior's setting as a float64 constant.

    PyTensor stores a Python float that float32 represents exactly (``2.0``) as a
    float32 constant, and the log-density then loses ~1e-9 per term to it.
    """
    return np.asarray(value, dtype=np.float64)


def _chi_logp(value: Any, scale: Any, dof: Any) -> Any:
    """Log-density of ``scale`` times a chi variable with ``dof`` degrees of freedom."""
    return (
        (dof - 1.0) * pt.log(value)
        - pt.square(value) / (2.0 * pt.square(scale))
        - ((dof / 2.0 - 1.0) * math.log(2.0) + pt.gammaln(dof / 2.0) + dof * pt.log(scale))
    )


def _chi_random(scale: Any, dof: Any, rng: Any = None, size: Any = None) -> Any:
    """Draws of ``scale`` times a chi variable with ``dof`` degrees of freedom."""
    return scale * np.sqrt(rng.chisquare(dof, size=size))


def _scale_prior(priors: Priors, dims: Any) -> Any:
    """``sds_std``: half-normal(``sd_scale``), or its chi(``sd_dof``) generalisation."""
    if priors.sd_dof == 1.0:
        return pm.HalfNormal("sds_std", _f64(priors.sd_scale), dims=dims)
    return pm.CustomDist(
        "sds_std",
        _f64(priors.sd_scale),
        _f64(priors.sd_dof),
        logp=_chi_logp,
        random=_chi_random,
        support_point=lambda rv, size, scale, dof: pt.full_like(rv, scale),
        transform=pm.distributions.transforms.log,
        dims=dims,
    )


#: covariance types whose Cholesky factors are dense (LKJ correlations)
_DENSE = ("full", "tied", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV")


def _log_volume_shape_raw(priors: Priors, volume_dims: Any, shape_dims: tuple[str, ...]) -> Any:
    """``log_volume_std + log_shape`` as ``(K, D)`` log-variances before any normalisation."""
    log_volume = pm.Normal(
        "log_volume_std",
        _f64(2.0 * math.log(priors.sd_scale)),
        _f64(priors.volume_sd),
        dims=volume_dims,
    )
    log_shape = pm.ZeroSumNormal("log_shape", _f64(priors.shape_sd), dims=shape_dims)
    if volume_dims:  # (K, 1) + (D,) or + (K, D)
        return log_volume[:, None] + log_shape
    return log_volume + log_shape


def _log_volume_shape(priors: Priors, volume_dims: Any, shape_dims: tuple[str, ...]) -> Any:
    """VEI/EVI: ``exp(log_volume_std + log_shape) / 2``, the standardised sds.

    ``log_volume_std`` is Normal(``2 log sd_scale``, ``volume_sd``) and ``log_shape``
    a ``ZeroSumNormal(shape_sd)`` over the features (``det A = 1``), see :class:`Priors`.
    """
    return pt.exp(0.5 * _log_volume_shape_raw(priors, volume_dims, shape_dims))


def _unit_determinant_factors(name: str, priors: Priors, K: int, D: int) -> Any:
    """VEE/EVV: Cholesky factors ``(K, D, D)`` of ``Sigma_k = lambda_k C`` or ``lambda C_k``.

    ``C = diag(a)**(1/2) P diag(a)**(1/2) / det(P)**(1/D)`` with ``log a`` the
    ``log_shape`` (zero-sum) and ``P = R R^T`` an LKJ(``lkj_eta``) correlation matrix
    (``corr_chol`` is ``R``; one shared for VEE, one per component for EVV), so ``det C
    = 1`` and ``lambda = exp(log_volume_std)`` is ``det(Sigma)**(1/D)``. The factor is
    ``diag(sd) R`` with ``sd = exp((log_volume + log_shape) / 2) / det(P)**(1/(2D))``.
    """
    varying = name == "VEE"
    if varying:
        log_var = _log_volume_shape_raw(priors, "component", ("feature",))
    else:
        log_var = _log_volume_shape_raw(priors, None, ("component", "feature"))
    if D == 1:
        return pt.exp(0.5 * log_var)[:, :, None] * pt.eye(1)
    shape = (D, D) if varying else (K, D, D)
    corr = pm.LKJCorr("corr_chol", n=D, eta=_f64(priors.lkj_eta), shape=shape)
    # log det P = 2 sum_m log R_mm: a scalar (VEE) or one per component (EVV)
    log_det = 2.0 * pt.sum(pt.log(pt.diagonal(corr, axis1=-2, axis2=-1)), axis=-1)
    log_var = log_var - (log_det if varying else log_det[:, None]) / D
    return pt.exp(0.5 * log_var)[:, :, None] * corr


#: mclust's models with an explicit orientation: (volume per component, shape per
#: component, orientation per component)
_ORIENTED = {
    "EVE": (False, True, False),
    "VVE": (True, True, False),
    "EEV": (False, False, True),
    "VEV": (True, False, True),
}


def _haar_cayley_logp(value: Any, template: Any, n_features: int) -> Any:
    """Haar log-density of rotations in Cayley coordinates, ``-(d - 1) log det(I + S)``.

    Without its constant (see :mod:`bayesgmm.bayes.orientation_kernels`); ``template``
    only fixes the support size.
    """
    skew = _skew_symmetric(value, n_features)
    return -(n_features - 1.0) * pt.log(pt.linalg.det(pt.eye(n_features) + skew))


def _haar_cayley_random(template: Any, n_features: int, rng: Any = None, size: Any = None) -> Any:
    """Cayley parameters of uniform (Haar) rotations."""
    from bayesgmm.bayes.orientation_kernels import inverse_cayley

    batch = tuple(size) if size is not None else tuple(np.shape(template)[:-1])
    q, r = np.linalg.qr(rng.standard_normal((*batch, n_features, n_features)))
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    q[..., :, 0] *= np.sign(np.linalg.det(q))[..., None]  # a rotation: det +1
    return inverse_cayley(q)


def _skew_symmetric(values: Any, n_features: int) -> Any:
    """``S`` with strictly lower triangle ``values`` (row-major) and ``S^T = -S``."""
    rows, cols = np.tril_indices(n_features, -1)
    lower = pt.zeros((*values.shape[:-1], n_features, n_features))
    lower = pt.set_subtensor(lower[..., rows, cols], values)
    return lower - pt.swapaxes(lower, -1, -2)


def _oriented_factors(name: str, priors: Priors, K: int, D: int, ratio: Any) -> Any:
    """EVE, VVE, EEV, VEV: Cholesky factors ``(K, D, D)`` of ``lambda_k D_k A_k D_k^T``.

    ``log(lambda_k A_k)`` are ``log_volume_std + log_shape`` as for VEI/EVI, and the
    orientation ``D_k`` is the Cayley rotation ``(I + S)^-1 (I - S)`` of the free
    ``orientation`` (``M = D (D - 1) / 2`` values, one set shared or per component)
    with the uniform (Haar) prior, see :mod:`bayesgmm.bayes.orientation_kernels`.
    A shared orientation or shared eigenvalues are not kept by a per-feature rescaling,
    so the structure holds in data units, as mclust's: ``lambda D A D^T`` is in units
    of the geometric mean of the feature scales, and ``ratio`` (``diag(mean_scale /
    scale)``) maps it to standardised units, as for EII.
    """
    varying_volume, varying_shape, per_component = _ORIENTED[name]
    volume_dims = "component" if varying_volume else None
    shape_dims = ("component", "feature") if varying_shape else ("feature",)
    log_var = pt.broadcast_to(_log_volume_shape_raw(priors, volume_dims, shape_dims), (K, D))
    if D == 1:
        return pt.exp(0.5 * log_var)[:, :, None] * ratio
    M = D * (D - 1) // 2
    orientation = pm.CustomDist(
        "orientation",
        np.zeros(M),
        D,
        logp=lambda value, template, n: _haar_cayley_logp(value, template, D),
        random=lambda template, n, rng=None, size=None: _haar_cayley_random(
            template, D, rng=rng, size=size
        ),
        signature="(m),()->(m)",
        dims=("component", "rotation") if per_component else ("rotation",),
    )
    eye = pt.eye(D)
    skew = _skew_symmetric(orientation, D)
    rotation = pt.linalg.solve(eye + skew, eye - skew)  # (K or none, D, D)
    factor = ratio @ rotation * pt.exp(0.5 * log_var)[:, None, :]  # (K, D, D)
    return pt.linalg.cholesky(factor @ pt.swapaxes(factor, -1, -2))


def _covariance_prior(
    name: str, priors: Priors, K: int, D: int, scale: NDArray[np.float64], scale_t: Any
) -> tuple[Any, Any, tuple[str, ...]]:
    """Free covariance variables of ``name``; ``(chol, covariances, covariance dims)``.

    ``chol`` (standardised units) is ``(K, D, D)``, or ``(D, D)`` when the components
    share one factor (tied, EII, EEI); ``covariances`` are in data units, shaped as
    ``GaussianMixture(covariance_type=name).covariances_``. ``scale_t`` is the
    ``data_scale`` data node, ``scale`` its value (spherical and EII bake it in).
    """
    eye = pt.eye(D)
    per_feature = ("component", "feature")
    # isotropic in data units: sd_data = sds_std * geometric mean of the scales
    mean_scale = float(np.exp(np.mean(np.log(scale))))
    ratio = pt.as_tensor(np.diag(mean_scale / scale))
    if name in _ORIENTED or name in ("VEE", "EVV"):
        if name in _ORIENTED:
            chol = _oriented_factors(name, priors, K, D, ratio)
        else:
            chol = _unit_determinant_factors(name, priors, K, D)
        covariances = chol @ pt.swapaxes(chol, -1, -2) * scale_t[:, None] * scale_t[None, :]
        return chol, covariances, ("component", "feature", "feature_bis")
    if name in ("full", "tied"):
        sds = _scale_prior(priors, dims=per_feature if name == "full" else "feature")
        if D > 1:
            shape = (K, D, D) if name == "full" else (D, D)
            corr = pm.LKJCorr("corr_chol", n=D, eta=_f64(priors.lkj_eta), shape=shape)
            chol = sds[..., :, None] * corr
        else:
            chol = sds[..., :, None] * eye
        cov_std = chol @ pt.swapaxes(chol, -1, -2)
        covariances = cov_std * scale_t[:, None] * scale_t[None, :]
        dims = ("feature", "feature_bis")
        return chol, covariances, (("component", *dims) if name == "full" else dims)
    if name == "spherical":
        sds = _scale_prior(priors, dims="component")
        return sds[:, None, None] * ratio, pt.square(sds * mean_scale), ("component",)
    if name == "EII":  # one sd for every component and feature
        sds = _scale_prior(priors, dims=None)
        covariances = pt.alloc(pt.square(sds * mean_scale), K, D)
        return sds * ratio, covariances, per_feature
    if name == "EEI":  # one row of sds, shared by the components
        sds = _scale_prior(priors, dims="feature")
        covariances = pt.alloc(pt.square(sds * scale_t), K, D)
        return sds[:, None] * eye, covariances, per_feature
    if name == "diag":
        sds = _scale_prior(priors, dims=per_feature)
    elif name == "VEI":
        sds = _log_volume_shape(priors, "component", ("feature",))
    else:  # EVI (build_model checked the name)
        sds = _log_volume_shape(priors, None, per_feature)
    return sds[:, :, None] * eye, pt.square(sds * scale_t), per_feature


def build_model(
    X: ArrayLike,
    n_components: int,
    covariance_type: str = "full",
    priors: Priors | None = None,
    *,
    feature_names: Sequence[str] | None = None,
    standardize: tuple[ArrayLike, ArrayLike] | None = None,
    ordered_means: bool = False,
    missing: MissingOption = "error",
    noise: bool = False,
    hypervolume: float | None = None,
) -> pm.Model:
    """Build the marginalised Bayesian Gaussian mixture as a ``pm.Model``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (a DataFrame's column names become the ``feature`` coordinates).
    n_components : int
        Number of components.
    covariance_type : str, default="full"
        One of :data:`~bayesgmm.bayes.spec.BAYESIAN_COVARIANCE_TYPES`: "full", "tied",
        "diag", "spherical" (mclust VVV, EEE, VVI, VII) or any of mclust's ten other
        models ("EII", "EEI", "VEI", "EVI", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV")
        (any case); see :class:`~bayesgmm.bayes.spec.Priors` for each one's parameters.
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
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"error"``: NaN is an error. ``"marginalize"``: NaN
        marks a value missing at random, and the likelihood of a row is the mixture
        density of its observed cells, ``sum_k pi_k N(x_o | mu_k[o], Sigma_k[o, o])``
        (see Notes). Infinite values, rows with every cell missing and features never
        observed are always errors.
    noise : bool, default=False
        Add mclust's uniform noise component: the density becomes
        ``sum_k pi_k N(x | mu_k, Sigma_k) + pi_0 / V`` with a fixed hypervolume ``V``
        (see Notes).
    hypervolume : float, default=None
        ``V`` in data units, with ``noise=True`` only; ``None``: the volume of the
        data's region, :func:`bayesgmm.bayes.uniform_noise.default_hypervolume` (mclust's
        ``hypvol`` for complete data).

    Returns
    -------
    pymc.Model
        Free variables (standardised units): ``weights`` (Dirichlet), ``means_std``,
        ``sds_std`` (half-normal; per component and feature for full and diag, per
        feature for tied and EEI, per component for spherical, one scalar for EII; for
        spherical and EII it is in units of the geometric mean of the feature scales
        so that the covariance is isotropic in data units) and ``corr_chol`` (LKJ
        Cholesky factors, full and tied with 2+ features). VEI and EVI have no
        ``sds_std`` but ``log_volume_std`` (Normal; per component for VEI, scalar for
        EVI) and ``log_shape`` (``ZeroSumNormal`` over ``feature``; one row for VEI,
        one per component for EVI): ``Sigma_k = exp(log_volume_std + log_shape)`` on
        the diagonal, so ``det A = 1``. VEE and EVV have ``log_volume_std`` and
        ``log_shape`` as VEI and EVI and ``corr_chol`` (one LKJ factor for VEE, one per
        component for EVV): ``Sigma_k = lambda_k C`` with ``C = diag(a)**(1/2) P
        diag(a)**(1/2) / det(P)**(1/D)`` (``log a`` the log-shape, ``P`` the LKJ
        correlation), so ``det C = 1``, see :class:`~bayesgmm.bayes.spec.Priors`.
        EVE, VVE, EEV and VEV have ``log_volume_std`` and ``log_shape`` (per component
        or shared as their names say; the log-eigenvalues ``log(lambda_k A_k)`` in
        units of the geometric mean of the feature scales) and ``orientation`` (dim
        ``rotation``, ``D (D - 1) / 2`` Cayley parameters with a uniform rotation
        prior; per component for EEV and VEV).
        Deterministics in data units: ``means``, ``covariances``. Observed: ``obs``
        (the marginal mixture likelihood of the data in data units, so
        log-likelihoods and predictive draws are in data units).
        Dims: ``component``, ``feature``, ``feature_bis``, ``obs_id``. The data
        standardisation is kept as constant data ``data_center``, ``data_scale``.
        With ``noise=True`` the free weights are ``proportions`` (dim ``proportion``,
        ``K + 1`` entries: the Gaussian weights, then the noise proportion), and
        ``weights`` (summing to ``1 - noise_proportion``) and ``noise_proportion``
        are deterministic; the hypervolume is constant data ``hypervolume``.

    Notes
    -----
    **Noise component.** The prior of the ``K + 1`` proportions is the symmetric
    Dirichlet(``weight_concentration``) over all of them (with the default 1, uniform
    over the simplex: a priori the noise proportion is Beta(1, K), mean
    ``1 / (K + 1)``). ``V`` is fixed, not estimated. The model works on standardised
    data ``z = (x - center) / scale``, where the noise's density is ``exp(-log V +
    sum_j log scale_j)`` (the Jacobian of the standardisation), so that in data units
    it is ``1 / V``. A row with missing cells has the density of its observed cells
    under a box of volume ``V`` whose sides are proportional to ``scale``
    (:mod:`bayesgmm.bayes.uniform_noise`).


    **Missing cells.** With ``missing="marginalize"`` and NaN in ``X``, the rows are
    grouped by missingness pattern while the graph is built (the grouping is part of
    the graph: data with another NaN layout need another model, see
    :func:`missingness_key`). For each pattern the observed block of the covariance
    is factorised: for full, tied, VEE and EVV models ``Sigma[o, o] = L[o, :] L[o, :]^T`` gets
    its own Cholesky factor (one ``|o| x |o|`` factorisation per component and
    pattern in every gradient evaluation; slicing ``L`` suffices when ``o`` is a
    leading prefix of the features), for the diagonal models (diag, spherical, EII,
    EEI, VEI, EVI) the observed standard deviations are taken. The per-row
    log-densities (with the Jacobian ``-sum_{j in o} log scale_j`` of the
    standardisation) are put back in row order,
    so ``obs`` keeps one log-likelihood per row. The graph, its compile time and the
    gradient cost grow with the number of distinct patterns (measured on 2 and 3
    features with 3 and 7 patterns: 1.3-1.9 times the complete-data gradient). The
    data node ``X`` holds the data with missing cells set to 0 (never read by the
    likelihood; a NaN observed array would make PyMC impute the cells as free
    variables). The standardisation uses the observed values of every feature. Prior
    and posterior predictive draws of ``obs`` are complete rows. Without NaN the graph
    is that of complete data.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> model = build_model(load_faithful(), 2, "diag")
    >>> sorted(rv.name for rv in model.free_RVs)
    ['means_std', 'sds_std', 'weights']

    A shared diagonal shape with varying volumes (mclust's VEI):

    >>> model = build_model(load_faithful(), 2, "VEI")
    >>> [rv.name for rv in model.free_RVs]
    ['weights', 'means_std', 'log_volume_std', 'log_shape']
    >>> model["covariances"].eval().shape
    (2, 2)

    Missing cells:

    >>> X = load_faithful().to_numpy()
    >>> X[::5, 1] = np.nan
    >>> model = build_model(X, 2, "full", missing="marginalize")
    >>> int(np.isnan(model["X"].get_value()).sum())
    0
    """
    if missing not in MISSING_OPTIONS:
        raise ValueError(f"missing must be one of {list(MISSING_OPTIONS)}; got {missing!r}.")
    if not noise and hypervolume is not None:
        raise ValueError(
            f"hypervolume={hypervolume!r} was given with noise=False; the hypervolume is "
            "the noise component's. Pass noise=True, or leave hypervolume None."
        )
    if hypervolume is not None:
        hypervolume = check_hypervolume(hypervolume)
    data = validate_data(X, min_samples=2, allow_nan=missing == "marginalize", nan_hint=_NAN_HINT)
    array, names = data.array, data.feature_names
    incomplete = data.has_nan
    nan_mask = np.isnan(array) if incomplete else None
    check_observed_features(array)
    model_type = get_covariance_model(check_bayesian_covariance_type(covariance_type))
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
    if noise and hypervolume is None:
        hypervolume = default_hypervolume(array)
    coords = {
        "component": np.arange(K),
        "feature": list(feature_names),
        "feature_bis": list(feature_names),
        "obs_id": np.arange(n_samples),
    }
    if noise:
        coords["proportion"] = np.arange(K + 1)
    if model_type.name in _ORIENTED and D > 1:
        coords["rotation"] = np.arange(D * (D - 1) // 2)
    with pm.Model(coords=coords) as model:
        center_t = pm.Data("data_center", center, dims="feature")
        scale_t = pm.Data("data_scale", scale, dims="feature")
        # missing cells stored as 0: a NaN observed array would trigger PyMC's imputation
        x_data = pm.Data(
            "X",
            np.where(nan_mask, 0.0, array) if nan_mask is not None else array,
            dims=("obs_id", "feature"),
        )
        mixture_weights: Any
        noise_params: list[Any] = []
        if noise:
            # one Dirichlet over the K Gaussian weights and the noise proportion (last)
            mixture_weights = pm.Dirichlet(
                "proportions", a=np.full(K + 1, priors.weight_concentration), dims="proportion"
            )
            pm.Deterministic("weights", mixture_weights[:K], dims="component")
            pm.Deterministic("noise_proportion", mixture_weights[K])
            noise_params = [pm.Data("hypervolume", np.asarray(hypervolume, dtype=np.float64))]
        else:
            mixture_weights = pm.Dirichlet(
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
                _f64(priors.mean_scale),
                dims="component",
                transform=ordered,
                initval=np.linspace(-1.0, 1.0, K),
            )
            means_std = pm.Deterministic(
                "means_std", ordered_values[:, None], dims=("component", "feature")
            )
        else:
            means_std = pm.Normal(
                "means_std", 0.0, _f64(priors.mean_scale), dims=("component", "feature")
            )
        chol, covariances, cov_dims = _covariance_prior(
            model_type.name, priors, K, D, scale, scale_t
        )
        pm.Deterministic("means", means_std * scale_t + center_t, dims=("component", "feature"))
        # covariances in data units, shaped as GaussianMixture.covariances_
        pm.Deterministic("covariances", covariances, dims=cov_dims)
        logp: Callable[..., Any]  # CustomDist's logp(value, *parameters)
        if incomplete:
            grouped = group_by_pattern(array)
            logp = _MarginalMixtureLogp(
                [(p.rows, p.observed) for p in grouped.patterns],
                D,
                diagonal=model_type.name not in _DENSE,
            )
        else:
            logp = _mixture_logp
        signature = "(w),(k,d),(d,d),(d),(d)" if chol.ndim == 2 else "(w),(k,d),(k,d,d),(d),(d)"
        pm.CustomDist(
            "obs",
            mixture_weights,
            means_std,
            chol,
            center_t,
            scale_t,
            *noise_params,
            logp=logp,
            random=_mixture_random,
            signature=signature + (",()->(d)" if noise else "->(d)"),
            observed=x_data,
            dims=("obs_id", "feature"),
        )
    return model
