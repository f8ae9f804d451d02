"""Warnings and errors raised by bayesgmm."""

from __future__ import annotations

import functools
import sys
from typing import Any

__all__ = [
    "CacheWarning",
    "ComponentCollapseWarning",
    "ConvergenceWarning",
    "DataConversionWarning",
    "DataScaleWarning",
    "NotFittedError",
    "RangeEdgeWarning",
    "SamplingError",
    "SamplingWarning",
    "scikit_learn_compatible",
]


def scikit_learn_compatible[C: type](category: C, **namespace: Any) -> C:
    """``category``, or a subclass of it and of scikit-learn's class of the same name.

    scikit-learn is never imported here: only when the running program has already
    imported ``sklearn.exceptions`` (as anyone does who filters, catches or expects
    scikit-learn's ``ConvergenceWarning`` or ``NotFittedError``) is the class returned
    a subclass of both, so that ``warnings.filterwarnings(category=...)``,
    ``pytest.warns`` and ``except`` clauses written for scikit-learn's estimators see
    bayesgmm's too. ``namespace`` adds attributes to that subclass.

    Examples
    --------
    >>> scikit_learn_compatible(DataScaleWarning) is DataScaleWarning  # no such class there
    True
    >>> import sklearn.exceptions
    >>> category = scikit_learn_compatible(ConvergenceWarning)
    >>> issubclass(category, sklearn.exceptions.ConvergenceWarning)
    True
    >>> issubclass(category, ConvergenceWarning)
    True
    """
    theirs = getattr(sys.modules.get("sklearn.exceptions"), category.__name__, None)
    if not (isinstance(theirs, type) and issubclass(theirs, BaseException)):
        return category
    base: type = theirs  # as a plain type: hashable for the cache
    return _subclass(category, base, tuple(sorted(namespace.items())))


@functools.cache
def _subclass(category: type, theirs: type, namespace: tuple) -> Any:
    attributes = {"__module__": category.__module__, "__doc__": category.__doc__}
    return type(category.__name__, (category, theirs), {**attributes, **dict(namespace)})


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


class DataConversionWarning(UserWarning):
    """Input was converted to the form an estimator needs (a column of labels raveled).

    scikit-learn's warning of the same name, which it is also a subclass of once
    ``sklearn.exceptions`` is loaded (:func:`scikit_learn_compatible`).

    Examples
    --------
    >>> issubclass(DataConversionWarning, UserWarning)
    True
    """


class RangeEdgeWarning(UserWarning):
    """The best model by a criterion has the largest number of components tried.

    A larger K might be better still: the message names the criterion, the model,
    the largest K tried for its covariance structure and how to extend the range
    (:meth:`bayesgmm.selection.model_selection.ModelSelection.extend`, or
    :func:`bayesgmm.collect_evidence`, which extends it by itself).

    Examples
    --------
    >>> issubclass(RangeEdgeWarning, UserWarning)
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
