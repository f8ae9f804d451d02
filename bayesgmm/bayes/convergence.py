"""Sampling diagnostics of a posterior: thresholds, checks and what to try.

:func:`diagnose` turns a posterior (an ArviZ DataTree) into :class:`Diagnostics`:
divergences, rank-normalised r_hat, bulk and tail ESS, tree-depth saturation and the
expected number of observations per component, with one message per failed check
that names the parameters and says what to try. PyMC-free (ArviZ only), so thresholds
and checks can be read without importing the sampler.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from bayesgmm.bayes.spec import Priors

__all__ = [
    "DIAGNOSED_VARS",
    "EMPTY_COMPONENT_COUNT",
    "ESS_BULK_MIN",
    "ESS_MIN_PER_CHAIN",
    "MODE_SEPARATION",
    "RHAT_EXTEND_MAX",
    "RHAT_MAX",
    "TREEDEPTH_FRACTION_MAX",
    "Diagnostics",
    "diagnose",
    "varying_vars",
]


#: largest acceptable rank-normalised split r_hat (Vehtari et al. 2021)
RHAT_MAX = 1.01


#: smallest acceptable bulk and tail ESS, whatever the number of chains (Vehtari et al.
#: 2021: 400, i.e. 100 per chain for 4 chains)
ESS_BULK_MIN = 400


#: with more than 4 chains, the ESS needed grows to this many per chain (ArviZ's rule)
ESS_MIN_PER_CHAIN = 100


#: a component is empty when the posterior expects it to hold fewer observations
EMPTY_COMPONENT_COUNT = 0.5


#: share of the draws allowed to hit NUTS's maximum tree depth
TREEDEPTH_FRACTION_MAX = 0.01


#: chains whose means of one quantity (a relabelled parameter or the log density) are
#: more than this many pooled within-chain standard deviations apart sit in different
#: modes: their draws barely overlap, and more draws will not join them
MODE_SEPARATION = 3.0


#: a chain whose value changes in fewer of its steps is stuck, not sitting in a mode
MOVING_FRACTION_MIN = 0.5


#: largest r_hat that more draws may still fix when the chains share one mode (Gelman &
#: Rubin's original threshold; beyond it the chains are not yet in one distribution)
RHAT_EXTEND_MAX = 1.1


#: sample_stats names of the log density of each draw (nutpie, PyMC)
_LOGP_STATS = ("logp", "lp")


#: the posterior variables checked by default (the model's, in data units)
DIAGNOSED_VARS = ("weights", "means", "covariances")


def varying_vars(n_components: int) -> list[str]:
    """The summarised parameters that vary (with one component the weight is 1).

    Examples
    --------
    >>> varying_vars(1), varying_vars(3)
    (['means', 'covariances'], ['weights', 'means', 'covariances'])
    """
    return [v for v in DIAGNOSED_VARS if not (v == "weights" and n_components == 1)]


#: parameters named in a message (the worst ones; the rest are counted)
_N_NAMED = 3


#: sample_stats names of the maximum-tree-depth flag (nutpie, PyMC)
_TREEDEPTH_STATS = ("maxdepth_reached", "reached_max_treedepth")


# ---------------------------------------------------------------------- diagnostics
@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """Sampling diagnostics of a posterior, from :func:`diagnose`.

    Parameter labels name the variable and its coordinates, e.g.
    ``means[component=1, feature=waiting]``; lists of failing parameters are sorted
    worst first.

    Attributes
    ----------
    n_chains, n_draws : int
        Chains and draws per chain (after tuning).
    divergences : int
        Divergent transitions after tuning (all chains).
    divergences_per_chain : tuple of int
        Divergent transitions in each chain.
    treedepth_hits : int
        Draws whose NUTS trajectory stopped at the maximum tree depth.
    max_rhat : float
        Largest rank-normalised split r_hat (NaN when it cannot be computed, e.g.
        with one chain).
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    rhat_max, ess_min : float
        Thresholds applied: r_hat must be at most ``rhat_max``, bulk and tail ESS at
        least ``ess_min``.
    high_rhat, low_ess_bulk, low_ess_tail : tuple of (str, float)
        Parameters failing the check, with their value.
    n_obs : int or None
        Observations (``observed_data``), when known.
    expected_counts : dict of str to float
        Posterior expected number of observations in each component, by component
        label (empty when not computed: one component, or no ``observed_data``).
    empty_components : tuple of str
        Components expected to hold fewer than ``EMPTY_COMPONENT_COUNT``
        observations.
    mode_groups : tuple of tuple of int
        Groups of chains sitting in different modes (empty when the chains share one
        mode; see :func:`diagnose`), e.g. ``((0, 2), (1, 3))``.
    mode_parameter : str
        The quantity that separates the groups most (a parameter label or ``"logp"``).
    mode_separation : float
        Its largest gap between the groups' chain means, in pooled within-chain
        standard deviations (NaN when not computed).
    doublings : int
        How many times the chains were continued to twice their length after the
        first run (``BayesianGaussianMixture(max_doublings=...)``); ``n_draws``
        counts all draws.
    messages : tuple of str
        One sentence-style message per failed check, naming the parameters or
        components and saying what to try (what ``BayesianGaussianMixture.fit``
        issues as :class:`~bayesgmm.exceptions.SamplingWarning`).

    Examples
    --------
    >>> d = Diagnostics(n_chains=4, n_draws=1000, divergences=8)
    >>> d.divergence_fraction
    0.002
    >>> d.ok
    False
    """

    n_chains: int
    n_draws: int
    divergences: int = 0
    divergences_per_chain: tuple[int, ...] = ()
    treedepth_hits: int = 0
    max_rhat: float = math.nan
    min_ess_bulk: float = math.nan
    min_ess_tail: float = math.nan
    rhat_max: float = RHAT_MAX
    ess_min: float = ESS_BULK_MIN
    high_rhat: tuple[tuple[str, float], ...] = ()
    low_ess_bulk: tuple[tuple[str, float], ...] = ()
    low_ess_tail: tuple[tuple[str, float], ...] = ()
    n_obs: int | None = None
    expected_counts: Mapping[str, float] = dataclasses.field(default_factory=dict)
    empty_components: tuple[str, ...] = ()
    mode_groups: tuple[tuple[int, ...], ...] = ()
    mode_parameter: str = ""
    mode_separation: float = math.nan
    doublings: int = 0
    messages: tuple[str, ...] = ()

    @property
    def n_total(self) -> int:
        """Draws after tuning, all chains together."""
        return self.n_chains * self.n_draws

    @property
    def divergence_fraction(self) -> float:
        """Share of the draws that diverged."""
        return self.divergences / self.n_total if self.n_total else 0.0

    @property
    def multimodal(self) -> bool:
        """Whether the chains sit in different modes (:attr:`mode_groups`)."""
        return len(self.mode_groups) > 1

    @property
    def ok(self) -> bool:
        """Whether the convergence checks pass: no divergences, r_hat, bulk and tail ESS.

        Tree-depth hits (an efficiency problem) and empty components (a modelling
        problem) are reported in :attr:`messages` but do not fail the fit. With one
        chain r_hat is undefined, so ``ok`` is False. Chains in different modes
        (:attr:`multimodal`) fail it too.
        """
        return (
            self.divergences == 0
            and not self.multimodal
            and self.max_rhat <= self.rhat_max
            and self.min_ess_bulk >= self.ess_min
            and self.min_ess_tail >= self.ess_min
        )

    @property
    def problems(self) -> list[str]:
        """The failed convergence checks in a few words each (empty when :attr:`ok`).

        Examples
        --------
        >>> Diagnostics(n_chains=4, n_draws=100, divergences=8, max_rhat=1.2,
        ...             min_ess_bulk=30.0, min_ess_tail=500.0).problems  # fmt: skip
        ['8 divergences (2.0%)', 'r_hat 1.2', 'bulk ESS 30']
        """
        out = []
        if self.divergences:
            out.append(f"{self.divergences} divergences ({self.divergence_fraction:.1%})")
        if not self.max_rhat <= self.rhat_max:
            out.append(
                f"r_hat {self.max_rhat:.3g}"
                if math.isfinite(self.max_rhat)
                else "r_hat undefined (one chain)"
            )
        if not self.min_ess_bulk >= self.ess_min:
            out.append(f"bulk ESS {self.min_ess_bulk:.0f}")
        if not self.min_ess_tail >= self.ess_min:
            out.append(f"tail ESS {self.min_ess_tail:.0f}")
        if self.multimodal:
            out.append(f"chains in different modes ({_group_text(self.mode_groups)})")
        return out

    @property
    def extendable(self) -> bool:
        """Whether more draws of the same chains may make the fit pass.

        True when the fit fails only on ESS (bulk or tail) and r_hat, with r_hat at
        most ``RHAT_EXTEND_MAX`` (1.1), at least two chains, no divergences and all
        chains in one mode. Divergences (biased draws), chains in different modes
        and r_hat beyond 1.1 are not cured by running longer.

        Examples
        --------
        >>> Diagnostics(n_chains=4, n_draws=1000, max_rhat=1.03, min_ess_bulk=212.0,
        ...             min_ess_tail=500.0).extendable  # fmt: skip
        True
        >>> Diagnostics(n_chains=4, n_draws=1000, divergences=3, max_rhat=1.0,
        ...             min_ess_bulk=212.0, min_ess_tail=500.0).extendable  # fmt: skip
        False
        """
        return (
            not self.ok
            and self.n_chains >= 2
            and self.divergences == 0
            and not self.multimodal
            and self.max_rhat <= RHAT_EXTEND_MAX
        )


def diagnose(
    idata: xr.DataTree,
    var_names: Sequence[str] | None = None,
    *,
    settings: Mapping[str, Any] | None = None,
    rhat_max: float = RHAT_MAX,
    ess_min: float | None = None,
) -> Diagnostics:
    """Check a posterior sample and word every failed check with advice.

    The checks, each turned into one message of :attr:`Diagnostics.messages`:

    - **ESS**: bulk and tail effective sample size (ArviZ) at least ``ess_min``,
      by default ``max(ESS_BULK_MIN, ESS_MIN_PER_CHAIN * n_chains)`` = 400 up to 4
      chains, 100 per chain beyond (Vehtari et al. 2021). The threshold does not
      shrink for short runs: fewer than 400 draws in all cannot give precise
      posterior quantiles, and the message says so.
    - **r_hat**: rank-normalised split r_hat at most ``rhat_max`` (1.01); with one
      chain it cannot be computed, which is reported too.
    - **divergences**: any divergent transition after tuning.
    - **tree depth**: more than ``TREEDEPTH_FRACTION_MAX`` (1%) of the draws at
      NUTS's maximum tree depth (nutpie's ``maxdepth_reached``, PyMC's
      ``reached_max_treedepth``).
    - **empty components**: a component whose posterior expected number of
      observations ``E[n_k | X] = E[w_k | X] (N + K a) - a`` (exact for the
      Dirichlet(a) prior on the weights) is below ``EMPTY_COMPONENT_COUNT`` (0.5).
      A weight threshold such as ``1 / (10 N)`` would never fire with ``a = 1``,
      where an empty component keeps a posterior mean weight near ``1 / N``.
    - **modes**: for each checked parameter (after relabelling) and for the log
      density of the draws (``sample_stats`` ``logp`` or ``lp``), the chains are
      sorted by their mean and split wherever two neighbouring chain means are more
      than ``MODE_SEPARATION`` (3) pooled within-chain standard deviations apart,
      while each chain's own split r_hat of that quantity is at most
      ``RHAT_EXTEND_MAX`` (each chain is stable in its own mode) and each chain
      moves in at least half of its draws (a stuck chain is not a mode). Draws of chains so
      far apart barely overlap: the chains sit in different modes, which more draws
      do not cure (slow mixing within one mode moves chain means by a few Monte
      Carlo errors, a small fraction of a standard deviation). The quantity with the
      widest gap names the groups (:attr:`Diagnostics.mode_groups`).

    Parameters
    ----------
    idata : xarray.DataTree
        Sampler output with ``posterior`` and (optionally) ``sample_stats`` and
        ``observed_data`` (dimension ``obs_id``, for the empty-component check).
    var_names : sequence of str, default=None
        Posterior variables checked; default: those of ``DIAGNOSED_VARS`` present
        (the weights only with two or more components).
    settings : mapping, default=None
        Fit settings used for the advice and the empty-component check
        (``target_accept``, ``tune``, ``draws``, ``n_components``, ``relabel``,
        ``priors``, ``n_relabelled``). Default: ``idata.attrs["settings"]`` and
        ``idata.attrs["n_relabelled"]`` as written by
        ``BayesianGaussianMixture.fit``; missing keys make the advice generic.
    rhat_max : float, default=RHAT_MAX
        Largest acceptable r_hat.
    ess_min : float, default=None
        Smallest acceptable bulk and tail ESS (default: see above).

    Returns
    -------
    Diagnostics
        Values, failing parameters and messages; ``diagnostics.ok`` tells whether
        the convergence checks pass.

    Examples
    --------
    Two chains that sample different distributions, and two divergences:

    >>> import numpy as np
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> means = rng.normal(size=(2, 500, 2)) + np.array([[[0.0]], [[1.0]]])
    >>> diverging = np.zeros((2, 500), dtype=bool)
    >>> diverging[1, :2] = True
    >>> idata = xr.DataTree.from_dict(
    ...     {
    ...         "/posterior": xr.Dataset(
    ...             {"means": (("chain", "draw", "component"), means)},
    ...             coords={"component": [0, 1]},
    ...         ),
    ...         "/sample_stats": xr.Dataset({"diverging": (("chain", "draw"), diverging)}),
    ...     }
    ... )
    >>> diagnostics = diagnose(idata, settings={"target_accept": 0.8})
    >>> diagnostics.ok, diagnostics.divergences, diagnostics.high_rhat[0][0]
    (False, 2, 'means[component=0]')
    >>> [message.split(":")[0] for message in diagnostics.messages]  # doctest: +ELLIPSIS
    ['Effective sample size below 400...', 'r_hat > 1.01 for 2 parameters...', '2 divergent...']
    """
    import arviz as az

    posterior = idata["posterior"].to_dataset()
    n_chains, n_draws = int(posterior.sizes["chain"]), int(posterior.sizes["draw"])
    context = _settings(idata, settings)
    if var_names is None:
        n_components = posterior.sizes.get("component", 1)
        var_names = [
            name
            for name in DIAGNOSED_VARS
            if name in posterior and not (name == "weights" and n_components < 2)
        ] or [str(name) for name in posterior.data_vars]
    var_names = list(var_names)
    if ess_min is None:
        ess_min = float(max(ESS_BULK_MIN, ESS_MIN_PER_CHAIN * n_chains))
    values: dict[str, Any] = {"n_chains": n_chains, "n_draws": n_draws}
    values["rhat_max"], values["ess_min"] = float(rhat_max), float(ess_min)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # stuck chains (zero within-chain variance) make ArviZ divide by zero
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = az.rhat(idata, var_names=var_names)
        bulk = az.ess(idata, var_names=var_names, method="bulk")
        tail = az.ess(idata, var_names=var_names, method="tail")
    checks = [  # (summary field, list field, result, failing, worst is high)
        ("max_rhat", "high_rhat", rhat, lambda v: ~(v <= rhat_max), True),  # NaN fails
        ("min_ess_bulk", "low_ess_bulk", bulk, lambda v: v < ess_min, False),
        ("min_ess_tail", "low_ess_tail", tail, lambda v: v < ess_min, False),
    ]
    for summary, listed, result, failing, worst_is_high in checks:
        arrays = [_as_array(result, name) for name in var_names]
        flat = np.concatenate([a.values.ravel() for a in arrays]) if arrays else np.empty(0)
        if flat.size:
            values[summary] = float(np.max(flat) if worst_is_high else np.min(flat))
        flagged = [pair for a in arrays for pair in _flagged(a, failing(a.values))]
        flagged.sort(key=lambda pair: _sort_key(pair[1], worst_is_high))
        values[listed] = tuple(flagged)
    if n_chains < 2:  # rank r_hat needs two chains; do not list every parameter
        values["high_rhat"] = ()
        values["max_rhat"] = math.nan
    stats = idata["sample_stats"].to_dataset() if "sample_stats" in idata.children else None
    if stats is not None and "diverging" in stats:
        per_chain = stats["diverging"].sum("draw").values.astype(int)
        values["divergences_per_chain"] = tuple(int(n) for n in np.atleast_1d(per_chain))
        values["divergences"] = int(per_chain.sum())
    for name in _TREEDEPTH_STATS:
        if stats is not None and name in stats:
            values["treedepth_hits"] = int(stats[name].sum())
            break
    values.update(_expected_counts(idata, posterior, context))
    if n_chains >= 2:
        values.update(_modes(posterior, stats, var_names))
    values["doublings"] = int(context.get("doublings", 0) or 0)
    result = Diagnostics(**values)
    return dataclasses.replace(result, messages=tuple(_messages(result, context)))


def _settings(idata: xr.DataTree, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fit settings for the advice: ``settings`` or those stored by ``fit``."""
    if settings is not None:
        return dict(settings)
    context: dict[str, Any] = {}
    with contextlib.suppress(TypeError, ValueError):  # not bayesgmm's: generic advice
        context.update(json.loads(idata.attrs.get("settings", "{}")))
    if "n_relabelled" in idata.attrs:
        context["n_relabelled"] = int(idata.attrs["n_relabelled"])
    if "doublings" in idata.attrs:
        context.setdefault("doublings", int(idata.attrs["doublings"]))
    return context


