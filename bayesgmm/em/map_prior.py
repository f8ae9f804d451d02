"""Conjugate-prior (MAP) EM, as mclust's ``priorControl()`` / ``defaultPrior()``.

Fraley and Raftery (2007, Journal of Classification 24:155-181) regularise EM with a
conjugate prior: given its covariance, each component mean is normal around the prior
mean ``mu_P`` with ``shrinkage`` prior observations; covariances are inverse Wishart
(full, tied) or inverse gamma (diag, spherical) with ``dof`` degrees of freedom and
``scale``. The M-step then gives the posterior mode instead of the maximum likelihood,
which keeps covariances away from singularity (no degenerate solutions to repair);
BIC uses the log-likelihood at that mode, as mclust does.

:func:`default_prior` is mclust's ``defaultPrior``: shrinkage 0.01, the data mean,
``dof = D + 2`` and scale ``var(X) / K^(2/D)`` (full, tied) or the mean variance
divided by ``K^(2/D)`` (diagonal and spherical models). :func:`map_estimates` is the
M-step, checked against mclust's ``me(..., prior = priorControl())`` to 1e-6. Available
for the ten models mclust has priors for: scikit-learn's four (mclust VVV, EEE, VVI,
VII) and EII, EEI, VEI, EVI, EEV, VEV (mclust has none for VEE, EVE, VVE, EVV).

mclust's M-steps for the six constrained models are reproduced as its EM code
computes them (``src/mclust.f``, the ``me*p`` routines ``me(..., prior = ...)`` runs),
including where they depart from the textbook posterior mode: EII adds no prior
scale; EEI does not shrink the means; VEV adds the prior scale and the mean term to
each scatter but counts no prior degrees of freedom; EEI, EVI and EEV count them once
for all components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.validation import Constraint, check_settings, positive_real, real
from bayesgmm.covariance import get_covariance_model
from bayesgmm.covariance.constrained import ConstrainedModel

__all__ = [
    "PRIOR_COVARIANCE_TYPES",
    "PRIOR_FIELDS",
    "ConjugatePrior",
    "check_prior",
    "default_prior",
    "map_estimates",
    "scatter_from_estimates",
]

#: the covariance models with a conjugate-prior M-step here
PRIOR_COVARIANCE_TYPES = (
    "full", "tied", "diag", "spherical", "EII", "EEI", "VEI", "EVI", "EEV", "VEV",
)  # fmt: skip
#: the models whose prior scale is a matrix (the others take a number)
_MATRIX_SCALE = ("full", "tied", "EEV", "VEV")


def _numbers(value: Any) -> NDArray[np.float64] | None:
    """``value`` as a float array if it is numbers (not bool, not text), else ``None``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind not in "iuf" or array.size == 0:
        return None
    return array.astype(np.float64)


def _finite_mean(value: Any) -> bool:
    array = _numbers(value)
    return array is not None and array.ndim <= 1 and bool(np.isfinite(array).all())


def _positive_scale(value: Any) -> bool:
    array = _numbers(value)
    if array is None or not np.isfinite(array).all():
        return False
    if array.ndim == 0:
        return bool(array > 0)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        return False
    if not np.allclose(array, array.T):
        return False
    return bool(np.linalg.eigvalsh(array).min() > 0)


#: what each field of a ``prior`` dict may be (GaussianMixture, select_model)
PRIOR_FIELDS: dict[str, Constraint] = {
    "shrinkage": real(0.0, hint="It is the number of prior observations of each mean."),
    "mean": Constraint(
        _finite_mean, "a finite number or a 1-D array of finite numbers, one per feature"
    ),
    "dof": positive_real(hint="mclust's default is n_features + 2."),
    "scale": Constraint(
        _positive_scale,
        "a finite number > 0 or a symmetric positive-definite (n_features, n_features) matrix",
    ),
}


def check_prior(prior: Any) -> None:
    """Check a ``prior`` parameter: ``None``, ``"default"`` or a dict of :data:`PRIOR_FIELDS`.

    Raises
    ------
    TypeError
        If ``prior`` is neither ``None``, ``"default"`` nor a dict.
    ValueError
        For another string, an unknown key (the allowed ones listed) or a field out of
        range (naming ``prior``, the field and the allowed values).

    Examples
    --------
    >>> check_prior({"shrinkage": -1.0})
    Traceback (most recent call last):
    ...
    ValueError: prior['shrinkage'] must be a real number >= 0.0; got -1.0. It is the \
number of prior observations of each mean.
    """
    if prior is None or (isinstance(prior, str) and prior == "default"):
        return
    if isinstance(prior, str):
        raise ValueError(
            f"prior must be None, 'default' or a dict with keys among {list(PRIOR_FIELDS)}; "
            f"got {prior!r}."
        )
    check_settings("prior", prior, PRIOR_FIELDS, kind="prior settings")


