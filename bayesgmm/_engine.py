"""The EM engine: initial parameters, E- and M-steps, the loop, online EM, the checks.

Knows nothing of scikit-learn's estimator API. :class:`EMEngine` holds a covariance
model and the numeric settings and works on data prepared once per fit
(:meth:`EMEngine.fit_inputs`): stored or streamed blocks (:mod:`bayesgmm._passes`), a
Dask array (:mod:`bayesgmm._dask`) or rows with missing cells grouped by pattern
(:mod:`bayesgmm.missing`). Parameters are in the data's centred coordinates
(:class:`MixtureParams`). :class:`bayesgmm.GaussianMixture` is the estimator over it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bayesgmm._dask import DaskData, prepare_dask_data
from bayesgmm._numerics import RELATIVE_VARIANCE_FLOOR, exp_normalize
from bayesgmm._passes import (
    Data,
    fit_data,
    one_thread_blas,
    parallel_passes,
    prepare_data,
    should_stream,
    stream_data,
)
from bayesgmm.covariance import NK_EPS, CovarianceModel, SufficientStatistics
from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning, DataScaleWarning
from bayesgmm.initialization import initial_responsibilities
from bayesgmm.missing import (
    IncompleteData,
    expected_statistics,
    group_by_pattern,
    marginal_log_prob,
    mean_impute,
)
from bayesgmm.prior import ConjugatePrior, map_estimates, scatter_from_estimates

__all__ = ["EMEngine", "EMRun", "FitInputs", "MixtureParams", "OnlineState"]

#: streamed and Dask fits initialise on a random subsample of at most this many rows
INIT_SAMPLE_ROWS = 100_000

#: a pass's step: ``(data, params, repairs) -> (new params, mean log-likelihood)``
Step = Callable[[Any, "MixtureParams", dict[int, int]], tuple["MixtureParams", float]]


@dataclass
class MixtureParams:
    """Mixture parameters with means relative to the data's centre."""

    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    covariances: NDArray[np.float64]
    precisions_cholesky: NDArray[np.float64]


@dataclass
class EMRun:
    """The best of ``n_init`` EM runs."""

    params: MixtureParams
    lower_bound: float
    lower_bounds: list[float]
    n_iter: int
    converged: bool
    #: change of the mean log-likelihood at the last iteration
    last_change: float
    #: component -> number of M-steps whose covariance had to be repaired
    repairs: dict[int, int]


@dataclass
class FitInputs:
    """The data of one fit, prepared once: the passes, and the rows EM starts from."""

    data: Data | DaskData
    init_array: NDArray[np.float64]
    init_data: Data
    #: the rows with missing cells grouped by pattern (``data`` is then mean-imputed)
    incomplete: IncompleteData | None = None

    @property
    def prediction_data(self) -> Data | DaskData | IncompleteData:
        """The data to label after the fit (the incomplete rows if any)."""
        return self.data if self.incomplete is None else self.incomplete


@dataclass
class OnlineState:
    """Stepwise online EM: running averages of the statistics per unit of weight."""

    nk: NDArray[np.float64]
    moments: NDArray[np.float64]
    outer: NDArray[np.float64] | None = None
    data_statistic: NDArray[np.float64] | None = None
    n_batches: int = 0
    weight_seen: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The state as a plain dict (``None`` entries left out), as files store it."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> OnlineState:
        """The state :meth:`as_dict` gave."""
        return cls(**state)


