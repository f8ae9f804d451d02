"""What a fitted posterior answers: memberships, predictive densities, imputations.

:class:`FittedPosterior` is the prediction half of
:class:`~bayesgmm.bayes.BayesianGaussianMixture` (as
:class:`bayesgmm.em.fitted_base.FittedMixture` is of :class:`bayesgmm.GaussianMixture`):
every method reads ``idata_`` through :mod:`bayesgmm.bayes.posterior`, so that
memberships, densities, imputations, predictive draws and the summary all come from
the same draws.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.convergence import DIAGNOSED_VARS, Diagnostics, diagnose, varying_vars
from bayesgmm.bayes.posterior import ParameterDraws, draws_from_posterior, parameter_draws
from bayesgmm.core.estimator_api import check_is_fitted
from bayesgmm.core.numerics import exp_normalize
from bayesgmm.core.types import MissingOption
from bayesgmm.core.validation import check_array, check_random_state, is_int, like_input
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.missing import draw_missing_cells, group_by_pattern, impute_conditional_means
from bayesgmm.exceptions import SamplingWarning

__all__ = ["DEFAULT_MAX_IMPUTATIONS", "SUMMARY_VARS", "FittedPosterior"]

#: the sampled parameters summarised and checked after sampling
SUMMARY_VARS = DIAGNOSED_VARS
#: imputations made by :meth:`FittedPosterior.impute` by default (at most one per
#: posterior draw)
DEFAULT_MAX_IMPUTATIONS = 1000


class FittedPosterior:
    """Prediction, imputation, predictive draws and summary of a fitted posterior.

    A base class: the subclass's ``fit`` sets ``idata_`` (with a ``posterior`` of
    ``weights``, ``means`` and ``covariances`` and the ``observed_data``), ``em_``,
    ``n_features_in_`` and ``n_relabelled_``; its parameters include
    ``n_components``, ``covariance_type``, ``missing``, ``priors`` and
    ``random_state``.
    """

    n_components: int
    covariance_type: str
    missing: MissingOption
    priors: Any
    random_state: Any
    # set by the subclass's fit
    idata_: xr.DataTree
    n_features_in_: int

    # ------------------------------------------------------------------ state
    def _check_is_fitted(self) -> None:
        check_is_fitted(self, "idata_")

    def _parameter_draws(self) -> ParameterDraws:
        return draws_from_posterior(self.idata_["posterior"].to_dataset(), self.covariance_type)

    def _set_posterior_means(self) -> None:
        """``weights_``, ``means_``, ``covariances_``, ``precisions_cholesky_``."""
        post = self.idata_["posterior"].to_dataset()
        self.weights_ = post["weights"].mean(("chain", "draw")).values
        self.means_ = post["means"].mean(("chain", "draw")).values
        self.covariances_ = post["covariances"].mean(("chain", "draw")).values
        model_type = get_covariance_model(self.covariance_type)
        self.precisions_cholesky_, _, _ = model_type.precisions_cholesky(self.covariances_)

    def _check_diagnostics(self) -> Diagnostics:
        """Diagnose ``idata_`` (:func:`~bayesgmm.bayes.convergence.diagnose`), warn per failure."""
        self.diagnostics_ = diagnose(self.idata_, self._random_vars())
        self.diagnostics_ok_ = self.diagnostics_.ok
        for message in self.diagnostics_.messages:
            warnings.warn(message, SamplingWarning, stacklevel=3)
        return self.diagnostics_

    def _random_vars(self) -> list[str]:
        """The summary variables that vary (with one component the weight is 1)."""
        return varying_vars(self.n_components)

    def _validate_X(self, X: ArrayLike, allow_nan: bool | None = None) -> NDArray[np.float64]:
        self._check_is_fitted()
        if allow_nan is None:
            allow_nan = self.missing == "marginalize"
        hint = "Set missing='marginalize' to evaluate them on their observed features, or "
        array, _ = check_array(X, allow_nan=allow_nan, nan_hint=hint + "impute or drop them.")
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {array.shape[1]} features, but the model was fitted with "
                f"{self.n_features_in_}."
            )
        return array

    # ------------------------------------------------------------------ results
    def summary(self, **kwargs: Any):
        """ArviZ summary of weights, means and covariances (94% HDI).

        Parameters
        ----------
        **kwargs : dict
            Passed to ``arviz.summary`` (e.g. ``ci_prob``, ``kind``).

        Returns
        -------
        pandas.DataFrame
            mean, sd, HDI bounds, r_hat, ess_bulk, ess_tail, ... Each row's mean,
            sd, interval bounds and Monte Carlo errors are rounded to the same
            decimal place, three significant digits of its sd (ArviZ's default
            rounds to two significant digits, which can put an interval's rounded
            bounds on its mean); pass ``round_to`` to choose otherwise.

        Examples
        --------
        >>> from bayesgmm import BayesianGaussianMixture
        >>> from bayesgmm import load_faithful
        >>> bgm = BayesianGaussianMixture(2, draws=300, tune=300, chains=2, progressbar=False)
        >>> bgm.fit(load_faithful()).summary()[
        ...     ["mean", "sd", "hdi94_lb", "hdi94_ub"]
        ... ]  # doctest: +SKIP
        """
        import arviz as az

        self._check_is_fitted()
        options = {
            "var_names": self._random_vars(),
            "ci_prob": 0.94,
            "ci_kind": "hdi",
            "round_to": "none",
        }
        options.update(kwargs)
        table = az.summary(self.idata_, **options)
        if "round_to" in kwargs:
            return table
        return round_summary(table)

    def memberships(self, X: ArrayLike) -> xr.DataArray:
        """Membership probabilities of every sample under every posterior draw.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, obs_id, component)``; quantiles over
            ``("chain", "draw")`` give credible intervals for each membership.
        """
        array = self._validate_X(X)
        draws = self._parameter_draws()
        out = np.empty((draws.size, array.shape[0], self.n_components))
        for s, log_prob in draws.log_prob(array):
            exp_normalize(log_prob, floor=None)  # in place: log-probs -> memberships
            out[s] = log_prob.T
        return xr.DataArray(
            out.reshape(draws.n_chains, draws.n_draws, array.shape[0], self.n_components),
            dims=("chain", "draw", "obs_id", "component"),
            name="membership",
        )

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior mean membership probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        array = self._validate_X(X)
        draws = self._parameter_draws()
        total = np.zeros((self.n_components, array.shape[0]))
        for _, log_prob in draws.log_prob(array):
            exp_normalize(log_prob, floor=None)
            total += log_prob
        return (total / draws.size).T

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """Component with the highest posterior mean membership.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log posterior predictive density ``log mean_s p(x | theta_s)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        per_draw = self.log_likelihood(X).values
        per_draw = per_draw.reshape(-1, per_draw.shape[-1])  # (draws, rows)
        return exp_normalize(per_draw, floor=None) - np.log(len(per_draw))

    def log_likelihood(self, X: ArrayLike) -> xr.DataArray:
        """Pointwise log-likelihood of new rows under every posterior draw.

        ``log p(x_i | theta_s)`` (marginal over missing cells with
        ``missing="marginalize"``): the ``log_likelihood`` group of ``idata_``, for
        any data (held-out rows, LOO or WAIC on new data, per-draw anomaly scores).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        xarray.DataArray
            Named ``obs``, dims ``(chain, draw, obs_id)``.

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> from bayesgmm import BayesianGaussianMixture
        >>> bgm = BayesianGaussianMixture(
        ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
        ... ).fit(load_faithful())  # doctest: +SKIP
        >>> bgm.log_likelihood([[3.0, 70.0]]).sizes  # doctest: +SKIP
        Frozen({'chain': 2, 'draw': 200, 'obs_id': 1})
        """
        array = self._validate_X(X)
        draws = self._parameter_draws()
        values = draws.log_likelihood(array)
        return xr.DataArray(
            values.reshape(draws.n_chains, draws.n_draws, -1),
            dims=("chain", "draw", "obs_id"),
            name="obs",
        )

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Mean log posterior predictive density per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.
        y : Ignored
            Present for API compatibility.

        Returns
        -------
        float
        """
        return float(self.score_samples(X).mean())

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
        rng = check_random_state(random_state)
        draws = self._parameter_draws()
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
        filled = array.copy()
        if np.isnan(array).any():
            draws = self._parameter_draws()
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

    def sample(self, n_samples: int = 1) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """Draw from the posterior predictive distribution.

        Parameters
        ----------
        n_samples : int, default=1
            Number of points.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            Component of each point.
        """
        self._check_is_fitted()
        if not is_int(n_samples) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
        rng = check_random_state(self.random_state)
        draws = self._parameter_draws()
        model_type = draws.model
        picks = rng.integers(draws.size, size=n_samples)
        X = np.empty((n_samples, self.n_features_in_))
        y = np.empty(n_samples, dtype=np.intp)
        for i, s in enumerate(picks):
            weights = draws.weights[s]
            k = rng.choice(self.n_components, p=weights / weights.sum())
            counts = np.zeros(self.n_components, dtype=np.int64)
            counts[k] = 1
            X[i] = model_type.sample(rng, draws.means[s], draws.covariances[s], counts)[0]
            y[i] = k
        return X, y

    def sample_posterior_predictive(self, random_state: int | None = None) -> xr.DataTree:
        """Add a ``posterior_predictive`` group: one replicate data set per draw.

        Each replicate has as many points as the training data, drawn from the
        mixture of that draw (NumPy; no model compilation).

        Parameters
        ----------
        random_state : int or None, default=None
            Seed of the replicates.

        Returns
        -------
        xarray.DataTree
            ``idata_``, with ``posterior_predictive["obs"]`` of dims
            ``(chain, draw, obs_id, feature)``.
        """
        self._check_is_fitted()
        rng = check_random_state(random_state)
        draws = self._parameter_draws()
        observed = self.idata_["observed_data"].to_dataset()
        n_obs = observed.sizes["obs_id"]
        model_type = draws.model
        out = np.empty((draws.size, n_obs, self.n_features_in_))
        for s in range(draws.size):
            counts = rng.multinomial(n_obs, draws.weights[s] / draws.weights[s].sum())
            values = model_type.sample(rng, draws.means[s], draws.covariances[s], counts)
            out[s] = rng.permutation(values)
        ppc = xr.Dataset(
            {
                "obs": (
                    ("chain", "draw", "obs_id", "feature"),
                    out.reshape(draws.n_chains, draws.n_draws, n_obs, -1),
                )
            },
            coords={
                "chain": np.arange(draws.n_chains),
                "draw": np.arange(draws.n_draws),
                "obs_id": observed["obs_id"].values,
                "feature": observed["feature"].values,
            },
        )
        self.idata_["posterior_predictive"] = xr.DataTree(ppc)
        return self.idata_


@parameter_draws.register
def _(model: FittedPosterior) -> ParameterDraws:
    check_is_fitted(model, "idata_")
    return model._parameter_draws()


def round_summary(table: Any) -> Any:
    """Round each row's location columns to three significant digits of its sd.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {
    ...         "mean": [214.7812, 0.356149],
    ...         "sd": [1.2781, 0.02846],
    ...         "hdi94_lb": [212.4101, 0.30312],
    ...         "r_hat": [1.0012, 1.0],
    ...     }
    ... )
    >>> round_summary(table).values.tolist()
    [[214.78, 1.28, 212.41, 1.001], [0.3561, 0.0285, 0.3031, 1.0]]
    """
    table = table.copy()
    location = [
        c
        for c in table.columns
        if c in ("mean", "sd", "median", "mad") or c.startswith(("hdi", "eti", "mcse"))
    ]
    if "sd" in table:
        sd = table["sd"].to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            digits = 2 - np.floor(np.log10(np.abs(sd)))
        digits = np.where(np.isfinite(digits), np.clip(digits, 0, 12), 6).astype(int)
        for i, d in enumerate(digits):
            row = table.index[i]
            table.loc[row, location] = table.loc[row, location].astype(np.float64).round(d)
    if "r_hat" in table:
        table["r_hat"] = table["r_hat"].astype(np.float64).round(3)
    for column in ("ess_bulk", "ess_tail"):
        if column in table:
            table[column] = table[column].astype(np.float64).round(0)
    return table


def _spaced(n_total: int, n: int) -> NDArray[np.intp]:
    """``n <= n_total`` evenly spaced indices in ``range(n_total)`` (all when equal)."""
    return np.linspace(0, n_total - 1, n).round().astype(np.intp)
