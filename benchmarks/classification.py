"""Mixture classifiers beside R's mclust: models chosen, errors and times, in one run.

For each data set (iris, and mclust's banknote, thyroid and wdbc tables, read from R
so that both sides classify the same rows) and each form (EDDA, MclustDA):

- mclust: ``MclustDA(X, class, modelType)`` timed with ``system.time`` inside R
  (median of the repeats; R's start-up excluded), its training error, and
  ``cvMclustDA(mod, nfold = 10)`` after ``set.seed(1)`` (its error, Brier score and
  time) with the folds it drew (``balancedFolds``, recorded);
- bayesgmm: ``MixtureClassifier(model_type).fit(X, y)`` timed in this process (median
  of the repeats, after one warm-up fit on other data, so compiled kernels are
  loaded), its training error, and :func:`bayesgmm.cross_validate_classifier` on
  mclust's folds.

wdbc (569 x 30) runs EDDA only on both sides: mclust's MclustDA there takes far
longer than a benchmark run (the issue measured 335 s for its EDDA alone).

Run: ``.venv/bin/python benchmarks/classification.py`` (needs Rscript with mclust,
``tools/install_mclust.sh``); ``--quick`` leaves wdbc out. Writes
``benchmarks/results/classification.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

import bayesgmm
from bayesgmm import MixtureClassifier, cross_validate_classifier
from bayesgmm.core.atomic_io import write_text_atomic

HERE = Path(__file__).parent

R_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
name <- args[1]; type <- args[2]; reps <- as.integer(args[3]); out <- args[4]
if (name == "iris") { X <- iris[, 1:4]; cl <- iris$Species }
if (name == "banknote") { data(banknote); X <- banknote[, -1]; cl <- banknote$Status }
if (name == "thyroid") { data(thyroid); X <- thyroid[, -1]; cl <- thyroid$Diagnosis }
if (name == "wdbc") { data(wdbc); X <- wdbc[, -(1:2)]; cl <- wdbc$Diagnosis }
write.csv(data.frame(X, class = cl), file.path(out, "data.csv"), row.names = FALSE)
times <- sapply(seq_len(reps), function(i) system.time(
  mod <<- MclustDA(X, cl, modelType = type, verbose = FALSE))[["elapsed"]])
set.seed(1); folds <- mclust:::balancedFolds(cl, 10)
set.seed(1); cv_time <- system.time(cv <- cvMclustDA(mod, nfold = 10, verbose = FALSE))
f <- rep(NA, length(cl)); for (j in seq_along(folds)) f[folds[[j]]] <- j - 1
write.csv(data.frame(fold = f), file.path(out, "folds.csv"), row.names = FALSE)
models <- paste(sapply(sort(names(mod$models)), function(c)
  paste0(c, ":", mod$models[[c]]$modelName, ",", mod$models[[c]]$G)), collapse = " ")
write.csv(data.frame(models = models, train = mean(predict(mod)$classification != cl),
                     cv = cv$ce, brier = cv$brier, seconds = median(times),
                     cv_seconds = cv_time[["elapsed"]]),
          file.path(out, "result.csv"), row.names = FALSE)
"""

SETS = [("iris", 5), ("banknote", 5), ("thyroid", 5), ("wdbc", 1)]


def run_mclust(name: str, model_type: str, repeats: int) -> tuple[pd.DataFrame, dict, np.ndarray]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "run.R").write_text(R_SCRIPT)
        subprocess.run(
            ["Rscript", str(path / "run.R"), name, model_type, str(repeats), folder],
            capture_output=True, text=True, check=True, timeout=3600,
        )  # fmt: skip
        data = pd.read_csv(path / "data.csv")
        result = pd.read_csv(path / "result.csv").iloc[0].to_dict()
        folds = pd.read_csv(path / "folds.csv")["fold"].to_numpy()
    return data, result, folds


def run_ours(
    X: np.ndarray, y: np.ndarray, model_type: str, repeats: int, folds: np.ndarray
) -> dict:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        clf = MixtureClassifier(model_type).fit(X, y)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    cv = cross_validate_classifier(
        clf, X, y, folds=[np.flatnonzero(folds == j) for j in range(folds.max() + 1)]
    )
    cv_seconds = time.perf_counter() - start
    models = " ".join(
        f"{c}:{clf.covariance_types_[c]},{clf.n_components_[c]}" for c in sorted(clf.classes_)
    )
    return {
        "models": models,
        "train": 1 - clf.score(X, y),
        "cv": cv.error,
        "brier": cv.brier,
        "seconds": float(np.median(times)),
        "cv_seconds": cv_seconds,
    }


def _markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def warm_up() -> None:
    """Load the compiled kernels once (a fresh process's first fit pays for that)."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (60, 3)), rng.normal(3, 1, (60, 3))]
    y = np.repeat([0, 1], 60)
    MixtureClassifier("MclustDA").fit(X, y)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave wdbc out")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "classification.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    warm_up()
    rows = []
    for name, repeats in SETS:
        if args.quick and name == "wdbc":
            continue
        for model_type in ("EDDA", "MclustDA"):
            if name == "wdbc" and model_type == "MclustDA":
                continue
            data, theirs, folds = run_mclust(name, model_type, repeats)
            X, y = data.drop(columns="class").to_numpy(), data["class"].to_numpy()
            ours = run_ours(X, y, model_type, repeats, folds)
            rows.append(
                {
                    "data": f"{name} ({X.shape[0]} x {X.shape[1]}, {len(set(y))} classes)",
                    "form": model_type,
                    "models (ours / mclust)": f"{ours['models']} / {theirs['models']}",
                    "train error": f"{ours['train']:.2%} / {theirs['train']:.2%}",
                    "CV error, same folds": f"{ours['cv']:.2%} / {theirs['cv']:.2%}",
                    "Brier": f"{ours['brier']:.4f} / {theirs['brier']:.4f}",
                    "fit s": f"{ours['seconds']:.3f} / {theirs['seconds']:.3f}",
                    "speed-up": f"{theirs['seconds'] / ours['seconds']:.1f}x",
                    "CV s": f"{ours['cv_seconds']:.2f} / {theirs['cv_seconds']:.2f}",
                }
            )
            print(rows[-1], flush=True)
    versions = subprocess.run(
        ["Rscript", "-e", 'cat(as.character(packageVersion("mclust")), R.version$minor)'],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    table = pd.DataFrame(rows)
    text = "\n".join(
        [
            f"# benchmarks/classification.py — bayesgmm {bayesgmm.__version__}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"{os.cpu_count()} cores, {platform.machine()}; Python "
            f"{platform.python_version()}; mclust {versions[0]}. Each cell: bayesgmm / "
            "mclust. Fit times are medians of 5 fits (1 on wdbc), mclust's inside R; CV "
            "is 10 folds, mclust's own (`set.seed(1)`), the chosen models kept in every "
            f"fold, as `cvMclustDA` does. Whole run {time.perf_counter() - started:.0f} s.",
            "",
            _markdown(table),
            "",
        ]
    )
    write_text_atomic(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
