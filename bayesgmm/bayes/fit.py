"""Sampling: starting points from EM; nutpie on the compiled kernels or PyMC's NUTS.

After sampling, :func:`diagnose` checks the draws (divergences, r_hat, bulk and tail
ESS, maximum tree depth, empty components) and words every failed check as a
message that names the parameters or components concerned and says what to try.
Sampler failures are re-raised by :func:`sample_model` as
:class:`bayesgmm.exceptions.SamplingError` with the same kind of advice.
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pymc as pm
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

# PyTensor's BLAS settings before PyMC compiles anything
import bayesgmm.bayes._backend  # noqa: F401
from bayesgmm.bayes.build import build_model, check_observed_features
from bayesgmm.bayes.compiled_model import CompiledMixture, NutpieModel, compile_kernels
from bayesgmm.bayes.convergence import (
    DIAGNOSED_VARS,
    EMPTY_COMPONENT_COUNT,
    ESS_BULK_MIN,
    ESS_MIN_PER_CHAIN,
    RHAT_MAX,
    TREEDEPTH_FRACTION_MAX,
    Diagnostics,
    diagnose,
)
from bayesgmm.core.types import MissingOption
from bayesgmm.core.validation import ValidatedData
from bayesgmm.covariance import get_covariance_model
from bayesgmm.exceptions import SamplingError

__all__ = [
    "DIAGNOSED_VARS",
    "EMPTY_COMPONENT_COUNT",
    "ESS_BULK_MIN",
    "ESS_MIN_PER_CHAIN",
    "RHAT_MAX",
    "SAMPLERS",
    "TREEDEPTH_FRACTION_MAX",
    "Diagnostics",
    "diagnose",
    "em_start",
    "mixture_start",
    "sample_mixture",
    "sample_model",
    "sample_posterior",
    "sample_unconstrained",
    "sampler_failure",
    "usable_cores",
]

SAMPLERS = ("nutpie", "pymc")


#: compiled nutpie models, keyed by what fixes the compiled graph
_COMPILED: dict[tuple, Any] = {}
#: half-width of the uniform jitter added to the EM start, in unconstrained space
START_JITTER = 0.1


def em_start(
    covariance_type: str,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    center: NDArray[np.float64],
    scale: NDArray[np.float64],
    *,
    ordered_means: bool = False,
    noise_proportion: float | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Values of the model's free variables that reproduce an EM solution.

    Parameters
    ----------
    covariance_type : str
        Covariance structure of the model.
    weights, means, covariances : ndarray
        EM estimates in data units (``GaussianMixture`` attributes).
    center, scale : ndarray of shape (n_features,)
        The model's standardisation.
    ordered_means : bool, default=False
        Start ``means_ordered`` instead of ``means_std``.
    noise_proportion : float, default=None
        The model has the noise component, starting at this proportion: the start
        has ``proportions`` (the ``weights`` scaled to sum to ``1 -
        noise_proportion``, then ``noise_proportion``) instead of ``weights``.

    Returns
    -------
    dict of str to ndarray
        ``weights`` (or ``proportions``), ``means_std`` (``means_ordered`` with
        ``ordered_means``), ``sds_std`` and ``corr_chol`` (when present), or for VEI,
        EVI, VEE and EVV ``log_volume_std`` and ``log_shape`` instead of ``sds_std``. With
        ``ordered_means`` the EM components must already be sorted by mean.

    Examples
    --------
    >>> start = em_start(
    ...     "diag",
    ...     np.array([0.5, 0.5]),
    ...     np.zeros((2, 1)),
    ...     np.ones((2, 1)) * 4.0,
    ...     np.zeros(1),
    ...     np.array([2.0]),
    ... )
    >>> start["sds_std"].tolist()
    [[1.0], [1.0]]
    """
    model_type = get_covariance_model(covariance_type)
    weights = np.clip(weights, 1e-6, None)
    start: dict[str, NDArray[np.float64]] = {"weights": weights / weights.sum()}
    if noise_proportion is not None:
        share = float(np.clip(noise_proportion, 1e-3, 0.9))
        start = {"proportions": np.append(start["weights"] * (1.0 - share), share)}
    start["means_std"] = (means - center) / scale
    if ordered_means:
        # strictly increasing start values for the ordered transform
        values = start.pop("means_std")[:, 0].copy()
        for k in range(1, len(values)):
            values[k] = max(values[k], values[k - 1] + 1e-6)
        start["means_ordered"] = values
    outer = np.outer(scale, scale)
    n_features = len(scale)
    if model_type.name in ("full", "tied"):
        cov_std = covariances / outer
        sds = np.sqrt(np.diagonal(cov_std, axis1=-2, axis2=-1))
        start["sds_std"] = sds
        if n_features > 1:
            corr = cov_std / (sds[..., :, None] * sds[..., None, :])
            start["corr_chol"] = np.linalg.cholesky(corr)
    elif model_type.name == "diag":
        start["sds_std"] = np.sqrt(covariances / scale**2)
    elif model_type.name == "spherical":
        start["sds_std"] = np.sqrt(covariances) / geometric_mean(scale)
    elif model_type.name == "EII":  # (K, D), every entry the one shared variance
        start["sds_std"] = np.asarray(np.sqrt(np.mean(covariances)) / geometric_mean(scale))
    elif model_type.name == "EEI":  # (K, D), every row the one shared diagonal
        start["sds_std"] = np.sqrt(np.mean(covariances, axis=0) / scale**2)
    elif model_type.name in ("VEE", "EVV"):
        start |= _unit_determinant_start(model_type.name, covariances / outer)
    elif model_type.name in ("EVE", "VVE", "EEV", "VEV"):  # in data units (isotropic)
        start |= _oriented_start(model_type.name, covariances / geometric_mean(scale) ** 2)
    else:  # VEI, EVI: log-variances split into volume (mean over features) and shape
        log_var = np.log(covariances / scale**2)
        if model_type.name == "VEI":
            start["log_volume_std"] = log_var.mean(axis=1)
            start["log_shape"] = (log_var - start["log_volume_std"][:, None]).mean(axis=0)
        else:
            start["log_volume_std"] = np.asarray(log_var.mean())
            start["log_shape"] = log_var - log_var.mean(axis=1, keepdims=True)
    return start


