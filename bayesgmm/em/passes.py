"""Data passes of the EM core: the data, centred, in blocks of rows, and who runs them.

:class:`Data` holds the data as EM sees them (centred, transposed, completed with
the covariance model's extra rows, with sample weights), either stored in one array
(:func:`prepare_data`) or read from the source block by block in every pass
(:func:`stream_data`, flat memory); :func:`fit_data` chooses between the two once per
fit. :meth:`Data.statistics` is the one pass EM makes per iteration (E-step and
sufficient statistics); :class:`bayesgmm.em.dask_arrays.DaskData` implements the same
interface over a Dask array, and :class:`bayesgmm.em.missing.IncompleteData` the pass
over rows with missing cells. Passes over the blocks run on a thread pool with a
one-thread BLAS (:func:`parallel_passes`, :func:`one_thread_blas`). Nothing here knows
the estimator: :mod:`bayesgmm.em.engine` and :mod:`bayesgmm.em.dask_arrays` build on it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bayesgmm.core.numerics import exp_normalize, restrict_to_labels
from bayesgmm.covariance import CovarianceModel, SufficientStatistics

#: without ``chunk_size``, the data are streamed from X (not copied) when the centred
#: copy would take more than this many bytes
MAX_COPY_BYTES = 1 << 30
#: target number of float64 values in the largest per-block temporary (~2 MB).
_BLOCK_VALUES = 1 << 18


@dataclass
class Data:
    """Data prepared once per fit (or per prediction): centred and transposed."""

    model: CovarianceModel
    center: NDArray[np.float64]
    stored_t: NDArray[np.float64] | None
    sample_weight: NDArray[np.float64] | None
    total_weight: float
    n_features: int
    block: int
    data_statistic: NDArray[np.float64] | None = None
    variance_scale: NDArray[np.float64] | None = None
    #: per-feature variances (computed once, by :func:`fit_data`)
    feature_variances: NDArray[np.float64] | None = None
    n_parts: int = 1
    #: the raw data when they are streamed block by block instead of stored
    source: Any = None
    #: partial labels: each row's component, -1 where unknown (E-steps keep labelled
    #: rows in their component; :func:`bayesgmm.core.numerics.restrict_to_labels`)
    labels: NDArray[np.intp] | None = None

    @property
    def dtype(self) -> np.dtype:
        """float32 when float32 data are stored as such, float64 otherwise."""
        return self.stored_t.dtype if self.stored_t is not None else np.dtype(np.float64)

    @property
    def n_samples(self) -> int:
        """Number of samples (rows) of the data."""
        return self.stored_t.shape[1] if self.stored_t is not None else self.source.shape[0]

    @property
    def n_blocks(self) -> int:
        """Number of blocks a pass goes through."""
        return -(-self.n_samples // self.block)

    def blocks(self, part: int = 0, n_parts: int = 1):
        """Yield ``(start, stop, features)`` for cache-sized blocks of samples.

        With ``n_parts > 1`` only every ``n_parts``-th block from ``part`` on, so that
        threads can share a pass.
        """
        for index in range(part, self.n_blocks, n_parts):
            start = index * self.block
            stop = min(start + self.block, self.n_samples)
            yield start, stop, self.model.block_features(self.stored_rows(start, stop))

    def stored_rows(self, start: int, stop: int) -> NDArray[np.float64]:
        """Centred, transposed and completed columns ``start:stop`` of the stored form."""
        if self.stored_t is not None:
            return self.stored_t[:, start:stop]
        block = np.empty((self.model.n_stored_rows(self.n_features), stop - start))
        np.subtract(self.source[start:stop].T, self.center[:, None], out=block[: self.n_features])
        with np.errstate(over="ignore"):  # huge data: refused by _fit_checks.check_scale
            self.model.complete_stored(block, self.n_features)
        return block

    def centred_blocks(self):
        """Yield ``(start, stop, xc_t)``: centred data, transposed, block by block."""
        for start in range(0, self.n_samples, self.block):
            stop = min(start + self.block, self.n_samples)
            yield start, stop, self.stored_rows(start, stop)[: self.n_features]

    def weights_of(self, start: int, stop: int) -> NDArray[np.float64] | None:
        """Sample weights of rows ``start:stop`` (``None`` when unweighted)."""
        return None if self.sample_weight is None else self.sample_weight[start:stop]

    def variances(self) -> NDArray[np.float64]:
        """Per-feature (weighted) variances of the data."""
        total = np.zeros(self.n_features)
        for start, stop, xc_t in self.centred_blocks():
            weight = self.weights_of(start, stop)
            if weight is None:
                total += np.einsum("dn,dn->d", xc_t, xc_t)
            else:
                total += np.einsum("dn,dn,n->d", xc_t, xc_t, weight)
        return total / self.total_weight

    def compute_data_statistic(self) -> NDArray[np.float64] | None:
        """The covariance model's fixed data statistic, summed block by block."""
        total = None
        for start, stop, xc_t in self.centred_blocks():
            part = self.model.data_statistic(xc_t, self.weights_of(start, stop))
            if part is None:
                return None
            total = part if total is None else total + part
        return total

    def largest_deviation(self) -> float:
        """Largest absolute centred value."""
        return max(float(np.abs(xc_t).max()) for _, _, xc_t in self.centred_blocks())

    def statistics(
        self,
        n_components: int,
        state: tuple | None,
        resp: NDArray[np.float64] | None = None,
        noise_term: float | None = None,
    ) -> SufficientStatistics:
        """One pass over the data: E-step and M-step sufficient statistics.

        ``state`` is the covariance model's prepared parameters (E-step), or ``None``
        with given responsibilities ``resp`` of shape ``(n_components, n_samples)``
        (initialisation). A uniform noise component: ``noise_term`` is its weighted
        log-density ``log(pi_0 / V)`` in E-steps; given responsibilities then have a
        last row for it. With ``n_parts > 1`` the blocks are shared among threads
        (NumPy releases the GIL in its kernels); each thread has its own accumulators,
        summed in a fixed order, so results do not depend on scheduling.
        """
        n_parts = self.n_parts
        if n_parts == 1:
            return self._accumulate(n_components, state, resp, noise_term, 0, 1)
        parts = list(
            executor().map(
                lambda part: self._accumulate(n_components, state, resp, noise_term, part, n_parts),
                range(n_parts),
            )
        )
        total = parts[0]
        for other in parts[1:]:
            total.nk += other.nk
            total.moments += other.moments
            if total.outer is not None:
                assert other.outer is not None  # every part has the same statistics
                total.outer += other.outer
            total.log_likelihood += other.log_likelihood
            total.noise_nk += other.noise_nk
            if total.data_statistic is not None:
                assert other.data_statistic is not None  # every part has the same statistics
                total.data_statistic += other.data_statistic
        return total

    def _accumulate(
        self, n_components: int, state, resp_given, noise_term, part: int, n_parts: int
    ) -> SufficientStatistics:
        model, D = self.model, self.n_features
        moments = np.zeros((n_components, model.n_stat_features(D)))
        outer = np.zeros((n_components, D, D)) if model.dense_per_component else None
        noisy = noise_term is not None or (
            resp_given is not None and len(resp_given) > n_components
        )
        # a noise component: the data statistic of the Gaussian share of the rows
        gaussian_statistic = (
            None if not noisy or self.data_statistic is None else np.zeros_like(self.data_statistic)
        )
        log_likelihood = noise_nk = 0.0
        for start, stop, feat in self.blocks(part, n_parts):
            weight = None if self.sample_weight is None else self.sample_weight[start:stop]
            if state is None:
                resp = resp_given[:, start:stop]
            else:
                resp = model.weighted_log_prob(feat, state)
                if noise_term is not None:
                    resp = np.vstack([resp, np.full((1, resp.shape[1]), noise_term, resp.dtype)])
                if self.labels is not None:
                    restrict_to_labels(resp, self.labels[start:stop])
                norm = exp_normalize(resp)
                log_likelihood += float(  # float32 passes too: summed in float64
                    norm.sum(dtype=np.float64) if weight is None else weight @ norm
                )
            if weight is not None:  # in the pass's precision
                resp = resp * weight.astype(resp.dtype, copy=False)
            if noisy:
                noise = resp[n_components]
                resp = resp[:n_components]
                noise_nk += float(noise.sum(dtype=np.float64))
                if gaussian_statistic is not None:
                    share = resp.sum(axis=0)  # the row's weight times 1 - its noise share
                    statistic = model.data_statistic(feat[:D], share)
                    assert statistic is not None  # the model has one: data_statistic is set
                    gaussian_statistic += statistic
            moments += resp @ feat.T  # its last column sums resp: features end in ones
            if outer is not None:
                block_outer = model.accumulate_outer(feat[:D], resp)
                assert block_outer is not None  # dense_per_component models return it
                outer += block_outer
        nk = moments[:, -1].copy()
        return SufficientStatistics(
            nk, moments, outer, log_likelihood, self.total_weight, noise_nk, gaussian_statistic
        )


