"""Prior specification of the Bayesian Gaussian mixture (plain data, no PyMC import)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bayesgmm.core.validation import check_number
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model

__all__ = ["BAYESIAN_COVARIANCE_TYPES", "Priors", "check_bayesian_covariance_type"]

#: the covariance models with a Bayesian model: scikit-learn's four (mclust VVV, EEE,
#: VVI, VII), mclust's diagonal family EII, EEI, VEI, EVI and the unit-determinant
#: ellipsoidal models VEE, EVV (canonical names, as
#: :func:`bayesgmm.covariance.get_covariance_model` gives them), and the four with an
#: explicit orientation, EVE, VVE, EEV, VEV: all of mclust's 14
BAYESIAN_COVARIANCE_TYPES: tuple[str, ...] = (
    *COVARIANCE_TYPES, "EII", "EEI", "VEI", "EVI", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV",
)  # fmt: skip


def _allowed_names() -> str:
    """The Bayesian models, named as a user may pass them (canonical and mclust)."""
    names = []
    for name in BAYESIAN_COVARIANCE_TYPES:
        mclust = get_covariance_model(name).mclust_name
        names.append(name if mclust == name else f"{name} ({mclust})")
    return ", ".join(names)


def check_bayesian_covariance_type(covariance_type: str) -> str:
    """The canonical name of ``covariance_type`` if it has a Bayesian model, else ValueError.

    Parameters
    ----------
    covariance_type : str
        A covariance type: scikit-learn's name or mclust's, in any case.

    Returns
    -------
    str
        The canonical name (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"`` or
        mclust's name of one of its ten other models).

    Raises
    ------
    ValueError
        If ``covariance_type`` is not a covariance type, or one without a Bayesian
        model (every one of mclust's 14 has one); the message lists the allowed values.

    Examples
    --------
    >>> check_bayesian_covariance_type("VVV")
    'full'
    >>> check_bayesian_covariance_type("eei")
    'EEI'
    >>> check_bayesian_covariance_type("VEV")
    'VEV'
    >>> check_bayesian_covariance_type("VXV")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: covariance_type must be one of the Bayesian models: full (VVV), ...
    """
    try:
        model = get_covariance_model(covariance_type)
    except ValueError:
        raise ValueError(
            f"covariance_type must be one of the Bayesian models: {_allowed_names()}; got "
            f"{covariance_type!r}."
        ) from None
    if model.name not in BAYESIAN_COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type {covariance_type!r} has no Bayesian model: the Bayesian models "
            f"are {_allowed_names()}. Fit {model.mclust_name} by EM (GaussianMixture), or "
            "choose one of those."
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
        spherical, one in all for EII) are half-normal with this many data standard
        deviations.
    sd_dof : float, default=1.0
        Degrees of freedom ``k`` of the scale prior: each standard deviation is
        ``sd_scale`` times a chi variable with ``k`` degrees of freedom, density
        ``p(sd) ~ sd**(k - 1) exp(-sd**2 / (2 sd_scale**2))``. ``k = 1`` is the
        half-normal; ``k > 1`` vanishes at 0 (``k = 2``: Rayleigh), which keeps a
        near-empty component from shrinking onto a few points (a funnel NUTS
        diverges in). :func:`bayesgmm.fit_sparse_mixture` uses 2 by default.
    lkj_eta : float, default=2.0
        LKJ prior on the correlation matrices of full, tied, VEE and EVV covariances
        (1: uniform; larger values shrink towards no correlation).
    volume_sd : float, default=2.0
        The volume-shape models VEI, EVI, VEE, EVV, EVE, VVE, EEV and VEV
        (``Sigma_k = lambda_k D_k A_k D_k^T`` with some parts shared): the log-volume
        ``log lambda`` of a standardised covariance (``det(Sigma)**(1/d)``, the
        geometric mean of its variances) is Normal with mean ``2 log(sd_scale)`` and
        this standard deviation: a volume's prior median is ``sd_scale**2``, and with
        the default 2 the geometric-mean standard deviation is within a factor
        ``exp(1.96) ~ 7`` of ``sd_scale`` with 95% prior probability.
    shape_sd : float, default=1.0
        The volume-shape models: the log-shape ``log diag(A)`` (``d`` values summing to 0, so
        ``det A = 1``) is a ``ZeroSumNormal`` with this scale: Normal(0, ``shape_sd``)
        conditioned on the sum being 0 (each value's marginal sd is ``shape_sd *
        sqrt(1 - 1/d)``; 0 is a spherical shape). A log-scale prior on the
        sum-to-zero subspace is the natural one for a unit-determinant diagonal: it is
        symmetric in the features and in ``A`` versus ``A**-1``, and its
        unconstrained form is an orthonormal ``d - 1`` vector. What ``A`` holds
        differs by family: the relative variances of the features (VEI, EVI); the
        eigenvalues along the orientation's axes (EVE, VVE, EEV, VEV); and in VEE and
        EVV, parameterised ``C = diag(a)**(1/2) P diag(a)**(1/2) / det(P)**(1/d)``
        with an LKJ correlation ``P``, the relative variances ``a`` before the
        correlations (so there ``shape_sd`` is the prior spread of the variances'
        log-ratios, and ``lkj_eta`` that of the correlations).

    Notes
    -----
    Which parameters each covariance type has (standardised units; ``sd`` priors are
    ``sd_scale`` times a chi(``sd_dof``) variable): ``full``: per-component sds and LKJ
    correlations; ``tied`` (EEE): one row of sds and one LKJ correlation; ``diag``
    (VVI): per-component sds; ``spherical`` (VII): one sd per component; ``EII``: one
    sd shared by all components; ``EEI``: one row of per-feature sds shared by all
    components (no correlation); ``VEI``: a log-volume per component and one log-shape;
    ``EVI``: one log-volume and a log-shape per component; ``VEE``: a log-volume per
    component, one log-shape and one LKJ correlation; ``EVV``: one log-volume, a
    log-shape and an LKJ correlation per component.

    VEE and EVV (``Sigma_k = lambda_k C``, ``Sigma_k = lambda C_k``, ``det C = 1``)
    build the unit-determinant ``C`` from the diagonal family's parts and the full
    model's correlation: ``C = diag(a)**(1/2) P diag(a)**(1/2) / det(P)**(1/d)`` with
    ``log a`` the log-shape and ``P`` an LKJ(``lkj_eta``) correlation matrix. Every
    unit-determinant ``C`` has exactly one such ``(a, P)`` (``P`` is ``C``'s
    correlation, ``log a = log diag(C) + log det(P) / d``), no orientation is
    parameterised (no sign or permutation symmetry to remove), and the prior is proper,
    a product of proper priors (Normal log-volume, ZeroSumNormal log-shape, LKJ). Here
    ``a`` is ``C``'s normalised diagonal, not mclust's eigenvalue shape: the same
    model, a parameterisation without eigenvectors.

    EVE, VVE, EEV and VEV (an explicit orientation ``D``, shared by EVE and VVE, one
    per component for EEV and VEV) have the log-volumes and log-shapes above, ``A``
    now the eigenvalues, and a uniform (Haar) prior on each orientation, a rotation
    given by the Cayley transform of a skew-symmetric matrix (free variable
    ``orientation``, ``d (d - 1) / 2`` values; :mod:`bayesgmm.bayes.orientation_kernels`
    describes the sign and permutation symmetries). Their structure holds in data
    units, as mclust's (a shared orientation or shared eigenvalues are not kept by a
    per-feature rescaling): ``lambda`` is in units of the geometric mean of the feature
    scales, like the spherical and EII variances. Spherical and EII
    variances are isotropic in data units (their sd is in units of the geometric mean
    of the feature scales).

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
    volume_sd: float = 2.0
    shape_sd: float = 1.0

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
        >>> sorted(Priors().as_dict())  # doctest: +NORMALIZE_WHITESPACE
        ['lkj_eta', 'mean_scale', 'sd_dof', 'sd_scale', 'shape_sd', 'volume_sd',
         'weight_concentration']
        """
        return {k: float(v) for k, v in asdict(self).items()}
