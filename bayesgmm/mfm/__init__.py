"""The posterior over the number of components: mixtures of finite mixtures.

:func:`posterior_over_k` samples a Gaussian mixture with a prior on the number of
components ``K`` (:class:`MFMPriors`: Richardson & Green's, the telescoping sampler's,
or your own) and returns :class:`KPosterior`, the posterior of ``K`` and of the number
of clusters ``K+``.
"""

from __future__ import annotations

from bayesgmm.mfm.posterior import posterior_over_k, rounding_widths
from bayesgmm.mfm.priors import PRIOR_NAMES, MFMPriors, ResolvedPriors, k_prior_log_pmf
from bayesgmm.mfm.result import KPosterior

__all__ = [
    "PRIOR_NAMES",
    "KPosterior",
    "MFMPriors",
    "ResolvedPriors",
    "k_prior_log_pmf",
    "posterior_over_k",
    "rounding_widths",
]
