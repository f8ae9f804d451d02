"""Model-choice and check results: criteria, PSIS-LOO, bootstrap LRT, predictive checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.types import RandomStateLike

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from bayesgmm.core.validation import check_integer
from bayesgmm.plots._common import (
    check_mixture,
    posterior_model,
)


# ---------------------------------------------------------------------- model choice
def plot_criteria(
    selection: Any,
    criteria: str | Sequence[str] = ("bic", "icl"),
    ax: Axes | NDArray[np.object_] | None = None,
) -> Any:
    """Information criteria against the number of components, one line per covariance type.

    A thin wrapper of :meth:`bayesgmm.selection.model_selection.ModelSelection.plot`: one panel per
    criterion, the best model circled.

    Parameters
    ----------
    selection : ModelSelection
        The result of :func:`bayesgmm.select_model`.
    criteria : str or sequence of str, default=("bic", "icl")
        Criteria drawn (``"bic"``, ``"icl"``, ``"aic"``, ``"log_likelihood"``).
    ax : matplotlib Axes or array of Axes, default=None
        One Axes per criterion (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes or ndarray of Axes
        One Axes for one criterion, an array for several.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import load_faithful, select_model
    >>> selection = select_model(load_faithful(), [1, 2], ["full"], n_init=1)
    >>> axes = plot_criteria(selection)
    >>> [a.get_ylabel() for a in axes]
    ['BIC (lower is better)', 'ICL (lower is better)']
    >>> plt.close("all")
    """
    if isinstance(criteria, str):
        return selection.plot(criteria, ax=ax)
    return selection.plot(list(criteria), ax=ax)


def plot_loo(comparison: Any, ax: Axes | None = None) -> Axes:
    """PSIS-LOO ELPD of each model (+- se) and its difference to the best (+- dse).

    A thin wrapper of :meth:`bayesgmm.selection.loo_comparison.LOOComparison.plot`.

    Parameters
    ----------
    comparison : LOOComparison
        The result of :func:`bayesgmm.compare_loo`.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from bayesgmm import compare_loo, load_galaxies
    >>> comparison = compare_loo(load_galaxies() / 1000, [2, 3, 4])  # doctest: +SKIP
    >>> ax = plot_loo(comparison)  # doctest: +SKIP
    """
    return comparison.plot(ax=ax)


def plot_bootstrap_lrt(result: Any, ax: Axes | None = None) -> Axes:
    """Bootstrap distribution of the likelihood-ratio statistic, observed value marked.

    A thin wrapper of :meth:`bayesgmm.selection.bootstrap_lrt.BootstrapLRTResult.plot`.

    Parameters
    ----------
    result : BootstrapLRTResult
        The result of :func:`bayesgmm.bootstrap_lrt`.
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import bootstrap_lrt, load_faithful
    >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
    >>> plot_bootstrap_lrt(result).get_xlabel()
    'LRTS'
    >>> plt.close("all")
    """
    return result.plot(ax=ax)


# ---------------------------------------------------------------------- predictive checks
def plot_ppc(result: Any, statistics: Sequence[str] | None = None, *, ncols: int = 3) -> Figure:
    """Replicated test statistics of a posterior predictive check, observed values marked.

    A thin wrapper of :meth:`bayesgmm.bayes.ppc.PPCResult.plot`: one histogram per
    statistic, titled with its two-sided p-value (flagged ones in red).

    Parameters
    ----------
    result : PPCResult
        The result of :func:`bayesgmm.posterior_predictive_check`.
    statistics : sequence of str, default=None
        Statistics drawn (all when ``None``).
    ncols : int, default=3
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    plot_ppc_density, plot_ppc_dist

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture, posterior_predictive_check
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> result = posterior_predictive_check(GaussianMixture(1).fit(X), X, n_replicates=20)
    >>> len(plot_ppc(result, ["modes", "max_gap"]).axes)
    2
    >>> plt.close("all")
    """
    return result.plot(statistics, ncols=ncols)


def plot_ppc_density(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    n_replicates: int = 50,
    random_state: RandomStateLike = 0,
    ax: Any = None,
) -> Figure:
    """Observed density of each feature over the densities of replicated data sets.

    A thin wrapper of :func:`bayesgmm.bayes.ppc.plot_density` (kernel density
    estimates with one shared bandwidth; an EM fit gives plug-in replicates).

    Parameters
    ----------
    model : GaussianMixture or BayesianGaussianMixture
        A fitted mixture.
    X : array-like of shape (n_samples, n_features)
        The observed data.
    n_replicates : int, default=50
        Number of replicated data sets.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the replicates.
    ax : matplotlib Axes or sequence of Axes, default=None
        One Axes per feature (a new figure when ``None``).

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    plot_ppc_dist, plot_density_1d

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from bayesgmm import GaussianMixture, load_faithful
    >>> X = load_faithful()
    >>> fig = plot_ppc_density(GaussianMixture(2, random_state=0).fit(X), X, n_replicates=5)
    >>> len(fig.axes)
    2
    >>> plt.close("all")
    """
    from bayesgmm.bayes.ppc import plot_density as _plot_replicated_density

    return _plot_replicated_density(
        model, X, n_replicates=n_replicates, random_state=random_state, ax=ax
    )


def plot_ppc_dist(
    model: FittedMixtureLike,
    *,
    num_samples: int = 50,
    random_state: RandomStateLike = 0,
    **kwargs: Any,
) -> Any:
    """Posterior predictive densities against the observed one, through arviz-plots.

    Calls :func:`arviz.plot_ppc_dist` on the model's ``idata_``, one panel per
    feature. When ``idata_`` has no ``posterior_predictive`` group yet, one is
    added first with
    :meth:`~bayesgmm.BayesianGaussianMixture.sample_posterior_predictive` (one
    replicated data set per draw; this modifies ``model.idata_``).

    Parameters
    ----------
    model : BayesianGaussianMixture
        A fitted Bayesian mixture.
    num_samples : int, default=50
        Replicated data sets drawn (at most one per posterior draw).
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the replicates when they are created here (arviz-plots picks the
        ``num_samples`` drawn with its own fixed seed).
    **kwargs : dict
        Passed to :func:`arviz.plot_ppc_dist` (e.g. ``kind="ecdf"``).

    Returns
    -------
    arviz_plots.PlotCollection
        Its figure is ``pc.viz["figure"].item()``.

    Raises
    ------
    TypeError
        If ``model`` is not a fitted BayesianGaussianMixture (use
        :func:`plot_ppc_density` for an EM fit).

    See Also
    --------
    plot_ppc_density, plot_ppc

    Examples
    --------
    >>> from bayesgmm import BayesianGaussianMixture, load_faithful
    >>> bgm = BayesianGaussianMixture(2, draws=200, tune=200, chains=2, progressbar=False)
    >>> bgm = bgm.fit(load_faithful())  # doctest: +SKIP
    >>> pc = plot_ppc_dist(bgm)  # doctest: +SKIP
    """
    import arviz as az

    if not check_mixture(model, "plot_ppc_dist"):
        raise TypeError(
            "plot_ppc_dist needs a fitted BayesianGaussianMixture; for a GaussianMixture "
            "use plot_ppc_density (plug-in replicates)."
        )
    posterior = posterior_model(model, "plot_ppc_dist")
    check_integer("num_samples", num_samples, 1)
    if "posterior_predictive" not in posterior.idata_.children:
        posterior.sample_posterior_predictive(random_state=random_state)
    if posterior.n_features_in_ > 1:
        kwargs.setdefault("cols", ["feature"])
    n_available = posterior.idata_["posterior_predictive"].sizes
    num_samples = min(num_samples, n_available["chain"] * n_available["draw"])
    return az.plot_ppc_dist(posterior.idata_, num_samples=num_samples, **kwargs)
