"""The pipeline asks the posterior over K under the structure of the grid's best model."""

from __future__ import annotations

import io

import pytest

from bayesgmm import load_faithful
from bayesgmm.mfm import nearest_structure
from bayesgmm.selection.pipeline import K_POSTERIOR_MAX_WORK, run_pipeline

SETTINGS = {"lrt": False, "loo": False, "ppc": False, "sparse": False, "n_init": 1}
K_SETTINGS = {"k_max": 10, "draws": 300, "max_doublings": 0}


@pytest.mark.parametrize(
    ("grid", "expected"), [("diag", "diag"), ("VII", "spherical"), ("EEV", "full")]
)
@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short runs
def test_the_grid_structure_is_passed_on(grid, expected):
    stream = io.StringIO()
    result = run_pipeline(
        load_faithful(), [2, 3], grid, **SETTINGS, k_posterior=K_SETTINGS, progress=stream
    )
    assert result.selection.best_params_["covariance_type"] in (grid, expected)
    assert result.k_posterior.priors.covariance_type == expected
    assert f"split-merge moves and jumps, {expected} covariances" in stream.getvalue()


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short runs
def test_the_settings_name_the_structure_first():
    result = run_pipeline(
        load_faithful(), [2], "diag", **SETTINGS,
        k_posterior={**K_SETTINGS, "covariance_type": "spherical"}, progress=False,
    )  # fmt: skip
    assert result.k_posterior.priors.covariance_type == "spherical"


def test_no_default_skip_up_to_10_000_rows_of_5_features():
    assert K_POSTERIOR_MAX_WORK >= 10_000 * 5 * 6
    assert [nearest_structure(t) for t in ("full", "VVV", "VVI", "tied", "EII")] == [
        "full", "full", "diag", "full", "full",
    ]  # fmt: skip
