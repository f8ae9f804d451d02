"""Warnings and errors raised by bayesgmm."""

from __future__ import annotations

__all__ = [
    "CacheWarning",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "DataScaleWarning",
    "NotFittedError",
    "SamplingError",
    "SamplingWarning",
]


class ConvergenceWarning(UserWarning):
    """EM (or a sampler) stopped before meeting its convergence criterion.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("stopped early", ConvergenceWarning)
    >>> caught[0].category.__name__
    'ConvergenceWarning'
    """


class ComponentCollapseWarning(UserWarning):
    """A mixture component degenerated (empty, singular or collapsed onto few points).

    The message names the component and what was done about it.

    Examples
    --------
    >>> issubclass(ComponentCollapseWarning, UserWarning)
    True
    """


class DataScaleWarning(UserWarning):
    """The data's scale makes the fit depend on a setting rather than on the data.

    Raised when ``reg_covar`` is not small next to the variance of a feature, so
    that the regulariser, not the data, shapes the covariances. The message names
    the features and says how to rescale.

    Examples
    --------
    >>> issubclass(DataScaleWarning, UserWarning)
    True
    """


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit``.

    Subclasses both ``ValueError`` and ``AttributeError``, like scikit-learn's.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> try:
    ...     GaussianMixture().predict([[0.0]])
    ... except NotFittedError as err:
    ...     print(type(err).__name__)
    NotFittedError
    """


class SamplingError(RuntimeError):
    """The MCMC sampler could not run: its model did not compile, or sampling failed.

    Raised by ``BayesianGaussianMixture.fit`` (e.g. when the log-density is not
    finite at the starting point, or becomes NaN while sampling). The message says
    what happened and what to try; the sampler's own exception is chained as
    ``__cause__``.

    Examples
    --------
    >>> issubclass(SamplingError, RuntimeError)
    True
    """


class SamplingWarning(UserWarning):
    """MCMC diagnostics failed (r_hat, ESS, divergences, tree depth, empty components).

    The message names the parameters or components concerned and says what to try;
    ``BayesianGaussianMixture.diagnostics_`` holds the values.

    Examples
    --------
    >>> issubclass(SamplingWarning, UserWarning)
    True
    """


class CacheWarning(UserWarning):
    """bayesgmm's compiled-code cache was rebuilt or cannot be written.

    See :mod:`bayesgmm.bayes.cache`: a corrupt or stale entry is deleted and compiled
    again, never used.

    Examples
    --------
    >>> issubclass(CacheWarning, UserWarning)
    True
    """
