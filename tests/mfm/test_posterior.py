"""posterior_over_k: exact answers on tiny data, convergence, outputs and errors."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from mfm_exact import sample_and_compare

from bayesgmm import load_faithful, load_galaxies, posterior_over_k
from bayesgmm.exceptions import SamplingError, SamplingWarning
from bayesgmm.mfm import KPosterior, MFMPriors

TINY = np.array([[0.0], [0.4], [2.1], [2.5], [5.0]])


TINY_2D = np.array([[0.0, 1.0], [0.4, 0.2], [2.1, 2.9], [2.5, 2.2], [5.0, 0.5]])


@pytest.mark.parametrize(
    ("X", "priors", "covariance_type"),
    [
        (TINY, {"name": "richardson_green"}, "full"),
        # BNB(1, 4, 3) on K - 1, alpha / K with alpha ~ F(6, 3)
        (TINY, {"name": "telescope"}, "full"),
        (TINY, {"name": "telescope", "alpha": 1.5}, "full"),  # alpha fixed
        (TINY, {"name": "richardson_green", "k_prior": ("poisson", 2.0), "gamma": 0.5}, "full"),
        (TINY, {"name": "richardson_green", "g0": 0.0, "C0": 0.3}, "full"),  # C0 fixed
        (TINY_2D, {"name": "telescope"}, "diag"),
        (TINY_2D, {"name": "telescope", "g0": 0.0}, "VVI"),
        (TINY_2D, {"name": "telescope"}, "spherical"),
        (TINY_2D, {"name": "telescope", "k_prior": ("poisson", 2.0), "alpha": 1.0}, "VII"),
    ],
    ids=[
        "rg", "telescope", "alpha-fixed", "poisson-gamma", "C0-fixed", "diag", "diag-C0-fixed",
        "spherical", "spherical-poisson",
    ],
)  # fmt: skip
def test_matches_the_exact_posterior_by_enumerating_partitions(X, priors, covariance_type):
    # the split-merge moves and the jumps are on (the default): they must keep the
    # exact posterior
    result = sample_and_compare(X, priors, covariance_type)
    # the moves happen: both kinds are proposed and accepted
    for kind in ("splits", "merges"):
        accepted, proposed = result.settings[kind]
        assert proposed > 10_000
        assert accepted > 0.02 * proposed, (kind, accepted, proposed)


@pytest.mark.parametrize("neighbours", [1, 2])
def test_neighbour_pairs_keep_the_exact_posterior(monkeypatch, neighbours):
    # with 5 observations every other one is a neighbour by default, which makes the
    # neighbour pairs uniform: fewer candidates than that make them uneven, and the
    # moves must still keep the exact posterior (the choice does not depend on the state)
    import bayesgmm.mfm.k_posterior as module

    monkeypatch.setattr(module, "NEIGHBOURS", neighbours)
    sample_and_compare(TINY, {"name": "telescope"}, random_state=4, split_merge=5, jumps=0)


def test_the_three_structures_coincide_in_one_dimension():
    resolved = [
        MFMPriors.named(name).resolve(TINY, 8, structure)
        for name in ("richardson_green", "telescope")
        for structure in ("full", "diag", "spherical")
    ]
    for index, other in enumerate(resolved):
        first = resolved[index - index % 3]
        assert (first.c0, first.g0, first.G0.item(), first.B0.item()) == pytest.approx(
            (other.c0, other.g0, other.G0.item(), other.B0.item())
        )
        assert first.describe() == other.describe()
    tables = []
    for structure in ("full", "diag", "spherical"):
        result = posterior_over_k(
            TINY, 8, priors={"g0": 0.0, "C0": 0.3}, draws=1000, thin=10, random_state=4,
            progress=False, covariance_type=structure,
        )  # fmt: skip
        tables.append(result.table)
    for table in tables[1:]:
        bound = 4 * np.hypot(table["p_clusters_mcse"], tables[0]["p_clusters_mcse"]) + 0.005
        assert np.all(np.abs(table["p_clusters"] - tables[0]["p_clusters"]) <= bound)


@pytest.mark.parametrize("covariance_type", ["tied", "EEE", "VVV ", 3])
def test_other_structures_are_refused_naming_the_available_ones(covariance_type):
    with pytest.raises(ValueError, match=r"not available for the posterior over K.*'diag'"):
        posterior_over_k(TINY_2D, covariance_type=covariance_type, progress=False)


def test_structured_priors_must_have_the_structure():
    with pytest.raises(ValueError, match="G0 must be diagonal for covariance_type 'diag'"):
        posterior_over_k(TINY_2D, priors={"G0": [[1.0, 0.5], [0.5, 1.0]]}, covariance_type="diag",
                         progress=False)  # fmt: skip
    with pytest.raises(ValueError, match=r"C0 must be one number .* 'spherical'; got the diag"):
        posterior_over_k(TINY_2D, priors={"g0": 0.0, "C0": [1.0, 2.0]},
                         covariance_type="spherical", progress=False)  # fmt: skip


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
        ({"split_merge": -1}, "split_merge must be"),
        ({"priors": "mclust"}, "priors must be one of"),
        ({"start": 0}, "start must be None, an integer or a sequence"),
        ({"start": [1, 2.5]}, r"start must be .*got \[1, 2.5\]"),
        ({"start": 6}, r"integers in 1..5 \(k_max and n_samples bound it\); got 6"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        posterior_over_k(TINY, **{"progress": False, **kwargs})


def test_chains_start_over_dispersed_or_where_asked():
    X = load_galaxies("richardson_green") / 1000
    kwargs = {"draws": 5, "tune": 0, "thin": 1, "max_doublings": 0, "progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 5 draws: too few
        default = posterior_over_k(X, random_state=0, **kwargs)
        one = posterior_over_k(X, random_state=0, start=1, **kwargs)
        spread = posterior_over_k(X, random_state=0, chains=3, start=[2, 7], **kwargs)
        gibbs = posterior_over_k(X, random_state=0, chains=2, split_merge=0, **kwargs)
    assert default.settings["start"] == [1, 10, 1, 10]
    assert one.settings["start"] == [1, 1, 1, 1]
    assert spread.settings["start"] == [2, 7, 2]
    assert gibbs.settings["start"] == [10, 10]
    # after one sweep a chain from one component has at most two clusters (one split)
    assert np.all(one.n_clusters[:, 0] <= 2)
    assert np.all(default.n_clusters[1::2, 0] > 2)


def test_missing_values_are_refused():
    X = TINY.copy()
    X[2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        posterior_over_k(X, progress=False)


TIED = np.repeat([[0.0], [5.0], [10.0]], 30, axis=0)  # three values, 30 copies each


def test_tied_values_are_treated_as_rounded_by_default():
    # three groups of integer-valued measurements (many ties), 60 each
    rng = np.random.default_rng(0)
    X = np.round(np.concatenate([rng.normal(m, 2.0, 60) for m in (0.0, 20.0, 40.0)]))[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = posterior_over_k(X, random_state=0, progress=False)
    assert result.settings["rounding"].tolist() == [1.0]
    assert result.settings["improper"] is None
    assert result.ok, result.problems
    assert result.mode_clusters == 3
    assert "features rounded to 1" in str(result)
    # the same values taken as exact: improper, and said so
    with pytest.warns(SamplingWarning, match="the posterior is improper: X has 25 values"):
        exact = posterior_over_k(
            X, rounding=None, draws=20, tune=20, max_doublings=0, random_state=0, progress=False
        )
    assert any("improper" in problem for problem in exact.problems)


def test_exact_tied_values_make_the_posterior_improper_and_say_so():
    # three groups of 30 identical values: with C0 random, a component on one group
    # has a likelihood whose mass does not vanish as its precision grows; the
    # sampler's precisions run off to infinity, and the error says why
    X = np.r_[TIED, [[2.5], [7.5]]]
    with pytest.raises(SamplingError, match="the posterior is improper: X has 3 values"):
        posterior_over_k(X, rounding=None, random_state=0, progress=False)


def test_fixed_c0_keeps_exact_ties_proper():
    result = posterior_over_k(
        np.r_[TIED, [[2.5], [7.5]]], priors={"g0": 0.0}, rounding=None, random_state=0,
        progress=False,
    )  # fmt: skip
    assert result.settings["improper"] is None
    assert result.mode_clusters >= 3


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [("auto", [1.0, 0.0]), (None, [0.0, 0.0]), (0.25, [0.25, 0.25]), ([1.0, 0.0], [1.0, 0.0])],
)
def test_rounding_widths(rounding, expected):
    from bayesgmm.mfm import rounding_widths

    X = np.array([[1.0, 0.11], [2.0, 0.52], [2.0, 0.30], [4.0, 0.77]])
    assert rounding_widths(X, rounding).tolist() == expected


@pytest.mark.parametrize(
    ("rounding", "match"),
    [("exact", "rounding must be 'auto'"), (-1.0, ">= 0"), ([1.0, 2.0, 3.0], "broadcast|one")],
)
def test_bad_rounding_is_named(rounding, match):
    with pytest.raises(ValueError, match=match):
        posterior_over_k(TINY, rounding=rounding, progress=False)
