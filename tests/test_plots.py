import copy
import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.contour import ContourSet
from matplotlib.patches import Ellipse

from bayesgmm import (
    GaussianMixture,
    NotFittedError,
    SamplingWarning,
    bootstrap_lrt,
    load_faithful,
    plots,
    posterior_predictive_check,
    select_model,
)
from bayesgmm.bayes.posterior import log_predictive_density, parameter_draws
from bayesgmm.covariance import get_covariance_model
from bayesgmm.testing import make_gmm_data


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def faithful():
    return load_faithful()


@pytest.fixture(scope="module")
def em_faithful(faithful):
    return GaussianMixture(2, random_state=0).fit(faithful)


@pytest.fixture(scope="module")
def data_3d():
    """Three features, three components (the third feature is an independent mixture)."""
    X, *_ = make_gmm_data("full", 300, seed=0)
    third = np.random.default_rng(1).normal(size=(300, 1)) * 2.0 + 5.0
    return np.hstack([X, third])


@pytest.fixture(scope="module")
def bayes_faithful(faithful):
    """The one Bayesian fit of this module: Old Faithful, K=2 full, 2 x 200 draws."""
    from bayesgmm import BayesianGaussianMixture

    bgm = BayesianGaussianMixture(
        2, draws=200, tune=200, chains=2, random_state=0, progressbar=False, max_doublings=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short run: ESS warnings
        bgm.fit(faithful)
    return bgm


def full_covariances(model):
    K, D = model.means_.shape
    return get_covariance_model(model.covariance_type).full_covariances(model.covariances_, K, D)


def scatter_of(ax):
    return next(c for c in ax.collections if isinstance(c, PathCollection))


def contours_of(ax):
    return next(c for c in ax.collections if isinstance(c, ContourSet))


# ---------------------------------------------------------------------- clusters
def test_clusters_alpha_is_max_membership_and_colour_the_cluster(em_faithful, faithful):
    ax = plots.plot_clusters(em_faithful, faithful)
    points = scatter_of(ax)
    proba = em_faithful.predict_proba(faithful)
    colors = points.get_facecolors()
    assert colors.shape == (len(faithful), 4)
    np.testing.assert_allclose(colors[:, 3], proba.max(axis=1))
    palette = np.array([matplotlib.colors.to_rgba(f"C{k}")[:3] for k in range(2)])
    np.testing.assert_allclose(colors[:, :3], palette[proba.argmax(axis=1)])
    np.testing.assert_array_equal(points.get_offsets(), faithful.to_numpy())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("eruptions", "waiting")
    assert len(ax.get_legend().get_texts()) == 2


def test_clusters_features_by_name_and_default_labels(data_3d):
    gm = GaussianMixture(3, random_state=0).fit(data_3d)
    ax = plots.plot_clusters(gm, data_3d, features=(2, 0))
    np.testing.assert_array_equal(scatter_of(ax).get_offsets(), data_3d[:, [2, 0]])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("feature 2", "feature 0")
    frame = pd.DataFrame(data_3d, columns=["a", "b", "c"])
    named = GaussianMixture(3, random_state=0).fit(frame)
    ax = plots.plot_clusters(named, frame, features=("c", "b"), legend=False)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("c", "b")
    assert ax.get_legend() is None


def test_clusters_draw_on_given_axes(em_faithful, faithful):
    _, ax = plt.subplots()
    assert plots.plot_clusters(em_faithful, faithful, ax=ax) is ax


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("features", "error", "match"),
    [
        ((0, 5), ValueError, r"feature index 5 is out of range: the model has 3 features"),
        ((-1, 0), ValueError, r"feature index -1 is out of range"),
        ((1, 1), ValueError, r"two different features; got \(1, 1\)"),
        ((0,), ValueError, r"pair of feature indices or names; got 1 \(\[0\]\)"),
        ((0, 1, 2), ValueError, r"got 3"),
        (("x", 0), ValueError, r"feature 'x' not found; the features are \['feature 0'"),
        ((0.5, 1), TypeError, r"a feature must be an index or a name; got 0.5"),
        (0, TypeError, r"features must be a pair of feature indices or names; got 0"),
    ],
)
@pytest.mark.parametrize("func", ["plot_clusters", "plot_ellipses", "plot_density"])
def test_bad_features_raise(data_3d, func, features, error, match):
    gm = GaussianMixture(3, random_state=0).fit(data_3d)
    args = (gm,) if func == "plot_ellipses" else (gm, data_3d)
    with pytest.raises(error, match=match):
        getattr(plots, func)(*args, features=features)


