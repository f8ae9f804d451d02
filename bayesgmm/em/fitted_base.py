"""What a fitted EM mixture answers: densities, labels, memberships, samples, imputations.

:class:`FittedMixture` is the prediction half of :class:`bayesgmm.GaussianMixture`
(as scikit-learn's ``BaseMixture`` is of its ``GaussianMixture``): every method reads
the fitted attributes and runs the engine's prediction passes
(:meth:`bayesgmm.em.engine.EMEngine.log_prob_blocks`) over in-memory, streamed,
incomplete or Dask data.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.estimator_api import check_is_fitted
from bayesgmm.core.numerics import exp_normalize
from bayesgmm.core.validation import (
    check_fitted_features,
    check_random_state,
    is_int,
    like_input,
    validate_data,
)
from bayesgmm.covariance import CovarianceModel, get_covariance_model
from bayesgmm.em.dask_arrays import is_dask_array, map_rows
from bayesgmm.em.engine import EMEngine, MixtureParams
from bayesgmm.em.missing import IncompleteData, group_by_pattern, impute_conditional_means
from bayesgmm.em.noise import FittedNoise
from bayesgmm.em.parameter_draws import ParameterDraws
from bayesgmm.em.passes import Data
from bayesgmm.persistence.em_files import load_gaussian_mixture, save_gaussian_mixture

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

__all__ = ["FittedMixture"]


class FittedMixture(FittedNoise):
    """Prediction, sampling, imputation and persistence of a fitted EM mixture.

    A base class: the subclass's ``fit`` sets ``weights_``, ``means_``,
    ``covariances_``, ``precisions_cholesky_``, ``precisions_``, ``n_features_in_``
    and the data centre ``_center``; its parameters include ``n_components``,
    ``covariance_type``, ``missing``, ``chunk_size`` and ``random_state``.
    """

    #: the file format :meth:`save` writes (:mod:`bayesgmm.persistence.em_files`)
    file_format: ClassVar[str] = "bayesgmm.GaussianMixture"
    #: one plug-in draw, no posterior (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`)
    is_posterior: ClassVar[bool] = False
    n_components: int
    covariance_type: str
    missing: str
    chunk_size: int | None
    random_state: Any
    # set by the subclass's fit (float32 for float32 data, hence Any)
    weights_: NDArray[Any]
    means_: NDArray[Any]
    covariances_: NDArray[Any]
    precisions_cholesky_: NDArray[Any]
    n_features_in_: int
    _center: NDArray[np.float64]
    noise_proportion_: float  # with a noise component (``noise``)
    # the subclass's (:class:`bayesgmm.em.criteria.MixtureCriteria`)
    _total_log_likelihood: Callable[[ArrayLike, ArrayLike | None], tuple[float, float]]

    @property
    def _model(self) -> CovarianceModel:
        return get_covariance_model(self.covariance_type)

    def _prediction_engine(self) -> EMEngine:
        noise = -math.log(self.hypervolume_) if self._has_noise else None
        return EMEngine(self._model, self.n_components, log_noise_density=noise)

    def _fitted_params(self, center: NDArray[np.float64] | None = None) -> MixtureParams:
        """The fitted parameters, means relative to ``center``.

        ``center`` defaults to the training data's centre. The arrays are the fitted
        attributes themselves (EM builds new arrays at every step; nothing here
        writes into them), so predictions copy nothing.
        """
        center = self._center if center is None else center
        return MixtureParams(
            self.weights_,
            self.means_ - center,
            self.covariances_,
            self.precisions_cholesky_,
            float(getattr(self, "noise_proportion_", 0.0)),
        )

    def _check_is_fitted(self) -> None:
        check_is_fitted(self, "means_")

    def _validate_predict_input(self, X: Any, allow_nan: bool | None = None) -> NDArray[np.float64]:
        self._check_is_fitted()
        if allow_nan is None:
            allow_nan = self.missing == "marginalize"
        hint = "Set missing='marginalize' to evaluate them on their observed features, or "
        data = validate_data(
            X, allow_nan=allow_nan, nan_hint=hint + "impute or drop them.", keep_float32=True
        )
        check_fitted_features(self, data.shape[1], data.feature_names)
        return data.array

    def _predict_data(self, X: ArrayLike) -> Data | IncompleteData:
        array = self._validate_predict_input(X)
        return self._prediction_engine().prediction_data(
            array,
            self._center,
            marginalize=self.missing == "marginalize",
            chunk_size=self.chunk_size,
        )

    def _full_covariances(self) -> NDArray[np.float64]:
        K, D = self.means_.shape
        return self._model.full_covariances(self.covariances_, K, D)

    def _labels_and_log_density(self, X: ArrayLike) -> tuple[NDArray[np.intp], NDArray]:
        data = self._predict_data(X)
        return self._prediction_engine().labels_and_log_density(self._fitted_params(), data)

    def score_samples(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log-density of the mixture at every sample, ``log p(x)``.

        Computed in log space: finite even for points millions of standard
        deviations away from every component. With ``missing="marginalize"`` a row
        with NaN gets the marginal log-density of its observed features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> gm = GaussianMixture(random_state=0).fit(np.random.default_rng(0).normal(size=(500, 1)))
        >>> bool(np.isfinite(gm.score_samples([[1e6]])).all())
        True
        """
        if is_dask_array(X):
            return self._map_dask(X, self.score_samples, None, np.float64)
        _, norm = self._labels_and_log_density(X)
        return norm

    def score(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> float:
        """Mean (optionally weighted) log-likelihood per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.
        y : Ignored
            Present for scikit-learn API compatibility.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(1000, 1))
        >>> round(GaussianMixture(random_state=0).fit(X).score(X), 2)
        -1.4
        """
        total, weight = self._total_log_likelihood(X, sample_weight)
        return total / weight

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """Most probable component of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            With a noise component, ``-1`` where the noise is the most probable.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.r_[np.zeros((5, 1)), np.full((5, 1), 9.0)] + np.arange(10)[:, None] / 50
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> bool(gm.predict([[0.0]])[0] != gm.predict([[9.0]])[0])
        True
        """
        if is_dask_array(X):
            return self._map_dask(X, self.predict, None, np.intp)
        labels, _ = self._labels_and_log_density(X)
        return self._noise_labels(labels)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior probability of each component for every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Rows sum to 1. With a noise component a last column for it (shape
            ``(n_samples, n_components + 1)``).

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> proba = GaussianMixture(3, random_state=0).fit(X).predict_proba(X)
        >>> bool(np.allclose(proba.sum(axis=1), 1.0))
        True
        """
        if is_dask_array(X):
            return self._map_dask(
                X, self.predict_proba, self.n_components + self._has_noise, np.float64
            )
        data = self._predict_data(X)
        n = data.n_samples
        proba = np.empty((n, self.n_components + self._has_noise), dtype=data.dtype)
        blocks = self._prediction_engine().log_prob_blocks(self._fitted_params(), data)
        for start, stop, log_prob in blocks:
            exp_normalize(log_prob, floor=None)
            proba[start:stop] = log_prob.T
        return proba

    def parameter_draws(self) -> ParameterDraws:
        """The fitted parameters as one plug-in draw.

        The draws protocol of fitted mixtures
        (:class:`~bayesgmm.core.fitted_mixture.FittedMixtureLike`): a posterior has
        ``S`` draws, an EM fit exactly one, its estimate.

        Returns
        -------
        ParameterDraws
            ``weights`` ``(1, K)``, ``means`` ``(1, K, D)`` and ``covariances`` (the
            covariance type's shape, ``full_covariances()`` ``(1, K, D, D)``): the
            fitted ``weights_``, ``means_`` and ``covariances_``.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(50, 2))
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> draws = gm.parameter_draws()
        >>> draws.size, draws.full_covariances().shape, bool((draws.means[0] == gm.means_).all())
        (1, (1, 2, 2, 2), True)
        """
        self._check_is_fitted()
        return ParameterDraws(
            self._model.name,
            self.weights_[None],
            self.means_[None],
            self.covariances_[None],
        )

    def log_density_draws(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log-density of every sample under every parameter draw: here the one estimate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        ndarray of shape (1, n_samples)
            :meth:`score_samples` as the one row.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> per_draw = gm.log_density_draws(X)
        >>> per_draw.shape, bool((per_draw[0] == gm.score_samples(X)).all())
        ((1, 100), True)
        """
        return np.asarray(self.score_samples(X), dtype=np.float64)[None]

    def membership_draws(
        self, X: ArrayLike, picks: NDArray[np.intp] | None = None
    ) -> NDArray[np.float64]:
        """Membership probabilities under every parameter draw: here the one estimate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.
        picks : ndarray of int, default=None
            Only these draws (of the one: ``[0]``); ``None``: all.

        Returns
        -------
        ndarray of shape (1, n_samples, n_components)
            :meth:`predict_proba` as the one draw.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> gm = GaussianMixture(3, random_state=0).fit(X)
        >>> gm.membership_draws(X).shape, bool(np.allclose(gm.membership_draws(X).sum(axis=-1), 1))
        ((1, 100, 3), True)
        """
        draws = np.asarray(self.predict_proba(X), dtype=np.float64)[None]
        return draws if picks is None else draws[picks]

    def impute(self, X: ArrayLike) -> NDArray[np.float64] | pd.DataFrame:
        """Fill missing (NaN) cells with their conditional expectation under the mixture.

        A missing cell ``x_m`` of a row with observed cells ``x_o`` becomes
        ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + Sigma_k,mo Sigma_k,oo^{-1}
        (x_o - mu_ko))``: each component's regression on the observed cells, weighted
        by the component's posterior probability given them. Observed cells are
        returned unchanged. Works whatever ``missing`` is set to (NaN is the point
        here); infinite values and rows with every cell missing are errors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with NaN for missing cells.

        Returns
        -------
        ndarray or pandas.DataFrame of shape (n_samples, n_features)
            A copy of ``X`` without NaN (a DataFrame, with the same index and columns,
            when ``X`` is one).

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=500)
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> filled = gm.impute([[2.0, np.nan], [np.nan, -1.0]])
        >>> np.round(filled, 1)
        array([[ 2. ,  1.8],
               [-0.9, -1. ]])
        """
        array = self._validate_predict_input(X, allow_nan=True)
        filled = array.copy()
        if np.isnan(array).any():
            data = group_by_pattern(array, self._center)
            means = self.means_ - self._center
            filled = impute_conditional_means(
                array, data, self.weights_, means, self._full_covariances()
            )
        return like_input(X, filled)

    def sample(
        self, n_samples: int = 1, *, random_state: Any = None
    ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, Generator or None, default=None
            Seed of this draw; None: the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Samples, grouped by component.
        y : ndarray of shape (n_samples,)
            Component of each sample; with a noise component ``-1`` for points
            drawn uniformly from its region (the box whose volume is
            ``hypervolume_``; a given ``hypervolume`` rescales it about its centre).

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(1).normal(size=(50, 2))
        >>> X, y = GaussianMixture(2, random_state=0).fit(X).sample(5)
        >>> X.shape, y.shape
        ((5, 2), (5,))
        """
        self._check_is_fitted()
        if not is_int(n_samples) or n_samples < 1:
            raise ValueError(
                f"n_samples must be an integer >= 1 (the number of samples to draw); "
                f"got {n_samples!r}."
            )
        rng = check_random_state(self.random_state if random_state is None else random_state)
        if not self._has_noise:
            counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
            X = self._model.sample(rng, self.means_, self.covariances_, counts)
            return X, np.repeat(np.arange(self.n_components), counts)
        proportions = np.append(self.weights_, self.noise_proportion_)
        counts = rng.multinomial(n_samples, proportions / proportions.sum())
        X = self._model.sample(rng, self.means_, self.covariances_, counts[:-1])
        region = self.noise_region_
        assert region is not None  # _has_noise
        X = np.concatenate([X, region.sample(rng, int(counts[-1]))])
        return X, np.repeat(np.r_[np.arange(self.n_components), -1], counts)

    def _map_dask(self, X: Any, method, n_columns: int | None, dtype) -> Any:
        """``method`` applied lazily to every row chunk of a Dask array."""
        self._check_is_fitted()
        return map_rows(X, method, self.n_features_in_, n_columns, dtype)

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to a file, atomically (see :mod:`bayesgmm.persistence`).

        A NumPy ``.npz`` archive (no pickle) with every fitted array bit for bit, the
        parameters, and the file format and bayesgmm versions. An existing file is
        replaced whole or not at all, even if the process is interrupted.

        Parameters
        ----------
        path : str or path-like
            Destination file (``.npz`` is conventional); its directory must exist.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        NotFittedError
            If the model is not fitted.

        See Also
        --------
        load : read it back.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     loaded = GaussianMixture.load(gm.save(Path(folder) / "model.npz"))
        >>> bool((loaded.score_samples(X) == gm.score_samples(X)).all())
        True
        """
        return save_gaussian_mixture(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Load a model written by :meth:`save`; predictions are bit-identical.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        GaussianMixture
            The fitted estimator (usable for prediction and a ``warm_start`` refit).

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is corrupted, truncated or not a GaussianMixture model file,
            or was written with a newer file format version (then upgrade bayesgmm).

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = GaussianMixture(random_state=0).fit(X).save(Path(folder) / "gm.npz")
        ...     gm = GaussianMixture.load(path)
        >>> gm.means_.shape
        (1, 1)
        """
        return load_gaussian_mixture(path, cls=cls)
