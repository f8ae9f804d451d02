"""Bayesian Gaussian mixtures on PyMC: spec -> build -> fit -> relabelled results."""

from bayesgmm.bayes.build import build_model
from bayesgmm.bayes.relabel import relabel_draws
from bayesgmm.bayes.spec import Priors

__all__ = ["Priors", "build_model", "relabel_draws"]
