"""Missing data: the E-step marginalising missing features, and imputation.

Under the missing-at-random assumption the likelihood of a row with observed
coordinates ``o`` and missing coordinates ``m`` is its *marginal* mixture density
``sum_k pi_k N(x_o | mu_k[o], Sigma_k[o, o])``. EM for this likelihood
(Ghahramani & Jordan, 1994) keeps the complete-data M-step but replaces the
unobserved sufficient statistics by their conditional expectations given ``x_o`` and
the component:

* ``E[x_m | x_o, k] = mu_m + Sigma_mo Sigma_oo^{-1} (x_o - mu_o)`` (the regression of
  the missing on the observed coordinates within component ``k``);
* ``E[x x^T | x_o, k] = xhat xhat^T + C``, where ``xhat`` is ``x`` with its missing
  cells replaced by that conditional mean and ``C`` is zero except in the missing block,
  which holds the conditional covariance ``Sigma_mm - Sigma_mo Sigma_oo^{-1} Sigma_om``.

Rows are grouped by their missingness pattern (:func:`group_by_pattern`), so every
step is vectorised over the rows of a pattern and the components: per pattern and
iteration one batched Cholesky factorisation of the ``(K, |o|, |o|)`` observed blocks,
then matrix products over the rows. The cost therefore grows with the number of
distinct patterns (small in practice: a handful of sensors or survey items that fail)
on top of the usual ``O(n K D^2)``.

The functions here work on covariance *matrices* ``(K, D, D)`` of any structure (see
:meth:`bayesgmm.covariance.CovarianceModel.full_covariances`); the structure enters
only in the M-step (:meth:`~bayesgmm.covariance.CovarianceModel.covariances_from_second_moments`).
:class:`bayesgmm.GaussianMixture` uses them when ``missing="marginalize"`` and the
data contain NaN; complete data take the usual (faster) path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.numerics import LOG_2PI, exp_normalize, psd_factor, restrict_to_labels
from bayesgmm.core.types import MissingOption
from bayesgmm.core.validation import describe_rows

__all__ = [
    "MISSING_OPTIONS",
    "ExpectedStatistics",
    "IncompleteData",
    "draw_missing_cells",
    "expected_statistics",
    "group_by_pattern",
    "impute_conditional_means",
    "marginal_log_prob",
    "mean_impute",
]

#: the values of ``GaussianMixture(missing=...)``.
MISSING_OPTIONS: tuple[MissingOption, ...] = ("error", "marginalize")

#: target number of float64 values in the largest per-block temporary (~2 MB).
_BLOCK_VALUES = 1 << 18


@dataclass
class _Pattern:
    """The rows sharing one missingness pattern."""

    observed: NDArray[np.intp]
    missing: NDArray[np.intp]
    rows: NDArray[np.intp]
    x_observed: NDArray[np.float64]
    sample_weight: NDArray[np.float64] | None
    #: the rows' partial labels (-1: unknown), or None
    labels: NDArray[np.intp] | None = None


@dataclass
class IncompleteData:
    """Rows with NaN, centred and grouped by missingness pattern.

    Build it with :func:`group_by_pattern`.

    Attributes
    ----------
    center : ndarray of shape (n_features,)
        Subtracted from the observed values (means are expressed relative to it).
    patterns : list
        One entry per distinct pattern: the observed and missing feature indices,
        the row indices and the centred observed values ``(n_rows, n_observed)``.
    n_samples, n_features : int
        Shape of the data.
    sample_weight : ndarray of shape (n_samples,) or None
        Frequency weights.
    total_weight : float
        Sum of the weights (``n_samples`` without weights).
    """

    center: NDArray[np.float64]
    patterns: list[_Pattern]
    n_samples: int
    n_features: int
    sample_weight: NDArray[np.float64] | None
    total_weight: float

    #: the incomplete-data passes compute in float64
    dtype = np.dtype(np.float64)

    @property
    def n_patterns(self) -> int:
        """Number of distinct missingness patterns."""
        return len(self.patterns)

    @property
    def n_missing(self) -> int:
        """Number of missing cells."""
        return sum(p.missing.size * p.rows.size for p in self.patterns)


@dataclass
class ExpectedStatistics:
    """Weighted expected sufficient statistics of one missing-data E-step.

    Attributes
    ----------
    nk : ndarray of shape (n_components,)
        ``sum_i w_i r_ik``.
    first : ndarray of shape (n_components, n_features)
        ``sum_i w_i r_ik E[x_i | x_io, k]`` (centred coordinates).
    second : ndarray of shape (n_components, n_features, n_features)
        ``sum_i w_i r_ik E[x_i x_i^T | x_io, k]`` (centred coordinates).
    log_likelihood : float
        Observed-data log-likelihood ``sum_i w_i log p(x_io)`` at the parameters the
        E-step used.
    total_weight : float
        Sum of the sample weights.
    """

    nk: NDArray[np.float64]
    first: NDArray[np.float64]
    second: NDArray[np.float64]
    log_likelihood: float
    total_weight: float


def group_by_pattern(
    X: NDArray[np.float64],
    center: NDArray[np.float64] | None = None,
    sample_weight: NDArray[np.float64] | None = None,
    labels: NDArray[np.intp] | None = None,
) -> IncompleteData:
    """Group the rows of ``X`` by missingness pattern (NaN marks a missing cell).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data with NaN for missing cells; no row may be entirely NaN.
    center : ndarray of shape (n_features,), default=None
        Subtracted from the observed values; by default zero.
    sample_weight : ndarray of shape (n_samples,), default=None
        Frequency weights.
    labels : ndarray of shape (n_samples,), default=None
        Partial labels (each row's component, -1 where unknown) that E-steps keep.

    Returns
    -------
    IncompleteData

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, np.nan]])
    >>> data = group_by_pattern(X)
    >>> data.n_patterns, data.n_missing
    (2, 2)
    >>> [p.rows.tolist() for p in data.patterns]
    [[1], [0, 2]]
    """
    n_samples, n_features = X.shape
    center = np.zeros(n_features) if center is None else np.asarray(center, dtype=np.float64)
    mask = np.isnan(X)
    unique, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(unique))
    patterns = []
    for missing_mask, rows in zip(unique, np.split(order, np.cumsum(counts)[:-1]), strict=True):
        observed = np.flatnonzero(~missing_mask)
        if observed.size == 0:
            raise ValueError(
                f"X has every feature missing (NaN) in {describe_rows(rows)}; such rows "
                "carry no information. Drop them."
            )
        x_observed = X[np.ix_(rows, observed)] - center[observed]
        weight = None if sample_weight is None else sample_weight[rows]
        known = None if labels is None else labels[rows]
        patterns.append(
            _Pattern(observed, np.flatnonzero(missing_mask), rows, x_observed, weight, known)
        )
    total = float(n_samples if sample_weight is None else sample_weight.sum())
    return IncompleteData(center, patterns, n_samples, n_features, sample_weight, total)


def mean_impute(
    X: NDArray[np.float64], sample_weight: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Replace NaN cells by their column's (weighted) mean of the observed values.

    Used to initialise the missing-data EM (k-means and the first M-step run on the
    mean-imputed data) and as the naive baseline it improves on.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data with NaN for missing cells.
    sample_weight : ndarray of shape (n_samples,), default=None
        Frequency weights.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        A copy of ``X`` without NaN.

    Raises
    ------
    ValueError
        If a column has no observed value (with positive weight).

    Examples
    --------
    >>> mean_impute(np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, 8.0]]))
    array([[1., 6.],
           [3., 4.],
           [2., 8.]])
    """
    observed = ~np.isnan(X)
    weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    column_weight = weight @ observed
    empty = np.flatnonzero(~(column_weight > 0))
    if empty.size:
        raise ValueError(
            f"X has no observed value in column{'s' if empty.size > 1 else ''} "
            f"{empty.tolist()}"
            + ("" if sample_weight is None else " (among rows with positive sample_weight)")
            + "; a feature that is never observed cannot be modelled. Drop it."
        )
    means = weight @ np.where(observed, X, 0.0) / column_weight
    return np.where(observed, X, means)