def usable_cores() -> int:
    """CPU cores this process may run on (one chain per core)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _rotation(vectors: NDArray[np.float64]) -> NDArray[np.float64]:
    """Eigenvectors (columns) with signs making a rotation inside the Cayley chart.

    Each column gets a non-negative diagonal entry, then the column with the smallest
    diagonal entry is flipped if the determinant is -1, so ``I + Q`` is invertible
    unless the orientation is exactly a rotation by pi (see
    :mod:`bayesgmm.bayes.orientation_kernels`: the signs do not change ``Sigma``).
    """
    q = vectors * np.where(np.diagonal(vectors, axis1=-2, axis2=-1) < 0, -1.0, 1.0)[..., None, :]
    flip = np.linalg.det(q) < 0
    if np.any(flip):
        smallest = np.argmin(np.abs(np.diagonal(q, axis1=-2, axis2=-1)), axis=-1)
        q = q.copy()
        q_flat, s_flat = q.reshape(-1, *q.shape[-2:]), np.atleast_1d(smallest)
        for i in np.flatnonzero(np.atleast_1d(flip)):
            q_flat[i, :, s_flat[i]] *= -1.0
    return q


def _oriented_start(name: str, cov_std: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """EVE, VVE, EEV, VEV: ``log_volume_std``, ``log_shape``, ``orientation`` of covariances.

    The orientation of EEV and VEV is each component's eigenvectors (eigenvalues
    ascending, the order in which the shared shape is read); EVE and VVE share the
    eigenvectors of the first component (EM's solution shares them up to ``reg_covar``)
    and read each component's eigenvalues as the diagonal of ``D^T Sigma_k D``.
    """
    from bayesgmm.bayes.orientation_kernels import inverse_cayley

    D = cov_std.shape[-1]
    values, vectors = np.linalg.eigh(cov_std)
    if name in ("EVE", "VVE"):
        rotation = _rotation(vectors[0])
        log_var = np.log(np.diagonal(rotation.T @ cov_std @ rotation, axis1=-2, axis2=-1))
    else:
        rotation = _rotation(vectors)
        log_var = np.log(values)
    log_volume = log_var.mean(axis=1)
    start: dict[str, NDArray[np.float64]] = {}
    if name in ("VVE", "VEV"):
        start["log_volume_std"] = log_volume
    else:
        start["log_volume_std"] = np.asarray(log_volume.mean())
    shape = log_var - log_volume[:, None]
    start["log_shape"] = shape if name in ("EVE", "VVE") else shape.mean(axis=0)
    if D > 1:
        start["orientation"] = inverse_cayley(rotation)
    return start


def _unit_determinant_start(
    name: str, cov_std: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """VEE/EVV: ``log_volume_std``, ``log_shape`` and ``corr_chol`` of ``(K, D, D)`` covariances.

    ``Sigma_k = lambda_k C_k`` with ``log lambda_k = log det(Sigma_k) / D``; VEE's shared
    ``C`` is the mean of the ``C_k`` rescaled to determinant 1 (EM's solution has one
    ``C`` up to ``reg_covar``). ``log_shape = log diag(C) + log det(P) / D`` with ``P``
    the correlation of ``C`` (see :class:`bayesgmm.bayes.Priors`).
    """
    D = cov_std.shape[-1]
    log_volume = np.linalg.slogdet(cov_std)[1] / D
    unit = cov_std / np.exp(log_volume)[:, None, None]
    if name == "VEE":
        unit = unit.mean(axis=0)
        unit = unit / np.exp(np.linalg.slogdet(unit)[1] / D)
    sds = np.sqrt(np.diagonal(unit, axis1=-2, axis2=-1))
    corr = unit / (sds[..., :, None] * sds[..., None, :])
    log_shape = 2.0 * np.log(sds) + np.linalg.slogdet(corr)[1][..., None] / D
    start = {
        "log_volume_std": log_volume if name == "VEE" else np.asarray(log_volume.mean()),
        "log_shape": log_shape,
    }
    if D > 1:
        start["corr_chol"] = np.linalg.cholesky(corr)
    return start


def geometric_mean(values: NDArray[np.float64]) -> float:
    """Geometric mean (the scale of a spherical variance in standardised units)."""
    return float(np.exp(np.mean(np.log(values))))


def _flat_start(model: pm.Model, start: dict[str, NDArray]) -> tuple[NDArray, list[str]]:
    """Start values in the unconstrained space, flattened in nutpie's order."""
    from pymc.initial_point import make_initial_point_fn

    fn = make_initial_point_fn(
        model=model, overrides=start, jitter_rvs=set(), return_transformed=True
    )
    point = fn(0)
    names = [model.rvs_to_values[rv].name for rv in model.free_RVs]
    return np.concatenate([np.ravel(point[name]) for name in names]), names


def sample_model(
    model: pm.Model,
    start: dict[str, NDArray],
    *,
    cache_key: tuple,
    data: Mapping[str, ArrayLike],
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    sampler: str,
    seed: int,
    progressbar: bool,
    initvals: list[dict[str, NDArray]] | None = None,
):
    """Sample the posterior, every chain from ``start`` plus a small jitter.

    With ``sampler="nutpie"`` the compiled model is cached under ``cache_key`` and
    reused (with the new ``data``) by later fits of the same shape. With
    ``sampler="pymc"``, ``initvals`` (one dict per chain) replaces the jittered
    starts (continued chains start exactly where they stopped).

    Returns
    -------
    xarray.DataTree
        The sampler's output (posterior, sample_stats, ...).

    Raises
    ------
    SamplingError
        If the model does not compile or the sampler fails (e.g. a starting point
        with a non-finite log-density): the message says what happened and what to
        try; the sampler's exception is chained as ``__cause__``.
    """
    try:
        flat, _ = _flat_start(model, start)
    except Exception as err:
        raise sampler_failure(err, sampler, "start") from err
    if sampler == "nutpie":
        try:
            import nutpie
        except ImportError:
            raise ImportError(
                "sampler='nutpie' needs the nutpie package: pip install nutpie (or use "
                "sampler='pymc')."
            ) from None

        compiled = _COMPILED.get(cache_key)
        if compiled is None:
            try:
                with warnings.catch_warnings():
                    # K=1: a tiny index op of the weights runs in numba's object mode;
                    # harmless, and nothing the user can act on
                    warnings.filterwarnings("ignore", "Numba will use object mode", UserWarning)
                    compiled = nutpie.compile_pymc_model(model, jitter_rvs=set())
            except Exception as err:
                raise sampler_failure(err, sampler, "compile") from err
            _COMPILED[cache_key] = compiled
        compiled = compiled.with_data(**data)

        def initial_point(chain_seed):
            rng = np.random.default_rng(chain_seed)
            return flat + rng.uniform(-START_JITTER, START_JITTER, size=flat.size)

        compiled = dataclasses.replace(compiled, initial_point_func=initial_point)
        return _nutpie_sample(compiled, draws, tune, chains, seed, target_accept, progressbar)
    rng = np.random.default_rng(seed)
    if initvals is None:
        initvals = []
        for _ in range(chains):
            jittered = dict(start)
            jittered["means_std"] = start["means_std"] + rng.uniform(
                -START_JITTER, START_JITTER, size=start["means_std"].shape
            )
            initvals.append(jittered)
    try:
        with model:
            pm.set_data(data)
            return pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=1,
                random_seed=seed,
                initvals=initvals,
                target_accept=target_accept,
                progressbar=progressbar,
                nuts_sampler="pymc",
                compute_convergence_checks=False,
            )
    except Exception as err:
        raise sampler_failure(err, sampler, "sample") from err


