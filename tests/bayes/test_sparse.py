import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayesgmm import SamplingWarning, load_galaxies
from bayesgmm.bayes import Priors
from bayesgmm.bayes.estimator import BayesianGaussianMixture
from bayesgmm.bayes.overfitted import (
    DEFAULT_CONCENTRATION,
    SparseMixtureResult,
    _count_occupied,
    _expected_occupied,
    _upper_mass_warning,
    fit_sparse_mixture,
)

# Both sampled fits share n = 82, one feature, max_components = 10 and the default
# concentration, so nutpie compiles the model once (cache keyed by shape and priors).
N_SAMPLES = 82
SAMPLING = {"draws": 500, "tune": 500, "chains": 2}


def fit_quietly(X, **kwargs):
    """Fit; return the result and the SamplingWarnings; fail on any other warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit_sparse_mixture(X, **kwargs)
    others = [w for w in caught if not issubclass(w.category, SamplingWarning)]
    assert others == [], [str(w.message) for w in others]
    return result, [w for w in caught if issubclass(w.category, SamplingWarning)]


@pytest.fixture(scope="module")
def galaxies_fit():
    """The issue's check: galaxies (km/s / 1000), K_max = 10, full, default e0."""
    X = load_galaxies().to_numpy() / 1000
    assert X.shape == (N_SAMPLES, 1)
    result, _ = fit_quietly(X, max_components=10, random_state=0, **SAMPLING)
    return result


@pytest.fixture(scope="module")
def two_cluster_fit():
    """Known truth: two well-separated clusters (means 0 and 8, sd 1), n = 82."""
    rng = np.random.default_rng(7)
    x = np.r_[rng.normal(0.0, 1.0, 41), rng.normal(8.0, 1.0, 41)]
    result, _ = fit_quietly(x[:, None], max_components=10, random_state=1, **SAMPLING)
    return result


def test_galaxies_mass_between_three_and_seven(galaxies_fit):
    table = galaxies_fit.table
    assert list(table.index) == list(range(1, 11))
    assert table["probability"].sum() == pytest.approx(1.0)
    assert table.loc[3:7, "probability"].sum() > 0.5
    assert 3 <= galaxies_fit.mode <= 7
    assert galaxies_fit.n_occupied.shape == (2, 500, 10)
    assert galaxies_fit.concentration == DEFAULT_CONCENTRATION
    assert galaxies_fit.model.priors.weight_concentration == DEFAULT_CONCENTRATION
    assert galaxies_fit.model.relabel is False


def test_galaxies_chains_agree_on_k_plus(galaxies_fit):
    per_chain = galaxies_fit.per_chain
    assert per_chain.shape == (10, 2)
    assert (per_chain[0] - per_chain[1]).abs().max() < 0.1
    assert galaxies_fit.diagnostics["r_hat"] < 1.02
    # ESS of K+ over 2 x 500 draws: 159, 422, 287, 500 for random_state 0-3 (the EM
    # start's collapsed components shift with rounding); poor mixing gives < 50
    assert galaxies_fit.diagnostics["ess_bulk"] > 100


def test_galaxies_report_and_plot(galaxies_fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    html = galaxies_fit._repr_html_()
    assert "max_components=10" in html
    assert "<table" in html
    assert f"mode {galaxies_fit.mode}" in str(galaxies_fit)
    ax = galaxies_fit.plot()
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, galaxies_fit.table["probability"])
    plt.close(ax.figure)
    assert set(galaxies_fit.credible_set(0.9)) <= set(range(3, 9))


def test_two_clusters_recovered(two_cluster_fit):
    assert two_cluster_fit.mode == 2
    assert two_cluster_fit.table.loc[2, "probability"] > 0.5
    assert two_cluster_fit.table.loc[2:3, "probability"].sum() > 0.85
    assert two_cluster_fit.table.loc[1, "probability"] == 0.0
    # the exact E[K+ | theta] and the sampled allocations agree on the mean
    assert two_cluster_fit.expected_occupied.mean() == pytest.approx(two_cluster_fit.mean, abs=0.05)


# ---------------------------------------------------------------- allocation counting
def test_count_occupied_certain_allocations():
    # observations certainly in components 0, 2, 2, 4; components 1 and 3 have weight 0
    log_prob = np.full((5, 4), -np.inf)
    log_prob[[0, 2, 2, 4], [0, 1, 2, 3]] = [-3.0, -1.0, -50.0, 0.0]
    counts = _count_occupied(log_prob, np.random.default_rng(0), 50)
    assert counts.shape == (50,)
    assert set(counts.tolist()) == {3}
    assert _expected_occupied(log_prob) == pytest.approx(3.0)


