"""Tests of bayesgmm.covariance: shapes, counts, densities, M-step algebra, repairs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from bayesgmm import COVARIANCE_TYPES, GaussianMixture, get_covariance_model
from bayesgmm.core.numerics import exp_normalize
from bayesgmm.covariance import (
    MCLUST_NAMES,
    CovarianceModel,
    SufficientStatistics,
)
from bayesgmm.testing import make_gmm_data

N_COMPONENTS, N_FEATURES = 3, 4


def random_spd(rng, n_features):
    A = rng.normal(size=(n_features, n_features))
    return A @ A.T + n_features * np.eye(n_features)


def random_covariances(rng, covariance_type, n_components=N_COMPONENTS, n_features=N_FEATURES):
    if covariance_type == "full":
        return np.stack([random_spd(rng, n_features) for _ in range(n_components)])
    if covariance_type == "tied":
        return random_spd(rng, n_features)
    if covariance_type == "diag":
        return rng.uniform(0.5, 3.0, size=(n_components, n_features))
    return rng.uniform(0.5, 3.0, size=n_components)


def dense(covariances, covariance_type, k, n_features=N_FEATURES):
    if covariance_type == "full":
        return covariances[k]
    if covariance_type == "tied":
        return covariances
    if covariance_type == "diag":
        return np.diag(covariances[k])
    return covariances[k] * np.eye(n_features)


def all_features(model, xc_t):
    """Per-sample features of the whole data (one block), for either API version."""
    if hasattr(model, "features_t"):
        return model.features_t(xc_t)
    stored = np.empty((model.n_stored_rows(xc_t.shape[0]), xc_t.shape[1]))
    stored[: xc_t.shape[0]] = xc_t
    model.complete_stored(stored, xc_t.shape[0])
    return model.block_features(stored)


@pytest.fixture
def model(covariance_type) -> CovarianceModel:
    return get_covariance_model(covariance_type)


# ----------------------------------------------------------------------------- lookup
def test_lookup_by_name_and_mclust_alias(covariance_type):
    model = get_covariance_model(covariance_type)
    assert model.name == covariance_type
    assert get_covariance_model(MCLUST_NAMES[covariance_type]) is model
    assert model.mclust_name == MCLUST_NAMES[covariance_type]


@pytest.mark.parametrize("bad", ["bogus", "FULL ", "", None, 3])
def test_lookup_rejects_unknown_names(bad):
    with pytest.raises(ValueError, match=rf"covariance_type must be one of .*got {bad!r}\."):
        get_covariance_model(bad)


def test_covariance_types_order():
    assert COVARIANCE_TYPES == ("full", "tied", "diag", "spherical")


# ----------------------------------------------------------------------------- counts
@pytest.mark.parametrize(
    ("covariance_type", "shape", "n_cov"),
    [
        ("full", (3, 4, 4), 3 * 10),
        ("tied", (4, 4), 10),
        ("diag", (3, 4), 12),
        ("spherical", (3,), 3),
    ],
)
def test_shapes_and_parameter_counts(covariance_type, shape, n_cov):
    model = get_covariance_model(covariance_type)
    assert model.covariance_shape(3, 4) == shape
    assert model.n_covariance_parameters(3, 4) == n_cov
    # covariances + means + free weights
    assert model.n_parameters(3, 4) == n_cov + 3 * 4 + 3 - 1


def test_single_component_parameter_count(model):
    # one Gaussian: mean plus its covariance, no free weight
    expected = {"full": 2 + 3, "tied": 2 + 3, "diag": 2 + 2, "spherical": 2 + 1}[model.name]
    assert model.n_parameters(1, 2) == expected


# ----------------------------------------------------------------------------- densities
def test_weighted_log_prob_matches_scipy(model, rng):
    covariances = random_covariances(rng, model.name)
    means = rng.normal(scale=3.0, size=(N_COMPONENTS, N_FEATURES))
    weights = rng.dirichlet(np.ones(N_COMPONENTS))
    X = rng.normal(scale=3.0, size=(50, N_FEATURES))

    precisions_cholesky, used, repaired = model.precisions_cholesky(covariances)
    assert repaired == []
    assert_array_equal(used, covariances)
    state = model.prepare(weights, means, precisions_cholesky)
    log_prob = model.weighted_log_prob(all_features(model, np.ascontiguousarray(X.T)), state)

    expected = np.stack(
        [
            np.log(weights[k])
            + multivariate_normal(means[k], dense(covariances, model.name, k)).logpdf(X)
            for k in range(N_COMPONENTS)
        ]
    )
    assert log_prob.shape == (N_COMPONENTS, 50)
    assert_allclose(log_prob, expected, rtol=1e-10)


def test_cholesky_conversions_round_trip(model, rng):
    covariances = random_covariances(rng, model.name)
    precisions_cholesky, _, _ = model.precisions_cholesky(covariances)
    precisions = model.precisions_from_cholesky(precisions_cholesky)
    assert precisions.shape == model.covariance_shape(N_COMPONENTS, N_FEATURES)

    if model.name in ("full", "tied"):
        assert_allclose(np.tril(precisions_cholesky, k=-1), 0.0)  # upper triangular
        assert_allclose(covariances @ precisions, np.broadcast_to(np.eye(4), covariances.shape),
                        atol=1e-12)  # fmt: skip
    else:
        assert_allclose(covariances * precisions, 1.0, rtol=1e-12)
    assert_allclose(
        model.precisions_cholesky_from_precisions(precisions), precisions_cholesky, rtol=1e-10
    )
    assert_allclose(
        model.covariances_from_precisions_cholesky(precisions_cholesky), covariances, rtol=1e-10
    )


def test_log_det_cholesky_is_half_log_det_precision(model, rng):
    covariances = random_covariances(rng, model.name)
    precisions_cholesky, _, _ = model.precisions_cholesky(covariances)
    log_det = model.log_det_cholesky(precisions_cholesky, N_COMPONENTS, N_FEATURES)
    expected = [
        -0.5 * np.linalg.slogdet(dense(covariances, model.name, k))[1] for k in range(N_COMPONENTS)
    ]
    assert_allclose(log_det, expected, rtol=1e-12)


def test_smallest_variances(model, rng):
    covariances = random_covariances(rng, model.name)
    expected = [
        np.linalg.eigvalsh(dense(covariances, model.name, k)).min() for k in range(N_COMPONENTS)
    ]
    scale = np.ones(N_FEATURES)
    assert_allclose(
        model.smallest_variances(covariances, N_COMPONENTS, scale), expected, rtol=1e-12
    )


def test_covariance_factor_reproduces_covariance(model, rng):
    covariances = random_covariances(rng, model.name)
    for k in range(N_COMPONENTS):
        factor = np.asarray(model.covariance_factor(covariances, k))
        matrix = factor @ factor.T if factor.ndim == 2 else np.diag(np.broadcast_to(factor**2, 4))
        assert_allclose(matrix, dense(covariances, model.name, k), rtol=1e-12)


def test_sample_draws_requested_counts_with_right_moments(model, rng):
    covariances = random_covariances(rng, model.name)
    means = rng.normal(scale=10.0, size=(N_COMPONENTS, N_FEATURES))
    counts = np.array([20_000, 0, 10_000])
    X = model.sample(np.random.default_rng(0), means, covariances, counts)
    assert X.shape == (30_000, N_FEATURES)
    first, last = X[:20_000], X[20_000:]
    for k, part in ((0, first), (2, last)):
        assert_allclose(part.mean(axis=0), means[k], atol=0.1)
        expected = dense(covariances, model.name, k)
        assert np.linalg.norm(np.cov(part.T) - expected) / np.linalg.norm(expected) < 0.05


# ----------------------------------------------------------------------------- M-step
def test_estimate_covariances_matches_weighted_numpy_covariance(model, rng):
    """The sufficient-statistic M-step equals the direct weighted covariance + reg_covar."""
    n_samples, reg_covar = 200, 1e-3
    X = rng.normal(size=(n_samples, N_FEATURES)) @ random_spd(rng, N_FEATURES)
    xc_t = np.ascontiguousarray((X - X.mean(axis=0)).T)
    resp = rng.dirichlet(np.ones(N_COMPONENTS), size=n_samples).T  # (K, n)

    features = all_features(model, xc_t)
    nk = resp.sum(axis=1)
    moments = resp @ features.T
    outer = model.accumulate_outer(xc_t, resp)
    if outer is not None:
        outer = outer[:, :N_FEATURES, :N_FEATURES]
    stats = SufficientStatistics(nk, moments, outer, 0.0, float(n_samples))
    means = moments[:, :N_FEATURES] / nk[:, None]
    covariances = model.estimate_covariances(
        stats, nk, means, reg_covar, model.data_statistic(xc_t, None)
    )

    per_component = [np.cov(xc_t, aweights=resp[k], bias=True) for k in range(N_COMPONENTS)]
    if model.name == "full":
        expected = np.stack(per_component) + reg_covar * np.eye(N_FEATURES)
    elif model.name == "tied":
        expected = sum(nk[k] * per_component[k] for k in range(N_COMPONENTS)) / nk.sum()
        expected = expected + reg_covar * np.eye(N_FEATURES)
    elif model.name == "diag":
        expected = np.stack([np.diag(c) for c in per_component]) + reg_covar
    else:
        expected = np.array([np.trace(c) / N_FEATURES for c in per_component]) + reg_covar
    assert_allclose(means, np.stack([np.average(X - X.mean(0), axis=0, weights=r) for r in resp]),
                    rtol=1e-10, atol=1e-12)  # fmt: skip
    assert_allclose(covariances, expected, rtol=1e-10)


# ----------------------------------------------------------------------------- repairs
def test_positive_definite_input_is_not_repaired(model, rng):
    covariances = random_covariances(rng, model.name)
    _, used, repaired = model.precisions_cholesky(covariances)
    assert repaired == []
    assert_array_equal(used, covariances)


def test_non_positive_definite_component_is_repaired_and_reported(covariance_type):
    model = get_covariance_model(covariance_type)
    if covariance_type == "full":
        bad = np.stack([np.eye(2), [[1.0, 1.0], [1.0, 1.0 - 1e-12]], np.eye(2)])
    elif covariance_type == "tied":
        bad = np.array([[1.0, 1.0], [1.0, 1.0 - 1e-12]])
    elif covariance_type == "diag":
        bad = np.array([[1.0, 1.0], [1.0, -1e-12], [1.0, 1.0]])
    else:
        bad = np.array([1.0, 0.0, 1.0])
    precisions_cholesky, used, repaired = model.precisions_cholesky(bad)
    assert repaired == ([0] if covariance_type == "tied" else [1])
    assert np.all(np.isfinite(precisions_cholesky))
    assert np.all(model.smallest_variances(used, 3, np.ones(2)) > 0)
    # the repair is a small change (jitter), not a replacement
    assert np.max(np.abs(used - bad)) < 1e-3


@pytest.mark.parametrize(
    "bad",
    [
        [[1.0, 1.0], [1.0, 1.0 - 1e-12]],  # singular, positive trace
        [[4e-15, 4e-15], [4e-15, -4e-15]],  # a component collapsed onto one point:
        # the covariance of identical rows is rounding noise with trace 0 (seen in EM)
        [[0.0, 1e-15], [1e-15, -1e-15]],  # rounding noise with negative trace
    ],
    ids=["singular", "zero-trace", "negative-trace"],
)
def test_full_repair_is_a_diagonal_jitter(bad):
    """Repairing a finite covariance only adds to its diagonal; it must not discard it
    (the identity fallback is documented as being for non-finite input only)."""
    model = get_covariance_model("full")
    bad = np.array([np.eye(2), bad])
    _, used, repaired = model.precisions_cholesky(bad)
    assert repaired == [1]
    assert np.linalg.eigvalsh(used[1]).min() > 0
    assert used[1, 0, 1] == bad[1, 0, 1]
    assert used[1, 1, 0] == bad[1, 1, 0]
    assert np.all(np.diag(used[1]) >= np.diag(bad[1]))


def test_validate_precisions_accepts_valid_and_names_problems(model, rng):
    covariances = random_covariances(rng, model.name)
    precisions = model.precisions_from_cholesky(model.precisions_cholesky(covariances)[0])
    assert_array_equal(model.validate_precisions(precisions, N_COMPONENTS, N_FEATURES), precisions)
    expected = model.covariance_shape(N_COMPONENTS, N_FEATURES)
    with pytest.raises(ValueError, match=rf"must have shape {re.escape(str(expected))}"):
        model.validate_precisions(precisions[..., :-1], N_COMPONENTS, N_FEATURES)


# ----------------------------------------------------------------------------- E-step helper
def test_exp_normalize_gives_responsibilities_and_log_normaliser(rng):
    log_prob = rng.normal(scale=50.0, size=(4, 30)) - 1000.0
    log_prob[:, 0] = [-1e6, -2e6, -3e6, -1e6 - 1.0]  # a point far from everything
    expected_norm = logsumexp(log_prob, axis=0)
    expected_resp = np.exp(log_prob - expected_norm)
    work = log_prob.copy()
    norm = exp_normalize(work)
    assert_allclose(norm, expected_norm, rtol=1e-12)
    assert_allclose(work.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    # EM passes: responsibilities under exp(-37) of the best are exactly 0
    assert_allclose(work, expected_resp, rtol=1e-9, atol=1e-16)
    assert np.all(work[expected_resp < 1e-17] == 0.0)
    exact = log_prob.copy()
    exp_normalize(exact, floor=None)  # predict_proba: every entry exponentiated
    assert_allclose(exact, expected_resp, rtol=1e-9, atol=1e-300)


def test_exp_normalize_single_component():
    log_prob = np.array([[-3.0, -1e9, 0.5]])
    norm = exp_normalize(log_prob)
    assert_array_equal(norm, [-3.0, -1e9, 0.5])
    assert_array_equal(log_prob, 1.0)


def test_full_covariances_expand_every_structure(covariance_type):
    X = make_gmm_data(covariance_type, 300, seed=5)[0]
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    model = get_covariance_model(covariance_type)
    full = model.full_covariances(gm.covariances_, 3, 2)
    assert full.shape == (3, 2, 2)
    # the mixture density from the expanded matrices is the model's own
    per_component = [
        np.log(gm.weights_[k]) + multivariate_normal(gm.means_[k], full[k]).logpdf(X)
        for k in range(3)
    ]
    assert_allclose(logsumexp(per_component, axis=0), gm.score_samples(X), rtol=1e-10)
    # leading (draw) axes are kept
    stacked = np.stack([gm.covariances_, 2 * gm.covariances_])
    batched = model.full_covariances(stacked, 3, 2)
    assert batched.shape == (2, 3, 2, 2)
    assert_allclose(batched[1], 2 * full)
