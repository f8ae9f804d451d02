"""Bayesian Gaussian mixtures on PyMC: spec -> build -> fit -> relabelled results."""

from bayesgmm.bayes.build import build_model
from bayesgmm.bayes.large import ApproximatePosterior, fit_large
from bayesgmm.bayes.relabel import relabel_draws
from bayesgmm.bayes.spec import Priors

__all__ = ["ApproximatePosterior", "Priors", "build_model", "fit_large", "relabel_draws"]
