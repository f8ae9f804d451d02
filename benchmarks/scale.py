"""EM at scale: time and peak memory vs N for in-memory, chunked and Dask fits.

Problem: D = 10 features, K = 8 components (simulated, well separated), N = 1e5,
1e6, 1e7, covariance types diag and full. Every method starts from the same
explicit initial parameters (the true ones, perturbed) and runs exactly
``--iterations`` EM iterations (``tol=0``), so the timings compare E/M passes,
not initialisations or iteration counts.

Methods, each in its own fresh process (so peak memory is not inherited):

* ``numpy``: ``bayesgmm.GaussianMixture`` on an in-memory array, default settings: a
  centred copy is stored unless it would exceed 1 GiB (at N = 1e7 it would: the fit
  then streams from ``X`` automatically).
* ``chunked``: the same with ``chunk_size=65536``, reading ``X`` from a memory-mapped
  ``.npy`` file (nothing of size N stored).
* ``dask``: the same estimator on a ``dask.array`` held by a two-worker
  ``LocalCluster`` (data generated on the workers and persisted there).
* ``sklearn``: ``sklearn.mixture.GaussianMixture`` (the reference), in memory.

Peak memory is what the process allocates during ``fit`` beyond the data
(``tracemalloc``; NumPy reports its buffers to it), measured in a separate run from
the timing. For Dask it is the client's; the workers hold the persisted data.
The growth exponent is the least-squares slope of log(time) on log(N).

Usage::

    python benchmarks/scale.py [--sizes 1e5 1e6 1e7] [--types diag full] [--iterations 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

D, K = 10, 8
CHUNK = 65_536
#: rows simulated per seed (the data are identical for every method)
SIMULATION_BLOCK = 1_000_000
METHODS = ["numpy", "chunked", "dask", "sklearn"]


def true_parameters(seed: int = 0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(K, D))
    scales = rng.uniform(0.5, 1.5, size=(K, D))
    weights = rng.dirichlet(np.full(K, 5.0))
    return weights, means, scales


def simulate_block(n: int, seed: int) -> np.ndarray:
    weights, means, scales = true_parameters()
    rng = np.random.default_rng(seed)
    labels = rng.choice(K, size=n, p=weights)
    return means[labels] + rng.normal(size=(n, D)) * scales[labels]


def simulate(n: int) -> np.ndarray:
    block = SIMULATION_BLOCK
    return np.concatenate(
        [simulate_block(min(block, n - s), seed=1 + s // block) for s in range(0, n, block)]
    )


def inits(covariance_type: str) -> dict:
    weights, means, scales = true_parameters()
    rng = np.random.default_rng(99)
    means = means + rng.normal(scale=0.5, size=means.shape)
    precisions = 1.0 / (1.5 * scales) ** 2
    if covariance_type == "full":
        precisions = np.stack([np.diag(p) for p in precisions])
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


def settings(covariance_type: str, iterations: int) -> dict:
    return {
        "n_components": K,
        "covariance_type": covariance_type,
        "tol": 0.0,
        "max_iter": iterations,
        **inits(covariance_type),
    }


# ----------------------------------------------------------------------------- one run
def run_one(method: str, n: int, covariance_type: str, iterations: int, memory: bool) -> dict:
    """Fit once; returns seconds and peak bytes allocated during fit beyond the data."""
    params = settings(covariance_type, iterations)
    client = cluster = None
    if method == "dask":
        import dask.array as da
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        rows = SIMULATION_BLOCK  # the same rows as simulate(n), generated on the workers
        blocks = [
            da.from_delayed(
                _delayed_block(min(rows, n - s), 1 + s // rows), (min(rows, n - s), D), float
            ).rechunk((250_000, D))
            for s in range(0, n, rows)
        ]
        X = da.concatenate(blocks).persist()
        from distributed import wait

        wait(X)
    elif method == "chunked":
        folder = tempfile.mkdtemp(prefix="bayesgmm-scale-")
        path = Path(folder) / "X.npy"
        np.save(path, simulate(n))
        X = np.load(path, mmap_mode="r")
        params["chunk_size"] = CHUNK
    else:
        X = simulate(n)
    if method == "sklearn":
        from sklearn.mixture import GaussianMixture as Reference

        estimator = Reference(**params)
    else:
        from bayesgmm import GaussianMixture

        estimator = GaussianMixture(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if memory:
            tracemalloc.start()
        start = time.perf_counter()
        estimator.fit(X)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
    result = {
        "seconds": seconds,
        "peak_bytes": peak,
        "log_likelihood": float(estimator.lower_bound_),
    }
    if client is not None:
        client.close()
        cluster.close()
    return result


def _delayed_block(n: int, seed: int):
    import dask

    return dask.delayed(simulate_block)(n, seed)


def run_isolated(method, n, covariance_type, iterations, memory) -> dict:
    """``run_one`` in a fresh Python process."""
    folder = str(Path(__file__).parent)
    call = f"scale.run_one({method!r}, {n}, {covariance_type!r}, {iterations}, {memory})"
    code = (
        f"import json, sys; sys.path.insert(0, {folder!r}); import scale; print(json.dumps({call}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=os.environ
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- report
def slope(sizes, values) -> float:
    ok = [(s, v) for s, v in zip(sizes, values, strict=True) if v and np.isfinite(v)]
    if len(ok) < 2:
        return float("nan")
    x, y = np.log([s for s, _ in ok]), np.log([v for _, v in ok])
    return float(np.polyfit(x, y, 1)[0])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--types", nargs="+", default=["diag", "full"])
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "scale.md"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes]
    rows = []
    for covariance_type in args.types:
        for n in sizes:
            for method in args.methods:
                timing = run_isolated(method, n, covariance_type, args.iterations, False)
                memory = run_isolated(method, n, covariance_type, args.iterations, True)
                row = {
                    "type": covariance_type,
                    "n": n,
                    "method": method,
                    "seconds": timing.get("seconds"),
                    "peak_mb": (memory.get("peak_bytes") or 0) / 2**20
                    if "error" not in memory
                    else None,
                    "log_likelihood": timing.get("log_likelihood"),
                    "error": timing.get("error") or memory.get("error"),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    lines = [
        f"# EM at scale (D={D}, K={K}, {args.iterations} EM iterations from the same inits)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on a 2-core machine, one run "
        f"(`python benchmarks/scale.py --sizes {' '.join(f'{s:g}' for s in args.sizes)}`). "
        "Time: wall seconds of `fit`; memory: peak MB allocated during `fit` beyond the "
        "data (tracemalloc; for Dask, the client's). Ratio: sklearn time / ours.",
        "",
        "| type | N | method | seconds | s per 1e6 rows per iteration | peak MB | "
        "vs sklearn | mean log-lik |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        reference = next(
            (
                r["seconds"]
                for r in rows
                if r["method"] == "sklearn" and r["n"] == row["n"] and r["type"] == row["type"]
            ),
            None,
        )
        if row["error"]:
            lines.append(
                f"| {row['type']} | {row['n']:.0e} | {row['method']} | failed: {row['error']} "
                "| | | | |"
            )
            continue
        per = row["seconds"] / (row["n"] / 1e6) / args.iterations
        ratio = f"{reference / row['seconds']:.2f}x" if reference else ""
        lines.append(
            f"| {row['type']} | {row['n']:.0e} | {row['method']} | {row['seconds']:.2f} | "
            f"{per:.3f} | {row['peak_mb']:.1f} | {ratio} | {row['log_likelihood']:.6f} |"
        )
    lines += [
        "",
        "Growth exponents (slope of log time / log peak memory on log N; 1 = linear; the "
        "second column uses the two largest N only, where fixed costs matter least):",
        "",
    ]
    lines += [
        "| type | method | time exponent | time exponent (two largest N) | peak-memory "
        "exponent (two largest N) |",
        "|---|---|---|---|---|",
    ]
    for covariance_type in args.types:
        for method in args.methods:
            sel = [
                r
                for r in rows
                if r["type"] == covariance_type and r["method"] == method and not r["error"]
            ]
            sizes_ok = [r["n"] for r in sel]
            t = slope(sizes_ok, [r["seconds"] for r in sel])
            t2 = slope(sizes_ok[-2:], [r["seconds"] for r in sel[-2:]])
            m2 = slope(sizes_ok[-2:], [max(r["peak_mb"], 1e-3) for r in sel[-2:]])
            lines.append(f"| {covariance_type} | {method} | {t:.2f} | {t2:.2f} | {m2:.2f} |")
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
