"""Posterior over the number of occupied components from an overfitted ("sparse") mixture.

A mixture with ``max_components`` components and a small symmetric Dirichlet
concentration ``e0`` on the weights empties the components the data do not need
(Rousseau & Mengersen 2011; Malsiner-Walli, Frühwirth-Schnatter & Grün 2016). The
number of *occupied* components ``K+`` (components holding at least one observation)
then has a posterior distribution, which :func:`fit_sparse_mixture` reports as a table
of ``P(K+ = k | data)``.

The PyMC model is marginalised (no discrete allocations are sampled), so for every
posterior draw ``theta_s`` the allocations are drawn afterwards from
``p(z_i | x_i, theta_s)`` (one categorical per observation, ``n_allocations`` times),
and ``K+`` is the number of distinct labels. This is exact: ``(theta_s, z)`` is then a
draw from the joint posterior of parameters and allocations.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TextIO

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bayesgmm.bayes.estimator import BayesianGaussianMixture
from bayesgmm.bayes.spec import Priors, check_bayesian_covariance_type
from bayesgmm.core.types import RandomStateLike
from bayesgmm.core.validation import (
    ValidatedData,
    check_integer,
    check_number,
    check_random_state,
    is_int,
    is_real,
    progress_stream,
    validate_data,
)
from bayesgmm.covariance import get_covariance_model
from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning, SamplingWarning

__all__ = ["DEFAULT_CONCENTRATION", "SparseMixtureResult", "fit_sparse_mixture"]

#: default Dirichlet concentration e0 of the overfitted mixture (see fit_sparse_mixture)
DEFAULT_CONCENTRATION = 0.05
#: degrees of freedom of the scale prior of the overfitted mixture (see Priors.sd_dof)
DEFAULT_SD_DOF = 2.0
#: warn when P(K+ = max_components) exceeds this (max_components is probably too small)
UPPER_MASS_MAX = 0.05
#: convergence thresholds applied to E[K+ | theta] (the label-invariant summary)
RHAT_MAX = 1.01
ESS_BULK_MIN = 400
#: pilot run (tuning steps = draws per chain) and the signs that the long run is hopeless
PILOT_DRAWS = 200
PILOT_RHAT_MAX = 1.2
PILOT_DIVERGENCE_MAX = 0.05


def _count_occupied(
    log_prob: NDArray[np.float64], rng: np.random.Generator, n_allocations: int = 1
) -> NDArray[np.intp]:
    """Number of occupied components in allocations drawn from ``p(z_i | x_i, theta)``.

    Parameters
    ----------
    log_prob : ndarray of shape (n_components, n_samples)
        Weighted log-probabilities ``log w_k + log N(x_i | mu_k, Sigma_k)`` (any
        per-column constant; ``-inf`` for components of weight zero).
    rng : numpy.random.Generator
        Source of the uniforms (one per observation and allocation).
    n_allocations : int, default=1
        Independent allocation vectors to draw.

    Returns
    -------
    ndarray of shape (n_allocations,)
        Distinct labels in each allocation vector.

    Examples
    --------
    >>> log_prob = np.array([[0.0, 0.0, -np.inf], [-np.inf, -np.inf, 0.0]])
    >>> _count_occupied(log_prob, np.random.default_rng(0), 3).tolist()
    [2, 2, 2]
    """
    n_components, n_samples = log_prob.shape
    with np.errstate(invalid="ignore", under="ignore"):
        prob = np.exp(log_prob - log_prob.max(axis=0))
    cumulative = np.cumsum(prob, axis=0)
    # one uniform per observation and allocation, on [0, column total): the label is
    # the first component whose cumulative probability exceeds it
    u = rng.random((n_allocations, n_samples)) * cumulative[-1]
    labels = np.count_nonzero(cumulative[None, :, :] <= u[:, None, :], axis=1)
    np.minimum(labels, n_components - 1, out=labels)  # rounding guard
    occupied = np.zeros((n_allocations, n_components), dtype=bool)
    occupied[np.arange(n_allocations)[:, None], labels] = True
    return occupied.sum(axis=1)


def _expected_occupied(log_prob: NDArray[np.float64]) -> float:
    """``E[K+ | theta] = sum_k 1 - prod_i (1 - p(z_i = k | x_i, theta))``, exactly.

    Examples
    --------
    >>> _expected_occupied(np.array([[np.log(0.5), 0.0], [np.log(0.5), -np.inf]]))
    1.5
    """
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        prob = np.exp(log_prob - log_prob.max(axis=0))
        prob /= prob.sum(axis=0)
        log_empty = np.log1p(-np.minimum(prob, 1.0)).sum(axis=1)
    return float(np.sum(-np.expm1(log_empty)))


def _upper_mass_warning(probability: NDArray[np.float64], max_components: int) -> str | None:
    """Message when ``P(K+ = max_components)`` is too large to trust the table, else None.

    Examples
    --------
    >>> _upper_mass_warning(np.array([0.0, 0.5, 0.45, 0.05]), 4) is None
    True
    >>> _upper_mass_warning(np.array([0.0, 0.5, 0.4, 0.1]), 4)[:22]
    'P(K+ = 4) = 0.100 > 0.'
    """
    top = float(probability[max_components - 1])
    if top <= UPPER_MASS_MAX:
        return None
    return (
        f"P(K+ = {max_components}) = {top:.3f} > {UPPER_MASS_MAX}: the posterior wants all "
        f"max_components={max_components} components, so the table is cut off at "
        f"max_components. Refit with a larger max_components (e.g. {2 * max_components})."
    )


def _diagnostics(model: BayesianGaussianMixture, expected: NDArray[np.float64]) -> dict[str, Any]:
    """Label-invariant convergence checks: r_hat and ESS of ``E[K+ | theta]``, NUTS stats."""
    import arviz as az

    stats = model.idata_["sample_stats"].to_dataset()
    rhat = ess = float("nan")  # undefined when E[K+ | theta] is the same in every draw
    if np.ptp(expected) > 1e-9:
        ess = float(az.ess(expected, method="bulk"))
        if expected.shape[0] > 1:
            rhat = float(az.rhat(expected))
    return {
        "r_hat": rhat,
        "ess_bulk": ess,
        "divergences": int(stats["diverging"].sum()) if "diverging" in stats else 0,
        "max_treedepth_fraction": (
            float(stats["maxdepth_reached"].mean()) if "maxdepth_reached" in stats else 0.0
        ),
        "mean_steps": float(stats["n_steps"].mean()) if "n_steps" in stats else float("nan"),
    }


def _diagnostic_problems(diagnostics: dict[str, Any]) -> list[str]:
    """Failed checks, in words (empty when all pass).

    Examples
    --------
    >>> _diagnostic_problems({"r_hat": 1.05, "ess_bulk": 900.0, "divergences": 0})
    ['r_hat of E[K+ | theta] = 1.050 > 1.01']
    """
    problems = []
    # nan (E[K+ | theta] constant over the draws) passes both checks
    if diagnostics["r_hat"] > RHAT_MAX:
        problems.append(f"r_hat of E[K+ | theta] = {diagnostics['r_hat']:.3f} > {RHAT_MAX}")
    if diagnostics["ess_bulk"] < ESS_BULK_MIN:
        problems.append(
            f"ess_bulk of E[K+ | theta] = {diagnostics['ess_bulk']:.0f} < {ESS_BULK_MIN}"
        )
    if diagnostics["divergences"]:
        n_div = diagnostics["divergences"]
        problems.append(f"{n_div} divergent transition{'s' if n_div != 1 else ''}")
    return problems


@dataclass
class SparseMixtureResult:
    """Posterior of the number of occupied components, from :func:`fit_sparse_mixture`.

    Attributes
    ----------
    model : BayesianGaussianMixture
        The fitted overfitted mixture (``relabel=False``: its component labels switch
        freely, so per-component summaries of it are not meaningful).
    n_occupied : ndarray of shape (n_chains, n_draws, n_allocations)
        ``K+`` of every allocation vector drawn for every posterior draw.
    expected_occupied : ndarray of shape (n_chains, n_draws)
        ``E[K+ | theta_s]`` computed exactly per draw (Rao-Blackwellised); its r_hat
        and ESS are the convergence diagnostics.
    max_components : int
        ``K_max`` of the fit.
    concentration : float
        Dirichlet concentration ``e0`` of the fit.
    diagnostics : dict
        ``r_hat`` and ``ess_bulk`` of ``expected_occupied``, ``divergences``,
        ``max_treedepth_fraction``, ``mean_steps`` (NUTS leapfrog steps per draw).
    stopped_early : bool
        The fit stopped after its pilot run, which showed that a long run could not
        converge (see :func:`fit_sparse_mixture`'s ``pilot``); such a result is
        failed evidence (:attr:`problems`).

    Examples
    --------
    >>> n_occupied = np.array([[[2, 2], [3, 2]], [[2, 3], [2, 2]]])
    >>> result = SparseMixtureResult(None, n_occupied, n_occupied.mean(axis=2), 4, 0.1, {})
    >>> result.table["probability"].tolist()
    [0.0, 0.75, 0.25, 0.0]
    >>> result.mode, result.mean
    (2, 2.25)
    """

    model: BayesianGaussianMixture = field(repr=False)
    n_occupied: NDArray[np.intp] = field(repr=False)
    expected_occupied: NDArray[np.float64] = field(repr=False)
    max_components: int
    concentration: float
    diagnostics: dict[str, Any]
    stopped_early: bool = False

    def _indicator_means(self) -> NDArray[np.float64]:
        """``(K_max, n_chains, n_draws)``: share of each draw's allocations with K+ = k."""
        ks = np.arange(1, self.max_components + 1)
        return (self.n_occupied[None, ...] == ks[:, None, None, None]).mean(axis=-1)

    @cached_property
    def table(self) -> pd.DataFrame:
        """``P(K+ = k | data)`` for k = 1..max_components, with its Monte Carlo error.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``k``; columns ``probability`` and ``mcse`` (Monte Carlo
            standard error of the probability, from the draw-level indicator means;
            NaN when it cannot be estimated, e.g. a constant indicator).

        Examples
        --------
        >>> n_occupied = np.full((2, 4, 1), 3)
        >>> result = SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 3, 0.1, {})
        >>> result.table.loc[3, "probability"]
        np.float64(1.0)
        """
        import arviz as az

        indicators = self._indicator_means()
        probability = indicators.mean(axis=(1, 2))
        mcse = np.full(self.max_components, np.nan)
        for j, values in enumerate(indicators):
            if 0.0 < probability[j] < 1.0 and values.shape[1] >= 4:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mcse[j] = float(az.mcse(values))
        index = pd.RangeIndex(1, self.max_components + 1, name="k")
        return pd.DataFrame({"probability": probability, "mcse": mcse}, index=index)

    @property
    def per_chain(self) -> pd.DataFrame:
        """``P(K+ = k | data)`` estimated from each chain separately.

        Chains that agree are the practical convergence check for ``K+`` (component
        parameters are not identified in an overfitted mixture).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``k``, one column per chain.

        Examples
        --------
        >>> n_occupied = np.array([[[2], [2]], [[2], [3]]])
        >>> result = SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 3, 0.1, {})
        >>> result.per_chain.loc[2].tolist()
        [1.0, 0.5]
        """
        values = self._indicator_means().mean(axis=2)
        index = pd.RangeIndex(1, self.max_components + 1, name="k")
        return pd.DataFrame(
            values, index=index, columns=pd.Index(range(values.shape[1]), name="chain")
        )

    @property
    def problems(self) -> list[str]:
        """Failed convergence checks of the fit, in words (empty when it passed).

        A result with problems is not evidence:
        :class:`~bayesgmm.selection.evidence.EvidenceTable` shows it as failed and does not
        use it.

        Returns
        -------
        list of str

        Examples
        --------
        >>> n_occupied = np.array([[[2], [3]], [[2], [2]]])
        >>> diagnostics = {"r_hat": 1.3, "ess_bulk": 900.0, "divergences": 0}
        >>> result = SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 4, 0.1, diagnostics)
        >>> result.problems, result.ok
        (['r_hat of E[K+ | theta] = 1.300 > 1.01'], False)
        """
        problems = _diagnostic_problems(self.diagnostics) if self.diagnostics else []
        if self.stopped_early:
            problems.append("stopped after the pilot run")
        return problems

    @property
    def ok(self) -> bool:
        """Whether the fit passed its convergence checks (see :attr:`problems`).

        Returns
        -------
        bool
        """
        return not self.problems

    @property
    def mode(self) -> int:
        """Most probable number of occupied components.

        Returns
        -------
        int

        Examples
        --------
        >>> n_occupied = np.array([[[3], [4], [4]]])
        >>> SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 5, 0.1, {}).mode
        4
        """
        return int(self.table["probability"].idxmax())

    @property
    def mean(self) -> float:
        """Posterior mean of the number of occupied components.

        Returns
        -------
        float

        Examples
        --------
        >>> n_occupied = np.array([[[3], [4], [4], [5]]])
        >>> SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 5, 0.1, {}).mean
        4.0
        """
        return float(self.n_occupied.mean())

    def credible_set(self, prob: float = 0.9) -> list[int]:
        """Smallest set of values of ``K+`` holding at least ``prob`` posterior mass.

        Parameters
        ----------
        prob : float, default=0.9
            Required posterior mass, in (0, 1].

        Returns
        -------
        list of int
            The values of ``k``, ascending (most probable first added).

        Raises
        ------
        ValueError
            If ``prob`` is not in (0, 1].

        Examples
        --------
        >>> n_occupied = np.array([[[2], [3], [3], [3], [4], [4], [4], [4], [5], [7]]])
        >>> result = SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 8, 0.1, {})
        >>> result.credible_set(0.7), result.credible_set(0.9)
        ([3, 4], [2, 3, 4, 5])
        """
        if not (is_real(prob) and 0 < prob <= 1):
            raise ValueError(f"prob must be a number in (0, 1]; got {prob!r}.")
        probability = self.table["probability"]
        order = probability.sort_values(ascending=False, kind="stable")
        cumulative = order.cumsum().to_numpy()
        n_needed = int(np.searchsorted(cumulative, prob - 1e-12)) + 1
        return sorted(int(k) for k in order.index[: min(n_needed, len(order))])

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of ``P(K+ = k | data)``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw (a new figure when ``None``).

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> n_occupied = np.array([[[2], [3], [3]]])
        >>> result = SparseMixtureResult(None, n_occupied, n_occupied[..., 0], 4, 0.1, {})
        >>> len(result.plot().patches)
        4
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.4))
        table = self.table
        ax.bar(table.index, table["probability"], color="C0", edgecolor="black")
        ax.set_xticks(list(table.index))
        ax.set_xlabel("number of occupied components $K_+$")
        ax.set_ylabel("posterior probability")
        ax.set_title(
            f"Sparse mixture: $K_{{max}}$ = {self.max_components}, $e_0$ = {self.concentration:g}"
        )
        return ax

    def _summary_line(self) -> str:
        shape = self.n_occupied.shape
        return (
            f"P(K+ = k | data) from a sparse mixture with max_components={self.max_components}, "
            f"concentration={self.concentration:g} ({shape[0]} chains x {shape[1]} draws x "
            f"{shape[2]} allocations): mode {self.mode}, mean {self.mean:.2f}, 90% set "
            f"{self.credible_set(0.9)}"
        )

    def __str__(self) -> str:
        return self._summary_line() + "\n" + self.table.to_string(float_format=lambda v: f"{v:.4f}")

    def _repr_html_(self) -> str:
        return f"<p>{self._summary_line()}</p>" + self.table.to_html(
            float_format=lambda v: f"{v:.4f}"
        )