@pytest.mark.parametrize("func", ["plot_clusters", "plot_ellipses", "plot_density"])
def test_two_feature_plots_reject_one_dimensional_models(func):
    X = np.random.default_rng(0).normal(size=(50, 1))
    gm = GaussianMixture(1).fit(X)
    args = (gm,) if func == "plot_ellipses" else (gm, X)
    with pytest.raises(ValueError, match=f"{func} draws two features, but the model has 1. Use"):
        getattr(plots, func)(*args)


def test_unfitted_or_foreign_models_raise(faithful):
    with pytest.raises(NotFittedError, match="not fitted"):
        plots.plot_ellipses(GaussianMixture(2))
    with pytest.raises(TypeError, match=r"needs a fitted bayesgmm\.GaussianMixture .* got dict"):
        plots.plot_clusters({}, faithful)


def test_data_with_other_features_raise(em_faithful, data_3d):
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted with 2"):
        plots.plot_clusters(em_faithful, data_3d)


# ---------------------------------------------------------------------- ellipses
@pytest.mark.parametrize("n_std", [(1.0, 2.0), 1.5, (1, 2, 3)])
def test_ellipse_count_per_component_and_size(covariance_type, n_std):
    X, *_ = make_gmm_data(covariance_type, 300, seed=0)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    ax = plots.plot_ellipses(gm, n_std=n_std)
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 3 * len(np.atleast_1d(n_std))


def test_ellipse_geometry_matches_the_eigendecomposition(covariance_type):
    X, *_ = make_gmm_data(covariance_type, 300, seed=0)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    ax = plots.plot_ellipses(gm, n_std=(1.0, 2.5))
    covs = full_covariances(gm)
    for i, ellipse in enumerate(ax.patches):
        k, size = divmod(i, 2)
        n_std = (1.0, 2.5)[size]
        eigenvalues, eigenvectors = np.linalg.eigh(covs[k])
        np.testing.assert_allclose(ellipse.center, gm.means_[k])
        np.testing.assert_allclose(ellipse.width, 2 * n_std * math.sqrt(eigenvalues[1]))
        np.testing.assert_allclose(ellipse.height, 2 * n_std * math.sqrt(eigenvalues[0]))
        if not np.isclose(eigenvalues[0], eigenvalues[1]):  # spherical: any angle
            major = np.array(
                [math.cos(math.radians(ellipse.angle)), math.sin(math.radians(ellipse.angle))]
            )
            np.testing.assert_allclose(abs(major @ eigenvectors[:, 1]), 1.0)


def test_ellipses_of_a_feature_pair_use_the_marginal_covariance(data_3d):
    gm = GaussianMixture(3, random_state=0).fit(data_3d)
    ax = plots.plot_ellipses(gm, features=(2, 0), n_std=1)
    for k, ellipse in enumerate(ax.patches):
        sub = gm.covariances_[k][np.ix_([2, 0], [2, 0])]
        eigenvalues = np.linalg.eigvalsh(sub)
        np.testing.assert_allclose(ellipse.center, gm.means_[k, [2, 0]])
        np.testing.assert_allclose(ellipse.width, 2 * math.sqrt(eigenvalues[1]))
        np.testing.assert_allclose(ellipse.height, 2 * math.sqrt(eigenvalues[0]))
    assert ax.get_xlabel() == "feature 2"