def n_threads() -> int:
    """Threads for the E/M passes: ``BAYESGMM_NUM_THREADS`` or the usable CPU count."""
    value = os.environ.get("BAYESGMM_NUM_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"BAYESGMM_NUM_THREADS must be a positive integer; got {value!r}."
            ) from None
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, min(os.cpu_count() or 1, 8))


@functools.cache
def executor() -> ThreadPoolExecutor:
    """The thread pool that shares a data pass between threads (made once)."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="bayesgmm-em")


@functools.cache
def blas_controller():
    """A threadpoolctl controller, to keep BLAS single-threaded inside threaded passes."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


#: passes are split among threads only from this many blocks on (about 1-2 MB each).
#: The BLAS is then limited to one thread: a multi-threaded BLAS called once per
#: block is fast on an idle machine but collapses when the cores are busy (its
#: threads spin-wait at every call): measured on 2 cores with another job running,
#: N=1e5, D=10, K=8, diag, 5 iterations: 14-32 s with OpenBLAS threads vs 0.07-0.23 s
#: with our threads and a one-thread BLAS (scikit-learn: 1.1-2.3 s). On an idle
#: machine our threads are 1.7x faster at D=2 and 10-40% slower at D>=10 than a
#: multi-threaded BLAS; robustness wins.
_MIN_BLOCKS_FOR_THREADS = 4


