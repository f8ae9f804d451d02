"""Bad input at every public entry point gets the same clear error.

Every entry point that takes data (EM, Bayesian, model selection, bootstrap LRT,
evidence, anomaly detection, the CLI) validates through
``bayesgmm.core.validation.check_array``, so each bad input below must give the same
exception type and the same words everywhere: what was wrong and how to fix it,
never a NumPy/PyTensor traceback or a silent NaN. The Bayesian entry points are
checked too: validation happens before any model is compiled, so these cases are
fast.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesgmm as bg
from bayesgmm.exceptions import NotFittedError

RNG = np.random.default_rng(0)
X_GOOD = RNG.normal(size=(40, 2))


def _with_cell(value: float) -> np.ndarray:
    X = X_GOOD.copy()
    X[3, 1] = value
    return X


#: (label, data, exception, regex the message must match)
BAD_DATA = [
    ("empty", np.empty((0, 2)), ValueError, r"at least 2 samples; got 0"),
    ("one sample", X_GOOD[:1], ValueError, r"at least 2 samples; got 1"),
    ("1-D", X_GOOD[:, 0], ValueError, r"1-D array.*reshape\(-1, 1\)"),
    ("3-D", X_GOOD.reshape(4, 10, 2), ValueError, r"2-D.*got 3-D array of shape \(4, 10, 2\)"),
    ("no features", np.empty((5, 0)), ValueError, r"no features"),
    (
        "text column",
        pd.DataFrame({"a": X_GOOD[:, 0], "name": ["x"] * 40}),
        TypeError,
        r"columns \['name'\] are not numeric.*text, e\.g\. 'x'",
    ),
    (
        "mixed-type column",
        pd.DataFrame({"a": X_GOOD[:, 0], "b": [*X_GOOD[:39, 1], "oops"]}),
        TypeError,
        r"column 'b' is numbers except 'oops' in rows \[39\]",
    ),
    (
        "NaN",
        _with_cell(np.nan),
        ValueError,
        r"NaN in rows \[3\].*missing='marginalize'|NaN in rows \[3\]",
    ),
    ("+inf", _with_cell(np.inf), ValueError, r"infinite values in rows \[3\]"),
    ("-inf", _with_cell(-np.inf), ValueError, r"infinite values in rows \[3\]"),
    ("complex", X_GOOD + 1j, ValueError, r"real-valued; got a complex array"),
    ("strings", [["a", "b"]] * 5, TypeError, r"must contain numbers; 10 cell\(s\) are not"),
    ("numbers as text", [["1", "2"], ["3", "4"], ["5", "6"]], TypeError, r"numbers stored as text"),
    (
        "object array with text",
        np.array([[1.0, "x"], [2.0, 3.0], [4.0, 5.0]], dtype=object),
        TypeError,
        r"\(0, 1\): 'x'",
    ),
    ("ragged", [[1.0, 2.0], [3.0]], ValueError, r"rectangular array"),
    ("huge values", X_GOOD * 1e300, ValueError, r"too large to fit.*Divide X by a constant"),
]


def _em_fit(X):
    bg.GaussianMixture(2, random_state=0).fit(X)


def _bayes_fit(X):
    bg.BayesianGaussianMixture(2, draws=10, tune=10, chains=1, progressbar=False).fit(X)


def _select(X):
    bg.select_model(X, n_components=[1, 2], covariance_types=["full"], n_init=1, progress=False)


def _lrt(X):
    bg.bootstrap_lrt(X, 1, n_boot=3, n_init=1, progress=False)


def _evidence(X):
    bg.collect_evidence(
        X, [1, 2], lrt=False, loo=False, ppc=False, sparse=False, n_init=1, progress=False
    )


def _anomaly(X):
    bg.MixtureAnomalyDetector(bg.GaussianMixture(2, random_state=0)).fit(X)


def _compare_loo(X):
    bg.compare_loo(X, candidates=[1, 2], draws=10, tune=10, chains=1)


def _sparse(X):
    bg.fit_sparse_mixture(X, max_components=3, draws=10, tune=10, chains=1)


ENTRY_POINTS = {
    "GaussianMixture.fit": _em_fit,
    "BayesianGaussianMixture.fit": _bayes_fit,
    "select_model": _select,
    "bootstrap_lrt": _lrt,
    "collect_evidence": _evidence,
    "MixtureAnomalyDetector.fit": _anomaly,
    "compare_loo": _compare_loo,
    "fit_sparse_mixture": _sparse,
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(("label", "X", "error", "pattern"), BAD_DATA, ids=[c[0] for c in BAD_DATA])
def test_every_entry_point_rejects_bad_data_clearly(entry, label, X, error, pattern):
    with pytest.raises(error, match=pattern):
        ENTRY_POINTS[entry](X)


def test_nan_message_offers_missing_data_support_where_it_exists():
    with pytest.raises(ValueError, match=r"Pass missing='marginalize'"):
        bg.GaussianMixture(2).fit(_with_cell(np.nan))
    with pytest.raises(ValueError, match=r"Pass missing='marginalize'"):
        bg.BayesianGaussianMixture(2).fit(_with_cell(np.nan))


# ----------------------------------------------------------------------------- sizes
@pytest.mark.parametrize(
    "fit",
    [
        lambda X: bg.GaussianMixture(3).fit(X),
        lambda X: bg.BayesianGaussianMixture(3, progressbar=False).fit(X),
    ],
    ids=["em", "bayes"],
)
def test_fewer_samples_than_components(fit):
    with pytest.raises(ValueError, match=r"n_components = 3, n_samples = 2\. Lower n_components"):
        fit(X_GOOD[:2])


def test_zero_weight_rows_do_not_count_as_samples():
    weight = np.r_[np.ones(2), np.zeros(38)]
    with pytest.raises(ValueError, match=r"rows with positive sample_weight"):
        bg.GaussianMixture(3).fit(X_GOOD, sample_weight=weight)


def test_select_model_warns_about_skipped_k():
    with pytest.warns(UserWarning, match=r"n_components \[5\] exceed the number of samples \(4\)"):
        result = bg.select_model(
            X_GOOD[:4], n_components=[1, 5], covariance_types="spherical", n_init=1
        )
    assert set(result.table["n_components"]) == {1}
    with pytest.raises(ValueError, match=r"every n_components value exceeds the number of samples"):
        bg.select_model(X_GOOD[:4], n_components=[5, 6], progress=False)


def test_select_model_skips_models_with_more_parameters_than_rows():
    X = np.random.default_rng(0).normal(size=(5, 10_000))  # wide: 5 rows, 10,000 features
    message = r"at least as many free parameters as there are rows \(n = 5, 10000 features\)"
    with pytest.raises(ValueError, match=message + r".*reduce the number of features"):
        bg.select_model(X, range(1, 4))
    with pytest.warns(UserWarning, match=r"cannot be estimated: K=1 tied, K=2 tied, K=2 diag\."):
        result = bg.select_model(X[:, :2], [1, 2], ["tied", "diag"], n_init=1)
    assert result.table[["n_components", "covariance_type"]].values.tolist() == [[1, "diag"]]


# ----------------------------------------------------------------------------- parameters
BAD_EM_PARAMETERS = [
    ({"covariance_type": "ful"}, r"covariance_type must be one of \['full', 'tied', 'diag', "),
    ({"n_components": 0}, r"n_components must be an integer >= 1; got 0"),
    ({"n_components": -2}, r"n_components must be an integer >= 1; got -2"),
    ({"n_components": 2.5}, r"n_components must be an integer >= 1; got 2\.5"),
    ({"tol": -1.0}, r"tol must be a real number >= 0\.0; got -1\.0"),
    ({"tol": np.nan}, r"tol must be a real number >= 0\.0; got nan"),
    ({"reg_covar": -1e-6}, r"reg_covar must be a real number >= 0\.0"),
    ({"max_iter": -1}, r"max_iter must be an integer >= 0; got -1\. 0 returns the"),
    ({"n_init": 0}, r"n_init must be an integer >= 1; got 0"),
    ({"init_params": "kmean"}, r"init_params must be one of \['kmeans', 'k-means\+\+', "),
    ({"random_state": "seed"}, r"random_state must be None, a non-negative int"),
    ({"warm_start": "yes"}, r"warm_start must be True or False"),
    ({"verbose": -1}, r"verbose must be an integer >= 0"),
    ({"missing": "drop"}, r"missing must be one of \['error', 'marginalize'\]"),
    ({"weights_init": [1.0]}, r"weights_init must have shape \(2,\)"),
    ({"weights_init": [0.3, 0.3]}, r"weights_init must sum to 1; got sum 0\.6\. Divide by the sum"),
    ({"weights_init": [-0.5, 1.5]}, r"weights_init must be in \[0, 1\]"),
    ({"means_init": np.zeros((3, 2))}, r"means_init must have shape \(2, 2\)"),
    ({"means_init": np.full((2, 2), np.nan)}, r"means_init contains NaN or infinite"),
    (
        {"precisions_init": np.array([[[1.0, 2.0], [2.0, 1.0]]] * 2)},
        r"precisions_init\[0\] is not positive definite",
    ),
    ({"precisions_init": np.ones((2, 3, 3))}, r"must have shape \(2, 2, 2\)"),
    (
        {"covariance_type": "diag", "precisions_init": -np.ones((2, 2))},
        r"precisions_init must be strictly positive",
    ),
]


@pytest.mark.parametrize(("params", "pattern"), BAD_EM_PARAMETERS)
def test_em_rejects_bad_parameters(params, pattern):
    settings = {"n_components": 2, **params}
    with pytest.raises(ValueError, match=pattern):
        bg.GaussianMixture(**settings).fit(X_GOOD)


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        ({"covariance_type": "x"}, r"covariance_type must be one of"),
        ({"n_components": 0}, r"n_components must be an integer >= 1"),
        ({"draws": 0}, r"draws must be an integer >= 1"),
        ({"tune": -1}, r"tune must be an integer >= 0"),
        ({"chains": 0}, r"chains must be an integer >= 1"),
        ({"target_accept": 1.5}, r"target_accept must be a number in \(0, 1\)"),
        ({"sampler": "stan"}, r"sampler must be one of \['nutpie', 'pymc'\]"),
    ],
)
def test_bayesian_rejects_bad_parameters(params, pattern):
    settings = {"n_components": 2, **params}
    with pytest.raises(ValueError, match=pattern):
        bg.BayesianGaussianMixture(**settings).fit(X_GOOD)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: bg.select_model(X_GOOD, n_components=[0, 1]), r"n_components must be a non-empty"),
        (lambda: bg.select_model(X_GOOD, [1], criterion="bicc"), r"criterion must be one of"),
        (lambda: bg.select_model(X_GOOD, [1], n_jobs=0), r"n_jobs must be a nonzero integer"),
        (
            lambda: bg.select_model(X_GOOD, [1], covariance_types=["VVX"]),
            r"covariance_type must be one of",
        ),
        (lambda: bg.select_model(X_GOOD, [1], reg_covar=-1.0), r"reg_covar must be a real number"),
        (lambda: bg.bootstrap_lrt(X_GOOD, 2, 2), r"k1 must be None or an integer > k0 \(=2\)"),
        (lambda: bg.bootstrap_lrt(X_GOOD, 1, n_boot=0), r"n_boot must be an integer >= 1"),
    ],
)
def test_selection_rejects_bad_parameters(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# ----------------------------------------------------------------------------- sample_weight
@pytest.mark.parametrize(
    ("weight", "pattern"),
    [
        (-np.ones(40), r"sample_weight must be finite and >= 0; rows \[0, 1, 2"),
        (np.zeros(40), r"sample_weight sums to 0"),
        (np.ones(39), r"sample_weight must have shape \(40,\) to match X; got shape \(39,\)"),
        (np.r_[np.nan, np.ones(39)], r"rows \[0\] \(1 row\) are not \(first value nan\)"),
        (np.r_[np.inf, np.ones(39)], r"rows \[0\] \(1 row\) are not \(first value inf\)"),
    ],
)
def test_bad_sample_weight(weight, pattern):
    with pytest.raises(ValueError, match=pattern):
        bg.GaussianMixture(2).fit(X_GOOD, sample_weight=weight)


# ----------------------------------------------------------------------------- predict time
@pytest.fixture(scope="module")
def fitted():
    frame = pd.DataFrame(X_GOOD, columns=["a", "b"])
    return bg.GaussianMixture(2, random_state=0).fit(frame)


METHODS = ["predict", "predict_proba", "score_samples", "score", "bic", "aic", "icl"]


@pytest.mark.parametrize("method", [*METHODS, "sample"])
def test_not_fitted(method):
    args = (3,) if method == "sample" else (X_GOOD,)
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call 'fit'"):
        getattr(bg.GaussianMixture(2), method)(*args)


def test_bayesian_not_fitted():
    with pytest.raises(NotFittedError, match=r"BayesianGaussianMixture instance is not fitted"):
        bg.BayesianGaussianMixture(2).predict(X_GOOD)


@pytest.mark.parametrize("method", METHODS)
def test_wrong_number_of_features_at_predict(fitted, method):
    with pytest.raises(ValueError, match=r"X has 3 features, but GaussianMixture is expecting 2"):
        getattr(fitted, method)(np.zeros((4, 3)))


@pytest.mark.parametrize("method", METHODS)
def test_other_feature_names_at_predict(fitted, method):
    other = pd.DataFrame(X_GOOD, columns=["a", "c"])
    with pytest.raises(ValueError, match=r"fitted with \['a', 'b'\], got \['a', 'c'\]"):
        getattr(fitted, method)(other)
    reordered = pd.DataFrame(X_GOOD[:, ::-1], columns=["b", "a"])
    with pytest.raises(ValueError, match=r"fitted with \['a', 'b'\], got \['b', 'a'\]"):
        getattr(fitted, method)(reordered)


@pytest.mark.parametrize(
    ("label", "X", "error", "pattern"), BAD_DATA[2:15], ids=[c[0] for c in BAD_DATA[2:15]]
)
def test_predict_rejects_bad_data(fitted, label, X, error, pattern):
    if isinstance(X, pd.DataFrame):
        X = X.set_axis(["a", "b"], axis=1)
    with pytest.raises(error):
        fitted.predict(X)


def test_array_after_dataframe_warns(fitted):
    with pytest.warns(UserWarning, match=r"X does not have valid feature names"):
        fitted.predict(X_GOOD)


def test_sample_count_must_be_positive(fitted):
    with pytest.raises(ValueError, match=r"n_samples must be an integer >= 1"):
        fitted.sample(0)


# ----------------------------------------------------------------------------- no silent NaN
@pytest.mark.parametrize(("label", "X", "error", "pattern"), BAD_DATA, ids=[c[0] for c in BAD_DATA])
def test_messages_never_come_from_numpy_internals(label, X, error, pattern):
    """Each message is ours (names X and a fix), raised with no warning emitted first."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error) as info:
            bg.GaussianMixture(2).fit(X)
    message = str(info.value)
    assert message.startswith("X "), message
    assert info.value.__cause__ is None or "could not convert" not in message
