import warnings

import numpy as np
import pytest
import xarray as xr

from bayesgmm import (
    BayesianGaussianMixture,
    GaussianMixture,
    NotFittedError,
    SamplingWarning,
    load_faithful,
)
from bayesgmm.bayes import Priors
from bayesgmm.bayes.posterior import relabel_to_em, tidy_posterior
from bayesgmm.covariance import get_covariance_model
from bayesgmm.testing import make_gmm_data


def fit_quietly(estimator, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X)
    return [w for w in caught if issubclass(w.category, SamplingWarning)]


@pytest.fixture(scope="module")
def faithful_fit():
    """Old Faithful, K=2 full, 4 chains x 1000 draws (the issue's acceptance run)."""
    X = load_faithful()
    bgm = BayesianGaussianMixture(2, random_state=0, progressbar=False)
    sampling_warnings = fit_quietly(bgm, X)
    return bgm, X, sampling_warnings


def test_faithful_k2_full_diagnostics_pass(faithful_fit):
    bgm, _, sampling_warnings = faithful_fit
    assert sampling_warnings == []
    summary = bgm.summary()
    assert summary["r_hat"].max() <= 1.01
    assert summary["ess_bulk"].min() >= 400
    assert int(bgm.idata_["sample_stats"]["diverging"].sum()) == 0
    assert {"mean", "sd", "hdi94_lb", "hdi94_ub", "r_hat", "ess_bulk", "ess_tail"} <= set(
        summary.columns
    )


def test_faithful_posterior_agrees_with_em(faithful_fit):
    bgm, _, _ = faithful_fit
    post = bgm.idata_["posterior"]
    for name, em_value in [("weights", bgm.em_.weights_), ("means", bgm.em_.means_)]:
        mean = post[name].mean(("chain", "draw")).values
        sd = post[name].std(("chain", "draw")).values
        assert np.all(np.abs(mean - em_value) <= 2 * sd), name


def test_results_have_labelled_dims(faithful_fit):
    bgm, X, _ = faithful_fit
    post = bgm.idata_["posterior"]
    assert post["means"].dims == ("chain", "draw", "component", "feature")
    assert post["covariances"].dims == ("chain", "draw", "component", "feature", "feature_bis")
    assert post["corr_chol"].dims == ("chain", "draw", "component", "feature", "feature_bis")
    assert list(post["feature"].values) == ["eruptions", "waiting"]
    assert bgm.idata_["log_likelihood"]["obs"].shape == (4, 1000, len(X))
    np.testing.assert_array_equal(bgm.idata_["observed_data"]["obs"].values, X.to_numpy())
    assert "bayesgmm_version" in bgm.idata_.attrs


def test_log_likelihood_matches_the_mixture_density_per_draw(faithful_fit):
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    bgm, X, _ = faithful_fit
    post = bgm.idata_["posterior"]
    weights = post["weights"].values[1, 7]
    means = post["means"].values[1, 7]
    covariances = post["covariances"].values[1, 7]
    expected = logsumexp(
        [
            np.log(weights[k]) + multivariate_normal(means[k], covariances[k]).logpdf(X)
            for k in range(2)
        ],
        axis=0,
    )
    stored = bgm.idata_["log_likelihood"]["obs"].values[1, 7]
    np.testing.assert_allclose(stored, expected, rtol=1e-9)
    new = bgm.log_likelihood(X.iloc[:10])
    assert new.dims == ("chain", "draw", "obs_id")
    np.testing.assert_allclose(new.values[1, 7], expected[:10], rtol=1e-9)


def test_predictions(faithful_fit):
    bgm, X, _ = faithful_fit
    proba = bgm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.mean(bgm.predict(X) == bgm.em_.predict(X)) > 0.99
    members = bgm.memberships(X.iloc[:5])
    assert isinstance(members, xr.DataArray)
    assert members.dims == ("chain", "draw", "obs_id", "component")
    np.testing.assert_allclose(members.mean(("chain", "draw")).values, proba[:5], rtol=1e-10)
    scores = bgm.score_samples(X)
    assert np.isfinite(scores).all()
    assert abs(bgm.score(X) - bgm.em_.score(X)) < 0.05
    draws, labels = bgm.sample(20)
    assert draws.shape == (20, 2)
    assert set(labels) <= {0, 1}


def test_relabelling_restores_permuted_chains(faithful_fit):
    bgm, _, _ = faithful_fit
    original = bgm.idata_["posterior"].to_dataset()
    scrambled = original.copy(deep=True)
    for name, var in scrambled.data_vars.items():
        if "component" in var.dims:
            axis = var.dims.index("component")
            values = var.values.copy()
            values[1] = np.flip(values[1], axis=axis - 1)  # chain 1 with labels swapped
            scrambled[name] = (var.dims, values)
    relabelled, n_permuted = relabel_to_em(scrambled, bgm.em_)
    assert n_permuted == original.sizes["draw"]
    for name in ("weights", "means", "covariances", "corr_chol"):
        np.testing.assert_array_equal(relabelled[name].values, original[name].values)


