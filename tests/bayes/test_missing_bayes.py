"""Missing data in the Bayesian model: the observed-data likelihood by pattern, the
sampled posterior, LOO and multiple imputation."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytensor
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from bayesgmm import (
    COVARIANCE_TYPES,
    BayesianGaussianMixture,
    GaussianMixture,
    SamplingWarning,
    load_faithful,
)
from bayesgmm.bayes import Priors, build_model
from bayesgmm.bayes.build import missingness_key, standardization
from bayesgmm.bayes.fit import em_start
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.missing import draw_missing_cells, group_by_pattern, impute_conditional_means
from bayesgmm.testing import make_gmm_data

#: observed-feature sets of the 3-feature test data: complete, leading prefixes and
#: non-prefix blocks (which need their own Cholesky factor), single features
PATTERNS = [(0, 1, 2), (0, 1), (0,), (0, 2), (1, 2), (1,), (2,)]


def three_features_with_patterns(n: int = 140, seed: int = 0) -> np.ndarray:
    """Two-cluster data with a third correlated feature; every row of PATTERNS."""
    rng = np.random.default_rng(seed)
    X = make_gmm_data("full", n, seed=seed)[0]
    X = np.c_[X, X @ np.array([0.6, -0.4]) + rng.normal(size=n)]
    out = np.full_like(X, np.nan)
    for i, observed in enumerate(rng.integers(len(PATTERNS), size=n)):
        cols = list(PATTERNS[observed])
        out[i, cols] = X[i, cols]
    return out


def faithful_mcar(fraction: float = 0.15, seed: int = 3) -> np.ndarray:
    """Old Faithful with a ``fraction`` of the cells missing completely at random."""
    X = load_faithful().to_numpy()
    mask = np.random.default_rng(seed).random(X.shape) < fraction
    mask[mask.all(axis=1), 0] = False
    return np.where(mask, np.nan, X)


def point_from(model, start):
    """The model's value variables (transformed) reproducing ``start``."""
    return pm.initial_point.make_initial_point_fn(
        model=model, overrides=start, jitter_rvs=set(), return_transformed=True
    )(0)


def observed_logp(model, point):
    """Per-row log-likelihood of ``obs`` at ``point``."""
    fn = model.compile_fn(model.logp(vars=model.observed_RVs, sum=False)[0], mode="FAST_COMPILE")
    return fn(point)


def brute_force_log_likelihood(weights, means, covariances, X):
    """``log sum_k pi_k N(x_o | mu_k[o], Sigma_k[o, o])`` row by row with scipy."""
    out = np.empty(len(X))
    for i, x in enumerate(X):
        o = ~np.isnan(x)
        out[i] = logsumexp(
            [
                np.log(w) + multivariate_normal(m[o], c[np.ix_(o, o)]).logpdf(x[o])
                for w, m, c in zip(weights, means, covariances, strict=True)
            ]
        )
    return out


# ----------------------------------------------------------------------- likelihood
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_observed_data_logp_equals_brute_force(covariance_type):
    X = three_features_with_patterns()
    assert group_by_pattern(X).n_patterns == len(PATTERNS)
    gm = GaussianMixture(
        2, covariance_type=covariance_type, missing="marginalize", random_state=0
    ).fit(X)
    model = build_model(X, 2, covariance_type, missing="marginalize")
    center, scale = standardization(X)
    start = em_start(covariance_type, gm.weights_, gm.means_, gm.covariances_, center, scale)
    got = observed_logp(model, point_from(model, start))
    covariances = get_covariance_model(covariance_type).full_covariances(gm.covariances_, 2, 3)
    expected = brute_force_log_likelihood(gm.weights_, gm.means_, covariances, X)
    assert_allclose(got, expected, rtol=1e-10)
    assert_allclose(got, gm.score_samples(X), rtol=1e-9)
    assert not np.isnan(model["X"].get_value()).any()  # no PyMC automatic imputation
    assert [rv.name for rv in model.observed_RVs] == ["obs"]
    assert {rv.name for rv in model.free_RVs} <= {"weights", "means_std", "sds_std", "corr_chol"}


