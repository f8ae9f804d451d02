import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from bayesgmm import BayesianGaussianMixture, GaussianMixture, NotFittedError, SamplingWarning
from bayesgmm.bayes.ppc import (
    PPCResult,
    count_modes,
    default_statistics,
    plot_density,
    posterior_predictive_check,
    silverman_bandwidth,
)
from bayesgmm.testing import make_gmm_data

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ONE_D_STATISTICS = ["modes", "q05", "q25", "q50", "q75", "q95", "skewness", "kurtosis", "max_gap"]


def fit_quietly(estimator, X):
    """Fit, ignoring the diagnostics warning of short runs and two K=1 notes: pytensor
    runs one op of the model in Numba's object mode (first compile only), and r_hat of
    the constant weights[0] = 1 divides 0 by 0 in arviz-stats."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        warnings.filterwarnings("ignore", "Numba will use object mode", UserWarning)
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        return estimator.fit(X)


@pytest.fixture(scope="module")
def three_groups():
    """1-D data from three well-separated components (means -4, 0, 4, sd 0.7)."""
    rng = np.random.default_rng(2024)
    return np.concatenate([rng.normal(m, 0.7, (100, 1)) for m in (-4.0, 0.0, 4.0)])


def bayesian_fit(n_components, X):
    bgm = BayesianGaussianMixture(
        n_components,
        draws=300,
        tune=300,
        chains=2,
        random_state=0,
        progressbar=False,
        max_doublings=0,  # exactly 2 x 300 draws
    )
    return fit_quietly(bgm, X)


@pytest.fixture(scope="module")
def bayes_k1(three_groups):
    return bayesian_fit(1, three_groups)


@pytest.fixture(scope="module")
def bayes_k3(three_groups):
    return bayesian_fit(3, three_groups)


@pytest.fixture(scope="module")
def check_k1(bayes_k1, three_groups):
    return posterior_predictive_check(bayes_k1, three_groups, random_state=0)


@pytest.fixture(scope="module")
def check_k3(bayes_k3, three_groups):
    return posterior_predictive_check(bayes_k3, three_groups, random_state=0)


@pytest.fixture(scope="module")
def plugin_checks(three_groups):
    """Plug-in checks of EM fits with K = 1, 2, 3 on the three groups."""
    return {
        k: posterior_predictive_check(
            GaussianMixture(k, random_state=0).fit(three_groups), three_groups, random_state=0
        )
        for k in (1, 2, 3)
    }


# ---------------------------------------------------------------- missing components
def test_bayesian_k1_misses_modes_and_k3_passes(check_k1, check_k3):
    assert check_k1.kind == check_k3.kind == "posterior"
    assert list(check_k1.table.index) == ONE_D_STATISTICS
    t1, t3 = check_k1.table, check_k3.table

    assert t1.loc["modes", "observed"] == 3
    assert t1.loc["modes", "rep_mean"] < 1.2
    assert t1.loc["modes", "p_two_sided"] < 0.05
    assert t1.loc["kurtosis", "flag"]
    assert t1.loc[["q05", "q25", "q75", "q95"], "flag"].sum() >= 2
    assert check_k1.n_flagged >= 4

    assert t3.loc["modes", "p_two_sided"] > 0.5
    assert check_k3.n_flagged <= 1
    assert check_k3.min_p_value > 0.01


def test_bayesian_replicates_use_distinct_posterior_draws(check_k1, bayes_k1):
    n_draws = 2 * 300
    assert len(check_k1.draw_indices) == 200
    assert len(np.unique(check_k1.draw_indices)) == 200
    assert check_k1.draw_indices.max() < n_draws
    # more replicates than draws: drawn with replacement
    X = bayes_k1.idata_["observed_data"]["obs"].values
    many = posterior_predictive_check(
        bayes_k1, X, statistics={"mean": lambda X: X.mean()}, n_replicates=700
    )
    assert len(many.draw_indices) == 700
    assert len(np.unique(many.draw_indices)) <= n_draws


def test_plugin_mode_p_value_increases_with_k(plugin_checks):
    modes = pd.DataFrame({k: r.table.loc["modes"] for k, r in plugin_checks.items()}).T
    assert modes["rep_mean"].is_monotonic_increasing
    assert modes["rep_mean"].iloc[0] < modes["rep_mean"].iloc[1] < modes["rep_mean"].iloc[2]
    assert modes["p_two_sided"].is_monotonic_increasing
    assert modes.loc[1, "p_two_sided"] < 0.05
    assert modes.loc[2, "p_two_sided"] < 0.05
    assert modes.loc[3, "p_two_sided"] > 0.5
    assert plugin_checks[1].n_flagged >= 4
    assert plugin_checks[3].n_flagged <= 1
    assert all(r.kind == "plug-in" for r in plugin_checks.values())
    assert not plugin_checks[1].draw_indices.any()


def test_plugin_2d_three_clusters():
    X = make_gmm_data("full", 300, seed=0)[0]
    one = posterior_predictive_check(GaussianMixture(1).fit(X), X)
    three = posterior_predictive_check(GaussianMixture(3, random_state=0).fit(X), X)
    names = ["modes[0]", "q05[0]", "q50[0]", "q95[0]", "skewness[0]"]
    assert list(one.table.index[:5]) == names
    assert list(one.table.index[-3:]) == ["modes[PC1]", "max_gap[PC1]", "nn_distance"]
    assert one.table.loc["nn_distance", "flag"]
    assert one.table.loc["modes[0]", "flag"]
    assert one.n_flagged >= 3
    assert three.n_flagged <= 1


def test_feature_names_label_statistics():
    X = make_gmm_data("diag", 200, seed=1)[0]
    frame = pd.DataFrame(X, columns=["height", "width"])
    gm = GaussianMixture(3, covariance_type="diag", random_state=0).fit(frame)
    result = posterior_predictive_check(gm, frame, n_replicates=20)
    assert "modes[height]" in result.table.index
    assert "q95[width]" in result.table.index
    # names come from the model when X is a plain array
    assert "modes[height]" in posterior_predictive_check(gm, X, n_replicates=5).table.index


# ---------------------------------------------------------------- simulation and p-values
def test_replicates_match_the_mixture_moments(covariance_type):
    X = make_gmm_data(covariance_type, 300, seed=3)[0]
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    means, weights = gm.means_, gm.weights_
    full = gm.covariances_
    if covariance_type == "tied":
        full = np.broadcast_to(full, (3, 2, 2))
    elif covariance_type == "diag":
        full = full[:, :, None] * np.eye(2)
    elif covariance_type == "spherical":
        full = full[:, None, None] * np.eye(2)
    center = weights @ means
    second = np.einsum("k,kij->ij", weights, full + np.einsum("ki,kj->kij", means, means))
    covariance = second - np.outer(center, center)
    statistics = {
        "mean0": lambda X: X[:, 0].mean(),
        "mean1": lambda X: X[:, 1].mean(),
        "var0": lambda X: X[:, 0].var(),
        "cov01": lambda X: np.cov(X, rowvar=False)[0, 1],
    }
    result = posterior_predictive_check(gm, X, statistics=statistics, n_replicates=400)
    table = result.table
    expected = {
        "mean0": center[0],
        "mean1": center[1],
        "var0": covariance[0, 0],
        "cov01": covariance[0, 1],
    }
    for name, value in expected.items():
        standard_error = table.loc[name, "rep_sd"] / np.sqrt(400)
        assert abs(table.loc[name, "rep_mean"] - value) < 4 * standard_error + 1e-3 * abs(value)


def test_p_values_follow_from_replicated_values(check_k3):
    table, replicated = check_k3.table, check_k3.replicated
    assert replicated.shape == (200, len(ONE_D_STATISTICS))
    for name in table.index:
        values = replicated[name].to_numpy()
        observed = check_k3.observed[name]
        p = np.mean(values > observed) + 0.5 * np.mean(values == observed)
        assert table.loc[name, "p_value"] == pytest.approx(p)
        assert table.loc[name, "p_two_sided"] == pytest.approx(2 * min(p, 1 - p))
        assert table.loc[name, "flag"] == (2 * min(p, 1 - p) < 0.05)
        assert table.loc[name, "rep_mean"] == pytest.approx(values.mean())
        assert table.loc[name, "rep_sd"] == pytest.approx(values.std(ddof=1))
        assert table.loc[name, "rep_q05"] == pytest.approx(np.percentile(values, 5))
        assert table.loc[name, "rep_q95"] == pytest.approx(np.percentile(values, 95))
    assert check_k3.min_p_value == table["p_two_sided"].min()
    assert check_k3.n_flagged == int(table["flag"].sum())


def test_ties_count_half():
    X = np.arange(10.0)[:, None]
    gm = GaussianMixture(1).fit(X)
    result = posterior_predictive_check(
        gm, X, statistics={"constant": lambda X: 1.0}, n_replicates=3
    )
    assert result.table.loc["constant", "p_value"] == 0.5
    assert result.table.loc["constant", "p_two_sided"] == 1.0
    assert result.n_flagged == 0


def test_same_seed_same_table(bayes_k3, three_groups, check_k3):
    again = posterior_predictive_check(bayes_k3, three_groups, random_state=0)
    pd.testing.assert_frame_equal(again.table, check_k3.table)
    pd.testing.assert_frame_equal(again.replicated, check_k3.replicated)
    other = posterior_predictive_check(bayes_k3, three_groups, n_replicates=20, random_state=1)
    assert not np.array_equal(other.draw_indices, check_k3.draw_indices[:20])


def test_custom_statistics_alone_and_with_defaults(three_groups):
    gm = GaussianMixture(3, random_state=0).fit(three_groups)
    custom = {"max": lambda X: X.max(), "range": lambda X: np.ptp(X)}
    only = posterior_predictive_check(gm, three_groups, statistics=custom, n_replicates=30)
    assert list(only.table.index) == ["max", "range"]
    assert only.table.loc["max", "observed"] == three_groups.max()
    both = posterior_predictive_check(
        gm,
        three_groups,
        statistics={**default_statistics(three_groups), **custom},
        n_replicates=30,
    )
    assert list(both.table.index) == [*ONE_D_STATISTICS, "max", "range"]


# ---------------------------------------------------------------- statistics
def test_count_modes_with_fixed_bandwidth():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(m, 0.5, 200) for m in (-6, 0, 6)])
    assert count_modes(x, 0.5) == 3
    assert count_modes(x, 20.0) == 1
    assert count_modes(np.array([0.0, 0.0, 0.0]), 1.0) == 1
    # a lone far point is a mode only when prominence is not required
    y = np.append(rng.normal(size=300), 12.0)
    assert count_modes(y, 0.3) == 1
    assert count_modes(y, 0.3, min_prominence=0.0) == 2


def test_default_statistics_keep_the_observed_bandwidth():
    rng = np.random.default_rng(6)
    X = np.concatenate([rng.normal(-3, 1, (100, 1)), rng.normal(3, 1, (100, 1))])
    modes = default_statistics(X)["modes"]
    wide = X * 10  # same shape; with a bandwidth refitted it would still show 2 modes
    assert modes(X) == 2
    assert modes(wide) > 2
    assert silverman_bandwidth(X[:, 0], 0.5) == pytest.approx(0.5 * silverman_bandwidth(X))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_replicates": 0}, ValueError, r"n_replicates must be an integer >= 1; got 0\."),
        ({"n_replicates": 2.5}, ValueError, r"n_replicates must be an integer >= 1; got 2\.5\."),
        ({"n_replicates": True}, ValueError, r"n_replicates must be an integer >= 1; got True\."),
        ({"alpha": 1.5}, ValueError, r"alpha must be a number in \(0, 1\); got 1\.5\."),
        ({"statistics": [len]}, TypeError, r"statistics must be a dict .* got list\."),
        ({"statistics": {}}, ValueError, r"statistics is empty"),
        ({"statistics": {"s": 3}}, TypeError, r"statistics\['s'\] must be a callable .* got 3\."),
        ({"statistics": {1: len}}, TypeError, r"statistics keys must be str; got 1\."),
        (
            {"statistics": {"nan": lambda X: np.nan}},
            ValueError,
            r"statistic 'nan' returned nan on the observed data",
        ),
        (
            {"statistics": {"text": lambda X: "abc"}},
            TypeError,
            r"statistic 'text' must return a number; on the observed data it returned 'abc'\.",
        ),
    ],
)
def test_bad_arguments(kwargs, error, match, three_groups):
    gm = GaussianMixture(1).fit(three_groups)
    with pytest.raises(error, match=match):
        posterior_predictive_check(gm, three_groups, **kwargs)


def test_bad_model_or_data(three_groups):
    with pytest.raises(NotFittedError, match="GaussianMixture instance is not fitted yet"):
        posterior_predictive_check(GaussianMixture(2), three_groups)
    with pytest.raises(NotFittedError, match="BayesianGaussianMixture instance is not fitted"):
        posterior_predictive_check(BayesianGaussianMixture(2), three_groups)
    with pytest.raises(TypeError, match=r"model must be a fitted .* got str\."):
        posterior_predictive_check("model", three_groups)
    gm = GaussianMixture(1).fit(three_groups)
    with pytest.raises(ValueError, match="X has 2 features, but the model was fitted with 1"):
        posterior_predictive_check(gm, np.hstack([three_groups, three_groups]))
    with pytest.raises(ValueError, match=r"bandwidth must be a positive finite number; got 0"):
        count_modes(three_groups, 0)
    with pytest.raises(ValueError, match=r"min_prominence must be in \[0, 1\); got 1\.0"):
        count_modes(three_groups, 1.0, min_prominence=1.0)


def test_statistics_cannot_modify_the_data(three_groups):
    gm = GaussianMixture(1).fit(three_groups)
    before = three_groups.copy()
    with pytest.raises(ValueError, match="read-only"):
        posterior_predictive_check(gm, three_groups, statistics={"sort": lambda X: X.sort()})
    np.testing.assert_array_equal(three_groups, before)


def test_statistic_failing_on_a_replicate_is_named(three_groups):
    gm = GaussianMixture(1).fit(three_groups)
    observed_size = len(three_groups)
    calls = []

    def fragile(X):
        calls.append(1)
        return 1.0 if len(calls) == 1 and len(X) == observed_size else np.inf

    with pytest.raises(ValueError, match=r"statistic 'fragile' returned inf on the replicate 0"):
        posterior_predictive_check(gm, three_groups, statistics={"fragile": fragile})


# ---------------------------------------------------------------- display
def test_plot_has_one_panel_per_statistic(check_k1):
    fig = check_k1.plot()
    try:
        assert len(fig.axes) == len(ONE_D_STATISTICS)
        titles = [ax.get_title() for ax in fig.axes]
        assert titles[0] == f"modes: p = {check_k1.table.loc['modes', 'p_two_sided']:.3f}"
    finally:
        plt.close(fig)
    fig = check_k1.plot(["kurtosis", "modes"])
    try:
        assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["kurtosis", "modes"]
    finally:
        plt.close(fig)
    with pytest.raises(KeyError, match=r"Unknown statistics \['nope'\]"):
        check_k1.plot(["nope"])


def test_plot_density(bayes_k3, three_groups):
    fig = plot_density(bayes_k3, three_groups, n_replicates=10)
    try:
        assert len(fig.axes) == 1
        assert len(fig.axes[0].lines) == 10 + 2  # replicates, observed, legend entry
    finally:
        plt.close(fig)
    X = make_gmm_data("full", 150, seed=2)[0]
    fig, axes = plt.subplots(1, 2)
    try:
        assert plot_density(GaussianMixture(3, random_state=0).fit(X), X, ax=axes) is fig
        with pytest.raises(ValueError, match="ax must hold 2 Axes"):
            plot_density(GaussianMixture(1).fit(X), X, ax=axes[0])
    finally:
        plt.close(fig)


def test_reprs(check_k1):
    assert isinstance(check_k1, PPCResult)
    html = check_k1._repr_html_()
    assert "Posterior predictive check" in html
    assert "<table" in html
    assert "kurtosis" in html
    text = repr(check_k1)
    assert f"{check_k1.n_flagged} flagged" in text
    assert "'modes'" in text
