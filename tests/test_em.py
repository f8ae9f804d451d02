"""Tests of bayesgmm.GaussianMixture: sklearn parity, weights, recovery, API, errors."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import linear_sum_assignment

from bayesgmm import (
    COVARIANCE_TYPES,
    ComponentCollapseWarning,
    ConvergenceWarning,
    GaussianMixture,
    NotFittedError,
    load_faithful,
    load_galaxies,
)
from bayesgmm.covariance import MCLUST_NAMES, get_covariance_model
from bayesgmm.testing import make_gmm_data

FITTED_ARRAYS = ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


# ----------------------------------------------------------------------------- helpers
@pytest.fixture
def sklearn_gmm():
    """scikit-learn's GaussianMixture and ConvergenceWarning (test reference only)."""
    mixture = pytest.importorskip("sklearn.mixture")
    exceptions = pytest.importorskip("sklearn.exceptions")
    return mixture.GaussianMixture, exceptions.ConvergenceWarning


def faithful() -> np.ndarray:
    return load_faithful().to_numpy(dtype=np.float64)


def galaxies() -> np.ndarray:
    return load_galaxies()[["velocity"]].to_numpy(dtype=np.float64) / 1000.0


def synthetic(covariance_type: str) -> np.ndarray:
    return make_gmm_data(covariance_type, 400, seed=0, separation=3.0)[0]


PARITY_DATASETS = {
    "synthetic": synthetic,
    "faithful": lambda covariance_type: faithful(),
    "galaxies": lambda covariance_type: galaxies(),
}


def sklearn_inits(sklearn_gmm, X, n_components, covariance_type, init_params, seed=0):
    """Initial parameters: a 2-iteration scikit-learn fit (its warning silenced)."""
    sk_cls, sk_warning = sklearn_gmm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk_warning)
        rough = sk_cls(
            n_components,
            covariance_type=covariance_type,
            max_iter=2,
            init_params=init_params,
            random_state=seed,
        ).fit(X)
    return {
        "weights_init": rough.weights_,
        "means_init": rough.means_,
        "precisions_init": rough.precisions_,
    }


def own_inits(X, n_components, covariance_type, seed=0):
    """Initial parameters from a 2-iteration bayesgmm fit (tol=0, so it always warns)."""
    with pytest.warns(ConvergenceWarning):
        rough = GaussianMixture(
            n_components,
            covariance_type=covariance_type,
            max_iter=2,
            tol=0.0,
            init_params="random",
            random_state=seed,
        ).fit(X)
    return {
        "weights_init": rough.weights_,
        "means_init": rough.means_,
        "precisions_init": rough.precisions_,
    }


def assert_same_parameters(ours, theirs, rtol, atol=1e-12):
    for name in FITTED_ARRAYS:
        assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=rtol, atol=atol, err_msg=name
        )
    assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=rtol, err_msg="lower_bound_")


def assert_same_predictions(ours, theirs, X, rtol):
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=rtol, atol=1e-12)
    assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=rtol)
    assert_allclose(ours.score(X), theirs.score(X), rtol=rtol)
    assert_allclose(ours.bic(X), theirs.bic(X), rtol=rtol)
    assert_allclose(ours.aic(X), theirs.aic(X), rtol=rtol)


def match_components(estimated_means, true_means):
    """Permutation ``perm`` with ``estimated[perm[k]]`` matched to true component k."""
    cost = np.linalg.norm(true_means[:, None, :] - estimated_means[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)]


def dense_covariance(gm, k):
    """Component ``k``'s covariance as a full ``(D, D)`` matrix, for any covariance type."""
    n_features = gm.means_.shape[1]
    name = get_covariance_model(gm.covariance_type).name
    if name == "full":
        return gm.covariances_[k]
    if name == "tied":
        return gm.covariances_
    if name == "diag":
        return np.diag(gm.covariances_[k])
    return gm.covariances_[k] * np.eye(n_features)


def fitted(covariance_type="full", n_samples=300, seed=0, **params):
    X = make_gmm_data(covariance_type, n_samples, seed=seed)[0]
    params.setdefault("random_state", 0)
    return GaussianMixture(3, covariance_type=covariance_type, **params).fit(X), X


# ----------------------------------------------------------------------------- 1. parity
@pytest.mark.parametrize("init_params", ["kmeans", "random"])
@pytest.mark.parametrize("dataset", list(PARITY_DATASETS))
def test_parity_with_sklearn_from_same_inits(sklearn_gmm, covariance_type, dataset, init_params):
    X = PARITY_DATASETS[dataset](covariance_type)
    inits = sklearn_inits(sklearn_gmm, X, 3, covariance_type, init_params)
    params = {"covariance_type": covariance_type, "tol": 1e-8, "max_iter": 1000, **inits}

    theirs = sklearn_gmm[0](3, **params).fit(X)
    ours = GaussianMixture(3, **params).fit(X)

    assert_same_parameters(ours, theirs, rtol=1e-6)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    assert len(ours.lower_bounds_) == len(theirs.lower_bounds_) == ours.n_iter_
    assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6)
    assert_same_predictions(ours, theirs, X, rtol=1e-6)


@pytest.mark.parametrize("dataset", list(PARITY_DATASETS))
def test_parity_with_sklearn_when_both_stop_early(sklearn_gmm, covariance_type, dataset):
    sk_cls, sk_warning = sklearn_gmm
    X = PARITY_DATASETS[dataset](covariance_type)
    inits = sklearn_inits(sklearn_gmm, X, 3, covariance_type, "random")
    params = {"covariance_type": covariance_type, "tol": 0.0, "max_iter": 5, **inits}

    with pytest.warns(sk_warning):
        theirs = sk_cls(3, **params).fit(X)
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        ours = GaussianMixture(3, **params).fit(X)

    assert not ours.converged_
    assert not theirs.converged_
    assert ours.n_iter_ == theirs.n_iter_ == 5
    assert_same_parameters(ours, theirs, rtol=1e-6)
    assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6)
    assert_same_predictions(ours, theirs, X, rtol=1e-6)


def test_convergence_warning_is_bayesgmm_own_class(sklearn_gmm):
    assert ConvergenceWarning is not sklearn_gmm[1]
    assert issubclass(ConvergenceWarning, UserWarning)


