"""Checks shared by the tests of the Bayesian covariance families (not a test module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from bayesgmm import BayesianGaussianMixture
from bayesgmm.bayes.ppc import posterior_predictive_check


def assert_posterior_recovers(
    name: str, X: np.ndarray, truth: dict[str, np.ndarray], max_z: float = 4.0
) -> None:
    """A 2-component fit of ``name`` has posterior means within ``max_z`` sds of ``truth``.

    ``truth`` holds ``weights``, ``means`` and ``covariances`` with the components in
    increasing order of their means' first coordinate (the EM labelling is arbitrary).
    """
    bgm = BayesianGaussianMixture(
        2, covariance_type=name, draws=400, tune=400, chains=2, progressbar=False, random_state=2
    ).fit(X)
    assert bgm.diagnostics_ok_, bgm.diagnostics_
    post = bgm.idata_["posterior"]
    order = np.argsort(post["means"].mean(("chain", "draw")).values[:, 0])
    post = post.isel(component=order)
    for var, true in truth.items():
        mean = post[var].mean(("chain", "draw")).values
        sd = post[var].std(("chain", "draw")).values
        z = np.abs(mean - true) / sd
        assert float(z.max()) < max_z, (var, mean, true, sd)


def assert_checks_and_round_trips(bgm: BayesianGaussianMixture, X: np.ndarray, folder: Path):
    """A posterior predictive check runs, and save/load keeps the model exactly."""
    check = posterior_predictive_check(bgm, X, random_state=0)
    assert 0.0 <= check.min_p_value <= 1.0
    loaded = BayesianGaussianMixture.load(bgm.save(folder / f"{bgm.covariance_type}.nc"))
    assert loaded.covariance_type == bgm.covariance_type
    assert_allclose(loaded.covariances_, bgm.covariances_)
    assert_allclose(loaded.score_samples(X[:5]), bgm.score_samples(X[:5]))