class BlockPasses(Protocol):
    """What :func:`parallel_passes` needs of the data: its number of blocks per pass.

    :class:`Data` and :class:`bayesgmm.em.dask_arrays.DaskData` provide it;
    :func:`parallel_passes` sets ``n_parts``, the number of threads sharing a pass.
    """

    n_parts: int

    @property
    def n_blocks(self) -> int:
        """Number of blocks a pass goes through."""
        ...


def parallel_passes(data: BlockPasses):
    """Context for EM passes: split blocks among threads, BLAS single-threaded.

    NumPy's element-wise kernels (``exp``, the normalisation) run on one core; with
    ``n`` threads each taking every ``n``-th block, they run on all cores, and the
    BLAS is limited to one thread meanwhile so the two do not oversubscribe.
    """
    many = data.n_blocks >= _MIN_BLOCKS_FOR_THREADS
    data.n_parts = max(1, min(n_threads(), data.n_blocks)) if many else 1
    return one_thread_blas(data.n_blocks)


def one_thread_blas(n_blocks: int):
    """Context for a single-threaded loop over blocks (prediction): one-thread BLAS."""
    if n_blocks < _MIN_BLOCKS_FOR_THREADS:
        return contextlib.nullcontext()
    return blas_controller().limit(limits=1, user_api="blas")


def stream_data(
    model: CovarianceModel,
    n_components: int,
    X: NDArray[np.float64],
    center: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None = None,
    chunk_size: int | None = None,
) -> Data:
    """Data read from ``X`` block by block in every pass (nothing of size N is stored)."""
    n_samples, n_features = X.shape
    total = float(n_samples if sample_weight is None else sample_weight.sum())
    return Data(
        model=model,
        center=center,
        stored_t=None,
        sample_weight=sample_weight,
        total_weight=total,
        n_features=n_features,
        block=chunk_size or block_rows(model, n_components, n_features),
        source=X,
    )