def test_save_load_round_trip(faithful_fit, tmp_path):
    bgm, X, _ = faithful_fit
    path = tmp_path / "fit.nc"
    bgm.save(path)
    assert not list(tmp_path.glob("*.tmp"))
    loaded = BayesianGaussianMixture.load(path)
    assert loaded.get_params() == bgm.get_params()
    for group in ("posterior", "log_likelihood"):
        for name, var in bgm.idata_[group].to_dataset().data_vars.items():
            np.testing.assert_array_equal(loaded.idata_[group][name].values, var.values)
    np.testing.assert_array_equal(loaded.predict_proba(X), bgm.predict_proba(X))


def test_load_checks_format_version(faithful_fit, tmp_path):
    bgm, _, _ = faithful_fit
    path = tmp_path / "fit.nc"
    bgm.save(path)
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    tree.attrs["bayesgmm_format_version"] = 99
    tree.to_netcdf(tmp_path / "future.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="format version 99"):
        BayesianGaussianMixture.load(tmp_path / "future.nc")


def test_short_chains_warn_naming_parameters(faithful_fit):
    _, X, _ = faithful_fit
    short = BayesianGaussianMixture(
        2, draws=20, tune=20, chains=2, random_state=1, progressbar=False
    )
    caught = fit_quietly(short, X)  # same shape: the compiled model is reused
    assert caught, "expected a SamplingWarning for 20 draws"
    message = str(caught[0].message)
    assert "ess_bulk < 400 for" in message
    assert "weights[" in message or "means[" in message


def test_parameter_validation_and_not_fitted():
    X = load_faithful()
    with pytest.raises(
        ValueError, match="sampler must be one of \\['nutpie', 'pymc'\\]; got 'stan'"
    ):
        BayesianGaussianMixture(2, sampler="stan").fit(X)
    with pytest.raises(ValueError, match="draws must be an integer >= 1; got 0"):
        BayesianGaussianMixture(2, draws=0).fit(X)
    with pytest.raises(TypeError, match=r"priors must be a bayesgmm\.bayes\.Priors"):
        BayesianGaussianMixture(2, priors={"lkj_eta": 2}).fit(X)
    with pytest.raises(NotFittedError):
        BayesianGaussianMixture(2).predict_proba(X)


@pytest.mark.slow
def test_faithful_k3_tied_diagnostics_pass():
    X = load_faithful()
    bgm = BayesianGaussianMixture(3, covariance_type="tied", random_state=0, progressbar=False)
    assert fit_quietly(bgm, X) == []
    post = bgm.idata_["posterior"]
    for name, em_value in [("weights", bgm.em_.weights_), ("means", bgm.em_.means_)]:
        mean = post[name].mean(("chain", "draw")).values
        sd = post[name].std(("chain", "draw")).values
        assert np.all(np.abs(mean - em_value) <= 2 * sd), name


@pytest.mark.slow
def test_simulated_intervals_cover_true_parameters():
    X, weights, means, covariances = make_gmm_data("full", n_samples=1000, seed=3)
    bgm = BayesianGaussianMixture(3, random_state=0, progressbar=False)
    fit_quietly(bgm, X)
    order = np.argsort(bgm.em_.means_[:, 0])
    true_order = np.argsort(means[:, 0])
    post = bgm.idata_["posterior"]
    checks = [
        ("weights", weights[true_order], post["weights"].values[..., order]),
        ("means", means[true_order], post["means"].values[:, :, order]),
        ("covariances", covariances[true_order], post["covariances"].values[:, :, order]),
    ]
    inside, total = 0, 0
    for _, truth, draws in checks:
        lo = np.quantile(draws, 0.05, axis=(0, 1))
        hi = np.quantile(draws, 0.95, axis=(0, 1))
        inside += int(np.sum((truth >= lo) & (truth <= hi)))
        total += truth.size
    # 3 weights + 6 means + 12 covariance entries at 90%: allow the expected misses
    assert inside >= total - 4, (inside, total)


@pytest.mark.slow
def test_pymc_sampler_fallback():
    X = load_faithful()
    bgm = BayesianGaussianMixture(
        2,
        covariance_type="diag",
        sampler="pymc",
        draws=300,
        tune=300,
        chains=2,
        random_state=0,
        progressbar=False,
    )
    fit_quietly(bgm, X)
    assert bgm.idata_["posterior"]["means"].shape == (2, 300, 2, 2)
    assert bgm.summary()["r_hat"].max() < 1.05


def test_priors_are_recorded():
    assert Priors(lkj_eta=3.0).as_dict()["lkj_eta"] == 3.0


def test_same_seed_same_posterior(faithful_fit):
    _, X, _ = faithful_fit
    runs = []
    for _ in range(2):
        est = BayesianGaussianMixture(
            2, draws=50, tune=50, chains=2, random_state=7, progressbar=False
        )
        fit_quietly(est, X)
        runs.append(est.idata_["posterior"]["means"].values)
    np.testing.assert_array_equal(runs[0], runs[1])


def test_posterior_predictive_replicates_the_data(faithful_fit):
    bgm, X, _ = faithful_fit
    tree = bgm.sample_posterior_predictive(random_state=0)
    reps = tree["posterior_predictive"]["obs"]
    assert reps.dims == ("chain", "draw", "obs_id", "feature")
    assert reps.shape == (4, 1000, len(X), 2)
    # replicated means and spreads bracket the observed ones
    rep_means = reps.mean("obs_id").values.reshape(-1, 2)
    lo, hi = np.quantile(rep_means, [0.01, 0.99], axis=0)
    observed = X.to_numpy().mean(axis=0)
    assert np.all((lo <= observed) & (observed <= hi))


def test_ordered_means_for_one_feature():
    from bayesgmm import load_galaxies

    X = load_galaxies() / 1000
    bgm = BayesianGaussianMixture(
        3,
        covariance_type="diag",
        relabel="ordered",
        draws=200,
        tune=200,
        chains=2,
        random_state=0,
        progressbar=False,
    )
    fit_quietly(bgm, X)
    means = bgm.idata_["posterior"]["means"].values[..., 0]
    assert np.all(np.diff(means, axis=-1) > 0)
    assert bgm.n_relabelled_ == 0
    with pytest.raises(ValueError, match="relabel='ordered' needs exactly one feature; X has 2"):
        BayesianGaussianMixture(2, relabel="ordered").fit(load_faithful())


def test_relabel_false_keeps_raw_draws(faithful_fit):
    _, X, _ = faithful_fit
    raw = BayesianGaussianMixture(
        2, draws=50, tune=50, chains=2, random_state=3, relabel=False, progressbar=False
    )
    fit_quietly(raw, X)
    assert raw.n_relabelled_ == 0
    assert raw.idata_.attrs["n_relabelled"] == 0
    with pytest.raises(ValueError, match="relabel must be True, False or 'ordered'; got 'yes'"):
        BayesianGaussianMixture(2, relabel="yes").fit(X)


@pytest.mark.parametrize(
    ("shape", "dims"),
    [
        ((2, 3, 4, 2, 2), ("chain", "draw", "component", "feature", "feature_bis")),
        ((2, 3, 2, 2), ("chain", "draw", "feature", "feature_bis")),  # tied: one matrix
    ],
    ids=["full", "tied"],
)
def test_tidy_posterior_labels_corr_chol(shape, dims):
    generic = ("chain", "draw", *(f"corr_chol_dim_{i}" for i in range(len(shape) - 2)))
    posterior = xr.Dataset(
        {
            "corr_chol": (generic, np.zeros(shape)),
            "means_std": (("chain", "draw"), np.zeros(shape[:2])),
        }
    )
    tidy = tidy_posterior(posterior)
    assert tidy["corr_chol"].dims == dims
    assert tidy["means_std"].dims == ("chain", "draw")


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_posterior_means_read_like_the_em_fit_it_starts_from(covariance_type):
    from numpy.testing import assert_allclose

    from bayesgmm import load_faithful

    X = load_faithful()
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=3).fit(X)
    bgm = BayesianGaussianMixture.from_em(
        gm, draws=300, tune=300, chains=2, random_state=0, progressbar=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short run
        bgm.fit(X)
    assert bgm.em_ is not gm
    assert_allclose(bgm.em_.means_, gm.means_, rtol=0, atol=0)  # used as is, not refitted
    post = bgm.idata_.posterior
    assert_allclose(bgm.means_, post["means"].mean(("chain", "draw")).values)
    assert_allclose(bgm.weights_, post["weights"].mean(("chain", "draw")).values)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert getattr(bgm, name).shape == getattr(gm, name).shape, name
    # the same components, in the same order, as the EM fit
    assert_allclose(bgm.means_, gm.means_, rtol=0.03)
    model = get_covariance_model(covariance_type)
    precisions = model.precisions_from_cholesky(bgm.precisions_cholesky_)
    full = model.full_covariances(bgm.covariances_, 2, 2)
    full_precisions = model.full_covariances(precisions, 2, 2)
    assert_allclose(full_precisions, np.linalg.inv(full), rtol=1e-8)


def test_a_start_that_does_not_match_is_explained():
    from bayesgmm import load_faithful

    X = load_faithful()
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"start has n_components=2, covariance_type='full'"):
        BayesianGaussianMixture(3, start=gm).fit(X)
    with pytest.raises(ValueError, match=r"start was fitted on 2 features; X has 1"):
        BayesianGaussianMixture(2, start=gm).fit(X.iloc[:, :1])
    with pytest.raises(TypeError, match=r"start must be a fitted bayesgmm\.GaussianMixture"):
        BayesianGaussianMixture(2, start="em").fit(X)


def test_summary_intervals_are_visibly_around_their_means():
    from bayesgmm import load_faithful

    bgm = BayesianGaussianMixture(
        2, draws=300, tune=300, chains=2, random_state=0, progressbar=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        bgm.fit(load_faithful())
    table = bgm.summary()
    lower, upper = table.filter(like="_lb").iloc[:, 0], table.filter(like="_ub").iloc[:, 0]
    # ArviZ's default rounding printed e.g. "214.78 ... 210 210" for a means row
    assert (lower < table["mean"]).all()
    assert (table["mean"] < upper).all()
    assert (table["sd"] > 0).all()
