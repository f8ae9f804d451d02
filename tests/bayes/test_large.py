"""fit_large: subsample NUTS + PSIS against the truth and (slow) against full NUTS."""

import warnings

import numpy as np
import pytest
import xarray as xr
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from bayesgmm import BayesianGaussianMixture, SamplingWarning, get_covariance_model
from bayesgmm.bayes import control_variates, importance, large
from bayesgmm.bayes.approximate import ApproximatePosterior, fit_large, log_likelihood_sums
from bayesgmm.testing import make_gmm_data

N, M, K = 5000, 500, 3
SETTINGS = {"subsample": M, "draws": 1000, "tune": 700, "chains": 2, "random_state": 0}
VARS = ("weights", "means", "covariances")


def fit_recording(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit_large(*args, **kwargs)
    return result, [w for w in caught if issubclass(w.category, SamplingWarning)]


@pytest.fixture(scope="module")
def data():
    return make_gmm_data("full", N, seed=1, separation=4.0)


@pytest.fixture(scope="module")
def approx(data):
    return fit_recording(data[0], K, **SETTINGS)


def weighted_moments(result, name):
    values = result.idata["proposal"][name].values
    values = values.reshape(result.n_draws, *values.shape[2:])
    weights = result.weights
    mean = np.tensordot(weights, values, axes=1)
    sd = np.sqrt(np.tensordot(weights, (values - mean) ** 2, axes=1))
    return mean, sd


def matching(reference_means, means):
    cost = ((reference_means[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    return linear_sum_assignment(cost)[1]


def test_diagnostics_present_and_good(approx):
    result, caught = approx
    assert isinstance(result, ApproximatePosterior)
    assert not [w for w in caught if "Pareto" in str(w.message)]
    assert result.subsample_size == M
    assert result.n_samples == N
    assert result.n_draws == SETTINGS["draws"] * SETTINGS["chains"]
    assert result.control_variates is True
    assert result.pareto_k < large.PARETO_K_MAX
    # the control variates leave nearly uniform weights at N / m = 10
    assert result.ess_is > 0.5 * result.n_draws
    assert 0 < result.r_eff <= 1
    assert result.proposal_diagnostics.divergences == 0
    assert set(result.timings) == {"em", "expansion", "sampling", "weighting"}
    rows = result.subsample_indices
    assert len(rows) == M
    assert len(np.unique(rows)) == M
    assert np.all(np.diff(rows) > 0)
    assert "Pareto k-hat" in str(result)


def test_idata_layout_matches_the_estimator(approx):
    result, _ = approx
    tree = result.idata
    assert {"posterior", "proposal", "importance_weights", "sample_stats", "observed_data"} <= set(
        tree.children
    )
    for group, n_chains, n_draws in [
        ("posterior", 1, result.n_draws),
        ("proposal", SETTINGS["chains"], SETTINGS["draws"]),
    ]:
        post = tree[group]
        assert post["weights"].dims == ("chain", "draw", "component")
        assert post["means"].dims == ("chain", "draw", "component", "feature")
        assert post["covariances"].dims == ("chain", "draw", "component", "feature", "feature_bis")
        assert post["corr_chol"].dims == ("chain", "draw", "component", "feature", "feature_bis")
        assert post.sizes["chain"] == n_chains
        assert post.sizes["draw"] == n_draws
    log_weights = tree["importance_weights"]["log_weights"]
    assert log_weights.dims == ("chain", "draw")
    assert np.isclose(logsumexp(log_weights.values), 0.0)
    assert tree["observed_data"]["obs"].shape == (N, 2)
    assert tree.attrs["pareto_k"] == result.pareto_k


def test_recovers_true_parameters(approx, data):
    result, _ = approx
    _, true_weights, true_means, true_covs = data
    means, _ = weighted_moments(result, "means")
    perm = matching(true_means, means)
    for name, truth in zip(VARS, (true_weights, true_means, true_covs), strict=True):
        mean, sd = weighted_moments(result, name)
        z = np.abs(mean[perm] - truth) / sd[perm]
        assert z.max() < 4.0, (name, z.max())


def test_summary_is_the_weighted_posterior(approx):
    result, _ = approx
    summary = result.summary()
    assert list(summary.columns) == ["mean", "sd", "eti94_lb", "eti94_ub", "ess", "mcse_mean"]
    assert len(summary) == K + K * 2 + K * 2 * 2
    mean, sd = weighted_moments(result, "means")
    assert np.isclose(summary.loc["means[1, x0]", "mean"], mean[1, 0])
    assert np.isclose(summary.loc["means[1, x0]", "sd"], sd[1, 0])
    assert np.all(summary["eti94_lb"] < summary["mean"])
    assert np.all(summary["mean"] < summary["eti94_ub"])
    assert np.all(summary["ess"] > 100)
    # the resampled draws estimate the same posterior
    resampled = result.idata["posterior"]["means"].mean(("chain", "draw")).values
    assert np.all(np.abs(resampled - mean) < 0.25 * sd)
    narrow = result.summary(["weights"], ci_prob=0.5)
    assert list(narrow.columns[2:4]) == ["eti50_lb", "eti50_ub"]
    with pytest.raises(ValueError, match="unknown variables"):
        result.summary(["nope"])


def test_reproducible_with_a_seed(approx, data):
    first, _ = approx
    second, _ = fit_recording(data[0], K, **SETTINGS)
    np.testing.assert_array_equal(first.subsample_indices, second.subsample_indices)
    assert first.pareto_k == second.pareto_k
    xr.testing.assert_equal(
        first.idata["posterior"].to_dataset(), second.idata["posterior"].to_dataset()
    )


def test_second_data_set_reuses_compiled_functions(approx, data):
    """Same shape, other scale: the cached graphs get the new data and standardisation.

    The model works on standardised data, so the posterior of ``3 X + 5`` is that of
    ``X`` transformed.
    """
    first, _ = approx
    second, _ = fit_recording(3.0 * data[0] + 5.0, K, **SETTINGS)
    assert second.pareto_k < large.PARETO_K_MAX
    assert second.ess_is > 0.5 * second.n_draws
    means, _ = weighted_moments(first, "means")
    perm = matching(3.0 * means + 5.0, weighted_moments(second, "means")[0])
    for name, transform in [
        ("weights", lambda v: v),
        ("means", lambda v: 3.0 * v + 5.0),
        ("covariances", lambda v: 9.0 * v),
    ]:
        mean, sd = weighted_moments(second, name)
        expected = transform(weighted_moments(first, name)[0])
        assert np.all(np.abs(mean[perm] - expected) < 0.3 * sd[perm]), name


def test_tempered_subsample_is_flagged(data):
    """Without control variates the proposal is centred on the subsample's estimate."""
    result, caught = fit_recording(data[0], K, control_variates=False, **SETTINGS)
    assert result.pareto_k > large.PARETO_K_MAX
    assert result.ess_is < 0.1 * result.n_draws
    messages = [str(w.message) for w in caught]
    assert any("Pareto k-hat" in m and "increase subsample" in m for m in messages), messages


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"subsample": 5}, ValueError, "subsample must be between 30"),
        ({"subsample": 201}, ValueError, "and n_samples = 200; got 201"),
        ({"subsample": 50.5}, ValueError, "subsample must be an integer"),
        ({"subsample": True}, ValueError, "subsample must be an integer"),
        ({"method": "advi"}, ValueError, "method must be one of"),
        ({"draws": 0}, ValueError, "draws must be an integer >= 1"),
        ({"tune": -1}, ValueError, "tune must be an integer >= 0"),
        ({"chains": 1.5}, ValueError, "chains must be an integer"),
        ({"n_init": 0}, ValueError, "n_init must be an integer >= 1"),
        ({"target_accept": 1.0}, ValueError, "target_accept must be in"),
        ({"sampler": "pymc"}, ValueError, "sampler must be 'nutpie'"),
        ({"control_variates": "yes"}, ValueError, "control_variates must be True or False"),
        ({"priors": {"mean_scale": 1.0}}, TypeError, "priors must be"),
        ({"covariance_type": "VVVV"}, ValueError, "covariance"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    X = make_gmm_data("full", 200, seed=0)[0]
    with pytest.raises(error, match=match):
        fit_large(X, K, **kwargs)


def test_bad_data():
    X = make_gmm_data("full", 200, seed=0)[0]
    with pytest.raises(ValueError, match="at least 30"):
        fit_large(X[:20], K)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="missing='marginalize'"):
        fit_large(X, K)
    with pytest.raises(ValueError, match="n_components must be an integer >= 1"):
        fit_large(X, 0)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "VEV"])
