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
exactly in its plane, so every sweep decreases it (compiled with Numba in
:mod:`bayesgmm.covariance._orientation`). Iterations stop when the objective changes
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
from bayesgmm.exceptions import ConvergenceWarning

#: the implementations are reached through :func:`bayesgmm.covariance.get_covariance_model`
__all__: list[str] = []

#: relative change of the M-step objective that ends an iterative M-step
MSTEP_TOL = 1e-12
#: iterations of an iterative M-step before it warns
MSTEP_MAX_ITER = 500
#: floor of determinants and variances inside the constrained estimators (relative)
_TINY = 1e-300


def _root_det(values: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    """``prod(values) ** (1 / d)`` along ``axis`` (the geometric mean), in log space."""
    return np.exp(np.mean(np.log(np.maximum(values, _TINY)), axis=axis))


def _unit_det(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Diagonals scaled to determinant 1 (the shape ``A``)."""
    return values / _root_det(values)[..., None]


def _warn_unconverged(name: str) -> None:
    warnings.warn(
        f"The {name} M-step did not converge in {MSTEP_MAX_ITER} iterations; its "
        "covariances are the last iterate. The model may not suit these data (try "
        "another covariance_type or fewer components).",
        ConvergenceWarning,
        stacklevel=4,
    )


def _converged(previous: float, current: float) -> bool:
    return abs(previous - current) <= MSTEP_TOL * max(abs(current), 1.0)


def _volumes_and_shape(
    values: NDArray[np.float64], nk: NDArray[np.float64], name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Variable volumes ``lambda_k`` and one shape ``A`` from per-axis scatter ``(K, D)``.

    Alternates ``A = normalised sum_k values_k / lambda_k`` and ``lambda_k =
    sum_j values_kj / A_j / (n_k D)`` (Celeux and Govaert's VEI and VEV M-steps); the
    objective ``D sum_k n_k log lambda_k`` decreases at every step.
    """
    d = values.shape[1]
    volumes = values.sum(axis=1) / (nk * d)
    previous = np.inf
    for _ in range(MSTEP_MAX_ITER):
        shape = _unit_det((values / np.maximum(volumes, _TINY)[:, None]).sum(axis=0))
        volumes = (values / shape).sum(axis=1) / (nk * d)
        objective = float(d * (nk * np.log(np.maximum(volumes, _TINY))).sum())
        if _converged(previous, objective):
            break
        previous = objective
    else:
        _warn_unconverged(name)
    return volumes, shape


# ---------------------------------------------------------------------- diagonal models
class _DiagonalModel(DiagCovariance):
    """A diagonal model: ``W_k`` enters through its diagonal ``w_k`` (K, D)."""

    mclust_name: ClassVar[str]

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        return _count(self.mclust_name, n_components, n_features)

    def n_component_parameters(self, n_features: int) -> int:
        return n_features + 1 + _owned(self.mclust_name, n_features)

    def estimate_covariances(self, stats, nk, means, reg_covar, data_statistic):
        variances = super().estimate_covariances(stats, nk, means, 0.0, data_statistic)
        return self.constrain(variances * nk[:, None], nk) + reg_covar

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        variances = super().covariances_from_second_moments(second_moments, nk, means, 0.0)
        return self.constrain(variances * nk[:, None], nk) + reg_covar

    def constrain(self, scatter: NDArray[np.float64], nk: NDArray[np.float64]) -> NDArray:
        """Constrained variances ``(K, D)`` from the scatter diagonals ``(K, D)``."""
        raise NotImplementedError


class _EII(_DiagonalModel):
    """Equal spherical covariances ``lambda I`` (mclust ``EII``)."""

    name = mclust_name = "EII"

    def constrain(self, scatter, nk):
        volume = scatter.sum() / (nk.sum() * scatter.shape[1])
        return np.full_like(scatter, volume)


class _EEI(_DiagonalModel):
    """One diagonal covariance shared by all components (mclust ``EEI``)."""

    name = mclust_name = "EEI"

    def constrain(self, scatter, nk):
        return np.broadcast_to(scatter.sum(axis=0) / nk.sum(), scatter.shape).copy()


class _EVI(_DiagonalModel):
    """Equal volume, variable diagonal shapes (mclust ``EVI``)."""

    name = mclust_name = "EVI"

    def constrain(self, scatter, nk):
        roots = _root_det(scatter)
        volume = roots.sum() / nk.sum()
        return volume * scatter / np.maximum(roots, _TINY)[:, None]


class _VEI(_DiagonalModel):
    """Variable volumes, one shared diagonal shape (mclust ``VEI``); iterative."""

    name = mclust_name = "VEI"

    def constrain(self, scatter, nk):
        volumes, shape = _volumes_and_shape(scatter, nk, self.name)
        return volumes[:, None] * shape


# ---------------------------------------------------------------------- ellipsoidal models
class _EllipsoidalModel(FullCovariance):
    """A model stored as full matrices: ``W_k`` enters as ``(K, D, D)`` scatter."""

    mclust_name: ClassVar[str]

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        return _count(self.mclust_name, n_components, n_features)

    def n_component_parameters(self, n_features: int) -> int:
        return n_features + 1 + _owned(self.mclust_name, n_features)

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        covariances = super().covariances_from_second_moments(second_moments, nk, means, 0.0)
        constrained = self.constrain(covariances * nk[:, None, None], nk)
        constrained = 0.5 * (constrained + np.swapaxes(constrained, 1, 2))
        idx = np.arange(means.shape[1])
        constrained[:, idx, idx] += reg_covar
        return constrained

    def constrain(self, scatter: NDArray[np.float64], nk: NDArray[np.float64]) -> NDArray:
        """Constrained covariances ``(K, D, D)`` from the scatter matrices ``(K, D, D)``."""
        raise NotImplementedError


def _eigh_descending(scatter: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Eigenvalues (descending, floored at 0) and eigenvectors of symmetric matrices."""
    values, vectors = np.linalg.eigh(scatter)
    return np.maximum(values[..., ::-1], 0.0), vectors[..., ::-1]


class _EVV(_EllipsoidalModel):
    """Equal volume, variable shapes and orientations (mclust ``EVV``)."""

    name = mclust_name = "EVV"

    def constrain(self, scatter, nk):
        values, _ = _eigh_descending(scatter)
        roots = _root_det(values)
        volume = roots.sum() / nk.sum()
        return volume * scatter / np.maximum(roots, _TINY)[:, None, None]


class _EEV(_EllipsoidalModel):
    """Equal volume and shape, variable orientations (mclust ``EEV``)."""

    name = mclust_name = "EEV"

    def constrain(self, scatter, nk):
        values, vectors = _eigh_descending(scatter)
        total = values.sum(axis=0)
        shape = _unit_det(total)
        volume = _root_det(total) / nk.sum()
        return (vectors * (volume * shape)) @ np.swapaxes(vectors, 1, 2)


class _VEV(_EllipsoidalModel):
    """Variable volumes and orientations, one shared shape (mclust ``VEV``); iterative."""

    name = mclust_name = "VEV"

    def constrain(self, scatter, nk):
        values, vectors = _eigh_descending(scatter)
        volumes, shape = _volumes_and_shape(values, nk, self.name)
        return (vectors * (volumes[:, None] * shape)[:, None, :]) @ np.swapaxes(vectors, 1, 2)


class _VEE(_EllipsoidalModel):
    """Variable volumes, one shared shape and orientation (mclust ``VEE``); iterative."""

    name = mclust_name = "VEE"

    def constrain(self, scatter, nk):
        d = scatter.shape[1]
        volumes = np.trace(scatter, axis1=1, axis2=2) / (nk * d)
        previous = np.inf
        for _ in range(MSTEP_MAX_ITER):
            pooled = (scatter / np.maximum(volumes, _TINY)[:, None, None]).sum(axis=0)
            values, vectors = _eigh_descending(pooled)
            root = max(float(_root_det(values)), _TINY)
            inverse = (vectors / np.maximum(values / root, _TINY)) @ vectors.T
            volumes = np.einsum("kij,ji->k", scatter, inverse) / (nk * d)
            objective = float(d * (nk * np.log(np.maximum(volumes, _TINY))).sum())
            if _converged(previous, objective):
                break
            previous = objective
        else:
            _warn_unconverged(self.name)
        common = (vectors * (values / root)) @ vectors.T
        return volumes[:, None, None] * common


class _CommonOrientation(_EllipsoidalModel):
    """Models with one orientation ``D`` shared by all components (EVE, VVE)."""

    equal_volume: ClassVar[bool]

    def constrain(self, scatter, nk):
        from bayesgmm.covariance._orientation import descend  # Numba: only when used

        # the objective is not convex in the orientation: start from the pooled
        # scatter's axes (the EEE orientation) and from the largest component's, keep
        # the best
        starts = [_eigh_descending(scatter.sum(axis=0))[1]]
        starts.append(_eigh_descending(scatter[int(np.argmax(nk))])[1])
        best = None
        for orientation in starts:
            objective, variances, axes, converged = descend(
                np.ascontiguousarray(scatter),
                np.ascontiguousarray(nk, dtype=np.float64),
                np.ascontiguousarray(orientation),
                self.equal_volume,
                MSTEP_MAX_ITER,
                MSTEP_TOL,
            )
            if not converged:
                _warn_unconverged(self.name)
            if best is None or objective < best[0]:
                best = (objective, (axes * variances[:, None, :]) @ axes.T)
        return best[1]


class _VVE(_CommonOrientation):
    """Variable volumes and shapes, one shared orientation (mclust ``VVE``)."""

    name = mclust_name = "VVE"
    equal_volume = False


class _EVE(_CommonOrientation):
    """Equal volume, variable shapes, one shared orientation (mclust ``EVE``)."""

    name = mclust_name = "EVE"
    equal_volume = True


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
