"""Estimator plumbing shared by bayesgmm estimators (no scikit-learn import)."""

from __future__ import annotations

import inspect
from typing import Any, Self

from bayesgmm.exceptions import NotFittedError, scikit_learn_compatible

__all__ = ["ParamsMixin", "check_is_fitted", "not_fitted_error"]


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``repr`` in scikit-learn's convention.

    Parameters are the keyword arguments of ``__init__``, stored verbatim as
    attributes of the same name, so ``sklearn.base.clone``, ``GridSearchCV`` and
    ``Pipeline`` work with bayesgmm estimators when scikit-learn is installed.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind != p.VAR_KEYWORD
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the constructor parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Accepted for scikit-learn compatibility (no nested estimators here).

        Returns
        -------
        dict
            Parameter names mapped to their values.

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> GaussianMixture(n_components=3).get_params()["n_components"]
        3
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; unknown names raise ``ValueError``.

        Parameters
        ----------
        **params : dict
            Parameter names and their new values.

        Returns
        -------
        self : object
            The estimator.

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> GaussianMixture().set_params(n_components=4).n_components
        4
        """
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid "
                    f"parameters are {sorted(valid)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        signature = inspect.signature(type(self).__init__)
        changed = []
        for name in self._param_names():
            default = signature.parameters[name].default
            value = getattr(self, name)
            if default is inspect.Parameter.empty or not _same(value, default):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):  # pragma: no cover - exercised only with scikit-learn
        """Tags read by scikit-learn utilities (imported lazily, never required)."""
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            # NaN cells are accepted (as missing values) exactly when missing="marginalize"
            input_tags=InputTags(allow_nan=getattr(self, "missing", None) == "marginalize"),
        )


def check_is_fitted(model: Any, attribute: str) -> None:
    """Raise :class:`~bayesgmm.exceptions.NotFittedError` unless ``model`` has ``attribute``.

    The one fitted-check of the package (scikit-learn's message; see
    :func:`not_fitted_error` for the exception's classes).

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> check_is_fitted(GaussianMixture(2), "means_")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgmm.exceptions.NotFittedError: This GaussianMixture instance is not fitted yet. ...
    """
    if not hasattr(model, attribute):
        raise not_fitted_error(
            f"This {type(model).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def not_fitted_error(message: str) -> NotFittedError:
    """``NotFittedError(message)``, also scikit-learn's ``NotFittedError`` when it is loaded.

    scikit-learn is never imported here: only when the running program has already
    imported ``sklearn.exceptions`` is the error an instance of a subclass of both
    ``bayesgmm.NotFittedError`` and ``sklearn.exceptions.NotFittedError``, so that
    ``except`` clauses (and scikit-learn's estimator checks) written for
    scikit-learn's estimators catch it too.

    Examples
    --------
    >>> err = not_fitted_error("not fitted yet")
    >>> isinstance(err, NotFittedError), isinstance(err, ValueError), str(err)
    (True, True, 'not fitted yet')
    """
    # pickle (e.g. from a joblib worker) by message, not by the combined class
    error = scikit_learn_compatible(NotFittedError, __reduce__=_reduce_not_fitted)
    return error(message)


def _reduce_not_fitted(error: NotFittedError) -> tuple:
    return (not_fitted_error, error.args)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except (ValueError, TypeError):  # arrays
        return False
