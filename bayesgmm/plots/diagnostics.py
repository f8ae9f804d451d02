"""Convergence plots of a posterior (trace and rank plots through arviz-plots)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.plots._common import (
    check_mixture,
    posterior_model,
)

#: the arviz-plots function behind each ``kind`` of :func:`plot_trace`
_TRACE_KINDS = {"trace": "plot_trace_dist", "rank": "plot_rank_dist"}


# ---------------------------------------------------------------------- convergence
def plot_trace(
    model: FittedMixtureLike | xr.DataTree,
    var_names: str | Sequence[str] = ("weights", "means"),
    *,
    kind: str = "trace",
    **kwargs: Any,
) -> Any:
    """Trace or rank plots of posterior draws, one line per chain (arviz-plots).

    ``kind="trace"`` calls :func:`arviz.plot_trace_dist` (marginal densities beside
    the draws against iteration); ``kind="rank"`` calls :func:`arviz.plot_rank_dist`
    (marginal densities beside each chain's fractional-rank ECDF minus the uniform
    one: chains that sample the same distribution stay close to zero). The posterior
    is relabelled, so per-component traces are meaningful.

    With ``compact=True`` (arviz's default) every feature, or pair of features for
    a covariance, gets its own row with the components coloured, since features on
    different scales would flatten each other in one panel; the rows are named like
    ``means[waiting]`` and component ``k`` has the same colour in every row. Pass
    ``compact=False`` for one row per scalar.

    Parameters
    ----------
    model : BayesianGaussianMixture or xarray.DataTree
        A fitted Bayesian mixture, or a DataTree with a ``posterior`` group.
    var_names : str or sequence of str, default=("weights", "means")
        Posterior variables (also ``"covariances"`` and the sampled ones).
    kind : {"trace", "rank"}, default="trace"
        Which plot.
    **kwargs : dict
        Passed to the arviz-plots function (``coords``, ``compact``, ...).

    Returns
    -------
    arviz_plots.PlotCollection
        Its figure is ``pc.viz["figure"].item()``; ``pc.savefig(path)`` saves it.

    Raises
    ------
    ValueError
        If ``kind`` is unknown or a variable is not in the posterior.
    TypeError
        If ``model`` is neither a fitted Bayesian mixture nor a DataTree with a
        posterior.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> weights = rng.dirichlet([50, 50], size=(2, 100))
    >>> posterior = xr.Dataset({"weights": (("chain", "draw", "component"), weights)})
    >>> pc = plot_trace(xr.DataTree.from_dict({"posterior": posterior}), "weights")
    >>> type(pc.viz["figure"].item()).__name__
    'Figure'
    >>> plt.close("all")
    """
    import arviz as az
    import xarray as xr

    if kind not in _TRACE_KINDS:
        raise ValueError(f"kind must be one of {list(_TRACE_KINDS)}; got {kind!r}.")
    if isinstance(model, xr.DataTree):
        tree = model
    else:
        if not check_mixture(model, "plot_trace"):
            raise TypeError(
                "plot_trace needs posterior draws: a fitted BayesianGaussianMixture or a "
                "DataTree with a posterior group; got a GaussianMixture (EM has no draws)."
            )
        tree = posterior_model(model, "plot_trace").idata_
    if "posterior" not in tree.children:
        raise TypeError(
            f"plot_trace needs a DataTree with a posterior group; got groups {list(tree.children)}."
        )
    names = [var_names] if isinstance(var_names, str) else list(var_names)
    missing = [name for name in names if name not in tree["posterior"].data_vars]
    if missing:
        raise ValueError(
            f"var_names {missing} are not in the posterior; it has "
            f"{list(tree['posterior'].data_vars)}."
        )
    if kwargs.get("compact", True):
        tree, names = _split_features(tree, names)
        if all("component" in tree["posterior"][name].dims for name in names):
            kwargs["aes"] = {"color": ["component"], **kwargs.get("aes", {})}
    return getattr(az, _TRACE_KINDS[kind])(tree, var_names=names, **kwargs)


def _split_features(tree: xr.DataTree, names: list[str]) -> tuple[xr.DataTree, list[str]]:
    """One posterior variable per feature (or feature pair), components kept together.

    A compact trace plot draws all entries of a variable in one panel; the means of
    features on different scales (minutes and seconds, say) would flatten each other.
    Splitting ``means`` into ``means[eruptions]``, ``means[waiting]`` gives one panel
    per feature with the components coloured. Symmetric duplicates (the lower
    triangle of a covariance matrix) and constant entries are left out.
    """
    import xarray as xr

    post = tree["posterior"].to_dataset()
    out: dict[str, xr.DataArray] = {}
    for name in names:
        var = post[name]
        head = [d for d in ("chain", "draw", "component") if d in var.dims]
        extra = [d for d in var.dims if d not in head]
        if not extra:
            out[name] = var
            continue
        var = var.transpose(*head, *extra)
        shape = tuple(var.sizes[d] for d in extra)
        values = var.values
        symmetric = (
            len(extra) == 2
            and shape[0] == shape[1]
            and np.allclose(values, np.swapaxes(values, -1, -2))
        )
        for index in np.ndindex(*shape):
            if symmetric and index[0] > index[1]:
                continue
            entry = values[(..., *index)]
            if np.ptp(entry) == 0:
                continue
            labels = [
                str(var[d].values[i]) if d in var.coords else str(i)
                for d, i in zip(extra, index, strict=True)
            ]
            coords = {d: var[d].values for d in head if d in var.coords}
            out[f"{name}[{', '.join(labels)}]"] = xr.DataArray(entry, dims=head, coords=coords)
    groups = {"posterior": xr.Dataset(out)}
    if "sample_stats" in tree.children:
        groups["sample_stats"] = tree["sample_stats"].to_dataset()
    return xr.DataTree.from_dict(groups), list(out)
