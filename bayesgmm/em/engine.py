"""The EM engine: initial parameters, E- and M-steps, the loop, online EM.

Knows nothing of scikit-learn's estimator API. :class:`EMEngine` holds a covariance
model and the numeric settings and works on data prepared once per fit
(:meth:`EMEngine.fit_inputs`): stored or streamed blocks (:mod:`bayesgmm.em.passes`), a
Dask array (:mod:`bayesgmm.em.dask_arrays`) or rows with missing cells grouped by pattern
(:mod:`bayesgmm.em.missing`). Small stored data iterate in the compiled loop of
:mod:`bayesgmm.em.compiled_loop`. Parameters are in the data's centred coordinates
(:class:`MixtureParams`). :class:`bayesgmm.GaussianMixture` is the estimator over it;
the checks of a finished fit are in :mod:`bayesgmm.em.fit_checks`.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.numerics import LOG_PROB_FLOOR, RELATIVE_VARIANCE_FLOOR, exp_normalize
from bayesgmm.covariance import NK_EPS, CovarianceModel, SufficientStatistics
from bayesgmm.covariance.constrained import MSTEP_MAX_ITER, MSTEP_TOL
from bayesgmm.em.dask_arrays import DaskData, prepare_dask_data
from bayesgmm.em.initialization import initial_responsibilities
from bayesgmm.em.map_prior import ConjugatePrior, map_estimates, scatter_from_estimates
from bayesgmm.em.missing import (
    IncompleteData,
    expected_statistics,
    group_by_pattern,
    marginal_log_prob,
    mean_impute,
)
from bayesgmm.em.passes import (
    Data,
    fit_data,
    float32_fits,
    one_thread_blas,
    parallel_passes,
    prepare_data,
    should_stream,
    stream_data,
)

__all__ = ["EMEngine", "EMRun", "FitInputs", "MixtureParams", "dask_inputs", "restart_inputs"]

#: streamed and Dask fits initialise on a random subsample of at most this many rows
INIT_SAMPLE_ROWS = 100_000
#: fits with several restarts on more stored rows than this run the restarts (start
#: and EM) on a random subsample of this many rows, and continue only the best on all
#: rows, as mclust initialises large data on a subset: at 100,000 rows x 5 features
#: ten restarts on all rows cost ten full fits
RESTART_SAMPLE_ROWS = 20_000

#: fits on stored data of at most this many sample-component pairs iterate in the
#: compiled loop (:mod:`bayesgmm.em.compiled_loop`), where the NumPy steps cost mostly
#: call overhead. Measured per iteration, K = 5, compiled vs NumPy: D = 2, n = 300
#: 19 vs 102 us (full), 15 vs 50 (diag); n = 3000 146 vs 187 (full), 135 vs 96
#: (diag); D = 10, n = 300 46 vs 156 (full), 31 vs 52 (diag). Above, NumPy's
#: vectorised exp and BLAS win.
COMPILED_MAX_CELLS = 10_000

#: maximum-likelihood EM stops (not converged) once the log-likelihood has fallen this
#: many times: exact EM never lowers it, so these are repairs of singular covariances
#: or constrained M-steps that did not converge, and further iterations only oscillate
#: (a degenerate fit; measured: EVE with K=4 on iris's 50 virginica rows ran all 500
#: iterations, 0.9 s, where mclust returns NA at the first singular covariance)
MAX_DECREASES = 10
#: a change of the mean log-likelihood below ``-FALL_TOLERANCE * |value|`` is a fall
#: (smaller ones are rounding)
FALL_TOLERANCE = 1e-9

#: a pass's step: ``(data, params, repairs) -> (new params, mean log-likelihood)``
Step = Callable[[Any, "MixtureParams", dict[int, int]], tuple["MixtureParams", float]]


def _computable(X: NDArray) -> NDArray:
    """``X`` in the precision its passes run in: float32 kept where it fits.

    float64 for float32 data with NaN cells (the incomplete-data passes are float64)
    or with values whose squares could overflow float32.
    """
    if X.dtype == np.float32 and not float32_fits(X):
        return X.astype(np.float64)
    return X


@dataclass
class MixtureParams:
    """Mixture parameters with means relative to the data's centre.

    With a uniform noise component ``noise_weight`` is its proportion and the
    Gaussian ``weights`` sum to ``1 - noise_weight``.
    """

    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    covariances: NDArray[np.float64]
    precisions_cholesky: NDArray[np.float64]
    noise_weight: float = 0.0


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
    #: the rows of ``init_array`` that start as noise (a fit with a noise component)
    noise_start: NDArray[np.bool_] | None = None
    #: the partial labels of the rows of ``init_array`` (-1: unknown), or None
    init_labels: NDArray[np.intp] | None = None

    @property
    def fully_labelled(self) -> bool:
        """Every row labelled, complete and used in the start (EDDA).

        Responsibilities are then the labels whatever the parameters, so the start
        (the labelled M-step) is the maximum: one EM step evaluates its likelihood.
        """
        return (
            self.init_labels is not None
            and self.incomplete is None
            and self.init_data is self.data
            and self.noise_start is None
            and bool((self.init_labels >= 0).all())
        )

    @property
    def prediction_data(self) -> Data | DaskData | IncompleteData:
        """The data to label after the fit (the incomplete rows if any)."""
        return self.data if self.incomplete is None else self.incomplete


def dask_inputs(
    model: CovarianceModel,
    n_components: int,
    X: Any,
    sample_weight: Any,
    rng: np.random.Generator,
) -> FitInputs:
    """The inputs of a fit on a Dask array: chunk passes, an in-memory start sample."""
    data = prepare_dask_data(model, n_components, X, sample_weight)
    n_samples = data.n_samples
    if n_samples > INIT_SAMPLE_ROWS:
        rows = np.sort(rng.choice(n_samples, INIT_SAMPLE_ROWS, replace=False))
    else:
        rows = np.arange(n_samples)
    init_array, init_weight = data.take_rows(rows)
    init_data = fit_data(model, n_components, init_array, init_weight, data.center)
    return FitInputs(data, init_array, init_data)


def restart_inputs(
    inputs: FitInputs, model: CovarianceModel, n_components: int, rng: np.random.Generator
) -> FitInputs | None:
    """The inputs of restarts on a subsample of ``RESTART_SAMPLE_ROWS`` rows, or None.

    For complete stored data with more rows (no partial labels, no noise start): the
    subsample shares the data's centre, so its parameters start the fit on all rows.

    Examples
    --------
    >>> from bayesgmm.covariance import get_covariance_model
    >>> rng = np.random.default_rng(0)
    >>> model = get_covariance_model("diag")
    >>> engine = EMEngine(model, 2)
    >>> big = engine.fit_inputs(rng.normal(size=(30_000, 2)), None, rng)
    >>> restart_inputs(big, model, 2, rng).data.n_samples
    20000
    >>> small = engine.fit_inputs(rng.normal(size=(500, 2)), None, rng)
    >>> restart_inputs(small, model, 2, rng) is None
    True
    """
    data = inputs.data
    if (
        not isinstance(data, Data)
        or data.stored_t is None
        or data.n_samples <= RESTART_SAMPLE_ROWS
        or inputs.init_data is not data
        or inputs.incomplete is not None
        or inputs.init_labels is not None
        or inputs.noise_start is not None
    ):
        return None
    rows = np.sort(rng.choice(data.n_samples, RESTART_SAMPLE_ROWS, replace=False))
    X = inputs.init_array[rows]
    weight = None if data.sample_weight is None else data.sample_weight[rows]
    sample = fit_data(model, n_components, X, weight, data.center)
    return FitInputs(sample, X, sample)


def _print_init_end(verbose: int, lower_bound: float, converged: bool, started: float) -> None:
    """scikit-learn's verbose line at the end of one initialisation."""
    message = "converged" if converged else "did not converge"
    if verbose == 1:
        print(f"Initialization {message}.")
    elif verbose >= 2:
        elapsed = time.perf_counter() - started
        print(
            f"Initialization {message}. time lapse {elapsed:.5f}s\t lower bound {lower_bound:.5f}."
        )


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
    prior : ConjugatePrior or None
        MAP EM under this prior (centred coordinates); None for maximum likelihood.
    log_noise_density : float or None
        A uniform noise component of density ``exp(log_noise_density)`` (``-log V``,
        :mod:`bayesgmm.em.noise`) besides the Gaussians; None for none. Its
        proportion is ``MixtureParams.noise_weight``; E-steps give it a last row of
        responsibilities, which M-steps leave out of the Gaussians' statistics.
    compiled : bool or None
        Whether small stored data iterate in the compiled loop of
        :mod:`bayesgmm.em.compiled_loop` (same results to rounding; False keeps to the
        NumPy steps). None: when Numba is already loaded in the process, or the
        covariance model's M-step is compiled anyway (mclust's constrained models),
        so that a first fit in a fresh process does not wait for Numba's import.

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
    #: iterate small stored data in the compiled loop: True, False (NumPy steps only)
    #: or None (when Numba is loaded already or the model's M-step needs it)
    compiled: bool | None = None
    log_noise_density: float | None = None

    # ------------------------------------------------------------------ data
    def fit_inputs(
        self,
        X: NDArray[np.float64],
        sample_weight: NDArray[np.float64] | None,
        rng: np.random.Generator,
        *,
        marginalize: bool = False,
        chunk_size: int | None = None,
        noise_start: NDArray[np.bool_] | None = None,
        labels: NDArray[np.intp] | None = None,
    ) -> FitInputs:
        """Choose the data passes of a fit once: stored, streamed or incomplete rows.

        With ``marginalize`` and NaN in ``X``, EM initialises on (and takes the centre
        and scale of) the mean-imputed data and iterates on the rows grouped by
        missingness pattern. Streamed fits on more than ``INIT_SAMPLE_ROWS`` rows
        initialise on a random subsample of that many rows. ``noise_start`` marks
        the rows that start as noise (complete data only); ``labels`` partial labels.
        """
        model, K = self.model, self.n_components
        X = _computable(X)
        if marginalize and np.isnan(X).any():
            filled = mean_impute(X, sample_weight)
            data = fit_data(model, K, filled, sample_weight)
            incomplete = group_by_pattern(X, data.center, sample_weight, labels)
            return FitInputs(data, filled, data, incomplete, init_labels=labels)
        data = fit_data(
            model, K, X, sample_weight, stream=should_stream(model, X, chunk_size),
            chunk_size=chunk_size,
        )  # fmt: skip
        data.labels = labels
        if data.source is None or X.shape[0] <= INIT_SAMPLE_ROWS:
            return FitInputs(data, X, data, noise_start=noise_start, init_labels=labels)
        # initialise on a subsample: k-means on all rows would need O(N x K) memory
        rows = np.sort(rng.choice(X.shape[0], INIT_SAMPLE_ROWS, replace=False))
        weight = None if sample_weight is None else sample_weight[rows]
        init_data = fit_data(model, K, X[rows], weight, data.center)
        start = None if noise_start is None else noise_start[rows]
        init_labels = None if labels is None else labels[rows]
        return FitInputs(data, X[rows], init_data, noise_start=start, init_labels=init_labels)

    def prediction_data(
        self,
        X: NDArray[np.float64],
        center: NDArray[np.float64],
        *,
        marginalize: bool = False,
        chunk_size: int | None = None,
    ) -> Data | IncompleteData:
        """``X`` prepared for prediction passes around a fitted model's ``center``."""
        X = _computable(X)
        if marginalize and np.isnan(X).any():
            return group_by_pattern(X, center)
        if should_stream(self.model, X, chunk_size):
            return stream_data(self.model, self.n_components, X, center, None, chunk_size)
        return prepare_data(self.model, self.n_components, X, center)

    # ------------------------------------------------------------------ steps
    def e_state(self, params: MixtureParams, dtype: Any = np.float64) -> tuple:
        """The covariance model's prepared parameters for E-steps on data of ``dtype``.

        float32 data (kept so by :func:`bayesgmm.em.passes.prepare_data`) get a float32
        state, so that their passes run in float32 (the parameters and the sums of
        the statistics stay float64).
        """
        with np.errstate(divide="ignore"):
            state = self.model.prepare(params.weights, params.means, params.precisions_cholesky)
        if dtype == np.float64:
            return state
        return tuple(np.asarray(part, dtype=dtype) for part in state)

    def noise_term(self, params: MixtureParams) -> float | None:
        """The noise component's weighted log-density ``log(pi_0 / V)``, None without one."""
        if self.log_noise_density is None:
            return None
        with np.errstate(divide="ignore"):  # a noise proportion of 0: -inf
            return float(np.log(params.noise_weight)) + self.log_noise_density

    def m_step(
        self, stats: SufficientStatistics, data: Data, repairs: dict[int, int]
    ) -> MixtureParams:
        """Parameters from sufficient statistics (scikit-learn's estimators).

        With a ``prior`` the posterior mode (conjugate-prior EM, :mod:`bayesgmm.em.map_prior`).
        """
        nk = stats.nk + NK_EPS
        means = stats.moments[:, : data.n_features] / nk[:, None]
        # with a noise component, the statistic of the Gaussian share of the rows
        statistic = data.data_statistic if stats.data_statistic is None else stats.data_statistic
        if self.prior is None:
            covariances = self.model.estimate_covariances(
                stats, nk, means, self.reg_covar, statistic
            )
            return self.repaired_params(nk, means, covariances, data, repairs, stats.noise_nk)
        name, d = self.model.name, data.n_features
        estimates = self.model.unconstrained_estimates(stats, nk, means, statistic)
        scatter = scatter_from_estimates(name, estimates, nk, d)
        means, covariances = map_estimates(name, scatter, nk, means, self.prior)
        covariances = covariances + self.model.regularisation(self.reg_covar, d)
        return self.repaired_params(nk, means, covariances, data, repairs, stats.noise_nk)

    def em_step(
        self, data: Data, params: MixtureParams, repairs: dict[int, int]
    ) -> tuple[MixtureParams, float]:
        """One EM iteration on complete data: new parameters and the mean log-likelihood."""
        state = self.e_state(params, data.dtype)
        stats = data.statistics(self.n_components, state, noise_term=self.noise_term(params))
        return self.m_step(stats, data, repairs), stats.log_likelihood / stats.total_weight

    def incomplete_em_step(
        self,
        incomplete: IncompleteData,
        data: Data,
        params: MixtureParams,
        repairs: dict[int, int],
    ) -> tuple[MixtureParams, float]:
        """One EM iteration on data with missing cells (see :mod:`bayesgmm.em.missing`).

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
        noise_nk: float = 0.0,
    ) -> MixtureParams:
        """Parameters from M-step estimates, repairing covariances that are singular.

        ``noise_nk`` is the noise component's responsibility sum (0 without one).
        """
        assert data.variance_scale is not None  # set when the data were prepared
        precisions_cholesky, covariances, repaired = self.model.precisions_cholesky(
            covariances, RELATIVE_VARIANCE_FLOOR * data.variance_scale
        )
        for k in repaired:
            repairs[k] = repairs.get(k, 0) + 1
        total = nk.sum() + noise_nk
        return MixtureParams(
            nk / total, means, covariances, precisions_cholesky, float(noise_nk / total)
        )

    def initial_params(
        self,
        X: NDArray[np.float64],
        data: Data,
        rng: np.random.Generator,
        inits: tuple[Any, Any, Any],
        repairs: dict[int, int],
        method: str | None = None,
        noise_start: NDArray[np.bool_] | None = None,
        labels: NDArray[np.intp] | None = None,
    ) -> MixtureParams:
        """Initial parameters: the given ones, the rest from ``init_params``.

        ``inits`` are the user's ``(weights, means, precisions)`` or ``None`` each;
        the missing ones come from an M-step on ``init_params`` responsibilities.
        With a noise component, the rows of ``noise_start`` start as noise (as
        mclust's ``initialization$noise``): ``init_params`` runs on the others, and
        the noise proportion starts at their share of the weight. Partial ``labels``:
        the M-step of the labelled rows alone.
        """
        model = self.model
        weights, means, precisions = inits
        K = self.n_components
        method = method or self.init_params
        if noise_start is None:
            noise_weight = 0.0
        else:
            share = noise_start if data.sample_weight is None else noise_start * data.sample_weight
            noise_weight = float(share.sum() / data.total_weight)
        if weights is None or means is None or precisions is None:
            if labels is not None:
                resp = (np.arange(K)[:, None] == labels).astype(np.float64)
            elif noise_start is None:
                resp = initial_responsibilities(method, X, K, rng, data.sample_weight)
            else:
                kept = ~noise_start
                resp = np.zeros((K + 1, len(X)))
                kept_weight = None if data.sample_weight is None else data.sample_weight[kept]
                resp[:K, kept] = initial_responsibilities(method, X[kept], K, rng, kept_weight)
                resp[K, noise_start] = 1.0
            params = self.m_step(data.statistics(K, None, resp), data, repairs)
        else:
            params = MixtureParams(weights, means, np.empty(0), np.empty(0), noise_weight)
        if weights is not None:
            params.weights = weights * (1.0 - noise_weight)
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
        the mean log-likelihood changes by less than ``tol``, after ``max_iter``, or
        once it has fallen ``MAX_DECREASES`` times. Restarts on many stored rows run
        on a subsample, the best continued on all rows (:func:`restart_inputs`).
        """
        if warm is None and n_init > 1:
            sample = restart_inputs(inputs, self.model, self.n_components, rng)
            if sample is not None:  # restarts on the sample, the best continued on all rows
                screened = self.run(sample, rng, n_init=n_init, inits=inits)
                warm, n_init = (screened.params, -np.inf), 1
        data = inputs.data
        step: Step = self.em_step
        if inputs.incomplete is not None:
            step = functools.partial(self.incomplete_em_step, inputs.incomplete)
        exact_start = warm is None and inputs.fully_labelled
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
                    inputs.init_array, inputs.init_data, rng, inits, repairs, method,
                    inputs.noise_start, inputs.init_labels,
                )  # fmt: skip
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
                stalled = False
                if self.use_compiled(inputs):
                    assert isinstance(data, Data)  # the compiled loop takes stored data only
                    params, lower_bound, change, converged, stalled = self.compiled_steps(
                        data, params, lower_bound, lower_bounds, repairs
                    )
                n_iter = done = len(lower_bounds)
                last = done if converged or stalled else self.max_iter  # NumPy continues
                decreases = 0
                for n_iter in range(done + 1, last + 1):
                    previous = lower_bound
                    params, lower_bound = step(data, params, repairs)
                    lower_bounds.append(lower_bound)
                    change = lower_bound - previous
                    last_print = self._print_iteration(n_iter, change, last_print)
                    if abs(change) < self.tol or exact_start:
                        converged = True
                        break
                    fell = change < -FALL_TOLERANCE * abs(lower_bound)
                    decreases += fell and self.prior is None
                    if decreases == MAX_DECREASES:
                        break
            data.n_parts = 1
            _print_init_end(self.verbose, lower_bound, converged, started)
            if best is None or lower_bound > best.lower_bound or best.lower_bound == -np.inf:
                best = EMRun(params, lower_bound, lower_bounds, n_iter, converged, change, repairs)
        assert best is not None
        best.lower_bound = float(best.lower_bound)
        return best

    def use_compiled(self, inputs: FitInputs) -> bool:
        """Whether EM iterations start in the compiled loop (:mod:`bayesgmm.em.compiled_loop`).

        For maximum-likelihood EM on complete stored data of at most
        ``COMPILED_MAX_CELLS`` sample-component pairs, without ``verbose`` output;
        see ``compiled`` for when.
        """
        data = inputs.data
        wanted = self.compiled
        if wanted is None:
            wanted = self.model.compiled_mstep or "numba" in sys.modules
        return (
            wanted
            and inputs.init_labels is None  # partial labels: the NumPy steps keep them
            and inputs.incomplete is None
            and self.prior is None
            and self.verbose == 0
            and isinstance(data, Data)
            and data.stored_t is not None
            and data.n_samples * self.n_components <= COMPILED_MAX_CELLS
        )

    def compiled_steps(
        self,
        data: Data,
        params: MixtureParams,
        lower_bound: float,
        lower_bounds: list[float],
        repairs: dict[int, int],
    ) -> tuple[MixtureParams, float, float, bool, bool]:
        """EM iterations in the compiled loop, from ``params`` until it stops.

        Appends each iteration's mean log-likelihood to ``lower_bounds``; returns the
        parameters, the last lower bound and change, whether EM converged and whether
        it stalled (``MAX_DECREASES``). The NumPy steps continue when neither.
        """
        from bayesgmm.em.compiled_loop import compiled_iterations  # Numba: only when used

        model = self.model
        K, D = params.means.shape
        # use_compiled: stored data, prepared with their variance scale
        assert data.stored_t is not None
        assert data.variance_scale is not None
        floor = RELATIVE_VARIANCE_FLOOR * data.variance_scale
        run = compiled_iterations(
            model.mclust_name,
            data.stored_t[:D],
            data.sample_weight,
            params.weights,
            params.means,
            model.full_covariances(params.covariances, K, D),
            reg_covar=self.reg_covar,
            variance_floor=floor,
            nk_eps=NK_EPS,
            log_prob_floor=LOG_PROB_FLOOR,
            tol=self.tol,
            max_iter=self.max_iter,
            mstep_max_iter=MSTEP_MAX_ITER,
            mstep_tol=MSTEP_TOL,
            previous=lower_bound,
            noise_weight=params.noise_weight,
            log_noise_density=self.log_noise_density,
            max_decreases=MAX_DECREASES,
            fall_tolerance=FALL_TOLERANCE,
        )
        if not run.lower_bounds:
            return params, lower_bound, np.nan, False, False
        covariances = model.covariances_from_full(run.covariances)
        precisions_cholesky, covariances, repaired = model.precisions_cholesky(covariances, floor)
        for k in repaired:
            repairs[k] = repairs.get(k, 0) + 1
        bounds = run.lower_bounds
        previous = bounds[-2] if len(bounds) > 1 else lower_bound
        lower_bounds.extend(bounds)
        params = MixtureParams(
            run.weights, run.means, covariances, precisions_cholesky, run.noise_weight
        )
        return params, bounds[-1], bounds[-1] - previous, run.converged, run.stalled

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

    # ------------------------------------------------------------------ prediction passes
    def log_prob_blocks(
        self, params: MixtureParams, data: Data | IncompleteData
    ) -> Iterator[tuple[int, int, NDArray[np.float64]]]:
        """Yield ``(start, stop, (K, rows) weighted log-probabilities)`` block by block.

        Rows with missing cells: one block of the marginal densities per pattern.
        With a noise component a last row ``log(pi_0 / V)`` (``K + 1`` rows).
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
        state = self.e_state(params, data.dtype)
        noise = self.noise_term(params)
        with one_thread_blas(data.n_blocks):
            for start, stop, feat in data.blocks():
                log_prob = self.model.weighted_log_prob(feat, state)
                if noise is not None:  # the noise component's row, last
                    log_prob = np.vstack(
                        [log_prob, np.full((1, stop - start), noise, log_prob.dtype)]
                    )
                yield start, stop, log_prob

    def labels_and_log_density(
        self, params: MixtureParams, data: Data | IncompleteData
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Most probable component and mixture log-density of every row."""
        n = data.n_samples
        labels = np.empty(n, dtype=np.intp)
        norm = np.empty(n, dtype=data.dtype)  # float32 data: float32
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
