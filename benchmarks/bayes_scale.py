"""Bayesian fits at large N: full NUTS vs subsample NUTS + PSIS (``fit_large``).

Problem: 2 features, K = 3, full covariances, simulated from the known mixture of
``bayesgmm.testing.make_gmm_data("full", N, seed=0, separation=4)`` for N = 1e3,
1e4, 1e5; or, with ``--components K --features D``, a K-component D-feature mixture
(means drawn with sd 3, unit covariances, equal weights). Both routes sample 2 chains
x (500 tune + 500 draws) with nutpie, started from EM, ``random_state=0``:

* ``nuts``: ``BayesianGaussianMixture(3).fit(X)``, as the package does it (EM, NUTS
  on all rows, relabelling, diagnostics; the pointwise log-likelihood is stored up
  to 10 million values).
* ``approx``: ``bayesgmm.bayes.approximate.fit_large(X, 3, subsample=m)`` (EM, Taylor
  control variates, NUTS on m rows, PSIS over all rows), with
  ``m = max(30, min(1000, N // 4))`` unless ``--subsample`` is given.
* ``plain``: the same with ``control_variates=False`` (tempered subsample), to show
  why the control variates are needed (only its Pareto k-hat is reported).

Every fit runs in its own fresh process, so each pays its own compilation; the time
spent in ``nutpie.compile_pymc_model`` and in ``nutpie.sample`` is measured by
wrapping those functions. "min ESS" is the smallest bulk ESS over the weights, means
and covariances: ArviZ's for NUTS; for the approximation the proposal's bulk ESS of
each parameter times the importance-sampling efficiency ``ess_is / draws`` (the ESS
column of ``ApproximatePosterior.summary``). The errors are ``max |posterior mean
difference| / posterior sd`` over the entries of the means (covariances, weights),
against full NUTS (its sd) and against the true parameters (each route's own sd);
components are matched by their means. The growth exponent is the least-squares
slope of log(time) on log(N). Usage::

    python benchmarks/bayes_scale.py [--quick] [--sizes 1000 10000 100000]
        [--draws 500] [--tune 500] [--chains 2] [--subsample M] [--no-plain]
        [--components 3] [--features 2]
        [--max-nuts-n N] [--out PATH] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

K = 3
SEPARATION = 4.0
VARS = ("weights", "means", "covariances")
ROOT = Path(__file__).resolve().parent


def simulate(n: int, n_components: int = K, n_features: int = 2):
    """Rows and the true weights, means and covariances.

    Two features and three components: ``make_gmm_data``'s mixture. Otherwise means
    drawn with sd 3, unit covariances and equal weights (seed 0).
    """
    if (n_components, n_features) == (K, 2):
        from bayesgmm.testing import make_gmm_data

        return make_gmm_data("full", n, seed=0, separation=SEPARATION)
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=3.0, size=(n_components, n_features))
    labels = rng.integers(n_components, size=n)
    X = centers[labels] + rng.normal(size=(n, n_features))
    weights = np.full(n_components, 1.0 / n_components)
    return X, weights, centers, np.tile(np.eye(n_features), (n_components, 1, 1))


def default_subsample(n: int, n_components: int = K) -> int:
    return max(10 * n_components, min(1000, n // 4))


# ---------------------------------------------------------------------- worker
class Timer:
    """Accumulated wall time of calls to one function."""

    def __init__(self, func):
        self.func, self.seconds, self.calls = func, 0.0, 0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def moments(post, weights=None):
    """Posterior means and sds of VARS (optionally weighted over the flattened draws)."""
    out_mean, out_sd = {}, {}
    for name in VARS:
        var = post[name]
        values = var.values.reshape(-1, *var.shape[2:])
        w = np.full(len(values), 1.0 / len(values)) if weights is None else weights
        mean = np.tensordot(w, values, axes=1)
        sd = np.sqrt(np.tensordot(w, (values - mean) ** 2, axes=1))
        out_mean[name], out_sd[name] = mean.tolist(), sd.tolist()
    return out_mean, out_sd


def worker(args) -> dict:
    import arviz as az
    import nutpie

    compile_timer = Timer(nutpie.compile_pymc_model)
    sample_timer = Timer(nutpie.sample)
    nutpie.compile_pymc_model, nutpie.sample = compile_timer, sample_timer
    X = simulate(args.n, args.components, args.features)[0]
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains, "random_state": 0}
    result: dict = {"method": args.worker, "n": args.n}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        if args.worker == "nuts":
            from bayesgmm import BayesianGaussianMixture

            est = BayesianGaussianMixture(args.components, progressbar=False, **settings).fit(X)
            wall = time.perf_counter() - start
            post = est.idata_["posterior"].to_dataset()
            ess = az.ess(est.idata_, var_names=list(VARS), method="bulk")
            rhat = az.rhat(est.idata_, var_names=list(VARS))
            result["min_ess"] = min(float(np.nanmin(ess[v].values)) for v in VARS)
            result["r_hat_max"] = max(float(np.nanmax(rhat[v].values)) for v in VARS)
            result["divergences"] = int(est.idata_["sample_stats"]["diverging"].sum())
            # chains the estimator continued (its r_hat/ESS rule): draws per chain doubled
            result["doublings"] = int(est.idata_.attrs.get("doublings", 0))
            result["mean"], result["sd"] = moments(post)
        else:
            from bayesgmm.bayes.approximate import fit_large

            fit = fit_large(
                X,
                args.components,
                subsample=args.subsample or default_subsample(args.n, args.components),
                control_variates=args.worker == "approx",
                **settings,
            )
            wall = time.perf_counter() - start
            summary = fit.summary()
            result["min_ess"] = float(summary["ess"].min())
            result["proposal_min_ess"] = float(fit.proposal_diagnostics.min_ess_bulk)
            result["r_hat_max"] = float(fit.proposal_diagnostics.max_rhat)
            result["divergences"] = int(fit.proposal_diagnostics.divergences)
            result["pareto_k"] = fit.pareto_k
            result["ess_is"] = fit.ess_is
            result["subsample"] = fit.subsample_size
            result["timings"] = fit.timings
            proposal = fit.idata["proposal"].to_dataset()
            result["mean"], result["sd"] = moments(proposal, fit.weights)
    result.update(
        peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        wall=wall,
        compile=compile_timer.seconds,
        sampling=sample_timer.seconds,
        warnings=sorted({str(w.message)[:160] for w in caught}),
    )
    return result


def run_worker(method: str, n: int, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        method,
        "--n",
        str(n),
        "--draws",
        str(args.draws),
        "--tune",
        str(args.tune),
        "--chains",
        str(args.chains),
        "--components",
        str(args.components),
        "--features",
        str(args.features),
    ]
    if args.subsample:
        command += ["--subsample", str(args.subsample)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{method} N={n} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- comparisons
def match(reference_means, means) -> np.ndarray:
    """Permutation of ``means``'s components onto ``reference_means``'s."""
    cost = ((reference_means[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    _, cols = linear_sum_assignment(cost)
    return cols


def permuted(result: dict, perm) -> dict:
    return {
        key: {name: np.asarray(result[key][name])[perm] for name in VARS} for key in ("mean", "sd")
    }


def max_z(a_mean, b_mean, sd) -> float:
    sd = np.asarray(sd, dtype=float)
    diff = np.abs(np.asarray(a_mean) - np.asarray(b_mean))
    return float(np.max(diff / sd))


def truth_errors(result: dict, truth: dict) -> dict:
    perm = match(truth["means"], np.asarray(result["mean"]["means"]))
    own = permuted(result, perm)
    return {name: max_z(own["mean"][name], truth[name], own["sd"][name]) for name in VARS}


def nuts_errors(approx: dict, nuts: dict) -> dict:
    reference_means = np.asarray(nuts["mean"]["means"])
    own = permuted(approx, match(reference_means, np.asarray(approx["mean"]["means"])))
    return {name: max_z(own["mean"][name], nuts["mean"][name], nuts["sd"][name]) for name in VARS}


def sd_ratios(approx: dict, nuts: dict) -> str:
    """Range of the approximation's posterior sd over NUTS's, per parameter group."""
    own = permuted(
        approx, match(np.asarray(nuts["mean"]["means"]), np.asarray(approx["mean"]["means"]))
    )
    parts = []
    for name in VARS:
        ratio = np.asarray(own["sd"][name]) / np.asarray(nuts["sd"][name], dtype=float)
        ratio = ratio[np.isfinite(ratio)]
        parts.append(f"{name} {ratio.min():.2f}-{ratio.max():.2f}")
    return ", ".join(parts)


def slope(ns, times) -> float:
    if len(ns) < 2:
        return float("nan")
    return float(np.polyfit(np.log(ns), np.log(times), 1)[0])


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), {platform.system()} {platform.release()}"


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(
        f"{p} {version(p)}" for p in ("pymc", "pytensor", "nutpie", "arviz", "numpy", "bayesgmm")
    )


def fmt(value, spec=".1f") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return format(value, spec)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e3, 1e4, 1e5])
    parser.add_argument("--quick", action="store_true", help="N up to 1e4")
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--components", type=int, default=K, help="K of the simulated mixture")
    parser.add_argument("--features", type=int, default=2, help="D of the simulated mixture")
    parser.add_argument("--subsample", type=int, default=None)
    parser.add_argument("--no-plain", action="store_true", help="skip the tempered route")
    parser.add_argument(
        "--max-nuts-n", type=float, default=None, help="extrapolate NUTS above this N"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "results" / "bayes_scale.md", help="results file"
    )
    parser.add_argument("--json", type=Path, default=None, help="also save the raw results")
    parser.add_argument(
        "--from-json", type=Path, default=None, help="only re-render the report of a --json file"
    )
    parser.add_argument("--worker", choices=["nuts", "approx", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        raw = {int(n): entry for n, entry in saved["results"].items()}
        for key, value in saved["settings"].items():
            setattr(args, key, value)
        text = report(args, sorted(raw), raw, saved["command"], saved["date"])
    else:
        raw = run_all(args)
        command = command_line(sys.argv[1:] if argv is None else argv)
        date = dt.date.today().isoformat()
        text = report(args, sorted(raw), raw, command, date)
        if args.json:
            keys = ("draws", "tune", "chains", "subsample", "components", "features")
            settings = {k: getattr(args, k) for k in keys}
            saved = {"command": command, "date": date, "settings": settings, "results": raw}
            args.json.write_text(json.dumps(saved, indent=1, default=float))
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(args.out)
    return 0


def run_all(args) -> dict:
    sizes = sorted({int(s) for s in args.sizes if not (args.quick and s > 1e4)})
    raw = {}
    for n in sizes:
        _, w, mu, cov = simulate(n, args.components, args.features)
        truth = {"weights": w, "means": mu, "covariances": cov}
        entry = {}
        methods = ["approx"] + ([] if args.no_plain else ["plain"])
        if args.max_nuts_n is None or n <= args.max_nuts_n:
            methods.insert(0, "nuts")
        for method in methods:
            print(f"N={n}: {method} ...", file=sys.stderr, flush=True)
            entry[method] = run_worker(method, n, args)
            brief = {k: v for k, v in entry[method].items() if k not in ("mean", "sd")}
            print(f"  {json.dumps(brief)}", file=sys.stderr, flush=True)
        for method in ("nuts", "approx"):
            if method in entry:
                entry[method]["truth_error"] = truth_errors(entry[method], truth)
        if "nuts" in entry:
            entry["approx"]["nuts_error"] = nuts_errors(entry["approx"], entry["nuts"])
        raw[n] = entry
    return raw


def command_line(argv) -> str:
    """The command that reproduces the numbers (output options left out)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--out", "--json"):
            skip = True
            continue
        if not arg.startswith(("--out=", "--json=")):
            kept.append(arg)
    return " ".join(["python benchmarks/bayes_scale.py", *kept])