def test_observed_data_gradient_matches_finite_differences():
    """The per-pattern Cholesky factors (non-prefix blocks) differentiate correctly."""
    X = three_features_with_patterns(n=60)
    model = build_model(X, 2, "full", missing="marginalize")
    rng = np.random.default_rng(1)
    point = {k: v + rng.uniform(-0.3, 0.3, size=v.shape) for k, v in model.initial_point().items()}
    names = [v.name for v in model.value_vars]
    shapes = [point[n].shape for n in names]
    flat = np.concatenate([point[n].ravel() for n in names])
    logp = model.compile_logp(mode="FAST_COMPILE")
    dlogp = model.compile_dlogp(mode="FAST_COMPILE")

    def unflatten(vector):
        out, i = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = int(np.prod(shape))
            out[name] = vector[i : i + size].reshape(shape)
            i += size
        return out

    analytic = dlogp(unflatten(flat))
    eps = 1e-6
    numeric = np.array(
        [
            (logp(unflatten(flat + eps * e)) - logp(unflatten(flat - eps * e))) / (2 * eps)
            for e in np.eye(flat.size)
        ]
    )
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_complete_data_graph_is_unchanged(covariance_type):
    """Without NaN, missing='marginalize' builds the complete-data graph itself."""
    X = load_faithful()
    plain = build_model(X, 2, covariance_type)
    marginal = build_model(X, 2, covariance_type, missing="marginalize")
    for which in ("logp", "dlogp"):
        graphs = [
            pytensor.dprint(getattr(m, which)(), file="str", print_type=True)
            for m in (plain, marginal)
        ]
        assert graphs[0] == graphs[1]
    point = plain.initial_point()
    assert_allclose(observed_logp(marginal, point), observed_logp(plain, point), rtol=0)
    assert missingness_key(X.to_numpy()) is None


def test_standardization_uses_observed_values():
    X = faithful_mcar()
    center, scale = standardization(X)
    assert_allclose(center, np.nanmean(X, axis=0))
    assert_allclose(scale, np.nanstd(X, axis=0))
    model = build_model(X, 2, "diag", missing="marginalize")
    assert_allclose(model["data_center"].get_value(), center)


def test_missingness_key_depends_on_the_layout_only():
    X = faithful_mcar()
    shifted = np.roll(X, 1, axis=0)
    assert missingness_key(X) == missingness_key(X + 1.0)
    assert missingness_key(X) != missingness_key(shifted)
    assert missingness_key(X) != missingness_key(X[:, ::-1])


# ----------------------------------------------------------------------- errors
def test_nan_with_missing_error_names_the_option():
    X = faithful_mcar()
    n_cells = int(np.isnan(X).sum())
    with pytest.raises(ValueError, match=rf"{n_cells} missing values in all\. Pass missing="):
        build_model(X, 2)
    with pytest.raises(ValueError, match=r"X contains NaN in rows .* Pass missing='marginalize'"):
        BayesianGaussianMixture(2).fit(X)


@pytest.mark.parametrize("fit", [True, False], ids=["estimator", "build_model"])
def test_inf_and_empty_rows_are_errors(fit):
    def run(X):
        if fit:
            BayesianGaussianMixture(2, missing="marginalize").fit(X)
        else:
            build_model(X, 2, missing="marginalize")

    X = faithful_mcar()
    X[4, 0] = np.inf
    with pytest.raises(ValueError, match=r"infinite values in rows \[4\]"):
        run(X)
    X = faithful_mcar()
    X[[5, 9]] = np.nan
    with pytest.raises(ValueError, match=r"every feature missing \(NaN\) in rows \[5, 9\]"):
        run(X)
    X = np.c_[faithful_mcar(), np.full(272, np.nan)]
    with pytest.raises(ValueError, match=r"no observed value in column \[2\]"):
        run(X)


def test_invalid_missing_option():
    X = load_faithful()
    with pytest.raises(ValueError, match=r"missing must be one of \['error', 'marginalize'\]"):
        build_model(X, 2, missing="drop")
    with pytest.raises(ValueError, match=r"missing must be one of \['error', 'marginalize'\]"):
        BayesianGaussianMixture(2, missing="drop").fit(X)


