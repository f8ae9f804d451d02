"""mclust's other ten covariance models: Celeux and Govaert's constrained decompositions.

Every covariance is ``Sigma_k = lambda_k D_k A_k D_k^T`` (volume ``lambda_k``, shape
``A_k`` diagonal with ``|A_k| = 1``, orientation ``D_k`` orthogonal), each part Equal
across components, Variable, or the Identity; mclust's three letters say which, e.g.
``VEV``: variable volume, equal shape, variable orientation. scikit-learn's four are
VVV (full), EEE (tied), VVI (diag) and VII (spherical), in
:mod:`bayesgmm.covariance.models`; the ten others are here. The diagonal ones (EII,
EEI, VEI, EVI) are stored and evaluated like ``diag``, the others (VEE, EVE, VVE, EEV,
VEV, EVV) like ``full``; only their M-steps differ: each maximises the expected
complete-data log-likelihood

    sum_k [ -n_k/2 log|Sigma_k| - 1/2 tr(Sigma_k^{-1} W_k) ]

under its constraint, from the weighted scatter matrices ``W_k`` (Celeux and Govaert,
1995, Pattern Recognition 28:781-793; Browne and McNicholas, 2014, Statistics and
Computing 24:203-210). EII, EEI, EVI, EEV and EVV have closed forms; VEI, VEE and VEV
alternate between volumes and the shared part, and EVE and VVE also update the common
orientation, here by cyclic Jacobi rotations, each of which minimises the objective
exactly in its plane, so every sweep decreases it (the iterative loops are compiled
with Numba in :mod:`bayesgmm.covariance.mstep_kernels`). Iterations stop when the objective changes
by less than ``MSTEP_TOL`` relative, after at most ``MSTEP_MAX_ITER`` (then a
:class:`~bayesgmm.exceptions.ConvergenceWarning` names the model). ``reg_covar`` is added
to the diagonal afterwards, as for every type.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from bayesgmm.covariance.models import DiagCovariance, FullCovariance
from bayesgmm.exceptions import ConvergenceWarning, scikit_learn_compatible

#: the implementations are reached through :func:`bayesgmm.covariance.get_covariance_model`
__all__ = ["ConstrainedModel"]

#: relative change of the M-step objective that ends an iterative M-step
MSTEP_TOL = 1e-12
#: iterations of an iterative M-step before it warns
MSTEP_MAX_ITER = 500


def _warn_unconverged(name: str) -> None:
    warnings.warn(
        f"The {name} M-step did not converge in {MSTEP_MAX_ITER} iterations; its "
        "covariances are the last iterate. The model may not suit these data (try "
        "another covariance_type or fewer components).",
        scikit_learn_compatible(ConvergenceWarning),
        stacklevel=4,
    )


def _contiguous(values: NDArray) -> NDArray[np.float64]:
    return np.ascontiguousarray(values, dtype=np.float64)


class ConstrainedModel:
    """What the ten models share: mclust's name, counts, and the compiled M-step."""

    name: ClassVar[str]
    mclust_name: ClassVar[str]
    compiled_mstep = True

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        """Free covariance parameters of ``n_components`` components (mclust's count)."""
        return _count(self.mclust_name, n_components, n_features)

    def n_component_parameters(self, n_features: int) -> int:
        """Parameters one more component adds: its mean, weight and own covariance terms."""
        return n_features + 1 + _owned(self.mclust_name, n_features)

    @property
    def code(self) -> int:
        """The model's index in the compiled M-steps (mclust's order)."""
        from bayesgmm.covariance.mstep_kernels import MODEL_CODES

        return MODEL_CODES.index(self.mclust_name)

    def constrain(self, scatter: NDArray[np.float64], nk: NDArray[np.float64]) -> NDArray:
        """Constrained covariances from the weighted scatter ``W_k`` of each component.

        ``scatter`` is ``(K, D)`` (the diagonals) for the diagonal models and
        ``(K, D, D)`` for the ellipsoidal ones; the result has the same shape.
        """
        from bayesgmm.covariance import mstep_kernels as _kernels  # Numba: only when used

        step = _kernels.diagonal_mstep if scatter.ndim == 2 else _kernels.ellipsoidal_mstep
        nk = _contiguous(nk)
        try:
            covariances, converged = step(
                self.code, _contiguous(scatter), nk, MSTEP_MAX_ITER, MSTEP_TOL
            )
            finite = bool(np.isfinite(covariances).all())
        except np.linalg.LinAlgError:  # NaN reached a decomposition
            finite = False
        if not finite:
            # a singular scatter (a component whose rows span fewer than D directions,
            # such as a small class with a constant feature) makes the constrained
            # estimate divide by a zero determinant: constrain it with a ridge of
            # SCATTER_RIDGE times the mean variance; the EM core then repairs the
            # nearly singular result as it repairs any singular covariance
            ridged = _with_ridge(scatter, nk)
            covariances, converged = step(self.code, ridged, nk, MSTEP_MAX_ITER, MSTEP_TOL)
        if not converged:
            _warn_unconverged(self.name)
        return covariances


