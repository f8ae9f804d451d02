"""Repaired LOO (exact refits where Pareto k > 0.7) against brute-force LOO."""

from __future__ import annotations

import io
import warnings

import arviz as az
import numpy as np
import pytest
from scipy.special import logsumexp

from bayesgmm import BayesianGaussianMixture, EvidenceTable, select_model
from bayesgmm.bayes.posterior import draws_from_posterior
from bayesgmm.bayes.reloo import reloo_cap
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.selection.loo_comparison import compare_loo


def with_outlier(n: int, n_features: int, seed: int) -> np.ndarray:
    """``n - 1`` rows of two unit clusters 5 apart and one outlier (the last row, 5 sd out)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n - 1, n_features))
    X[: (n - 1) // 2] += 5.0
    return np.vstack([X, np.full((1, n_features), 10.0)])


def brute_force_terms(model, X):
    """``log p(y_i | y_-i)`` for every row: the model refitted without it, as reloo does."""
    terms, mcse = [], []
    for i in range(len(X)):
        params = model.get_params()
        params.update(start=model.em_, progressbar=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            refit = type(model)(**params).fit(np.delete(X, i, axis=0))
        post = refit.idata_["posterior"].to_dataset()
        log_lik = draws_from_posterior(post, model.covariance_type).log_likelihood(X[[i]])[:, 0]
        terms.append(logsumexp(log_lik) - np.log(log_lik.size))
        # Monte Carlo error of log(mean(exp)): delta method, effective size S / 4
        w = np.exp(log_lik - log_lik.max())
        mcse.append(np.std(w) / w.mean() / np.sqrt(log_lik.size / 4))
    return np.array(terms), np.array(mcse)


def check_against_brute_force(X, n_components, **settings):
    fits = {}
    for k in (1, n_components):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            fits[f"K={k} full"] = BayesianGaussianMixture(k, progressbar=False, **settings).fit(X)
    stream = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        result = compare_loo(X, fits, reloo=True, progress=stream)
    name = f"K={n_components} full"
    outlier = len(X) - 1
    assert outlier in result.high_pareto_k[name].tolist()
    flagged = result.repaired[name]
    assert flagged.tolist() == result.high_pareto_k[name].tolist()
    # (short CI runs fail their ESS checks: a separate state, stated after the count)
    assert result.table.loc[name, "loo_state"].startswith(
        f"repaired ({len(flagged)} refit{'s' if len(flagged) != 1 else ''})"
    )
    assert result.table.loc[name, "loo_ok"]
    assert f"reloo {name}: refit 1/{len(flagged)}" in stream.getvalue()
    repaired = np.asarray(result.loo[name].elpd_i).ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        psis = np.asarray(az.loo(result.models[name].idata_, pointwise=True).elpd_i).ravel()
    brute, mcse = brute_force_terms(result.models[name], X)
    # the refitted terms are the brute-force ones (same data, settings and seed)
    np.testing.assert_allclose(repaired[flagged], brute[flagged], rtol=1e-10)
    # the repaired total equals brute-force LOO within Monte Carlo error: the terms
    # left to PSIS differ from their brute-force values by Monte Carlo error only
    kept = np.setdiff1d(np.arange(len(X)), flagged)
    tolerance = 4 * np.sqrt(2 * np.sum(mcse[kept] ** 2))
    assert abs(repaired.sum() - brute.sum()) < tolerance, (repaired.sum(), brute.sum(), tolerance)
    # ... where the unrepaired PSIS estimate was off by more than that
    assert abs(psis.sum() - brute.sum()) > tolerance, (psis.sum(), brute.sum(), tolerance)
    # ... and the table, se and comparison follow the repaired pointwise values
    assert result.table.loc[name, "elpd"] == pytest.approx(repaired.sum())
    assert result.table.loc[name, "se"] == pytest.approx(
        np.sqrt(len(X) * np.var(repaired)), rel=0.05
    )
    other = "K=1 full"
    diff, _se = result.difference(other, name)
    b = np.asarray(result.loo[other].elpd_i).ravel()
    assert diff == pytest.approx((repaired - b).sum())
    return result


def test_repaired_loo_equals_brute_force_loo():
    X = with_outlier(20, 1, seed=1)
    check_against_brute_force(X, 2, draws=150, tune=150, chains=2, random_state=0, max_doublings=0)


@pytest.mark.slow
def test_repaired_loo_equals_brute_force_loo_2d_thorough():
    X = with_outlier(30, 2, seed=1)
    check_against_brute_force(X, 2, draws=1000, tune=1000, chains=4, random_state=3)


@pytest.fixture(scope="module")
def two_fits():
    X = with_outlier(20, 1, seed=1)
    fits = {}
    for k in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            fits[f"K={k} full"] = BayesianGaussianMixture(
                k,
                draws=250,
                tune=200,
                chains=4,
                random_state=0,
                progressbar=False,
                max_doublings=0,
            ).fit(X)
    assert all(fit.diagnostics_ok_ for fit in fits.values())  # fits that did not fail
    return X, fits


def test_beyond_the_cap_the_loo_is_unreliable_not_a_failed_fit(two_fits):
    X, fits = two_fits
    with pytest.warns(SamplingWarning, match=r"more than reloo=0 refits allow.*reloo=True"):
        result = compare_loo(X, fits, reloo=False)
    name = "K=2 full"
    m = len(result.high_pareto_k[name])
    assert m >= 1
    row = result.table.loc[name]
    assert row["loo_state"] == f"unreliable: {m} Pareto k > 0.7"
    assert not row["loo_ok"]
    assert row["n_refits"] == 0
    assert "Pareto" not in row["diagnostics"]  # sampler diagnostics only
    # the evidence table: not a failed fit, but its ELPD stays out of the LOO vote
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = select_model(X, range(1, 3), ["full"], n_init=2)
    evidence = EvidenceTable.from_results(selection, loo=result)
    frame = evidence.table
    assert frame.loc[name, "bayes_ok"]
    assert frame.loc[name, "loo_state"].startswith(f"unreliable: {m} Pareto k > 0.7 (PSIS elpd")
    assert np.isnan(frame.loc[name, "elpd"])
    assert any(r.startswith("Left out of the LOO vote") and name in r for r in evidence.reasons)
    assert not any(r.startswith("Not used as evidence") for r in evidence.reasons)


def test_repaired_loo_is_usable_in_the_evidence_table(two_fits):
    X, fits = two_fits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare_loo(X, fits, reloo=5)
        selection = select_model(X, range(1, 3), ["full"], n_init=2)
    evidence = EvidenceTable.from_results(selection, loo=result)
    assert result.table["loo_state"].str.startswith("repaired").any()
    for name in fits:
        assert np.isfinite(evidence.table.loc[name, "elpd"])
        assert evidence.table.loc[name, "loo_state"] == result.table.loc[name, "loo_state"]
    assert any(r.startswith("PSIS-LOO repaired by exact") for r in evidence.reasons)


@pytest.mark.parametrize("value", [-1, 1.5, "yes", None])
def test_bad_reloo_is_explained(value):
    with pytest.raises(ValueError, match=rf"reloo must be True .*; got {value!r}"):
        reloo_cap(value)
