"""Density estimation and anomaly detection with a fitted mixture.

A point is anomalous when the fitted density puts little mass near it. For an EM
model the density is the plug-in mixture ``p(x | theta_hat)``; for a Bayesian model
it is the posterior predictive density ``p(x | data) = E[p(x | theta) | data]``,
estimated by the mean over posterior draws (``score_samples`` of either model). Both
are read through the fitted-mixture protocol
(:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`: ``score_samples`` and the
per-draw ``log_density_draws``), so importing this module does not import PyMC.

* :func:`log_predictive_density`: ``log p(x)`` per point, with a credible interval of
  ``log p(x | theta)`` over the posterior draws.
* :func:`anomaly_scores`: ``-log p(x)`` (higher is more anomalous).
* :class:`MixtureAnomalyDetector`: scikit-learn's outlier-detector interface
  (``fit``, ``score_samples``, ``decision_function``, ``predict``) with a threshold
  set from the training scores by a contamination rate or a quantile, or, for a
  model with a uniform noise component (``noise=True``), by the probability that a
  point is noise (``score="noise_probability"``).

Sign conventions follow scikit-learn's ``IsolationForest`` and
``LocalOutlierFactor``: ``score_samples`` is *higher for normal points* (here the
log density), ``decision_function = score_samples - offset_`` is negative for
outliers, and ``predict`` returns +1 for inliers and -1 for outliers.
:func:`anomaly_scores` is the opposite, ``-score_samples``, the usual "anomaly score".
"""

from __future__ import annotations

import copy
import math
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesgmm.core.estimator_api import ParamsMixin, check_is_fitted
from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.parameters import one_of, open_unit_interval
from bayesgmm.core.validation import Constraint, check_parameters, is_real

__all__ = [
    "DEFAULT_CONTAMINATION",
    "DEFAULT_NOISE_THRESHOLD",
    "MixtureAnomalyDetector",
    "anomaly_scores",
    "log_predictive_density",
    "noise_probability",
]

#: share of the training points flagged when neither contamination nor
#: threshold_quantile is given
DEFAULT_CONTAMINATION = 0.01
#: noise probability above which ``score="noise_probability"`` flags a point
DEFAULT_NOISE_THRESHOLD = 0.5


def _check_density_model(model: Any) -> None:
    if not callable(getattr(model, "score_samples", None)):
        raise TypeError(
            "model must be a bayesgmm GaussianMixture or BayesianGaussianMixture (or an "
            f"estimator with score_samples); got {type(model).__name__}."
        )


def _is_fitted(model: Any) -> bool:
    """scikit-learn's rule: a fitted estimator has public attributes ending in ``_``."""
    return any(name.endswith("_") and not name.startswith("_") for name in vars(model))


def anomaly_scores(model: FittedMixtureLike, X: ArrayLike) -> NDArray[np.float64]:
    """Anomaly score of every point: its negative log (predictive) density.

    EM: ``-log p(x | theta_hat)``. Bayesian: ``-log p(x | data)``, the negative
    log posterior predictive density ``-log mean_s p(x | theta_s)``. Higher is more
    anomalous; differences are in nats (a score 2.3 higher is a density 10 times
    lower).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model.
    X : array-like of shape (n_samples, n_features)
        Points to score.

    Returns
    -------
    ndarray of shape (n_samples,)

    Raises
    ------
    TypeError
        If ``model`` has no ``score_samples`` method.

    See Also
    --------
    MixtureAnomalyDetector : the same scores with a calibrated threshold.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> gm = GaussianMixture(1, random_state=0).fit(X)
    >>> scores = anomaly_scores(gm, [[0.0, 0.0], [6.0, 6.0]])
    >>> bool(scores[1] > scores[0])
    True
    """
    _check_density_model(model)
    return -np.asarray(model.score_samples(X), dtype=np.float64)


