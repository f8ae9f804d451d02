"""Latency of Bayesian fits: what a user waits for in a fresh process and in a notebook.

Each row runs in fresh Python subprocesses (one per measurement, median of
``--repeats``) and reports the seconds spent inside ``BayesianGaussianMixture.fit``
(imports excluded, reported separately), 2 chains x (1000 tune + 1000 draws):

- cold cache: nothing compiled on this machine yet (an empty ``BAYESGMM_CACHE_DIR``);
- fresh process, seen shape: the same model fitted before on this machine;
- fresh process, new N / new K / new covariance type;
- in-process refit: the same model fitted again in the process that fitted it.

Problems: Old Faithful K=2 full, and a simulated 5-D, K=4, N=5000 mixture. Usage::

    python benchmarks/bayes_latency.py [--repeats 3] [--problems faithful '5-D simulated']
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
from bayesgmm import BayesianGaussianMixture, load_faithful
imported = time.perf_counter() - t0
problem, cov, refit = sys.argv[1], sys.argv[4], sys.argv[5] == "1"
n_rows, k = int(sys.argv[2]), int(sys.argv[3])
if problem == "faithful":
    X = load_faithful().to_numpy()
else:
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=4.0, size=(4, 5))
    X = centers[rng.integers(4, size=5000)] + rng.normal(size=(5000, 5))
X = X[:n_rows]
model = BayesianGaussianMixture(k, covariance_type=cov, chains=2, draws=1000, tune=1000,
                                random_state=0, progressbar=False)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    t0 = time.perf_counter(); model.fit(X); first = time.perf_counter() - t0
    second = None
    if refit:
        t0 = time.perf_counter(); model.fit(X); second = time.perf_counter() - t0
print(json.dumps({"import": imported, "fit": first, "refit": second}))
"""

PROBLEMS = {"faithful": (272, 2, "full", 200), "5-D simulated": (5000, 4, "full", 2000)}


def _child(cache: str, problem: str, n_rows: int, k: int, cov: str, refit: bool = False):
    env = {**os.environ, "BAYESGMM_CACHE_DIR": cache}
    key = "faithful" if problem == "faithful" else "sim"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, key, str(n_rows), str(k), cov, "1" if refit else "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("results") / "bayes_latency.md"
    )
    args = parser.parse_args(argv)
    lines = [
        "Seconds inside `fit` (2 chains x (1000 tune + 1000 draws)), each in a fresh "
        f"process, median of {args.repeats}; import time separate.",
        "",
        "| problem | cold cache (once per machine) | fresh process, seen shape | new N "
        "| new K | new covariance type | in-process refit | fresh / refit | import |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.problems:
        n, k, cov, other_n = PROBLEMS[name]
        with tempfile.TemporaryDirectory() as cold:
            cold_fit = _child(cold, name, n, k, cov)["fit"]
        warm = os.environ.get("BAYESGMM_CACHE_DIR") or str(Path.home() / ".cache" / "bayesgmm")
        _child(warm, name, n, k, cov)  # make sure this shape was seen before

        def median(*spec, refit=False, warm=warm, name=name):
            runs = [_child(warm, name, *spec, refit=refit) for _ in range(args.repeats)]
            return statistics.median(r["fit"] for r in runs), runs

        seen, runs = median(n, k, cov, refit=True)
        refit = statistics.median(r["refit"] for r in runs)
        imported = statistics.median(r["import"] for r in runs)
        new_n, _ = median(other_n, k, cov)
        new_k, _ = median(n, k + 1, cov)
        new_cov, _ = median(n, k, "diag")
        row = (
            f"| {name} (N={n}, K={k}, {cov}) | {cold_fit:.1f} | {seen:.2f} | {new_n:.2f} "
            f"(N={other_n}) | {new_k:.2f} (K={k + 1}) | {new_cov:.2f} (diag) | {refit:.2f} "
            f"| {seen / refit:.1f}x | {imported:.1f} |"
        )
        print(row, flush=True)
        lines.append(row)
    table = "\n".join(lines)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(table + "\n")
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
