"""No answer from the edge of the range: edges, extension, the cap, 'at least K'."""

from __future__ import annotations

import io
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import bayesgmm.selection.model_selection as selection_module
from bayesgmm import EvidenceTable, collect_evidence, load_faithful, select_model
from bayesgmm.covariance import get_covariance_model
from bayesgmm.exceptions import RangeEdgeWarning
from bayesgmm.selection.k_range import ROWS_PER_PARAMETER, automatic_k_cap
from bayesgmm.selection.pipeline import run_pipeline
from bayesgmm.selection.range_extension import RangeExtension, extend_grid

QUICK = {"n_init": 1, "lrt": False, "loo": False, "k_posterior": False}
TYPES = ["spherical", "full"]
#: the 13..18-component fits of twelve tight clusters collapse onto single rows
collapse_is_expected = pytest.mark.filterwarnings(
    "ignore::bayesgmm.exceptions.ComponentCollapseWarning"
)


@pytest.fixture(scope="module")
def twelve():
    """Twelve well-separated 2-D Gaussians on a circle, 30 rows each (seeded)."""
    rng = np.random.default_rng(12)
    angles = 2 * np.pi * np.arange(12) / 12
    centres = np.c_[10 * np.cos(angles), 10 * np.sin(angles)]
    return np.concatenate([c + 0.6 * rng.standard_normal((30, 2)) for c in centres])


@pytest.fixture
def counted_cells(monkeypatch):
    """Every grid cell fitted, in order (run_grid as select_model and extend call it)."""
    cells: list[tuple[int, str]] = []
    original = selection_module.run_grid

    def counting(array, grid_cells, *args, **kwargs):
        cells.extend(grid_cells)
        return original(array, grid_cells, *args, **kwargs)

    monkeypatch.setattr(selection_module, "run_grid", counting)
    return cells


# ---------------------------------------------------------------------- the cap
def test_automatic_cap_keeps_five_rows_per_parameter_of_the_simplest_structure():
    for n, d, types in [(360, 2, TYPES), (272, 2, ["full", "tied"]), (1000, 10, ["full"])]:
        cap = automatic_k_cap(n, d, types)

        def fewest(k, types=types, d=d):
            return min(get_covariance_model(c).n_parameters(k, d) for c in types)

        assert ROWS_PER_PARAMETER * fewest(cap) <= n < ROWS_PER_PARAMETER * fewest(cap + 1)
        assert cap <= n // 2
    # spherical in 2-D has 4 K - 1 parameters: 4 K - 1 <= 72 for K <= 18
    assert automatic_k_cap(360, 2, TYPES) == 18
    assert automatic_k_cap(3, 5, ["full"]) == 1  # too few rows for anything: K = 1


# ---------------------------------------------------------------------- select_model
def test_select_model_warns_naming_the_edge(twelve):
    with pytest.warns(
        RangeEdgeWarning,
        match=r"BIC is best at K=6 full, the largest K tried for full \(K = 1\.\.6\): a "
        r"larger K may be better still\. .*range\(1, 13\).*extend\(X, range\(7, 13\)\)",
    ):
        result = select_model(twelve, range(1, 7), TYPES, n_init=1)
    assert result.at_edge_
    edge = result.edges()
    assert set(edge) == {"bic", "icl"}
    assert edge["bic"] == {
        "name": "K=6 full",
        "n_components": 6,
        "covariance_type": "full",
        "largest_k": 6,
        "extendable": True,
    }
    assert "the largest K tried for full" in str(result)
    assert "the largest K tried for full" in result._repr_html_()


def test_no_warning_inside_the_range_or_for_a_single_k():
    X = load_faithful()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RangeEdgeWarning)
        inside = select_model(X, range(1, 6), ["tied"], n_init=1)  # best K=3 of 1..5
        single = select_model(X, [3], ["tied"], n_init=1)  # no choice of K
    assert not inside.at_edge_
    assert inside.edges() == {}
    assert not single.at_edge_


def test_edge_where_one_more_component_cannot_be_estimated():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (6, 2)), rng.normal(20, 1, (6, 2))])
    # K=3 full would have 17 free parameters for 12 rows
    with pytest.warns(
        RangeEdgeWarning, match=r"K=3 full would have as many free parameters as rows \(n = 12\)"
    ):
        result = select_model(X, [1, 2], "full", n_init=1)
    assert result.edges()["bic"]["extendable"] is False