def log_predictive_density(
    model: FittedMixtureLike, X: ArrayLike, *, ci_prob: float = 0.94
) -> pd.DataFrame:
    """Log (posterior predictive) density of every point, with its uncertainty.

    Bayesian: ``log_density`` is ``log p(x | data) = log mean_s p(x | theta_s)``
    (equal to the model's ``score_samples``), and ``lower``/``upper`` bound the
    equal-tailed ``ci_prob`` credible interval of the density of the mixture,
    ``log p(x | theta)``, over the posterior draws: wide where the data say little
    (tails, between components). EM: the plug-in ``log p(x | theta_hat)``; the
    bounds are NaN.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted model.
    X : array-like of shape (n_samples, n_features)
        Points.
    ci_prob : float, default=0.94
        Probability of the credible interval, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``log_density``, ``lower``, ``upper``; indexed like ``X`` when it is
        a DataFrame.

    Raises
    ------
    ValueError
        For ``ci_prob`` outside (0, 1).

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> table = log_predictive_density(GaussianMixture(1, random_state=0).fit(X), [[0.0]])
    >>> round(float(table.loc[0, "log_density"]), 2), bool(np.isnan(table.loc[0, "upper"]))
    (-0.88, True)
    """
    _check_density_model(model)
    if not (is_real(ci_prob) and 0 < ci_prob < 1):
        raise ValueError(f"ci_prob must be a number in (0, 1); got {ci_prob!r}.")
    if isinstance(model, FittedMixtureLike) and model.is_posterior:
        per_draw = np.asarray(model.log_density_draws(X), dtype=np.float64)
        log_density = special.logsumexp(per_draw, axis=0) - math.log(len(per_draw))
        alpha = (1 - ci_prob) / 2
        lower, upper = np.quantile(per_draw, [alpha, 1 - alpha], axis=0)
    else:  # a point estimate: no posterior to bound the density with
        log_density = np.asarray(model.score_samples(X), dtype=np.float64)
        lower = upper = np.full_like(log_density, np.nan)
    index = getattr(X, "index", None)
    if not (isinstance(index, pd.Index) and len(index) == len(log_density)):
        index = pd.RangeIndex(len(log_density))
    return pd.DataFrame({"log_density": log_density, "lower": lower, "upper": upper}, index=index)


def noise_probability(model: Any, X: ArrayLike) -> NDArray[np.float64]:
    """Probability that each point belongs to the model's uniform noise component.

    The last column of ``predict_proba`` of a model fitted with a noise component
    (``noise_proportion_`` set): the posterior mean over the draws for a Bayesian
    fit (:meth:`bayesgmm.BayesianGaussianMixture.noise_probability` adds its
    uncertainty), the plug-in probability for an EM fit.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A model fitted with ``noise=True``.
    X : array-like of shape (n_samples, n_features)
        Points.

    Returns
    -------
    ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        If the model has no noise component.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(50, 1))
    >>> noise_probability(GaussianMixture(1).fit(X), X)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: score='noise_probability' needs a model fitted with a noise component ...
    """
    if getattr(model, "noise_proportion_", None) is None:
        raise ValueError(
            "score='noise_probability' needs a model fitted with a noise component "
            f"(noise=True); got a {type(model).__name__} without noise_proportion_. Fit "
            "it with noise=True, or use score='density'."
        )
    return np.asarray(model.predict_proba(X), dtype=np.float64)[:, -1]


def _optional_fraction(low: float, high: float, *, closed: str) -> Constraint:
    left, right = ("(", "]") if closed == "right" else ("[", ")")

    def accepts(value: Any) -> bool:
        if value is None:
            return True
        if not is_real(value):
            return False
        inside_low = value > low if left == "(" else value >= low
        inside_high = value <= high if right == "]" else value < high
        return bool(inside_low and inside_high)

    return Constraint(accepts, f"None or a number in {left}{low}, {high}{right}")


