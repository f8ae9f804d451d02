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
from typing import Any, ClassVar

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.convergence import DIAGNOSED_VARS, Diagnostics, diagnose, varying_vars
from bayesgmm.bayes.posterior import ParameterDraws, draws_from_posterior
from bayesgmm.bayes.posterior_imputation import DEFAULT_MAX_IMPUTATIONS as DEFAULT_MAX_IMPUTATIONS
from bayesgmm.bayes.posterior_imputation import PosteriorImputation
from bayesgmm.bayes.posterior_likelihood import PosteriorLikelihood
from bayesgmm.bayes.uniform_noise import NoiseDraws, noise_probability_table
from bayesgmm.core.estimator_api import check_is_fitted
from bayesgmm.core.numerics import exp_normalize
from bayesgmm.core.types import MissingOption, RandomStateLike
from bayesgmm.core.validation import (
    check_random_state,
    is_int,
    validate_data,
)
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.noise import NoiseRegion
from bayesgmm.exceptions import SamplingWarning

__all__ = ["DEFAULT_MAX_IMPUTATIONS", "SUMMARY_VARS", "FittedPosterior"]

#: the sampled parameters summarised and checked after sampling
SUMMARY_VARS = DIAGNOSED_VARS


class FittedPosterior(PosteriorLikelihood, PosteriorImputation):
    """Prediction, imputation, predictive draws and summary of a fitted posterior.

    A base class: the subclass's ``fit`` sets ``idata_`` (with a ``posterior`` of
    ``weights``, ``means`` and ``covariances`` and the ``observed_data``), ``em_``,
    ``n_features_in_`` and ``n_relabelled_``; its parameters include
    ``n_components``, ``covariance_type``, ``missing``, ``priors``, ``noise`` and
    ``random_state``. With the noise component the posterior also has
    ``noise_proportion`` and ``constant_data`` holds ``hypervolume``, ``data_center``
    and ``data_scale``; memberships then have a last column, the noise's.
    """

    #: the draws are posterior draws (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`)
    is_posterior: ClassVar[bool] = True
    n_components: int
    covariance_type: str
    missing: MissingOption
    priors: Any
    random_state: Any
    noise: bool
    # set by the subclass's fit
    idata_: xr.DataTree
    n_features_in_: int
    n_relabelled_: int

    # ------------------------------------------------------------------ state
    def _check_is_fitted(self) -> None:
        check_is_fitted(self, "idata_")

    def parameter_draws(self) -> ParameterDraws:
        """The posterior draws of the weights, means and covariances.

        The draws protocol of fitted mixtures
        (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`; an EM fit has one
        draw, its estimate).

        Returns
        -------
        ParameterDraws
            ``weights`` ``(S, K)``, ``means`` ``(S, K, D)`` and ``covariances`` (the
            covariance type's shape; ``full_covariances()`` ``(S, K, D, D)``), ``S =
            chains * draws`` flattened chain by chain.

        Examples
        --------
        >>> from bayesgmm import BayesianGaussianMixture, load_faithful
        >>> bgm = BayesianGaussianMixture(2, draws=100, tune=100, chains=2, progressbar=False)
        >>> draws = bgm.fit(load_faithful()).parameter_draws()  # doctest: +SKIP
        >>> draws.size, draws.full_covariances().shape  # doctest: +SKIP
        (200, (200, 2, 2, 2))
        """
        self._check_is_fitted()
        return draws_from_posterior(self.idata_["posterior"].to_dataset(), self.covariance_type)

    def _draws(self) -> ParameterDraws | NoiseDraws:
        """The draws every density and membership is computed from (noise included)."""
        draws = self.parameter_draws()
        if "noise_proportion" not in self.idata_["posterior"]:
            return draws
        constant = self.idata_["constant_data"].to_dataset()
        return NoiseDraws(
            draws,
            self.idata_["posterior"].to_dataset()["noise_proportion"].values.reshape(-1),
            float(constant["hypervolume"].values),
            constant["data_scale"].values,
        )

    def _set_posterior_means(self) -> None:
        """``weights_``, ``means_``, ``covariances_``, ``precisions_cholesky_``.

        With the noise component also ``noise_proportion_`` and ``hypervolume_``.
        """
        post = self.idata_["posterior"].to_dataset()
        if "noise_proportion" in post:
            self.noise_proportion_ = float(post["noise_proportion"].mean(("chain", "draw")))
            constant = self.idata_["constant_data"].to_dataset()
            self.hypervolume_ = float(constant["hypervolume"].values)
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
        names = varying_vars(self.n_components)
        return [*names, "noise_proportion"] if getattr(self, "noise", False) else names

    def _validate_X(self, X: ArrayLike, allow_nan: bool | None = None) -> NDArray[np.float64]:
        self._check_is_fitted()
        if allow_nan is None:
            allow_nan = self.missing == "marginalize"
        hint = "Set missing='marginalize' to evaluate them on their observed features, or "
        array = validate_data(X, allow_nan=allow_nan, nan_hint=hint + "impute or drop them.").array
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {array.shape[1]} features, but the model was fitted with "
                f"{self.n_features_in_}."
            )
        return array

    # ------------------------------------------------------------------ results
    def summary(self, **kwargs: Any):
        """ArviZ summary of weights, means and covariances (94% HDI), and noise proportion.

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
            ``("chain", "draw")`` give credible intervals for each membership. With
            the noise component the last ``component`` (coordinate ``-1``) is the noise.
        """
        values = self.membership_draws(X)
        n_chains = self.idata_["posterior"].sizes["chain"]
        labels = np.arange(values.shape[-1])
        if values.shape[-1] > self.n_components:
            labels[-1] = -1
        return xr.DataArray(
            values.reshape(n_chains, -1, *values.shape[1:]),
            dims=("chain", "draw", "obs_id", "component"),
            coords={"component": labels},
            name="membership",
        )

    def membership_draws(
        self, X: ArrayLike, picks: NDArray[np.intp] | None = None
    ) -> NDArray[np.float64]:
        """Membership probabilities under every posterior draw, flattened over chains.

        The per-draw memberships of the fitted-mixture protocol
        (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`); their mean over
        the draws is :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.
        picks : ndarray of int, default=None
            Only these draws (flat indices ``s``), in this order; the memberships of
            the others are not computed. ``None``: every draw.

        Returns
        -------
        ndarray of shape (S, n_samples, n_components)
            Draw ``s = chain * draws + draw`` (``len(picks)`` draws when given); every
            row sums to 1. With the noise component ``n_components + 1`` columns, the
            last the probability that the row is noise.

        Examples
        --------
        >>> from bayesgmm import BayesianGaussianMixture, load_faithful
        >>> bgm = BayesianGaussianMixture(2, draws=100, tune=100, chains=2, progressbar=False)
        >>> bgm.fit(load_faithful()).membership_draws([[3.0, 70.0]]).shape  # doctest: +SKIP
        (200, 1, 2)
        """
        array = self._validate_X(X)
        draws = self._draws()
        if picks is not None:
            draws = draws.take(picks)
        n_columns = self.n_components + isinstance(draws, NoiseDraws)
        out = np.empty((draws.size, array.shape[0], n_columns))
        for s, log_prob in draws.log_prob(array):
            exp_normalize(log_prob, floor=None)  # in place: log-probs -> memberships
            out[s] = log_prob.T
        return out

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior mean membership probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            With the noise component ``n_components + 1`` columns, the last the
            posterior mean probability that the row is noise.
        """
        array = self._validate_X(X)
        draws = self._draws()
        total = np.zeros((self.n_components + isinstance(draws, NoiseDraws), array.shape[0]))
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
            With the noise component, ``-1`` for rows most probably noise.
        """
        labels = self.predict_proba(X).argmax(axis=1)
        return np.where(labels == self.n_components, -1, labels)

    def noise_probability(self, X: ArrayLike, *, ci_prob: float = 0.94) -> Any:
        """Posterior probability that each row is noise, with its uncertainty.

        Under draw ``theta_s`` the probability that row ``x`` is noise is
        ``pi_0 / V / p(x | theta_s)``; the table summarises it over the draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.
        ci_prob : float, default=0.94
            Probability of the equal-tailed credible interval, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``mean`` (the last column of :meth:`predict_proba`), ``sd``,
            ``lower`` and ``upper``; indexed like ``X`` when it is a DataFrame.

        Raises
        ------
        ValueError
            If the model has no noise component, or for ``ci_prob`` outside (0, 1).

        Examples
        --------
        >>> from bayesgmm import BayesianGaussianMixture, load_faithful
        >>> bgm = BayesianGaussianMixture(
        ...     2, noise=True, draws=100, tune=100, chains=1, progressbar=False
        ... )
        >>> table = bgm.fit(load_faithful()).noise_probability([[3.0, 70.0]])  # doctest: +SKIP
        >>> list(table.columns)  # doctest: +SKIP
        ['mean', 'sd', 'lower', 'upper']
        """
        self._check_is_fitted()
        if not getattr(self, "noise", False):
            raise ValueError(
                "noise_probability needs a model with the noise component; this one was "
                "fitted with noise=False. Refit with noise=True."
            )
        values = self.membership_draws(X)[:, :, -1]
        return noise_probability_table(values, ci_prob, getattr(X, "index", None))

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
        per_draw = self.log_density_draws(X)  # (draws, rows)
        return exp_normalize(per_draw, floor=None) - np.log(len(per_draw))

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
            Component of each point (``-1``: the noise component).
        """
        self._check_is_fitted()
        if not is_int(n_samples) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
        rng = check_random_state(self.random_state)
        draws = self.parameter_draws()
        model_type = draws.model
        picks = rng.integers(draws.size, size=n_samples)
        X = np.empty((n_samples, self.n_features_in_))
        y = np.empty(n_samples, dtype=np.intp)
        noise = self.noise_region_
        for i, s in enumerate(picks):
            weights = draws.weights[s]
            if noise is not None and rng.random() >= weights.sum():
                X[i], y[i] = noise.sample(rng, 1)[0], -1
                continue
            k = rng.choice(self.n_components, p=weights / weights.sum())
            counts = np.zeros(self.n_components, dtype=np.int64)
            counts[k] = 1
            X[i] = model_type.sample(rng, draws.means[s], draws.covariances[s], counts)[0]
            y[i] = k
        return X, y

    @property
    def noise_region_(self) -> NoiseRegion | None:
        """The box the noise's predictive draws fill (the data's region), or None."""
        if "noise_proportion" not in self.idata_["posterior"]:
            return None
        constant = self.idata_["constant_data"].to_dataset()
        return NoiseRegion(
            *(constant[f"noise_{part}"].values for part in ("center", "rotation", "lower", "upper"))
        )

    def sample_posterior_predictive(self, random_state: RandomStateLike = None) -> xr.DataTree:
        """Add a ``posterior_predictive`` group: one replicate data set per draw.

        Each replicate has as many points as the training data, drawn from the
        mixture of that draw (NumPy; no model compilation).

        Parameters
        ----------
        random_state : None, int or numpy.random.Generator, default=None
            Seed of the replicates.

        Returns
        -------
        xarray.DataTree
            ``idata_``, with ``posterior_predictive["obs"]`` of dims
            ``(chain, draw, obs_id, feature)``.
        """
        self._check_is_fitted()
        rng = check_random_state(random_state)
        draws = self.parameter_draws()
        observed = self.idata_["observed_data"].to_dataset()
        n_obs = observed.sizes["obs_id"]
        model_type = draws.model
        out = np.empty((draws.size, n_obs, self.n_features_in_))
        noise = self.noise_region_
        for s in range(draws.size):
            weights = draws.weights[s]
            if noise is not None:  # the noise's count, then the Gaussians'
                n_noise = int(rng.binomial(n_obs, max(0.0, 1.0 - weights.sum())))
                counts = rng.multinomial(n_obs - n_noise, weights / weights.sum())
                values = model_type.sample(rng, draws.means[s], draws.covariances[s], counts)
                values = np.vstack([values, noise.sample(rng, n_noise)])
            else:
                counts = rng.multinomial(n_obs, weights / weights.sum())
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