# ---------------------------------------------------------------------- sampler errors
_NON_FINITE = re.compile(r"\b(nan|-?inf|infinite|non-finite|not finite)\b", re.IGNORECASE)
_DATA_HINT = (
    "check X for extreme values or features on very different scales (each feature is "
    "standardised by its mean and sd, so one huge outlier squeezes all other values) "
    "and for duplicated points"
)


def _error_detail(err: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line, without Rust stack backtraces, at most ``limit``."""
    text = str(err).split("Stack backtrace")[0]
    text = " ".join(text.split()) or "no message"
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return f"{type(err).__name__}: {text}"


def sampler_failure(err: BaseException, sampler: str, stage: str) -> SamplingError:
    """The :class:`SamplingError` to raise (``from err``) when ``sampler`` failed.

    ``stage`` is ``"start"`` (computing the starting point), ``"compile"`` or
    ``"sample"``. The message says what happened in words and what to try.

    Examples
    --------
    >>> err = RuntimeError("All initialization points failed")
    >>> print(sampler_failure(err, "nutpie", "sample"))  # doctest: +ELLIPSIS
    The nutpie sampler could not start: the log-density or its gradient is not finite...
    """
    other = "pymc" if sampler == "nutpie" else "nutpie"
    detail = _error_detail(err)
    text = str(err).lower()
    if stage == "compile":
        message = (
            f"Compiling the model for sampler={sampler!r} failed ({detail}). This is a "
            "Numba (or PyTensor) compilation problem, not a problem with the data values: try "
            f"sampler={other!r}, or upgrade pytensor, numba and nutpie together."
        )
    elif stage == "start":
        message = (
            f"Could not map the EM starting point to the model's parameters ({detail}). "
            "The EM fit is probably degenerate (a component with zero weight or a "
            f"singular covariance): {_DATA_HINT}, or fit fewer components."
        )
    elif "initiali" in text or "starting point" in text or "initial evaluation" in text:
        message = (
            f"The {sampler} sampler could not start: the log-density or its gradient is "
            "not finite at the starting point, the EM solution plus a small jitter "
            f"({detail}). Try: {_DATA_HINT}; fewer components; wider priors "
            "(bayesgmm.bayes.Priors(mean_scale=..., sd_scale=...)); or "
            f"sampler={other!r}."
        )
    elif _NON_FINITE.search(text):
        message = (
            f"The {sampler} sampler failed: the log-density or its gradient became NaN "
            f"or infinite while sampling ({detail}). Try: {_DATA_HINT}; fewer components; "
            "stronger priors on the component scales (bayesgmm.bayes.Priors(sd_scale=..., "
            f"lkj_eta=...)); a higher target_accept; or sampler={other!r}."
        )
    else:
        message = (
            f"The {sampler} sampler failed ({detail}). Try sampler={other!r}; if it "
            f"fails too, {_DATA_HINT}, and try fewer components or other priors."
        )
    return SamplingError(message)


def sample_posterior(
    X: ValidatedData,
    n_components: int,
    covariance_type: str,
    priors: Any,
    start: dict[str, NDArray],
    *,
    center: NDArray[np.float64],
    scale: NDArray[np.float64],
    feature_names: list[str] | None,
    ordered_means: bool,
    missing: MissingOption,
    sampler: str,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    seed: int,
    progressbar: bool,
    hypervolume: float | None = None,
):
    """Sample the marginalised mixture's posterior from ``start`` with ``sampler``.

    ``"nutpie"`` runs the compiled, shape-generic kernels
    (:class:`bayesgmm.bayes.compiled_model.CompiledMixture`: nothing is compiled per data
    shape); ``"pymc"`` runs PyMC's NUTS on the specification itself
    (:func:`bayesgmm.bayes.build_model`). Returns the sampler's DataTree. ``X`` was
    checked by the caller and ``center``, ``scale`` are its standardisation: neither
    is redone here. ``hypervolume``: the model has the noise component, of density
    ``1 / hypervolume``.
    """
    settings: dict[str, Any] = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": target_accept,
        "seed": seed,
        "progressbar": progressbar,
    }
    if sampler == "nutpie":
        check_observed_features(X.array)
        mixture = CompiledMixture(
            X.array,
            n_components,
            covariance_type,
            priors,
            center,
            scale,
            ordered_means=ordered_means,
            hypervolume=hypervolume,
        )
        names = feature_names or [f"x{j}" for j in range(X.n_features)]
        return sample_mixture(mixture, start, names, **settings)
    model = build_model(
        X,
        n_components,
        covariance_type,
        priors,
        feature_names=feature_names,
        standardize=(center, scale),
        ordered_means=ordered_means,
        missing=missing,
        noise=hypervolume is not None,
        hypervolume=hypervolume,
    )
    return sample_model(model, start, cache_key=(), data={}, sampler=sampler, **settings)


def sample_mixture(
    mixture: CompiledMixture,
    start: dict[str, NDArray[np.float64]],
    feature_names: Sequence[str],
    *,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    seed: int,
    progressbar: bool,
) -> xr.DataTree:
    """Sample the posterior of ``mixture`` with nutpie, every chain from ``start`` + jitter.

    Parameters
    ----------
    mixture : CompiledMixture
        The model.
    start : dict of str to ndarray
        Constrained starting values (:func:`em_start`).
    feature_names : sequence of str
        Coordinates of the ``feature`` dimension.
    draws, tune, chains, target_accept, seed, progressbar
        As for :class:`~bayesgmm.bayes.estimator.BayesianGaussianMixture`.

    Returns
    -------
    xarray.DataTree
        ``posterior`` (the PyMC model's variables and dimensions) and nutpie's
        ``sample_stats``.

    Raises
    ------
    SamplingError
        If the sampler fails; the message says what happened and what to try.

    Examples
    --------
    >>> from bayesgmm.bayes.build import standardization
    >>> from bayesgmm.bayes.compiled_model import CompiledMixture
    >>> from bayesgmm.bayes.spec import Priors
    >>> X = np.random.default_rng(0).normal(size=(50, 1))
    >>> mixture = CompiledMixture(X, 1, "diag", Priors(), *standardization(X))
    >>> start = {"weights": np.ones(1), "means_std": np.zeros((1, 1)), "sds_std": np.ones((1, 1))}
    >>> tree = sample_mixture(
    ...     mixture,
    ...     start,
    ...     ["x"],
    ...     draws=50,
    ...     tune=50,
    ...     chains=1,
    ...     target_accept=0.9,
    ...     seed=0,
    ...     progressbar=False,
    ... )
    >>> tree["posterior"]["means"].shape
    (1, 50, 1, 1)
    """
    trace = sample_unconstrained(
        mixture, mixture_start(mixture, start), draws, tune, chains, seed, target_accept,
        progressbar,
    )  # fmt: skip
    thetas = trace["posterior"]["theta"].values
    posterior = mixture.posterior(thetas, feature_names)
    posterior.attrs.update(trace["posterior"].attrs)
    return xr.DataTree.from_dict(
        {"/posterior": posterior, "/sample_stats": trace["sample_stats"].to_dataset()}
    )


def mixture_start(mixture: CompiledMixture, start: dict[str, NDArray]) -> NDArray[np.float64]:
    """The unconstrained point of the constrained ``start`` (:func:`em_start`'s values)."""
    try:
        return mixture.unconstrain(start)
    except (ValueError, FloatingPointError) as err:
        raise sampler_failure(err, "nutpie", "start") from err


def sample_unconstrained(
    mixture: CompiledMixture,
    flat: NDArray[np.float64],
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    target_accept: float,
    progressbar: bool,
) -> Any:
    """NUTS (nutpie) on the compiled ``mixture``, every chain from ``flat`` + jitter.

    Returns nutpie's trace: ``posterior["theta"]`` holds the unconstrained draws
    (:meth:`CompiledMixture.posterior` turns them into parameters).
    """
    try:
        compile_kernels()
    except Exception as err:
        raise sampler_failure(err, "nutpie", "compile") from err

    def initial_point(chain_seed: int) -> NDArray[np.float64]:
        rng = np.random.default_rng(chain_seed)
        return flat + rng.uniform(-START_JITTER, START_JITTER, size=flat.size)

    model = NutpieModel(dims={}, mixture=mixture, initial_point_func=initial_point)
    return _nutpie_sample(model, draws, tune, chains, seed, target_accept, progressbar)


def _nutpie_sample(
    model: Any,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    target_accept: float,
    progressbar: bool,
) -> Any:
    """Nutpie's NUTS on a compiled model, one chain per core, sampler errors explained."""
    import nutpie

    try:
        # one chain per core, BLAS single-threaded inside each: measured 9x faster than
        # chains=cores=4 with a 2-thread BLAS on 2 cores (oversubscription)
        with threadpool_limits(limits=1, user_api="blas"):
            return nutpie.sample(
                model,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=min(chains, usable_cores()),
                seed=seed,
                target_accept=target_accept,
                progress_bar=progressbar,
                save_warmup=False,
            )
    except Exception as err:
        raise sampler_failure(err, "nutpie", "sample") from err
