"""The log-likelihood of a fitted posterior: per draw, stored or not, and PSIS-LOO from it.

:class:`PosteriorLikelihood` gives :class:`bayesgmm.bayes.draw_summaries.FittedPosterior`
(and so :class:`~bayesgmm.BayesianGaussianMixture`) ``log_likelihood``,
``log_density_draws``, ``loo`` and ``store_log_likelihood``.

The pointwise log-likelihood of a posterior has one value per draw and row: 1.6 GB
for 2 x 1000 draws of 100,000 rows, 16 GB for a million. A fitted
:class:`~bayesgmm.BayesianGaussianMixture` stores it in ``idata_`` (ArviZ's
``log_likelihood`` group, for ``az.loo``) only when it has at most
:data:`MAX_STORED_LOG_LIKELIHOOD` values (:func:`stores_log_likelihood`); above that,
:func:`psis_loo` computes PSIS-LOO block by block: each block of rows gets its
log-likelihood under every draw, its Pareto-smoothed importance weights and its
pointwise ELPD, and only the pointwise results (one value per row) are kept. The
result is ArviZ's :class:`~arviz_stats.utils.ELPDDataLOO` with the same ``elpd_i``,
``pareto_k``, totals and standard error as ``az.loo`` on the stored group (the same
relative efficiency, computed once from the posterior), without ``log_weights``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.posterior import ParameterDraws, log_likelihood_groups
from bayesgmm.bayes.uniform_noise import NoiseDraws

__all__ = [
    "MAX_STORED_LOG_LIKELIHOOD",
    "PosteriorLikelihood",
    "psis_loo",
    "stores_log_likelihood",
]

#: a fit keeps its pointwise log-likelihood in ``idata_`` up to this many values
#: (80 MB of float64): 2 chains x 1000 draws of 5,000 rows
MAX_STORED_LOG_LIKELIHOOD = 10_000_000
#: values of the log-likelihood computed at once by :func:`psis_loo` (16 MB)
BLOCK_VALUES = 2_000_000


def stores_log_likelihood(n_draws_total: int, n_samples: int) -> bool:
    """Whether a fit of ``n_samples`` rows with ``n_draws_total`` draws stores its log-likelihood.

    Parameters
    ----------
    n_draws_total : int
        Draws over all chains.
    n_samples : int
        Rows fitted.

    Returns
    -------
    bool

    Examples
    --------
    >>> stores_log_likelihood(4000, 272), stores_log_likelihood(2000, 100_000)
    (True, False)
    """
    return n_draws_total * n_samples <= MAX_STORED_LOG_LIKELIHOOD


def _relative_efficiency(posterior: xr.DataTree, n_draws_total: int) -> float:
    """ArviZ's ``r_eff`` of ``az.loo``: the mean ESS ("mean") of the posterior / draws."""
    if posterior.sizes["chain"] == 1:
        return 1.0
    ess = posterior.to_dataset().azstats.ess(method="mean")
    values = np.hstack([ess[name].values.ravel() for name in ess.data_vars])
    return float(values.mean() / n_draws_total)