#: the ridge (relative to the mean variance) a singular scatter is constrained with
SCATTER_RIDGE = 1e-8


def _with_ridge(scatter: NDArray[np.float64], nk: NDArray[np.float64]) -> NDArray[np.float64]:
    """``W_k + SCATTER_RIDGE * s * n_k`` on the diagonal, ``s`` the mean variance."""
    diagonals = scatter if scatter.ndim == 2 else np.diagonal(scatter, axis1=1, axis2=2)
    scale = float(diagonals.sum() / max(float(nk.sum()), 1e-300) / scatter.shape[1])
    ridge = SCATTER_RIDGE * (scale if scale > 0 else 1.0) * nk
    out = np.array(scatter, dtype=np.float64)
    diagonal = out if out.ndim == 2 else np.einsum("kii->ki", out)  # a writable view
    diagonal += ridge[:, None]
    return out


class _DiagonalModel(ConstrainedModel, DiagCovariance):
    """A diagonal model: ``W_k`` enters through its diagonal ``w_k`` (K, D)."""

    def unconstrained_estimates(self, stats, nk, means, data_statistic):
        return DiagCovariance.estimate_covariances(self, stats, nk, means, 0.0, data_statistic)

    def estimate_covariances(self, stats, nk, means, reg_covar, data_statistic):
        variances = super().estimate_covariances(stats, nk, means, 0.0, data_statistic)
        return self.constrain(variances * nk[:, None], nk) + reg_covar

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        variances = super().covariances_from_second_moments(second_moments, nk, means, 0.0)
        return self.constrain(variances * nk[:, None], nk) + reg_covar


class _EllipsoidalModel(ConstrainedModel, FullCovariance):
    """A model stored as full matrices: ``W_k`` enters as ``(K, D, D)`` scatter."""

    def unconstrained_estimates(self, stats, nk, means, data_statistic):
        # FullCovariance.estimate_covariances would call this class's constrained override
        return FullCovariance.covariances_from_second_moments(self, stats.outer, nk, means, 0.0)

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        covariances = super().covariances_from_second_moments(second_moments, nk, means, 0.0)
        constrained = self.constrain(covariances * nk[:, None, None], nk)
        idx = np.arange(means.shape[1])
        constrained[:, idx, idx] += reg_covar
        return constrained


class _EII(_DiagonalModel):
    """Equal spherical covariances ``lambda I`` (mclust ``EII``)."""

    name = mclust_name = "EII"


class _EEI(_DiagonalModel):
    """One diagonal covariance shared by all components (mclust ``EEI``)."""

    name = mclust_name = "EEI"


class _VEI(_DiagonalModel):
    """Variable volumes, one shared diagonal shape; iterative (mclust ``VEI``)."""

    name = mclust_name = "VEI"


class _EVI(_DiagonalModel):
    """Equal volume, variable diagonal shapes (mclust ``EVI``)."""

    name = mclust_name = "EVI"


class _VEE(_EllipsoidalModel):
    """Variable volumes, one shared shape and orientation; iterative (mclust ``VEE``)."""

    name = mclust_name = "VEE"


class _EVE(_EllipsoidalModel):
    """Equal volume, variable shapes, one shared orientation; iterative (mclust ``EVE``)."""

    name = mclust_name = "EVE"


class _VVE(_EllipsoidalModel):
    """Variable volumes and shapes, one shared orientation; iterative (mclust ``VVE``)."""

    name = mclust_name = "VVE"


class _EEV(_EllipsoidalModel):
    """Equal volume and shape, variable orientations (mclust ``EEV``)."""

    name = mclust_name = "EEV"


class _VEV(_EllipsoidalModel):
    """Variable volumes and orientations, one shared shape; iterative (mclust ``VEV``)."""

    name = mclust_name = "VEV"


class _EVV(_EllipsoidalModel):
    """Equal volume, variable shapes and orientations (mclust ``EVV``)."""

    name = mclust_name = "EVV"


# ---------------------------------------------------------------------- counts
def _count(name: str, K: int, d: int) -> int:
    """Free covariance parameters of mclust model ``name`` (mclust's ``nVarParams``)."""
    rotation = d * (d - 1) // 2
    volume = {"E": 1, "V": K}[name[0]]
    shape = {"E": d - 1, "V": K * (d - 1), "I": 0}[name[1]]
    orientation = {"E": rotation, "V": K * rotation, "I": 0}[name[2]]
    return volume + shape + orientation


def _owned(name: str, d: int) -> int:
    """Covariance parameters each component estimates on its own (its V parts)."""
    return _count(name, 2, d) - _count(name, 1, d)


#: the ten models, by mclust name
CONSTRAINED_MODELS: dict[str, Any] = {
    model.name: model() for model in (_EII, _EEI, _VEI, _EVI, _VEE, _EVE, _VVE, _EEV, _VEV, _EVV)
}
