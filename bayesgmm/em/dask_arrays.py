"""EM passes over Dask arrays: per-chunk sufficient statistics, reduced on the client.

EM needs, per iteration, only sums over rows of per-row quantities (responsibilities,
weighted first and second moments, the log-likelihood). With a ``dask.array.Array``
each Dask task computes those sums for one row chunk with the same NumPy code as an
in-memory fit (:meth:`bayesgmm.em.passes.Data.statistics`), and the client adds
the few small arrays in chunk order and runs the M-step. One pass over the data per
iteration; only parameters travel to the workers and only sufficient statistics
come back. The same code runs on the local threaded scheduler, a
``dask.distributed.LocalCluster`` or a remote cluster (whatever scheduler is active).

Dask is optional (``pip install bayesgmm[dask]``); nothing here imports it unless a
Dask array is passed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.validation import describe_rows
from bayesgmm.em.passes import describe_scale, one_thread_blas, prepare_data

if TYPE_CHECKING:
    from bayesgmm.covariance import SufficientStatistics

__all__ = ["is_dask_array"]


def is_dask_array(X: Any) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (without importing Dask).

    Parameters
    ----------
    X : object
        Anything.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_array(np.zeros((2, 2)))
    False
    """
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(X, module.Array)


def check_dask_array(X: Any, *, n_features: int | None = None, name: str = "X") -> Any:
    """Validate a Dask array lazily: 2-D, real numbers, known row chunks.

    Returns the array as float64 with all features in one chunk per row block.
    Finiteness is checked during the first pass over the data (see
    :func:`prepare_dask_data`), not here, so that nothing is computed twice.
    """
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features); got a {X.ndim}-D Dask "
            f"array of shape {X.shape}."
            + (" Use X.reshape(-1, 1) for a single feature." if X.ndim == 1 else "")
        )
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            f"{name} has unknown chunk sizes (after filtering or reading from a DataFrame); "
            "call X.compute_chunk_sizes() first."
        )
    kind = X.dtype.kind
    if kind == "c":
        raise ValueError(f"{name} must be real-valued; got a complex Dask array.")
    if kind not in "biuf":
        raise TypeError(
            f"{name} must contain numbers; got a Dask array of dtype {X.dtype}. Convert it "
            "with X.astype(float)."
        )
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {X.shape}); need at least 1.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but GaussianMixture is expecting {n_features} "
            "features as input."
        )
    X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return da.asarray(X)


def _first_pass(block: NDArray, weight: NDArray | None) -> tuple:
    finite = np.isfinite(block)
    ok = bool(finite.all())
    if weight is None:
        return ok, float(block.shape[0]), block.sum(axis=0)
    return ok, float(weight.sum()), weight @ block


