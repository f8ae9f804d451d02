"""Choosing K on data with known answers: every source of bayesgmm against R's mclust.

Data sets
---------
Simulated (``benchmarks/_mixsim.py``): MixSim-style mixtures (Melnykov, Chen & Maitra
2012) whose average pairwise overlap ``omega_ij = omega_{j|i} + omega_{i|j}``
(Melnykov & Maitra 2010) is set by scaling the covariances (bisection; overlaps by
seeded Monte Carlo, standard error stated per data set), over a grid of D (2, 5, 10),
K (1, 2, 4, 7, 10, 15), average overlap (0.001, 0.01, 0.03; 0.05 is out of reach in
10-D, where Wishart shapes alone keep concentric components apart), and (n, background
noise) in (500, none), (500, 8 %), (2000, none) (noise: points uniform over the bounding
box of the Gaussian points; the true K is the number of Gaussian components). Unequal
weights: ``pi_low + (1 - K pi_low) Dirichlet(1)``, ``pi_low = max(0.3 / K, 25 / n)``.

Public (labelled): written from R at run time into a temporary folder (never kept):
``datasets::iris`` (Species, 3 classes), mclust's ``diabetes`` (class, 3),
``thyroid`` (Diagnosis, 3), ``banknote`` (Status, 2) and ``wdbc`` (Diagnosis, 2;
three of its 30 features: Texture_mean, Area_extreme, Smoothness_extreme). Their
"truth" is the number of classes, which need not be the number of Gaussian
components.

Sources (one run per data set: :func:`bayesgmm.selection.pipeline.run_pipeline` keeps every
result, so nothing is refitted to read a source)
- ``BIC``: the pipeline's EM grid (by default the four covariance types full, tied,
  diag, spherical; ``--covariance-types all``: mclust's 14 models; K = 1..k_max), best
  BIC among non-degenerate fits;
- ``ICL``: the same grid, best ICL;
- ``LRT``: the sequential bootstrap LRT of the BIC-best covariance type;
- ``LOO``: best PSIS-LOO ELPD among the Bayesian candidates whose fits passed their
  diagnostics (the three best BIC models);
- ``K+ post``: the mode of ``p(K+ | y)`` from :func:`bayesgmm.posterior_over_k`
  (always run: where the pipeline would skip it by size, it is asked for, then under
  the BIC-best covariance structure when the function takes one);
- ``recommend``: :attr:`EvidenceTable.recommendation` (with ``at_least`` when given);
- ``BIC-14``: :func:`bayesgmm.select_model` over mclust's 14 models (same K range);
- ``mclust``: R's ``Mclust(X, G = 1:k_max)`` BIC choice (live, the same data).
The overfitted mixture is not run (it does not vote, and the issue removes it from
the default pipeline).

Run
---
``nice -n 10 .venv/bin/python benchmarks/choosing_k.py --quick`` (8 data sets, 10-20
min on 2 cores, most of it the 10-D set) or without ``--quick`` (149 data sets: about 30
hours on 2 cores by the quick runs' times, most of it 10-D and n = 2000 (a 500 x 10 set
took 11-14 minutes); run it in parts with ``--only``, it resumes). Results are cached per data
set as JSON under ``--cache`` in a folder named after the library's git commit, so an
interrupted run resumes; the markdown summary is written to ``--out``. ``--only REGEX``
selects data sets, ``--list`` lists them, ``--quiet`` silences the progress (stderr),
``--verbose`` adds the pipeline's own, ``--before LABEL`` summarises an earlier run's
cached results for the same data sets beside.

The simulated ranges are K = 1..20 for every data set (mclust and ours alike; the truth
is at most 15), the public ones K = 1..9 (mclust's default). Settings otherwise the
library's defaults, except the bootstrap LRT's replicates (19 in ``--quick``, 39 in the
full mode; ``--n-boot``).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _choosing_k_report import write_report
from _mixsim import simulate_mixture

import bayesgmm
from bayesgmm import select_model
from bayesgmm.selection import pipeline as pipeline_module
from bayesgmm.selection.pipeline import run_pipeline

HERE = Path(__file__).resolve().parent

MCLUST_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
kmax <- as.integer(args[2])
fit <- NULL
t <- system.time(fit <- tryCatch(Mclust(X, G = 1:kmax, verbose = FALSE),
                                 error = function(e) NULL))[["elapsed"]]
if (is.null(fit)) cat(t, "NA NA NA\n") else cat(t, fit$modelName, fit$G, fit$bic, "\n")
"""

