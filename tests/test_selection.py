"""Model selection grids: ``select_model``, ``ModelSelection``, ``criterion_grid``."""

from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesgmm import GaussianMixture, load_faithful, load_galaxies
from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning
from bayesgmm.selection.model_selection import CRITERIA, bic_matrix, criterion_grid, select_model
from bayesgmm.testing import make_gmm_data

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def faithful_selection():
    return select_model(load_faithful(), range(1, 5), n_init=3, random_state=0)


def test_table_matches_individual_fits(faithful_selection):
    X = load_faithful().to_numpy()
    table = faithful_selection.table
    assert len(table) == 4 * 4
    for cov, k in [("full", 2), ("tied", 3), ("diag", 4), ("spherical", 1)]:
        gm = GaussianMixture(
            k,
            covariance_type=cov,
            n_init=3,
            init_params="hierarchical",
            tol=1e-6,
            max_iter=500,
            random_state=0,
        )
        gm.fit(X)
        row = table[(table.n_components == k) & (table.covariance_type == cov)].iloc[0]
        assert_allclose(row.bic, gm.bic(X), rtol=1e-12)
        assert_allclose(row.aic, gm.aic(X), rtol=1e-12)
        assert_allclose(row.icl, gm.icl(X), rtol=1e-12)
        assert_allclose(row.log_likelihood, gm.score(X) * len(X), rtol=1e-12)
        assert row.n_parameters == gm._n_parameters()
        assert_allclose(faithful_selection.estimators[(k, cov)].means_, gm.means_, rtol=1e-12)


def test_table_is_ranked_and_best_is_consistent(faithful_selection):
    table = faithful_selection.table
    assert np.all(np.diff(table.bic) >= 0)
    assert table.delta.iloc[0] == 0
    assert np.all(table.delta >= 0)
    assert_allclose(table.delta, table.bic - table.bic.min())
    best = faithful_selection.best_estimator_
    assert (best.n_components, best.covariance_type) == (3, "tied")
    assert faithful_selection.best_params_ == {"n_components": 3, "covariance_type": "tied"}
    # scikit-learn sign: the BIC of the mclust documentation, negated
    assert abs(table.bic.iloc[0] - 2314.316) <= 0.1
    assert table.mclust_name.iloc[0] == "EEE"


@pytest.mark.parametrize("criterion", CRITERIA)
def test_ranking_criterion_orders_table(criterion):
    result = select_model(load_faithful(), [1, 2, 3], ["full", "tied"], criterion=criterion)
    values = result.table[criterion].to_numpy()
    assert np.all(np.diff(values) >= 0)
    assert result.criterion == criterion
    assert result.best_params_["n_components"] == int(result.table.n_components.iloc[0])


def test_icl_prefers_fewer_overlapping_components():
    # strongly overlapping 3-component data: ICL is never more generous than BIC
    X = make_gmm_data("full", 400, seed=3, separation=2.0)[0]
    by_bic = select_model(X, range(1, 6), ["full"], criterion="bic", n_init=3)
    by_icl = select_model(X, range(1, 6), ["full"], criterion="icl", n_init=3)
    assert np.all(by_bic.table.icl >= by_bic.table.bic)
    assert by_icl.best_params_["n_components"] <= by_bic.best_params_["n_components"]


def test_candidates_and_distinct_k(faithful_selection):
    top = faithful_selection.candidates(3)
    assert len(top) == 3
    assert top.bic.tolist() == faithful_selection.table.bic.head(3).tolist()
    distinct = faithful_selection.candidates(4, distinct_k=True)
    assert sorted(distinct.n_components) == [1, 2, 3, 4]
    assert distinct.n_components.iloc[0] == 3
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        faithful_selection.candidates(0)


def test_matrix_and_mclust_signs(faithful_selection):
    matrix = faithful_selection.matrix()
    assert matrix.shape == (4, 4)
    assert list(matrix.columns) == ["full", "tied", "diag", "spherical"]
    mclust = faithful_selection.to_mclust()
    assert_allclose(mclust[("BIC", "EEE")].to_numpy(), -matrix["tied"].to_numpy())
    assert_allclose(
        mclust[("ICL", "VVV")].to_numpy(), -faithful_selection.matrix("icl")["full"].to_numpy()
    )