def test_extend_fits_only_the_new_cells_and_keeps_the_old_estimators(twelve, counted_cells):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeEdgeWarning)
        small = select_model(twelve, range(1, 7), TYPES, n_init=1)
    first = list(counted_cells)
    with pytest.warns(RangeEdgeWarning, match=r"BIC is best at K=12 spherical.*range\(13, 25\)"):
        wider = small.extend(twelve, range(1, 13))  # 1..6 are there already
    assert counted_cells[len(first) :] == [(k, c) for c in TYPES for k in range(7, 13)]
    assert all(wider.estimators[key] is model for key, model in small.estimators.items())
    assert len(wider.table) == 24
    assert wider.best_params_["n_components"] == 12
    assert wider.table.delta.iloc[0] == 0
    assert (wider.table.delta.iloc[1:] >= 0).all()
    assert small.extend(twelve, [3, 4]) is small  # nothing new
    with pytest.raises(ValueError, match=r"X has 10 rows, but this grid was fitted to 360"):
        small.extend(twelve[:10], [7])


# ---------------------------------------------------------------------- pipeline
@collapse_is_expected
def test_pipeline_extends_twelve_clusters_from_one_to_six(twelve, counted_cells):
    stream = io.StringIO()
    result = run_pipeline(twelve, range(1, 7), TYPES, progress=stream, **QUICK)
    evidence = result.evidence
    assert evidence.recommendation["n_components"] == 12
    assert evidence.recommendation["at_least"] is False
    # 1..6 -> 7..12 (BIC best at 6) -> 13..18 (best at 12; 18 is the automatic cap)
    assert [step["added"] for step in result.extension.steps] == [
        list(range(7, 13)),
        list(range(13, 19)),
    ]
    assert result.extension.k_cap == 18
    assert result.extension.remaining == {}
    assert len(counted_cells) == len(set(counted_cells)) == 2 * 18  # each model fitted once
    text = stream.getvalue()
    assert "==> Range extended: BIC and ICL best at K=6 full, the largest K tried (6); " in text
    assert "fitting K = 7..12 (cap 18)" in text
    assert any(
        r.startswith("Range extended: BIC and ICL best at K=6 full") for r in evidence.reasons
    )
    assert result.chosen["n_components"] == 12


@collapse_is_expected
def test_collect_evidence_extends_too(twelve):
    evidence = collect_evidence(twelve, range(1, 7), TYPES, progress=False, **QUICK)
    assert evidence.recommendation["n_components"] == 12
    assert evidence.recommendation["label"] == evidence.recommendation["name"]


def test_the_cap_stops_the_extension_and_the_answer_is_at_least_k(twelve):
    evidence = collect_evidence(twelve, range(1, 7), TYPES, k_cap=8, progress=False, **QUICK)
    recommendation = evidence.recommendation
    assert recommendation["n_components"] == 8
    assert recommendation["at_least"] is True
    assert recommendation["label"] == "at least K=8 (K=8 full)"
    assert str(evidence).startswith(
        "Evidence for the number of components: recommended at least K=8 (K=8 full)"
    )
    assert "recommended at least K=8 (K=8 full)" in evidence._repr_html_()
    assert (
        "BIC and ICL are still best at K=8 full, the largest K tried: K = 8 is the cap "
        "(k_cap). Read it as 'at least 8'." in evidence.reasons
    )
    assert evidence.reasons[-1].startswith("At least K = 8: K=8 full has the largest K the grid")


def test_without_extension_the_edge_warns_and_the_answer_is_at_least_k(twelve):
    with pytest.warns(RangeEdgeWarning, match="BIC is best at K=6 full"):
        result = run_pipeline(twelve, range(1, 7), TYPES, extend=False, progress=False, **QUICK)
    assert result.extension.steps == []
    assert result.evidence.recommendation["label"] == "at least K=6 (K=6 full)"
    assert any("extend=False" in reason for reason in result.evidence.reasons)


def test_extend_grid_reaches_a_target_k_by_doubling(twelve):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeEdgeWarning)
        grid = select_model(twelve, range(1, 4), ["full"], n_init=1)
    extension = RangeExtension(True, 10, automatic_cap=False)
    wider = extend_grid(twelve, grid, extension, criteria=(), target=5)
    assert sorted(set(wider.table.n_components)) == list(range(1, 7))  # 3 -> 6, not 5
    capped = extend_grid(twelve, wider, extension, criteria=(), target=40)
    assert sorted(set(capped.table.n_components)) == list(range(1, 11))  # 6 -> 10, the cap


