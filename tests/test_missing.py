"""Tests of missing data: GaussianMixture(missing="marginalize"), impute, bayesgmm.em.missing."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from bayesgmm import ConvergenceWarning, GaussianMixture
from bayesgmm.covariance import SufficientStatistics, get_covariance_model
from bayesgmm.em.missing import (
    expected_statistics,
    group_by_pattern,
    impute_conditional_means,
    marginal_log_prob,
    mean_impute,
)
from bayesgmm.testing import make_gmm_data

FITTED_ARRAYS = ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_")


# ----------------------------------------------------------------------------- helpers
def three_features(covariance_type: str, n: int, seed: int, separation: float = 3.0):
    """make_gmm_data plus a third feature correlated with the first two."""
    rng = np.random.default_rng(seed + 1000)
    X = make_gmm_data(covariance_type, n, seed=seed, separation=separation)[0]
    return np.c_[X, X @ np.array([0.6, -0.4]) + rng.normal(size=n)]


def drop_cells(X: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """NaN in a random ``fraction`` of the cells (MCAR); no row loses every cell."""
    rng = np.random.default_rng(seed)
    mask = rng.random(X.shape) < fraction
    mask[mask.all(axis=1), 0] = False
    return np.where(mask, np.nan, X)


def drop_monotone(X: np.ndarray, seed: int) -> np.ndarray:
    """Monotone patterns: the last feature missing in 30% of rows, the last two in 20%."""
    rng = np.random.default_rng(seed)
    out = X.copy()
    out[rng.random(len(X)) < 0.3, -1] = np.nan
    out[rng.random(len(X)) < 0.2, 1:] = np.nan
    return out


def brute_log_prob(weights, means, covariances, X) -> np.ndarray:
    """``log pi_k + log N(x_o | mu_k[o], Sigma_k[o, o])`` ``(n, K)`` row by row with scipy."""
    out = np.empty((len(X), len(weights)))
    for i, x in enumerate(X):
        o = ~np.isnan(x)
        for k in range(len(weights)):
            cov = covariances[k][np.ix_(o, o)]
            out[i, k] = np.log(weights[k]) + multivariate_normal(means[k][o], cov).logpdf(x[o])
    return out


def full_covariances(gm: GaussianMixture) -> np.ndarray:
    K, D = gm.means_.shape
    return get_covariance_model(gm.covariance_type).full_covariances(gm.covariances_, K, D)


def inits(covariance_type: str, X: np.ndarray) -> dict:
    """Fixed initial parameters (from a short complete-case fit)."""
    complete = X[~np.isnan(X).any(axis=1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(3, covariance_type=covariance_type, max_iter=3, random_state=0)
        gm.fit(complete)
    return {
        "weights_init": gm.weights_,
        "means_init": gm.means_,
        "precisions_init": gm.precisions_,
    }


# ----------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_complete_data_fit_is_identical(covariance_type, weighted):
    X = three_features(covariance_type, 300, seed=0)
    weight = np.random.default_rng(0).integers(1, 4, len(X)).astype(float) if weighted else None
    params = {"covariance_type": covariance_type, "random_state": 0, "n_init": 2}
    plain = GaussianMixture(3, **params).fit(X, sample_weight=weight)
    marginal = GaussianMixture(3, missing="marginalize", **params).fit(X, sample_weight=weight)
    for name in FITTED_ARRAYS:
        assert_array_equal(getattr(marginal, name), getattr(plain, name), err_msg=name)
    assert marginal.lower_bounds_ == plain.lower_bounds_
    assert marginal.n_iter_ == plain.n_iter_
    assert_array_equal(marginal.score_samples(X), plain.score_samples(X))


def test_one_step_on_complete_data_matches_the_complete_data_m_step(covariance_type):
    """The missing-data E/M-step functions, fed complete rows, give the usual EM step."""
    X = three_features(covariance_type, 200, seed=1)
    start = inits(covariance_type, X)
    with pytest.warns(ConvergenceWarning):
        gm = GaussianMixture(3, covariance_type=covariance_type, max_iter=1, **start).fit(X)
    model = get_covariance_model(covariance_type)
    covariances = model.full_covariances(
        model.covariances_from_precisions_cholesky(
            model.precisions_cholesky_from_precisions(start["precisions_init"])
        ),
        3,
        3,
    )
    stats = expected_statistics(
        group_by_pattern(X), start["weights_init"], start["means_init"], covariances
    )
    means = stats.first / stats.nk[:, None]
    updated = model.covariances_from_second_moments(stats.second, stats.nk, means, 1e-6)
    assert_allclose(stats.nk / stats.nk.sum(), gm.weights_, rtol=1e-9)
    assert_allclose(means, gm.means_, rtol=1e-9, atol=1e-9)
    assert_allclose(updated, gm.covariances_, rtol=1e-7, atol=1e-9)
    assert stats.log_likelihood / len(X) == pytest.approx(gm.lower_bounds_[0], abs=1e-10)


def test_covariances_from_second_moments_match_estimate_covariances(covariance_type):
    """Complete data: the second-moment M-step equals the streaming one, every type."""
    X = three_features(covariance_type, 100, seed=2)
    rng = np.random.default_rng(2)
    resp = rng.dirichlet(np.ones(3), size=len(X)).T
    nk = resp.sum(axis=1)
    means = resp @ X / nk[:, None]
    second = np.einsum("kn,nd,ne->kde", resp, X, X)
    model = get_covariance_model(covariance_type)
    moments = {
        "full": resp @ np.c_[X, np.ones(len(X))],
        "tied": resp @ np.c_[X, np.ones(len(X))],
        "diag": resp @ np.c_[X, X**2, np.ones(len(X))],
        "spherical": resp @ np.c_[X, (X**2).sum(axis=1), np.ones(len(X))],
    }[model.name]
    stats = SufficientStatistics(nk, moments, second, 0.0, float(len(X)))
    expected = model.estimate_covariances(stats, nk, means, 1e-6, X.T @ X)
    got = model.covariances_from_second_moments(second, nk, means, 1e-6)
    assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.ComponentCollapseWarning")
@pytest.mark.parametrize("pattern", ["mcar", "monotone"])
def test_log_likelihood_equals_brute_force(covariance_type, pattern):
    X = three_features(covariance_type, 150, seed=3)
    Xm = drop_cells(X, 0.25, seed=3) if pattern == "mcar" else drop_monotone(X, seed=3)
    start = inits(covariance_type, Xm)
    # the first lower bound is the observed-data log-likelihood at the initial values
    with pytest.warns(ConvergenceWarning):
        one = GaussianMixture(
            3, covariance_type=covariance_type, missing="marginalize", max_iter=1, **start
        ).fit(Xm)
    model = get_covariance_model(covariance_type)
    precisions = start["precisions_init"]
    diagonal = model.name in ("diag", "spherical")
    initial = model.full_covariances(
        1.0 / precisions if diagonal else np.linalg.inv(precisions), 3, 3
    )
    brute = logsumexp(brute_log_prob(start["weights_init"], start["means_init"], initial, Xm), 1)
    assert one.lower_bounds_[0] == pytest.approx(brute.mean(), abs=1e-10)
    # and the fitted model's log-densities, row by row
    gm = GaussianMixture(3, covariance_type=covariance_type, missing="marginalize", **start)
    gm.fit(Xm)
    log_prob = brute_log_prob(gm.weights_, gm.means_, full_covariances(gm), Xm)
    assert_allclose(gm.score_samples(Xm), logsumexp(log_prob, axis=1), rtol=0, atol=1e-10)
    assert gm.score(Xm) == pytest.approx(logsumexp(log_prob, axis=1).mean(), abs=1e-10)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("pattern", ["mcar", "monotone", "weighted"])
def test_em_never_decreases_the_observed_data_log_likelihood(covariance_type, seed, pattern):
    X = three_features(covariance_type, 250, seed=seed, separation=2.5)
    Xm = drop_monotone(X, seed) if pattern == "monotone" else drop_cells(X, 0.25, seed)
    weight = None
    if pattern == "weighted":
        weight = np.random.default_rng(seed).integers(0, 4, len(X)).astype(float)
    gm = GaussianMixture(
        3,
        covariance_type=covariance_type,
        missing="marginalize",
        init_params="random",
        tol=1e-9,
        max_iter=150,
        random_state=seed,
    ).fit(Xm, sample_weight=weight)
    steps = np.diff(gm.lower_bounds_)
    assert len(steps) >= 5
    assert steps.min() >= -1e-12, steps.min()


# ----------------------------------------------------------------------------- statistics
_WEIGHTS = np.array([0.5, 0.3, 0.2])
_MEANS = np.array([[0.0, 0.0, 0.0, 0.0], [4.0, 2.0, -2.0, 1.0], [-2.0, 4.0, 2.0, -3.0]])


def _correlated(rho: float, scale: list[float]) -> np.ndarray:
    corr = np.full((4, 4), rho)
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(scale, scale)


_COVARIANCES = np.array(
    [
        _correlated(0.7, [1.0, 1.5, 1.0, 0.8]),
        _correlated(-0.3, [1.2, 0.7, 1.0, 1.0]),
        _correlated(0.5, [0.8, 1.0, 1.3, 1.1]),
    ]
)


def simulate(seed: int, n: int = 600, fraction: float = 0.2):
    """Three correlated 4-D components; ``fraction`` of the cells missing completely at random."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=_WEIGHTS)
    X = np.empty((n, 4))
    for k in range(3):
        rows = labels == k
        X[rows] = rng.multivariate_normal(_MEANS[k], _COVARIANCES[k], size=rows.sum())
    return X, drop_cells(X, fraction, seed + 100)


