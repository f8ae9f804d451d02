"""Draws of a mixture's parameters, flattened over chains, and their densities.

:class:`ParameterDraws` is what :meth:`bayesgmm.GaussianMixture.parameter_draws` (one
plug-in draw) and :meth:`bayesgmm.BayesianGaussianMixture.parameter_draws` (the
posterior draws) return: the draws every consumer of a fitted mixture reads (plots,
predictive checks, memberships, anomaly scores). :mod:`bayesgmm.bayes.posterior`
re-exports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.numerics import exp_normalize
from bayesgmm.covariance import CovarianceModel, get_covariance_model
from bayesgmm.em.missing import group_by_pattern, marginal_log_prob
from bayesgmm.em.passes import prepare_data

__all__ = ["ParameterDraws"]


@dataclass(frozen=True)
class ParameterDraws:
    """Draws of a mixture's parameters, flattened over chains (draw ``s = chain * n_draws + draw``).

    Attributes
    ----------
    covariance_type : str
        The covariance model of ``covariances``.
    weights : ndarray of shape (S, K)
    means : ndarray of shape (S, K, D)
    covariances : ndarray of shape (S, ...)
        The covariance model's own shape per draw (``(K, D, D)`` full, ...).
    n_chains, n_draws : int
        ``S = n_chains * n_draws`` (1 and 1 for a plug-in EM fit).

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> X = load_faithful().to_numpy()
    >>> draws = GaussianMixture(2, random_state=0).fit(X).parameter_draws()
    >>> draws.size, draws.full_covariances().shape, draws.log_likelihood(X).shape
    (1, (1, 2, 2, 2), (1, 272))
    """

    covariance_type: str
    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    covariances: NDArray[np.float64]
    n_chains: int = 1
    n_draws: int = 1

    @property
    def size(self) -> int:
        """Number of draws ``S``."""
        return len(self.weights)

    @property
    def model(self) -> CovarianceModel:
        """The covariance model of :attr:`covariances`."""
        return get_covariance_model(self.covariance_type)

    def full_covariances(self) -> NDArray[np.float64]:
        """Covariances as full matrices, shape ``(S, K, D, D)``."""
        K, D = self.means.shape[1:]
        return self.model.full_covariances(self.covariances, K, D)

    def take(self, picks: NDArray[np.intp]) -> ParameterDraws:
        """The draws ``picks`` (as one chain)."""
        return ParameterDraws(
            self.covariance_type,
            self.weights[picks],
            self.means[picks],
            self.covariances[picks],
            1,
            len(picks),
        )

    def log_prob(self, X: NDArray[np.float64]) -> Iterator[tuple[int, NDArray[np.float64]]]:
        """Yield ``(s, (K, n) weighted log-densities log w_k + log N(x_i | mu_k, Sigma_k))``.

        Rows with NaN get the densities of their observed cells (marginal).
        """
        model = self.model
        if np.isnan(X).any():
            center = np.nanmean(X, axis=0)
            incomplete = group_by_pattern(X, center)
            full = self.full_covariances()
            for s in range(self.size):
                yield (
                    s,
                    marginal_log_prob(incomplete, self.weights[s], self.means[s] - center, full[s]),
                )
            return
        center = X.mean(axis=0)
        stored_t = prepare_data(model, self.means.shape[1], X, center).stored_t
        assert stored_t is not None  # prepare_data stores the data (it does not stream them)
        for s in range(self.size):
            prec_chol, _, _ = model.precisions_cholesky(self.covariances[s])
            state = model.prepare(self.weights[s], self.means[s] - center, prec_chol)
            yield s, model.weighted_log_prob(stored_t, state)

    def log_likelihood(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Pointwise log-likelihood ``(S, n)`` of the rows of ``X`` under every draw."""
        values = np.empty((self.size, X.shape[0]))
        for s, log_prob in self.log_prob(X):
            values[s] = exp_normalize(log_prob, floor=None)
        return values
