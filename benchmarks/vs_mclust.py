"""mclust's default model search against bayesgmm's, side by side, on the same data.

mclust: ``Mclust(X, G = 1:9)`` (its 14 models, one hierarchical start per model,
EM to its default tolerance), timed inside R (``system.time``, R's start-up
excluded). bayesgmm: ``select_model(X, range(1, 10), "all", init_params=
"hierarchical", n_init=1)`` in this process, after one warm-up fit (import and
first-call costs are reported separately as the first grid's time). Small data sets
are timed 3 x 5 times each (the median of 5 within each R call against the median of
5 of ours, three rounds alternating) and the medians over rounds reported. Prints per data
set the two wall times, their ratio and the chosen models. Needs Rscript with mclust
(``tools/install_mclust.sh``).

Run: ``.venv/bin/python benchmarks/vs_mclust.py [--large] [--details]``
(``--large`` adds the 10-D N=100k problem, several minutes; ``--details`` adds the
time per model of the 14-model grid on the 5-D N=20k problem and the hierarchical
initialisation's time against mclust's ``hc`` for N = 1k, 2k, 5k, 20k).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bayesgmm import load_faithful, load_galaxies, load_iris, select_model

HC_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
X <- as.matrix(read.csv(commandArgs(trailingOnly = TRUE)[1]))
if (nrow(X) > 2000) X <- X[sample(nrow(X), 2000), ]  # mclustBIC's subset
cat(system.time(hc(X, modelName = "VVV", use = "SVD"))[["elapsed"]], "\n")
"""

R_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
reps <- as.integer(args[2])
times <- sapply(seq_len(reps), function(i)
  system.time(fit <<- Mclust(X, G = 1:9, verbose = FALSE))[["elapsed"]])
cat(median(times), fit$modelName, fit$G, fit$bic, "\n")
"""


def simulated(n: int, d: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    labels = rng.integers(k, size=n)
    factors = rng.normal(size=(k, d, d)) / np.sqrt(d)
    noise = np.einsum("nij,nj->ni", factors[labels], rng.normal(size=(n, d)))
    return centres[labels] + noise + 0.3 * rng.normal(size=(n, d))


def run_mclust(X: np.ndarray, repeats: int = 1) -> tuple[float, str, int, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "X.csv"
        pd.DataFrame(X).to_csv(path, index=False)
        script = Path(folder) / "run.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(path), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    return float(out[0]), out[1], int(out[2]), float(out[3])


def run_ours(X: np.ndarray) -> tuple[float, str, int, float]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = select_model(X, range(1, 10), "all", init_params="hierarchical", n_init=1)
    elapsed = time.perf_counter() - start
    best = selection.table.iloc[0]
    return elapsed, str(best.mclust_name), int(best.n_components), -float(best.bic)


def run_r(script: str, X: np.ndarray) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "X.csv"
        pd.DataFrame(X).to_csv(path, index=False)
        (Path(folder) / "run.R").write_text(script)
        return subprocess.run(
            ["Rscript", str(Path(folder) / "run.R"), str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()


def details() -> None:
    """Time per model on 5-D N=20k; hierarchical initialisation against mclust's hc."""
    from bayesgmm.covariance import MCLUST_MODELS
    from bayesgmm.em.hierarchical_start import hierarchical_partitions

    X = simulated(20_000, 5, 4, seed=1)
    hierarchical_partitions(X, [1])  # the tree, once (cached for every model)
    rows = []
    for model in MCLUST_MODELS:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            select_model(X, range(1, 10), model, init_params="hierarchical", n_init=1)
        rows.append({"model": model, "seconds (K = 1..9)": round(time.perf_counter() - start, 2)})
    print("\n14-model grid on 5-D N=20k, time per model:")
    print(pd.DataFrame(rows).to_string(index=False))
    rows = []
    for n in (1000, 2000, 5000, 20000):
        X = simulated(n, 5, 4, seed=3)
        from bayesgmm.em import hierarchical_start as hc_module

        hc_module._TREES.clear()  # time a cold tree
        start = time.perf_counter()
        hierarchical_partitions(X, list(range(1, 10)))
        ours = time.perf_counter() - start
        theirs = float(run_r(HC_SCRIPT, X)[0])
        rows.append({"N": n, "bayesgmm s": round(ours, 2), "mclust hc s": round(theirs, 2)})
    print("\nHierarchical initialisation (VVV, SVD transformation; subset of 2000 above):")
    print(pd.DataFrame(rows).to_string(index=False))


def main() -> None:
    data = {
        "galaxies / 1000 (82 x 1)": load_galaxies().to_numpy() / 1000,
        "faithful (272 x 2)": load_faithful().to_numpy(),
        "iris (150 x 4)": load_iris().iloc[:, :4].to_numpy(),
        "simulated 5-D, K=4 (20k x 5)": simulated(20_000, 5, 4, seed=1),
    }
    if "--large" in sys.argv:
        data["simulated 10-D, K=6 (100k x 10)"] = simulated(100_000, 10, 6, seed=2)
    warm = time.perf_counter()
    run_ours(load_faithful().to_numpy()[:100])
    print(f"bayesgmm warm-up grid (first call in this process): {time.perf_counter() - warm:.2f} s")
    rows = []
    for name, X in data.items():
        # small problems: medians of 3 x 5 runs each (alternating R and Python), large: one
        repeats, inner = (3, 5) if X.shape[0] < 5000 else (1, 1)
        runs = [
            (run_mclust(X, inner), sorted(run_ours(X) for _ in range(inner))[inner // 2])
            for _ in range(repeats)
        ]
        theirs = (float(np.median([r[0][0] for r in runs])), *runs[0][0][1:])
        ours = (float(np.median([r[1][0] for r in runs])), *runs[0][1][1:])
        rows.append(
            {
                "data": name,
                "mclust s": round(theirs[0], 3),
                "bayesgmm s": round(ours[0], 3),
                "ratio (ours/mclust)": round(ours[0] / theirs[0], 2),
                "mclust choice": f"{theirs[1]},{theirs[2]} (BIC {theirs[3]:.2f})",
                "bayesgmm choice": f"{ours[1]},{ours[2]} (BIC {ours[3]:.2f})",
            }
        )
        print(rows[-1], flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))
    if "--details" in sys.argv:
        details()


if __name__ == "__main__":
    main()
