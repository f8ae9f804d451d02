"""bayesgmm.reporting.analysis: every reference analysis in models/ passes in quick mode."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bayesgmm.reporting.analysis import (
    QUANTITIES,
    AnalysisResult,
    SpecError,
    load_spec,
    parse_model_label,
    run_analysis,
)

MODELS = Path(__file__).resolve().parents[1] / "models"
SPECS = sorted(MODELS.glob("*/spec.toml"))
IDS = [path.parent.name for path in SPECS]
HAVE_REPORT = importlib.util.find_spec("bayesgmm.reporting.html_report") is not None

_RESULTS: dict[str, AnalysisResult] = {}


def quick_run(path: Path, out: Path) -> AnalysisResult:
    """Run each spec once per session (the faithful one samples a posterior)."""
    name = path.parent.name
    if name not in _RESULTS:
        _RESULTS[name] = run_analysis(path, quick=True, out=out / name, progress=False)
    return _RESULTS[name]


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("analyses")


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_quick_run_passes_its_checks(path, out_dir):
    result = quick_run(path, out_dir)
    assert result.passed, str(result)
    spec = load_spec(path)
    assert len(result.checks) + len(result.skipped) == len(spec["published"]["checks"])
    assert len(result.checks) >= 1
    assert set(result.checks.columns) >= {"quantity", "published", "ours", "tolerance", "passed"}
    assert result.checks["passed"].dtype == bool
    assert result.quick
    assert result.model.converged_
    assert result.selection.best_params_ == {
        "n_components": spec["model"]["n_components"],
        "covariance_type": result.model.covariance_type,
    }


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_quick_run_writes_outputs(path, out_dir):
    result = quick_run(path, out_dir)
    folder = out_dir / path.parent.name
    checks = pd.read_csv(folder / "checks.csv")
    assert list(checks["quantity"]) == list(result.checks["quantity"])
    assert (folder / "report.html").exists() == HAVE_REPORT
    assert (result.report is not None) == HAVE_REPORT


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_bayesian_fit_runs_only_when_quick_settings_ask(path, out_dir):
    result = quick_run(path, out_dir)
    spec = load_spec(path)
    wanted = spec.get("bayes", {}).get("quick", {}).get("run", False)
    assert (result.bayes_model is not None) == wanted
    if wanted:
        quick = spec["bayes"]["quick"]
        posterior = result.bayes_model.idata_["posterior"]
        # short chains may be continued (doubled) while only their ESS is short
        doublings = result.bayes_model.diagnostics_.doublings
        assert posterior.sizes["draw"] == quick["draws"] * 2**doublings
        assert posterior.sizes["chain"] == quick["chains"]
        # statistical warnings of short chains are recorded, not raised
        assert all(isinstance(w, str) for w in result.warnings)
    else:
        assert not any(q.startswith("bayes_") for q in result.checks["quantity"])


def test_synthetic_spec_states_the_generator_truth(out_dir):
    path = MODELS / "synthetic" / "spec.toml"
    result = quick_run(path, out_dir)
    assert result.truth is not None
    for check in result.spec["published"]["checks"]:
        name = check["quantity"].removeprefix("bayes_")
        if name in result.truth:
            assert_allclose(check["value"], result.truth[name])


def test_iris_reproduces_mclusts_choice_and_likelihood(out_dir):
    """Mclust's own search (14 models, one hierarchical start) picks VEV,2, -215.7259."""
    result = quick_run(MODELS / "iris" / "spec.toml", out_dir)
    row = result.checks[result.checks.quantity == "log_likelihood"].iloc[0]
    assert row.model == "K=2 VEV"
    assert row.ours == pytest.approx(-215.7259, abs=5e-4)
    selected = result.checks[result.checks.quantity == "selected_model"].iloc[0]
    assert (selected.ours, selected.origin) == ("K=2 VEV", "published")
    assert result.bayes_model is None  # the spec checks EM numbers only: no [bayes] section


def test_str_lists_every_check(out_dir):
    result = quick_run(MODELS / "galaxies" / "spec.toml", out_dir)
    text = str(result)
    assert text.startswith("galaxies (quick mode")
    assert text.count("ok  ") == len(result.checks)


