"""Prior specification of the Bayesian Gaussian mixture (plain data, no PyMC import)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bayesgmm.core.validation import check_number
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model

__all__ = ["BAYESIAN_COVARIANCE_TYPES", "Priors", "check_bayesian_covariance_type"]

#: the covariance models with a Bayesian model (mclust VVV, EEE, VVI, VII): their
#: priors (LKJ correlations and half-normal scales, or half-normal variances) are
#: natural; mclust's ten other constrained decompositions have none here yet
BAYESIAN_COVARIANCE_TYPES = COVARIANCE_TYPES


def check_bayesian_covariance_type(covariance_type: str) -> str:
    """The canonical name of ``covariance_type`` if it has a Bayesian model, else ValueError.

    Examples
    --------
    >>> check_bayesian_covariance_type("VVV")
    'full'
    >>> check_bayesian_covariance_type("VEV")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: covariance_type 'VEV' has no Bayesian model: the Bayesian models are full ...
    """
    model = get_covariance_model(covariance_type)
    if model.name not in BAYESIAN_COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type {covariance_type!r} has no Bayesian model: the Bayesian models "
            "are full (VVV), tied (EEE), diag (VVI) and spherical (VII). Fit "
            f"{model.mclust_name} by EM (GaussianMixture), or choose one of those."
        )
    return model.name


@dataclass(frozen=True)
class Priors:
    """Weakly informative default priors, stated in units of the data.

    The model works on standardised data ``z = (x - center) / scale`` (``center`` the
    data mean, ``scale`` each feature's standard deviation), so every prior below is
    in units of the data's own spread and the defaults mean the same thing for any
    data set.

    Parameters
    ----------
    weight_concentration : float, default=1.0
        Concentration of the symmetric Dirichlet prior on the weights (1: uniform
        over the simplex).
    mean_scale : float, default=2.0
        Component means are Normal around the data centre with this many data
        standard deviations per feature.
    sd_scale : float, default=1.0
        Component standard deviations (per feature; one per component for
        spherical) are half-normal with this many data standard deviations.
    sd_dof : float, default=1.0
        Degrees of freedom ``k`` of the scale prior: each standard deviation is
        ``sd_scale`` times a chi variable with ``k`` degrees of freedom, density
        ``p(sd) ~ sd**(k - 1) exp(-sd**2 / (2 sd_scale**2))``. ``k = 1`` is the
        half-normal; ``k > 1`` vanishes at 0 (``k = 2``: Rayleigh), which keeps a
        near-empty component from shrinking onto a few points (a funnel NUTS
        diverges in). :func:`bayesgmm.fit_sparse_mixture` uses 2 by default.
    lkj_eta : float, default=2.0
        LKJ prior on the correlation matrices of full and tied covariances (1:
        uniform; larger values shrink towards no correlation).

    Examples
    --------
    >>> Priors().weight_concentration
    1.0
    >>> Priors(lkj_eta=4.0).as_dict()["lkj_eta"]
    4.0
    """

    weight_concentration: float = 1.0
    mean_scale: float = 2.0
    sd_scale: float = 1.0
    lkj_eta: float = 2.0
    sd_dof: float = 1.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            check_number(f"Priors.{name}", value, lambda v: v > 0, "a positive number")

    def as_dict(self) -> dict[str, float]:
        """Return the priors as a plain dictionary (for attrs and persistence).

        Returns
        -------
        dict

        Examples
        --------
        >>> sorted(Priors().as_dict())
        ['lkj_eta', 'mean_scale', 'sd_dof', 'sd_scale', 'weight_concentration']
        """
        return {k: float(v) for k, v in asdict(self).items()}