def test_parity_with_sklearn_warm_start(sklearn_gmm, covariance_type):
    sk_cls, sk_warning = sklearn_gmm
    X = synthetic(covariance_type)
    inits = sklearn_inits(sklearn_gmm, X, 3, covariance_type, "random")
    params = {"covariance_type": covariance_type, "tol": 0.0, "max_iter": 3, **inits}
    ours, theirs = GaussianMixture(3, **params), sk_cls(3, **params)
    for _ in range(2):  # second round continues from the first
        with pytest.warns(sk_warning):
            theirs.fit(X)
        with pytest.warns(ConvergenceWarning):
            ours.fit(X)
        ours.set_params(warm_start=True)
        theirs.set_params(warm_start=True)
    assert_same_parameters(ours, theirs, rtol=1e-6)
    assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6)


# ----------------------------------------------------------------------------- 2. weights
def weighted_problem(covariance_type, seed=0):
    rng = np.random.default_rng(seed)
    X = make_gmm_data(covariance_type, 150, seed=seed, separation=3.0)[0]
    weight = rng.integers(0, 4, size=len(X))
    return X, weight


def test_integer_sample_weight_equals_repeated_rows(covariance_type):
    X, weight = weighted_problem(covariance_type)
    repeated = np.repeat(X, weight, axis=0)
    params = {"covariance_type": covariance_type, "tol": 1e-6, "max_iter": 500}
    params |= own_inits(repeated, 3, covariance_type)

    weighted = GaussianMixture(3, **params).fit(X, sample_weight=weight)
    expanded = GaussianMixture(3, **params).fit(repeated)

    assert weighted.converged_
    assert expanded.converged_
    assert weighted.n_iter_ == expanded.n_iter_
    assert_same_parameters(weighted, expanded, rtol=1e-9)
    assert_allclose(weighted.lower_bounds_, expanded.lower_bounds_, rtol=1e-9)


def test_weighted_criteria_equal_repeated_rows(covariance_type):
    X, weight = weighted_problem(covariance_type, seed=1)
    repeated = np.repeat(X, weight, axis=0)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert_allclose(gm.score(X, sample_weight=weight), gm.score(repeated), rtol=1e-12)
    assert_allclose(gm.bic(X, sample_weight=weight), gm.bic(repeated), rtol=1e-12)
    assert_allclose(gm.aic(X, sample_weight=weight), gm.aic(repeated), rtol=1e-12)
    assert_allclose(gm.icl(X, sample_weight=weight), gm.icl(repeated), rtol=1e-10)


def test_zero_weight_rows_are_ignored(covariance_type):
    X, weight = weighted_problem(covariance_type, seed=2)
    keep = weight > 0
    assert not keep.all()
    params = {"covariance_type": covariance_type, "tol": 1e-6, "max_iter": 500}
    params |= own_inits(X[keep], 3, covariance_type)

    with_zeros = GaussianMixture(3, **params).fit(X, sample_weight=weight)
    without = GaussianMixture(3, **params).fit(X[keep], sample_weight=weight[keep])

    assert with_zeros.n_iter_ == without.n_iter_
    assert_same_parameters(with_zeros, without, rtol=1e-9)


def test_far_away_zero_weight_rows_change_nothing(covariance_type):
    """Rows with weight 0 must not influence the fit, however extreme their values
    (this includes the collapse diagnostics: no warning may appear)."""
    X = make_gmm_data(covariance_type, 200, seed=0)[0]
    outliers = np.array([[1e7, -1e7], [-1e7, 1e7]])
    X_all = np.vstack([X, outliers])
    weight = np.r_[np.ones(len(X)), 0.0, 0.0]
    params = {"covariance_type": covariance_type, "tol": 1e-6, "max_iter": 1000}
    params |= own_inits(X, 3, covariance_type)

    reference = GaussianMixture(3, **params).fit(X)
    padded = GaussianMixture(3, **params).fit(X_all, sample_weight=weight)

    assert padded.n_iter_ == reference.n_iter_
    assert_same_parameters(padded, reference, rtol=1e-9)


def test_scaling_all_weights_leaves_parameters_unchanged(covariance_type):
    X, weight = weighted_problem(covariance_type, seed=3)
    params = {"covariance_type": covariance_type, "tol": 1e-6, **own_inits(X, 3, covariance_type)}
    base = GaussianMixture(3, **params).fit(X, sample_weight=weight)
    scaled = GaussianMixture(3, **params).fit(X, sample_weight=2.5 * weight)
    assert base.n_iter_ == scaled.n_iter_
    assert_same_parameters(base, scaled, rtol=1e-9)


def test_unit_sample_weight_equals_no_weight(covariance_type):
    X = synthetic(covariance_type)
    params = {"covariance_type": covariance_type, "tol": 1e-6, **own_inits(X, 3, covariance_type)}
    plain = GaussianMixture(3, **params).fit(X)
    ones = GaussianMixture(3, **params).fit(X, sample_weight=np.ones(len(X)))
    assert plain.n_iter_ == ones.n_iter_
    assert_same_parameters(plain, ones, rtol=1e-10)


# ----------------------------------------------------------------------------- 3. recovery
def test_recovers_known_parameters(covariance_type):
    X, weights, means, covariances = make_gmm_data(covariance_type, 12_000, seed=7)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    perm = match_components(gm.means_, means)

    assert_allclose(gm.weights_[perm], weights, atol=0.02)
    assert_allclose(gm.means_[perm], means, atol=0.1)
    if covariance_type == "tied":
        estimated, truth = gm.covariances_[None], covariances[None]
    else:
        estimated, truth = gm.covariances_[perm], covariances
    for est, true in zip(estimated, truth, strict=True):
        relative = np.linalg.norm(est - true) / np.linalg.norm(true)
        assert relative < 0.1, (est, true)