def test_parse_model_label():
    assert parse_model_label("K=3 EEE") == (3, "tied")
    assert parse_model_label(" K = 2  full ") == (2, "full")
    with pytest.raises(ValueError, match=r"model labels look like 'K=3 tied'; got '3 tied'"):
        parse_model_label("3 tied")
    with pytest.raises(ValueError, match="covariance"):
        parse_model_label("K=2 XYZ")


# --------------------------------------------------------------------- bad specs
GOOD = """
description = "a test spec"
[data]
dataset = "faithful"
columns = ["eruptions", "waiting"]
[selection]
n_components = [1, 3]
covariance_types = ["tied"]
n_init = 1
[model]
n_components = 3
covariance_type = "tied"
n_init = 1
[published]
source = "made up for the test"
[[published.checks]]
quantity = "n_parameters"
value = 11
comparison = "equal"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_good_spec_loads_with_defaults(tmp_path):
    spec = load_spec(write(tmp_path, GOOD).parent)
    assert spec["name"] == tmp_path.name
    assert spec["data"]["scale"] == 1.0
    assert spec["selection"]["criterion"] == "bic"
    check = spec["published"]["checks"][0]
    assert (check["tolerance"], check["origin"]) == (0.0, "published")
    assert Path(spec["path"]) == (tmp_path / "spec.toml").resolve()


K_CHECK = """
[[published.checks]]
quantity = "p_components"
value = [0.0, 0.5]
comparison = "close"
tolerance = 0.1
"""

BAD = [
    (GOOD.replace('description = "a test spec"', ""), r"missing the required key 'description'"),
    (
        GOOD.replace('dataset = "faithful"', 'dataset = "faithful"\nvariant = "MASS"'),
        r"dataset 'faithful' has no variants",
    ),
    (
        GOOD.replace('dataset = "faithful"', 'dataset = "galaxies"\nvariant = "roeder"'),
        r"variant must be one of \('MASS', 'richardson_green'\); got 'roeder'",
    ),
    (GOOD + K_CHECK, r"'p_components' needs a \[k_posterior\] table"),
    (
        GOOD.replace("[published]", "[k_posterior]\ndraws = 0\n[published]") + K_CHECK,
        r"\[k_posterior\] draws must be an integer >= 1; got 0",
    ),
    (
        GOOD.replace("[published]", '[k_posterior]\npriors = "green"\n[published]'),
        r"\[k_posterior.priors\] priors must be one of",
    ),
    (
        GOOD.replace(
            "[published]", "[k_posterior.priors]\nname = 'telescope'\nkappa = 1\n[published]"
        ),
        r"unknown prior field\(s\) \['kappa'\]",
    ),
    (
        GOOD.replace("[published]", "[k_posterior]\nwalkers = 4\n[published]"),
        r"\[k_posterior\] .*unknown key\(s\) \['walkers'\]",
    ),
    (GOOD.replace("[data]", "[dat]"), r"unknown key\(s\) \['dat'\]"),
    (
        GOOD.replace('dataset = "faithful"', 'dataset = "faithful"\ngenerator = "make_gmm_data"'),
        r"\[data\] needs exactly one of 'dataset', 'file' or 'generator'",
    ),
    (
        GOOD.replace('dataset = "faithful"', 'dataset = "old_faithful"'),
        r"dataset must be one of \[.*'faithful'.*\]; got 'old_faithful'",
    ),
    (
        GOOD.replace('columns = ["eruptions", "waiting"]', ""),
        r"\[data\] is missing the required key 'columns'",
    ),
    (
        GOOD.replace('columns = ["eruptions", "waiting"]', 'columns = "eruptions"'),
        r"columns must be a non-empty list of column names; got 'eruptions'",
    ),
    (GOOD.replace("[selection]", "[data.extra]\n[selection]"), r"unknown key\(s\) \['extra'\]"),
    (
        GOOD.replace("n_components = [1, 3]", "n_components = [3, 1]"),
        r"n_components must be \[low, high\] with 1 <= low <= high .*; got \[3, 1\]",
    ),
    (
        GOOD.replace('covariance_types = ["tied"]', 'covariance_types = ["tide"]'),
        r"\[selection\] covariance_type: .*'tide'",
    ),
    (
        GOOD.replace("n_init = 1\n[model]", 'n_init = 1\ncriterion = "bayes"\n[model]'),
        r"criterion must be one of \['bic', 'icl', 'aic'\]; got 'bayes'",
    ),
    (
        GOOD.replace('covariance_type = "tied"\nn_init = 1', "n_init = 1"),
        r"\[model\] is missing the required key 'covariance_type'",
    ),
    (
        GOOD.replace("n_components = 3\n", "n_component = 3\n"),
        r"\[model\] has unknown key\(s\) \['n_component'\]",
    ),
    (
        GOOD.replace("n_components = 3\n", "n_components = 0\n"),
        r"\[model\] n_components must be an integer >= 1; got 0",
    ),
    (
        GOOD.replace('quantity = "n_parameters"', 'quantity = "loglik"'),
        r"published.checks #1\] quantity must be one of \[.*\]; got 'loglik'",
    ),
    (
        GOOD.replace('comparison = "equal"', 'comparison = "approximately"'),
        r"comparison must be one of \['at_least', 'at_most', 'close', 'equal'\]",
    ),
    (
        GOOD.replace('comparison = "equal"', 'comparison = "at_least"'),
        r"'n_parameters' is compared with comparison = 'equal'; got 'at_least'",
    ),
    (
        GOOD.replace('comparison = "equal"', 'comparison = "equal"\ntolerance = -1'),
        r"tolerance must be a number >= 0; got -1",
    ),
    (
        GOOD.replace('comparison = "equal"', 'comparison = "equal"\norigin = "folklore"'),
        r"origin must be one of \['published', 'mclust', 'ours', 'truth'\]; got 'folklore'",
    ),
    (
        GOOD.replace('comparison = "equal"', 'comparison = "equal"\nmodel = "three tied"'),
        r"model: model labels look like 'K=3 tied'; got 'three tied'",
    ),
    (
        GOOD.replace("value = 11", 'value = "eleven"'),
        r"value of 'n_parameters' must be a number; got 'eleven'",
    ),
    (
        GOOD.replace('source = "made up for the test"\n', ""),
        r"\[published\] is missing the required key 'source'",
    ),
    (
        GOOD.split("[[published.checks]]")[0],
        r"\[published\] is missing the required key 'checks'",
    ),
    (GOOD + "[bayes]\ndraw = 10\n", r"\[bayes\] has unknown key\(s\) \['draw'\]"),
    (GOOD + "[bayes]\nchains = 0\n", r"\[bayes\] chains must be an integer >= 1; got 0"),
    (
        GOOD + "[bayes.quick]\nrun = 'yes'\n",
        r"\[bayes.quick\] run must be true or false; got 'yes'",
    ),
    (
        GOOD + "[bayes.priors]\nlkj_eta = -2.0\n",
        r"\[bayes.priors\] Priors.lkj_eta must be a positive number; got -2.0",
    ),
    (
        GOOD + "[bayes.priors]\neta = 2.0\n",
        r"\[bayes.priors\] has unknown key\(s\) \['eta'\]",
    ),
    (
        GOOD.replace('value = 11\ncomparison = "equal"', 'value = [1, 2]\ncomparison = "equal"')
        .replace('"n_parameters"', '"bayes_weights"')
        .replace('comparison = "equal"', 'comparison = "close"\nmodel = "K=2 full"'),
        r"'bayes_weights' refers to the chosen model; remove its 'model' key",
    ),
    ("description = 'x'\n[data\n", r"not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=range(len(BAD)))
def test_bad_spec_gives_a_clear_error(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match=r"no spec file at .*spec\.toml"):
        load_spec(tmp_path)


def test_missing_column_is_reported_at_run_time(tmp_path):
    path = write(tmp_path, GOOD.replace('"waiting"]', '"wait"]'))
    with pytest.raises(SpecError, match=r"columns \['wait'\] are not in the data; available"):
        run_analysis(path, progress=False)


def test_missing_data_file(tmp_path):
    text = GOOD.replace('dataset = "faithful"', 'file = "geyser.csv"')
    with pytest.raises(SpecError, match=r"file '.*geyser\.csv' does not exist"):
        load_spec(write(tmp_path, text))


def test_csv_file_source_and_quick_overrides(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        np.vstack([rng.normal(-5, 1, (60, 1)), rng.normal(5, 1, (40, 1))]), columns=["x"]
    )
    frame.to_csv(tmp_path / "points.csv", index=False)
    text = """
