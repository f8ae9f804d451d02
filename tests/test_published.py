"""Published maximum log-likelihoods (mclust) are reached: one case per models/*/spec.toml."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import numpy as np
import pytest

import bayesgmm.datasets
from bayesgmm import GaussianMixture
from bayesgmm.selection import select_model

MODELS = Path(__file__).resolve().parents[1] / "models"
SPECS = sorted(MODELS.glob("*/spec.toml"))
#: published numbers are rounded to 2 decimals
ROUNDING = 0.005
ESTIMATOR_PARAMS = set(inspect.signature(GaussianMixture).parameters)
COMPARISONS = {
    "at_least": lambda ours, published: ours >= published - ROUNDING,
}


def load_spec(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_data(spec: dict) -> np.ndarray:
    loader = getattr(bayesgmm.datasets, f"load_{spec['dataset']}")
    frame = loader()
    return frame[spec["columns"]].to_numpy(dtype=np.float64) * spec.get("scale", 1.0)


def test_spec_files_exist():
    assert len(SPECS) >= 2, f"no model specs under {MODELS}"


@pytest.mark.parametrize("path", SPECS, ids=[path.parent.name for path in SPECS])
def test_spec_is_well_formed(path):
    spec = load_spec(path)
    for key in ("description", "dataset", "columns", "n_components", "covariance_type"):
        assert key in spec, key
    published = spec["published"]
    assert published["comparison"] in COMPARISONS
    assert published["source"].strip()
    assert isinstance(published["log_likelihood"], float)
    known = ESTIMATOR_PARAMS | {
        "description",
        "dataset",
        "columns",
        "scale",
        "published",
        "selection",
    }
    assert set(spec) <= known, set(spec) - known


@pytest.mark.parametrize("path", SPECS, ids=[path.parent.name for path in SPECS])
def test_reaches_published_log_likelihood(path):
    spec = load_spec(path)
    X = load_data(spec)
    params = {key: value for key, value in spec.items() if key in ESTIMATOR_PARAMS}
    gm = GaussianMixture(**params).fit(X)
    assert gm.converged_
    log_likelihood = gm.score(X) * len(X)
    published = spec["published"]
    accept = COMPARISONS[published["comparison"]]
    assert accept(log_likelihood, published["log_likelihood"]), (
        f"{path.parent.name}: log-likelihood {log_likelihood:.4f}, published "
        f"{published['log_likelihood']} ({published['comparison']})"
    )


@pytest.mark.parametrize("path", SPECS, ids=[path.parent.name for path in SPECS])
def test_bic_grid_selects_published_model(path):
    spec = load_spec(path)
    if "selection" not in spec:
        pytest.skip("no [selection] table in this spec")
    X = load_data(spec)
    grid = spec["selection"]
    low, high = grid["n_components"]
    result = select_model(
        X,
        range(low, high + 1),
        grid["covariance_types"],
        criterion=grid["criterion"],
        n_init=grid["n_init"],
        random_state=spec.get("random_state", 0),
    )
    assert result.best_params_ == {
        "n_components": spec["n_components"],
        "covariance_type": spec["covariance_type"],
    }, result.candidates(3)
    best = result.table.iloc[0]
    published = spec["published"]
    assert best.log_likelihood >= published["log_likelihood"] - ROUNDING
    if "bic" in published:
        # published in mclust's sign; to_mclust() converts ours
        ours = result.to_mclust().loc[spec["n_components"], ("BIC", best.mclust_name)]
        assert abs(ours - published["bic"]) <= 0.1, (ours, published["bic"])
        assert abs(best.bic + published["bic"]) <= 0.1
