"""Parametric bootstrap likelihood-ratio test for the number of components.

:func:`bootstrap_lrt` tests ``k0`` against ``k1`` components (mclust's
``mclustBootstrapLRT`` for one pair), and :func:`sequential_lrt` tests 1 vs 2,
2 vs 3, ... and stops at the first non-significant test, as mclust does.

The likelihood-ratio statistic of mixtures has no usable asymptotic distribution
(the null model sits on the boundary of the alternative's parameter space), so its
null distribution is simulated: samples are drawn from the fitted ``k0``-component
model, both models are refitted on each, and the observed statistic is ranked among
the simulated ones (McLachlan 1987, *Applied Statistics* 36, 318-324).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.core.types import MissingOption, RandomStateLike
from bayesgmm.core.validation import (
    Constraint,
    ValidatedData,
    check_parameters,
    check_random_state,
    integer,
    is_int,
    is_real,
    progress_option,
    progress_stream,
    random_state,
    real,
    validate_data,
)
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.gaussian_mixture import GaussianMixture
from bayesgmm.em.missing import MISSING_OPTIONS
from bayesgmm.em.noise import noise_setting
from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning
from bayesgmm.selection.lrt_results import BootstrapLRTResult, SequentialLRTResult

if TYPE_CHECKING:
    pass

__all__ = ["BootstrapLRTResult", "SequentialLRTResult", "bootstrap_lrt", "sequential_lrt"]

#: warnings of EM fits that are counted, not shown, during bootstrap refits.
_FIT_WARNINGS = (ConvergenceWarning, ComponentCollapseWarning)

#: the two components of a split start this many standard deviations (along the
#: split component's principal axis) either side of its mean.
_SPLIT_OFFSET = 0.5


def _open_interval() -> Constraint:
    return Constraint(
        lambda v: is_real(v) and 0.0 < float(v) < 1.0,
        "a real number strictly between 0 and 1",
        "Use 0.05 for a 5% test.",
    )


_PARAMETERS: dict[str, Constraint] = {
    "n_boot": integer(1),
    "n_init": integer(1),
    "max_iter": integer(1),
    "tol": real(0.0, hint="Use a small positive value such as 1e-6."),
    "reg_covar": real(0.0, hint="Use a small positive value such as 1e-6."),
    "random_state": random_state(),
    "progress": progress_option(),
}


#: columns of BootstrapLRTResult.table
@dataclass
class _Fit:
    """One retained EM fit: estimator, total log-likelihood, recorded warnings."""

    estimator: GaussianMixture
    log_likelihood: float
    warnings: list[warnings.WarningMessage]


def _fit(estimator: GaussianMixture, X: ValidatedData) -> _Fit:
    """Fit ``estimator`` recording EM warnings; other warnings pass through."""
    with warnings.catch_warnings(record=True) as caught:
        for category in _FIT_WARNINGS:
            warnings.simplefilter("always", category)
        estimator.fit(X)
    ours = [w for w in caught if issubclass(w.category, _FIT_WARNINGS)]
    for w in caught:
        if not issubclass(w.category, _FIT_WARNINGS):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return _Fit(estimator, float(estimator.score(X) * X.n_samples), ours)


def _split_heaviest(
    fit0: GaussianMixture, X: ValidatedData
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Initial ``k0 + 1`` parameters: the heaviest component of ``fit0`` split in two.

    The two halves share the weight, keep the precision and start
    ``_SPLIT_OFFSET`` standard deviations either side of the mean along the
    principal axis of the points the component holds.
    """
    j = int(np.argmax(fit0.weights_))
    resp = fit0.predict_proba(X)[:, j]
    # missing cells: their conditional means under fit0
    array = np.asarray(fit0.impute(X)) if X.has_nan else X.array
    centred = array - fit0.means_[j]
    scatter = (centred.T * resp) @ centred / max(float(resp.sum()), 1e-300)
    eigvals, eigvecs = np.linalg.eigh(scatter)
    delta = _SPLIT_OFFSET * math.sqrt(max(float(eigvals[-1]), 0.0)) * eigvecs[:, -1]

    weights = fit0.weights_.copy()
    weights[j] /= 2.0
    weights = np.append(weights, weights[j])
    weights /= weights.sum()
    means = np.vstack([fit0.means_, fit0.means_[j] + delta])
    means[j] -= delta
    model = get_covariance_model(fit0.covariance_type)
    precisions = model.take_components(fit0.precisions_, [*range(len(fit0.weights_)), j])
    if model.matrices:  # exactly symmetric, as precisions_init requires
        precisions = (precisions + np.swapaxes(precisions, -1, -2)) / 2.0
    return weights, means, precisions


