"""The compiled kernels compute the PyMC model's log-density and gradient exactly."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesgmm import BayesianGaussianMixture, load_faithful
from bayesgmm.bayes import Priors, build_model
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture, spiral_indices
from bayesgmm.bayes.fit import em_start

PRIORS = Priors(weight_concentration=1.3, mean_scale=1.7, sd_scale=0.8, lkj_eta=1.6)


def _data(n_features: int, missing: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, n_features)) * np.arange(1, n_features + 1) + 3.0
    if missing:
        # a few patterns (PyTensor's compile time of the reference grows with them)
        X[rng.random(40) < 0.3, 0] = np.nan
        if n_features > 2:
            X[rng.random(40) < 0.2, 2] = np.nan
        X[np.isnan(X).all(axis=1), -1] = 1.0
    return X


def _pymc_reference(
    X, K, cov, ordered=False, weights=None, priors=PRIORS, hypervolume=None, standardize=None
):
    """PyMC's logp and dlogp (jacobian included) over the flat unconstrained point."""
    model = build_model(
        X,
        K,
        cov,
        priors,
        missing="marginalize" if np.isnan(X).any() else "error",
        ordered_means=ordered,
        noise=hypervolume is not None,
        hypervolume=hypervolume,
        standardize=standardize,
    )
    logp = model.compile_logp(jacobian=True, mode="FAST_COMPILE")
    dlogp = model.compile_dlogp(jacobian=True, mode="FAST_COMPILE")
    point = model.initial_point()
    shapes = [(v.name, point[v.name].shape) for v in model.value_vars]

    def as_point(theta):
        out, pos = {}, 0
        for name, shape in shapes:
            size = int(np.prod(shape))
            out[name] = theta[pos : pos + size].reshape(shape)
            pos += size
        assert pos == theta.size
        return out

    return lambda theta: (logp(as_point(theta)), dlogp(as_point(theta)))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize("n_features", [1, 3])
def test_logp_and_gradient_equal_pymc(covariance_type, n_features, missing):
    if missing and n_features == 1:
        pytest.skip("one feature: a row with its only cell missing is not allowed")
    X = _data(n_features, missing)
    K = 3
    reference = _pymc_reference(X, K, covariance_type)
    compiled = CompiledMixture(X, K, covariance_type, PRIORS, *standardization(X))
    rng = np.random.default_rng(1)
    for _ in range(4):
        theta = rng.normal(scale=0.8, size=compiled.n_dim)
        expected, expected_grad = reference(theta)
        logp, grad = compiled.logp_and_grad(theta)
        assert_allclose(logp, expected, rtol=1e-9)
        assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-9 * np.abs(expected_grad).max())


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical", "EII", "EEI"])
def test_chi_scale_prior_equals_pymc(covariance_type):
    """sd_dof != 1: the scale prior is sd_scale x chi(sd_dof), in both implementations."""
    priors = Priors(weight_concentration=0.7, mean_scale=1.7, sd_scale=0.8, lkj_eta=1.6, sd_dof=2.5)
    X = _data(2, False)
    reference = _pymc_reference(X, 3, covariance_type, priors=priors)
    compiled = CompiledMixture(X, 3, covariance_type, priors, *standardization(X))
    rng = np.random.default_rng(2)
    for _ in range(3):
        theta = rng.normal(scale=0.8, size=compiled.n_dim)
        expected, expected_grad = reference(theta)
        logp, grad = compiled.logp_and_grad(theta)
        assert_allclose(logp, expected, rtol=1e-9)
        assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-9 * np.abs(expected_grad).max())


@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_ordered_means_equal_pymc(covariance_type):
    X = _data(1, False)
    reference = _pymc_reference(X, 3, covariance_type, ordered=True)
    compiled = CompiledMixture(
        X, 3, covariance_type, PRIORS, *standardization(X), ordered_means=True
    )
    theta = np.random.default_rng(2).normal(scale=0.8, size=compiled.n_dim)
    expected, expected_grad = reference(theta)
    logp, grad = compiled.logp_and_grad(theta)
    assert_allclose(logp, expected, rtol=1e-9)
    assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-12)


