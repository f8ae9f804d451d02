"""Missing data through model choice: the grid, the bootstrap tests, the evidence, the CLI.

Old Faithful with 10% of its cells removed (missing completely at random, seeded):
every step fits the observed cells (``missing="marginalize"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bayesgmm import (
    GaussianMixture,
    bootstrap_lrt,
    collect_evidence,
    load_faithful,
    select_model,
    sequential_lrt,
)
from bayesgmm.cli import main


@pytest.fixture(scope="module")
def incomplete() -> pd.DataFrame:
    X = load_faithful()
    rng = np.random.default_rng(0)
    mask = rng.random(X.shape) < 0.10
    mask[mask.all(axis=1), 0] = False
    return X.mask(mask)


def test_the_grid_chooses_what_a_direct_fit_gives(incomplete):
    grid = select_model(incomplete, range(1, 5), n_init=3, missing="marginalize")
    best = grid.best_params_
    direct = GaussianMixture(
        best["n_components"],
        covariance_type=best["covariance_type"],
        n_init=3,
        max_iter=500,
        tol=1e-6,
        random_state=0,
        missing="marginalize",
    ).fit(incomplete)
    chosen = grid.best_estimator_
    assert_allclose(chosen.means_, direct.means_, rtol=1e-12)
    assert grid.table.loc[0, "bic"] == pytest.approx(direct.bic(incomplete), rel=1e-12)
    # the observed-data log-likelihood, not a complete-case one
    assert grid.table.loc[0, "log_likelihood"] == pytest.approx(
        direct.score(incomplete) * len(incomplete), rel=1e-12
    )
    with pytest.raises(ValueError, match="Pass missing='marginalize' to fit the observed"):
        select_model(incomplete, [1, 2])


def test_bootstrap_tests_run_on_incomplete_data(incomplete):
    result = bootstrap_lrt(incomplete, 1, 2, "tied", n_boot=9, n_init=1, missing="marginalize")
    assert result.p_value == 0.1  # 1 vs 2 components is rejected as strongly as 9 allow
    assert result.statistic > 200
    assert np.isfinite(result.bootstrap_statistics).all()
    again = bootstrap_lrt(incomplete, 1, 2, "tied", n_boot=9, n_init=1, missing="marginalize")
    np.testing.assert_array_equal(again.bootstrap_statistics, result.bootstrap_statistics)
    sequence = sequential_lrt(incomplete, 3, "tied", n_boot=9, n_init=1, missing="marginalize")
    assert sequence.table.k0.tolist()[0] == 1
    with pytest.raises(ValueError, match="Pass missing='marginalize' to test on the observed"):
        bootstrap_lrt(incomplete, 1, 2)


def test_collect_evidence_em_parts_on_incomplete_data(incomplete):
    evidence = collect_evidence(
        incomplete,
        range(1, 5),
        ["tied", "full"],
        n_init=2,
        n_boot=9,
        loo=False,
        ppc=False,
        sparse=False,
        progress=False,
        missing="marginalize",
    )
    assert evidence.recommendation["name"] == "K=3 tied"
    assert "lrt_p_vs_fewer" in evidence.table.columns


def test_cli_fit_marginalizes_empty_cells(incomplete, tmp_path, capsys):
    path = tmp_path / "faithful_missing.csv"
    incomplete.to_csv(path, index=False)
    out = tmp_path / "out"
    code = main(["fit", str(path), "--k", "1:3", "--n-init", "2", "--missing", "marginalize",
                 "--quiet", "--out", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert f"{int(incomplete.isna().sum().sum())} missing cells (marginalized)" in printed
    assert (out / "report.html").is_file()
    assert main(["fit", str(path), "--quiet", "--out", str(tmp_path / "no")]) == 2
    assert "pass --missing marginalize" in capsys.readouterr().err
