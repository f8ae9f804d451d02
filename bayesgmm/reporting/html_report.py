"""Self-contained HTML reports of a mixture analysis.

:func:`build_report` (also available as :func:`report`) gathers what an analysis
produced into one HTML page: a summary of the data, the BIC/ICL tables of an EM grid
(:func:`bayesgmm.select_model`) with the criterion curves, the evidence table for the
number of components (:class:`bayesgmm.EvidenceTable`) with its recommendation and
reasons, the parameters of the chosen model (EM estimates, or the posterior summary
with 94% HDIs, R-hat and effective sample sizes and a pass/fail table of sampling
diagnostics), and the figures: clusters with covariance ellipses (two or more
features) or the density over a histogram (one feature), trace plots of the
posterior, and the co-clustering heatmap.

The page needs nothing else: figures are PNG images embedded as ``data:`` URIs, the
CSS is inline, there is no JavaScript and no link to another site, so the file can be
mailed, archived or opened offline. Every piece of text (titles, feature names,
reasons) is HTML-escaped. The :class:`Report` shows as rich HTML in Jupyter and is
written with :meth:`Report.save`, atomically.

Sections appear only when their input is given; see :func:`build_report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.fitted_mixture import FittedMixtureLike
from bayesgmm.core.validation import validate_data
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.mfm.result import KPosterior
from bayesgmm.reporting.html import (
    Formatter,
    Report,
    Section,
    bullet_list,
    data_section,
    fixed,
    format_number,
    html_figure,
    html_table,
    integer,
    new_figure,
    paragraph,
)
from bayesgmm.selection.evidence import EvidenceTable
from bayesgmm.selection.model_selection import ModelSelection
from bayesgmm.selection.pipeline import chosen_estimator

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bayesgmm.bayes.estimator import BayesianGaussianMixture

__all__ = ["Report", "Section", "build_report", "report"]

#: largest number of observations for which the co-clustering heatmap is drawn
MAX_COCLUSTERING_SAMPLES = 2000
#: posterior draws averaged for the co-clustering matrix and drawn as ellipses
_COCLUSTERING_DRAWS = 200
_ELLIPSE_DRAWS = 40
#: pairs of features drawn in the cluster plots (the most informative ones)
_N_PAIRS = 3
#: candidates listed under the BIC/ICL matrices
_N_CANDIDATES = 5


# ---------------------------------------------------------------------- models
def _feature_labels(
    model: FittedMixtureLike | None, names: NDArray[np.object_] | None, n_features: int
) -> list[str]:
    model_names = getattr(model, "feature_names_in_", None)
    if model_names is not None:
        return [str(name) for name in model_names]
    if names is not None:
        return [str(name) for name in names]
    return [f"x{j}" for j in range(n_features)]


# ---------------------------------------------------------------------- sections
def _selection_section(selection: ModelSelection) -> Section:
    table = selection.table
    best = selection.best_params_
    mclust = dict(zip(table.covariance_type, table.mclust_name, strict=True))
    ks = sorted(int(k) for k in table.n_components.unique())
    covs = list(dict.fromkeys(table.covariance_type))
    parts = [
        paragraph(
            f"EM fits of {len(table)} models (K = {', '.join(map(str, ks))}; covariance "
            f"types {', '.join(covs)}), ranked by {selection.criterion.upper()}. Lower is "
            "better for BIC and ICL here; mclust reports the negatives (higher is better)."
        ),
        paragraph(
            f"Best by {selection.criterion.upper()}: K={best['n_components']}, "
            f"covariance_type={best['covariance_type']!r} "
            f"(mclust {mclust[best['covariance_type']]}).",
            "callout",
        ),
    ]
    for criterion in ("bic", "icl"):
        matrix = selection.matrix(criterion)
        lowest = matrix.stack().idxmin()
        matrix.columns = [f"{cov} ({mclust[cov]})" for cov in matrix.columns]
        matrix.index.name = "K"
        target = (lowest[0], f"{lowest[1]} ({mclust[lowest[1]]})")

        def mark(row: Any, column: Any, value: Any, target: tuple = target) -> str | None:
            return "best" if (row, column) == target else None

        parts.append(
            html_table(
                matrix,
                caption=f"{criterion.upper()} (lower is better; lowest in bold)",
                formats=dict.fromkeys(matrix.columns, fixed(2)),
                cell_class=mark,
            )
        )
    top = selection.candidates(min(_N_CANDIDATES, len(table)))
    columns = [
        "n_components",
        "covariance_type",
        "mclust_name",
        "n_parameters",
        "log_likelihood",
        "bic",
        "icl",
        "delta",
        "converged",
    ]
    if "warnings" in top and top["warnings"].astype(str).str.len().gt(0).any():
        columns.append("warnings")
    top = top[[c for c in columns if c in top.columns]].copy()
    top.index = pd.RangeIndex(1, len(top) + 1, name="rank")
    parts.append(
        html_table(
            top,
            caption=f"Top {len(top)} models by {selection.criterion.upper()}",
            formats={c: fixed(2) for c in ("log_likelihood", "bic", "icl", "delta")},
            text_columns=["warnings"],
        )
    )
    figure = new_figure(10.0, 7.4)
    axes = figure.subplots(2, 2)
    selection.plot(["bic", "icl"], ax=axes[0], zoom=True)
    selection.plot(["bic", "icl"], ax=axes[1])
    parts.append(
        html_figure(
            figure,
            "BIC and ICL against the number of components",
            "BIC and ICL against K, one line per covariance type, each panel's best "
            "model circled: zoomed on the competitive range (top) and over every model "
            "(bottom).",
        )
    )
    return Section("selection", "Model choice", "\n".join(parts), n_figures=1)


#: rows of the evidence table: column of EvidenceTable.table -> (label, formatter)
_EVIDENCE_ROWS: dict[str, tuple[str, Formatter]] = {
    "n_parameters": ("parameters", format_number),
    "bic": ("BIC", fixed(1)),
    "delta_bic": ("BIC minus the best", fixed(1)),
    "icl": ("ICL", fixed(1)),
    "delta_icl": ("ICL minus the best", fixed(1)),
    "em_degenerate": ("degenerate EM fit", lambda v: "yes" if bool(v) else "no"),
    "bayes_ok": (
        "Bayesian fit passed its diagnostics",
        lambda v: "" if pd.isna(v) else ("yes" if bool(v) else "NO: not used"),
    ),
    "bayes_diagnostics": ("what failed", str),
    "lrt_p_vs_more": ("bootstrap LRT p, K vs K + 1", fixed(3)),
    "lrt_p_vs_fewer": ("bootstrap LRT p, K - 1 vs K", fixed(3)),
    "elpd": ("PSIS-LOO ELPD", fixed(1)),
    "elpd_se": ("ELPD standard error", fixed(1)),
    "loo_se_behind": ("standard errors behind the best ELPD", fixed(2)),
    "loo_weight": ("stacking weight", fixed(2)),
    "n_high_pareto_k": ("observations with Pareto k > 0.7", format_number),
    "ppc_min_p": ("smallest predictive-check p-value", fixed(3)),
    "ppc_failed": ("failed predictive checks", str),
    "p_occupied": ("P(K occupied components | data)", fixed(2)),
    "p_k": ("p(K components | data), prior on K", fixed(3)),
    "p_k_clusters": ("p(K clusters | data), prior on K", fixed(3)),
}


def _evidence_section(evidence: EvidenceTable) -> Section:
    frame = evidence.table
    recommended = evidence.recommendation["name"]
    # one column per candidate: a handful of candidates, up to 15 measures
    rows = {}
    for column, (label, formatter) in _EVIDENCE_ROWS.items():
        if column in frame:
            rows[label] = [formatter(value) for value in frame[column]]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(frame.index))
    table.index.name = "measure"
    table.columns = [f"{name} (recommended)" if name == recommended else name for name in table]
    chosen = f"{recommended} (recommended)"
    label = evidence.recommendation.get("label", recommended)
    body = (
        paragraph(f"Recommended: {label}.", "callout")
        + html_table(
            table,
            caption="Evidence per candidate model (the recommended one in bold)",
            cell_class=lambda row, column, value: "best" if column == chosen else None,
        )
        + "<h3>Reasons</h3>"
        + bullet_list(evidence.reasons)
        + (
            "<h3>Not run</h3>"
            + bullet_list(f"{step}: {why}" for step, why in evidence.skipped.items())
            if evidence.skipped
            else ""
        )
        + paragraph(
            "Rule: only sound evidence counts: degenerate EM fits are not candidates, and "
            "a Bayesian fit that failed its diagnostics is shown but neither votes nor "
            "serves as the LOO reference. "
            f"Candidates failing a posterior predictive check (p < "
            f"{evidence.ppc_alpha:g}) are set aside. When the posterior over K passed its "
            "checks and its most probable number of clusters K+ is inside its range and "
            "the grid's, it chooses K, and PSIS-LOO (else BIC) the covariance structure "
            f"at that K; otherwise, with PSIS-LOO, the simplest model within "
            f"{evidence.loo_se:g} standard errors of the best ELPD; otherwise the lowest "
            "BIC. The range of K is extended while a source is best at its largest K; "
            "where it could not be, the answer reads 'at least K'. Bootstrap LRT, ICL "
            "and the occupied-components posterior do not vote: they are reported as "
            "agreeing or not."
        )
    )
    return Section("evidence", "Evidence for the number of components", body)


def _k_posterior_section(result: KPosterior, labels: list[str]) -> Section:
    table = result.table
    rounded = [
        f"{label} to {width:g}"
        for label, width in zip(labels, result.rounding, strict=False)
        if width > 0
    ]
    shown = table[(table["p_components"] >= 5e-4) | (table["p_clusters"] >= 5e-4)]
    d = result.diagnostics
    verdict = (
        "The chains passed their checks"
        if result.ok
        else "UNRELIABLE: " + "; ".join(result.problems)
    )
    body = (
        paragraph(
            f"Priors: {result.priors.describe()}. Most probable number of clusters K+ = "
            f"{result.mode_clusters} (mean {result.mean_clusters:.2f}); of components "
            f"K = {result.mode} (mean {result.mean:.2f})."
            + (
                f" Repeated values taken as rounded (each an interval): {', '.join(rounded)}."
                if rounded
                else ""
            ),
            "callout",
        )
        + html_table(
            shown,
            caption="Posterior of the number of components K and of clusters K+ "
            "(with Monte Carlo standard errors)",
            formats={column: fixed(4) for column in shown.columns},
        )
        + paragraph(
            f"{verdict} (r_hat of K {d['r_hat_components']:.3f}, of K+ "
            f"{d['r_hat_clusters']:.3f}; bulk ESS of K {d['ess_components']:.0f}, of K+ "
            f"{d['ess_clusters']:.0f}; {result.n_components.shape[0]} chains, "
            f"{result.elapsed:.1f} s). Telescoping sampler (Frühwirth-Schnatter, "
            "Malsiner-Walli & Grün 2021); p(K | y) is Rao-Blackwellised."
        )
    )
    figure = new_figure(7.0, 3.8)
    result.plot(ax=figure.subplots())
    body += html_figure(
        figure,
        "Posterior over the number of components",
        "p(K = k | y) and p(K+ = k | y) with two Monte Carlo standard errors; the prior "
        "on K dashed.",
    )
    return Section("k_posterior", "Posterior over the number of components", body, n_figures=1)


def _em_parameters_section(
    model: GaussianMixture, X: ArrayLike, labels: list[str], n_samples: int
) -> Section:
    components = pd.RangeIndex(model.n_components, name="component")
    log_likelihood = float(model.score(X)) * n_samples
    summary = (
        f"GaussianMixture (EM): K={model.n_components}, covariance_type="
        f"{model.covariance_type!r}; log-likelihood {log_likelihood:.3f}, BIC "
        f"{model.bic(X):.3f}, ICL {model.icl(X):.3f} (lower is better); "
        + (
            f"converged after {model.n_iter_} iterations."
            if model.converged_
            else f"NOT converged after {model.n_iter_} iterations."
        )
    )
    parts = [paragraph(summary)]
    if hasattr(model, "hypervolume_"):
        n_noise = int((model.predict(X) == -1).sum())
        parts.append(
            paragraph(
                f"Uniform noise component: proportion {model.noise_proportion_:.4f}, density "
                f"1 / V with V = {model.hypervolume_:.6g}; {n_noise} of {n_samples} rows are "
                "labelled noise (drawn apart, as grey crosses, in the figures). The mixing "
                "weights below sum to 1 minus the noise proportion."
            )
        )
    weights = pd.DataFrame({"weight": model.weights_}, index=components)
    means = pd.DataFrame(model.means_, index=components, columns=labels)
    parts.append(html_table(weights, caption="Mixing weights"))
    parts.append(html_table(means, caption="Means"))
    covariances = np.asarray(model.covariances_)
    covariance_model = get_covariance_model(model.covariance_type)
    cov_type = covariance_model.name
    mclust_name = covariance_model.mclust_name
    name = cov_type if cov_type == mclust_name else f"{cov_type} ({mclust_name})"
    if len(labels) == 1:  # one feature: every structure is a variance per component
        full = covariance_model.full_covariances(covariances, model.n_components, 1)
        shared = covariance_model.mclust_name[0] == "E"
        caption = "Variance (equal for all components)" if shared else "Variances"
        frame = pd.DataFrame({"variance": full[:, 0, 0]}, index=components)
        parts.append(html_table(frame, caption=caption))
    elif covariance_model.shared_covariance:
        frame = pd.DataFrame(covariances, index=pd.Index(labels, name=""), columns=labels)
        parts.append(html_table(frame, caption=f"Covariance shared by all components ({cov_type})"))
    elif covariance_model.matrices:  # one matrix per component
        for k, matrix in enumerate(covariances):
            frame = pd.DataFrame(matrix, index=pd.Index(labels, name=""), columns=labels)
            parts.append(html_table(frame, caption=f"Covariance of component {k}, {name}"))
    elif covariances.ndim == 2:  # diagonal: variances per component and feature
        frame = pd.DataFrame(covariances, index=components, columns=labels)
        parts.append(html_table(frame, caption=f"Variances (diagonal covariances), {name}"))
    else:  # one variance per component
        frame = pd.DataFrame({"variance": covariances}, index=components)
        parts.append(html_table(frame, caption=f"Variances (spherical covariances), {name}"))
    return Section("parameters", "Parameters", "\n".join(parts))


def _symmetric_duplicate(label: str, features: Sequence[str]) -> bool:
    """Whether a summary row is the lower triangle of a covariance (``[.., b, a]``, b > a)."""
    if not label.startswith("covariances[") or not label.endswith("]"):
        return False
    parts = [part.strip() for part in label[len("covariances[") : -1].split(",")]
    if len(parts) < 2 or parts[-1] not in features or parts[-2] not in features:
        return False
    return features.index(parts[-2]) > features.index(parts[-1])


def _bayes_sections(model: BayesianGaussianMixture) -> list[Section]:
    from bayesgmm.bayes.estimator import ESS_BULK_MIN, RHAT_MAX

    # the thresholds the fit's own diagnosis used (ESS >= max(400, 100 per chain))
    diagnostics = getattr(model, "diagnostics_", None)
    ess_min = float(getattr(diagnostics, "ess_min", ESS_BULK_MIN))
    rhat_max = float(getattr(diagnostics, "rhat_max", RHAT_MAX))
    summary = model.summary(round_to="none")
    posterior = model.idata_["posterior"]
    features = (
        [str(f) for f in posterior.coords["feature"].values]
        if "feature" in posterior.coords
        else []
    )
    keep = [not _symmetric_duplicate(str(label), features) for label in summary.index]
    summary = summary[keep]
    interval = [c for c in summary.columns if c.startswith(("hdi", "eti"))]
    columns = ["mean", "sd", *interval, "r_hat", "ess_bulk", "ess_tail"]
    shown = summary[[c for c in columns if c in summary.columns]].copy()
    shown.index.name = "parameter"

    def flag(row: Any, column: Any, value: Any) -> str | None:
        if column == "r_hat" and value > rhat_max:
            return "fail"
        if column in ("ess_bulk", "ess_tail") and value < ess_min:
            return "fail"
        return None

    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    header = paragraph(
        f"BayesianGaussianMixture: K={model.n_components}, covariance_type="
        f"{model.covariance_type!r}; sampler {model.sampler}, {chains} chain"
        f"{'s' if chains != 1 else ''} x {draws} draws after {model.tune} tuning steps; "
        f"{model.n_relabelled_} draws relabelled to the EM labelling. Intervals are 94% "
        "highest-density intervals (HDI)."
    )
    parameters = header + html_table(
        shown,
        caption="Posterior summary (symmetric covariance entries shown once)",
        formats={
            "r_hat": fixed(3),
            "ess_bulk": integer,
            "ess_tail": integer,
        },
        cell_class=flag,
    )
    stats = model.idata_["sample_stats"]
    divergences = int(stats["diverging"].sum()) if "diverging" in stats.data_vars else 0
    max_rhat = float(summary["r_hat"].max())
    min_bulk = float(summary["ess_bulk"].min())
    min_tail = float(summary["ess_tail"].min())
    checks = pd.DataFrame(
        [
            ("divergent transitions", str(divergences), "= 0", divergences == 0),
            ("max R-hat", f"{max_rhat:.3f}", f"<= {rhat_max:g}", max_rhat <= rhat_max),
            ("min bulk ESS", integer(min_bulk), f">= {ess_min:g}", min_bulk >= ess_min),
            ("min tail ESS", integer(min_tail), f">= {ess_min:g}", min_tail >= ess_min),
        ],
        columns=["check", "value", "threshold", "passed"],
    ).set_index("check")
    checks["result"] = np.where(checks["passed"], "pass", "fail")
    failed = checks.index[~checks["passed"]].tolist()
    checks = checks.drop(columns="passed")
    verdict = (
        paragraph("All sampling diagnostics pass.", "callout")
        if not failed
        else paragraph(
            f"Failed: {', '.join(failed)}. Increase draws/tune or target_accept, or "
            "reconsider the number of components before trusting the posterior.",
            "callout warning",
        )
    )
    diagnostics = verdict + html_table(
        checks,
        caption=f"Sampling diagnostics over {len(summary)} posterior quantities",
        cell_class=lambda row, column, value: value if column == "result" else None,
    )
    return [
        Section("parameters", "Posterior parameters", parameters),
        Section("diagnostics", "Sampling diagnostics", diagnostics),
    ]


def _figures_section(
    model: FittedMixtureLike, X: ArrayLike, labels: list[str], bayes: bool
) -> Section:
    from bayesgmm.plots import (
        most_informative_pairs,
        plot_clusters,
        plot_density_1d,
        plot_discriminant,
        plot_ellipses,
        plot_trace,
    )

    parts = []
    what = "posterior" if bayes else "EM estimate"
    n_features = len(labels)
    if n_features > 2:
        figure = new_figure(7.0, 5.4)
        plot_discriminant(model, X, ax=figure.subplots())
        parts.append(
            html_figure(
                figure,
                "The clusters on their discriminant directions",
                "Observations projected on the two directions that best separate the "
                "fitted components, by their means and their covariances (MclustDR's "
                "kernel, Scrucca 2010), coloured by their most probable component "
                f"(opacity: membership probability), with the components' 1 and 2 sd "
                f"ellipses ({what}). Axis labels give each direction's two largest "
                "loadings (features on their own scales).",
            )
        )
    if n_features >= 2:
        pairs = (
            [(0, 1)]
            if n_features == 2
            else most_informative_pairs(model, min(_N_PAIRS, n_features * (n_features - 1) // 2))
        )
        ncols = min(len(pairs), 3)
        nrows = math.ceil(len(pairs) / ncols)
        width = 6.5 if len(pairs) == 1 else 4.2 * ncols
        figure = new_figure(width, (5.0 if len(pairs) == 1 else 3.8) * nrows)
        axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False)).ravel()
        for i, (pair, ax) in enumerate(zip(pairs, axes, strict=False)):
            plot_clusters(model, X, features=pair, legend=False, ax=ax)
            plot_ellipses(model, features=pair, n_draws=_ELLIPSE_DRAWS, ax=ax)
            ax.set_xlabel(labels[pair[0]])
            ax.set_ylabel(labels[pair[1]])
            if i > 0 and ax.get_legend() is not None:
                ax.get_legend().remove()
        for ax in axes[len(pairs) :]:
            ax.set_axis_off()
        which = (
            "the two features"
            if n_features == 2
            else f"the {len(pairs)} pairs of features on which the components are best "
            "separated (of " + f"{n_features * (n_features - 1) // 2})"
        )
        parts.append(
            html_figure(
                figure,
                "Data coloured by cluster with covariance ellipses",
                f"Observations coloured by their most probable component (opacity: "
                f"membership probability) with 1 and 2 sd covariance ellipses of the "
                f"{what}, on {which}.",
            )
        )
    else:
        figure = new_figure(7.0, 4.2)
        ax = figure.subplots()
        plot_density_1d(model, X, components=True, ax=ax)
        ax.set_xlabel(labels[0])
        band = " with its 94% credible band" if bayes else ""
        parts.append(
            html_figure(
                figure,
                "Histogram with the fitted mixture density",
                f"Histogram of the data with the mixture density of the {what}{band} "
                "and the weighted component densities (dashed).",
            )
        )
    if bayes:
        names = ["weights", "means"] if model.n_components > 1 else ["means"]
        collection = plot_trace(model, names, kind="trace")
        trace_figure = collection.viz["figure"].item()
        _label_trace_axes(trace_figure)
        parts.append(
            html_figure(
                trace_figure,
                "Trace plots of the weights and means",
                "Marginal posterior densities (left) and draws against iteration (right), "
                "one line style per chain, colour per component; the chains should overlap "
                "and look like stationary noise.",
            )
        )
    return Section("figures", "Figures", "\n".join(parts), n_figures=len(parts))


def _label_trace_axes(figure: Any) -> None:
    """Name every axis of a trace figure: densities left, draws against iteration right."""
    for ax in figure.axes:
        left = ax.get_position().x0 < 0.45
        if not ax.get_ylabel():
            ax.set_ylabel("density" if left else "value", fontsize="small")
        if not ax.get_xlabel():
            ax.set_xlabel("value" if left else "draw", fontsize="small")


def _clustering_section(
    model: FittedMixtureLike, X: ArrayLike, n_samples: int, bayes: bool
) -> Section:
    from bayesgmm.plots import plot_coclustering
    from bayesgmm.uses.clustering import cluster_uncertainty, coclustering_matrix

    result = cluster_uncertainty(model, X)
    table = result.table.reset_index(drop=True)
    grouped = table.groupby("label")
    summary = pd.DataFrame(
        {
            "points": grouped.size(),
            "mean probability": grouped["probability"].mean(),
            "min probability": grouped["probability"].min(),
            "ambiguous": grouped["ambiguous"].sum().astype(int),
        }
    ).reindex(range(model.n_components), fill_value=0)
    summary.index.name = "cluster"
    source = "posterior mean memberships" if bayes else "plug-in (EM) memberships"
    parts = [
        paragraph(
            f"Each observation is assigned to its most probable component ({source}); "
            f"{result.n_ambiguous} of {n_samples} are ambiguous (probability < "
            f"{result.ambiguous_threshold:g})."
        ),
        html_table(summary, caption="Clusters"),
    ]
    n_figures = 0
    if n_samples <= MAX_COCLUSTERING_SAMPLES:
        # a posterior: at most _COCLUSTERING_DRAWS of its draws (EM: its one estimate)
        n_draws = min(_COCLUSTERING_DRAWS, model.parameter_draws().size) if bayes else None
        matrix = coclustering_matrix(model, X, n_draws=n_draws)
        figure = new_figure(6.0, 5.0)
        plot_coclustering(matrix, labels=result.labels, ax=figure.subplots())
        what = f"averaged over {n_draws} posterior draws" if bayes else "plug-in (EM)"
        parts.append(
            html_figure(
                figure,
                "Co-clustering heatmap",
                f"Probability that two observations share a component ({what}), rows and "
                "columns ordered by cluster, most certain members first.",
            )
        )
        n_figures = 1
    else:
        parts.append(
            paragraph(
                f"No co-clustering heatmap: {n_samples} observations exceed "
                f"{MAX_COCLUSTERING_SAMPLES}."
            )
        )
    return Section("clustering", "Clustering", "\n".join(parts), n_figures=n_figures)


# ---------------------------------------------------------------------- public API
def build_report(
    X: ArrayLike,
    *,
    selection: ModelSelection | None = None,
    model: FittedMixtureLike | None = None,
    evidence: EvidenceTable | None = None,
    k_posterior: KPosterior | None = None,
    title: str = "bayesgmm report",
    clustering: bool = True,
) -> Report:
    """Build a self-contained HTML report of a mixture analysis.

    Sections appear only when their input is given:

    * **Data** (always): size, feature names and summary statistics of ``X``.
    * **Model choice** (``selection``): the BIC and ICL matrices (K x covariance
      type, lowest marked), the top models and the criterion curves.
    * **Evidence** (``evidence``): the evidence table, the recommended model and the
      reasons.
    * **Posterior over the number of components** (``k_posterior``, or the one the
      evidence table holds): the table of ``p(K | y)`` and ``p(K+ | y)``, the
      priors, the convergence checks and the bar chart.
    * **Parameters** (a model): EM weights, means and covariances; or, for a
      Bayesian model, the posterior summary (mean, sd, 94% HDI, R-hat, bulk and
      tail ESS) and a **Sampling diagnostics** section (divergences, largest R-hat,
      smallest ESS, each with pass/fail).
    * **Figures** (a model): for more than two features the data on the two
      discriminant directions that best separate the clusters
      (:func:`bayesgmm.plots.plot_discriminant`), then clusters with covariance
      ellipses on the most informative pairs of features (the two features when
      there are two) or a histogram with the density (one
      feature; with its credible band for a posterior), and trace plots of the
      posterior.
    * **Clustering** (a model and ``clustering``): cluster sizes, ambiguous points
      and the co-clustering heatmap (up to 2000 observations).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data the models were fitted to (a DataFrame's column names label the
        tables and axes).
    selection : ModelSelection, default=None
        Result of :func:`bayesgmm.select_model` on ``X``.
    model : GaussianMixture or BayesianGaussianMixture, default=None
        The fitted model whose parameters and figures are shown. When ``None`` and
        ``selection`` is given, the EM fit of the model recommended by ``evidence``
        (if given) or of the best model of ``selection``.
    evidence : EvidenceTable, default=None
        Result of :func:`bayesgmm.collect_evidence` or
        :meth:`bayesgmm.EvidenceTable.from_results`.
    k_posterior : KPosterior, default=None
        Result of :func:`bayesgmm.posterior_over_k` on ``X`` (default: the evidence
        table's, if it has one).
    title : str, default="bayesgmm report"
        Title of the page.
    clustering : bool, default=True
        Include the clustering section (its co-clustering matrix has
        ``n_samples ** 2`` entries).

    Returns
    -------
    Report
        ``.html`` (the document), ``.save(path)``, ``.sections``; shows as HTML in
        Jupyter.

    Raises
    ------
    TypeError
        If ``selection``, ``evidence`` or ``model`` is not of the expected type (or
        the model is not fitted).
    ValueError
        If ``X`` is not numeric 2-D data, or does not match ``selection`` or
        ``model``.

    See Also
    --------
    bayesgmm.select_model, bayesgmm.collect_evidence, bayesgmm.plots

    Examples
    --------
    >>> from bayesgmm import load_faithful, select_model
    >>> X = load_faithful()
    >>> selection = select_model(X, [1, 2, 3], ["full", "tied"], n_init=2)
    >>> page = build_report(X, selection=selection, title="Old Faithful")
    >>> [section.id for section in page.sections]
    ['data', 'selection', 'parameters', 'figures', 'clustering']
    >>> page.html.count("data:image/png;base64,")
    3

    A Bayesian fit adds the posterior summary, the diagnostics and trace plots:

    >>> from bayesgmm import BayesianGaussianMixture
    >>> bgm = BayesianGaussianMixture(3, covariance_type="tied", random_state=0)
    >>> bgm = bgm.fit(X)  # doctest: +SKIP
    >>> build_report(X, selection=selection, model=bgm).save("report.html")  # doctest: +SKIP
    """
    if selection is not None and not isinstance(selection, ModelSelection):
        raise TypeError(
            "selection must be the ModelSelection returned by bayesgmm.select_model; got "
            f"{type(selection).__name__}."
        )
    if evidence is not None and not isinstance(evidence, EvidenceTable):
        raise TypeError(
            f"evidence must be a bayesgmm.EvidenceTable; got {type(evidence).__name__}."
        )
    if k_posterior is not None and not isinstance(k_posterior, KPosterior):
        raise TypeError(
            "k_posterior must be the KPosterior returned by bayesgmm.posterior_over_k; got "
            f"{type(k_posterior).__name__}."
        )
    if k_posterior is not None and k_posterior.n_samples != len(np.asarray(X)):
        raise ValueError(
            f"k_posterior was sampled on {k_posterior.n_samples} observations, but X has "
            f"{len(np.asarray(X))}. Pass the data it was sampled on."
        )
    fitted = model if model is not None else getattr(selection, "best_estimator_", None)
    data = validate_data(X, allow_nan=getattr(fitted, "missing", "error") == "marginalize")
    array, names = data.array, data.feature_names
    n_samples, n_features = array.shape
    if selection is not None and selection.n_samples and selection.n_samples != n_samples:
        raise ValueError(
            f"selection was fitted on {selection.n_samples} observations, but X has "
            f"{n_samples}. Pass the data the models were fitted to."
        )
    if model is None and selection is not None:
        model = chosen_estimator(selection, evidence)
    from bayesgmm.plots import check_mixture, posterior_model

    bayes = check_mixture(model, "build_report") if model is not None else False
    if model is not None and model.n_features_in_ != n_features:
        raise ValueError(
            f"X has {n_features} features, but the model was fitted with "
            f"{model.n_features_in_}. Pass the data the model was fitted to."
        )
    labels = _feature_labels(model, names, n_features)
    frame = pd.DataFrame(array, columns=labels)
    sections = [data_section(frame)]
    if selection is not None:
        sections.append(_selection_section(selection))
    if evidence is not None:
        sections.append(_evidence_section(evidence))
    if k_posterior is None and evidence is not None:
        k_posterior = evidence.k_posterior
    if k_posterior is not None:
        sections.append(_k_posterior_section(k_posterior, labels))
    if model is not None:
        if bayes:
            sections.extend(_bayes_sections(posterior_model(model, "build_report")))
        elif isinstance(model, GaussianMixture):
            sections.append(_em_parameters_section(model, X, labels, n_samples))
        else:
            raise TypeError(
                "model must be a fitted bayesgmm.GaussianMixture or "
                f"bayesgmm.BayesianGaussianMixture; got {type(model).__name__}."
            )
        sections.append(_figures_section(model, X, labels, bayes))
        if clustering:
            sections.append(_clustering_section(model, X, n_samples, bayes))
    return Report(str(title), sections)


#: ``bayesgmm.report(X, ...)``: the same function as :func:`build_report`
report = build_report
