"""What a fitted mixture is used for.

Clusters with their uncertainty and summary partitions
(:mod:`~bayesgmm.uses.clustering`, :mod:`~bayesgmm.uses.partitions`), anomaly
scores (:mod:`~bayesgmm.uses.anomaly`) and projections for plotting
(:mod:`~bayesgmm.uses.projection`). Each works the same on an EM fit and on a
posterior.
"""