def parameter_error(gm: GaussianMixture) -> tuple[float, float, float]:
    """RMS error of the means, RMS Frobenius error of the covariances, max weight error."""
    cost = ((gm.means_[:, None] - _MEANS[None]) ** 2).sum(axis=-1)
    fitted, true = linear_sum_assignment(cost)
    covariances = full_covariances(gm)
    mean_error = np.sqrt(((gm.means_[fitted] - _MEANS[true]) ** 2).sum(axis=-1).mean())
    cov_error = np.sqrt(((covariances[fitted] - _COVARIANCES[true]) ** 2).sum(axis=(1, 2)).mean())
    weight_error = np.abs(gm.weights_[fitted] - _WEIGHTS[true]).max()
    return float(mean_error), float(cov_error), float(weight_error)


def compare_methods(seed: int) -> dict[str, tuple[float, float, float]]:
    X, Xm = simulate(seed)
    params = {"n_components": 3, "random_state": 0, "n_init": 3, "tol": 1e-6, "max_iter": 500}
    complete_rows = Xm[~np.isnan(Xm).any(axis=1)]
    return {
        "marginalize": parameter_error(GaussianMixture(missing="marginalize", **params).fit(Xm)),
        "complete-case": parameter_error(GaussianMixture(**params).fit(complete_rows)),
        "mean-imputation": parameter_error(GaussianMixture(**params).fit(mean_impute(Xm))),
        "no missing": parameter_error(GaussianMixture(**params).fit(X)),
    }


