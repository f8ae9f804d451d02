"""PSIS-LOO comparison of Bayesian mixtures (``bayesgmm.selection.loo_comparison``)."""

from __future__ import annotations

import io
import re
import warnings

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesgmm import BayesianGaussianMixture, load_faithful
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.selection.loo_comparison import candidate_name, compare_loo
from bayesgmm.selection.model_selection import select_model

matplotlib.use("Agg")


def three_clusters_1d(n: int = 300, seed: int = 0) -> np.ndarray:
    """1-D sample of three separated unit-scale components (means -4, 0, 4)."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[0.4, 0.35, 0.25])
    return (np.array([-4.0, 0.0, 4.0])[labels] + 0.8 * rng.standard_normal(n))[:, None]


@pytest.fixture(scope="module")
def comparison():
    X = three_clusters_1d()
    stream = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short runs: ESS warnings
        result = compare_loo(
            X, [1, 2, 3], draws=1000, tune=500, chains=2, random_state=1, progress=stream
        )
    return result, X, stream.getvalue()


def test_loo_prefers_the_true_number_of_components(comparison):
    result, _, _ = comparison
    assert result.best == "K=3 full"
    assert list(result.table.index) == ["K=3 full", "K=2 full", "K=1 full"]
    for name in ("K=2 full", "K=1 full"):
        diff, se = result.difference(name)
        assert diff > 2 * se, (name, diff, se)
        assert result.table.loc[name, "z_diff"] > 2


def test_table_agrees_with_arviz_and_pointwise_values(comparison):
    import arviz as az

    result, _, _ = comparison
    table = result.table
    assert_allclose(table["weight"].sum(), 1.0, atol=1e-6)
    assert table["elpd_diff"].iloc[0] == 0
    assert np.all(table["elpd_diff"].iloc[1:] < 0)
    for name, model in result.models.items():
        direct = az.loo(model.idata_)
        assert_allclose(table.loc[name, "elpd"], direct.elpd, rtol=1e-10)
        assert_allclose(result.loo[name].elpd_i.sum(), direct.elpd, rtol=1e-10)
        assert table.loc[name, "n_components"] == model.n_components
        diff, se = result.difference(name)
        assert_allclose(-diff, table.loc[name, "elpd_diff"], rtol=1e-8, atol=1e-8)
        assert_allclose(se, table.loc[name, "dse"], rtol=1e-6, atol=1e-8)
    # LOO can only lose against the in-sample fit (optimism is positive)
    for name, model in result.models.items():
        in_sample = np.log(np.exp(model.idata_["log_likelihood"]["obs"]).mean(("chain", "draw")))
        assert float(in_sample.sum()) >= table.loc[name, "elpd"]


def test_progress_lines_and_no_refit_from_dict(comparison):
    result, X, printed = comparison
    assert printed.splitlines()[0].strip() == "[1/3] sampling K=1 full"
    again = compare_loo(X, result.models)
    assert again.table.equals(result.table)


def test_pareto_k_flags_and_warning(comparison):
    result, X, _ = comparison
    with pytest.warns(SamplingWarning, match=r"K=\d full: \d+ observation\(s\) with Pareto k"):
        flagged = compare_loo(X, result.models, pareto_k_threshold=1e-9, reloo=False)
    for name in result.models:
        k_hat = np.asarray(result.loo[name].pareto_k).ravel()
        assert flagged.high_pareto_k[name].tolist() == np.flatnonzero(k_hat > 1e-9).tolist()
        assert flagged.table.loc[name, "n_high_pareto_k"] == len(flagged.high_pareto_k[name])
    assert all(len(rows) == 0 for rows in result.high_pareto_k.values()) or any(
        np.asarray(result.loo[n].pareto_k).max() > 0.7 for n in result.loo
    )


def test_plot_and_html(comparison):
    import matplotlib.pyplot as plt

    result, _, _ = comparison
    ax = result.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(result.table.index[::-1])
    assert "best: K=3 full" in result._repr_html_()
    plt.close("all")


def test_model_fitted_on_other_data_is_rejected(comparison):
    result, X, _ = comparison
    with pytest.raises(ValueError, match="fitted on different data"):
        compare_loo(X[:100], result.models)


@pytest.mark.parametrize(
    ("candidates", "error", "message"),
    [
        ([3], ValueError, "at least two distinct candidates"),
        ([2, 2], ValueError, "at least two distinct candidates"),
        ([0, 2], ValueError, "candidates must be integers >= 1"),
        (["two", 3], ValueError, "candidates must be integers >= 1"),
        ([(2, "fulll"), 3], ValueError, "covariance_type"),
        ({"a": BayesianGaussianMixture(2)}, ValueError, "at least two models"),
        (
            {"a": BayesianGaussianMixture(2), "b": BayesianGaussianMixture(3)},
            TypeError,
            "must be a fitted BayesianGaussianMixture",
        ),
    ],
)
def test_bad_candidates_are_explained(candidates, error, message):
    with pytest.raises(error, match=message):
        compare_loo(load_faithful(), candidates)


def test_candidates_from_model_selection_start_from_its_em_fits():
    X = three_clusters_1d(200, seed=4)
    selection = select_model(X, range(1, 4), n_init=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        result = compare_loo(X, selection, n_candidates=2, draws=200, tune=200, chains=2)
    top = selection.candidates(2)
    assert list(result.models) == [
        candidate_name(k, cov) for k, cov in zip(top.n_components, top.covariance_type, strict=True)
    ]
    for model in result.models.values():
        k, cov = model.n_components, model.covariance_type
        em = selection.estimators[(k, cov)]
        # the grid's EM fit, not a refit: same parameters, same component order
        assert_allclose(model.em_.means_, em.means_, rtol=0, atol=0)
        order = np.argsort(model.means_[:, 0])
        assert order.tolist() == np.argsort(em.means_[:, 0]).tolist()


def test_degenerate_grid_candidates_are_skipped_with_the_reason():
    rng = np.random.default_rng(3)
    X = np.vstack(
        [rng.normal(0, 1, (15, 2)), rng.normal(7, 1, (15, 2)), rng.normal([0, 14], 0.5, (4, 2))]
    )
    with pytest.warns(UserWarning, match="degenerate component"):
        selection = select_model(X, [1, 2, 3], ["full"], n_init=3)
    stream = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        result = compare_loo(X, selection, draws=100, tune=100, chains=2, progress=stream)
    assert list(result.models) == ["K=2 full", "K=1 full"]
    # which label the small component gets depends on which of the restarts that
    # reach the same optimum rounds best
    assert re.match(r"degenerate EM fit: Component \d holds 4", result.skipped["K=3 full"])
    assert "skipped K=3 full: degenerate EM fit" in stream.getvalue()


def test_failed_fits_are_marked_and_their_warnings_name_the_model():
    from bayesgmm import EvidenceTable

    X = three_clusters_1d(150, seed=2)
    with pytest.warns(SamplingWarning, match=r"^(K=[23] full: |PSIS-LOO of K=[23] full)") as record:
        result = compare_loo(X, [2, 3], draws=30, tune=10, chains=2, random_state=0)
    sampling = [str(w.message) for w in record if issubclass(w.category, SamplingWarning)]
    assert all(m.startswith(("K=2 full: ", "K=3 full: ", "PSIS-LOO of K=")) for m in sampling)
    assert not result.table["diagnostics_ok"].any()
    assert "ESS" in result.table.loc["K=3 full", "diagnostics"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # degenerate K=4: not the point here
        selection = select_model(X, range(1, 5), ["full"], n_init=2)
    evidence = EvidenceTable.from_results(selection, loo=result)
    assert "the lowest BIC, because no Bayesian fit both passed" in evidence.reasons[0]
    assert evidence.table["bayes_ok"].dropna().eq(False).all()


def test_evidence_table_from_real_loo_recommends_the_true_k(comparison):
    from bayesgmm import EvidenceTable

    result, X, _ = comparison
    selection = select_model(X, range(1, 5), n_init=3)
    evidence = EvidenceTable.from_results(selection, loo=result, n_candidates=2)
    assert evidence.recommendation["n_components"] == 3
    frame = evidence.table
    assert set(result.table.index) <= set(frame.index)
    assert frame.loc["K=1 full", "loo_se_behind"] > 2
    assert frame.loc["K=3 full", "loo_weight"] == result.table.loc["K=3 full", "weight"]


def test_collect_evidence_with_bayesian_steps(comparison):
    from bayesgmm import collect_evidence

    _, X, _ = comparison
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        evidence = collect_evidence(
            X,
            [2, 3],
            ["full"],
            n_candidates=2,
            n_init=2,
            n_boot=9,
            sparse=False,
            draws=1000,
            tune=500,
            chains=2,
            random_state=1,
            progress=False,
            extend=False,  # K = 2, 3 compared as given (range edges: tests/test_range_extension.py)
        )
    frame = evidence.table
    assert evidence.recommendation["name"] == "K=3 full"
    assert frame.loc["K=2 full", "loo_se_behind"] > 2
    assert frame.loc["K=2 full", "ppc_min_p"] < frame.loc["K=3 full", "ppc_min_p"]
