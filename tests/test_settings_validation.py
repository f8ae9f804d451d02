"""Every field of every dict-valued parameter is checked, and unknown keys refused.

``prior`` (GaussianMixture, select_model), the pipeline's ``grid_options``,
``bayes_options`` and ``k_posterior`` settings, ``Priors`` and the posterior over K's
``priors``: negative, NaN, infinite and wrongly typed values and unknown keys raise
an error naming the parameter, the field and what is allowed, before anything is
fitted.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesgmm import GaussianMixture, select_model
from bayesgmm.bayes.spec import Priors
from bayesgmm.selection.pipeline import run_pipeline

BAD_NUMBERS = [-1.0, float("nan"), float("inf"), "1.0", True]


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(-3, 1, (40, 2)), rng.normal(3, 1, (40, 2))]


@pytest.mark.parametrize("field", ["shrinkage", "dof"])
@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_prior_number_fields_are_range_checked(X, field, value):
    if field == "shrinkage" and value is True:
        value = "x"  # a bool is refused too, but shrinkage's rule names the same words
    with pytest.raises(ValueError, match=rf"prior\['{field}'\] must be"):
        GaussianMixture(2, prior={field: value}).fit(X)


def test_prior_shrinkage_minus_one_is_refused(X):
    with pytest.raises(ValueError, match=r"prior\['shrinkage'\] must be a real number >= 0"):
        GaussianMixture(prior={"shrinkage": -1.0}).fit(X)
    with pytest.raises(ValueError, match=r"prior\['shrinkage'\]"):
        GaussianMixture(prior={"shrinkage": True}).fit(X)


@pytest.mark.parametrize(
    "value",
    [-1.0, 0.0, float("nan"), float("inf"), "big", -np.eye(2), np.array([[1.0, 2.0], [0.0, 1.0]])],
)
def test_prior_scale_must_be_positive_or_positive_definite(X, value):
    with pytest.raises(ValueError, match=r"prior\['scale'\] must be"):
        GaussianMixture(2, prior={"scale": value}).fit(X)


@pytest.mark.parametrize("value", [[np.nan, 0.0], [np.inf, 0.0], "centre", [[0.0, 0.0]]])
def test_prior_mean_must_be_finite_numbers(X, value):
    with pytest.raises(ValueError, match=r"prior\['mean'\] must be"):
        GaussianMixture(2, prior={"mean": value}).fit(X)


def test_prior_shapes_are_checked_against_the_data(X):
    with pytest.raises(ValueError, match=r"prior\['mean'\] must have one value per feature"):
        GaussianMixture(2, prior={"mean": [0.0, 0.0, 0.0]}).fit(X)
    with pytest.raises(ValueError, match=r"prior\['scale'\] must be .* \(2, 2\) matrix"):
        GaussianMixture(2, prior={"scale": np.eye(3)}).fit(X)
    with pytest.raises(ValueError, match=r"prior\['scale'\] must be a number > 0"):
        GaussianMixture(2, covariance_type="diag", prior={"scale": np.eye(2)}).fit(X)


def test_valid_prior_overrides_still_fit(X):
    gm = GaussianMixture(2, prior={"shrinkage": 0.0, "dof": 4.0, "scale": np.eye(2)}).fit(X)
    assert gm.converged_
    gm = GaussianMixture(2, covariance_type="spherical", prior={"scale": 0.5, "mean": 0.0})
    assert gm.fit(X).converged_


def test_prior_unknown_keys_and_types(X):
    with pytest.raises(ValueError, match=r"unknown keys \['shrink'\].*'shrinkage'"):
        GaussianMixture(prior={"shrink": 0.1}).fit(X)
    with pytest.raises(ValueError, match="prior must be None, 'default' or a dict"):
        GaussianMixture(prior=[("shrinkage", 0.1)]).fit(X)


def test_select_model_checks_the_prior_before_fitting(X):
    with pytest.raises(ValueError, match=r"prior\['dof'\]"):
        select_model(X, [1, 2], ["full"], prior={"dof": -3.0})
    with pytest.raises(ValueError, match=r"unknown keys \['df'\]"):
        select_model(X, [1, 2], ["full"], prior={"df": 3.0})


def _pipeline(X, **kwargs):
    return run_pipeline(
        X, [1, 2], ["full"], n_init=1, lrt=False, loo=False, extend=False, progress=False,
        **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tol": -1.0}, r"grid_options\['tol'\] must be a real number >= 0"),
        ({"tol": float("nan")}, r"grid_options\['tol'\]"),
        ({"reg_covar": float("inf")}, r"grid_options\['reg_covar'\]"),
        ({"max_iter": 2.5}, r"grid_options\['max_iter'\] must be an integer >= 0"),
        ({"max_iter": True}, r"grid_options\['max_iter'\]"),
        ({"n_jobs": 0}, r"grid_options\['n_jobs'\] must be None or a nonzero integer"),
        ({"init_params": "best"}, r"grid_options\['init_params'\] must be one of"),
        ({"prior": {"shrinkage": -1.0}}, r"prior\['shrinkage'\]"),
        ({"n_init": 3}, r"grid_options has unknown keys \['n_init'\].*'max_iter'"),
    ],
)
def test_grid_options_fields(X, options, message):
    with pytest.raises(ValueError, match=message):
        _pipeline(X, grid_options=options, k_posterior=False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"draws": -1}, r"bayes_options\['draws'\] must be an integer >= 1"),
        ({"tune": 1.5}, r"bayes_options\['tune'\] must be an integer >= 0"),
        ({"chains": True}, r"bayes_options\['chains'\]"),
        ({"target_accept": float("nan")}, r"bayes_options\['target_accept'\] must be a real"),
        ({"target_accept": 1.0}, r"bayes_options\['target_accept'\]"),
        ({"target_accept": float("inf")}, r"bayes_options\['target_accept'\]"),
        ({"sampler": "stan"}, r"bayes_options\['sampler'\] must be one of"),
        ({"priors": {"mean_scale": 1.0}}, r"bayes_options\['priors'\] must be None or a Priors"),
        ({"progressbar": "yes"}, r"bayes_options\['progressbar'\] must be True or False"),
        ({"prior": None}, r"bayes_options has unknown keys \['prior'\]"),
    ],
)
def test_bayes_options_fields(X, options, message):
    with pytest.raises(ValueError, match=message):
        _pipeline(X, bayes_options=options, k_posterior=False)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"k_max": -1}, r"k_posterior\['k_max'\] must be an integer >= 1"),
        ({"draws": float("nan")}, r"k_posterior\['draws'\]"),
        ({"tune": -5}, r"k_posterior\['tune'\] must be None or an integer >= 0"),
        ({"thin": float("inf")}, r"k_posterior\['thin'\]"),
        ({"jumps": "2"}, r"k_posterior\['jumps'\]"),
        ({"progress": "stderr"}, r"k_posterior\['progress'\]"),
        ({"kmax": 10}, r"k_posterior has unknown keys \['kmax'\].*'k_max'"),
    ],
)
def test_k_posterior_settings_fields(X, settings, message):
    with pytest.raises(ValueError, match=message):
        _pipeline(X, k_posterior=settings)


def test_k_posterior_must_be_a_bool_or_settings(X):
    with pytest.raises(TypeError, match="k_posterior must be True, False or a dict"):
        _pipeline(X, k_posterior="yes")
    with pytest.raises(TypeError, match="grid_options must be a dict"):
        _pipeline(X, grid_options=[("tol", 1e-3)], k_posterior=False)


@pytest.mark.parametrize("field", ["weight_concentration", "mean_scale", "sd_scale", "lkj_eta"])
@pytest.mark.parametrize("value", [-1.0, 0.0, float("nan"), float("inf"), True, "1"])
def test_bayesian_priors_fields(field, value):
    with pytest.raises(ValueError, match=rf"Priors\.{field} must be a positive number"):
        Priors(**{field: value})


def test_posterior_over_k_priors_fields(X):
    from bayesgmm import posterior_over_k

    with pytest.raises(ValueError, match=r"unknown prior field\(s\) \['gama'\]"):
        posterior_over_k(X, priors={"gama": 1.0}, progress=False)
    for value in (-1.0, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="gamma must be a number > 0"):
            posterior_over_k(X, priors={"gamma": value}, progress=False)
