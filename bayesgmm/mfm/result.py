"""The posterior over the number of components: tables, diagnostics, plot, DataTree."""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bayesgmm.mfm.priors import ResolvedPriors

__all__ = ["ESS_MIN", "RHAT_MAX", "UPPER_MASS_MAX", "KPosterior"]

#: convergence thresholds for the chains of K and K+
RHAT_MAX = 1.01
ESS_MIN = 400
#: warn when P(K = k_max | y) exceeds this and the prior on K was cut at k_max
UPPER_MASS_MAX = 0.01


def _mcse(values: NDArray[np.float64]) -> float:
    """Monte Carlo standard error of the mean of ``(chains, draws)`` values (NaN if constant)."""
    import arviz as az

    if np.ptp(values) == 0 or values.shape[1] < 4:
        return float("nan") if np.ptp(values) else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(az.mcse(values))


def _acceptance(moves: Any) -> float:
    """Accepted / proposed of ``(accepted, proposed)`` (NaN for none)."""
    if not moves or not moves[1]:
        return float("nan")
    return moves[0] / moves[1]


def _convergence(values: NDArray[np.float64]) -> tuple[float, float]:
    """Rank-normalised split r_hat and bulk ESS of ``(chains, draws)`` values."""
    import arviz as az

    if np.ptp(values) == 0:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ess = float(az.ess(values, method="bulk"))
        rhat = float(az.rhat(values)) if values.shape[0] > 1 else float("nan")
    return rhat, ess