# ---------------------------------------------------------------------- the rule
def stub_k_posterior(p_clusters: dict[int, float], problems: tuple[str, ...] = ()):
    """A KPosterior with a given p(K+ = k | y) (k = 1..len) and problems."""
    from bayesgmm.mfm.result import KPosterior

    k_max = max(p_clusters)
    table = pd.DataFrame(
        {"p_components": pd.Series(p_clusters), "p_clusters": pd.Series(p_clusters)}
    ).reindex(range(1, k_max + 1), fill_value=0.0)

    class Stub(KPosterior):
        def __init__(self) -> None:
            self.priors = SimpleNamespace(
                name="telescope", k_max=k_max, truncated=True, covariance_type="full"
            )

        table = property(lambda self: table)
        problems = property(lambda self: list(problems))
        k_max = property(lambda self: k_max)

    return Stub()


@pytest.fixture(scope="module")
def faithful_grid():
    return select_model(load_faithful(), range(1, 6), ["tied", "full"], n_init=3)


def test_the_posterior_over_k_chooses_k_and_bic_the_structure(faithful_grid):
    k_posterior = stub_k_posterior({1: 0.0, 2: 0.7, 3: 0.2, 4: 0.1, 5: 0.0, 6: 0.0})
    evidence = EvidenceTable.from_results(faithful_grid, k_posterior=k_posterior)
    # BIC alone says K=3 tied; at K = 2 its best structure is full (2322.2 < 2325.2)
    assert evidence.recommendation["name"] == "K=2 full"
    assert evidence.recommendation["source"] == "posterior over K"
    assert evidence.reasons[0].startswith(
        "Recommended K=2 full: the posterior over K chose K = 2 (its most probable number "
        "of clusters), and BIC the covariance structure at that K"
    )
    old_rule = EvidenceTable.from_results(faithful_grid, k_posterior=k_posterior, rule="loo")
    assert old_rule.recommendation["name"] == "K=3 tied"
    assert any(r.startswith("Disagree") and "posterior over K" in r for r in old_rule.reasons)


def test_loo_chooses_the_structure_at_the_posterior_k(faithful_grid):
    loo = SimpleNamespace(
        table=pd.DataFrame(
            {
                "elpd": [-1120.0, -1130.0, -1110.0],
                "se": [10.0, 10.0, 10.0],
                "z_diff": [1.0, 5.0, 0.0],
                "weight": [0.3, 0.0, 0.7],
                "n_high_pareto_k": [0, 0, 0],
            },
            index=["K=2 full", "K=2 tied", "K=3 tied"],
        ),
        pareto_k_threshold=0.7,
    )
    k_posterior = stub_k_posterior({1: 0.0, 2: 0.8, 3: 0.2, 4: 0.0, 5: 0.0, 6: 0.0})
    evidence = EvidenceTable.from_results(faithful_grid, loo=loo, k_posterior=k_posterior)
    # K=2 tied has fewer parameters but is 4 se behind K=2 full
    assert evidence.recommendation["name"] == "K=2 full"
    assert evidence.recommendation["source"] == "posterior over K, PSIS-LOO"
    without = EvidenceTable.from_results(faithful_grid, loo=loo)
    assert without.recommendation["source"] == "PSIS-LOO"


@pytest.mark.parametrize(
    ("p_clusters", "problems", "why"),
    [
        ({1: 0.0, 2: 0.9, 3: 0.1}, ("r_hat of K+ = 1.600 > 1.01",), "failed its checks"),
        ({1: 0.0, 2: 0.1, 3: 0.9}, (), "It does not choose K: its most probable K+ = 3 is its"),
        ({1: 0.0, 7: 0.9, 8: 0.1}, (), "the EM grid has no sound fit with K = 7"),
    ],
    ids=["failed", "at-its-own-k-max", "beyond-the-grid"],
)
def test_a_posterior_over_k_that_may_not_vote_leaves_the_choice_to_bic(
    faithful_grid, p_clusters, problems, why
):
    k_posterior = stub_k_posterior(p_clusters, problems)
    evidence = EvidenceTable.from_results(faithful_grid, k_posterior=k_posterior)
    assert evidence.recommendation["name"] == "K=3 tied"
    assert evidence.recommendation["source"] == "BIC"
    assert any(why in reason for reason in evidence.reasons), evidence.reasons


def test_rule_must_be_known(faithful_grid):
    with pytest.raises(ValueError, match=r"rule must be one of \['k_posterior', 'loo'\]; got 'x'"):
        EvidenceTable.from_results(faithful_grid, rule="x")