@dataclass
class EMEngine:
    """EM for one covariance model and number of components (no estimator API).

    Parameters
    ----------
    model : CovarianceModel
        The covariance model (:func:`bayesgmm.covariance.get_covariance_model`).
    n_components : int
        Number of components.
    reg_covar, tol, max_iter, init_params, verbose, verbose_interval
        As in :class:`bayesgmm.GaussianMixture`.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm.covariance import get_covariance_model
    >>> X = np.r_[np.zeros((20, 1)), np.ones((20, 1)) * 5] + np.linspace(0, 1, 40)[:, None]
    >>> engine = EMEngine(get_covariance_model("full"), 2)
    >>> rng = np.random.default_rng(0)
    >>> inputs = engine.fit_inputs(X, None, rng)
    >>> run = engine.run(inputs, rng, n_init=1, inits=(None, None, None))
    >>> np.sort((run.params.means + inputs.data.center).ravel()).round(2)
    array([0.24, 5.76])
    """

    model: CovarianceModel
    n_components: int
    reg_covar: float = 1e-6
    tol: float = 1e-3
    max_iter: int = 100
    init_params: str = "kmeans"
    verbose: int = 0
    verbose_interval: int = 10
    #: conjugate prior in the data's centred coordinates (MAP EM), or None (ML)
    prior: ConjugatePrior | None = None

    # ------------------------------------------------------------------ data
    def fit_inputs(
        self,
        X: NDArray[np.float64],
        sample_weight: NDArray[np.float64] | None,
        rng: np.random.Generator,
        *,
        marginalize: bool = False,
        chunk_size: int | None = None,
    ) -> FitInputs:
        """Choose the data passes of a fit once: stored, streamed or incomplete rows.

        With ``marginalize`` and NaN in ``X``, EM initialises on (and takes the centre
        and scale of) the mean-imputed data and iterates on the rows grouped by
        missingness pattern. Streamed fits on more than ``INIT_SAMPLE_ROWS`` rows
        initialise on a random subsample of that many rows.
        """
        model, K = self.model, self.n_components
        if marginalize and np.isnan(X).any():
            filled = mean_impute(X, sample_weight)
            data = fit_data(model, K, filled, sample_weight)
            incomplete = group_by_pattern(X, data.center, sample_weight)
            return FitInputs(data, filled, data, incomplete)
        data = fit_data(
            model, K, X, sample_weight, stream=should_stream(model, X, chunk_size),
            chunk_size=chunk_size,
        )  # fmt: skip
        if data.source is None or X.shape[0] <= INIT_SAMPLE_ROWS:
            return FitInputs(data, X, data)
        # initialise on a subsample: k-means on all rows would need O(N x K) memory
        rows = np.sort(rng.choice(X.shape[0], INIT_SAMPLE_ROWS, replace=False))
        weight = None if sample_weight is None else sample_weight[rows]
        return FitInputs(data, X[rows], fit_data(model, K, X[rows], weight, data.center))

    def dask_inputs(self, X: Any, sample_weight: Any, rng: np.random.Generator) -> FitInputs:
        """The inputs of a fit on a Dask array: chunk passes, an in-memory start sample."""
        data = prepare_dask_data(self.model, self.n_components, X, sample_weight)
        n_samples = data.n_samples
        if n_samples > INIT_SAMPLE_ROWS:
            rows = np.sort(rng.choice(n_samples, INIT_SAMPLE_ROWS, replace=False))
        else:
            rows = np.arange(n_samples)
        init_array, init_weight = data.take_rows(rows)
        init_data = fit_data(self.model, self.n_components, init_array, init_weight, data.center)
        return FitInputs(data, init_array, init_data)

    def prediction_data(
        self,
        X: NDArray[np.float64],
        center: NDArray[np.float64],
        *,
        marginalize: bool = False,
        chunk_size: int | None = None,
    ) -> Data | IncompleteData:
        """``X`` prepared for prediction passes around a fitted model's ``center``."""
        if marginalize and np.isnan(X).any():
            return group_by_pattern(X, center)
        if should_stream(self.model, X, chunk_size):
            return stream_data(self.model, self.n_components, X, center, None, chunk_size)
        return prepare_data(self.model, self.n_components, X, center)

    # ------------------------------------------------------------------ steps
    def e_state(self, params: MixtureParams) -> tuple:
        """The covariance model's prepared parameters for E-steps."""
        with np.errstate(divide="ignore"):
            return self.model.prepare(params.weights, params.means, params.precisions_cholesky)

    def m_step(
        self, stats: SufficientStatistics, data: Data, repairs: dict[int, int]
    ) -> MixtureParams:
        """Parameters from sufficient statistics (scikit-learn's estimators).

        With a ``prior`` the posterior mode (conjugate-prior EM, :mod:`bayesgmm.prior`).
        """
        nk = stats.nk + NK_EPS
        means = stats.moments[:, : data.n_features] / nk[:, None]
        if self.prior is None:
            covariances = self.model.estimate_covariances(
                stats, nk, means, self.reg_covar, data.data_statistic
            )
            return self.repaired_params(nk, means, covariances, data, repairs)
        name, d = self.model.name, data.n_features
        estimates = self.model.estimate_covariances(stats, nk, means, 0.0, data.data_statistic)
        scatter = scatter_from_estimates(name, estimates, nk, d)
        means, covariances = map_estimates(name, scatter, nk, means, self.prior)
        covariances = covariances + self.model.regularisation(self.reg_covar, d)
        return self.repaired_params(nk, means, covariances, data, repairs)

    def em_step(
        self, data: Data, params: MixtureParams, repairs: dict[int, int]
    ) -> tuple[MixtureParams, float]:
        """One EM iteration on complete data: new parameters and the mean log-likelihood."""
        stats = data.statistics(self.n_components, self.e_state(params))
        return self.m_step(stats, data, repairs), stats.log_likelihood / stats.total_weight

    def incomplete_em_step(
        self,
        incomplete: IncompleteData,
        data: Data,
        params: MixtureParams,
        repairs: dict[int, int],
    ) -> tuple[MixtureParams, float]:
        """One EM iteration on data with missing cells (see :mod:`bayesgmm.missing`).

        ``data`` is the mean-imputed data: it supplies the centre and the variance
        scale of the covariance repairs.
        """
        model = self.model
        K, D = params.means.shape
        covariances = model.full_covariances(params.covariances, K, D)
        stats = expected_statistics(incomplete, params.weights, params.means, covariances)
        nk = stats.nk + NK_EPS
        means = stats.first / nk[:, None]
        covariances = model.covariances_from_second_moments(stats.second, nk, means, self.reg_covar)
        params = self.repaired_params(nk, means, covariances, data, repairs)
        return params, stats.log_likelihood / stats.total_weight

    def repaired_params(
        self,
        nk: NDArray[np.float64],
        means: NDArray[np.float64],
        covariances: NDArray[np.float64],
        data: Data,
        repairs: dict[int, int],
    ) -> MixtureParams:
        """Parameters from M-step estimates, repairing covariances that are singular."""
        precisions_cholesky, covariances, repaired = self.model.precisions_cholesky(
            covariances, RELATIVE_VARIANCE_FLOOR * data.variance_scale
        )
        for k in repaired:
            repairs[k] = repairs.get(k, 0) + 1
        return MixtureParams(nk / nk.sum(), means, covariances, precisions_cholesky)

    def initial_params(
        self,
        X: NDArray[np.float64],
        data: Data,
        rng: np.random.Generator,
        inits: tuple[Any, Any, Any],
        repairs: dict[int, int],
        method: str | None = None,
    ) -> MixtureParams:
        """Initial parameters: the given ones, the rest from ``init_params``.

        ``inits`` are the user's ``(weights, means, precisions)`` or ``None`` each;
        the missing ones come from an M-step on ``init_params`` responsibilities.
        """
        model = self.model
        weights, means, precisions = inits
        if weights is None or means is None or precisions is None:
            resp = initial_responsibilities(
                method or self.init_params, X, self.n_components, rng, data.sample_weight
            )
            params = self.m_step(data.statistics(self.n_components, None, resp), data, repairs)
        else:
            params = MixtureParams(weights, means, np.empty(0), np.empty(0))
        if weights is not None:
            params.weights = weights.copy()
        if means is not None:
            params.means = means - data.center
        if precisions is not None:
            params.precisions_cholesky = model.precisions_cholesky_from_precisions(precisions)
            params.covariances = model.covariances_from_precisions_cholesky(
                params.precisions_cholesky
            )
        return params

    # ------------------------------------------------------------------ the loop
    def run(
        self,
        inputs: FitInputs,
        rng: np.random.Generator,
        *,
        n_init: int,
        inits: tuple[Any, Any, Any] = (None, None, None),
        warm: tuple[MixtureParams, float] | None = None,
    ) -> EMRun:
        """Run EM ``n_init`` times and keep the run with the highest log-likelihood.

        Each run starts from :meth:`initial_params`, or from ``warm`` (parameters and
        their lower bound: a warm start, one run), and alternates E- and M-steps until
        the mean log-likelihood changes by less than ``tol`` or after ``max_iter``.
        """
        data = inputs.data
        step: Step = self.em_step
        if inputs.incomplete is not None:
            step = functools.partial(self.incomplete_em_step, inputs.incomplete)
        best: EMRun | None = None
        for init in range(n_init if warm is None else 1):
            started = time.perf_counter()
            if self.verbose >= 1:
                print(f"Initialization {init}")
            repairs: dict[int, int] = {}
            if warm is None:
                # the hierarchical start is deterministic: further starts are k-means
                method = "kmeans" if init > 0 and self.init_params == "hierarchical" else None
                params = self.initial_params(
                    inputs.init_array, inputs.init_data, rng, inits, repairs, method
                )
                lower_bound = -np.inf
            else:
                params, lower_bound = warm
            lower_bounds: list[float] = []
            converged = False
            change = np.nan
            passes = (
                parallel_passes(data) if inputs.incomplete is None else contextlib.nullcontext()
            )
            last_print = started
            with passes:
                for n_iter in range(1, self.max_iter + 1):
                    previous = lower_bound
                    params, lower_bound = step(data, params, repairs)
                    lower_bounds.append(lower_bound)
                    change = lower_bound - previous
                    last_print = self._print_iteration(n_iter, change, last_print)
                    if abs(change) < self.tol:
                        converged = True
                        break
            data.n_parts = 1
            self._print_init_end(lower_bound, converged, started)
            if best is None or lower_bound > best.lower_bound or best.lower_bound == -np.inf:
                best = EMRun(params, lower_bound, lower_bounds, n_iter, converged, change, repairs)
        assert best is not None
        best.lower_bound = float(best.lower_bound)
        return best

    def warn_not_converged(self, run: EMRun) -> None:
        """``ConvergenceWarning`` when the kept run stopped at ``max_iter``."""
        if run.converged:
            return
        warnings.warn(
            f"Best performing initialization did not converge after max_iter="
            f"{self.max_iter} iterations (last change of the mean log-likelihood "
            f"{run.last_change:.3g}, tol={self.tol}). Try different init parameters, "
            "increase max_iter or tol, or check for degenerate data.",
            ConvergenceWarning,
            stacklevel=5,
        )

    def _print_iteration(self, n_iter: int, change: float, last: float) -> float:
        if self.verbose >= 1 and n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            else:
                now = time.perf_counter()
                print(
                    f"  Iteration {n_iter}\t time lapse {now - last:.5f}s\t ll change {change:.5f}"
                )
                return now
        return last

    def _print_init_end(self, lower_bound: float, converged: bool, started: float) -> None:
        message = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {message}.")
        elif self.verbose >= 2:
            elapsed = time.perf_counter() - started
            print(
                f"Initialization {message}. time lapse {elapsed:.5f}s\t lower bound "
                f"{lower_bound:.5f}."
            )

    # ------------------------------------------------------------------ online EM
    def online_step(
        self,
        online: OnlineState | None,
        data: Data,
        params: MixtureParams,
        step_size: float,
        repairs: dict[int, int],
    ) -> tuple[MixtureParams, OnlineState, float]:
        """One step of stepwise online EM (Cappé and Moulines, 2009) on a batch.

        The running averages move towards the batch's statistics,
        ``s <- (1 - r) s + r s_batch`` (``r = step_size``; the first batch sets them),
        then an M-step. Returns the new parameters, the running state and the
        batch's mean log-likelihood under ``params``.
        """
        stats = data.statistics(self.n_components, self.e_state(params))
        total = stats.total_weight
        batch = {
            "nk": stats.nk / total,
            "moments": stats.moments / total,
            "outer": None if stats.outer is None else stats.outer / total,
            "data_statistic": (
                None if data.data_statistic is None else data.data_statistic / data.total_weight
            ),
        }
        if online is None:
            online = OnlineState(**batch)
        else:
            for key, value in batch.items():
                if value is not None:
                    setattr(online, key, (1 - step_size) * getattr(online, key) + step_size * value)
        online.n_batches += 1
        online.weight_seen += data.total_weight
        seen = online.weight_seen
        running = SufficientStatistics(
            online.nk * seen,
            online.moments * seen,
            None if online.outer is None else online.outer * seen,
            0.0,
            seen,
        )
        data.data_statistic = (
            None if online.data_statistic is None else online.data_statistic * seen
        )
        params = self.m_step(running, data, repairs)
        return params, online, stats.log_likelihood / total

    # ------------------------------------------------------------------ prediction passes
    def log_prob_blocks(
        self, params: MixtureParams, data: Data | IncompleteData
    ) -> Iterator[tuple[int, int, NDArray[np.float64]]]:
        """Yield ``(start, stop, (K, rows) weighted log-probabilities)`` block by block.

        Rows with missing cells: one block of the marginal densities per pattern.
        """
        if isinstance(data, IncompleteData):
            K, D = params.means.shape
            covariances = self.model.full_covariances(params.covariances, K, D)
            yield (
                0,
                data.n_samples,
                marginal_log_prob(data, params.weights, params.means, covariances),
            )
            return
        state = self.e_state(params)
        with one_thread_blas(data.n_blocks):
            for start, stop, feat in data.blocks():
                yield start, stop, self.model.weighted_log_prob(feat, state)

    def labels_and_log_density(
        self, params: MixtureParams, data: Data | IncompleteData
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Most probable component and mixture log-density of every row."""
        n = data.n_samples
        labels = np.empty(n, dtype=np.intp)
        norm = np.empty(n)
        for start, stop, log_prob in self.log_prob_blocks(params, data):
            labels[start:stop] = log_prob.argmax(axis=0)
            norm[start:stop] = exp_normalize(log_prob)
        return labels, norm

    def likelihood_terms(
        self,
        params: MixtureParams,
        data: Data | IncompleteData,
        weight: NDArray[np.float64] | None,
    ) -> tuple[float, float, float]:
        """``(log-likelihood, total weight, MAP entropy sum_i -log max_k tau_ik)``, one pass."""
        norm = np.empty(data.n_samples)
        top = np.empty(data.n_samples)
        for start, stop, log_prob in self.log_prob_blocks(params, data):
            top[start:stop] = log_prob.max(axis=0)
            norm[start:stop] = exp_normalize(log_prob)
        if weight is None:
            return float(norm.sum()), float(len(norm)), float((norm - top).sum())
        return float(weight @ norm), float(weight.sum()), float(weight @ (norm - top))

    # ------------------------------------------------------------------ checks
    def check_scale(self, data: Data | DaskData, names: NDArray[np.object_] | None) -> None:
        """Refuse data whose variances overflow; warn when ``reg_covar`` swamps them."""
        variances = data.feature_variances
        labels = names if names is not None else np.arange(data.n_features)
        overflow = ~np.isfinite(variances)
        if overflow.any():
            largest = data.largest_deviation()
            raise ValueError(
                f"X is too large to fit: the variance of feature(s) "
                f"{labels[overflow].tolist()} overflows float64 (values up to {largest:.3g} "
                "from the mean). Divide X by a constant (for example "
                f"{10.0 ** np.floor(np.log10(largest)):.0e}) or standardise the features."
            )
        # a constant feature's variance is rounding noise of the order of (eps * |centre|)^2
        noise = (1e3 * np.finfo(np.float64).eps * np.abs(data.center)) ** 2
        swamped = (variances > noise) & (self.reg_covar >= 0.1 * variances)
        if swamped.any():
            warnings.warn(
                f"reg_covar={self.reg_covar:g} is not small next to the variance of "
                f"feature(s) {labels[swamped].tolist()} (smallest variance "
                f"{float(variances[swamped].min()):.3g}): the regulariser, not the data, "
                "shapes those covariances. Rescale X (for example to unit variance) or set "
                "reg_covar well below the feature variances.",
                DataScaleWarning,
                stacklevel=5,
            )

    def check_finite(self, params: MixtureParams) -> None:
        """Raise instead of storing NaN or infinite parameters."""
        arrays = (params.weights, params.means, params.covariances, params.precisions_cholesky)
        if all(np.isfinite(a).all() for a in arrays):
            return
        K = self.n_components
        per_component = [
            np.isfinite(a.reshape(K, -1)).all(axis=1)
            for a in arrays
            if a.shape[:1] == (K,) and a.ndim > 0
        ]
        bad = np.flatnonzero(~np.logical_and.reduce(per_component)).tolist()
        where = f"component(s) {bad}" if bad else "the shared covariance"
        raise ValueError(
            f"EM produced non-finite parameters for {where}: the data's scale is outside "
            "what float64 arithmetic handles here. Standardise the features (or divide X "
            "by a constant) and fit again."
        )

    def warn_degenerate(self, run: EMRun, data: Data | DaskData) -> None:
        """``ComponentCollapseWarning`` per repaired, collapsed or under-supported component."""
        model, K = self.model, self.n_components
        weights, covariances = run.params.weights, run.params.covariances
        effective = weights * data.total_weight
        for k, count in sorted(run.repairs.items()):
            warnings.warn(
                f"Component {k} collapsed ({effective[k]:.3g} effective samples at the end): "
                f"its covariance was not positive definite in {count} EM step(s) and was "
                "regularised by adding jitter to its diagonal. Increase reg_covar, lower "
                "n_components, or standardise X.",
                ComponentCollapseWarning,
                stacklevel=5,
            )
        warned = set(run.repairs)
        if not model.shared_covariance:  # a shared covariance pools every point
            shift = model.regularisation(self.reg_covar, data.n_features)
            smallest = model.smallest_variances(covariances - shift, K, data.variance_scale)
            for k in range(K):
                if k in warned or not (effective[k] < 1.0 or smallest[k] <= 1e-8):
                    continue
                warned.add(k)
                warnings.warn(
                    f"Component {k} collapsed: it holds {effective[k]:.3g} effective samples "
                    f"(weight {weights[k]:.3g}) and its smallest variance is "
                    f"{max(smallest[k], 0.0):.3g} times the data's, i.e. set by reg_covar="
                    f"{self.reg_covar}, not by the data. Lower n_components, increase "
                    "reg_covar, or check for duplicated points.",
                    ComponentCollapseWarning,
                    stacklevel=5,
                )
        needed = model.n_component_parameters(data.n_features)
        owned = "mean, weight" + ("" if model.shared_covariance else " and covariance")
        for k in range(K):
            if k in warned or effective[k] + 0.01 >= needed:  # 2.99999 points count as 3
                continue
            warnings.warn(
                f"Component {k} holds {effective[k]:.3g} effective samples for its {needed} "
                f"free parameters ({owned}): they are set by too few points to be trusted, "
                "and so is the model's BIC. Lower n_components or choose a more "
                "parsimonious covariance_type.",
                ComponentCollapseWarning,
                stacklevel=5,
            )