PUBLIC_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
out <- commandArgs(trailingOnly = TRUE)[1]
save <- function(X, y, name) {
  X <- as.data.frame(X); X$class <- as.character(y)
  write.csv(X, file.path(out, paste0(name, ".csv")), row.names = FALSE)
}
save(datasets::iris[, 1:4], datasets::iris$Species, "iris")
data(diabetes, package = "mclust"); save(diabetes[, -1], diabetes$class, "diabetes")
data(thyroid, package = "mclust"); save(thyroid[, -1], thyroid$Diagnosis, "thyroid")
data(banknote, package = "mclust"); save(banknote[, -1], banknote$Status, "banknote")
data(wdbc, package = "mclust")
save(wdbc[, c("Texture_mean", "Area_extreme", "Smoothness_extreme")], wdbc$Diagnosis, "wdbc")
cat(as.character(packageVersion("mclust")), R.version$major, R.version$minor, "\n")
"""

PUBLIC = {"iris": 3, "diabetes": 3, "thyroid": 3, "banknote": 2, "wdbc": 2}


@dataclass(frozen=True)
class Spec:
    """One data set of the benchmark."""

    name: str
    kind: str  # "simulated" or "public"
    truth: int
    k_max: int
    d: int = 0
    overlap: float = 0.0
    n: int = 0
    noise: float = 0.0

    @property
    def seed(self) -> int:
        return zlib.crc32(self.name.encode())


def simulated(d: int, k: int, overlap: float, n: int, noise: float) -> Spec:
    name = f"sim-D{d}-K{k}-w{overlap:g}-n{n}-noise{round(noise * 100)}"
    return Spec(name, "simulated", k, 20, d, overlap if k > 1 else 0.0, n, noise)


def full_grid() -> list[Spec]:
    """D x K x overlap x (n, noise): (500, none), (500, 8 %), (2000, none); 149 data sets.

    Noise is crossed with n = 500 only: n = 2000 costs three to four times as much
    (mclust's grid alone takes minutes there), and noise acts the same way at both n.
    """
    specs = []
    for d in (2, 5, 10):
        for k in (1, 2, 4, 7, 10, 15):
            for overlap in (0.001, 0.01, 0.03) if k > 1 else (0.0,):
                for n, noise in ((500, 0.0), (500, 0.08), (2000, 0.0)):
                    specs.append(simulated(d, k, overlap, n, noise))
    return specs + [Spec(name, "public", k, 9) for name, k in PUBLIC.items()]


def quick_grid() -> list[Spec]:
    """A representative subset, 10-20 minutes on 2 cores: K = 1, 2, 4, 10; D = 2, 5, 10;
    every overlap level; noise; three public data sets. n = 500 only: n = 2000 with
    K = 1..20 takes mclust alone minutes (it is in the full mode)."""
    return [
        simulated(2, 1, 0.0, 500, 0.0),
        simulated(2, 4, 0.01, 500, 0.08),
        simulated(2, 10, 0.001, 500, 0.0),
        simulated(5, 2, 0.03, 500, 0.0),
        simulated(10, 4, 0.01, 500, 0.0),
        Spec("iris", "public", 3, 9),
        Spec("diabetes", "public", 3, 9),
        Spec("thyroid", "public", 3, 9),
    ]


class Log:
    """Progress lines on stderr (silenced by ``--quiet``)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def take_lock(lock: Path) -> Path:
    """One run per cache folder: a lock file holding the run's process id."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                os.kill(int(lock.read_text()), 0)
            except (ProcessLookupError, ValueError):
                lock.unlink(missing_ok=True)  # its run is gone
                continue
            sys.exit(f"another run (process {lock.read_text()}) holds {lock}")
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return lock
    sys.exit(f"could not take {lock}")


def library_label() -> str:
    """The git commit of the bayesgmm being benchmarked (``-dirty`` with local changes)."""
    root = Path(bayesgmm.__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "bayesgmm"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unversioned"
    return sha + ("-dirty" if dirty else "")


def public_data(folder: Path) -> str:
    """Write the public data sets as CSV into ``folder``; mclust and R versions."""
    script = folder / "public.R"
    script.write_text(PUBLIC_SCRIPT)
    out = subprocess.run(
        ["Rscript", str(script), str(folder)], capture_output=True, text=True, check=True
    ).stdout.split()
    return f"mclust {out[0]}, R {out[1]}.{out[2]}"


def load(spec: Spec, public_folder: Path | None) -> tuple[np.ndarray, dict[str, Any]]:
    if spec.kind == "public":
        assert public_folder is not None
        frame = pd.read_csv(public_folder / f"{spec.name}.csv")
        X = frame.drop(columns="class").to_numpy(float)
        return X, {"classes": int(frame["class"].nunique()), "n": len(X), "d": X.shape[1]}
    mixture = simulate_mixture(
        spec.truth, spec.d, spec.n, overlap=max(spec.overlap, 1e-3), noise=spec.noise,
        random_state=spec.seed,
    )  # fmt: skip
    info = {
        "n": len(mixture.X),
        "d": spec.d,
        "average_overlap": mixture.average_overlap,
        "average_overlap_se": mixture.info["average_overlap_se"],
        "max_overlap": mixture.max_overlap,
        "weights": [round(float(w), 4) for w in mixture.weights],
        "n_noise": mixture.info["n_noise"],
    }
    return mixture.X, info


def run_mclust(X: np.ndarray, k_max: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "X.csv"
        pd.DataFrame(X).to_csv(path, index=False)
        script = Path(folder) / "run.R"
        script.write_text(MCLUST_SCRIPT)
        start = time.perf_counter()
        out = subprocess.run(
            ["Rscript", str(script), str(path), str(k_max)],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        wall = time.perf_counter() - start
    k = None if out[2] == "NA" else int(out[2])
    return {
        "k": k,
        "model": out[1],
        "seconds": float(out[0]),
        "wall_seconds": wall,
        "edge": k == k_max,
        "failed": k is None,
    }


def _sound(table: pd.DataFrame) -> pd.DataFrame:
    if "degenerate" in table and not table["degenerate"].astype(bool).all():
        return table[~table["degenerate"].astype(bool)]
    return table


def _k_posterior_settings(X: np.ndarray) -> bool | dict[str, Any]:
    """``True`` (the pipeline's default) where the pipeline runs the posterior over K by
    default, else ``{}``: settings that make it run (older pipelines skip it by size)."""
    work = X.shape[0] * X.shape[1] * (X.shape[1] + 1)
    return True if work <= getattr(pipeline_module, "K_POSTERIOR_MAX_WORK", 0) else {}


def run_ours(
    X: np.ndarray,
    spec: Spec,
    n_boot: int,
    verbose: bool = False,
    noise: str = "off",
    covariance_types: str = "default",
) -> dict[str, Any]:
    """Every source of bayesgmm from one pipeline run, plus the 14-model grid."""
    ks = range(1, spec.k_max + 1)
    sources: dict[str, dict[str, Any]] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        grid14 = select_model(X, ks, "all", random_state=spec.seed % 2**31)
        seconds = time.perf_counter() - start
        best = _sound(grid14.table).sort_values("bic", kind="stable").iloc[0]
        k_top = int(grid14.table.n_components.max())
        sources["BIC-14"] = {
            "k": int(best.n_components),
            "model": str(best.get("mclust_name", best.covariance_type)),
            "seconds": seconds,
            "edge": int(best.n_components) == k_top,
            "failed": False,
        }

        settings = _k_posterior_settings(X)
        takes_cov = "covariance_type" in inspect.signature(bayesgmm.posterior_over_k).parameters

        def hook(step: str, value: Any) -> None:
            # when forced: the posterior over K under the grid's BIC-best structure, when
            # the function takes one (by default the pipeline chooses it itself)
            forced = isinstance(settings, dict)
            if step == "selection" and forced and takes_cov and "covariance_type" not in settings:
                cov = str(_sound(value.table).sort_values("bic").iloc[0].covariance_type)
                settings["covariance_type"] = "full" if cov == "tied" else cov

        start = time.perf_counter()
        result = run_pipeline(
            X,
            ks,
            n_boot=n_boot,
            sparse=False,
            k_posterior=settings,
            random_state=spec.seed % 2**31,
            progress=verbose,
            on_result=hook,
            noise={"off": False, "on": True}.get(noise, noise),
            **({} if covariance_types == "default" else {"covariance_types": covariance_types}),
        )
        total = time.perf_counter() - start
    elapsed = dict(result.elapsed)
    sources.update(read_sources(result, elapsed, total))
    kinds = Counter(w.category.__name__ for w in caught)
    extension = getattr(result, "extension", None)
    return {
        "sources": sources,
        "elapsed": elapsed,
        "pipeline_seconds": total,
        "k_posterior_settings": (
            {k: str(v) for k, v in settings.items()} if isinstance(settings, dict) else "default"
        ),
        "warnings": dict(kinds),
        "extension": [str(step) for step in getattr(extension, "steps", [])],
        "extension_text": str(extension) if extension is not None else "",
        "reasons": list(result.evidence.reasons) if result.evidence is not None else [],
        "noise_mode": noise,
        "covariance_types": covariance_types,
        "noise_component": result.selection.noise_only is not None,
        "evidence": result.evidence.table.astype(str).to_dict() if result.evidence else {},
    }


def read_sources(result: Any, elapsed: dict[str, float], total: float) -> dict[str, dict]:
    """K, edge and failure of each source, read from one PipelineResult."""
    table = result.selection.table
    sound = _sound(table)
    k_top = int(table.n_components.max())
    out: dict[str, dict[str, Any]] = {}
    for key, column in (("BIC", "bic"), ("ICL", "icl")):
        row = sound.sort_values(column, kind="stable").iloc[0]
        k = int(row.n_components)
        out[key] = {
            "k": k,
            "model": f"{row.covariance_type}",
            "seconds": elapsed.get("grid", np.nan) + elapsed.get("extend", 0.0),
            "edge": k == k_top,
            "failed": False,
        }
    lrt_seconds = sum(v for key, v in elapsed.items() if key.startswith("lrt"))
    if result.lrt:
        test = result.lrt[0]  # the BIC-best covariance type's sequence
        tested = max((t.k1 for t in test.tests), default=1)
        cov = test.tests[0].covariance_type if test.tests else "?"
        out["LRT"] = {
            "k": int(test.selected_k),
            "model": str(cov),
            "seconds": lrt_seconds,
            "edge": int(test.selected_k) >= tested,
            "failed": False,
        }
    else:
        out["LRT"] = {"k": None, "seconds": lrt_seconds, "edge": False, "failed": True}
    comparison = result.comparison
    loo_seconds = elapsed.get("loo", np.nan) + elapsed.get("extend loo", 0.0)
    loo = {"k": None, "seconds": loo_seconds, "edge": False, "failed": True}
    if comparison is not None:
        t = comparison.table
        ok = t["diagnostics_ok"].astype(bool) if "diagnostics_ok" in t else t.n_high_pareto_k == 0
        usable = t[ok]
        loo["n_usable"] = int(ok.sum())
        loo["diagnostics"] = {str(i): str(v) for i, v in t.get("diagnostics", {}).items()}
        if len(usable):
            name = usable["elpd"].idxmax()
            k = int(usable.loc[name, "n_components"])
            loo.update(k=k, model=str(name), edge=k == k_top, failed=False)
    out["LOO"] = loo
    kp = result.k_posterior
    post = {"k": None, "seconds": elapsed.get("k_posterior", np.nan), "edge": False}
    post["failed"] = True
    if kp is not None:
        problems = [str(p) for p in getattr(kp, "problems", [])]
        k = int(kp.mode_clusters)
        post.update(
            k=k,
            p=float(kp.table["p_clusters"].max()),
            failed=bool(problems),
            problems=problems,
            model=str(getattr(getattr(kp, "priors", None), "covariance_type", "full")),
            edge=k >= int(getattr(kp, "k_max", 10**6)),
            diagnostics={k: float(v) for k, v in dict(getattr(kp, "diagnostics", {})).items()},
        )
    out["K+ post"] = post
    evidence = result.evidence
    rec = {"k": None, "seconds": total, "edge": False, "failed": True}
    if evidence is not None:
        recommendation = dict(evidence.recommendation)
        name = recommendation["name"]
        k = int(recommendation["n_components"])
        row = evidence.table.loc[name]
        bayes_ok = row.get("bayes_ok", True)
        bayes_ok = True if pd.isna(bayes_ok) else bool(bayes_ok)
        first = evidence.reasons[0] if evidence.reasons else ""
        # what decided (newer tables say so; older ones: LOO unless it fell back to BIC)
        source = recommendation.get("source")
        if source is None:
            source = "BIC" if "lowest BIC" in first else "PSIS-LOO"
        fallback = source == "BIC" and result.comparison is not None
        if "posterior" in str(source).lower():
            failed = post["failed"]  # the posterior over K decided: its own checks
        elif source == "BIC":
            failed = bool(row.get("em_degenerate", False))
        else:
            failed = not bayes_ok
        at_least = recommendation.get("at_least")
        rec.update(
            k=k,
            model=str(name),
            source=str(source),
            at_least=None if at_least is None else bool(at_least),
            edge=k == k_top,
            failed=failed,
            fallback_to_bic=fallback,
            reason=first,
            recommendation={k2: str(v) for k2, v in recommendation.items()},
        )
    out["recommend"] = rec
    for value in out.values():
        value["grid_k_max"] = k_top
    return out


def run_one(
    spec: Spec,
    public_folder: Path | None,
    n_boot: int,
    log: Log,
    verbose: bool = False,
    noise: str = "off",
    covariance_types: str = "default",
) -> dict[str, Any]:
    X, info = load(spec, public_folder)
    log(f"    {X.shape[0]} x {X.shape[1]}, true K = {spec.truth}; mclust ...")
    mclust = run_mclust(X, spec.k_max)
    log(f"    mclust {mclust['model']},{mclust['k']} ({mclust['seconds']:.1f} s); bayesgmm ...")
    try:
        ours = run_ours(X, spec, n_boot, verbose, noise, covariance_types)
    except Exception as error:  # a failed run is a result too (not cached: see main)
        log(f"    bayesgmm failed: {type(error).__name__}: {error}")
        failed = {"k": None, "seconds": np.nan, "edge": False, "failed": True}
        names = ("BIC", "ICL", "LRT", "LOO", "K+ post", "recommend", "BIC-14")
        ours = {"sources": {name: dict(failed) for name in names}}
        ours["error"] = f"{type(error).__name__}: {error}"
    ours["sources"]["mclust"] = mclust
    return {"spec": asdict(spec), "seed": spec.seed, "data": info, **ours}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the ~15 min subset")
    parser.add_argument("--only", default=None, help="regular expression on data set names")
    parser.add_argument("--list", action="store_true", help="list the data sets and stop")
    parser.add_argument("--n-boot", type=int, default=None, help="LRT replicates (19/39)")
    parser.add_argument("--cache", type=Path, default=HERE / "results" / "choosing_k_cache")
    parser.add_argument("--label", default=None, help="cache folder (default: the git commit)")
    parser.add_argument(
        "--before", default=None, help="cache label of an earlier run to summarise beside"
    )
    parser.add_argument("--note", default="", help="a paragraph for the results file")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "choosing_k.md")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--verbose", action="store_true", help="the pipeline's own progress")
    parser.add_argument(
        "--noise",
        choices=["off", "on", "auto"],
        default="off",
        help="the pipeline's noise setting (auto: the grid without and with a uniform noise "
        "component, the better by BIC); its cache folder is the label plus '-noise-<mode>'",
    )
    parser.add_argument(
        "--covariance-types",
        choices=["default", "all"],
        default="default",
        help="the pipeline's grid: its default, or 'all' (mclust's 14 models); 'all' adds "
        "'-cov-all' to the cache folder",
    )
    args = parser.parse_args(argv)
    log = Log(args.quiet)
    specs = quick_grid() if args.quick else full_grid()
    if args.only:
        specs = [s for s in specs if re.search(args.only, s.name)]
    if args.list:
        for s in specs:
            print(s.name)
        return
    n_boot = args.n_boot or (19 if args.quick else 39)
    label = args.label or library_label()
    if args.noise != "off":
        label = f"{label}-noise-{args.noise}"
    if args.covariance_types != "default":
        label = f"{label}-cov-{args.covariance_types}"
    folder = args.cache / label
    folder.mkdir(parents=True, exist_ok=True)
    lock = take_lock(folder / ".lock")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            # the public data sets (and R's, mclust's versions), fetched live from R
            public_folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            versions = public_data(public_folder)
            records = []
            for i, spec in enumerate(specs, 1):
                path = folder / f"{spec.name}.json"
                if path.exists():
                    log(f"[{i}/{len(specs)}] {spec.name}: cached")
                    records.append(normalise(json.loads(path.read_text())))
                    continue
                log(f"[{i}/{len(specs)}] {spec.name}")
                start = time.perf_counter()
                record = run_one(
                    spec,
                    public_folder,
                    n_boot,
                    log,
                    args.verbose and not args.quiet,
                    args.noise,
                    args.covariance_types,
                )
                record["seconds"] = time.perf_counter() - start
                record["n_boot"] = n_boot
                if "error" not in record:
                    atomic_write(path, json.dumps(record, indent=1, default=str))
                records.append(record)
                answers = ", ".join(
                    f"{key} {value.get('k')}" for key, value in record["sources"].items()
                )
                log(f"    {answers} ({record['seconds']:.0f} s)")
    finally:
        lock.unlink(missing_ok=True)
    meta = {
        "label": label,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": ("--quick" if args.quick else "full") + (" --only ..." if args.only else ""),
        "n_boot": n_boot,
        "versions": versions,
        "bayesgmm": getattr(bayesgmm, "__version__", "?"),
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "wall_seconds": time.perf_counter() - started,
        "only": args.only,
        "note": args.note,
    }
    before = []
    if args.before:
        paths = [args.cache / args.before / f"{spec.name}.json" for spec in specs]
        before = [normalise(json.loads(path.read_text())) for path in paths if path.exists()]
    text = write_report(records, meta, before=before, before_label=args.before)
    atomic_write(args.out, text)
    pd.DataFrame([flat(r) for r in records]).to_csv(folder / "choosing_k.csv", index=False)
    log(f"wrote {args.out} and {folder / 'choosing_k.csv'}")
    print(text)


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """Records of older runs: ``failed`` of a BIC fallback is about the deciding source."""
    rec = record["sources"].get("recommend", {})
    if "source" not in rec and rec.get("k") is not None:
        rec["source"] = "BIC" if rec.get("fallback_to_bic") else "PSIS-LOO"
        if rec.get("fallback_to_bic"):
            rec["failed"] = False
    return record


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row per data set: the spec, and each source's K, edge, failure and time."""
    row = {**record["spec"], "seconds": record.get("seconds")}
    for key, value in record["sources"].items():
        for field in ("k", "edge", "failed", "seconds", "model"):
            row[f"{key}:{field}"] = value.get(field)
    return row


if __name__ == "__main__":
    main()
