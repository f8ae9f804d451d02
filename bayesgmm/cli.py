"""Command-line interface of bayesgmm (also ``python -m bayesgmm``).

``bayesgmm fit DATA.csv``
    Choose a mixture for the numeric columns of a CSV file by BIC (or ICL) over a
    grid of K x covariance types (extended while the best K is the largest tried, up
    to a cap: ``--k-cap``, ``--no-extend``), optionally sample the chosen model's posterior
    (``--bayes``), and write ``report.html``, ``parameters.json``, ``selection.csv``
    and, with ``--bayes``, ``posterior.nc`` to ``--out``.
``bayesgmm run models/NAME``
    Run a reference analysis (:func:`bayesgmm.reporting.analysis.run_analysis`) and print its
    checks against the published numbers; exit status 1 when one fails.
``bayesgmm demo``
    The full analysis on Old Faithful: EM grid, bootstrap likelihood-ratio tests,
    Bayesian fits compared by PSIS-LOO, the evidence table and an HTML report.

Results go to stdout, progress to stderr (``--quiet`` silences it). Usage and input
errors print one line, ``bayesgmm: error: ...``, and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd

from bayesgmm.core.atomic_io import write_text_atomic
from bayesgmm.covariance import COVARIANCE_TYPES, MCLUST_MODELS, get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.exceptions import (
    ComponentCollapseWarning,
    ConvergenceWarning,
    DataScaleWarning,
    RangeEdgeWarning,
    SamplingError,
    SamplingWarning,
)
from bayesgmm.reporting.console import (
    CLIError,
    package_version,
    prepare_output,
    print_parameters,
    print_selection,
)
from bayesgmm.reporting.csv_input import read_table, select_columns
from bayesgmm.reporting.demo import DemoResult, run_demo
from bayesgmm.selection.k_range import check_extension
from bayesgmm.selection.model_selection import ModelSelection
from bayesgmm.selection.pipeline import Progress, run_pipeline

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bayesgmm.bayes.estimator import BayesianGaussianMixture

__all__ = ["CLIError", "DemoResult", "main", "run_demo"]


PROG = "bayesgmm"
#: exit statuses: success, a failed reference check, a usage or input error
EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2
#: the analysis itself failed (e.g. the sampler could not run): the message says why
EXIT_FAILURE = 1
#: warnings shown as one ``bayesgmm: warning: ...`` line instead of a Python warning
_OWN_WARNINGS = (
    SamplingWarning,
    ConvergenceWarning,
    ComponentCollapseWarning,
    DataScaleWarning,
    RangeEdgeWarning,
)


# ---------------------------------------------------------------------- argument types
def parse_k(text: str) -> list[int]:
    """Numbers of components from ``"1:6"`` (inclusive), ``"3"`` or ``"2,3,5"``.

    Parameters
    ----------
    text : str
        The ``--k`` value.

    Returns
    -------
    list of int
        Sorted, without duplicates.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is none of the three forms or a K is below 1.

    Examples
    --------
    >>> parse_k("1:4"), parse_k("3"), parse_k("5,2,3")
    ([1, 2, 3, 4], [3], [2, 3, 5])
    """
    hint = "use LOW:HIGH (e.g. 1:6), one K (3) or a list (2,3,5) of integers >= 1"
    try:
        if ":" in text:
            low_text, high_text = text.split(":")
            low, high = int(low_text), int(high_text)
            if low > high:
                raise argparse.ArgumentTypeError(
                    f"invalid K range {text!r}: {low} > {high}; {hint}."
                )
            values = list(range(low, high + 1))
        else:
            values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid K spec {text!r}; {hint}.") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"invalid K spec {text!r}: K must be >= 1; {hint}.")
    return sorted(set(values))


def parse_covariance_types(text: str) -> list[str]:
    """Covariance types from a comma-separated list (mclust names accepted).

    Parameters
    ----------
    text : str
        The ``--covariance`` value, e.g. ``"full,tied"``, ``"VVV,EEE,VEV"`` or ``"all"``
        (mclust's 14 models).

    Returns
    -------
    list of str
        bayesgmm names, without duplicates.

    Raises
    ------
    argparse.ArgumentTypeError
        If a name is unknown.

    Examples
    --------
    >>> parse_covariance_types("full, EEE, vev")
    ['full', 'tied', 'VEV']
    >>> len(parse_covariance_types("all"))
    14
    """
    if text.strip().lower() == "all":
        return [get_covariance_model(name).name for name in MCLUST_MODELS]
    names = []
    for part in text.split(","):
        name = part.strip()
        try:
            names.append(get_covariance_model(name).name)
        except (ValueError, KeyError, TypeError):
            raise argparse.ArgumentTypeError(
                f"unknown covariance type {name!r}; choose from {', '.join(COVARIANCE_TYPES)}, "
                f"mclust's {', '.join(MCLUST_MODELS)}, or all."
            ) from None
    return list(dict.fromkeys(names))


def _integer_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: the argument as an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            message = f"expected an integer >= {minimum}; got {text!r}."
            raise argparse.ArgumentTypeError(message) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {value}.")
        return value

    return parse


_positive_int = _integer_at_least(1)
_nonnegative_int = _integer_at_least(0)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors reported as one line (and a pointer to ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Show bayesgmm's own warnings as ``bayesgmm: warning: ...`` lines on stderr.

    They print when raised, after the progress line of the step that raised them;
    other warnings keep Python's usual display.
    """
    with warnings.catch_warnings():
        for category in _OWN_WARNINGS:
            warnings.simplefilter("always", category)
        default = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, _OWN_WARNINGS):
                print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)
            else:
                default(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


# ---------------------------------------------------------------------- input data
def _jsonable(value: Any) -> Any:
    """Plain JSON values: arrays to lists, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def _em_parameters(model: GaussianMixture, data: pd.DataFrame, mclust_name: str) -> dict[str, Any]:
    n = len(data)
    return {
        "n_components": int(model.n_components),
        "covariance_type": model.covariance_type,
        "mclust_name": mclust_name,
        "features": [str(c) for c in data.columns],
        "weights": model.weights_,
        "means": model.means_,
        "covariances": model.covariances_,
        "log_likelihood": float(model.score(data)) * n,
        "bic": model.bic(data),
        "icl": model.icl(data),
        "converged": model.converged_,
        "n_iter": int(model.n_iter_),
        **(
            {"noise_proportion": model.noise_proportion_, "hypervolume": model.hypervolume_}
            if hasattr(model, "hypervolume_")
            else {}
        ),
    }


def _posterior_parameters(model: BayesianGaussianMixture) -> dict[str, Any]:
    summary = model.summary(round_to="none")
    columns = [c for c in summary.columns if c in ("mean", "sd", "r_hat", "ess_bulk", "ess_tail")]
    columns += [c for c in summary.columns if c.startswith("hdi")]
    posterior = model.idata_["posterior"]
    return {
        "file": "posterior.nc",
        "draws": int(posterior.sizes["draw"]),
        "chains": int(posterior.sizes["chain"]),
        "tune": int(model.tune),
        "diagnostics_ok": bool(model.diagnostics_ok_),
        "summary": {
            str(name): {column: row[column] for column in columns}
            for name, row in summary.iterrows()
        },
    }


def _selection_records(selection: ModelSelection) -> list[dict[str, Any]]:
    keep = [
        "n_components",
        "covariance_type",
        "mclust_name",
        "n_parameters",
        "log_likelihood",
        "bic",
        "aic",
        "icl",
        "converged",
    ]
    table = selection.table[[c for c in keep if c in selection.table.columns]]
    return table.to_dict(orient="records")


# ---------------------------------------------------------------------- fit
def _run_fit(args: argparse.Namespace) -> int:
    progress = Progress(not args.quiet)
    source = str(args.data)
    frame = read_table(args.data)
    columns = None if args.columns is None else [c.strip() for c in args.columns.split(",")]
    if columns is not None and any(not c for c in columns):
        raise CLIError(f"--columns has an empty name: {args.columns!r}.")
    data, dropped = select_columns(
        frame, columns, Path(source).name, allow_missing=args.missing == "marginalize"
    )
    if dropped:
        print(
            f"{PROG}: note: ignoring non-numeric column{'s' if len(dropped) > 1 else ''} "
            f"{', '.join(map(repr, dropped))} (choose columns with --columns).",
            file=sys.stderr,
        )
    n_samples, n_features = data.shape
    n_missing = int(data.isna().to_numpy().sum())
    print(
        f"{source}: {n_samples} rows x {n_features} columns {list(data.columns)}"
        + (f", {n_missing} missing cells (marginalized)" if n_missing else "")
    )
    if min(args.k) > n_samples:
        raise CLIError(f"--k asks for K >= {min(args.k)}, but the data have only {n_samples} rows.")
    if args.no_extend and args.k_cap is not None:
        raise CLIError(
            f"--k-cap {args.k_cap} contradicts --no-extend: the cap limits the extension of "
            "the range of K. Drop one of them."
        )
    try:
        check_extension(not args.no_extend, args.k_cap, args.k)
    except ValueError as error:
        message = str(error).replace("k_cap", "--k-cap").replace("n_components", "K of --k")
        raise CLIError(message) from None
    out = Path(args.out)
    prepare_output(out)

    def on_result(step: str, value: Any) -> None:
        if step == "selection":
            print_selection(value)

    result = run_pipeline(
        data,
        args.k,
        args.covariance,
        criterion=args.criterion,
        n_init=args.n_init,
        lrt=False,
        loo=False,
        ppc=False,
        sparse=False,
        k_posterior=args.k_posterior and {"random_state": args.seed},
        extend=not args.no_extend,
        k_cap=args.k_cap,
        chosen=lambda selection: selection.best_estimator_,  # by --criterion
        posterior=args.bayes,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        bayes_options={"progressbar": progress.verbose},
        random_state=args.seed,
        missing=args.missing,
        noise="auto" if args.noise == "auto" else args.noise == "on",
        progress=progress,
        on_result=on_result,
    )
    selection, best = result.selection, result.em
    assert best is not None  # the pipeline always ends with its chosen EM fit
    extension = result.extension
    if extension is not None and (extension.steps or extension.remaining):
        print("\nRange of K:")
        for line in extension.reasons():
            print(f"  - {line}")
    print_parameters(best, data.columns)
    parameters: dict[str, Any] = {
        "bayesgmm_version": package_version(),
        "data": {"file": source, "columns": list(data.columns), "n_samples": n_samples},
        "dropped_columns": dropped,
        "criterion": args.criterion,
        "model": _em_parameters(best, data, str(selection.table.iloc[0].mclust_name)),
        "selection": _selection_records(selection),
    }
    if result.skipped:
        parameters["skipped_steps"] = dict(result.skipped)
    if extension is not None:
        parameters["range_extension"] = {
            "k_cap": extension.k_cap,
            "automatic_cap": extension.automatic_cap,
            "steps": extension.steps,
            "at_least": sorted({edge["n_components"] for edge in extension.remaining.values()}),
            "reasons": extension.reasons(),
        }
    written = []
    if result.k_posterior is not None:
        print()
        print(result.k_posterior)
        write_text_atomic(out / "k_posterior.csv", result.k_posterior.table.to_csv())
        written.append("k_posterior.csv")
    if args.bayes:
        posterior: BayesianGaussianMixture = result.posterior  # the model, posterior=True
        parameters["posterior"] = _posterior_parameters(posterior)
        verdict = "pass" if posterior.diagnostics_ok_ else "FAIL (see the report)"
        print(f"\nPosterior of {result.chosen['name']}: sampling diagnostics {verdict}")
        posterior.save(out / "posterior.nc")
        written.append("posterior.nc")
    with progress.step("Report"):
        from bayesgmm.reporting.html_report import build_report

        page = build_report(
            data,
            selection=selection,
            model=result.model,
            evidence=result.evidence,
            title=f"bayesgmm fit: {Path(source).name}",
        )
        page.save(out / "report.html")
    write_text_atomic(out / "parameters.json", json.dumps(_jsonable(parameters), indent=2) + "\n")
    write_text_atomic(out / "selection.csv", selection.table.to_csv(index=False))
    written = ["report.html", "parameters.json", "selection.csv", *written]
    print(f"\nWrote {', '.join(str(out / name) for name in written)}")
    return EXIT_OK


def _k_text(ks: Sequence[int]) -> str:
    if len(ks) > 2 and list(ks) == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]}..{ks[-1]}"
    return ", ".join(map(str, ks))


# ---------------------------------------------------------------------- run
def _run_reference(args: argparse.Namespace) -> int:
    from bayesgmm.reporting.analysis import run_analysis
    from bayesgmm.reporting.analysis_spec import SpecError

    try:
        result = run_analysis(args.path, quick=args.quick, out=args.out, progress=not args.quiet)
    except (SpecError, FileNotFoundError) as error:
        raise CLIError(str(error).rstrip(".") + ".") from None
    checks = result.checks
    shown = [
        c
        for c in ("quantity", "model", "published", "ours", "tolerance", "passed")
        if c in checks.columns
    ]
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(checks[shown].to_string(index=False))
    n_failed = int((~checks["passed"].astype(bool)).sum())
    print(
        f"\n{len(checks) - n_failed}/{len(checks)} checks passed"
        + (f"; {n_failed} FAILED" if n_failed else "")
    )
    report = getattr(result, "report", None)
    if report is not None and args.out is not None:
        print(f"Report: {Path(args.out) / 'report.html'}")
    return EXIT_OK if result.passed else EXIT_CHECK_FAILED


# ---------------------------------------------------------------------- main
def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Gaussian mixtures from a fast EM fit to a full posterior.",
        epilog="Run 'bayesgmm COMMAND --help' for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = sub.add_parser(
        "fit",
        help="choose and fit a mixture for a CSV file",
        description="Choose K and the covariance type by BIC (or ICL) over a grid, fit the "
        "chosen model (and its posterior with --bayes), write the results to --out.",
    )
    fit.add_argument("data", help="CSV file with a header line")
    fit.add_argument(
        "--columns", help="comma-separated columns to fit (default: every numeric column)"
    )
    fit.add_argument(
        "--k",
        type=parse_k,
        default=parse_k("1:6"),
        help="numbers of components: LOW:HIGH, one K or a list (default: 1:6)",
    )
    fit.add_argument(
        "--covariance",
        type=parse_covariance_types,
        default=list(COVARIANCE_TYPES),
        help="comma-separated covariance types: full, tied, diag, spherical, mclust's "
        "names (EII ... VVV), or 'all' for mclust's 14 (default: scikit-learn's four)",
    )
    fit.add_argument(
        "--k-cap",
        type=_positive_int,
        default=None,
        help="largest K the range may be extended to when the best K is the largest tried "
        "(default: automatic, 5 rows per free parameter of the simplest structure)",
    )
    fit.add_argument(
        "--no-extend",
        action="store_true",
        help="do not extend the range of K when the best K is the largest tried (warn)",
    )
    fit.add_argument(
        "--criterion", choices=["bic", "icl", "aic"], default="bic", help="default: bic"
    )
    fit.add_argument(
        "--n-init", type=_positive_int, default=10, help="EM restarts per model (default: 10)"
    )
    fit.add_argument(
        "--bayes", action="store_true", help="also sample the chosen model's posterior"
    )
    fit.add_argument(
        "--k-posterior",
        action="store_true",
        help="also sample the posterior over the number of components (telescoping "
        "sampler; default priors: Richardson & Green's for one column, else telescope's)",
    )
    fit.add_argument("--draws", type=_positive_int, default=1000, help="per chain (default: 1000)")
    fit.add_argument(
        "--tune", type=_nonnegative_int, default=1000, help="tuning steps per chain (default: 1000)"
    )
    fit.add_argument("--chains", type=_positive_int, default=4, help="default: 4")
    fit.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed (default: 0)")
    fit.add_argument(
        "--out", default="bayesgmm-out", help="output directory (default: bayesgmm-out)"
    )
    fit.add_argument(
        "--missing",
        choices=["error", "marginalize"],
        default="error",
        help="empty cells: an error (default), or missing at random: every model is "
        "fitted to the observed cells",
    )
    fit.add_argument(
        "--noise",
        nargs="?",
        const="on",
        choices=["on", "auto"],
        help="a uniform noise component for background points and outliers (mclust's "
        "noise): 'on' (the default when given) in every model, 'auto' when it improves "
        "the criterion; noise rows are labelled -1",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress messages")

    run = sub.add_parser(
        "run",
        help="run a reference analysis (models/NAME) and check it",
        description="Run the analysis described by models/NAME/spec.toml and compare it "
        "with the published numbers; exit status 1 if a check fails.",
    )
    run.add_argument("path", help="folder with a spec.toml (e.g. models/faithful) or the file")
    run.add_argument("--quick", action="store_true", help="small settings (as in the tests)")
    run.add_argument("--out", help="write checks.csv and report.html to this directory")
    run.add_argument("--quiet", action="store_true", help="no progress messages")

    demo = sub.add_parser(
        "demo",
        help="the full analysis of Old Faithful, with an HTML report",
        description="EM grid, bootstrap LRT, Bayesian fits compared by PSIS-LOO, the "
        "evidence table and an HTML report on Old Faithful (a few minutes).",
    )
    demo.add_argument("--max-components", type=_positive_int, default=6, help="default: 6")
    demo.add_argument(
        "--n-init", type=_positive_int, default=10, help="EM restarts per model (default: 10)"
    )
    demo.add_argument(
        "--quick", action="store_true", help="tiny settings (one short Bayesian fit, no LOO)"
    )
    demo.add_argument("--em-only", action="store_true", help="skip the Bayesian steps")
    demo.add_argument(
        "--no-extend",
        action="store_true",
        help="do not extend the range of K when the best K is --max-components",
    )
    demo.add_argument(
        "--out", default="bayesgmm-demo", help="report directory (default: bayesgmm-demo)"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress messages")
    demo.add_argument(
        "--verbose", action="store_true", help="report every fit, replicate and sampler run"
    )
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "fit": _run_fit,
    "run": _run_reference,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayesgmm`` command.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments (``sys.argv[1:]`` when ``None``).

    Returns
    -------
    int
        Exit status: 0 success, 1 a reference check failed (``run``), 2 a usage or
        input error (reported as one ``bayesgmm: error: ...`` line on stderr).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +ELLIPSIS
    ...     main(
    ...         [
    ...             "demo",
    ...             "--em-only",
    ...             "--max-components",
    ...             "2",
    ...             "--n-init",
    ...             "1",
    ...             "--quiet",
    ...             "--out",
    ...             folder,
    ...         ]
    ...     )
    Old Faithful...
    0
    >>> main(["fit", "missing.csv"])
    2
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # usage errors (2) and --help (0)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        with _one_line_warnings():
            if args.command == "demo":
                run_demo(
                    args.max_components,
                    n_init=args.n_init,
                    quiet=args.quiet,
                    verbose=args.verbose,
                    bayes=not args.em_only,
                    quick=args.quick,
                    extend=not args.no_extend,
                    out=args.out,
                )
                return EXIT_OK
            return _COMMANDS[args.command](args)
    except CLIError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (SamplingError, ValueError, TypeError) as error:  # the library's own messages
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