def test_sample_weights_scale_each_row_and_equal_repeated_rows():
    X = _data(2, False)
    counts = np.random.default_rng(3).integers(1, 4, size=len(X))
    center, scale = standardization(X)
    weighted = CompiledMixture(X, 2, "full", PRIORS, center, scale, sample_weight=counts)
    repeated = CompiledMixture(np.repeat(X, counts, axis=0), 2, "full", PRIORS, center, scale)
    theta = np.random.default_rng(4).normal(size=weighted.n_dim)
    logp_w, grad_w = weighted.logp_and_grad(theta)
    logp_r, grad_r = repeated.logp_and_grad(theta)
    assert_allclose(logp_w, logp_r, rtol=1e-10)
    assert_allclose(grad_w, grad_r, rtol=1e-9, atol=1e-9)


def test_gradient_matches_finite_differences_at_a_far_point():
    X = _data(3, True, seed=5)
    compiled = CompiledMixture(X, 2, "full", PRIORS, *standardization(X))
    theta = np.random.default_rng(6).normal(scale=1.5, size=compiled.n_dim)
    _, grad = compiled.logp_and_grad(theta)
    step = 1e-6
    numeric = [
        (compiled.logp_and_grad(theta + step * e)[0] - compiled.logp_and_grad(theta - step * e)[0])
        / (2 * step)
        for e in np.eye(compiled.n_dim)
    ]
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_unconstrain_inverts_constrain(covariance_type):
    X = load_faithful().to_numpy()
    center, scale = standardization(X)
    compiled = CompiledMixture(X, 3, covariance_type, PRIORS, center, scale)
    theta = np.random.default_rng(7).normal(size=compiled.n_dim)
    weights, means, sds, corr, _ = compiled.constrain(theta)
    start = {"weights": weights[0], "means_std": means[0], "sds_std": sds[0]}
    if covariance_type in ("full", "tied"):
        start["corr_chol"] = corr[0] if covariance_type == "full" else corr[0, 0]
    assert_allclose(compiled.unconstrain(start), theta, rtol=1e-10, atol=1e-12)


def test_em_start_maps_to_the_em_parameters(covariance_type):
    from bayesgmm import GaussianMixture

    X = load_faithful().to_numpy()
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    center, scale = standardization(X)
    compiled = CompiledMixture(X, 2, covariance_type, PRIORS, center, scale)
    start = em_start(covariance_type, gm.weights_, gm.means_, gm.covariances_, center, scale)
    theta = compiled.unconstrain(start)
    posterior = compiled.posterior(theta[None, None, :], ["a", "b"])
    assert_allclose(posterior["means"].values[0, 0], gm.means_, rtol=1e-9)
    assert_allclose(posterior["covariances"].values[0, 0], gm.covariances_, rtol=1e-8)
    assert_allclose(posterior["weights"].values[0, 0], gm.weights_, rtol=1e-6)


def test_spiral_indices_fill_the_strict_lower_triangle_once():
    for n_features in range(1, 7):
        rows, cols = spiral_indices(n_features)
        cells = set(zip(rows.tolist(), cols.tolist(), strict=True))
        assert cells == {(i, j) for i in range(n_features) for j in range(i)}


