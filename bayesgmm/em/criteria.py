"""Model-selection criteria of a fitted EM mixture: BIC, AIC, ICL, from one pass.

:class:`MixtureCriteria` adds them to :class:`bayesgmm.em.fitted_base.FittedMixture`;
:meth:`MixtureCriteria.criteria` computes all of them (and the log-likelihood) from
one pass over the data, which is what model-selection grids use.
"""

from __future__ import annotations

import math
from typing import Any

from numpy.typing import ArrayLike

from bayesgmm.core.validation import ValidatedData, check_sample_weight
from bayesgmm.em.dask_arrays import is_dask_array, sum_log_likelihood
from bayesgmm.em.fitted_base import FittedMixture

__all__ = ["MixtureCriteria"]


def _weight_of(X: Any, sample_weight: Any) -> Any:
    """``sample_weight``, else the weights a :class:`ValidatedData` carries."""
    if sample_weight is None and isinstance(X, ValidatedData):
        return X.sample_weight
    return sample_weight


class MixtureCriteria(FittedMixture):
    """Information criteria (lower is better, scikit-learn's sign) of a fitted mixture."""

    def _n_parameters(self) -> int:
        """Number of free parameters of the fitted model."""
        n_gaussian = self._model.n_parameters(self.n_components, self.means_.shape[1])
        # a noise component adds its proportion and its hypervolume, as mclust counts
        return n_gaussian + 2 * self._has_noise

    def _total_log_likelihood(self, X: ArrayLike, sample_weight) -> tuple[float, float]:
        if is_dask_array(X):
            self._check_is_fitted()
            return sum_log_likelihood(self.score_samples, self.n_features_in_, X, sample_weight)
        norm = self.score_samples(X)
        weight = check_sample_weight(_weight_of(X, sample_weight), len(norm))
        if weight is None:
            return float(norm.sum()), float(len(norm))
        return float(weight @ norm), float(weight.sum())

    def bic(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Bayesian information criterion on ``X`` (lower is better).

        ``-2 log L + p log n``; mclust's BIC is the negative of this.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights (``n`` is then their sum).

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> one = GaussianMixture(1).fit(X).bic(X)
        >>> five = GaussianMixture(5, random_state=0).fit(X).bic(X)
        >>> bool(one < five)
        True
        """
        log_lik, n = self._total_log_likelihood(X, sample_weight)
        return -2.0 * log_lik + self._n_parameters() * math.log(n)

    def aic(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Akaike information criterion on ``X`` (lower is better): ``-2 log L + 2 p``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> gm = GaussianMixture(1).fit(X)
        >>> bool(np.isclose(gm.aic(X), -2 * gm.score(X) * 100 + 2 * 2))
        True
        """
        log_lik, _ = self._total_log_likelihood(X, sample_weight)
        return -2.0 * log_lik + 2.0 * self._n_parameters()

    def icl(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Integrated completed likelihood criterion (mclust's definition; lower is better).

        ``icl = bic + 2 * sum_i -log(max_k tau_ik)``, where ``tau_ik`` are the
        posterior probabilities (:meth:`predict_proba`): BIC plus twice the entropy of
        the MAP assignment, which penalises overlapping components. mclust's ``icl()``
        reports ``BIC_mclust + 2 sum_i log max_k tau_ik``, the negative of this value.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(200, 1))
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> bool(gm.icl(X) >= gm.bic(X))
        True
        """
        if is_dask_array(X):
            _, _, entropy = self._likelihood_terms(X, sample_weight)
            return self.bic(X, sample_weight=sample_weight) + 2.0 * entropy
        return self.criteria(X, sample_weight)["icl"]

    def _likelihood_terms(self, X: ArrayLike, sample_weight: Any) -> tuple[float, float, float]:
        """``(log-likelihood, total weight, MAP entropy sum_i -log max_k tau_ik)``, one pass."""
        data = self._predict_data(X)
        weight = check_sample_weight(_weight_of(X, sample_weight), data.n_samples)
        return self._prediction_engine().likelihood_terms(self._fitted_params(), data, weight)

    def criteria(self, X: ArrayLike, sample_weight: ArrayLike | None = None) -> dict[str, float]:
        """Log-likelihood, BIC, AIC and ICL on ``X`` from one pass over the data.

        The same values as :meth:`score` times the (weighted) number of rows,
        :meth:`bic`, :meth:`aic` and :meth:`icl`, which each pass over ``X`` once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data (NaN cells with ``missing="marginalize"``).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        dict
            ``log_likelihood``, ``bic``, ``aic``, ``icl`` (lower is better for the
            three criteria) and ``n_parameters``, the free parameters they count.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> values = gm.criteria(X)
        >>> bool(np.isclose(values["bic"], gm.bic(X)) and np.isclose(values["icl"], gm.icl(X)))
        True
        """
        if is_dask_array(X):  # each criterion's own pass over the chunks
            log_lik, _ = self._total_log_likelihood(X, sample_weight)
            return {
                "log_likelihood": log_lik,
                "bic": self.bic(X, sample_weight),
                "aic": self.aic(X, sample_weight),
                "icl": self.icl(X, sample_weight),
                "n_parameters": self._n_parameters(),
            }
        log_lik, n, entropy = self._likelihood_terms(X, sample_weight)
        p = self._n_parameters()
        bic = -2.0 * log_lik + p * math.log(n)
        return {
            "log_likelihood": log_lik,
            "bic": bic,
            "aic": -2.0 * log_lik + 2.0 * p,
            "icl": bic + 2.0 * entropy,
            "n_parameters": p,
        }
