"""Data are validated once, at the public boundary, and trusted inward.

The one array check is :func:`bayesgmm.core.validation.check_array` (every public
entry point reaches it through :func:`~bayesgmm.core.validation.validate_data`, or
calls it directly). The spy counts its calls during a whole public call.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import bayesgmm
from bayesgmm.core import validation
from bayesgmm.core.validation import ValidatedData, validate_data
from bayesgmm.selection.pipeline import run_pipeline


@pytest.fixture
def count_checks(monkeypatch):
    """Count calls of ``check_array``, wherever the package imported it."""
    original = validation.check_array
    calls: list[int] = []

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("bayesgmm") and getattr(module, "check_array", None) is original:
            monkeypatch.setattr(module, "check_array", spy)
    return calls


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(-3, 1, (60, 2)), rng.normal(3, 1, (60, 2))]


def test_select_model_validates_once(X, count_checks):
    """One check for the whole grid (3 x 2 cells): not one per cell, nor per criterion."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = bayesgmm.select_model(X, range(1, 4), ["full", "diag"])
    assert len(selection.table) == 6
    assert len(count_checks) == 1


def test_select_model_takes_validated_data(X, count_checks):
    """A ValidatedData is not checked again, and gives the same table."""
    data = validate_data(X, min_samples=2)
    assert len(count_checks) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trusted = bayesgmm.select_model(data, range(1, 4), ["full", "diag"])
        assert len(count_checks) == 1
        plain = bayesgmm.select_model(X, range(1, 4), ["full", "diag"])
    np.testing.assert_array_equal(trusted.table.bic, plain.table.bic)


def test_extend_validates_once(X, count_checks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = bayesgmm.select_model(X, [1, 2], ["full"])
        count_checks.clear()
        wider = selection.extend(X, range(1, 5))
    assert len(wider.table) == 4
    assert len(count_checks) == 1


def test_fit_predict_criteria_on_validated_data(X, count_checks):
    data = validate_data(X, min_samples=2)
    gm = bayesgmm.GaussianMixture(2, random_state=0).fit(data)
    gm.criteria(data)
    gm.predict(data)
    assert len(count_checks) == 1
    assert gm.bic(data) == pytest.approx(gm.bic(X))


def test_validated_data_requirements_still_hold(X):
    """What differs between callers is still enforced on a ValidatedData."""
    data = validate_data(np.where(np.eye(120, 2, dtype=bool), np.nan, X), allow_nan=True)
    assert isinstance(data, ValidatedData)
    assert data.has_nan
    with pytest.raises(ValueError, match="NaN"):
        bayesgmm.GaussianMixture(2).fit(data)
    with pytest.raises(ValueError, match="at least 2 samples"):
        bayesgmm.GaussianMixture(1).fit(validate_data(X[:1]))


def test_collect_evidence_validates_once(X, count_checks):
    """The pipeline checks X once and hands the validated data to every step.

    Bootstrap LRT, Bayesian steps and the posterior over K are off here (they are
    slow); the grid, its extension and the evidence table run.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evidence = bayesgmm.collect_evidence(
            X,
            range(1, 3),
            ["full"],
            n_init=1,
            lrt=False,
            loo=False,
            k_posterior=False,
            progress=False,
        )
    assert evidence.recommendation is not None
    assert len(count_checks) == 1


def test_sequential_lrt_in_pipeline_validates_once(X, count_checks):
    """The bootstrap tests take the pipeline's validated data and trust their samples."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_pipeline(
            X,
            range(1, 3),
            ["full"],
            n_init=1,
            lrt="best",
            n_boot=4,
            lrt_n_init=1,
            loo=False,
            k_posterior=False,
            extend=False,
            progress=False,
        )
    assert len(result.lrt) == 1
    assert len(count_checks) == 1
