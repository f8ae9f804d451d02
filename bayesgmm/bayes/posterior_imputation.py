"""Multiple imputation from a fitted posterior, one posterior draw per imputation.

:class:`PosteriorImputation` gives :class:`bayesgmm.bayes.draw_summaries.FittedPosterior`
(and so :class:`~bayesgmm.bayes.BayesianGaussianMixture`) its :meth:`~PosteriorImputation.impute`
and :meth:`~PosteriorImputation.impute_mean`, from the draws of ``parameter_draws()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.validation import check_random_state, is_int, like_input
from bayesgmm.em.missing import draw_missing_cells, group_by_pattern, impute_conditional_means
from bayesgmm.em.parameter_draws import ParameterDraws

__all__ = ["DEFAULT_MAX_IMPUTATIONS", "PosteriorImputation"]

#: imputations made by :meth:`PosteriorImputation.impute` by default (at most one per
#: posterior draw)
DEFAULT_MAX_IMPUTATIONS = 1000


class PosteriorImputation:
    """Imputations of missing cells from posterior draws (a mixin).

    The subclass provides ``parameter_draws()``, ``_validate_X(X, allow_nan)`` and
    ``idata_`` (its posterior's ``feature`` coordinate labels the imputations).
    """

    idata_: Any
    parameter_draws: Callable[[], ParameterDraws]
    _validate_X: Callable[..., NDArray[np.float64]]

    def impute(
        self,
        X: ArrayLike,
        n_imputations: int | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> xr.DataArray:
        """Multiple imputations of the missing (NaN) cells, one posterior draw each.

        Imputation ``i`` takes posterior draw ``theta_s``, then for every row with
        observed cells ``x_o`` draws a component ``k ~ p(k | x_o, theta_s)`` and the
        missing cells from their conditional normal distribution in that component,
        ``x_m ~ N(mu_km + Sigma_k,mo Sigma_k,oo^{-1} (x_o - mu_ko), Sigma_k,mm -
        Sigma_k,mo Sigma_k,oo^{-1} Sigma_k,om)``. The imputations are therefore draws
        from the posterior predictive distribution of the missing cells given the
        observed ones: they carry both the parameter uncertainty and the residual
        variation, as proper multiple imputation (Rubin's rules) needs. Observed cells
        are copied unchanged. Works whatever ``missing`` is set to; infinite values and
        rows with every cell missing are errors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with NaN for missing cells (typically the training data).
        n_imputations : int, default=None
            Number of imputations. ``None``: one per posterior draw, at most
            ``DEFAULT_MAX_IMPUTATIONS`` (1000; evenly spaced draws over all chains
            beyond that). An explicit number up to the number of draws takes evenly
            spaced draws; a larger number cycles through the draws (each reuse draws
            new components and cells).
        random_state : int, numpy.random.Generator or None, default=None
            Seed of the component and cell draws.

        Returns
        -------
        xarray.DataArray
            Named ``imputed``, dims ``(imputation, obs_id, feature)``, with
            coordinates ``chain`` and ``draw`` along ``imputation`` (the posterior draw
            each imputation used). ``.values`` is an ndarray of shape
            ``(n_imputations, n_samples, n_features)``; the memory is
            ``n_imputations * n_samples * n_features`` floats.

        See Also
        --------
        impute_mean : the posterior mean of the missing cells.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import load_faithful
        >>> X = load_faithful().to_numpy()
        >>> X[::10, 1] = np.nan
        >>> from bayesgmm import BayesianGaussianMixture
        >>> bgm = BayesianGaussianMixture(
        ...     2, missing="marginalize", draws=200, tune=200, chains=2, progressbar=False
        ... ).fit(X)  # doctest: +SKIP
        >>> imputed = bgm.impute(X, n_imputations=20, random_state=0)  # doctest: +SKIP
        >>> imputed.sizes  # doctest: +SKIP
        Frozen({'imputation': 20, 'obs_id': 272, 'feature': 2})
        >>> imputed.std("imputation").values[0] > 0  # doctest: +SKIP
        array([False,  True])
        """
        array = self._validate_X(X, allow_nan=True)
        _refuse_noise(self, "impute")
        rng = check_random_state(random_state)
        draws = self.parameter_draws()
        n_total = draws.size
        if n_imputations is None:
            picks = _spaced(n_total, min(n_total, DEFAULT_MAX_IMPUTATIONS))
        else:
            if not is_int(n_imputations) or n_imputations < 1:
                raise ValueError(
                    f"n_imputations must be None or an integer >= 1; got {n_imputations!r}."
                )
            n = int(n_imputations)
            picks = _spaced(n_total, n) if n <= n_total else np.arange(n) % n_total
        out = np.broadcast_to(array, (len(picks), *array.shape)).copy()
        if np.isnan(array).any():
            center = np.nanmean(array, axis=0)
            incomplete = group_by_pattern(array, center)
            full = draws.full_covariances()
            for i, s in enumerate(picks):
                means = draws.means[s] - center
                draw_missing_cells(out[i], incomplete, draws.weights[s], means, full[s], rng)
        return xr.DataArray(
            out,
            dims=("imputation", "obs_id", "feature"),
            coords={
                "imputation": np.arange(len(picks)),
                "obs_id": np.arange(array.shape[0]),
                "feature": self.idata_["posterior"]["feature"].values,
                "chain": ("imputation", picks // draws.n_draws),
                "draw": ("imputation", picks % draws.n_draws),
            },
            name="imputed",
        )

    def impute_mean(self, X: ArrayLike) -> NDArray[np.float64] | Any:
        """Fill the missing (NaN) cells with their posterior mean.

        ``E[x_m | x_o, data] = E_theta[ sum_k p(k | x_o, theta) (mu_km + Sigma_k,mo
        Sigma_k,oo^{-1} (x_o - mu_ko)) ]``: the conditional expectation of
        :meth:`GaussianMixture.impute <bayesgmm.GaussianMixture.impute>` averaged over
        the posterior draws (the mean of infinitely many :meth:`impute` draws). Use
        :meth:`impute` when the uncertainty of the imputed values matters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with NaN for missing cells.

        Returns
        -------
        ndarray or pandas.DataFrame of shape (n_samples, n_features)
            A copy of ``X`` without NaN (a DataFrame, with the same index and columns,
            when ``X`` is one).

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import load_faithful
        >>> X = load_faithful().to_numpy()
        >>> X[::10, 1] = np.nan
        >>> from bayesgmm import BayesianGaussianMixture
        >>> bgm = BayesianGaussianMixture(
        ...     2, missing="marginalize", draws=200, tune=200, chains=2, progressbar=False
        ... ).fit(X)  # doctest: +SKIP
        >>> np.isnan(bgm.impute_mean(X)).any()  # doctest: +SKIP
        np.False_
        """
        array = self._validate_X(X, allow_nan=True)
        _refuse_noise(self, "impute_mean")
        filled = array.copy()
        if np.isnan(array).any():
            draws = self.parameter_draws()
            center = np.nanmean(array, axis=0)
            incomplete = group_by_pattern(array, center)
            full = draws.full_covariances()
            total = np.zeros_like(array)
            for s in range(draws.size):
                means = draws.means[s] - center
                total += impute_conditional_means(
                    array, incomplete, draws.weights[s], means, full[s]
                )
            filled = np.where(np.isnan(array), total / draws.size, array)
        return like_input(X, filled)


def _refuse_noise(model: Any, method: str) -> None:
    """ValueError: imputations of a model with the noise component are not defined yet."""
    if getattr(model, "noise", False):
        raise ValueError(
            f"{method} is not available with noise=True: the imputations draw the missing "
            "cells from the Gaussian components and would ignore the noise component. Fit "
            "with noise=False to impute."
        )


def _spaced(n_total: int, n: int) -> NDArray[np.intp]:
    """``n <= n_total`` evenly spaced indices in ``range(n_total)`` (all when equal)."""
    return np.linspace(0, n_total - 1, n).round().astype(np.intp)
