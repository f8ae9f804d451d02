"""What every fitted Gaussian mixture answers, EM estimate or posterior.

:class:`FittedMixtureLike` is the protocol that clustering
(:mod:`bayesgmm.uses.clustering`), anomaly detection (:mod:`bayesgmm.uses.anomaly`),
the plots and the report use: the parameters as draws (an EM fit is one plug-in
draw, a posterior has ``S`` of them), log-densities and memberships, both averaged
and per draw. :class:`bayesgmm.GaussianMixture` and
:class:`bayesgmm.BayesianGaussianMixture` implement it; the callers never ask which
of the two they hold, only whether its draws are posterior draws
(:attr:`FittedMixtureLike.is_posterior`: credible intervals exist only then).

The protocol is structural (:class:`typing.Protocol`): nothing here imports an
estimator, and ``isinstance(model, FittedMixtureLike)`` checks that the members
exist (not that the model is fitted: the methods raise ``NotFittedError``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FittedMixtureLike", "MixtureDraws"]


class MixtureDraws(Protocol):
    """Draws of a mixture's parameters, flattened over chains.

    :class:`bayesgmm.em.parameter_draws.ParameterDraws` is the implementation.

    Attributes
    ----------
    covariance_type : str
        The covariance model of ``covariances``.
    weights : ndarray of shape (S, K)
    means : ndarray of shape (S, K, D)
    covariances : ndarray of shape (S, ...)
        The covariance model's own shape per draw; :meth:`full_covariances` gives
        ``(S, K, D, D)``.
    n_chains, n_draws : int
        ``S = n_chains * n_draws`` (1 and 1 for a plug-in EM fit).
    """

    # read-only properties, so that a frozen dataclass implements them
    @property
    def covariance_type(self) -> str:
        """The covariance model of :attr:`covariances`."""
        ...

    @property
    def weights(self) -> NDArray[np.float64]:
        """Weights, shape ``(S, K)``."""
        ...

    @property
    def means(self) -> NDArray[np.float64]:
        """Means, shape ``(S, K, D)``."""
        ...

    @property
    def covariances(self) -> NDArray[np.float64]:
        """Covariances in the covariance model's own shape per draw, ``(S, ...)``."""
        ...

    @property
    def n_chains(self) -> int:
        """Number of chains (1 for a plug-in EM fit)."""
        ...

    @property
    def n_draws(self) -> int:
        """Draws per chain (1 for a plug-in EM fit)."""
        ...

    @property
    def size(self) -> int:
        """Number of draws ``S``."""
        ...

    def full_covariances(self) -> NDArray[np.float64]:
        """Covariances as full matrices, shape ``(S, K, D, D)``."""
        ...

    def take(self, picks: NDArray[np.intp]) -> MixtureDraws:
        """The draws ``picks`` (as one chain)."""
        ...


@runtime_checkable
class FittedMixtureLike(Protocol):
    """A fitted Gaussian mixture: parameter draws, log-densities and memberships.

    Implemented by :class:`bayesgmm.GaussianMixture` (one plug-in draw,
    ``is_posterior = False``) and :class:`bayesgmm.BayesianGaussianMixture` (its
    posterior draws, ``is_posterior = True``). Averages over the draws
    (:meth:`score_samples`, :meth:`predict_proba`, :meth:`predict`) and the
    per-draw values (:meth:`log_density_draws`, :meth:`membership_draws`) come
    from the same draws, so ``score_samples(X) == log mean_s exp(log_density_draws(X))``
    and ``predict_proba(X) == membership_draws(X).mean(axis=0)`` (exactly so for an
    EM fit).

    Besides the members below, a fitted model has ``n_features_in_`` and, when it
    was fitted on a DataFrame, ``feature_names_in_`` (scikit-learn's convention),
    and its point estimate in ``weights_``, ``means_`` and ``covariances_`` (in the
    shape of ``covariance_type``; posterior means for a Bayesian fit). All but
    ``feature_names_in_`` are declared for type checkers only: an unfitted model
    lacks them, and ``isinstance`` does not ask for them.

    Attributes
    ----------
    is_posterior : bool
        Whether the draws are posterior draws (credible intervals over them mean
        something); ``False`` for a point estimate, whose one draw carries no
        parameter uncertainty.
    n_components : int
        ``K``.
    covariance_type : str
        The covariance model.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> gm = GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(50, 2)))
    >>> isinstance(gm, FittedMixtureLike), gm.is_posterior, gm.parameter_draws().size
    (True, False, 1)
    """

    is_posterior: ClassVar[bool]
    n_components: int
    covariance_type: str

    if TYPE_CHECKING:
        # Set by ``fit``: declared for static checking only, so that
        # ``isinstance(model, FittedMixtureLike)`` still holds for an unfitted model
        # (a runtime-checkable protocol checks that its data members exist).
        n_features_in_: int
        weights_: NDArray[np.float64]
        means_: NDArray[np.float64]
        covariances_: NDArray[np.float64]

    def parameter_draws(self) -> MixtureDraws:
        """Weights ``(S, K)``, means ``(S, K, D)`` and covariances of every draw."""
        ...

    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """``log mean_s p(x | theta_s)`` per sample, shape ``(n_samples,)``."""
        ...

    def log_density_draws(self, X: ArrayLike) -> NDArray[np.float64]:
        """``log p(x | theta_s)`` per draw and sample, shape ``(S, n_samples)``."""
        ...

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Memberships averaged over the draws, shape ``(n_samples, K)``."""
        ...

    def membership_draws(
        self, X: ArrayLike, picks: NDArray[np.intp] | None = None
    ) -> NDArray[np.float64]:
        """Memberships per draw, shape ``(S, n_samples, K)`` (only the draws ``picks``)."""
        ...

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """Most probable component per sample (of :meth:`predict_proba`)."""
        ...

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Mean of :meth:`score_samples`."""
        ...
