"""The evidence table: gathering model-choice results and the recommendation rule."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bayesgmm import EvidenceTable, collect_evidence, load_faithful, select_model, sequential_lrt
from bayesgmm.covariance import get_covariance_model
from bayesgmm.selection.bootstrap_lrt import bootstrap_lrt


@pytest.fixture(scope="module")
def faithful():
    X = load_faithful()
    return X, select_model(X, range(1, 6), ["tied", "full"], n_init=3)


def fake_loo(rows: dict[str, tuple[float, float, float]]):
    """LOO comparison stand-in: name -> (elpd, se, standard errors behind the best)."""
    table = pd.DataFrame(
        {
            "elpd": [v[0] for v in rows.values()],
            "se": [v[1] for v in rows.values()],
            "z_diff": [v[2] for v in rows.values()],
            "weight": np.full(len(rows), 1 / len(rows)),
            "n_high_pareto_k": np.zeros(len(rows), dtype=int),
        },
        index=list(rows),
    ).sort_values("elpd", ascending=False)
    return SimpleNamespace(table=table, pareto_k_threshold=0.7)


def fake_ppc(p_values: dict[str, float]):
    return SimpleNamespace(
        table=pd.DataFrame({"p_two_sided": list(p_values.values())}, index=list(p_values))
    )


def test_selection_alone_recommends_the_best_bic(faithful):
    _, selection = faithful
    evidence = EvidenceTable.from_results(selection)
    assert evidence.recommendation == {
        "name": "K=3 tied",
        "n_components": 3,
        "covariance_type": "tied",
        "source": "BIC",
        "at_least": False,
        "label": "K=3 tied",
    }
    frame = evidence.table
    assert list(frame.index[:3]) == ["K=3 tied", *frame.index[1:3]]
    assert frame.loc["K=3 tied", "delta_bic"] == 0
    assert (frame["delta_bic"] >= 0).all()
    assert evidence.reasons[0] == "Recommended K=3 tied: the lowest BIC."
    assert any(r.startswith("BIC: best K=3 tied") for r in evidence.reasons)


def test_loo_within_two_se_prefers_the_simpler_model(faithful):
    _, selection = faithful
    loo = fake_loo({"K=4 tied": (-100.0, 10.0, 0.0), "K=3 tied": (-101.0, 10.0, 1.2)})
    evidence = EvidenceTable.from_results(selection, loo=loo)
    assert evidence.recommendation["name"] == "K=3 tied"
    assert "simplest model within 2 se" in evidence.reasons[0]
    assert evidence.table.loc["K=4 tied", "elpd"] == -100.0
    assert np.isnan(evidence.table.loc[evidence.table.index[1], "elpd"]) or (
        evidence.table.index[1] in loo.table.index
    )


def test_decisive_loo_difference_wins(faithful):
    _, selection = faithful
    loo = fake_loo({"K=4 tied": (-90.0, 10.0, 0.0), "K=3 tied": (-101.0, 10.0, 3.5)})
    evidence = EvidenceTable.from_results(selection, loo=loo)
    assert evidence.recommendation["name"] == "K=4 tied"
    assert evidence.reasons[0] == "Recommended K=4 tied: the best PSIS-LOO ELPD."
    assert "Disagree: BIC" in " ".join(evidence.reasons)


def test_failed_predictive_check_sets_a_model_aside(faithful):
    _, selection = faithful
    loo = fake_loo({"K=4 tied": (-90.0, 10.0, 0.0), "K=3 tied": (-101.0, 10.0, 3.5)})
    ppc = {"K=4 tied": fake_ppc({"modes": 0.001, "q50": 0.6}), "K=3 tied": fake_ppc({"q50": 0.4})}
    evidence = EvidenceTable.from_results(selection, loo=loo, ppc=ppc)
    assert evidence.recommendation["name"] == "K=3 tied"
    assert evidence.table.loc["K=4 tied", "ppc_failed"] == "modes"
    assert evidence.table.loc["K=3 tied", "ppc_min_p"] == 0.4
    assert any("Posterior predictive check fails for K=4 tied" in r for r in evidence.reasons)
    # when every checked model fails, the rule says so instead of discarding all
    both = {"K=4 tied": fake_ppc({"modes": 0.001}), "K=3 tied": fake_ppc({"modes": 0.002})}
    evidence = EvidenceTable.from_results(selection, loo=loo, ppc=both)
    assert evidence.recommendation["name"] == "K=4 tied"
    assert "every checked candidate fails" in evidence.reasons[0]


def test_occupied_components_posterior_is_reported(faithful):
    _, selection = faithful
    probability = pd.Series([0.0, 0.3, 0.6, 0.1], index=pd.RangeIndex(1, 5, name="k"))
    sparse = SimpleNamespace(table=probability.to_frame("probability"), max_components=10)
    evidence = EvidenceTable.from_results(selection, sparse=sparse)
    assert evidence.table.loc["K=3 tied", "p_occupied"] == 0.6
    assert "P(K+ = 3 | data) = 0.60" in " ".join(evidence.reasons)
    assert "occupied-components posterior" in " ".join(evidence.reasons[-2:])


def test_bootstrap_lrt_columns_come_from_real_tests(faithful):
    X, selection = faithful
    # 9 replicates: p-values are multiples of 0.1, so test at the 20% level
    lrt = sequential_lrt(X, 4, "tied", alpha=0.2, n_boot=9, n_init=1, random_state=0)
    evidence = EvidenceTable.from_results(selection, lrt=lrt)
    frame = evidence.table
    table = lrt.table
    row = table[table.k0 == 2].iloc[0]
    assert frame.loc["K=3 tied", "lrt_p_vs_fewer"] == row.p_value
    if 3 in set(table.k0):
        assert frame.loc["K=3 tied", "lrt_p_vs_more"] == table[table.k0 == 3].p_value.iloc[0]
    assert any(r.startswith("Bootstrap LRT (tied") for r in evidence.reasons)
    single = bootstrap_lrt(X, 1, 2, "full", n_boot=9, n_init=1)
    evidence = EvidenceTable.from_results(selection, lrt=single, n_candidates=5)
    full_rows = evidence.table[evidence.table.covariance_type == "full"]
    assert full_rows.loc[full_rows.n_components == 2, "lrt_p_vs_fewer"].iloc[0] == 0.1


def test_renderings_mark_the_recommendation(faithful):
    _, selection = faithful
    evidence = EvidenceTable.from_results(selection)
    frame = evidence.to_frame()
    assert frame["recommended"].tolist() == [name == "K=3 tied" for name in frame.index]
    text = str(evidence)
    assert "K=3 tied" in text
    assert "- Recommended K=3 tied" in text
    html = evidence._repr_html_()
    assert "recommended K=3 tied" in html
    assert html.count("\u2714") == 1


def test_bad_inputs_are_explained(faithful):
    _, selection = faithful
    with pytest.raises(TypeError, match="must be the ModelSelection"):
        EvidenceTable.from_results(selection.table)
    with pytest.raises(ValueError, match="not in the EM grid"):
        EvidenceTable.from_results(selection, loo=fake_loo({"K=9 diag": (-1.0, 1.0, 0.0)}))
    with pytest.raises(ValueError, match=r"ppc_alpha must be in \(0, 1\)"):
        EvidenceTable.from_results(selection, ppc_alpha=1.5)
    with pytest.raises(ValueError, match="loo_se must be positive"):
        EvidenceTable.from_results(selection, loo_se=0)


def test_collect_evidence_em_only_runs_the_grid_and_the_tests():
    import io

    stream = io.StringIO()
    evidence = collect_evidence(
        load_faithful(),
        range(1, 5),
        ["tied", "full"],
        n_init=2,
        n_boot=9,
        loo=False,
        ppc=False,
        sparse=False,
        k_posterior=False,
        progress=stream,
    )
    assert evidence.recommendation["name"] == "K=3 tied"
    assert "lrt_p_vs_fewer" in evidence.table.columns
    assert "elpd" not in evidence.table.columns
    printed = stream.getvalue()
    assert "EM grid" in printed
    assert "Bootstrap LRT, tied" in printed


# --------------------------------------------------------------- the rule of evidence
def failed(loo, problems: dict[str, str]):
    """``loo`` with the named fits marked as having failed their diagnostics."""
    table = loo.table.copy()
    table["diagnostics_ok"] = [name not in problems for name in table.index]
    table["diagnostics"] = [problems.get(name, "ok") for name in table.index]
    return SimpleNamespace(table=table, pareto_k_threshold=0.7)


def test_a_failed_fit_neither_votes_nor_serves_as_the_loo_reference(faithful):
    _, selection = faithful
    loo = fake_loo(
        {
            "K=5 tied": (-90.0, 10.0, 0.0),  # the best ELPD, but a broken posterior
            "K=4 tied": (-95.0, 10.0, 1.0),
            "K=3 tied": (-101.0, 10.0, 3.5),
        }
    )
    loo = failed(loo, {"K=5 tied": "414 divergences (10.4%); r_hat 2.3"})
    evidence = EvidenceTable.from_results(selection, loo=loo, n_candidates=5)
    table = evidence.table
    assert evidence.recommendation["name"] == "K=4 tied"
    assert evidence.reasons[0] == "Recommended K=4 tied: the best PSIS-LOO ELPD."
    assert not table.loc["K=5 tied", "bayes_ok"]
    assert table.loc["K=5 tied", "bayes_diagnostics"] == "414 divergences (10.4%); r_hat 2.3"
    assert table.loc["K=4 tied", "loo_se_behind"] == 0.0  # the reference is the best usable
    assert np.isnan(table.loc["K=5 tied", "loo_se_behind"])
    text = " ".join(evidence.reasons)
    assert (
        "Not used as evidence (Bayesian fit failed its sampler diagnostics): K=5 tied: 414" in text
    )


def test_without_a_usable_bayesian_fit_the_table_falls_back_to_bic(faithful):
    _, selection = faithful
    loo = fake_loo({"K=4 tied": (-90.0, 10.0, 0.0), "K=5 tied": (-91.0, 10.0, 0.1)})
    loo = failed(loo, {"K=4 tied": "r_hat 1.14; bulk ESS 19", "K=5 tied": "r_hat 1.3"})
    ppc = {"K=3 tied": fake_ppc({"modes": 0.4})}
    evidence = EvidenceTable.from_results(selection, loo=loo, ppc=ppc)
    assert evidence.recommendation["name"] == "K=3 tied"
    assert evidence.reasons[0] == (
        "Recommended K=3 tied: the lowest BIC, because no Bayesian fit both passed its "
        "sampler diagnostics and has a reliable (or repaired) PSIS-LOO (see "
        "bayes_diagnostics and loo_state)."
    )
    assert "PSIS-LOO: no fit passed its diagnostics" in " ".join(evidence.reasons)


def test_a_failed_predictive_check_of_a_failed_fit_is_not_evidence(faithful):
    _, selection = faithful
    loo = fake_loo({"K=3 tied": (-100.0, 10.0, 0.0), "K=4 tied": (-100.5, 10.0, 0.2)})
    loo = failed(loo, {"K=3 tied": "r_hat 1.5"})
    ppc = {"K=3 tied": fake_ppc({"modes": 0.0001}), "K=4 tied": fake_ppc({"modes": 0.3})}
    evidence = EvidenceTable.from_results(selection, loo=loo, ppc=ppc)
    assert evidence.recommendation["name"] == "K=4 tied"
    assert any("Posterior predictive check of K=3 tied not used" in r for r in evidence.reasons)


def test_a_failed_overfitted_mixture_is_shown_but_not_used(faithful):
    _, selection = faithful
    probability = pd.Series([0.0, 0.0, 0.0, 0.0, 0.75, 0.25], index=pd.RangeIndex(1, 7))
    sparse = SimpleNamespace(
        table=probability.to_frame("probability"),
        max_components=10,
        problems=["r_hat of E[K+ | theta] = 3.800 > 1.01", "223 divergent transitions"],
    )
    evidence = EvidenceTable.from_results(selection, sparse=sparse)
    text = " ".join(evidence.reasons)
    assert "Overfitted mixture (10 components) not used: its fit failed" in text
    assert "occupied-components posterior" not in text
    assert "p_occupied" in evidence.table.columns


def test_degenerate_em_fits_are_flagged_ranked_last_and_not_candidates():
    rng = np.random.default_rng(3)
    # two clusters of 15 points and one of 4: with full covariances its component
    # has 4 effective samples for 6 parameters, and K=3 has the best BIC
    X = np.vstack(
        [rng.normal(0, 1, (15, 2)), rng.normal(7, 1, (15, 2)), rng.normal([0, 14], 0.5, (4, 2))]
    )
    with pytest.warns(UserWarning, match=r"K=3 full has the best BIC but a degenerate component"):
        selection = select_model(X, [1, 2, 3], ["full"], n_init=3)
    table = selection.table
    flagged = table[table.degenerate]
    assert flagged.n_components.tolist() == [3]
    assert "effective samples" in flagged.warnings.iloc[0]
    assert not table.degenerate.iloc[0]
    assert table.degenerate.iloc[-1]  # ranked last
    assert selection.best_params_ == {"n_components": 2, "covariance_type": "full"}
    evidence = EvidenceTable.from_results(selection, n_candidates=3)
    assert evidence.recommendation["name"] == "K=2 full"
    assert "K=3 full" not in evidence.table.index
    reasons = evidence.reasons
    assert any(r.startswith("Degenerate EM fits, not candidates: K=3 full") for r in reasons)


def test_collect_evidence_fits_each_model_on_the_data_once(monkeypatch):
    from collections import Counter

    from bayesgmm import GaussianMixture
    from bayesgmm.exceptions import SamplingWarning

    X = load_faithful()
    data = X.to_numpy()
    fitted_on_data = Counter()
    original = GaussianMixture.fit

    def counting_fit(self, X, y=None, sample_weight=None):
        array = np.asarray(X, dtype=float)
        if array.shape == data.shape and np.array_equal(array, data):
            fitted_on_data[
                (self.n_components, get_covariance_model(self.covariance_type).name)
            ] += 1
        return original(self, X, y, sample_weight)

    monkeypatch.setattr(GaussianMixture, "fit", counting_fit)
    with pytest.warns(SamplingWarning):  # short chains
        evidence = collect_evidence(
            X, range(1, 5), ["tied", "full"], n_init=2, n_boot=9, sparse=False,
            draws=200, tune=200, chains=2, progress=False,
        )  # fmt: skip
    grid = {(k, cov) for k in range(1, 5) for cov in ("tied", "full")}
    assert set(fitted_on_data) == grid
    assert set(fitted_on_data.values()) == {1}  # the LRT and Bayesian fits reuse them
    assert "elpd" in evidence.table.columns


@pytest.fixture(scope="module")
def galaxies_k():
    from bayesgmm import load_galaxies, posterior_over_k

    X = load_galaxies("richardson_green") / 1000
    selection = select_model(X, range(1, 6), ["full", "tied"], n_init=2)
    return selection, posterior_over_k(X, random_state=0, progress=False)


def test_posterior_over_k_columns_and_reasons(galaxies_k):
    selection, k_posterior = galaxies_k
    evidence = EvidenceTable.from_results(selection, k_posterior=k_posterior)
    table = k_posterior.table
    for name, row in evidence.table.iterrows():
        assert row["p_k"] == table.loc[row.n_components, "p_components"], name
        assert row["p_k_clusters"] == table.loc[row.n_components, "p_clusters"], name
    text = " ".join(evidence.reasons)
    assert f"most probable number of clusters K+ = {k_posterior.mode_clusters}" in text
    recommended = evidence.recommendation["n_components"]
    verdict = "Agree" if k_posterior.mode_clusters == recommended else "Disagree"
    assert any(r.startswith(verdict) and "posterior over K" in r for r in evidence.reasons)
    assert evidence.k_posterior is k_posterior


def test_a_failed_posterior_over_k_is_shown_but_not_used(galaxies_k):
    from bayesgmm import load_galaxies, posterior_over_k
    from bayesgmm.exceptions import SamplingWarning

    selection, _ = galaxies_k
    X = load_galaxies("richardson_green") / 1000
    with pytest.warns(SamplingWarning):
        short = posterior_over_k(
            X, draws=20, tune=0, thin=1, max_doublings=0, random_state=0, progress=False
        )
    evidence = EvidenceTable.from_results(selection, k_posterior=short)
    text = " ".join(evidence.reasons)
    assert "not used: it failed its checks" in text
    assert "posterior over K" not in " ".join(evidence.reasons[-2:])
    assert "p_k" in evidence.table.columns


def test_k_posterior_must_be_a_k_posterior(galaxies_k):
    selection, _ = galaxies_k
    with pytest.raises(TypeError, match="k_posterior must be the KPosterior"):
        EvidenceTable.from_results(selection, k_posterior={"mode": 3})


def test_pipeline_samples_the_posterior_over_k_unless_cells_are_missing():
    import io

    from bayesgmm import load_galaxies
    from bayesgmm.selection.pipeline import run_pipeline

    X = load_galaxies("richardson_green") / 1000
    steps = []
    settings = {"lrt": False, "loo": False, "ppc": False, "sparse": False, "n_init": 2}
    result = run_pipeline(
        X, range(1, 4), "full", **settings, k_posterior={"k_max": 20},
        on_result=lambda step, value: steps.append(step), progress=False,
    )  # fmt: skip
    assert result.k_posterior.k_max == 20
    assert steps == ["selection", "k_posterior", "evidence"]
    assert "p_k" in result.evidence.table.columns
    incomplete = load_faithful()
    incomplete.iloc[3, 1] = np.nan
    stream = io.StringIO()
    result = run_pipeline(
        incomplete, range(1, 3), "full", **settings, missing="marginalize", progress=stream
    )
    assert result.k_posterior is None
    assert "Posterior over K skipped: X has missing cells" in stream.getvalue()


def test_pipeline_skips_the_posterior_over_k_on_large_data_unless_asked(monkeypatch):
    import io

    import bayesgmm.selection.pipeline
    from bayesgmm import load_galaxies
    from bayesgmm.selection.pipeline import run_pipeline

    monkeypatch.setattr(
        bayesgmm.selection.pipeline, "K_POSTERIOR_MAX_WORK", 100
    )  # 82 x 1 x 2 = 164
    X = load_galaxies() / 1000
    settings = {"lrt": False, "loo": False, "ppc": False, "sparse": False, "n_init": 1}
    stream = io.StringIO()
    result = run_pipeline(X, [2, 3], "full", **settings, progress=stream)
    assert result.k_posterior is None
    assert "Posterior over K skipped: 82 rows x 1 features" in stream.getvalue()
    asked = run_pipeline(X, [2, 3], "full", **settings, k_posterior={"k_max": 10},
                         progress=False)  # fmt: skip
    assert asked.k_posterior is not None


def test_pipeline_skips_the_bootstrap_lrt_on_large_data_and_says_why(monkeypatch):
    import io

    import bayesgmm.selection.pipeline
    from bayesgmm import load_galaxies
    from bayesgmm.selection.pipeline import run_pipeline

    # 82 rows x 19 replicates = 1,558 rows refitted per test, over a limit of 1,000
    monkeypatch.setattr(bayesgmm.selection.pipeline, "LRT_MAX_WORK", 1_000)
    X = load_galaxies() / 1000
    settings = {"loo": False, "ppc": False, "k_posterior": False, "n_init": 1}
    stream = io.StringIO()
    result = run_pipeline(X, [1, 2, 3], "full", **settings, n_boot=19, progress=stream)
    assert result.lrt == []
    reason = result.skipped["Bootstrap LRT"]
    assert "19 replicates x 82 rows = 1,558 rows refitted per test" in reason
    assert "n_boot <= 12" in reason
    assert f"Bootstrap LRT skipped: {reason}" in stream.getvalue()
    # the evidence table says what did not run, in print and in the report
    assert result.evidence.skipped == {"Bootstrap LRT": reason}
    assert f"- not run: Bootstrap LRT ({reason})" in str(result.evidence)
    from bayesgmm import build_report

    page = build_report(X, selection=result.selection, evidence=result.evidence, clustering=False)
    assert "<h3>Not run</h3>" in page.html
    assert "Bootstrap LRT: 19 replicates" in page.html
    # within the limit it runs
    ran = run_pipeline(X, [1, 2, 3], "full", **settings, n_boot=12, progress=False)
    assert len(ran.lrt) == 1
    assert ran.skipped == {}


def test_pipeline_skips_the_bayesian_fits_on_large_data_and_says_why(monkeypatch):
    import bayesgmm.selection.pipeline
    from bayesgmm import load_galaxies
    from bayesgmm.selection.pipeline import run_pipeline

    # 82 rows x 2 chains x (50 + 50) = 16,400 row evaluations per fit, over 10,000
    monkeypatch.setattr(bayesgmm.selection.pipeline, "BAYES_MAX_WORK", 10_000)
    X = load_galaxies() / 1000
    settings = {"lrt": False, "k_posterior": False, "n_init": 1, "chains": 2, "tune": 50}
    result = run_pipeline(X, [1, 2, 3], "full", **settings, draws=50, progress=False)
    assert result.comparison is None
    assert result.checks == {}
    reason = result.skipped["Bayesian fits and PSIS-LOO"]
    assert "82 rows x 2 chains x 100 iterations = 16,400 row evaluations" in reason
    assert result.skipped["Posterior predictive checks"] == "there are no Bayesian fits to check"
    assert set(result.evidence.skipped) == set(result.skipped)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short chains
def test_pipeline_takes_all_of_mclusts_models_and_compares_their_posteriors():
    from bayesgmm.covariance import MCLUST_MODELS
    from bayesgmm.selection.pipeline import run_pipeline

    result = run_pipeline(
        load_faithful(), [1, 2, 3], "all", lrt=False, ppc=False, k_posterior=False, sparse=False,
        posterior=False, draws=200, tune=200, chains=2, random_state=0, progress=False,
    )  # fmt: skip
    asked = {get_covariance_model(m).name for m in MCLUST_MODELS}
    assert set(result.selection.covariance_types) == asked
    # the best models by BIC go to PSIS-LOO whatever their structure
    compared = {
        get_covariance_model(model.covariance_type).name
        for model in result.comparison.models.values()
    }
    assert result.selection.table.covariance_type.iloc[0] in compared


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.SamplingWarning")  # short chains
def test_the_posterior_over_k_reason_names_its_covariance_structure():
    from bayesgmm import posterior_over_k

    X = load_faithful()
    selection = select_model(X, range(1, 4), "spherical", n_init=2)
    k_posterior = posterior_over_k(
        X, covariance_type="spherical", draws=200, max_doublings=0, random_state=0,
        progress=False,
    )  # fmt: skip
    evidence = EvidenceTable.from_results(selection, k_posterior=k_posterior)
    assert any("priors, spherical covariances)" in reason for reason in evidence.reasons)
