"""``BayesianGaussianMixture``: an EM fit, then its posterior (PyMC + nutpie)."""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path
from typing import Any, Self

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

import bayesgmm
from bayesgmm._base import ParamsMixin
from bayesgmm._numerics import exp_normalize
from bayesgmm._passes import prepare_data
from bayesgmm._typing import MissingOption
from bayesgmm._validation import check_array, check_random_state
from bayesgmm.bayes.build import build_model, check_observed_features, standardization
from bayesgmm.bayes.density import CompiledMixture, sample_mixture
from bayesgmm.bayes.files import FORMAT_VERSION as FORMAT_VERSION
from bayesgmm.bayes.files import read_posterior_file, write_posterior_file
from bayesgmm.bayes.fit import ESS_BULK_MIN as ESS_BULK_MIN  # re-exported (reporting)
from bayesgmm.bayes.fit import RHAT_MAX as RHAT_MAX
from bayesgmm.bayes.fit import SAMPLERS, Diagnostics, diagnose, em_start, sample_model
from bayesgmm.bayes.relabel import matching_permutations, relabel_draws
from bayesgmm.bayes.spec import Priors
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em import GaussianMixture
from bayesgmm.exceptions import NotFittedError, SamplingWarning
from bayesgmm.missing import (
    MISSING_OPTIONS,
    IncompleteData,
    _block_log_prob,
    _blocks,
    _pattern_terms,
    group_by_pattern,
    impute_conditional_means,
    marginal_log_prob,
)

__all__ = ["BayesianGaussianMixture"]

#: the sampled parameters summarised and checked after sampling
SUMMARY_VARS = ("weights", "means", "covariances")
#: imputations made by :meth:`BayesianGaussianMixture.impute` by default (at most one
#: per posterior draw)
DEFAULT_MAX_IMPUTATIONS = 1000
#: the fix suggested when X contains NaN and missing="error"
_NAN_HINT = "Pass missing='marginalize' to fit with them, or impute or drop those rows."


