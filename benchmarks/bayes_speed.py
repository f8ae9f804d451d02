"""Bayesian speed: ESS per second of bayesgmm's compiled model vs the textbook PyMC one.

A fair comparison: both start every chain at the same EM solution (plus the same
small jitter) and are sampled by nutpie with the same settings, one chain per core.

- ours: ``BayesianGaussianMixture`` (the compiled, shape-generic kernels of
  ``bayesgmm.bayes.compiled_model``; the PyMC model of ``build_model`` is its specification);
- textbook: ``pm.Mixture`` over a list of ``pm.MvNormal.dist`` with one
  ``pm.LKJCholeskyCov`` per component, in data units, compiled by nutpie
  (``compile_pymc_model``; compile time reported separately).

Reported: min ``ess_bulk`` over weights and means, sampling seconds, ESS/s, and the
median time of one call of each model's compiled log-density + gradient C callback
(the function nutpie calls; through ctypes, one thread, at the EM start). Usage::

    python benchmarks/bayes_speed.py [--problems 2d 5d] [--draws 1000] [--chains 2]
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import time
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import nutpie
import pymc as pm

from bayesgmm import BayesianGaussianMixture, GaussianMixture
from bayesgmm.bayes import Priors
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture, compile_kernels
from bayesgmm.bayes.fit import START_JITTER, _flat_start, em_start

PROBLEMS = {"2d": (1000, 2, 3), "5d": (5000, 5, 4)}


def simulate(n: int, d: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=5.0, size=(k, d))
    labels = rng.integers(k, size=n)
    return centers[labels] + rng.normal(size=(n, d))


def min_ess(idata, var_names) -> float:
    ess = az.ess(idata, var_names=var_names, method="bulk")
    return float(min(float(np.nanmin(ess[v].values)) for v in var_names))


def gradient_seconds(cfunc, user_data_address: int, point, n_evals: int = 2000) -> float:
    """Median seconds of one call of a nutpie log-density C callback (through ctypes)."""
    x = np.ascontiguousarray(point, dtype=np.float64)
    grad, logp = np.empty_like(x), np.empty(1)
    call = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, *[ctypes.c_void_p] * 4)(cfunc.address)
    args = (x.size, x.ctypes.data, grad.ctypes.data, logp.ctypes.data, user_data_address)
    times = []
    for _ in range(n_evals):
        begin = time.perf_counter()
        code = call(*args)
        times.append(time.perf_counter() - begin)
    assert code == 0, code
    return float(np.median(times))


def jittered(flat):
    def initial_point(seed):
        rng = np.random.default_rng(seed)
        return flat + rng.uniform(-START_JITTER, START_JITTER, size=flat.size)

    return initial_point


def run_ours(X, gm, k, draws, tune, chains):
    est = BayesianGaussianMixture(
        k, draws=draws, tune=tune, chains=chains, random_state=0, progressbar=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)  # warm-up: loads the compiled kernels
        start = time.perf_counter()
        est.fit(X)
    seconds = time.perf_counter() - start
    center, scale = standardization(X)
    mixture = CompiledMixture(X, k, "full", Priors(), center, scale)
    flat = mixture.unconstrain(
        em_start("full", gm.weights_, gm.means_, gm.covariances_, center, scale)
    )
    logp_cfunc, _ = compile_kernels()
    grad_s = gradient_seconds(logp_cfunc, mixture.buffer.ctypes.data, flat)
    return min_ess(est.idata_, ["weights", "means"]), seconds, grad_s


def run_textbook(X, gm, k, draws, tune, chains):
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
    rows = np.tril_indices(d)
    start_values = {"weights": gm.weights_, "means": gm.means_}
    for j in range(k):
        start_values[f"chol_{j}"] = np.linalg.cholesky(gm.covariances_[j])[rows]
    flat, _ = _flat_start(model, start_values)
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = nutpie.compile_pymc_model(model)
    compile_s = time.perf_counter() - begin
    compiled = dataclasses.replace(compiled, initial_point_func=jittered(flat))
    begin = time.perf_counter()
    idata = nutpie.sample(
        compiled, draws=draws, tune=tune, chains=chains, cores=chains, seed=0,
        progress_bar=False, save_warmup=False,
    )  # fmt: skip
    seconds = time.perf_counter() - begin
    ess = min_ess(idata, ["weights", "means"])
    grad_s = gradient_seconds(compiled.compiled_logp_func, compiled.user_data.ctypes.data, flat)
    return ess, seconds, compile_s, grad_s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("results") / "bayes_speed.md"
    )
    args = parser.parse_args(argv)
    lines = [
        f"{args.chains} chains x ({args.tune} tune + {args.draws} draws), nutpie, both started "
        "at the same EM solution; min ess_bulk over weights and means; sampling seconds "
        "(ours: the whole fit, EM included; textbook: sampling only, compile separate).",
        "",
        "| problem | textbook ESS | textbook s | textbook compile s | textbook ESS/s "
        "| ours ESS | ours s | ours ESS/s | ESS/s ratio | textbook us/grad | ours us/grad "
        "| gradient ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.problems:
        n, d, k = PROBLEMS[name]
        X = simulate(n, d, k)
        gm = GaussianMixture(k, n_init=5, random_state=0, max_iter=500, tol=1e-6).fit(X)
        ours_ess, ours_s, ours_grad = run_ours(X, gm, k, args.draws, args.tune, args.chains)
        ref_ess, ref_s, ref_compile, ref_grad = run_textbook(
            X, gm, k, args.draws, args.tune, args.chains
        )
        ref_rate, ours_rate = ref_ess / ref_s, ours_ess / ours_s
        row = (
            f"| N={n} D={d} K={k} | {ref_ess:.0f} | {ref_s:.1f} | {ref_compile:.1f} "
            f"| {ref_rate:.0f} | {ours_ess:.0f} | {ours_s:.1f} | {ours_rate:.0f} "
            f"| {ours_rate / ref_rate:.1f}x | {ref_grad * 1e6:.0f} | {ours_grad * 1e6:.0f} "
            f"| {ref_grad / ours_grad:.1f}x |"
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
