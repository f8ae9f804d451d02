"""Reporting an analysis.

The HTML reports (:mod:`~bayesgmm.reporting.html_report`, of a classifier
:mod:`~bayesgmm.reporting.classification_report`,
:mod:`~bayesgmm.reporting.html`), console tables (:mod:`~bayesgmm.reporting.console`),
the reference analyses run from a specification (:mod:`~bayesgmm.reporting.analysis`,
:mod:`~bayesgmm.reporting.analysis_spec`) and the demo (:mod:`~bayesgmm.reporting.demo`).
"""

from __future__ import annotations

from bayesgmm.reporting.classification_report import (
    build_classification_report,
    classification_report,
)
from bayesgmm.reporting.html_report import Report, Section, build_report, report

__all__ = [
    "Report",
    "Section",
    "build_classification_report",
    "build_report",
    "classification_report",
    "report",
]