def test_compiled_target_is_the_weighted_subsample_plus_the_quadratic(covariance_type):
    """The kernels' control-variate term: exactly g.d + d'Hd/2 and its gradient."""
    from bayesgmm.bayes.build import standardization
    from bayesgmm.bayes.compiled_model import CompiledMixture
    from bayesgmm.bayes.spec import Priors

    X = make_gmm_data("full", 400, seed=3)[0]
    center, scale = standardization(X)
    rng = np.random.default_rng(5)
    sub = X[rng.choice(len(X), 60, replace=False)]
    weight = np.full(60, len(X) / 60)
    plain = CompiledMixture(sub, 3, covariance_type, Priors(), center, scale, sample_weight=weight)
    n = plain.n_dim
    center_t, slope = rng.normal(size=n), rng.normal(size=n)
    root = rng.normal(size=(n, n))
    hessian = -(root @ root.T) / n
    target = CompiledMixture(
        sub, 3, covariance_type, Priors(), center, scale, sample_weight=weight,
        quadratic=(center_t, slope, hessian),
    )  # fmt: skip
    for _ in range(3):
        theta = rng.normal(scale=0.5, size=n)
        base, base_grad = plain.logp_and_grad(theta)
        value, grad = target.logp_and_grad(theta)
        delta = theta - center_t
        np.testing.assert_allclose(value - base, slope @ delta + 0.5 * delta @ hessian @ delta,
                                   rtol=1e-9, atol=1e-9)  # fmt: skip
        np.testing.assert_allclose(grad - base_grad, slope + hessian @ delta, rtol=1e-9, atol=1e-9)


