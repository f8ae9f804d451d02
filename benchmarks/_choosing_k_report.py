"""The markdown report of ``benchmarks/choosing_k.py``: summary, factors, per data set."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

SOURCES = ["BIC", "ICL", "LRT", "LOO", "K+ post", "recommend", "BIC-14", "mclust"]

DESCRIPTION = {
    "BIC": "pipeline grid, best BIC",
    "ICL": "same grid, best ICL",
    "LRT": "sequential bootstrap LRT, BIC-best type",
    "LOO": "best PSIS-LOO among fits that passed",
    "K+ post": "mode of p(K+ | y), posterior_over_k",
    "recommend": "EvidenceTable.recommendation",
    "BIC-14": "select_model, mclust's 14 models",
    "mclust": "R Mclust(X, G = 1:k_max), BIC",
}


def _cell(source: dict[str, Any]) -> str:
    k = source.get("k")
    if k is None:
        return "-"
    text = f"{k}"
    at_least = source.get("at_least")
    if at_least not in (None, False):
        text = f">={at_least if not isinstance(at_least, bool) else k}"
    if source.get("edge"):
        text += "*"
    if source.get("failed"):
        text += "!"
    if source.get("fallback_to_bic"):
        text += "b"
    return text


def _summary(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for key in SOURCES:
        ks, seconds, edge, failed, extra = [], [], 0, 0, Counter()
        for r in records:
            source = r["sources"].get(key)
            if source is None:
                continue
            k = source.get("k")
            ks.append((k, r["spec"]["truth"]))
            seconds.append(source.get("seconds", np.nan))
            edge += bool(source.get("edge"))
            failed += bool(source.get("failed"))
            extra["fallback"] += bool(source.get("fallback_to_bic"))
            extra["at_least"] += source.get("at_least") not in (None, False)
            if source.get("source"):
                extra["by " + str(source["source"])] += 1
        if not ks:
            continue
        exact = sum(k == t for k, t in ks)
        near = sum(k is not None and abs(k - t) <= 1 for k, t in ks)
        under = sum(k is not None and k < t for k, t in ks)
        over = sum(k is not None and k > t for k, t in ks)
        row = {
            "source": key,
            "what": DESCRIPTION[key],
            "exact": f"{exact}/{len(ks)}",
            "within 1": f"{near}/{len(ks)}",
            "under": under,
            "over": over,
            "at edge": edge,
            "failed": failed,
            "median s": float(np.nanmedian(np.asarray(seconds, float))),
        }
        if key == "recommend":
            row["failed"] = f"{failed} (+{extra['fallback']} BIC fallback)"
            row["at edge"] = f"{edge} ({extra['at_least']} 'at least')"
            decided = {k[3:]: v for k, v in extra.items() if k.startswith("by ")}
            row["what"] += (
                " (decided by: " + "; ".join(f"{k}: {v}" for k, v in sorted(decided.items())) + ")"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _factors(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Exact-K rate per level of each simulation factor, per source."""
    sims = [r for r in records if r["spec"]["kind"] == "simulated"]
    rows = []
    levels = {
        "D": lambda s: s["d"],
        "K": lambda s: s["truth"],
        "overlap": lambda s: s["overlap"],
        "n": lambda s: s["n"],
        "noise": lambda s: s["noise"],
    }
    for factor, get in levels.items():
        for level in sorted({get(r["spec"]) for r in sims}):
            group = [r for r in sims if get(r["spec"]) == level]
            row = {"factor": factor, "level": f"{level:g}", "data sets": len(group)}
            for key in SOURCES:
                hits = sum(r["sources"].get(key, {}).get("k") == r["spec"]["truth"] for r in group)
                row[key] = f"{hits}/{len(group)}"
            rows.append(row)
    return pd.DataFrame(rows)


