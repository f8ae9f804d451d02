"""The uniform noise component of EM (``GaussianMixture(noise=...)``).

Against R's mclust (marker ``mclust``): ``hypvol`` and, from the same start mask, the
log-likelihood and BIC of every model and K. Without R: the density, labels,
memberships, criteria, sampling, weights, streaming, persistence and bad input.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from mclust_oracle import (
    compare_bic,
    mclust_available,
    mclust_fits,
    mclust_noise_choice,
    mclust_noise_icl,
)

from bayesgmm import GaussianMixture, bootstrap_lrt, select_model, sequential_lrt
from bayesgmm.cli import main
from bayesgmm.covariance import MCLUST_MODELS, get_covariance_model
from bayesgmm.em.noise import hypervolume, nearest_neighbour_clean, noise_region
from bayesgmm.selection.evidence import EvidenceTable
from bayesgmm.selection.pipeline import run_pipeline
from bayesgmm.testing import make_clutter_data
from bayesgmm.uses.clustering import cluster_uncertainty


def chevron_with_clutter(n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """A V-shaped band, a blob and uniform clutter; truth -1 for the clutter."""
    return make_clutter_data(n_features)


@pytest.fixture(scope="module")
def data2d():
    return chevron_with_clutter(2)


@pytest.fixture(scope="module")
def fitted(data2d):
    X, _ = data2d
    return GaussianMixture(3, covariance_type="VVV", noise=True, random_state=0).fit(X)


# ------------------------------------------------------------------ against mclust
def _fits_against_mclust(X: np.ndarray, mask: np.ndarray, ks: list[int]):
    _, fits = mclust_fits(X, list(MCLUST_MODELS), ks, noise=mask)
    compared, climbed = [], []
    for row in fits.itertuples():
        if row.code != 0 or not np.isfinite(row.loglik):
            continue  # mclust stopped on a singular covariance or did not converge
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm = GaussianMixture(
                row.k,
                covariance_type=row.model,
                noise=mask,
                init_params="hierarchical",
                reg_covar=0.0,
                tol=1e-12,
                max_iter=100_000,
            ).fit(X)
        if not gm.converged_:
            continue
        loglik = gm.score(X) * len(X)
        if row.model == "VVE":  # mclust's VVE M-step is not exact (see test_vs_mclust)
            assert loglik >= row.loglik - 1e-6 * abs(row.loglik), row.k
            climbed.append(loglik - row.loglik)
            continue
        assert loglik == pytest.approx(row.loglik, rel=1e-6), (row.model, row.k)
        assert -gm.bic(X) == pytest.approx(row.bic, rel=1e-6), (row.model, row.k)
        compared.append((row.model, row.k))
    return fits, compared


@pytest.mark.mclust
@pytest.mark.skipif(mclust_available() is not None, reason=str(mclust_available()))
@pytest.mark.parametrize("n_features", [2, 3])
def test_loglik_and_bic_equal_mclusts_from_the_same_noise_start(n_features):
    """``Mclust(X, initialization = list(noise = mask))``'s ``me`` fits, model by model."""
    X, _ = chevron_with_clutter(n_features)
    mask = nearest_neighbour_clean(X)
    assert 40 < mask.sum() < 200
    fits, compared = _fits_against_mclust(X, mask, list(range(1, 6)))
    assert fits.attrs["hypervolume"] == pytest.approx(hypervolume(X), rel=1e-12)
    assert len(compared) >= 0.8 * len(fits) - 5, (len(compared), len(fits))


