"""bayesgmm: Gaussian mixture models from a fast maximum-likelihood fit to a posterior.

Examples
--------
>>> from bayesgmm import GaussianMixture, load_faithful
>>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
>>> gm.means_.shape
(2, 2)
"""

from __future__ import annotations

from bayesgmm._version import __version__
from bayesgmm.anomaly import MixtureAnomalyDetector, anomaly_scores
from bayesgmm.bootstrap import bootstrap_lrt, sequential_lrt
from bayesgmm.clustering import cluster_uncertainty, coclustering_matrix, summary_partition
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.datasets import load_faithful, load_galaxies, load_iris
from bayesgmm.em import GaussianMixture
from bayesgmm.evidence import EvidenceTable, collect_evidence
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    DataScaleWarning,
    NotFittedError,
    SamplingError,
    SamplingWarning,
)
from bayesgmm.reporting import (
    Report,
    build_report,
    report,
)
from bayesgmm.selection import select_model

__all__ = [
    "COVARIANCE_TYPES",
    "BayesianGaussianMixture",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "DataScaleWarning",
    "EvidenceTable",
    "GaussianMixture",
    "MixtureAnomalyDetector",
    "NotFittedError",
    "Report",
    "SamplingError",
    "SamplingWarning",
    "__version__",
    "anomaly_scores",
    "bootstrap_lrt",
    "build_report",
    "cluster_uncertainty",
    "coclustering_matrix",
    "collect_evidence",
    "compare_loo",
    "fit_large",
    "fit_sparse_mixture",
    "get_covariance_model",
    "load_faithful",
    "load_galaxies",
    "load_iris",
    "posterior_predictive_check",
    "report",
    "select_model",
    "sequential_lrt",
    "summary_partition",
]

#: names loaded on first use: the Bayesian side imports PyMC (seconds)
_LAZY = {
    "BayesianGaussianMixture": "bayesgmm.bayes.estimator",
    "compare_loo": "bayesgmm.bayes.compare",
    "fit_large": "bayesgmm.bayes.large",
    "fit_sparse_mixture": "bayesgmm.bayes.sparse",
    "posterior_predictive_check": "bayesgmm.bayes.ppc",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bayesgmm' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Module attributes, the lazily loaded public names included (tab completion)."""
    return sorted(set(globals()) | set(__all__))
