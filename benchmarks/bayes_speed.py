"""Bayesian speed: effective samples per second of bayesgmm's model vs the textbook PyMC one.

Ours: the marginalised mixture of ``bayesgmm.bayes.build_model`` (one batched
triangular solve per evaluation), sampled by nutpie from the EM solution. Reference:
``pm.Mixture`` over a list of ``pm.MvNormal.dist`` with one ``pm.LKJCholeskyCov`` per
component, sampled with PyMC's default NUTS (``nuts_sampler="pymc"``, one core,
default initialisation). Same data, chains, draws and tuning. ESS/s is the minimum
``ess_bulk`` over weights and means divided by wall time, with and without the
compile time (reported separately). Usage::

    python benchmarks/bayes_speed.py [--problems 2d 5d] [--draws 1000] [--chains 4]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pymc as pm

from bayesgmm import BayesianGaussianMixture
from bayesgmm.bayes.fit import _COMPILED

PROBLEMS = {"2d": (1000, 2, 3), "5d": (5000, 5, 4)}


def simulate(n: int, d: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=5.0, size=(k, d))
    labels = rng.integers(k, size=n)
    return centers[labels] + rng.normal(size=(n, d))


def min_ess(idata, var_names) -> float:
    ess = az.ess(idata, var_names=var_names, method="bulk")
    return float(min(float(np.nanmin(ess[v].values)) for v in var_names))


def run_ours(X, k, draws, tune, chains):
    _COMPILED.clear()
    est = BayesianGaussianMixture(
        k, draws=draws, tune=tune, chains=chains, random_state=0, progressbar=False
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    first = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)  # compiled model cached: sampling (and EM) only
    cached = time.perf_counter() - start
    return min_ess(est.idata_, ["weights", "means"]), first, cached


def run_textbook(X, k, draws, tune, chains):
    d = X.shape[1]
    with pm.Model(coords={"component": range(k), "feature": range(d)}) as model:
        weights = pm.Dirichlet("weights", np.ones(k), dims="component")
        means = pm.Normal(
            "means", X.mean(axis=0), 10.0 * X.std(axis=0), dims=("component", "feature")
        )
        comps = []
        for j in range(k):
            chol, _, _ = pm.LKJCholeskyCov(
                f"chol_{j}",
                n=d,
                eta=2.0,
                sd_dist=pm.HalfNormal.dist(X.std(axis=0)),
                compute_corr=True,
            )
            comps.append(pm.MvNormal.dist(mu=means[j], chol=chol))
        pm.Mixture("obs", w=weights, comp_dists=comps, observed=X)
    start = time.perf_counter()
    with model, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            random_seed=0,
            nuts_sampler="pymc",
            progressbar=False,
        )
    total = time.perf_counter() - start
    return min_ess(idata, ["weights", "means"]), total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("results") / "bayes_speed.md"
    )
    args = parser.parse_args(argv)
    lines = [
        f"{args.chains} chains x ({args.tune} tune + {args.draws} draws); min ess_bulk over "
        "weights and means; ESS/s with compile (first fit) and without (cached refit).",
        "",
        "| problem | textbook ESS | textbook s | textbook ESS/s | ours ESS | ours s (first) "
        "| ours s (cached) | ours ESS/s (first) | ours ESS/s (cached) | ratio (first) "
        "| ratio (cached) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.problems:
        n, d, k = PROBLEMS[name]
        X = simulate(n, d, k)
        ours_ess, first, cached = run_ours(X, k, args.draws, args.tune, args.chains)
        ref_ess, ref_s = run_textbook(X, k, args.draws, args.tune, args.chains)
        ref_rate = ref_ess / ref_s
        row = (
            f"| N={n} D={d} K={k} | {ref_ess:.0f} | {ref_s:.1f} | {ref_rate:.1f} | "
            f"{ours_ess:.0f} | {first:.1f} | {cached:.1f} | {ours_ess / first:.1f} | "
            f"{ours_ess / cached:.1f} | {ours_ess / first / ref_rate:.1f}x | "
            f"{ours_ess / cached / ref_rate:.1f}x |"
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
