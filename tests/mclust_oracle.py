"""R's mclust as an oracle: run it with Rscript on the same data, read its results.

``mclust_fits(X, models, ks)`` runs mclust's default initialisation once (``hc``, VVV
on the SVD-transformed data, or quantile classes for one feature), then ``me()`` for
every model and K from that partition with tight convergence control, and returns the
partitions and mclust's log-likelihood, BIC, return code and parameters per (model,
K). Results are cached per data set and request for the test session. ``.ci/run``
installs R and mclust from Debian's packages; without them the tests that need the
oracle skip, saying why.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
models <- strsplit(args[2], ",")[[1]]
ks <- as.integer(strsplit(args[3], ",")[[1]])
out <- args[4]
use_prior <- length(args) > 4 && args[5] == "prior"
# a noise start mask (one 0/1 per row) as Mclust's initialization$noise
noise <- if (length(args) > 5 && args[6] != "") as.logical(read.csv(args[6])[, 1]) else NULL
n <- nrow(X); d <- ncol(X)
kept <- if (is.null(noise)) rep(TRUE, n) else !noise
Vinv <- if (is.null(noise)) NULL else hypvol(X, reciprocal = TRUE)
# Mclust's default start: hc(VVV) on the SVD-transformed data; quantile classes in 1-D
# (on the rows that do not start as noise)
if (d > 1) {
  tree <- hc(X[kept, , drop = FALSE], modelName = mclust.options("hcModelName"),
             use = mclust.options("hcUse"))
  classes <- hclass(tree, ks)
} else {
  classes <- sapply(ks, function(k) mclust:::qclass(X[kept, 1], k))
  colnames(classes) <- ks
}
write.csv(classes, file.path(out, "partitions.csv"), row.names = FALSE)
if (!is.null(noise)) write.csv(data.frame(Vinv = Vinv), file.path(out, "vinv.csv"),
                               row.names = FALSE)
control <- emControl(tol = c(1e-12, sqrt(.Machine$double.eps)), itmax = c(100000L, 100000L))
rows <- list()
for (k in ks) {
  zk <- unmap(classes[, as.character(k)])
  if (k == 1) zk <- matrix(1, sum(kept), 1)
  if (is.null(noise)) z <- zk else {
    z <- matrix(0, n, k + 1)
    z[kept, 1:k] <- zk
    z[noise, k + 1] <- 1
  }
  for (m in models) {
    fit <- tryCatch(
      if (use_prior) {
        me(data = X, modelName = m, z = z, control = control, warn = FALSE,
           prior = priorControl(), Vinv = Vinv)
      } else me(data = X, modelName = m, z = z, control = control, warn = FALSE, Vinv = Vinv),
      error = function(e) NULL
    )
    if (is.null(fit) || is.null(fit$loglik) || is.na(fit$loglik)) {
      rows[[length(rows) + 1]] <- data.frame(
        model = m, k = k, loglik = NA, bic = NA, code = -99, params = ""
      )
    } else {
      b <- bic(m, fit$loglik, n, d, k, noise = !is.null(noise))
      code <- attr(fit, "returnCode")
      sigma <- fit$parameters$variance$sigma
      values <- c(fit$parameters$pro, fit$parameters$mean, if (is.null(sigma)) NA else sigma)
      rows[[length(rows) + 1]] <- data.frame(
        model = m, k = k, loglik = fit$loglik, bic = b, code = ifelse(is.null(code), 0, code),
        params = paste(format(values, digits = 17), collapse = ";")
      )
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "fits.csv"), row.names = FALSE)
"""


def mclust_available() -> str | None:
    """``None`` when Rscript with mclust runs here, else why not."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (.ci/run installs r-base-core and r-cran-mclust)"
    probe = subprocess.run(
        ["Rscript", "-e", "library(mclust)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return f"R's mclust is not installed: {probe.stderr.strip()[-200:]}"
    return None


@functools.cache
def _run(
    data_bytes: bytes,
    shape: tuple[int, int],
    models: str,
    ks: str,
    prior: bool = False,
    noise: bytes | None = None,
):
    X = np.frombuffer(data_bytes).reshape(shape)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        pd.DataFrame(X).to_csv(path / "X.csv", index=False)
        (path / "run.R").write_text(_SCRIPT)
        noise_file = ""
        if noise is not None:
            noise_file = str(path / "noise.csv")
            pd.DataFrame({"noise": np.frombuffer(noise, dtype=bool).astype(int)}).to_csv(
                noise_file, index=False
            )
        done = subprocess.run(
            [
                "Rscript",
                str(path / "run.R"),
                str(path / "X.csv"),
                models,
                ks,
                folder,
                "prior" if prior else "ml",
                noise_file,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"Rscript failed: {done.stderr[-2000:]}")
        partitions = pd.read_csv(path / "partitions.csv")
        fits = pd.read_csv(path / "fits.csv")
        if noise is not None:
            fits.attrs["hypervolume"] = 1.0 / float(pd.read_csv(path / "vinv.csv").Vinv[0])
    partitions.columns = [int(c.strip("X")) for c in partitions.columns]
    return partitions, fits


def mclust_parameters(params: str, k: int, d: int):
    """Weights ``(k,)``, means ``(k, d)`` and covariances ``(k, d, d)`` of a fit's row."""
    values = np.array([float(v) for v in params.split(";")])
    weights = values[:k]
    means = values[k : k + d * k].reshape(k, d)  # R's d x k matrix, column-major
    sigma = values[k + d * k :].reshape(k, d, d)  # R's d x d x k array, column-major
    return weights, means, np.swapaxes(sigma, 1, 2)


