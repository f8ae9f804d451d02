"""Warnings and errors raised by bayesgmm."""

from __future__ import annotations

__all__ = ["ComponentCollapseWarning", "ConvergenceWarning", "NotFittedError", "SamplingWarning"]


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


class SamplingWarning(UserWarning):
    """MCMC diagnostics failed (r_hat, effective sample size or divergences).

    The message names the parameters concerned.

    Examples
    --------
    >>> issubclass(SamplingWarning, UserWarning)
    True
    """
