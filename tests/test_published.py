"""Published numbers are reached: one case per models/*/spec.toml.

An oracle independent of ``bayesgmm.reporting.analysis`` (which runs the same specs in
tests/test_analysis.py): the data, the EM fit and the grid are set up here directly
from the TOML, and mclust's BIC is read through ``ModelSelection.to_mclust()``.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import numpy as np
import pytest

import bayesgmm.datasets
from bayesgmm import GaussianMixture
from bayesgmm.covariance import get_covariance_model
from bayesgmm.reporting.analysis import COMPARISONS, QUANTITIES, load_spec
from bayesgmm.reporting.analysis_spec import K_POSTERIOR_QUANTITIES
from bayesgmm.selection.model_selection import candidate_name, select_model
from bayesgmm.testing import make_gmm_data

MODELS = Path(__file__).resolve().parents[1] / "models"
SPECS = sorted(MODELS.glob("*/spec.toml"))
IDS = [path.parent.name for path in SPECS]
ESTIMATOR_PARAMS = set(inspect.signature(GaussianMixture).parameters)
ACCEPT = {
    "at_least": lambda ours, value, tol: ours >= value - tol,
    "at_most": lambda ours, value, tol: ours <= value + tol,
    "close": lambda ours, value, tol: abs(ours - value) <= tol,
    "equal": lambda ours, value, tol: ours == value,
}


def read_spec(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_data(spec: dict) -> np.ndarray:
    data = spec["data"]
    if "generator" in data:
        X = make_gmm_data(
            data["covariance_type"],
            data["n_samples"],
            data["seed"],
            separation=data.get("separation", 10.0),
        )[0]
    else:
        loader = getattr(bayesgmm.datasets, f"load_{data['dataset']}")
        frame = loader(data["variant"]) if "variant" in data else loader()
        X = frame[data["columns"]].to_numpy(dtype=np.float64)
    return X * data.get("scale", 1.0)


def model_label(spec: dict) -> str:
    return candidate_name(spec["model"]["n_components"], spec["model"]["covariance_type"])


def checks(spec: dict, quantity: str) -> list[dict]:
    return [c for c in spec["published"]["checks"] if c["quantity"] == quantity]


def test_spec_files_exist():
    names = {path.parent.name for path in SPECS}
    assert {"faithful", "galaxies", "iris", "synthetic"} <= names, names


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_spec_is_well_formed(path):
    spec = read_spec(path)
    for key in ("description", "data", "selection", "model", "published"):
        assert key in spec, key
    assert set(spec) <= {"description", "name", "data", "selection", "model", "bayes",
                         "k_posterior", "published"}  # fmt: skip
    assert {"n_components", "covariance_type"} <= set(spec["model"])
    assert set(spec["model"]) <= ESTIMATOR_PARAMS | {"quick"}, set(spec["model"])
    published = spec["published"]
    assert published["source"].strip()
    assert published["checks"]
    for check in published["checks"]:
        assert check["quantity"] in QUANTITIES
        assert check["comparison"] in COMPARISONS
        assert check.get("origin", "published") in ("published", "mclust", "ours", "truth")
    # every spec reproduces at least one number it did not produce itself
    assert any(c.get("origin", "published") != "ours" for c in published["checks"])
    load_spec(path)  # the validator accepts it too


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_reaches_published_log_likelihood(path):
    spec = read_spec(path)
    targets = checks(spec, "log_likelihood")
    if not targets:
        pytest.skip("no log-likelihood check in this spec")
    X = load_data(spec)
    settings = {k: v for k, v in spec["model"].items() if k in ESTIMATOR_PARAMS}
    for check in targets:
        label = check.get("model", model_label(spec))
        k, cov = label.removeprefix("K=").split()
        gm = GaussianMixture(
            **dict(settings, n_components=int(k), covariance_type=get_covariance_model(cov).name)
        ).fit(X)
        assert gm.converged_
        log_likelihood = gm.score(X) * len(X)
        accept = ACCEPT[check["comparison"]]
        assert accept(log_likelihood, check["value"], check.get("tolerance", 0.0)), (
            f"{path.parent.name} {label}: log-likelihood {log_likelihood:.4f}, published "
            f"{check['value']} ({check['comparison']})"
        )


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_bic_grid_selects_published_model(path):
    spec = read_spec(path)
    X = load_data(spec)
    grid = spec["selection"]
    low, high = grid["n_components"]
    result = select_model(
        X,
        range(low, high + 1),
        grid["covariance_types"],
        criterion=grid.get("criterion", "bic"),
        n_init=grid["n_init"],
        init_params=grid.get("init_params", "kmeans"),
        random_state=grid.get("random_state", 0),
    )
    assert result.best_params_ == {
        "n_components": spec["model"]["n_components"],
        "covariance_type": get_covariance_model(spec["model"]["covariance_type"]).name,
    }, result.candidates(3)
    for check in checks(spec, "selected_model"):
        assert candidate_name(**result.best_params_) == check["value"]
    best = result.table.iloc[0]
    for check in checks(spec, "log_likelihood"):
        if check.get("model", model_label(spec)) == model_label(spec):
            assert best.log_likelihood >= check["value"] - check.get("tolerance", 0.0)
    mclust = result.to_mclust()
    for check in checks(spec, "mclust_bic"):
        label = check.get("model", model_label(spec))
        k, cov = label.removeprefix("K=").split()
        row = result.table[
            (result.table.n_components == int(k))
            & (result.table.covariance_type == get_covariance_model(cov).name)
        ].iloc[0]
        # published in mclust's sign; to_mclust() converts ours
        ours = mclust.loc[int(k), ("BIC", row.mclust_name)]
        tolerance = check.get("tolerance", 0.0)
        assert ACCEPT[check["comparison"]](ours, check["value"], tolerance), (
            label,
            ours,
            check["value"],
        )
        assert abs(ours + row.bic) <= 1e-9


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_posterior_over_k_reaches_published_table(path):
    from bayesgmm import posterior_over_k

    spec = read_spec(path)
    targets = [c for c in spec["published"]["checks"] if c["quantity"] in K_POSTERIOR_QUANTITIES]
    if not targets:
        pytest.skip("no posterior-over-K check in this spec")
    settings = {k: v for k, v in spec["k_posterior"].items() if k not in ("run", "quick")}
    result = posterior_over_k(load_data(spec), progress=False, **settings)
    assert result.ok, result.problems
    for check in targets:
        if check["quantity"] == "k_posterior_mode":
            ours = result.mode
        else:
            ours = result.table[check["quantity"]].to_numpy()[: len(check["value"])]
        accept = ACCEPT[check["comparison"]]
        assert np.all(accept(np.asarray(ours), np.asarray(check["value"]), check["tolerance"])), (
            check["quantity"],
            ours,
            check["value"],
        )
