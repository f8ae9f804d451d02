"""EM speed: bayesgmm.GaussianMixture against scikit-learn, side by side in one run.

For every problem both estimators get the same data and the same explicit initial
parameters, ``tol=0`` and a fixed ``max_iter``, so they do exactly the same EM
iterations. Runs alternate (sklearn, bayesgmm, sklearn, ...) and the median of the
repeats is reported, with the speedup and the relative difference of the final
log-likelihood. Usage::

    python benchmarks/em_speed.py [--repeats 3] [--max-iter 10] [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bayesgmm import GaussianMixture

try:
    from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs scikit-learn: pip install -e '.[dev]'")

GRID = [
    (100_000, d, k, ct)
    for d, k in [(2, 3), (10, 8), (50, 16)]
    for ct in ("full", "tied", "diag", "spherical")
]
SPEECH = (200_000, 39, 64, "diag")


def make_problem(n: int, d: int, k: int, covariance_type: str, seed: int = 0):
    """Data drawn from a random K-component mixture, and a shared explicit init."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(k, d))
    labels = rng.integers(k, size=n)
    scales = rng.uniform(0.5, 2.0, size=(k, 1))
    X = centers[labels] + rng.normal(size=(n, d)) * scales[labels] + 100.0
    means = X[rng.choice(n, size=k, replace=False)]
    weights = np.full(k, 1.0 / k)
    var = X.var(axis=0).mean()
    precisions = {
        "full": np.tile(np.eye(d) / var, (k, 1, 1)),
        "tied": np.eye(d) / var,
        "diag": np.full((k, d), 1.0 / var),
        "spherical": np.full(k, 1.0 / var),
    }[covariance_type]
    return X, {"weights_init": weights, "means_init": means, "precisions_init": precisions}


def time_fit(cls, X, init, covariance_type, max_iter):
    est = cls(
        len(init["weights_init"]),
        covariance_type=covariance_type,
        tol=0.0,
        max_iter=max_iter,
        **init,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est.fit(X)
        elapsed = time.perf_counter() - start
    return elapsed, est


def run(problems, repeats: int, max_iter: int):
    rows = []
    for n, d, k, ct in problems:
        X, init = make_problem(n, d, k, ct)
        sk_times, our_times = [], []
        for _ in range(repeats):
            t, sk = time_fit(SklearnGaussianMixture, X, init, ct, max_iter)
            sk_times.append(t)
            t, ours = time_fit(GaussianMixture, X, init, ct, max_iter)
            our_times.append(t)
        sk_t, our_t = statistics.median(sk_times), statistics.median(our_times)
        rel = abs(ours.lower_bound_ - sk.lower_bound_) / abs(sk.lower_bound_)
        rows.append((n, d, k, ct, sk_t, our_t, sk_t / our_t, rel))
        print(
            f"N={n:>7} D={d:>3} K={k:>3} {ct:>9}: sklearn {sk_t:8.3f}s  bayesgmm "
            f"{our_t:7.3f}s  speedup {sk_t / our_t:5.1f}x  |dLL|/|LL| {rel:.1e}",
            flush=True,
        )
    return rows


def to_markdown(rows, repeats: int, max_iter: int) -> str:
    lines = [
        f"EM, {max_iter} iterations (tol=0, same explicit init), median of {repeats} "
        f"alternating runs; {platform.machine()}, {platform.python_version()}, "
        f"numpy {np.__version__}.",
        "",
        "| N | D | K | covariance | sklearn s | bayesgmm s | speedup | rel. LL diff |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, d, k, ct, sk_t, our_t, speedup, rel in rows:
        lines.append(
            f"| {n:,} | {d} | {k} | {ct} | {sk_t:.3f} | {our_t:.3f} | {speedup:.1f}x | {rel:.1e} |"
        )
    speedups = [r[6] for r in rows]
    lines += [
        "",
        f"Median speedup {statistics.median(speedups):.1f}x, "
        f"minimum {min(speedups):.1f}x, largest rel. LL diff "
        f"{max(r[7] for r in rows):.1e}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="D=2 and D=10 problems only")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("results") / "em_speed.md"
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="also replace the table between the em_speed markers in README.md",
    )
    args = parser.parse_args(argv)
    problems = [p for p in GRID if not args.quick or p[1] < 50]
    if not args.quick:
        problems.append(SPEECH)
    rows = run(problems, args.repeats, args.max_iter)
    table = to_markdown(rows, args.repeats, args.max_iter)
    print()
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(table + "\n")
    tmp.replace(args.out)
    if args.readme:
        update_readme(Path(__file__).parents[1] / "README.md", table)
    return 0


def update_readme(readme: Path, table: str) -> None:
    """Replace the text between the em_speed markers of the README (atomically)."""
    start, end = "<!-- em_speed:start -->", "<!-- em_speed:end -->"
    text = readme.read_text()
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    tmp = readme.with_suffix(".tmp")
    tmp.write_text(f"{head}{start}\n{table}\n{end}{tail}")
    tmp.replace(readme)


if __name__ == "__main__":
    raise SystemExit(main())