def test_marginalizing_beats_complete_case_and_mean_imputation():
    """20% of cells MCAR: smaller parameter error than dropping rows or mean-imputing."""
    results = [compare_methods(seed) for seed in range(6)]
    mean = {name: np.mean([r[name] for r in results], axis=0) for name in results[0]}
    for other in ("complete-case", "mean-imputation"):
        assert mean["marginalize"][0] < mean[other][0], (other, mean)  # means
        assert mean["marginalize"][1] < mean[other][1], (other, mean)  # covariances
    # summed mean + covariance error, seed by seed: marginalising wins in most draws
    total = {name: np.array([r[name][0] + r[name][1] for r in results]) for name in mean}
    assert np.sum(total["marginalize"] < total["complete-case"]) >= 4
    assert np.all(total["marginalize"] < total["mean-imputation"])


def test_imputation_beats_column_means():
    X, _, _, _ = make_gmm_data("full", 600, seed=4, separation=10.0)
    Xm = drop_cells(X, 0.3, seed=4)
    missing = np.isnan(Xm)
    gm = GaussianMixture(3, missing="marginalize", random_state=0).fit(Xm)
    filled = gm.impute(Xm)
    rmse = np.sqrt(np.mean((filled - X)[missing] ** 2))
    baseline = np.sqrt(np.mean((mean_impute(Xm) - X)[missing] ** 2))
    assert not np.isnan(filled).any()
    assert_array_equal(filled[~missing], Xm[~missing])
    assert rmse < 0.5 * baseline, (rmse, baseline)