ROUTES = {"nuts": "full NUTS", "approx": "subsample+PSIS", "plain": "tempered (no CV)"}


def table_row(n: int, method: str, r: dict) -> str:
    name = ROUTES[method]
    if method == "plain":
        return (
            f"| {n} | {name} | {r['subsample']} | {r['wall']:.1f} | {r['compile']:.1f} "
            f"| {r['sampling']:.1f} | {fmt(r.get('peak_rss_gb'), '.2f')} | - | - | - "
            f"| {fmt(r['r_hat_max'], '.3f')} "
            f"| {fmt(r['pareto_k'], '.2f')} | {r['ess_is']:.0f} | - | - |"
        )
    nuts_err = r.get("nuts_error")
    if nuts_err:
        vs_nuts = "/".join(f"{nuts_err[v]:.2f}" for v in VARS)
    else:
        vs_nuts = "-" if method == "nuts" else "(no NUTS run)"
    truth = "/".join(f"{r['truth_error'][v]:.2f}" for v in VARS)
    return (
        f"| {n} | {name} | {r.get('subsample', n)} | {r['wall']:.1f} | "
        f"{r['compile']:.1f} | {r['sampling']:.1f} | {fmt(r.get('peak_rss_gb'), '.2f')} | "
        f"{r['min_ess']:.0f} | "
        f"{r['min_ess'] / r['wall']:.1f} | "
        f"{r['min_ess'] / max(r['wall'] - r['compile'], 1e-9):.1f} | "
        f"{fmt(r['r_hat_max'], '.3f')} | {fmt(r.get('pareto_k'), '.2f')} | "
        f"{fmt(r.get('ess_is'), '.0f')} | {vs_nuts} | {truth} |"
    )


