"""Maximum-likelihood and MAP mixtures by EM: :class:`GaussianMixture`.

The estimator (:mod:`~bayesgmm.em.gaussian_mixture`) validates its input once and hands a
validated array to the engine (:mod:`~bayesgmm.em.engine`), which runs E and M steps
over the data passes (:mod:`~bayesgmm.em.passes`: in memory, chunked, Dask) or the
compiled loop for small data (:mod:`~bayesgmm.em.compiled_loop`). Starts come from
:mod:`~bayesgmm.em.initialization` (k-means++, mclust's hierarchical start in
:mod:`~bayesgmm.em.hierarchical_start`), the conjugate prior from
:mod:`~bayesgmm.em.map_prior`, missing values from :mod:`~bayesgmm.em.missing`.
What a fitted model offers (scores, predictions, sampling, saving) is in
:mod:`~bayesgmm.em.fitted_base`; its criteria (BIC, ICL, AIC) in :mod:`~bayesgmm.em.criteria`.
"""

from __future__ import annotations

from bayesgmm.em.gaussian_mixture import PARAMETER_CONSTRAINTS, GaussianMixture

__all__ = ["PARAMETER_CONSTRAINTS", "GaussianMixture"]