# ------------------------------------------------------------------ hypervolume and start
def test_hypervolume_is_the_smaller_box():
    rng = np.random.default_rng(0)
    rectangle = rng.uniform(0, 1, size=(5000, 2)) * [4.0, 1.0]
    assert hypervolume(rectangle) == pytest.approx(4.0, rel=0.01)  # the axes' box wins
    rotation = np.array([[1.0, 1.0], [-1.0, 1.0]]) / math.sqrt(2)
    tilted = rectangle @ rotation  # the same rectangle turned by 45 degrees
    assert np.prod(np.ptp(tilted, axis=0)) > 8  # its bounding box is much larger
    region = noise_region(tilted)
    assert region.volume == pytest.approx(4.0, rel=0.05)  # the principal axes' box
    assert not np.allclose(np.abs(region.rotation), np.eye(2))
    one_feature = rng.normal(size=(100, 1))
    assert hypervolume(one_feature) == pytest.approx(np.ptp(one_feature))


def test_nearest_neighbour_clean_finds_the_clutter(data2d):
    X, truth = data2d
    noise = nearest_neighbour_clean(X)
    assert (noise[truth == -1]).mean() > 0.8
    assert (noise[truth >= 0]).mean() < 0.15


# ------------------------------------------------------------------ the fit
def test_noise_fit_recovers_the_clutter(data2d, fitted):
    X, truth = data2d
    assert fitted.noise_proportion_ == pytest.approx(70 / 490, abs=0.04)
    assert fitted.weights_.sum() + fitted.noise_proportion_ == pytest.approx(1.0)
    labels = fitted.predict(X)
    assert (labels[truth == -1] == -1).mean() > 0.8
    assert (labels[truth >= 0] == -1).mean() < 0.05
    assert fitted.hypervolume_ == pytest.approx(hypervolume(X))


def test_density_memberships_and_criteria_include_the_noise(data2d, fitted):
    X, _ = data2d
    model = get_covariance_model("full")
    K = fitted.n_components
    gauss = np.stack(
        [
            fitted.weights_[k]
            * np.exp(
                -0.5 * np.einsum("ni,ij,nj->n", X - fitted.means_[k],
                                 np.linalg.inv(fitted.covariances_[k]), X - fitted.means_[k])
            )
            / np.sqrt(np.linalg.det(2 * np.pi * fitted.covariances_[k]))
            for k in range(K)
        ],
        axis=1,
    )  # fmt: skip
    noise = np.full((len(X), 1), fitted.noise_proportion_ / fitted.hypervolume_)
    joint = np.c_[gauss, noise]
    np.testing.assert_allclose(fitted.score_samples(X), np.log(joint.sum(axis=1)), rtol=1e-10)
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), K + 1)
    np.testing.assert_allclose(proba, joint / joint.sum(axis=1, keepdims=True), atol=1e-12)
    labels = fitted.predict(X)
    np.testing.assert_array_equal(labels, np.where(proba.argmax(1) == K, -1, proba.argmax(1)))
    n_parameters = model.n_parameters(K, 2) + 2  # the proportion and V, as mclust
    loglik = fitted.score(X) * len(X)
    assert fitted.bic(X) == pytest.approx(-2 * loglik + n_parameters * math.log(len(X)))
    top = np.log(proba.max(axis=1)).sum()
    assert fitted.icl(X) == pytest.approx(fitted.bic(X) - 2 * top)


def test_fit_predict_equals_predict_after_fit(data2d):
    X, _ = data2d
    gm = GaussianMixture(3, noise=True, random_state=1)
    labels = gm.fit_predict(X)
    np.testing.assert_array_equal(labels, gm.predict(X))
    assert (labels == -1).any()


