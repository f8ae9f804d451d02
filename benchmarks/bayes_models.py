"""Bayesian speed per covariance model: the compiled kernels beside their own specification.

For every covariance model with a Bayesian model (mclust's names), on one simulated
problem, both sampled by nutpie with the same settings and started at the same EM
solution of that model (plus the same small jitter):

- ours: ``BayesianGaussianMixture(K, covariance_type=...)`` (the compiled kernels of
  ``bayesgmm.bayes.compiled_model``), timed on a second fit in the process (the
  kernels loaded, as in a notebook), EM included;
- specification: the PyMC model of ``bayesgmm.bayes.build_model`` for the same model,
  compiled by nutpie's PyTensor backend (``compile_pymc_model``; compile time apart).

Reported: min ``ess_bulk`` over weights and means, seconds, ESS/s and the median time
of one log-density + gradient call of each (nutpie's C callback, through ctypes, one
thread, at the EM start), and their ratios. Usage::

    python benchmarks/bayes_models.py [--models EII EEI ...] [--n 1000] [--d 2] [--k 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings
from pathlib import Path

import nutpie
from bayes_speed import gradient_seconds, jittered, min_ess, simulate

from bayesgmm import BayesianGaussianMixture, GaussianMixture
from bayesgmm.bayes import Priors, build_model
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture, compile_kernels
from bayesgmm.bayes.fit import _flat_start, em_start
from bayesgmm.bayes.spec import BAYESIAN_COVARIANCE_TYPES
from bayesgmm.covariance import MCLUST_MODELS, get_covariance_model


def bayesian_models() -> list[str]:
    """mclust's names of the models with a Bayesian model, in mclust's order."""
    return [m for m in MCLUST_MODELS if get_covariance_model(m).name in BAYESIAN_COVARIANCE_TYPES]


def run_model(X, k: int, model: str, draws: int, tune: int, chains: int) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(k, covariance_type=model, n_init=5, random_state=0).fit(X)
        est = BayesianGaussianMixture(
            k, covariance_type=model, draws=draws, tune=tune, chains=chains,
            random_state=0, progressbar=False,
        )  # fmt: skip
        est.fit(X)  # warm-up: loads (or compiles) the kernels
        begin = time.perf_counter()
        est.fit(X)
        ours_s = time.perf_counter() - begin
    center, scale = standardization(X)
    start = em_start(model, gm.weights_, gm.means_, gm.covariances_, center, scale)
    mixture = CompiledMixture(X, k, model, Priors(), center, scale)
    logp_cfunc, _ = compile_kernels()
    ours_grad = gradient_seconds(logp_cfunc, mixture.buffer.ctypes.data, mixture.unconstrain(start))
    spec = build_model(X, k, model)
    flat, _ = _flat_start(spec, start)
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = nutpie.compile_pymc_model(spec)
    compile_s = time.perf_counter() - begin
    compiled = dataclasses.replace(compiled, initial_point_func=jittered(flat))
    begin = time.perf_counter()
    idata = nutpie.sample(
        compiled, draws=draws, tune=tune, chains=chains, cores=chains, seed=0,
        progress_bar=False, save_warmup=False,
    )  # fmt: skip
    spec_s = time.perf_counter() - begin
    spec_grad = gradient_seconds(compiled.compiled_logp_func, compiled.user_data.ctypes.data, flat)
    return {
        "ours_ess": min_ess(est.idata_, ["weights", "means"]),
        "ours_s": ours_s,
        "ours_grad": ours_grad,
        "spec_ess": min_ess(idata, ["weights", "means"]),
        "spec_s": spec_s,
        "spec_compile": compile_s,
        "spec_grad": spec_grad,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=bayesian_models())
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--d", type=int, default=2)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("results") / "bayes_models.md"
    )
    args = parser.parse_args(argv)
    X = simulate(args.n, args.d, args.k)
    lines = [
        f"N={args.n}, D={args.d}, K={args.k} (simulated, `bayes_speed.simulate`); "
        f"{args.chains} chains x ({args.tune} tune + {args.draws} draws), nutpie, both "
        "started at the model's EM solution; min ess_bulk over weights and means; ours: "
        "a second fit in the process, EM included; specification: `build_model` compiled "
        "by nutpie's PyTensor backend, sampling only (compile apart).",
        "",
        "| model | spec ESS | spec s | spec compile s | spec ESS/s | ours ESS | ours s "
        "| ours ESS/s | ESS/s ratio | spec us/grad | ours us/grad | gradient ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in args.models:
        r = run_model(X, args.k, model, args.draws, args.tune, args.chains)
        spec_rate, ours_rate = r["spec_ess"] / r["spec_s"], r["ours_ess"] / r["ours_s"]
        row = (
            f"| {model} | {r['spec_ess']:.0f} | {r['spec_s']:.1f} | {r['spec_compile']:.1f} "
            f"| {spec_rate:.0f} | {r['ours_ess']:.0f} | {r['ours_s']:.1f} | {ours_rate:.0f} "
            f"| {ours_rate / spec_rate:.1f}x | {r['spec_grad'] * 1e6:.0f} "
            f"| {r['ours_grad'] * 1e6:.0f} | {r['spec_grad'] / r['ours_grad']:.1f}x |"
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
