"""bayesgmm: Gaussian mixture models from a fast maximum-likelihood fit to a posterior.

Examples
--------
>>> from bayesgmm import GaussianMixture, load_faithful
>>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
>>> gm.means_.shape
(2, 2)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.datasets import load_faithful, load_galaxies
from bayesgmm.em import GaussianMixture
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    NotFittedError,
    SamplingWarning,
)

try:
    __version__ = version("bayesgmm")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "COVARIANCE_TYPES",
    "BayesianGaussianMixture",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "GaussianMixture",
    "NotFittedError",
    "SamplingWarning",
    "__version__",
    "get_covariance_model",
    "load_faithful",
    "load_galaxies",
]


def __getattr__(name: str):
    # the Bayesian side imports PyMC (seconds): load it on first use only
    if name == "BayesianGaussianMixture":
        from bayesgmm.bayes.estimator import BayesianGaussianMixture

        return BayesianGaussianMixture
    raise AttributeError(f"module 'bayesgmm' has no attribute {name!r}")