@pytest.mark.slow
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_posterior_means_agree_with_pymc_sampler(covariance_type):
    """Both samplers of the same model agree within Monte Carlo error (4 x 1000 draws)."""
    X = load_faithful()
    settings = {
        "covariance_type": covariance_type,
        "chains": 4,
        "random_state": 0,
        "progressbar": False,
    }
    fast = BayesianGaussianMixture(2, sampler="nutpie", **settings).fit(X)
    slow = BayesianGaussianMixture(2, sampler="pymc", **settings).fit(X)
    for name in ("weights", "means", "covariances"):
        a = fast.idata_["posterior"][name]
        b = slow.idata_["posterior"][name]
        sd = np.sqrt((a.var(("chain", "draw")) + b.var(("chain", "draw"))) / 2)
        # mcse of a difference of two means with ESS >= 400 each: sd * sqrt(2 / 400)
        z = np.abs(a.mean(("chain", "draw")) - b.mean(("chain", "draw"))) / (sd * np.sqrt(2 / 400))
        assert float(z.max()) < 4.5, (name, float(z.max()))


# ---------------------------------------------------------------------- noise component
#: a hypervolume comparable to the data's region (4 sds wide per feature, scale 1..D)
def _hypervolume(n_features):
    return float(np.prod(4.0 * np.arange(1, n_features + 1)))


def _max_differences(reference, compiled, seed, n_points=4):
    rng = np.random.default_rng(seed)
    worst_logp = worst_grad = 0.0
    for _ in range(n_points):
        theta = rng.normal(scale=0.8, size=compiled.n_dim)
        expected, expected_grad = reference(theta)
        logp, grad = compiled.logp_and_grad(theta)
        assert_allclose(logp, expected, rtol=1e-9)
        assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-9 * np.abs(expected_grad).max())
        worst_logp = max(worst_logp, abs(logp - expected))
        worst_grad = max(worst_grad, float(np.abs(grad - expected_grad).max()))
    return worst_logp, worst_grad


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize("n_features", [1, 3])
def test_noise_logp_and_gradient_equal_pymc(covariance_type, n_features, missing):
    if missing and n_features == 1:
        pytest.skip("one feature: a row with its only cell missing is not allowed")
    X = _data(n_features, missing)
    volume = _hypervolume(n_features)
    reference = _pymc_reference(X, 3, covariance_type, hypervolume=volume)
    compiled = CompiledMixture(
        X, 3, covariance_type, PRIORS, *standardization(X), hypervolume=volume
    )
    assert (
        compiled.n_dim
        == CompiledMixture(X, 3, covariance_type, PRIORS, *standardization(X)).n_dim + 1
    )
    _max_differences(reference, compiled, seed=11)


def test_noise_with_ordered_means_equals_pymc():
    X = _data(1, False)
    reference = _pymc_reference(X, 2, "diag", ordered=True, hypervolume=5.0)
    compiled = CompiledMixture(
        X, 2, "diag", PRIORS, *standardization(X), ordered_means=True, hypervolume=5.0
    )
    _max_differences(reference, compiled, seed=12, n_points=2)


def test_noise_density_is_one_over_v_in_data_units():
    """All weight on the noise: the likelihood is -N log V, whatever the standardisation."""
    X = _data(2, False)
    volume = 37.0
    center, scale = standardization(X)
    compiled = CompiledMixture(X, 2, "diag", PRIORS, center, scale, hypervolume=volume)
    rescaled = CompiledMixture(X, 2, "diag", PRIORS, center, 3.0 * scale, hypervolume=volume)
    theta = np.zeros(compiled.n_dim)
    theta[:2] = -40.0  # proportions (e^-40, e^-40, ~1): all on the noise
    no_prior = CompiledMixture(X[:1], 2, "diag", PRIORS, center, scale, hypervolume=volume)
    prior_only = no_prior.logp_and_grad(theta)[0] + np.log(volume)  # one row's likelihood
    expected = -len(X) * np.log(volume) + prior_only
    assert_allclose(compiled.logp_and_grad(theta)[0], expected, rtol=1e-12)
    # the same data likelihood under another standardisation (only the prior moves)
    other = CompiledMixture(X[:1], 2, "diag", PRIORS, center, 3.0 * scale, hypervolume=volume)
    expected_rescaled = -len(X) * np.log(volume) + other.logp_and_grad(theta)[0] + np.log(volume)
    assert_allclose(rescaled.logp_and_grad(theta)[0], expected_rescaled, rtol=1e-12)