def test_sample_draws_noise_inside_the_region(fitted):
    X, y = fitted.sample(4000)
    share = (y == -1).mean()
    assert share == pytest.approx(fitted.noise_proportion_, abs=0.02)
    region = fitted._noise_region
    inside = (X[y == -1] - region["center"]) @ region["rotation"]
    assert (inside >= region["lower"] - 1e-9).all()
    assert (inside <= region["upper"] + 1e-9).all()


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical", "EEV", "VEI"])
def test_sample_weight_equals_repetition(covariance_type, data2d):
    X, _ = data2d
    X = X[::4]
    counts = np.random.default_rng(0).integers(1, 4, size=len(X))
    mask = nearest_neighbour_clean(X)
    weight = counts.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=0: "not converged"
        start = GaussianMixture(2, covariance_type=covariance_type, noise=mask, max_iter=0)
        start.fit(X, sample_weight=weight)
    inits = {
        "weights_init": start.weights_ / start.weights_.sum(),
        "means_init": start.means_,
        "precisions_init": start.precisions_,
    }
    settings = {"covariance_type": covariance_type, "tol": 1e-10, "max_iter": 500, **inits}
    weighted = GaussianMixture(2, noise=mask, **settings).fit(X, sample_weight=weight)
    repeated = GaussianMixture(2, noise=np.repeat(mask, counts), **settings)
    repeated.fit(np.repeat(X, counts, axis=0))
    assert weighted.noise_proportion_ == pytest.approx(repeated.noise_proportion_, rel=1e-6)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-6)


def test_streamed_fit_equals_stored(data2d):
    X, _ = data2d
    mask = nearest_neighbour_clean(X)
    settings = {"noise": mask, "covariance_type": "tied", "tol": 1e-10, "random_state": 0}
    stored = GaussianMixture(3, **settings).fit(X)
    streamed = GaussianMixture(3, chunk_size=64, **settings).fit(X)
    assert streamed.noise_proportion_ == pytest.approx(stored.noise_proportion_, rel=1e-9)
    np.testing.assert_allclose(streamed.covariances_, stored.covariances_, rtol=1e-8)


def test_float32_fit_equals_float64(data2d):
    X, _ = data2d
    settings = {"noise": True, "covariance_type": "diag", "random_state": 0, "tol": 1e-8}
    double = GaussianMixture(3, **settings).fit(X)
    single = GaussianMixture(3, **settings).fit(X.astype(np.float32))
    assert single.noise_proportion_ == pytest.approx(double.noise_proportion_, rel=1e-3)


def test_fixed_hypervolume_is_used(data2d):
    X, _ = data2d
    gm = GaussianMixture(3, noise=True, hypervolume=500.0, random_state=0).fit(X)
    assert gm.hypervolume_ == 500.0
    joint = np.exp(gm.score_samples(X))
    assert (joint >= gm.noise_proportion_ / 500.0).all()


def test_save_and_load_round_trip(tmp_path, fitted, data2d):
    X, _ = data2d
    loaded = GaussianMixture.load(fitted.save(tmp_path / "noise.npz"))
    assert loaded.noise_proportion_ == fitted.noise_proportion_
    assert loaded.hypervolume_ == fitted.hypervolume_
    np.testing.assert_array_equal(loaded.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_refit_without_noise_forgets_it(data2d):
    X, _ = data2d
    gm = GaussianMixture(2, noise=True, random_state=0).fit(X)
    gm.set_params(noise=False).fit(X)
    assert not hasattr(gm, "noise_proportion_")
    assert not hasattr(gm, "hypervolume_")
    assert gm.predict_proba(X).shape == (len(X), 2)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("noise", "error", "match"),
    [
        (np.zeros(10, dtype=bool), ValueError, "one entry per row"),
        (np.ones(490, dtype=int), TypeError, "boolean mask"),
        (np.ones(490, dtype=bool), ValueError, "marks every row"),
        (np.zeros(490, dtype=bool), ValueError, "marks no row"),
        ("yes", ValueError, "noise"),
    ],
)
def test_bad_noise_masks(data2d, noise, error, match):
    X, _ = data2d
    with pytest.raises(error, match=match):
        GaussianMixture(2, noise=noise).fit(X)


@pytest.mark.parametrize("value", [0.0, -1.0, np.inf, np.nan])
def test_bad_hypervolume(data2d, value):
    X, _ = data2d
    with pytest.raises(ValueError, match="hypervolume"):
        GaussianMixture(2, noise=True, hypervolume=value).fit(X)


