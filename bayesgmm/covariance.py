"""Covariance structures of a Gaussian mixture: the shared vocabulary.

Each covariance type (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``) is one
:class:`CovarianceModel` that knows, for that structure,

* the shapes of its parameters and its number of free parameters (for BIC/AIC/ICL);
* the per-sample *features* the EM core streams over (``x`` for full and tied,
  ``[x, x**2]`` for diag, ``[x, |x|**2]`` for spherical), chosen so that both the
  E-step log-densities and the M-step sufficient statistics are matrix products;
* its log-density through the Cholesky factor of the precision matrix;
* its weighted M-step from sufficient statistics, its regularisation and its repair
  when a covariance is not positive definite.

The EM loop (:mod:`bayesgmm.em`) never branches on the covariance type; it calls these
objects. All arrays here are float64 and expressed in *centred* coordinates (the EM
core subtracts the weighted data mean once before fitting, which keeps second-moment
formulas accurate for data far from the origin).

Conventions follow scikit-learn: ``precisions_cholesky`` is the upper-triangular
``U`` with ``precision = U @ U.T`` (``U = inv(L).T`` where ``covariance = L @ L.T``).
mclust names the same structures ``VVV`` (full), ``EEE`` (tied), ``VVI`` (diag) and
``VII`` (spherical).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from bayesgmm._numerics import (
    LOG_2PI,
    cholesky_with_jitter,
    default_variance_floor,
    precision_cholesky_from_chol,
)
from bayesgmm._typing import CovarianceType

__all__ = [
    "COVARIANCE_TYPES",
    "MCLUST_NAMES",
    "CovarianceModel",
    "SufficientStatistics",
    "get_covariance_model",
]

#: the tiny count scikit-learn adds to every component's weight sum (``10 * eps``).
NK_EPS = 10.0 * np.finfo(np.float64).eps


@dataclass
class SufficientStatistics:
    """Weighted sufficient statistics of one E-step, summed over samples.

    Parameters
    ----------
    nk : ndarray of shape (n_components,)
        Sum of (sample-weighted) responsibilities per component.
    moments : ndarray of shape (n_components, n_stat_features)
        ``resp.T @ features``: first moments in the first ``n_features`` columns,
        followed by the diagonal (diag) or trace (spherical) second moments.
    outer : ndarray of shape (n_components, n_features, n_features) or None
        Weighted outer products per component (full covariance only).
    log_likelihood : float
        Sum over samples of ``weight * log p(x)``.
    total_weight : float
        Sum of the sample weights.
    """

    nk: NDArray[np.float64]
    moments: NDArray[np.float64]
    outer: NDArray[np.float64] | None
    log_likelihood: float
    total_weight: float


class CovarianceModel:
    """One covariance structure: its shapes, log-density and M-step.

    Subclasses implement the methods below for one covariance type. Instances carry
    no data and are shared; get them with :func:`get_covariance_model`.
    """

    name: ClassVar[str]
    mclust_name: ClassVar[str]
    #: one covariance shared by every component (its estimate pools all points)
    shared_covariance: ClassVar[bool] = False
    #: each component has its own dense covariance (EM accumulates D x D outer products)
    dense_per_component: ClassVar[bool] = False

    # --- shapes and counts -------------------------------------------------------
    def covariance_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of ``covariances_`` (and of ``precisions_``) for this type."""
        raise NotImplementedError

    def n_covariance_parameters(self, n_components: int, n_features: int) -> int:
        """Number of free covariance parameters."""
        raise NotImplementedError

    def n_component_parameters(self, n_features: int) -> int:
        """Free parameters estimated from one component's points alone.

        Its mean, its weight and, unless the covariance is shared (``tied``), its
        covariance. A component holding fewer effective samples than this is
        degenerate: its estimates are set by the regulariser and the start.

        Examples
        --------
        >>> get_covariance_model("full").n_component_parameters(2)
        6
        >>> get_covariance_model("tied").n_component_parameters(2)
        3
        """
        own = 0 if self.shared_covariance else self.n_covariance_parameters(1, n_features)
        return n_features + 1 + own

    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Number of free parameters of the whole mixture (weights, means, covariances).

        Examples
        --------
        >>> get_covariance_model("full").n_parameters(3, 2)
        17
        """
        return (
            self.n_covariance_parameters(n_components, n_features)
            + n_components * n_features
            + n_components
            - 1
        )

    # --- features streamed by the EM core --------------------------------------------
    def n_stored_rows(self, n_features: int) -> int:
        """Rows of the prepared data: the per-sample features, ending in a row of ones.

        Full and tied store ``[x, 1]``, diag ``[x, x**2, 1]``, spherical
        ``[x, |x|**2, 1]`` (``x`` centred). Log-densities and the M-step's sufficient
        statistics are then matrix products with these columns, and the last column
        of ``resp @ features.T`` is the responsibility sum ``nk``.
        """
        return n_features + 1

    def complete_stored(self, stored_t: NDArray[np.float64], n_features: int) -> None:
        """Fill the rows after the first ``n_features`` (centred data) in place."""
        stored_t[-1] = 1.0

    def n_stat_features(self, n_features: int) -> int:
        """Columns of the moments ``resp @ features.T`` (equals :meth:`n_stored_rows`)."""
        return self.n_stored_rows(n_features)

    def block_features(self, stored_t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Features of one block of samples, ``(n_stat_features, n_block)``."""
        return stored_t

    def data_statistic(
        self, xc_t: NDArray[np.float64], sample_weight: NDArray[np.float64] | None
    ) -> NDArray[np.float64] | None:
        """Statistics of the data that do not change between EM iterations."""
        return None

    # --- E-step ----------------------------------------------------------------------
    def prepare(
        self,
        weights: NDArray[np.float64],
        means: NDArray[np.float64],
        precisions_cholesky: NDArray[np.float64],
    ) -> tuple:
        """Precompute the per-iteration constants used by :meth:`weighted_log_prob`."""
        raise NotImplementedError

    def weighted_log_prob(self, feat_t: NDArray[np.float64], state: tuple) -> NDArray[np.float64]:
        """``log w_k + log N(x | mu_k, Sigma_k)`` as an array of shape ``(K, n)``.

        ``feat_t`` is a column block of :meth:`features_t`.
        """
        raise NotImplementedError

    # --- M-step ----------------------------------------------------------------------
    def accumulate_outer(
        self, feat_t: NDArray[np.float64], resp: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        """Extra second-moment statistics of one block (full covariance only)."""
        return None

    def estimate_covariances(
        self,
        stats: SufficientStatistics,
        nk: NDArray[np.float64],
        means: NDArray[np.float64],
        reg_covar: float,
        data_statistic: NDArray[np.float64] | None,
    ) -> NDArray[np.float64]:
        """Weighted maximum-likelihood covariances plus ``reg_covar`` on the diagonal."""
        raise NotImplementedError

    def covariances_from_second_moments(
        self,
        second_moments: NDArray[np.float64],
        nk: NDArray[np.float64],
        means: NDArray[np.float64],
        reg_covar: float,
    ) -> NDArray[np.float64]:
        """M-step covariances from full per-component second moments.

        The structure-constrained maximiser of the expected log-likelihood depends on
        the data only through the scatter matrices ``S_k = M_k / n_k - mu_k mu_k^T``,
        where ``M_k = sum_i w_i r_ik E[x_i x_i^T]``: full keeps ``S_k``, tied pools
        them (``sum_k n_k S_k / sum_k n_k``), diag keeps their diagonals and spherical
        the mean of those. The missing-data EM (:mod:`bayesgmm.missing`) supplies
        ``M_k`` with the conditional covariance of the missing coordinates added;
        for complete data the result equals :meth:`estimate_covariances`.

        Parameters
        ----------
        second_moments : ndarray of shape (n_components, n_features, n_features)
            ``M_k``: weighted (expected) second moments about the origin.
        nk : ndarray of shape (n_components,)
            Weighted responsibility sums ``n_k``.
        means : ndarray of shape (n_components, n_features)
            Component means ``mu_k`` (in the same coordinates as ``M_k``).
        reg_covar : float
            Added to the diagonal (to every variance).

        Returns
        -------
        ndarray
            Covariances shaped like ``GaussianMixture.covariances_`` for this type.

        Examples
        --------
        >>> X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 2.0]])
        >>> second, nk, means = (X.T @ X)[None], np.array([3.0]), X.mean(axis=0)[None]
        >>> get_covariance_model("diag").covariances_from_second_moments(second, nk, means, 0.0)
        array([[2.66666667, 0.66666667]])
        >>> get_covariance_model("spherical").covariances_from_second_moments(
        ...     second, nk, means, 0.0
        ... )
        array([1.66666667])
        """
        raise NotImplementedError

    # --- conversions -------------------------------------------------------------------
    def precisions_cholesky(
        self,
        covariances: NDArray[np.float64],
        variance_floor: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], list[int]]:
        """Cholesky factors of the precisions, repairing singular covariances.

        A covariance that is not positive definite, or has a (conditional) variance
        below ``variance_floor``, gets the floor (times the smallest power of ten that
        works) added to its diagonal. ``variance_floor`` is per feature, shape
        ``(n_features,)``; by default ``RELATIVE_VARIANCE_FLOOR`` times the mean
        diagonal of ``covariances``. The EM core passes ``RELATIVE_VARIANCE_FLOOR``
        times the data's variances, so repairs are scale-free and stable from one
        iteration to the next.

        Returns
        -------
        precisions_cholesky : ndarray
        covariances : ndarray
            The covariances actually used (with jitter added where repaired).
        repaired : list of int
            Indices of the components whose covariance needed jitter.
        """
        raise NotImplementedError

    def precisions_cholesky_from_precisions(
        self, precisions: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Upper-triangular ``U`` with ``precision = U @ U.T``."""
        raise NotImplementedError

    def covariances_from_precisions_cholesky(
        self, precisions_cholesky: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Covariances implied by precision Cholesky factors."""
        raise NotImplementedError

    def precisions_from_cholesky(
        self, precisions_cholesky: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Precisions ``U @ U.T`` from their Cholesky factors."""
        raise NotImplementedError

    def log_det_cholesky(
        self, precisions_cholesky: NDArray[np.float64], n_components: int, n_features: int
    ) -> NDArray[np.float64]:
        """``log det U`` per component (half the log-determinant of the precision)."""
        raise NotImplementedError

    def regularisation(self, reg_covar: float, n_features: int) -> Any:
        """``reg_covar`` as EM adds it to this type's ``covariances_`` (broadcastable).

        Examples
        --------
        >>> get_covariance_model("full").regularisation(0.5, 2).tolist()
        [[0.5, 0.0], [0.0, 0.5]]
        >>> get_covariance_model("diag").regularisation(0.5, 2)
        0.5
        """
        return reg_covar * np.eye(n_features) if self.dense_per_component else reg_covar

    def smallest_variances(
        self, covariances: NDArray[np.float64], n_components: int, scale: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Smallest variance along any direction, per component ``(K,)``.

        Measured in units of ``scale`` (per-feature variances, usually the data's),
        so the answer does not depend on the units of the features.
        """
        raise NotImplementedError

    def full_covariances(
        self, covariances: NDArray[np.float64], n_components: int, n_features: int
    ) -> NDArray[np.float64]:
        """Covariances as ``(..., K, D, D)`` matrices, whatever the structure.

        Parameters
        ----------
        covariances : ndarray
            Covariances shaped like ``GaussianMixture.covariances_``, optionally with
            leading axes (e.g. posterior draws).
        n_components, n_features : int
            ``K`` and ``D`` (a tied matrix does not show ``K``, a spherical one ``D``).

        Returns
        -------
        ndarray of shape (..., K, D, D)

        Examples
        --------
        >>> get_covariance_model("spherical").full_covariances(np.array([1.0, 4.0]), 2, 1)[1]
        array([[4.]])
        >>> get_covariance_model("tied").full_covariances(np.eye(2), 3, 2).shape
        (3, 2, 2)
        """
        raise NotImplementedError

    def covariance_factor(self, covariances: NDArray[np.float64], k: int) -> NDArray[np.float64]:
        """A factor ``A`` of component ``k``'s covariance (``A @ A.T = Sigma_k``).

        Returned as a ``(D, D)`` matrix or, for diagonal structures, a ``(D,)`` or
        scalar standard deviation that multiplies standard normal draws.
        """
        raise NotImplementedError

    def sample(
        self,
        rng: np.random.Generator,
        means: NDArray[np.float64],
        covariances: NDArray[np.float64],
        counts: NDArray[np.int64],
    ) -> NDArray[np.float64]:
        """Draw ``counts[k]`` points from each component, stacked in component order."""
        n_features = means.shape[1]
        blocks = []
        for k, count in enumerate(counts):
            noise = rng.standard_normal((int(count), n_features))
            factor = self.covariance_factor(covariances, k)
            blocks.append(means[k] + (noise @ factor.T if np.ndim(factor) == 2 else noise * factor))
        return np.concatenate(blocks) if blocks else np.empty((0, n_features))

    def validate_precisions(
        self, precisions: NDArray[np.float64], n_components: int, n_features: int
    ) -> NDArray[np.float64]:
        """Check user-given ``precisions_init``; raise ``ValueError`` with the fix."""
        expected = self.covariance_shape(n_components, n_features)
        if precisions.shape != expected:
            raise ValueError(
                f"precisions_init for covariance_type={self.name!r} must have shape "
                f"{expected} (n_components={n_components}, n_features={n_features}); "
                f"got shape {precisions.shape}."
            )
        return precisions

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


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


_MODELS: dict[str, CovarianceModel] = {
    model.name: model
    for model in (FullCovariance(), TiedCovariance(), DiagCovariance(), SphericalCovariance())
}

#: the covariance types, in the order scikit-learn documents them.
COVARIANCE_TYPES: tuple[CovarianceType, ...] = ("full", "tied", "diag", "spherical")
#: mclust's model names for the same structures.
MCLUST_NAMES: dict[str, str] = {name: model.mclust_name for name, model in _MODELS.items()}


def get_covariance_model(covariance_type: str) -> CovarianceModel:
    """Return the :class:`CovarianceModel` for a covariance type.

    Parameters
    ----------
    covariance_type : {"full", "tied", "diag", "spherical"}
        Name of the covariance structure. mclust's names (``"VVV"``, ``"EEE"``,
        ``"VVI"``, ``"VII"``) are accepted as aliases.

    Returns
    -------
    CovarianceModel
        The shared object describing that structure.

    Raises
    ------
    ValueError
        If the name is not one of the allowed values.

    Examples
    --------
    >>> model = get_covariance_model("diag")
    >>> model.n_parameters(n_components=2, n_features=3)
    13
    >>> get_covariance_model("EEE").name
    'tied'
    """
    if isinstance(covariance_type, str):
        if covariance_type in _MODELS:
            return _MODELS[covariance_type]
        for model in _MODELS.values():
            if covariance_type.upper() == model.mclust_name:
                return model
    raise ValueError(
        f"covariance_type must be one of {list(COVARIANCE_TYPES)} (or mclust's "
        f"{list(MCLUST_NAMES.values())}); got {covariance_type!r}."
    )