@pytest.mark.parametrize("n_std", [0, -1, (), (1, np.nan)])
def test_ellipses_reject_bad_n_std(em_faithful, n_std):
    with pytest.raises(ValueError, match="n_std must be positive numbers"):
        plots.plot_ellipses(em_faithful, n_std=n_std)


# ---------------------------------------------------------------------- 2-D density
def test_log_density_matches_score_samples(em_faithful, faithful):
    points = faithful.to_numpy()[:20]
    draws = parameter_draws(em_faithful)
    np.testing.assert_allclose(
        log_predictive_density(points, draws.weights, draws.means, draws.full_covariances()),
        em_faithful.score_samples(faithful.iloc[:20]),
        rtol=1e-10,
    )


def test_marginal_density_of_a_pair_is_exact(data_3d):
    gm = GaussianMixture(3, random_state=0).fit(data_3d)
    draws = parameter_draws(gm)
    weights, means, covs = draws.weights, draws.means, draws.full_covariances()
    pair = [0, 2]
    points = data_3d[:15, pair]
    got = log_predictive_density(points, weights, means[..., pair], covs[..., pair, :][..., pair])
    expected = np.log(
        sum(
            gm.weights_[k]
            * stats.multivariate_normal(
                gm.means_[k, pair], gm.covariances_[k][np.ix_(pair, pair)]
            ).pdf(points)
            for k in range(3)
        )
    )
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_density_contour_levels_on_a_log_scale(em_faithful, faithful):
    ax = plots.plot_density(em_faithful, faithful, levels=6, decades=3.0, grid_size=40)
    levels = contours_of(ax).levels
    assert len(levels) == 6
    np.testing.assert_allclose(np.diff(levels), 3.0 * math.log(10.0) / 6)
    assert len(ax.figure.axes) == 2  # the colour bar
    np.testing.assert_array_equal(scatter_of(ax).get_offsets(), faithful.to_numpy())


def test_density_explicit_levels_filled_without_data(em_faithful):
    values = [-9.0, -7.0, -5.0]
    ax = plots.plot_density(em_faithful, levels=values, grid_size=30, filled=True, colorbar=False)
    np.testing.assert_allclose(contours_of(ax).levels, values)
    assert len(ax.figure.axes) == 1
    assert not any(isinstance(c, PathCollection) for c in ax.collections)


def test_density_of_more_than_two_features_is_the_marginal(data_3d):
    gm = GaussianMixture(3, random_state=0).fit(data_3d)
    ax = plots.plot_density(gm, data_3d, features=(0, 2), grid_size=30)
    assert ax.get_title() == "marginal density of feature 0, feature 2"
    assert len(contours_of(ax).levels) == 10


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"levels": 0}, "levels must be a positive integer or an array; got 0"),
        ({"levels": [np.inf]}, "levels must be finite log-density values"),
        ({"grid_size": 1}, "grid_size must be an integer >= 2; got 1"),
        ({"decades": -1.0}, "decades must be a positive number; got -1.0"),
        ({"n_draws": 0}, "n_draws must be an integer >= 1 or None"),
    ],
)
def test_density_rejects_bad_settings(em_faithful, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_density(em_faithful, **kwargs)


# ---------------------------------------------------------------------- 1-D density
def test_density_1d_em_lines_and_histogram():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-3, 1, 150), rng.normal(3, 1, 150)])
    gm = GaussianMixture(2, random_state=0).fit(X[:, None])
    ax = plots.plot_density_1d(gm, X, components=True, bins=20)
    assert len(ax.lines) == 3
    heights = np.array([p.get_height() for p in ax.patches])
    widths = np.array([p.get_width() for p in ax.patches])
    assert len(heights) == 20
    np.testing.assert_allclose(np.sum(heights * widths), 1.0)
    grid, density = ax.lines[0].get_data()
    np.testing.assert_allclose(density, np.exp(gm.score_samples(grid[:, None])), rtol=1e-10)
    parts = sum(line.get_ydata() for line in ax.lines[1:])
    np.testing.assert_allclose(parts, density, rtol=1e-10)
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)


