"""The covariance-model interface and the sufficient statistics EM accumulates.

:class:`CovarianceModel` is what the EM engine, the data passes and the Bayesian model
ask of a covariance structure; :mod:`bayesgmm.covariance.models` implements it for
each type. :class:`SufficientStatistics` is the one statistics type of a complete-data
pass (weighted counts, first moments and, for dense types, outer products).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.types import CovarianceType  # noqa: F401  (documented types)

__all__ = ["NK_EPS", "CovarianceModel", "SufficientStatistics"]

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
    noise_nk : float
        Sum of the (sample-weighted) responsibilities of a uniform noise component
        (0 without one); ``nk`` then sums the Gaussian components' only.
    data_statistic : ndarray or None
        With a noise component, the covariance model's data statistic of the
        Gaussian share of the data (rows weighted by ``1 - noise responsibility``),
        which replaces the data's own; None otherwise.
    """

    nk: NDArray[np.float64]
    moments: NDArray[np.float64]
    outer: NDArray[np.float64] | None
    log_likelihood: float
    total_weight: float
    noise_nk: float = 0.0
    data_statistic: NDArray[np.float64] | None = None


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
    #: covariances (and precisions) are stored as D x D matrices (full and tied)
    matrices: ClassVar[bool] = False
    #: whether the M-step runs compiled code (Numba) in any case
    compiled_mstep: ClassVar[bool] = False

    # --- naming and component axes -------------------------------------------------
    def mclust_label(self, n_features: int) -> str:
        """The model's name in mclust; one-dimensional models are called E and V there.

        Examples
        --------
        >>> from bayesgmm.covariance import get_covariance_model
        >>> (
        ...     get_covariance_model("tied").mclust_label(2),
        ...     get_covariance_model("diag").mclust_label(1),
        ... )
        ('EEE', 'V')
        """
        if n_features == 1:  # only the volume is left
            return self.mclust_name[0]
        return self.mclust_name

    def take_components(self, array: NDArray[Any], index: Any) -> NDArray[Any]:
        """Covariances (or precisions) of components ``index``; a shared one as is.

        ``index`` reorders, repeats or drops components.

        Examples
        --------
        >>> from bayesgmm.covariance import get_covariance_model
        >>> import numpy as np
        >>> get_covariance_model("spherical").take_components(np.array([1.0, 2.0]), [1, 0, 1])
        array([2., 1., 2.])
        >>> get_covariance_model("tied").take_components(np.eye(2), [1, 0]).shape
        (2, 2)
        """
        return array if self.shared_covariance else array[index]

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
        >>> from bayesgmm.covariance import get_covariance_model
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
        >>> from bayesgmm.covariance import get_covariance_model
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

    def unconstrained_estimates(
        self,
        stats: SufficientStatistics,
        nk: NDArray[np.float64],
        means: NDArray[np.float64],
        data_statistic: NDArray[np.float64] | None,
    ) -> NDArray[np.float64]:
        """Maximum-likelihood covariances before the model's constraint, in its storage.

        Each component's own estimate for the constrained models (what the
        conjugate-prior M-step of :mod:`bayesgmm.em.map_prior` starts from); the model's
        estimate, without ``reg_covar``, for the others.

        Examples
        --------
        >>> from bayesgmm.covariance import SufficientStatistics, get_covariance_model
        >>> nk, means = np.array([2.0, 2.0]), np.array([[0.0], [0.0]])
        >>> outer = np.array([[[2.0]], [[8.0]]])  # sum of x x' per component
        >>> stats = SufficientStatistics(nk, np.c_[means * nk[:, None], nk], outer, 0.0, 4.0)
        >>> get_covariance_model("EEV").unconstrained_estimates(stats, nk, means, None).ravel()
        array([1., 4.])
        >>> get_covariance_model("EEV").estimate_covariances(stats, nk, means, 0.0, None).ravel()
        array([2.5, 2.5])
        """
        return self.estimate_covariances(stats, nk, means, 0.0, data_statistic)

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
        the mean of those. The missing-data EM (:mod:`bayesgmm.em.missing`) supplies
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
        >>> from bayesgmm.covariance import get_covariance_model
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
        >>> from bayesgmm.covariance import get_covariance_model
        >>> get_covariance_model("full").regularisation(0.5, 2).tolist()
        [[0.5, 0.0], [0.0, 0.5]]
        >>> get_covariance_model("diag").regularisation(0.5, 2)
        0.5
        """
        return reg_covar * np.eye(n_features) if self.matrices else reg_covar

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
        >>> from bayesgmm.covariance import get_covariance_model
        >>> get_covariance_model("spherical").full_covariances(np.array([1.0, 4.0]), 2, 1)[1]
        array([[4.]])
        >>> get_covariance_model("tied").full_covariances(np.eye(2), 3, 2).shape
        (3, 2, 2)
        """
        raise NotImplementedError

    def covariances_from_full(self, full: NDArray[np.float64]) -> NDArray[np.float64]:
        """The model's covariances from ``(K, D, D)`` matrices of its structure.

        The inverse of :meth:`full_covariances` (the matrices must have the structure:
        equal for tied, diagonal for diag and spherical models).

        Examples
        --------
        >>> from bayesgmm.covariance import get_covariance_model
        >>> full = np.array([[[2.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [0.0, 3.0]]])
        >>> get_covariance_model("spherical").covariances_from_full(full)
        array([2., 3.])
        >>> get_covariance_model("diag").covariances_from_full(full).shape
        (2, 2)
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