def test_count_occupied_matches_exact_distribution():
    # two observations, each 50/50 between two components: P(K+ = 1) = P(K+ = 2) = 1/2
    log_prob = np.log(np.full((2, 2), 0.5)) + np.array([[3.0, -7.0]])  # column shifts
    counts = _count_occupied(log_prob, np.random.default_rng(1), 20000)
    assert np.mean(counts == 1) == pytest.approx(0.5, abs=0.015)
    assert _expected_occupied(log_prob) == pytest.approx(1.5)


def test_count_occupied_mean_is_exact_expectation():
    rng = np.random.default_rng(2)
    prob = rng.dirichlet(np.full(6, 0.3), size=30).T  # (K, n), some near-empty rows
    counts = _count_occupied(np.log(prob), rng, 20000)
    assert counts.mean() == pytest.approx(_expected_occupied(np.log(prob)), abs=0.03)


# ---------------------------------------------------------------- result object
def make_result(values, max_components):
    n_occupied = np.asarray(values).reshape(2, -1, 1)
    return SparseMixtureResult(None, n_occupied, n_occupied[..., 0] * 1.0, max_components, 0.1, {})


def test_result_summaries():
    result = make_result([2, 3, 3, 3, 3, 4, 4, 4, 5, 6], 6)
    np.testing.assert_allclose(
        result.table["probability"], [0.0, 0.1, 0.4, 0.3, 0.1, 0.1], atol=1e-12
    )
    assert result.table.index.name == "k"
    assert result.mode == 3
    assert result.mean == pytest.approx(3.7)
    assert result.credible_set(0.7) == [3, 4]
    assert result.credible_set(0.75) == [2, 3, 4]  # ties broken towards smaller k
    assert result.credible_set(1.0) == [2, 3, 4, 5, 6]
    np.testing.assert_allclose(result.per_chain[0].loc[2:5], [0.2, 0.8, 0.0, 0.0])
    np.testing.assert_allclose(result.per_chain[1].loc[3:6], [0.0, 0.6, 0.2, 0.2])


@pytest.mark.parametrize("prob", [0, 1.5, -0.1, "0.9", True])
def test_credible_set_rejects_bad_prob(prob):
    with pytest.raises(ValueError, match=rf"prob must be a number in \(0, 1\]; got {prob!r}"):
        make_result([2, 3], 3).credible_set(prob)


def test_upper_mass_warning_names_max_components():
    assert _upper_mass_warning(np.array([0.0, 0.5, 0.45, 0.05]), 4) is None
    message = _upper_mass_warning(np.array([0.0, 0.5, 0.4, 0.1]), 4)
    assert "P(K+ = 4) = 0.100" in message
    assert "larger max_components (e.g. 8)" in message


# ---------------------------------------------------------------- end to end, fake draws
def fake_fit(weights, means, sds, diverging=0):
    """Replace BayesianGaussianMixture.fit by one that stores fixed posterior draws."""
    weights, means, sds = (np.asarray(a, dtype=float) for a in (weights, means, sds))

    def fit(self, X, y=None):
        shape = (2, 6, len(weights))  # 2 chains x 6 draws, the same parameters
        dims = ("chain", "draw", "component")
        post = xr.Dataset(
            {
                "weights": (dims, np.broadcast_to(weights, shape)),
                "means": ((*dims, "feature"), np.broadcast_to(means, shape)[..., None]),
                # shaped as GaussianMixture.covariances_ of the model's type
                "covariances": (
                    (*dims, "feature", "feature_bis")
                    if self.covariance_type == "full"
                    else (*dims, "feature"),
                    np.broadcast_to(sds**2, shape)[..., None, None]
                    if self.covariance_type == "full"
                    else np.broadcast_to(sds**2, shape)[..., None],
                ),
            }
        )
        flags = np.zeros(shape[:2], dtype=bool)
        flags.flat[:diverging] = True
        stats = xr.Dataset({"diverging": (("chain", "draw"), flags)})
        self.idata_ = xr.DataTree.from_dict({"/posterior": post, "/sample_stats": stats})
        self.n_features_in_ = 1
        return self

    return fit


X_TWO = np.r_[np.full(5, -5.0), np.full(5, 5.0)][:, None]
X_THREE = np.r_[np.full(4, -5.0), np.zeros(4), np.full(4, 5.0)][:, None]


def test_pipeline_on_fixed_draws(monkeypatch):
    # two occupied components; the third has weight exactly 0 (log 0 must not warn)
    monkeypatch.setattr(
        BayesianGaussianMixture, "fit", fake_fit([0.5, 0.5, 0.0], [-5, 5, 0], [0.1, 0.1, 1])
    )
    result, sampling_warnings = fit_quietly(X_TWO, max_components=3, n_allocations=4)
    assert sampling_warnings == []
    assert result.n_occupied.shape == (2, 6, 4)
    assert result.table["probability"].tolist() == [0.0, 1.0, 0.0]
    np.testing.assert_allclose(result.expected_occupied, 2.0)
    assert result.diagnostics["divergences"] == 0