def test_noise_row_weights_equal_repeated_rows():
    X = _data(2, True, seed=8)
    counts = np.random.default_rng(3).integers(1, 4, size=len(X))
    center, scale = standardization(X)
    weighted = CompiledMixture(
        X, 2, "full", PRIORS, center, scale, sample_weight=counts, hypervolume=20.0
    )
    repeated = CompiledMixture(
        np.repeat(X, counts, axis=0), 2, "full", PRIORS, center, scale, hypervolume=20.0
    )
    theta = np.random.default_rng(4).normal(size=weighted.n_dim)
    logp_w, grad_w = weighted.logp_and_grad(theta)
    logp_r, grad_r = repeated.logp_and_grad(theta)
    assert_allclose(logp_w, logp_r, rtol=1e-10)
    assert_allclose(grad_w, grad_r, rtol=1e-9, atol=1e-9)


def test_noise_unconstrain_inverts_constrain_and_posterior_splits_the_weights():
    X = load_faithful().to_numpy()
    compiled = CompiledMixture(X, 2, "full", PRIORS, *standardization(X), hypervolume=900.0)
    theta = np.random.default_rng(7).normal(size=compiled.n_dim)
    proportions, means, sds, corr, _ = compiled.constrain(theta)
    assert proportions.shape == (1, 3)
    start = {"proportions": proportions[0], "means_std": means[0], "sds_std": sds[0]}
    start["corr_chol"] = corr[0]
    assert_allclose(compiled.unconstrain(start), theta, rtol=1e-10, atol=1e-12)
    post = compiled.posterior(theta[None, None, :], ["a", "b"])
    assert_allclose(post["weights"].values[0, 0], proportions[0, :2])
    assert_allclose(post["noise_proportion"].values[0, 0], proportions[0, 2])


# ---------------------------------------------------------------------- diagonal family
#: mclust's diagonal models beyond scikit-learn's four (a shared spherical or diagonal
#: covariance; a shared diagonal shape with varying volumes; a shared volume)
DIAGONAL_FAMILY = ["EII", "EEI", "VEI", "EVI"]
#: a volume times a unit-determinant covariance with correlations (LKJ): one shared
#: (VEE) or one per component with one volume (EVV)
UNIT_DETERMINANT = ["VEE", "EVV"]
#: mclust's models with an explicit orientation (Cayley parameters, Haar prior)
ORIENTED = ["EVE", "VVE", "EEV", "VEV"]
#: the models with a log-volume and a zero-sum log-shape
VOLUME_SHAPE = ["VEI", "EVI", *UNIT_DETERMINANT, *ORIENTED]
#: every mclust model beyond scikit-learn's four
MCLUST_MODELS = DIAGONAL_FAMILY + UNIT_DETERMINANT + ORIENTED
#: priors of the volume-shape models away from their defaults
FAMILY_PRIORS = Priors(
    weight_concentration=1.3, mean_scale=1.7, sd_scale=0.8, volume_sd=1.4, shape_sd=0.6
)


