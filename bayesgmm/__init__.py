"""bayesgmm: Gaussian mixture models from a fast maximum-likelihood fit to a posterior.

Examples
--------
>>> from bayesgmm import GaussianMixture, load_faithful
>>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
>>> gm.means_.shape
(2, 2)
"""

from __future__ import annotations

from bayesgmm._lazy import install_moved_modules, lazy_names
from bayesgmm._version import __version__
from bayesgmm.classification import (
    CrossValidation,
    MixtureClassifier,
    cross_validate_classifier,
)
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.datasets import load_faithful, load_galaxies, load_iris
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    DataScaleWarning,
    NotFittedError,
    RangeEdgeWarning,
    SamplingError,
    SamplingWarning,
)
from bayesgmm.reporting.classification_report import (
    build_classification_report,
    classification_report,
)
from bayesgmm.reporting.html_report import (
    Report,
    build_report,
    report,
)
from bayesgmm.selection.bootstrap_lrt import (
    BootstrapLRTResult,
    SequentialLRTResult,
    bootstrap_lrt,
    sequential_lrt,
)
from bayesgmm.selection.evidence import EvidenceTable
from bayesgmm.selection.model_selection import ModelSelection, select_model
from bayesgmm.selection.pipeline import collect_evidence
from bayesgmm.uses.anomaly import MixtureAnomalyDetector, anomaly_scores
from bayesgmm.uses.clustering import (
    ClusteringResult,
    adjusted_rand_index,
    cluster_uncertainty,
    coclustering_matrix,
    summary_partition,
)

__all__ = [
    "COVARIANCE_TYPES",
    "ApproximatePosterior",
    "BayesianGaussianMixture",
    "BootstrapLRTResult",
    "ClassPosterior",
    "ClassProbabilities",
    "ClusteringResult",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "CrossValidation",
    "DataScaleWarning",
    "EvidenceTable",
    "GaussianMixture",
    "KPosterior",
    "LOOComparison",
    "MFMPriors",
    "MixtureAnomalyDetector",
    "MixtureClassifier",
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
    "adjusted_rand_index",
    "anomaly_scores",
    "bootstrap_lrt",
    "build_classification_report",
    "build_report",
    "class_posterior",
    "classification_report",
    "cluster_uncertainty",
    "coclustering_matrix",
    "collect_evidence",
    "compare_loo",
    "cross_validate_classifier",
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

#: old dotted paths of public modules that moved into the subpackages -> where they are
#: now (``import bayesgmm.pipeline`` keeps working and gives the same module object)
_MOVED_MODULES = {
    "bayesgmm.analysis": "bayesgmm.reporting.analysis",
    "bayesgmm.analysis_spec": "bayesgmm.reporting.analysis_spec",
    "bayesgmm.anomaly": "bayesgmm.uses.anomaly",
    "bayesgmm.bayes.compare": "bayesgmm.selection.loo_comparison",
    "bayesgmm.bayes.density": "bayesgmm.bayes.compiled_model",
    "bayesgmm.bayes.diagnostics": "bayesgmm.bayes.convergence",
    "bayesgmm.bayes.fitted": "bayesgmm.bayes.draw_summaries",
    "bayesgmm.bayes.kernels": "bayesgmm.bayes.logp_kernels",
    "bayesgmm.bayes.large": "bayesgmm.bayes.approximate",
    "bayesgmm.bayes.sparse": "bayesgmm.bayes.overfitted",
    "bayesgmm.bootstrap": "bayesgmm.selection.bootstrap_lrt",
    "bayesgmm.clustering": "bayesgmm.uses.clustering",
    "bayesgmm.demo": "bayesgmm.reporting.demo",
    "bayesgmm.evidence": "bayesgmm.selection.evidence",
    "bayesgmm.extension": "bayesgmm.selection.range_extension",
    "bayesgmm.hierarchical": "bayesgmm.em.hierarchical_start",
    "bayesgmm.initialization": "bayesgmm.em.initialization",
    "bayesgmm.k_range": "bayesgmm.selection.k_range",
    "bayesgmm.mfm.posterior": "bayesgmm.mfm.k_posterior",
    "bayesgmm.missing": "bayesgmm.em.missing",
    "bayesgmm.partitions": "bayesgmm.uses.partitions",
    "bayesgmm.pipeline": "bayesgmm.selection.pipeline",
    "bayesgmm.prior": "bayesgmm.em.map_prior",
    "bayesgmm.projection": "bayesgmm.uses.projection",
    "bayesgmm.recommendation": "bayesgmm.selection.recommendation",
}
install_moved_modules(_MOVED_MODULES)

#: names loaded on first use: the Bayesian side imports PyMC (seconds)
_LAZY = {
    "ApproximatePosterior": "bayesgmm.bayes.approximate",
    "BayesianGaussianMixture": "bayesgmm.bayes.estimator",
    "LOOComparison": "bayesgmm.selection.loo_comparison",
    "PPCResult": "bayesgmm.bayes.ppc",
    "Priors": "bayesgmm.bayes.spec",
    "SparseMixtureResult": "bayesgmm.bayes.overfitted",
    "compare_loo": "bayesgmm.selection.loo_comparison",
    "fit_large": "bayesgmm.bayes.approximate",
    "fit_sparse_mixture": "bayesgmm.bayes.overfitted",
    "posterior_predictive_check": "bayesgmm.bayes.ppc",
    "KPosterior": "bayesgmm.mfm",
    "ClassPosterior": "bayesgmm.classification.class_probabilities",
    "ClassProbabilities": "bayesgmm.classification.class_probabilities",
    "class_posterior": "bayesgmm.classification.class_probabilities",
    "MFMPriors": "bayesgmm.mfm",
    "posterior_over_k": "bayesgmm.mfm",
}


#: loaded on first use: ``bayesgmm.X`` and ``dir(bayesgmm)`` work as for eager names
__getattr__, __dir__ = lazy_names("bayesgmm", _LAZY, globals())