def _second_pass(model, block: NDArray, center: NDArray, weight: NDArray | None) -> tuple:
    xc_t = block.T - center[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        squares = (
            np.einsum("dn,dn->d", xc_t, xc_t)
            if weight is None
            else np.einsum("dn,dn,n->d", xc_t, xc_t, weight)
        )
        statistic = model.data_statistic(xc_t, weight)
    largest = float(np.abs(xc_t).max()) if xc_t.size else 0.0
    return squares, statistic, largest


def _bad_rows(block: NDArray) -> NDArray[np.bool_]:
    return ~np.isfinite(block).all(axis=1)


def _chunk_statistics(
    model: Any, n_components: int, state: tuple, block: NDArray, center: NDArray, weight
) -> SufficientStatistics:
    block = np.asarray(block, dtype=np.float64)  # Dask passes compute in float64
    data = prepare_data(model, n_components, block, center, weight)
    # a Dask worker thread is one core's worth: a multi-threaded BLAS would oversubscribe
    with one_thread_blas(data.n_blocks):
        return data.statistics(n_components, state)


def _sum_in_order(parts: list) -> Any:
    total = parts[0]
    for other in parts[1:]:
        total = tuple(None if a is None else a + b for a, b in zip(total, other, strict=True))
    return total


@dataclass
class DaskData:
    """Data held in a Dask array, with the interface of :class:`bayesgmm.em.passes.Data`."""

    model: Any
    center: NDArray[np.float64]
    source: Any
    sample_weight: Any
    total_weight: float
    n_features: int
    data_statistic: NDArray[np.float64] | None
    variance_scale: NDArray[np.float64] | None
    squares: NDArray[np.float64]
    largest: float
    feature_variances: NDArray[np.float64] | None = None
    n_parts: int = 1
    stored_t: None = None
    block: int = 1

    #: the passes compute in float64 (each chunk becomes a float64 Data)
    dtype = np.dtype(np.float64)

    @property
    def n_samples(self) -> int:
        return int(self.source.shape[0])

    @property
    def n_blocks(self) -> int:
        return 1

    def variances(self) -> NDArray[np.float64]:
        return self.squares / self.total_weight

    def compute_data_statistic(self) -> NDArray[np.float64] | None:
        return self.data_statistic

    def largest_deviation(self) -> float:
        return self.largest

    def _blocks(self) -> list:
        blocks = list(self.source.to_delayed().ravel())
        if self.sample_weight is None:
            return [(b, None) for b in blocks]
        return list(zip(blocks, self.sample_weight.to_delayed().ravel(), strict=True))

    def statistics(
        self,
        n_components: int,
        state: tuple | None,
        resp: NDArray | None = None,
        noise_term: float | None = None,
    ) -> SufficientStatistics:
        """One E-step pass on the workers; statistics summed on the client in chunk order.

        Only E-step passes (``state`` given): EM initialises on rows held in memory.
        No noise component (``noise_term`` is None: the estimator refuses noise here).
        """
        assert noise_term is None  # GaussianMixture refuses noise with Dask arrays
        import dask

        from bayesgmm.covariance import SufficientStatistics

        if state is None:
            raise ValueError("Dask passes need parameters (state), not responsibilities.")
        task = dask.delayed(_chunk_statistics, pure=True)
        parts = dask.compute(
            *[task(self.model, n_components, state, b, self.center, w) for b, w in self._blocks()]
        )
        nk, moments, outer, log_likelihood = _sum_in_order(
            [(p.nk, p.moments, p.outer, p.log_likelihood) for p in parts]
        )
        return SufficientStatistics(nk, moments, outer, log_likelihood, self.total_weight)

    def take_rows(self, rows: NDArray[np.intp]) -> tuple[NDArray, NDArray | None]:
        """Rows ``rows`` (sorted) of the data and their weights, as NumPy arrays."""
        import dask

        weight = None if self.sample_weight is None else self.sample_weight[rows]
        values, weight = dask.compute(self.source[rows], weight)
        return np.ascontiguousarray(values), weight


def prepare_dask_data(model: Any, n_components: int, X: Any, sample_weight: Any) -> DaskData:
    """Validate ``X`` and compute, in two passes, what the EM loop needs before starting.

    Returns the data, with its variance scale set.
    """
    import dask
    import dask.array as da

    X = check_dask_array(X)
    n_samples, n_features = X.shape
    if n_samples < 2:
        raise ValueError(f"X must have at least 2 samples; got {n_samples} (shape {X.shape}).")
    weight = None
    if sample_weight is not None:
        weight = da.asarray(sample_weight, chunks=(X.chunks[0],)).astype(np.float64)
        if weight.shape != (n_samples,):
            raise ValueError(
                f"sample_weight must have shape ({n_samples},) to match X; got shape "
                f"{weight.shape}."
            )
        weight = weight.rechunk((X.chunks[0],))
        bad, positive = dask.compute(
            (~da.isfinite(weight) | (weight < 0)).any(), (weight > 0).sum()
        )
        if bad:
            raise ValueError("sample_weight must be finite and >= 0.")
        if positive == 0:
            raise ValueError(
                "sample_weight sums to 0 (every weight is zero); at least one sample needs "
                "a positive weight."
            )
        if positive < n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = "
                f"{n_components}, n_samples = {positive} (rows with positive "
                "sample_weight). Lower n_components or pass more data."
            )
    if n_samples < n_components:
        raise ValueError(
            f"Expected n_samples >= n_components but got n_components = "
            f"{n_components}, n_samples = {n_samples}. Lower n_components or pass "
            "more data."
        )
    blocks = list(X.to_delayed().ravel())
    weights = [None] * len(blocks) if weight is None else list(weight.to_delayed().ravel())
    first = dask.delayed(_first_pass, pure=True)
    parts = dask.compute(*[first(b, w) for b, w in zip(blocks, weights, strict=True)])
    if not all(ok for ok, _, _ in parts):
        flags = da.map_blocks(_bad_rows, X, drop_axis=1, dtype=bool).compute()
        rows = np.flatnonzero(flags)
        raise ValueError(
            f"X contains NaN or infinite values in {describe_rows(rows)}. Drop or impute "
            "those rows (missing='marginalize' is not available for Dask arrays)."
        )
    total = float(sum(t for _, t, _ in parts))
    (center,) = _sum_in_order([(s,) for _, _, s in parts])
    center = np.asarray(center, dtype=np.float64) / total
    second = dask.delayed(_second_pass, pure=True)
    moments = dask.compute(
        *[second(model, b, center, w) for b, w in zip(blocks, weights, strict=True)]
    )
    squares, statistic, _ = _sum_in_order([(q, s, 0.0) for q, s, _ in moments])
    largest = max(m[2] for m in moments)
    data = DaskData(
        model=model,
        center=center,
        source=X,
        sample_weight=weight,
        total_weight=total,
        n_features=n_features,
        data_statistic=statistic,
        variance_scale=None,
        squares=squares,
        largest=largest,
    )
    describe_scale(data)
    return data


def map_rows(X: Any, function, n_features: int, n_columns: int | None, dtype) -> Any:
    """Apply a row-wise NumPy ``function`` to every row chunk of ``X``, lazily.

    ``n_columns=None``: ``function`` returns one value per row.
    """
    X = check_dask_array(X, n_features=n_features)
    if n_columns is None:
        return X.map_blocks(function, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype))
    return X.map_blocks(
        function, chunks=(X.chunks[0], (n_columns,)), dtype=dtype, meta=np.empty((0, 0), dtype)
    )


def sum_log_likelihood(
    score_samples: Any, n_features: int, X: Any, sample_weight: Any = None
) -> tuple:
    """Total (weighted) log-likelihood and total weight of a Dask array.

    ``score_samples`` maps a NumPy row chunk to its log-densities.
    """
    import dask
    import dask.array as da

    scores = map_rows(X, score_samples, n_features, None, np.float64)
    if sample_weight is None:
        return float(scores.sum().compute()), float(scores.shape[0])
    weight = da.asarray(sample_weight, chunks=(scores.chunks[0],)).astype(np.float64)
    total, weight_sum = dask.compute((scores * weight).sum(), weight.sum())
    return float(total), float(weight_sum)
