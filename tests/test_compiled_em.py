"""The compiled EM loop on small data equals the NumPy steps (``bayesgmm.em.compiled_loop``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bayesgmm import load_faithful, load_iris
from bayesgmm.covariance import MCLUST_MODELS, get_covariance_model
from bayesgmm.em.engine import EMEngine
from bayesgmm.em.noise import noise_setting
from bayesgmm.testing import make_clutter_data


def run_engine(
    X, name, K, *, compiled, weight=None, tol=1e-8, max_iter=500, seed=0, reg_covar=1e-6,
    noise=None,
):  # fmt: skip
    engine = EMEngine(
        get_covariance_model(name),
        K,
        reg_covar=reg_covar,
        tol=tol,
        max_iter=max_iter,
        init_params="hierarchical",
        compiled=compiled,
        log_noise_density=None if noise is None else noise.log_density,
    )
    rng = np.random.default_rng(seed)
    start = None if noise is None else noise.start
    inputs = engine.fit_inputs(X, weight, rng, noise_start=start)
    assert engine.use_compiled(inputs) is compiled
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = engine.run(inputs, rng, n_init=1)
    return run, [str(w.message) for w in caught]


def assert_same_run(fast, slow, rtol=1e-9):
    assert fast.n_iter == slow.n_iter
    assert fast.converged == slow.converged
    assert_allclose(fast.lower_bounds, slow.lower_bounds, rtol=rtol / 100, atol=0)
    assert_allclose(fast.params.weights, slow.params.weights, rtol=rtol, atol=1e-12)
    assert fast.params.noise_weight == pytest.approx(slow.params.noise_weight, rel=rtol, abs=1e-12)
    assert_allclose(fast.params.means, slow.params.means, rtol=rtol, atol=1e-10)
    assert_allclose(fast.params.covariances, slow.params.covariances, rtol=rtol, atol=1e-12)
    assert_allclose(
        fast.params.precisions_cholesky, slow.params.precisions_cholesky, rtol=rtol, atol=1e-10
    )


@pytest.mark.parametrize("name", MCLUST_MODELS)
@pytest.mark.parametrize("dataset", ["faithful", "iris"])
def test_every_model_iterates_as_the_numpy_steps(name, dataset):
    X = np.asarray(load_faithful() if dataset == "faithful" else load_iris().iloc[:, :4], float)
    fast, _ = run_engine(X, name, 3, compiled=True)
    slow, _ = run_engine(X, name, 3, compiled=False)
    assert len(fast.lower_bounds) == fast.n_iter > 5
    assert np.all(np.diff(fast.lower_bounds) > -1e-10)  # EM never goes down
    assert_same_run(fast, slow, rtol=1e-7 if name in ("EVE", "VVE") else 1e-9)


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_a_noise_component_iterates_as_the_numpy_steps(name):
    X, _ = make_clutter_data(2)
    noise = noise_setting(True, None, X)
    fast, _ = run_engine(X, name, 2, compiled=True, noise=noise)
    slow, _ = run_engine(X, name, 2, compiled=False, noise=noise)
    assert 0.05 < fast.params.noise_weight < 0.3
    # EVE and VVE: iterative M-steps, converged to their own tolerance
    assert_same_run(fast, slow, rtol=1e-6 if name in ("EVE", "VVE") else 1e-9)


@pytest.mark.parametrize("name", ["VVV", "EEE", "VVI", "VII", "VEV", "EVI"])
def test_sample_weights_iterate_as_the_numpy_steps(name):
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal([4, 1], [1, 0.4], (60, 2))]
    weight = rng.uniform(0.2, 3.0, len(X))
    fast, _ = run_engine(X, name, 2, compiled=True, weight=weight)
    slow, _ = run_engine(X, name, 2, compiled=False, weight=weight)
    assert_same_run(fast, slow)


def test_max_iter_stops_both_alike():
    X = np.asarray(load_faithful(), float)
    fast, _ = run_engine(X, "VEE", 4, compiled=True, max_iter=7, tol=0.0)
    slow, _ = run_engine(X, "VEE", 4, compiled=False, max_iter=7, tol=0.0)
    assert fast.n_iter == slow.n_iter == 7
    assert not fast.converged
    assert_same_run(fast, slow)


def test_a_collapsing_component_is_handed_back_to_the_numpy_repair():
    # two points on one spot and no reg_covar: after about 30 iterations one of five
    # components closes in on them and needs the engine's covariance repair, which
    # only the NumPy steps do (with the warning); the compiled loop hands over there
    rng = np.random.default_rng(1)
    X = np.r_[
        rng.normal(0, 1, (40, 2)),
        rng.normal(6, 1, (40, 2)),
        np.full((2, 2), 3.0),
        rng.normal(3, 0.5, (3, 2)),
    ]
    fast, _ = run_engine(X, "VVV", 5, compiled=True, max_iter=200, reg_covar=0.0)
    slow, _ = run_engine(X, "VVV", 5, compiled=False, max_iter=200, reg_covar=0.0)
    assert fast.n_iter > 40
    assert slow.n_iter > 40
    # the same component is repaired and EM reaches the same point; how many
    # iterations needed the repair differs: near the floor the NumPy M-step's
    # uncentred second moments and the loop's centred scatter round differently
    assert fast.repairs.keys() == slow.repairs.keys() == {1}
    assert fast.lower_bound == pytest.approx(slow.lower_bound, rel=1e-6)
    assert_allclose(fast.params.weights, slow.params.weights, atol=1e-3)
