"""No answer from the edge of the range: extending K while a source's best sits there.

When the best model of a voting source -- BIC or ICL over the EM grid, PSIS-LOO over
the Bayesian fits -- has the largest K that source tried, a larger K might be better
still and the answer says more about the range than about the data.
:func:`extend_grid` then doubles the grid's range (K_max -> 2 K_max), fitting only
the new cells and merging them into the :class:`~bayesgmm.selection.model_selection.ModelSelection`
(:meth:`~bayesgmm.selection.model_selection.ModelSelection.extend`), until no source is at the edge
or the cap is reached (:func:`bayesgmm.selection.k_range.automatic_k_cap`, or the user's
``k_cap``). :func:`extend_loo` adds the next K of the LOO-best model's structure to
the PSIS-LOO comparison, its Bayesian fit started from the grid's EM fit of that
cell. A :class:`RangeExtension` records what was done and why it stopped, for the
progress lines and the evidence table's reasons; where the cap (or the data) stops
the extension, the evidence table recommends "at least K".
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from bayesgmm.exceptions import RangeEdgeWarning
from bayesgmm.selection.evidence import EvidenceTable
from bayesgmm.selection.k_range import automatic_k_cap, candidate_name
from bayesgmm.selection.model_selection import ModelSelection

__all__ = ["RangeExtension", "extend_grid", "extend_loo"]

#: the grid's voting criteria, as the evidence table names them
GRID_SOURCES = {"bic": "BIC", "icl": "ICL"}


@dataclass
class RangeExtension:
    """What the automatic extension of the range of K did, and where it stopped.

    Parameters
    ----------
    enabled : bool
        Whether the range may be extended (``extend`` of the pipeline).
    k_cap : int
        The largest K it may reach.
    automatic_cap : bool
        Whether ``k_cap`` is :func:`~bayesgmm.selection.k_range.automatic_k_cap`'s.

    Attributes
    ----------
    steps : list of dict
        One per extension: ``source`` (what was at the edge), ``model``, ``from_k``
        (the largest K tried before) and ``added`` (the K fitted).
    remaining : dict of str to dict
        Sources still at the edge when the extension stopped: the edge (``name``,
        ``n_components``, ...) and ``why`` it stopped.

    Examples
    --------
    >>> extension = RangeExtension.for_data(True, None, 272, 2, ["full", "tied"])
    >>> extension.k_cap, extension.reasons()
    (17, [])
    """

    enabled: bool
    k_cap: int
    automatic_cap: bool = True
    steps: list[dict[str, Any]] = field(default_factory=list)
    remaining: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def for_data(
        cls,
        enabled: bool,
        k_cap: int | None,
        n_samples: int,
        n_features: int,
        covariance_types: Iterable[str],
    ) -> RangeExtension:
        """The extension's settings for data of this shape (the automatic cap if ``None``).

        Parameters
        ----------
        enabled : bool
            Whether to extend.
        k_cap : int or None
            The user's cap, or ``None`` for :func:`~bayesgmm.selection.k_range.automatic_k_cap`.
        n_samples, n_features : int
            Shape of the data.
        covariance_types : iterable of str
            The grid's structures.

        Returns
        -------
        RangeExtension
        """
        if k_cap is not None:
            return cls(enabled, int(k_cap), automatic_cap=False)
        return cls(enabled, automatic_k_cap(n_samples, n_features, covariance_types))

    def _limit(self) -> str:
        if not self.enabled:
            return "the extension of the range is off (extend=False)"
        if self.automatic_cap:
            return (
                f"K = {self.k_cap} is the automatic cap (the simplest structure keeps 5 rows "
                "per free parameter; pass k_cap to change it)"
            )
        return f"K = {self.k_cap} is the cap (k_cap)"

    def reasons(self) -> list[str]:
        """The extension in words, for the evidence table.

        Returns
        -------
        list of str
        """
        out = []
        for step in self.steps:
            added = step["added"]
            span = f"{added[0]}..{added[-1]}" if len(added) > 1 else str(added[0])
            cause = step.get("cause") or (
                f"{step['source']} best at {step['model']}, the largest K tried ({step['from_k']})"
            )
            out.append(f"Range extended: {cause}; K = {span} fitted.")
        grouped: dict[tuple[str, str], list[str]] = {}
        for source, edge in self.remaining.items():
            grouped.setdefault((edge["name"], edge["why"]), []).append(source)
        for (name, why), sources in grouped.items():
            k = self.remaining[sources[0]]["n_components"]
            verb = "is" if len(sources) == 1 else "are"
            out.append(
                f"{' and '.join(sources)} {verb} still best at {name}, the largest K tried: "
                f"{why}. Read it as 'at least {k}'."
            )
        return out


def _quiet_extend(
    selection: ModelSelection, data: Any, ks: range, progress: bool | TextIO
) -> ModelSelection:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeEdgeWarning)  # the extension says it instead
        return selection.extend(data, ks, progress=progress)


def extend_grid(
    data: Any,
    selection: ModelSelection,
    extension: RangeExtension,
    *,
    criteria: Iterable[str] = tuple(GRID_SOURCES),
    target: int | None = None,
    because: str = "",
    say: Callable[[str], None] = lambda message: None,
    progress: bool | TextIO = False,
) -> ModelSelection:
    """Double the grid's range while a criterion's best model has the largest K tried.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        The data the grid was fitted to.
    selection : ModelSelection
        The grid.
    extension : RangeExtension
        Settings (cap, on/off); the steps and remaining edges are recorded in it.
    criteria : iterable of {"bic", "icl", "aic"}, default=("bic", "icl")
        The criteria whose edge is extended.
    target : int, default=None
        Also extend (doubling, within the cap) until the grid reaches this K.
    because : str, default=""
        Why the target is needed (for the progress line and the reasons).
    say : callable, default=no-op
        Receives one progress line per extension.
    progress : bool or file-like, default=False
        A line per new EM fit.

    Returns
    -------
    ModelSelection
        The grid with the new cells (the same object when nothing was added); its
        earlier estimators are the same objects.

    Examples
    --------
    >>> import warnings
    >>> from bayesgmm import load_faithful, select_model
    >>> X = load_faithful()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     grid = select_model(X, [1, 2], "tied", n_init=1)
    >>> extension = RangeExtension(True, 8, automatic_cap=False)
    >>> wider = extend_grid(X, grid, extension)
    >>> sorted(set(wider.table.n_components)), wider.best_params_["n_components"]
    ([1, 2, 3, 4], 3)
    >>> extension.reasons()[0]
    'Range extended: BIC and ICL best at K=2 tied, the largest K tried (2); K = 3..4 fitted.'
    """
    criteria = list(criteria)
    while True:
        edges = selection.edges(criteria) if criteria else {}
        k_top = int(selection.table.n_components.max())
        need = target is not None and target > k_top
        for criterion in criteria:
            extension.remaining.pop(GRID_SOURCES.get(criterion, criterion.upper()), None)
        movable = {c: e for c, e in edges.items() if e["extendable"]}
        why = None
        if not edges and not need:
            return selection
        if not movable and not need:
            why = "one more component would have as many free parameters as rows"
        elif not extension.enabled or k_top >= extension.k_cap:
            why = extension._limit()
        if why is not None:
            _remember(extension, edges, why)
            return selection
        new_top = min(max(2 * k_top, target or 0), extension.k_cap)
        sources = " and ".join(GRID_SOURCES.get(c, c.upper()) for c in movable)
        model = next(iter(movable.values()))["name"] if movable else f"K={target}"
        cause = (
            f"{sources} best at {model}, the largest K tried ({k_top})"
            if movable
            else (because or f"K = {target} is needed, beyond the largest K tried ({k_top})")
        )
        say(f"Range extended: {cause}; fitting K = {k_top + 1}..{new_top} (cap {extension.k_cap})")
        before = len(selection.table)
        selection = _quiet_extend(selection, data, range(k_top + 1, new_top + 1), progress)
        added = sorted(set(selection.table.n_components) - set(range(k_top + 1)))
        if len(selection.table) == before or not added:
            _remember(extension, edges, "no model with more components can be estimated")
            return selection
        extension.steps.append(
            {
                "source": sources or "target",
                "model": model,
                "from_k": k_top,
                "added": [int(k) for k in added],
                "cause": cause,
            }
        )


def _remember(extension: RangeExtension, edges: Mapping[str, dict[str, Any]], why: str) -> None:
    for criterion, edge in edges.items():
        extension.remaining[GRID_SOURCES.get(criterion, criterion.upper())] = {**edge, "why": why}


def extend_loo(
    data: Any,
    selection: ModelSelection,
    comparison: Any,
    extension: RangeExtension,
    *,
    fit_options: Mapping[str, Any],
    say: Callable[[str], None] = lambda message: None,
    progress: bool | TextIO = False,
) -> tuple[ModelSelection, Any]:
    """Add the next K to the PSIS-LOO comparison while its best fit has the largest K.

    The LOO-best usable fit (as the evidence table sees it,
    :meth:`~bayesgmm.EvidenceTable.loo_edge`: decisively ahead of every fit with
    fewer components) with the largest K compared gets a rival: the next K of its
    structure, fitted from the grid's EM fit of that cell (the grid is extended first
    when it has no such cell). Stops
    when the best is inside the compared range, or at the cap, or when the next
    cell's EM fit is degenerate.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        The data.
    selection : ModelSelection
        The EM grid.
    comparison : LOOComparison
        The comparison so far (:func:`bayesgmm.selection.loo_comparison.compare_loo`).
    extension : RangeExtension
        Settings; steps and remaining edges are recorded in it.
    fit_options : mapping
        :class:`~bayesgmm.BayesianGaussianMixture` settings of the new fits
        (``draws``, ``tune``, ``chains``, ``random_state``, ``missing``, ...).
    say : callable, default=no-op
        Receives the progress lines.
    progress : bool or file-like, default=False
        Passed to the grid's extension and to :func:`compare_loo`.

    Returns
    -------
    selection, comparison
        The grid (extended if needed) and the comparison with the added fits (the
        earlier fits are the same objects, not refitted).

    Examples
    --------
    :func:`bayesgmm.selection.pipeline.run_pipeline` calls it after the LOO step
    (``extend=True``); by hand, with a grid and its comparison:

    >>> extension = RangeExtension(True, 12, automatic_cap=False)  # doctest: +SKIP
    >>> selection, comparison = extend_loo(
    ...     X, selection, comparison, extension, fit_options={"draws": 1000}
    ... )  # doctest: +SKIP
    """
    from bayesgmm.bayes.estimator import BayesianGaussianMixture
    from bayesgmm.selection.loo_comparison import compare_loo

    while True:
        edge = EvidenceTable.from_results(selection, loo=comparison).loo_edge()
        extension.remaining.pop("PSIS-LOO", None)
        if edge is None:
            return selection, comparison
        k, cov = edge["n_components"], edge["covariance_type"]
        table = selection.table
        larger = sorted(int(j) for j in table.n_components[table.covariance_type == cov] if j > k)
        if not larger:
            selection = extend_grid(
                data,
                selection,
                extension,
                criteria=(),
                target=k + 1,
                because=f"PSIS-LOO's best, {edge['name']}, needs K = {k + 1} to be weighed",
                say=say,
                progress=progress,
            )
            table = selection.table
            larger = sorted(
                int(j) for j in table.n_components[table.covariance_type == cov] if j > k
            )
        if not larger:
            why = (
                extension._limit()
                if not extension.enabled or k >= extension.k_cap
                else "one more component cannot be estimated from these rows"
            )
            extension.remaining["PSIS-LOO"] = {**edge, "why": why}
            return selection, comparison
        k_next = larger[0]
        row = table[(table.n_components == k_next) & (table.covariance_type == cov)].iloc[0]
        name = candidate_name(k_next, cov)
        if bool(row.degenerate):
            why = f"the EM fit of {name} is degenerate ({row.warnings})"
            extension.remaining["PSIS-LOO"] = {**edge, "why": why}
            return selection, comparison
        say(
            f"PSIS-LOO best at {edge['name']}, the largest K compared: adding {name} "
            "(Bayesian fit from its EM fit)"
        )
        start = selection.estimators[(k_next, cov)]
        model = BayesianGaussianMixture.from_em(start, **{"progressbar": False, **fit_options})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(data)
        for w in caught:
            warnings.warn_explicit(f"{name}: {w.message}", w.category, w.filename, w.lineno)
        skipped = dict(getattr(comparison, "skipped", {}))
        comparison = compare_loo(
            data,
            {**comparison.models, name: model},
            progress=progress,
            missing=fit_options.get("missing", "error"),
        )
        comparison.skipped = {**skipped, **comparison.skipped}
        extension.steps.append(
            {"source": "PSIS-LOO", "model": edge["name"], "from_k": k, "added": [k_next]}
        )