class BayesianGaussianMixture(ParamsMixin):
    """Gaussian mixture with a full posterior over weights, means and covariances.

    ``fit`` first runs the EM core (:class:`bayesgmm.GaussianMixture`), then samples
    the marginalised mixture of :func:`bayesgmm.bayes.build_model` with NUTS, every
    chain started from the EM solution (plus a small jitter), and relabels each draw's
    components to match the EM labelling (label switching).

    Parameters
    ----------
    n_components : int, default=1
        Number of components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure.
    priors : Priors, default=None
        Prior settings (``Priors()`` when ``None``).
    draws, tune, chains : int, default=1000, 1000, 4
        Posterior draws and tuning steps per chain, and number of chains.
    target_accept : float, default=0.9
        NUTS target acceptance rate.
    sampler : {"nutpie", "pymc"}, default="nutpie"
        nutpie on the compiled, shape-generic kernels (compiled once per machine, see
        :mod:`bayesgmm.bayes.density`) or PyMC's NUTS on :func:`~bayesgmm.bayes.build_model`.
    random_state : int or None, default=None
        Seed of the EM fit, the start jitter and the sampler.
    relabel : bool or "ordered", default=True
        ``True``: permute each draw's components to best match the EM solution.
        ``False``: keep the raw draws. ``"ordered"`` (one feature only): constrain the
        means to increase with the component index instead (no relabelling needed).
    progressbar : bool, default=True
        Show the sampler's progress.
    n_init : int, default=5
        EM restarts for the starting solution.
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"error"``: NaN is an error. ``"marginalize"``: NaN
        marks a value missing at random; the likelihood of each row is the mixture
        density of its observed cells (see Notes), and :meth:`memberships`,
        :meth:`predict_proba`, :meth:`predict`, :meth:`score_samples` and
        :meth:`score` accept NaN too. Infinite values and rows with every feature
        missing are always errors.
    start : GaussianMixture, default=None
        An already fitted EM model to start from (for example
        ``select_model(X).best_estimator_``): it is used as is, not refitted, and
        its component order is kept (a copy is stored as ``em_``). Its
        ``n_components`` and covariance type must match these settings and it must
        have been fitted on the same features. ``None``: EM is fitted on ``X``
        (``n_init`` restarts). :meth:`from_em` builds the estimator from one.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Posterior mean of the weights (components in the order of ``em_``).
    means_ : ndarray of shape (n_components, n_features)
        Posterior mean of the component means.
    covariances_ : ndarray
        Posterior mean of the covariances, shaped as
        :attr:`GaussianMixture.covariances_` for the covariance type.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions of ``covariances_`` (as scikit-learn's
        ``BayesianGaussianMixture`` stores them).
    idata_ : xarray.DataTree
        Posterior (``weights``, ``means``, ``covariances`` with dims ``component``,
        ``feature``, ``feature_bis``, and the sampled variables), ``sample_stats``,
        ``log_likelihood`` (``obs`` over ``obs_id``) and ``observed_data``.
    em_ : GaussianMixture
        The EM fit used as start and reference labelling.
    n_relabelled_ : int
        Number of draws whose components were permuted.
    diagnostics_ : bayesgmm.bayes.diagnostics.Diagnostics
        Sampling diagnostics of the fit (divergences, r_hat, bulk and tail ESS, tree
        depth, expected observations per component) and the messages issued as
        :class:`~bayesgmm.exceptions.SamplingWarning` after sampling (see
        :func:`bayesgmm.bayes.diagnostics.diagnose`).
    diagnostics_ok_ : bool
        Whether the convergence checks pass (``diagnostics_.ok``).
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of str
        Feature names (DataFrame input only).

    Notes
    -----
    **Missing data.** With ``missing="marginalize"`` and NaN in ``X`` the posterior
    conditions on every observed value and on nothing else: the likelihood of a row
    with observed cells ``o`` is ``sum_k pi_k N(x_o | mu_k[o], Sigma_k[o, o])``, exact
    under missing at random (:func:`bayesgmm.bayes.build_model`). The EM start is
    ``GaussianMixture(missing="marginalize")``, the standardisation uses the observed
    values of each feature, and ``log_likelihood`` (hence LOO) holds the observed-data
    log-density of each row. The sampled graph depends on the missingness pattern, so
    a compiled model is reused only for data with the same NaN layout. ``observed_data``
    keeps the NaN. :meth:`impute` draws multiple imputations (one posterior draw, a
    component and the missing cells per imputation); :meth:`impute_mean` gives the
    posterior mean of the missing cells. :meth:`sample` and
    :meth:`sample_posterior_predictive` draw complete rows.

    See Also
    --------
    bayesgmm.fit_large : approximate posterior for large N (NUTS on a subsample with
        control variates, then importance weights on all rows).
    bayesgmm.GaussianMixture : the maximum-likelihood fit this model starts from.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> bgm = BayesianGaussianMixture(
    ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
    ... )
    >>> bgm = bgm.fit(load_faithful())  # doctest: +SKIP
    >>> bgm.summary().loc["weights[0]", "mean"]  # doctest: +SKIP
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        priors: Priors | None = None,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        target_accept: float = 0.9,
        sampler: str = "nutpie",
        random_state: int | None = None,
        relabel: bool = True,
        progressbar: bool = True,
        n_init: int = 5,
        missing: MissingOption = "error",
        start: GaussianMixture | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.priors = priors
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.target_accept = target_accept
        self.sampler = sampler
        self.random_state = random_state
        self.relabel = relabel
        self.progressbar = progressbar
        self.n_init = n_init
        self.missing = missing
        self.start = start

    @classmethod
    def from_em(cls, gm: GaussianMixture, **params: Any) -> BayesianGaussianMixture:
        """The Bayesian model of a fitted EM mixture, started from it (not refitted).

        Parameters
        ----------
        gm : GaussianMixture
            A fitted EM model; its ``n_components`` and ``covariance_type`` are used.
        **params
            Other settings (``draws``, ``tune``, ``chains``, ``priors``, ...).

        Returns
        -------
        BayesianGaussianMixture
            Unfitted; call :meth:`fit` with the data ``gm`` was fitted on.

        Examples
        --------
        >>> from bayesgmm import GaussianMixture, load_faithful
        >>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
        >>> bgm = BayesianGaussianMixture.from_em(gm, draws=200, tune=200, chains=2)
        >>> bgm.n_components, bgm.covariance_type, bgm.start is gm
        (2, 'full', True)
        """
        if not isinstance(gm, GaussianMixture):
            raise TypeError(f"gm must be a fitted bayesgmm.GaussianMixture; got {type(gm)}.")
        gm._check_is_fitted()
        return cls(gm.n_components, covariance_type=gm._model.name, start=gm, **params)

    # ------------------------------------------------------------------ fitting
    def _validate(self) -> None:
        for name in ("draws", "tune", "chains", "n_components", "n_init"):
            value = getattr(self, name)
            low = 0 if name == "tune" else 1
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {list(SAMPLERS)}; got {self.sampler!r}.")
        if (
            isinstance(self.target_accept, bool)
            or not isinstance(self.target_accept, int | float | np.integer | np.floating)
            or not 0 < self.target_accept < 1
        ):
            raise ValueError(
                f"target_accept must be a number in (0, 1), typically 0.8-0.99; got "
                f"{self.target_accept!r}."
            )
        if self.missing not in MISSING_OPTIONS:
            raise ValueError(
                f"missing must be one of {list(MISSING_OPTIONS)}; got {self.missing!r}."
            )
        if self.relabel not in (True, False, "ordered"):
            raise ValueError(f"relabel must be True, False or 'ordered'; got {self.relabel!r}.")
        if self.priors is not None and not isinstance(self.priors, Priors):
            raise TypeError(
                f"priors must be a bayesgmm.bayes.Priors or None; got {type(self.priors)}."
            )
        get_covariance_model(self.covariance_type)
        if self.start is not None:
            self._check_start()

    def _check_start(self) -> None:
        start = self.start
        if not isinstance(start, GaussianMixture):
            raise TypeError(
                f"start must be a fitted bayesgmm.GaussianMixture or None; got {type(start)}."
            )
        start._check_is_fitted()
        wanted = (self.n_components, get_covariance_model(self.covariance_type).name)
        found = (start.n_components, start._model.name)
        if wanted != found:
            raise ValueError(
                f"start has n_components={found[0]}, covariance_type={found[1]!r}; this "
                f"model has n_components={wanted[0]}, covariance_type={wanted[1]!r}. "
                "Use BayesianGaussianMixture.from_em(start) to take both from it."
            )

    def fit(self, X: ArrayLike, y: Any = None) -> Self:
        """Fit EM, then sample the posterior and relabel the draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; with ``missing="marginalize"``, NaN marks missing cells.
        y : Ignored
            Present for API compatibility.

        Returns
        -------
        self : BayesianGaussianMixture

        Raises
        ------
        ValueError
            If a setting is invalid (e.g. ``target_accept`` outside (0, 1)).
        bayesgmm.exceptions.SamplingError
            If the model does not compile or the sampler fails; the message says what
            to try.

        Warns
        -----
        bayesgmm.exceptions.SamplingWarning
            One per failed diagnostic (divergences, r_hat, ESS, tree depth, empty
            components), naming the parameters or components and what to try; the
            values are in ``diagnostics_``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(50, 1))
        >>> bgm = BayesianGaussianMixture(
        ...     1, draws=50, tune=50, chains=1, progressbar=False, random_state=0
        ... )
        >>> bgm.fit(X).idata_.posterior["means"].shape  # doctest: +SKIP
        (1, 50, 1, 1)
        """
        self._validate()
        array, names = check_array(
            X, min_samples=2, allow_nan=self.missing == "marginalize", nan_hint=_NAN_HINT
        )
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        model_type = get_covariance_model(self.covariance_type)
        if self.start is not None:
            if self.start.means_.shape[1] != array.shape[1]:
                raise ValueError(
                    f"start was fitted on {self.start.means_.shape[1]} features; X has "
                    f"{array.shape[1]}."
                )
            self.em_ = copy.deepcopy(self.start)  # used as is: never refitted
        else:
            self.em_ = GaussianMixture(
                self.n_components,
                covariance_type=model_type.name,
                n_init=self.n_init,
                max_iter=500,
                tol=1e-6,
                random_state=seed,
                missing=self.missing,
            ).fit(array)
        ordered = self.relabel == "ordered"
        if ordered:
            if array.shape[1] != 1:
                raise ValueError(
                    f"relabel='ordered' needs exactly one feature; X has {array.shape[1]}. "
                    "Use relabel=True for multivariate data."
                )
            _sort_components(self.em_, np.argsort(self.em_.means_[:, 0], kind="stable"))
        self.n_features_in_ = array.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        feature_names = list(names) if names is not None else None
        priors = self.priors or Priors()
        center, scale = standardization(array)
        start = em_start(
            model_type.name,
            self.em_.weights_,
            self.em_.means_,
            self.em_.covariances_,
            center,
            scale,
            ordered_means=ordered,
        )
        if self.sampler == "nutpie":
            # the compiled, shape-generic kernels: nothing is compiled per data shape
            check_observed_features(array)
            mixture = CompiledMixture(
                array, self.n_components, model_type.name, priors, center, scale,
                ordered_means=ordered,
            )  # fmt: skip
            idata = sample_mixture(
                mixture,
                start,
                feature_names or [f"x{j}" for j in range(array.shape[1])],
                draws=self.draws,
                tune=self.tune,
                chains=self.chains,
                target_accept=self.target_accept,
                seed=seed,
                progressbar=self.progressbar,
            )
        else:  # PyMC's own NUTS on the specification itself
            model = build_model(
                array,
                self.n_components,
                model_type.name,
                priors,
                feature_names=feature_names,
                ordered_means=ordered,
                missing=self.missing,
            )
            idata = sample_model(
                model,
                start,
                cache_key=(),
                data={},
                draws=self.draws,
                tune=self.tune,
                chains=self.chains,
                target_accept=self.target_accept,
                sampler=self.sampler,
                seed=seed,
                progressbar=self.progressbar,
            )
        idata = self._keep_groups(idata)
        self.n_relabelled_ = self._relabel(idata) if self.relabel is True else 0
        self._add_log_likelihood(idata, array)
        idata.attrs.update(
            {
                "bayesgmm_version": bayesgmm.__version__,
                "n_relabelled": int(self.n_relabelled_),
                "settings": json.dumps(self._settings()),
            }
        )
        self.idata_ = idata
        self._set_posterior_means(model_type)
        self._check_diagnostics()
        return self

    def _set_posterior_means(self, model_type) -> None:
        """``weights_``, ``means_``, ``covariances_``, ``precisions_cholesky_``."""
        post = self.idata_["posterior"].to_dataset()
        self.weights_ = post["weights"].mean(("chain", "draw")).values
        self.means_ = post["means"].mean(("chain", "draw")).values
        self.covariances_ = post["covariances"].mean(("chain", "draw")).values
        self.precisions_cholesky_, _, _ = model_type.precisions_cholesky(self.covariances_)

    @staticmethod
    def _keep_groups(idata: xr.DataTree) -> xr.DataTree:
        keep = {"posterior", "sample_stats", "observed_data", "constant_data"}
        groups = {name: idata[name].to_dataset() for name in idata.children if name in keep}
        post = groups["posterior"]
        if "corr_chol" in post:  # sampled with shape=, so give it the labelled dims
            var = post["corr_chol"]
            # (chain, draw, [component,] feature, feature_bis): tied has no component
            inner = ("component", "feature", "feature_bis")[-(var.ndim - 2) :]
            dims = ("chain", "draw", *inner)
            generic = [d for d in var.dims if d.startswith("corr_chol_dim")]
            post = post.drop_vars("corr_chol").drop_vars(generic, errors="ignore")
            post["corr_chol"] = (dims, var.values)
            groups["posterior"] = post
        return xr.DataTree.from_dict({f"/{name}": ds for name, ds in groups.items()})

    def _relabel(self, idata: xr.DataTree) -> int:
        post = idata["posterior"].to_dataset()
        n_chains, n_draws = post.sizes["chain"], post.sizes["draw"]
        flat_means = post["means"].values.reshape(n_chains * n_draws, *post["means"].shape[2:])
        precisions = np.linalg.inv(self.em_._full_covariances())
        perms = matching_permutations(flat_means, self.em_.means_, precisions)
        identity = np.arange(self.n_components)
        n_permuted = int(np.sum(np.any(perms != identity, axis=1)))
        if n_permuted == 0:
            return 0
        arrays, axes = {}, {}
        for name, var in post.data_vars.items():
            if "component" in var.dims:
                arrays[name] = var.values.reshape(n_chains * n_draws, *var.shape[2:])
                axes[name] = var.dims.index("component") - 1
        relabelled = relabel_draws(arrays, perms, axes)
        for name, values in relabelled.items():
            post[name] = (post[name].dims, values.reshape(post[name].shape))
        idata["posterior"] = xr.DataTree(post)
        return n_permuted

    def _draw_parameters(self):
        post = self.idata_["posterior"].to_dataset()
        n = post.sizes["chain"] * post.sizes["draw"]
        weights = post["weights"].values.reshape(n, -1)
        means = post["means"].values.reshape(n, *post["means"].shape[2:])
        covs = post["covariances"].values.reshape(n, *post["covariances"].shape[2:])
        return post.sizes["chain"], post.sizes["draw"], weights, means, covs

    def _per_draw_log_prob(self, X: NDArray[np.float64]):
        """Yield ``(draw index, (K, n) weighted log-probabilities)`` for every draw.

        Rows with NaN get the log-densities of their observed cells (marginal).
        """
        model_type = get_covariance_model(self.covariance_type)
        _, _, weights, means, covs = self._draw_parameters()
        if np.isnan(X).any():
            center = np.nanmean(X, axis=0)
            incomplete = group_by_pattern(X, center)
            K, D = means.shape[1:]
            for s in range(len(weights)):
                full = model_type.full_covariances(covs[s], K, D)
                yield s, marginal_log_prob(incomplete, weights[s], means[s] - center, full)
            return
        center = X.mean(axis=0)
        data = prepare_data(model_type, self.n_components, X, center)
        for s in range(len(weights)):
            prec_chol, _, _ = model_type.precisions_cholesky(covs[s])
            state = model_type.prepare(weights[s], means[s] - center, prec_chol)
            yield s, model_type.weighted_log_prob(data.stored_t, state)

    def _add_log_likelihood(self, idata: xr.DataTree, X: NDArray[np.float64]) -> None:
        self.idata_ = idata
        n_chains, n_draws, *_ = self._draw_parameters()
        values = np.empty((n_chains * n_draws, X.shape[0]))
        for s, log_prob in self._per_draw_log_prob(X):
            values[s] = exp_normalize(log_prob, floor=None)
        coords = {
            "chain": np.arange(n_chains),
            "draw": np.arange(n_draws),
            "obs_id": np.arange(X.shape[0]),
        }
        ll = xr.Dataset(
            {"obs": (("chain", "draw", "obs_id"), values.reshape(n_chains, n_draws, -1))},
            coords=coords,
        )
        idata["log_likelihood"] = xr.DataTree(ll)
        features = idata["posterior"].to_dataset()["feature"].values
        observed = xr.Dataset(
            {"obs": (("obs_id", "feature"), X)},
            coords={"obs_id": coords["obs_id"], "feature": features},
        )
        idata["observed_data"] = xr.DataTree(observed)

    def _check_diagnostics(self) -> Diagnostics:
        """Diagnose ``idata_`` (:func:`~bayesgmm.bayes.diagnostics.diagnose`), warn per failure."""
        self.diagnostics_ = diagnose(self.idata_, self._random_vars())
        self.diagnostics_ok_ = self.diagnostics_.ok
        for message in self.diagnostics_.messages:
            warnings.warn(message, SamplingWarning, stacklevel=3)
        return self.diagnostics_

    def _random_vars(self) -> list[str]:
        """The summary variables that vary (with one component the weight is 1)."""
        return [v for v in SUMMARY_VARS if not (v == "weights" and self.n_components == 1)]

    # ------------------------------------------------------------------ results
    def _check_is_fitted(self) -> None:
        if not hasattr(self, "idata_"):
            raise NotFittedError(
                "This BayesianGaussianMixture instance is not fitted yet. Call 'fit' first."
            )

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
        return _round_rows(table)

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
        n_chains, n_draws, *_ = self._draw_parameters()
        out = np.empty((n_chains * n_draws, array.shape[0], self.n_components))
        for s, log_prob in self._per_draw_log_prob(array):
            exp_normalize(log_prob, floor=None)  # in place: log-probs -> memberships
            out[s] = log_prob.T
        return xr.DataArray(
            out.reshape(n_chains, n_draws, array.shape[0], self.n_components),
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
        total = np.zeros((self.n_components, array.shape[0]))
        count = 0
        for _, log_prob in self._per_draw_log_prob(array):
            exp_normalize(log_prob, floor=None)
            total += log_prob
            count += 1
        return (total / count).T

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
        array = self._validate_X(X)
        per_draw = np.array(
            [exp_normalize(lp, floor=None) for _, lp in self._per_draw_log_prob(array)]
        )
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
        n_chains, n_draws, weights, means, covs = self._draw_parameters()
        n_total = n_chains * n_draws
        if n_imputations is None:
            picks = _spaced(n_total, min(n_total, DEFAULT_MAX_IMPUTATIONS))
        else:
            if (
                isinstance(n_imputations, bool)
                or not isinstance(n_imputations, int | np.integer)
                or n_imputations < 1
            ):
                raise ValueError(
                    f"n_imputations must be None or an integer >= 1; got {n_imputations!r}."
                )
            n = int(n_imputations)
            picks = _spaced(n_total, n) if n <= n_total else np.arange(n) % n_total
        out = np.broadcast_to(array, (len(picks), *array.shape)).copy()
        if np.isnan(array).any():
            center = np.nanmean(array, axis=0)
            incomplete = group_by_pattern(array, center)
            model_type = get_covariance_model(self.covariance_type)
            K, D = means.shape[1:]
            for i, s in enumerate(picks):
                full = model_type.full_covariances(covs[s], K, D)
                _draw_missing(out[i], incomplete, weights[s], means[s] - center, full, rng)
        return xr.DataArray(
            out,
            dims=("imputation", "obs_id", "feature"),
            coords={
                "imputation": np.arange(len(picks)),
                "obs_id": np.arange(array.shape[0]),
                "feature": self.idata_["posterior"]["feature"].values,
                "chain": ("imputation", picks // n_draws),
                "draw": ("imputation", picks % n_draws),
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
        >>> bgm = BayesianGaussianMixture(
        ...     2, missing="marginalize", draws=200, tune=200, chains=2, progressbar=False
        ... ).fit(X)  # doctest: +SKIP
        >>> np.isnan(bgm.impute_mean(X)).any()  # doctest: +SKIP
        np.False_
        """
        array = self._validate_X(X, allow_nan=True)
        filled = array.copy()
        if np.isnan(array).any():
            _, _, weights, means, covs = self._draw_parameters()
            center = np.nanmean(array, axis=0)
            incomplete = group_by_pattern(array, center)
            model_type = get_covariance_model(self.covariance_type)
            K, D = means.shape[1:]
            total = np.zeros_like(array)
            for s in range(len(weights)):
                full = model_type.full_covariances(covs[s], K, D)
                total += impute_conditional_means(
                    array, incomplete, weights[s], means[s] - center, full
                )
            filled = np.where(np.isnan(array), total / len(weights), array)
        if hasattr(X, "columns") and hasattr(X, "index"):
            import pandas

            return pandas.DataFrame(filled, index=X.index, columns=X.columns)
        return filled

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
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
        rng = check_random_state(self.random_state)
        _, _, weights, means, covs = self._draw_parameters()
        model_type = get_covariance_model(self.covariance_type)
        picks = rng.integers(len(weights), size=n_samples)
        X = np.empty((n_samples, self.n_features_in_))
        y = np.empty(n_samples, dtype=np.intp)
        for i, s in enumerate(picks):
            k = rng.choice(self.n_components, p=weights[s] / weights[s].sum())
            counts = np.zeros(self.n_components, dtype=np.int64)
            counts[k] = 1
            X[i] = model_type.sample(rng, means[s], covs[s], counts)[0]
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
        n_chains, n_draws, weights, means, covs = self._draw_parameters()
        observed = self.idata_["observed_data"].to_dataset()
        n_obs = observed.sizes["obs_id"]
        model_type = get_covariance_model(self.covariance_type)
        out = np.empty((n_chains * n_draws, n_obs, self.n_features_in_))
        for s in range(len(weights)):
            counts = rng.multinomial(n_obs, weights[s] / weights[s].sum())
            out[s] = rng.permutation(model_type.sample(rng, means[s], covs[s], counts))
        ppc = xr.Dataset(
            {
                "obs": (
                    ("chain", "draw", "obs_id", "feature"),
                    out.reshape(n_chains, n_draws, n_obs, -1),
                )
            },
            coords={
                "chain": np.arange(n_chains),
                "draw": np.arange(n_draws),
                "obs_id": observed["obs_id"].values,
                "feature": observed["feature"].values,
            },
        )
        self.idata_["posterior_predictive"] = xr.DataTree(ppc)
        return self.idata_

    # ------------------------------------------------------------------ persistence
    def _settings(self) -> dict[str, Any]:
        params = self.get_params()
        params["priors"] = None if self.priors is None else self.priors.as_dict()
        params["start"] = None  # saved as the EM fit (em_)
        return params

    def save(self, path: str | os.PathLike) -> Path:
        """Write the posterior, the EM fit and the settings to one netCDF file, atomically.

        The file is ``idata_`` (every group, bit for bit) in netCDF-4 (HDF5, written
        with h5netcdf, readable by ArviZ and xarray), with root attributes holding the
        file format version, the settings, the EM fit ``em_`` and a SHA-256 checksum
        of the data, so that :meth:`load` detects a corrupted file. It is written to a
        temporary file, flushed to disk and renamed over ``path``
        (:func:`bayesgmm.persistence.atomic_write`): an existing file is replaced whole
        or not at all, even if the process is interrupted.

        Parameters
        ----------
        path : str or path-like
            Destination file (``.nc`` is conventional); its directory must exist.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        NotFittedError
            If the model is not fitted.

        See Also
        --------
        load : read it back.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from bayesgmm import load_faithful
        >>> X = load_faithful()
        >>> bgm = BayesianGaussianMixture(
        ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
        ... ).fit(X)  # doctest: +SKIP
        >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
        ...     loaded = BayesianGaussianMixture.load(bgm.save(Path(folder) / "fit.nc"))
        >>> bool((loaded.predict_proba(X) == bgm.predict_proba(X)).all())  # doctest: +SKIP
        True
        """
        self._check_is_fitted()
        return write_posterior_file(
            Path(path),
            self.idata_,
            settings=self._settings(),
            em=self.em_,
            feature_names=list(getattr(self, "feature_names_in_", [])) or None,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> BayesianGaussianMixture:
        """Read an estimator written by :meth:`save`.

        The loaded estimator has the same settings, ``idata_`` (bit for bit) and EM fit
        ``em_`` as the saved one, so its predictions are bit-identical; the sampling
        diagnostics (``diagnostics_``, ``diagnostics_ok_``) are recomputed from
        ``idata_``, without the warnings that ``fit`` gave.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        BayesianGaussianMixture

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is corrupted or truncated (its checksum does not match), was
            not written by :meth:`save` (e.g. a ``GaussianMixture`` file), or has a
            file format version this bayesgmm does not read (newer: upgrade bayesgmm).

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from bayesgmm import load_faithful
        >>> bgm = BayesianGaussianMixture(
        ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
        ... ).fit(load_faithful())  # doctest: +SKIP
        >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
        ...     loaded = BayesianGaussianMixture.load(bgm.save(Path(folder) / "fit.nc"))
        >>> loaded.n_relabelled_ == bgm.n_relabelled_  # doctest: +SKIP
        True
        """
        content = read_posterior_file(Path(path), cls._param_names())
        settings = content.settings
        est = cls(**settings)
        est.em_ = content.em
        est.n_features_in_ = est.em_.means_.shape[1]
        if content.feature_names:
            est.feature_names_in_ = np.asarray(content.feature_names, dtype=object)
        est.idata_ = content.idata
        est.n_relabelled_ = content.n_relabelled
        est._set_posterior_means(get_covariance_model(est.covariance_type))
        with warnings.catch_warnings():  # fit has warned already
            warnings.simplefilter("ignore", SamplingWarning)
            est._check_diagnostics()
        return est


def _round_rows(table: Any) -> Any:
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
    >>> _round_rows(table).values.tolist()
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


def _draw_missing(
    out: NDArray[np.float64],
    data: IncompleteData,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    rng: np.random.Generator,
) -> None:
    """Overwrite the missing cells of ``out`` with one draw from ``p(x_m | x_o, theta)``.

    ``means`` are relative to ``data.center``; ``covariances`` are ``(K, D, D)``.
    """
    K, D = means.shape
    for pattern in data.patterns:
        missing = pattern.missing
        if missing.size == 0:
            continue
        const, whiten, regression, conditional = _pattern_terms(
            pattern, weights, means, covariances
        )
        noise_factor = _psd_factor(conditional)
        means_observed = means[:, pattern.observed]
        for start, stop in _blocks(pattern, K, D):
            resp, diff = _block_log_prob(
                pattern.x_observed[start:stop], means_observed, const, whiten
            )
            exp_normalize(resp, floor=None)  # in place: p(k | x_o, theta)
            n = stop - start
            u = rng.random(n)
            labels = np.minimum((np.cumsum(resp, axis=0) < u).sum(axis=0), K - 1)
            cells = np.arange(n)
            filled = means[labels][:, missing] + np.einsum(
                "nij,nj->ni", regression[labels], diff[labels, cells]
            )
            filled += np.einsum(
                "nij,nj->ni", noise_factor[labels], rng.standard_normal((n, missing.size))
            )
            out[np.ix_(pattern.rows[start:stop], missing)] = filled + data.center[missing]


def _psd_factor(matrices: NDArray[np.float64]) -> NDArray[np.float64]:
    """``F`` with ``F F^T = A`` for symmetric positive semi-definite ``(K, d, d)`` ``A``.

    Cholesky when it succeeds; otherwise a symmetric square root with negative
    round-off eigenvalues set to zero.
    """
    try:
        return np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(matrices)
        return vectors * np.sqrt(np.clip(values, 0.0, None))[..., None, :]


def _sort_components(gm: GaussianMixture, order: NDArray[np.intp]) -> None:
    """Reorder a fitted GaussianMixture's components in place."""
    gm.weights_ = gm.weights_[order]
    gm.means_ = gm.means_[order]
    if (
        gm.covariances_.ndim == 3
        or gm.covariances_.ndim == 1
        or (gm.covariances_.ndim == 2 and gm.covariance_type == "diag")
    ):
        gm.covariances_ = gm.covariances_[order]
        gm.precisions_cholesky_ = gm.precisions_cholesky_[order]
        gm.precisions_ = gm.precisions_[order]