def report(args, sizes, raw, command, date) -> str:
    lines = [
        "# Bayesian fits at large N: full NUTS vs subsample NUTS + PSIS",
        "",
        f"Date: {date}. Machine: {machine()}; shared with other jobs, so timings are "
        "noisy (ratios within one run are more reliable than absolute times). Versions: "
        f"{versions()}.",
        "",
        f"Command: `{command}`",
        "",
        (
            f"Data: 2-D, K = 3, full covariances, `make_gmm_data('full', N, seed=0, "
            f"separation={SEPARATION:g})`."
            if (args.components, args.features) == (K, 2)
            else f"Data: {args.features}-D, K = {args.components}, full covariances; means "
            "drawn with sd 3, unit covariances, equal weights (seed 0)."
        )
        + f" Both routes: nutpie, {args.chains} chains x ({args.tune} tune + "
        f"{args.draws} draws), EM start, random_state=0, each fit in a fresh process "
        "(compilation included in the wall time, and shown separately).",
        "",
        "| N | route | m | wall s | compile s | sampling s | peak RSS GB | min ESS "
        "| ESS/s (wall) | ESS/s (excl. compile) | r_hat max | k-hat | IS ESS "
        "| err vs NUTS w/mu/Sigma | err vs truth w/mu/Sigma |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        lines += [table_row(n, m, raw[n][m]) for m in ROUTES if m in raw[n]]
    lines += [
        "",
        "Columns: *m* rows seen by NUTS; *wall* the whole fit (EM, compilation, sampling, "
        "post-processing); *compile* time in `nutpie.compile_pymc_model` (full NUTS: none, "
        "its kernels are compiled once per machine); *sampling* time "
        "in `nutpie.sample` (tuning + draws); *peak RSS* the fit process's own; "
        "*min ESS* the smallest bulk ESS over weights, "
        "means and covariances (for subsample+PSIS: the proposal's bulk ESS times "
        "`ess_is / draws`); *r_hat max* of full NUTS, or of the proposal chains; *k-hat* "
        "and *IS ESS* (`1 / sum w^2` of the 1000 draws) of the Pareto-smoothed importance "
        "weights; *err* = max over entries of |posterior mean difference| / posterior sd "
        "(vs NUTS: NUTS's sd; vs truth: the route's own sd), for weights / means / "
        "covariances.",
        "",
    ]
    for n in sizes:
        nuts, approx = raw[n].get("nuts"), raw[n].get("approx")
        if nuts and approx:
            nuts_net = nuts["wall"] - nuts["compile"]
            approx_net = approx["wall"] - approx["compile"]
            rate = (approx["min_ess"] / approx["wall"]) / (nuts["min_ess"] / nuts["wall"])
            net_rate = (approx["min_ess"] / approx_net) / (nuts["min_ess"] / nuts_net)
            lines.append(
                f"- N={n}: subsample+PSIS takes {approx['wall']:.1f} s against "
                f"{nuts['wall']:.1f} s for full NUTS (speed-up {nuts['wall'] / approx['wall']:.1f}"
                f"x); without compilation {approx_net:.1f} s against {nuts_net:.1f} s "
                f"(speed-up {nuts_net / approx_net:.1f}x). ESS per second, approximation / "
                f"NUTS: {rate:.1f}x (wall), {net_rate:.1f}x (without compilation). "
                f"Posterior sd, approximation / NUTS: {sd_ratios(approx, nuts)}."
            )
    lines.append("")
    nuts_ns = [n for n in sizes if "nuts" in raw[n]]
    approx_ns = [n for n in sizes if "approx" in raw[n]]
    growth = []
    for label, ns, method, key in [
        ("full NUTS sampling", nuts_ns, "nuts", "sampling"),
        ("full NUTS wall without compilation", nuts_ns, "nuts", "net"),
        ("full NUTS wall", nuts_ns, "nuts", "wall"),
        ("subsample+PSIS wall without compilation", approx_ns, "approx", "net"),
        ("subsample+PSIS wall", approx_ns, "approx", "wall"),
    ]:
        values = [
            raw[n][method]["wall"] - raw[n][method]["compile"]
            if key == "net"
            else raw[n][method][key]
            for n in ns
        ]
        growth.append((label, slope(ns, values)))
    lines.append(
        "Growth exponents (least-squares slope of log time on log N over the N above): "
        + "; ".join(f"{label} {value:.2f}" for label, value in growth)
        + ". Nothing is compiled per fit (the kernels are compiled once per machine); "
        "the sampling slope is the cost per NUTS gradient, linear in N. *sampling* times "
        "the first run of the chains: when the estimator continues them (its r_hat and "
        "ESS rule, doubling the draws), the wall time includes the continuation."
    )
    missing = [n for n in sizes if "nuts" not in raw[n]]
    if missing and len(nuts_ns) >= 2:
        fit = np.polyfit(np.log(nuts_ns), np.log([raw[n]["nuts"]["sampling"] for n in nuts_ns]), 1)
        for n in missing:
            lines.append(
                f"EXTRAPOLATED (not measured): full NUTS sampling time at N={n} ~ "
                f"{np.exp(np.polyval(fit, np.log(n))):.0f} s from the fitted power law."
            )
    lines += [
        "",
        "subsample+PSIS timings (s): EM / expansion (2P+1 compiled gradient passes over "
        "all rows) / NUTS on the subsample (compiled kernels) / weighting "
        "(log-likelihood of every draw over all rows, PSIS, relabelling):",
        "",
    ]
    for n in approx_ns:
        t = raw[n]["approx"]["timings"]
        proposal_ess = raw[n]["approx"]["proposal_min_ess"]
        lines.append(
            f"- N={n}: {t['em']:.1f} / {t['expansion']:.1f} / {t['sampling']:.1f} / "
            f"{t['weighting']:.1f} (proposal min bulk ESS {proposal_ess:.0f})"
        )
    lines.append("")
    notes = [
        f"- N={n}, {ROUTES[method]}: {message}"
        for n in sizes
        for method, r in raw[n].items()
        for message in r.get("warnings", [])
    ]
    if notes:
        lines += ["Warnings raised during the fits (first 160 characters):", "", *notes, ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
