"""Readable output: every result prints as a table a statistician can read."""

from __future__ import annotations

import re

import bayesgmm
from bayesgmm import EvidenceTable, bootstrap_lrt, load_faithful, select_model


def test_dir_lists_every_public_name_lazy_ones_included():
    names = dir(bayesgmm)
    assert set(bayesgmm.__all__) <= set(names)
    assert "BayesianGaussianMixture" in names  # loaded on first use, listed before


def test_results_print_criteria_without_scientific_notation():
    X = load_faithful()
    selection = select_model(X, range(1, 5), ["tied", "full"], n_init=2)  # K=3 inside
    text = str(selection)
    assert text.startswith("Model selection by BIC (lower is better), 8 models, n = 272")
    assert re.search(r"\b2314\.3\b", text)  # K=3 tied, one decimal
    assert "e+0" not in text
    evidence = EvidenceTable.from_results(selection)
    printed = str(evidence)
    assert printed.startswith("Evidence for the number of components: recommended K=3 tied")
    assert re.search(r"\b2314\.3\b", printed)
    assert "e+0" not in printed
    assert evidence.table is evidence.frame  # the former name still works


def test_bootstrap_result_has_a_table():
    result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
    table = result.table
    assert table.loc[0, ["k0", "k1", "p_value"]].tolist() == [1, 2, 0.1]
    assert table.loc[0, "statistic"] == result.statistic
