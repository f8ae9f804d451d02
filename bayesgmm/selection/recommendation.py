"""The rule that turns the evidence for each candidate model into one recommendation.

:class:`bayesgmm.EvidenceTable` states the rule in its module documentation and calls
:func:`recommend` on its table. Two rules are available, so that a benchmark can
weigh one against the other (``rule=`` of
:meth:`bayesgmm.EvidenceTable.from_results`):

``"k_posterior"`` (the default)
    The posterior over K (:func:`bayesgmm.posterior_over_k`) chooses K when it may
    vote (:func:`k_posterior_vote`: it passed its checks, its most probable number
    of clusters K+ is below its own ``k_max``, and the EM grid has a sound fit with
    that K). The covariance structure at that K is then chosen by PSIS-LOO among the
    usable Bayesian fits at that K (the simplest within ``loo_se`` standard errors
    of the best ELPD there), else by the lowest BIC among the grid's sound fits at
    that K. When the posterior over K may not vote, the ``"loo"`` rule applies.
``"loo"``
    With usable PSIS-LOO results, the simplest candidate within ``loo_se`` standard
    errors of the best ELPD (ties: lower BIC); otherwise the lowest BIC.

Under both, degenerate EM fits are no candidates while a sound fit exists, Bayesian
evidence counts only from fits that may be used, and candidates failing a posterior
predictive check are set aside unless all checked ones fail.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["RULES", "k_posterior_vote", "recommend"]

#: the recommendation rules (see the module documentation)
RULES = ("k_posterior", "loo")


def k_posterior_vote(k_posterior: Any, sound_grid: pd.DataFrame) -> tuple[int | None, str]:
    """The K the posterior over K chooses, or ``None`` and why it may not choose.

    Parameters
    ----------
    k_posterior : KPosterior or None
        :func:`bayesgmm.posterior_over_k`'s result.
    sound_grid : pandas.DataFrame
        The grid's sound fits (columns ``n_components``, ``covariance_type``).

    Returns
    -------
    k : int or None
        The most probable number of clusters K+, when the posterior may vote.
    why_not : str
        Empty when it votes, else the reason (a clause).

    Examples
    --------
    >>> k_posterior_vote(None, pd.DataFrame({"n_components": [1]}))
    (None, 'no posterior over K was given')
    """
    if k_posterior is None:
        return None, "no posterior over K was given"
    k = int(k_posterior.mode_clusters)
    if not k_posterior.ok:
        return None, f"it failed its checks ({'; '.join(k_posterior.problems)})"
    if k >= k_posterior.k_max:
        return None, (
            f"its most probable K+ = {k} is its own k_max, the edge of its range (raise k_max)"
        )
    if k not in {int(j) for j in sound_grid.n_components}:
        return None, (
            f"the EM grid has no sound fit with K = {k} to choose the covariance "
            "structure from (extend the grid's range)"
        )
    return k, ""


def _simplest_close(scored: pd.DataFrame, loo_se: float) -> tuple[str, str]:
    """The simplest usable fit within ``loo_se`` of the best ELPD, and the best."""
    best = scored["elpd"].idxmax()
    # standard errors behind the best usable fit (the LOO reference unless a
    # predictive check set that one aside)
    behind = scored["loo_se_behind"] - scored.loc[best, "loo_se_behind"]
    close = scored[behind < loo_se]
    choice = close.sort_values(["n_parameters", "bic"], kind="stable").index[0]
    return str(choice), str(best)


def recommend(
    frame: pd.DataFrame,
    usable: pd.Series,
    *,
    k_vote: int | None = None,
    ppc_alpha: float = 0.01,
    loo_se: float = 2.0,
    rule: str = "k_posterior",
) -> tuple[str, str, str]:
    """Apply the recommendation rule to an evidence table.

    Parameters
    ----------
    frame : pandas.DataFrame
        :attr:`bayesgmm.EvidenceTable.table` (index: candidate names).
    usable : pandas.Series of bool
        Whether each row's Bayesian evidence may be used.
    k_vote : int or None, default=None
        The posterior over K's choice (:func:`k_posterior_vote`).
    ppc_alpha, loo_se : float
        Thresholds of the rule.
    rule : {"k_posterior", "loo"}, default="k_posterior"
        See the module documentation.

    Returns
    -------
    name, why, source : str
        The recommended candidate, the sentence that explains it, and which source
        decided (``"posterior over K"``, ``"PSIS-LOO"`` or ``"BIC"``; the first may
        read ``"posterior over K, PSIS-LOO"`` when LOO chose the structure).

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"n_components": [2, 3], "n_parameters": [5, 8], "bic": [10.0, 12.0]},
    ...     index=["K=2 tied", "K=3 tied"],
    ... )
    >>> usable = pd.Series(True, index=frame.index)
    >>> recommend(frame, usable)[::2]
    ('K=2 tied', 'BIC')
    >>> recommend(frame, usable, k_vote=3)[::2]
    ('K=3 tied', 'posterior over K')
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {list(RULES)}; got {rule!r}.")
    pool = frame
    if "em_degenerate" in frame and not frame["em_degenerate"].all():
        pool = frame[~frame["em_degenerate"].astype(bool)]
    usable = usable.reindex(pool.index).fillna(True).astype(bool)
    note = ""
    if "ppc_min_p" in pool:
        checked = pool["ppc_min_p"].notna() & usable
        failing = checked & (pool["ppc_min_p"] < ppc_alpha)
        if checked.any() and failing[checked].all():
            note = " (every checked candidate fails a predictive check)"
        else:
            pool = pool[~failing]
            usable = usable[pool.index]
    has_loo = "elpd" in pool
    if rule == "k_posterior" and k_vote is not None:
        at_k = pool[pool.n_components == k_vote]
        if len(at_k):
            scored = at_k[at_k["elpd"].notna() & usable[at_k.index]] if has_loo else at_k[:0]
            if len(scored):
                choice, _ = _simplest_close(scored, loo_se)
                return (
                    choice,
                    (
                        f"Recommended {choice}: the posterior over K chose K = {k_vote} (its "
                        "most probable number of clusters), and PSIS-LOO the covariance "
                        f"structure at that K (the simplest within {loo_se:g} se of the best "
                        f"ELPD there){note}."
                    ),
                    "posterior over K, PSIS-LOO",
                )
            choice = str(at_k.sort_values("bic", kind="stable").index[0])
            return (
                choice,
                (
                    f"Recommended {choice}: the posterior over K chose K = {k_vote} (its most "
                    "probable number of clusters), and BIC the covariance structure at that "
                    f"K (no usable Bayesian fit with K = {k_vote}){note}."
                ),
                "posterior over K",
            )
    if has_loo and (pool["elpd"].notna() & usable).any():
        scored = pool[pool["elpd"].notna() & usable]
        choice, best = _simplest_close(scored, loo_se)
        if choice == best:
            why = f"Recommended {choice}: the best PSIS-LOO ELPD{note}."
        else:
            why = (
                f"Recommended {choice}: the simplest model within {loo_se:g} se of "
                f"the best PSIS-LOO ELPD ({best}){note}."
            )
        return choice, why, "PSIS-LOO"
    choice = str(pool.sort_values("bic", kind="stable").index[0])
    if has_loo:
        return (
            choice,
            (
                f"Recommended {choice}: the lowest BIC, because no Bayesian fit both "
                "passed its sampler diagnostics and has a reliable (or repaired) PSIS-LOO "
                f"(see bayes_diagnostics and loo_state){note}."
            ),
            "BIC",
        )
    return choice, f"Recommended {choice}: the lowest BIC{note}.", "BIC"