def mclust_fits(
    X: np.ndarray,
    models: list[str],
    ks: list[int],
    *,
    prior: bool = False,
    noise: np.ndarray | None = None,
):
    """mclust's ``hc`` partitions (a column per K) and ``me`` fits.

    The fits table has ``model``, ``k``, ``loglik``, ``bic`` (mclust's sign),
    ``code`` (``me``'s return code, 0 when it converged) and ``params`` (see
    :func:`mclust_parameters`). With ``prior``, ``me`` runs with ``priorControl()``
    (conjugate-prior EM; the log-likelihood is at the posterior mode). With a
    boolean ``noise`` mask, as ``Mclust(X, initialization = list(noise = noise))``:
    ``hc`` on the other rows, ``me`` with a noise component of ``Vinv = hypvol(X,
    reciprocal = TRUE)`` (``fits.attrs["hypervolume"]`` is ``1 / Vinv``), and the
    partitions are of the rows that do not start as noise; ``params`` then holds
    ``K + 1`` proportions, the noise's last.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    mask = None if noise is None else np.ascontiguousarray(noise, dtype=bool).tobytes()
    return _run(X.tobytes(), X.shape, ",".join(models), ",".join(map(str, ks)), prior, mask)


_CHOICE_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
noise <- as.logical(read.csv(args[2])[, 1])
G <- eval(parse(text = args[3]))
fit <- Mclust(X, G = G, initialization = list(noise = noise), verbose = FALSE)
cat(fit$modelName, fit$G, format(fit$bic, digits = 17), "\n")
"""


@functools.cache
def _choice(data_bytes: bytes, shape: tuple[int, int], noise: bytes, groups: str):
    X = np.frombuffer(data_bytes).reshape(shape)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        pd.DataFrame(X).to_csv(path / "X.csv", index=False)
        mask = np.frombuffer(noise, dtype=bool).astype(int)
        pd.DataFrame({"noise": mask}).to_csv(path / "noise.csv", index=False)
        (path / "choice.R").write_text(_CHOICE_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(path / "choice.R"), str(path / "X.csv"), str(path / "noise.csv"),
             groups],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"Rscript failed: {done.stderr[-2000:]}")
    model, k, bic = done.stdout.split()
    return model, int(k), float(bic)


def mclust_noise_choice(X: np.ndarray, noise: np.ndarray, groups: str = "0:9"):
    """``Mclust(X, G, initialization = list(noise = noise))``'s choice: (model, G, BIC)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    mask = np.ascontiguousarray(noise, dtype=bool).tobytes()
    return _choice(X.tobytes(), X.shape, mask, groups)


def compare_bic(table: pd.DataFrame, fits: pd.DataFrame, rel: float) -> int:
    """Assert a ``select_model`` table's BIC equals mclust's fits', cell by cell.

    Cells mclust did not fit cleanly (a return code), VVE (mclust's M-step there is not
    exact) and our degenerate fits are skipped. Returns how many were compared.
    """
    ours_by_cell = table.set_index(["mclust_name", "n_components"])
    compared = 0
    for row in fits.itertuples():
        ours = ours_by_cell.loc[(row.model, row.k)]
        if row.code != 0 or row.model == "VVE" or ours.degenerate:
            continue
        assert abs(-ours.bic - row.bic) <= rel * abs(row.bic), (row.model, row.k, ours.bic)
        compared += 1
    return compared


_ICL_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
noise <- as.logical(read.csv(args[2])[, 1])
ks <- as.integer(strsplit(args[3], ",")[[1]])
models <- strsplit(args[4], ",")[[1]]
control <- emControl(tol = c(1e-12, sqrt(.Machine$double.eps)), itmax = c(100000L, 100000L))
icl <- mclustICL(X, G = ks, modelNames = models, initialization = list(noise = noise),
                 control = control, verbose = FALSE)
write.csv(as.data.frame(unclass(icl)[, models, drop = FALSE]), args[5])
"""


def mclust_noise_icl(X: np.ndarray, noise: np.ndarray, ks: list[int], models: list[str]):
    """``mclustICL(X, G = ks, modelNames = models, initialization = list(noise = noise))``.

    Tight convergence; a K x model table in mclust's sign (higher is better).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        pd.DataFrame(X).to_csv(path / "X.csv", index=False)
        pd.DataFrame({"noise": np.asarray(noise, dtype=int)}).to_csv(
            path / "noise.csv", index=False
        )
        (path / "icl.R").write_text(_ICL_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(path / "icl.R"), str(path / "X.csv"), str(path / "noise.csv"),
             ",".join(map(str, ks)), ",".join(models), str(path / "icl.csv")],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"Rscript failed: {done.stderr[-2000:]}")
        return pd.read_csv(path / "icl.csv", index_col=0)
