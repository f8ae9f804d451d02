"""Classification with Gaussian mixtures: :class:`MixtureClassifier` (mclust's MclustDA).

Each class has a density, ``p(x | c)``; a new row's class probabilities are
``P(c | x) ∝ pi_c p(x | c)`` with prior class probabilities ``pi_c``. The two forms
of mclust's ``MclustDA``:

- ``model_type="EDDA"`` (Bensmail & Celeux 1996): one Gaussian per class, all
  classes under one covariance model (``EEE`` is linear discriminant analysis,
  ``VVV`` quadratic), the model chosen by BIC across the candidates
  (:mod:`bayesgmm.classification.edda`);
- ``model_type="MclustDA"`` (Fraley & Raftery 2002): a Gaussian mixture per class,
  its number of components and covariance model chosen by BIC on that class's rows
  (:func:`bayesgmm.select_model`).

With unlabelled rows (``unlabelled=-1``, scikit-learn's semi-supervised
convention) EDDA is mclust's ``MclustSSC``: EM over every row, labelled rows fixed
in their class. Missing cells (``missing="marginalize"``) are integrated out, in
fitting and in prediction. Cross-validated error and Brier score:
:func:`bayesgmm.classification.cross_validation.cross_validate_classifier`.
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.classification.edda import check_class_sizes, fit_edda
from bayesgmm.classification.targets import (
    check_class_prior,
    check_class_weights,
    check_targets,
    codes_of,
)
from bayesgmm.core.estimator_api import ParamsMixin, check_is_fitted
from bayesgmm.core.numerics import exp_normalize
from bayesgmm.core.validation import (
    ValidatedData,
    check_fitted_features,
    check_random_state,
    validate_data,
)
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture, mixture_from_parameters
from bayesgmm.em.missing import MISSING_OPTIONS
from bayesgmm.exceptions import ComponentCollapseWarning, RangeEdgeWarning
from bayesgmm.selection.k_range import check_grid, check_k_range, distinct_univariate
from bayesgmm.selection.model_selection import ModelSelection, select_model

__all__ = ["MODEL_TYPES", "MixtureClassifier"]

#: the forms of mclust's MclustDA
MODEL_TYPES = ("EDDA", "MclustDA")
#: mclust's names of the one-feature models, and of one-component models (where the
#: 14 collapse to three: spherical, diagonal, full)
_MCLUST_ONLY = {"E": "EII", "V": "VII", "X": "VII", "XII": "VII", "XXI": "VVI", "XXX": "VVV"}
#: MclustDA's default numbers of components per class (mclust's G = 1:5)
DEFAULT_COMPONENTS = range(1, 6)


def _model_name(covariance_type: str, n_components: int, n_features: int) -> str:
    """The model's name in mclust: with one component, X for the parts that are equal.

    With one component the 14 models are three: ``XII`` (spherical), ``XXI``
    (diagonal) and ``XXX`` (full); with one feature ``E``/``V``, and ``X`` for one
    component.
    """
    model = get_covariance_model(covariance_type)
    if n_components > 1:
        return model.mclust_label(n_features)
    if n_features == 1:
        return "X"
    name = model.mclust_name
    return "XII" if name.endswith("II") else "XXI" if name.endswith("I") else "XXX"


class MixtureClassifier(ParamsMixin):
    """Gaussian mixture discriminant analysis: mclust's EDDA and MclustDA.

    A scikit-learn classifier (``fit``, ``predict``, ``predict_proba``, ``score``,
    ``classes_``; it works in ``cross_val_score``, ``GridSearchCV`` and ``Pipeline``)
    that needs no scikit-learn at run time.

    Parameters
    ----------
    model_type : {"MclustDA", "EDDA"}, default="MclustDA"
        ``"EDDA"``: one Gaussian per class, one covariance model for every class.
        ``"MclustDA"``: a mixture per class, its K and covariance model chosen by BIC
        on the class's rows.
    covariance_type : str, list of str or dict, default="all"
        Candidate covariance models: one of mclust's 14 names (or scikit-learn's
        four), a list of them, or ``"all"`` (the 14); for ``"MclustDA"`` also a dict
        by class label of any of these. With one feature, mclust's ``E`` and ``V``.
    n_components : int, iterable of int or dict, default=None
        Numbers of components per class for ``"MclustDA"``: one int, a range, or a
        dict by class label; None is mclust's ``1..5``. ``"EDDA"`` has one per class
        (None or 1).
    priors : array-like or dict, default=None
        Prior class probabilities, in the order of ``classes_`` or by class label;
        None estimates them as the labelled rows' class shares.
    unlabelled : scalar, default=None
        The label marking unlabelled rows (scikit-learn's semi-supervised ``-1``):
        a semi-supervised fit, mclust's ``MclustSSC`` (``model_type="EDDA"``). None:
        every label is a class.
    reg_covar, tol, max_iter, init_params, random_state
        As in :func:`bayesgmm.select_model` (mclust's hierarchical start), but
        ``reg_covar`` is 0, as in mclust (wdbc's variances near 1e-6 would be swamped);
        singular covariances are still repaired, relative to the data's scale.
        ``tol`` (mean log-likelihood per row) 1e-5 is as strict as mclust's relative
        1e-5 wherever the mean log-likelihood exceeds 1 in size.
    missing : {"error", "marginalize"}, default="error"
        NaN cells in training and prediction rows: an error, or integrated out.
    progress : bool, default=False
        Print the per-class model searches.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    class_prior_ : ndarray of shape (n_classes,)
        Prior class probabilities.
    class_models_ : dict
        Class label -> the class density, a fitted :class:`~bayesgmm.GaussianMixture`.
    covariance_types_ : dict
        Class label -> the chosen covariance model (mclust's name).
    n_components_ : dict
        Class label -> the chosen number of components.
    bic_ : pandas.Series or dict
        EDDA: every candidate model's BIC (lower is better; NaN where not fitted).
        MclustDA: class label -> that class's :class:`~bayesgmm.ModelSelection`.
    skipped_ : dict
        EDDA: model -> why it was left out (too few rows in a class, degenerate).
        MclustDA: class label -> the models its rows could not support, and a best
        K at the edge of the range tried.
    mixture_ : GaussianMixture or None
        EDDA: the joint fit (component ``k`` is class ``classes_[k]``); None for MclustDA.
    n_iter_ : int
        EM iterations of the chosen fit (MclustDA: the most of any class).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When X had string column names.

    Examples
    --------
    >>> from bayesgmm import load_iris
    >>> iris = load_iris()
    >>> X, y = iris.drop(columns="species"), iris["species"]
    >>> clf = MixtureClassifier("EDDA").fit(X, y)
    >>> clf.covariance_types_[clf.classes_[0]], round(clf.score(X, y), 3)
    ('VEV', 0.98)
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        model_type: str = "MclustDA",
        covariance_type: str | list[str] = "all",
        n_components: Any = None,
        *,
        priors: Any = None,
        unlabelled: Any = None,
        reg_covar: float = 0.0,
        tol: float = 1e-5,
        max_iter: int = 500,
        init_params: str = "hierarchical",
        random_state: Any = 0,
        missing: str = "error",
        progress: bool = False,
    ) -> None:
        self.model_type = model_type
        self.covariance_type = covariance_type
        self.n_components = n_components
        self.priors = priors
        self.unlabelled = unlabelled
        self.reg_covar = reg_covar
        self.tol = tol
        self.max_iter = max_iter
        self.init_params = init_params
        self.random_state = random_state
        self.missing = missing
        self.progress = progress

    # ------------------------------------------------------------------ checks
    def _check_settings(self) -> None:
        if self.model_type not in MODEL_TYPES:
            raise ValueError(
                f"model_type must be one of {list(MODEL_TYPES)}; got {self.model_type!r}."
            )
        if self.missing not in MISSING_OPTIONS:
            raise ValueError(
                f"missing must be one of {list(MISSING_OPTIONS)}; got {self.missing!r}."
            )
        if self.model_type == "EDDA" and self.n_components not in (None, 1):
            raise ValueError(
                "EDDA has one Gaussian per class: n_components must be None or 1; got "
                f"{self.n_components!r}. Use model_type='MclustDA' for a mixture per class."
            )
        check_random_state(self.random_state)

    def _by_class(self, name: str, label: Any) -> Any:
        """A setting for one class: the setting itself, or its entry when a dict by class."""
        spec = getattr(self, name)
        if not isinstance(spec, dict):
            return spec
        if label not in spec:
            raise ValueError(
                f"{name} is a dict by class but has no entry for class {label!r}; it has "
                f"{list(spec)}."
            )
        return spec[label]

    def _candidate_types(self, n_features: int, label: Any = None) -> list[str]:
        spec = self.covariance_type if label is None else self._by_class("covariance_type", label)
        if isinstance(spec, dict):
            raise ValueError(
                "covariance_type by class (a dict) is for model_type='MclustDA'; EDDA has one "
                "covariance model for every class: give a name, a list or 'all'."
            )
        if spec != "all":  # mclust's one-feature (E, V) and one-component (XXX...) names
            spec = [_MCLUST_ONLY.get(c, c) for c in ([spec] if isinstance(spec, str) else spec)]
        _, names = check_grid([1], spec)
        return distinct_univariate(names) if n_features == 1 else names

    def _class_components(self, label: Any) -> list[int]:
        """The numbers of components tried for one class (MclustDA)."""
        spec = self._by_class("n_components", label)
        if spec is None:
            spec = DEFAULT_COMPONENTS
        return check_k_range([spec] if np.ndim(spec) == 0 else spec)

    def _settings(self) -> dict[str, Any]:
        return {
            "reg_covar": self.reg_covar,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "random_state": self.random_state,
            "missing": self.missing,
        }

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        """Fit a density per class and the prior class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (NaN cells with ``missing="marginalize"``).
        y : array-like of shape (n_samples,)
            Class labels of any sortable type; with ``unlabelled`` set, the rows
            holding that value are unlabelled (semi-supervised EDDA).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        self : MixtureClassifier

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(4, 1, (40, 2))]
        >>> y = np.repeat(["a", "b"], 40)
        >>> MixtureClassifier("EDDA", "EEE").fit(X, y).predict([[0, 0], [4, 4]]).tolist()
        ['a', 'b']
        """
        self._check_settings()
        data = validate_data(
            X,
            min_samples=2,
            allow_nan=self.missing == "marginalize",
            nan_hint="Pass missing='marginalize' to fit the observed cells, or impute or "
            "drop those rows.",
            sample_weight=sample_weight,
        )
        classes, codes = check_targets(y, data.n_samples, self.unlabelled)
        weight = data.sample_weight
        if weight is not None:
            check_class_weights(classes, codes, weight)
        self.class_prior_ = check_class_prior(self.priors, classes, codes, weight)
        if self.model_type == "EDDA":
            names = self._candidate_types(data.shape[1])
            if self.covariance_type != "all" and len(names) == 1:
                check_class_sizes(classes, codes, names[0], data.shape[1])
            self._fit_edda(data.without_names(), classes, codes, names)
        else:
            if (codes < 0).any():
                raise ValueError(
                    f"Unlabelled rows (y == {self.unlabelled!r}) need model_type='EDDA': "
                    "the semi-supervised fit (mclust's MclustSSC) has one Gaussian per class."
                )
            self._fit_mclustda(data.without_names(), classes, codes)
        self.classes_ = classes
        self.n_features_in_ = data.shape[1]
        if data.feature_names is not None:
            self.feature_names_in_ = data.feature_names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _fit_edda(
        self, data: ValidatedData, classes: NDArray[Any], codes: NDArray[np.intp], names: list[str]
    ) -> None:
        fit = fit_edda(data, codes, classes, names, self._settings())
        joint = fit.mixture
        n_classes, n_features = joint.means_.shape
        full = get_covariance_model(joint.covariance_type).full_covariances(
            joint.covariances_, n_classes, n_features
        )
        self.class_models_ = {
            label: mixture_from_parameters(
                [1.0],
                joint.means_[k : k + 1],
                full[k : k + 1],
                joint.covariance_type,
                missing=self.missing,
                random_state=self.random_state,
            )
            for k, label in enumerate(classes.tolist())
        }
        self.covariance_types_ = dict.fromkeys(classes.tolist(), fit.model)
        self.n_components_ = dict.fromkeys(classes.tolist(), 1)
        self.bic_: pd.Series | dict[Any, ModelSelection] = fit.bic
        self.skipped_ = fit.skipped
        self.mixture_: GaussianMixture | None = joint
        self.n_iter_ = joint.n_iter_

    def _fit_mclustda(
        self, data: ValidatedData, classes: NDArray[Any], codes: NDArray[np.intp]
    ) -> None:
        weight = data.sample_weight
        models, selections, skipped = {}, {}, {}
        for k, label in enumerate(classes.tolist()):
            rows = np.flatnonzero(codes == k)
            if len(rows) < 2:
                raise ValueError(
                    f"class {label!r} has {len(rows)} row; MclustDA fits a mixture per class "
                    "and needs at least 2 rows in each. Use model_type='EDDA' with a shared "
                    "covariance model ('EEE' or 'EII'), or give the class more rows."
                )
            ks = [K for K in self._class_components(label) if len(rows) >= K]
            if not ks:
                raise ValueError(
                    f"class {label!r} has {len(rows)} rows, fewer than the smallest number of "
                    f"components asked for it, {min(self._class_components(label))}."
                )
            if self.progress:
                print(f"class {label!r} ({len(rows)} rows):", flush=True)
            class_data = validate_data(
                data.array[rows],
                min_samples=2,
                allow_nan=self.missing == "marginalize",
                sample_weight=None if weight is None else weight[rows],
            )
            names = self._candidate_types(data.shape[1], label)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    selection = select_model(
                        class_data,
                        ks,
                        names,
                        reg_covar=self.reg_covar,
                        tol=self.tol,
                        max_iter=self.max_iter,
                        init_params=self.init_params,
                        random_state=self.random_state,
                        missing=self.missing,  # type: ignore[arg-type]
                        progress=self.progress,
                    )
                except ValueError as error:
                    if "can be estimated" not in str(error):
                        raise
                    selection = None
            if selection is None:
                # too few rows for every model of the grid: one spherical Gaussian,
                # whose variance pools every feature (mclust falls back the same way)
                models[label] = GaussianMixture(1, covariance_type="EII", **self._settings())
                models[label].fit(class_data)
                skipped[label] = (
                    f"no model of the grid can be estimated from its {len(rows)} rows in "
                    f"{data.shape[1]} features; one spherical Gaussian (XII) instead"
                )
                warnings.warn(
                    f"MixtureClassifier: class {label!r} has {len(rows)} rows, too few for any "
                    f"model of the grid in {data.shape[1]} features; it is fitted with one "
                    "spherical Gaussian (XII). model_type='EDDA' with 'EEE' pools the classes' "
                    "rows instead.",
                    UserWarning,
                    stacklevel=3,
                )
                continue
            # models a class cannot support are skipped (as mclust skips them) and
            # degenerate ones ranked last: noted, as is a best K at the range's edge
            # (the per-class K is a nuisance here)
            notes = []
            for warning in caught:
                if issubclass(warning.category, RangeEdgeWarning | ComponentCollapseWarning) or (
                    "cannot be estimated" in str(warning.message)
                ):
                    notes.append(str(warning.message))
                else:
                    warnings.warn_explicit(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )
            if notes:
                skipped[label] = " ".join(notes)
            selections[label] = selection
            models[label] = selection.best_estimator_
        self.class_models_ = models
        self.covariance_types_ = {
            label: _model_name(gm.covariance_type, gm.n_components, data.shape[1])
            for label, gm in models.items()
        }
        self.n_components_ = {label: gm.n_components for label, gm in models.items()}
        self.bic_ = selections
        self.skipped_ = skipped
        self.mixture_ = None
        self.n_iter_ = max(gm.n_iter_ for gm in models.values())

    # ------------------------------------------------------------------ prediction
    def _validated(self, X: ArrayLike) -> ValidatedData:
        check_is_fitted(self, "class_models_")
        data = validate_data(
            X,
            allow_nan=self.missing == "marginalize",
            nan_hint="Set missing='marginalize' to classify them on their observed features, "
            "or impute or drop them.",
        )
        check_fitted_features(self, data.shape[1], data.feature_names)
        return data.without_names()

    def class_log_density(self, X: ArrayLike) -> NDArray[np.float64]:
        """``log p(x | c)`` of every row under every class's density.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))] + np.arange(10)[:, None] / 20
        >>> clf = MixtureClassifier("EDDA", "EII").fit(X, [0] * 5 + [1] * 5)
        >>> clf.class_log_density([[0.1]]).argmax(axis=1).tolist()
        [0]
        """
        return self._class_log_density(self._validated(X))

    def _class_log_density(self, data: ValidatedData) -> NDArray[np.float64]:
        return np.column_stack(
            [self.class_models_[label].score_samples(data) for label in self.classes_.tolist()]
        )

    def _log_proba(self, data: ValidatedData) -> NDArray[np.float64]:
        joint = self._class_log_density(data) + np.log(self.class_prior_)
        log_evidence = exp_normalize(joint.T.copy(), floor=None)  # the one log-sum-exp
        return joint - log_evidence[:, None]

    def predict_log_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log posterior class probabilities, ``log P(c | x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))] + np.arange(10)[:, None] / 20
        >>> clf = MixtureClassifier("EDDA", "EII").fit(X, [0] * 5 + [1] * 5)
        >>> np.exp(clf.predict_log_proba([[0.5]])).sum().round(6)
        np.float64(1.0)
        """
        return self._log_proba(self._validated(X))

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior class probabilities ``P(c | x) ∝ pi_c p(x | c)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))] + np.arange(10)[:, None] / 20
        >>> clf = MixtureClassifier("EDDA", "EII").fit(X, [0] * 5 + [1] * 5)
        >>> clf.predict_proba([[0.0], [1.3]]).round(3).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        return np.exp(self._log_proba(self._validated(X)))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The most probable class of every row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))] + np.arange(10)[:, None] / 20
        >>> MixtureClassifier("EDDA", "EII").fit(X, ["x"] * 5 + ["y"] * 5).predict([[1.2]])
        array(['y'], dtype='<U1')
        """
        best = np.argmax(self._log_proba(self._validated(X)), axis=1)
        return self.classes_[best]

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy: the (weighted) share of rows whose predicted class is ``y``.

        Labels that were not classes in ``fit`` are an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))] + np.arange(10)[:, None] / 20
        >>> y = [0] * 5 + [1] * 5
        >>> MixtureClassifier("EDDA", "EII").fit(X, y).score(X, y)
        1.0
        """
        data = self._validated(X)
        codes = codes_of(y, self.classes_, data.n_samples)
        right = (np.argmax(self._log_proba(data), axis=1) == codes).astype(float)
        if sample_weight is None:
            return float(right.mean())
        weight = validate_data(data, sample_weight=sample_weight).sample_weight
        assert weight is not None  # given
        return float(weight @ right / weight.sum())

    def __sklearn_tags__(self):  # pragma: no cover - exercised only with scikit-learn
        """Tags read by scikit-learn utilities (imported lazily, never required)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(allow_nan=self.missing == "marginalize"),
        )
