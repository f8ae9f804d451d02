"""Model-based agglomerative hierarchical clustering: mclust's default EM start.

Fraley (1998, SIAM J. Sci. Comput. 20:270-281) merges, at every step, the two
clusters whose union loses the least classification likelihood of the unconstrained
Gaussian model (VVV), with Banfield and Raftery's regularisation so that clusters of
fewer than ``D + 1`` points have a finite cost: a cluster of ``n`` points with scatter
matrix ``W`` costs

    n log( |W / n| [n > D] + beta (tr W + alpha) / n ),

``alpha`` being the data's total variance per coordinate (``tr W(Z) / (n D)``) and
``beta = 1``, and merging ``a`` and ``b`` costs ``term(a u b) - term(a) - term(b)``, the
scatter of the union being ``W_a + W_b + n_a n_b / (n_a + n_b) (m_a - m_b)(m_a - m_b)'``.
As in mclust's ``hc(use = "SVD")``, the data are first standardised and rotated onto
their principal axes scaled by the inverse square roots of the singular values;
identical rows start in one cluster; above ``subset`` rows (2000, mclust's default)
a random subset is clustered. One-dimensional data use mclust's quantile classes
instead. The merge loop is compiled (:mod:`bayesgmm.em.hierarchical_kernels`).

:func:`hierarchical_partitions` gives the partition for every requested number of
clusters from one merge sequence; ``GaussianMixture(init_params="hierarchical")``
starts EM from it.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_SUBSET", "hierarchical_partitions", "quantile_classes", "svd_transform"]

#: rows clustered at most; above this a random subset is (mclust.options("subset"))
DEFAULT_SUBSET = 2000


def svd_transform(X: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mclust's ``"SVD"`` transformation: standardise, rotate, whiten by ``1/sqrt(s)``.

    Examples
    --------
    >>> Z = svd_transform(np.random.default_rng(0).normal(size=(50, 3)) * [1, 10, 100])
    >>> Z.shape
    (50, 3)
    """
    sd = X.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    scaled = (X - X.mean(axis=0)) / sd
    _, singular, vt = np.linalg.svd(scaled, full_matrices=False)
    keep = singular > singular[0] * 1e-12
    return scaled @ vt[keep].T / np.sqrt(singular[keep])


def quantile_classes(x: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Mclust's ``qclass``: ``k`` classes of one feature between its quantiles.

    Examples
    --------
    >>> quantile_classes(np.arange(10.0), 2).tolist()
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    n_points = k
    q = np.array([np.nan])
    while len(q) < k + 1:
        n_points += 1
        q = np.unique(np.quantile(x, np.linspace(0.0, 1.0, n_points)))
    if len(q) > k + 1:  # drop the closest breaks
        drop = np.argsort(np.diff(q), kind="stable")[: len(q) - k - 1]
        q = np.delete(q, drop)
    eps = x.std(ddof=1) * np.sqrt(np.finfo(np.float64).eps) if len(x) > 1 else 0.0
    q[0], q[-1] = x.min() - eps, x.max() + eps
    return np.clip(np.searchsorted(q, x, side="right") - 1, 0, k - 1)


#: merge trees of the last data sets clustered (a grid over K and covariance types asks
#: for the same tree many times)
_TREES: dict[bytes, tuple[NDArray[np.intp], list[tuple[int, int]]]] = {}
_TREES_KEPT = 4


def _tree(data: NDArray[np.float64]) -> tuple[NDArray[np.intp], list[tuple[int, int]]]:
    """Initial groups and merge sequence of ``data``, cached by content."""
    key = hashlib.sha1(data.tobytes() + repr(data.shape).encode()).digest()
    if key not in _TREES:
        Z = svd_transform(data)
        _, groups = np.unique(Z, axis=0, return_inverse=True)  # identical rows start together
        groups = groups.ravel()
        while len(_TREES) >= _TREES_KEPT:
            _TREES.pop(next(iter(_TREES)))
        from bayesgmm.em.hierarchical_kernels import merge_sequence  # Numba: when used

        _TREES[key] = (groups, merge_sequence(Z, groups))
    return _TREES[key]


def hierarchical_partitions(
    X: NDArray[np.float64],
    ks: list[int],
    *,
    rng: np.random.Generator | None = None,
    subset: int = DEFAULT_SUBSET,
) -> tuple[dict[int, NDArray[np.intp]], NDArray[np.intp]]:
    """Partitions of the rows into ``k`` clusters for each ``k``, from one merge sequence.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.
    ks : list of int
        Numbers of clusters wanted.
    rng : numpy.random.Generator, default=None
        Draws the subset when ``n_samples > subset``.
    subset : int, default=2000
        Rows clustered at most.

    Returns
    -------
    partitions : dict of int to ndarray
        Labels ``0..k-1`` of the clustered rows, per ``k``.
    rows : ndarray of int
        The rows clustered (all of them unless ``n_samples > subset``).

    Examples
    --------
    >>> X = np.r_[np.zeros((5, 2)), np.full((5, 2), 10.0)] + np.arange(10)[:, None] * [0.1, 0.2]
    >>> partitions, rows = hierarchical_partitions(X, [2])
    >>> partitions[2].tolist()
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    n, d = X.shape
    rows = np.arange(n)
    if n > subset:
        rng = rng if rng is not None else np.random.default_rng(0)
        rows = np.sort(rng.choice(n, size=subset, replace=False))
    data = X[rows]
    if d == 1:
        return {k: quantile_classes(data[:, 0], k) for k in ks}, rows
    groups, merges = _tree(np.ascontiguousarray(data))
    n_groups = int(groups.max()) + 1
    parent = np.arange(n_groups)
    partitions = {}
    wanted = sorted(set(ks), reverse=True)
    current = n_groups
    for k in wanted:
        k_eff = min(k, n_groups)
        while current > k_eff:
            keep, gone = merges[n_groups - current]
            parent[parent == gone] = keep
            current -= 1
        _, labels = np.unique(parent[groups], return_inverse=True)
        partitions[k] = labels.ravel()
    return partitions, rows