# ----------------------------------------------------------------------------- all types
def test_fits_every_covariance_type_with_sample_weight(covariance_type):
    """Integer sample weights with missing cells equal repeated rows."""
    X = three_features(covariance_type, 120, seed=5)
    Xm = drop_cells(X, 0.2, seed=5)
    weight = np.random.default_rng(5).integers(0, 3, len(X))
    start = inits(covariance_type, Xm)
    params = {"covariance_type": covariance_type, "missing": "marginalize", "tol": 1e-8, **start}
    weighted = GaussianMixture(3, **params).fit(Xm, sample_weight=weight)
    repeated = GaussianMixture(3, **params).fit(np.repeat(Xm, weight, axis=0))
    for name in FITTED_ARRAYS:
        assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-6, atol=1e-8)
    assert weighted.lower_bound_ == pytest.approx(repeated.lower_bound_, abs=1e-9)
    assert weighted.covariances_.shape == get_covariance_model(covariance_type).covariance_shape(
        3, 3
    )


def test_restarts_warm_start_and_fit_predict():
    X = three_features("full", 300, seed=6)
    Xm = drop_cells(X, 0.2, seed=6)
    params = {"missing": "marginalize", "random_state": 0, "init_params": "random"}
    # the first of three restarts is the single fit (same generator): best is no worse
    single = GaussianMixture(3, n_init=1, **params).fit(Xm)
    best = GaussianMixture(3, n_init=3, **params).fit(Xm)
    assert best.lower_bound_ >= single.lower_bound_
    gm = GaussianMixture(3, **params)
    assert_array_equal(gm.fit_predict(Xm), gm.predict(Xm))
    with pytest.warns(ConvergenceWarning):
        warm = GaussianMixture(3, warm_start=True, max_iter=2, **params).fit(Xm)
    first = warm.lower_bounds_[-1]
    with pytest.warns(ConvergenceWarning):
        warm.fit(Xm)
    assert warm.lower_bounds_[0] >= first - 1e-12


def test_init_params_run_on_mean_imputed_data():
    X = three_features("diag", 200, seed=7)
    Xm = drop_cells(X, 0.2, seed=7)
    for init in ("kmeans", "k-means++", "random", "random_from_data"):
        gm = GaussianMixture(
            3, covariance_type="diag", init_params=init, missing="marginalize", random_state=0
        ).fit(Xm)
        assert gm.converged_
        assert np.isfinite(gm.lower_bound_)


# ----------------------------------------------------------------------------- prediction
@pytest.fixture(scope="module")
def fitted_with_missing():
    X = three_features("full", 300, seed=8)
    Xm = drop_cells(X, 0.2, seed=8)
    return GaussianMixture(3, missing="marginalize", random_state=0).fit(Xm), Xm


def test_predictions_on_rows_with_nan(fitted_with_missing):
    gm, Xm = fitted_with_missing
    log_prob = brute_log_prob(gm.weights_, gm.means_, full_covariances(gm), Xm)
    proba = np.exp(log_prob - logsumexp(log_prob, axis=1, keepdims=True))
    assert_allclose(gm.predict_proba(Xm), proba, atol=1e-10)
    assert_array_equal(gm.predict(Xm), log_prob.argmax(axis=1))
    n_params = get_covariance_model("full").n_parameters(3, 3)
    log_lik = logsumexp(log_prob, axis=1).sum()
    assert gm.bic(Xm) == pytest.approx(-2 * log_lik + n_params * np.log(len(Xm)), rel=1e-12)
    assert gm.aic(Xm) == pytest.approx(-2 * log_lik + 2 * n_params, rel=1e-12)
    assert gm.icl(Xm) >= gm.bic(Xm)
    weight = np.arange(len(Xm)) % 3
    expected = weight @ logsumexp(log_prob, axis=1) / weight.sum()
    assert gm.score(Xm, sample_weight=weight) == pytest.approx(expected, abs=1e-10)


def test_complete_rows_score_as_without_nan(fitted_with_missing):
    gm, Xm = fitted_with_missing
    complete = ~np.isnan(Xm).any(axis=1)
    assert_allclose(gm.score_samples(Xm)[complete], gm.score_samples(Xm[complete]), atol=1e-10)
    assert_allclose(gm.predict_proba(Xm)[complete], gm.predict_proba(Xm[complete]), atol=1e-12)


