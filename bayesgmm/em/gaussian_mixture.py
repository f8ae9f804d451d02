"""Maximum-likelihood EM for Gaussian mixtures: :class:`GaussianMixture`.

A drop-in for ``sklearn.mixture.GaussianMixture`` (same parameters, attributes and
methods, same EM semantics) that adds frequency ``sample_weight``, missing data, ICL,
online and streamed EM, and per-component diagnostics, and is faster: every E-step and
M-step is a handful of matrix products over cache-sized blocks of rows, in one pass over
the data per iteration (see :mod:`bayesgmm.covariance` for the per-type algebra).

This module is the estimator: parameters, their validation and the fitting entry
points. The EM itself is :class:`bayesgmm.em.engine.EMEngine`; prediction, criteria and
persistence are inherited from :class:`bayesgmm.em.fitted_base.FittedMixture` and the
criteria from :class:`bayesgmm.em.criteria.MixtureCriteria`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from bayesgmm.core.estimator_api import ParamsMixin
from bayesgmm.core.types import CovarianceType, InitParams, MissingOption, RandomStateLike
from bayesgmm.core.validation import (
    Constraint,
    anything,
    boolean,
    check_parameters,
    check_partial_labels,
    check_random_state,
    integer,
    is_int,
    one_of,
    optional,
    positive_real,
    random_state,
    real,
    validate_data,
)
from bayesgmm.em.criteria import MixtureCriteria
from bayesgmm.em.dask_arrays import DaskData, is_dask_array
from bayesgmm.em.engine import EMEngine, EMRun, FitInputs, MixtureParams, dask_inputs
from bayesgmm.em.fit_checks import check_finite, check_scale, warn_degenerate, warn_not_converged
from bayesgmm.em.initialization import INIT_METHODS, check_initial_parameters
from bayesgmm.em.map_prior import check_prior, default_prior
from bayesgmm.em.missing import MISSING_OPTIONS
from bayesgmm.em.noise import NoiseSetting, noise_setting
from bayesgmm.em.online import OnlineFitting
from bayesgmm.persistence.em_files import register_em_class

__all__ = ["PARAMETER_CONSTRAINTS", "GaussianMixture", "mixture_from_parameters"]

#: the fix suggested when X contains NaN and missing="error"
_NAN_HINT = "Pass missing='marginalize' to fit with them, or impute or drop those rows."


#: what each GaussianMixture parameter may be (checked by fit and partial_fit)
PARAMETER_CONSTRAINTS: dict[str, Constraint] = {
    "n_components": integer(1),
    "covariance_type": anything(),  # checked by get_covariance_model
    "tol": real(0.0, hint="Use a small positive value such as 1e-3."),
    "reg_covar": real(0.0, hint="Use a small positive value such as 1e-6."),
    "max_iter": integer(
        0, hint="0 returns the initialisation unchanged (as scikit-learn's max_iter=0)."
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
    "prior": Constraint(
        lambda v: v is None or v == "default" or isinstance(v, Mapping),
        "None, 'default' or a dict of prior settings (shrinkage, mean, dof, scale)",
    ),
    "chunk_size": Constraint(
        lambda v: v is None or (is_int(v) and v >= 1), "None or an integer >= 1"
    ),
    "noise": Constraint(
        lambda v: isinstance(v, bool | np.bool_) or np.ndim(v) == 1,
        "True, False or a boolean mask of the rows that start as noise",
    ),
    "hypervolume": optional(
        positive_real(hint="It is the volume V of the region the uniform noise fills.")
    ),
}


class GaussianMixture(MixtureCriteria, OnlineFitting, ParamsMixin):
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
    init_params : {"kmeans", "k-means++", "random", "random_from_data", "hierarchical"}, \
default="kmeans"
        How initial responsibilities are drawn (bayesgmm's own k-means; no
        scikit-learn needed). ``"hierarchical"`` is mclust's default start
        (:mod:`bayesgmm.em.hierarchical_start`, deterministic); with ``n_init > 1`` the
        further starts are k-means.
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
    prior : None, "default" or dict, default=None
        Conjugate-prior (MAP) EM as mclust's ``priorControl()``: ``"default"`` is
        mclust's ``defaultPrior`` for this data, K and covariance type; a dict
        overrides some of its values (``shrinkage``, ``mean``, ``dof``, ``scale``).
        Covariances then stay away from singularity; ``bic`` and the other criteria
        use the log-likelihood at the posterior mode, as mclust's. Full, tied, diag
        and spherical only; not with missing cells, Dask arrays or
        :meth:`partial_fit` (see :mod:`bayesgmm.em.map_prior`).
    noise : bool or array-like of bool, default=False
        Add a uniform noise component for background points and outliers (Banfield
        & Raftery 1993; Fraley & Raftery 1998; mclust's ``initialization$noise``):
        the density becomes ``sum_k pi_k N(x | mu_k, Sigma_k) + pi_0 / V``.
        ``True`` starts the noise from Byers & Raftery's (1998) nearest-neighbour
        clutter removal (:func:`bayesgmm.em.noise.nearest_neighbour_clean`); a
        boolean mask of shape ``(n_samples,)`` marks the rows that start as noise.
        ``init_params`` then starts the Gaussians on the other rows. Then
        :meth:`predict` labels noise ``-1``, :meth:`predict_proba` has a last
        column for it, :meth:`score_samples` includes it and the criteria count two
        more parameters, its proportion and ``V``, as mclust's. Not with missing cells, Dask arrays
        or :meth:`partial_fit`.
    hypervolume : float or None, default=None
        ``V`` of the noise component; None: mclust's ``hypvol`` of the training data
        (:func:`bayesgmm.em.noise.hypervolume`). Only with ``noise``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixture weights (with ``noise``, of the Gaussian components: they sum to
        ``1 - noise_proportion_``).
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
    noise_proportion_ : float
        With ``noise``: the noise component's proportion ``pi_0``.
    hypervolume_ : float
        With ``noise``: the ``V`` of its density ``1 / V``.
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
    exact EM for incomplete data (Ghahramani & Jordan, 1994; :mod:`bayesgmm.em.missing`):
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

    _parameter_table: ClassVar[dict[str, Constraint]] = PARAMETER_CONSTRAINTS
    #: online EM's running statistics (:meth:`partial_fit`), as model files store them
    _online: dict[str, Any] | None

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: CovarianceType | str = "full",  # or one of mclust's names
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
        prior: str | Mapping[str, Any] | None = None,
        noise: bool | ArrayLike = False,
        hypervolume: float | None = None,
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
        self.prior = prior
        self.noise = noise
        self.hypervolume = hypervolume

    # ------------------------------------------------------------------ the engine
    def _engine(self) -> EMEngine:
        return EMEngine(
            self._model,
            self.n_components,
            reg_covar=self.reg_covar,
            tol=self.tol,
            max_iter=self.max_iter,
            init_params=self.init_params,
            verbose=self.verbose,
            verbose_interval=self.verbose_interval,
        )

    def _initial_values(self, n_features: int) -> tuple[Any, Any, Any]:
        return check_initial_parameters(
            self._model,
            self.n_components,
            n_features,
            self.weights_init,
            self.means_init,
            self.precisions_init,
        )

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: ArrayLike,
        y: Any = None,
        sample_weight: ArrayLike | None = None,
        *,
        labels: ArrayLike | None = None,
    ) -> Self:
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
        labels : array-like of int of shape (n_samples,), default=None
            Partial labels (mclust's ``MclustSSC``): each labelled row's component,
            -1 for unlabelled rows (scikit-learn's convention). Labelled rows stay in
            their component. EM starts from the labelled rows (``init_params`` is then
            unused), so every component needs one. ``lower_bound_`` is the mean of
            ``log(pi_y p(x | y))`` (labelled rows) and ``log p(x)`` (the others).
            Not with ``noise`` or Dask arrays.

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

        Two labelled rows place the components; EM labels the rest:

        >>> X = np.r_[np.zeros((20, 1)), np.full((20, 1), 5.0)] + np.linspace(0, 1, 40)[:, None]
        >>> labels = np.full(40, -1)
        >>> labels[[0, 39]] = [1, 0]
        >>> gm = GaussianMixture(2, random_state=0).fit(X, labels=labels)
        >>> gm.predict(X[[0, 39]]).tolist()
        [1, 0]
        """
        self._fit(X, sample_weight, return_labels=False, labels=labels)
        return self

    def fit_predict(
        self,
        X: ArrayLike,
        y: Any = None,
        sample_weight: ArrayLike | None = None,
        *,
        labels: ArrayLike | None = None,
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
        labels : array-like of int of shape (n_samples,), default=None
            Partial labels (-1: unlabelled), see :meth:`fit`.

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
        predicted = self._fit(X, sample_weight, return_labels=True, labels=labels)
        assert predicted is not None  # asked for
        return predicted

    def _fit(
        self,
        X: ArrayLike,
        sample_weight: ArrayLike | None,
        return_labels: bool,
        labels: ArrayLike | None = None,
    ) -> NDArray[np.intp] | None:
        """Validate, prepare the data passes once and run EM; labels if asked."""
        check_parameters(self, self._parameter_table)
        check_prior(self.prior)
        engine = self._engine()  # validates covariance_type before touching the data
        rng = check_random_state(self.random_state)
        _check_labels_allowed(labels, X, self.noise)
        if is_dask_array(X):
            if self.prior is not None:
                raise ValueError("prior is not available for Dask arrays; compute X first.")
            if self.noise is not False:
                raise ValueError("noise is not available for Dask arrays; compute X first.")
            inputs = dask_inputs(engine.model, engine.n_components, X, sample_weight, rng)
            self._fit_inputs(engine, inputs, None, rng)
            return self.predict(inputs.data.source) if return_labels else None
        data = validate_data(
            X,
            min_samples=2,
            allow_nan=self.missing == "marginalize",
            nan_hint=_NAN_HINT,
            keep_float32=True,
            sample_weight=sample_weight,
        )
        array, names, weight = data.array, data.feature_names, data.sample_weight
        positive = array.shape[0] if weight is None else int(np.count_nonzero(weight))
        if positive < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {positive}"
                + ("" if weight is None else " (rows with positive sample_weight)")
                + ". Lower n_components or pass more data."
            )
        noise = noise_setting(self.noise, self.hypervolume, array)
        if noise is not None:
            engine.log_noise_density = noise.log_density
        known = None
        if labels is not None:
            known = check_partial_labels(labels, array.shape[0], self.n_components)
        inputs = engine.fit_inputs(
            array,
            weight,
            rng,
            marginalize=self.missing == "marginalize",
            chunk_size=self.chunk_size,
            noise_start=None if noise is None else noise.start,
            labels=known,
        )
        if self.prior is not None:
            if inputs.incomplete is not None:
                raise ValueError(
                    "prior is not available with missing cells yet; impute or drop them, "
                    "or fit without a prior."
                )
            overrides = None if self.prior == "default" else self.prior
            assert not isinstance(overrides, str)  # check_parameters: only "default"
            model_name = engine.model.name
            prior = default_prior(array, self.n_components, model_name, overrides)
            engine.prior = prior.centred(inputs.data.center)
        self._set_noise(noise)
        self._fit_inputs(engine, inputs, names, rng)
        if not return_labels:
            return None
        prediction_data = inputs.prediction_data
        assert not isinstance(prediction_data, DaskData)  # Dask arrays returned above
        labels, _ = engine.labels_and_log_density(self._fitted_params(), prediction_data)
        return self._noise_labels(labels)

    def _set_noise(self, noise: NoiseSetting | None) -> None:
        """Store the noise component's ``hypervolume_`` and region (or forget them)."""
        for name in ("hypervolume_", "noise_proportion_", "_noise_region"):
            if noise is None and hasattr(self, name):
                delattr(self, name)
        if noise is not None:
            self.hypervolume_ = noise.hypervolume
            self._noise_region = dataclasses.asdict(noise.region)

    def _fit_inputs(
        self, engine: EMEngine, inputs: FitInputs, names: Any, rng: np.random.Generator
    ) -> EMRun:
        """Run EM on prepared inputs and store the best run (with its warnings)."""
        data = inputs.data
        n_features = data.n_features
        inits = self._initial_values(n_features)
        warm = None
        if self.warm_start and hasattr(self, "converged_"):
            if n_features != self.n_features_in_:
                raise ValueError(
                    f"warm_start=True but X has {n_features} features while the fitted "
                    f"model has {self.n_features_in_}; refit with warm_start=False."
                )
            warm = (self._fitted_params(data.center), self.lower_bound_)
        check_scale(data, names, engine.reg_covar)
        self._set_features(n_features, names)
        run = engine.run(inputs, rng, n_init=self.n_init, inits=inits, warm=warm)
        warn_not_converged(run, engine.max_iter, engine.tol)
        check_finite(run.params, self.n_components)
        self._set_params(run.params, data.center, inputs.init_array.dtype)
        self.converged_ = run.converged
        self.n_iter_ = run.n_iter
        self.lower_bound_ = run.lower_bound
        self.lower_bounds_ = run.lower_bounds
        warn_degenerate(run, data, engine.model, engine.reg_covar)
        return run

    def _set_features(self, n_features: int, names: NDArray[np.object_] | None) -> None:
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _set_params(
        self, params: MixtureParams, center: NDArray[np.float64], dtype: DTypeLike
    ) -> None:
        """Store the fitted parameters, float32 for float32 data (as scikit-learn).

        float64 when a parameter would overflow float32 (data near float32's range).
        """
        if dtype == np.float32:
            largest = max(float(np.abs(a).max()) for a in (params.covariances, params.means))
            largest = max(largest, float(np.abs(params.precisions_cholesky).max()) ** 2)
            dtype = np.float32 if largest < 1e37 else np.float64
        self.weights_ = params.weights.astype(dtype, copy=False)
        self.means_ = (params.means + center).astype(dtype, copy=False)
        self.covariances_ = params.covariances.astype(dtype, copy=False)
        self.precisions_cholesky_ = params.precisions_cholesky.astype(dtype, copy=False)
        precisions = self._model.precisions_from_cholesky(params.precisions_cholesky)
        self.precisions_ = precisions.astype(dtype, copy=False)
        self._center = center
        if hasattr(self, "hypervolume_"):
            self.noise_proportion_ = params.noise_weight