def test_expansion_is_the_gradient_and_hessian_of_the_difference():
    """grad and Hessian of sum_N l_i - f sum_S l_i, from the two compiled models."""
    from bayesgmm.bayes.build import standardization
    from bayesgmm.bayes.compiled_model import CompiledMixture
    from bayesgmm.bayes.spec import Priors

    X = make_gmm_data("full", 500, seed=4)[0]
    center, scale = standardization(X)
    rows = np.random.default_rng(6).choice(len(X), 100, replace=False)
    full = CompiledMixture(X, 2, "full", Priors(), center, scale)
    sub = CompiledMixture(X[rows], 2, "full", Priors(), center, scale,
                          sample_weight=np.full(100, 5.0))  # fmt: skip

    # the priors cancel: the difference of log-densities is that of the log-likelihoods
    def difference(theta):
        return full.logp_and_grad(theta)[0] - sub.logp_and_grad(theta)[0]

    theta_hat = np.random.default_rng(7).normal(scale=0.3, size=full.n_dim)
    grad, hessian = control_variates.taylor_expansion(
        control_variates.difference_gradient(full, sub), theta_hat
    )
    step = 1e-5
    eye = np.eye(full.n_dim)
    numeric = np.array(
        [(difference(theta_hat + step * e) - difference(theta_hat - step * e)) / (2 * step)
         for e in eye]
    )  # fmt: skip
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hessian, hessian.T)
    j = 3  # one column of the Hessian by second differences of the values
    h = 1e-3

    def at(i, si, sj):
        return difference(theta_hat + h * (si * eye[i] + sj * eye[j]))

    second = np.array(
        [(at(i, 1, 1) - at(i, 1, -1) - at(i, -1, 1) + at(i, -1, -1)) / (4 * h * h)
         for i in range(full.n_dim)]
    )  # fmt: skip
    np.testing.assert_allclose(hessian[:, j], second, rtol=1e-3, atol=1e-3)