def psis_loo(model: Any, *, block_rows: int | None = None) -> Any:
    """Pointwise PSIS-LOO of a fitted posterior, its log-likelihood computed in blocks.

    Parameters
    ----------
    model : BayesianGaussianMixture
        A fitted posterior: its draws and ``observed_data`` (the fitted rows) are used.
    block_rows : int, default=None
        Rows per block (``None``: as many as keep a block's log-likelihood under
        ``BLOCK_VALUES`` values).

    Returns
    -------
    arviz_stats.utils.ELPDDataLOO
        ``elpd``, ``se``, ``p``, pointwise ``elpd_i``, ``pareto_k`` and ``p_loo_i``
        over ``obs_id``; ``log_weights`` is ``None`` (it has the log-likelihood's size).

    Examples
    --------
    >>> from bayesgmm import BayesianGaussianMixture, load_faithful
    >>> X = load_faithful()
    >>> bgm = BayesianGaussianMixture(2, draws=200, tune=200, chains=2).fit(X)  # doctest: +SKIP
    >>> psis_loo(bgm, block_rows=50).elpd_i.sizes["obs_id"]  # doctest: +SKIP
    272
    """
    import arviz_stats  # noqa: F401 - registers the .azstats accessors
    from arviz_stats.utils import ELPDDataLOO

    tree = model.idata_
    posterior = tree["posterior"]
    n_draws_total = posterior.sizes["chain"] * posterior.sizes["draw"]
    rows = np.asarray(tree["observed_data"]["obs"].values, dtype=np.float64)
    n_samples = rows.shape[0]
    step = block_rows or max(1, BLOCK_VALUES // n_draws_total)
    r_eff = _relative_efficiency(posterior, n_draws_total)
    elpd_parts, k_parts, p_parts = [], [], []
    for start in range(0, n_samples, step):
        block = model.log_likelihood(rows[start : start + step])
        block = block.assign_coords(obs_id=np.arange(start, start + block.sizes["obs_id"]))
        elpd_i, pareto_k, p_loo_i = block.azstats.loo(sample_dims=["chain", "draw"], r_eff=r_eff)
        elpd_parts.append(elpd_i)
        k_parts.append(pareto_k)
        p_parts.append(p_loo_i)
    elpd_i = xr.concat(elpd_parts, dim="obs_id")
    pareto_k = xr.concat(k_parts, dim="obs_id")
    p_loo_i = xr.concat(p_parts, dim="obs_id")
    elpd, se, p_loo, _ = elpd_i.azstats.loo_summary(p_loo_i)
    good_k = min(1 - 1 / np.log10(n_draws_total), 0.7) if n_draws_total > 1 else 0.7
    return ELPDDataLOO(
        elpd=elpd,
        se=se,
        p=p_loo,
        n_samples=n_draws_total,
        n_data_points=n_samples,
        scale="log",
        warning=bool(np.any(pareto_k.values > good_k)),
        good_k=good_k,
        elpd_i=elpd_i,
        pareto_k=pareto_k,
        approx_posterior=False,
        log_weights=None,  # type: ignore[arg-type]  # not kept: draws x rows
        p_loo_i=p_loo_i,
    )


class PosteriorLikelihood:
    """Pointwise log-likelihood and PSIS-LOO of a fitted posterior (a mixin).

    The subclass provides ``idata_`` (with ``posterior`` and ``observed_data``),
    ``_draws()``, ``_validate_X(X)`` and ``_check_is_fitted()``.
    """

    idata_: xr.DataTree
    _draws: Callable[[], ParameterDraws | NoiseDraws]
    _validate_X: Callable[..., NDArray[np.float64]]
    _check_is_fitted: Callable[[], None]

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
        values = self.log_density_draws(X)
        n_chains = self.idata_["posterior"].sizes["chain"]
        return xr.DataArray(
            values.reshape(n_chains, -1, values.shape[-1]),
            dims=("chain", "draw", "obs_id"),
            name="obs",
        )

    def loo(self, *, block_rows: int | None = None) -> Any:
        """PSIS-LOO of the fitted rows, their log-likelihood computed in blocks.

        Equal to ``arviz.loo(idata_, pointwise=True)`` on a stored ``log_likelihood``
        group, without holding the draws x rows values in memory (:func:`psis_loo`).

        Parameters
        ----------
        block_rows : int, default=None
            Rows per block (``None``: blocks of about 2 million values).

        Returns
        -------
        arviz_stats.utils.ELPDDataLOO
            With pointwise ``elpd_i``, ``pareto_k`` and ``p_loo_i``.

        Examples
        --------
        >>> from bayesgmm import BayesianGaussianMixture, load_faithful
        >>> bgm = BayesianGaussianMixture(2, draws=200, tune=200, chains=2, progressbar=False)
        >>> bgm.fit(load_faithful()).loo().elpd_i.sizes["obs_id"]  # doctest: +SKIP
        272
        """
        self._check_is_fitted()
        return psis_loo(self, block_rows=block_rows)

    def store_log_likelihood(self) -> Any:
        """Store the pointwise log-likelihood of the fitted rows in ``idata_``.

        ArviZ's ``log_likelihood`` group (``obs``: chain, draw, obs_id), which
        ``arviz.loo``, ``arviz.compare`` and ``arviz.waic`` read; fits store it
        themselves up to ``MAX_STORED_LOG_LIKELIHOOD`` values. It has one float64
        per draw and row: 1.6 GB for 2 x 1000 draws of 100,000 rows.

        Returns
        -------
        self

        Examples
        --------
        >>> import arviz as az
        >>> from bayesgmm import BayesianGaussianMixture, load_faithful
        >>> bgm = BayesianGaussianMixture(2, draws=200, tune=200, chains=2, progressbar=False)
        >>> az.loo(bgm.fit(load_faithful()).store_log_likelihood().idata_)  # doctest: +SKIP
        """
        self._check_is_fitted()
        if "log_likelihood" not in self.idata_.children:
            observed = self.idata_["observed_data"]["obs"]
            groups = log_likelihood_groups(
                self._draws(), np.asarray(observed.values), observed["feature"].values
            )
            self.idata_["log_likelihood"] = xr.DataTree(groups["log_likelihood"])
        return self

    def log_density_draws(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log-density of every sample under every posterior draw, flattened over chains.

        ``log p(x_i | theta_s)``, the values of :meth:`log_likelihood` as an array:
        the per-draw log-densities of the fitted-mixture protocol
        (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`), whose
        ``log mean_s exp`` is :meth:`score_samples`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (S, n_samples)
            Draw ``s = chain * draws + draw``.

        Examples
        --------
        >>> from bayesgmm import BayesianGaussianMixture, load_faithful
        >>> bgm = BayesianGaussianMixture(2, draws=100, tune=100, chains=2, progressbar=False)
        >>> bgm.fit(load_faithful()).log_density_draws([[3.0, 70.0]]).shape  # doctest: +SKIP
        (200, 1)
        """
        array = self._validate_X(X)
        return self._draws().log_likelihood(array)
