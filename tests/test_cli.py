"""The ``bayesgmm`` command: fit, run, demo; exit statuses and error messages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bayesgmm import GaussianMixture
from bayesgmm.cli import main, parse_covariance_types, parse_k
from bayesgmm.covariance import get_covariance_model


@pytest.fixture
def csv_file(tmp_path) -> Path:
    """Two well-separated 2-D groups (60 rows) and a text column."""
    rng = np.random.default_rng(0)
    points = np.r_[rng.normal(0.0, 1.0, size=(30, 2)), rng.normal(6.0, 1.0, size=(30, 2))]
    frame = pd.DataFrame(points, columns=["x", "y"])
    frame["label"] = ["a"] * 30 + ["b"] * 30
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("bayesgmm: error: ")
    assert "Traceback" not in stderr
    return lines[0]


# ---------------------------------------------------------------------- fit
def test_fit_writes_report_parameters_and_selection(csv_file, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["fit", str(csv_file), "--k", "1:2", "--covariance", "full", "--n-init", "2"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "Chosen by BIC: K=2, covariance_type='full'" in captured.out
    assert f"Wrote {out / 'report.html'}" in captured.out
    assert captured.err.strip() == (
        "bayesgmm: note: ignoring non-numeric column 'label' (choose columns with --columns)."
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "parameters.json",
        "report.html",
        "selection.csv",
    ]
    parameters = json.loads((out / "parameters.json").read_text())
    data = pd.read_csv(csv_file)[["x", "y"]]
    direct = GaussianMixture(
        2, covariance_type="full", n_init=2, init_params="hierarchical", random_state=0
    ).fit(data)
    model = parameters["model"]
    assert (model["n_components"], model["covariance_type"]) == (2, "full")
    np.testing.assert_allclose(model["weights"], direct.weights_)
    np.testing.assert_allclose(model["means"], direct.means_)
    np.testing.assert_allclose(model["covariances"], direct.covariances_)
    assert model["bic"] == pytest.approx(direct.bic(data))
    assert parameters["data"]["columns"] == ["x", "y"]
    assert parameters["dropped_columns"] == ["label"]
    assert [row["n_components"] for row in parameters["selection"]] == [2, 1]
    selection = pd.read_csv(out / "selection.csv")
    assert selection["n_components"].tolist() == [2, 1]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Model choice</h2>" in report
    assert "<title>bayesgmm fit: data.csv</title>" in report


@pytest.fixture
def twelve_csv(tmp_path) -> Path:
    """Twelve well-separated 2-D Gaussians on a circle, 30 rows each."""
    rng = np.random.default_rng(12)
    angles = 2 * np.pi * np.arange(12) / 12
    centres = np.c_[10 * np.cos(angles), 10 * np.sin(angles)]
    points = np.concatenate([c + 0.6 * rng.standard_normal((30, 2)) for c in centres])
    path = tmp_path / "twelve.csv"
    pd.DataFrame(points, columns=["x", "y"]).to_csv(path, index=False)
    return path


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.ComponentCollapseWarning")
def test_fit_extends_the_range_and_says_so(twelve_csv, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["fit", str(twelve_csv), "--k", "1:6", "--covariance", "spherical,full"]
    assert main([*args, "--n-init", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "==> Range extended: BIC and ICL best at K=6 full, the largest K tried (6); " in (
        captured.err
    )
    assert "Chosen by BIC: K=12, covariance_type='spherical'" in captured.out
    assert "Range of K:\n  - Range extended: BIC and ICL best at K=6 full" in captured.out
    extension = json.loads((out / "parameters.json").read_text())["range_extension"]
    assert [step["added"] for step in extension["steps"]] == [
        list(range(7, 13)),
        list(range(13, 19)),
    ]
    assert (extension["k_cap"], extension["automatic_cap"], extension["at_least"]) == (18, True, [])
    # with a cap at 8 the answer is a lower bound, and says so
    args += ["--n-init", "1", "--k-cap", "8", "--quiet", "--out", str(tmp_path / "capped")]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "K = 8 is the cap (k_cap). Read it as 'at least 8'." in captured.out
    extension = json.loads((tmp_path / "capped" / "parameters.json").read_text())
    assert extension["range_extension"]["at_least"] == [8]


def test_fit_selected_columns(csv_file, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["fit", str(csv_file), "--columns", "y", "--k", "2", "--covariance", "VVV"]
    assert main([*args, "--n-init", "1", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no note: the text column was not asked for
    parameters = json.loads((out / "parameters.json").read_text())
    assert parameters["data"]["columns"] == ["y"]
    assert np.shape(parameters["model"]["means"]) == (2, 1)


def test_fit_progress_goes_to_stderr_unless_quiet(csv_file, tmp_path, capsys):
    args = ["fit", str(csv_file), "--columns", "x,y", "--k", "1,2", "--covariance", "tied"]
    args += ["--n-init", "1", "--out", str(tmp_path / "out")]
    assert main(args) == 0
    loud = capsys.readouterr()
    assert "==> EM grid: K = 1, 2 x tied (2 models, 1 restarts each)" in loud.err
    assert "[2/2] K=2 tied" in loud.err
    assert "==> Report" in loud.err
    assert main([*args, "--quiet"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    assert quiet.out == loud.out


BAD_INPUTS = [
    (["fit", "{tmp}/missing.csv"], r"cannot read '.*missing.csv': no such file\."),
    (["fit", "{tmp}"], r"cannot read '.*': it is a directory, not a CSV file\."),
    (["fit", "{tmp}/garbage.csv"], r"cannot read '.*garbage.csv' as CSV: "),
    (["fit", "{tmp}/empty.csv"], r"cannot read '.*empty.csv': the file is empty\."),
    (["fit", "{tmp}/header.csv"], r"'.*header.csv' has a header but no data rows\."),
    (["fit", "{tmp}/text.csv"], r"text.csv has no numeric column \(columns: name, city\)"),
    (
        ["fit", "{csv}", "--columns", "x,zzz"],
        r"column 'zzz' not found in data.csv; its columns are x, y, label\.",
    ),
    (
        ["fit", "{csv}", "--columns", "x,label"],
        r"column 'label' \(line 2: 'a'\) of data.csv is not numeric; choose numeric columns",
    ),
    (
        ["fit", "{tmp}/typo.csv"],
        r"column 'y' is numbers except '2,5' on line 3 in typo.csv: fix those values, or leave",
    ),
    (
        ["fit", "{tmp}/missing_values.csv"],
        r"1 row of missing_values.csv has missing or infinite values \(line 3\)",
    ),
    (["fit", "{csv}", "--k", "6:1"], r"argument --k: invalid K range '6:1': 6 > 1; use LOW:HIGH"),
    (["fit", "{csv}", "--k", "two"], r"argument --k: invalid K spec 'two'; use LOW:HIGH"),
    (["fit", "{csv}", "--k", "0,1"], r"argument --k: invalid K spec '0,1': K must be >= 1"),
    (
        ["fit", "{csv}", "--columns", "x", "--k", "100"],
        r"--k asks for K >= 100, but the data have only 60 rows\.",
    ),
    (
        ["fit", "{csv}", "--covariance", "full,round"],
        r"argument --covariance: unknown covariance type 'round'; choose from full, tied",
    ),
    (["fit", "{csv}", "--criterion", "aicc"], r"argument --criterion: invalid choice: 'aicc'"),
    (
        ["fit", "{csv}", "--columns", "x", "--out", "{csv}"],
        r"--out '.*data.csv' exists and is not a directory\.",
    ),
    (
        ["fit", "{csv}", "--columns", "x,y", "--k", "1:3", "--k-cap", "2"],
        r"--k-cap must be at least the largest K of --k \(3\); got --k-cap=2\. Raise --k-cap",
    ),
    (
        ["fit", "{csv}", "--columns", "x", "--k-cap", "8", "--no-extend"],
        r"--k-cap 8 contradicts --no-extend: the cap limits the extension of the range of K",
    ),
    (["fit", "{csv}", "--k-cap", "0"], r"argument --k-cap: expected an integer >= 1; got 0\."),
    (["fit"], r"the following arguments are required: data \(see 'bayesgmm fit --help'\)"),
    (["frobnicate"], r"argument COMMAND: invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(args, message, csv_file, tmp_path, capsys):
    (tmp_path / "garbage.csv").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("x,y\n")
    (tmp_path / "text.csv").write_text("name,city\nann,paris\nbob,rome\n")
    (tmp_path / "missing_values.csv").write_text("x,y\n1,2\n3,\n4,5\n")
    (tmp_path / "typo.csv").write_text('x,y\n1,2\n3,"2,5"\n4,5\n6,1\n')
    filled = [a.format(tmp=tmp_path, csv=csv_file) for a in args]
    assert main([*filled, "--quiet"] if len(args) > 1 else filled) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert "Traceback" not in captured.out
    assert re.search(message, line), line


def test_errors_without_traceback_in_a_real_process(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "bayesgmm", "fit", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert one_error_line(run.stderr).endswith("nope.csv': no such file.")
    assert run.stdout == ""


def test_help_exits_0(capsys):
    assert main(["fit", "--help"]) == 0
    assert "--covariance" in capsys.readouterr().out


def test_argument_parsers():
    assert parse_k("2:4") == [2, 3, 4]
    assert parse_k("4,2,2") == [2, 4]
    assert parse_covariance_types("EEE,tied,VVI") == ["tied", "diag"]


# ---------------------------------------------------------------------- run
def _fake_result(passed: list[bool]) -> SimpleNamespace:
    checks = pd.DataFrame(
        {
            "quantity": ["log_likelihood", "bic"][: len(passed)],
            "published": [-1126.33, -2314.316][: len(passed)],
            "ours": [-1126.32, -2314.30][: len(passed)],
            "tolerance": [0.01, 0.01][: len(passed)],
            "passed": passed,
        }
    )
    return SimpleNamespace(checks=checks, passed=all(passed), report=None)


@pytest.mark.parametrize(("passed", "status"), [([True, True], 0), ([True, False], 1)])
def test_run_prints_the_checks(passed, status, monkeypatch, capsys, tmp_path):
    import bayesgmm.reporting.analysis

    calls = []

    def fake_run_analysis(path, *, quick=False, out=None, progress=True):
        calls.append({"path": path, "quick": quick, "out": out, "progress": progress})
        return _fake_result(passed)

    monkeypatch.setattr(bayesgmm.reporting.analysis, "run_analysis", fake_run_analysis)
    out = str(tmp_path / "ref")
    assert main(["run", "models/faithful", "--quick", "--out", out, "--quiet"]) == status
    assert calls == [{"path": "models/faithful", "quick": True, "out": out, "progress": False}]
    text = capsys.readouterr().out
    assert "log_likelihood" in text
    assert "-1126.33" in text
    if status == 0:
        assert "2/2 checks passed" in text
    else:
        assert "1/2 checks passed; 1 FAILED" in text


def test_run_defaults_and_spec_errors(monkeypatch, capsys):
    import bayesgmm.reporting.analysis

    calls = []

    def fake_run_analysis(path, *, quick=False, out=None, progress=True):
        calls.append((quick, out, progress))
        raise bayesgmm.reporting.analysis.SpecError(
            f"{path}/spec.toml: [data] is missing 'columns'."
        )

    monkeypatch.setattr(bayesgmm.reporting.analysis, "run_analysis", fake_run_analysis)
    assert main(["run", "models/broken"]) == 2
    assert calls == [(False, None, True)]
    line = one_error_line(capsys.readouterr().err)
    assert line == "bayesgmm: error: models/broken/spec.toml: [data] is missing 'columns'."


# ---------------------------------------------------------------------- demo
def test_demo_em_only(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--em-only", "--quick", "--max-components", "3", "--n-init", "2"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "BIC (lower is better; mclust reports -BIC):" in text
    assert "Chosen by BIC: K=3, covariance_type='tied' (mclust EEE)" in text
    assert "Bootstrap LRT (tied):" in text
    assert "Evidence: recommended K=3 tied" in text
    assert f"Report: {out / 'report.html'}" in text
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Evidence for the number of components</h2>" in report
    assert "<h2>Parameters</h2>" in report


def test_demo_quick_with_posterior(tmp_path, capsys):
    # K <= 2 picks K=2 full: the shape of test_report's posterior, compiled once per session
    # (without extending the range, so that K=2 is only a lower bound)
    out = tmp_path / "demo"
    args = ["demo", "--quick", "--max-components", "2", "--n-init", "2", "--quiet", "--no-extend"]
    assert main([*args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Evidence: recommended at least K=2 (K=2 full)" in captured.out
    assert "Posterior of K=2 full: sampling diagnostics" in captured.out
    # 2 x 100 draws cannot reach the ESS target: one warning line, no Python warning
    assert all(line.startswith("bayesgmm: warning: ") for line in captured.err.splitlines())
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Posterior parameters</h2>" in report
    assert "<h2>Sampling diagnostics</h2>" in report


def test_fit_bayes_writes_the_posterior(tmp_path, capsys):
    from bayesgmm import BayesianGaussianMixture, load_faithful

    csv = tmp_path / "faithful.csv"
    load_faithful().to_csv(csv, index=False)
    out = tmp_path / "out"
    args = ["fit", str(csv), "--k", "2", "--covariance", "full", "--n-init", "2", "--bayes"]
    args += ["--draws", "100", "--tune", "100", "--chains", "2", "--out", str(out), "--quiet"]
    assert main(args) == 0  # same shape as the demo's model: compiled once per session
    assert "Posterior of K=2 full: sampling diagnostics" in capsys.readouterr().out
    assert (out / "posterior.nc").exists()
    model = BayesianGaussianMixture.load(out / "posterior.nc")
    # 2 x 100 draws cannot pass the ESS checks: the chains may be continued (doubled)
    assert model.idata_["posterior"].sizes["draw"] == 100 * 2**model.diagnostics_.doublings
    parameters = json.loads((out / "parameters.json").read_text())
    posterior = parameters["posterior"]
    n_draws = model.idata_["posterior"].sizes["draw"]  # the draws run, after any doubling
    assert (posterior["chains"], posterior["draws"], posterior["file"]) == (
        2,
        n_draws,
        "posterior.nc",
    )
    assert {"mean", "sd", "r_hat", "ess_bulk"} <= set(posterior["summary"]["weights[0]"])
    assert "<h2>Sampling diagnostics</h2>" in (out / "report.html").read_text(encoding="utf-8")


def test_library_errors_exit_1_with_one_line(tmp_path, capsys):
    data = np.random.default_rng(0).normal(size=(30, 2)) * 1e300
    path = tmp_path / "huge.csv"
    np.savetxt(path, data, delimiter=",", header="a,b", comments="")
    assert main(["fit", str(path), "--k", "1:2", "--quiet", "--out", str(tmp_path / "o")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert re.search(r"X is too large to fit.*Divide X by a constant", line), line


def test_demo_fits_each_model_on_the_data_once(monkeypatch, tmp_path):
    import warnings
    from collections import Counter

    from bayesgmm import load_faithful
    from bayesgmm.cli import run_demo
    from bayesgmm.exceptions import SamplingWarning

    data = load_faithful().to_numpy()
    fitted_on_data = Counter()
    original = GaussianMixture.fit

    def counting_fit(self, X, y=None, sample_weight=None):
        array = np.asarray(X, dtype=float)
        if array.shape == data.shape and np.array_equal(array, data):
            fitted_on_data[
                (self.n_components, get_covariance_model(self.covariance_type).name)
            ] += 1
        return original(self, X, y, sample_weight)

    monkeypatch.setattr(GaussianMixture, "fit", counting_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # 2 x 100 draws
        run_demo(3, n_init=1, quiet=True, quick=True, out=tmp_path / "demo")
    # BIC is best at K=3 tied, the largest K asked for: the range is doubled to 6 and
    # only the new models are fitted
    grid = {(k, cov) for k in range(1, 7) for cov in ("full", "tied", "diag", "spherical")}
    assert set(fitted_on_data) == grid
    assert set(fitted_on_data.values()) == {1}


def test_fit_k_posterior_writes_its_table(csv_file, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["fit", str(csv_file), "--k", "1:3", "--covariance", "full", "--n-init", "2"]
    assert main([*args, "--k-posterior", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "Posterior over K (telescope" in captured.out
    assert "k_posterior.csv" in captured.out
    table = pd.read_csv(out / "k_posterior.csv", index_col="k")
    assert table["p_clusters"].idxmax() == 2  # two well-separated groups
    assert table["p_components"].sum() == pytest.approx(1.0)
    assert "Posterior over the number of components" in (out / "report.html").read_text()