@dataclass(frozen=True)
class ConjugatePrior:
    """Hyperparameters of the conjugate prior (mclust's ``defaultPrior`` list)."""

    shrinkage: float
    mean: NDArray[np.float64]
    dof: float
    #: (D, D) for full and tied; a number for diag and spherical
    scale: Any

    def centred(self, center: NDArray[np.float64]) -> ConjugatePrior:
        """The same prior in coordinates centred at ``center``."""
        return ConjugatePrior(self.shrinkage, self.mean - center, self.dof, self.scale)


def default_prior(
    X: NDArray[np.float64],
    n_components: int,
    covariance_type: str,
    overrides: Mapping[str, Any] | None = None,
) -> ConjugatePrior:
    """Mclust's ``defaultPrior(X, G, modelName)``, with optional overrides.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.
    n_components : int
        ``G``.
    covariance_type : str
        The model: one of :data:`PRIOR_COVARIANCE_TYPES`.
    overrides : mapping, default=None
        Values replacing the defaults: ``shrinkage``, ``mean``, ``dof``, ``scale``.

    Returns
    -------
    ConjugatePrior

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 2.0], [1.0, 1.0]])
    >>> prior = default_prior(X, 2, "spherical")
    >>> prior.shrinkage, prior.dof, round(float(prior.scale), 4)
    (0.01, 4, 0.9583)
    """
    if covariance_type not in PRIOR_COVARIANCE_TYPES:
        raise ValueError(
            f"prior is available for covariance_type in {list(PRIOR_COVARIANCE_TYPES)}; "
            f"got {covariance_type!r}."
        )
    d = X.shape[1]
    factor = (1.0 / n_components) ** (2.0 / d)
    covariance = np.atleast_2d(np.cov(X, rowvar=False))
    if covariance_type in _MATRIX_SCALE:
        scale: Any = factor * covariance
    else:
        scale = factor * float(np.trace(covariance)) / d
    values = {"shrinkage": 0.01, "mean": X.mean(axis=0), "dof": d + 2, "scale": scale}
    unknown = sorted(set(overrides or {}) - set(values))
    if unknown:
        raise ValueError(
            f"prior overrides must be among {sorted(values)}; got unknown keys {unknown}."
        )
    values.update(overrides or {})
    mean = np.asarray(values["mean"], dtype=np.float64)
    if mean.size not in (1, d) or mean.ndim > 1:
        raise ValueError(
            f"prior['mean'] must have one value per feature ({d}); got shape {mean.shape}."
        )
    values["mean"] = np.broadcast_to(mean.reshape(-1), (d,)).copy()
    scale = np.asarray(values["scale"], dtype=np.float64)
    if scale.ndim == 2 and (scale.shape != (d, d) or covariance_type not in _MATRIX_SCALE):
        allowed = (
            f"a number > 0 or a ({d}, {d}) matrix"
            if covariance_type in _MATRIX_SCALE
            else "a number > 0"
        )
        raise ValueError(
            f"prior['scale'] must be {allowed} for covariance_type {covariance_type!r}; "
            f"got shape {scale.shape}."
        )
    return ConjugatePrior(**values)


