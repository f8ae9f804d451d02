"""Model selection over the number of components and the covariance structure.

:func:`select_model` fits the EM model on a grid of ``n_components`` x
``covariance_type`` and tabulates BIC, AIC, ICL and the log-likelihood, as mclust's
``mclustBIC`` / ``mclustICL`` do, and returns a :class:`ModelSelection` with the best
model, the top candidates and a plot of the criterion curves.

Sign convention: we follow scikit-learn, **lower is better**:
``BIC = -2 log L + p log n``, ``AIC = -2 log L + 2 p`` and
``ICL = BIC + 2 sum_i (-log max_k tau_ik)``. mclust reports ``2 log L - p log n``,
the negative of ours (higher is better there); :meth:`ModelSelection.to_mclust`
converts.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bayesgmm.core.display import format_table
from bayesgmm.core.types import MissingOption, RandomStateLike
from bayesgmm.core.validation import (
    Constraint,
    check_integer,
    check_parameters,
    is_int,
    progress_stream,
    validate_data,
)
from bayesgmm.covariance import COVARIANCE_TYPES, get_covariance_model
from bayesgmm.em.gaussian_mixture import PARAMETER_CONSTRAINTS, GaussianMixture
from bayesgmm.em.map_prior import PRIOR_COVARIANCE_TYPES, check_prior
from bayesgmm.em.missing import MISSING_OPTIONS
from bayesgmm.exceptions import ComponentCollapseWarning, RangeEdgeWarning
from bayesgmm.selection.criterion_matrix import CRITERIA, bic_matrix
from bayesgmm.selection.grid import run_grid
from bayesgmm.selection.k_range import (
    candidate_name,
    candidate_names,
    check_grid,
    check_k_range,
    distinct_univariate,
    plan_cells,
)
from bayesgmm.selection.noise_grid import grid_noise, warn_noise_only

__all__ = [
    "CRITERIA",
    "ModelSelection",
    "bic_matrix",
    "candidate_name",
    "candidate_names",
    "criterion_grid",
    "select_model",
]

#: zoomed criterion plots: the y-range covers ZOOM_FACTOR x the gap to the
#: ZOOM_MODELS-th best model, at least ZOOM_MIN units
ZOOM_MODELS = 6
ZOOM_FACTOR = 1.5
ZOOM_MIN = 10.0


#: the :func:`select_model` settings a pipeline passes through (``grid_options``) and
#: what each may be (the grid, criterion, restarts, seed and ``missing`` are its own)
GRID_OPTIONS: dict[str, Constraint] = {
    "max_iter": PARAMETER_CONSTRAINTS["max_iter"],
    "tol": PARAMETER_CONSTRAINTS["tol"],
    "reg_covar": PARAMETER_CONSTRAINTS["reg_covar"],
    "init_params": PARAMETER_CONSTRAINTS["init_params"],
    "n_jobs": Constraint(
        lambda v: v is None or (is_int(v) and v != 0),
        "None or a nonzero integer (-1 for all cores)",
    ),
    "prior": PARAMETER_CONSTRAINTS["prior"],
    "hypervolume": PARAMETER_CONSTRAINTS["hypervolume"],
}


@dataclass
class ModelSelection:
    """Result of :func:`select_model`: the criterion table and the fitted models.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per fitted model (columns ``n_components``, ``covariance_type``,
        ``mclust_name``, ``n_parameters``, ``log_likelihood``, ``bic``, ``aic``,
        ``icl``, ``delta`` (criterion minus the best), ``converged``, ``degenerate``,
        ``warnings``), sorted by ``criterion`` (lower is better), sound fits first:
        ``degenerate`` marks a fit with a collapsed component or one holding fewer
        effective samples than its free parameters (named in ``warnings``); such
        fits rank after every sound one.
    criterion : str
        The criterion the table is ranked by.
    estimators : dict
        Fitted :class:`~bayesgmm.GaussianMixture` per ``(n_components,
        covariance_type)``.
    n_samples : int
        Number of observations fitted.
    noise_only : dict or None
        With ``noise``: the model of uniform noise alone (K = 0, mclust's row "0"):
        ``log_likelihood`` ``-n log V``, ``n_parameters`` 1 (``V``, as mclust
        counts it), ``bic``, ``aic`` and ``icl``. :func:`select_model` warns when it
        beats every mixture. None without noise.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> result = select_model(load_faithful(), range(1, 5), ["tied"], n_init=2)
    >>> result.best_params_
    {'n_components': 3, 'covariance_type': 'tied'}
    """

    table: pd.DataFrame
    criterion: str
    estimators: dict[tuple[int, str], GaussianMixture] = field(repr=False)
    n_samples: int = 0
    #: the covariance structures of the grid and the fit settings (what :meth:`extend` reuses)
    covariance_types: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict, repr=False)
    n_jobs: int | None = field(default=None, repr=False)
    noise_only: dict[str, float] | None = None

    def edges(self, criteria: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """The criteria whose best model has the largest K tried for its structure.

        At that edge of the range a larger K might be better still: the grid cannot
        tell. A structure fitted at a single K makes no choice of K and has no edge;
        degenerate fits are skipped as in the ranking (so a best model followed by
        degenerate fits at larger K is not at the edge: the data support no more).

        Parameters
        ----------
        criteria : iterable of {"bic", "icl", "aic"}, default=None
            Criteria to look at (the ranking criterion, BIC and ICL when ``None``).

        Returns
        -------
        dict of str to dict
            For each criterion at the edge: ``name`` (``"K=6 full"``),
            ``n_components``, ``covariance_type``, ``largest_k`` (the largest K
            fitted for that structure) and ``extendable`` (whether K + 1 has fewer
            free parameters than rows, so that a larger range can be fitted).

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the RangeEdgeWarning says the same
        ...     result = select_model(load_faithful(), [1, 2], "tied", n_init=1)
        >>> result.edges()["bic"]["name"], result.at_edge_
        ('K=2 tied', True)
        """
        chosen = [self.criterion, *CRITERIA[:2]] if criteria is None else list(criteria)
        table = self.table
        sound = table[~table["degenerate"].astype(bool)] if "degenerate" in table else table
        sound = table if sound.empty else sound
        n_features = next(iter(self.estimators.values())).n_features_in_ if self.estimators else 1
        out: dict[str, dict[str, Any]] = {}
        for name in dict.fromkeys(chosen):
            if name not in CRITERIA:
                raise ValueError(f"criteria must be among {list(CRITERIA)}; got {name!r}.")
            best = sound.loc[sound[name].idxmin()]
            k, cov = int(best.n_components), str(best.covariance_type)
            tried = table.n_components[table.covariance_type == cov]
            if tried.nunique() < 2 or k < int(tried.max()):
                continue
            n_next = get_covariance_model(cov).n_parameters(k + 1, n_features)
            out[name] = {
                "name": candidate_name(k, cov),
                "n_components": k,
                "covariance_type": cov,
                "largest_k": int(tried.max()),
                "extendable": k + 1 <= self.n_samples and n_next < self.n_samples,
            }
        return out

    @property
    def at_edge_(self) -> bool:
        """Whether the best model by the ranking criterion has the largest K tried.

        Returns
        -------
        bool
            See :meth:`edges`.
        """
        return bool(self.edges([self.criterion]))

    def extend(
        self, X: ArrayLike, n_components: Iterable[int], *, progress: bool | TextIO = False
    ) -> ModelSelection:
        """The grid with more numbers of components: only the new cells are fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data this grid was fitted to.
        n_components : iterable of int
            Numbers of components to add (those already fitted are not refitted).
        progress : bool or file-like, default=False
            Print one line per new fit.

        Returns
        -------
        ModelSelection
            A new result: every row and fitted estimator of this one (the same
            objects) and the new cells, ranked together. Warns
            (:class:`~bayesgmm.exceptions.RangeEdgeWarning`) as :func:`select_model`.

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> import warnings
        >>> X = load_faithful()
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     small = select_model(X, [1, 2], "tied", n_init=1)
        >>> wider = small.extend(X, range(1, 5))
        >>> (
        ...     wider.best_params_["n_components"],
        ...     wider.estimators[(2, "tied")] is small.estimators[(2, "tied")],
        ... )
        (3, True)
        """
        if not self.settings or not self.covariance_types:
            raise ValueError(
                "this ModelSelection does not hold its fit settings (it was not made by "
                "select_model); run select_model over the whole range instead."
            )
        missing = self.settings.get("missing", "error")
        data = validate_data(X, min_samples=2, allow_nan=missing == "marginalize")
        if data.n_samples != self.n_samples:
            raise ValueError(
                f"X has {data.n_samples} rows, but this grid was fitted to {self.n_samples}. "
                "Pass the data the grid was fitted to."
            )
        ks = check_k_range(n_components)
        cells = plan_cells(ks, self.covariance_types, data.shape, allow_empty=True)
        cells = [cell for cell in cells if cell not in self.estimators]
        if not cells:
            return self
        stream = progress_stream(progress)
        results = run_grid(data.without_names(), cells, self.settings, self.n_jobs, stream)
        rows = self.table.drop(columns="delta").to_dict(orient="records")
        old = [
            (row, self.estimators[(row["n_components"], row["covariance_type"])]) for row in rows
        ]
        selection = _assemble(
            old + results, self.criterion, self.n_samples, self.covariance_types,
            self.settings, self.n_jobs, self.noise_only,
        )  # fmt: skip
        _warn_edge(selection, stacklevel=2)
        return selection

    @property
    def best_params_(self) -> dict[str, Any]:
        """``n_components`` and ``covariance_type`` of the best model.

        Returns
        -------
        dict

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> select_model(load_faithful(), [1, 2, 3], "full", n_init=1).best_params_
        {'n_components': 2, 'covariance_type': 'full'}
        """
        best = self.table.iloc[0]
        return {
            "n_components": int(best.n_components),
            "covariance_type": str(best.covariance_type),
        }

    @property
    def best_estimator_(self) -> GaussianMixture:
        """The fitted :class:`~bayesgmm.GaussianMixture` with the best criterion.

        Returns
        -------
        GaussianMixture

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> select_model(load_faithful(), [1, 2, 3], "full").best_estimator_.n_components
        2
        """
        params = self.best_params_
        return self.estimators[(params["n_components"], params["covariance_type"])]

    def candidates(self, n: int = 3, *, distinct_k: bool = False) -> pd.DataFrame:
        """The ``n`` best models by the criterion.

        Parameters
        ----------
        n : int, default=3
            Number of candidates.
        distinct_k : bool, default=False
            Keep only the best covariance type for each number of components (so
            the candidates differ in K, the question a Bayesian comparison asks).

        Returns
        -------
        pandas.DataFrame
            The top rows of :attr:`table`.

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> result = select_model(load_faithful(), range(1, 5), ["tied", "full"], n_init=2)
        >>> result.candidates(2, distinct_k=True)["n_components"].tolist()
        [3, 4]
        """
        check_integer("n", n, 1)
        table = self.table
        if distinct_k:
            table = table.drop_duplicates("n_components", keep="first")
        return table.head(int(n)).reset_index(drop=True)

    def matrix(self, criterion: str | None = None) -> pd.DataFrame:
        """The criterion as a K x covariance-type matrix (mclust's BIC table layout).

        Parameters
        ----------
        criterion : {"bic", "icl", "aic", "log_likelihood"}, default=None
            Column to show (the ranking criterion when ``None``).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> select_model(load_faithful(), range(1, 5), ["full", "tied"], n_init=1).matrix().shape
        (4, 2)
        """
        return bic_matrix(self.table, criterion or self.criterion)

    def to_mclust(self) -> pd.DataFrame:
        """The BIC and ICL matrices in mclust's sign and names (higher is better).

        Returns
        -------
        pandas.DataFrame
            Columns are a MultiIndex (``"BIC"``/``"ICL"``, mclust model name such as
            ``"EEE"``, in mclust's order EII ... VVV), rows are K: the layout of
            ``mclustBIC(X)``. In one dimension the names are mclust's E and V.

        Examples
        --------
        >>> from bayesgmm import load_faithful
        >>> m = select_model(load_faithful(), [3], ["tied"], n_init=3).to_mclust()
        >>> round(float(m.loc[3, ("BIC", "EEE")]), 1)  # mclust: -2314.316
        -2314.3
        """
        parts = {c.upper(): bic_matrix(self.table, c, mclust=True) for c in ("bic", "icl")}
        if self.noise_only is not None:  # mclust's row 0: noise alone, in every column
            for name, part in parts.items():
                part.loc[0] = -self.noise_only[name.lower()]
                parts[name] = part.sort_index()
        return pd.concat(parts, axis=1)

    def plot(
        self, criterion: str | list[str] | None = None, ax: Any = None, *, zoom: bool = False
    ) -> Any:
        """Plot the criterion against K, one line per covariance type.

        Parameters
        ----------
        criterion : {"bic", "icl", "aic", "log_likelihood"} or list, default=None
            Criterion to draw (the ranking criterion when ``None``); a list draws
            one panel per criterion, e.g. ``["bic", "icl"]``.
        ax : matplotlib Axes or array of Axes, default=None
            Where to draw (a new figure when ``None``).
        zoom : bool, default=False
            Limit the y-axis to the competitive range: from the best value to
            ``ZOOM_FACTOR`` times the gap to the ``ZOOM_MODELS``-th best model (at
            least ``ZOOM_MIN`` units), so that a close contest at the top is visible
            rather than flattened by the worst curve. Criteria are ``lower is
            better`` here.

        Returns
        -------
        matplotlib Axes or ndarray of Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from bayesgmm import load_faithful
        >>> result = select_model(load_faithful(), range(1, 5), n_init=1)
        >>> axes = result.plot(["bic", "icl"])
        >>> len(axes)
        2
        """
        import matplotlib.pyplot as plt

        criteria = [criterion or self.criterion] if not isinstance(criterion, list) else criterion
        if ax is None:
            _, ax = plt.subplots(1, len(criteria), figsize=(5 * len(criteria), 3.6), squeeze=False)
            ax = ax[0]
        axes = np.atleast_1d(ax)
        if len(axes) != len(criteria):
            raise ValueError(
                f"ax must hold {len(criteria)} Axes (one per criterion); got {len(axes)}."
            )
        for panel, name in zip(axes, criteria, strict=True):
            matrix = bic_matrix(self.table, name)
            for cov in matrix.columns:
                mclust = self.table.mclust_name[self.table.covariance_type == cov].iloc[0]
                label = cov if cov == mclust else f"{cov} ({mclust})"
                panel.plot(matrix.index, matrix[cov], marker="o", label=label)
            if name in CRITERIA:  # circle each panel's own best model
                best = self.table.loc[self.table[name].idxmin()]
                panel.scatter(
                    [best["n_components"]],
                    [best[name]],
                    s=160,
                    facecolors="none",
                    edgecolors="black",
                    zorder=3,
                    label=f"best by {name.upper()}",
                )
            panel.set_xlabel("number of components K")
            panel.set_ylabel(f"{name.upper()} (lower is better)" if name in CRITERIA else name)
            panel.set_xticks(list(matrix.index))
            if zoom and name in CRITERIA:
                values = np.sort(self.table[name].to_numpy(dtype=np.float64))
                values = values[np.isfinite(values)]
                gap = values[min(ZOOM_MODELS, len(values)) - 1] - values[0]
                span = max(ZOOM_MIN, ZOOM_FACTOR * gap)
                panel.set_ylim(values[0] - 0.08 * span, values[0] + span)
                panel.set_title(f"{name.upper()}, competitive range", fontsize="medium")
            panel.legend(fontsize="small")
        return axes if len(axes) > 1 else axes[0]

    def _edge_note(self) -> str:
        edge = self.edges([self.criterion]).get(self.criterion)
        if edge is None:
            return ""
        return (
            f" (the largest K tried for {edge['covariance_type']}: a larger K may be better; "
            "see .edges() and .extend())"
        )

    def __str__(self) -> str:
        best = self.best_params_
        head = (
            f"Model selection by {self.criterion.upper()} (lower is better), "
            f"{len(self.table)} models, n = {self.n_samples}: best K = "
            f"{best['n_components']}, covariance_type = {best['covariance_type']!r}"
            + self._edge_note()
        )
        columns = [c for c in self.table.columns if c not in ("warnings", "mclust_name")]
        return head + "\n" + format_table(self.table[columns], index=False)

    def _repr_html_(self) -> str:
        best = self.best_params_
        head = (
            f"<p><b>Model selection by {self.criterion.upper()}</b> (lower is better), "
            f"{len(self.table)} models, n = {self.n_samples}: best K = "
            f"{best['n_components']}, covariance_type = {best['covariance_type']!r}"
            f"{self._edge_note()}</p>"
        )
        return head + self.candidates(min(5, len(self.table))).to_html(
            index=False, float_format=lambda v: f"{v:.3f}"
        )


def select_model(
    X: ArrayLike,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] | str = COVARIANCE_TYPES,
    *,
    criterion: str = "bic",
    n_init: int = 1,
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    init_params: str = "hierarchical",
    random_state: RandomStateLike = 0,
    n_jobs: int | None = None,
    progress: bool | TextIO = False,
    missing: MissingOption = "error",
    prior: str | Mapping[str, Any] | None = None,
    noise: bool | ArrayLike = False,
    hypervolume: float | None = None,
) -> ModelSelection:
    """Fit EM for every (K, covariance type) and rank the models by BIC, ICL or AIC.

    The scikit-learn counterpart is a loop over ``GaussianMixture(...).bic(X)``; the
    mclust counterpart is ``mclustBIC`` (and ``mclustICL``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    n_components : iterable of int, default=range(1, 10)
        Numbers of components to try. Values above ``n_samples`` are skipped.
    covariance_types : str or iterable of str, default=all four
        Covariance structures to try (``"full"``, ``"tied"``, ``"diag"``,
        ``"spherical"``, or mclust names such as ``"EEE"``); ``"all"`` is mclust's 14
        models (with a ``prior``: the ten that have one, as mclust, whose table shows
        the others as missing).
    criterion : {"bic", "icl", "aic"}, default="bic"
        Ranking criterion; all three are reported. ICL (Biernacki et al. 2000)
        penalises overlapping components and prefers well-separated clusters.
    n_init : int, default=1
        EM starts per model; the best log-likelihood is kept. The first start is
        mclust's (``init_params="hierarchical"``: one agglomerative tree, built once
        for the whole grid), further ones k-means; multimodal likelihoods (galaxies)
        need 20 or more.
    init_params : str, default="hierarchical"
        The first start of every model (:class:`~bayesgmm.GaussianMixture`'s
        ``init_params``); with the default and ``n_init=1`` the search is
        ``Mclust(X)``'s.
    max_iter, tol, reg_covar
        Passed to :class:`~bayesgmm.GaussianMixture`.
    random_state : int, Generator, RandomState or None, default=0
        Seed; each cell gets the same seed, so any cell can be reproduced alone
        with ``GaussianMixture(k, covariance_type=..., n_init=..., init_params=...,
        random_state=...)``.
    n_jobs : int or None, default=None
        Worker processes (``-1``: one per core). Process start-up costs about a
        second, so this pays off only when the grid takes tens of seconds.
    progress : bool or file-like, default=False
        Print one line per fitted model (to stderr when ``True``).
    missing : {"error", "marginalize"}, default="error"
        What NaN cells mean (as in :class:`~bayesgmm.GaussianMixture`): with
        ``"marginalize"`` every model is fitted to the observed cells (missing at
        random) and its criteria use the observed-data log-likelihood.
    prior : None, "default" or dict, default=None
        Conjugate-prior (MAP) EM in every cell, as ``mclustBIC(X, prior =
        priorControl())``: each model gets mclust's default prior for its K and
        covariance type (a dict overrides some values); BIC uses the log-likelihood
        at the posterior mode. Full, tied, diag and spherical only.
    noise : bool or array-like of bool, default=False
        A uniform noise component in every model, as ``Mclust(X, initialization =
        list(noise = mask))``: ``True`` starts the noise from the nearest-neighbour
        clutter removal (:func:`bayesgmm.em.noise.nearest_neighbour_clean`, run once
        for the grid), or a boolean mask marks the rows that start as noise. The
        hierarchical start clusters the other rows. The noise-only model (K = 0) is
        reported as ``noise_only`` (see :class:`ModelSelection`).
    hypervolume : float or None, default=None
        ``V`` of the noise density ``1 / V``; None: mclust's ``hypvol`` of ``X``.

    Returns
    -------
    ModelSelection
        ``.table``, ``.best_params_``, ``.best_estimator_``, ``.candidates()``,
        ``.plot()``, ``.to_mclust()``.

    Raises
    ------
    ValueError
        For an unknown criterion or covariance type, or an empty grid.

    Notes
    -----
    With one feature, ``"full"``, ``"diag"`` and ``"spherical"`` are the same model
    (mclust's V, unequal variances) and ``"tied"`` is mclust's E: only the first of
    the three that is asked for is fitted.

    Convergence and collapse warnings of individual fits are collected in the
    ``warnings`` column instead of being printed: a grid routinely contains models
    too rich for the data. Fits with a degenerate component are flagged
    (``degenerate``) and ranked after the sound ones, with a warning when one of them
    had the best criterion. Models with at least as many free parameters as rows
    are not fitted (a warning names them; if none is left, a ``ValueError``).

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> result = select_model(load_faithful(), range(1, 5), n_init=3)
    >>> result.best_params_
    {'n_components': 3, 'covariance_type': 'tied'}
    >>> round(float(result.table.loc[0, "bic"]), 1)
    2314.3
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {list(CRITERIA)}; got {criterion!r}.")
    if missing not in MISSING_OPTIONS:
        raise ValueError(f"missing must be one of {list(MISSING_OPTIONS)}; got {missing!r}.")
    check_prior(prior)
    data = validate_data(
        X,
        min_samples=2,
        allow_nan=missing == "marginalize",
        nan_hint="Pass missing='marginalize' to fit the observed cells, or impute or drop "
        "those rows.",
    ).without_names()  # the grid's estimators are fitted to the array
    ks, names = check_grid(n_components, covariance_types)
    n, n_features = data.shape
    if n_features == 1:
        names = distinct_univariate(names)
    settings: dict[str, Any] = {  # GaussianMixture's, for every cell
        "n_init": n_init,
        "max_iter": max_iter,
        "tol": tol,
        "reg_covar": reg_covar,
        "init_params": init_params,
        "random_state": random_state,
        "missing": missing,
        "prior": prior,
    }
    unsupported = [c for c in names if c not in PRIOR_COVARIANCE_TYPES]
    if prior is not None and unsupported and covariance_types == "all":
        # as Mclust(X, prior = priorControl()): the models without a prior drop out
        names = [c for c in names if c in PRIOR_COVARIANCE_TYPES]
    elif prior is not None and unsupported:
        raise ValueError(
            f"prior is available for covariance types {list(PRIOR_COVARIANCE_TYPES)} "
            f"(mclust has none for VEE, EVE, VVE, EVV); the grid also has {unsupported}. "
            "Leave them out of covariance_types or fit without a prior."
        )
    noise_only = grid_noise(noise, hypervolume, data, settings)
    cells = plan_cells(ks, names, data.shape, allow_empty=False)
    probe = GaussianMixture(1, **settings)
    check_parameters(probe, PARAMETER_CONSTRAINTS)
    stream = progress_stream(progress)
    results = run_grid(data, cells, settings, n_jobs, stream)
    selection = _assemble(results, criterion, n, names, settings, n_jobs, noise_only)
    _warn_edge(selection, stacklevel=2)
    if noise_only is not None:
        warn_noise_only(noise_only, selection.table, criterion, stacklevel=2)
    return selection


def _assemble(
    results: list[tuple[dict[str, Any], GaussianMixture]],
    criterion: str,
    n: int,
    names: list[str],
    settings: dict[str, Any],
    n_jobs: int | None,
    noise_only: dict[str, float] | None = None,
) -> ModelSelection:
    """Rank the fitted cells (sound fits first) into a :class:`ModelSelection`."""
    table = pd.DataFrame([row for row, _ in results])
    first = table.loc[table[criterion].idxmin()]
    # degenerate fits (a collapsed component, or one with fewer effective samples than
    # its parameters) rank after every sound fit: their criterion is not trustworthy
    table = table.sort_values(["degenerate", criterion], kind="stable").reset_index(drop=True)
    if first.degenerate and not table.degenerate.all():
        warnings.warn(
            f"{candidate_name(first.n_components, first.covariance_type)} has the best "
            f"{criterion.upper()} but a degenerate component ({first.warnings}). It is "
            "ranked after the sound models; see the table's 'degenerate' and 'warnings' "
            "columns.",
            ComponentCollapseWarning,
            stacklevel=3,
        )
    table.insert(
        table.columns.get_loc("converged"), "delta", table[criterion] - table[criterion].iloc[0]
    )
    estimators = {(row["n_components"], row["covariance_type"]): gm for row, gm in results}
    return ModelSelection(
        table=table,
        criterion=criterion,
        estimators=estimators,
        n_samples=n,
        covariance_types=list(names),
        settings=dict(settings),
        n_jobs=n_jobs,
        noise_only=noise_only,
    )


def _warn_edge(selection: ModelSelection, stacklevel: int) -> None:
    """A :class:`RangeEdgeWarning` when the ranking criterion's best is at the edge."""
    edge = selection.edges([selection.criterion]).get(selection.criterion)
    if edge is None:
        return
    k, cov, name = edge["n_components"], edge["covariance_type"], edge["name"]
    tried = sorted(set(selection.table.n_components[selection.table.covariance_type == cov]))
    head = (
        f"{selection.criterion.upper()} is best at {name}, the largest K tried for {cov} "
        f"(K = {tried[0]}..{tried[-1]})"
    )
    if edge["extendable"]:
        message = (
            f"{head}: a larger K may be better still. Extend the range: select_model(X, "
            f"range(1, {2 * k + 1}), ...), or result.extend(X, range({k + 1}, {2 * k + 1})) "
            "to fit only the new models; collect_evidence and run_pipeline extend it "
            "themselves."
        )
    else:
        message = (
            f"{head}; K={k + 1} {cov} would have as many free parameters as rows "
            f"(n = {selection.n_samples}), so the data cannot say whether more components "
            "are better: read the answer as 'at least K'."
        )
    warnings.warn(message, RangeEdgeWarning, stacklevel=stacklevel + 1)


def criterion_grid(
    X: ArrayLike,
    n_components: Iterable[int] = range(1, 10),
    covariance_types: Iterable[str] | str = COVARIANCE_TYPES,
    *,
    n_init: int = 1,
    max_iter: int = 500,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    random_state: RandomStateLike = 0,
    progress: bool | TextIO = False,
) -> pd.DataFrame:
    """Fit EM on a grid of models and return only the criterion table.

    Shorthand for ``select_model(...).table`` ranked by BIC.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    n_components : iterable of int, default=range(1, 10)
        Numbers of components to try.
    covariance_types : str or iterable of str, default=all four
        Covariance structures to try.
    n_init, max_iter, tol, reg_covar, random_state, progress
        As in :func:`select_model`.

    Returns
    -------
    pandas.DataFrame
        See :attr:`ModelSelection.table`.

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> table = criterion_grid(load_faithful(), range(1, 5), ["tied"], n_init=1)
    >>> best = table.iloc[0]
    >>> int(best.n_components), best.covariance_type
    (3, 'tied')
    """
    return select_model(
        X,
        n_components,
        covariance_types,
        n_init=n_init,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        random_state=random_state,
        progress=progress,
    ).table
