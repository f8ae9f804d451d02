"""Saving and loading fitted estimators (bayesgmm.persistence, the estimators' save/load)."""

import copy
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

from bayesgmm import GaussianMixture, NotFittedError
from bayesgmm.persistence import (
    FORMAT_VERSION,
    atomic_write,
    load_gaussian_mixture,
    save_gaussian_mixture,
    write_bytes_atomic,
)

# ---------------------------------------------------------------------- helpers


def make_data(seed=0, n=240, d=3, missing=False):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0] * d, [4.0] * d, [-3.0, 5.0, 1.0][:d]])
    X = np.concatenate([rng.normal(c, 1.0, size=(n // 3, d)) for c in centers])
    X = X @ np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])[:d, :d]
    if missing:
        X[rng.random(X.shape) < 0.1] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 0.5  # no row with every cell missing
    return X


def fit_em(X, sample_weight=None, **params):
    params = {"n_components": 3, "random_state": 0, **params}
    return GaussianMixture(**params).fit(X, sample_weight=sample_weight)


def assert_same_value(name, value, other):
    assert type(other) is type(value), name
    if isinstance(value, np.ndarray):
        assert other.dtype == value.dtype, name
        assert other.shape == value.shape, name
        assert np.array_equal(value, other, equal_nan=value.dtype.kind == "f"), name
        if value.dtype == object:
            assert [type(v) for v in value.flat] == [type(v) for v in other.flat], name
    elif isinstance(value, np.random.Generator):
        assert json.dumps(other.bit_generator.state, default=str) == json.dumps(
            value.bit_generator.state, default=str
        ), name
    elif isinstance(value, np.random.RandomState):
        a, b = value.get_state(legacy=False), other.get_state(legacy=False)
        assert np.array_equal(a["state"]["key"], b["state"]["key"]), name
        assert (a["state"]["pos"], a["has_gauss"], a["gauss"]) == (
            b["state"]["pos"],
            b["has_gauss"],
            b["gauss"],
        ), name
    elif isinstance(value, list):
        assert other == value, name
        assert [type(v) for v in other] == [type(v) for v in value], name
    else:
        assert other == value, name


def assert_same_em(original, loaded):
    """Every attribute (parameters and fitted state) equal, bit for bit and type for type."""
    assert type(loaded) is type(original)
    assert set(vars(loaded)) == set(vars(original))
    for name, value in vars(original).items():
        assert_same_value(name, value, getattr(loaded, name))


def assert_same_predictions(original, loaded, X):
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    np.testing.assert_array_equal(loaded.score_samples(X), original.score_samples(X))
    assert loaded.score(X) == original.score(X)
    assert loaded.bic(X) == original.bic(X)
    assert loaded.aic(X) == original.aic(X)
    assert loaded.icl(X) == original.icl(X)


def snapshot(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


# ---------------------------------------------------------------------- EM round trip


@pytest.mark.parametrize("frame", [False, True], ids=["ndarray", "DataFrame"])
def test_em_round_trip_is_bit_identical(covariance_type, frame, tmp_path):
    X = make_data()
    data = pd.DataFrame(X, columns=["alpha", "température", "größe"]) if frame else X
    gm = fit_em(data, covariance_type=covariance_type)
    path = gm.save(tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    loaded = GaussianMixture.load(path)
    assert_same_em(gm, loaded)
    assert hasattr(loaded, "feature_names_in_") == frame
    assert_same_predictions(gm, loaded, data)
    new = make_data(seed=1, n=30)
    assert_same_predictions(gm, loaded, pd.DataFrame(new, columns=data.columns) if frame else new)
    # sample() draws from the (int) random_state: the same draws
    for a, b in zip(gm.sample(50), loaded.sample(50), strict=True):
        np.testing.assert_array_equal(a, b)


def test_em_round_trip_with_sample_weight(covariance_type, tmp_path):
    X = make_data()
    weight = np.random.default_rng(3).integers(0, 4, size=len(X)).astype(float)
    gm = fit_em(X, sample_weight=weight, covariance_type=covariance_type)
    loaded = load_gaussian_mixture(save_gaussian_mixture(gm, tmp_path / "weighted.npz"))
    assert_same_em(gm, loaded)
    assert_same_predictions(gm, loaded, X)
    assert loaded.score(X, sample_weight=weight) == gm.score(X, sample_weight=weight)
    assert loaded.bic(X, sample_weight=weight) == gm.bic(X, sample_weight=weight)


def test_em_round_trip_with_missing_values(covariance_type, tmp_path):
    X = make_data(missing=True)
    assert np.isnan(X).any()
    gm = fit_em(X, covariance_type=covariance_type, missing="marginalize")
    loaded = GaussianMixture.load(gm.save(tmp_path / "missing.npz"))
    assert_same_em(gm, loaded)
    assert loaded.missing == "marginalize"
    assert_same_predictions(gm, loaded, X)
    np.testing.assert_array_equal(loaded.impute(X), gm.impute(X))
    assert not np.isnan(loaded.impute(X)).any()


def test_em_warm_start_refit_of_loaded_model_equals_original(tmp_path):
    X, X_new = make_data(), make_data(seed=5)
    gm = fit_em(X, covariance_type="full")
    loaded = GaussianMixture.load(gm.save(tmp_path / "warm.npz"))
    original = copy.deepcopy(gm)
    for model in (original, loaded):
        model.set_params(warm_start=True).fit(X_new)
    assert loaded.n_iter_ >= 1
    assert_same_em(original, loaded)


@pytest.mark.parametrize("kind", ["generator", "random_state"])
def test_em_random_state_objects_keep_their_stream(kind, tmp_path):
    X = make_data()
    seed = np.random.default_rng(11) if kind == "generator" else np.random.RandomState(11)
    gm = fit_em(X, random_state=seed)
    loaded = GaussianMixture.load(gm.save(tmp_path / "rng.npz"))
    assert_same_em(gm, loaded)
    assert loaded.random_state is not gm.random_state
    # both continue the stream from where it was when the model was saved
    for a, b in zip(gm.sample(20), loaded.sample(20), strict=True):
        np.testing.assert_array_equal(a, b)


def test_em_array_parameters_round_trip(tmp_path):
    X = make_data()
    weights_init = np.array([0.2, 0.3, 0.5])
    means_init = [[0.0, 0.0, 0.0], [4.0, 4.0, 4.0], [-3.0, 5.0, 1.0]]
    gm = fit_em(X, weights_init=weights_init, means_init=means_init, covariance_type="diag")
    loaded = GaussianMixture.load(gm.save(tmp_path / "inits.npz"))
    np.testing.assert_array_equal(loaded.weights_init, weights_init)
    np.testing.assert_array_equal(loaded.means_init, np.asarray(means_init))
    assert loaded.precisions_init is None
    assert_same_predictions(gm, loaded, X)


def test_em_file_is_a_versioned_npz_without_pickles(tmp_path):
    import bayesgmm

    path = fit_em(make_data()).save(tmp_path / "plain.npz")
    with np.load(path, allow_pickle=False) as archive:  # would raise on any pickle
        header = json.loads(str(archive["bayesgmm_header"]))
        assert all(archive[key].dtype != object for key in archive.files)
    assert header["format"] == "bayesgmm.GaussianMixture"
    assert header["format_version"] == FORMAT_VERSION
    assert header["bayesgmm_version"] == bayesgmm.__version__
    assert {"weights_", "means_", "_center", "lower_bounds_"} <= set(header["attributes"])


def test_saving_overwrites_and_keeps_permissions(tmp_path):
    X = make_data()
    path = tmp_path / "model.npz"
    first, second = fit_em(X, n_components=2), fit_em(X, n_components=3)
    first.save(path)
    assert path.stat().st_mode & 0o777 == 0o644  # a new file
    path.chmod(0o600)
    second.save(path)
    assert path.stat().st_mode & 0o777 == 0o600  # the replaced file's permissions
    assert GaussianMixture.load(path).n_components == 3
    assert os.listdir(tmp_path) == ["model.npz"]


# ---------------------------------------------------------------------- EM errors


def test_save_unfitted_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GaussianMixture(2).save(tmp_path / "nothing.npz")
    assert os.listdir(tmp_path) == []


def test_save_refuses_unstorable_parameter_and_writes_nothing(tmp_path):
    gm = fit_em(make_data())
    gm.means_init = {1, 2}
    with pytest.raises(TypeError, match="cannot save parameter means_init of type set"):
        gm.save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fit_em(make_data()).save(tmp_path / "no" / "model.npz")


def test_load_missing_file(tmp_path):
    path = tmp_path / "absent.npz"
    with pytest.raises(FileNotFoundError, match=f"cannot load {path}: no such file"):
        GaussianMixture.load(path)


@pytest.fixture(scope="module")
def em_file_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("em") / "model.npz"
    fit_em(make_data()).save(path)
    return path.read_bytes()


def corruptions(content):
    rng = np.random.default_rng(0)
    flipped = bytearray(content)
    flipped[len(content) // 2] ^= 0x01  # one bit inside an array member
    return {
        "random bytes": rng.bytes(len(content)),
        "half": content[: len(content) // 2],
        "all but the last byte": content[:-1],
        "empty": b"",
        "one bit flipped": bytes(flipped),
        "zip signature then garbage": content[:4] + rng.bytes(200),
    }


@pytest.mark.parametrize(
    "damage",
    [
        "random bytes",
        "half",
        "all but the last byte",
        "empty",
        "one bit flipped",
        "zip signature then garbage",
    ],
)
def test_load_corrupted_em_file_gives_clear_error(damage, em_file_bytes, tmp_path):
    path = tmp_path / "damaged.npz"
    path.write_bytes(corruptions(em_file_bytes)[damage])
    with pytest.raises(ValueError, match="is not a readable bayesgmm model file") as info:
        GaussianMixture.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "corrupted or truncated?" in message
    assert "allow_pickle" not in message  # no advice to load unsafely


def test_load_npz_not_written_by_bayesgmm(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ValueError, match=r"not a readable bayesgmm model file.*bayesgmm_header"):
        GaussianMixture.load(path)


def rewrite_header(source, target, **changes):
    with np.load(source, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    header = json.loads(str(arrays["bayesgmm_header"]))
    header.update(changes)
    arrays["bayesgmm_header"] = np.asarray(json.dumps(header))
    np.savez(target, **arrays)
    return header


def test_load_newer_format_version_says_upgrade(tmp_path):
    source = fit_em(make_data()).save(tmp_path / "model.npz")
    newer = FORMAT_VERSION + 1
    rewrite_header(source, tmp_path / "newer.npz", format_version=newer, bayesgmm_version="9.0")
    with pytest.raises(ValueError, match="newer than") as info:
        GaussianMixture.load(tmp_path / "newer.npz")
    message = str(info.value)
    assert f"format version {newer}, newer than" in message
    assert f"reads format version {FORMAT_VERSION}" in message
    assert "written by bayesgmm 9.0" in message
    assert "Upgrade bayesgmm" in message


def test_load_older_format_version_says_older(tmp_path):
    source = fit_em(make_data()).save(tmp_path / "model.npz")
    rewrite_header(source, tmp_path / "older.npz", format_version=0)
    with pytest.raises(ValueError, match=r"format version 0, older than .* version 1"):
        GaussianMixture.load(tmp_path / "older.npz")


def test_load_unknown_parameter_says_upgrade(tmp_path):
    source = fit_em(make_data()).save(tmp_path / "model.npz")
    with np.load(source, allow_pickle=False) as archive:
        header = json.loads(str(archive["bayesgmm_header"]))
    parameters = {**header["parameters"], "shiny": {"type": "json", "value": 1}}
    rewrite_header(source, tmp_path / "future.npz", parameters=parameters)
    with pytest.raises(ValueError, match=r"does not know: \['shiny'\]\. Upgrade bayesgmm"):
        GaussianMixture.load(tmp_path / "future.npz")


def test_load_tampered_header_is_unreadable_not_a_crash(tmp_path):
    source = fit_em(make_data()).save(tmp_path / "model.npz")
    with np.load(source, allow_pickle=False) as archive:
        header = json.loads(str(archive["bayesgmm_header"]))
    attributes = dict(header["attributes"])
    del attributes["_center"]
    rewrite_header(source, tmp_path / "a.npz", attributes=attributes)
    with pytest.raises(ValueError, match=r"not a readable .*\['_center'\] are missing"):
        GaussianMixture.load(tmp_path / "a.npz")
    attributes = {**header["attributes"], "fit": {"type": "json", "value": 1}}
    rewrite_header(source, tmp_path / "b.npz", attributes=attributes)
    with pytest.raises(ValueError, match="invalid attribute 'fit'"):
        GaussianMixture.load(tmp_path / "b.npz")
    attributes = {**header["attributes"], "means_": header["attributes"]["weights_"]}
    rewrite_header(source, tmp_path / "c.npz", attributes=attributes)
    with pytest.raises(ValueError, match=r"means_ has shape \(3,\), expected \(3, 3\)"):
        GaussianMixture.load(tmp_path / "c.npz")


# ---------------------------------------------------------------------- pickling


def test_pickle_em_round_trip(covariance_type):
    X = make_data(missing=True)
    gm = fit_em(X, covariance_type=covariance_type, missing="marginalize")
    clone = pickle.loads(pickle.dumps(gm))
    assert_same_em(gm, clone)
    assert_same_predictions(gm, clone, X)
    np.testing.assert_array_equal(clone.impute(X), gm.impute(X))


# ---------------------------------------------------------------------- atomic writes


def test_atomic_write_helpers(tmp_path):
    target = tmp_path / "data.bin"
    assert write_bytes_atomic(target, lambda handle: handle.write(b"first")) == target
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".data.bin.")
        assert target.read_bytes() == b"first"  # untouched until the block ends
        tmp.write_bytes(b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["data.bin"]


def half_then_fail(real_writer, failure, seen, folder):
    """A writer that writes half of the real content to the file object, then fails.

    Records in ``seen`` the size of every file in ``folder`` at that moment.
    """

    def writer(file, *args, **kwargs):
        buffer = io.BytesIO()
        real_writer(buffer, *args, **kwargs)
        content = buffer.getvalue()
        file.write(content[: len(content) // 2])
        file.flush()
        seen.update({name: (folder / name).stat().st_size for name in os.listdir(folder)})
        raise failure("interrupted mid-write")

    return writer


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError, MemoryError])
def test_interrupted_em_write_leaves_old_file_intact(failure, tmp_path, monkeypatch):
    X = make_data()
    old, new = fit_em(X, n_components=2), fit_em(X, n_components=3)
    path = old.save(tmp_path / "model.npz")
    before = snapshot(tmp_path)
    seen = {}
    monkeypatch.setattr(np, "savez", half_then_fail(np.savez, failure, seen, tmp_path))
    with pytest.raises(failure, match="interrupted mid-write"):
        new.save(path)
    monkeypatch.undo()
    # the partial temporary file existed next to the target, with bytes in it ...
    (tmp_name,) = set(seen) - set(before)
    assert tmp_name.startswith(".model.npz.")
    assert tmp_name.endswith(".tmp")
    assert seen[tmp_name] > 0
    # ... and is gone; the old file is byte for byte what it was
    assert snapshot(tmp_path) == before
    assert_same_em(old, GaussianMixture.load(path))


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failed_fsync_or_rename_leaves_old_file_intact(step, tmp_path, monkeypatch):
    X = make_data()
    path = fit_em(X, n_components=2).save(tmp_path / "model.npz")
    before = snapshot(tmp_path)
    real = getattr(os, step)

    def failing(*args, **kwargs):
        if step == "replace" and not str(args[0]).startswith(str(tmp_path)):
            return real(*args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, step, failing)
    with pytest.raises(OSError, match="No space left"):
        fit_em(X, n_components=3).save(path)
    monkeypatch.undo()
    assert snapshot(tmp_path) == before


def test_killed_writer_process_leaves_old_file_loadable(tmp_path):
    """SIGKILL a real process in the middle of writing the file (after an fsync of half
    of it): the old file is untouched and loads; only a stray temporary file remains."""
    X = make_data()
    old = fit_em(X, n_components=2)
    path = old.save(tmp_path / "model.npz")
    before = path.read_bytes()
    script = textwrap.dedent(
        """
        import io, os, sys, time
        import numpy as np
        from bayesgmm import GaussianMixture

        real_savez = np.savez

        def slow_savez(file, *args, **kwargs):
            buffer = io.BytesIO()
            real_savez(buffer, *args, **kwargs)
            content = buffer.getvalue()
            file.write(content[: len(content) // 2])
            file.flush()
            os.fsync(file.fileno())
            print("half written", flush=True)
            time.sleep(3600)  # killed here
            file.write(content[len(content) // 2 :])

        np.savez = slow_savez
        X = np.random.default_rng(1).normal(size=(300, 3))
        GaussianMixture(3, random_state=1).fit(X).save(sys.argv[1])
        print("finished", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # blocks until the half is on disk (or the child dies)
        assert line == "half written\n", proc.stderr.read() if proc.poll() is not None else line
        stray = [name for name in os.listdir(tmp_path) if name != "model.npz"]
        assert len(stray) == 1
        assert (tmp_path / stray[0]).stat().st_size > 0
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -9
    assert path.read_bytes() == before
    assert_same_em(old, GaussianMixture.load(path))
    # the killed process could not clean up its hidden temporary file
    assert [name for name in os.listdir(tmp_path) if name != "model.npz"] == stray


# ---------------------------------------------------------------------- Bayesian


@pytest.fixture(scope="module")
def bayes_fit(tmp_path_factory):
    """A fitted BayesianGaussianMixture whose draws are made up around an EM fit.

    Saving and loading do not care how the draws were obtained: the posterior here is
    the EM solution plus seeded noise (with an object-dtype sampler statistic, which
    netCDF stores specially), its log-likelihood and observed data come from
    :mod:`bayesgmm.bayes.posterior`, and the estimator is made by ``load`` from a file
    written by :func:`bayesgmm.bayes.files.write_posterior_file` (so its posterior means
    and diagnostics are the estimator's own). tests/bayes/test_estimator.py
    round-trips a real fit.
    """
    import xarray as xr

    from bayesgmm import BayesianGaussianMixture, SamplingWarning
    from bayesgmm.bayes.posterior import draws_from_posterior, log_likelihood_groups
    from bayesgmm.persistence.posterior_files import write_posterior_file

    X = pd.DataFrame(make_data(n=90, d=2), columns=["x", "y"])
    chains, draws, K = 2, 40, 3
    bgm = BayesianGaussianMixture(
        K, draws=draws, tune=draws, chains=chains, random_state=0, progressbar=False
    )
    em = GaussianMixture(K, max_iter=500, tol=1e-6, random_state=0).fit(X.to_numpy())
    rng = np.random.default_rng(0)
    shape = (chains, draws)
    weights = rng.dirichlet(em.weights_ * 300, size=shape)
    means = em.means_ + 0.05 * rng.standard_normal((*shape, K, 2))
    covariances = em.covariances_ * rng.uniform(0.95, 1.05, size=(*shape, K, 1, 1))
    coords = {
        "chain": np.arange(chains),
        "draw": np.arange(draws),
        "component": np.arange(K),
        "feature": np.asarray(["x", "y"], dtype=object),
        "feature_bis": np.asarray(["x", "y"], dtype=object),
    }
    posterior = xr.Dataset(
        {
            "weights": (("chain", "draw", "component"), weights),
            "means": (("chain", "draw", "component", "feature"), means),
            "covariances": (
                ("chain", "draw", "component", "feature", "feature_bis"),
                covariances,
            ),
        },
        coords=coords,
        attrs={"inference_library": "made up", "sample_dims": ["chain", "draw"]},
    )
    message = np.full(shape, None, dtype=object)
    message[1, 3] = "divergence at step 3"
    sample_stats = xr.Dataset(
        {
            "diverging": (("chain", "draw"), np.vectorize(lambda m: m is not None)(message)),
            "divergence_message": (("chain", "draw"), message),
            "depth": (("chain", "draw"), rng.integers(1, 5, size=shape).astype(np.uint64)),
            "step_size": (("chain", "draw"), rng.uniform(0.1, 0.5, size=shape)),
            "divergence_energy_error": (("chain", "draw"), np.full(shape, np.nan)),
        },
        coords={"chain": coords["chain"], "draw": coords["draw"]},
    )
    draws = draws_from_posterior(posterior, "full")
    groups = log_likelihood_groups(draws, X.to_numpy(), posterior["feature"].values)
    groups.update(posterior=posterior, sample_stats=sample_stats)
    idata = xr.DataTree.from_dict({f"/{name}": ds for name, ds in groups.items()})
    settings = {**bgm.get_params(), "start": None}
    idata.attrs.update(
        {"bayesgmm_version": "0.1.0", "n_relabelled": 0, "settings": json.dumps(settings)}
    )
    path = tmp_path_factory.mktemp("bayes") / "made_up.nc"
    write_posterior_file(path, idata, settings=settings, em=em, feature_names=["x", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # 80 draws
        bgm = BayesianGaussianMixture.load(path)
    return bgm, X


def assert_same_tree(original, loaded):
    assert loaded.identical(original)
    for node in original.subtree:
        a = node.to_dataset(inherit=False)
        b = loaded[node.path].to_dataset(inherit=False)
        assert a.identical(b), node.path
        for name, var in a.variables.items():
            assert b.variables[name].dtype == var.dtype, (node.path, name)
            if var.dtype == object:
                assert [type(v) for v in var.values.flat] == [
                    type(v) for v in b.variables[name].values.flat
                ], (node.path, name)


def test_bayes_round_trip_is_exact(bayes_fit, tmp_path):
    from bayesgmm import BayesianGaussianMixture

    bgm, X = bayes_fit
    attrs_before = dict(bgm.idata_.attrs)
    path = bgm.save(tmp_path / "fit.nc")
    assert path == tmp_path / "fit.nc"
    assert os.listdir(tmp_path) == ["fit.nc"]
    assert dict(bgm.idata_.attrs) == attrs_before  # saving does not touch the model
    loaded = BayesianGaussianMixture.load(path)
    assert loaded.get_params() == bgm.get_params()
    assert set(vars(loaded)) == set(vars(bgm))
    assert_same_tree(bgm.idata_, loaded.idata_)
    assert loaded.idata_.attrs == bgm.idata_.attrs
    assert loaded.n_relabelled_ == bgm.n_relabelled_
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(bgm, name))
    assert loaded.diagnostics_ok_ == bgm.diagnostics_ok_
    if hasattr(bgm, "diagnostics_"):
        assert loaded.diagnostics_ == bgm.diagnostics_
    assert_same_value("feature_names_in_", bgm.feature_names_in_, loaded.feature_names_in_)
    assert loaded.n_features_in_ == bgm.n_features_in_
    assert_same_em(bgm.em_, loaded.em_)  # the whole EM fit, usable on its own
    assert_same_predictions(bgm.em_, loaded.em_, X)
    np.testing.assert_array_equal(loaded.predict_proba(X), bgm.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), bgm.predict(X))
    np.testing.assert_array_equal(loaded.score_samples(X), bgm.score_samples(X))
    np.testing.assert_array_equal(loaded.memberships(X).values, bgm.memberships(X).values)
    for a, b in zip(loaded.sample(10), bgm.sample(10), strict=True):
        np.testing.assert_array_equal(a, b)
    # and again: a loaded model saves to an equivalent file
    again = BayesianGaussianMixture.load(loaded.save(tmp_path / "again.nc"))
    assert_same_tree(bgm.idata_, again.idata_)


def test_pickle_bayes_round_trip(bayes_fit):
    bgm, X = bayes_fit
    clone = pickle.loads(pickle.dumps(bgm))
    assert clone.get_params() == bgm.get_params()
    assert_same_tree(bgm.idata_, clone.idata_)
    assert_same_em(bgm.em_, clone.em_)
    np.testing.assert_array_equal(clone.predict_proba(X), bgm.predict_proba(X))
    np.testing.assert_array_equal(clone.score_samples(X), bgm.score_samples(X))


def test_bayes_save_unfitted_and_load_missing(tmp_path):
    from bayesgmm import BayesianGaussianMixture

    with pytest.raises(NotFittedError):
        BayesianGaussianMixture(2).save(tmp_path / "nothing.nc")
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="no such file"):
        BayesianGaussianMixture.load(tmp_path / "absent.nc")


@pytest.fixture(scope="module")
def bayes_file_bytes(bayes_fit, tmp_path_factory):
    path = tmp_path_factory.mktemp("bayes") / "fit.nc"
    bayes_fit[0].save(path)
    return path.read_bytes()


@pytest.mark.parametrize("damage", ["random bytes", "half", "all but the last byte", "empty"])
def test_load_corrupted_bayes_file_gives_clear_error(damage, bayes_file_bytes, tmp_path):
    from bayesgmm import BayesianGaussianMixture

    path = tmp_path / "damaged.nc"
    path.write_bytes(corruptions(bayes_file_bytes)[damage])
    with pytest.raises(ValueError, match="is not a readable bayesgmm model file") as info:
        BayesianGaussianMixture.load(path)
    assert str(path) in str(info.value)
    assert "corrupted or truncated?" in str(info.value)


def test_load_bayes_file_with_a_changed_value_fails_the_checksum(
    bayes_fit, bayes_file_bytes, tmp_path
):
    from bayesgmm import BayesianGaussianMixture

    bgm, _ = bayes_fit
    value = bgm.idata_["posterior"]["weights"].values[1, 7, 0]
    raw = np.float64(value).tobytes()
    assert bayes_file_bytes.count(raw) == 1
    changed = np.float64(np.nextafter(value, 1.0)).tobytes()  # the last bit of one draw
    path = tmp_path / "changed.nc"
    path.write_bytes(bayes_file_bytes.replace(raw, changed))
    with pytest.raises(ValueError, match="do not match the checksum"):
        BayesianGaussianMixture.load(path)


def test_load_bayes_newer_format_version_says_upgrade(bayes_fit, tmp_path):
    import xarray as xr

    from bayesgmm import BayesianGaussianMixture
    from bayesgmm.bayes.estimator import FORMAT_VERSION as BAYES_VERSION

    path = bayes_fit[0].save(tmp_path / "fit.nc")
    with xr.open_datatree(path, engine="h5netcdf") as opened:
        tree = opened.load()
    for version, word in [(BAYES_VERSION + 1, "newer"), (BAYES_VERSION - 1, "older")]:
        tree.attrs["bayesgmm_format_version"] = version
        tree.to_netcdf(tmp_path / f"{word}.nc", engine="h5netcdf")
        with pytest.raises(ValueError, match=f"{word} than") as info:
            BayesianGaussianMixture.load(tmp_path / f"{word}.nc")
        message = str(info.value)
        assert f"format version {version}, {word} than" in message
        assert f"reads format version {BAYES_VERSION}" in message
        assert ("Upgrade bayesgmm" in message) == (word == "newer")


def test_load_with_the_wrong_estimator_class(bayes_fit, tmp_path):
    from bayesgmm import BayesianGaussianMixture

    em_path = fit_em(make_data()).save(tmp_path / "em.npz")
    with pytest.raises(ValueError, match=r"is a GaussianMixture .* GaussianMixture\.load"):
        BayesianGaussianMixture.load(em_path)
    bayes_path = bayes_fit[0].save(tmp_path / "bayes.nc")
    with pytest.raises(ValueError, match=r"is a netCDF file.* BayesianGaussianMixture\.load"):
        GaussianMixture.load(bayes_path)


def test_load_netcdf_not_written_by_bayesgmm(tmp_path):
    import xarray as xr

    from bayesgmm import BayesianGaussianMixture

    xr.Dataset({"a": ("x", np.arange(3.0))}).to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match=r"not written by BayesianGaussianMixture\.save"):
        BayesianGaussianMixture.load(tmp_path / "other.nc")


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_interrupted_bayes_write_leaves_old_file_intact(failure, bayes_fit, tmp_path, monkeypatch):
    import xarray as xr

    from bayesgmm import BayesianGaussianMixture

    bgm, _ = bayes_fit
    path = bgm.save(tmp_path / "fit.nc")
    before = snapshot(tmp_path)
    real_to_netcdf = xr.DataTree.to_netcdf
    seen = []

    def half_then_fail(tree, filepath, *args, **kwargs):
        real_to_netcdf(tree, filepath, *args, **kwargs)
        size = os.path.getsize(filepath)
        os.truncate(filepath, size // 2)
        seen.append((os.path.basename(filepath), os.path.getsize(filepath)))
        raise failure("interrupted mid-write")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", half_then_fail)
    with pytest.raises(failure, match="interrupted mid-write"):
        bgm.save(path)
    monkeypatch.undo()
    (name, size), *_ = seen
    assert name.startswith(".fit.nc.")
    assert size > 0
    assert snapshot(tmp_path) == before
    assert_same_tree(bgm.idata_, BayesianGaussianMixture.load(path).idata_)


@pytest.mark.slow
def test_real_bayes_fit_round_trip(tmp_path):
    """A real (short) NUTS fit: every group, the EM fit and the verdict come back exactly."""
    from bayesgmm import BayesianGaussianMixture, SamplingWarning, load_faithful

    X = load_faithful()
    bgm = BayesianGaussianMixture(2, draws=50, tune=50, chains=2, random_state=0, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        bgm.fit(X)
    loaded = BayesianGaussianMixture.load(bgm.save(tmp_path / "fit.nc"))
    assert_same_tree(bgm.idata_, loaded.idata_)
    assert_same_em(bgm.em_, loaded.em_)
    assert loaded.diagnostics_ok_ == bgm.diagnostics_ok_
    if hasattr(bgm, "diagnostics_"):
        assert loaded.diagnostics_ == bgm.diagnostics_
    np.testing.assert_array_equal(loaded.predict_proba(X), bgm.predict_proba(X))
    clone = pickle.loads(pickle.dumps(bgm))
    np.testing.assert_array_equal(clone.predict_proba(X), bgm.predict_proba(X))


def test_persistence_is_handed_only_classes_that_declare_the_em_file_format():
    from bayesgmm.persistence.em_files import register_em_class

    class NotAMixture:
        pass

    with pytest.raises(TypeError, match="file_format"):
        register_em_class(NotAMixture)
    with pytest.raises(TypeError, match=r"saves a bayesgmm\.GaussianMixture"):
        save_gaussian_mixture(NotAMixture(), "never-written.npz")
