"""Posterior predictive checks that reveal missing or spurious mixture components.

:func:`posterior_predictive_check` simulates replicate data sets of the observed size
from posterior draws of a :class:`~bayesgmm.BayesianGaussianMixture` (or, as a cheap
"plug-in" check, from the point estimate of a :class:`~bayesgmm.GaussianMixture`),
computes test statistics ``T`` on the observed data and on every replicate, and
reports the posterior predictive p-value ``P(T_rep >= T_obs)`` (ties counted half).

The default statistics (:func:`default_statistics`) target the number of components:
the number of modes of a kernel density estimate with a bandwidth fixed from the
observed data, quantiles, skewness, kurtosis, the largest gap between sorted points
and, for several features, the mean nearest-neighbour distance. A model with too few
components reproduces none of the observed modes and gaps; one with the right number
reproduces all of them. Posterior predictive p-values use the data twice and are
therefore conservative: a flag is strong evidence of misfit, no flag is weak evidence
of fit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.posterior import parameter_draws
from bayesgmm.bayes.statistics import (
    Statistic,
    binned_kde,
    count_modes,
    default_statistics,
    silverman_bandwidth,
)
from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.types import RandomStateLike
from bayesgmm.core.validation import (
    check_integer,
    check_number,
    check_random_state,
    validate_data,
)
from bayesgmm.em.noise import NoiseRegion

__all__ = [
    "PPCResult",
    "count_modes",
    "default_statistics",
    "plot_density",
    "posterior_predictive_check",
    "silverman_bandwidth",
]

#: simulated values held in memory at once
_CHUNK_VALUES = 4_000_000


# ---------------------------------------------------------------------- simulation
def _mixture_draws(
    model: FittedMixtureLike, X: ArrayLike
) -> tuple[str, NDArray, NDArray, NDArray, NDArray, NDArray[np.object_] | None]:
    """Validate ``model`` and ``X``; return kind, X, and (S, K), (S, K, D), (S, K, D, D)."""
    draws = parameter_draws(model)  # TypeError for other models, NotFittedError if unfitted
    kind = "posterior" if model.is_posterior else "plug-in"
    data = validate_data(X, min_samples=2)
    array, names = data.array, data.feature_names
    if array.shape[1] != model.n_features_in_:
        raise ValueError(
            f"X has {array.shape[1]} features, but the model was fitted with "
            f"{model.n_features_in_}."
        )
    if names is None and hasattr(model, "feature_names_in_"):
        names = model.feature_names_in_
    return kind, array, draws.weights, draws.means, draws.full_covariances(), names


def _simulate_chunks(
    rng: np.random.Generator,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    chols: NDArray[np.float64],
    n_samples: int,
    noise: NoiseRegion | None = None,
):
    """Yield ``(start, replicates)`` with replicates of shape (r, n_samples, D).

    Replicate ``i`` is drawn from the mixture ``weights[i], means[i], chols[i]``
    (Cholesky factors of the covariances): labels by inverse CDF, then one batched
    matrix product per component. With a uniform noise component (its box
    ``noise``) the weights sum to ``1 - pi_0`` and the remaining share of the points
    is uniform in the box.
    """
    n_rep, K, D = means.shape
    chunk = max(1, _CHUNK_VALUES // (n_samples * (D + K)))
    total = 1.0 if noise is not None else weights.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(weights / total, axis=1)
    for start in range(0, n_rep, chunk):
        stop = min(start + chunk, n_rep)
        u = rng.random((stop - start, n_samples))
        labels = np.minimum(
            (u[:, :, None] >= cumulative[start:stop, None, :]).sum(-1),
            K if noise is not None else K - 1,
        )
        standard = rng.standard_normal((stop - start, n_samples, D))
        out = np.zeros_like(standard)
        for k in range(K):
            values = means[start:stop, k][:, None, :] + standard @ np.swapaxes(
                chols[start:stop, k], 1, 2
            )
            out += (labels == k)[:, :, None] * values
        if noise is not None:  # the rows past the Gaussians' share: uniform in the box
            uniform = labels == K
            out[uniform] = noise.sample(rng, int(uniform.sum()))
        yield start, out


def _check_statistics(statistics: Any, array: NDArray, names: Any) -> dict[str, Statistic]:
    if statistics is None:
        return default_statistics(
            array, feature_names=None if names is None else [str(n) for n in names]
        )
    if not isinstance(statistics, Mapping):
        raise TypeError(
            "statistics must be a dict mapping names to callables X -> float (or None for "
            f"the defaults); got {type(statistics).__name__}."
        )
    if not statistics:
        raise ValueError("statistics is empty; pass at least one statistic or None.")
    for name, func in statistics.items():
        if not isinstance(name, str):
            raise TypeError(f"statistics keys must be str; got {name!r}.")
        if not callable(func):
            raise TypeError(f"statistics[{name!r}] must be a callable X -> float; got {func!r}.")
    return dict(statistics)


def _evaluate(name: str, func: Statistic, X: NDArray[np.float64], where: str) -> float:
    result = func(X)
    try:
        value = float(result)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"statistic {name!r} must return a number; on the {where} it returned {result!r}."
        ) from err
    if not math.isfinite(value):
        raise ValueError(f"statistic {name!r} returned {value} on the {where}; it must be finite.")
    return value


def _p_values(replicated: NDArray, observed: float) -> tuple[float, float]:
    """Mid-p ``P(T_rep > T_obs) + P(T_rep = T_obs) / 2`` and ``2 min(p, 1 - p)``."""
    p = float(np.mean(replicated > observed) + 0.5 * np.mean(replicated == observed))
    return p, min(1.0, 2 * min(p, 1 - p))


# ---------------------------------------------------------------------- results
@dataclass
class PPCResult:
    """Result of :func:`posterior_predictive_check`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per statistic (index ``statistic``): ``observed``, ``rep_mean``,
        ``rep_sd``, ``rep_q05``, ``rep_q95`` (5% and 95% quantiles of the replicated
        values), ``p_value`` (``P(T_rep >= T_obs)``, ties counted half),
        ``p_two_sided`` (``2 min(p, 1 - p)``) and ``flag`` (``p_two_sided < alpha``).
    replicated : pandas.DataFrame
        The replicated values, one row per replicate, one column per statistic.
    observed : pandas.Series
        The observed values.
    draw_indices : ndarray of int
        The (flattened chain x draw) posterior draw behind each replicate; all zeros
        for a plug-in check.
    kind : {"posterior", "plug-in"}
        Replicates from posterior draws or from a point estimate.
    alpha : float
        Threshold of ``flag``.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> result = posterior_predictive_check(GaussianMixture(1).fit(X), X, n_replicates=50)
    >>> result.n_flagged, result.replicated.shape
    (0, (50, 9))
    """

    table: pd.DataFrame
    replicated: pd.DataFrame = field(repr=False)
    observed: pd.Series = field(repr=False)
    draw_indices: NDArray[np.intp] = field(repr=False)
    kind: str = "posterior"
    alpha: float = 0.05

    @property
    def min_p_value(self) -> float:
        """Smallest two-sided p-value over the statistics.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(200, 1))
        >>> gm = GaussianMixture(1).fit(X)
        >>> posterior_predictive_check(gm, X, n_replicates=50).min_p_value > 0.05
        True
        """
        return float(self.table["p_two_sided"].min())

    @property
    def n_flagged(self) -> int:
        """Number of statistics with a two-sided p-value below ``alpha``.

        Returns
        -------
        int

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.concatenate([rng.normal(-4, 0.7, (100, 1)), rng.normal(4, 0.7, (100, 1))])
        >>> posterior_predictive_check(GaussianMixture(1).fit(X), X).n_flagged > 3
        True
        """
        return int(self.table["flag"].sum())

    @property
    def flagged(self) -> list[str]:
        """Names of the flagged statistics, smallest two-sided p-value first.

        Returns
        -------
        list of str

        Examples
        --------
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.concatenate([rng.normal(-4, 0.7, (100, 1)), rng.normal(4, 0.7, (100, 1))])
        >>> "modes" in posterior_predictive_check(GaussianMixture(1).fit(X), X).flagged
        True
        """
        rows = self.table[self.table["flag"]].sort_values("p_two_sided", kind="stable")
        return [str(name) for name in rows.index]

    def __repr__(self) -> str:
        return (
            f"PPCResult({self.kind}, {len(self.replicated)} replicates, "
            f"{len(self.table)} statistics, {self.n_flagged} flagged at alpha={self.alpha}: "
            f"{self.flagged})"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Posterior predictive check</b> ({self.kind}, {len(self.replicated)} "
            f"replicates): {self.n_flagged} of {len(self.table)} statistics flagged "
            f"(two-sided p &lt; {self.alpha})</p>"
        )
        return head + self.table.to_html(float_format=lambda v: f"{v:.3g}")

    def plot(self, statistics: Sequence[str] | None = None, *, ncols: int = 3) -> Any:
        """Histogram of each statistic's replicated values, observed value as a line.

        Parameters
        ----------
        statistics : list of str, default=None
            Statistics to draw (all when ``None``).
        ncols : int, default=3
            Panels per row.

        Returns
        -------
        matplotlib.figure.Figure
            One axes per statistic, titled with the name and the two-sided p-value.

        Raises
        ------
        KeyError
            If a name is not one of the statistics.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from bayesgmm import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> result = posterior_predictive_check(GaussianMixture(1).fit(X), X, n_replicates=50)
        >>> fig = result.plot(["modes", "kurtosis"])
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
        """
        import matplotlib.pyplot as plt

        names = list(self.table.index) if statistics is None else list(statistics)
        missing = [name for name in names if name not in self.table.index]
        if missing or not names:
            raise KeyError(
                f"Unknown statistics {missing or names}; choose from {list(self.table.index)}."
            )
        ncols = max(1, min(ncols, len(names)))
        nrows = math.ceil(len(names) / ncols)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(3.4 * ncols, 2.6 * nrows), squeeze=False, layout="constrained"
        )
        for ax, name in zip(axes.flat, names, strict=False):
            values = self.replicated[name].to_numpy()
            observed = float(self.table.loc[name, "observed"])
            is_integer = np.all(values == np.round(values)) and observed == round(observed)
            low, high = min(values.min(), observed), max(values.max(), observed)
            if is_integer and high - low <= 50:
                bins: Any = np.arange(low - 0.5, high + 1.5)
            else:
                bins = "auto"
            flagged = bool(self.table.loc[name, "flag"])
            ax.hist(values, bins=bins, color="C0", alpha=0.7, label="replicated")
            ax.axvline(observed, color="C3" if flagged else "black", lw=2, label="observed")
            ax.set_title(
                f"{name}: p = {self.table.loc[name, 'p_two_sided']:.3f}",
                fontsize="medium",
                color="C3" if flagged else "black",
            )
            ax.set_yticks([])
        for ax in axes.flat[len(names) :]:
            fig.delaxes(ax)
        return fig


# ---------------------------------------------------------------------- entry points
def _check_n_replicates(n_replicates: Any) -> int:
    return int(check_integer("n_replicates", n_replicates, 1))


def _replicate_parameters(
    rng: np.random.Generator, n_replicates: int, weights: NDArray, means: NDArray, covs: NDArray
) -> tuple[NDArray[np.intp], NDArray, NDArray, NDArray]:
    """Pick draws (without replacement when there are enough) and factor their covariances."""
    n_draws = len(weights)
    if n_draws == 1:
        picks = np.zeros(n_replicates, dtype=np.intp)
    else:
        picks = rng.choice(n_draws, size=n_replicates, replace=n_replicates > n_draws)
    chols = np.linalg.cholesky(covs[np.unique(picks)])
    lookup = np.searchsorted(np.unique(picks), picks)
    return picks, weights[picks], means[picks], chols[lookup]


def posterior_predictive_check(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    statistics: Mapping[str, Statistic] | None = None,
    n_replicates: int = 200,
    random_state: RandomStateLike = 0,
    alpha: float = 0.05,
) -> PPCResult:
    """Compare test statistics of ``X`` with those of data simulated from the model.

    ``n_replicates`` posterior draws are picked at random (without replacement when
    the posterior has that many); from each, a replicate with as many points as ``X``
    is simulated. Each statistic ``T`` is computed on ``X`` and on every replicate.
    The posterior predictive p-value is ``P(T_rep >= T_obs)`` with ties counted half
    (mid-p); values near 0 or 1 mean the model rarely reproduces the observed value,
    and ``p_two_sided = 2 min(p, 1 - p)`` below ``alpha`` flags the statistic.

    Parameters
    ----------
    model : BayesianGaussianMixture or GaussianMixture
        A fitted model. A :class:`~bayesgmm.GaussianMixture` gives a plug-in check:
        every replicate comes from its point estimate (cheap, ignores parameter
        uncertainty, so its p-values are more extreme).
    X : array-like of shape (n_samples, n_features)
        The observed data (usually the training data).
    statistics : dict of str to callable, default=None
        ``name -> T(X) -> float`` with ``X`` a read-only ndarray of shape
        (n_samples, n_features); :func:`default_statistics` of ``X`` when ``None``.
    n_replicates : int, default=200
        Number of replicate data sets (the p-value resolution is ``1 / n_replicates``).
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the draw choice and of the simulation; the same seed gives the same
        table.
    alpha : float, default=0.05
        Two-sided p-values below it are flagged.

    Returns
    -------
    PPCResult
        ``table`` of observed and replicated summaries and p-values, the replicated
        values, ``min_p_value``, ``n_flagged``, ``plot()``.

    Raises
    ------
    NotFittedError
        If the model is not fitted.
    TypeError
        If the model is not a bayesgmm mixture, or a statistic is not callable or does
        not return a number.
    ValueError
        If ``n_replicates`` or ``alpha`` is invalid, ``X`` has a different number of
        features than the model, or a statistic returns a non-finite value.

    See Also
    --------
    default_statistics : the statistics used by default.
    plot_density : observed against replicated densities.

    Examples
    --------
    Three well-separated groups: one component misses two modes, three do not.

    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(m, 0.7, (100, 1)) for m in (-4, 0, 4)])
    >>> one = posterior_predictive_check(GaussianMixture(1).fit(X), X)
    >>> one.table.loc["modes", ["observed", "rep_mean", "p_two_sided"]].round(1).tolist()
    [3.0, 1.0, 0.0]
    >>> three = posterior_predictive_check(GaussianMixture(3, random_state=0).fit(X), X)
    >>> bool(three.table.loc["modes", "p_two_sided"] > 0.05)
    True

    With posterior draws (slower: the model is sampled first):

    >>> from bayesgmm import BayesianGaussianMixture
    >>> bgm = BayesianGaussianMixture(3, draws=300, tune=300, chains=2, progressbar=False)
    >>> result = posterior_predictive_check(bgm.fit(X), X)  # doctest: +SKIP
    >>> result.n_flagged  # doctest: +SKIP
    0
    """
    n_replicates = _check_n_replicates(n_replicates)
    check_number("alpha", alpha, lambda v: 0 < v < 1, "a number in (0, 1)")
    kind, array, weights, means, covs, names = _mixture_draws(model, X)
    functions = _check_statistics(statistics, array, names)
    rng = check_random_state(random_state)
    array = array.view()
    array.flags.writeable = False  # statistics must not modify the data (or the user's X)
    observed = {name: _evaluate(name, f, array, "observed data") for name, f in functions.items()}
    picks, rep_weights, rep_means, rep_chols = _replicate_parameters(
        rng, n_replicates, weights, means, covs
    )
    replicated = {name: np.empty(n_replicates) for name in functions}
    region = getattr(model, "noise_region_", None)
    chunks = _simulate_chunks(rng, rep_weights, rep_means, rep_chols, len(array), region)
    for start, chunk in chunks:
        chunk.flags.writeable = False
        for offset, replicate in enumerate(chunk):
            where = f"replicate {start + offset}"
            for name, func in functions.items():
                replicated[name][start + offset] = _evaluate(name, func, replicate, where)
    rows = []
    for name, values in replicated.items():
        p, p_two = _p_values(values, observed[name])
        q05, q95 = np.percentile(values, [5, 95])
        rows.append(
            {
                "statistic": name,
                "observed": observed[name],
                "rep_mean": float(values.mean()),
                "rep_sd": float(values.std(ddof=1)) if n_replicates > 1 else 0.0,
                "rep_q05": float(q05),
                "rep_q95": float(q95),
                "p_value": p,
                "p_two_sided": p_two,
                "flag": p_two < alpha,
            }
        )
    return PPCResult(
        table=pd.DataFrame(rows).set_index("statistic"),
        replicated=pd.DataFrame(replicated).rename_axis("replicate"),
        observed=pd.Series(observed, name="observed").rename_axis("statistic"),
        draw_indices=picks,
        kind=kind,
        alpha=float(alpha),
    )


def plot_density(
    model: FittedMixtureLike,
    X: ArrayLike,
    *,
    n_replicates: int = 50,
    random_state: RandomStateLike = 0,
    ax: Any = None,
) -> Any:
    """Observed density of each feature over the densities of replicated data sets.

    The classic posterior predictive plot: a histogram and a kernel density estimate
    of the observed data (black) on thin lines, one per replicate (each from another
    posterior draw). All curves share one bandwidth (Silverman's, from ``X``), so a
    missing component shows as an observed bump that no replicate has.

    Parameters
    ----------
    model : BayesianGaussianMixture or GaussianMixture
        A fitted model (a GaussianMixture gives plug-in replicates).
    X : array-like of shape (n_samples, n_features)
        The observed data.
    n_replicates : int, default=50
        Number of replicate curves.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the replicates.
    ax : matplotlib Axes or sequence of Axes, default=None
        One Axes per feature (a new figure when ``None``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``ax`` does not hold one Axes per feature, or as for
        :func:`posterior_predictive_check`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from bayesgmm import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> fig = plot_density(GaussianMixture(1).fit(X), X, n_replicates=10)
    >>> len(fig.axes)
    2
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    n_replicates = _check_n_replicates(n_replicates)
    _, array, weights, means, covs, names = _mixture_draws(model, X)
    n_samples, n_features = array.shape
    if ax is None:
        fig, axes = plt.subplots(
            1, n_features, figsize=(4.5 * n_features, 3.2), squeeze=False, layout="constrained"
        )
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if len(axes) != n_features:
            raise ValueError(f"ax must hold {n_features} Axes (one per feature); got {len(axes)}.")
        fig = axes[0].figure
    rng = check_random_state(random_state)
    _, rep_weights, rep_means, rep_chols = _replicate_parameters(
        rng, n_replicates, weights, means, covs
    )
    region = getattr(model, "noise_region_", None)
    replicates = np.concatenate(
        [
            chunk
            for _, chunk in _simulate_chunks(
                rng, rep_weights, rep_means, rep_chols, n_samples, region
            )
        ]
    )
    labels = [str(n) for n in names] if names is not None else [str(j) for j in range(n_features)]
    for j, panel in enumerate(axes):
        bandwidth = silverman_bandwidth(array[:, j])
        values = np.concatenate([array[:, j], replicates[:, :, j].ravel()])
        lo = float(np.percentile(values, 0.1)) - 3 * bandwidth
        hi = float(np.percentile(values, 99.9)) + 3 * bandwidth
        n_grid = 400
        step = (hi - lo) / (n_grid - 1)
        grid = lo + step * np.arange(n_grid)
        norm = n_samples * bandwidth * math.sqrt(2 * math.pi)
        for r in range(n_replicates):
            density = binned_kde(replicates[r, :, j], bandwidth, lo, step, n_grid) / norm
            panel.plot(grid, density, color="C0", alpha=0.15, lw=0.8)
        panel.hist(array[:, j], bins="auto", density=True, color="0.8", label="observed data")
        observed = binned_kde(array[:, j], bandwidth, lo, step, n_grid) / norm
        panel.plot(grid, observed, color="black", lw=2, label="observed KDE")
        panel.plot([], [], color="C0", label="replicated KDEs")
        panel.set_xlabel(labels[j])
        panel.set_xlim(lo, hi)
        panel.legend(fontsize="small")
    return fig