class MixtureAnomalyDetector(ParamsMixin):
    """Outlier detection by low (posterior predictive) density under a mixture model.

    ``fit`` fits the model on ``X`` when it is not fitted yet (a copy; the model
    passed in is left untouched), then sets the threshold from the log densities of
    ``X``: the ``contamination`` quantile, so that that share of ``X`` falls below
    it. ``threshold_quantile=q`` is the same rule stated the other way round
    (``contamination = 1 - q``: flag points less likely than a share ``q`` of the
    training points). A prefitted model is used as is, and ``X`` then only
    calibrates the threshold: held-out data give an honest rate on new data, since
    training points are scored by the density fitted to them.

    With ``score="noise_probability"`` (a model fitted with ``noise=True``: a
    :class:`~bayesgmm.BayesianGaussianMixture`, or an EM fit with
    ``noise_proportion_``) a point is an outlier when its probability of belonging
    to the uniform noise component, :func:`noise_probability`, is above
    ``noise_threshold``; ``contamination`` and ``threshold_quantile`` do not apply.

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        Fitted or not. Any estimator with ``fit`` and ``score_samples`` (a log
        density) works, e.g. scikit-learn's ``GaussianMixture``.
    contamination : float or None, default=None
        Expected share of outliers in the training data, in (0, 0.5].
    threshold_quantile : float or None, default=None
        Quantile of the training anomaly scores used as the threshold, in [0.5, 1):
        points scoring above it (less likely than that share of the training points)
        are outliers. At most one of ``contamination`` and ``threshold_quantile`` may
        be set; with neither, ``contamination=0.01``.
    score : {"density", "noise_probability"}, default="density"
        What flags a point: a low (posterior predictive) density, or a high
        probability of being noise.
    noise_threshold : float, default=0.5
        With ``score="noise_probability"``: points whose noise probability is above
        it are outliers, in (0, 1).

    Attributes
    ----------
    model_ : estimator
        The fitted model used for scoring.
    contamination_ : float
        The resolved share of training points flagged.
    offset_ : float
        Log-density threshold: ``decision_function = score_samples - offset_``
        (``score="noise_probability"``: ``-noise_threshold``, and ``score_samples``
        is minus the noise probability).
    threshold_ : float
        The same threshold on the anomaly-score scale, ``-offset_``: points with
        :func:`anomaly_scores` (or noise probability) above it are outliers.
    n_features_in_ : int
        Number of features of ``X`` in ``fit``.

    See Also
    --------
    anomaly_scores : the raw scores, ``-score_samples``.

    Notes
    -----
    Conventions as scikit-learn's ``IsolationForest``: ``score_samples`` is higher
    for normal points, ``decision_function`` is negative for outliers, ``predict``
    returns +1 (inlier) or -1 (outlier); a point exactly at the threshold is an
    inlier.

    Examples
    --------
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(400, 2))
    >>> detector = MixtureAnomalyDetector(GaussianMixture(1, random_state=0), contamination=0.05)
    >>> detector = detector.fit(X)
    >>> float((detector.predict(X) == -1).mean())
    0.05
    >>> detector.predict([[0.0, 0.0], [5.0, 5.0]]).tolist()
    [1, -1]

    By the probability of belonging to the noise component of a Bayesian fit:

    >>> from bayesgmm import BayesianGaussianMixture
    >>> model = BayesianGaussianMixture(
    ...     1, noise=True, draws=200, tune=200, chains=1, progressbar=False, random_state=0
    ... )
    >>> detector = MixtureAnomalyDetector(model, score="noise_probability")
    >>> detector.fit(X).predict([[0.0, 0.0], [30.0, 30.0]]).tolist()  # doctest: +SKIP
    [1, -1]
    """

    _parameter_table: ClassVar[dict[str, Constraint]] = {
        "contamination": _optional_fraction(0, 0.5, closed="right"),
        "threshold_quantile": _optional_fraction(0.5, 1, closed="left"),
        "score": one_of("density", "noise_probability"),
        "noise_threshold": open_unit_interval(),
    }

    def __init__(
        self,
        model: Any,
        *,
        contamination: float | None = None,
        threshold_quantile: float | None = None,
        score: Literal["density", "noise_probability"] = "density",
        noise_threshold: float = DEFAULT_NOISE_THRESHOLD,
    ) -> None:
        self.model = model
        self.contamination = contamination
        self.threshold_quantile = threshold_quantile
        self.score = score
        self.noise_threshold = noise_threshold

    def _resolve_contamination(self) -> float:
        check_parameters(self, self._parameter_table)
        if self.contamination is not None and self.threshold_quantile is not None:
            raise ValueError(
                "Set contamination or threshold_quantile, not both; got contamination="
                f"{self.contamination!r} and threshold_quantile={self.threshold_quantile!r}."
            )
        if self.score == "noise_probability" and not (
            self.contamination is None and self.threshold_quantile is None
        ):
            raise ValueError(
                "score='noise_probability' flags points by noise_threshold; contamination "
                f"({self.contamination!r}) and threshold_quantile "
                f"({self.threshold_quantile!r}) apply to score='density' only. Leave "
                "them None, or use score='density'."
            )
        if self.contamination is not None:
            return float(self.contamination)
        if self.threshold_quantile is not None:
            return 1.0 - float(self.threshold_quantile)
        return DEFAULT_CONTAMINATION

    def fit(self, X: ArrayLike, y: Any = None) -> Self:
        """Fit the model if needed, then set the threshold from the scores of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (or, with a prefitted model, calibration data).
        y : Ignored
            Present for API compatibility.

        Returns
        -------
        self : MixtureAnomalyDetector

        Raises
        ------
        ValueError
            For ``contamination`` or ``threshold_quantile`` outside their range, or
            both set; with ``score="noise_probability"``, for either set or a model
            without a noise component.
        TypeError
            If ``model`` has no ``fit`` or ``score_samples`` method.

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(1).normal(size=(100, 1))
        >>> detector = MixtureAnomalyDetector(GaussianMixture(), threshold_quantile=0.9).fit(X)
        >>> round(detector.contamination_, 3), bool(detector.threshold_ == -detector.offset_)
        (0.1, True)
        """
        contamination = self._resolve_contamination()
        _check_density_model(self.model)
        if _is_fitted(self.model):
            model = self.model
        else:
            if not callable(getattr(self.model, "fit", None)):
                raise TypeError(
                    f"model must have a fit method to be fitted; got {type(self.model).__name__}."
                )
            model = copy.deepcopy(self.model).fit(X)
        if self.score == "noise_probability":
            probability = noise_probability(model, X)
            self.offset_ = -float(self.noise_threshold)
            contamination = float(np.mean(probability > self.noise_threshold))
        else:
            scores = np.asarray(model.score_samples(X), dtype=np.float64)
            self.offset_ = float(np.quantile(scores, contamination))
        self.model_ = model
        self.contamination_ = contamination
        self.threshold_ = -self.offset_
        self.n_features_in_ = int(np.shape(X)[1])
        return self

    def _check_is_fitted(self) -> None:
        check_is_fitted(self, "offset_")

    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log (posterior predictive) density of every point: higher is more normal.

        With ``score="noise_probability"``: minus the probability that the point is
        noise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(2).normal(size=(100, 1))
        >>> detector = MixtureAnomalyDetector(GaussianMixture()).fit(X)
        >>> bool(np.allclose(detector.score_samples(X), detector.model_.score_samples(X)))
        True
        """
        self._check_is_fitted()
        if self.score == "noise_probability":
            return -noise_probability(self.model_, X)
        return np.asarray(self.model_.score_samples(X), dtype=np.float64)

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(3).normal(size=(100, 1))
        >>> detector = MixtureAnomalyDetector(GaussianMixture()).fit(X)
        >>> bool(detector.decision_function([[10.0]])[0] < 0)
        True
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """+1 for inliers, -1 for outliers (``decision_function < 0``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(4).normal(size=(100, 1))
        >>> MixtureAnomalyDetector(GaussianMixture()).fit(X).predict([[0.0], [8.0]]).tolist()
        [1, -1]
        """
        return np.where(self.decision_function(X) < 0, -1, 1).astype(np.intp)

    def fit_predict(self, X: ArrayLike, y: Any = None) -> NDArray[np.intp]:
        """Fit on ``X``, then label its points (+1 inlier, -1 outlier).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Present for API compatibility.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(5).normal(size=(200, 1))
        >>> labels = MixtureAnomalyDetector(GaussianMixture(), contamination=0.1).fit_predict(X)
        >>> int((labels == -1).sum())
        20
        """
        return self.fit(X).predict(X)