def test_density_1d_takes_a_named_series():
    X = pd.Series(np.random.default_rng(0).normal(size=100), name="velocity")
    gm = GaussianMixture(1).fit(X.to_frame())
    ax = plots.plot_density_1d(gm, X)
    assert ax.get_xlabel() == "velocity"
    assert len(ax.lines) == 1


def test_density_1d_marginal_of_a_named_feature(em_faithful, faithful):
    ax = plots.plot_density_1d(em_faithful, faithful, feature="waiting")
    grid, density = ax.lines[0].get_data()
    expected = sum(
        em_faithful.weights_[k]
        * stats.norm(em_faithful.means_[k, 1], math.sqrt(em_faithful.covariances_[k, 1, 1])).pdf(
            grid
        )
        for k in range(2)
    )
    np.testing.assert_allclose(density, expected, rtol=1e-10)
    assert ax.get_xlabel() == "waiting"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"feature": 2}, "feature index 2 is out of range: the model has 2 features"),
        ({"ci_prob": 1.0}, r"ci_prob must be in \(0, 1\); got 1.0"),
        ({"grid_size": 0}, "grid_size must be an integer >= 2; got 0"),
    ],
)
def test_density_1d_rejects_bad_settings(em_faithful, faithful, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_density_1d(em_faithful, faithful, **kwargs)


def test_density_1d_rejects_a_vector_for_a_multivariate_model(em_faithful, faithful):
    with pytest.raises(ValueError, match="X must be 2-D"):
        plots.plot_density_1d(em_faithful, faithful["waiting"].to_numpy())


# ---------------------------------------------------------------------- co-clustering
def block_matrix():
    """Two clusters of 4 interleaved, one uncertain member (row 6) in the second."""
    labels = np.array([0, 1, 0, 1, 0, 1, 1, 0])
    matrix = (labels[:, None] == labels[None, :]).astype(float)
    matrix[6, labels == 1] = matrix[labels == 1, 6] = 0.6
    matrix[6, 6] = 1.0
    return matrix, labels


def test_coclustering_heatmap_orders_by_label_then_certainty():
    matrix, labels = block_matrix()
    ax = plots.plot_coclustering(matrix, labels=labels)
    image = ax.images[0].get_array()
    assert image.shape == (8, 8)
    np.testing.assert_array_equal(image[:4, :4], 1.0)
    np.testing.assert_array_equal(image[:4, 4:], 0.0)
    assert image[7, 4] == 0.6  # the uncertain member comes last in its cluster
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert len(ax.figure.axes) == 2
    assert len(ax.lines) == 2  # one boundary line each way


def test_coclustering_heatmap_without_labels_groups_blocks():
    matrix, _ = block_matrix()
    image = plots.plot_coclustering(matrix, colorbar=False).images[0].get_array()
    first = np.asarray(image[0] > 0.5)
    assert first.sum() == 4
    assert np.array_equal(np.flatnonzero(first), np.arange(4)) or np.array_equal(
        np.flatnonzero(first), np.arange(4, 8)
    )


def test_coclustering_heatmap_explicit_order():
    matrix, _ = block_matrix()
    order = np.array([7, 6, 5, 4, 3, 2, 1, 0])
    image = plots.plot_coclustering(matrix, order=order).images[0].get_array()
    np.testing.assert_array_equal(image, matrix[np.ix_(order, order)])


@pytest.mark.parametrize(
    ("matrix", "kwargs", "match"),
    [
        (np.ones((3, 2)), {}, r"matrix must be square of shape \(n, n\); got shape \(3, 2\)"),
        (np.full((2, 2), np.nan), {}, "matrix contains NaN or infinite values"),
        (np.eye(3), {"labels": [0, 1]}, r"labels must have one entry per row \(3\); got shape"),
        (np.eye(3), {"order": [0, 0, 1]}, r"order must be a permutation of range\(3\)"),
        (np.eye(3), {"order": [0, 1, 2], "labels": [0, 0, 1]}, "Pass labels or order, not"),
    ],
)
def test_coclustering_heatmap_rejects_bad_input(matrix, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_coclustering(matrix, **kwargs)


# ---------------------------------------------------------------------- wrappers
def test_plot_criteria_draws_one_panel_per_criterion(faithful):
    selection = select_model(faithful, [1, 2], ["full"], n_init=1)
    axes = plots.plot_criteria(selection)
    assert [a.get_ylabel() for a in axes] == ["BIC (lower is better)", "ICL (lower is better)"]
    ax = plots.plot_criteria(selection, "icl")
    assert ax.get_ylabel() == "ICL (lower is better)"


def test_plot_loo_delegates():
    from bayesgmm.selection.loo_comparison import LOOComparison

    table = pd.DataFrame(
        {"elpd": [-10.0, -14.0], "se": [1.0, 1.5], "elpd_diff": [0.0, -4.0], "dse": [0.0, 1.2]},
        index=["K=2 full", "K=1 full"],
    )
    comparison = LOOComparison(table=table, loo={}, models={}, high_pareto_k={})
    _, ax = plt.subplots()
    assert plots.plot_loo(comparison, ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["K=1 full", "K=2 full"]


def test_plot_bootstrap_lrt_and_ppc_delegate(faithful):
    result = bootstrap_lrt(faithful, 1, covariance_type="tied", n_boot=4, n_init=1)
    assert plots.plot_bootstrap_lrt(result).get_xlabel() == "LRTS"
    X = np.random.default_rng(0).normal(size=(80, 1))
    check = posterior_predictive_check(GaussianMixture(1).fit(X), X, n_replicates=10)
    assert len(plots.plot_ppc(check, ["modes", "q50", "max_gap"], ncols=2).axes) == 3


def test_plot_ppc_density_plug_in(em_faithful, faithful):
    fig = plots.plot_ppc_density(em_faithful, faithful, n_replicates=3)
    assert [a.get_xlabel() for a in fig.axes] == ["eruptions", "waiting"]


def test_trace_and_ppc_dist_need_posterior_draws(em_faithful):
    with pytest.raises(TypeError, match="EM has no draws"):
        plots.plot_trace(em_faithful)
    with pytest.raises(TypeError, match="use plot_ppc_density"):
        plots.plot_ppc_dist(em_faithful)


# ---------------------------------------------------------------------- Bayesian paths
def test_bayes_ellipses_from_posterior_draws(bayes_faithful):
    ax = plots.plot_ellipses(bayes_faithful, n_draws=30, n_std=(1, 2))
    assert len(ax.patches) == 30 * 2 * 2
    means = bayes_faithful.idata_["posterior"]["means"].values.reshape(-1, 2, 2)
    for k in range(2):
        centres = np.array([p.center for p in ax.patches[k * 60 : (k + 1) * 60 : 2]])
        assert len(np.unique(centres, axis=0)) == 30
        assert all(np.any(np.all(np.isclose(means[:, k], c), axis=1)) for c in centres)
    assert all(p.get_alpha() < 1 for p in ax.patches)
    assert "30 posterior draws" in ax.get_title()


def test_bayes_ellipses_use_every_draw_when_there_are_fewer(bayes_faithful):
    ax = plots.plot_ellipses(bayes_faithful, n_draws=10_000, n_std=1)
    assert len(ax.patches) == 400 * 2


def test_bayes_clusters_alpha_is_posterior_mean_membership(bayes_faithful, faithful):
    ax = plots.plot_clusters(bayes_faithful, faithful)
    proba = bayes_faithful.predict_proba(faithful)
    np.testing.assert_allclose(scatter_of(ax).get_facecolors()[:, 3], proba.max(axis=1))
    assert "posterior mean membership" in ax.get_legend().get_title().get_text()


def test_bayes_density_is_the_posterior_predictive(bayes_faithful, faithful):
    draws = parameter_draws(bayes_faithful)
    assert draws.size == 400
    weights, means, covs = draws.weights, draws.means, draws.full_covariances()
    np.testing.assert_allclose(
        log_predictive_density(faithful.to_numpy()[:10], weights, means, covs),
        bayes_faithful.score_samples(faithful.iloc[:10]),
        rtol=1e-9,
    )
    ax = plots.plot_density(bayes_faithful, faithful, n_draws=50, grid_size=30)
    assert len(contours_of(ax).levels) == 10


def test_bayes_density_1d_band(bayes_faithful, faithful):
    ax = plots.plot_density_1d(
        bayes_faithful, faithful, feature="eruptions", n_draws=100, ci_prob=0.9, components=True
    )
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    grid, mean = ax.lines[0].get_data()
    # fill_between's polygon: start, lower edge, end, upper edge reversed, start again
    vertices = bands[0].get_paths()[0].vertices
    n = len(grid)
    lower, upper = vertices[1 : n + 1, 1], vertices[n + 2 : 2 * n + 2, 1][::-1]
    # the plot's 100 draws: picked at random without replacement (random_state=0), sorted
    draws = parameter_draws(bayes_faithful)
    picks = np.sort(np.random.default_rng(0).choice(draws.size, size=100, replace=False))
    draws = draws.take(picks)
    weights, means, covs = draws.weights, draws.means, draws.full_covariances()
    per_draw = np.array(
        [
            sum(
                weights[s, k] * stats.norm(means[s, k, 0], math.sqrt(covs[s, k, 0, 0])).pdf(grid)
                for k in range(2)
            )
            for s in range(100)
        ]
    )
    np.testing.assert_allclose(mean, per_draw.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(lower, np.quantile(per_draw, 0.05, axis=0), rtol=1e-9)
    np.testing.assert_allclose(upper, np.quantile(per_draw, 0.95, axis=0), rtol=1e-9)
    assert len(ax.lines) == 3
    assert "90% credible band (100 draws)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_bayes_coclustering_heatmap(bayes_faithful, faithful):
    clustering = pytest.importorskip("bayesgmm.uses.clustering")
    X = faithful.iloc[:40]
    matrix = clustering.coclustering_matrix(bayes_faithful, X)
    labels = bayes_faithful.predict(X)
    ax = plots.plot_coclustering(matrix, labels=labels)
    image = np.asarray(ax.images[0].get_array())
    assert image.shape == (40, 40)
    n_first = int(np.sum(labels == labels.min()))
    assert image[:n_first, :n_first].min() > 0.5 > image[:n_first, n_first:].max()


@pytest.mark.parametrize("kind", ["trace", "rank"])
def test_trace_plots_one_row_per_feature(bayes_faithful, kind):
    pc = plots.plot_trace(bayes_faithful, kind=kind)
    fig = pc.viz["figure"].item()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 6  # (weights, means[eruptions], means[waiting]) x 2 columns
    assert set(pc.data.data_vars) == {"weights", "means[eruptions]", "means[waiting]"}


def test_trace_plot_covariances_without_duplicates(bayes_faithful):
    pc = plots.plot_trace(bayes_faithful, "covariances")
    assert set(pc.data.data_vars) == {
        "covariances[eruptions, eruptions]",
        "covariances[eruptions, waiting]",
        "covariances[waiting, waiting]",
    }


def test_trace_plot_rejects_bad_arguments(bayes_faithful):
    with pytest.raises(ValueError, match=r"kind must be one of \['trace', 'rank'\]; got 'pair'"):
        plots.plot_trace(bayes_faithful, kind="pair")
    with pytest.raises(ValueError, match=r"var_names \['mu'\] are not in the posterior"):
        plots.plot_trace(bayes_faithful, "mu")


def test_ppc_dist_adds_replicates_through_arviz(bayes_faithful):
    model = copy.deepcopy(bayes_faithful)
    assert "posterior_predictive" not in model.idata_.children
    pc = plots.plot_ppc_dist(model, num_samples=20)
    assert "posterior_predictive" in model.idata_.children
    assert len(pc.viz["figure"].item().axes) == 2
    assert "posterior_predictive" not in bayes_faithful.idata_.children