def variance_scale(variances: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-feature scale of the covariance repairs.

    Features whose variance is 0 (or so small that its square underflows) are
    constant for our purposes: they are measured with the other features' variance.
    """
    usable = variances > math.sqrt(np.finfo(np.float64).tiny)
    fallback = float(variances[usable].mean()) if usable.any() else 1.0
    return np.where(usable, variances, fallback)


def block_rows(model: CovarianceModel, n_components: int, n_features: int) -> int:
    """Rows per block, so that a block's working arrays stay cache-sized."""
    width = n_components * (n_features if model.dense_per_component else 1)
    width += model.n_stat_features(n_features)
    return max(256, _BLOCK_VALUES // max(width, 1))


#: float32 data with a value beyond this are stored in float64: squares (diag,
#: spherical features, outer products) stay below float32's 3.4e38
FLOAT32_LIMIT = 1e15


def float32_fits(X: NDArray) -> bool:
    """Whether ``X`` is float32 with values small enough to be fitted in float32.

    One pass over ``X`` without a temporary; NaN cells make it False.

    Examples
    --------
    >>> float32_fits(np.ones((2, 2), dtype=np.float32))
    True
    >>> float32_fits(np.full((2, 2), 1e20, dtype=np.float32)), float32_fits(np.ones((2, 2)))
    (False, False)
    """
    if X.dtype != np.float32 or X.size == 0:
        return False
    return max(-float(X.min()), float(X.max())) < FLOAT32_LIMIT


def prepare_data(
    model: CovarianceModel,
    n_components: int,
    X: NDArray[np.float64],
    center: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None = None,
) -> Data:
    """Centre and transpose ``X`` block by block into one array (no large temporaries).

    float32 data stay float32 (half the memory, and E-steps in float32 arithmetic);
    whether they may is decided before (:func:`float32_fits`).
    """
    n_samples, n_features = X.shape
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    stored_t = np.empty((model.n_stored_rows(n_features), n_samples), dtype=dtype)
    step = max(1024, _BLOCK_VALUES // n_features)
    for start in range(0, n_samples, step):
        stop = min(start + step, n_samples)
        np.subtract(X[start:stop].T, center[:, None], out=stored_t[:n_features, start:stop])
        with np.errstate(over="ignore"):  # huge data: refused by _fit_checks.check_scale
            model.complete_stored(stored_t[:, start:stop], n_features)
    total = float(n_samples if sample_weight is None else sample_weight.sum())
    return Data(
        model=model,
        center=center,
        stored_t=stored_t,
        sample_weight=sample_weight,
        total_weight=total,
        n_features=n_features,
        # the same bytes per block: float32 blocks hold twice the rows
        block=block_rows(model, n_components, n_features) * 8 // stored_t.itemsize,
    )


def should_stream(model: CovarianceModel, X: NDArray[np.float64], chunk_size: int | None) -> bool:
    """Whether passes read ``X`` block by block instead of a centred copy.

    Always with an explicit ``chunk_size``; otherwise when the copy would take more
    than ``MAX_COPY_BYTES``.
    """
    if chunk_size is not None:
        return True
    rows = model.n_stored_rows(X.shape[1])
    return rows * X.shape[0] * X.itemsize > MAX_COPY_BYTES


def describe_scale(data: Any) -> None:
    """Set ``data``'s data statistic, per-feature variances and variance scale.

    Squares of huge data overflow here (to ``inf``); :func:`check_scale
    <bayesgmm.em.fit_checks.check_scale>` then refuses them with a clear message.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        data.data_statistic = data.compute_data_statistic()
        data.feature_variances = data.variances()
    data.variance_scale = variance_scale(data.feature_variances)


def fit_data(
    model: CovarianceModel,
    n_components: int,
    X: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None,
    center: NDArray[np.float64] | None = None,
    *,
    stream: bool = False,
    chunk_size: int | None = None,
) -> Data:
    """``X`` prepared for EM: centred (on its weighted mean by default), stored or streamed.

    With the data statistic and the variance scale of the covariance repairs set
    (:func:`describe_scale`).
    """
    if center is None:
        center = (
            X.mean(axis=0) if sample_weight is None else sample_weight @ X / sample_weight.sum()
        )
    if stream:
        data = stream_data(model, n_components, X, center, sample_weight, chunk_size)
    else:
        data = prepare_data(model, n_components, X, center, sample_weight)
    describe_scale(data)
    return data
