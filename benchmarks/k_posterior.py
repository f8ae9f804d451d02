"""The posterior over K: bayesgmm against R's telescope package, side by side, same data.

Both run the telescoping sampler (Frühwirth-Schnatter, Malsiner-Walli & Grün 2021) with
the same priors and the same number of sweeps, on the same data:

- the galaxies as in telescope's univariate vignette (Richardson & Green's priors:
  uniform K on 1..30, Dirichlet(1), c0 = 2, g0 = 0.2, G0 = 10/R^2, B0 = R^2, b0 the
  midrange; ``sampleUniNormMixture``);
- Old Faithful (2-D) with the telescope priors (K - 1 ~ BNB(1, 4, 3), Dirichlet(alpha
  / K) with alpha ~ F(6, 3), c0 = 2.5 + (r-1)/2, g0 = 0.5 + (r-1)/2, G0 = 100 g0/c0
  diag(1/R^2), B0 = diag(R^2), b0 the medians as in its multivariate vignette;
  ``sampleMultNormMixture``).

telescope runs one chain of 10,000 sweeps (its vignette's length; R's
``system.time``, start-up excluded); bayesgmm one chain of 52,000 sweeps, then its
default (4 chains on the 2 cores, doubling until r_hat and ESS pass). Reported:
seconds, microseconds per sweep, the ratio, the bulk ESS of K+ per second, and p(K | y)
of each (telescope counts draws of K; bayesgmm averages p(K | partition)) beside
Richardson & Green's Table 1 for the galaxies. Also the latency of a
first call in a fresh process (import, compiled-code cache load, a default run).

telescope is not in Debian and CRAN is not reachable from here: install it by hand to
run the R side (R CMD INSTALL of its source, with Debian's r-cran-abind, -bayesm,
-extradistr, -mcmcpack, -mvtnorm, -formula, -maxlik and DirichletReg from source); set
R_LIBS to where it went. Without it the bayesgmm side runs alone. (telescope 0.2-0's
multivariate sampler looks for the F prior's density in the wrong list entry; the R
script below puts it there.)

Run: ``R_LIBS=/path/to/rlib .venv/bin/python benchmarks/k_posterior.py``

``--scale``: bayesgmm alone with its defaults on a ring of 14 Gaussians (1,000 x 2; sd
0.8 on a circle of radius 10) and on 6 Gaussians in 5-D (centres N(0, 4^2), per
coordinate sds U(0.5, 1.5)) with 10,000 and 100,000 rows: seconds, sweeps per chain,
the mode of K+ and its r_hat.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bayesgmm import load_faithful, load_galaxies, posterior_over_k

TUNE, DRAWS, THIN = 2000, 2000, 25  # 52,000 sweeps per chain
SWEEPS = TUNE + DRAWS * THIN
#: telescope's sweeps (its vignette's 10,000; it takes milliseconds per sweep)
R_SWEEPS, R_TUNE = 10_000, 100
RICHARDSON_GREEN = [0.000, 0.000, 0.061, 0.128, 0.182, 0.199, 0.160, 0.109, 0.071, 0.040]

R_SCRIPT = r"""
suppressPackageStartupMessages(library(telescope))
args <- commandArgs(trailingOnly = TRUE)
y <- as.matrix(read.csv(args[1]))
kind <- args[2]; M <- as.integer(args[3]); burnin <- as.integer(args[4])
r <- ncol(y); R <- apply(y, 2, function(x) diff(range(x))); Kmax <- 50; Kinit <- 10
set.seed(1234)
if (kind == "uni") {
  y <- y[, 1]
  priorOnK <- priorOnK_spec("Unif", 30); G <- "MixStatic"
  weights <- priorOnE0_spec("e0const", 1)
  c0 <- 2; g0 <- 0.2; G0 <- diag(10 / R^2, nrow = 1); C0 <- diag(0.02 * R^2, nrow = 1)
  B0 <- diag(R^2, nrow = 1); b0 <- as.matrix((max(y) + min(y)) / 2, ncol = 1)
  cl <- kmeans(y, centers = Kinit, nstart = 30)
  s2 <- array(0, dim = c(1, 1, Kinit)); s2[1, 1, ] <- 0.5 * C0
  time <- system.time(fit <- sampleUniNormMixture(y, cl$cluster, t(cl$centers), s2,
    rep(1 / Kinit, Kinit), c0, g0, G0, C0, b0, B0, M, burnin, 1, Kmax, G, priorOnK,
    weights))[["elapsed"]]
} else {
  priorOnK <- priorOnK_spec("BNB_143"); G <- "MixDynamic"
  weights <- priorOnAlpha_spec("F_6_3")
  weights$param$log_pAlpha <- weights$log_pAlpha  # telescope 0.2-0 looks for it there
  b0 <- apply(y, 2, median); B0 <- diag(R^2); c0 <- 2.5 + (r - 1) / 2
  g0 <- 0.5 + (r - 1) / 2; G0 <- 100 * g0 / c0 * diag(1 / R^2, nrow = r)
  C0 <- g0 * chol2inv(chol(G0))
  cl <- kmeans(y, centers = Kinit, nstart = 100, iter.max = 30)
  S0 <- array(0, dim = c(r, r, Kinit)); S0[, , 1:Kinit] <- 0.5 * C0
  time <- system.time(fit <- sampleMultNormMixture(y, cl$cluster, t(cl$centers), S0,
    rep(1 / Kinit, Kinit), c0, g0, G0, C0, b0, B0, M, burnin, 1, Kmax, G, priorOnK,
    weights))[["elapsed"]]
}
cat(time, "\n")
cat(fit$K, "\n")
cat(fit$Kplus, "\n")
"""


def telescope_available() -> bool:
    try:
        done = subprocess.run(
            ["Rscript", "-e", "library(telescope)"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return False
    return done.returncode == 0


def run_telescope(X: np.ndarray, kind: str) -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds, K and K+ of telescope's sampler: R_SWEEPS sweeps (R_TUNE of them burn-in)."""
    with tempfile.TemporaryDirectory() as folder:
        data, script = Path(folder) / "X.csv", Path(folder) / "run.R"
        np.savetxt(data, X, delimiter=",", header=",".join(f"x{j}" for j in range(X.shape[1])),
                   comments="")  # fmt: skip
        script.write_text(R_SCRIPT)
        args = ["Rscript", str(script), str(data), kind, str(R_SWEEPS - R_TUNE), str(R_TUNE)]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    return float(lines[0]), np.array(lines[1].split(), int), np.array(lines[2].split(), int)


