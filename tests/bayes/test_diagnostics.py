"""Bayesian failure modes are reported with advice, not hidden (issue 7, "Reliability").

Real triggers where they are cheap and reliable (seeded fits of one small 1-D model,
compiled once by nutpie): divergences and high r_hat (target_accept=0.3, tune=10),
low ESS (20 draws), one chain, sampler failures (a NaN starting point). The others
(tree depth, empty components, symmetric entries, label switching) on constructed
posteriors with known values.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

import bayesgmm.bayes.estimator as estimator_module
import bayesgmm.bayes.fit as fit_module
from bayesgmm import BayesianGaussianMixture, SamplingWarning
from bayesgmm.bayes.fit import (
    EMPTY_COMPONENT_COUNT,
    Diagnostics,
    diagnose,
)
from bayesgmm.exceptions import SamplingError

# two well-separated clusters, one feature named "x": every nutpie fit below has the
# same shape, so the model is compiled once
_rng = np.random.default_rng(0)
X = pd.DataFrame({"x": np.r_[_rng.normal(0.0, 1.0, 40), _rng.normal(8.0, 1.0, 40)]})
SMALL = {"covariance_type": "diag", "progressbar": False}


def fit_catching(n_components=2, allowed=(), **kwargs):
    """Fit; return the estimator and its SamplingWarning messages (no other warnings)."""
    bgm = BayesianGaussianMixture(n_components, **SMALL, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bgm.fit(X)
    others = [
        w
        for w in caught
        if not issubclass(w.category, SamplingWarning)
        and not any(text in str(w.message) for text in allowed)
    ]
    assert others == [], [str(w.message) for w in others]
    return bgm, [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]


def one(messages, start):
    """The one message starting with ``start``."""
    found = [m for m in messages if m.startswith(start)]
    assert len(found) == 1, messages
    return found[0]


@pytest.fixture(scope="module")
def hard_fit():
    """target_accept=0.3 and 10 tuning steps: divergences and chains that disagree."""
    return fit_catching(
        draws=100, tune=10, chains=2, target_accept=0.3, random_state=0, max_doublings=0
    )


@pytest.fixture(scope="module")
def short_fit():
    """20 draws per chain: 40 draws in all cannot reach ESS 400."""
    return fit_catching(draws=20, tune=100, chains=2, random_state=0, max_doublings=0)


# ---------------------------------------------------------------- real fits (nutpie)
def test_divergences_warn_with_count_fraction_chains_and_advice(hard_fit):
    bgm, messages = hard_fit
    d = bgm.diagnostics_
    assert d.divergences > 0
    assert d.divergences == int(bgm.idata_["sample_stats"]["diverging"].sum())
    message = one(messages, f"{d.divergences} divergent transition")
    assert f"({d.divergence_fraction:.1%} of 200 draws;" in message
    for chain, count in enumerate(d.divergences_per_chain):
        assert (f"chain {chain}: {count}" in message) == (count > 0)
    assert "raise target_accept from 0.3 to 0.95 (0.99 if they persist)" in message
    assert "more tuning (tune=1000)" in message
    assert "Priors(sd_scale=..., lkj_eta=...)" in message
    assert "fewer components (n_components=1)" in message
    assert not bgm.diagnostics_ok_


def test_high_rhat_names_worst_parameters_with_coordinates(hard_fit):
    bgm, messages = hard_fit
    d = bgm.diagnostics_
    assert d.max_rhat > 1.01
    message = one(messages, f"r_hat > 1.01 for {len(d.high_rhat)} parameter")
    worst, value = d.high_rhat[0]
    assert worst.startswith(("weights[component=", "means[component=", "covariances[component="))
    assert f"{worst} r_hat {value:.3f}" in message or f"{worst} r_hat {value:.3g}" in message
    assert value == pytest.approx(d.max_rhat)
    assert "draws=1000" in message
    assert "chains=4" in message
    assert "n_relabelled_" in message
    assert "fewer components (n_components=1)" in message


def test_warnings_are_the_stored_messages_one_line_each(hard_fit):
    bgm, messages = hard_fit
    assert messages == list(bgm.diagnostics_.messages)
    assert bgm.diagnostics_ok_ is bgm.diagnostics_.ok is False
    assert all("\n" not in m for m in messages)  # the CLI prints one line per warning


def test_few_draws_give_low_ess_warning_with_advice(short_fit):
    bgm, messages = short_fit
    d = bgm.diagnostics_
    message = one(messages, "Effective sample size below 400")
    assert d.min_ess_bulk < 400
    assert d.low_ess_bulk
    label, value = d.low_ess_bulk[0]
    assert f"ess_bulk < 400 for {label} ({value:.0f})" in message
    assert "feature=x" in message or "weights[component=" in message
    assert "2 chains x 20 draws = 40 draws in all cannot reach it" in message
    assert "run more draws (e.g. draws=1000)" in message


def test_one_chain_says_convergence_is_unchecked():
    bgm, messages = fit_catching(draws=100, tune=100, chains=1, random_state=0)
    message = one(messages, "r_hat needs at least 2 chains")
    assert "chains >= 2 (4 recommended)" in message
    assert np.isnan(bgm.diagnostics_.max_rhat)
    assert bgm.diagnostics_.high_rhat == ()
    assert not bgm.diagnostics_ok_


def test_long_enough_fit_passes_silently():
    bgm, messages = fit_catching(draws=500, tune=300, chains=4, random_state=0)
    assert messages == []
    d = bgm.diagnostics_
    assert d.ok
    assert bgm.diagnostics_ok_
    assert d.max_rhat <= 1.01
    assert min(d.min_ess_bulk, d.min_ess_tail) >= 400
    # E[n_k | X] of the two clusters of 40 points
    np.testing.assert_allclose(list(d.expected_counts.values()), [40, 40], atol=2)
    assert d.empty_components == ()


# ---------------------------------------------------------------- real fit (PyMC NUTS)
def test_pymc_sampler_divergences_are_reported_too():
    # PyMC's own overflow note of the broken adaptation is the same failure
    bgm, messages = fit_catching(
        draws=100,
        tune=10,
        chains=2,
        target_accept=0.3,
        sampler="pymc",
        random_state=0,
        allowed=("overflow encountered",),
    )
    d = bgm.diagnostics_
    assert d.divergences > 0
    assert bgm.idata_["sample_stats"].attrs["inference_library"] == "pymc"
    message = one(messages, f"{d.divergences} divergent transition")
    assert "raise target_accept from 0.3 to 0.95" in message


# ---------------------------------------------------------------- sampler errors
def nan_start(*args, **kwargs):
    start = fit_module.em_start(*args, **kwargs)
    start["means_std"] = np.full_like(start["means_std"], np.nan)
    return start


@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_non_finite_starting_point_is_explained(monkeypatch, sampler):
    monkeypatch.setattr(estimator_module, "em_start", nan_start)
    bgm = BayesianGaussianMixture(2, **SMALL, draws=20, tune=20, chains=2, sampler=sampler)
    with pytest.raises(SamplingError) as info:
        bgm.fit(X)
    message = str(info.value)
    other = "pymc" if sampler == "nutpie" else "nutpie"
    assert message.startswith(f"The {sampler} sampler could not start: the log-density")
    assert "not finite at the starting point" in message
    assert "extreme values" in message
    assert "standardised" in message
    assert "fewer components" in message
    assert "Priors(mean_scale=..., sd_scale=...)" in message
    assert f"sampler='{other}'" in message
    assert "Stack backtrace" not in message
    assert "\n" not in message
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value.__cause__, RuntimeError)  # the sampler's own error
    assert type(info.value.__cause__) is not SamplingError


def test_compilation_failure_is_explained(monkeypatch):
    def broken(*args, **kwargs):
        raise NotImplementedError("No Numba implementation of Op SomeOp")

    monkeypatch.setattr(fit_module, "compile_kernels", broken)
    bgm = BayesianGaussianMixture(2, **SMALL, draws=20, tune=20, chains=2)
    with pytest.raises(
        SamplingError, match="Compiling the model for sampler='nutpie' failed"
    ) as info:
        bgm.fit(X)
    assert "NotImplementedError: No Numba implementation of Op SomeOp" in str(info.value)
    assert "try sampler='pymc'" in str(info.value)
    assert isinstance(info.value.__cause__, NotImplementedError)


def test_nan_while_sampling_is_explained_without_rust_backtrace(monkeypatch):
    import nutpie

    def failing(*args, **kwargs):
        raise RuntimeError(
            "Logp function returned error: gradient is nan\n\nStack backtrace:\n  0: <unknown>"
        )

    monkeypatch.setattr(nutpie, "sample", failing)
    bgm = BayesianGaussianMixture(2, **SMALL, draws=20, tune=20, chains=2)
    with pytest.raises(SamplingError) as info:
        bgm.fit(X)
    message = str(info.value)
    assert "became NaN or infinite while sampling" in message
    assert "(RuntimeError: Logp function returned error: gradient is nan)" in message
    assert "a higher target_accept" in message
    assert "sampler='pymc'" in message
    assert "backtrace" not in message
    assert "<unknown>" not in message


def test_other_sampler_error_suggests_the_other_sampler(monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError("something unexpected")

    monkeypatch.setattr(pm, "sample", failing)
    bgm = BayesianGaussianMixture(2, **SMALL, draws=20, tune=20, chains=2, sampler="pymc")
    with pytest.raises(SamplingError) as info:
        bgm.fit(X)
    assert str(info.value).startswith(
        "The pymc sampler failed (ValueError: something unexpected). Try sampler='nutpie'"
    )
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("target_accept", 1.0),
        ("target_accept", 0.0),
        ("target_accept", float("nan")),
        ("target_accept", "0.9"),
        ("target_accept", True),
    ],
)
def test_bad_target_accept_is_rejected_before_fitting(name, value):
    with pytest.raises(ValueError, match=r"target_accept must be a number in \(0, 1\)"):
        BayesianGaussianMixture(2, **{name: value}).fit(X)


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("draws", 10.5, "draws must be an integer >= 1; got 10.5"),
        ("tune", -1, "tune must be an integer >= 0; got -1"),
        ("chains", 0, "chains must be an integer >= 1; got 0"),
    ],
)
def test_bad_sampling_sizes_are_rejected_before_fitting(name, value, match):
    with pytest.raises(ValueError, match=match):
        BayesianGaussianMixture(2, **{name: value}).fit(X)


# ---------------------------------------------------------------- constructed posteriors
def make_idata(posterior, sample_stats=None, n_obs=None, settings=None):
    groups = {"/posterior": posterior}
    if sample_stats is not None:
        groups["/sample_stats"] = sample_stats
    if n_obs is not None:
        groups["/observed_data"] = xr.Dataset(
            {"obs": (("obs_id", "feature"), np.zeros((n_obs, 1)))}
        )
    tree = xr.DataTree.from_dict(groups)
    if settings is not None:
        tree.attrs["settings"] = json.dumps(settings)
    return tree


def well_mixed(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def test_disagreeing_chains_flag_only_that_parameter_by_name():
    means = well_mixed((4, 1000, 2, 2))
    means[3, :, 1, 1] += 1.0  # chain 3 of means[1, waiting] sits elsewhere
    posterior = xr.Dataset(
        {"means": (("chain", "draw", "component", "feature"), means)},
        coords={"component": [0, 1], "feature": ["eruptions", "waiting"]},
    )
    d = diagnose(make_idata(posterior))
    assert [label for label, _ in d.high_rhat] == ["means[component=1, feature=waiting]"]
    assert d.high_rhat[0][1] > 1.05
    assert d.divergences == 0
    message = one(d.messages, "r_hat")
    assert message.startswith(
        "r_hat > 1.01 for 1 parameter (the chains disagree, after 4 chains x 1000 draws): "
        "means[component=1, feature=waiting] r_hat 1."
    )
    assert "more chains" in message  # already 4 chains


def test_symmetric_covariance_entries_are_named_once():
    cov = well_mixed((2, 1000, 1, 2, 2))
    cov[..., 1, 0] = cov[..., 0, 1]
    cov[1, :, 0, 0, 1] += 3.0  # the off-diagonal entry, in both triangles
    cov[1, :, 0, 1, 0] += 3.0
    posterior = xr.Dataset(
        {"covariances": (("chain", "draw", "component", "feature", "feature_bis"), cov)},
        coords={"component": [0], "feature": ["a", "b"], "feature_bis": ["a", "b"]},
    )
    d = diagnose(make_idata(posterior))
    assert [label for label, _ in d.high_rhat] == [
        "covariances[component=0, feature=b, feature_bis=a]"
    ]


def test_ess_threshold_is_100_per_chain_above_four_chains():
    posterior = xr.Dataset({"means": (("chain", "draw"), well_mixed((8, 60)))})
    d = diagnose(make_idata(posterior))
    assert d.ess_min == 800
    assert d.low_ess_bulk
    assert d.low_ess_bulk[0][0] == "means"
    assert d.messages[0].startswith("Effective sample size below 800")
    assert "8 chains x 60 draws = 480 draws in all cannot reach it" in d.messages[0]
    assert diagnose(make_idata(posterior), ess_min=100).low_ess_bulk == ()


def test_low_ess_with_enough_draws_suggests_more_draws():
    rng = np.random.default_rng(1)
    ar = np.zeros((4, 4000))  # AR(1) with rho = 0.97: ESS about 16000 * 0.03 / 1.97 = 240
    for t in range(1, 4000):
        ar[:, t] = 0.97 * ar[:, t - 1] + rng.normal(size=4)
    posterior = xr.Dataset({"weights": (("chain", "draw", "component"), ar[..., None])})
    d = diagnose(make_idata(posterior, settings={"draws": 4000}), var_names=["weights"])
    assert 100 < d.min_ess_bulk < 400
    assert d.max_rhat <= 1.01
    (message,) = d.messages
    label, value = d.low_ess_bulk[0]
    assert label == "weights[component=0]"
    assert f"ess_bulk < 400 for weights[component=0] ({value:.0f})." in message
    # 4000 draws x 400 / ESS x 1.2, rounded up to hundreds
    suggested = int(np.ceil(4000 * 400 / value * 1.2 / 100) * 100)
    assert message.endswith(f"Run more draws (e.g. draws={suggested}).")


@pytest.mark.parametrize("stat", ["maxdepth_reached", "reached_max_treedepth"])
def test_max_treedepth_hits_warn(stat):
    hits = np.zeros((4, 1000), dtype=bool)
    hits[2, :300] = True
    posterior = xr.Dataset({"means": (("chain", "draw"), well_mixed((4, 1000)))})
    no_divergence = np.zeros_like(hits)
    stats = xr.Dataset(
        {stat: (("chain", "draw"), hits), "diverging": (("chain", "draw"), no_divergence)}
    )
    d = diagnose(make_idata(posterior, stats, settings={"tune": 1000, "n_components": 3}))
    assert d.treedepth_hits == 300
    assert d.ok
    (message,) = d.messages
    assert message.startswith("NUTS reached its maximum tree depth in 300 of 4000 draws (7.5%)")
    assert "more tuning (tune=2000)" in message
    assert "fewer components (n_components=2)" in message
    few = hits & (np.arange(1000) < 10)  # 0.25% of the draws: no warning
    stats[stat] = (("chain", "draw"), few)
    assert diagnose(make_idata(posterior, stats)).messages == ()


def test_empty_component_is_named_and_fewer_components_advised():
    # K=3, N=100, Dirichlet(1): E[n_k | X] = E[w_k] (N + 3) - 1
    rng = np.random.default_rng(2)
    weights = rng.dirichlet([60.0, 40.0, 1.0], size=(4, 1000))
    # posterior mean weight 0.012 of component 2 (1 / (N + K) = 0.0097 with no data)
    weights[..., 2] = 0.012
    weights[..., :2] *= (1 - 0.012) / weights[..., :2].sum(axis=-1, keepdims=True)
    posterior = xr.Dataset(
        {"weights": (("chain", "draw", "component"), weights)}, coords={"component": [0, 1, 2]}
    )
    diverging = np.zeros((4, 1000), dtype=bool)
    diverging[0, :3] = True
    stats = xr.Dataset({"diverging": (("chain", "draw"), diverging)})
    settings = {"n_components": 3, "priors": None, "target_accept": 0.9, "tune": 1000}
    d = diagnose(make_idata(posterior, stats, n_obs=100, settings=settings))
    assert d.empty_components == ("2",)
    assert d.expected_counts["2"] == pytest.approx(0.012 * 103 - 1)  # 0.236 observations
    assert sum(d.expected_counts.values()) == pytest.approx(100)
    message = one(d.messages, "Component 2 is empty")
    assert f"to hold {d.expected_counts['2']:.2g} of the 100 observations" in message
    assert f"(fewer than {EMPTY_COMPONENT_COUNT})" in message
    assert "do not support 3 components. Fit n_components=2" in message
    assert "bayesgmm.compare_loo" in message
    divergent = one(d.messages, "3 divergent transitions")
    assert "(0.1% of 4000 draws; chain 0: 3)" in divergent
    assert "raise target_accept from 0.9 to 0.95" in divergent
    assert "fewer components (n_components=2): component 2 is empty" in divergent


def test_expected_counts_use_the_prior_concentration():
    weights = np.tile([0.7, 0.3], (2, 500, 1))
    posterior = xr.Dataset({"weights": (("chain", "draw", "component"), weights)})
    settings = {"priors": {"weight_concentration": 0.5}}
    d = diagnose(make_idata(posterior, n_obs=9, settings=settings))
    # E[w_k] (N + K a) - a = 0.7 * 10 - 0.5, 0.3 * 10 - 0.5
    assert d.expected_counts == pytest.approx({"0": 6.5, "1": 2.5})


def test_relabel_false_hint_points_to_label_switching():
    means = well_mixed((2, 1000, 2))
    means[1] += 2.0
    posterior = xr.Dataset({"means": (("chain", "draw", "component"), means)})
    d = diagnose(make_idata(posterior, settings={"relabel": False, "n_components": 2}))
    message = one(d.messages, "r_hat > 1.01")
    assert "relabel=False keeps the raw component labels" in message
    assert "fit with relabel=True" in message


def test_stuck_chains_fail_without_runtime_warnings():
    # every draw identical: ArviZ divides 0 by 0; diagnose must not warn about that
    posterior = xr.Dataset({"means": (("chain", "draw"), np.ones((2, 100)))})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = diagnose(make_idata(posterior))
    assert np.isnan(d.max_rhat)
    assert d.high_rhat[0][0] == "means"
    assert "means r_hat nan" in one(d.messages, "r_hat > 1.01")
    assert not d.ok


def test_diagnostics_dataclass_defaults():
    d = Diagnostics(n_chains=4, n_draws=1000, max_rhat=1.0, min_ess_bulk=500, min_ess_tail=500)
    assert d.ok
    assert d.n_total == 4000
    assert d.divergence_fraction == 0.0
    assert not Diagnostics(n_chains=4, n_draws=10, divergences=1).ok