def _collapsed(fit: _Fit) -> bool:
    return any(issubclass(w.category, ComponentCollapseWarning) for w in fit.warnings)


def _best(candidates: list[_Fit]) -> _Fit:
    """Highest log-likelihood, among the fits without a collapsed component if any."""
    pool = [fit for fit in candidates if not _collapsed(fit)] or candidates
    return max(pool, key=lambda fit: fit.log_likelihood)


def _fit_restarts(
    X: ValidatedData,
    k: int,
    n_init: int,
    settings: dict[str, Any],
    rng: np.random.Generator,
) -> list[_Fit]:
    """``n_init`` EM fits from random starts drawn in turn from ``rng``."""
    return [
        _fit(GaussianMixture(k, n_init=1, random_state=rng, **settings), X) for _ in range(n_init)
    ]


def _fit_split(fit: _Fit, X: ValidatedData, settings: dict[str, Any]) -> _Fit:
    """EM with one more component, started from ``fit`` with its heaviest one split."""
    weights, means, precisions = _split_heaviest(fit.estimator, X)
    estimator = GaussianMixture(
        len(weights),
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
        **settings,
    )
    return _fit(estimator, X)


def _fit_pair(
    X: ValidatedData,
    k0: int,
    k1: int,
    n_init: int,
    settings: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[_Fit, _Fit]:
    """Fit ``k0`` and ``k1`` components: best of the restarts and of a split start.

    The split start of ``k0`` components comes from splitting the one-component fit,
    then that fit, and so on (a divisive path, deterministic); the split start of
    ``k1`` continues the path from the retained ``k0`` fit, so the ``k1`` fit is not
    worse than the nested ``k0`` fit up to EM's tolerance.
    """
    # one component: EM reaches the same (closed-form) fit from any start
    path = _fit(GaussianMixture(1, random_state=0, **settings), X)
    for _ in range(1, k0):
        path = _fit_split(path, X, settings)
    fit0 = path if k0 == 1 else _best([*_fit_restarts(X, k0, n_init, settings, rng), path])
    path = fit0
    for _ in range(k0, k1):
        path = _fit_split(path, X, settings)
    fit1 = _best([*_fit_restarts(X, k1, n_init, settings, rng), path])
    return fit0, fit1


def _statistic(fit0: _Fit, fit1: _Fit) -> float:
    return max(0.0, 2.0 * (fit1.log_likelihood - fit0.log_likelihood))


# ---------------------------------------------------------------------- public API
def bootstrap_lrt(
    X: ArrayLike,
    k0: int,
    k1: int | None = None,
    covariance_type: str = "full",
    *,
    n_boot: int = 99,
    n_init: int = 5,
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    random_state: RandomStateLike = 0,
    progress: bool | TextIO = False,
    missing: MissingOption = "error",
    fits: Any = None,
    noise: bool = False,
    hypervolume: float | None = None,
) -> BootstrapLRTResult:
    """Parametric bootstrap likelihood-ratio test of ``k0`` against ``k1`` components.

    Fits EM mixtures with ``k0`` and ``k1`` components and computes the statistic
    ``LRTS = 2 * (loglik1 - loglik0)`` (total log-likelihoods). Its null
    distribution is simulated: ``n_boot`` samples of the size of ``X`` are drawn
    from the fitted ``k0`` model, both models are refitted on each, and

    ``p_value = (1 + #{b : LRTS_b >= LRTS}) / (n_boot + 1)``,

    as mclust's ``mclustBootstrapLRT`` does, so the smallest attainable p-value is
    ``1 / (n_boot + 1)``.

    Every fit (on the data and on each bootstrap sample alike) keeps the best of
    ``n_init`` EM restarts and one deterministic start made by splitting: the
    heaviest component of the one-component fit is split in two along its principal
    axis and EM is run, then the same is done to that fit, and so on up to ``k0``
    components; the ``k1`` fit's split start continues from the retained ``k0``
    fit, so that it is (nearly) never worse than the nested ``k0`` fit. Random
    restarts alone often stop at poorer local maxima (on Old Faithful, most
    restarts of the tied model with 3 to 6 components do), and a ``k0`` fit below
    the best inflates the statistic. Fits in which a component collapsed onto a few
    points (a ``ComponentCollapseWarning``: a spurious spike of the likelihood,
    which mclust reports as a failed fit) are kept only when every start collapsed.
    A statistic that is still negative (EM stopped within ``tol`` of a saddle
    point) is clipped at 0, on the data and on the bootstrap samples alike:
    mclust's statistic is nonnegative in practice too.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    k0 : int
        Number of components under the null hypothesis (>= 1).
    k1 : int, default=None
        Number of components under the alternative (> ``k0``, <= n_samples);
        ``k0 + 1`` when ``None``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure of both models; mclust's names (``"VVV"``, ``"EEE"``,
        ``"VVI"``, ``"VII"``) are accepted too.
    n_boot : int, default=99
        Number of bootstrap replicates.
    n_init : int, default=5
        EM restarts per fit (the best is kept).
    max_iter : int, default=500
        EM iteration limit per restart.
    tol : float, default=1e-6
        EM convergence threshold.
    reg_covar : float, default=1e-6
        Added to covariance diagonals.
    random_state : int, Generator, RandomState or None, default=0
        Seed. One child generator is spawned for the fits on ``X`` and one per
        replicate (it draws the sample and seeds its fits), so the same seed gives
        bit-identical results.
    progress : bool or file-like, default=False
        Print a line about every tenth of the replicates (to stderr if ``True``).
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"marginalize"``: every fit uses the observed cells
        (missing at random), and each bootstrap sample gets the data's missingness
        masks (one per row, assigned to the simulated rows at random), so the null
        distribution is that of the statistic on data as incomplete as ``X``.
    fits : ModelSelection or mapping of int to GaussianMixture, default=None
        Models already fitted to ``X`` with this covariance type and these settings
        (the EM grid of :func:`bayesgmm.select_model`): the fits of ``k0`` and ``k1``
        components on ``X`` are taken from it instead of being fitted again (the
        bootstrap samples are still fitted as described). If the given ``k1`` fit is
        below the ``k0`` one, the split start from ``k0`` is fitted as well and the
        better one kept.
    noise : bool, default=False
        Both models have a uniform noise component
        (:class:`~bayesgmm.GaussianMixture`'s ``noise``): every fit, on ``X`` and on
        each replicate, starts its noise from the nearest-neighbour clutter
        removal, and the replicates are drawn from the null model with its noise.
    hypervolume : float or None, default=None
        With ``noise``, the ``V`` of every fit (the replicates' too, so that the
        null's noise density is the one fitted); None: mclust's ``hypvol`` of ``X``.

    Returns
    -------
    BootstrapLRTResult
        The statistic, its bootstrap distribution and the p-value. Warnings of the
        EM fits on bootstrap samples are counted in ``n_warnings`` and not shown;
        those of the fits on ``X`` are shown.

    Raises
    ------
    ValueError
        If a parameter is out of range (the message names it, the allowed values
        and the value received), ``covariance_type`` is unknown, ``X`` is invalid or
        ``k1`` exceeds the number of samples.

    See Also
    --------
    sequential_lrt : tests 1 vs 2, 2 vs 3, ... up to the first non-rejection.
    bayesgmm.selection.model_selection.criterion_grid : BIC, AIC and ICL over a grid of models.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=19, n_init=1)
    >>> round(result.statistic, 1), result.p_value
    (299.2, 0.05)
    """
    values = SimpleNamespace(
        n_boot=n_boot,
        n_init=n_init,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        random_state=random_state,
        progress=progress,
    )
    _check_components(k0, k1)
    check_parameters(values, _PARAMETERS)
    model = get_covariance_model(covariance_type)
    data = _check_data(X, missing)
    array = data.array
    k1 = k0 + 1 if k1 is None else k1
    if k1 > array.shape[0]:
        raise ValueError(
            f"k1 must be <= n_samples (={array.shape[0]}); got {k1}. Lower k1 or pass more data."
        )
    stream = progress_stream(progress)
    settings = {
        "covariance_type": model.name,
        "max_iter": max_iter,
        "tol": tol,
        "reg_covar": reg_covar,
        "missing": missing,
    }
    if noise:  # one V for every fit: the data's
        setting = noise_setting(True, hypervolume, array)
        assert setting is not None  # noise is on
        settings.update(noise=True, hypervolume=setting.hypervolume)
    elif hypervolume is not None:
        raise ValueError("hypervolume is set but noise=False; pass noise=True or leave it None.")
    masks = np.isnan(array) if data.has_nan else None
    data_rng, *replicate_rngs = check_random_state(random_state).spawn(n_boot + 1)

    given = _given_fits(fits, model.name, noise)
    if k0 in given and k1 in given:  # the grid's fits: not fitted again
        fit0 = _Fit(given[k0], float(given[k0].score(data) * data.n_samples), [])
        fit1 = _Fit(given[k1], float(given[k1].score(data) * data.n_samples), [])
        if fit1.log_likelihood < fit0.log_likelihood:
            path = fit0
            for _ in range(k0, k1):
                path = _fit_split(path, data, settings)
            fit1 = _best([fit1, path])
    else:
        fit0, fit1 = _fit_pair(data, k0, k1, n_init, settings, data_rng)
    for w in fit0.warnings + fit1.warnings:  # the user's own fits: show them
        warnings.warn(w.message, stacklevel=2)
    statistic = _statistic(fit0, fit1)
    null = fit0.estimator

    n_samples = array.shape[0]
    every = max(1, math.ceil(n_boot / 10))
    start = time.perf_counter()
    boot = np.empty(n_boot)
    n_warnings = 0
    for b, rng in enumerate(replicate_rngs):
        sample, _ = null.sample(n_samples, random_state=rng)
        if masks is not None:  # the data's missingness masks, on rows in random order
            sample[masks[rng.permutation(n_samples)]] = np.nan
        # made here from the null fit: trusted, not checked again
        replicate = ValidatedData.derived(sample)
        boot0, boot1 = _fit_pair(replicate, k0, k1, n_init, settings, rng)
        boot[b] = _statistic(boot0, boot1)
        n_warnings += len(boot0.warnings) + len(boot1.warnings)
        if stream is not None and ((b + 1) % every == 0 or b + 1 == n_boot):
            print(
                f"  bootstrap LRT {model.name} K={k0} vs {k1}: {b + 1}/{n_boot} replicates "
                f"({time.perf_counter() - start:.1f} s)",
                file=stream,
                flush=True,
            )
    boot.setflags(write=False)
    p_value = (1 + int(np.count_nonzero(boot >= statistic))) / (n_boot + 1)
    return BootstrapLRTResult(
        k0=k0,
        k1=k1,
        covariance_type=model.name,
        statistic=statistic,
        bootstrap_statistics=boot,
        p_value=p_value,
        n_boot=n_boot,
        log_likelihoods=(fit0.log_likelihood, fit1.log_likelihood),
        n_warnings=n_warnings,
    )


def _given_fits(fits: Any, covariance_type: str, noise: bool) -> dict[int, GaussianMixture]:
    """``{K: fitted GaussianMixture}`` of ``covariance_type`` (with noise or not) from ``fits``."""
    if fits is None:
        return {}
    estimators = getattr(fits, "estimators", None)
    if estimators is not None:  # a ModelSelection
        return {
            k: est
            for (k, cov), est in estimators.items()
            if cov == covariance_type and hasattr(est, "hypervolume_") == noise
        }
    out = {}
    for k, est in dict(fits).items():
        if not isinstance(est, GaussianMixture) or not hasattr(est, "means_"):
            raise TypeError(f"fits[{k!r}] must be a fitted GaussianMixture; got {type(est)}.")
        if (
            get_covariance_model(est.covariance_type).name == covariance_type
            and est.n_components == k
            and hasattr(est, "hypervolume_") == noise
        ):
            out[int(k)] = est
    return out


def _check_data(X: ArrayLike | ValidatedData, missing: Any) -> ValidatedData:
    """``X`` validated once (a :class:`ValidatedData` is taken as it is)."""
    if missing not in MISSING_OPTIONS:
        raise ValueError(f"missing must be one of {list(MISSING_OPTIONS)}; got {missing!r}.")
    return validate_data(
        X,
        min_samples=2,
        allow_nan=missing == "marginalize",
        nan_hint="Pass missing='marginalize' to test on the observed cells, or impute or "
        "drop those rows.",
    ).without_names()  # the tests' fits are on the array


def _check_components(k0: Any, k1: Any) -> None:
    check_parameters(SimpleNamespace(k0=k0), {"k0": integer(1)})
    if k1 is not None and not (is_int(k1) and k1 > k0):
        raise ValueError(f"k1 must be None or an integer > k0 (={k0}); got {k1!r}.")


def sequential_lrt(
    X: ArrayLike,
    max_components: int = 6,
    covariance_type: str = "full",
    *,
    alpha: float = 0.05,
    n_boot: int = 99,
    n_init: int = 5,
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    random_state: RandomStateLike = 0,
    progress: bool | TextIO = False,
    missing: MissingOption = "error",
    fits: Any = None,
    noise: bool = False,
    hypervolume: float | None = None,
) -> SequentialLRTResult:
    """Choose the number of components by sequential bootstrap likelihood-ratio tests.

    Runs :func:`bootstrap_lrt` for K = 1 vs 2, 2 vs 3, ... and stops at the first
    test that does not reject at level ``alpha`` (``p_value > alpha``), as mclust's
    ``mclustBootstrapLRT`` does; the selected K is that test's null ``k0``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    max_components : int, default=6
        Largest number of components tested (the last possible test is
        ``max_components - 1`` vs ``max_components``); >= 2 and <= n_samples.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure of all models (mclust's names accepted).
    alpha : float, default=0.05
        Level of each test, in (0, 1). With ``n_boot`` replicates the smallest
        p-value is ``1 / (n_boot + 1)``, so ``n_boot >= 1 / alpha - 1`` is needed to
        ever reject.
    n_boot : int, default=99
        Bootstrap replicates per test.
    n_init : int, default=5
        EM restarts per fit.
    max_iter : int, default=500
        EM iteration limit per restart.
    tol : float, default=1e-6
        EM convergence threshold.
    reg_covar : float, default=1e-6
        Added to covariance diagonals.
    random_state : int, Generator, RandomState or None, default=0
        Seed; one child generator is spawned per test.
    progress : bool or file-like, default=False
        Print bootstrap progress and one line per test (to stderr if ``True``).
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean. ``"marginalize"``: every fit uses the observed cells
        (missing at random), and each bootstrap sample gets the data's missingness
        masks (one per row, assigned to the simulated rows at random), so the null
        distribution is that of the statistic on data as incomplete as ``X``.
    fits : ModelSelection or mapping of int to GaussianMixture, default=None
        Models already fitted to ``X`` with this covariance type and these settings
        (the EM grid of :func:`bayesgmm.select_model`): the fits of ``k0`` and ``k1``
        components on ``X`` are taken from it instead of being fitted again (the
        bootstrap samples are still fitted as described). If the given ``k1`` fit is
        below the ``k0`` one, the split start from ``k0`` is fitted as well and the
        better one kept.
    noise : bool, default=False
        Both models have a uniform noise component
        (:class:`~bayesgmm.GaussianMixture`'s ``noise``): every fit, on ``X`` and on
        each replicate, starts its noise from the nearest-neighbour clutter
        removal, and the replicates are drawn from the null model with its noise.
    hypervolume : float or None, default=None
        With ``noise``, the ``V`` of every fit (the replicates' too, so that the
        null's noise density is the one fitted); None: mclust's ``hypvol`` of ``X``.

    Returns
    -------
    SequentialLRTResult
        ``table`` (``k0``, ``k1``, ``statistic``, ``p_value``, ``reject``),
        ``selected_k`` (``max_components`` if every test rejects), ``alpha`` and the
        individual ``tests``.

    Raises
    ------
    ValueError
        If a parameter is out of range, naming it and the value received.

    See Also
    --------
    bootstrap_lrt : one test.

    Examples
    --------
    One Gaussian: the first test, 1 vs 2 components, does not reject.

    >>> import numpy as np
    >>> X = np.random.default_rng(1).normal(size=(60, 1))
    >>> result = sequential_lrt(X, 4, n_boot=19, n_init=2, tol=1e-4)
    >>> result.table[["k0", "k1", "reject"]].to_numpy().tolist()
    [[1, 2, False]]
    >>> result.selected_k
    1
    """
    check_parameters(
        SimpleNamespace(max_components=max_components, alpha=alpha),
        {"max_components": integer(2), "alpha": _open_interval()},
    )
    check_parameters(
        SimpleNamespace(
            n_boot=n_boot,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
            random_state=random_state,
            progress=progress,
        ),
        _PARAMETERS,
    )
    model = get_covariance_model(covariance_type)
    data = _check_data(X, missing)
    if max_components > data.n_samples:
        raise ValueError(
            f"max_components must be <= n_samples (={data.n_samples}); got "
            f"{max_components}. Lower max_components or pass more data."
        )
    stream = progress_stream(progress)
    test_rngs = check_random_state(random_state).spawn(max_components - 1)
    tests: list[BootstrapLRTResult] = []
    selected_k = max_components
    for k0, rng in zip(range(1, max_components), test_rngs, strict=True):
        test = bootstrap_lrt(
            data,
            k0,
            k0 + 1,
            model.name,
            n_boot=n_boot,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
            random_state=rng,
            progress=progress,
            missing=missing,
            fits=fits,
            noise=noise,
            hypervolume=hypervolume,
        )
        tests.append(test)
        reject = test.p_value <= alpha
        if stream is not None:
            print(
                f"{model.name} K={k0} vs {k0 + 1}: LRTS {test.statistic:.4f}, "
                f"p-value {test.p_value:.4g} -> {'reject' if reject else 'stop'}",
                file=stream,
                flush=True,
            )
        if not reject:
            selected_k = k0
            break
    table = pd.DataFrame(
        {
            "k0": [t.k0 for t in tests],
            "k1": [t.k1 for t in tests],
            "statistic": [t.statistic for t in tests],
            "p_value": [t.p_value for t in tests],
            "reject": [t.p_value <= alpha for t in tests],
        }
    )
    return SequentialLRTResult(table=table, selected_k=selected_k, alpha=float(alpha), tests=tests)
