"""``BayesianGaussianMixture``: an EM fit, then its posterior (PyMC + nutpie).

The estimator: parameters, their validation and ``fit`` (EM start, sampling, tidying
and relabelling the draws, pointwise log-likelihood, diagnostics). What a fitted
posterior answers (memberships, densities, imputations, predictive draws, summary,
files) is inherited from :class:`bayesgmm.bayes.draw_summaries.FittedPosterior`.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Self

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from bayesgmm._version import __version__
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture
from bayesgmm.bayes.convergence import diagnose
from bayesgmm.bayes.draw_summaries import DEFAULT_MAX_IMPUTATIONS as DEFAULT_MAX_IMPUTATIONS
from bayesgmm.bayes.draw_summaries import SUMMARY_VARS as SUMMARY_VARS
from bayesgmm.bayes.draw_summaries import FittedPosterior
from bayesgmm.bayes.extend import concat_draws, continue_chains
from bayesgmm.bayes.fit import ESS_BULK_MIN as ESS_BULK_MIN  # re-exported (reporting)
from bayesgmm.bayes.fit import RHAT_MAX as RHAT_MAX
from bayesgmm.bayes.fit import SAMPLERS, em_start, sample_posterior
from bayesgmm.bayes.posterior import (
    log_likelihood_groups,
    relabel_to_em,
    tidy_posterior,
)
from bayesgmm.bayes.posterior_likelihood import stores_log_likelihood
from bayesgmm.bayes.spec import Priors, check_bayesian_covariance_type
from bayesgmm.bayes.uniform_noise import check_hypervolume, data_region, default_hypervolume
from bayesgmm.core.estimator_api import ParamsMixin, check_is_fitted
from bayesgmm.core.types import MissingOption
from bayesgmm.core.validation import (
    Constraint,
    ValidatedData,
    boolean,
    check_integer,
    check_number,
    check_random_state,
    integer,
    one_of,
    open_unit_interval,
    random_state,
    validate_data,
)
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.em.missing import MISSING_OPTIONS
from bayesgmm.em.noise import NNCLEAN_K, nearest_neighbour_clean
from bayesgmm.exceptions import SamplingError, SamplingWarning
from bayesgmm.persistence.format import FORMAT_VERSION as FORMAT_VERSION
from bayesgmm.persistence.posterior_files import read_posterior_file, write_posterior_file

__all__ = ["BayesianGaussianMixture"]

#: the fix suggested when X contains NaN and missing="error"
_NAN_HINT = "Pass missing='marginalize' to fit with them, or impute or drop those rows."
#: the sampler's groups kept in ``idata_``
_KEPT_GROUPS = ("posterior", "sample_stats", "observed_data", "constant_data")
#: starting noise proportion from a ``start`` without one, and the smallest start
NOISE_START = 0.05
NOISE_START_MIN = 0.01


#: the settings a pipeline passes to every Bayesian fit (``bayes_options``), and what
#: each may be; the data, K, structure, start and ``missing`` are the pipeline's
SETTINGS_CONSTRAINTS: dict[str, Constraint] = {
    "draws": integer(1),
    "tune": integer(0),
    "chains": integer(1),
    "target_accept": open_unit_interval(hint="Typically 0.8-0.99."),
    "sampler": one_of(*SAMPLERS),
    "priors": Constraint(lambda v: v is None or isinstance(v, Priors), "None or a Priors"),
    "relabel": Constraint(
        lambda v: isinstance(v, bool) or (isinstance(v, str) and v == "ordered"),
        "True, False or 'ordered'",
    ),
    "progressbar": boolean(),
    "n_init": integer(1),
    "max_doublings": integer(0),
    "random_state": random_state(),
}


class BayesianGaussianMixture(FittedPosterior, ParamsMixin):
    """Gaussian mixture with a full posterior over weights, means and covariances.

    ``fit`` first runs the EM core (:class:`bayesgmm.GaussianMixture`), then samples
    the marginalised mixture of :func:`bayesgmm.bayes.build_model` with NUTS, every
    chain started from the EM solution (plus a small jitter), and relabels each draw's
    components to match the EM labelling (label switching).

    Parameters
    ----------
    n_components : int, default=1
        Number of components.
    covariance_type : str, default="full"
        One of :data:`~bayesgmm.bayes.spec.BAYESIAN_COVARIANCE_TYPES`: "full", "tied",
        "diag", "spherical" (mclust VVV, EEE, VVI, VII) or any of mclust's ten other
        models ("EII", "EEI", "VEI", "EVI", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV"):
        the covariance structure.
    priors : Priors, default=None
        Prior settings (``Priors()`` when ``None``).
    draws, tune, chains : int, default=1000, 1000, 4
        Posterior draws and tuning steps per chain, and number of chains.
    target_accept : float, default=0.9
        NUTS target acceptance rate.
    sampler : {"nutpie", "pymc"}, default="nutpie"
        nutpie on the compiled, shape-generic kernels (compiled once per machine, see
        :mod:`bayesgmm.bayes.compiled_model`) or PyMC's NUTS on :func:`~bayesgmm.bayes.build_model`.
    random_state : int or None, default=None
        Seed of the EM fit, the start jitter and the sampler.
    relabel : bool or "ordered", default=True
        ``True``: permute each draw's components to best match the EM solution.
        ``False``: keep the raw draws. ``"ordered"`` (one feature only): constrain the
        means to increase with the component index instead (no relabelling needed).
    progressbar : bool, default=True
        Show the sampler's progress.
    n_init : int, default=5
        EM restarts for the starting solution.
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"error"``: NaN is an error. ``"marginalize"``: NaN
        marks a value missing at random; the likelihood of each row is the mixture
        density of its observed cells (see Notes), and :meth:`memberships`,
        :meth:`predict_proba`, :meth:`predict`, :meth:`score_samples` and
        :meth:`score` accept NaN too. Infinite values and rows with every feature
        missing are always errors.
    start : GaussianMixture, default=None
        An already fitted EM model to start from (for example
        ``select_model(X).best_estimator_``): it is used as is, not refitted, and
        its component order is kept (a copy is stored as ``em_``). Its
        ``n_components`` and covariance type must match these settings and it must
        have been fitted on the same features. ``None``: EM is fitted on ``X``
        (``n_init`` restarts). :meth:`from_em` builds the estimator from one.
    max_doublings : int, default=2
        Sampling that adapts its length: while the fit fails only on its effective
        sample size (bulk or tail ESS), or on an r_hat at most 1.1 with every chain in
        one mode (:attr:`~bayesgmm.bayes.convergence.Diagnostics.extendable`), the
        chains are continued to twice their length, up to this many times (so up to
        ``draws * 2**max_doublings`` draws per chain). Each chain continues from its
        last draw after a new adaptation (:mod:`bayesgmm.bayes.extend`); the
        draws already made are kept. Divergences and chains in different modes are
        not extended (more draws do not cure them). ``0`` runs exactly ``draws``.
        ``diagnostics_.n_draws`` and ``diagnostics_.doublings`` say what was run.
    noise : bool, default=False
        Add mclust's uniform noise component, density ``pi_0 / V`` beside the
        Gaussians (:func:`bayesgmm.bayes.build_model`; the ``K + 1`` proportions
        have a symmetric Dirichlet(``priors.weight_concentration``) prior). The
        EM start is fitted on the rows that Byers & Raftery's nearest-neighbour
        clutter removal keeps (or taken from ``start``, with its
        ``noise_proportion_`` when it has one).
    hypervolume : float, default=None
        ``V``, with ``noise=True`` only; ``None``: the volume of the training
        data's region (mclust's ``hypvol``), stored as ``hypervolume_``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Posterior mean of the weights (components in the order of ``em_``).
    means_ : ndarray of shape (n_components, n_features)
        Posterior mean of the component means.
    covariances_ : ndarray
        Posterior mean of the covariances, shaped as
        :attr:`GaussianMixture.covariances_` for the covariance type.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions of ``covariances_`` (as scikit-learn's
        ``BayesianGaussianMixture`` stores them).
    idata_ : xarray.DataTree
        Posterior (``weights``, ``means``, ``covariances`` with dims ``component``,
        ``feature``, ``feature_bis``, and the sampled variables), ``sample_stats``,
        ``observed_data`` and ``log_likelihood`` (``obs`` over ``obs_id``; stored
        when it has at most 10 million values, e.g. 2 x 1000 draws of 5,000 rows:
        :meth:`loo` computes PSIS-LOO in blocks of rows either way, and
        :meth:`store_log_likelihood` stores it on request).
    em_ : GaussianMixture
        The EM fit used as start and reference labelling.
    n_relabelled_ : int
        Number of draws whose components were permuted.
    diagnostics_ : bayesgmm.bayes.convergence.Diagnostics
        Sampling diagnostics of the fit (divergences, r_hat, bulk and tail ESS, tree
        depth, expected observations per component) and the messages issued as
        :class:`~bayesgmm.exceptions.SamplingWarning` after sampling (see
        :func:`bayesgmm.bayes.convergence.diagnose`).
    diagnostics_ok_ : bool
        Whether the convergence checks pass (``diagnostics_.ok``).
    noise_proportion_ : float
        Posterior mean of the noise proportion (``noise=True`` only; ``weights_``
        then sum to about ``1 - noise_proportion_``).
    hypervolume_ : float
        The noise component's hypervolume (``noise=True`` only).
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of str
        Feature names (DataFrame input only).

    Notes
    -----
    **Missing data.** With ``missing="marginalize"`` and NaN in ``X`` the posterior
    conditions on every observed value and on nothing else: the likelihood of a row
    with observed cells ``o`` is ``sum_k pi_k N(x_o | mu_k[o], Sigma_k[o, o])``, exact
    under missing at random (:func:`bayesgmm.bayes.build_model`). The EM start is
    ``GaussianMixture(missing="marginalize")``, the standardisation uses the observed
    values of each feature, and ``log_likelihood`` (hence LOO) holds the observed-data
    log-density of each row. The sampled graph depends on the missingness pattern, so
    a compiled model is reused only for data with the same NaN layout. ``observed_data``
    keeps the NaN. :meth:`impute` draws multiple imputations (one posterior draw, a
    component and the missing cells per imputation); :meth:`impute_mean` gives the
    posterior mean of the missing cells. :meth:`sample` and
    :meth:`sample_posterior_predictive` draw complete rows.

    See Also
    --------
    bayesgmm.fit_large : approximate posterior for large N (NUTS on a subsample with
        control variates, then importance weights on all rows).
    bayesgmm.GaussianMixture : the maximum-likelihood fit this model starts from.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> bgm = BayesianGaussianMixture(
    ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
    ... )
    >>> bgm = bgm.fit(load_faithful())  # doctest: +SKIP
    >>> bgm.summary().loc["weights[0]", "mean"]  # doctest: +SKIP
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        priors: Priors | None = None,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        target_accept: float = 0.9,
        sampler: str = "nutpie",
        random_state: int | None = None,
        relabel: bool = True,
        progressbar: bool = True,
        n_init: int = 5,
        missing: MissingOption = "error",
        start: GaussianMixture | None = None,
        max_doublings: int = 2,
        noise: bool = False,
        hypervolume: float | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.priors = priors
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.target_accept = target_accept
        self.sampler = sampler
        self.random_state = random_state
        self.relabel = relabel
        self.progressbar = progressbar
        self.n_init = n_init
        self.missing = missing
        self.start = start
        self.max_doublings = max_doublings
        self.noise = noise
        self.hypervolume = hypervolume

    @classmethod
    def from_em(cls, gm: GaussianMixture, **params: Any) -> BayesianGaussianMixture:
        """The Bayesian model of a fitted EM mixture, started from it (not refitted).

        Parameters
        ----------
        gm : GaussianMixture
            A fitted EM model; its ``n_components`` and ``covariance_type`` are used.
        **params
            Other settings (``draws``, ``tune``, ``chains``, ``priors``, ...). An EM
            fit with a noise component (``noise_proportion_``) gives ``noise=True``
            and its ``hypervolume_`` unless they are given.

        Returns
        -------
        BayesianGaussianMixture
            Unfitted; call :meth:`fit` with the data ``gm`` was fitted on.

        Examples
        --------
        >>> from bayesgmm import GaussianMixture, load_faithful
        >>> gm = GaussianMixture(2, random_state=0).fit(load_faithful())
        >>> bgm = BayesianGaussianMixture.from_em(gm, draws=200, tune=200, chains=2)
        >>> bgm.n_components, bgm.covariance_type, bgm.start is gm
        (2, 'full', True)
        """
        if not isinstance(gm, GaussianMixture):
            raise TypeError(f"gm must be a fitted bayesgmm.GaussianMixture; got {type(gm)}.")
        check_is_fitted(gm, "means_")
        covariance_type = get_covariance_model(gm.covariance_type).name
        if getattr(gm, "noise_proportion_", None) is not None and params.get("noise", True):
            params.setdefault("noise", True)  # an EM fit with a noise component: its V too
            params.setdefault("hypervolume", getattr(gm, "hypervolume_", None))
        return cls(gm.n_components, covariance_type=covariance_type, start=gm, **params)

    # ------------------------------------------------------------------ fitting
    def _validate(self) -> None:
        for name in ("draws", "tune", "chains", "n_components", "n_init", "max_doublings"):
            check_integer(name, getattr(self, name), 0 if name in ("tune", "max_doublings") else 1)
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {list(SAMPLERS)}; got {self.sampler!r}.")
        check_number(
            "target_accept",
            self.target_accept,
            lambda v: 0 < v < 1,
            "a number in (0, 1), typically 0.8-0.99",
        )
        if self.missing not in MISSING_OPTIONS:
            raise ValueError(
                f"missing must be one of {list(MISSING_OPTIONS)}; got {self.missing!r}."
            )
        if self.relabel not in (True, False, "ordered"):
            raise ValueError(f"relabel must be True, False or 'ordered'; got {self.relabel!r}.")
        if self.priors is not None and not isinstance(self.priors, Priors):
            raise TypeError(
                f"priors must be a bayesgmm.bayes.Priors or None; got {type(self.priors)}."
            )
        check_bayesian_covariance_type(self.covariance_type)
        _check_noise(self.noise, self.hypervolume)
        if self.start is not None:
            self._check_start()

    def _check_start(self) -> None:
        start = self.start
        if not isinstance(start, GaussianMixture):
            raise TypeError(
                f"start must be a fitted bayesgmm.GaussianMixture or None; got {type(start)}."
            )
        check_is_fitted(start, "means_")
        wanted = (self.n_components, get_covariance_model(self.covariance_type).name)
        found = (start.n_components, get_covariance_model(start.covariance_type).name)
        if wanted != found:
            raise ValueError(
                f"start has n_components={found[0]}, covariance_type={found[1]!r}; this "
                f"model has n_components={wanted[0]}, covariance_type={wanted[1]!r}. "
                "Use BayesianGaussianMixture.from_em(start) to take both from it."
            )

    def fit(self, X: ArrayLike, y: Any = None) -> Self:
        """Fit EM, then sample the posterior and relabel the draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; with ``missing="marginalize"``, NaN marks missing cells.
        y : Ignored
            Present for API compatibility.

        Returns
        -------
        self : BayesianGaussianMixture

        Raises
        ------
        ValueError
            If a setting is invalid (e.g. ``target_accept`` outside (0, 1)).
        bayesgmm.exceptions.SamplingError
            If the model does not compile or the sampler fails; the message says what
            to try.

        Warns
        -----
        bayesgmm.exceptions.SamplingWarning
            One per failed diagnostic (divergences, r_hat, ESS, tree depth, empty
            components), naming the parameters or components and what to try; the
            values are in ``diagnostics_``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(50, 1))
        >>> bgm = BayesianGaussianMixture(
        ...     1, draws=50, tune=50, chains=1, progressbar=False, random_state=0
        ... )
        >>> bgm.fit(X).idata_.posterior["means"].shape  # doctest: +SKIP
        (1, 50, 1, 1)
        """
        self._validate()
        data = validate_data(
            X, min_samples=2, allow_nan=self.missing == "marginalize", nan_hint=_NAN_HINT
        )
        array, names = data.array, data.feature_names
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        model_type = get_covariance_model(self.covariance_type)
        keep = None  # the rows of the EM start (a noise model's: clutter removed)
        if self.start is not None:
            if self.start.means_.shape[1] != array.shape[1]:
                raise ValueError(
                    f"start was fitted on {self.start.means_.shape[1]} features; X has "
                    f"{array.shape[1]}."
                )
            self.em_ = copy.deepcopy(self.start)  # used as is: never refitted
        else:
            keep = _clutter_free_rows(array, self.n_components) if self.noise else None
            self.em_ = GaussianMixture(
                self.n_components,
                covariance_type=model_type.name,
                n_init=self.n_init,
                max_iter=500,
                tol=1e-6,
                random_state=seed,
                missing=self.missing,
            ).fit(data.without_names() if keep is None else array[keep])
        ordered = self.relabel == "ordered"
        if ordered:
            if array.shape[1] != 1:
                raise ValueError(
                    f"relabel='ordered' needs exactly one feature; X has {array.shape[1]}. "
                    "Use relabel=True for multivariate data."
                )
            _sort_components(self.em_, np.argsort(self.em_.means_[:, 0], kind="stable"))
        self.n_features_in_ = array.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        feature_names = list(names) if names is not None else None
        priors = self.priors or Priors()
        center, scale = standardization(array)
        start = em_start(
            model_type.name,
            self.em_.weights_,
            self.em_.means_,
            self.em_.covariances_,
            center,
            scale,
            ordered_means=ordered,
            noise_proportion=_noise_start(self.start, keep) if self.noise else None,
        )
        sampling = {
            "X": ValidatedData(array, names, None, data.has_nan),
            "n_components": self.n_components,
            "covariance_type": model_type.name,
            "priors": priors,
            "center": center,
            "scale": scale,
            "feature_names": feature_names,
            "ordered_means": ordered,
            "missing": self.missing,
            "hypervolume": _resolve_hypervolume(self.noise, self.hypervolume, array),
        }
        _sample_adaptively(self, sampling, start, seed)
        self._set_posterior_means()
        self._check_diagnostics()
        return self

    # ------------------------------------------------------------------ persistence
    def _settings(self) -> dict[str, Any]:
        params = self.get_params()
        params["priors"] = None if self.priors is None else self.priors.as_dict()
        params["start"] = None  # saved as the EM fit (em_)
        return params

    def save(self, path: str | os.PathLike) -> Path:
        """Write the posterior, the EM fit and the settings to one netCDF file, atomically.

        The file is ``idata_`` (every group, bit for bit) in netCDF-4 (HDF5, written
        with h5netcdf, readable by ArviZ and xarray), with root attributes holding the
        file format version, the settings, the EM fit ``em_`` and a SHA-256 checksum
        of the data, so that :meth:`load` detects a corrupted file. It is written to a
        temporary file, flushed to disk and renamed over ``path``
        (:func:`bayesgmm.persistence.atomic_write`): an existing file is replaced whole
        or not at all, even if the process is interrupted.

        Parameters
        ----------
        path : str or path-like
            Destination file (``.nc`` is conventional); its directory must exist.

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
        >>> from bayesgmm import load_faithful
        >>> X = load_faithful()
        >>> bgm = BayesianGaussianMixture(
        ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
        ... ).fit(X)  # doctest: +SKIP
        >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
        ...     loaded = BayesianGaussianMixture.load(bgm.save(Path(folder) / "fit.nc"))
        >>> bool((loaded.predict_proba(X) == bgm.predict_proba(X)).all())  # doctest: +SKIP
        True
        """
        self._check_is_fitted()
        return write_posterior_file(
            Path(path),
            self.idata_,
            settings=self._settings(),
            em=self.em_,
            feature_names=list(getattr(self, "feature_names_in_", [])) or None,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> BayesianGaussianMixture:
        """Read an estimator written by :meth:`save`.

        The loaded estimator has the same settings, ``idata_`` (bit for bit) and EM fit
        ``em_`` as the saved one, so its predictions are bit-identical; the sampling
        diagnostics (``diagnostics_``, ``diagnostics_ok_``) are recomputed from
        ``idata_``, without the warnings that ``fit`` gave.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        BayesianGaussianMixture

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is corrupted or truncated (its checksum does not match), was
            not written by :meth:`save` (e.g. a ``GaussianMixture`` file), or has a
            file format version this bayesgmm does not read (newer: upgrade bayesgmm).

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from bayesgmm import load_faithful
        >>> bgm = BayesianGaussianMixture(
        ...     2, draws=200, tune=200, chains=2, random_state=0, progressbar=False
        ... ).fit(load_faithful())  # doctest: +SKIP
        >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +SKIP
        ...     loaded = BayesianGaussianMixture.load(bgm.save(Path(folder) / "fit.nc"))
        >>> loaded.n_relabelled_ == bgm.n_relabelled_  # doctest: +SKIP
        True
        """
        content = read_posterior_file(
            Path(path), cls._param_names(), em_class=GaussianMixture, priors_class=Priors
        )
        settings = content.settings
        est = cls(**settings)
        est.em_ = content.em
        est.n_features_in_ = est.em_.means_.shape[1]
        if content.feature_names:
            est.feature_names_in_ = np.asarray(content.feature_names, dtype=object)
        est.idata_ = content.idata
        est.n_relabelled_ = content.n_relabelled
        est._set_posterior_means()
        with warnings.catch_warnings():  # fit has warned already
            warnings.simplefilter("ignore", SamplingWarning)
            est._check_diagnostics()
        return est


def _check_noise(noise: Any, hypervolume: Any) -> None:
    """The noise settings, or the error naming what is wrong."""
    if not isinstance(noise, bool | np.bool_):
        raise TypeError(f"noise must be True or False; got {noise!r}.")
    if hypervolume is not None:
        if not noise:
            raise ValueError(
                f"hypervolume={hypervolume!r} was given with noise=False; the hypervolume "
                "is the noise component's. Pass noise=True, or leave hypervolume None."
            )
        check_hypervolume(hypervolume)


def _resolve_hypervolume(
    noise: bool, hypervolume: float | None, X: NDArray[np.float64]
) -> float | None:
    """The noise component's hypervolume (the data's region by default), None without noise."""
    if not noise:
        return None
    return check_hypervolume(hypervolume) if hypervolume is not None else default_hypervolume(X)


def _clutter_free_rows(X: NDArray[np.float64], n_components: int) -> NDArray[np.bool_]:
    """Rows the EM start of a noise model is fitted on: not clutter by nearest neighbours.

    Complete rows are classified by :func:`bayesgmm.em.noise.nearest_neighbour_clean`;
    rows with missing cells are kept. All rows when too few would remain.
    """
    keep = np.ones(len(X), dtype=bool)
    complete = ~np.isnan(X).any(axis=1)
    if complete.sum() > NNCLEAN_K + 1:
        keep[complete] = ~nearest_neighbour_clean(X[complete])
    if keep.sum() < max(2 * n_components, X.shape[1] + 1, 10):
        keep[:] = True
    return keep


def _noise_start(start: GaussianMixture | None, keep: NDArray[np.bool_] | None) -> float:
    """Starting noise proportion: the EM start's, else the share of clutter rows."""
    if start is not None:
        share = getattr(start, "noise_proportion_", None)
        return float(share) if share else NOISE_START
    assert keep is not None
    return max(NOISE_START_MIN, float(1.0 - keep.mean()))


def _tidy(
    estimator: BayesianGaussianMixture,
    idata: xr.DataTree,
    sampling: dict[str, Any],
    doublings: int = 0,
    log_likelihood: bool = True,
) -> xr.DataTree:
    """The kept groups, relabelled onto ``em_``, with the pointwise log-likelihood.

    ``log_likelihood=False`` leaves it out (the draws are only being diagnosed), as
    does a fit whose log-likelihood would hold more than
    :data:`~bayesgmm.bayes.posterior_likelihood.MAX_STORED_LOG_LIKELIHOOD` values. With
    the noise component ``constant_data`` holds ``hypervolume``, ``data_center`` and
    ``data_scale`` (what its density needs) and the box its predictive draws fill
    (``noise_center``, ``noise_rotation``, ``noise_lower``, ``noise_upper``).
    """
    X = sampling["X"].array
    groups = {name: idata[name].to_dataset() for name in idata.children if name in _KEPT_GROUPS}
    post = tidy_posterior(groups["posterior"])
    estimator.n_relabelled_ = 0
    if estimator.relabel is True:
        post, estimator.n_relabelled_ = relabel_to_em(post, estimator.em_)
    groups["posterior"] = post
    if sampling["hypervolume"] is not None:
        constant = groups.get("constant_data", xr.Dataset())
        # where predictive noise falls: the data's region, scaled to V
        region = data_region(X).scaled_to(sampling["hypervolume"])
        groups["constant_data"] = constant.assign(
            hypervolume=((), sampling["hypervolume"]),
            data_center=(("feature",), sampling["center"]),
            data_scale=(("feature",), sampling["scale"]),
            noise_center=(("feature",), region.center),
            noise_rotation=(("feature", "feature_bis"), region.rotation),
            noise_lower=(("feature",), region.lower),
            noise_upper=(("feature",), region.upper),
        ).assign_coords(feature=post["feature"].values, feature_bis=post["feature"].values)
    n_draws_total = post.sizes["chain"] * post.sizes["draw"]
    if log_likelihood and stores_log_likelihood(n_draws_total, X.shape[0]):
        tree = xr.DataTree.from_dict({f"/{name}": ds for name, ds in groups.items()})
        estimator.idata_ = tree  # the draws (noise included) are read from it
        draws = estimator._draws()
        groups.update(log_likelihood_groups(draws, X, post["feature"].values))
    else:
        groups["observed_data"] = xr.Dataset(
            {"obs": (("obs_id", "feature"), X)},
            coords={"obs_id": np.arange(X.shape[0]), "feature": post["feature"].values},
        )
    tree = xr.DataTree.from_dict({f"/{name}": ds for name, ds in groups.items()})
    tree.attrs.update(
        {
            "bayesgmm_version": __version__,
            "n_relabelled": int(estimator.n_relabelled_),
            "doublings": int(doublings),
            "settings": json.dumps(estimator._settings()),
        }
    )
    return tree


def _sample_adaptively(
    estimator: BayesianGaussianMixture,
    sampling: dict[str, Any],
    start: dict[str, NDArray],
    seed: int,
) -> None:
    """Set ``estimator.idata_``: sample, then continue the chains while only draws are missing."""
    settings: dict[str, Any] = {
        "sampler": estimator.sampler,
        "tune": estimator.tune,
        "target_accept": estimator.target_accept,
    }
    raw = sample_posterior(
        sampling["X"],
        sampling["n_components"],
        sampling["covariance_type"],
        sampling["priors"],
        start,
        center=sampling["center"],
        scale=sampling["scale"],
        feature_names=sampling["feature_names"],
        ordered_means=sampling["ordered_means"],
        missing=sampling["missing"],
        hypervolume=sampling["hypervolume"],
        draws=estimator.draws,
        chains=estimator.chains,
        seed=seed,
        progressbar=estimator.progressbar,
        **settings,
    )
    estimator.idata_ = _tidy(estimator, raw, sampling, log_likelihood=estimator.max_doublings == 0)
    doublings = 0
    seeds = np.random.SeedSequence(seed).generate_state(max(estimator.max_doublings, 1))
    while doublings < estimator.max_doublings:
        diagnostics = diagnose(estimator.idata_, estimator._random_vars())
        if not diagnostics.extendable:
            break
        n_draws = diagnostics.n_draws
        if estimator.progressbar:
            print(
                f"{estimator.n_components} components ({estimator.covariance_type}): "
                f"{'; '.join(diagnostics.problems)} after {diagnostics.n_chains} chains x "
                f"{n_draws} draws; continuing the chains to {2 * n_draws} draws",
                file=sys.stderr,
                flush=True,
            )
        try:
            more = continue_chains(
                raw,
                start_names=list(start),
                draws=n_draws,
                seed=int(seeds[doublings]),
                **settings,
                **_continuation_model(sampling, estimator.sampler),
            )
        except SamplingError as err:  # the draws so far are kept, and diagnosed
            warnings.warn(f"The chains could not be continued ({err}).", SamplingWarning, 2)
            break
        raw = concat_draws(raw, more)
        doublings += 1
        estimator.idata_ = _tidy(estimator, raw, sampling, doublings, log_likelihood=False)
    if estimator.max_doublings:
        estimator.idata_ = _tidy(estimator, raw, sampling, doublings)


def _continuation_model(sampling: dict[str, Any], sampler: str) -> dict[str, Any]:
    """What :func:`~bayesgmm.bayes.extend.continue_chains` needs to rebuild the model."""
    if sampler == "nutpie":
        names = sampling["feature_names"] or [f"x{j}" for j in range(sampling["X"].n_features)]
        mixture = CompiledMixture(
            sampling["X"].array,
            sampling["n_components"],
            sampling["covariance_type"],
            sampling["priors"],
            sampling["center"],
            sampling["scale"],
            ordered_means=sampling["ordered_means"],
            hypervolume=sampling["hypervolume"],
        )
        return {"mixture": mixture, "feature_names": names}
    args = {key: sampling[key] for key in ("X", "n_components", "covariance_type", "priors")}
    args.update(
        feature_names=sampling["feature_names"],
        standardize=(sampling["center"], sampling["scale"]),  # the fit's: not recomputed
        ordered_means=sampling["ordered_means"],
        missing=sampling["missing"],
        noise=sampling["hypervolume"] is not None,
        hypervolume=sampling["hypervolume"],
    )
    return {"model_args": args}


def _sort_components(gm: GaussianMixture, order: NDArray[np.intp]) -> None:
    """Reorder a fitted GaussianMixture's components in place."""
    model = get_covariance_model(gm.covariance_type)
    gm.weights_ = gm.weights_[order]
    gm.means_ = gm.means_[order]
    gm.covariances_ = model.take_components(gm.covariances_, order)
    gm.precisions_cholesky_ = model.take_components(gm.precisions_cholesky_, order)
    gm.precisions_ = model.take_components(gm.precisions_, order)