def test_default_subsample_is_capped():
    assert large.default_subsample(50_000, K) == large.DEFAULT_SUBSAMPLE
    assert large.default_subsample(400, K) == 400
    assert large.default_subsample(50_000, 200) == 2000  # 10 rows per component


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_log_likelihood_sums_matches_scipy(covariance_type, monkeypatch):
    # tiny blocks: several row blocks and draw blocks are combined
    monkeypatch.setattr(control_variates, "_BLOCK_ROWS", 7)
    monkeypatch.setattr(control_variates, "_BLOCK_VALUES", 40)
    rng = np.random.default_rng(3)
    X = make_gmm_data(covariance_type, 50, seed=2)[0]
    X[0] = [300.0, -200.0]  # far from every component: its density underflows
    n_draws = 5
    weights = rng.dirichlet(np.ones(K), size=n_draws)
    means = rng.normal(scale=3.0, size=(n_draws, K, 2))
    factors = rng.normal(size=(n_draws, K, 2, 2))
    full = factors @ np.swapaxes(factors, -1, -2) + 0.5 * np.eye(2)
    # covariances shaped as the posterior stores them for each structure
    stored = {
        "full": full,
        "tied": full[:, 0],
        "diag": np.diagonal(full, axis1=-2, axis2=-1),
        "spherical": full[:, :, 0, 0],
    }[covariance_type]
    expanded = get_covariance_model(covariance_type).full_covariances(stored, K, 2)
    expected = [
        logsumexp(
            [
                np.log(weights[s, k]) + multivariate_normal(means[s, k], expanded[s, k]).logpdf(X)
                for k in range(K)
            ],
            axis=0,
        ).sum()
        for s in range(n_draws)
    ]
    got = log_likelihood_sums(X, weights, means, expanded)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_psis_of_constant_ratios_is_uniform():
    log_weights, khat, r_eff = importance.psis(np.zeros((2, 50)))
    assert np.isnan(khat)
    assert r_eff == 1.0
    np.testing.assert_allclose(np.exp(log_weights), 1 / 100)


def test_weighted_quantiles_and_resampling():
    values = np.arange(10.0)
    weights = np.zeros(10)
    weights[[2, 7]] = 0.5
    low, high = importance.weighted_quantiles(values, weights, [0.1, 0.9])
    assert low == 2.0
    assert high == 7.0
    log_weights = np.log(np.where(weights > 0, weights, 1e-300))
    picks = importance.resample(log_weights, 1000, np.random.default_rng(0))
    assert set(np.unique(picks)) == {2, 7}
    assert np.sum(picks == 2) == 500


@pytest.mark.slow
def test_agrees_with_full_nuts(approx, data):
    """Posterior means within half a posterior sd of full NUTS, sds within 25%."""
    result, _ = approx
    nuts = BayesianGaussianMixture(
        K, draws=1000, tune=700, chains=2, random_state=0, progressbar=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        nuts.fit(data[0])
    post = nuts.idata_["posterior"]
    reference = post["means"].mean(("chain", "draw")).values
    perm = matching(reference, weighted_moments(result, "means")[0])
    for name in VARS:
        mean, sd = weighted_moments(result, name)
        nuts_mean = post[name].mean(("chain", "draw")).values
        nuts_sd = post[name].std(("chain", "draw")).values
        z = np.abs(mean[perm] - nuts_mean) / nuts_sd
        assert z.max() < 0.5, (name, z.max())
        ratio = sd[perm] / nuts_sd
        assert np.all((ratio > 0.8) & (ratio < 1.25)), (name, ratio)
