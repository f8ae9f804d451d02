"""Choosing the number of components and the covariance model.

The EM grid (:func:`select_model`, BIC/ICL/AIC over K and the covariance models;
:mod:`~bayesgmm.selection.grid` fits its cells), the bootstrap likelihood-ratio test
(:mod:`~bayesgmm.selection.bootstrap_lrt`), the range of K tried and its extension
at the edge (:mod:`~bayesgmm.selection.k_range`,
:mod:`~bayesgmm.selection.range_extension`), the evidence table and its rule
(:mod:`~bayesgmm.selection.evidence`, :mod:`~bayesgmm.selection.recommendation`) and
the pipeline that runs them all (:func:`bayesgmm.collect_evidence`,
:mod:`~bayesgmm.selection.pipeline`).
"""

from __future__ import annotations

from bayesgmm.selection.model_selection import (
    CRITERIA,
    ModelSelection,
    bic_matrix,
    candidate_name,
    candidate_names,
    criterion_grid,
    select_model,
)

__all__ = [
    "CRITERIA",
    "ModelSelection",
    "bic_matrix",
    "candidate_name",
    "candidate_names",
    "criterion_grid",
    "select_model",
]
