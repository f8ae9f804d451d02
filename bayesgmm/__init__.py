"""bayesgmm: Gaussian mixture models from a fast maximum-likelihood fit to a posterior.

Examples
--------
>>> from bayesgmm import GaussianMixture, load_faithful
>>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
>>> gm.means_.shape
(2, 2)
"""

from __future__ import annotations

from bayesgmm._lazy import lazy_names
from bayesgmm._version import __version__
from bayesgmm.anomaly import MixtureAnomalyDetector, anomaly_scores
from bayesgmm.bootstrap import (
    BootstrapLRTResult,
    SequentialLRTResult,
    bootstrap_lrt,
    sequential_lrt,
)
from bayesgmm.clustering import (
    ClusteringResult,
    cluster_uncertainty,
    coclustering_matrix,
    summary_partition,
)
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.datasets import load_faithful, load_galaxies, load_iris
from bayesgmm.em import GaussianMixture
from bayesgmm.evidence import EvidenceTable
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    DataScaleWarning,
    NotFittedError,
    RangeEdgeWarning,
    SamplingError,
    SamplingWarning,
)
from bayesgmm.pipeline import collect_evidence
from bayesgmm.reporting import (
    Report,
    build_report,
    report,
)
from bayesgmm.selection import ModelSelection, select_model

__all__ = [
    "COVARIANCE_TYPES",
    "ApproximatePosterior",
    "BayesianGaussianMixture",
    "BootstrapLRTResult",
    "ClusteringResult",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "DataScaleWarning",
    "EvidenceTable",
    "GaussianMixture",
    "KPosterior",
    "LOOComparison",
    "MFMPriors",
    "MixtureAnomalyDetector",
    "ModelSelection",
    "NotFittedError",
    "PPCResult",
    "Priors",
    "RangeEdgeWarning",
    "Report",
    "SamplingError",
    "SamplingWarning",
    "SequentialLRTResult",
    "SparseMixtureResult",
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
    "posterior_over_k",
    "posterior_predictive_check",
    "report",
    "select_model",
    "sequential_lrt",
    "summary_partition",
]

#: names loaded on first use: the Bayesian side imports PyMC (seconds)
_LAZY = {
    "ApproximatePosterior": "bayesgmm.bayes.large",
    "BayesianGaussianMixture": "bayesgmm.bayes.estimator",
    "LOOComparison": "bayesgmm.bayes.compare",
    "PPCResult": "bayesgmm.bayes.ppc",
    "Priors": "bayesgmm.bayes.spec",
    "SparseMixtureResult": "bayesgmm.bayes.sparse",
    "compare_loo": "bayesgmm.bayes.compare",
    "fit_large": "bayesgmm.bayes.large",
    "fit_sparse_mixture": "bayesgmm.bayes.sparse",
    "posterior_predictive_check": "bayesgmm.bayes.ppc",
    "KPosterior": "bayesgmm.mfm",
    "MFMPriors": "bayesgmm.mfm",
    "posterior_over_k": "bayesgmm.mfm",
}


#: loaded on first use: ``bayesgmm.X`` and ``dir(bayesgmm)`` work as for eager names
__getattr__, __dir__ = lazy_names("bayesgmm", _LAZY, globals())