def map_estimates(
    covariance_type: str,
    scatter: Any,
    nk: NDArray[np.float64],
    sample_means: NDArray[np.float64],
    prior: ConjugatePrior,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Posterior-mode means and covariances from the complete-data statistics.

    Parameters
    ----------
    covariance_type : str
        The model: one of :data:`PRIOR_COVARIANCE_TYPES`.
    scatter : ndarray
        The scatter about the component sample means, in the model's shape: ``W_k``
        (K, D, D) for full, EEV and VEV, the pooled ``sum_k W_k`` (D, D) for tied,
        the diagonals (K, D) for diag, EII, EEI, VEI and EVI, the traces (K,) for
        spherical.
    nk : ndarray of shape (n_components,)
        Weighted counts.
    sample_means : ndarray of shape (n_components, n_features)
        Component sample means ``ybar_k``.
    prior : ConjugatePrior
        In the same coordinates as ``sample_means``.

    Returns
    -------
    means, covariances

    Examples
    --------
    >>> prior = ConjugatePrior(0.01, np.zeros(1), 3.0, 1.0)
    >>> means, variances = map_estimates(
    ...     "spherical", np.array([4.0]), np.array([5.0]), np.array([[1.0]]), prior
    ... )
    >>> round(float(means[0, 0]), 4), round(float(variances[0]), 4)
    (0.998, 0.4555)
    """
    kappa, dof = prior.shrinkage, prior.dof
    n_components, d = sample_means.shape
    means = (nk[:, None] * sample_means + kappa * prior.mean) / (kappa + nk)[:, None]
    deviation = sample_means - prior.mean
    weight = kappa * nk / (kappa + nk)
    if covariance_type in _CONSTRAINED_ESTIMATES:
        shrinks = float(kappa > 0)
        if scatter.ndim == 2:  # diagonal models
            mean_terms = weight[:, None] * deviation**2
        else:
            mean_terms = weight[:, None, None] * deviation[:, :, None] * deviation[:, None, :]
        return _CONSTRAINED_ESTIMATES[covariance_type](
            scatter, nk, sample_means, means, mean_terms, shrinks, prior
        )
    if covariance_type == "full":
        outer = weight[:, None, None] * deviation[:, :, None] * deviation[:, None, :]
        covariances = (prior.scale + scatter + outer) / (dof + nk + d + 2)[:, None, None]
    elif covariance_type == "tied":
        outer = np.einsum("k,ki,kj->ij", weight, deviation, deviation)
        covariances = (prior.scale + scatter + outer) / (dof + nk.sum() + n_components + d + 1)
    elif covariance_type == "diag":
        squares = weight[:, None] * deviation**2
        covariances = (prior.scale + scatter + squares) / (dof + nk + 3)[:, None]
    else:  # spherical
        squares = weight * (deviation**2).sum(axis=1)
        covariances = (prior.scale + scatter + squares) / (dof + (nk + 1) * d + 2)
    return means, covariances


# mclust's constrained models with a prior; ``squares`` are the mean terms
# ``kappa n_k / (kappa + n_k) (ybar_k - mu_P)(ybar_k - mu_P)'`` (their diagonals for
# the diagonal models)
def _eii(scatter, nk, sample_means, means, squares, shrinks, prior):
    # meeiip: no prior scale; K D mean terms whatever the shrinkage
    K, d = sample_means.shape
    variance = (scatter + squares).sum() / (prior.dof + (nk.sum() + K) * d + 2)
    return means, np.full((K, d), variance)


def _eei(scatter, nk, sample_means, means, squares, shrinks, prior):
    # meeeip: the sample means are kept (not shrunk); one mean term in all
    pooled = prior.scale + (scatter + squares).sum(axis=0)
    variances = pooled / (prior.dof + nk.sum() + 1 + shrinks)
    return sample_means.copy(), np.broadcast_to(variances, sample_means.shape).copy()


def _vei(scatter, nk, sample_means, means, squares, shrinks, prior):
    # meveip: each volume divided by dof + D n_k + 2 + 1 (counts in place of n_k)
    counts = nk + (prior.dof + 2 + shrinks) / sample_means.shape[1]
    return means, _constrain("VEI", prior.scale + scatter + squares, counts)


def _evi(scatter, nk, sample_means, means, squares, shrinks, prior):
    # meevip: the common volume divided by dof + n + 2
    counts = nk + (prior.dof + 1 + shrinks) / len(nk)
    return means, _constrain("EVI", prior.scale + scatter + squares, counts)


def _eev(scatter, nk, sample_means, means, squares, shrinks, prior):
    # meeevp: the common volume divided by dof + D + 1 + 1 + n
    counts = nk + (prior.dof + sample_means.shape[1] + 1 + shrinks) / len(nk)
    return means, _constrain("EEV", prior.scale + scatter + squares, counts)


def _vev(scatter, nk, sample_means, means, squares, shrinks, prior):
    # mevevp: the prior's degrees of freedom are not counted
    return means, _constrain("VEV", prior.scale + scatter + squares, nk)


def _constrain(name: str, scatter: NDArray[np.float64], counts: NDArray[np.float64]):

    model = get_covariance_model(name)
    assert isinstance(model, ConstrainedModel)  # one of mclust's ten constrained models
    return model.constrain(scatter, counts)


_CONSTRAINED_ESTIMATES = {
    "EII": _eii, "EEI": _eei, "VEI": _vei, "EVI": _evi, "EEV": _eev, "VEV": _vev,
}  # fmt: skip


def scatter_from_estimates(
    covariance_type: str, estimates: Any, nk: NDArray[np.float64], n_features: int
) -> Any:
    """The scatter :func:`map_estimates` takes, from the maximum-likelihood estimates.

    Examples
    --------
    >>> scatter_from_estimates("spherical", np.array([2.0]), np.array([10.0]), 3)
    array([60.])
    """
    if covariance_type in ("full", "EEV", "VEV"):
        return estimates * nk[:, None, None]
    if covariance_type == "tied":
        return estimates * nk.sum()
    if covariance_type in ("diag", "EII", "EEI", "VEI", "EVI"):
        return estimates * nk[:, None]
    return estimates * nk * n_features
