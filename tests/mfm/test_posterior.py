"""posterior_over_k: exact answers on tiny data, convergence, outputs and errors."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from mfm_exact import exact_posterior

from bayesgmm import load_faithful, load_galaxies, posterior_over_k
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.mfm import KPosterior, MFMPriors

TINY = np.array([[0.0], [0.4], [2.1], [2.5], [5.0]])


@pytest.mark.parametrize(
    "priors",
    [
        {"name": "richardson_green"},
        {"name": "telescope"},  # BNB(1, 4, 3) on K - 1, alpha / K with alpha ~ F(6, 3)
        {"name": "telescope", "alpha": 1.5},  # alpha fixed
        {"name": "richardson_green", "k_prior": ("poisson", 2.0), "gamma": 0.5},
        {"name": "richardson_green", "g0": 0.0, "C0": 0.3},  # C0 fixed
    ],
    ids=["rg", "telescope", "alpha-fixed", "poisson-gamma", "C0-fixed"],
)
def test_matches_the_exact_posterior_by_enumerating_partitions(priors):
    k_max = 8
    resolved = MFMPriors.from_spec(priors, 1).resolve(TINY, k_max)
    p_components, p_clusters = exact_posterior(TINY, resolved)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # mass at k_max=8 (by design)
        result = posterior_over_k(
            TINY, k_max, priors=priors, draws=4000, thin=10, random_state=3, progress=False
        )
    table = result.table
    for column, exact in (("p_components", p_components), ("p_clusters", p_clusters)):
        error = np.abs(table[column].to_numpy() - exact)
        bound = 4 * table[f"{column}_mcse"].to_numpy() + 0.003
        assert np.all(error <= bound), (column, exact.round(4), table[column].round(4))


def test_galaxies_converge_with_the_defaults_in_seconds():
    X = load_galaxies("richardson_green") / 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = posterior_over_k(X, random_state=0, progress=False)
    assert result.ok, result.problems
    assert result.diagnostics["r_hat_components"] <= 1.01
    assert result.diagnostics["ess_clusters"] >= 400
    table = result.table
    assert table["p_components"].sum() == pytest.approx(1.0)
    assert table["p_clusters"].sum() == pytest.approx(1.0)
    # K+ <= K: the cumulative distribution of K+ dominates that of K
    assert np.all(table["p_clusters"].cumsum() >= table["p_components"].cumsum() - 1e-9)
    assert result.mean_clusters <= result.mean


@pytest.mark.parametrize("columns", [["eruptions", "waiting"], ["waiting"]])
def test_old_faithful_converges(columns):
    # integer-valued waiting times: ties that make an overfitted mixture's components
    # collapse; the proper priors on the precisions keep every sweep finite
    X = load_faithful()[columns]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = posterior_over_k(X, random_state=0, progress=False)
    assert result.ok, result.problems
    assert result.mode_clusters in (2, 3)
    assert result.table.loc[1, "p_clusters"] < 0.01


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short runs
def test_same_seed_same_result_and_other_seed_differs():
    X = load_galaxies() / 1000
    runs = [
        posterior_over_k(X, 12, draws=200, thin=5, random_state=seed, progress=False,
                         max_doublings=0)
        for seed in (7, 7, 8)
    ]  # fmt: skip
    pd.testing.assert_frame_equal(runs[0].table, runs[1].table)
    np.testing.assert_array_equal(runs[0].n_clusters, runs[1].n_clusters)
    assert not np.array_equal(runs[0].n_clusters, runs[2].n_clusters)


def test_unreliable_runs_warn_naming_the_failed_check():
    X = load_galaxies() / 1000
    with pytest.warns(SamplingWarning, match=r"unreliable: .*(r_hat|bulk ESS) of K"):
        result = posterior_over_k(
            X, draws=30, tune=0, thin=1, max_doublings=0, random_state=0, progress=False
        )
    assert not result.ok
    assert result.settings["doublings"] == 0


def test_truncated_prior_on_k_warns_to_raise_k_max():
    X = load_galaxies() / 1000
    with pytest.warns(SamplingWarning, match="raise k_max"):
        result = posterior_over_k(
            X, 4, priors={"k_prior": ("poisson", 6.0)}, draws=300, random_state=0,
            progress=False, max_doublings=0,
        )  # fmt: skip
    assert any("k_max = 4" in problem for problem in result.problems)


def test_doubling_runs_longer_with_the_same_memory():
    X = load_galaxies() / 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        result = posterior_over_k(
            X, 15, draws=50, tune=100, thin=2, max_doublings=2, random_state=0, progress=False
        )
    assert result.settings["doublings"] == 2
    assert result.settings["thin"] == 8
    assert result.n_components.shape == (4, 50)
    assert result.prob_components.shape == (4, 50, 15)
    np.testing.assert_allclose(result.prob_components.sum(axis=2), 1.0)
    np.testing.assert_allclose(result.share_clusters.sum(axis=2), 1.0)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short runs
def test_progress_goes_where_asked():
    X = load_galaxies() / 1000
    out = io.StringIO()
    posterior_over_k(X, 10, draws=100, thin=2, chains=2, random_state=0, progress=out,
                     max_doublings=0)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines
    assert all(line.startswith("posterior over K: chain") for line in lines)
    assert any("chain 2" in line for line in lines)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short runs
def test_outputs_table_plot_html_datatree():
    import matplotlib

    matplotlib.use("Agg")
    X = load_galaxies() / 1000
    result = posterior_over_k(X, 20, draws=500, thin=10, random_state=0, progress=False,
                              max_doublings=0)  # fmt: skip
    assert isinstance(result, KPosterior)
    table = result.table
    assert list(table.index) == list(range(1, 21))
    assert table.index.name == "k"
    assert (table.filter(like="mcse") >= 0).all().all()
    html = result._repr_html_()
    assert "p_components" in html
    assert "richardson_green" in html
    assert "mode K =" in str(result)
    ax = result.plot()
    assert len(ax.patches) == 2 * len(ax.get_xticks())
    tree = result.to_datatree()
    posterior = tree["posterior"]
    assert set(posterior.data_vars) == {"K", "K_plus", "alpha", "p_K", "p_K_plus"}
    np.testing.assert_allclose(
        posterior["p_K"].mean(("chain", "draw")).to_numpy(), table["p_components"]
    )
    per_chain = result.per_chain
    assert per_chain.shape == (20, 4)
    np.testing.assert_allclose(per_chain.mean(axis=1), table["p_components"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k_max": 0}, "k_max must be an integer >= 1"),
        ({"draws": 0}, "draws must be"),
        ({"thin": 1.5}, "thin must be"),
        ({"chains": True}, "chains must be"),
        ({"max_doublings": -1}, "max_doublings must be"),
        ({"priors": "mclust"}, "priors must be one of"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        posterior_over_k(TINY, **{"progress": False, **kwargs})


def test_missing_values_are_refused():
    X = TINY.copy()
    X[2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        posterior_over_k(X, progress=False)
