"""What a finished EM fit is checked for: its data's scale, convergence, finiteness, collapse.

Each check raises a ``ValueError`` naming what to change, or warns naming the
component concerned; :class:`bayesgmm.GaussianMixture` runs them around
:meth:`bayesgmm.em.engine.EMEngine.run`. ``run`` is an :class:`bayesgmm.em.engine.EMRun`
and ``data`` the fit's data passes (:class:`bayesgmm.em.passes.Data` or
:class:`bayesgmm.em.dask_arrays.DaskData`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bayesgmm.covariance import CovarianceModel
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    DataScaleWarning,
    scikit_learn_compatible,
)

__all__ = ["check_finite", "check_scale", "warn_degenerate", "warn_not_converged"]


def warn_not_converged(run: Any, max_iter: int, tol: float) -> None:
    """``ConvergenceWarning`` when the kept run stopped at ``max_iter``."""
    if run.converged or max_iter == 0:  # max_iter=0 asks for the initialisation
        return
    # scikit-learn's sentence first (users match it), then what happened
    warnings.warn(
        "Best performing initialization did not converge. Try different init "
        "parameters, or increase max_iter, tol, or check for degenerate data. "
        f"(EM stopped at max_iter={max_iter} iterations; the last change of the mean "
        f"log-likelihood was {run.last_change:.3g}, tol={tol}.)",
        scikit_learn_compatible(ConvergenceWarning),
        stacklevel=5,
    )


def check_scale(data: Any, names: NDArray[np.object_] | None, reg_covar: float) -> None:
    """Refuse data whose variances overflow; warn when ``reg_covar`` swamps them."""
    variances = data.feature_variances
    labels = names if names is not None else np.arange(data.n_features)
    overflow = ~np.isfinite(variances)
    if overflow.any():
        largest = data.largest_deviation()
        raise ValueError(
            f"X is too large to fit: the variance of feature(s) "
            f"{labels[overflow].tolist()} overflows float64 (values up to {largest:.3g} "
            "from the mean). Divide X by a constant (for example "
            f"{10.0 ** np.floor(np.log10(largest)):.0e}) or standardise the features."
        )
    # a constant feature's variance is rounding noise of the order of (eps * |centre|)^2
    noise = (1e3 * np.finfo(np.float64).eps * np.abs(data.center)) ** 2
    swamped = (variances > noise) & (reg_covar >= 0.1 * variances)
    if swamped.any():
        warnings.warn(
            f"reg_covar={reg_covar:g} is not small next to the variance of "
            f"feature(s) {labels[swamped].tolist()} (smallest variance "
            f"{float(variances[swamped].min()):.3g}): the regulariser, not the data, "
            "shapes those covariances. Rescale X (for example to unit variance) or set "
            "reg_covar well below the feature variances.",
            DataScaleWarning,
            stacklevel=5,
        )


def check_finite(params: Any, n_components: int) -> None:
    """Raise instead of storing NaN or infinite parameters."""
    arrays = (params.weights, params.means, params.covariances, params.precisions_cholesky)
    if all(np.isfinite(a).all() for a in arrays):
        return
    K = n_components
    per_component = [
        np.isfinite(a.reshape(K, -1)).all(axis=1)
        for a in arrays
        if a.shape[:1] == (K,) and a.ndim > 0
    ]
    bad = np.flatnonzero(~np.logical_and.reduce(per_component)).tolist()
    where = f"component(s) {bad}" if bad else "the shared covariance"
    raise ValueError(
        f"EM produced non-finite parameters for {where}: the data's scale is outside "
        "what float64 arithmetic handles here. Standardise the features (or divide X "
        "by a constant) and fit again."
    )


def warn_degenerate(run: Any, data: Any, model: CovarianceModel, reg_covar: float) -> None:
    """``ComponentCollapseWarning`` per repaired, collapsed or under-supported component."""
    K = len(run.params.weights)
    weights, covariances = run.params.weights, run.params.covariances
    effective = weights * data.total_weight
    for k, count in sorted(run.repairs.items()):
        warnings.warn(
            f"Component {k} collapsed ({effective[k]:.3g} effective samples at the end): "
            f"its covariance was not positive definite in {count} EM step(s) and was "
            "regularised by adding jitter to its diagonal. Increase reg_covar, lower "
            "n_components, or standardise X.",
            ComponentCollapseWarning,
            stacklevel=5,
        )
    warned = set(run.repairs)
    if not model.shared_covariance:  # a shared covariance pools every point
        shift = model.regularisation(reg_covar, data.n_features)
        smallest = model.smallest_variances(covariances - shift, K, data.variance_scale)
        for k in range(K):
            if k in warned or not (effective[k] < 1.0 or smallest[k] <= 1e-8):
                continue
            warned.add(k)
            warnings.warn(
                f"Component {k} collapsed: it holds {effective[k]:.3g} effective samples "
                f"(weight {weights[k]:.3g}) and its smallest variance is "
                f"{max(smallest[k], 0.0):.3g} times the data's, i.e. set by reg_covar="
                f"{reg_covar}, not by the data. Lower n_components, increase "
                "reg_covar, or check for duplicated points.",
                ComponentCollapseWarning,
                stacklevel=5,
            )
    needed = model.n_component_parameters(data.n_features)
    owned = "mean, weight" + ("" if model.shared_covariance else " and covariance")
    for k in range(K):
        if k in warned or effective[k] + 0.01 >= needed:  # 2.99999 points count as 3
            continue
        warnings.warn(
            f"Component {k} holds {effective[k]:.3g} effective samples for its {needed} "
            f"free parameters ({owned}): they are set by too few points to be trusted, "
            "and so is the model's BIC. Lower n_components or choose a more "
            "parsimonious covariance_type.",
            ComponentCollapseWarning,
            stacklevel=5,
        )