def test_pipeline_warns_when_max_components_is_too_small(monkeypatch):
    monkeypatch.setattr(
        BayesianGaussianMixture, "fit", fake_fit([0.3, 0.3, 0.4], [-5, 0, 5], [0.1, 0.1, 0.1])
    )
    with pytest.warns(UserWarning, match=r"P\(K\+ = 3\) = 1\.000 > 0\.05.*max_components=3"):
        fit_sparse_mixture(X_THREE, 3)


def test_pipeline_warns_about_divergences(monkeypatch):
    monkeypatch.setattr(
        BayesianGaussianMixture, "fit", fake_fit([0.5, 0.5, 0.0], [-5, 5, 0], [0.1, 0.1, 1], 3)
    )
    with pytest.warns(SamplingWarning, match="3 divergent transitions"):
        result = fit_sparse_mixture(X_TWO, 3, pilot=False)
    assert result.diagnostics["divergences"] == 3
    assert not result.ok


def test_a_hopeless_pilot_stops_the_run_and_marks_the_result_failed(monkeypatch):
    calls = []
    fit = fake_fit([0.5, 0.5, 0.0], [-5, 5, 0], [0.1, 0.1, 1], 3)  # 3 of 12 draws diverge

    def counted(self, X, y=None):
        calls.append((self.draws, self.tune))
        return fit(self, X, y)

    monkeypatch.setattr(BayesianGaussianMixture, "fit", counted)
    with pytest.warns(SamplingWarning, match=r"stopped after its pilot run: 3 of 12 draws"):
        result = fit_sparse_mixture(X_TWO, 3, draws=1000, tune=1000)
    assert calls == [(200, 200)]  # the 1000-draw run never started
    assert result.stopped_early
    assert not result.ok
    assert result.problems[-1] == "stopped after the pilot run"


def test_max_components_is_lowered_until_the_rows_identify_the_model(monkeypatch):
    monkeypatch.setattr(
        BayesianGaussianMixture,
        "fit",
        fake_fit([0.5, 0.5] + [0.0] * 4, [-5, 5, 0, 0, 0, 0], [1] * 6),
    )
    # 20 rows, one feature: 10 components have 29 parameters, 6 have 17
    with pytest.warns(UserWarning, match=r"max_components=10 with diag .* lowered to 6"):
        result = fit_sparse_mixture(X_SMALL, 10, pilot=False)
    assert result.max_components == 6
    assert result.model.n_components == 6


# ---------------------------------------------------------------- validation
X_SMALL = np.arange(20.0)[:, None]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_components": 1}, "max_components must be an integer >= 2; got 1"),
        ({"max_components": 2.5}, "max_components must be an integer >= 2; got 2.5"),
        ({"max_components": True}, "max_components must be an integer >= 2; got True"),
        ({"max_components": 21}, "max_components=21 for 20 samples"),
        ({"concentration": 0}, "concentration must be a positive number; got 0"),
        ({"concentration": -0.1}, "concentration must be a positive number; got -0.1"),
        ({"concentration": np.nan}, "concentration must be a positive number; got nan"),
        ({"concentration": "0.1"}, "concentration must be a positive number; got '0.1'"),
        ({"n_allocations": 0}, "n_allocations must be an integer >= 1; got 0"),
        ({"relabel": True}, "relabel cannot be passed to fit_sparse_mixture"),
        ({"n_components": 3}, "n_components cannot be passed"),
        ({"covariance_type": "round"}, "round"),
    ],
)
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_sparse_mixture(X_SMALL, **kwargs)


def test_bad_priors_type():
    with pytest.raises(TypeError, match=r"priors must be a bayesgmm\.bayes\.Priors"):
        fit_sparse_mixture(X_SMALL, priors={"mean_scale": 1.0})


def test_priors_keep_scales_and_take_concentration(monkeypatch):
    monkeypatch.setattr(
        BayesianGaussianMixture, "fit", fake_fit([0.5, 0.5, 0.0], [-5, 5, 0], [0.1, 0.1, 1])
    )
    result = fit_sparse_mixture(
        X_TWO, 3, concentration=0.05, priors=Priors(weight_concentration=1.0, mean_scale=3.0)
    )
    assert result.model.priors == Priors(weight_concentration=0.05, mean_scale=3.0)
    assert isinstance(result.table, pd.DataFrame)
