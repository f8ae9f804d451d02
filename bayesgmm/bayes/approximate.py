"""Approximate posterior for large data sets: NUTS on a subsample, then PSIS.

Full NUTS (:class:`~bayesgmm.bayes.estimator.BayesianGaussianMixture`) evaluates the
log-likelihood of every row at every leapfrog step, so its cost grows linearly with the
number of rows ``N`` (``benchmarks/results/bayes_scale.md``). :func:`fit_large` samples
with NUTS a cheap stand-in for the posterior that touches only a random subsample of
``m`` rows per gradient, then corrects the draws towards the exact full-data posterior
by Pareto-smoothed importance sampling (PSIS; Vehtari, Simpson, Gelman, Yao & Gabry
2024, *JMLR* 25(72)).

The stand-in log-likelihood is the difference estimator of Quiroz, Kohn, Villani &
Tran (2019, *JASA* 114, 831-843): with ``q_i`` the second-order Taylor expansion of the
log-density ``l_i`` of row ``i`` around the full-data EM estimate ``theta_hat``,

``L_hat(theta) = sum_{i <= N} q_i(theta) + (N / m) sum_{i in S} (l_i(theta) - q_i(theta))``.

The sum of the ``N`` quadratics is a quadratic with fixed coefficients (one pass over
the data computes them), and the subsample only estimates the remainder of the
expansion, which is small where the posterior lives. The plain "tempered subsample"
``(N / m) sum_{i in S} l_i`` (``control_variates=False``) is centred on the subsample's
estimate, about ``sqrt(N / m - 1)`` posterior standard deviations away from the
full-data one in every parameter, and importance sampling cannot repair that unless
``m`` is close to ``N``.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture
from bayesgmm.bayes.control_variates import (
    difference_gradient,
    log_likelihood_sums,
    taylor_expansion,
)
from bayesgmm.bayes.convergence import varying_vars
from bayesgmm.bayes.fit import (
    Diagnostics,
    diagnose,
    em_start,
    mixture_start,
    sample_unconstrained,
)
from bayesgmm.bayes.importance import psis, resample, weighted_quantiles
from bayesgmm.bayes.posterior import draws_from_posterior, relabel_to_em, tidy_posterior
from bayesgmm.bayes.spec import Priors, check_bayesian_covariance_type
from bayesgmm.core.types import RandomStateLike
from bayesgmm.core.validation import check_integer, check_random_state, is_int, validate_data
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.exceptions import SamplingWarning

__all__ = ["METHODS", "ApproximatePosterior", "default_subsample", "fit_large"]

#: approximate routes offered by :func:`fit_large`
METHODS = ("subsample-is",)
#: default subsample size (at most all rows)
DEFAULT_SUBSAMPLE = 1000
#: smallest subsample, per component
MIN_ROWS_PER_COMPONENT = 10
#: Pareto k-hat above which the importance weights are unreliable
PARETO_K_MAX = 0.7
#: parameters summarised and checked
_NAN_HINT = (
    "fit_large does not handle missing values; impute or drop those rows, or use "
    "BayesianGaussianMixture(missing='marginalize')."
)


@dataclass
class ApproximatePosterior:
    """Importance-weighted posterior from :func:`fit_large`.

    Attributes
    ----------
    idata : xarray.DataTree
        ``posterior``: ``n_draws`` draws resampled with the importance weights
        (``chain`` of length 1), with the variables and dims of
        ``BayesianGaussianMixture.idata_["posterior"]`` (``weights``, ``means``,
        ``covariances``, ``means_std``, ``sds_std``, ``corr_chol``). Resampling repeats
        draws, so ArviZ's r_hat and ESS of this group are not meaningful: use
        :meth:`summary` or the weighted draws. ``proposal``: the relabelled NUTS draws
        of the subsample posterior (chains x draws). ``importance_weights``:
        ``log_weights`` (Pareto-smoothed, normalised) and ``log_ratios`` (raw) over
        ``(chain, draw)`` of the proposal. ``sample_stats``: NUTS statistics of the
        proposal. ``observed_data``: all rows. No ``log_likelihood`` group (it would
        hold ``n_draws x N`` values).
    pareto_k : float
        Pareto k-hat of the importance ratios (NaN when the ratios are constant, i.e.
        the subsample is the whole data set). Above 0.7 the weighted estimates are
        unreliable.
    ess_is : float
        Importance-sampling effective sample size ``1 / sum w_s^2`` of the smoothed
        normalised weights (the draws counted as independent).
    n_draws : int
        Proposal draws (chains x draws).
    subsample_size : int
        ``m``, rows in the subsample.
    n_samples : int
        ``N``, rows in the data.
    control_variates : bool
        Whether the Taylor control variates were used (see :func:`fit_large`).
    r_eff : float
        Relative efficiency of the importance ratios over the Markov chains (their
        mean-ESS divided by ``n_draws``), passed to PSIS.
    proposal_diagnostics : Diagnostics
        Convergence diagnostics of the NUTS chains of the proposal
        (:func:`bayesgmm.bayes.convergence.diagnose`: r_hat, ESS, divergences, tree depth,
        empty components; ``observed_data`` holds all ``N`` rows).
    timings : dict
        Wall seconds of ``em``, ``expansion`` (gradient and Hessian over all rows),
        ``sampling`` (NUTS on the subsample, compilation included unless cached) and
        ``weighting`` (full-data log-likelihood of every draw, PSIS, relabelling).
    em : GaussianMixture
        Full-data EM fit: expansion point, chains' start and reference labelling.
    subsample_indices : ndarray of int
        Rows of the subsample (sorted).

    Examples
    --------
    >>> from bayesgmm.testing import make_gmm_data
    >>> X = make_gmm_data("full", 2000, seed=0)[0]
    >>> result = fit_large(X, 3, subsample=500, draws=500, tune=500, chains=2, random_state=0)
    >>> result.summary().columns.tolist()
    ['mean', 'sd', 'eti94_lb', 'eti94_ub', 'ess', 'mcse_mean']
    >>> result.weights.shape
    (1000,)
    """

    idata: xr.DataTree = field(repr=False)
    pareto_k: float
    ess_is: float
    n_draws: int
    subsample_size: int
    n_samples: int
    control_variates: bool
    r_eff: float
    proposal_diagnostics: Diagnostics = field(repr=False)
    timings: dict[str, float]
    em: GaussianMixture = field(repr=False)
    subsample_indices: NDArray[np.intp] = field(repr=False)

    @property
    def weights(self) -> NDArray[np.float64]:
        """Normalised importance weights of the proposal draws, flattened (chain-major).

        Returns
        -------
        ndarray of shape (n_draws,)
        """
        log_weights = self.idata["importance_weights"].to_dataset()["log_weights"].values.ravel()
        return np.exp(log_weights - special.logsumexp(log_weights))

    @property
    def table(self) -> pd.DataFrame:
        """The weighted posterior summary (:meth:`summary` with its defaults).

        Returns
        -------
        pandas.DataFrame
        """
        return self.summary()

    def summary(self, var_names: list[str] | None = None, ci_prob: float = 0.94) -> pd.DataFrame:
        """Weighted posterior summary of the proposal draws.

        Parameters
        ----------
        var_names : list of str, default=None
            Posterior variables (default: weights, means and covariances; the weights
            are left out with one component).
        ci_prob : float, default=0.94
            Probability of the equal-tailed credible interval.

        Returns
        -------
        pandas.DataFrame
            One row per scalar (labelled like ``arviz.summary``, e.g. ``"means[0,
            x1]"``): ``mean``, ``sd``, the interval bounds ``eti{100 ci_prob}_lb`` and
            ``_ub`` (weighted quantiles), ``ess`` (the proposal's bulk ESS times
            ``ess_is / n_draws``, an approximation) and ``mcse_mean`` (``sd /
            sqrt(ess)``).
        """
        import arviz as az

        if not 0 < ci_prob < 1:
            raise ValueError(f"ci_prob must be in (0, 1); got {ci_prob!r}.")
        proposal = self.idata["proposal"].to_dataset()
        if var_names is None:
            k = proposal.sizes["component"]
            var_names = varying_vars(k)
        missing = sorted(set(var_names) - set(proposal.data_vars))
        if missing:
            have = sorted(str(name) for name in proposal.data_vars)
            raise ValueError(f"unknown variables {missing}; have {have}.")
        weights = self.weights
        fraction = self.ess_is / self.n_draws
        tree = xr.DataTree.from_dict({"/posterior": proposal[var_names]})
        ess = az.ess(tree, var_names=var_names, method="bulk")
        low, high = (1 - ci_prob) / 2, (1 + ci_prob) / 2
        pct = f"{100 * ci_prob:g}"
        rows, labels = [], []
        for name in var_names:
            var = proposal[name]
            inner = var.dims[2:]
            values = var.values.reshape(self.n_draws, -1)
            ess_values = np.asarray(_as_array(ess[name])).reshape(-1) * fraction
            for j, index in enumerate(np.ndindex(*var.shape[2:])):
                column = values[:, j]
                mean = float(weights @ column)
                sd = float(np.sqrt(max(float(weights @ (column - mean) ** 2), 0.0)))
                lb, ub = weighted_quantiles(column, weights, [low, high])
                coords = [str(var[d].values[i]) for d, i in zip(inner, index, strict=True)]
                labels.append(f"{name}[{', '.join(coords)}]" if coords else name)
                rows.append(
                    {
                        "mean": mean,
                        "sd": sd,
                        f"eti{pct}_lb": lb,
                        f"eti{pct}_ub": ub,
                        "ess": ess_values[j],
                        "mcse_mean": sd / math.sqrt(ess_values[j]) if ess_values[j] > 0 else np.nan,
                    }
                )
        return pd.DataFrame(rows, index=labels)

    def _summary_line(self) -> str:
        cv = "with" if self.control_variates else "without"
        return (
            f"Subsample NUTS + PSIS ({cv} control variates): {self.subsample_size} of "
            f"{self.n_samples} rows, {self.n_draws} draws, Pareto k-hat {self.pareto_k:.2f}, "
            f"IS ESS {self.ess_is:.0f}"
        )

    def __str__(self) -> str:
        return self._summary_line() + "\n" + self.summary().to_string(float_format="{:.4g}".format)


def _as_array(value: Any) -> NDArray[np.float64]:
    """Values of one variable of an ArviZ result (a DataTree node or a DataArray)."""
    if isinstance(value, xr.DataTree):
        dataset = value.to_dataset()
        value = dataset[next(iter(dataset.data_vars))]
    return np.asarray(value.values, dtype=np.float64)


# ---------------------------------------------------------------------- validation
def _check_int(name: str, value: Any, low: int) -> int:
    return int(check_integer(name, value, low))


def default_subsample(n_samples: int, n_components: int) -> int:
    """Rows of the subsample when ``subsample=None``.

    ``DEFAULT_SUBSAMPLE`` rows, at least ``MIN_ROWS_PER_COMPONENT`` per component,
    at most all of them.

    Examples
    --------
    >>> default_subsample(50_000, 3), default_subsample(400, 3), default_subsample(50_000, 200)
    (1000, 400, 2000)
    """
    low = max(2, MIN_ROWS_PER_COMPONENT * n_components)
    return min(n_samples, max(DEFAULT_SUBSAMPLE, low))


def _check_subsample(subsample: Any, n_samples: int, n_components: int) -> int:
    low = max(2, MIN_ROWS_PER_COMPONENT * n_components)
    if n_samples < low:
        raise ValueError(
            f"X has {n_samples} rows; fit_large needs at least {low} "
            f"({MIN_ROWS_PER_COMPONENT} per component). Use BayesianGaussianMixture."
        )
    if subsample is None:
        return default_subsample(n_samples, n_components)
    if not is_int(subsample):
        raise ValueError(f"subsample must be an integer or None; got {subsample!r}.")
    if not low <= subsample <= n_samples:
        raise ValueError(
            f"subsample must be between {low} ({MIN_ROWS_PER_COMPONENT} rows per component) "
            f"and n_samples = {n_samples}; got {subsample}."
        )
    return int(subsample)


# ---------------------------------------------------------------------- posterior handling
# ---------------------------------------------------------------------- the public function
def fit_large(
    X: ArrayLike,
    n_components: int,
    *,
    covariance_type: str = "full",
    subsample: int | None = None,
    method: str = "subsample-is",
    control_variates: bool = True,
    priors: Priors | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    sampler: str = "nutpie",
    n_init: int = 5,
    random_state: RandomStateLike = None,
    progressbar: bool = False,
) -> ApproximatePosterior:
    """Approximate Bayesian mixture for large ``N``: subsample NUTS + PSIS correction.

    Samples with NUTS the posterior of the model of
    :class:`~bayesgmm.bayes.estimator.BayesianGaussianMixture` (same priors and
    parametrisation, same standardisation by the full data's mean and standard
    deviations) with the full-data log-likelihood replaced by a subsample estimate,
    then importance-weights every draw by ``exp(L(theta) - L_hat(theta))`` (the priors
    cancel), with ``L`` the exact log-likelihood of all ``N`` rows, and smooths the
    weights (PSIS). Steps:

    1. EM on the subsample (``n_init`` starts), refined by EM on all rows: ``theta_hat``.
    2. A random subsample ``S`` of ``m`` rows, ``f = N / m``.
    3. With ``control_variates=True`` (default): the gradient and Hessian at
       ``theta_hat`` of ``sum_{i<=N} l_i - f sum_{i in S} l_i`` (the compiled kernels'
       exact gradient over all rows; Hessian by central differences of it), giving
       the estimate
       ``L_hat = f sum_S l_i + g.(theta - theta_hat) + (theta - theta_hat)' H
       (theta - theta_hat) / 2`` (the difference estimator of Quiroz et al. 2019 with
       second-order Taylor control variates). With ``False``: ``L_hat = f sum_S l_i``
       (tempered subsample).
    4. NUTS (nutpie) on ``prior x exp(L_hat)`` in the compiled kernels
       (:class:`~bayesgmm.bayes.compiled_model.CompiledMixture` with row weight ``f``
       and the quadratic: nothing is compiled per data set), chains started at
       ``theta_hat``; its gradient costs ``O(m + P^2)``.
    5. ``L(theta_s)`` for every draw in vectorised NumPy (no gradients: one pass per
       draw), PSIS weights, Pareto k-hat and ``1 / sum w^2``; relabelling onto the EM
       solution; a resampled posterior.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (no NaN). DataFrame columns become the ``feature`` coordinates.
    n_components : int
        Number of components.
    covariance_type : str, default="full"
        One of :data:`~bayesgmm.bayes.spec.BAYESIAN_COVARIANCE_TYPES`: "full", "tied",
        "diag", "spherical" (mclust VVV, EEE, VVI, VII) or any of mclust's ten other
        models ("EII", "EEI", "VEI", "EVI", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV"):
        the covariance structure.
    subsample : int, default=None
        ``m``, rows used by NUTS, between ``10 * n_components`` and ``n_samples``
        (default ``min(n_samples, 1000)``). With ``m = N`` the proposal is the exact
        posterior.
    method : {"subsample-is"}, default="subsample-is"
        The approximate route (only one so far).
    control_variates : bool, default=True
        Use the Taylor control variates (see above). ``False`` gives the plain
        tempered subsample, which is only usable when ``m`` is close to ``N``.
    priors : Priors, default=None
        Prior settings (``Priors()`` when ``None``).
    draws, tune, chains : int, default=1000, 1000, 4
        Proposal draws and tuning steps per chain, and number of chains.
    target_accept : float, default=0.9
        NUTS target acceptance rate.
    sampler : {"nutpie"}, default="nutpie"
        Sampler of the proposal (the compiled target is sampled with nutpie).
    n_init : int, default=5
        EM restarts on the subsample.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the subsample, EM, the sampler and the resampling.
    progressbar : bool, default=False
        Show the sampler's progress.

    Returns
    -------
    ApproximatePosterior
        ``idata`` (resampled ``posterior``, weighted ``proposal``), ``pareto_k``,
        ``ess_is``, ``diagnostics``, ``timings``, ``summary()``.

    Raises
    ------
    ValueError
        For invalid data or parameters, e.g. ``subsample`` outside ``[10 *
        n_components, n_samples]``.

    Warns
    -----
    SamplingWarning
        When the Pareto k-hat exceeds 0.7 (the weights are unreliable: increase
        ``subsample``), and for every failed check of the proposal's chains
        (:func:`bayesgmm.bayes.convergence.diagnose`: r_hat, ESS, divergences, tree depth,
        empty components).

    See Also
    --------
    bayesgmm.BayesianGaussianMixture : full NUTS on all rows.

    Notes
    -----
    Cost: ``O(N)`` work happens only in vectorised NumPy/compiled passes without
    sampling (EM iterations, ``2 P + 1`` compiled gradient evaluations over all rows
    for ``P`` parameters, one log-likelihood pass per draw); each NUTS
    gradient costs ``O(m + P^2)``. With control variates the error of ``L_hat`` near
    the posterior shrinks like ``1 / sqrt(N m)`` (third-order remainder), so ``m``
    can stay fixed as ``N`` grows; without them it grows like ``sqrt(N / m)``. The
    expansion is in the sampler's unconstrained coordinates (log-ratio weights,
    standardised means, log standard deviations, the correlations' or orientations'
    free parameters), where the log-likelihood is closest to quadratic; the
    importance weights use the same quadratic, so the correction is exact whatever
    its accuracy, which only affects the efficiency (``ess_is``).

    The weights correct one mode: the chains start at the EM solution and label
    switching is removed by relabelling, as in ``BayesianGaussianMixture``. Missing
    values are not supported.

    Examples
    --------
    >>> from bayesgmm.testing import make_gmm_data
    >>> X = make_gmm_data("full", 2000, seed=0)[0]
    >>> result = fit_large(X, 3, subsample=500, draws=500, tune=500, chains=2, random_state=0)
    >>> result.subsample_size, result.n_samples, result.n_draws
    (500, 2000, 1000)
    >>> bool(result.pareto_k < 0.7)
    True
    >>> result.idata["posterior"]["means"].dims
    ('chain', 'draw', 'component', 'feature')
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
    n_components = _check_int("n_components", n_components, 1)
    draws = _check_int("draws", draws, 1)
    tune = _check_int("tune", tune, 0)
    chains = _check_int("chains", chains, 1)
    n_init = _check_int("n_init", n_init, 1)
    if sampler != "nutpie":
        raise ValueError(
            "fit_large samples its target (the subsample's likelihood and the Taylor "
            f"control variates) in the compiled kernels with nutpie: sampler must be "
            f"'nutpie'; got {sampler!r}."
        )
    if not (isinstance(target_accept, int | float) and 0 < target_accept < 1):
        raise ValueError(f"target_accept must be in (0, 1); got {target_accept!r}.")
    if control_variates not in (True, False):
        raise ValueError(f"control_variates must be True or False; got {control_variates!r}.")
    if priors is not None and not isinstance(priors, Priors):
        raise TypeError(f"priors must be a bayesgmm.bayes.Priors or None; got {type(priors)}.")
    model_type = get_covariance_model(check_bayesian_covariance_type(covariance_type))
    data = validate_data(X, min_samples=2, nan_hint=_NAN_HINT)
    array, names = data.array, data.feature_names
    n_samples, n_features = array.shape
    m = _check_subsample(subsample, n_samples, n_components)
    priors = priors or Priors()
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    timings: dict[str, float] = {}

    # 1-2. subsample and EM (subsample restarts, then all rows)
    tic = time.perf_counter()
    rows = np.sort(rng.choice(n_samples, size=m, replace=False))
    sub = array[rows]
    em_sub = GaussianMixture(
        n_components,
        covariance_type=model_type.name,
        n_init=n_init,
        max_iter=500,
        tol=1e-6,
        random_state=seed,
    ).fit(sub)
    em = GaussianMixture(
        n_components,
        covariance_type=model_type.name,
        max_iter=500,
        tol=1e-6,
        weights_init=em_sub.weights_,
        means_init=em_sub.means_,
        precisions_init=em_sub.precisions_,
        random_state=seed,
    ).fit(array)
    timings["em"] = time.perf_counter() - tic

    # 3. the subsample's model (row weight f, standardised like the full data) and the
    # expansion of the difference around theta_hat, in the unconstrained coordinates
    tic = time.perf_counter()
    center, scale = standardization(array)
    factor = n_samples / m
    labels = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(n_features)]
    start = em_start(model_type.name, em.weights_, em.means_, em.covariances_, center, scale)
    mixture = functools.partial(
        CompiledMixture, n_components=n_components, covariance_type=model_type.name,
        priors=priors, center=center, scale=scale,
    )  # fmt: skip
    target = mixture(sub, sample_weight=np.full(m, factor))
    theta_hat = mixture_start(target, start)
    if control_variates and m < n_samples:
        gradient = difference_gradient(mixture(array), target)
        grad, hessian = taylor_expansion(gradient, theta_hat)
        target = mixture(
            sub, sample_weight=np.full(m, factor), quadratic=(theta_hat, grad, hessian)
        )
    else:
        grad, hessian = np.zeros_like(theta_hat), np.zeros((theta_hat.size, theta_hat.size))
    timings["expansion"] = time.perf_counter() - tic

    # 4. NUTS on prior x exp(L_hat): the compiled kernels, nothing compiled per data set
    tic = time.perf_counter()
    trace = sample_unconstrained(
        target, theta_hat, draws, tune, chains, seed, target_accept, progressbar
    )
    thetas = np.asarray(trace["posterior"]["theta"].values)
    timings["sampling"] = time.perf_counter() - tic

    # 5. importance weights on the raw (not yet relabelled) draws
    tic = time.perf_counter()
    post = tidy_posterior(target.posterior(thetas, labels))
    posterior_draws = draws_from_posterior(post, model_type.name)
    n_chains, n_total = posterior_draws.n_chains, posterior_draws.size
    w, mu = posterior_draws.weights, posterior_draws.means
    cov = posterior_draws.full_covariances()
    full_ll = log_likelihood_sums(array, w, mu, cov, center, scale)
    sub_ll = log_likelihood_sums(sub, w, mu, cov, center, scale)
    delta_s = thetas.reshape(n_total, -1) - theta_hat
    quadratic = delta_s @ grad + 0.5 * np.einsum("sp,pq,sq->s", delta_s, hessian, delta_s)
    log_ratios = (full_ll - factor * sub_ll - quadratic).reshape(n_chains, -1)
    if not np.all(np.isfinite(log_ratios)):
        log_ratios = np.where(np.isfinite(log_ratios), log_ratios, -np.inf)
    log_weights, khat, r_eff = psis(log_ratios)
    ess_is = float(1.0 / np.sum(np.exp(2.0 * log_weights)))

    post, n_relabelled = relabel_to_em(post, em)
    picks = resample(log_weights.ravel(), n_total, rng)
    stacked = post.stack(sample=("chain", "draw"))
    resampled = (
        stacked.isel(sample=picks)
        .drop_vars(["sample", "chain", "draw"])
        .rename_dims(sample="draw")
        .expand_dims(chain=1)
        .assign_coords(chain=[0], draw=np.arange(n_total))
    )
    resampled = resampled.transpose("chain", "draw", ...)
    weights_ds = xr.Dataset(
        {
            "log_weights": (("chain", "draw"), log_weights),
            "log_ratios": (("chain", "draw"), log_ratios),
        },
        coords={"chain": post["chain"].values, "draw": post["draw"].values},
    )
    observed = xr.Dataset(
        {"obs": (("obs_id", "feature"), array)},
        coords={"obs_id": np.arange(n_samples), "feature": post["feature"].values},
    )
    groups = {
        "/posterior": resampled,
        "/proposal": post,
        "/importance_weights": weights_ds,
        "/observed_data": observed,
    }
    if "sample_stats" in trace.children:
        groups["/sample_stats"] = trace["sample_stats"].to_dataset()
    tree = xr.DataTree.from_dict(groups)
    summary_vars = varying_vars(n_components)
    settings = {
        "n_components": n_components,
        "draws": draws,
        "tune": tune,
        "target_accept": target_accept,
        "relabel": True,
        "priors": priors.as_dict(),
        "n_relabelled": n_relabelled,
    }
    proposal_tree = xr.DataTree.from_dict(
        {k.replace("/proposal", "/posterior"): v for k, v in groups.items() if k != "/posterior"}
    )
    diagnostics = diagnose(proposal_tree, summary_vars, settings=settings)
    tree.attrs.update(
        {
            "method": method,
            "control_variates": int(control_variates),
            "subsample_size": m,
            "n_samples": n_samples,
            "pareto_k": khat,
            "ess_is": ess_is,
        }
    )
    timings["weighting"] = time.perf_counter() - tic
    result = ApproximatePosterior(
        idata=tree,
        pareto_k=khat,
        ess_is=ess_is,
        n_draws=n_total,
        subsample_size=m,
        n_samples=n_samples,
        control_variates=control_variates,
        r_eff=r_eff,
        proposal_diagnostics=diagnostics,
        timings=timings,
        em=em,
        subsample_indices=rows,
    )
    _warn(result)
    return result


def _warn(result: ApproximatePosterior) -> None:
    problems = []
    if result.pareto_k > PARETO_K_MAX:
        problems.append(
            f"fit_large: Pareto k-hat of the importance weights is {result.pareto_k:.2f} > "
            f"{PARETO_K_MAX}, so the weighted posterior is unreliable (IS ESS "
            f"{result.ess_is:.0f} of {result.n_draws} draws); increase subsample (now "
            f"{result.subsample_size} of {result.n_samples} rows)"
            + ("." if result.control_variates else " or use control_variates=True.")
        )
    problems += [
        "Proposal (NUTS on the subsample): " + message
        for message in result.proposal_diagnostics.messages
    ]
    for message in problems:
        warnings.warn(message, SamplingWarning, stacklevel=3)
