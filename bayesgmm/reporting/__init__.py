"""Reporting an analysis.

The HTML report (:mod:`~bayesgmm.reporting.html_report`,
:mod:`~bayesgmm.reporting.html`), console tables (:mod:`~bayesgmm.reporting.console`),
the reference analyses run from a specification (:mod:`~bayesgmm.reporting.analysis`,
:mod:`~bayesgmm.reporting.analysis_spec`) and the demo (:mod:`~bayesgmm.reporting.demo`).
"""

from __future__ import annotations

from bayesgmm.reporting.html_report import Report, Section, build_report, report

__all__ = ["Report", "Section", "build_report", "report"]
