"""Covariance structures of a Gaussian mixture: the shared vocabulary.

Each covariance type (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``) is one
:class:`CovarianceModel` that knows, for that structure,

* the shapes of its parameters and its number of free parameters (for BIC/AIC/ICL);
* the per-sample *features* the EM core streams over (``x`` for full and tied,
  ``[x, x**2]`` for diag, ``[x, |x|**2]`` for spherical), chosen so that both the
  E-step log-densities and the M-step sufficient statistics are matrix products;
* its log-density through the Cholesky factor of the precision matrix;
* its weighted M-step from sufficient statistics, its regularisation and its repair
  when a covariance is not positive definite.

The EM engine (:mod:`bayesgmm.em.engine`) never branches on the covariance type; it calls these
objects. All arrays here are float64 and expressed in *centred* coordinates (the EM
core subtracts the weighted data mean once before fitting, which keeps second-moment
formulas accurate for data far from the origin).

Conventions follow scikit-learn: ``precisions_cholesky`` is the upper-triangular
``U`` with ``precision = U @ U.T`` (``U = inv(L).T`` where ``covariance = L @ L.T``).
mclust names the same structures ``VVV`` (full), ``EEE`` (tied), ``VVI`` (diag) and
``VII`` (spherical).
"""

from __future__ import annotations

from bayesgmm.core.types import CovarianceType
from bayesgmm.covariance.base import NK_EPS, CovarianceModel, SufficientStatistics
from bayesgmm.covariance.constrained import CONSTRAINED_MODELS
from bayesgmm.covariance.models import (
    DiagCovariance,
    FullCovariance,
    SphericalCovariance,
    TiedCovariance,
)

__all__ = [
    "COVARIANCE_TYPES",
    "MCLUST_MODELS",
    "MCLUST_NAMES",
    "NK_EPS",
    "CovarianceModel",
    "SufficientStatistics",
    "get_covariance_model",
]

_MODELS: dict[str, CovarianceModel] = {
    model.name: model
    for model in (FullCovariance(), TiedCovariance(), DiagCovariance(), SphericalCovariance())
}

#: the covariance types, in the order scikit-learn documents them.
COVARIANCE_TYPES: tuple[CovarianceType, ...] = ("full", "tied", "diag", "spherical")
#: mclust's model names for scikit-learn's four structures.
MCLUST_NAMES: dict[str, str] = {name: model.mclust_name for name, model in _MODELS.items()}
_MODELS.update(CONSTRAINED_MODELS)
#: mclust's 14 models (Celeux and Govaert's decompositions), in mclust's order; four of
#: them are scikit-learn's: VII spherical, VVI diag, EEE tied, VVV full.
MCLUST_MODELS: tuple[str, ...] = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)  # fmt: skip


def get_covariance_model(covariance_type: str) -> CovarianceModel:
    """Return the :class:`CovarianceModel` for a covariance type.

    Parameters
    ----------
    covariance_type : str
        ``"full"``, ``"tied"``, ``"diag"``, ``"spherical"`` or one of mclust's 14
        model names (``MCLUST_MODELS``; ``"VVV"``, ``"EEE"``, ``"VVI"`` and ``"VII"``
        are aliases of scikit-learn's four), in any case.

    Returns
    -------
    CovarianceModel
        The shared object describing that structure.

    Raises
    ------
    ValueError
        If the name is not one of the allowed values.

    Examples
    --------
    >>> model = get_covariance_model("diag")
    >>> model.n_parameters(n_components=2, n_features=3)
    13
    >>> get_covariance_model("EEE").name, get_covariance_model("vev").name
    ('tied', 'VEV')
    """
    if isinstance(covariance_type, str):
        if covariance_type in _MODELS:
            return _MODELS[covariance_type]
        for model in _MODELS.values():
            if covariance_type.upper() == model.mclust_name:
                return model
    raise ValueError(
        f"covariance_type must be one of {list(COVARIANCE_TYPES)} or mclust's models "
        f"{list(MCLUST_MODELS)}; got {covariance_type!r}."
    )