def _check_inputs(
    n_samples: int, max_components: Any, concentration: Any, n_allocations: Any, kwargs: dict
) -> None:
    if not is_int(max_components):
        raise ValueError(f"max_components must be an integer >= 2; got {max_components!r}.")
    if max_components < 2:
        raise ValueError(
            f"max_components must be an integer >= 2; got {max_components!r}. An overfitted "
            "mixture needs more components than the data use (10 is a common choice)."
        )
    if max_components > n_samples:
        raise ValueError(
            f"max_components must not exceed the number of samples; got max_components="
            f"{max_components} for {n_samples} samples. Lower max_components."
        )
    check_number(
        "concentration",
        concentration,
        lambda v: v > 0,
        "a positive number",
        f"Small values (such as the default {DEFAULT_CONCENTRATION}) empty the superfluous "
        "components.",
    )
    check_integer("n_allocations", n_allocations, 1)
    fixed = sorted(set(kwargs) & {"n_components", "relabel"})
    if fixed:
        raise ValueError(
            f"{', '.join(fixed)} cannot be passed to fit_sparse_mixture: the overfitted "
            "mixture uses max_components and keeps the raw (unrelabelled) draws."
        )


def _say(stream: TextIO | None, message: str) -> None:
    if stream is not None:
        print(message, file=stream, flush=True)


