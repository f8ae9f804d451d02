import os

import numpy as np
import pymc as pm
import pytest

from bayesgmm import GaussianMixture, load_faithful
from bayesgmm.bayes import Priors, build_model
from bayesgmm.bayes.build import standardization
from bayesgmm.bayes.fit import em_start
from bayesgmm.bayes.spec import BAYESIAN_COVARIANCE_TYPES

#: these hold a volume and a zero-sum shape instead of standard deviations
_VOLUME_SHAPE = ("VEI", "EVI", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV")


@pytest.mark.parametrize("covariance_type", BAYESIAN_COVARIANCE_TYPES)
def test_model_variables_dims_and_coords(covariance_type):
    X = load_faithful()
    model = build_model(X, 3, covariance_type)
    names = {rv.name for rv in model.free_RVs}
    expected = {"weights", "means_std"}
    if covariance_type in _VOLUME_SHAPE:
        expected |= {"log_volume_std", "log_shape"}
    else:
        expected.add("sds_std")
    if covariance_type in ("full", "tied", "VEE", "EVV"):
        expected.add("corr_chol")
    if covariance_type in ("EVE", "VVE", "EEV", "VEV"):
        expected.add("orientation")
    assert names == expected
    assert list(model.coords["feature"]) == ["eruptions", "waiting"]
    assert len(model.coords["obs_id"]) == len(X)
    assert model.named_vars_to_dims["means"] == ("component", "feature")
    assert [rv.name for rv in model.observed_RVs] == ["obs"]


@pytest.mark.parametrize("covariance_type", BAYESIAN_COVARIANCE_TYPES)
def test_marginal_likelihood_equals_em_log_likelihood(covariance_type):
    """At the EM solution, the model's observed log-density per observation is the
    EM mixture's log-density (data units, Jacobian of the standardisation included).

    EM adds ``reg_covar`` (1e-6) to every variance, which moves a VEI or EVI solution
    off its structure by ~1e-6: there the start is the nearest model of the type."""
    rtol = 1e-5 if covariance_type in _VOLUME_SHAPE else 1e-9
    X = load_faithful().to_numpy()
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    model = build_model(X, 2, covariance_type)
    center, scale = standardization(X)
    start = em_start(covariance_type, gm.weights_, gm.means_, gm.covariances_, center, scale)
    point = model.initial_point()
    transformed = pm.initial_point.make_initial_point_fn(
        model=model, overrides=start, jitter_rvs=set(), return_transformed=True
    )(0)
    point.update(transformed)
    elemwise = model.compile_fn(
        model.logp(vars=model.observed_RVs, sum=False)[0], mode="FAST_COMPILE"
    )
    np.testing.assert_allclose(elemwise(point), gm.score_samples(X), rtol=rtol)
    outputs = model.replace_rvs_by_values([model["means"], model["covariances"]])
    deterministics = model.compile_fn(
        outputs, inputs=model.value_vars, mode="FAST_COMPILE", on_unused_input="ignore"
    )
    means, covariances = deterministics(point)
    np.testing.assert_allclose(means, gm.means_, rtol=1e-10)
    np.testing.assert_allclose(covariances, gm.covariances_, rtol=max(rtol, 1e-8))


def test_prior_predictive_is_in_data_units():
    X = load_faithful()
    model = build_model(X, 2, "diag", Priors(sd_scale=0.5))
    with model:
        prior = pm.sample_prior_predictive(
            draws=50, random_seed=1, compile_kwargs={"mode": "FAST_COMPILE"}
        )
    draws = prior["prior_predictive"]["obs"].values.reshape(-1, 2)
    assert np.isfinite(draws).all()
    # centred on the data, with a spread of the order of the data's
    np.testing.assert_allclose(np.median(draws, axis=0), X.mean().to_numpy(), rtol=0.2)
    assert 0.2 < np.std(draws[:, 1]) / X["waiting"].std() < 5


def test_priors_validation():
    with pytest.raises(ValueError, match="lkj_eta must be a positive number; got -1"):
        Priors(lkj_eta=-1)


def test_pytensor_blas_search_and_its_warning_do_not_reach_users(tmp_path):
    import subprocess
    import sys

    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import numpy as np, pytensor, pytensor.tensor as pt\n"
        "import bayesgmm.bayes.build\n"
        "x = pt.matrix('x'); f = pytensor.function([x], x.dot(x), mode='FAST_COMPILE')\n"
        "assert f(np.eye(3)).sum() == 3.0\n"
        "print(repr(pytensor.config.blas__ldflags))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTENSOR_FLAGS", "PYTENSORRC")}
    env["PYTENSORRC"] = str(tmp_path / "none")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "''"
    # a user's own setting is kept
    env["PYTENSOR_FLAGS"] = "blas__ldflags=-lblas_of_my_choice"
    code = "import bayesgmm.bayes.build, pytensor; print(pytensor.config.blas__ldflags)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "-lblas_of_my_choice", out.stderr
