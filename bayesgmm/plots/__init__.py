"""Plots of fitted Gaussian mixtures and of model-choice results (matplotlib).

Every function draws on ``ax`` when given (a new figure otherwise), returns what it
drew on and never calls ``plt.show()``. matplotlib and ArviZ are imported inside the
functions, so ``import bayesgmm`` stays light.

The functions take a fitted :class:`~bayesgmm.GaussianMixture` (the point estimate)
or a fitted :class:`~bayesgmm.BayesianGaussianMixture` (the posterior):

* data and clusters: :func:`plot_clusters` (points coloured by cluster, transparency
  from the membership certainty), :func:`plot_ellipses` (covariance ellipses; for the
  posterior, many translucent draws), :func:`plot_density` (contours of the log
  density of two features, marginalised exactly when there are more),
  :func:`plot_density_1d` (histogram with the density and its credible band),
  :func:`plot_coclustering` (heatmap of a co-clustering matrix such as
  :func:`bayesgmm.uses.clustering.coclustering_matrix`);
* classification (a fitted :class:`~bayesgmm.MixtureClassifier`): :func:`plot_classes`
  (rows on the directions that best separate the classes, misclassified and
  uncertain rows marked), :func:`plot_class_probabilities` (each row's posterior class
  probability with its credible interval);
* convergence: :func:`plot_trace` (trace or rank plots through arviz-plots);
* model choice and checks, thin wrappers of the result objects' own ``plot``
  methods: :func:`plot_criteria`, :func:`plot_loo`, :func:`plot_bootstrap_lrt`,
  :func:`plot_ppc`, plus :func:`plot_ppc_density` and :func:`plot_ppc_dist`
  (replicated against observed densities; the latter through arviz-plots).
"""

from __future__ import annotations

from bayesgmm.plots._common import check_mixture as check_mixture
from bayesgmm.plots._common import posterior_model as posterior_model
from bayesgmm.plots.choice import (
    plot_bootstrap_lrt,
    plot_criteria,
    plot_loo,
    plot_ppc,
    plot_ppc_density,
    plot_ppc_dist,
)
from bayesgmm.plots.classes import plot_class_probabilities, plot_classes
from bayesgmm.plots.clusters import (
    most_informative_pairs,
    plot_clusters,
    plot_coclustering,
    plot_discriminant,
    plot_ellipses,
)
from bayesgmm.plots.density import plot_density, plot_density_1d
from bayesgmm.plots.diagnostics import plot_trace

__all__ = [
    "most_informative_pairs",
    "plot_bootstrap_lrt",
    "plot_class_probabilities",
    "plot_classes",
    "plot_clusters",
    "plot_coclustering",
    "plot_criteria",
    "plot_density",
    "plot_density_1d",
    "plot_discriminant",
    "plot_ellipses",
    "plot_loo",
    "plot_ppc",
    "plot_ppc_density",
    "plot_ppc_dist",
    "plot_trace",
]