@dataclass
class KPosterior:
    """Posterior of the number of components ``K`` and of the number of clusters ``K+``.

    Returned by :func:`bayesgmm.posterior_over_k`. ``K`` counts the mixture's
    components (filled or not); ``K+`` the components holding at least one
    observation (the clusters in the data).

    Attributes
    ----------
    n_components : ndarray of shape (n_chains, n_draws)
        ``K`` at the end of each draw's block of ``thin`` sweeps.
    n_clusters : ndarray of shape (n_chains, n_draws)
        ``K+`` at the end of each draw's block.
    prob_components : ndarray of shape (n_chains, n_draws, k_max)
        ``p(K = k | partition, alpha)`` averaged over each block's sweeps; their
        average is the (Rao-Blackwellised) estimate of ``p(K = k | y)``.
    share_clusters : ndarray of shape (n_chains, n_draws, k_max)
        Share of each block's sweeps with ``K+ = k``.
    alpha : ndarray of shape (n_chains, n_draws)
        ``alpha`` of the dynamic Dirichlet prior (constant otherwise).
    priors : ResolvedPriors
        The priors, with the data-dependent defaults filled in.
    n_samples : int
        Observations the posterior conditions on.
    settings : dict
        ``draws``, ``tune``, ``chains``, ``thin`` (after any doubling), ``doublings``,
        ``rounding`` (each feature's rounding width, 0 for exact), ``improper`` (why
        the posterior is improper, or None), ``random_state``,
        ``alpha_acceptance`` (Metropolis acceptance of the ``alpha`` moves, NaN
        without them), ``split_merge`` (attempts per sweep) and ``splits``,
        ``merges`` (accepted, proposed) of the split-merge moves, ``jumps`` (per
        sweep) and ``split_jumps``, ``merge_jumps`` (accepted, proposed).
    elapsed : float
        Seconds of sampling.

    Examples
    --------
    >>> from bayesgmm import load_galaxies, posterior_over_k
    >>> X = load_galaxies("richardson_green") / 1000
    >>> result = posterior_over_k(X, random_state=0, progress=False)
    >>> list(result.table.columns)
    ['p_components', 'p_components_mcse', 'p_clusters', 'p_clusters_mcse']
    """

    n_components: NDArray[np.intp] = field(repr=False)
    n_clusters: NDArray[np.intp] = field(repr=False)
    prob_components: NDArray[np.float64] = field(repr=False)
    share_clusters: NDArray[np.float64] = field(repr=False)
    alpha: NDArray[np.float64] = field(repr=False)
    priors: ResolvedPriors
    n_samples: int
    settings: dict[str, Any] = field(default_factory=dict)
    elapsed: float = float("nan")

    @property
    def rounding(self) -> NDArray[np.float64]:
        """Each feature's rounding width (0: its values were taken as exact)."""
        return np.asarray(self.settings.get("rounding", []), dtype=float)

    @property
    def k_max(self) -> int:
        """Largest ``K`` of the prior's support."""
        return self.priors.k_max

    @cached_property
    def table(self) -> pd.DataFrame:
        """``p(K = k | y)`` and ``p(K+ = k | y)`` for k = 1..k_max, with Monte Carlo errors.

        ``p_components`` is the average over sweeps of ``p(K = k | partition, alpha)``
        (Rao-Blackwellised); ``p_clusters`` the share of sweeps with ``K+ = k``. The
        ``_mcse`` columns are their Monte Carlo standard errors, from the effective
        sample size of each series of draws (block averages) over all chains (0 when
        the series is constant).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``k``.

        Examples
        --------
        >>> from bayesgmm import load_galaxies, posterior_over_k
        >>> X = load_galaxies("richardson_green") / 1000
        >>> table = posterior_over_k(X, random_state=0, progress=False).table
        >>> table.loc[[3, 6, 9], "p_components"].round(1).tolist()  # R&G: .061 .199 .071
        [0.1, 0.2, 0.1]
        """
        p_components = self.prob_components.mean(axis=(0, 1))
        p_clusters = self.share_clusters.mean(axis=(0, 1))
        mcse_components = [_mcse(self.prob_components[..., j]) for j in range(self.k_max)]
        mcse_clusters = [_mcse(self.share_clusters[..., j]) for j in range(self.k_max)]
        return pd.DataFrame(
            {
                "p_components": p_components,
                "p_components_mcse": mcse_components,
                "p_clusters": p_clusters,
                "p_clusters_mcse": mcse_clusters,
            },
            index=pd.RangeIndex(1, self.k_max + 1, name="k"),
        )

    @property
    def per_chain(self) -> pd.DataFrame:
        """``p(K = k | y)`` from each chain separately (chains that agree have mixed).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``k``, one column per chain.

        Examples
        --------
        >>> from bayesgmm import load_galaxies, posterior_over_k
        >>> X = load_galaxies("richardson_green") / 1000
        >>> per_chain = posterior_over_k(X, random_state=0, progress=False).per_chain
        >>> per_chain.shape, bool((per_chain.loc[6] - per_chain.loc[6].mean()).abs().max() < 0.05)
        ((30, 4), True)
        """
        values = self.prob_components.mean(axis=1).T
        return pd.DataFrame(
            values,
            index=pd.RangeIndex(1, self.k_max + 1, name="k"),
            columns=pd.Index(range(values.shape[1]), name="chain"),
        )

    @cached_property
    def diagnostics(self) -> dict[str, float]:
        """Convergence of the chains: r_hat and bulk ESS of ``K`` and ``K+``.

        Returns
        -------
        dict
            ``r_hat_components``, ``ess_components``, ``r_hat_clusters``,
            ``ess_clusters`` (NaN for a series that never changes),
            ``max_mcse`` (largest Monte Carlo error in :attr:`table`),
            ``p_k_max`` (``p(K = k_max | y)``), ``alpha_acceptance`` and the
            acceptance rates of the split and merge moves (``split_acceptance``,
            ``merge_acceptance``) and jumps (``split_jump_acceptance``,
            ``merge_jump_acceptance``; NaN without proposals).

        Examples
        --------
        >>> from bayesgmm import load_galaxies, posterior_over_k
        >>> X = load_galaxies("richardson_green") / 1000
        >>> d = posterior_over_k(X, random_state=0, progress=False).diagnostics
        >>> d["r_hat_clusters"] <= 1.01, d["ess_clusters"] >= 400
        (True, True)
        """
        rhat_k, ess_k = _convergence(self.n_components.astype(float))
        rhat_plus, ess_plus = _convergence(self.n_clusters.astype(float))
        table = self.table
        mcse = table[["p_components_mcse", "p_clusters_mcse"]].to_numpy()
        return {
            "r_hat_components": rhat_k,
            "ess_components": ess_k,
            "r_hat_clusters": rhat_plus,
            "ess_clusters": ess_plus,
            "max_mcse": float(np.nanmax(mcse)) if np.isfinite(mcse).any() else float("nan"),
            "p_k_max": float(table["p_components"].iloc[-1]),
            "alpha_acceptance": float(self.settings.get("alpha_acceptance", float("nan"))),
            "split_acceptance": _acceptance(self.settings.get("splits")),
            "merge_acceptance": _acceptance(self.settings.get("merges")),
            "split_jump_acceptance": _acceptance(self.settings.get("split_jumps")),
            "merge_jump_acceptance": _acceptance(self.settings.get("merge_jumps")),
        }

    @property
    def problems(self) -> list[str]:
        """What makes the estimate unreliable, in words (empty when nothing does).

        Returns
        -------
        list of str

        Examples
        --------
        >>> import warnings
        >>> from bayesgmm import load_galaxies, posterior_over_k
        >>> X = load_galaxies("richardson_green") / 1000
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the same problems, as a SamplingWarning
        ...     short = posterior_over_k(
        ...         X, draws=20, thin=1, tune=0, max_doublings=0, random_state=0, progress=False
        ...     )
        >>> short.ok, short.problems[0][:12]
        (False, 'r_hat of K =')
        """
        d = self.diagnostics
        problems = []
        if self.settings.get("improper"):
            problems.append(self.settings["improper"])
        for label, key in (("K", "components"), ("K+", "clusters")):
            if d[f"r_hat_{key}"] > RHAT_MAX:
                problems.append(
                    f"r_hat of {label} = {d[f'r_hat_{key}']:.3f} > {RHAT_MAX}: the chains "
                    "disagree (run more draws, or see per_chain)"
                )
            if d[f"ess_{key}"] < ESS_MIN:
                problems.append(
                    f"bulk ESS of {label} = {d[f'ess_{key}']:.0f} < {ESS_MIN}: too few "
                    "independent draws (run more draws)"
                )
        if self.priors.truncated and d["p_k_max"] > UPPER_MASS_MAX:
            problems.append(
                f"p(K = k_max = {self.k_max} | y) = {d['p_k_max']:.3f} > {UPPER_MASS_MAX}: "
                "the prior's truncation at k_max shows; raise k_max"
            )
        return problems

    @property
    def ok(self) -> bool:
        """Whether the chains passed every check of :attr:`problems`."""
        return not self.problems

    @property
    def mode(self) -> int:
        """Most probable number of components ``K``."""
        return int(self.table["p_components"].idxmax())

    @property
    def mode_clusters(self) -> int:
        """Most probable number of clusters ``K+``."""
        return int(self.table["p_clusters"].idxmax())

    @property
    def mean(self) -> float:
        """Posterior mean of ``K``."""
        table = self.table
        return float((table.index.to_numpy() * table["p_components"]).sum())

    @property
    def mean_clusters(self) -> float:
        """Posterior mean of ``K+``."""
        table = self.table
        return float((table.index.to_numpy() * table["p_clusters"]).sum())

    def plot(self, ax: Any = None) -> Any:
        """Bars of ``p(K = k | y)`` and ``p(K+ = k | y)`` (two Monte Carlo SEs), and the prior.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw (a new figure when ``None``).

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from bayesgmm import load_galaxies, posterior_over_k
        >>> result = posterior_over_k(
        ...     load_galaxies() / 1000,
        ...     k_max=12,
        ...     draws=300,
        ...     tune=100,
        ...     random_state=0,
        ...     progress=False,
        ... )
        >>> len(result.plot().patches)
        24
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.6))
        table = self.table
        ks = table.index.to_numpy()
        shown = ks <= max(int(ks[table["p_components"] > 1e-3].max(initial=1)), 2)
        ks = ks[shown]
        width = 0.4
        ax.bar(
            ks - width / 2, table["p_components"].to_numpy()[shown], width,
            yerr=2 * np.nan_to_num(table["p_components_mcse"].to_numpy()[shown]),
            color="C0", edgecolor="black", label="$p(K = k \\mid y)$ components",
        )  # fmt: skip
        ax.bar(
            ks + width / 2, table["p_clusters"].to_numpy()[shown], width,
            yerr=2 * np.nan_to_num(table["p_clusters_mcse"].to_numpy()[shown]),
            color="C1", edgecolor="black", label="$p(K_+ = k \\mid y)$ clusters",
        )  # fmt: skip
        prior = np.exp(self.priors.log_prior_k)[: len(ks)]
        ax.step(ks, prior, where="mid", color="grey", linestyle="--", label="prior $p(K)$")
        ax.set_xticks(list(ks))
        ax.set_xlabel("k")
        ax.set_ylabel("probability")
        ax.set_title(f"Posterior over the number of components ({self.priors.name} priors)")
        ax.legend(frameon=False, fontsize="small")
        return ax

    def to_datatree(self) -> Any:
        """The draws as an ArviZ DataTree.

        Group ``posterior``: ``K``, ``K_plus``, ``alpha`` (dims ``chain``, ``draw``) and
        ``p_K``, ``p_K_plus`` (also ``k``), the per-draw probabilities.

        Returns
        -------
        xarray.DataTree

        Examples
        --------
        >>> from bayesgmm import load_galaxies, posterior_over_k
        >>> X = load_galaxies("richardson_green") / 1000
        >>> tree = posterior_over_k(X, random_state=0, progress=False).to_datatree()
        >>> dict(tree["posterior"]["p_K"].sizes)
        {'chain': 4, 'draw': 2000, 'k': 30}
        """
        import xarray as xr

        chains, draws = self.n_components.shape
        coords = {
            "chain": np.arange(chains),
            "draw": np.arange(draws),
            "k": np.arange(1, self.k_max + 1),
        }
        posterior = xr.Dataset(
            {
                "K": (("chain", "draw"), self.n_components),
                "K_plus": (("chain", "draw"), self.n_clusters),
                "alpha": (("chain", "draw"), self.alpha),
                "p_K": (("chain", "draw", "k"), self.prob_components),
                "p_K_plus": (("chain", "draw", "k"), self.share_clusters),
            },
            coords=coords,
            attrs={"priors": self.priors.describe(), "sampler": "telescoping"},
        )
        return xr.DataTree.from_dict({"posterior": posterior})

    def _summary_line(self) -> str:
        chains, draws = self.n_components.shape
        sweeps = self.settings.get("tune", 0) + draws * self.settings.get("thin", 1)
        width = self.rounding
        rounded = (
            f", features rounded to {', '.join(f'{w:g}' for w in width)}"
            if np.any(width > 0)
            else ""
        )
        kinds = [
            name
            for name, key in (("split-merge moves", "split_merge"), ("jumps", "jumps"))
            if self.settings.get(key)
        ]
        moves = f" with {' and '.join(kinds)}" if kinds else ""
        return (
            f"Posterior over K ({self.priors.describe()}), telescoping sampler{moves}, {chains} "
            f"chains x {sweeps} sweeps{rounded}, {self.elapsed:.2f} s: mode K = {self.mode} "
            f"(mean {self.mean:.2f}), mode K+ = {self.mode_clusters} "
            f"(mean {self.mean_clusters:.2f})"
        )

    def _shown(self) -> pd.DataFrame:
        table = self.table
        keep = (table["p_components"] >= 5e-4) | (table["p_clusters"] >= 5e-4)
        return table[keep]

    def __str__(self) -> str:
        problems = "".join(f"\nProblem: {p}" for p in self.problems)
        body = self._shown().to_string(float_format=lambda v: f"{v:.4f}")
        return self._summary_line() + "\n" + body + problems

    def _repr_html_(self) -> str:
        problems = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems)
        return (
            f"<p>{html.escape(self._summary_line())}</p>"
            + self._shown().to_html(float_format=lambda v: f"{v:.4f}")
            + (f"<p><b>Problems</b></p><ul>{problems}</ul>" if problems else "")
        )