def _identifiable_components(
    max_components: int, model_type: Any, n_samples: int, n_features: int
) -> int:
    """The largest ``K <= max_components`` with fewer parameters than rows (>= 2)."""
    k = max_components
    while k > 2 and model_type.n_parameters(k, n_features) >= n_samples:
        k -= 1
    if k < max_components:
        warnings.warn(
            f"max_components={max_components} with {model_type.name} covariances has "
            f"{model_type.n_parameters(max_components, n_features)} parameters for "
            f"{n_samples} rows: lowered to {k} ({model_type.n_parameters(k, n_features)} "
            "parameters). Pass a more parsimonious covariance_type to keep more components.",
            UserWarning,
            stacklevel=3,
        )
    return k


def _pilot_failures(result: SparseMixtureResult) -> list[str]:
    """Why a pilot run shows that the long run cannot converge (empty if it might)."""
    d = result.diagnostics
    out = []
    if d["r_hat"] > PILOT_RHAT_MAX:
        out.append(f"r_hat of E[K+ | theta] = {d['r_hat']:.2f} > {PILOT_RHAT_MAX}")
    n_draws = result.expected_occupied.size
    if d["divergences"] > PILOT_DIVERGENCE_MAX * n_draws:
        out.append(f"{d['divergences']} of {n_draws} draws diverged (> {PILOT_DIVERGENCE_MAX:.0%})")
    return out


