"""Results of bootstrap likelihood-ratio tests: one test, and a sequence of them.

:func:`bayesgmm.selection.bootstrap_lrt.bootstrap_lrt` and
:func:`~bayesgmm.selection.bootstrap_lrt.sequential_lrt` return these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BootstrapLRTResult", "SequentialLRTResult"]

_TABLE_COLUMNS = ("k0", "k1", "covariance_type", "statistic", "p_value", "n_boot", "n_warnings")


@dataclass(frozen=True, eq=False, repr=False)
class BootstrapLRTResult:
    """Outcome of :func:`bootstrap_lrt`: one test of ``k0`` against ``k1`` components.

    Attributes
    ----------
    k0 : int
        Number of components under the null hypothesis.
    k1 : int
        Number of components under the alternative.
    covariance_type : str
        Covariance structure of both models (canonical name, e.g. ``"full"``).
    statistic : float
        Observed likelihood-ratio statistic ``2 * (loglik1 - loglik0)`` (clipped at 0).
    bootstrap_statistics : ndarray of shape (n_boot,)
        The statistic on each parametric bootstrap sample (read-only).
    p_value : float
        ``(1 + #{bootstrap_statistics >= statistic}) / (n_boot + 1)``.
    n_boot : int
        Number of bootstrap replicates.
    log_likelihoods : tuple of (float, float)
        Total log-likelihoods of the ``k0`` and ``k1`` fits on the data.
    n_warnings : int
        ``ConvergenceWarning`` and ``ComponentCollapseWarning`` raised by the retained
        fits on the bootstrap samples (counted, not shown).

    Examples
    --------
    >>> from bayesgmm import bootstrap_lrt, load_faithful
    >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
    >>> result.k0, result.k1, result.bootstrap_statistics.shape
    (1, 2, (9,))
    """

    k0: int
    k1: int
    covariance_type: str
    statistic: float
    bootstrap_statistics: NDArray[np.float64] = field(repr=False)
    p_value: float
    n_boot: int
    log_likelihoods: tuple[float, float]
    n_warnings: int

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain Python values (JSON-serialisable).

        Returns
        -------
        dict
            Keys ``k0``, ``k1``, ``covariance_type``, ``statistic``, ``p_value``,
            ``n_boot``, ``log_likelihoods`` (list of two floats), ``n_warnings`` and
            ``bootstrap_statistics`` (list of floats).

        Examples
        --------
        >>> from bayesgmm import bootstrap_lrt, load_faithful
        >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
        >>> summary = result.to_dict()
        >>> summary["p_value"], len(summary["bootstrap_statistics"])
        (0.1, 9)
        """
        return {
            "k0": self.k0,
            "k1": self.k1,
            "covariance_type": self.covariance_type,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "n_boot": self.n_boot,
            "log_likelihoods": list(self.log_likelihoods),
            "n_warnings": self.n_warnings,
            "bootstrap_statistics": self.bootstrap_statistics.tolist(),
        }

    @property
    def table(self) -> pd.DataFrame:
        """The test as a one-row table (``k0``, ``k1``, ``statistic``, ``p_value``, ...).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from bayesgmm import bootstrap_lrt, load_faithful
        >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
        >>> list(result.table.columns)
        ['k0', 'k1', 'covariance_type', 'statistic', 'p_value', 'n_boot', 'n_warnings']
        """
        row = {key: value for key, value in self.to_dict().items() if key in _TABLE_COLUMNS}
        return pd.DataFrame([row], columns=list(_TABLE_COLUMNS))

    def __repr__(self) -> str:
        ll0, ll1 = self.log_likelihoods
        return (
            f"BootstrapLRTResult({self.covariance_type}, {self.k0} vs {self.k1} components)\n"
            f"  LRTS = {self.statistic:.4f}, bootstrap p-value = {self.p_value:.4g} "
            f"({self.n_boot} replicates)\n"
            f"  log-likelihood: K={self.k0} {ll0:.4f}, K={self.k1} {ll1:.4f}\n"
            f"  EM warnings during bootstrap refits: {self.n_warnings}"
        )

    def plot(self, ax: Axes | None = None) -> Axes:
        """Histogram of the bootstrap statistics with the observed one as a line.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created when ``None``.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from bayesgmm import bootstrap_lrt, load_faithful
        >>> result = bootstrap_lrt(load_faithful(), 1, covariance_type="tied", n_boot=9, n_init=1)
        >>> ax = result.plot()
        >>> ax.get_xlabel()
        'LRTS'
        >>> plt.close(ax.figure)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.hist(
            self.bootstrap_statistics,
            bins="auto",
            density=True,
            color="0.7",
            edgecolor="0.85",
            label=f"bootstrap ({self.n_boot} replicates)",
        )
        ax.axvline(
            self.statistic,
            color="forestgreen",
            linestyle=":",
            linewidth=2,
            label=f"observed (p = {self.p_value:.3g})",
        )
        ax.set_xlabel("LRTS")
        ax.set_ylabel("density")
        ax.set_title(f"Bootstrap LRT, {self.covariance_type}: {self.k0} vs {self.k1} components")
        ax.legend()
        return ax


@dataclass(frozen=True, eq=False, repr=False)
class SequentialLRTResult:
    """Outcome of :func:`sequential_lrt`: the tests 1 vs 2, 2 vs 3, ... and the chosen K.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per test run, with columns ``k0``, ``k1``, ``statistic``,
        ``p_value`` and ``reject`` (``p_value <= alpha``).
    selected_k : int
        ``k0`` of the first test that does not reject; ``max_components`` if all do.
    alpha : float
        Level of each test.
    tests : list of BootstrapLRTResult
        The individual tests, in the order of ``table``.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgmm import sequential_lrt
    >>> X = np.random.default_rng(1).normal(size=(60, 1))
    >>> result = sequential_lrt(X, 3, n_boot=19, n_init=2, tol=1e-4)
    >>> result.selected_k, list(result.table.columns)
    (1, ['k0', 'k1', 'statistic', 'p_value', 'reject'])
    """

    table: pd.DataFrame
    selected_k: int
    alpha: float
    tests: list[BootstrapLRTResult]

    def __repr__(self) -> str:
        lines = [
            "SequentialLRTResult: bootstrap sequential LRT for the number of components",
        ]
        if self.tests:
            first = self.tests[0]
            lines.append(
                f"  covariance_type = {first.covariance_type}, "
                f"replicates = {first.n_boot}, alpha = {self.alpha:g}"
            )
        for row in self.table.itertuples(index=False):
            verdict = "reject" if row.reject else "do not reject"
            lines.append(
                f"  {row.k0} vs {row.k1}: LRTS = {row.statistic:10.4f}, "
                f"p-value = {row.p_value:.4g} ({verdict})"
            )
        lines.append(f"  selected K = {self.selected_k}")
        return "\n".join(lines)


# ---------------------------------------------------------------------- fitting