def test_univariate_grid_fits_each_distinct_model_once():
    X = load_galaxies().to_numpy() / 1000
    result = select_model(X, [1, 2, 3], n_init=2)
    assert sorted(set(result.table.covariance_type)) == ["full", "tied"]
    assert len(result.table) == 6
    names = dict(zip(result.table.covariance_type, result.table.mclust_name, strict=True))
    assert names == {"full": "V", "tied": "E"}
    assert list(result.to_mclust().columns) == [  # mclust's order
        ("BIC", "E"),
        ("BIC", "V"),
        ("ICL", "E"),
        ("ICL", "V"),
    ]
    only_diag = select_model(X, [2], ["diag"], n_init=1)
    assert only_diag.table.covariance_type.tolist() == ["diag"]


def test_parallel_grid_equals_serial():
    X = make_gmm_data("diag", 300, seed=1)[0]
    serial = select_model(X, [1, 2, 3], ["diag", "tied"], n_init=2, random_state=4)
    parallel = select_model(X, [1, 2, 3], ["diag", "tied"], n_init=2, random_state=4, n_jobs=2)
    assert serial.table.equals(parallel.table)
    assert_allclose(serial.best_estimator_.means_, parallel.best_estimator_.means_, rtol=0, atol=0)


def test_progress_prints_one_line_per_model():
    stream = io.StringIO()
    select_model(load_faithful(), [1, 2], ["full", "tied"], n_init=1, progress=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0].lstrip().startswith("[1/4] K=1 full")
    silent = io.StringIO()
    select_model(load_faithful(), [1], ["full"], n_init=1, progress=False)
    assert silent.getvalue() == ""


def test_fit_warnings_are_collected_not_printed():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(20, 2)), np.zeros((6, 2))]  # a point mass forces repairs
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", ComponentCollapseWarning)
        result = select_model(X, [1, 4], ["full"], n_init=1, max_iter=3, random_state=0)
    messages = " ".join(result.table.warnings)
    assert "component" in messages or "max_iter" in messages
    assert result.table.converged.dtype == bool


def test_components_above_n_samples_are_skipped():
    X = np.arange(10, dtype=float).reshape(5, 2) + np.eye(5, 2)
    X = np.vstack([X + shift for shift in (0.0, 0.3, 0.6, 0.9)])
    with pytest.warns(UserWarning, match=r"n_components \[21\] exceed the number of samples"):
        result = select_model(X, [1, 2, 21], ["spherical"], n_init=1)
    assert sorted(result.table.n_components) == [1, 2]
    with pytest.raises(ValueError, match=r"exceeds the number of samples \(5\)"):
        select_model(X[:5], [6, 7], ["spherical"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"criterion": "loglik"}, r"criterion must be one of \['bic', 'icl', 'aic'\]"),
        ({"n_components": []}, "n_components must be a non-empty iterable"),
        ({"n_components": [0, 2]}, r"integers >= 1 .*got \[0\]"),
        ({"n_components": [True]}, "integers >= 1"),
        ({"covariance_types": ["fulll"]}, "covariance_type"),
        ({"covariance_types": []}, "at least one of"),
        ({"n_jobs": 0}, "n_jobs must be a nonzero integer"),
        ({"n_init": 0}, "n_init"),
    ],
)
def test_bad_arguments_are_explained(kwargs, message):
    args = {"n_components": [1, 2], "covariance_types": ["full"], **kwargs}
    with pytest.raises(ValueError, match=message):
        select_model(load_faithful(), **args)


def test_nan_rows_are_named():
    X = load_faithful().to_numpy().copy()
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match="5"):
        select_model(X, [1], ["full"])


def test_plot_draws_one_line_per_covariance_type(faithful_selection):
    import matplotlib.pyplot as plt

    ax = faithful_selection.plot()
    assert len(ax.get_lines()) == 4
    assert "BIC" in ax.get_ylabel()
    axes = faithful_selection.plot(["bic", "icl"])
    assert len(axes) == 2
    # each panel circles its own criterion's best model
    table = faithful_selection.table
    for panel, name in zip(axes, ["bic", "icl"], strict=True):
        circled = panel.collections[-1].get_offsets()[0]
        best = table.loc[table[name].idxmin()]
        assert tuple(circled) == (best.n_components, best[name])
    with pytest.raises(ValueError, match="one per criterion"):
        faithful_selection.plot(["bic", "icl"], ax=ax)
    plt.close("all")


def test_html_names_the_best_model(faithful_selection):
    html = faithful_selection._repr_html_()
    assert "best K = 3" in html
    assert "'tied'" in html
    assert "<table" in html


def test_criterion_grid_is_the_table_and_bic_matrix_rejects_unknown():
    table = criterion_grid(load_faithful(), [1, 2], ["full"], n_init=1)
    assert list(table.n_components) == [2, 1]
    with pytest.raises(ValueError, match="criterion must be one of"):
        bic_matrix(table, "bicc")