def ess_per_second(series: np.ndarray, seconds: float) -> float:
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(az.ess(np.atleast_2d(series).astype(float), method="bulk")) / seconds


def first_call_latency() -> float:
    code = (
        "import time; t = time.perf_counter(); import bayesgmm; "
        "X = bayesgmm.load_galaxies('richardson_green') / 1000; "
        "bayesgmm.posterior_over_k(X, random_state=0, progress=False); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    galaxies = (load_galaxies("richardson_green") / 1000).to_numpy().copy()
    galaxies[73, 0] = 24.368  # telescope's vignette data
    faithful = load_faithful().to_numpy()
    cases = [
        ("galaxies, Richardson & Green priors", galaxies, "uni", "richardson_green"),
        ("Old Faithful, telescope priors", faithful, "multi",
         {"name": "telescope", "b0": np.median(faithful, axis=0)}),
    ]  # fmt: skip
    have_r = telescope_available()
    if not have_r:
        print("R's telescope is not installed (see the docstring): bayesgmm alone.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load the compiled code
        posterior_over_k(galaxies, 5, draws=5, tune=5, progress=False)
    print(f"{SWEEPS} sweeps per chain ({TUNE} burn-in) on this machine ({os.cpu_count()} cores)")
    for label, X, kind, priors in cases:
        print(f"\n== {label} (n = {len(X)}, {X.shape[1]} feature(s))")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            one = posterior_over_k(
                X,
                priors=priors,
                draws=DRAWS,
                thin=THIN,
                tune=TUNE,
                chains=1,
                max_doublings=0,
                rounding=None,  # telescope's model: the values exact
                random_state=0,
                progress=False,
            )
            ours = time.perf_counter() - start
            start = time.perf_counter()
            full = posterior_over_k(X, priors=priors, random_state=0, progress=False)
            ours_default = time.perf_counter() - start
        ess_ours = ess_per_second(one.n_clusters[0], ours)
        print(f"bayesgmm, 1 chain:  {ours:6.2f} s  {1e6 * ours / SWEEPS:6.1f} us/sweep  "
              f"ESS(K+)/s {ess_ours:8.0f}")  # fmt: skip
        sweeps = full.settings["tune"] + full.settings["draws"] * full.settings["thin"]
        print(f"bayesgmm, default:  {ours_default:6.2f} s  ({full.settings['chains']} chains x "
              f"{sweeps} sweeps; r_hat K+ {full.diagnostics['r_hat_clusters']:.3f}, ESS K+ "
              f"{full.diagnostics['ess_clusters']:.0f})")  # fmt: skip
        table = full.table
        rows = {"bayesgmm p(K|y)": table["p_components"].to_numpy()[:10]}
        if np.any(full.settings["rounding"] > 0):
            rows["bayesgmm, exact"] = one.table["p_components"].to_numpy()[:10]
        if have_r:
            seconds, K, K_plus = run_telescope(X, kind)
            ess_r = ess_per_second(K_plus, seconds)
            per_sweep = seconds / R_SWEEPS
            print(f"telescope, 1 chain: {seconds:6.2f} s  {1e6 * per_sweep:6.1f} us/sweep  "
                  f"ESS(K+)/s {ess_r:8.2f}  ({R_SWEEPS} sweeps)")  # fmt: skip
            print(f"ratio telescope / bayesgmm: time per sweep {per_sweep * SWEEPS / ours:.0f}x, "
                  f"ESS of K+ per second {ess_ours / ess_r:.0f}x")  # fmt: skip
            rows["telescope p(K|y)"] = np.bincount(K, minlength=11)[1:11] / len(K)
        if kind == "uni":
            rows["Richardson & Green"] = np.array(RICHARDSON_GREEN)
        print("k  " + " ".join(f"{k:>6d}" for k in range(1, 11)))
        for name, values in rows.items():
            print(f"{name}: " + " ".join(f"{v:6.3f}" for v in values))
    print(f"\nFirst call in a fresh process (import + cached compiled code + the galaxy table): "
          f"{first_call_latency():.2f} s")  # fmt: skip


def scale() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mfm"))
    from test_jumps import blobs  # the tests' 6 Gaussians in 5-D
    from test_many_clusters import ring  # the test's ring of 14 Gaussians

    cases = [("ring of 14, 1,000 x 2", ring()), ("6 blobs, 10,000 x 5", blobs(10_000)),
             ("6 blobs, 100,000 x 5", blobs(100_000))]  # fmt: skip
    for label, X in cases:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = posterior_over_k(X, random_state=0, progress=False)
        seconds = time.perf_counter() - start
        sweeps = result.settings["tune"] + result.settings["draws"] * result.settings["thin"]
        print(f"{label}: {seconds:.1f} s, {sweeps} sweeps per chain, mode K+ "
              f"{result.mode_clusters}, r_hat K+ {result.diagnostics['r_hat_clusters']:.3f}, "
              f"problems {result.problems}")  # fmt: skip


if __name__ == "__main__":
    if "--scale" in sys.argv:
        scale()
    else:
        main()