def test_model_fitted_on_complete_data_scores_nan_rows_when_switched():
    X = three_features("tied", 200, seed=9)
    gm = GaussianMixture(3, covariance_type="tied", random_state=0).fit(X)
    row = np.array([[X[0, 0], np.nan, X[0, 2]]])
    with pytest.raises(ValueError, match=r"rows \[0\] \(1 row\): 1 missing value in all\. Set"):
        gm.score_samples(row)
    gm.set_params(missing="marginalize")
    expected = logsumexp(brute_log_prob(gm.weights_, gm.means_, full_covariances(gm), row))
    assert gm.score_samples(row)[0] == pytest.approx(expected, abs=1e-10)


def test_impute_returns_conditional_expectations():
    """One component: the imputation is the Gaussian regression on the observed cells."""
    rng = np.random.default_rng(10)
    cov = np.array([[2.0, 0.8, 0.3], [0.8, 1.0, -0.2], [0.3, -0.2, 1.5]])
    X = rng.multivariate_normal([1.0, -2.0, 3.0], cov, size=400)
    gm = GaussianMixture(1, random_state=0).fit(X)
    query = np.array([[0.5, np.nan, np.nan], [np.nan, -1.0, 2.0], [1.0, 2.0, 3.0]])
    filled = gm.impute(query)
    mu, sigma = gm.means_[0], gm.covariances_[0]
    for row, out in zip(query, filled, strict=True):
        o, m = ~np.isnan(row), np.isnan(row)
        if m.any():
            regression = sigma[np.ix_(m, o)] @ np.linalg.solve(sigma[np.ix_(o, o)], row[o] - mu[o])
            assert_allclose(out[m], mu[m] + regression, rtol=1e-12)
        assert_array_equal(out[o], row[o])
    assert_array_equal(gm.impute(X[:5]), X[:5])
    assert gm.impute(X[:5]) is not X[:5]


def test_impute_mixture_weights_components_by_posterior():
    X = three_features("full", 300, seed=11)
    gm = GaussianMixture(3, random_state=0).fit(X)
    query = drop_cells(X[:20], 0.4, seed=11)
    log_prob = brute_log_prob(gm.weights_, gm.means_, gm.covariances_, query)
    proba = np.exp(log_prob - logsumexp(log_prob, axis=1, keepdims=True))
    filled = gm.impute(query)
    for i, row in enumerate(query):
        o, m = ~np.isnan(row), np.isnan(row)
        if not m.any():
            continue
        expected = sum(
            proba[i, k]
            * (
                gm.means_[k][m]
                + gm.covariances_[k][np.ix_(m, o)]
                @ np.linalg.solve(gm.covariances_[k][np.ix_(o, o)], row[o] - gm.means_[k][o])
            )
            for k in range(3)
        )
        assert_allclose(filled[i, m], expected, rtol=1e-9, atol=1e-10)


def test_dataframe_input_and_output():
    X = three_features("diag", 150, seed=12)
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=np.arange(150) + 1000)
    frame.loc[1003, "b"] = None
    frame["c"] = frame["c"].astype("Float64")
    frame.loc[1005, "c"] = pd.NA
    gm = GaussianMixture(2, covariance_type="diag", missing="marginalize", random_state=0)
    gm.fit(frame)
    assert list(gm.feature_names_in_) == ["a", "b", "c"]
    filled = gm.impute(frame)
    assert isinstance(filled, pd.DataFrame)
    assert list(filled.columns) == ["a", "b", "c"]
    assert list(filled.index) == list(frame.index)
    assert not filled.isna().to_numpy().any()
    assert filled.loc[1000, "a"] == frame.loc[1000, "a"]


def test_pickle_and_clone(fitted_with_missing):
    gm, Xm = fitted_with_missing
    loaded = pickle.loads(pickle.dumps(gm))
    assert_array_equal(loaded.score_samples(Xm), gm.score_samples(Xm))
    assert_array_equal(loaded.impute(Xm), gm.impute(Xm))
    clone = pytest.importorskip("sklearn.base").clone
    copy = clone(gm)
    assert copy.get_params()["missing"] == "marginalize"
    assert not hasattr(copy, "means_")
    assert "missing='marginalize'" in repr(gm)