# ----------------------------------------------------------------------------- 4. seeds
@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_same_seed_gives_bit_identical_fits(init_params):
    X = make_gmm_data("full", 300, seed=1, separation=4.0)[0]

    def fit():
        return GaussianMixture(3, init_params=init_params, n_init=3, random_state=42).fit(X)

    first, second = fit(), fit()
    for name in (*FITTED_ARRAYS, "lower_bounds_"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name
    assert first.lower_bound_ == second.lower_bound_
    assert first.n_iter_ == second.n_iter_
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


@pytest.mark.parametrize("init_params", ["random", "random_from_data"])
def test_random_state_is_used(init_params):
    X = make_gmm_data("full", 200, seed=1, separation=2.0)[0]
    starts = []
    for seed in (0, 1):
        with pytest.warns(ConvergenceWarning):
            gm = GaussianMixture(
                3, init_params=init_params, max_iter=1, tol=0.0, random_state=seed
            ).fit(X)
        starts.append(gm.means_)
    assert not np.allclose(starts[0], starts[1])


def test_random_state_generator_is_advanced_and_randomstate_reproducible():
    X = make_gmm_data("full", 200, seed=1, separation=2.0)[0]
    params = {"init_params": "random", "max_iter": 1, "tol": 0.0}
    generator = np.random.default_rng(0)
    with pytest.warns(ConvergenceWarning):
        a = GaussianMixture(3, random_state=generator, **params).fit(X).means_
    with pytest.warns(ConvergenceWarning):
        b = GaussianMixture(3, random_state=generator, **params).fit(X).means_
    assert not np.allclose(a, b)

    legacy = []
    for _ in range(2):
        gm = GaussianMixture(3, random_state=np.random.RandomState(3), **params)
        with pytest.warns(ConvergenceWarning):
            gm.fit(X)
        legacy.append(gm.means_)
    assert np.array_equal(legacy[0], legacy[1])


# ----------------------------------------------------------------------------- 5. doc example
@pytest.fixture
def restore_global_numpy_random():
    state = np.random.get_state()  # noqa: NPY002
    yield
    np.random.set_state(state)  # noqa: NPY002


@pytest.mark.usefixtures("restore_global_numpy_random")
def test_sklearn_documentation_example_runs_unchanged():
    np.random.seed(0)  # noqa: NPY002
    n_samples = 300
    shifted_gaussian = np.random.randn(n_samples, 2) - np.array([20, 20])  # noqa: NPY002
    C = np.array([[0.0, -0.1], [1.7, 0.4]])
    stretched_gaussian = np.dot(np.random.randn(n_samples, 2), C)  # noqa: NPY002
    X_train = np.vstack([shifted_gaussian, stretched_gaussian])
    np.random.shuffle(X_train)  # noqa: NPY002
    gmm = GaussianMixture(n_components=2, covariance_type="full", random_state=0)
    gmm.fit(X_train)
    cluster_labels = gmm.predict(X_train)

    shifted = np.linalg.norm(X_train - [-20.0, -20.0], axis=1) < 10.0
    assert shifted.sum() == n_samples
    assert len(set(cluster_labels[shifted])) == 1
    assert len(set(cluster_labels[~shifted])) == 1
    assert cluster_labels[shifted][0] != cluster_labels[~shifted][0]
    assert gmm.converged_


# ----------------------------------------------------------------------------- 7. numerics
def test_far_away_points_have_finite_scores_and_normalised_proba(covariance_type):
    gm, X = fitted(covariance_type)
    std = X.std(axis=0)
    far = np.vstack(
        [
            X.mean(axis=0) + sign * 1e6 * std * direction
            for sign in (1.0, -1.0)
            for direction in ([1, 1], [1, -1], [1, 0], [0, 1])
        ]
    )
    scores = gm.score_samples(far)
    proba = gm.predict_proba(far)
    assert np.all(np.isfinite(scores))
    assert np.all(scores < -1e9)  # a million standard deviations away is very unlikely
    assert np.all(np.isfinite(proba))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert_allclose(gm.predict_proba(X).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    labels = gm.predict(far)
    assert_array_equal(labels, proba.argmax(axis=1))


def test_score_samples_matches_scipy_density(covariance_type):
    stats = pytest.importorskip("scipy.stats")
    gm, X = fitted(covariance_type, n_samples=200)
    density = sum(
        gm.weights_[k] * stats.multivariate_normal(gm.means_[k], dense_covariance(gm, k)).pdf(X)
        for k in range(3)
    )
    assert_allclose(gm.score_samples(X), np.log(density), rtol=1e-10)


def test_float32_input_stays_float32(covariance_type):
    # as scikit-learn 1.9: float32 attributes and outputs; the E-step passes run in
    # float32 (parameters and the statistics' sums stay float64 inside)
    X64 = make_gmm_data(covariance_type, 300, seed=0)[0]
    X32 = X64.astype(np.float32)
    gm32 = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X32)
    gm_rounded = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(
        X32.astype(np.float64)
    )
    for name in FITTED_ARRAYS:
        assert getattr(gm32, name).dtype == np.float32, name
        assert_allclose(getattr(gm32, name), getattr(gm_rounded, name), rtol=1e-4, atol=1e-5)
    assert gm32.score_samples(X32).dtype == np.float32
    assert gm32.predict_proba(X32).dtype == np.float32
    assert_allclose(gm32.score(X32), gm_rounded.score(X32), rtol=1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_log_likelihood_within_1e5_of_float64_from_the_same_start(covariance_type):
    # a problem big enough for the NumPy passes (not the compiled small-data loop)
    X64 = make_gmm_data(covariance_type, 6000, seed=3)[0]
    X32 = X64.astype(np.float32)
    start = GaussianMixture(4, covariance_type=covariance_type, random_state=0, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start.fit(X64)
    inits = {
        "weights_init": start.weights_,
        "means_init": start.means_,
        "precisions_init": start.precisions_,
    }
    settings = {"covariance_type": covariance_type, "tol": 1e-6, "max_iter": 500, **inits}
    gm32 = GaussianMixture(4, **settings).fit(X32)
    gm64 = GaussianMixture(4, **settings).fit(X32.astype(np.float64))
    assert gm32.converged_
    assert gm32.lower_bound_ == pytest.approx(gm64.lower_bound_, rel=1e-5)
    assert gm32.score(X32) == pytest.approx(gm64.score(X32), rel=1e-5)


def test_data_far_from_origin_fits_like_centred_data(covariance_type):
    X = make_gmm_data(covariance_type, 300, seed=0)[0]
    shift = np.array([1e6, -1e6])
    params = {"covariance_type": covariance_type, "tol": 1e-8}
    params |= own_inits(X, 3, covariance_type)
    centred = GaussianMixture(3, **params).fit(X)
    params["means_init"] = params["means_init"] + shift
    shifted = GaussianMixture(3, **params).fit(X + shift)
    assert_allclose(shifted.means_ - shift, centred.means_, atol=1e-6)
    assert_allclose(shifted.covariances_, centred.covariances_, rtol=1e-6, atol=1e-9)
    assert_allclose(shifted.weights_, centred.weights_, rtol=1e-6)


# ----------------------------------------------------------------------------- 8. API
def test_get_params_and_set_params():
    gm = GaussianMixture(n_components=3, covariance_type="diag", tol=1e-4)
    params = gm.get_params()
    assert params["n_components"] == 3
    assert params["covariance_type"] == "diag"
    assert params["tol"] == 1e-4
    assert set(params) == {
        "n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init",
        "init_params", "weights_init", "means_init", "precisions_init", "random_state",
        "warm_start", "verbose", "verbose_interval", "missing", "chunk_size",
        "learning_decay", "learning_offset", "prior", "noise", "hypervolume",
    }  # fmt: skip
    assert gm.set_params(n_components=5, max_iter=7) is gm
    assert gm.n_components == 5
    assert gm.get_params()["max_iter"] == 7


def test_set_params_rejects_unknown_name():
    with pytest.raises(ValueError, match="Invalid parameter 'n_clusters'"):
        GaussianMixture().set_params(n_clusters=3)


def test_sklearn_clone_gives_unfitted_copy_with_same_params():
    base = pytest.importorskip("sklearn.base")
    gm, _ = fitted("full", n_samples=100)
    copy = base.clone(gm)
    assert type(copy) is GaussianMixture
    assert copy.get_params() == gm.get_params()
    assert not hasattr(copy, "means_")


def test_sklearn_check_is_fitted_and_grid_search():
    validation = pytest.importorskip("sklearn.utils.validation")
    model_selection = pytest.importorskip("sklearn.model_selection")
    exceptions = pytest.importorskip("sklearn.exceptions")
    gm = GaussianMixture(random_state=0)
    with pytest.raises(exceptions.NotFittedError):
        validation.check_is_fitted(gm)
    X = make_gmm_data("full", 300, seed=0)[0]
    gm.fit(X)
    validation.check_is_fitted(gm)
    search = model_selection.GridSearchCV(
        GaussianMixture(random_state=0), {"n_components": [1, 3]}, cv=3
    ).fit(X)
    assert search.best_params_ == {"n_components": 3}


def test_repr_shows_only_changed_parameters():
    assert repr(GaussianMixture()) == "GaussianMixture()"
    assert (
        repr(GaussianMixture(n_components=3, covariance_type="tied"))
        == "GaussianMixture(covariance_type='tied', n_components=3)"
    )


def test_fitted_attributes_exist_only_after_fit():
    gm = GaussianMixture(2, random_state=0)
    attributes = (*FITTED_ARRAYS, "converged_", "n_iter_", "lower_bound_", "lower_bounds_",
                  "n_features_in_")  # fmt: skip
    for name in attributes:
        assert not hasattr(gm, name), name
    X = make_gmm_data("full", 100, seed=0)[0]
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic", "icl"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(gm, method)(X)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        gm.sample(3)
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)

    gm.fit(X)
    for name in attributes:
        assert hasattr(gm, name), name
    assert gm.n_features_in_ == 2
    assert gm.weights_.shape == (2,)
    assert gm.means_.shape == (2, 2)
    assert isinstance(gm.lower_bounds_, list)


@pytest.mark.parametrize(
    ("covariance_type", "shape"),
    [("full", (3, 2, 2)), ("tied", (2, 2)), ("diag", (3, 2)), ("spherical", (3,))],
)
def test_parameter_shapes(covariance_type, shape):
    gm, _ = fitted(covariance_type)
    assert gm.covariances_.shape == shape
    assert gm.precisions_.shape == shape
    assert gm.precisions_cholesky_.shape == shape


def test_precisions_are_inverse_covariances(covariance_type):
    gm, _ = fitted(covariance_type)
    if covariance_type in ("full", "tied"):
        eye = np.broadcast_to(np.eye(2), gm.covariances_.shape)
        assert_allclose(gm.covariances_ @ gm.precisions_, eye, atol=1e-10)
        chol = gm.precisions_cholesky_
        assert_allclose(chol @ np.swapaxes(chol, -1, -2), gm.precisions_, rtol=1e-12)
        assert_allclose(np.tril(chol, k=-1), 0.0)  # upper triangular, like sklearn
    else:
        assert_allclose(gm.covariances_ * gm.precisions_, 1.0, rtol=1e-12)
        assert_allclose(gm.precisions_cholesky_**2, gm.precisions_, rtol=1e-12)
    assert_allclose(gm.weights_.sum(), 1.0, rtol=1e-12)


def test_feature_names_in_for_dataframe_only():
    df = load_faithful()
    gm = GaussianMixture(2, random_state=0).fit(df)
    assert_array_equal(gm.feature_names_in_, ["eruptions", "waiting"])
    assert gm.n_features_in_ == 2
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_list = gm.predict(df.to_numpy().tolist())
    assert_array_equal(gm.predict(df), from_list)

    gm.fit(df.to_numpy())
    assert not hasattr(gm, "feature_names_in_")
    assert not hasattr(GaussianMixture(2, random_state=0).fit(df.to_numpy()), "feature_names_in_")


def test_dataframe_feature_names_checked_at_predict():
    df = load_faithful()
    gm = GaussianMixture(2, random_state=0).fit(df)
    with pytest.raises(ValueError, match=r"fitted with \['eruptions', 'waiting'\]"):
        gm.predict(df.rename(columns={"waiting": "wait"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        gm.predict(df.to_numpy())


def test_predict_with_wrong_number_of_features():
    gm, X = fitted("full")
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture is expecting 2"):
        gm.predict(np.hstack([X, X[:, :1]]))
    with pytest.raises(ValueError, match="X has 1 features, but GaussianMixture is expecting 2"):
        gm.score_samples(X[:, :1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_predict_equals_fit_then_predict(covariance_type, seed):
    X = make_gmm_data(covariance_type, 200, seed=seed, separation=2.5)[0]
    params = {"covariance_type": covariance_type, "random_state": seed, "tol": 1e-5}
    labels = GaussianMixture(3, **params).fit_predict(X)
    assert_array_equal(labels, GaussianMixture(3, **params).fit(X).predict(X))


def test_fit_predict_equals_fit_then_predict_after_one_iteration(covariance_type):
    X = make_gmm_data(covariance_type, 200, seed=3, separation=1.5)[0]
    params = {"covariance_type": covariance_type, "random_state": 0, "max_iter": 1}
    with pytest.warns(ConvergenceWarning):
        labels = GaussianMixture(3, **params).fit_predict(X)
    with pytest.warns(ConvergenceWarning):
        gm = GaussianMixture(3, **params).fit(X)
    assert_array_equal(labels, gm.predict(X))


def test_warm_start_continues_from_previous_solution(covariance_type):
    X = make_gmm_data(covariance_type, 300, seed=4, separation=2.0)[0]
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0, tol=1e-4).fit(X)
    first_bound = gm.lower_bound_
    first = {name: getattr(gm, name).copy() for name in FITTED_ARRAYS}
    gm.set_params(warm_start=True, max_iter=1, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        gm.fit(X)
    assert gm.n_iter_ == 1
    assert len(gm.lower_bounds_) == 1
    assert gm.lower_bound_ >= first_bound - 1e-12

    # one EM step from the previous parameters, as an explicit initialisation does
    restart = GaussianMixture(
        3,
        covariance_type=covariance_type,
        max_iter=1,
        tol=0.0,
        weights_init=first["weights_"],
        means_init=first["means_"],
        precisions_init=first["precisions_"],
    )
    with pytest.warns(ConvergenceWarning):
        restart.fit(X)
    assert_same_parameters(gm, restart, rtol=1e-9)


def test_warm_start_with_wrong_number_of_features_is_refused():
    gm, X = fitted("full")
    gm.set_params(warm_start=True)
    with pytest.raises(ValueError, match="X has 3 features while the fitted model has 2"):
        gm.fit(np.hstack([X, X[:, :1]]))


def test_sample_shapes_labels_and_reproducibility(covariance_type):
    gm, _ = fitted(covariance_type, random_state=5)
    X, y = gm.sample(400)
    assert X.shape == (400, 2)
    assert y.shape == (400,)
    assert np.all(np.diff(y) >= 0)  # grouped by component
    assert np.bincount(y, minlength=3).sum() == 400
    X_again, y_again = gm.sample(400)
    assert_array_equal(X, X_again)
    assert_array_equal(y, y_again)
    X_one, y_one = gm.sample()
    assert X_one.shape == (1, 2)
    assert y_one.shape == (1,)


def test_sample_follows_the_fitted_mixture(covariance_type):
    gm, _ = fitted(covariance_type, random_state=5)
    X, y = gm.sample(20_000)
    counts = np.bincount(y, minlength=3)
    assert_allclose(counts / counts.sum(), gm.weights_, atol=0.02)
    for k in range(3):
        assert_allclose(X[y == k].mean(axis=0), gm.means_[k], atol=0.1)
        expected = dense_covariance(gm, k)
        relative = np.linalg.norm(np.cov(X[y == k].T) - expected) / np.linalg.norm(expected)
        assert relative < 0.1


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, True])
def test_sample_rejects_bad_counts(n_samples):
    gm, _ = fitted("full", n_samples=100)
    with pytest.raises(ValueError, match=rf"n_samples must be an integer >= 1.*got {n_samples!r}"):
        gm.sample(n_samples)


def test_bic_and_aic_formulas(covariance_type):
    gm, X = fitted(covariance_type)
    n = len(X)
    log_likelihood = gm.score(X) * n
    p = gm._n_parameters()
    assert_allclose(gm.bic(X), -2 * log_likelihood + p * math.log(n), rtol=1e-12)
    assert_allclose(gm.aic(X), -2 * log_likelihood + 2 * p, rtol=1e-12)
    assert_allclose(log_likelihood, gm.score_samples(X).sum(), rtol=1e-12)


def test_icl_is_bic_plus_twice_the_map_entropy(covariance_type):
    X = make_gmm_data(covariance_type, 300, seed=0, separation=2.0)[0]  # overlapping
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    proba = gm.predict_proba(X)
    entropy = -np.log(proba.max(axis=1)).sum()
    assert entropy > 1.0
    assert gm.icl(X) >= gm.bic(X)
    assert_allclose(gm.icl(X), gm.bic(X) + 2 * entropy, rtol=1e-10)


def sklearn_n_parameters(covariance_type, n_components, n_features):
    """scikit-learn's ``GaussianMixture._n_parameters`` formula."""
    cov = {
        "full": n_components * n_features * (n_features + 1) / 2.0,
        "diag": n_components * n_features,
        "tied": n_features * (n_features + 1) / 2.0,
        "spherical": n_components,
    }[covariance_type]
    return int(cov + n_components * n_features + n_components - 1)


@pytest.mark.filterwarnings("ignore::bayesgmm.exceptions.ComponentCollapseWarning")
@pytest.mark.parametrize("n_components", [1, 2, 4])
@pytest.mark.parametrize("n_features", [1, 3])
def test_number_of_parameters(covariance_type, n_components, n_features):
    X = np.random.default_rng(0).normal(size=(60, n_features))
    gm = GaussianMixture(n_components, covariance_type=covariance_type, random_state=0)
    gm.fit(X)
    assert gm._n_parameters() == sklearn_n_parameters(covariance_type, n_components, n_features)


def test_number_of_parameters_matches_sklearn_object(sklearn_gmm, covariance_type):
    X = make_gmm_data(covariance_type, 120, seed=0)[0]
    theirs = sklearn_gmm[0](3, covariance_type=covariance_type, random_state=0).fit(X)
    ours = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert ours._n_parameters() == theirs._n_parameters()


def test_verbose_prints_iterations(capsys):
    X = make_gmm_data("full", 100, seed=0)[0]
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, verbose=2, verbose_interval=1, max_iter=3, tol=0.0, random_state=0).fit(
            X
        )
    out = capsys.readouterr().out
    assert "Initialization 0" in out
    iterations = re.findall(r"Iteration (\d+)", out)
    assert iterations == ["1", "2", "3"]
    assert "ll change" in out
    assert "did not converge" in out


def test_verbose_zero_is_silent(capsys):
    X = make_gmm_data("full", 100, seed=0)[0]
    GaussianMixture(3, random_state=0).fit(X)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("alias", "name"), sorted((v, k) for k, v in MCLUST_NAMES.items()))
def test_mclust_aliases_are_accepted(alias, name):
    X = make_gmm_data(name, 200, seed=0)[0]
    by_alias = GaussianMixture(3, covariance_type=alias, random_state=0).fit(X)
    by_name = GaussianMixture(3, covariance_type=name, random_state=0).fit(X)
    assert by_alias.get_params()["covariance_type"] == alias
    for attribute in FITTED_ARRAYS:
        assert_array_equal(getattr(by_alias, attribute), getattr(by_name, attribute))
    assert by_alias._n_parameters() == by_name._n_parameters()
    assert_allclose(by_alias.bic(X), by_name.bic(X), rtol=1e-15)


def test_all_covariance_types_listed():
    assert COVARIANCE_TYPES == ("full", "tied", "diag", "spherical")
    assert MCLUST_NAMES == {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


def test_n_init_keeps_the_best_initialisation(capsys):
    X = make_gmm_data("full", 300, seed=2, separation=2.0)[0]
    gm = GaussianMixture(3, init_params="random", n_init=5, random_state=0, verbose=2)
    gm.fit(X)
    bounds = [float(b) for b in re.findall(r"lower bound (-?\d+\.\d+)", capsys.readouterr().out)]
    assert len(bounds) == 5
    assert len(set(np.round(bounds, 4))) > 1  # the initialisations did differ
    assert_allclose(gm.lower_bound_, max(bounds), atol=1e-5)
    assert gm.lower_bounds_[-1] == gm.lower_bound_


def test_lower_bounds_increase(covariance_type):
    X = make_gmm_data(covariance_type, 300, seed=5, separation=2.0)[0]
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0, tol=1e-8).fit(X)
    bounds = np.asarray(gm.lower_bounds_)
    assert len(bounds) == gm.n_iter_
    assert np.all(np.diff(bounds) >= -1e-10)  # EM never decreases the likelihood
    assert bounds[-1] == gm.lower_bound_
    # the lower bound is the log-likelihood at the parameters before the last M-step
    assert gm.score(X) >= gm.lower_bound_ - 1e-10
    assert_allclose(gm.score(X), gm.lower_bound_, atol=1e-7)


# ----------------------------------------------------------------------------- 9. bad input
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_components": 0}, r"n_components must be an integer >= 1; got 0\."),
        ({"n_components": 2.0}, r"n_components must be an integer >= 1; got 2\.0\."),
        ({"n_components": True}, r"n_components must be an integer >= 1; got True\."),
        ({"tol": -1}, r"tol must be a real number >= 0\.0; got -1\."),
        ({"tol": float("nan")}, r"tol must be a real number >= 0\.0; got nan\."),
        ({"reg_covar": -1e-3}, r"reg_covar must be a real number >= 0\.0; got -0\.001\."),
        ({"max_iter": -1}, r"max_iter must be an integer >= 0; got -1\."),
        ({"n_init": 0}, r"n_init must be an integer >= 1; got 0\."),
        ({"init_params": "bogus"}, r"init_params must be one of \[.*'kmeans'.*\]; got 'bogus'"),
        ({"covariance_type": "bogus"}, r"covariance_type must be one of .*; got 'bogus'"),
        ({"random_state": -1}, r"random_state must be .*; got -1\."),
        ({"random_state": "seed"}, r"random_state must be .*; got 'seed'\."),
        ({"warm_start": 1}, r"warm_start must be True or False; got 1\."),
        ({"verbose": -1}, r"verbose must be an integer >= 0; got -1\."),
        ({"verbose_interval": 0}, r"verbose_interval must be an integer >= 1; got 0\."),
    ],
)
def test_invalid_parameters_are_named_with_their_value(params, message):
    X = make_gmm_data("full", 50, seed=0)[0]
    with pytest.raises(ValueError, match=message):
        GaussianMixture(**params).fit(X)


def test_numpy_integer_parameters_are_accepted():
    X = make_gmm_data("full", 100, seed=0)[0]
    gm = GaussianMixture(np.int64(3), max_iter=np.int32(50), random_state=np.int64(0)).fit(X)
    assert gm.means_.shape == (3, 2)


def test_nan_rows_are_listed():
    X = make_gmm_data("full", 20, seed=0)[0]
    X[3, 0] = np.nan
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN in rows \[3, 7\] \(2 rows\)"):
        GaussianMixture(2).fit(X)
    gm, _ = fitted("full")
    with pytest.raises(ValueError, match=r"rows \[3, 7\]"):
        gm.predict(X)


def test_infinite_rows_are_listed():
    X = make_gmm_data("full", 20, seed=0)[0]
    X[5, 1] = -np.inf
    with pytest.raises(ValueError, match=r"X contains infinite values in rows \[5\] \(1 row\)"):
        GaussianMixture(2).fit(X)


def test_one_dimensional_x_suggests_reshape():
    with pytest.raises(ValueError, match=r"got a 1-D array of shape \(10,\).*reshape\(-1, 1\)"):
        GaussianMixture(2).fit(np.arange(10.0))
    gm, _ = fitted("full")
    with pytest.raises(ValueError, match=r"reshape"):
        gm.predict(np.array([1.0, 2.0]))


def test_fewer_samples_than_components():
    X = make_gmm_data("full", 3, seed=0)[0]
    with pytest.raises(ValueError, match="n_components = 5, n_samples = 3"):
        GaussianMixture(5).fit(X)
    with pytest.raises(ValueError, match="at least 2 samples; got 1"):
        GaussianMixture(1).fit(X[:1])


def test_fewer_positive_weights_than_components():
    X = make_gmm_data("full", 10, seed=0)[0]
    weight = np.zeros(10)
    weight[:2] = 1.0
    with pytest.raises(ValueError, match=r"n_components = 3, n_samples = 2 \(rows with positive"):
        GaussianMixture(3).fit(X, sample_weight=weight)


@pytest.mark.parametrize(
    "X",
    [
        [["a", "b"], ["c", "d"]],
        np.array([[1.0, "b"], [3.0, 4.0]], dtype=object),
    ],
    ids=["strings", "object"],
)
def test_non_numeric_x_raises_type_error(X):
    with pytest.raises(TypeError, match=r"X must contain numbers; \d cell\(s\) are not"):
        GaussianMixture(1).fit(X)


def test_complex_x_raises_value_error():
    with pytest.raises(ValueError, match=r"X must be real-valued; got a complex array"):
        GaussianMixture(1).fit(np.array([[1 + 1j, 2.0], [3.0, 4.0]]))


def test_dataframe_with_text_column_names_the_column():
    df = load_faithful().assign(kind="geyser")
    with pytest.raises(TypeError, match=r"columns \['kind'\] are not numeric"):
        GaussianMixture(2).fit(df)


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (np.r_[np.ones(9), -1.0], r"finite and >= 0; rows \[9\] \(1 row\).*-1\.0"),
        (np.r_[np.ones(9), np.nan], r"finite and >= 0; rows \[9\] \(1 row\)"),
        (np.ones(9), r"sample_weight must have shape \(10,\) to match X; got shape \(9,\)"),
        (np.ones((10, 1)), r"must have shape \(10,\) to match X; got shape \(10, 1\)"),
        (np.zeros(10), "sample_weight sums to 0"),
    ],
    ids=["negative", "nan", "short", "2-D", "all-zero"],
)
def test_bad_sample_weight(weight, message):
    X = make_gmm_data("full", 10, seed=0)[0]
    with pytest.raises(ValueError, match=message):
        GaussianMixture(1).fit(X, sample_weight=weight)


