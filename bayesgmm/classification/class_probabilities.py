"""Bayesian class probabilities of a mixture classifier, with credible intervals.

:func:`class_posterior` gives every class density of a fitted
:class:`~bayesgmm.MixtureClassifier` a posterior: a
:class:`~bayesgmm.BayesianGaussianMixture` with the class's chosen K and covariance
model, started from its EM fit (not refitted) and sampled on that class's rows; and
the class proportions, when they were estimated, the posterior
``Dirichlet(1 + n_1, ..., 1 + n_C)`` of the labelled counts. Classes are independent
given the labels, so draw ``s`` of every class together is a draw of the whole
model, and for a new row

``P_s(c | x) = pi_c^(s) p(x | theta_c^(s)) / sum_c' pi_c'^(s) p(x | theta_c'^(s))``.

:class:`ClassProbabilities` summarises these draws: the posterior mean, an
equal-tailed credible interval per class, and which rows are uncertain (the interval
of their most probable class reaches below 1/2). With EDDA's shared covariance models
(``EEE``, ``EII``...) each class's posterior is that of its own one-Gaussian model:
the Bayesian model does not pool the covariance across classes.

Imports PyMC (through :mod:`bayesgmm.bayes`): loaded on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.estimator import BayesianGaussianMixture
from bayesgmm.classification.classifier import MixtureClassifier
from bayesgmm.classification.targets import check_targets
from bayesgmm.core.estimator_api import check_is_fitted
from bayesgmm.core.numerics import exp_normalize
from bayesgmm.core.validation import check_random_state, validate_data

__all__ = ["ClassPosterior", "ClassProbabilities", "class_posterior"]


@dataclass
class ClassProbabilities:
    """Posterior draws of class probabilities for some rows, and their summaries.

    Examples
    --------
    >>> draws = np.array([[[0.9, 0.1], [0.6, 0.4]], [[0.8, 0.2], [0.3, 0.7]]])
    >>> summary = ClassProbabilities(np.array(["a", "b"]), draws)
    >>> summary.predicted.tolist(), summary.uncertain.tolist()
    (['a', 'b'], [False, True])
    """

    #: the class labels (columns)
    classes: NDArray[Any]
    #: ``P_s(c | x_i)``, shape (n_draws, n_rows, n_classes)
    draws: NDArray[np.float64]
    #: the credible level of :attr:`lower` and :attr:`upper`
    credible: float = 0.9

    @property
    def mean(self) -> NDArray[np.float64]:
        """Posterior mean probabilities, (n_rows, n_classes)."""
        return self.draws.mean(axis=0)

    @property
    def lower(self) -> NDArray[np.float64]:
        """Lower ends of the equal-tailed credible intervals."""
        return np.quantile(self.draws, (1 - self.credible) / 2, axis=0)

    @property
    def upper(self) -> NDArray[np.float64]:
        """Upper ends of the equal-tailed credible intervals."""
        return np.quantile(self.draws, (1 + self.credible) / 2, axis=0)

    @property
    def predicted(self) -> NDArray[Any]:
        """The class of highest posterior mean probability per row."""
        return self.classes[self.mean.argmax(axis=1)]

    @property
    def uncertain(self) -> NDArray[np.bool_]:
        """Rows whose predicted class's credible interval reaches below 1/2."""
        best = self.mean.argmax(axis=1)
        return self.lower[np.arange(len(best)), best] < 0.5

    def table(self) -> pd.DataFrame:
        """One row per input row: the predicted class, its mean and interval, ``uncertain``.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> draws = np.array([[[0.9, 0.1], [0.6, 0.4]], [[0.8, 0.2], [0.3, 0.7]]])
        >>> ClassProbabilities(np.array(["a", "b"]), draws).table().round(3)
          predicted  probability  lower 90%  upper 90%  uncertain
        0         a         0.85      0.805      0.895      False
        1         b         0.55      0.415      0.685       True
        """
        rows = np.arange(self.draws.shape[1])
        best = self.mean.argmax(axis=1)
        level = f"{self.credible:.0%}"
        return pd.DataFrame(
            {
                "predicted": self.classes[best],
                "probability": self.mean[rows, best],
                f"lower {level}": self.lower[rows, best],
                f"upper {level}": self.upper[rows, best],
                "uncertain": self.uncertain,
            }
        )


