"""Maximum-likelihood EM for Gaussian mixtures: :class:`GaussianMixture`.

A drop-in for ``sklearn.mixture.GaussianMixture`` (same parameters, attributes and
methods, same EM semantics) that adds frequency ``sample_weight``, ICL and
per-component diagnostics, and is faster: every E-step and M-step is a handful of
matrix products over cache-sized blocks of rows, in one pass over the data per
iteration (see :mod:`bayesgmm.covariance` for the per-type algebra).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm._base import ParamsMixin, not_fitted_error
from bayesgmm._dask import DaskData, is_dask_array
from bayesgmm._numerics import RELATIVE_VARIANCE_FLOOR, exp_normalize
from bayesgmm._passes import (
    Data,
    executor,
    one_thread_blas,
    parallel_passes,
    prepare_data,
    stream_data,
    variance_scale,
)
from bayesgmm._typing import CovarianceType, InitParams, MissingOption, RandomStateLike
from bayesgmm._validation import (
    Constraint,
    _is_int,
    anything,
    boolean,
    check_array,
    check_parameters,
    check_random_state,
    check_sample_weight,
    integer,
    one_of,
    random_state,
    real,
)
from bayesgmm.covariance import (
    _NK_EPS,
    CovarianceModel,
    SufficientStatistics,
    get_covariance_model,
)
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    DataScaleWarning,
)
from bayesgmm.initialization import INIT_METHODS, initial_responsibilities
from bayesgmm.missing import (
    MISSING_OPTIONS,
    IncompleteData,
    expected_statistics,
    group_by_pattern,
    impute_conditional_means,
    marginal_log_prob,
    mean_impute,
)
from bayesgmm.persistence import load_gaussian_mixture, save_gaussian_mixture

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

__all__ = ["GaussianMixture"]

#: without ``chunk_size``, the data are streamed from X (not copied) when the centred
#: copy would take more than this many bytes
_MAX_COPY_BYTES = 1 << 30
#: streamed fits initialise on a random subsample of at most this many rows
_INIT_SAMPLE_ROWS = 100_000
#: the fix suggested when a partial_fit batch contains NaN
_ONLINE_NAN_HINT = (
    "partial_fit does not handle missing values (even with missing='marginalize'): "
    "impute the batch, drop those rows, or use fit."
)
#: the fix suggested when X contains NaN and missing="error"
_NAN_HINT = "Pass missing='marginalize' to fit with them, or impute or drop those rows."


@dataclass
class _Params:
    """Mixture parameters in centred coordinates."""

    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    covariances: NDArray[np.float64]
    precisions_cholesky: NDArray[np.float64]


class GaussianMixture(ParamsMixin):
    """Gaussian mixture model fitted by maximum likelihood (EM).

    A drop-in replacement for ``sklearn.mixture.GaussianMixture``: same parameters,
    defaults, fitted attributes and methods, and, given the same initial parameters,
    the same estimates (to floating-point rounding). In addition ``fit`` accepts
    frequency ``sample_weight``, ``icl`` gives mclust's integrated completed
    likelihood, and degenerate components are repaired with a warning that names
    them instead of aborting the fit.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure: one full matrix per component; one full matrix shared
        by all; one diagonal per component; one variance per component. mclust's
        names ``"VVV"``, ``"EEE"``, ``"VVI"``, ``"VII"`` are accepted too.
    tol : float, default=1e-3
        Convergence threshold on the change of the mean log-likelihood per sample.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the best (highest log-likelihood) is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How initial responsibilities are drawn (bayesgmm's own k-means; no
        scikit-learn needed).
    weights_init : array-like of shape (n_components,), default=None
        Initial weights (non-negative, summing to 1).
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means.
    precisions_init : array-like, default=None
        Initial precisions (inverse covariances); shape as ``precisions_``.
    random_state : int, Generator, RandomState or None, default=None
        Seed of the initialisation and of :meth:`sample`. The same int gives
        bit-identical fits.
    warm_start : bool, default=False
        Start the next ``fit`` from the current solution (``n_init`` is then 1).
    verbose : int, default=0
        0 silent, 1 prints initialisations and iterations, 2 adds timings and the
        log-likelihood change.
    verbose_interval : int, default=10
        Iterations between progress messages.
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"error"``: NaN is an error (the message counts the
        missing cells and rows). ``"marginalize"``: NaN marks a value missing at
        random; the fit maximises the observed-data likelihood (see Notes), and
        :meth:`predict`, :meth:`predict_proba`, :meth:`score_samples`, :meth:`score`,
        :meth:`bic`, :meth:`aic` and :meth:`icl` use the marginal density of each
        row's observed features. Infinite values are always an error, and so are rows
        with every feature missing.
    chunk_size : int or None, default=None
        Rows per block in the E/M passes. ``None``: chosen automatically (blocks of
        about 2 MB), and the data are copied once in centred, transposed form, which
        makes passes fastest, unless that copy would exceed 1 GiB. With an integer,
        or above that size, nothing of size ``n_samples`` is stored: every pass reads
        ``X`` block by block (``X`` may be a :class:`numpy.memmap`), so the memory
        used beyond ``X`` is ``O(chunk_size x (n_components + n_features))``; fits
        on more than 100,000 rows then initialise on a random subsample of 100,000
        rows. Given the same initialisation, results equal those of the stored form
        to rounding. A ``dask.array.Array`` ``X`` is always processed per Dask chunk.
    learning_decay : float, default=0.7
        Exponent of the step size of :meth:`partial_fit`, in ``(0.5, 1]``: larger
        forgets old batches faster at first and averages more later.
    learning_offset : float, default=10.0
        Offset of the step size of :meth:`partial_fit` (``>= 0``): larger damps the
        first updates.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixture weights.
    means_ : ndarray of shape (n_components, n_features)
        Component means.
    covariances_ : ndarray
        Covariances; shape ``(K, D, D)`` full, ``(D, D)`` tied, ``(K, D)`` diag,
        ``(K,)`` spherical.
    precisions_ : ndarray
        Inverse covariances, same shape as ``covariances_``.
    precisions_cholesky_ : ndarray
        Upper-triangular ``U`` with ``precisions_ = U @ U.T`` (square roots for diag
        and spherical).
    converged_ : bool
        Whether the best initialisation converged.
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Mean (weighted) log-likelihood per sample of the best initialisation, as
        evaluated in its last E-step (scikit-learn's convention).
    lower_bounds_ : list of float
        ``lower_bound_`` after every iteration of the best initialisation.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame with string column names.

    See Also
    --------
    bayesgmm.covariance.get_covariance_model : the per-type algebra.

    Notes
    -----
    **Sign conventions.** ``bic``, ``aic`` and ``icl`` follow scikit-learn: lower is
    better, ``bic = -2 log L + p log n``. mclust reports ``BIC = 2 log L - p log n``
    (higher is better), i.e. ``-bic``; likewise mclust's ``ICL`` equals ``-icl``.

    **float32.** float32 input is accepted and computed in float64 (fitted
    attributes are float64), so results do not depend on the input precision.

    **Missing data.** With ``missing="marginalize"`` and NaN in ``X``, ``fit`` runs the
    exact EM for incomplete data (Ghahramani & Jordan, 1994; :mod:`bayesgmm.missing`):
    the E-step weighs each row by the marginal density of its observed features, and
    the M-step replaces the missing cells by their conditional expectations given the
    observed ones and the component, adding the conditional covariance to the second
    moments, for every covariance type. ``lower_bound_`` and ``lower_bounds_`` are then
    the observed-data log-likelihood per sample, which does not decrease between
    iterations, and ``bic``, ``aic`` and ``icl`` use the observed-data likelihood with
    ``n`` the number of rows. Initialisation (``init_params``) runs on the data with
    NaN replaced by column means. Rows are grouped by missingness pattern; the cost
    grows with the number of distinct patterns. Without NaN the fit is the usual one,
    bit for bit. :meth:`impute` fills missing cells with their conditional
    expectations under the fitted mixture.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> X = np.array(
    ...     [
    ...         [1, 2],
    ...         [2, 4],
    ...         [1, 0],
    ...         [2, 1],
    ...         [0, 3],
    ...         [1, 5],
    ...         [1.5, 2.5],
    ...         [10, 2],
    ...         [11, 4],
    ...         [10, 0],
    ...         [11, 1],
    ...         [9, 3],
    ...         [10, 5],
    ...         [10.5, 2.5],
    ...     ]
    ... )
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.round(gm.means_[np.argsort(gm.means_[:, 0])], 3)
    array([[ 1.214,  2.5  ],
           [10.214,  2.5  ]])
    >>> int(gm.predict([[0, 0]])[0] != gm.predict([[12, 3]])[0])
    1
    """

    _parameter_table: ClassVar[dict[str, Constraint]] = {
        "n_components": integer(1),
        "covariance_type": anything(),  # checked by get_covariance_model
        "tol": real(0.0, hint="Use a small positive value such as 1e-3."),
        "reg_covar": real(0.0, hint="Use a small positive value such as 1e-6."),
        "max_iter": integer(
            1,
            hint="EM needs at least one iteration (scikit-learn's max_iter=0, which returns "
            "the unfitted initialisation, is not supported).",
        ),
        "n_init": integer(1),
        "init_params": one_of(*INIT_METHODS),
        "weights_init": anything(),
        "means_init": anything(),
        "precisions_init": anything(),
        "random_state": random_state(),
        "warm_start": boolean(),
        "verbose": integer(0),
        "verbose_interval": integer(1),
        "missing": one_of(*MISSING_OPTIONS),
        "learning_decay": real(0.0),
        "learning_offset": real(0.0),
        "chunk_size": Constraint(
            lambda v: v is None or (_is_int(v) and v >= 1), "None or an integer >= 1"
        ),
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: CovarianceType = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: InitParams = "kmeans",
        weights_init: ArrayLike | None = None,
        means_init: ArrayLike | None = None,
        precisions_init: ArrayLike | None = None,
        random_state: RandomStateLike = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        missing: MissingOption = "error",
        chunk_size: int | None = None,
        learning_decay: float = 0.7,
        learning_offset: float = 10.0,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.missing = missing
        self.chunk_size = chunk_size
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset

    # ------------------------------------------------------------------ validation
    @property
    def _model(self) -> CovarianceModel:
        return get_covariance_model(self.covariance_type)

    def _validate_inits(self, n_features: int) -> tuple[Any, Any, Any]:
        K = self.n_components
        model = self._model
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = np.asarray(self.weights_init, dtype=np.float64)
            if weights.shape != (K,):
                raise ValueError(
                    f"weights_init must have shape ({K},) (n_components,); got {weights.shape}."
                )
            if not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.max() > 1:
                raise ValueError(
                    "weights_init must be in [0, 1]; got min "
                    f"{weights.min():.5g}, max {weights.max():.5g}."
                )
            if abs(weights.sum() - 1.0) > 1e-8:
                raise ValueError(
                    f"weights_init must sum to 1; got sum {weights.sum():.10g}. "
                    "Divide by the sum to normalise."
                )
        if self.means_init is not None:
            means = np.asarray(self.means_init, dtype=np.float64)
            if means.shape != (K, n_features):
                raise ValueError(
                    f"means_init must have shape ({K}, {n_features}) (n_components, "
                    f"n_features); got {means.shape}."
                )
            if not np.all(np.isfinite(means)):
                raise ValueError("means_init contains NaN or infinite values.")
        if self.precisions_init is not None:
            precisions = np.asarray(self.precisions_init, dtype=np.float64)
            if not np.all(np.isfinite(precisions)):
                raise ValueError("precisions_init contains NaN or infinite values.")
            precisions = model.validate_precisions(precisions, K, n_features)
        return weights, means, precisions

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "means_"):
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _check_feature_names(self, X: Any, names: NDArray[np.object_] | None) -> None:
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is not None and names is not None:
            if len(names) != len(fitted) or np.any(names != fitted):
                raise ValueError(
                    "The feature names should match those that were passed during fit; "
                    f"fitted with {list(fitted)}, got {list(names)}."
                )
        elif fitted is not None and names is None:
            warnings.warn(
                f"X does not have valid feature names, but {type(self).__name__} was fitted "
                "with feature names",
                UserWarning,
                stacklevel=3,
            )

    def _validate_predict_input(self, X: Any, allow_nan: bool | None = None) -> NDArray[np.float64]:
        self._check_is_fitted()
        if allow_nan is None:
            allow_nan = self.missing == "marginalize"
        hint = "Set missing='marginalize' to evaluate them on their observed features, or "
        array, names = check_array(X, allow_nan=allow_nan, nan_hint=hint + "impute or drop them.")
        if array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {array.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        self._check_feature_names(X, names)
        return array

    # ------------------------------------------------------------------ data and steps
    def _streams(self, X: NDArray[np.float64]) -> bool:
        """Whether passes read ``X`` block by block instead of a centred copy."""
        if self.chunk_size is not None:
            return True
        rows = self._model.n_stored_rows(X.shape[1])
        return rows * X.shape[0] * X.itemsize > _MAX_COPY_BYTES

    def _prepare_data(
        self,
        X: NDArray[np.float64],
        sample_weight: NDArray[np.float64] | None,
        center=None,
        stream: bool = False,
    ) -> Data:
        model = self._model
        if center is None:
            center = (
                X.mean(axis=0) if sample_weight is None else sample_weight @ X / sample_weight.sum()
            )
        if stream:
            data = stream_data(model, self.n_components, X, center, sample_weight, self.chunk_size)
        else:
            data = prepare_data(model, self.n_components, X, center, sample_weight)
        # squares of huge data overflow here; fit_predict then refuses such data
        with np.errstate(over="ignore", invalid="ignore"):
            data.data_statistic = data.compute_data_statistic()
            scale = data.variances()
        # features whose variance is 0 (or so small that its square underflows) are
        # constant for our purposes: measure them with the other features' variance
        data.feature_variances = scale
        data.variance_scale = variance_scale(scale)
        return data

    def _statistics(
        self, data: Data, resp_source: _Params | NDArray[np.float64]
    ) -> SufficientStatistics:
        """Run one pass over the data: E-step and M-step sufficient statistics.

        The E-step is skipped when responsibilities are given (initialisation).
        With ``data.n_parts > 1`` the blocks are shared among threads (NumPy releases
        the GIL in its kernels); each thread has its own accumulators, summed in a
        fixed order, so results do not depend on scheduling.
        """
        state = self._prepare_state(resp_source) if isinstance(resp_source, _Params) else None
        if isinstance(data, DaskData):
            return data.statistics(self, state)  # one pass on the workers
        n_parts = data.n_parts
        if n_parts == 1:
            return self._accumulate(data, state, resp_source, 0, 1)
        parts = list(
            executor().map(
                lambda part: self._accumulate(data, state, resp_source, part, n_parts),
                range(n_parts),
            )
        )
        total = parts[0]
        for other in parts[1:]:
            total.nk += other.nk
            total.moments += other.moments
            if total.outer is not None:
                total.outer += other.outer
            total.log_likelihood += other.log_likelihood
        return total

    def _accumulate(
        self, data: Data, state, resp_source, part: int, n_parts: int
    ) -> SufficientStatistics:
        model = self._model
        K, D = self.n_components, data.n_features
        moments = np.zeros((K, model.n_stat_features(D)))
        outer = np.zeros((K, D, D)) if model.dense_per_component else None
        log_likelihood = 0.0
        for start, stop, feat in data.blocks(part, n_parts):
            if state is None:
                resp = resp_source[:, start:stop]
            else:
                resp = model.weighted_log_prob(feat, state)
                norm = exp_normalize(resp)
                log_likelihood += float(
                    norm.sum()
                    if data.sample_weight is None
                    else data.sample_weight[start:stop] @ norm
                )
            if data.sample_weight is not None:
                resp = resp * data.sample_weight[start:stop]
            moments += resp @ feat.T  # its last column sums resp: features end in ones
            if outer is not None:
                outer += model.accumulate_outer(feat[:D], resp)
        nk = moments[:, -1].copy()
        return SufficientStatistics(nk, moments, outer, log_likelihood, data.total_weight)

    def _prepare_state(self, params: _Params) -> tuple:
        with np.errstate(divide="ignore"):
            return self._model.prepare(params.weights, params.means, params.precisions_cholesky)

    def _estimate_parameters(
        self, stats: SufficientStatistics, data: Data, repairs: dict[int, int]
    ) -> _Params:
        """M-step: parameters from sufficient statistics (scikit-learn's estimators)."""
        model = self._model
        nk = stats.nk + _NK_EPS
        means = stats.moments[:, : data.n_features] / nk[:, None]
        covariances = model.estimate_covariances(
            stats, nk, means, self.reg_covar, data.data_statistic
        )
        return self._repaired_params(nk, means, covariances, data, repairs)

    def _em_step(
        self, data: Data, params: _Params, repairs: dict[int, int]
    ) -> tuple[_Params, float]:
        """One EM iteration on complete data: new parameters and the mean log-likelihood."""
        stats = self._statistics(data, params)
        params = self._estimate_parameters(stats, data, repairs)
        return params, stats.log_likelihood / stats.total_weight

    def _incomplete_em_step(
        self, incomplete: IncompleteData, data: Data, params: _Params, repairs: dict[int, int]
    ) -> tuple[_Params, float]:
        """One EM iteration on data with missing cells (see :mod:`bayesgmm.missing`).

        ``data`` is the mean-imputed data: it supplies the centre and the variance
        scale of the covariance repairs.
        """
        model = self._model
        K, D = params.means.shape
        covariances = model.full_covariances(params.covariances, K, D)
        stats = expected_statistics(incomplete, params.weights, params.means, covariances)
        nk = stats.nk + _NK_EPS
        means = stats.first / nk[:, None]
        covariances = model.covariances_from_second_moments(stats.second, nk, means, self.reg_covar)
        params = self._repaired_params(nk, means, covariances, data, repairs)
        return params, stats.log_likelihood / stats.total_weight

    def _repaired_params(
        self,
        nk: NDArray[np.float64],
        means: NDArray[np.float64],
        covariances: NDArray[np.float64],
        data: Data,
        repairs: dict[int, int],
    ) -> _Params:
        """Parameters from M-step estimates, repairing covariances that are singular."""
        model = self._model
        precisions_cholesky, covariances, repaired = model.precisions_cholesky(
            covariances, RELATIVE_VARIANCE_FLOOR * data.variance_scale
        )
        for k in repaired:
            repairs[k] = repairs.get(k, 0) + 1
        return _Params(nk / nk.sum(), means, covariances, precisions_cholesky)

    def _initial_params(
        self, X: NDArray[np.float64], data: Data, rng: np.random.Generator, inits, repairs
    ) -> _Params:
        model = self._model
        weights, means, precisions = inits
        if weights is None or means is None or precisions is None:
            resp = initial_responsibilities(
                self.init_params, X, self.n_components, rng, data.sample_weight
            )
            params = self._estimate_parameters(self._statistics(data, resp), data, repairs)
        else:
            params = _Params(weights, means, np.empty(0), np.empty(0))
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

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> Self:
        """Estimate the mixture parameters with EM.

        Runs ``n_init`` initialisations and keeps the one with the highest
        log-likelihood. Each alternates E- and M-steps until the mean log-likelihood
        changes by less than ``tol`` or ``max_iter`` is reached (then a
        ``ConvergenceWarning`` is raised).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (NumPy array, nested lists or pandas DataFrame). With
            ``missing="marginalize"``, NaN (or pandas ``NA``) marks missing cells.
        y : Ignored
            Present for scikit-learn API compatibility.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights: a row with integer weight ``w`` counts as ``w``
            identical rows (given the same initial parameters the fit equals the fit
            on repeated rows). Non-negative; rows with weight 0 are ignored.

        Returns
        -------
        self : GaussianMixture
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> GaussianMixture(random_state=0).fit(X).converged_
        True
        """
        self._fit(X, sample_weight, return_labels=False)
        return self

    def partial_fit(
        self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Update the mixture with one batch of a stream (stepwise online EM).

        For data that never fit in memory at once. The first call initialises the
        parameters on its batch (``init_params`` or the explicit inits) and fixes the
        data centre; every call then runs one E-step on its batch and moves running
        averages of the sufficient statistics towards the batch's,
        ``s <- (1 - r) s + r s_batch`` with step ``r = (learning_offset + t) **
        -learning_decay`` at the ``t``-th batch (Cappé and Moulines, 2009), followed by
        the usual M-step. With ``0.5 < learning_decay <= 1`` the estimates converge to
        a maximum of the likelihood of the stream's distribution; batches of a few
        hundred rows or more, in random order, work best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch (at least ``n_components`` rows for the first).
        y : Ignored
            Present for scikit-learn API compatibility.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the batch's rows.

        Returns
        -------
        self : GaussianMixture

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> gm = GaussianMixture(2, random_state=0)
        >>> for _ in range(50):
        ...     batch = np.r_[rng.normal(-3, 1, (100, 1)), rng.normal(3, 1, (100, 1))]
        ...     _ = gm.partial_fit(batch)
        >>> np.sort(gm.means_.ravel()).round(1)
        array([-3.,  3.])
        """
        check_parameters(self, self._parameter_table)
        if not 0.5 < self.learning_decay <= 1.0:
            raise ValueError(
                f"learning_decay must be in (0.5, 1] for online EM to converge; got "
                f"{self.learning_decay}."
            )
        first = getattr(self, "_online", None) is None or not hasattr(self, "means_")
        array, names = check_array(
            X,
            min_samples=self.n_components if first else 1,
            nan_hint=_ONLINE_NAN_HINT,
        )
        weight = check_sample_weight(sample_weight, array.shape[0])
        repairs: dict[int, int] = {}
        if first:
            inits = self._validate_inits(array.shape[1])
            data = self._prepare_data(array, weight)
            self._check_scale(data, names)
            rng = check_random_state(self.random_state)
            params = self._initial_params(array, data, rng, inits, repairs)
            self._online = {"n_batches": 0, "weight_seen": 0.0}
            self.n_features_in_ = array.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self.lower_bounds_ = []
        else:
            array = self._validate_predict_input(X, allow_nan=True)
            if np.isnan(array).any():
                check_array(array, nan_hint=_ONLINE_NAN_HINT)  # raises, naming the rows
            data = self._prepare_data(array, weight, center=self._center)
            params = self._current_params(self._center)
        stats = self._statistics(data, params)
        online = self._online
        step = (self.learning_offset + online["n_batches"]) ** -self.learning_decay
        step = 1.0 if first else step
        batch = {
            "nk": stats.nk / stats.total_weight,
            "moments": stats.moments / stats.total_weight,
            "outer": None if stats.outer is None else stats.outer / stats.total_weight,
            "data_statistic": (
                None if data.data_statistic is None else data.data_statistic / data.total_weight
            ),
        }
        for key, value in batch.items():
            if value is not None:
                online[key] = value if first else (1 - step) * online[key] + step * value
        online["n_batches"] += 1
        online["weight_seen"] += data.total_weight
        seen = online["weight_seen"]
        running = SufficientStatistics(
            online["nk"] * seen,
            online["moments"] * seen,
            None if stats.outer is None else online["outer"] * seen,
            0.0,
            seen,
        )
        data.data_statistic = (
            None if data.data_statistic is None else online["data_statistic"] * seen
        )
        params = self._estimate_parameters(running, data, repairs)
        self._check_finite(params)
        self._set_params(params, data.center)
        self._center = data.center
        self.lower_bounds_.append(stats.log_likelihood / stats.total_weight)
        self.lower_bound_ = self.lower_bounds_[-1]
        self.n_iter_ = online["n_batches"]
        self.converged_ = False
        return self

    def fit_predict(
        self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None
    ) -> NDArray[np.intp]:
        """Fit the model and return the most probable component of every sample.

        Equal to ``fit(X).predict(X)`` for any ``max_iter``, ``tol`` and seed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Present for scikit-learn API compatibility.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights, see :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component index of each sample.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1)) * 10] + np.arange(10)[:, None] / 100
        >>> labels = GaussianMixture(2, random_state=0).fit_predict(X)
        >>> len(set(labels[:5])), len(set(labels[5:])), labels[0] != labels[-1]
        (1, 1, np.True_)
        """
        return self._fit(X, sample_weight, return_labels=True)

    def _fit(
        self, X: ArrayLike, sample_weight: ArrayLike | None, return_labels: bool
    ) -> NDArray[np.intp] | None:
        """Validate, prepare the data and run EM; labels of the fitted model if asked."""
        check_parameters(self, self._parameter_table)
        self._model  # noqa: B018 - validates covariance_type before touching the data
        if is_dask_array(X):
            return self._fit_dask(X, sample_weight, return_labels)
        array, names = check_array(
            X, min_samples=2, allow_nan=self.missing == "marginalize", nan_hint=_NAN_HINT
        )
        n_samples = array.shape[0]
        weight = check_sample_weight(sample_weight, n_samples)
        positive = n_samples if weight is None else int(np.count_nonzero(weight))
        if positive < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {positive}"
                + ("" if weight is None else " (rows with positive sample_weight)")
                + ". Lower n_components or pass more data."
            )
        rng = check_random_state(self.random_state)
        incomplete: IncompleteData | None = None
        step = self._em_step
        if self.missing == "marginalize" and np.isnan(array).any():
            # initialise on (and take the centre and scale of) the mean-imputed data
            filled = mean_impute(array, weight)
            data = self._prepare_data(filled, weight)
            incomplete = group_by_pattern(array, data.center, weight)
            array = filled
            step = functools.partial(self._incomplete_em_step, incomplete)
        else:
            data = self._prepare_data(array, weight, stream=self._streams(array))
        init_array, init_data = array, data
        if data.source is not None and n_samples > _INIT_SAMPLE_ROWS:
            # initialise on a subsample: k-means on all rows would need O(N x K) memory
            rows = np.sort(rng.choice(n_samples, _INIT_SAMPLE_ROWS, replace=False))
            init_array = array[rows]
            init_data = self._prepare_data(
                init_array, None if weight is None else weight[rows], center=data.center
            )
        self._fit_data(data, names, init_array, init_data, rng, step)
        if not return_labels:
            return None
        labels, _ = self._log_prob_norm_and_argmax(data if incomplete is None else incomplete)
        return labels

    def _fit_dask(self, X: Any, sample_weight: Any, return_labels: bool) -> Any:
        """Fit on a Dask array (see :mod:`bayesgmm._dask`); returns lazy labels."""
        from bayesgmm._dask import prepare_dask_data

        data, names = prepare_dask_data(self, X, sample_weight)
        data.feature_variances = data.variances()
        data.variance_scale = variance_scale(data.feature_variances)
        rng = check_random_state(self.random_state)
        # initialise on all rows (in memory) up to _INIT_SAMPLE_ROWS, else on a subsample
        n_samples = data.n_samples
        if n_samples > _INIT_SAMPLE_ROWS:
            rows = np.sort(rng.choice(n_samples, _INIT_SAMPLE_ROWS, replace=False))
        else:
            rows = np.arange(n_samples)
        init_array, init_weight = data.take_rows(rows)
        init_data = self._prepare_data(init_array, init_weight, center=data.center)
        self._fit_data(data, names, init_array, init_data, rng, self._em_step)
        return self.predict(data.source) if return_labels else None

    def _fit_data(self, data, names, init_array, init_data, rng, step) -> None:
        """The EM loop shared by in-memory, streamed and Dask data."""
        n_features = data.n_features
        inits = self._validate_inits(n_features)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if not do_init and n_features != self.n_features_in_:
            raise ValueError(
                f"warm_start=True but X has {n_features} features while the fitted model "
                f"has {self.n_features_in_}; refit with warm_start=False."
            )
        n_init = self.n_init if do_init else 1
        self._check_scale(data, names)

        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

        max_lower_bound = -np.inf
        best_params: _Params | None = None
        best_n_iter = 0
        best_lower_bounds: list[float] = []
        best_repairs: dict[int, int] = {}
        self.converged_ = False
        last_change = np.nan
        for init in range(n_init):
            self._print_init_start(init)
            repairs: dict[int, int] = {}
            if do_init:
                params = self._initial_params(init_array, init_data, rng, inits, repairs)
                lower_bound = -np.inf
            else:
                params = self._current_params(data.center)
                lower_bound = self.lower_bound_
            lower_bounds: list[float] = []
            converged = False
            change = np.nan
            passes = parallel_passes(data) if step == self._em_step else contextlib.nullcontext()
            with passes:
                for n_iter in range(1, self.max_iter + 1):
                    previous = lower_bound
                    params, lower_bound = step(data, params, repairs)
                    lower_bounds.append(lower_bound)
                    change = lower_bound - previous
                    self._print_iteration(n_iter, change)
                    if abs(change) < self.tol:
                        converged = True
                        break
            data.n_parts = 1
            self._print_init_end(lower_bound, converged)
            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best_params, best_n_iter = params, n_iter
                best_lower_bounds, best_repairs = lower_bounds, repairs
                self.converged_ = converged
                last_change = change

        if not self.converged_:
            warnings.warn(
                f"Best performing initialization did not converge after max_iter="
                f"{self.max_iter} iterations (last change of the mean log-likelihood "
                f"{last_change:.3g}, tol={self.tol}). Try different init parameters, "
                "increase max_iter or tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self._check_finite(best_params)
        self._set_params(best_params, data.center)
        self._center = data.center
        self.n_iter_ = best_n_iter
        self.lower_bound_ = float(max_lower_bound)
        self.lower_bounds_ = best_lower_bounds
        self._warn_degenerate(best_repairs, data)

    def _check_scale(self, data: Data, names: NDArray[np.object_] | None) -> None:
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

    def _check_finite(self, params: _Params) -> None:
        """Raise instead of storing NaN or infinite parameters."""
        arrays = (params.weights, params.means, params.covariances, params.precisions_cholesky)
        if all(np.isfinite(a).all() for a in arrays):
            return
        per_component = [
            np.isfinite(a.reshape(self.n_components, -1)).all(axis=1)
            for a in arrays
            if a.shape[:1] == (self.n_components,) and a.ndim > 0
        ]
        bad = np.flatnonzero(~np.logical_and.reduce(per_component)).tolist()
        where = f"component(s) {bad}" if bad else "the shared covariance"
        raise ValueError(
            f"EM produced non-finite parameters for {where}: the data's scale is outside "
            "what float64 arithmetic handles here. Standardise the features (or divide X "
            "by a constant) and fit again."
        )

    def _current_params(self, center: NDArray[np.float64]) -> _Params:
        return _Params(
            self.weights_.copy(),
            self.means_ - center,
            self.covariances_.copy(),
            self.precisions_cholesky_.copy(),
        )

    def _set_params(self, params: _Params, center: NDArray[np.float64]) -> None:
        model = self._model
        self.weights_ = params.weights
        self.means_ = params.means + center
        self.covariances_ = params.covariances
        self.precisions_cholesky_ = params.precisions_cholesky
        self.precisions_ = model.precisions_from_cholesky(params.precisions_cholesky)

    def _warn_degenerate(self, repairs: dict[int, int], data: Data) -> None:
        model = self._model
        effective = self.weights_ * data.total_weight
        for k, count in sorted(repairs.items()):
            warnings.warn(
                f"Component {k} collapsed ({effective[k]:.3g} effective samples at the end): "
                f"its covariance was not positive definite in {count} EM step(s) and was "
                "regularised by adding jitter to its diagonal. Increase reg_covar, lower "
                "n_components, or standardise X.",
                ComponentCollapseWarning,
                stacklevel=5,
            )
        warned = set(repairs)
        if not model.shared_covariance:  # a shared covariance pools every point
            n_features = data.n_features
            shift = model.regularisation(self.reg_covar, n_features)
            smallest = model.smallest_variances(
                self.covariances_ - shift, self.n_components, data.variance_scale
            )
            for k in range(self.n_components):
                if k in warned or not (effective[k] < 1.0 or smallest[k] <= 1e-8):
                    continue
                warned.add(k)
                warnings.warn(
                    f"Component {k} collapsed: it holds {effective[k]:.3g} effective samples "
                    f"(weight {self.weights_[k]:.3g}) and its smallest variance is "
                    f"{max(smallest[k], 0.0):.3g} times the data's, i.e. set by reg_covar="
                    f"{self.reg_covar}, not by the data. Lower n_components, increase "
                    "reg_covar, or check for duplicated points.",
                    ComponentCollapseWarning,
                    stacklevel=5,
                )
        needed = model.n_component_parameters(data.n_features)
        owned = "mean, weight" + ("" if model.shared_covariance else " and covariance")
        for k in range(self.n_components):
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

    # ------------------------------------------------------------------ prediction
    def _predict_data(self, X: ArrayLike) -> Data | IncompleteData:
        array = self._validate_predict_input(X)
        if self.missing == "marginalize" and np.isnan(array).any():
            return group_by_pattern(array, self._center)
        if self._streams(array):
            return stream_data(
                self._model, self.n_components, array, self._center, None, self.chunk_size
            )
        return prepare_data(self._model, self.n_components, array, self._center)

    def _full_covariances(self) -> NDArray[np.float64]:
        K, D = self.means_.shape
        return self._model.full_covariances(self.covariances_, K, D)

    def _fitted_state(self) -> tuple:
        return self._prepare_state(
            _Params(
                self.weights_,
                self.means_ - self._center,
                self.covariances_,
                self.precisions_cholesky_,
            )
        )

    def _weighted_log_prob_blocks(self, data: Data | IncompleteData):
        if isinstance(data, IncompleteData):  # one block: marginal densities per pattern
            means = self.means_ - self._center
            covariances = self._full_covariances()
            yield 0, data.n_samples, marginal_log_prob(data, self.weights_, means, covariances)
            return
        state = self._fitted_state()
        with one_thread_blas(data.n_blocks):
            for start, stop, feat in data.blocks():
                yield start, stop, self._model.weighted_log_prob(feat, state)

    def _log_prob_norm_and_argmax(
        self, data: Data | IncompleteData
    ) -> tuple[NDArray[np.intp], NDArray]:
        n = data.n_samples
        labels = np.empty(n, dtype=np.intp)
        norm = np.empty(n)
        for start, stop, log_prob in self._weighted_log_prob_blocks(data):
            labels[start:stop] = log_prob.argmax(axis=0)
            norm[start:stop] = exp_normalize(log_prob)
        return labels, norm

    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log-density of the mixture at every sample, ``log p(x)``.

        Computed in log space: finite even for points millions of standard
        deviations away from every component. With ``missing="marginalize"`` a row
        with NaN gets the marginal log-density of its observed features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture(random_state=0).fit(np.random.default_rng(0).normal(size=(500, 1)))
        >>> bool(np.isfinite(gm.score_samples([[1e6]])).all())
        True
        """
        if is_dask_array(X):
            return self._map_dask(X, self.score_samples, None, np.float64)
        _, norm = self._log_prob_norm_and_argmax(self._predict_data(X))
        return norm

    def score(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> float:
        """Mean (optionally weighted) log-likelihood per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.
        y : Ignored
            Present for scikit-learn API compatibility.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(1000, 1))
        >>> round(GaussianMixture(random_state=0).fit(X).score(X), 2)
        -1.4
        """
        total, weight = self._total_log_likelihood(X, sample_weight)
        return total / weight

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """Most probable component of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.full((5, 1), 9.0)] + np.arange(10)[:, None] / 50
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> bool(gm.predict([[0.0]])[0] != gm.predict([[9.0]])[0])
        True
        """
        if is_dask_array(X):
            return self._map_dask(X, self.predict, None, np.intp)
        labels, _ = self._log_prob_norm_and_argmax(self._predict_data(X))
        return labels

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior probability of each component for every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Rows sum to 1.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> proba = GaussianMixture(3, random_state=0).fit(X).predict_proba(X)
        >>> bool(np.allclose(proba.sum(axis=1), 1.0))
        True
        """
        if is_dask_array(X):
            return self._map_dask(X, self.predict_proba, self.n_components, np.float64)
        data = self._predict_data(X)
        n = data.n_samples
        proba = np.empty((n, self.n_components))
        for start, stop, log_prob in self._weighted_log_prob_blocks(data):
            exp_normalize(log_prob, floor=None)
            proba[start:stop] = log_prob.T
        return proba

    def impute(self, X: ArrayLike) -> NDArray[np.float64] | pd.DataFrame:
        """Fill missing (NaN) cells with their conditional expectation under the mixture.

        A missing cell ``x_m`` of a row with observed cells ``x_o`` becomes
        ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + Sigma_k,mo Sigma_k,oo^{-1}
        (x_o - mu_ko))``: each component's regression on the observed cells, weighted
        by the component's posterior probability given them. Observed cells are
        returned unchanged. Works whatever ``missing`` is set to (NaN is the point
        here); infinite values and rows with every cell missing are errors.

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
        >>> rng = np.random.default_rng(0)
        >>> X = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=500)
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> filled = gm.impute([[2.0, np.nan], [np.nan, -1.0]])
        >>> np.round(filled, 1)
        array([[ 2. ,  1.8],
               [-0.9, -1. ]])
        """
        array = self._validate_predict_input(X, allow_nan=True)
        filled = array.copy()
        if np.isnan(array).any():
            data = group_by_pattern(array, self._center)
            means = self.means_ - self._center
            filled = impute_conditional_means(
                array, data, self.weights_, means, self._full_covariances()
            )
        if hasattr(X, "columns") and hasattr(X, "index"):
            import pandas

            return pandas.DataFrame(filled, index=X.index, columns=X.columns)
        return filled

    def sample(self, n_samples: int = 1) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Samples, grouped by component.
        y : ndarray of shape (n_samples,)
            Component of each sample.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(1).normal(size=(50, 2))
        >>> X, y = GaussianMixture(2, random_state=0).fit(X).sample(5)
        >>> X.shape, y.shape
        ((5, 2), (5,))
        """
        self._check_is_fitted()
        if (
            isinstance(n_samples, bool)
            or not isinstance(n_samples, int | np.integer)
            or (n_samples < 1)
        ):
            raise ValueError(
                f"n_samples must be an integer >= 1 (the number of samples to draw); "
                f"got {n_samples!r}."
            )
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        X = self._model.sample(rng, self.means_, self.covariances_, counts)
        y = np.repeat(np.arange(self.n_components), counts)
        return X, y

    # ------------------------------------------------------------------ criteria
    def _n_parameters(self) -> int:
        """Number of free parameters of the fitted model."""
        return self._model.n_parameters(self.n_components, self.means_.shape[1])

    def _map_dask(self, X: Any, method, n_columns: int | None, dtype) -> Any:
        """``method`` applied lazily to every row chunk of a Dask array."""
        from bayesgmm._dask import map_rows

        self._check_is_fitted()
        return map_rows(X, method, self.n_features_in_, n_columns, dtype)

    def _total_log_likelihood(self, X: ArrayLike, sample_weight) -> tuple[float, float]:
        if is_dask_array(X):
            from bayesgmm._dask import sum_log_likelihood

            self._check_is_fitted()
            return sum_log_likelihood(self, X, sample_weight)
        norm = self.score_samples(X)
        weight = check_sample_weight(sample_weight, len(norm))
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
        weight = check_sample_weight(sample_weight, data.n_samples)
        norm = np.empty(data.n_samples)
        top = np.empty(data.n_samples)
        for start, stop, log_prob in self._weighted_log_prob_blocks(data):
            top[start:stop] = log_prob.max(axis=0)
            norm[start:stop] = exp_normalize(log_prob)
        if weight is None:
            return float(norm.sum()), float(len(norm)), float((norm - top).sum())
        return float(weight @ norm), float(weight.sum()), float(weight @ (norm - top))

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
            three criteria).

        Examples
        --------
        >>> import numpy as np
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
            }
        log_lik, n, entropy = self._likelihood_terms(X, sample_weight)
        p = self._n_parameters()
        bic = -2.0 * log_lik + p * math.log(n)
        return {
            "log_likelihood": log_lik,
            "bic": bic,
            "aic": -2.0 * log_lik + 2.0 * p,
            "icl": bic + 2.0 * entropy,
        }

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to a file, atomically (see :mod:`bayesgmm.persistence`).

        A NumPy ``.npz`` archive (no pickle) with every fitted array bit for bit, the
        parameters, and the file format and bayesgmm versions. An existing file is
        replaced whole or not at all, even if the process is interrupted.

        Parameters
        ----------
        path : str or path-like
            Destination file (``.npz`` is conventional); its directory must exist.

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
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     loaded = GaussianMixture.load(gm.save(Path(folder) / "model.npz"))
        >>> bool((loaded.score_samples(X) == gm.score_samples(X)).all())
        True
        """
        return save_gaussian_mixture(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Load a model written by :meth:`save`; predictions are bit-identical.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        GaussianMixture
            The fitted estimator (usable for prediction and a ``warm_start`` refit).

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is corrupted, truncated or not a GaussianMixture model file,
            or was written with a newer file format version (then upgrade bayesgmm).

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = GaussianMixture(random_state=0).fit(X).save(Path(folder) / "gm.npz")
        ...     gm = GaussianMixture.load(path)
        >>> gm.means_.shape
        (1, 1)
        """
        return load_gaussian_mixture(path, cls=cls)

    # ------------------------------------------------------------------ verbose output
    def _print_init_start(self, init: int) -> None:
        if self.verbose >= 1:
            print(f"Initialization {init}")
            self._init_time = self._iter_time = time.perf_counter()

    def _print_iteration(self, n_iter: int, change: float) -> None:
        if self.verbose >= 1 and n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            else:
                now = time.perf_counter()
                print(
                    f"  Iteration {n_iter}\t time lapse {now - self._iter_time:.5f}s\t "
                    f"ll change {change:.5f}"
                )
                self._iter_time = now

    def _print_init_end(self, lower_bound: float, converged: bool) -> None:
        message = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {message}.")
        elif self.verbose >= 2:
            elapsed = time.perf_counter() - self._init_time
            print(
                f"Initialization {message}. time lapse {elapsed:.5f}s\t lower bound "
                f"{lower_bound:.5f}."
            )