def test_bad_sample_weight_in_score():
    gm, X = fitted("full")
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(300,\)"):
        gm.score(X, sample_weight=np.ones(3))
    with pytest.raises(TypeError, match="sample_weight must be numeric"):
        gm.bic(X, sample_weight=np.array(["a"] * 300))


def test_weights_init_must_sum_to_one():
    X = make_gmm_data("full", 50, seed=0)[0]
    with pytest.raises(ValueError, match=r"weights_init must sum to 1; got sum 0\.9\b"):
        GaussianMixture(2, weights_init=[0.5, 0.4]).fit(X)
    with pytest.raises(ValueError, match=r"weights_init must be in \[0, 1\]; got min -0\.5"):
        GaussianMixture(2, weights_init=[-0.5, 1.5]).fit(X)
    with pytest.raises(ValueError, match=r"weights_init must have shape \(2,\).*got \(3,\)"):
        GaussianMixture(2, weights_init=[0.2, 0.3, 0.5]).fit(X)


def test_means_init_shape_is_checked():
    X = make_gmm_data("full", 50, seed=0)[0]
    with pytest.raises(ValueError, match=r"means_init must have shape \(2, 2\).*got \(3, 2\)"):
        GaussianMixture(2, means_init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match="means_init contains NaN"):
        GaussianMixture(2, means_init=[[0.0, np.nan], [1.0, 1.0]]).fit(X)