description = "two well separated groups"
[data]
file = "points.csv"
columns = ["x"]
[selection]
n_components = [1, 3]
covariance_types = ["full"]
n_init = 3
[selection.quick]
n_components = [1, 2]
[model]
n_components = 2
covariance_type = "full"
n_init = 3
[published]
source = "the simulation above"
[[published.checks]]
quantity = "weights"
value = [0.6, 0.4]
comparison = "close"
tolerance = 1e-9
origin = "truth"
[[published.checks]]
quantity = "selected_model"
value = "K=2 V"
comparison = "equal"
origin = "truth"
"""
    path = write(tmp_path, text)
    result = run_analysis(path, quick=True, progress=False)
    assert result.passed, str(result)
    assert sorted(result.selection.table.n_components) == [1, 2]  # quick grid
    assert result.checks.loc[1, "published"] == "K=2 full"  # label made canonical
    full = run_analysis(path, progress=False)
    assert sorted(full.selection.table.n_components) == [1, 2, 3]


def test_checks_of_models_outside_the_grid_are_fitted(tmp_path):
    text = GOOD + '[[published.checks]]\nquantity = "n_parameters"\nmodel = "K=2 VVV"\n'
    text += 'value = 11\ncomparison = "equal"\norigin = "ours"\n'
    result = run_analysis(write(tmp_path, text), progress=False)
    row = result.checks.iloc[1]
    assert (row.model, row.ours, row.passed) == ("K=2 full", 11, True)  # 1 + 4 + 6


def test_failed_check_is_reported_not_raised(tmp_path):
    text = GOOD.replace("value = 11", "value = 12")
    result = run_analysis(write(tmp_path, text), progress=False)
    assert not result.passed
    assert "FAIL n_parameters [K=3 tied]: ours 11 equal 12" in str(result)


def test_every_quantity_is_documented():
    assert all(isinstance(text, str) and text for text in QUANTITIES.values())


def test_chosen_model_continues_the_grid_fit_and_starts_the_posterior(monkeypatch, tmp_path):
    """Each grid model is fitted once from scratch; the chosen one is then continued to
    the spec's tolerance (a warm start) and its posterior starts from it, not refitted."""
    import warnings
    from collections import Counter

    from bayesgmm import GaussianMixture, load_galaxies
    from bayesgmm.covariance import get_covariance_model
    from bayesgmm.exceptions import SamplingWarning

    data = load_galaxies().to_numpy() / 1000
    fresh, continued = Counter(), Counter()
    original = GaussianMixture.fit

    def counting_fit(self, X, y=None, sample_weight=None):
        array = np.asarray(X, dtype=float)
        if array.shape == data.shape and np.allclose(array, data):
            key = (self.n_components, get_covariance_model(self.covariance_type).name)
            (continued if self.warm_start else fresh)[key] += 1
        return original(self, X, y, sample_weight)

    monkeypatch.setattr(GaussianMixture, "fit", counting_fit)
    (tmp_path / "spec.toml").write_text(
        """
description = "Galaxy velocities in 1000 km/s"
[data]
dataset = "galaxies"
columns = ["velocity"]
scale = 0.001
[selection]
n_components = [2, 4]
covariance_types = ["full"]
n_init = 5
[model]
n_components = 3
covariance_type = "full"
n_init = 5
tol = 1e-9
[bayes]
draws = 100
tune = 100
chains = 1
[published]
source = "a test"
[[published.checks]]
quantity = "log_likelihood"
value = -203.18
comparison = "at_least"
tolerance = 0.005
"""
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # 100 draws
        result = run_analysis(tmp_path, progress=False)
    assert fresh == {(k, "full"): 1 for k in (2, 3, 4)}
    assert continued == {(3, "full"): 1}
    assert result.model.tol == 1e-9
    assert not result.model.warm_start
    grid_fit = result.selection.estimators[(3, "full")]
    assert result.model is not grid_fit
    assert result.model.lower_bound_ >= grid_fit.lower_bound_ - 1e-12
    assert_allclose(result.bayes_model.em_.means_, result.model.means_, rtol=0, atol=0)
    assert result.passed, str(result)
