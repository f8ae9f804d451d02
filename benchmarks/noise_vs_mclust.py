"""mclust's model search with a noise component against bayesgmm's, on the same data.

mclust: ``Mclust(X, G = 0:9, initialization = list(noise = mask))`` (its 14 models, a
uniform noise component started from ``mask``, ``Vinv = hypvol(X, reciprocal =
TRUE)``), timed inside R (``system.time``, R's start-up excluded). bayesgmm:
``select_model(X, range(1, 10), "all", noise=mask)`` in this process after one warm-up
grid. ``mask`` is Byers & Raftery's nearest-neighbour clutter removal
(:func:`bayesgmm.em.noise.nearest_neighbour_clean`), computed once and given to both.
The data: a V-shaped band, a blob and 14 % uniform clutter
(:func:`bayesgmm.testing.make_clutter_data`) in 2 and 3 features, and the same shape
scaled up (rows repeated with jitter) to 4,900 rows. Each side is timed 5 times
(medians); printed: both times, their ratio, both choices and their BIC.

Run: ``.venv/bin/python benchmarks/noise_vs_mclust.py`` (needs Rscript with mclust,
``tools/install_mclust.sh``).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bayesgmm import select_model
from bayesgmm.em.noise import nearest_neighbour_clean
from bayesgmm.testing import make_clutter_data

R_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
noise <- as.logical(read.csv(args[2])[, 1])
reps <- as.integer(args[3])
times <- sapply(seq_len(reps), function(i) system.time(
  fit <<- Mclust(X, G = 0:9, initialization = list(noise = noise), verbose = FALSE)
)[["elapsed"]])
cat(median(times), fit$modelName, fit$G, fit$bic, "\n")
"""

REPEATS = 5


def run_mclust(X: np.ndarray, mask: np.ndarray) -> tuple[float, str, int, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        pd.DataFrame(X).to_csv(path / "X.csv", index=False)
        pd.DataFrame({"noise": mask.astype(int)}).to_csv(path / "noise.csv", index=False)
        (path / "run.R").write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(path / "run.R"), str(path / "X.csv"), str(path / "noise.csv"),
             str(REPEATS)],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
    return float(out[0]), out[1], int(out[2]), float(out[3])


def run_ours(X: np.ndarray, mask: np.ndarray) -> tuple[float, str, int, float]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            selection = select_model(X, range(1, 10), "all", noise=mask)
        times.append(time.perf_counter() - start)
    best = selection.table.iloc[0]
    return float(np.median(times)), best.mclust_name, int(best.n_components), -float(best.bic)


def main() -> None:
    X2, _ = make_clutter_data(2)
    rng = np.random.default_rng(0)
    sets = {
        "V + blob + clutter, 490 x 2": X2,
        "V + blob + clutter, 490 x 3": make_clutter_data(3)[0],
        "the same x 10, 4900 x 2": np.repeat(X2, 10, axis=0) + rng.normal(0, 0.02, (4900, 2)),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        mask = nearest_neighbour_clean(X2)
        select_model(X2, range(1, 10), "all", noise=mask)  # warm-up: imports, compiling
        first = time.perf_counter() - start
        print(f"first grid in this process (imports and compiling): {first:.1f} s")
    rows = []
    for name, X in sets.items():
        mask = nearest_neighbour_clean(X)
        theirs = run_mclust(X, mask)
        ours = run_ours(X, mask)
        rows.append({
            "data": name,
            "noise start": int(mask.sum()),
            "mclust s": round(theirs[0], 2),
            "bayesgmm s": round(ours[0], 2),
            "ratio": round(theirs[0] / ours[0], 2),
            "mclust choice": f"{theirs[1]},{theirs[2]} (BIC {theirs[3]:.2f})",
            "bayesgmm choice": f"{ours[1]},{ours[2]} (BIC {ours[3]:.2f})",
        })  # fmt: skip
    table = pd.DataFrame(rows).astype(str)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