@pytest.mark.parametrize(
    ("covariance_type", "precisions", "message"),
    [
        ("full", [np.eye(2), [[1.0, 2.0], [2.0, 1.0]]], r"precisions_init\[1\] is not positive"),
        ("full", [np.eye(2), [[1.0, 0.5], [0.0, 1.0]]], r"precisions_init\[1\] is not symmetric"),
        ("full", np.eye(2), r"must have shape \(2, 2, 2\).*got shape \(2, 2\)"),
        ("tied", [[1.0, 0.0], [0.0, -1.0]], r"precisions_init is not positive definite"),
        ("diag", [[1.0, 1.0], [1.0, 0.0]], r"strictly positive; entries at \[\[1, 1\]\]"),
        ("spherical", [1.0, -2.0], r"strictly positive; entries at \[\[1\]\]"),
        ("spherical", [1.0, np.inf], "precisions_init contains NaN or infinite"),
    ],
)
def test_invalid_precisions_init(covariance_type, precisions, message):
    X = make_gmm_data("full", 50, seed=0)[0]
    gm = GaussianMixture(2, covariance_type=covariance_type, precisions_init=np.array(precisions))
    with pytest.raises(ValueError, match=message):
        gm.fit(X)


# ----------------------------------------------------------------------------- 10. degenerate
def collapsing_data(seed=0, n_features=2):
    """50 standard normal rows plus 10 copies of the point (5, ..., 5)."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(50, n_features)), np.full((10, n_features), 5.0)])


def collapse_messages(caught):
    return [str(w.message) for w in caught if issubclass(w.category, ComponentCollapseWarning)]


@pytest.mark.parametrize("reg_covar", [0.0, 1e-6])
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_collapsed_component_warns_names_it_and_stays_finite(covariance_type, reg_covar):
    X = collapsing_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = GaussianMixture(
            2, covariance_type=covariance_type, reg_covar=reg_covar, random_state=0
        ).fit(X)
    collapsed = int(np.argmin(np.linalg.norm(gm.means_ - 5.0, axis=1)))
    messages = collapse_messages(caught)
    assert any(m.startswith(f"Component {collapsed} collapsed") for m in messages), messages
    assert not any(m.startswith(f"Component {1 - collapsed} ") for m in messages), messages
    for name in FITTED_ARRAYS:
        assert np.all(np.isfinite(getattr(gm, name))), name
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert np.all(np.isfinite(gm.predict_proba(X)))
    assert_allclose(gm.means_[collapsed], [5.0, 5.0], atol=1e-3)
    assert_allclose(gm.weights_[collapsed], 10 / 60, atol=1e-4)


def test_regularises_where_sklearn_raises(sklearn_gmm):
    X = collapsing_data()
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        sklearn_gmm[0](2, reg_covar=0.0, random_state=0).fit(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)
    assert collapse_messages(caught)
    assert np.all(np.isfinite(gm.covariances_))
    assert np.isfinite(gm.score(X))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_collapsed_component_repair_lets_em_converge(covariance_type):
    """With reg_covar=0 a component sitting on 10 identical points is repaired; the
    repair must be a fixed point so that EM settles, instead of cycling between
    parameter sets until max_iter and then advising to increase max_iter."""
    failures = []
    for n_features in (1, 2):
        for seed in range(6):
            X = collapsing_data(seed, n_features)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                gm = GaussianMixture(
                    2, covariance_type=covariance_type, reg_covar=0.0, random_state=0
                ).fit(X)
            did_not_converge = any(issubclass(w.category, ConvergenceWarning) for w in caught)
            if did_not_converge or not gm.converged_:
                failures.append((n_features, seed, np.round(gm.lower_bounds_[-4:], 3).tolist()))
    assert not failures, f"EM did not settle for (n_features, seed, last bounds): {failures}"


def test_many_identical_points_do_not_produce_nan(covariance_type):
    X = np.vstack([np.zeros((100, 2)), np.random.default_rng(0).normal(size=(20, 2)) + 4.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    for name in FITTED_ARRAYS:
        assert np.all(np.isfinite(getattr(gm, name))), name
    assert np.all(np.isfinite(gm.score_samples(X)))
    labels = gm.predict(X)
    assert len(set(labels[:100])) == 1
    assert labels[0] not in set(labels[100:])
    messages = collapse_messages(caught)
    if covariance_type == "tied":  # the shared covariance is set by the spread-out rows
        assert messages == []
    else:
        assert [m.split(" collapsed")[0] for m in messages] == [f"Component {labels[0]}"]


def test_no_collapse_warning_for_healthy_components_of_badly_scaled_features(covariance_type):
    """Features on different scales (x100 and /100) are no degeneracy: every component
    holds ~100 points and its variances are ~50x reg_covar, so no collapse warning."""
    X = make_gmm_data("full", 300, seed=0)[0] * np.array([100.0, 0.01])
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert np.all(gm.weights_ * len(X) > 50)
    if covariance_type != "spherical":
        smallest = (
            np.linalg.eigvalsh(gm.covariances_).min(axis=-1)
            if covariance_type in ("full", "tied")
            else gm.covariances_.min(axis=1)
        )
        assert np.all(smallest > 40 * gm.reg_covar)


# ----------------------------------------------------------------------------- threads
def test_results_do_not_depend_on_thread_count(monkeypatch, covariance_type):
    """Large enough for several blocks per pass, which threads may share: the fit is
    bit-identical between runs and equal (to rounding) across thread counts."""
    X = make_gmm_data(covariance_type, 80_000, seed=0, separation=3.0)[0]
    params = {"covariance_type": covariance_type, "tol": 0.0, "max_iter": 8}
    params |= own_inits(X[:2000], 3, covariance_type)

    def fit(n_threads):
        monkeypatch.setenv("BAYESGMM_NUM_THREADS", str(n_threads))
        with pytest.warns(ConvergenceWarning):
            return GaussianMixture(3, **params).fit(X)

    single, threaded, again = fit(1), fit(2), fit(2)
    for name in FITTED_ARRAYS:
        assert np.array_equal(getattr(threaded, name), getattr(again, name)), name
    assert threaded.lower_bounds_ == again.lower_bounds_
    assert_same_parameters(threaded, single, rtol=1e-10)
    assert_allclose(threaded.lower_bounds_, single.lower_bounds_, rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_criteria_in_one_pass_equal_the_separate_methods(covariance_type, weighted):
    X = make_gmm_data(covariance_type, 300, seed=5)[0]
    weight = np.random.default_rng(5).integers(1, 4, size=len(X)) if weighted else None
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    gm.fit(X, sample_weight=weight)
    values = gm.criteria(X, sample_weight=weight)
    total = len(X) if weight is None else weight.sum()
    assert values["log_likelihood"] == pytest.approx(gm.score(X, sample_weight=weight) * total)
    assert values["bic"] == pytest.approx(gm.bic(X, sample_weight=weight), rel=1e-12)
    assert values["aic"] == pytest.approx(gm.aic(X, sample_weight=weight), rel=1e-12)
    assert values["icl"] == pytest.approx(gm.icl(X, sample_weight=weight), rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_max_iter_zero_returns_the_initialisation_as_scikit_learn(covariance_type):
    from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

    X = np.asarray(load_faithful(), dtype=float)
    rng = np.random.default_rng(0)
    inits = {
        "weights_init": np.array([0.3, 0.7]),
        "means_init": X[rng.choice(len(X), 2, replace=False)],
    }
    settings = {"n_components": 2, "covariance_type": covariance_type, "max_iter": 0, **inits}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning for max_iter=0
        ours = GaussianMixture(random_state=0, **settings).fit(X)
        theirs = SklearnGaussianMixture(random_state=0, **settings).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == 0
    assert not ours.converged_
    assert ours.lower_bound_ == theirs.lower_bound_ == -np.inf
    assert_allclose(ours.weights_, inits["weights_init"])
    assert_allclose(ours.means_, inits["means_init"])
    assert_allclose(ours.weights_, theirs.weights_)
    assert_allclose(ours.means_, theirs.means_)
    assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("total", [0.99999997, 1.00000009])
def test_float32_weights_init_within_rounding_of_one_are_accepted(total):
    X = np.asarray(load_faithful(), dtype=float)
    weights = np.array([0.25, 0.75], dtype=np.float32)
    weights[1] = np.float32(total) - weights[0]  # a float32 sum a few ulps from 1
    assert weights.sum(dtype=np.float64) != 1.0
    gm = GaussianMixture(2, weights_init=weights, random_state=0).fit(X)
    assert gm.converged_
    with pytest.raises(ValueError, match="weights_init must sum to 1"):
        GaussianMixture(2, weights_init=weights.astype(np.float64) * 1.00001).fit(X)
    with pytest.raises(ValueError, match="weights_init must sum to 1"):
        GaussianMixture(2, weights_init=np.array([0.25, 0.75 + 3e-8])).fit(X)


def test_float32_data_near_float32s_range_are_fitted_in_float64():
    # squares of 1e20 overflow float32: such data are fitted (and kept) in float64
    rng = np.random.default_rng(0)
    X = (np.r_[rng.normal(0, 1, (200, 2)), rng.normal(8, 1, (200, 2))] * 1e20).astype(np.float32)
    gm = GaussianMixture(2, random_state=0).fit(X)
    assert gm.converged_
    assert gm.means_.dtype == np.float64
    assert np.isfinite(gm.covariances_).all()
    assert_allclose(np.sort(gm.means_[:, 0]) / 1e20, [0.0, 8.0], atol=0.3)


@pytest.mark.parametrize("covariance_type", ["full", "VVV", "EEE", "VEV", "VVI", "EII"])
def test_mixture_from_parameters_scores_as_a_fit_with_those_parameters(covariance_type):
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    from bayesgmm.em.gaussian_mixture import mixture_from_parameters

    rng = np.random.default_rng(3)
    X = np.r_[rng.normal(0, 1, (80, 3)), rng.normal(3, 0.5, (60, 3))]
    fitted = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    full = get_covariance_model(covariance_type).full_covariances(fitted.covariances_, 2, 3)
    built = mixture_from_parameters(fitted.weights_, fitted.means_, full, covariance_type)
    assert_allclose(built.score_samples(X), fitted.score_samples(X), rtol=1e-10)
    assert_array_equal(built.predict(X), fitted.predict(X))
    expected = logsumexp(
        [
            np.log(w) + multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(fitted.weights_, fitted.means_, full, strict=True)
        ],
        axis=0,
    )
    assert_allclose(built.score_samples(X), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="must have shapes"):
        mixture_from_parameters(fitted.weights_, fitted.means_, full[:1], covariance_type)