def test_contradictory_and_unsupported_settings(data2d):
    X, _ = data2d
    with pytest.raises(ValueError, match="hypervolume is set but noise=False"):
        GaussianMixture(2, hypervolume=10.0).fit(X)
    with_nan = X.copy()
    with_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="noise is not available with missing cells"):
        GaussianMixture(2, noise=True, missing="marginalize").fit(with_nan)
    with pytest.raises(ValueError, match="noise is not available for partial_fit"):
        GaussianMixture(2, noise=True).partial_fit(X)
    flat = np.c_[X[:, 0], np.zeros(len(X))]
    with pytest.raises(ValueError, match="no volume"):
        GaussianMixture(2, noise=True).fit(flat)


@pytest.mark.mclust
@pytest.mark.skipif(mclust_available() is not None, reason=str(mclust_available()))
@pytest.mark.parametrize("n_features", [2, 3])
def test_select_model_with_noise_reproduces_mclust(n_features):
    """``select_model(X, ks, "all", noise=mask)`` is ``Mclust(X, initialization = list(noise
    = mask))``: the same BIC per model and K (tight convergence in both) and the same
    choice as ``Mclust`` with its defaults; the noise-only row 0 is mclust's."""
    X, _ = chevron_with_clutter(n_features)
    mask = nearest_neighbour_clean(X)
    _, fits = mclust_fits(X, list(MCLUST_MODELS), list(range(1, 6)), noise=mask)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = select_model(
            X, range(1, 6), "all", noise=mask, reg_covar=0.0, tol=1e-10, max_iter=100_000
        )
    assert compare_bic(selection.table, fits, rel=1e-6) >= 50
    model, k, bic = mclust_noise_choice(X, mask, "0:9")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = select_model(X, range(1, 10), "all", noise=mask)
    assert (default.table.mclust_name.iloc[0], default.best_params_["n_components"]) == (model, k)
    assert -default.table.bic.iloc[0] == pytest.approx(bic, rel=1e-5)
    n = len(X)
    assert -default.to_mclust().loc[0, ("BIC", "EII")] == pytest.approx(
        2 * n * math.log(hypervolume(X)) + math.log(n)
    )


def test_select_model_warns_when_noise_alone_wins():
    X = np.random.default_rng(0).uniform(size=(300, 2))
    with pytest.warns(UserWarning, match="Uniform noise alone"):
        selection = select_model(X, range(1, 3), "full", noise=True)
    assert selection.noise_only["n_parameters"] == 1
    assert selection.noise_only["bic"] < selection.table.bic.iloc[0]


# ------------------------------------------------------------------ the rest of the library
def test_bootstrap_lrt_with_noise_refits_with_noise(data2d):
    X, _ = data2d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = select_model(X, range(1, 4), "full", noise=True)
        test = sequential_lrt(X, 3, "full", n_boot=9, n_init=1, noise=True, fits=selection)
        plain = sequential_lrt(X, 3, "full", n_boot=9, n_init=1)
    # the data's statistic comes from the grid's noise fits
    k1, k2 = selection.estimators[(1, "full")], selection.estimators[(2, "full")]
    expected = 2 * (k2.score(X) - k1.score(X)) * len(X)
    assert test.tests[0].statistic == pytest.approx(expected)
    assert test.tests[0].statistic != pytest.approx(plain.tests[0].statistic)
    with pytest.raises(ValueError, match="hypervolume is set but noise=False"):
        bootstrap_lrt(X, 1, hypervolume=3.0)


