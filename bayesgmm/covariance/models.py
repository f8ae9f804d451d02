"""The four covariance structures of scikit-learn (mclust VVV, EEE, VVI, VII).

Each class implements :class:`bayesgmm.covariance.base.CovarianceModel` for one
structure: shapes and parameter counts, the features EM streams over, log-densities
through the precision Cholesky factor, the M-step with its regularisation and repair,
and conversions between covariances, precisions and their factors.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.numerics import (
    LOG_2PI,
    cholesky_with_jitter,
    default_variance_floor,
    precision_cholesky_from_chol,
)
from bayesgmm.covariance.base import CovarianceModel

#: the implementations are reached through :func:`bayesgmm.covariance.get_covariance_model`
__all__: list[str] = []


def _symmetric_pd_check(matrices: NDArray[np.float64], name: str, which: str) -> None:
    """Raise when any matrix in a stack is not symmetric positive definite."""
    for k, matrix in enumerate(matrices.reshape(-1, *matrices.shape[-2:])):
        if not np.allclose(matrix, matrix.T):
            raise ValueError(
                f"{name}{which.format(k=k)} is not symmetric; pass symmetric precision "
                "matrices (for example (P + P.T) / 2)."
            )
        eigvals = np.linalg.eigvalsh(matrix)
        if eigvals.min() <= 0:
            raise ValueError(
                f"{name}{which.format(k=k)} is not positive definite (smallest "
                f"eigenvalue {eigvals.min():.3g}); precisions must be positive definite."
            )


class FullCovariance(CovarianceModel):
    """Each component has its own full covariance matrix (mclust ``VVV``)."""

    name = "full"
    dense_per_component = True
    matrices = True
    mclust_name = "VVV"

    def covariance_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features, n_features)

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features * (n_features + 1) // 2

    # the prepared data end in a row of ones, so one product gives U_k^T (x - mu_k)
    def prepare(self, weights, means, precisions_cholesky):
        n_components, n_features = means.shape
        # rows k*D + j: column j of U_k, then -(U_k^T mu_k)_j in the last column
        factors_t = np.swapaxes(precisions_cholesky, 1, 2)
        augmented = np.empty((n_components, n_features, n_features + 1))
        augmented[:, :, :n_features] = factors_t
        augmented[:, :, n_features] = -np.einsum("kij,kj->ki", factors_t, means)
        log_det = self.log_det_cholesky(precisions_cholesky, n_components, n_features)
        const = np.log(weights) + log_det - 0.5 * n_features * LOG_2PI
        return augmented.reshape(n_components * n_features, -1), const[:, None]

    def weighted_log_prob(self, feat_t, state):
        augmented, const = state
        n_components, n_samples = const.shape[0], feat_t.shape[1]
        y3 = (augmented @ feat_t).reshape(n_components, -1, n_samples)
        maha = np.einsum("kdn,kdn->kn", y3, y3)
        maha *= -0.5
        maha += const
        return maha

    def accumulate_outer(self, feat_t, resp):
        n_components = resp.shape[0]
        n_features, n_samples = feat_t.shape
        weighted = resp[:, None, :] * feat_t[None, :, :]
        outer = weighted.reshape(n_components * n_features, n_samples) @ feat_t.T
        return outer.reshape(n_components, n_features, n_features)

    def estimate_covariances(self, stats, nk, means, reg_covar, data_statistic):
        return self.covariances_from_second_moments(stats.outer, nk, means, reg_covar)

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        covariances = second_moments / nk[:, None, None]
        covariances -= means[:, :, None] * means[:, None, :]
        covariances += np.swapaxes(covariances, 1, 2)
        covariances *= 0.5
        idx = np.arange(means.shape[1])
        covariances[:, idx, idx] += reg_covar
        return covariances

    def precisions_cholesky(self, covariances, variance_floor=None):
        if variance_floor is None:
            variance_floor = default_variance_floor(np.diagonal(covariances, axis1=1, axis2=2))
        chol, covariances, repaired = cholesky_with_jitter(covariances, variance_floor)
        return precision_cholesky_from_chol(chol), covariances, repaired

    def precisions_cholesky_from_precisions(self, precisions):
        flipped = np.linalg.cholesky(precisions[:, ::-1, ::-1])
        return np.ascontiguousarray(flipped[:, ::-1, ::-1])

    def covariances_from_precisions_cholesky(self, precisions_cholesky):
        inv = np.linalg.inv(precisions_cholesky)  # inv(U) = L^T
        return np.swapaxes(inv, 1, 2) @ inv

    def precisions_from_cholesky(self, precisions_cholesky):
        return precisions_cholesky @ np.swapaxes(precisions_cholesky, 1, 2)

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)

    def covariance_factor(self, covariances, k):
        return np.linalg.cholesky(covariances[k])

    def full_covariances(self, covariances, n_components, n_features):
        return np.array(covariances, dtype=np.float64)

    def covariances_from_full(self, full):
        return np.array(full, dtype=np.float64)

    def smallest_variances(self, covariances, n_components, scale):
        root = np.sqrt(scale)
        return np.linalg.eigvalsh(covariances / np.outer(root, root))[:, 0]

    def validate_precisions(self, precisions, n_components, n_features):
        super().validate_precisions(precisions, n_components, n_features)
        _symmetric_pd_check(precisions, "precisions_init", "[{k}]")
        return precisions


class TiedCovariance(CovarianceModel):
    """All components share one full covariance matrix (mclust ``EEE``)."""

    name = "tied"
    shared_covariance = True
    matrices = True
    mclust_name = "EEE"

    def covariance_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_features, n_features)

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        return n_features * (n_features + 1) // 2

    def data_statistic(self, xc_t, sample_weight):
        if sample_weight is None:
            return xc_t @ xc_t.T
        return (xc_t * sample_weight) @ xc_t.T

    def prepare(self, weights, means, precisions_cholesky):
        n_features = means.shape[1]
        whitened_means = means @ precisions_cholesky
        log_det = self.log_det_cholesky(precisions_cholesky, len(weights), n_features)
        const = (
            np.log(weights)
            + log_det
            - 0.5 * n_features * LOG_2PI
            - 0.5 * np.einsum("kd,kd->k", whitened_means, whitened_means)
        )
        return np.ascontiguousarray(precisions_cholesky.T), whitened_means, const[:, None]

    def weighted_log_prob(self, feat_t, state):
        chol_t, whitened_means, const = state
        y = chol_t @ feat_t[: chol_t.shape[0]]
        log_prob = whitened_means @ y
        log_prob += const
        np.square(y, out=y)
        log_prob -= 0.5 * y.sum(axis=0)
        return log_prob

    def estimate_covariances(self, stats, nk, means, reg_covar, data_statistic):
        return self._pooled(data_statistic, nk, means, reg_covar)

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        return self._pooled(second_moments.sum(axis=0), nk, means, reg_covar)

    @staticmethod
    def _pooled(second_moment, nk, means, reg_covar):
        """Pooled covariance from the all-component second moment ``(D, D)``."""
        covariance = second_moment - (nk * means.T) @ means
        covariance /= nk.sum()
        covariance += covariance.T
        covariance *= 0.5
        covariance.flat[:: means.shape[1] + 1] += reg_covar
        return covariance

    def precisions_cholesky(self, covariances, variance_floor=None):
        if variance_floor is None:
            variance_floor = default_variance_floor(np.diagonal(covariances)[None, :])
        chol, fixed, repaired = cholesky_with_jitter(covariances[None], variance_floor)
        return precision_cholesky_from_chol(chol)[0], fixed[0], repaired

    def precisions_cholesky_from_precisions(self, precisions):
        return np.ascontiguousarray(np.linalg.cholesky(precisions[::-1, ::-1])[::-1, ::-1])

    def covariances_from_precisions_cholesky(self, precisions_cholesky):
        inv = np.linalg.inv(precisions_cholesky)
        return inv.T @ inv

    def precisions_from_cholesky(self, precisions_cholesky):
        return precisions_cholesky @ precisions_cholesky.T

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return np.full(n_components, np.log(np.diagonal(precisions_cholesky)).sum())

    def covariance_factor(self, covariances, k):
        return np.linalg.cholesky(covariances)

    def full_covariances(self, covariances, n_components, n_features):
        cov = np.asarray(covariances, dtype=np.float64)
        return np.repeat(cov[..., None, :, :], n_components, axis=-3)

    def covariances_from_full(self, full):
        return np.array(full[0], dtype=np.float64)

    def smallest_variances(self, covariances, n_components, scale):
        root = np.sqrt(scale)
        return np.full(n_components, np.linalg.eigvalsh(covariances / np.outer(root, root))[0])

    def validate_precisions(self, precisions, n_components, n_features):
        super().validate_precisions(precisions, n_components, n_features)
        _symmetric_pd_check(precisions, "precisions_init", "")
        return precisions


class DiagCovariance(CovarianceModel):
    """Each component has its own diagonal covariance (mclust ``VVI``)."""

    name = "diag"
    mclust_name = "VVI"

    def covariance_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features)

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features

    def n_stored_rows(self, n_features: int) -> int:
        return 2 * n_features + 1

    def complete_stored(self, stored_t, n_features):
        np.square(stored_t[:n_features], out=stored_t[n_features : 2 * n_features])
        stored_t[-1] = 1.0

    def prepare(self, weights, means, precisions_cholesky):
        n_features = means.shape[1]
        precisions = np.square(precisions_cholesky)
        log_det = self.log_det_cholesky(precisions_cholesky, len(weights), n_features)
        const = (
            np.log(weights)
            + log_det
            - 0.5 * n_features * LOG_2PI
            - 0.5 * np.einsum("kd,kd->k", means * means, precisions)
        )
        # features [x, x**2, 1]: the constant rides on the row of ones
        return (np.concatenate([means * precisions, -0.5 * precisions, const[:, None]], axis=1),)

    def weighted_log_prob(self, feat_t, state):
        return state[0] @ feat_t

    def estimate_covariances(self, stats, nk, means, reg_covar, data_statistic):
        n_features = means.shape[1]
        second = stats.moments[:, n_features : 2 * n_features]
        return second / nk[:, None] - means**2 + reg_covar

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        second = np.diagonal(second_moments, axis1=1, axis2=2)
        return second / nk[:, None] - means**2 + reg_covar

    def precisions_cholesky(self, covariances, variance_floor=None):
        if variance_floor is None:
            variance_floor = default_variance_floor(covariances)
        return _positive_variances(covariances, variance_floor[None, :])

    def precisions_cholesky_from_precisions(self, precisions):
        return np.sqrt(precisions)

    def covariances_from_precisions_cholesky(self, precisions_cholesky):
        return 1.0 / np.square(precisions_cholesky)

    def precisions_from_cholesky(self, precisions_cholesky):
        return np.square(precisions_cholesky)

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return np.log(precisions_cholesky).sum(axis=1)

    def covariance_factor(self, covariances, k):
        return np.sqrt(covariances[k])

    def full_covariances(self, covariances, n_components, n_features):
        cov = np.asarray(covariances, dtype=np.float64)
        return cov[..., :, None] * np.eye(n_features)

    def covariances_from_full(self, full):
        return np.diagonal(full, axis1=1, axis2=2).copy()

    def smallest_variances(self, covariances, n_components, scale):
        return (covariances / scale).min(axis=1)

    def validate_precisions(self, precisions, n_components, n_features):
        super().validate_precisions(precisions, n_components, n_features)
        return _check_positive_precisions(precisions)


class SphericalCovariance(CovarianceModel):
    """Each component has its own single variance (mclust ``VII``)."""

    name = "spherical"
    mclust_name = "VII"

    def covariance_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components,)

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        return n_components

    def n_stored_rows(self, n_features: int) -> int:
        return n_features + 2

    def complete_stored(self, stored_t, n_features):
        x = stored_t[:n_features]
        np.einsum("dn,dn->n", x, x, out=stored_t[n_features])
        stored_t[-1] = 1.0

    def prepare(self, weights, means, precisions_cholesky):
        n_features = means.shape[1]
        precisions = np.square(precisions_cholesky)
        log_det = self.log_det_cholesky(precisions_cholesky, len(weights), n_features)
        const = (
            np.log(weights)
            + log_det
            - 0.5 * n_features * LOG_2PI
            - 0.5 * np.einsum("kd,kd->k", means, means) * precisions
        )
        coef = [means * precisions[:, None], -0.5 * precisions[:, None], const[:, None]]
        return (np.concatenate(coef, axis=1),)

    weighted_log_prob = DiagCovariance.weighted_log_prob

    def estimate_covariances(self, stats, nk, means, reg_covar, data_statistic):
        n_features = means.shape[1]
        second = stats.moments[:, n_features] / nk
        return (second - np.einsum("kd,kd->k", means, means)) / n_features + reg_covar

    def covariances_from_second_moments(self, second_moments, nk, means, reg_covar):
        n_features = means.shape[1]
        second = np.trace(second_moments, axis1=1, axis2=2) / nk
        return (second - np.einsum("kd,kd->k", means, means)) / n_features + reg_covar

    def precisions_cholesky(self, covariances, variance_floor=None):
        if variance_floor is None:
            variance_floor = default_variance_floor(covariances[:, None])
        return _positive_variances(covariances, float(np.mean(variance_floor)))

    def full_covariances(self, covariances, n_components, n_features):
        cov = np.asarray(covariances, dtype=np.float64)
        return cov[..., None, None] * np.eye(n_features)

    def covariances_from_full(self, full):
        return np.diagonal(full, axis1=1, axis2=2).mean(axis=1)

    precisions_cholesky_from_precisions = DiagCovariance.precisions_cholesky_from_precisions
    covariances_from_precisions_cholesky = DiagCovariance.covariances_from_precisions_cholesky
    precisions_from_cholesky = DiagCovariance.precisions_from_cholesky

    def log_det_cholesky(self, precisions_cholesky, n_components, n_features):
        return n_features * np.log(precisions_cholesky)

    covariance_factor = DiagCovariance.covariance_factor

    def smallest_variances(self, covariances, n_components, scale):
        return covariances / scale.min()

    def validate_precisions(self, precisions, n_components, n_features):
        super().validate_precisions(precisions, n_components, n_features)
        return _check_positive_precisions(precisions)


def _positive_variances(
    variances: NDArray[np.float64], floor: NDArray[np.float64] | float
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[int]]:
    """``1 / sqrt(var)``, raising variances below ``floor`` (broadcast) to it."""
    bad = ~(variances >= floor)
    repaired: list[int] = []
    if bad.any():
        rows = bad if bad.ndim == 1 else bad.any(axis=1)
        repaired = [int(k) for k in np.flatnonzero(rows)]
        variances = np.where(bad, floor, variances)
    return 1.0 / np.sqrt(variances), variances, repaired


def _check_positive_precisions(precisions: NDArray[np.float64]) -> NDArray[np.float64]:
    if np.any(precisions <= 0):
        where = np.argwhere(precisions <= 0)[:5].tolist()
        raise ValueError(f"precisions_init must be strictly positive; entries at {where} are <= 0.")
    return precisions