def test_predict_input_with_nan_when_missing_is_error():
    bgm = BayesianGaussianMixture(2)
    bgm.idata_, bgm.n_features_in_ = None, 2  # only validation runs before the error
    with pytest.raises(ValueError, match="Set missing='marginalize' to evaluate them"):
        bgm.predict_proba([[1.0, np.nan]])


# ----------------------------------------------------------------------- imputation draws
def test_draw_missing_follows_the_conditional_mixture():
    """Many draws of one row: mean and variance of the conditional mixture."""
    weights = np.array([0.4, 0.6])
    means = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, -1.0]])
    covariances = np.array(
        [
            [[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.5]],
            [[1.5, -0.4, 0.0], [-0.4, 1.0, 0.2], [0.0, 0.2, 0.5]],
        ]
    )
    n = 40_000
    X = np.tile([0.6, np.nan, np.nan], (n, 1))
    data = group_by_pattern(X)
    out = X.copy()
    draw_missing_cells(out, data, weights, means, covariances, np.random.default_rng(0))
    assert_array_equal(out[:, 0], X[:, 0])
    # exact moments: component probabilities given x_0, then the law of total variance
    o, m = [0], [1, 2]
    log_r = [
        np.log(w) + multivariate_normal(mu[o], c[np.ix_(o, o)]).logpdf([0.6])
        for w, mu, c in zip(weights, means, covariances, strict=True)
    ]
    r = np.exp(np.array(log_r) - logsumexp(log_r))
    cond_means = np.array(
        [
            mu[m] + c[np.ix_(m, o)] @ np.linalg.solve(c[np.ix_(o, o)], 0.6 - mu[o])
            for mu, c in zip(means, covariances, strict=True)
        ]
    )
    cond_covs = np.array(
        [
            c[np.ix_(m, m)] - c[np.ix_(m, o)] @ np.linalg.solve(c[np.ix_(o, o)], c[np.ix_(o, m)])
            for c in covariances
        ]
    )
    mean = r @ cond_means
    centred = cond_means - mean
    cov = np.einsum("k,kij->ij", r, cond_covs) + np.einsum("k,ki,kj->ij", r, centred, centred)
    assert_allclose(
        mean,
        impute_conditional_means(X[:1], group_by_pattern(X[:1]), weights, means, covariances)[0, m],
    )
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(out[:, m].mean(axis=0) - mean) < 4 * se)
    assert_allclose(np.cov(out[:, m].T), cov, rtol=0.05, atol=0.02)


# ----------------------------------------------------------------------- sampled fit
@pytest.fixture(scope="module")
def missing_fit():
    """Old Faithful with 15% of the cells MCAR, K=2 full, 2 chains x 300 draws."""
    X = faithful_mcar()
    bgm = BayesianGaussianMixture(
        2,
        draws=300,
        tune=300,
        chains=2,
        random_state=0,
        progressbar=False,
        missing="marginalize",
        max_doublings=0,  # exactly 2 x 300 draws
    )
    with warnings.catch_warnings():
        # a short run: r_hat may exceed 1.01 for one entry; not what is tested here
        warnings.simplefilter("ignore", SamplingWarning)
        bgm.fit(X)
    return bgm, X


def test_posterior_agrees_with_em_marginalize(missing_fit):
    bgm, _ = missing_fit
    assert bgm.em_.missing == "marginalize"
    post = bgm.idata_["posterior"]
    for name, em_value in [
        ("weights", bgm.em_.weights_),
        ("means", bgm.em_.means_),
        ("covariances", bgm.em_.covariances_),
    ]:
        mean = post[name].mean(("chain", "draw")).values
        sd = post[name].std(("chain", "draw")).values
        assert np.all(np.abs(mean - em_value) <= 1.5 * sd), name
    assert int(bgm.idata_["sample_stats"]["diverging"].sum()) == 0


