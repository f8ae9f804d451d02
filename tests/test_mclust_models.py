"""mclust's 14 covariance models: counts, M-steps, EM behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm
from scipy.optimize import minimize

from bayesgmm import GaussianMixture, load_faithful, load_iris, select_model
from bayesgmm.covariance import COVARIANCE_TYPES, MCLUST_MODELS, get_covariance_model


def mclust_n_var_params(name: str, G: int, d: int) -> int:
    """mclust's ``nVarParams`` (mclust/R/mclust.R), written out per model."""
    r = d * (d - 1) // 2
    return {
        "EII": 1,
        "VII": G,
        "EEI": d,
        "VEI": G + (d - 1),
        "EVI": 1 + G * (d - 1),
        "VVI": G * d,
        "EEE": d * (d + 1) // 2,
        "VEE": G + d * (d + 1) // 2 - 1,
        "EVE": 1 + G * (d - 1) + r,
        "VVE": G + G * (d - 1) + r,
        "EEV": 1 + (d - 1) + G * r,
        "VEV": G + (d - 1) + G * r,
        "EVV": 1 + G * (d * (d + 1) // 2 - 1),
        "VVV": G * d * (d + 1) // 2,
    }[name]


@pytest.mark.parametrize("name", MCLUST_MODELS)
@pytest.mark.parametrize(("G", "d"), [(1, 2), (3, 2), (4, 3), (2, 5)])
def test_parameter_counts_equal_mclusts(name, G, d):
    model = get_covariance_model(name)
    assert model.n_covariance_parameters(G, d) == mclust_n_var_params(name, G, d)
    # BIC's p: weights, means and covariances, as mclust's nMclustParams
    assert model.n_parameters(G, d) == (G - 1) + G * d + mclust_n_var_params(name, G, d)


def test_names_and_aliases():
    assert [get_covariance_model(n).mclust_name for n in MCLUST_MODELS] == list(MCLUST_MODELS)
    assert [get_covariance_model(n).name for n in ("VII", "VVI", "EEE", "VVV")] == [
        "spherical",
        "diag",
        "tied",
        "full",
    ]
    assert get_covariance_model("vev").name == "VEV"
    with pytest.raises(ValueError, match=r"mclust's models \['EII', 'VII'"):
        get_covariance_model("VVX")


# ---------------------------------------------------------------------- M-steps
def _objective(covariances, scatter, nk):
    """``sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k)``: minus twice the M-step target."""
    _, log_det = np.linalg.slogdet(covariances)
    return float((nk * log_det).sum() + np.einsum("kij,kji->", np.linalg.inv(covariances), scatter))


def _parametrised(name, G, d):
    """``theta -> Sigma (G, d, d)`` covering model ``name`` (volume, shape, orientation)."""
    r = d * (d - 1) // 2
    n_volume = 1 if name[0] == "E" else G
    n_shape = {"I": 0, "E": d - 1, "V": G * (d - 1)}[name[1]]
    n_orient = {"I": 0, "E": r, "V": G * r}[name[2]]
    rows, cols = np.triu_indices(d, 1)

    def build(theta):
        volumes = np.exp(np.broadcast_to(theta[:n_volume], (G,)))
        rest = theta[n_volume:]
        shapes = np.zeros((G, d))
        if n_shape:
            free = np.broadcast_to(rest[:n_shape].reshape(-1, d - 1), (G, d - 1))
            shapes[:, :-1] = free
            shapes[:, -1] = -free.sum(axis=1)  # determinant 1
        rest = rest[n_shape:]
        covariances = np.empty((G, d, d))
        angles = np.broadcast_to(rest.reshape(-1, r), (G, r)) if n_orient else None
        for k in range(G):
            rotation = np.eye(d)
            if angles is not None:
                skew = np.zeros((d, d))
                skew[rows, cols] = angles[k]
                rotation = expm(skew - skew.T)
            covariances[k] = volumes[k] * (rotation * np.exp(shapes[k])) @ rotation.T
        return covariances

    return build, n_volume + n_shape + n_orient


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_m_step_maximises_the_expected_complete_log_likelihood(name):
    """Our M-step beats (or ties) a generic optimiser over the model's own parameters."""
    rng = np.random.default_rng(7)
    G, d = 3, 3
    nk = np.array([12.0, 30.0, 21.0])
    factors = rng.normal(size=(G, d, d)) * rng.uniform(0.3, 3.0, size=(G, 1, d))
    scatter = nk[:, None, None] * (factors @ np.swapaxes(factors, 1, 2) / d + 0.1 * np.eye(d))
    model = get_covariance_model(name)
    # second moments about the origin with zero means: M_k = W_k
    ours = model.full_covariances(
        model.covariances_from_second_moments(scatter, nk, np.zeros((G, d)), 0.0), G, d
    )
    best = _objective(ours, scatter, nk)
    build, n_theta = _parametrised(name, G, d)
    optimised = np.inf
    for start in range(6):
        theta0 = np.random.default_rng(start).normal(scale=0.5, size=n_theta)
        result = minimize(lambda t: _objective(build(t), scatter, nk), theta0, method="BFGS")
        optimised = min(optimised, result.fun)
    assert best <= optimised + 1e-7 * abs(optimised), (best, optimised)


# ---------------------------------------------------------------------- EM
@pytest.fixture(scope="module")
def iris():
    return load_iris().iloc[:, :4].to_numpy()


def _fit(X, K, name, start, sample_weight=None, **params):
    return GaussianMixture(
        K,
        covariance_type=name,
        reg_covar=0.0,
        tol=1e-10,
        max_iter=5000,
        weights_init=start.weights_,
        means_init=start.means_,
        **params,
    ).fit(X, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def iris_start(iris):
    return GaussianMixture(2, random_state=0, n_init=5).fit(iris)


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_log_likelihood_never_decreases(iris, name):
    start = GaussianMixture(3, random_state=1).fit(iris)
    gm = _fit(iris, 3, name, start)
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-10 * np.abs(gm.lower_bounds_[1:]))
    assert gm.converged_
    cov = gm.covariances_
    assert cov.shape == get_covariance_model(name).covariance_shape(3, 4)


def test_nested_models_rank_by_log_likelihood(iris, iris_start):
    """On iris K=2 from one start: VVV >= VEV >= EEV >= EEE >= EEI >= EII (and others)."""
    score = {name: _fit(iris, 2, name, iris_start).score(iris) for name in MCLUST_MODELS}
    chains = [
        ("VVV", "VEV", "EEV", "EEE", "EEI", "EII"),
        ("VVV", "VVE", "VEE", "EEE"),
        ("VVV", "VVI", "VEI", "EEI"),
        ("VVV", "EVV", "EVE", "EVI", "EEI"),
        ("VVI", "VII", "EII"),
    ]
    for chain in chains:
        values = [score[n] for n in chain]
        assert values == sorted(values, reverse=True), dict(zip(chain, values, strict=True))
    # mclust's published iris fit: VEV, 2 components, log-likelihood -215.726
    assert score["VEV"] * len(iris) == pytest.approx(-215.726, abs=5e-4)


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_sample_weight_equals_repetition(name):
    X = load_faithful().to_numpy()[:60]
    counts = np.random.default_rng(3).integers(0, 3, size=len(X))
    start = GaussianMixture(2, random_state=0).fit(X)
    weighted = _fit(X, 2, name, start, sample_weight=counts)
    repeated = _fit(np.repeat(X, counts, axis=0), 2, name, start)
    assert weighted.lower_bound_ == pytest.approx(repeated.lower_bound_, rel=1e-10)
    # EM stops on the log-likelihood (tol=1e-10); slow models move parameters ~1e-6 then
    for attribute in ("weights_", "means_", "covariances_"):
        expected = getattr(repeated, attribute)
        scale = np.abs(expected).max()
        assert_allclose(getattr(weighted, attribute), expected, rtol=1e-5, atol=1e-6 * scale)


def test_missing_data_and_persistence_take_every_model(tmp_path):
    X = load_faithful().to_numpy().copy()
    X[::7, 1] = np.nan
    for name in ("VEI", "EVE", "VEV"):
        gm = GaussianMixture(2, covariance_type=name, missing="marginalize", random_state=0)
        gm.fit(X)
        loaded = GaussianMixture.load(gm.save(tmp_path / f"{name}.npz"))
        assert_allclose(loaded.score_samples(X), gm.score_samples(X), rtol=0, atol=0)
        assert np.isfinite(gm.impute(X)).all()


def test_select_model_all_is_mclusts_fourteen():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = select_model(load_faithful(), range(1, 4), "all", n_init=2)
    assert set(result.table.mclust_name) == set(MCLUST_MODELS)
    assert len(result.table) == 3 * 14
    assert set(COVARIANCE_TYPES) <= set(result.table.covariance_type)
    assert result.best_params_ == {"n_components": 3, "covariance_type": "tied"}  # EEE