def _per_data_set(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for r in records:
        spec, data = r["spec"], r["data"]
        overlap = (
            f"{data['average_overlap']:.4f} (se {data['average_overlap_se']:.1g})"
            if "average_overlap" in data and spec["truth"] > 1
            else ""
        )
        row = {
            "data set": spec["name"],
            "n x D": f"{data['n']} x {data['d']}",
            "noise": f"{spec['noise']:.0%}" if spec["kind"] == "simulated" else "",
            "true K": spec["truth"] if spec["kind"] == "simulated" else f"{spec['truth']} cl.",
            "overlap": overlap,
            "range": f"1..{spec['k_max']}",
        }
        for key in SOURCES:
            row[key] = _cell(r["sources"].get(key, {}))
        row["mclust model"] = r["sources"].get("mclust", {}).get("model", "")
        row["ours s"] = round(r.get("seconds", np.nan), 0)
        rows.append(row)
    return pd.DataFrame(rows)


def _times(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Median seconds per pipeline step (the step alone; the grid is shared)."""
    steps: dict[str, list[float]] = {}
    for r in records:
        for key, value in r.get("elapsed", {}).items():
            steps.setdefault("lrt" if key.startswith("lrt") else key, []).append(value)
        steps.setdefault("pipeline total", []).append(r.get("pipeline_seconds", np.nan))
    return pd.DataFrame(
        [
            {"step": k, "median s": np.median(v), "max s": np.max(v), "runs": len(v)}
            for k, v in steps.items()
        ]
    )


def _n_boot(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    values = sorted({r.get("n_boot", meta["n_boot"]) for r in records})
    return "/".join(map(str, values)) or str(meta["n_boot"])


def _minutes(records: list[dict[str, Any]]) -> str:
    return f"{sum(r.get('seconds', 0.0) for r in records) / 60:.0f}"


def _md(frame: pd.DataFrame) -> str:
    """A pipe table (floats to one decimal)."""

    def text(value: Any) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else f"{value:.1f}"
        return str(value)

    head = [str(c) for c in frame.columns]
    rows = [[text(v) for v in row] for row in frame.itertuples(index=False)]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(out + ["| " + " | ".join(row) + " |" for row in rows])


def write_report(
    records: list[dict[str, Any]],
    meta: dict[str, Any],
    *,
    before: list[dict[str, Any]] | None = None,
    before_label: str | None = None,
) -> str:
    """The results file: settings, summaries, factors, steps' times, every data set."""
    sims = [r for r in records if r["spec"]["kind"] == "simulated"]
    public = [r for r in records if r["spec"]["kind"] == "public"]
    clean = [r for r in sims if r["spec"]["noise"] == 0]
    noisy = [r for r in sims if r["spec"]["noise"] > 0]
    lines = [
        f"# benchmarks/choosing_k.py {meta['mode']} — bayesgmm {meta['bayesgmm']} at "
        f"commit {meta['label']}, {meta['date']}",
        "",
        f"{meta['machine']}; Python {meta['python']}; {meta['versions']}. "
        f"{len(records)} data sets; {_minutes(records)} min in all (the data sets' own "
        "times as run, mclust included, a resumed run's too); bootstrap LRT with "
        f"{_n_boot(records, meta)} replicates per test; Bayesian fits 4 chains x 1000 draws; "
        "posterior over K with its defaults (run on every data set).",
        "",
        *([meta["note"], ""] if meta.get("note") else []),
        "Cells: the K chosen; `*` at the largest K of the range (after any extension), "
        "`!` the source failed its own checks (LOO: no candidate fit passed; posterior over "
        "K: convergence problems; recommendation: the source that decided it failed its "
        "checks), `b` the recommendation fell back to BIC (neither the posterior over K "
        "nor a Bayesian fit could vote), `>=` an 'at "
        "least K' answer, `-` no answer. Exact and within-one count every data set (no "
        "answer is wrong). Times: each source's own step (BIC/ICL: the EM grid; "
        "recommendation: the whole pipeline run; mclust: R's `system.time` of `Mclust`).",
        "",
    ]
    for title, group in (
        ("All data sets", records),
        ("Simulated, no noise", clean),
        ("Simulated, 8 % uniform background noise", noisy),
        ("Public data sets (truth = number of classes)", public),
    ):
        if group:
            lines += [f"## {title} ({len(group)})", "", _md(_summary(group)), ""]
    if before:
        lines += [
            f"## Before: the same data sets at commit {before_label} ({len(before)})",
            "",
            _md(_summary(before)),
            "",
            "Per data set, before:",
            "",
            _md(_per_data_set(before)),
            "",
        ]
    if sims:
        lines += ["## Exact K by simulation factor", "", _md(_factors(sims)), ""]
    lines += ["## Time per pipeline step (s)", "", _md(_times(records)), ""]
    lines += ["## Every data set", "", _md(_per_data_set(records)), ""]
    return "\n".join(lines)