def test_log_likelihood_is_observed_data_density_and_loo_runs(missing_fit):
    bgm, X = missing_fit
    ll = bgm.idata_["log_likelihood"]["obs"]
    assert ll.shape == (2, 300, len(X))
    post = bgm.idata_["posterior"]
    covariances = post["covariances"].values[1, 17]
    expected = brute_force_log_likelihood(
        post["weights"].values[1, 17], post["means"].values[1, 17], covariances, X
    )
    assert_allclose(ll.values[1, 17], expected, rtol=1e-9)
    assert_array_equal(bgm.idata_["observed_data"]["obs"].values, X)  # NaN kept
    loo = az.loo(bgm.idata_)
    assert np.isfinite(loo.elpd)
    assert float(np.max(loo.pareto_k)) < 0.7
    # score_samples / predict_proba take NaN too (observed-data density per row)
    assert np.isfinite(bgm.score_samples(X)).all()
    assert_allclose(bgm.predict_proba(X).sum(axis=1), 1.0)


def test_another_missingness_layout_compiles_nothing(missing_fit):
    # the NaN layout is data of the compiled kernel, not part of its code
    from bayesgmm.bayes import kernels
    from bayesgmm.bayes.compiled_model import CompiledMixture, compile_kernels

    _, X = missing_fit
    callbacks = compile_kernels()
    values = []
    for data in (X, np.roll(X, 1, axis=0), X[::2]):
        mixture = CompiledMixture(data, 2, "full", Priors(), *standardization(data))
        values.append(mixture.logp_and_grad(np.zeros(mixture.n_dim))[0])
    assert compile_kernels() is callbacks
    assert len(kernels.log_density_packed.signatures) == 1
    assert np.isfinite(values).all()
    assert values[0] != values[2]


def test_multiple_imputations(missing_fit):
    bgm, X = missing_fit
    missing = np.isnan(X)
    imputed = bgm.impute(X, random_state=0)
    assert imputed.dims == ("imputation", "obs_id", "feature")
    assert imputed.shape == (600, *X.shape)  # one per posterior draw
    assert list(imputed["feature"].values) == ["x0", "x1"]
    values = imputed.values
    assert not np.isnan(values).any()
    assert_array_equal(values[:, ~missing], np.broadcast_to(X[~missing], values[:, ~missing].shape))
    # imputations differ across draws, by about the conditional spread
    spread = values.std(axis=0)[missing]
    assert np.all(spread > 0)
    scale = np.nanstd(X, axis=0)
    mean_imputation = values.mean(axis=0)
    em_imputation = bgm.em_.impute(X)
    posterior_mean = bgm.impute_mean(X)
    assert_array_equal(posterior_mean[~missing], X[~missing])
    for j in range(X.shape[1]):
        cells = missing[:, j]
        # mean of the draws ~ posterior mean ~ EM conditional expectation
        assert np.max(np.abs(mean_imputation[cells, j] - posterior_mean[cells, j])) < 0.2 * scale[j]
        assert np.max(np.abs(posterior_mean[cells, j] - em_imputation[cells, j])) < 0.1 * scale[j]
    # chain/draw coordinates name the posterior draw of each imputation
    assert imputed["chain"].values.tolist() == [0] * 300 + [1] * 300
    assert imputed["draw"].values.tolist() == list(range(300)) * 2


def test_requested_number_of_imputations(missing_fit):
    bgm, X = missing_fit
    few = bgm.impute(X, n_imputations=5, random_state=1)
    assert few.shape == (5, *X.shape)
    picks = few["chain"].values * 300 + few["draw"].values
    assert picks[0] == 0
    assert picks[-1] == 599
    assert np.all(np.diff(picks) > 100)  # spread over both chains
    many = bgm.impute(X, n_imputations=700, random_state=1)
    assert many.shape == (700, *X.shape)
    again = bgm.impute(X, n_imputations=5, random_state=1)
    assert_array_equal(again.values, few.values)
    with pytest.raises(ValueError, match="n_imputations must be None or an integer >= 1"):
        bgm.impute(X, n_imputations=0)
    complete = load_faithful()
    assert_array_equal(bgm.impute(complete, n_imputations=2).values[1], complete.to_numpy())
