"""Console output shared by the commands: progress lines, tables, output folders."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from bayesgmm.covariance import get_covariance_model
from bayesgmm.em import GaussianMixture
from bayesgmm.selection import ModelSelection, bic_matrix


class CLIError(Exception):
    """A usage or input error: reported as one line on stderr, exit status 2."""


# ---------------------------------------------------------------------- progress
class Progress:
    """Step messages on stderr, silenced by ``--quiet``; per-fit detail with ``verbose``."""

    def __init__(self, quiet: bool, verbose: bool = True) -> None:
        self.quiet = quiet
        self.verbose = verbose and not quiet

    @property
    def stream(self) -> TextIO | None:
        """Where progress goes (looked up on use, so redirection is honoured)."""
        return None if self.quiet else sys.stderr

    @property
    def detail(self) -> TextIO | None:
        """Where per-fit and per-replicate lines go (only when verbose)."""
        return sys.stderr if self.verbose else None

    def say(self, message: str) -> None:
        if self.stream is not None:
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def step(self, message: str) -> Iterator[None]:
        self.say(f"==> {message}")
        start = time.perf_counter()
        yield
        self.say(f"    done in {time.perf_counter() - start:.1f} s")


def print_selection(selection: ModelSelection, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    label = selection.criterion.upper()
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 120):
        print(f"\n{label} (lower is better; mclust reports -{label}):", file=out)
        print(bic_matrix(selection.table, selection.criterion).to_string(), file=out)
    best = selection.table.iloc[0]
    print(
        f"\nChosen by {label}: K={best.n_components}, covariance_type={best.covariance_type!r} "
        f"(mclust {best.mclust_name}), log-likelihood {best.log_likelihood:.3f}, "
        f"BIC {best.bic:.3f}, ICL {best.icl:.3f}",
        file=out,
    )


def print_parameters(model: GaussianMixture, columns: Sequence[str]) -> None:
    order = np.argsort(model.means_[:, 0], kind="stable")
    with np.printoptions(precision=4, suppress=True):
        print("weights:", model.weights_[order])
        means = pd.DataFrame(model.means_[order], columns=list(columns))
        print(means.to_string(float_format=lambda v: f"{v:.4f}"))
        print("covariances:")
        tied = get_covariance_model(model.covariance_type).name == "tied"
        print(model.covariances_ if tied else model.covariances_[order])


def fit_bayes(
    data: pd.DataFrame,
    em: GaussianMixture,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    progress: Progress,
) -> Any:
    """The posterior of the EM fit ``em``, started from it (not refitted: same labels)."""
    from bayesgmm.bayes.estimator import BayesianGaussianMixture

    return BayesianGaussianMixture.from_em(
        em,
        draws=draws,
        tune=tune,
        chains=chains,
        random_state=seed,
        progressbar=progress.verbose,
        missing=em.missing,
    ).fit(data)


def prepare_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} exists and is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CLIError(f"cannot create the output directory {str(out)!r}: {error}.") from None


def package_version() -> str:
    import bayesgmm

    return str(bayesgmm.__version__)