def test_pipeline_auto_noise_keeps_the_better_grid(data2d):
    X, _ = data2d
    settings = {"n_init": 1, "lrt": False, "loo": False, "k_posterior": False, "progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = run_pipeline(X, range(1, 5), "full", noise="auto", **settings)
        plain = run_pipeline(X, range(1, 5), "full", **settings)
    assert auto.selection.noise_only is not None  # clutter: noise wins
    assert auto.selection.table.bic.iloc[0] < plain.selection.table.bic.iloc[0]
    assert auto.evidence.reasons[0].startswith("noise='auto': a uniform noise component improves")
    assert hasattr(auto.em, "noise_proportion_")
    clean = np.random.default_rng(0).normal(size=(300, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = run_pipeline(clean, range(1, 3), "full", noise="auto", **settings)
    assert kept.selection.noise_only is None  # Gaussian data: no noise component
    assert "no noise component" in kept.evidence.reasons[0]


def test_pipeline_posterior_over_k_runs_on_the_rows_not_labelled_noise(data2d):
    X, _ = data2d
    settings = {"n_init": 1, "lrt": False, "loo": False, "progress": False}
    k_settings = {"draws": 200, "tune": 200, "chains": 2, "k_max": 8}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_pipeline(
            X, range(1, 5), "full", noise=True, k_posterior=k_settings, **settings
        )
    kept = result.selection.best_estimator_.predict(X) != -1
    assert result.k_posterior.n_samples == kept.sum() < len(X)


def test_cluster_uncertainty_labels_noise_minus_one(data2d, fitted):
    X, _ = data2d
    result = cluster_uncertainty(fitted, X)
    np.testing.assert_array_equal(result.labels, fitted.predict(X))
    assert result.proba.shape == (len(X), fitted.n_components + 1)


def test_cli_fit_with_noise(tmp_path, data2d, capsys):
    X, _ = data2d
    path = tmp_path / "clutter.csv"
    pd.DataFrame(X, columns=["x", "y"]).to_csv(path, index=False)
    out = tmp_path / "out"
    args = ["fit", str(path), "--k", "1:4", "--covariance", "full", "--n-init", "1"]
    assert main([*args, "--noise", "--out", str(out), "--quiet"]) == 0
    assert "noise: proportion" in capsys.readouterr().out
    model = json.loads((out / "parameters.json").read_text())["model"]
    assert 0.05 < model["noise_proportion"] < 0.3
    assert model["hypervolume"] == pytest.approx(hypervolume(X))
    assert "noise" in (out / "report.html").read_text()


def test_cluster_plot_draws_noise_apart(fitted, data2d):
    import matplotlib.pyplot as plt

    from bayesgmm.plots import plot_clusters

    X, _ = data2d
    ax = plot_clusters(fitted, X)
    markers = [c for c in ax.collections if len(c.get_offsets())]
    assert len(markers) == 2  # component points, then the noise points (crosses)
    assert len(markers[1].get_offsets()) == int((fitted.predict(X) == -1).sum())
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "noise"
    plt.close(ax.figure)


def test_evidence_table_shows_the_noise(data2d):
    X, _ = data2d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = select_model(X, range(1, 5), "full", noise=True)
    evidence = EvidenceTable.from_results(selection)
    best = selection.best_estimator_
    assert evidence.table.noise_proportion.iloc[0] == best.noise_proportion_
    assert any(reason.startswith("Every model has a uniform noise") for reason in evidence.reasons)


@pytest.mark.mclust
@pytest.mark.skipif(mclust_available() is not None, reason=str(mclust_available()))
def test_icl_with_noise_equals_mclusticl():
    """ICL counts the noise column in the classification entropy, as ``mclustICL``."""
    X, _ = chevron_with_clutter(2)
    mask = nearest_neighbour_clean(X)
    models = ["EII", "VVI", "EEE", "EVE", "VVV"]
    theirs = mclust_noise_icl(X, mask, [1, 2, 3, 4], models)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selection = select_model(
            X, range(1, 5), models, noise=mask, reg_covar=0.0, tol=1e-10, max_iter=100_000
        )
    ours = selection.to_mclust()["ICL"]
    compared = 0
    for k in theirs.index:
        for model in models:
            if np.isfinite(theirs.loc[k, model]):
                # to 1e-5, as the BIC of select_model against Mclust's: mclustICL's fits
                # stop at its own tolerances (differences of 3e-8 to 3e-6 here)
                assert ours.loc[k, model] == pytest.approx(theirs.loc[k, model], rel=1e-5)
                compared += 1
    assert compared >= 18
