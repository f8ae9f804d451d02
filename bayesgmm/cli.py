"""Command-line interface: ``bayesgmm demo`` (also ``python -m bayesgmm demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bayesgmm.covariance import COVARIANCE_TYPES
from bayesgmm.datasets import load_faithful
from bayesgmm.em import GaussianMixture
from bayesgmm.selection import bic_matrix, criterion_grid

__all__ = ["main", "run_demo"]


def run_demo(max_components: int = 6, *, n_init: int = 10, quiet: bool = False) -> pd.DataFrame:
    """Fit EM on Old Faithful for K = 1..max_components and all covariance types.

    Prints the BIC table (lower is better; mclust's BIC is its negative) and the
    parameters of the model with the lowest BIC.

    Parameters
    ----------
    max_components : int, default=6
        Largest number of components tried.
    n_init : int, default=10
        EM restarts per model.
    quiet : bool, default=False
        Suppress the per-model progress lines.

    Returns
    -------
    pandas.DataFrame
        The full criterion table (see :func:`bayesgmm.selection.criterion_grid`).

    Examples
    --------
    >>> table = run_demo(2, n_init=1, quiet=True)  # doctest: +ELLIPSIS
    Old Faithful...
    >>> len(table)
    8
    """
    data = load_faithful()
    print(f"Old Faithful: {len(data)} eruptions, features {list(data.columns)}")
    if not quiet:
        print(f"Fitting EM for K = 1..{max_components} x {list(COVARIANCE_TYPES)}:")
    table = criterion_grid(
        data,
        range(1, max_components + 1),
        COVARIANCE_TYPES,
        n_init=n_init,
        random_state=0,
        progress=False if quiet else sys.stdout,
    )
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 120):
        print("\nBIC (lower is better; mclust reports -BIC):")
        print(bic_matrix(table).to_string())
    best = table.iloc[0]
    print(
        f"\nChosen by BIC: K={best.n_components}, covariance_type={best.covariance_type!r} "
        f"(mclust {best.mclust_name}), log-likelihood {best.log_likelihood:.3f}, "
        f"BIC {best.bic:.3f}, ICL {best.icl:.3f}"
    )
    gm = GaussianMixture(
        int(best.n_components),
        covariance_type=best.covariance_type,
        n_init=n_init,
        max_iter=500,
        tol=1e-6,
        random_state=0,
    ).fit(data)
    order = np.argsort(gm.means_[:, 0])
    with np.printoptions(precision=4, suppress=True):
        print("weights:", gm.weights_[order])
        print(pd.DataFrame(gm.means_[order], columns=data.columns).to_string())
        print("covariances:")
        print(gm.covariances_ if gm.covariance_type == "tied" else gm.covariances_[order])
    return table


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayesgmm`` command.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments (``sys.argv[1:]`` when ``None``).

    Returns
    -------
    int
        Exit status.

    Examples
    --------
    >>> main(["demo", "--max-components", "1", "--n-init", "1", "--quiet"])  # doctest: +ELLIPSIS
    Old Faithful...
    0
    """
    parser = argparse.ArgumentParser(prog="bayesgmm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="EM model choice on the bundled Old Faithful data")
    demo.add_argument("--max-components", type=int, default=6)
    demo.add_argument("--n-init", type=int, default=10)
    demo.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.command == "demo":
        run_demo(args.max_components, n_init=args.n_init, quiet=args.quiet)
    return 0
