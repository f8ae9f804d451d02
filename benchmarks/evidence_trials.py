"""collect_evidence on simulated data sets with a known number of components.

Three problems the library was not tuned on (5-6 features, 150-200 rows): prints,
per data set, the recommendation, the time, the evidence table and every warning
(category and message), as the issue-16 note reports them.

Usage: python benchmarks/evidence_trials.py [--n-boot 49]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from bayesgmm import collect_evidence


def random_covariance(rng: np.random.Generator, d: int, scale: float) -> np.ndarray:
    a = rng.normal(size=(d, d))
    q, _ = np.linalg.qr(a)
    return scale * (q * rng.uniform(0.3, 1.5, size=d)) @ q.T


def simulate(name: str) -> tuple[pd.DataFrame, int]:
    rng = np.random.default_rng({"A": 11, "B": 22, "C": 33}[name])
    if name == "A":  # 6-D, K=3, full covariances, well separated
        d, weights, shift, n = 6, [0.4, 0.35, 0.25], 6.0, 200
    elif name == "B":  # 5-D, K=4, moderate overlap
        d, weights, shift, n = 5, [0.3, 0.3, 0.2, 0.2], 4.0, 200
    else:  # 6-D, K=2, unequal weights
        d, weights, shift, n = 6, [0.8, 0.2], 5.0, 150
    k = len(weights)
    centers = rng.normal(scale=shift / np.sqrt(2), size=(k, d))
    labels = rng.choice(k, size=n, p=weights)
    covs = [random_covariance(rng, d, 1.0) for _ in range(k)]
    X = np.array([rng.multivariate_normal(centers[j], covs[j]) for j in labels])
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(d)]), k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=49)
    args = parser.parse_args()
    for name in ("A", "B", "C"):
        X, k = simulate(name)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evidence = collect_evidence(X, n_boot=args.n_boot, random_state=0, progress=False)
        seconds = time.perf_counter() - start
        print(f"\n=== data set {name}: n={len(X)}, D={X.shape[1]}, true K={k} ===")
        print(f"recommended {evidence.recommendation['name']} in {seconds:.0f} s")
        print(evidence)
        print(f"warnings ({len(caught)}):")
        for w in caught:
            print(f"  {w.category.__name__}: {str(w.message)[:300]}")


if __name__ == "__main__":
    main()
