"""The posterior over the number of components: mixtures of finite mixtures.

:func:`posterior_over_k` samples a Gaussian mixture with a prior on the number of
components ``K`` (:class:`MFMPriors`: Richardson & Green's, the telescoping sampler's,
or your own) and returns :class:`KPosterior`, the posterior of ``K`` and of the number
of clusters ``K+``.
"""

from __future__ import annotations

from bayesgmm.mfm.k_posterior import default_length, posterior_over_k, rounding_widths
from bayesgmm.mfm.priors import (
    PRIOR_NAMES,
    STRUCTURES,
    MFMPriors,
    ResolvedPriors,
    check_covariance_type,
    k_prior_log_pmf,
    nearest_structure,
)
from bayesgmm.mfm.result import KPosterior

__all__ = [
    "PRIOR_NAMES",
    "STRUCTURES",
    "KPosterior",
    "MFMPriors",
    "ResolvedPriors",
    "check_covariance_type",
    "default_length",
    "k_prior_log_pmf",
    "nearest_structure",
    "posterior_over_k",
    "rounding_widths",
]