class ClassPosterior:
    """Posteriors of every class density of a fitted classifier, and of the class shares.

    Made by :func:`class_posterior`.

    Attributes
    ----------
    classifier : MixtureClassifier
        The fitted classifier (its EM class models started the chains).
    posteriors : dict
        Class label -> its fitted :class:`~bayesgmm.BayesianGaussianMixture`.
    prior_draws : ndarray of shape (n_draws, n_classes)
        Draws of the class proportions (all equal to the given ``priors`` when the
        classifier had them).
    """

    def __init__(
        self,
        classifier: MixtureClassifier,
        posteriors: dict[Any, BayesianGaussianMixture],
        prior_draws: NDArray[np.float64],
    ) -> None:
        self.classifier = classifier
        self.posteriors = posteriors
        self.prior_draws = prior_draws

    def predict_proba_draws(self, X: ArrayLike) -> NDArray[np.float64]:
        """``P_s(c | x)`` for every draw, row and class: shape (n_draws, n_rows, n_classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray

        Examples
        --------
        >>> post = class_posterior(clf, X, y, draws=200, tune=200)  # doctest: +SKIP
        >>> post.predict_proba_draws(X[:3]).shape  # doctest: +SKIP
        (400, 3, 2)
        """
        data = self.classifier._validated(X)
        per_class = [
            self.posteriors[c].log_density_draws(data.array) for c in self.classifier.classes_
        ]
        n_draws = min(len(values) for values in per_class)  # independent: pair by index
        log_density = np.stack([values[:n_draws] for values in per_class], axis=-1)
        joint = log_density + np.log(self.prior_draws[:n_draws])[:, None, :]
        n_classes = joint.shape[-1]
        resp = np.ascontiguousarray(joint.reshape(-1, n_classes).T)  # (C, draws x rows)
        exp_normalize(resp, floor=None)  # in place: Bayes' rule per draw and row
        return resp.T.reshape(joint.shape)

    def class_probabilities(self, X: ArrayLike, credible: float = 0.9) -> ClassProbabilities:
        """Posterior class probabilities of the rows of ``X`` with credible intervals.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        credible : float, default=0.9
            Level of the equal-tailed intervals.

        Returns
        -------
        ClassProbabilities

        Examples
        --------
        >>> post = class_posterior(clf, X, y, draws=200, tune=200)  # doctest: +SKIP
        >>> post.class_probabilities(X[:3], credible=0.8).table()  # doctest: +SKIP
        """
        if not 0 < credible < 1:
            raise ValueError(f"credible must be in (0, 1); got {credible!r}.")
        return ClassProbabilities(
            self.classifier.classes_, self.predict_proba_draws(X), float(credible)
        )


def class_posterior(
    classifier: MixtureClassifier,
    X: ArrayLike,
    y: ArrayLike,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    random_state: int = 0,
    progressbar: bool = False,
) -> ClassPosterior:
    """Sample the posterior of every class density of a fitted classifier.

    Parameters
    ----------
    classifier : MixtureClassifier
        Fitted on ``(X, y)`` (every row labelled); each class's EM model is the
        start of its chains and fixes its K and covariance model.
    X, y : array-like
        The training rows and labels.
    draws, tune, chains, random_state, progressbar
        As in :class:`~bayesgmm.BayesianGaussianMixture` (per class).

    Returns
    -------
    ClassPosterior

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import MixtureClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(2.5, 1, (50, 2))]
    >>> y = np.repeat(["a", "b"], 50)
    >>> clf = MixtureClassifier("EDDA", "VVV").fit(X, y)
    >>> post = class_posterior(clf, X, y, draws=200, tune=200)  # doctest: +SKIP
    >>> post.class_probabilities([[1.25, 1.25], [-2, -2]]).table()  # doctest: +SKIP
    """
    check_is_fitted(classifier, "class_models_")
    data = validate_data(X, min_samples=2, allow_nan=classifier.missing == "marginalize")
    classes, codes = check_targets(y, data.n_samples, None)
    if not np.array_equal(classes, classifier.classes_):
        raise ValueError(
            f"y's classes {classes.tolist()} are not the classifier's "
            f"{classifier.classes_.tolist()}: pass the data it was fitted on."
        )
    posteriors = {}
    for k, label in enumerate(classes.tolist()):
        start = classifier.class_models_[label]
        posteriors[label] = BayesianGaussianMixture.from_em(
            start,
            draws=draws,
            tune=tune,
            chains=chains,
            random_state=random_state + k,
            progressbar=progressbar,
            missing=classifier.missing,
        ).fit(data.array[codes == k])
    # a fit whose draws were extended (adaptive length) has more: the longest decides
    sizes = [p.idata_["posterior"].sizes for p in posteriors.values()]
    n_draws = max(size["chain"] * size["draw"] for size in sizes)
    if classifier.priors is None:
        counts = np.bincount(codes, minlength=len(classes)).astype(float)
        rng = check_random_state(random_state)
        prior_draws = rng.dirichlet(1.0 + counts, size=n_draws)
    else:
        prior_draws = np.tile(classifier.class_prior_, (n_draws, 1))
    return ClassPosterior(classifier, posteriors, prior_draws)