def _group_text(groups: Sequence[Sequence[int]]) -> str:
    """``"chains 0, 2 and 1, 3"`` for ``((0, 2), (1, 3))``.

    Examples
    --------
    >>> _group_text(((0, 2), (1, 3)))
    'chains 0, 2 and 1, 3'
    >>> _group_text(((0,), (1, 2), (3,)))
    'chains 0 and 1, 2 and 3'
    """
    return "chains " + " and ".join(", ".join(str(c) for c in group) for group in groups)


def _split_rhat(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each chain's own (classic) split r_hat: its two halves as two chains, ``(chains,)``."""
    half = values.shape[1] // 2
    if half < 2:
        return np.ones(values.shape[0])
    a, b = values[:, :half], values[:, half : 2 * half]
    within = 0.5 * (a.var(axis=1, ddof=1) + b.var(axis=1, ddof=1))
    between = half * 0.5 * (a.mean(axis=1) - b.mean(axis=1)) ** 2  # var of 2 means x n
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (half - 1) / half * within + between / half
        return np.where(within > 0, np.sqrt(pooled / within), 1.0)


def _mode_split(values: NDArray[np.float64]) -> tuple[tuple[tuple[int, ...], ...], float]:
    """Groups of chains in different modes of one quantity ``(chains, draws)``, widest gap.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> values = rng.normal(size=(4, 200)) + np.array([[0.0], [10.0], [0.0], [10.0]])
    >>> groups, gap = _mode_split(values)
    >>> groups, bool(gap > 5)
    (((0, 2), (1, 3)), True)
    """
    means = values.mean(axis=1)
    sd = float(np.sqrt(np.mean(values.var(axis=1, ddof=1))))
    if not sd > 0 or not np.isfinite(means).all():
        return ((tuple(range(len(means))),), 0.0)
    order = np.argsort(means, kind="stable")
    gaps = np.diff(means[order]) / sd
    cuts = np.flatnonzero(gaps > MODE_SEPARATION) + 1
    # a chain that barely moves is stuck (e.g. a step size adapted to nothing), not in a mode
    moving = (np.diff(values, axis=1) != 0).mean(axis=1) >= MOVING_FRACTION_MIN
    settled = (_split_rhat(values) <= RHAT_EXTEND_MAX).all() and moving.all()
    if not cuts.size or not settled:
        return ((tuple(range(len(means))),), float(gaps.max(initial=0.0)))
    groups = [tuple(sorted(int(c) for c in part)) for part in np.split(order, cuts)]
    groups.sort()
    return tuple(groups), float(gaps.max())


def _modes(posterior: Any, stats: Any, var_names: Sequence[str]) -> dict[str, Any]:
    """``mode_groups``, ``mode_parameter`` and ``mode_separation`` (see :func:`diagnose`)."""
    quantities: list[tuple[str, NDArray[np.float64]]] = []
    for name in _LOGP_STATS:
        if stats is not None and name in stats and set(stats[name].dims) == {"chain", "draw"}:
            quantities.append((name, stats[name].transpose("chain", "draw").values))
            break
    for name in var_names:
        var = posterior[name]
        inner = [d for d in var.dims if d not in ("chain", "draw")]
        var = var.transpose("chain", "draw", *inner)
        for index in np.ndindex(*var.shape[2:]):
            if "feature_bis" in inner and "feature" in inner:
                i, j = index[inner.index("feature")], index[inner.index("feature_bis")]
                if j > i:  # a symmetric matrix: each entry once
                    continue
            parts = [
                f"{dim}={var[dim].values[i] if dim in var.coords else i}"
                for dim, i in zip(inner, index, strict=True)
            ]
            label = f"{name}[{', '.join(parts)}]" if parts else name
            quantities.append((label, var.values[(slice(None), slice(None), *index)]))
    best: dict[str, Any] = {"mode_separation": 0.0}
    for label, values in quantities:
        values = np.asarray(values, dtype=np.float64)
        groups, gap = _mode_split(values)
        if len(groups) > 1 and gap > best["mode_separation"]:
            best = {"mode_groups": groups, "mode_parameter": label, "mode_separation": gap}
    return best


def _as_array(tree: Any, name: str) -> xr.DataArray:
    """Variable ``name`` of an ArviZ result (a DataTree or a Dataset)."""
    var = tree[name]
    if isinstance(var, xr.DataTree):
        var = var.to_dataset()[name]
    var = var.copy()
    var.name = name
    return var


def _sort_key(value: float, worst_is_high: bool) -> float:
    """Sort key putting the worst value first (NaN r_hat counts as the worst)."""
    if math.isnan(value):
        return -math.inf
    return -value if worst_is_high else value


def _flagged(var: xr.DataArray, mask: NDArray[np.bool_]) -> list[tuple[str, float]]:
    """``(label, value)`` of the flagged entries, each symmetric matrix entry once.

    Examples
    --------
    >>> var = xr.DataArray(
    ...     np.array([[1.0, 1.2], [1.2, 1.0]]),
    ...     dims=("feature", "feature_bis"),
    ...     coords={"feature": ["x", "y"], "feature_bis": ["x", "y"]},
    ...     name="covariances",
    ... )
    >>> _flagged(var, var.values > 1.1)
    [('covariances[feature=y, feature_bis=x]', 1.2)]
    """
    mask = np.asarray(mask, dtype=bool)
    if var.ndim == 0:
        return [(str(var.name), float(var.values))] if mask else []
    if "feature" in var.dims and "feature_bis" in var.dims:
        n = var.sizes["feature"]
        lower = xr.DataArray(np.tril(np.ones((n, n), dtype=bool)), dims=("feature", "feature_bis"))
        mask = mask & lower.broadcast_like(var).transpose(*var.dims).values
    values = var.values
    flagged = []
    for index in zip(*np.nonzero(mask), strict=True):
        parts = [
            f"{dim}={var[dim].values[i] if dim in var.coords else i}"
            for dim, i in zip(var.dims, index, strict=True)
        ]
        label = f"{var.name}[{', '.join(parts)}]"
        flagged.append((label, float(values[index])))
    return flagged


def _expected_counts(
    idata: xr.DataTree, posterior: Any, context: Mapping[str, Any]
) -> dict[str, Any]:
    """``n_obs``, ``E[n_k | X]`` per component and the empty components (see diagnose)."""
    observed = idata["observed_data"].to_dataset() if "observed_data" in idata.children else None
    n_obs = (
        int(observed.sizes["obs_id"])
        if observed is not None and "obs_id" in observed.sizes
        else None
    )
    weights = posterior.get("weights")
    if n_obs is None or weights is None or "component" not in weights.dims:
        return {"n_obs": n_obs}
    n_components = int(weights.sizes["component"])
    if n_components < 2:
        return {"n_obs": n_obs}
    priors = context.get("priors") or {}
    alpha = float(priors.get("weight_concentration", Priors().weight_concentration))
    mean_weight = weights.mean(("chain", "draw")).values
    counts = np.clip(mean_weight * (n_obs + n_components * alpha) - alpha, 0.0, None)
    labels = (
        [str(c) for c in weights["component"].values]
        if "component" in weights.coords
        else [str(k) for k in range(n_components)]
    )
    expected = {label: float(n) for label, n in zip(labels, counts, strict=True)}
    empty = tuple(label for label, n in expected.items() if n < EMPTY_COMPONENT_COUNT)
    return {"n_obs": n_obs, "expected_counts": expected, "empty_components": empty}


# ---------------------------------------------------------------------- messages
def _fmt_rhat(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.3f}" if value < 10 else f"{value:.3g}"


def _named(pairs: Sequence[tuple[str, float]], fmt: Any) -> str:
    """The worst ``_N_NAMED`` parameters with their values, and how many more."""
    shown = ", ".join(fmt(label, value) for label, value in pairs[:_N_NAMED])
    rest = len(pairs) - _N_NAMED
    return shown + (f" and {rest} more" if rest > 0 else "")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _round_up(value: float, step: int = 100) -> int:
    return int(math.ceil(value / step) * step)


def _messages(d: Diagnostics, context: Mapping[str, Any]) -> list[str]:
    """One message per failed check, each with what to try (one line each).

    Ordered from the cheapest fix: ESS (more draws), r_hat, divergences, tree depth,
    empty components.
    """
    messages = []
    tune = context.get("tune")
    draws = d.n_draws  # per chain, after any doubling
    run = f"{d.n_chains} chain{'s' if d.n_chains != 1 else ''} x {d.n_draws} draws"
    if d.doublings:
        times = {1: "once", 2: "twice"}.get(d.doublings, f"{d.doublings} times")
        run += (
            f", the chains continued {times} to double their length "
            f"(from {d.n_draws // 2**d.doublings} draws; max_doublings)"
        )
    n_components = context.get("n_components")
    target = context.get("target_accept")
    tune_value = f"tune={_round_up(max(2 * tune, 1000))}" if tune is not None else "more tune"
    more_tune = f"more tuning ({tune_value})" if tune is not None else "more tuning"
    fewer = (
        f"fewer components (n_components={n_components - 1})"
        if isinstance(n_components, int) and n_components > 1
        else "fewer components"
    )
    if d.low_ess_bulk or d.low_ess_tail:
        parts = []
        for key, pairs in (("ess_bulk", d.low_ess_bulk), ("ess_tail", d.low_ess_tail)):
            if pairs:
                named = _named(pairs, lambda label, value: f"{label} ({value:.0f})")
                parts.append(f"{key} < {d.ess_min:.0f} for {named}")
        worst = min(d.min_ess_bulk, d.min_ess_tail)
        suggested = _round_up(draws * d.ess_min / max(worst, 1.0) * 1.2)
        if d.n_total < d.ess_min:
            advice = (
                f"{d.n_chains} chain{'s' if d.n_chains != 1 else ''} x {d.n_draws} draws = "
                f"{d.n_total} draws in all cannot reach it: run more draws (e.g. draws="
                f"{_round_up(max(1000, 2.5 * d.ess_min / d.n_chains))})"
            )
        elif suggested <= 10_000 and not d.high_rhat:
            advice = f"Run more draws (e.g. draws={max(suggested, draws + 100)})"
        else:
            advice = (
                "ESS this low means the chains mix badly (see r_hat): "
                f"{more_tune}, a higher target_accept, {fewer} or stronger priors help "
                "more than more draws"
            )
        messages.append(
            f"Effective sample size below {d.ess_min:.0f} after {run} (ESS >= max("
            f"{ESS_BULK_MIN}, {ESS_MIN_PER_CHAIN} per chain) is needed for reliable posterior "
            "summaries): "
            f"{'; '.join(parts)}. {_sentence(advice)}."
        )
    if d.n_chains < 2:
        messages.append(
            "r_hat needs at least 2 chains: with chains=1 convergence cannot be checked "
            "(a chain stuck in one mode looks fine). Use chains >= 2 (4 recommended)."
        )
    elif d.multimodal:
        groups = _group_text(d.mode_groups)
        messages.append(
            f"{_sentence(groups)} sit in different modes: {d.mode_parameter} differs between "
            f"them by {d.mode_separation:.0f} within-chain standard deviations (after {run}"
            f"; max r_hat {_fmt_rhat(d.max_rhat)}). The posterior is multimodal, and longer "
            "chains will not join the modes: each chain stays in its own. Compare the modes "
            f"(e.g. start from another EM solution), or try {fewer} or more informative "
            "priors; the draws pooled over chains mix the modes in arbitrary proportions."
        )
    elif d.high_rhat:
        named = _named(d.high_rhat, lambda label, value: f"{label} r_hat {_fmt_rhat(value)}")
        relabel = context.get("relabel")
        if relabel is False:
            switching = (
                "relabel=False keeps the raw component labels, so label switching between "
                "chains alone inflates r_hat: fit with relabel=True"
            )
        elif relabel == "ordered":
            switching = "the components may be poorly separated"
        else:
            n_relabelled = context.get("n_relabelled")
            if n_relabelled == 0:
                switching = "no draw was relabelled (n_relabelled_ = 0), so not label switching"
            else:
                share = (
                    f"{n_relabelled} of {d.n_total} draws were relabelled (n_relabelled_)"
                    if n_relabelled is not None
                    else "check n_relabelled_"
                )
                switching = (
                    f"{share}; many relabelled draws mean components that overlap or swap "
                    "between chains (label switching)"
                )
        chains = "more chains" if d.n_chains >= 4 else "chains=4"
        messages.append(
            f"r_hat > {d.rhat_max} for {len(d.high_rhat)} parameter"
            f"{'s' if len(d.high_rhat) != 1 else ''} (the chains disagree, after {run}): "
            f"{named}. Run "
            f"longer chains ({tune_value}, draws={_round_up(max(2 * draws, 1000))}) and "
            f"{chains}; if r_hat stays high the posterior is probably multimodal: "
            f"{switching}; try {fewer} or more informative priors."
        )
    if d.divergences:
        per_chain = ", ".join(f"chain {c}: {n}" for c, n in enumerate(d.divergences_per_chain) if n)
        if target is None:
            raise_target = "raise target_accept (e.g. to 0.95, or 0.99 if they persist)"
        elif target < 0.95:
            raise_target = f"raise target_accept from {target} to 0.95 (0.99 if they persist)"
        elif target < 0.99:
            raise_target = f"raise target_accept from {target} to 0.99"
        else:
            raise_target = f"target_accept is already {target}: raising it further rarely helps"
        if d.empty_components:
            k = len(d.empty_components)
            empty = (
                f"{fewer}: component{'s' if k > 1 else ''} {', '.join(d.empty_components)} "
                f"{'are' if k > 1 else 'is'} empty"
            )
        else:
            empty = f"{fewer} if a component is nearly empty"
        messages.append(
            f"{d.divergences} divergent transition{'s' if d.divergences != 1 else ''} after "
            f"tuning ({d.divergence_fraction:.1%} of {d.n_total} draws; {per_chain}): NUTS "
            "could not follow the posterior's curvature there, so the draws may be biased. "
            f"Try: {raise_target}; {more_tune}; stronger priors on the component scales "
            "(bayesgmm.bayes.Priors(sd_scale=..., lkj_eta=...)) or a reparameterisation; "
            f"{empty}."
        )
    if d.treedepth_hits > TREEDEPTH_FRACTION_MAX * d.n_total:
        messages.append(
            f"NUTS reached its maximum tree depth in {d.treedepth_hits} of {d.n_total} draws "
            f"({d.treedepth_hits / d.n_total:.1%}): the draws are not biased, but sampling is "
            "slow and the ESS low, usually because the posterior is badly scaled or strongly "
            f"correlated (overlapping components). Try {more_tune} so the step size and "
            f"mass matrix adapt, {fewer}, or stronger priors."
        )
    if d.empty_components:
        k = len(d.empty_components)
        counts = ", ".join(
            f"component {label} to hold {d.expected_counts[label]:.2g}"
            for label in d.empty_components
        )
        keep = (
            f"n_components={n_components - k}"
            if isinstance(n_components, int) and n_components > k
            else "fewer components"
        )
        supported = f"{n_components} components" if n_components is not None else "them"
        messages.append(
            f"Component{'s' if k > 1 else ''} {', '.join(d.empty_components)} "
            f"{'are' if k > 1 else 'is'} empty: the posterior expects {counts} of the "
            f"{d.n_obs} observations (fewer than {EMPTY_COMPONENT_COUNT}), so the data do "
            f"not support {supported}. Fit {keep}, or compare the candidates with "
            "bayesgmm.compare_loo."
        )
    return messages
