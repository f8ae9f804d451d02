"""Checks shared by the tests of the Bayesian covariance families (not a test module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from bayesgmm import BayesianGaussianMixture
from bayesgmm.bayes import Priors
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.compiled_model import CompiledMixture
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


def simulate_full(
    weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, n: int, seed: int
) -> np.ndarray:
    """``n`` rows of a Gaussian mixture given its ``(K, D, D)`` covariances."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(weights), size=n, p=weights)
    chol = np.linalg.cholesky(covariances)
    noise = rng.normal(size=(n, means.shape[1]))
    return means[labels] + np.einsum("nij,nj->ni", chol[labels], noise)


def assert_free_variables_map_back(bgm: BayesianGaussianMixture, X: np.ndarray, free: list[str]):
    """The last draw's kept free variables (relabelled with the rest) give its parameters.

    That is what continuing a chain (``max_doublings``) starts from.
    """
    post = bgm.idata_["posterior"].isel(chain=0, draw=-1)
    mixture = CompiledMixture(
        X, bgm.n_components, bgm.covariance_type, Priors(), *standardization(X)
    )
    theta = mixture.unconstrain({var: post[var].values for var in free})
    names = [f"x{j}" for j in range(X.shape[1])]
    again = mixture.posterior(theta[None, None, :], names).isel(chain=0, draw=0)
    assert_allclose(again["covariances"].values, post["covariances"].values, rtol=1e-10)
    assert_allclose(again["means"].values, post["means"].values, rtol=1e-10)
