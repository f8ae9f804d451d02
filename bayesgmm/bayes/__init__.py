"""Bayesian Gaussian mixtures on PyMC: spec -> build -> fit -> relabelled results.

Names are loaded on first use, so ``from bayesgmm.bayes.spec import Priors`` (or an
EM-only program) does not pay PyMC's import.
"""

from __future__ import annotations

from bayesgmm._lazy import lazy_names

__all__ = ["ApproximatePosterior", "Priors", "build_model", "fit_large", "relabel_draws"]

#: public name -> module that defines it
_LAZY = {
    "ApproximatePosterior": "bayesgmm.bayes.approximate",
    "Priors": "bayesgmm.bayes.spec",
    "build_model": "bayesgmm.bayes.build",
    "fit_large": "bayesgmm.bayes.approximate",
    "relabel_draws": "bayesgmm.bayes.relabel",
}


__getattr__, __dir__ = lazy_names("bayesgmm.bayes", _LAZY, globals())
