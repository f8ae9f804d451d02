"""One table of the evidence for the number of components and the covariance model.

:class:`EvidenceTable` puts side by side, per candidate model (K, covariance type):

- BIC and ICL (from :func:`bayesgmm.select_model`; lower is better);
- the bootstrap likelihood-ratio tests of K against K + 1 and of K - 1 against K
  (:func:`bayesgmm.selection.bootstrap_lrt.sequential_lrt`);
- PSIS-LOO: ELPD, its standard error, the difference to the best model in standard
  errors and the stacking weight (:func:`bayesgmm.selection.loo_comparison.compare_loo`);
- posterior predictive checks: the smallest two-sided p-value and the statistics that
  fail (:func:`bayesgmm.bayes.ppc.posterior_predictive_check`);
- the posterior probability that exactly K components are occupied, from an
  overfitted mixture (:func:`bayesgmm.bayes.overfitted.fit_sparse_mixture`);
- the posterior of the number of components and of clusters under a prior on K
  (:func:`bayesgmm.posterior_over_k`): ``p(K = k | y)`` and ``p(K+ = k | y)``;

and recommends a model, with the reasons. Every source is optional:
:func:`bayesgmm.collect_evidence` runs them all, or build the table from results you already
have with :meth:`EvidenceTable.from_results`.

The recommendation rule
-----------------------
(:func:`bayesgmm.selection.recommendation.recommend`; ``rule="loo"`` of
:meth:`EvidenceTable.from_results` skips step 2, for comparisons.)

0. Only sound evidence counts. EM fits with a degenerate component (a collapsed
   component, or one with fewer effective samples than its parameters) are not
   candidates while a sound fit exists. A Bayesian fit's evidence (its PSIS-LOO
   ELPD and its posterior predictive check) counts only if the fit passed its
   diagnostics (r_hat, bulk and tail ESS, no divergences; for LOO also no Pareto k
   above the threshold); otherwise its row is shown with ``bayes_ok`` False and the
   reason in ``bayes_diagnostics``, and it neither votes nor serves as the LOO
   reference. The same holds for the overfitted mixture. When no Bayesian fit is
   usable the recommendation falls back to BIC and says so.
1. Candidates whose posterior predictive check fails (some statistic with two-sided
   p-value below ``ppc_alpha``, 0.01 by default: about ten statistics are tested, so
   0.05 would flag adequate models too often) are set aside, unless all fail.
2. The posterior over K chooses K: when it is given, passed its checks (``ok``),
   its most probable number of clusters K+ is below its own ``k_max`` (not at the
   edge of its range) and the grid has a sound fit with that K, K = K+. The
   covariance structure at that K is chosen by PSIS-LOO among the usable Bayesian
   fits at that K (the simplest within ``loo_se`` standard errors of the best ELPD
   there), else by the lowest BIC among the grid's sound fits at that K. Otherwise
   the posterior over K does not vote (the reasons say why) and steps 3-4 apply.
3. With LOO results, the remaining candidates within ``loo_se`` (2) standard errors
   of the best ELPD are indistinguishable in predictive accuracy; among them the
   one with the fewest parameters is recommended (ties: lower BIC).
4. Without LOO, the best BIC among the remaining candidates.
5. No answer from the edge of the range: when the source that decided had its best
   model at the largest K it tried (BIC: the largest K of the grid for that
   structure; PSIS-LOO: the largest K compared), a larger K was never weighed, and
   the recommendation reads "at least K" (``recommendation["at_least"]``).
   :func:`bayesgmm.collect_evidence` extends the range first (doubling K_max, up
   to a cap, :mod:`bayesgmm.selection.range_extension`), so this remains only where the cap or the
   data stop it; the reasons say which.
The first sentence of the reasons names the source that decided. The bootstrap LRT,
ICL and the occupied-components posterior never vote, nor does the posterior over K
when it may not choose; they are reported as agreeing or disagreeing with the
recommendation (the posterior over K agrees when its K+ is the recommended K), so
disagreement is visible rather than averaged away.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayesgmm.core.display import format_table
from bayesgmm.covariance import get_covariance_model
from bayesgmm.mfm.result import KPosterior
from bayesgmm.selection.model_selection import ModelSelection, candidate_names
from bayesgmm.selection.recommendation import RULES, k_posterior_vote, recommend

__all__ = ["EvidenceTable"]

#: a posterior predictive check fails below this two-sided p-value
PPC_ALPHA = 0.01
#: LOO differences smaller than this many standard errors are not decisive
LOO_SE = 2.0


def _lrt_tables(lrt: Any) -> dict[str, pd.DataFrame]:
    """Sequential LRT result(s) -> {covariance_type: table with k0, k1, p_value}."""
    if lrt is None:
        return {}
    results = lrt if isinstance(lrt, list | tuple) else [lrt]
    tables: dict[str, pd.DataFrame] = {}
    for result in results:
        tests = getattr(result, "tests", None)
        if tests is None:  # a single BootstrapLRTResult
            tests = [result]
        for test in tests:
            row = {"k0": test.k0, "k1": test.k1, "p_value": test.p_value}
            cov = get_covariance_model(test.covariance_type).name
            tables.setdefault(cov, pd.DataFrame(columns=["k0", "k1", "p_value"]))
            tables[cov] = pd.concat([tables[cov], pd.DataFrame([row])], ignore_index=True)
    return tables


@dataclass
class EvidenceTable:
    """The evidence for each candidate model, and a recommendation with reasons.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate (index ``"K=3 tied"``); columns ``n_components``,
        ``covariance_type``, ``n_parameters`` (with a noise component, then
        ``noise_proportion``), ``bic``, ``delta_bic``, ``icl``,
        ``delta_icl``, ``em_degenerate`` and, when given, ``bayes_ok`` and
        ``bayes_diagnostics`` (whether the Bayesian fit passed its diagnostics, and
        what failed), ``lrt_p_vs_more`` (p-value of K against
        K + 1: small means K is not enough), ``lrt_p_vs_fewer`` (K - 1 against K:
        small means K - 1 is not enough), ``elpd``, ``elpd_se``, ``loo_se_behind``
        (standard errors of the paired difference behind the best ELPD among the
        fits that passed their diagnostics), ``loo_weight``,
        ``n_high_pareto_k``, ``ppc_min_p``, ``ppc_failed`` (statistics with p below
        ``ppc_alpha``), ``p_occupied`` (``P(K_+ = K | data)`` of the overfitted
        mixture) and ``p_k``, ``p_k_clusters`` (``p(K = k | y)`` and
        ``p(K+ = k | y)`` of :func:`bayesgmm.posterior_over_k`, at the row's K).
    recommendation : dict
        ``n_components``, ``covariance_type`` and ``name`` of the recommended model
        (``name`` is its row of :attr:`table`), ``source`` (what decided: see the
        rule), ``at_least`` (True when that source's best had the largest K it
        tried, so K is a lower bound) and ``label`` (``"at least K=6 (K=6 full)"``
        then, else the name).
    reasons : list of str
        What each source of evidence says, in words.
    ppc_alpha, loo_se : float
        Thresholds of the rule (see the module documentation).
    k_posterior : KPosterior or None
        The posterior over the number of components, when given (its whole table;
        :func:`bayesgmm.build_report` shows it).
    extension : RangeExtension or None
        How the range of K was extended (:mod:`bayesgmm.selection.range_extension`), when it was.
    skipped : dict of str to str
        Steps of :func:`bayesgmm.collect_evidence` that did not run, with the reason
        (for example the bootstrap LRT on 100,000 rows); printed after the reasons.

    Examples
    --------
    >>> from bayesgmm import load_faithful, select_model
    >>> table = EvidenceTable.from_results(select_model(load_faithful(), range(1, 5)))
    >>> table.recommendation["name"]
    'K=3 tied'
    """

    table: pd.DataFrame
    recommendation: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    ppc_alpha: float = PPC_ALPHA
    loo_se: float = LOO_SE
    k_posterior: KPosterior | None = field(default=None, repr=False)
    extension: Any = field(default=None, repr=False)
    skipped: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_results(
        cls,
        selection: ModelSelection,
        *,
        lrt: Any = None,
        loo: Any = None,
        ppc: Mapping[str, Any] | None = None,
        sparse: Any = None,
        k_posterior: Any = None,
        n_candidates: int = 3,
        ppc_alpha: float = PPC_ALPHA,
        loo_se: float = LOO_SE,
        extension: Any = None,
        rule: str = "k_posterior",
    ) -> EvidenceTable:
        """Gather results already computed into one table and recommend a model.

        Parameters
        ----------
        selection : ModelSelection
            The EM grid (:func:`bayesgmm.select_model`).
        lrt : SequentialLRTResult, BootstrapLRTResult or list of them, default=None
            Bootstrap likelihood-ratio tests.
        loo : LOOComparison, default=None
            PSIS-LOO comparison (:func:`bayesgmm.selection.loo_comparison.compare_loo`).
        ppc : dict of str to PPCResult, default=None
            Posterior predictive checks keyed by candidate name (``"K=3 tied"``).
        sparse : SparseMixtureResult, default=None
            Posterior over the number of occupied components.
        k_posterior : KPosterior, default=None
            Posterior over the number of components (:func:`bayesgmm.posterior_over_k`).
        n_candidates : int, default=3
            Best BIC models shown (models named by ``loo`` or ``ppc`` are added).
        ppc_alpha : float, default=0.01
            A check fails when a statistic's two-sided p-value is below this.
        loo_se : float, default=2.0
            ELPD differences within this many standard errors are not decisive.
        extension : RangeExtension, default=None
            How the range was extended (:func:`bayesgmm.selection.range_extension.extend_grid`); its
            steps and remaining edges join the reasons.
        rule : {"k_posterior", "loo"}, default="k_posterior"
            The recommendation rule (:mod:`bayesgmm.selection.recommendation`): ``"loo"``
            leaves the posterior over K out of the choice (it is still reported).

        Returns
        -------
        EvidenceTable

        Examples
        --------
        >>> from bayesgmm import load_faithful, select_model
        >>> from bayesgmm.selection.bootstrap_lrt import bootstrap_lrt
        >>> X = load_faithful()
        >>> lrt = bootstrap_lrt(X, 2, 3, "tied", n_boot=9, n_init=1)
        >>> evidence = EvidenceTable.from_results(select_model(X, range(1, 5)), lrt=lrt)
        >>> float(evidence.table.loc["K=3 tied", "lrt_p_vs_fewer"])  # 1 / (9 + 1)
        0.1
        """
        if not isinstance(selection, ModelSelection):
            raise TypeError(
                "selection must be the ModelSelection returned by bayesgmm.select_model; "
                f"got {type(selection).__name__}."
            )
        if k_posterior is not None and not isinstance(k_posterior, KPosterior):
            raise TypeError(
                "k_posterior must be the KPosterior returned by bayesgmm.posterior_over_k; "
                f"got {type(k_posterior).__name__}."
            )
        if not 0 < ppc_alpha < 1:
            raise ValueError(f"ppc_alpha must be in (0, 1); got {ppc_alpha!r}.")
        if not loo_se > 0:
            raise ValueError(f"loo_se must be positive; got {loo_se!r}.")
        if rule not in RULES:
            raise ValueError(f"rule must be one of {list(RULES)}; got {rule!r}.")
        grid = selection.table.copy()
        grid.index = candidate_names(grid)
        if "degenerate" not in grid:
            grid["degenerate"] = False
        sound = grid[~grid["degenerate"].astype(bool)]
        if sound.empty:
            sound = grid
        names = candidate_names(sound.head(n_candidates))
        k_vote, k_why_not = k_posterior_vote(k_posterior, sound)
        if k_vote is not None and rule == "k_posterior":  # the grid's best fit at that K
            at_k = sound[sound.n_components == k_vote]
            names.extend(name for name in at_k.index[:1] if name not in names)
        loo_table = loo.table if loo is not None else None
        extra = list(loo_table.index) if loo_table is not None else []
        extra += list(ppc or {})
        for name in extra:
            if name not in grid.index:
                raise ValueError(
                    f"candidate {name!r} (from loo/ppc) is not in the EM grid; fit the grid "
                    "over its K and covariance type too."
                )
            if name not in names:
                names.append(name)
        rows = grid.loc[names]
        frame = pd.DataFrame(
            {
                "n_components": rows.n_components.astype(int),
                "covariance_type": rows.covariance_type,
                "n_parameters": rows.n_parameters.astype(int),
                "bic": rows.bic,
                "delta_bic": rows.bic - sound.bic.min(),
                "icl": rows.icl,
                "delta_icl": rows.icl - sound.icl.min(),
                "em_degenerate": rows["degenerate"].astype(bool),
            },
            index=pd.Index(names, name="model"),
        )
        reasons = cls._grid_reasons(grid, sound)
        if selection.noise_only is not None:  # every model has a uniform noise component
            frame.insert(
                3,
                "noise_proportion",
                [
                    selection.estimators[(int(k), cov)].noise_proportion_
                    for k, cov in zip(frame.n_components, frame.covariance_type, strict=True)
                ],
            )
            best = grid.iloc[0]
            reasons.append(
                f"Every model has a uniform noise component (V = "
                f"{selection.settings['hypervolume']:.4g}); the best holds "
                f"{frame.noise_proportion.iloc[0]:.1%} of the rows as noise. Noise alone "
                f"(K = 0): BIC {selection.noise_only['bic']:.1f} against {best.bic:.1f}."
            )
        tables = _lrt_tables(lrt)
        if tables:
            frame["lrt_p_vs_more"] = np.nan
            frame["lrt_p_vs_fewer"] = np.nan
            for name, row in frame.iterrows():
                table = tables.get(row.covariance_type)
                if table is None:
                    continue
                k = row.n_components
                more = table[table.k0 == k]
                fewer = table[table.k1 == k]
                if len(more):
                    frame.loc[name, "lrt_p_vs_more"] = float(more.p_value.iloc[0])
                if len(fewer):
                    frame.loc[name, "lrt_p_vs_fewer"] = float(fewer.p_value.iloc[0])
            for result in lrt if isinstance(lrt, list | tuple) else [lrt]:
                if hasattr(result, "selected_k"):
                    cov = result.tests[0].covariance_type if result.tests else "?"
                    reasons.append(
                        f"Bootstrap LRT ({cov}, alpha={result.alpha:g}): K = "
                        f"{result.selected_k} (first K not rejected against K + 1)."
                    )
        if loo_table is not None:
            reasons.extend(cls._add_loo(frame, loo, loo_se))
        if ppc:
            frame["ppc_min_p"] = np.nan
            frame["ppc_failed"] = ""
            for name, result in ppc.items():
                table = result.table
                failed = table.index[table["p_two_sided"] < ppc_alpha].tolist()
                frame.loc[name, "ppc_min_p"] = float(table["p_two_sided"].min())
                frame.loc[name, "ppc_failed"] = ", ".join(map(str, failed))
                if failed and not _usable(frame, name):
                    reasons.append(
                        f"Posterior predictive check of {name} not used: its fit failed "
                        "its diagnostics."
                    )
                elif failed:
                    reasons.append(
                        f"Posterior predictive check fails for {name}: "
                        f"{', '.join(map(str, failed))} (p < {ppc_alpha:g})."
                    )
        if sparse is not None:
            probability = sparse.table["probability"]
            frame["p_occupied"] = [float(probability.get(k, 0.0)) for k in frame.n_components]
            mode = int(probability.idxmax())
            problems = list(getattr(sparse, "problems", []))
            if problems:
                reasons.append(
                    f"Overfitted mixture ({sparse.max_components} components) not used: its "
                    f"fit failed its diagnostics ({'; '.join(problems)}); its P(K+ = k) "
                    "column is shown for reference only."
                )
                sparse = None
            else:
                reasons.append(
                    f"Overfitted mixture ({sparse.max_components} components): "
                    f"P(K+ = {mode} | data) = {probability.max():.2f} is the largest."
                )
        k_usable = None
        if k_posterior is not None:
            reason, k_usable = cls._add_k_posterior(frame, k_posterior)
            if k_vote is None and k_usable is not None:
                reason += f" It does not choose K: {k_why_not}."
            reasons.append(reason)
        usable = pd.Series([_usable(frame, name) for name in frame.index], index=frame.index)
        recommended, why, source = recommend(
            frame,
            usable,
            k_vote=k_vote,
            ppc_alpha=ppc_alpha,
            loo_se=loo_se,
            rule=rule,
        )
        reasons.insert(0, why)
        reasons.extend(cls._agreement(frame, recommended, sound, tables, sparse, k_usable))
        if extension is not None:
            reasons.extend(extension.reasons())
        k = int(frame.loc[recommended, "n_components"])
        edge = _decided_at_edge(frame, usable, grid, recommended, source, loo_se)
        if edge:
            reasons.append(f"At least K = {k}: {edge}; a larger K was not weighed.")
        recommendation = {
            "name": recommended,
            "n_components": k,
            "covariance_type": str(frame.loc[recommended, "covariance_type"]),
            "source": source,
            "at_least": bool(edge),
            "label": f"at least K={k} ({recommended})" if edge else recommended,
        }
        return cls(frame, recommendation, reasons, ppc_alpha, loo_se, k_posterior, extension)

    @property
    def frame(self) -> pd.DataFrame:
        """The same as :attr:`table` (the former name).

        Returns
        -------
        pandas.DataFrame
        """
        return self.table

    @staticmethod
    def _add_loo(frame: pd.DataFrame, loo: Any, loo_se: float) -> list[str]:
        """LOO columns and reasons (:func:`_loo_columns`)."""
        return _loo_columns(frame, loo, loo_se)

    @staticmethod
    def _grid_reasons(grid: pd.DataFrame, sound: pd.DataFrame) -> list[str]:
        by_bic = sound.sort_values("bic", kind="stable")
        by_icl = sound.sort_values("icl", kind="stable")
        reasons = [
            f"BIC: best {by_bic.index[0]}"
            + (
                f", {by_bic.bic.iloc[1] - by_bic.bic.iloc[0]:.1f} ahead of {by_bic.index[1]}."
                if len(by_bic) > 1
                else "."
            ),
            f"ICL: best {by_icl.index[0]}.",
        ]
        degenerate = grid.index[grid["degenerate"].astype(bool)].tolist()
        if degenerate and len(sound) < len(grid):
            reasons.append(
                f"Degenerate EM fits, not candidates: {', '.join(degenerate[:6])}"
                f"{' ...' if len(degenerate) > 6 else ''} (a collapsed component or one "
                "with fewer effective samples than its parameters)."
            )
        return reasons

    def loo_edge(self) -> dict[str, Any] | None:
        """The PSIS-LOO best usable fit, when it has the largest K compared and leads.

        A best fit at the largest K compared that is within ``loo_se`` standard
        errors of a usable fit with fewer components is no edge: the rule would not
        choose it, and its lead is noise (on Old Faithful the ELPD of tied models
        creeps up by 0.5-1 per K, within 1-2 se, K after K; each further K would be
        another Bayesian fit).

        Returns
        -------
        dict or None
            ``name``, ``n_components``, ``covariance_type`` of the LOO-best fit that
            may be used and ``largest_k`` (the largest K compared), or ``None`` when
            there is no usable LOO result or the best is not a decisive edge.

        Examples
        --------
        >>> from bayesgmm import load_faithful, select_model
        >>> EvidenceTable.from_results(select_model(load_faithful(), range(1, 5))).loo_edge()
        """
        return _loo_edge(self.table, self._usable_rows(), self.loo_se)

    def _usable_rows(self) -> pd.Series:
        frame = self.table
        return pd.Series([_usable(frame, name) for name in frame.index], index=frame.index)

    @staticmethod
    def _add_k_posterior(frame: pd.DataFrame, result: Any) -> tuple[str, Any]:
        """Columns ``p_k``, ``p_k_clusters``; the reason; the result if it may agree."""
        table = result.table
        frame["p_k"] = [float(table["p_components"].get(k, 0.0)) for k in frame.n_components]
        frame["p_k_clusters"] = [float(table["p_clusters"].get(k, 0.0)) for k in frame.n_components]
        clusters = int(table["p_clusters"].idxmax())
        summary = (
            f"Posterior over K ({result.priors.name} priors, "
            f"{result.priors.covariance_type} covariances): most "
            f"probable number of clusters K+ = {clusters} "
            f"(p = {table['p_clusters'].max():.2f}), of components K = {result.mode} "
            f"(p = {table['p_components'].max():.2f})"
        )
        if result.problems:
            return (
                summary + f"; not used: it failed its checks ({'; '.join(result.problems)}).",
                None,
            )
        return summary + ".", result

    @staticmethod
    def _agreement(
        frame: pd.DataFrame,
        recommended: str,
        grid: pd.DataFrame,
        tables: dict[str, pd.DataFrame],
        sparse: Any,
        k_posterior: Any = None,
    ) -> list[str]:
        k = int(frame.loc[recommended, "n_components"])
        grid = grid if len(grid) else frame
        agree: list[str] = []
        disagree: list[str] = []
        (agree if grid.bic.idxmin() == recommended else disagree).append("BIC")
        (agree if grid.icl.idxmin() == recommended else disagree).append("ICL")
        cov = frame.loc[recommended, "covariance_type"]
        if cov in tables:
            table = tables[cov]
            rejected = table[table.p_value <= 0.05]
            kept = table[table.p_value > 0.05]
            lrt_k = int(kept.k0.min()) if len(kept) else int(rejected.k1.max())
            (agree if lrt_k == k else disagree).append("bootstrap LRT")
        if sparse is not None:
            mode = int(sparse.table["probability"].idxmax())
            (agree if mode == k else disagree).append("occupied-components posterior")
        if k_posterior is not None:
            (agree if k_posterior.mode_clusters == k else disagree).append("posterior over K")
        out = []
        if agree:
            out.append(f"Agree with {recommended}: {', '.join(agree)}.")
        if disagree:
            out.append(f"Disagree: {', '.join(disagree)} (see their rows).")
        return out

    def _label(self) -> str:
        return str(self.recommendation.get("label", self.recommendation["name"]))

    def to_frame(self) -> pd.DataFrame:
        """The evidence as a DataFrame, the recommended row marked.

        Returns
        -------
        pandas.DataFrame
            :attr:`table` with a boolean ``recommended`` column.

        Examples
        --------
        >>> from bayesgmm import load_faithful, select_model
        >>> evidence = EvidenceTable.from_results(select_model(load_faithful(), [2, 3, 4]))
        >>> evidence.to_frame()["recommended"].sum()
        np.int64(1)
        """
        out = self.table.copy()
        out["recommended"] = out.index == self.recommendation["name"]
        return out

    def __str__(self) -> str:
        head = f"Evidence for the number of components: recommended {self._label()}"
        body = format_table(self.to_frame())
        lines = [f"- {r}" for r in self.reasons] + self._not_run()
        return head + "\n" + body + "\n" + "\n".join(lines)

    def _not_run(self) -> list[str]:
        return [f"- not run: {step} ({why})" for step, why in self.skipped.items()]

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        frame["recommended"] = np.where(frame["recommended"], "\u2714", "")
        table = frame.to_html(float_format=lambda v: f"{v:.3g}", na_rep="")
        lines = [f"- {r}" for r in self.reasons] + self._not_run()
        reasons = "".join(f"<li>{html.escape(line[2:])}</li>" for line in lines)
        return (
            f"<p><b>Evidence for the number of components</b>: recommended "
            f"{html.escape(self._label())}</p>" + table + f"<ul>{reasons}</ul>"
        )


def _loo_columns(frame: pd.DataFrame, loo: Any, loo_se: float) -> list[str]:
    """LOO columns; differences to the best fit with passed diagnostics and reliable LOO.

    A fit that failed its sampler diagnostics (``bayes_ok`` False) is a failed fit:
    none of its Bayesian evidence is used. A fit that passed them but kept
    observations with Pareto k > 0.7 that were not repaired by exact refits
    (``loo_state`` "unreliable: ...") is not a failed fit, but its ELPD is left
    out of the LOO vote (``elpd`` NaN in ``frame``, the PSIS value in ``loo_state``):
    PSIS is usually optimistic for such points, which favours the more flexible
    model, and a model with more such points than the refit cap is typically
    misspecified there.
    """
    loo_table = loo.table
    frame["elpd"] = loo_table["elpd"].reindex(frame.index)
    frame["elpd_se"] = loo_table["se"].reindex(frame.index)
    frame["loo_weight"] = loo_table["weight"].reindex(frame.index)
    frame["n_high_pareto_k"] = loo_table["n_high_pareto_k"].reindex(frame.index)
    high = loo_table["n_high_pareto_k"]
    if "diagnostics_ok" in loo_table:
        ok = loo_table["diagnostics_ok"].astype(bool)
        why = loo_table["diagnostics"]
    else:  # a comparison built elsewhere: no sampler diagnostics to go by
        ok = pd.Series(True, index=loo_table.index)
        why = pd.Series("not given", index=loo_table.index)
    if "loo_ok" in loo_table:
        loo_ok = loo_table["loo_ok"].astype(bool)
        state = loo_table["loo_state"]
    else:
        loo_ok = high == 0
        state = pd.Series(
            [f"unreliable: {n} Pareto k > 0.7" if n else "ok" for n in high],
            index=loo_table.index,
        )
    frame["bayes_ok"] = ok.reindex(frame.index).astype(object)
    frame["bayes_diagnostics"] = why.reindex(frame.index)
    shown = state.copy()
    unreliable = [name for name in loo_table.index if ok[name] and not loo_ok[name]]
    for name in unreliable:
        shown[name] = f"{state[name]} (PSIS elpd {loo_table.loc[name, 'elpd']:.1f}, not used)"
        if name in frame.index:
            frame.loc[name, "elpd"] = np.nan
    frame["loo_state"] = shown.reindex(frame.index)
    usable = [name for name in loo_table.index if ok[name] and loo_ok[name]]
    failed = [name for name in loo_table.index if not ok[name]]
    repaired = [name for name in usable if str(state[name]).startswith("repaired")]
    reasons = []
    if failed:
        reasons.append(
            "Not used as evidence (Bayesian fit failed its sampler diagnostics): "
            + "; ".join(f"{name}: {why[name]}" for name in failed)
            + "."
        )
    if repaired:
        reasons.append(
            "PSIS-LOO repaired by exact leave-one-out refits where Pareto k > 0.7: "
            + "; ".join(f"{name}: {state[name]}" for name in repaired)
            + "."
        )
    if unreliable:
        reasons.append(
            "Left out of the LOO vote (sampler diagnostics passed, but LOO unreliable: "
            "observations with Pareto k > 0.7 not repaired, where PSIS is usually "
            "optimistic; raise compare_loo's reloo cap to repair them): "
            + "; ".join(f"{name}: {state[name]}" for name in unreliable)
            + "."
        )
    frame["loo_se_behind"] = np.nan
    if not usable:
        reasons.append(
            "PSIS-LOO: no fit passed its diagnostics with a reliable LOO, so no LOO vote."
        )
        return reasons
    best = max(usable, key=lambda name: loo_table.loc[name, "elpd"])
    close = []
    for name in usable:
        if name == best:
            behind = 0.0
        elif hasattr(loo, "difference"):
            diff, se = loo.difference(name, best)
            behind = diff / se if se > 0 else 0.0
        else:  # only the table: standard errors behind its own best
            behind = float(loo_table.loc[name, "z_diff"] - loo_table.loc[best, "z_diff"])
        if name != best and behind < loo_se:
            close.append(name)
        if name in frame.index:
            frame.loc[name, "loo_se_behind"] = behind
    reasons.append(
        f"PSIS-LOO (fits that passed their diagnostics, LOO reliable): best ELPD {best} "
        f"({loo_table.loc[best, 'elpd']:.1f} +- {loo_table.loc[best, 'se']:.1f}); "
        + (
            f"within {loo_se:g} se: {', '.join(close)}."
            if close
            else f"every other usable candidate is more than {loo_se:g} se behind."
            if len(usable) > 1
            else "the only usable one."
        )
    )
    return reasons


def _usable(frame: pd.DataFrame, name: str) -> bool:
    """Whether row ``name``'s Bayesian evidence may be used (its fit passed its sampler checks).

    The sampler diagnostics are the ``bayes_ok`` column. LOO reliability is a
    separate state (``loo_state``): a fit whose LOO kept unrepaired high Pareto k
    points is still usable (its predictive checks count), but :func:`_loo_columns` leaves
    its ELPD out of the LOO vote.
    """
    if "bayes_ok" not in frame:
        return True
    value = frame.loc[name, "bayes_ok"]
    return bool(value) if not pd.isna(value) else True


def _loo_edge(frame: pd.DataFrame, usable: pd.Series, loo_se: float) -> dict[str, Any] | None:
    """The LOO-best usable row when it has the largest K compared and leads, else None."""
    if "elpd" not in frame:
        return None
    compared = frame[frame["elpd"].notna()]
    ok = [name for name in compared.index if usable.get(name, True)]
    if not ok:
        return None
    best = compared.loc[ok, "elpd"].idxmax()
    k, largest = int(compared.loc[best, "n_components"]), int(compared.n_components.max())
    if k < largest:
        return None
    if "loo_se_behind" in compared:
        behind = compared["loo_se_behind"] - compared.loc[best, "loo_se_behind"]
        fewer = [n for n in ok if compared.loc[n, "n_components"] < k and behind[n] < loo_se]
        if fewer:  # a smaller K is as good within the noise: the rule would not pick k
            return None
    return {
        "name": str(best),
        "n_components": k,
        "covariance_type": str(compared.loc[best, "covariance_type"]),
        "largest_k": largest,
    }


def _decided_at_edge(
    frame: pd.DataFrame,
    usable: pd.Series,
    grid: pd.DataFrame,
    recommended: str,
    source: str,
    loo_se: float,
) -> str:
    """Why the deciding source's answer is a lower bound ("" when it is not)."""
    if source.startswith("posterior over K"):
        return ""  # it votes only when its mode is inside its own range
    if source == "PSIS-LOO":
        edge = _loo_edge(frame, usable, loo_se)
        if edge is None:
            return ""
        return f"PSIS-LOO's best, {edge['name']}, has the largest K compared ({edge['largest_k']})"
    cov = frame.loc[recommended, "covariance_type"]
    k = int(frame.loc[recommended, "n_components"])
    tried = grid.n_components[grid.covariance_type == cov]
    if tried.nunique() < 2 or k < int(tried.max()):
        return ""
    return f"{recommended} has the largest K the grid tried for {cov}"