def _sample(
    data: ValidatedData,
    max_components: int,
    concentration: float,
    n_allocations: int,
    rng: np.random.Generator,
    settings: dict[str, Any],
    *,
    draws: int,
    tune: int,
) -> SparseMixtureResult:
    """Fit the overfitted mixture and count the occupied components of every draw."""
    model = BayesianGaussianMixture(int(max_components), draws=draws, tune=tune, **settings)
    with warnings.catch_warnings(), np.errstate(divide="ignore"):
        # the overfitted EM start collapses components; per-component diagnostics are
        # meaningless without relabelling: both are replaced by the checks below.
        # np.errstate: weights of empty components may underflow to 0 (log 0 = -inf)
        for category in (ComponentCollapseWarning, ConvergenceWarning, SamplingWarning):
            warnings.simplefilter("ignore", category)
        model.fit(data)
    posterior_draws = model.parameter_draws()
    n_chains, n_draws = posterior_draws.n_chains, posterior_draws.n_draws
    n_occupied = np.empty((n_chains * n_draws, n_allocations), dtype=np.intp)
    expected: NDArray[np.float64] = np.empty(n_chains * n_draws)
    # log(0) for weights that underflowed; a zero weight's -inf constant meets BLAS's
    # zero padding in the diag/spherical products (-inf * 0): its rows stay -inf
    with np.errstate(divide="ignore", invalid="ignore"):
        for s, log_prob in posterior_draws.log_prob(data.array):
            n_occupied[s] = _count_occupied(log_prob, rng, n_allocations)
            expected[s] = _expected_occupied(log_prob)
    expected = expected.reshape(n_chains, n_draws)
    return SparseMixtureResult(
        model=model,
        n_occupied=n_occupied.reshape(n_chains, n_draws, n_allocations),
        expected_occupied=expected,
        max_components=int(max_components),
        concentration=float(concentration),
        diagnostics=_diagnostics(model, expected),
    )