def _check_labels_allowed(labels: Any, X: Any, noise: Any) -> None:
    """Partial labels are for stored (or streamed) data without a noise component."""
    if labels is not None and (is_dask_array(X) or noise is not False):
        raise ValueError(
            "labels (a semi-supervised fit) are not available with "
            + ("Dask arrays; compute X first." if is_dask_array(X) else "noise; fit with "
               "noise=False.")
        )  # fmt: skip


def mixture_from_parameters(
    weights: ArrayLike,
    means: ArrayLike,
    covariances: ArrayLike,
    covariance_type: CovarianceType | str = "full",
    **params: Any,
) -> GaussianMixture:
    """A fitted :class:`GaussianMixture` with the given parameters (no EM).

    Used where parameters come from elsewhere: one class's component of a joint fit
    (:class:`bayesgmm.MixtureClassifier`'s EDDA), a published model, a simulation's
    truth. ``converged_`` is True and ``n_iter_`` 0.

    Parameters
    ----------
    weights : array-like of shape (n_components,)
        Mixture weights (positive, summing to 1).
    means : array-like of shape (n_components, n_features)
        Component means.
    covariances : array-like of shape (n_components, n_features, n_features)
        Full covariance matrices, with the structure of ``covariance_type``.
    covariance_type : str, default="full"
        The structure the model is stored with (any of mclust's 14 names or
        scikit-learn's four); the matrices must have it.
    **params
        Further :class:`GaussianMixture` parameters (``missing``, ``random_state``...).

    Returns
    -------
    GaussianMixture

    Examples
    --------
    >>> gm = mixture_from_parameters([0.5, 0.5], [[0.0], [4.0]], [[[1.0]], [[1.0]]])
    >>> gm.predict([[0.5], [3.0]]).tolist()
    [0, 1]
    """
    weights = np.asarray(weights, dtype=np.float64)
    means = np.atleast_2d(np.asarray(means, dtype=np.float64))
    full = np.asarray(covariances, dtype=np.float64)
    n_components, n_features = means.shape
    if weights.shape != (n_components,) or full.shape != (n_components, n_features, n_features):
        raise ValueError(
            f"weights, means and covariances must have shapes ({n_components},), "
            f"({n_components}, {n_features}) and ({n_components}, {n_features}, {n_features}); "
            f"got {weights.shape}, {means.shape} and {full.shape}."
        )
    gm = GaussianMixture(n_components, covariance_type=covariance_type, **params)
    model = gm._model
    precisions_cholesky, stored, _ = model.precisions_cholesky(model.covariances_from_full(full))
    center = weights @ means
    gm._set_params(
        MixtureParams(weights, means - center, stored, precisions_cholesky), center, np.float64
    )
    gm._set_features(n_features, None)
    gm.converged_, gm.n_iter_ = True, 0
    gm.lower_bound_, gm.lower_bounds_ = -np.inf, []
    return gm


# the class EM model files are restored as by default
register_em_class(GaussianMixture)
