"""The noise component of a model-selection grid: one start for every cell, and K = 0.

:func:`grid_noise` fixes the noise start mask and ``V`` once for a grid (as
``Mclust(X, initialization = list(noise = mask))`` does) and gives the noise-only
model's criteria (mclust's row "0"); :func:`warn_noise_only` warns when that model
beats every mixture.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bayesgmm.core.validation import ValidatedData, check_parameters
from bayesgmm.em.gaussian_mixture import PARAMETER_CONSTRAINTS
from bayesgmm.em.noise import noise_setting
from bayesgmm.selection.k_range import candidate_name

__all__ = [
    "choose_noise",
    "gaussian_rows",
    "grid_noise",
    "is_auto",
    "noise_only_criteria",
    "warn_noise_only",
]


def noise_only_criteria(n_samples: int, hypervolume: float) -> dict[str, float]:
    """The criteria of uniform noise alone (K = 0), as mclust's row "0" counts them.

    Parameters
    ----------
    n_samples : int
        Rows.
    hypervolume : float
        ``V`` of the density ``1 / V``.

    Returns
    -------
    dict
        ``n_components`` 0, ``n_parameters`` 1 (``V``, as mclust), and
        ``log_likelihood``, ``bic``, ``aic``, ``icl`` (lower is better).

    Examples
    --------
    >>> noise_only_criteria(100, 1.0)["bic"] == np.log(100)
    np.True_
    """
    log_likelihood = -n_samples * math.log(hypervolume)
    bic = -2.0 * log_likelihood + np.log(n_samples)
    return {
        "n_components": 0,
        "n_parameters": 1,
        "log_likelihood": log_likelihood,
        "bic": bic,
        "aic": -2.0 * log_likelihood + 2.0,
        "icl": bic,  # every row is noise: no classification entropy
    }


def grid_noise(
    noise: Any, hypervolume: float | None, data: ValidatedData, settings: dict[str, Any]
) -> dict[str, float] | None:
    """Put one noise start and ``V`` into a grid's ``settings``; the noise-only criteria.

    Parameters
    ----------
    noise, hypervolume
        :func:`~bayesgmm.selection.select_model`'s.
    data : ValidatedData
        The grid's data.
    settings : dict
        The :class:`~bayesgmm.GaussianMixture` settings of every cell; with noise,
        ``noise`` becomes the start mask and ``hypervolume`` the ``V`` (in place).

    Returns
    -------
    dict or None
        :func:`noise_only_criteria`, or None without noise.

    Raises
    ------
    ValueError
        As :class:`~bayesgmm.GaussianMixture` for bad ``noise`` or ``hypervolume``,
        and for missing cells with noise.

    Examples
    --------
    >>> from bayesgmm.core.validation import validate_data
    >>> X = validate_data(np.random.default_rng(0).uniform(size=(50, 2)))
    >>> settings = {}
    >>> alone = grid_noise(True, None, X, settings)
    >>> sorted(settings), alone["n_parameters"]
    (['hypervolume', 'noise'], 1)
    """
    table = {name: PARAMETER_CONSTRAINTS[name] for name in ("noise", "hypervolume")}
    check_parameters(SimpleNamespace(noise=noise, hypervolume=hypervolume), table)
    setting = noise_setting(noise, hypervolume, data.array)
    if setting is None:
        return None
    settings.update(noise=setting.start, hypervolume=setting.hypervolume)
    return noise_only_criteria(data.n_samples, setting.hypervolume)


def warn_noise_only(
    noise_only: dict[str, float], table: pd.DataFrame, criterion: str, stacklevel: int = 1
) -> None:
    """Warn when uniform noise alone beats every mixture of ``table`` by ``criterion``.

    Examples
    --------
    >>> import warnings
    >>> table = pd.DataFrame({"n_components": [1], "covariance_type": ["full"], "bic": [5.0]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_noise_only({"bic": 1.0}, table, "bic")
    >>> "Uniform noise alone" in str(caught[0].message)
    True
    """
    best = table.iloc[0]
    if noise_only[criterion] < best[criterion]:
        warnings.warn(
            f"Uniform noise alone (K = 0) has a better {criterion.upper()} "
            f"({noise_only[criterion]:.1f}) than every mixture (best: "
            f"{candidate_name(best.n_components, best.covariance_type)}, "
            f"{best[criterion]:.1f}): the data show no cluster structure above the "
            "background. best_params_ is the best mixture.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


def is_auto(noise: Any) -> bool:
    """Whether ``noise`` is ``"auto"`` (a mask is an array: compared only as a string).

    Examples
    --------
    >>> is_auto("auto"), is_auto(np.array([True, False])), is_auto(True)
    (True, False, False)
    """
    return isinstance(noise, str) and noise == "auto"


def choose_noise(plain: Any, noisy: Any, criterion: str) -> tuple[Any, str]:
    """The grid with a noise component when its best model beats the grid without.

    Both grids are :class:`~bayesgmm.selection.ModelSelection` on the same data; the
    criteria are comparable (the noise density ``1 / V`` is a density over the data's
    region, and its two parameters are counted).

    Returns
    -------
    (ModelSelection, str)
        The chosen grid and a sentence saying why.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> plain = SimpleNamespace(table=pd.DataFrame({"bic": [10.0]}))
    >>> noisy = SimpleNamespace(table=pd.DataFrame({"bic": [4.0]}), noise_only={})
    >>> choose_noise(plain, noisy, "bic")[0] is noisy
    True
    """
    without = float(plain.table[criterion].iloc[0])
    with_noise = float(noisy.table[criterion].iloc[0])
    name = criterion.upper()
    if with_noise < without:
        return noisy, (
            f"noise='auto': a uniform noise component improves the best {name} by "
            f"{without - with_noise:.1f} ({with_noise:.1f} against {without:.1f}), so every "
            "model has one."
        )
    return plain, (
        f"noise='auto': no noise component: the best {name} with one is "
        f"{with_noise - without:.1f} worse ({with_noise:.1f} against {without:.1f})."
    )


def gaussian_rows(selection: Any, data: ValidatedData) -> NDArray[np.bool_]:
    """The rows the best model of a grid with noise does not label noise (``-1``).

    Examples
    --------
    >>> from bayesgmm.core.validation import validate_data
    >>> from bayesgmm.selection.model_selection import select_model
    >>> rng = np.random.default_rng(0)
    >>> X = validate_data(np.r_[rng.normal(size=(200, 2)), rng.uniform(-9, 9, (30, 2))])
    >>> kept = gaussian_rows(select_model(X, [1], "full", noise=True), X)
    >>> int(kept[:200].sum()) >= 195, int(kept[200:].sum()) <= 10
    (True, True)
    """
    return np.asarray(selection.best_estimator_.predict(data) != -1)
