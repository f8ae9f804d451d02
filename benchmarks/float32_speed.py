"""float32 against float64 input: bayesgmm's EM on the em_speed grid, side by side.

Every problem of ``benchmarks/em_speed.py`` (N = 100k; D = 2, 10, 50; four covariance
types) is fitted from the same explicit start with ``tol=0`` and a fixed ``max_iter``,
once with the data as float64 and once as float32 (the same values rounded), runs
alternating, medians of the repeats. Reports the speedup of float32 and the relative
difference of the final log-likelihood (float32 runs the E-step passes in float32;
the parameters, the M-step and the sums of the statistics stay float64). Usage::

    python benchmarks/float32_speed.py [--repeats 3] [--max-iter 10] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from em_speed import GRID, make_problem, time_fit

from bayesgmm import GaussianMixture


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="D=2 and D=10 problems only")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("results") / "float32_speed.md"
    )
    args = parser.parse_args(argv)
    lines = [
        f"bayesgmm EM, float64 vs float32 input, {args.max_iter} iterations (tol=0, same "
        f"explicit init), median of {args.repeats} alternating runs.",
        "",
        "| N | D | K | covariance | float64 s | float32 s | speedup | rel. LL diff |",
        "|---|---|---|---|---|---|---|---|",
    ]
    speedups, diffs = [], []
    for n, d, k, ct in GRID:
        if args.quick and d >= 50:
            continue
        X64, init = make_problem(n, d, k, ct)
        X64 = X64.astype(np.float32).astype(np.float64)  # the same values in both
        X32 = X64.astype(np.float32)
        t64, t32 = [], []
        for _ in range(args.repeats):
            t, fit64 = time_fit(GaussianMixture, X64, init, ct, args.max_iter)
            t64.append(t)
            t, fit32 = time_fit(GaussianMixture, X32, init, ct, args.max_iter)
            t32.append(t)
        a, b = statistics.median(t64), statistics.median(t32)
        rel = abs(fit32.lower_bound_ - fit64.lower_bound_) / abs(fit64.lower_bound_)
        speedups.append(a / b)
        diffs.append(rel)
        row = f"| {n:,} | {d} | {k} | {ct} | {a:.3f} | {b:.3f} | {a / b:.2f}x | {rel:.1e} |"
        print(row, flush=True)
        lines.append(row)
    lines += [
        "",
        f"Median speedup {statistics.median(speedups):.2f}x, minimum {min(speedups):.2f}x; "
        f"largest rel. LL diff {max(diffs):.1e}.",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text + "\n")
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
