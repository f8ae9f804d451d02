"""Sampling: starting points from EM, nutpie (cached compilation) or PyMC's NUTS."""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any

import numpy as np
import pymc as pm
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from bayesgmm.covariance import get_covariance_model

__all__ = ["SAMPLERS", "em_start", "sample_model"]

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

    Returns
    -------
    dict of str to ndarray
        ``weights``, ``means_std`` (``means_ordered`` with ``ordered_means``),
        ``sds_std`` and ``corr_chol`` (when present). With ``ordered_means`` the EM
        components must already be sorted by mean.

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
    start: dict[str, NDArray[np.float64]] = {
        "weights": weights / weights.sum(),
        "means_std": (means - center) / scale,
    }
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
    else:
        start["sds_std"] = np.sqrt(covariances) / geometric_mean(scale)
    return start


def _usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


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
    data: dict[str, NDArray],
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    sampler: str,
    seed: int,
    progressbar: bool,
):
    """Sample the posterior, every chain from ``start`` plus a small jitter.

    With ``sampler="nutpie"`` the compiled model is cached under ``cache_key`` and
    reused (with the new ``data``) by later fits of the same shape.

    Returns
    -------
    xarray.DataTree
        The sampler's output (posterior, sample_stats, ...).
    """
    flat, _ = _flat_start(model, start)
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
            with warnings.catch_warnings():
                # K=1: a tiny index op of the weights runs in numba's object mode;
                # harmless, and nothing the user can act on
                warnings.filterwarnings("ignore", "Numba will use object mode", UserWarning)
                compiled = nutpie.compile_pymc_model(model, jitter_rvs=set())
            _COMPILED[cache_key] = compiled
        compiled = compiled.with_data(**data)

        def initial_point(chain_seed):
            rng = np.random.default_rng(chain_seed)
            return flat + rng.uniform(-START_JITTER, START_JITTER, size=flat.size)

        compiled = dataclasses.replace(compiled, initial_point_func=initial_point)
        # one chain per core, BLAS single-threaded inside each: measured 9x faster than
        # chains=cores=4 with a 2-thread BLAS on 2 cores (oversubscription)
        with threadpool_limits(limits=1, user_api="blas"):
            return nutpie.sample(
                compiled,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=min(chains, _usable_cores()),
                seed=seed,
                target_accept=target_accept,
                progress_bar=progressbar,
                save_warmup=False,
            )
    rng = np.random.default_rng(seed)
    initvals = []
    for _ in range(chains):
        jittered = dict(start)
        jittered["means_std"] = start["means_std"] + rng.uniform(
            -START_JITTER, START_JITTER, size=start["means_std"].shape
        )
        initvals.append(jittered)
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
