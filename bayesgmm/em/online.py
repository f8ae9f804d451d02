"""Stepwise online EM: :class:`OnlineFitting`, ``partial_fit`` of the EM estimator.

A mixin: the estimator supplies its engine, initial values and the storing of fitted
parameters; :func:`online_step` does the step with the engine's E- and M-steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from bayesgmm.core.validation import (
    Constraint,
    check_parameters,
    check_random_state,
    validate_data,
)
from bayesgmm.covariance import SufficientStatistics
from bayesgmm.em.engine import EMEngine, MixtureParams
from bayesgmm.em.fit_checks import check_finite, check_scale
from bayesgmm.em.fitted_base import FittedMixture
from bayesgmm.em.passes import Data, fit_data

__all__ = ["OnlineFitting", "OnlineState", "online_step"]

#: the fix suggested when a partial_fit batch contains NaN
_ONLINE_NAN_HINT = (
    "partial_fit does not handle missing values (even with missing='marginalize'): "
    "impute the batch, drop those rows, or use fit."
)


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


def online_step(
    engine: EMEngine,
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

    Examples
    --------
    >>> from bayesgmm.covariance import get_covariance_model
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-3, 1, (100, 1)), rng.normal(3, 1, (100, 1))]
    >>> engine = EMEngine(get_covariance_model("full"), 2)
    >>> data = fit_data(engine.model, 2, X, None)
    >>> params = engine.initial_params(X, data, rng, (None, None, None), {})
    >>> params, state, _ = online_step(engine, None, data, params, 1.0, {})
    >>> state.n_batches, np.sort((params.means + data.center).ravel()).round(0).tolist()
    (1, [-3.0, 3.0])
    """
    stats = data.statistics(engine.n_components, engine.e_state(params, data.dtype))
    total = stats.total_weight
    batch: dict[str, Any] = {  # OnlineState's fields
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
    data.data_statistic = None if online.data_statistic is None else online.data_statistic * seen
    params = engine.m_step(running, data, repairs)
    return params, online, stats.log_likelihood / total


class OnlineFitting(FittedMixture):
    """``partial_fit``: one stepwise online EM update per batch (a mixin of the estimator)."""

    _parameter_table: ClassVar[dict[str, Constraint]]
    _online: dict[str, Any] | None
    learning_decay: float
    learning_offset: float
    prior: Any
    noise: Any
    lower_bounds_: list[float]
    lower_bound_: float
    n_iter_: int
    converged_: bool
    # the estimator's (:class:`bayesgmm.GaussianMixture`)
    _engine: Callable[[], EMEngine]
    _initial_values: Callable[[int], tuple[Any, Any, Any]]
    _set_features: Callable[[int, NDArray[np.object_] | None], None]
    _set_params: Callable[[MixtureParams, NDArray[np.float64], DTypeLike], None]

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
        >>> from bayesgmm import GaussianMixture
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
        if self.prior is not None:
            raise ValueError("prior is not available for partial_fit; use fit.")
        if self.noise is not False:
            raise ValueError(
                "noise is not available for partial_fit (a uniform noise component needs "
                "the data's region up front); use fit."
            )
        first = getattr(self, "_online", None) is None or not hasattr(self, "means_")
        batch = validate_data(
            X,
            min_samples=self.n_components if first else 1,
            nan_hint=_ONLINE_NAN_HINT,
            keep_float32=not first,
            sample_weight=sample_weight,
        )
        array, names, weight = batch.array, batch.feature_names, batch.sample_weight
        engine = self._engine()
        repairs: dict[int, int] = {}
        if first:
            data = fit_data(self._model, self.n_components, array, weight)
            check_scale(data, names, engine.reg_covar)
            rng = check_random_state(self.random_state)
            inits = self._initial_values(array.shape[1])
            params = engine.initial_params(array, data, rng, inits, repairs)
            self._online = None
            self._set_features(array.shape[1], names)
            self.lower_bounds_ = []
            step = 1.0
        else:
            array = self._validate_predict_input(batch)  # the fitted features and names
            data = fit_data(self._model, self.n_components, array, weight, self._center)
            params = self._fitted_params()
            assert self._online is not None  # a later batch: the first one set it
            step = (self.learning_offset + self._online["n_batches"]) ** -self.learning_decay
        online = None if self._online is None else OnlineState.from_dict(self._online)
        params, online, lower_bound = online_step(engine, online, data, params, step, repairs)
        self._online = online.as_dict()  # the form model files store
        check_finite(params, self.n_components)
        self._set_params(params, data.center, array.dtype)
        self.lower_bounds_.append(lower_bound)
        self.lower_bound_ = lower_bound
        self.n_iter_ = online.n_batches
        self.converged_ = False
        return self