def fit_sparse_mixture(
    X: ArrayLike,
    max_components: int = 10,
    *,
    covariance_type: str = "diag",
    concentration: float = DEFAULT_CONCENTRATION,
    priors: Priors | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    n_allocations: int = 10,
    random_state: RandomStateLike = 0,
    progressbar: bool = False,
    progress: bool | TextIO = False,
    pilot: bool = True,
    **kwargs: Any,
) -> SparseMixtureResult:
    """Posterior of the number of occupied components ``K+`` from an overfitted mixture.

    Fits :class:`~bayesgmm.bayes.estimator.BayesianGaussianMixture` with
    ``max_components`` components and a symmetric ``Dirichlet(e0, ..., e0)`` prior on
    the weights with a small ``e0`` (``concentration``), so that the components the data
    do not need get negligible weight (Rousseau & Mengersen 2011; Malsiner-Walli,
    Frühwirth-Schnatter & Grün 2016, *Statistics and Computing* 26, 303-324). For each
    posterior draw, ``n_allocations`` allocation vectors ``z_i ~ p(z_i | x_i, theta_s)``
    are drawn and ``K+`` (the number of distinct labels) counted; the distribution of
    ``K+`` over all of them is the posterior ``P(K+ = k | data)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    max_components : int, default=10
        ``K_max``, the number of components of the overfitted mixture. It must be
        larger than any plausible number of clusters: a warning is raised when
        ``P(K+ = max_components) > 0.05``.
    covariance_type : str, default="diag"
        One of :data:`~bayesgmm.bayes.spec.BAYESIAN_COVARIANCE_TYPES`: "full", "tied",
        "diag", "spherical" (mclust VVV, EEE, VVI, VII) or any of mclust's ten other
        models ("EII", "EEI", "VEI", "EVI", "VEE", "EVV", "EVE", "VVE", "EEV", "VEV").
        Covariance structure of the components: pass the one the EM grid chose
        (:func:`bayesgmm.collect_evidence` does). The default is parsimonious on
        purpose: ``K_max`` full covariances in ``D`` dimensions have
        ``K_max * D (D + 3) / 2`` parameters (270 for 10 components in 6-D).
        ``max_components`` is lowered, with a warning, until the overfitted
        mixture has fewer parameters than there are rows: beyond that even the
        occupied components are not identified by the data.
    concentration : float, default=0.05
        ``e0`` of the symmetric Dirichlet prior on the weights. The posterior of ``K+``
        depends on it: smaller values empty more components (galaxies, K_max = 10, 4
        chains x 1000 draws: mode of ``K+`` 3 for e0 = 0.01 and 0.02, 4 for 0.05, 5
        for 0.1, 6 for 0.3, 9 for 1). The default balances sharpness against NUTS.
        On two well-separated simulated clusters (n = 200, K_max = 10)
        ``P(K+ = 2)`` was 0.94 / 0.88 / 0.72 / 0.50 for e0 = 0.01 / 0.02 / 0.05 /
        0.1, while NUTS diverged in 4.6% / 2.5% / 0.4% / 0.3% of the draws. Below
        0.05 the log-weights of empty components wander far (their tail has scale
        ``1 / e0``; with e0 = 0.01 on galaxies, 46% of the draws hit the maximal tree
        depth and some weights underflowed to 0), and a component alternates between
        occupied and empty scales that no single mass matrix fits. The Gibbs
        literature's e0 = 0.01 is available, but check ``diagnostics``. Rousseau &
        Mengersen's condition for superfluous components to empty is ``e0 < d / 2``
        (``d`` parameters per component, 2 for one feature).
    priors : Priors, default=None
        Priors of the component means, scales and correlations (``None``:
        ``Priors(sd_dof=2)``, whose scale prior vanishes at 0 so that near-empty
        components do not shrink onto single observations; they are stated in
        standardised units, so they adapt to the data as Malsiner-Walli et al.'s
        data-dependent priors do). Its
        ``weight_concentration`` is replaced by ``concentration``.
    draws, tune, chains : int, default=1000, 1000, 4
        Posterior draws and tuning steps per chain, and number of chains.
    n_allocations : int, default=10
        Allocation vectors drawn per posterior draw (more reduce the allocation part
        of the Monte Carlo error at a small cost).
    random_state : int, numpy.random.Generator or None, default=0
        Seed of the EM start, the sampler and the allocations.
    progressbar : bool, default=False
        Show the sampler's progress bars.
    progress : bool or file-like, default=False
        Print a line per stage (pilot, full run) with its time (stderr when
        ``True``).
    pilot : bool, default=True
        First run a short pilot (``chains`` x (200 tuning + 200 draws)); when its
        ``E[K+ | theta]`` has r_hat above ``PILOT_RHAT_MAX`` or more than
        ``PILOT_DIVERGENCE_MAX`` of its draws diverged, the long run cannot converge
        either: the pilot's result is returned, marked as failed (``problems``
        names why, ``stopped_early`` is True), with a SamplingWarning, instead of
        sampling for many minutes. Skipped when the run is no longer than the pilot.
    **kwargs : dict
        Passed to :class:`~bayesgmm.bayes.estimator.BayesianGaussianMixture`
        (``target_accept``, ``sampler``, ``n_init``, ``missing``: with
        ``missing="marginalize"`` NaN cells are missing at random and the
        allocations are drawn from each row's observed cells).

    Returns
    -------
    SparseMixtureResult
        ``table`` (``P(K+ = k | data)``), ``mode``, ``mean``, ``credible_set``,
        ``per_chain``, ``diagnostics``, ``plot``, and the fitted ``model``.

    Raises
    ------
    ValueError
        For an invalid ``max_components``, ``concentration`` or ``n_allocations``, or
        ``n_components``/``relabel`` among ``kwargs``.

    Warns
    -----
    SamplingWarning
        When ``E[K+ | theta]`` has r_hat > 1.01 or bulk ESS < 400, or NUTS
        diverged. (The per-component r_hat of the underlying model is not checked:
        labels switch and empty components are not identified.)
    UserWarning
        When ``P(K+ = max_components) > 0.05``: raise ``max_components``.

    See Also
    --------
    bayesgmm.selection.model_selection.select_model : BIC/ICL choice of K with EM.

    Notes
    -----
    The EM fit that starts the chains has ``max_components`` components and
    typically overfits (collapsed components); its warnings are suppressed, because
    the sampler leaves that start within the tuning phase.

    The half-normal prior on component standard deviations does not vanish at 0, so
    a near-empty component can shrink onto a single observation (a funnel): this is
    where the few divergences on galaxies occurred (at standard deviations of a few
    km/s). A prior vanishing at 0 removed them in an experiment (e0 = 0.1, Gamma(2):
    0 divergences, 256 instead of 400 leapfrog steps per draw, a similar ``K+``
    table), but ``Priors`` does not offer one yet. Tied data values make it worse:
    Old Faithful's ``waiting`` is an integer (51 distinct values in 272 rows), and
    with full covariances components collapse onto rows sharing one value: hundreds
    of divergences, chains stuck at different ``K+`` (r_hat of ``E[K+ | theta]``
    1.8, flagged by the warning). Jittering ``waiting`` by U(-0.5, 0.5) brought the
    divergences from 158 to 2 in 1000 draws; mixing between ``K+`` = 3 and 4 stayed
    slow.

    Examples
    --------
    >>> from bayesgmm import load_galaxies
    >>> X = load_galaxies() / 1000
    >>> result = fit_sparse_mixture(X, 10, draws=500, tune=500, chains=2)  # doctest: +SKIP
    >>> result.table["probability"].round(2).tolist()  # doctest: +SKIP
    [0.0, 0.0, 0.29, 0.4, 0.24, 0.06, 0.01, 0.0, 0.0, 0.0]
    >>> result.mode, result.credible_set(0.9)  # doctest: +SKIP
    (4, [3, 4, 5])
    """
    # checked once: the fits below take it as it is
    data = validate_data(X, min_samples=2, allow_nan=kwargs.get("missing") == "marginalize")
    array = data.array
    _check_inputs(array.shape[0], max_components, concentration, n_allocations, kwargs)
    model_type = get_covariance_model(check_bayesian_covariance_type(covariance_type))
    stream = progress_stream(progress)
    if priors is not None and not isinstance(priors, Priors):
        raise TypeError(f"priors must be a bayesgmm.bayes.Priors or None; got {type(priors)}.")
    max_components = _identifiable_components(
        int(max_components), model_type, array.shape[0], array.shape[1]
    )
    if priors is None:  # scales vanishing at 0: no funnel onto a few points
        priors = Priors(sd_dof=DEFAULT_SD_DOF)
    priors = dataclasses.replace(priors, weight_concentration=float(concentration))
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    settings = {
        "covariance_type": model_type.name,
        "priors": priors,
        "chains": chains,
        "random_state": seed,
        "relabel": False,
        "progressbar": progressbar,
        **kwargs,
    }
    if pilot and min(draws, tune) > PILOT_DRAWS:
        begin = time.perf_counter()
        trial = _sample(data, max_components, concentration, n_allocations, rng, settings,
                        draws=PILOT_DRAWS, tune=PILOT_DRAWS)  # fmt: skip
        _say(stream, f"  pilot run ({chains} x {PILOT_DRAWS} draws): "
             f"{time.perf_counter() - begin:.1f} s")  # fmt: skip
        hopeless = _pilot_failures(trial)
        if hopeless:
            trial.stopped_early = True
            warnings.warn(
                f"Overfitted mixture ({max_components} {model_type.name} components) stopped "
                f"after its pilot run: {'; '.join(hopeless)}. A {chains} x {draws}-draw run "
                "would not converge either; the pilot's result is returned, marked as failed. "
                "Try fewer components, a more parsimonious covariance_type, a larger "
                "concentration, or higher target_accept.",
                SamplingWarning,
                stacklevel=2,
            )
            return trial
        # the long run starts from the pilot's EM fit: the same fit, not fitted again
        if hasattr(trial.model, "em_"):
            settings.setdefault("start", trial.model.em_)
    begin = time.perf_counter()
    result = _sample(data, max_components, concentration, n_allocations, rng, settings,
                     draws=draws, tune=tune)  # fmt: skip
    _say(stream, f"  sampling ({chains} x {draws} draws): {time.perf_counter() - begin:.1f} s")
    problems = result.problems
    if problems:
        warnings.warn(
            "Sampling diagnostics of the sparse mixture: "
            + "; ".join(problems)
            + ". Increase draws/tune or target_accept, or lower max_components. (A few "
            "divergences out of thousands of draws are typical here: near-empty components "
            "shrinking onto single observations; compare result.per_chain.)",
            SamplingWarning,
            stacklevel=2,
        )
    message = _upper_mass_warning(result.table["probability"].to_numpy(), result.max_components)
    if message:
        warnings.warn(message, UserWarning, stacklevel=2)
    return result
