"""Tests of the parametric bootstrap likelihood-ratio test (bayesgmm.selection.bootstrap_lrt)."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pytest
from scipy import stats

from bayesgmm import GaussianMixture, load_faithful
from bayesgmm.exceptions import ConvergenceWarning
from bayesgmm.selection.bootstrap_lrt import (
    BootstrapLRTResult,
    SequentialLRTResult,
    bootstrap_lrt,
    sequential_lrt,
)
from bayesgmm.testing import make_gmm_data


@pytest.fixture(scope="module")
def faithful() -> np.ndarray:
    return load_faithful().to_numpy()


@pytest.fixture(scope="module")
def faithful_1v2(faithful) -> BootstrapLRTResult:
    """Full-covariance test of 1 against 2 components on Old Faithful (19 replicates)."""
    return bootstrap_lrt(faithful, 1, n_boot=19, n_init=2, random_state=0)


@pytest.fixture(scope="module")
def normal_1d() -> np.ndarray:
    """One Gaussian in 1-D: K=1 is true, so p-values are far from 0 (and fits are fast)."""
    return np.random.default_rng(1).normal(size=(60, 1))


#: EM settings for quick tests on ``normal_1d`` (2-component fits of one Gaussian
#: converge slowly at the default tol=1e-6)
QUICK = {"n_init": 2, "tol": 1e-4}


# ---------------------------------------------------------------------- power and size
def test_faithful_rejects_one_component(faithful_1v2):
    result = faithful_1v2
    assert (result.k0, result.k1, result.covariance_type) == (1, 2, "full")
    # the observed statistic beats every bootstrap replicate: p at its minimum 1/20
    assert result.statistic > result.bootstrap_statistics.max()
    assert result.p_value == pytest.approx(1 / 20)
    assert result.p_value <= 0.05
    # mclust's VVV log-likelihoods on faithful: -1289.797 (G=1) and -1130.264 (G=2)
    assert result.statistic == pytest.approx(2 * (1289.797 - 1130.264), abs=0.01)


def test_true_number_of_components_is_rarely_rejected():
    # data from the 3-component diag mixture: H0 (K=3) is true, p-values should be spread
    p_values = []
    for seed in range(5):
        X = make_gmm_data("diag", 150, seed, separation=6.0)[0]
        result = bootstrap_lrt(X, 3, 4, "diag", n_boot=19, n_init=2, random_state=seed)
        p_values.append(result.p_value)
    assert sum(p <= 0.05 for p in p_values) <= 1, p_values
    assert max(p_values) >= 0.25, p_values


def test_too_few_components_is_rejected():
    X = make_gmm_data("diag", 150, 4, separation=6.0)[0]
    result = bootstrap_lrt(X, 2, 3, "diag", n_boot=9, n_init=2, random_state=4)
    assert result.p_value == pytest.approx(1 / 10)
    assert result.statistic > 10 * result.bootstrap_statistics.max()


# ---------------------------------------------------------------------- definitions
def test_p_value_formula_and_statistics(normal_1d):
    result = bootstrap_lrt(normal_1d, 1, n_boot=29, random_state=3, **QUICK)
    boot = result.bootstrap_statistics
    assert boot.shape == (29,)
    assert np.all(boot >= 0.0)
    count = int(np.sum(boot >= result.statistic))
    assert 0 < count < 29  # a non-trivial p-value, so the formula is really exercised
    assert result.p_value == (1 + count) / 30
    ll0, ll1 = result.log_likelihoods
    assert result.statistic == pytest.approx(max(0.0, 2 * (ll1 - ll0)))


def test_statistic_equals_independent_fits(faithful):
    n = faithful.shape[0]
    for covariance_type, k0 in [("full", 1), ("tied", 2)]:
        result = bootstrap_lrt(faithful, k0, covariance_type=covariance_type, n_boot=1)
        ll = [
            GaussianMixture(
                k,
                covariance_type=covariance_type,
                n_init=5,
                tol=1e-6,
                max_iter=500,
                random_state=123,
            )
            .fit(faithful)
            .score(faithful)
            * n
            for k in (k0, k0 + 1)
        ]
        assert result.log_likelihoods == pytest.approx(tuple(ll), abs=1e-3)
        assert result.statistic == pytest.approx(2 * (ll[1] - ll[0]), abs=2e-3)


def test_one_component_log_likelihood_matches_scipy(faithful_1v2, faithful):
    # K=1: the maximum-likelihood Gaussian, whose log-likelihood scipy evaluates exactly
    mean = faithful.mean(axis=0)
    cov = np.cov(faithful, rowvar=False, bias=True) + 1e-6 * np.eye(2)
    expected = stats.multivariate_normal(mean, cov).logpdf(faithful).sum()
    assert faithful_1v2.log_likelihoods[0] == pytest.approx(expected, rel=1e-10)


def test_k1_larger_than_k0_plus_one(normal_1d):
    result = bootstrap_lrt(normal_1d, 1, 3, n_boot=5, random_state=0, **QUICK)
    assert (result.k0, result.k1) == (1, 3)
    # the 3-component fit starts from split 1- and 2-component fits: never worse
    assert result.log_likelihoods[1] >= result.log_likelihoods[0]
    assert np.all(result.bootstrap_statistics >= 0.0)


# ---------------------------------------------------------------------- seeding
def test_same_seed_gives_bit_identical_results(normal_1d):
    first = bootstrap_lrt(normal_1d, 1, n_boot=8, random_state=11, **QUICK)
    second = bootstrap_lrt(normal_1d, 1, n_boot=8, random_state=11, **QUICK)
    assert np.array_equal(first.bootstrap_statistics, second.bootstrap_statistics)
    assert first.statistic == second.statistic
    assert first.p_value == second.p_value
    generator = bootstrap_lrt(
        normal_1d, 1, n_boot=8, random_state=np.random.default_rng(11), **QUICK
    )
    assert np.array_equal(first.bootstrap_statistics, generator.bootstrap_statistics)
    other = bootstrap_lrt(normal_1d, 1, n_boot=8, random_state=12, **QUICK)
    assert not np.array_equal(first.bootstrap_statistics, other.bootstrap_statistics)


def test_replicates_do_not_depend_on_n_boot(normal_1d):
    short = bootstrap_lrt(normal_1d, 1, n_boot=4, random_state=5, **QUICK)
    long = bootstrap_lrt(normal_1d, 1, n_boot=9, random_state=5, **QUICK)
    assert np.array_equal(short.bootstrap_statistics, long.bootstrap_statistics[:4])


# ---------------------------------------------------------------------- warnings
def test_bootstrap_warnings_are_counted_not_shown(faithful):
    # max_iter=2 stops every 2-component fit early
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = bootstrap_lrt(faithful, 1, n_boot=9, n_init=1, max_iter=2)
    shown = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(shown) == 1  # the 2-component fit on the data, not the 9 replicates
    assert "max_iter=2" in str(shown[0].message)
    assert shown[0].filename == __file__  # attributed to the caller of bootstrap_lrt
    assert len(caught) == 1
    assert result.n_warnings >= 9


# ---------------------------------------------------------------------- output
def test_to_dict_and_repr(faithful_1v2):
    summary = faithful_1v2.to_dict()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["p_value"] == faithful_1v2.p_value
    assert summary["bootstrap_statistics"] == faithful_1v2.bootstrap_statistics.tolist()
    assert summary["log_likelihoods"] == list(faithful_1v2.log_likelihoods)
    text = repr(faithful_1v2)
    assert "full, 1 vs 2 components" in text
    assert "p-value = 0.05 (19 replicates)" in text


def test_result_is_immutable(faithful_1v2):
    with pytest.raises(AttributeError):
        faithful_1v2.p_value = 0.5
    with pytest.raises(ValueError, match="read-only"):
        faithful_1v2.bootstrap_statistics[0] = 0.0


def test_plot(faithful_1v2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        assert faithful_1v2.plot(ax) is ax
        (line,) = ax.lines
        assert list(line.get_xdata()) == [faithful_1v2.statistic] * 2
        heights = np.array([p.get_height() for p in ax.patches])
        widths = np.array([p.get_width() for p in ax.patches])
        assert heights @ widths == pytest.approx(1.0)  # a density histogram
        assert ax.get_xlabel() == "LRTS"
    finally:
        plt.close(fig)


def test_progress(normal_1d, capsys):
    stream = io.StringIO()
    bootstrap_lrt(normal_1d, 1, n_boot=20, progress=stream, **QUICK)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert "20/20 replicates" in lines[-1]
    bootstrap_lrt(normal_1d, 1, n_boot=3, **QUICK)
    assert capsys.readouterr() == ("", "")
    bootstrap_lrt(normal_1d, 1, n_boot=3, progress=True, **QUICK)
    assert "3/3 replicates" in capsys.readouterr().err


# ---------------------------------------------------------------------- sequential
def test_sequential_stops_at_first_non_rejection(faithful):
    result = sequential_lrt(faithful, 6, "tied", n_boot=19, n_init=1, random_state=0)
    assert isinstance(result, SequentialLRTResult)
    table = result.table
    assert list(table.columns) == ["k0", "k1", "statistic", "p_value", "reject"]
    assert table.k0.tolist() == list(range(1, len(table) + 1))
    assert result.selected_k >= 2
    # every test but the last rejects; the last does not, and its k0 is selected
    assert table.reject.iloc[:-1].all()
    assert not table.reject.iloc[-1]
    assert result.selected_k == table.k0.iloc[-1]
    assert table.reject.tolist() == [p <= 0.05 for p in table.p_value]
    assert [t.p_value for t in result.tests] == table.p_value.tolist()
    assert f"selected K = {result.selected_k}" in repr(result)


def test_sequential_all_rejected_selects_max_components(faithful):
    result = sequential_lrt(faithful, 2, "tied", n_boot=19, n_init=1)
    assert result.table.reject.tolist() == [True]
    assert result.selected_k == 2


def test_sequential_true_k_one(normal_1d):
    result = sequential_lrt(normal_1d, 4, n_boot=19, random_state=2, **QUICK)
    assert result.selected_k == 1
    assert len(result.tests) == 1


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k0": 0}, r"k0 must be an integer >= 1; got 0\."),
        ({"k0": 1.5}, r"k0 must be an integer >= 1; got 1\.5\."),
        ({"k0": 2, "k1": 2}, r"k1 must be None or an integer > k0 \(=2\); got 2\."),
        ({"k0": 1, "n_boot": 0}, r"n_boot must be an integer >= 1; got 0\."),
        ({"k0": 1, "n_init": 0}, r"n_init must be an integer >= 1; got 0\."),
        ({"k0": 1, "tol": -1.0}, r"tol must be a real number >= 0\.0; got -1\.0\."),
        ({"k0": 1, "covariance_type": "VVX"}, r"covariance_type must be one of .*got 'VVX'"),
        ({"k0": 1, "progress": "yes"}, r"progress must be True, False, None or a file-like"),
        ({"k0": 1, "random_state": -1}, r"random_state must be None, a non-negative int"),
        ({"k0": 4, "k1": 6}, r"k1 must be <= n_samples \(=5\); got 6\."),
    ],
)
def test_bootstrap_lrt_bad_input(kwargs, match):
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match=match):
        bootstrap_lrt(X, **kwargs)


def test_bootstrap_lrt_bad_data():
    with pytest.raises(ValueError, match=r"X contains NaN in rows \[1\]"):
        bootstrap_lrt([[0.0], [np.nan], [1.0]], 1)
    with pytest.raises(ValueError, match="X must have at least 2 samples; got 1"):
        bootstrap_lrt([[0.0]], 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_components": 1}, r"max_components must be an integer >= 2; got 1\."),
        ({"max_components": 6}, r"max_components must be <= n_samples \(=5\); got 6\."),
        ({"alpha": 1.0}, r"alpha must be a real number strictly between 0 and 1; got 1\.0\."),
        ({"alpha": 0}, r"alpha must be a real number strictly between 0 and 1; got 0\."),
        ({"n_boot": 2.0}, r"n_boot must be an integer >= 1; got 2\.0\."),
        ({"covariance_type": "cholesky"}, r"covariance_type must be one of"),
    ],
)
def test_sequential_lrt_bad_input(kwargs, match):
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match=match):
        sequential_lrt(X, **kwargs)
