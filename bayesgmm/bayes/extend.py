"""Sampling that adapts its length: continuing the chains of a fit.

A fit whose only problem is its effective sample size (or an r_hat modestly above
1.01 with every chain in one mode, :attr:`Diagnostics.extendable`) is run as long
again, up to ``max_doublings`` times, before it is called failed.

**Continuing, not restarting.** nutpie 0.16 cannot resume a finished trace, and it
takes neither a step size nor a mass matrix from outside (only ``initial_step``).
So each chain is continued from its own last draw, which is already a draw from the
posterior (no burn-in needed), with a new adaptation of the step size and the
diagonal mass matrix (:func:`continuation_tune` steps, discarded, started from the
chain's final adapted step size), and the new draws are appended to the old ones.
The old draws are kept: a doubling costs the new draws plus the re-adaptation, not
a new run (tuning included) of twice the length. Each chain is a separate nutpie
run (its own start point), at most one per core at a time.

With ``sampler="pymc"`` the chains continue the same way through ``pm.sample``
(``initvals`` = each chain's last draw, ``tune`` = :func:`continuation_tune`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from bayesgmm.bayes.build import build_model
from bayesgmm.bayes.compiled_model import CompiledMixture, NutpieModel
from bayesgmm.bayes.fit import sample_model, sampler_failure, usable_cores

__all__ = ["concat_draws", "continuation_tune", "continue_chains", "last_points"]


def continuation_tune(tune: int) -> int:
    """Re-adaptation steps of a continued chain: the fit's own ``tune``.

    nutpie starts its mass matrix afresh, so a shorter re-adaptation adapts worse:
    on Old Faithful's 4-component tied fit, a quarter of ``tune`` (250 steps) gave
    divergences and a lower ESS after doubling, the full ``tune`` a pass (ESS 631,
    r_hat 1.004). A doubling then costs ``tune + draws`` steps per chain, against
    ``tune + 2 draws`` for a new run of twice the length, and keeps the draws made.

    Examples
    --------
    >>> continuation_tune(1000)
    1000
    """
    return tune


def last_points(raw: xr.DataTree, names: Sequence[str]) -> list[dict[str, NDArray[np.float64]]]:
    """Each chain's last draw of the sampled variables ``names`` (constrained values).

    Examples
    --------
    >>> post = xr.Dataset({"weights": (("chain", "draw", "component"), np.ones((2, 3, 2)))})
    >>> points = last_points(xr.DataTree.from_dict({"/posterior": post}), ["weights"])
    >>> len(points), points[0]["weights"].tolist()
    (2, [1.0, 1.0])
    """
    post = raw["posterior"].to_dataset()
    n_chains = int(post.sizes["chain"])
    return [
        {name: np.asarray(post[name].isel(chain=c, draw=-1).values) for name in names}
        for c in range(n_chains)
    ]


def _last_steps(raw: xr.DataTree) -> list[float | None]:
    """Each chain's final adapted step size (nutpie's ``step_size_bar``), if recorded."""
    if "sample_stats" not in raw.children:
        return []
    stats = raw["sample_stats"].to_dataset()
    if "step_size_bar" not in stats:
        return []
    values = stats["step_size_bar"].isel(draw=-1).values
    return [float(v) if np.isfinite(v) and v > 0 else None for v in values]


def concat_draws(first: xr.DataTree, more: xr.DataTree) -> xr.DataTree:
    """The draws of ``more`` appended to those of ``first`` (posterior and sample_stats).

    Examples
    --------
    >>> a = xr.DataTree.from_dict(
    ...     {"/posterior": xr.Dataset({"x": (("chain", "draw"), np.zeros((2, 3)))})}
    ... )
    >>> concat_draws(a, a)["posterior"]["x"].shape
    (2, 6)
    """
    groups = {}
    for name in first.children:
        if name not in more.children:
            continue
        a, b = first[name].to_dataset(), more[name].to_dataset()
        if "draw" not in a.dims:
            continue
        shared = [v for v in a.data_vars if v in b.data_vars and "draw" in a[v].dims]
        joined = xr.concat(
            [a[shared], b[shared].assign_coords(chain=a["chain"].values)],
            dim="draw",
            coords="minimal",
            compat="override",
            join="override",
        )
        joined = joined.assign_coords(draw=np.arange(joined.sizes["draw"]))
        joined.attrs = dict(a.attrs)
        groups[f"/{name}"] = joined
    return xr.DataTree.from_dict(groups)


def continue_chains(
    raw: xr.DataTree,
    *,
    start_names: Sequence[str],
    sampler: str,
    draws: int,
    tune: int,
    target_accept: float,
    seed: int,
    mixture: CompiledMixture | None = None,
    feature_names: Sequence[str] | None = None,
    model_args: dict[str, Any] | None = None,
) -> xr.DataTree:
    """``draws`` more draws per chain, each chain continued from its last draw.

    Parameters
    ----------
    raw : xarray.DataTree
        The sampler's output so far (``posterior`` with the sampled variables,
        ``sample_stats``).
    start_names : sequence of str
        The sampled variables (the keys of :func:`bayesgmm.bayes.fit.em_start`).
    sampler : {"nutpie", "pymc"}
        The sampler of the fit.
    draws : int
        New draws per chain.
    tune : int
        The fit's ``tune``; the continuation re-adapts for :func:`continuation_tune`.
    target_accept : float
        NUTS target acceptance rate.
    seed : int
        Seed of the continuation (one stream per chain derived from it).
    mixture, feature_names : CompiledMixture, sequence of str
        The compiled model and the feature labels (``sampler="nutpie"``).
    model_args : dict
        Arguments of :func:`bayesgmm.bayes.build_model` (``sampler="pymc"``).

    Returns
    -------
    xarray.DataTree
        The new draws only (``posterior`` and ``sample_stats``), chains in the order
        of ``raw``; append them with :func:`concat_draws`.

    Examples
    --------
    :class:`~bayesgmm.BayesianGaussianMixture` calls it while only ESS fails
    (``max_doublings``); by hand, on a fit's raw draws:

    >>> more = continue_chains(
    ...     raw,
    ...     start_names=names,
    ...     sampler="nutpie",
    ...     draws=1000,
    ...     tune=1000,
    ...     target_accept=0.8,
    ...     seed=1,
    ...     mixture=mixture,
    ... )  # doctest: +SKIP
    >>> raw = concat_draws(raw, more)  # doctest: +SKIP
    """
    points = last_points(raw, start_names)
    retune = continuation_tune(tune)
    seeds = np.random.SeedSequence(seed).generate_state(len(points)).astype(np.int64)
    if sampler == "nutpie":
        assert mixture is not None
        assert feature_names is not None
        return _continue_nutpie(
            mixture, points, feature_names, draws, retune, seeds, target_accept, _last_steps(raw)
        )
    assert model_args is not None
    model = build_model(**model_args)
    tree = sample_model(
        model,
        points[0],
        cache_key=(),
        data={},
        draws=draws,
        tune=retune,
        chains=len(points),
        target_accept=target_accept,
        sampler="pymc",
        seed=int(seeds[0]),
        progressbar=False,
        initvals=points,
    )
    return xr.DataTree.from_dict(
        {f"/{name}": tree[name].to_dataset() for name in ("posterior", "sample_stats")}
    )


def _discard(background: Any) -> None:
    """Drop a failed background sampler without aborting it again on garbage collection."""
    if hasattr(background, "_sampler"):
        del background._sampler


def _continue_nutpie(
    mixture: CompiledMixture,
    points: list[dict[str, NDArray[np.float64]]],
    feature_names: Sequence[str],
    draws: int,
    tune: int,
    seeds: NDArray[np.int64],
    target_accept: float,
    steps: list[float | None],
) -> xr.DataTree:
    """One nutpie run per chain from its last point, at most one per core at a time."""
    import nutpie

    flats = [mixture.unconstrain(point) for point in points]
    traces: list[Any] = [None] * len(flats)
    batch = usable_cores()
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            for first in range(0, len(flats), batch):
                running = []
                for c in range(first, min(first + batch, len(flats))):
                    options: dict[str, Any] = {}
                    if c < len(steps) and steps[c] is not None:
                        options["initial_step"] = steps[c]

                    def initial_point(
                        _seed: int, flat: NDArray[np.float64] = flats[c]
                    ) -> NDArray[np.float64]:
                        return flat.copy()

                    model = NutpieModel(dims={}, mixture=mixture, initial_point_func=initial_point)
                    background = nutpie.sample(
                        model,
                        draws=draws,
                        tune=tune,
                        chains=1,
                        cores=1,
                        seed=int(seeds[c]),
                        target_accept=target_accept,
                        progress_bar=False,
                        save_warmup=False,
                        blocking=False,
                        **options,
                    )
                    running.append((c, background))
                for c, background in running:
                    try:
                        traces[c] = background.wait()
                    except BaseException as err:  # nutpie raises pyo3's PanicException
                        # a continuation that could not start (nuts-rs rejects some
                        # last points of overfitted mixtures): no sampler is aborted
                        # again when collected, and the caller keeps the draws it has
                        if isinstance(err, KeyboardInterrupt | SystemExit):
                            raise
                        for *_, other in running:
                            _discard(other)
                        raise RuntimeError(f"nutpie could not continue chain {c}: {err}") from err
    except Exception as err:
        raise sampler_failure(err, "nutpie", "sample") from err
    thetas = np.concatenate([t["posterior"]["theta"].values for t in traces], axis=0)
    posterior = mixture.posterior(thetas, feature_names)
    posterior.attrs.update(traces[0]["posterior"].attrs)
    stats = xr.concat(
        [t["sample_stats"].to_dataset() for t in traces],
        dim="chain",
        coords="minimal",
        compat="override",
        join="override",
    ).assign_coords(chain=np.arange(len(traces)))
    return xr.DataTree.from_dict({"/posterior": posterior, "/sample_stats": stats})
