"""Priors of the mixture of finite mixtures: published defaults, overrides, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayesgmm import load_faithful, load_galaxies
from bayesgmm.mfm import MFMPriors, k_prior_log_pmf


@pytest.mark.parametrize(
    ("k_prior", "reference"),
    [
        ("uniform", lambda j: np.ones_like(j, dtype=float)),
        (("bnb", 1.0, 4.0, 3.0), lambda j: stats.betanbinom.pmf(j, 1, 4, 3)),
        (("bnb", 2, 2.5, 1), lambda j: stats.betanbinom.pmf(j, 2, 2.5, 1)),
        (("poisson", 3.0), lambda j: stats.poisson.pmf(j, 3.0)),
        (("geometric", 0.3), lambda j: stats.geom.pmf(j + 1, 0.3)),
    ],
)
def test_k_prior_is_the_named_distribution_of_k_minus_1_truncated(k_prior, reference):
    k_max = 12
    expected = reference(np.arange(k_max))
    expected = expected / expected.sum()
    np.testing.assert_allclose(np.exp(k_prior_log_pmf(k_prior, k_max)), expected, rtol=1e-12)


def test_k_prior_probabilities_are_normalised_and_may_exclude_values():
    probs = np.exp(k_prior_log_pmf([0.0, 2.0, 1.0, 1.0], 4))
    np.testing.assert_allclose(probs, [0.0, 0.5, 0.25, 0.25])


@pytest.mark.parametrize(
    ("k_prior", "match"),
    [
        ("dirichlet", "k_prior must be one of"),
        (("bnb", 1.0, 4.0), "takes 3 positive"),
        (("poisson", -1.0), "takes 1 positive"),
        (("geometric", 1.5), "0 < p < 1"),
        ([0.5, 0.5], "must hold 4"),
        ([0.0, 0.0, 0.0, 0.0], "not all be zero"),
        ([0.5, -0.1, 0.3, 0.3], "non-negative"),
    ],
)
def test_bad_k_prior_is_named(k_prior, match):
    with pytest.raises(ValueError, match=match):
        k_prior_log_pmf(k_prior, 4)


def test_richardson_green_defaults_match_green_nmix_on_the_galaxies():
    # Green's Nmix program prints, for the galaxy data (Nmix -n10000 galx):
    # xi = 21.73, kappa = 1/R^2 = 0.1586E-02, alpha = 2, g = 0.2, h = 10/R^2 = 0.1586E-01,
    # delta = 1, uniform k (kmax 30)
    X = load_galaxies("richardson_green").to_numpy() / 1000
    resolved = MFMPriors.named("richardson_green").resolve(X, 30)
    assert resolved.b0[0] == pytest.approx(21.73, abs=0.005)
    assert 1 / resolved.B0[0, 0] == pytest.approx(0.1586e-2, rel=1e-3)
    assert resolved.G0[0, 0] == pytest.approx(0.1586e-1, rel=1e-3)
    assert (resolved.c0, resolved.g0, resolved.gamma, resolved.dynamic) == (2.0, 0.2, 1.0, False)
    np.testing.assert_allclose(np.exp(resolved.log_prior_k), np.full(30, 1 / 30))
    assert not resolved.truncated


def test_telescope_defaults_in_two_dimensions():
    # telescope's multivariate vignette: c0 = 2.5 + (r-1)/2, g0 = 0.5 + (r-1)/2,
    # G0 = 100 g0/c0 diag(1/R^2), C0 = g0 G0^-1, B0 = diag(R^2); K - 1 ~ BNB(1, 4, 3)
    X = load_faithful().to_numpy()
    span = X.max(axis=0) - X.min(axis=0)
    resolved = MFMPriors.named("telescope").resolve(X, 50)
    assert (resolved.c0, resolved.g0) == (3.0, 1.0)
    np.testing.assert_allclose(resolved.G0, np.diag(100 * 1.0 / 3.0 / span**2))
    np.testing.assert_allclose(resolved.C0, np.linalg.inv(resolved.G0))
    np.testing.assert_allclose(resolved.B0, np.diag(span**2))
    np.testing.assert_allclose(resolved.b0, (X.max(axis=0) + X.min(axis=0)) / 2)
    assert resolved.dynamic
    assert resolved.alpha is None
    assert resolved.alpha_prior == (6.0, 3.0)
    assert resolved.truncated


def test_fields_are_overridable_one_by_one():
    X = np.array([[0.0], [1.0], [4.0]])
    base = MFMPriors.named("richardson_green").resolve(X, 10)
    changed = MFMPriors.from_spec({"name": "richardson_green", "c0": 3.0, "b0": [1.0]}, 1)
    resolved = changed.resolve(X, 10)
    assert resolved.c0 == 3.0
    assert resolved.b0.tolist() == [1.0]
    assert resolved.g0 == base.g0
    assert np.array_equal(resolved.B0, base.B0)
    # G0 follows the overridden c0 (100 g0 / c0 / R^2) unless given
    assert resolved.G0[0, 0] == pytest.approx(100 * 0.2 / 3.0 / 16)
    fixed = MFMPriors.named("richardson_green", g0=0.0, C0=0.5).resolve(X, 10)
    assert fixed.g0 == 0.0
    assert fixed.C0[0, 0] == 0.5


def test_default_priors_follow_the_number_of_features():
    assert MFMPriors.from_spec(None, 1).name == "richardson_green"
    assert MFMPriors.from_spec(None, 3).name == "telescope"
    assert MFMPriors.from_spec({"gamma": 0.5}, 2).name == "telescope"


@pytest.mark.parametrize(
    ("priors", "X", "error", "match"),
    [
        ("green", np.eye(3)[:, :1], ValueError, "priors must be one of"),
        (42, np.eye(3)[:, :1], TypeError, "priors must be None"),
        ({"kappa": 1.0}, np.eye(3)[:, :1], ValueError, "unknown prior field"),
        ("richardson_green", np.eye(3)[:, :2], ValueError, "one feature"),
        ({"c0": -1.0}, np.eye(3)[:, :1], ValueError, "c0 must be"),
        ({"name": "telescope", "c0": 0.4}, np.eye(3), ValueError, "c0 must be a number > 1"),
        ({"gamma": 0.0}, np.eye(3)[:, :1], ValueError, "gamma must be"),
        ({"weights": "sparse"}, np.eye(3)[:, :1], ValueError, "weights must be"),
        ({"B0": [[1.0, 2.0], [2.0, 1.0]]}, np.eye(3)[:, :2], ValueError, "B0 must be symmetric"),
        ({"b0": [0.0]}, np.eye(3)[:, :2], ValueError, "b0 must hold 2"),
        ({"alpha_prior": (6.0,)}, np.eye(3)[:, :1], ValueError, "alpha_prior"),
        (None, np.array([[1.0, 2.0], [1.0, 3.0]]), ValueError, "constant feature"),
    ],
)
def test_bad_priors_name_the_field(priors, X, error, match):
    with pytest.raises(error, match=match):
        MFMPriors.from_spec(priors, X.shape[1]).resolve(X, 10)