def _pattern_terms(
    pattern: _Pattern,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
) -> tuple[NDArray[np.float64], ...]:
    """Per-component constants of one pattern.

    Returns the log-density constants ``(K,)``, the whitening ``inv(L_k)`` of the
    observed blocks ``(K, d_o, d_o)``, the regression coefficients
    ``Sigma_mo Sigma_oo^{-1}`` ``(K, d_m, d_o)`` and the conditional covariances
    ``(K, d_m, d_m)``.
    """
    observed, missing = pattern.observed, pattern.missing
    chol = np.linalg.cholesky(covariances[:, observed[:, None], observed])
    whiten = np.linalg.inv(chol)
    log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    with np.errstate(divide="ignore"):
        const = np.log(weights) - 0.5 * (observed.size * LOG_2PI + log_det)
    # Sigma_mo L^-T, so that B = half @ inv(L) and C = Sigma_mm - half @ half^T
    half = covariances[:, missing[:, None], observed] @ np.swapaxes(whiten, 1, 2)
    regression = half @ whiten
    conditional = covariances[:, missing[:, None], missing] - half @ np.swapaxes(half, 1, 2)
    return const, whiten, regression, conditional


def _blocks(pattern: _Pattern, n_components: int, n_features: int):
    """Yield ``(start, stop)`` row ranges of a pattern, sized to bound temporaries."""
    n_rows = pattern.rows.size
    step = max(256, _BLOCK_VALUES // max(n_components * n_features, 1))
    for start in range(0, n_rows, step):
        yield start, min(start + step, n_rows)


def _block_log_prob(
    x_observed: NDArray[np.float64],
    means_observed: NDArray[np.float64],
    const: NDArray[np.float64],
    whiten: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``log pi_k + log N(x_o | mu_k[o], Sigma_k[o, o])`` ``(K, n)`` and ``x_o - mu_o``."""
    diff = x_observed[None, :, :] - means_observed[:, None, :]
    z = diff @ np.swapaxes(whiten, 1, 2)
    log_prob = np.einsum("knd,knd->kn", z, z)
    log_prob *= -0.5
    log_prob += const[:, None]
    return log_prob, diff


def marginal_log_prob(
    data: IncompleteData,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Weighted log-densities of the observed coordinates of every row.

    ``log pi_k + log N(x_o | mu_k[o], Sigma_k[o, o])``, the marginal density of the
    observed cells in component ``k``; ``logsumexp`` over components gives the
    observed-data log-likelihood of the row.

    Parameters
    ----------
    data : IncompleteData
        Rows grouped by pattern (:func:`group_by_pattern`).
    weights : ndarray of shape (n_components,)
        Mixture weights.
    means : ndarray of shape (n_components, n_features)
        Means, relative to ``data.center``.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Covariance matrices.

    Returns
    -------
    ndarray of shape (n_components, n_samples)

    Examples
    --------
    >>> data = group_by_pattern(np.array([[0.0, np.nan]]))
    >>> log_prob = marginal_log_prob(data, np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None])
    >>> bool(np.isclose(log_prob[0, 0], -0.5 * np.log(2 * np.pi)))
    True
    """
    K, D = means.shape
    out = np.empty((K, data.n_samples))
    for pattern in data.patterns:
        const, whiten, _, _ = _pattern_terms(pattern, weights, means, covariances)
        means_observed = means[:, pattern.observed]
        for start, stop in _blocks(pattern, K, D):
            log_prob, _ = _block_log_prob(
                pattern.x_observed[start:stop], means_observed, const, whiten
            )
            out[:, pattern.rows[start:stop]] = log_prob
    return out


def expected_statistics(
    data: IncompleteData,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
) -> ExpectedStatistics:
    """E-step on incomplete data: responsibilities and expected sufficient statistics.

    Responsibilities come from the marginal densities of the observed coordinates;
    the statistics use ``E[x_m | x_o, k]`` for the missing cells and add the
    conditional covariance of the missing block to the second moments (exact EM for
    incomplete data under MAR).

    Parameters
    ----------
    data : IncompleteData
        Rows grouped by pattern (:func:`group_by_pattern`).
    weights : ndarray of shape (n_components,)
        Mixture weights.
    means : ndarray of shape (n_components, n_features)
        Means, relative to ``data.center``.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Covariance matrices.

    Returns
    -------
    ExpectedStatistics

    Examples
    --------
    With one standard normal component, a missing cell contributes its conditional
    mean 0 to ``first`` and its variance 1 to ``second``:

    >>> data = group_by_pattern(np.array([[2.0, np.nan]]))
    >>> stats = expected_statistics(data, np.ones(1), np.zeros((1, 2)), np.eye(2)[None])
    >>> stats.first, stats.second
    (array([[2., 0.]]), array([[[4., 0.],
            [0., 1.]]]))
    """
    K, D = means.shape
    nk = np.zeros(K)
    first = np.zeros((K, D))
    second = np.zeros((K, D, D))
    log_likelihood = 0.0
    for pattern in data.patterns:
        const, whiten, regression, conditional = _pattern_terms(
            pattern, weights, means, covariances
        )
        observed, missing = pattern.observed, pattern.missing
        means_observed, means_missing = means[:, observed], means[:, missing]
        pattern_nk = np.zeros(K)
        for start, stop in _blocks(pattern, K, D):
            x_observed = pattern.x_observed[start:stop]
            resp, diff = _block_log_prob(x_observed, means_observed, const, whiten)
            if pattern.labels is not None:
                restrict_to_labels(resp, pattern.labels[start:stop])
            norm = exp_normalize(resp)
            if pattern.sample_weight is None:
                log_likelihood += float(norm.sum())
            else:
                weight = pattern.sample_weight[start:stop]
                log_likelihood += float(weight @ norm)
                resp *= weight
            xhat = np.empty((K, stop - start, D))
            xhat[:, :, observed] = x_observed
            xhat[:, :, missing] = means_missing[:, None, :] + diff @ np.swapaxes(regression, 1, 2)
            weighted = resp[:, :, None] * xhat
            pattern_nk += resp.sum(axis=1)
            first += weighted.sum(axis=1)
            second += np.swapaxes(weighted, 1, 2) @ xhat
        second[:, missing[:, None], missing] += pattern_nk[:, None, None] * conditional
        nk += pattern_nk
    return ExpectedStatistics(nk, first, second, log_likelihood, data.total_weight)


def impute_conditional_means(
    X: NDArray[np.float64],
    data: IncompleteData,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Fill the NaN cells of ``X`` with their conditional expectation under the mixture.

    ``E[x_m | x_o] = sum_k p(k | x_o) (mu_m + Sigma_mo Sigma_oo^{-1} (x_o - mu_o))``:
    the within-component regressions on the observed cells, averaged with the
    posterior probabilities of the components given the observed cells.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data with NaN for missing cells (observed cells are copied unchanged).
    data : IncompleteData
        The same rows grouped by pattern (:func:`group_by_pattern`).
    weights : ndarray of shape (n_components,)
        Mixture weights.
    means : ndarray of shape (n_components, n_features)
        Means, relative to ``data.center``.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Covariance matrices.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        A copy of ``X`` without NaN.

    Examples
    --------
    With correlation 0.8 the missing second coordinate is predicted as 0.8 times the
    first:

    >>> X = np.array([[1.0, np.nan]])
    >>> cov = np.array([[[1.0, 0.8], [0.8, 1.0]]])
    >>> impute_conditional_means(X, group_by_pattern(X), np.ones(1), np.zeros((1, 2)), cov)
    array([[1. , 0.8]])
    """
    K, D = means.shape
    out = np.array(X, dtype=np.float64, copy=True)
    for pattern in data.patterns:
        if pattern.missing.size == 0:
            continue
        const, whiten, regression, _ = _pattern_terms(pattern, weights, means, covariances)
        means_observed, means_missing = means[:, pattern.observed], means[:, pattern.missing]
        for start, stop in _blocks(pattern, K, D):
            resp, diff = _block_log_prob(
                pattern.x_observed[start:stop], means_observed, const, whiten
            )
            exp_normalize(resp, floor=None)
            x_missing = means_missing[:, None, :] + diff @ np.swapaxes(regression, 1, 2)
            filled = np.einsum("kn,knd->nd", resp, x_missing) + data.center[pattern.missing]
            out[np.ix_(pattern.rows[start:stop], pattern.missing)] = filled
    return out


def draw_missing_cells(
    out: NDArray[np.float64],
    data: IncompleteData,
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    rng: np.random.Generator,
) -> None:
    """Overwrite the missing cells of ``out`` with one draw from ``p(x_m | x_o, theta)``.

    For every row, a component ``k ~ p(k | x_o, theta)``, then the missing cells from
    their conditional normal distribution in that component (one draw of a proper
    multiple imputation). ``means`` are relative to ``data.center``; ``covariances``
    are ``(K, D, D)``; ``out`` holds the rows of ``data`` (observed cells are kept).

    Examples
    --------
    >>> X = np.array([[0.0, np.nan], [1.0, 1.0], [np.nan, 2.0]])
    >>> data = group_by_pattern(X, np.zeros(2))
    >>> out = X.copy()
    >>> cov = np.array([[[1.0, 0.9], [0.9, 1.0]]])
    >>> draw_missing_cells(out, data, np.ones(1), np.zeros((1, 2)), cov, np.random.default_rng(0))
    >>> bool(np.isfinite(out).all()), out[1].tolist()
    (True, [1.0, 1.0])
    """
    K, D = means.shape
    for pattern in data.patterns:
        missing = pattern.missing
        if missing.size == 0:
            continue
        const, whiten, regression, conditional = _pattern_terms(
            pattern, weights, means, covariances
        )
        noise_factor = psd_factor(conditional)
        means_observed = means[:, pattern.observed]
        for start, stop in _blocks(pattern, K, D):
            resp, diff = _block_log_prob(
                pattern.x_observed[start:stop], means_observed, const, whiten
            )
            exp_normalize(resp, floor=None)  # in place: p(k | x_o, theta)
            n = stop - start
            u = rng.random(n)
            labels = np.minimum((np.cumsum(resp, axis=0) < u).sum(axis=0), K - 1)
            cells = np.arange(n)
            filled = means[labels][:, missing] + np.einsum(
                "nij,nj->ni", regression[labels], diff[labels, cells]
            )
            filled += np.einsum(
                "nij,nj->ni", noise_factor[labels], rng.standard_normal((n, missing.size))
            )
            out[np.ix_(pattern.rows[start:stop], missing)] = filled + data.center[missing]