# ----------------------------------------------------------------------------- errors
def test_nan_error_counts_cells_and_names_the_option():
    X = three_features("full", 40, seed=13)
    X[3, 0] = X[3, 2] = X[17, 1] = np.nan
    message = (
        r"X contains NaN in rows \[3, 17\] \(2 rows\): 3 missing values in all\. "
        r"Pass missing='marginalize' to fit with them, or impute or drop those rows\."
    )
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2).fit(X)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.ComponentCollapseWarning")
@pytest.mark.parametrize("missing", ["error", "marginalize"])
def test_infinite_values_are_never_missing(missing):
    X = three_features("full", 40, seed=14)
    X[5, 1] = np.inf
    X[6, 0] = np.nan
    gm = GaussianMixture(2, missing=missing)
    message = r"infinite values in rows \[5\] \(1 row\)\. Infinite values are never treated"
    if missing == "error":
        message = r"NaN in rows \[6\]"  # the NaN is reported first
    with pytest.raises(ValueError, match=message):
        gm.fit(X)
    fitted = GaussianMixture(2, missing=missing, random_state=0).fit(X[10:])
    with pytest.raises(ValueError, match=r"infinite values in rows \[0\] \(1 row\)"):
        fitted.impute([[1.0, np.inf, np.nan]])
    with pytest.raises(ValueError, match=r"infinite values in rows \[1\]"):
        fitted.set_params(missing="marginalize").predict([[1.0, 2.0, 3.0], [-np.inf, 0, 0]])


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.ComponentCollapseWarning")
def test_rows_with_every_feature_missing_are_rejected():
    X = three_features("full", 40, seed=15)
    X[[2, 9]] = np.nan
    message = r"every feature missing \(NaN\) in rows \[2, 9\] \(2 rows\).*Drop them"
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, missing="marginalize").fit(X)
    gm = GaussianMixture(2, missing="marginalize", random_state=0).fit(np.delete(X, [2, 9], 0))
    for method in (gm.predict, gm.score_samples, gm.impute):
        with pytest.raises(ValueError, match=r"every feature missing \(NaN\) in rows \[2, 9\]"):
            method(X)


def test_column_never_observed_is_rejected():
    X = three_features("full", 40, seed=16)
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"no observed value in column \[1\].*Drop it"):
        GaussianMixture(2, missing="marginalize").fit(X)
    X = three_features("full", 40, seed=16)
    X[:20, 2] = np.nan
    weight = np.r_[np.ones(20), np.zeros(20)]
    with pytest.raises(ValueError, match=r"column \[2\] \(among rows with positive sample_weight"):
        GaussianMixture(2, missing="marginalize").fit(X, sample_weight=weight)


def test_invalid_missing_option():
    with pytest.raises(ValueError, match=r"missing must be one of \['error', 'marginalize'\]; got"):
        GaussianMixture(missing="drop").fit(np.zeros((5, 1)) + np.arange(5)[:, None])


# ----------------------------------------------------------------------------- properties
@st.composite
def incomplete_problems(draw):
    n_features = draw(st.integers(1, 4))
    n_components = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, n_features)) * 2
    mask = rng.random(X.shape) < 0.4
    mask[mask.all(axis=1), 0] = False
    factors = rng.normal(size=(n_components, n_features, n_features))
    covariances = factors @ np.swapaxes(factors, 1, 2) + 0.3 * np.eye(n_features)
    means = rng.normal(size=(n_components, n_features))
    weights = rng.dirichlet(np.ones(n_components))
    return np.where(mask, np.nan, X), weights, means, covariances


@settings(max_examples=40, deadline=None)
@given(incomplete_problems())
def test_marginal_densities_and_statistics_property(problem):
    X, weights, means, covariances = problem
    data = group_by_pattern(X)
    log_prob = marginal_log_prob(data, weights, means, covariances)
    assert_allclose(log_prob.T, brute_log_prob(weights, means, covariances, X), atol=1e-9)
    stats = expected_statistics(data, weights, means, covariances)
    assert stats.nk.sum() == pytest.approx(len(X))
    assert stats.log_likelihood == pytest.approx(logsumexp(log_prob, axis=0).sum(), abs=1e-9)
    # expected second moments are positive semi-definite, observed cells kept as given
    assert np.linalg.eigvalsh(stats.second.sum(axis=0)).min() > -1e-9
    filled = impute_conditional_means(X, data, weights, means, covariances)
    assert_array_equal(filled[~np.isnan(X)], X[~np.isnan(X)])
    assert np.isfinite(filled).all()
