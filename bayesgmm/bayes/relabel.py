"""Label switching: permute each posterior draw's components to match a reference."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

__all__ = ["matching_permutations", "relabel_draws"]


def matching_permutations(
    draw_means: NDArray[np.float64],
    reference_means: NDArray[np.float64],
    reference_precisions: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Best permutation of every draw's components onto the reference labelling.

    The cost of giving draw component ``j`` the label ``i`` is the squared
    Mahalanobis distance between the draw's mean ``j`` and the reference mean ``i``
    under the reference precision ``i``; each draw gets the assignment of minimum
    total cost (Hungarian algorithm).

    Parameters
    ----------
    draw_means : ndarray of shape (n_draws, n_components, n_features)
        Component means of every draw.
    reference_means : ndarray of shape (n_components, n_features)
        Means of the reference labelling (e.g. the EM fit).
    reference_precisions : ndarray of shape (n_components, n_features, n_features)
        Precision matrices of the reference components.

    Returns
    -------
    ndarray of shape (n_draws, n_components)
        ``perm[s, i]`` is the draw component that becomes component ``i``.

    Examples
    --------
    >>> ref = np.array([[0.0], [10.0]])
    >>> prec = np.ones((2, 1, 1))
    >>> draws = np.array([[[0.1], [9.9]], [[10.2], [-0.3]]])
    >>> matching_permutations(draws, ref, prec).tolist()
    [[0, 1], [1, 0]]
    """
    diff = draw_means[:, None, :, :] - reference_means[None, :, None, :]  # (S, i, j, D)
    cost = np.einsum("sijd,ide,sije->sij", diff, reference_precisions, diff)
    perms = np.empty(cost.shape[:2], dtype=np.intp)
    for s, c in enumerate(cost):
        rows, cols = linear_sum_assignment(c)
        perms[s, rows] = cols
    return perms


def relabel_draws[Name: Hashable](
    arrays: dict[Name, NDArray], perms: NDArray[np.intp], component_axis: dict[Name, int]
) -> dict[Name, NDArray]:
    """Apply per-draw permutations to arrays with a component axis.

    Parameters
    ----------
    arrays : dict of str to ndarray
        Arrays with the draws flattened on axis 0.
    perms : ndarray of shape (n_draws, n_components)
        From :func:`matching_permutations`.
    component_axis : dict of str to int
        Axis of the component dimension in each array (after the draw axis).

    Returns
    -------
    dict of str to ndarray
        Relabelled copies.

    Examples
    --------
    >>> w = np.array([[0.3, 0.7], [0.6, 0.4]])
    >>> relabel_draws({"w": w}, np.array([[0, 1], [1, 0]]), {"w": 1})["w"].tolist()
    [[0.3, 0.7], [0.4, 0.6]]
    """
    out: dict[Name, NDArray] = {}
    n_draws = perms.shape[0]
    for name, array in arrays.items():
        axis = component_axis[name]
        moved = np.moveaxis(array, axis, 1)
        picked = moved[np.arange(n_draws)[:, None], perms]
        out[name] = np.moveaxis(picked, 1, axis)
    return out
