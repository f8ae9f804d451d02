"""Sampling that adapts its length (max_doublings) and the multimodality check."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

from bayesgmm import BayesianGaussianMixture
from bayesgmm.bayes.convergence import Diagnostics, diagnose
from bayesgmm.exceptions import SamplingWarning


def two_clusters(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 2))
    X[30:] += 6.0
    return X


def fit(max_doublings: int) -> tuple[BayesianGaussianMixture, list[str]]:
    # 2 chains x 190 draws = 380 < 400: the base run cannot pass its ESS checks
    model = BayesianGaussianMixture(
        2,
        covariance_type="diag",
        draws=190,
        tune=1000,
        chains=2,
        random_state=0,
        progressbar=False,
        max_doublings=max_doublings,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(two_clusters())
    return model, [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]


@pytest.fixture(scope="module")
def fits():
    return fit(0), fit(2)


def test_an_ess_only_failure_fails_without_doublings(fits):
    (model, messages), _ = fits
    d = model.diagnostics_
    assert not d.ok
    assert d.extendable
    assert d.divergences == 0
    assert d.max_rhat <= 1.01
    assert all("ESS" in problem for problem in d.problems)
    assert (d.n_draws, d.doublings) == (190, 0)
    assert len(messages) == 1
    assert "after 2 chains x 190 draws" in messages[0]


def test_adaptive_extension_turns_it_into_a_pass(fits):
    (base, _), (model, messages) = fits
    d = model.diagnostics_
    assert d.ok, d.problems
    assert model.diagnostics_ok_
    assert messages == []
    assert d.doublings >= 1
    assert d.n_draws == 190 * 2**d.doublings
    assert model.idata_["log_likelihood"]["obs"].sizes["draw"] == d.n_draws
    assert model.idata_.attrs["doublings"] == d.doublings
    # the chains were continued, not restarted: the first draws are the base run's
    first = model.idata_["posterior"]["means"].isel(draw=slice(0, 190)).values
    np.testing.assert_array_equal(first, base.idata_["posterior"]["means"].values)
    # the continuation draws come from the same posterior (means within 5 MC errors)
    post = model.idata_["posterior"]["means"]
    old, new = post.isel(draw=slice(0, 190)), post.isel(draw=slice(190, 380))
    sd = float(post.std())
    assert np.abs(old.mean(("chain", "draw")) - new.mean(("chain", "draw"))).max() < sd


def test_bad_max_doublings_is_explained():
    with pytest.raises(ValueError, match=r"max_doublings must be an integer >= 0; got -1"):
        BayesianGaussianMixture(1, max_doublings=-1).fit(np.zeros((5, 1)) + np.arange(5)[:, None])


def chains_tree(values: np.ndarray) -> xr.DataTree:
    """A posterior of one mean per component, ``values`` of shape (chains, draws, 2)."""
    return xr.DataTree.from_dict(
        {
            "/posterior": xr.Dataset(
                {"means": (("chain", "draw", "component"), values)},
                coords={"component": [0, 1]},
            )
        }
    )


def test_chains_in_different_modes_are_named_not_extended():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(4, 400, 2)) * 0.1
    values[[1, 3], :, 0] += 2.0  # chains 1 and 3 sit elsewhere: 20 sds away
    d = diagnose(chains_tree(values), settings={})
    assert d.mode_groups == ((0, 2), (1, 3))
    assert d.mode_parameter == "means[component=0]"
    assert d.mode_separation > 10
    assert d.multimodal
    assert not d.ok
    assert not d.extendable
    assert any(m.startswith("Chains 0, 2 and 1, 3 sit in different modes") for m in d.messages)
    assert not any("Run longer chains" in m for m in d.messages)
    assert "chains in different modes (chains 0, 2 and 1, 3)" in d.problems


def test_slow_mixing_in_one_mode_is_extendable():
    # stationary AR(1) chains with autocorrelation 0.9 in one mode: ESS about 4 x 1000 x
    # 0.1 / 1.9 = 210, not multimodal
    rng = np.random.default_rng(1)
    values = np.zeros((4, 1000, 2))
    values[:, 0] = rng.normal(size=(4, 2))
    for t in range(1, 1000):
        values[:, t] = 0.9 * values[:, t - 1] + np.sqrt(1 - 0.9**2) * rng.normal(size=(4, 2))
    d = diagnose(chains_tree(values), settings={})
    assert d.mode_groups == ()
    assert not d.multimodal
    assert d.min_ess_bulk < 400
    assert d.max_rhat <= 1.1
    assert d.extendable


def test_messages_say_how_many_draws_were_run():
    d = Diagnostics(
        n_chains=4,
        n_draws=4000,
        doublings=2,
        max_rhat=1.0,
        min_ess_bulk=300.0,
        min_ess_tail=500.0,
        low_ess_bulk=(("means[component=0]", 300.0),),
    )
    from bayesgmm.bayes.convergence import _messages

    (message,) = _messages(d, {"draws": 1000, "tune": 1000})
    assert "after 4 chains x 4000 draws, the chains continued twice" in message
    assert "(from 1000 draws; max_doublings)" in message


def test_the_comparison_table_says_how_many_draws_were_run(fits):
    from bayesgmm.selection.loo_comparison import _run_note

    (base, _), (model, _) = fits
    d = model.diagnostics_
    times = {1: "once", 2: "twice"}[d.doublings]
    assert _run_note(model) == f" (2 x {d.n_draws} draws, chains doubled {times})"
    assert _run_note(base) == ""
