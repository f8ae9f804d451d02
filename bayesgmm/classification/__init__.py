"""Classification with Gaussian mixtures: mclust's EDDA, MclustDA and MclustSSC.

:class:`MixtureClassifier` is the estimator; :func:`cross_validate_classifier` gives
the cross-validated error and Brier score as mclust's ``cvMclustDA`` reports them.
"""

from __future__ import annotations

from bayesgmm.classification.classifier import MODEL_TYPES, MixtureClassifier
from bayesgmm.classification.cross_validation import (
    CrossValidation,
    balanced_folds,
    brier_score,
    cross_validate_classifier,
)

__all__ = [
    "MODEL_TYPES",
    "CrossValidation",
    "MixtureClassifier",
    "balanced_folds",
    "brier_score",
    "cross_validate_classifier",
]