# ---------------------------------------------------------------------- bad input
X_SMALL = np.random.default_rng(1).normal(size=(40, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_components": []}, ValueError, r"n_components must be a non-empty .*; got \[\]"),
        ({"n_components": [0, 1, 2]}, ValueError, r"integers >= 1 .*; got \[0\]"),
        ({"n_components": [-2]}, ValueError, r"integers >= 1 .*; got \[-2\]"),
        ({"n_components": [1, 2.5]}, ValueError, r"integers >= 1 .*; got \[2\.5\]"),
        ({"n_components": None}, TypeError, r"n_components must be an integer or an iterable"),
        ({"n_components": "1:3"}, TypeError, r"got str '1:3'"),
        ({"k_cap": 2}, ValueError, r"k_cap must be at least the largest n_components \(3\); got"),
        ({"k_cap": 0}, ValueError, r"k_cap must be None \(automatic\) or an integer >= 1; got 0"),
        ({"k_cap": 2.5}, ValueError, r"k_cap must be None .*; got 2\.5"),
        ({"extend": False, "k_cap": 10}, ValueError, r"k_cap=10 contradicts extend=False"),
        ({"extend": "yes"}, TypeError, r"extend must be True or False; got 'yes'"),
        ({"loo": False, "ppc": True}, ValueError, r"ppc=True needs loo=True"),
        ({"rule": "bic"}, ValueError, r"rule must be one of \['k_posterior', 'loo'\]; got 'bic'"),
    ],
)
@pytest.mark.parametrize("entry", ["run_pipeline", "collect_evidence"])
def test_bad_settings_name_the_parameter(entry, kwargs, error, match):
    function = run_pipeline if entry == "run_pipeline" else collect_evidence
    settings = {"n_components": range(1, 4), **kwargs}
    with pytest.raises(error, match=match):
        function(X_SMALL, progress=False, **settings)


def test_select_model_rejects_a_bad_range():
    with pytest.raises(ValueError, match=r"n_components must be a non-empty .*; got \[\]"):
        select_model(X_SMALL, range(0))
    with pytest.raises(TypeError, match=r"n_components must be an integer or an iterable"):
        select_model(X_SMALL, None)


@pytest.mark.slow
def test_loo_extension_adds_the_next_k_from_its_em_fit():
    from bayesgmm.selection.loo_comparison import compare_loo
    from bayesgmm.selection.range_extension import extend_loo

    X = load_faithful()
    grid = select_model(X, range(1, 6), ["tied"], n_init=3)
    options = {"draws": 300, "tune": 300, "chains": 2, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2 x 300 draws
        comparison = compare_loo(X, [(1, "tied"), (2, "tied")], **options)
        before = dict(comparison.models)
        extension = RangeExtension(True, 5, automatic_cap=False)
        lines: list[str] = []
        _, wider = extend_loo(X, grid, comparison, extension, fit_options=options, say=lines.append)
    # K=2 is LOO's best of {1, 2}: K=3 joins; K=3 is best of {1, 2, 3}: K=4 joins
    assert [step["added"] for step in extension.steps] == [[3], [4]]
    assert lines[0] == (
        "PSIS-LOO best at K=2 tied, the largest K compared: adding K=3 tied (Bayesian fit "
        "from its EM fit)"
    )
    assert all(wider.models[name] is model for name, model in before.items())  # not refitted
    assert wider.models["K=3 tied"].start is grid.estimators[(3, "tied")]
    assert extension.remaining == {}


@pytest.mark.parametrize(("behind", "edge"), [(1.0, None), (3.0, "K=4 tied")])
def test_a_loo_best_at_the_edge_must_lead_beyond_the_noise(faithful_grid, behind, edge):
    loo = SimpleNamespace(
        table=pd.DataFrame(
            {
                "elpd": [-1120.0, -1112.0, -1110.0],
                "se": [10.0, 10.0, 10.0],
                "z_diff": [5.0, behind, 0.0],
                "weight": [0.0, 0.3, 0.7],
                "n_high_pareto_k": [0, 0, 0],
            },
            index=["K=2 full", "K=3 tied", "K=4 tied"],
        ),
        pareto_k_threshold=0.7,
    )
    evidence = EvidenceTable.from_results(faithful_grid, loo=loo)
    found = evidence.loo_edge()
    assert (found and found["name"]) == edge
    if edge:  # LOO decided at its edge: a lower bound
        assert evidence.recommendation["label"] == "at least K=4 (K=4 tied)"
        assert "PSIS-LOO's best, K=4 tied, has the largest K compared (4)" in evidence.reasons[-1]
    else:
        assert evidence.recommendation["name"] == "K=3 tied"
        assert not evidence.recommendation["at_least"]