@pytest.mark.parametrize("case", ["complete", "missing", "row_weights", "noise", "noise_missing"])
@pytest.mark.parametrize("covariance_type", MCLUST_MODELS)
def test_mclust_models_logp_and_gradient_equal_pymc(covariance_type, case):
    """Kernels == specification to 1e-9 (absolute) for each model and case."""
    X = _data(3, case in ("missing", "noise_missing"))
    center, scale = standardization(X)
    volume = _hypervolume(3) if case.startswith("noise") else None
    counts = None
    reference_X = X
    if case == "row_weights":
        counts = np.random.default_rng(3).integers(1, 4, size=len(X))
        reference_X = np.repeat(X, counts, axis=0)
    reference = _pymc_reference(
        reference_X, 3, covariance_type, priors=FAMILY_PRIORS, hypervolume=volume,
        standardize=(center, scale),
    )  # fmt: skip
    compiled = CompiledMixture(
        X, 3, covariance_type, FAMILY_PRIORS, center, scale, sample_weight=counts,
        hypervolume=volume,
    )  # fmt: skip
    rng = np.random.default_rng(13)
    for _ in range(3):
        theta = rng.normal(scale=0.8, size=compiled.n_dim)
        expected, expected_grad = reference(theta)
        logp, grad = compiled.logp_and_grad(theta)
        assert abs(logp - expected) < 1e-9, (logp, expected)
        assert float(np.abs(grad - expected_grad).max()) < 1e-9


@pytest.mark.parametrize("covariance_type", VOLUME_SHAPE)
def test_volume_shape_models_with_one_feature_equal_pymc(covariance_type):
    """One feature: the log-shape has no free value (det A = 1 fixes A = 1), and VEE
    and EVV no correlation."""
    X = _data(1, False)
    reference = _pymc_reference(X, 2, covariance_type, priors=FAMILY_PRIORS)
    compiled = CompiledMixture(X, 2, covariance_type, FAMILY_PRIORS, *standardization(X))
    varying_volume = covariance_type in ("VEI", "VEE", "VVE", "VEV")
    assert compiled.n_dim == 1 + 2 + (2 if varying_volume else 1)
    _max_differences(reference, compiled, seed=14, n_points=2)


@pytest.mark.parametrize("covariance_type", MCLUST_MODELS)
def test_mclust_models_unconstrain_inverts_posterior(covariance_type):
    """The posterior's free variables (its ``em_start`` keys) map back to theta."""
    X = load_faithful().to_numpy()
    compiled = CompiledMixture(X, 3, covariance_type, PRIORS, *standardization(X))
    theta = np.random.default_rng(7).normal(size=compiled.n_dim)
    post = compiled.posterior(theta[None, None, :], ["a", "b"]).isel(chain=0, draw=0)
    names = ["weights", "means_std"]
    names += ["log_volume_std", "log_shape"] if covariance_type in VOLUME_SHAPE else ["sds_std"]
    names += ["corr_chol"] if covariance_type in UNIT_DETERMINANT else []
    names += ["orientation"] if covariance_type in ORIENTED else []
    start = {name: post[name].values for name in names}
    assert_allclose(compiled.unconstrain(start), theta, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("covariance_type", MCLUST_MODELS)
def test_mclust_models_em_start_reproduces_the_em_fit(covariance_type):
    from bayesgmm import GaussianMixture

    X = load_faithful().to_numpy()
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    center, scale = standardization(X)
    compiled = CompiledMixture(X, 3, covariance_type, PRIORS, center, scale)
    start = em_start(covariance_type, gm.weights_, gm.means_, gm.covariances_, center, scale)
    posterior = compiled.posterior(compiled.unconstrain(start)[None, None, :], ["a", "b"])
    covariances = posterior["covariances"].values[0, 0]
    assert covariances.shape == gm.covariances_.shape
    assert_allclose(posterior["means"].values[0, 0], gm.means_, rtol=1e-9)
    # EM adds reg_covar (1e-6) to the variances, which keeps EII and EEI but moves the
    # volume-shape models off their structure by ~1e-6: the start is a nearby model of
    # the type
    rtol = 1e-8 if covariance_type in ("EII", "EEI") else 1e-5
    assert_allclose(covariances, gm.covariances_, rtol=rtol)
    # the specification's covariances at the same point are the same
    model = build_model(X, 3, covariance_type, PRIORS)
    scales = {model[k]: v for k, v in start.items() if k not in ("weights", "means_std")}
    assert_allclose(model["covariances"].eval(scales), covariances, rtol=1e-12)
