"""Console output shared by the commands: progress lines, tables, output folders."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from bayesgmm._version import __version__
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.selection.model_selection import ModelSelection, bic_matrix


class CLIError(Exception):
    """A usage or input error: reported as one line on stderr, exit status 2."""


def print_selection(selection: ModelSelection, out: TextIO | None = None) -> None:
    """Print a grid's criterion table and the model it chose."""
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
    """Print an EM fit's weights, means and covariances, components ordered by the first mean."""
    order = np.argsort(model.means_[:, 0], kind="stable")
    with np.printoptions(precision=4, suppress=True):
        print("weights:", model.weights_[order])
        if hasattr(model, "hypervolume_"):
            print(
                f"noise: proportion {model.noise_proportion_:.4f}, density 1 / V with "
                f"V = {model.hypervolume_:.6g} (rows labelled -1)"
            )
        means = pd.DataFrame(model.means_[order], columns=list(columns))
        print(means.to_string(float_format=lambda v: f"{v:.4f}"))
        print("covariances:")
        covariance_model = get_covariance_model(model.covariance_type)
        print(covariance_model.take_components(model.covariances_, order))


def prepare_output(out: Path) -> None:
    """Create the output directory ``out``, or raise :class:`CLIError` naming it."""
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} exists and is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CLIError(f"cannot create the output directory {str(out)!r}: {error}.") from None


def package_version() -> str:
    """The installed bayesgmm version."""
    return __version__
