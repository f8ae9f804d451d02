"""The evidence table: gathering model-choice results and the recommendation rule."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bayesgmm import EvidenceTable, collect_evidence, load_faithful, select_model, sequential_lrt
from bayesgmm.bootstrap import bootstrap_lrt


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
    }
    frame = evidence.frame
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
    assert evidence.frame.loc["K=4 tied", "elpd"] == -100.0
    assert np.isnan(evidence.frame.loc[evidence.frame.index[1], "elpd"]) or (
        evidence.frame.index[1] in loo.table.index
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
    assert evidence.frame.loc["K=4 tied", "ppc_failed"] == "modes"
    assert evidence.frame.loc["K=3 tied", "ppc_min_p"] == 0.4
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
    assert evidence.frame.loc["K=3 tied", "p_occupied"] == 0.6
    assert "P(K+ = 3 | data) = 0.60" in " ".join(evidence.reasons)
    assert "occupied-components posterior" in " ".join(evidence.reasons[-2:])


def test_bootstrap_lrt_columns_come_from_real_tests(faithful):
    X, selection = faithful
    # 9 replicates: p-values are multiples of 0.1, so test at the 20% level
    lrt = sequential_lrt(X, 4, "tied", alpha=0.2, n_boot=9, n_init=1, random_state=0)
    evidence = EvidenceTable.from_results(selection, lrt=lrt)
    frame = evidence.frame
    table = lrt.table
    row = table[table.k0 == 2].iloc[0]
    assert frame.loc["K=3 tied", "lrt_p_vs_fewer"] == row.p_value
    if 3 in set(table.k0):
        assert frame.loc["K=3 tied", "lrt_p_vs_more"] == table[table.k0 == 3].p_value.iloc[0]
    assert any(r.startswith("Bootstrap LRT (tied") for r in evidence.reasons)
    single = bootstrap_lrt(X, 1, 2, "full", n_boot=9, n_init=1)
    evidence = EvidenceTable.from_results(selection, lrt=single, n_candidates=5)
    full_rows = evidence.frame[evidence.frame.covariance_type == "full"]
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
        progress=stream,
    )
    assert evidence.recommendation["name"] == "K=3 tied"
    assert "lrt_p_vs_fewer" in evidence.frame.columns
    assert "elpd" not in evidence.frame.columns
    printed = stream.getvalue()
    assert "EM grid" in printed
    assert "Bootstrap LRT, tied" in printed
