"""The HTML of a report: page, sections, tables and embedded figures.

:class:`Report` (a self-contained page: inline CSS, PNG figures as data URIs, a
content-security policy that loads nothing) made of :class:`Section` objects, and the
building blocks the report's sections are written with. :mod:`bayesgmm.reporting.html_report`
decides what goes into a report; this module only knows HTML.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayesgmm._version import __version__
from bayesgmm.core.atomic_io import write_text_atomic

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CSS",
    "FIGURE_DPI",
    "Formatter",
    "Report",
    "Section",
    "bayesgmm_version",
    "bullet_list",
    "esc",
    "fixed",
    "format_number",
    "html_figure",
    "html_table",
    "integer",
    "new_figure",
    "paragraph",
    "png",
]


#: resolution of the embedded figures (pixels per inch)
FIGURE_DPI = 100


CSS = """
.bayesgmm-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
  Arial, sans-serif; color: #1f2328; background: #ffffff; max-width: 1100px;
  margin: 0 auto; padding: 1rem 1.5rem 2rem; line-height: 1.45; }
.bayesgmm-report h1 { font-size: 1.7rem; margin: 0.2rem 0; }
.bayesgmm-report h2 { font-size: 1.3rem; border-bottom: 2px solid #d0d7de;
  padding-bottom: 0.2rem; margin: 2rem 0 0.6rem; }
.bayesgmm-report h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
.bayesgmm-report .meta { color: #57606a; font-size: 0.9rem; margin: 0; }
.bayesgmm-report nav ul { list-style: none; padding: 0; margin: 0.6rem 0;
  display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem; }
.bayesgmm-report a { color: #0969da; text-decoration: none; }
.bayesgmm-report .scroll { overflow-x: auto; }
.bayesgmm-report table { border-collapse: collapse; margin: 0 0 1rem;
  font-size: 0.86rem; font-variant-numeric: tabular-nums; }
.bayesgmm-report .table-title { font-weight: 600; font-size: 0.9rem;
  margin: 1rem 0 0.2rem; }
.bayesgmm-report th, .bayesgmm-report td { border: 1px solid #d0d7de;
  padding: 0.22rem 0.55rem; text-align: right; white-space: nowrap; }
.bayesgmm-report thead th { background: #f6f8fa; }
.bayesgmm-report tbody th { text-align: left; font-weight: 600; background: #fbfcfd; }
.bayesgmm-report td.text { text-align: left; white-space: normal; }
.bayesgmm-report td.best { background: #dafbe1; font-weight: 700; }
.bayesgmm-report .pass { color: #1a7f37; font-weight: 600; }
.bayesgmm-report .fail { color: #cf222e; font-weight: 600; }
.bayesgmm-report .callout { background: #ddf4ff; border-left: 4px solid #0969da;
  padding: 0.5rem 0.8rem; margin: 0.6rem 0; }
.bayesgmm-report .callout.warning { background: #fff1e5; border-left-color: #bc4c00; }
.bayesgmm-report figure { margin: 0.6rem 0 1.6rem; }
.bayesgmm-report img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
.bayesgmm-report figcaption { color: #57606a; font-size: 0.86rem; margin-top: 0.2rem; }
.bayesgmm-report footer { color: #57606a; font-size: 0.82rem; margin-top: 2.5rem;
  border-top: 1px solid #d0d7de; padding-top: 0.5rem; }
""".strip()


#: the browser may load nothing: no scripts, no remote content, images only as data URIs
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


Formatter = Callable[[Any], str]


# ---------------------------------------------------------------------- result objects
@dataclass(frozen=True)
class Section:
    """One part of a :class:`Report`.

    Attributes
    ----------
    id : str
        Short name, also the HTML anchor (``"data"``, ``"selection"``,
        ``"evidence"``, ``"parameters"``, ``"diagnostics"``, ``"figures"``,
        ``"clustering"``).
    title : str
        Heading (plain text; escaped when rendered).
    body : str
        HTML fragment, already escaped.
    n_figures : int
        Number of embedded images in ``body``.

    Examples
    --------
    >>> Section("notes", "Notes", "<p>none</p>").title
    'Notes'
    """

    id: str
    title: str
    body: str
    n_figures: int = 0

    def to_html(self) -> str:
        """The section as an HTML ``<section>`` element.

        Returns
        -------
        str

        Examples
        --------
        >>> Section("notes", "Notes & more", "<p>none</p>").to_html().splitlines()[:2]
        ['<section id="bgm-notes">', '<h2>Notes &amp; more</h2>']
        """
        return (
            f'<section id="bgm-{html.escape(self.id)}">\n<h2>{html.escape(self.title)}</h2>\n'
            f"{self.body}\n</section>"
        )


@dataclass
class Report:
    """A self-contained HTML report (result of :func:`build_report`).

    Attributes
    ----------
    title : str
        Title of the page.
    sections : list of Section
        The parts of the report, in order.
    created : str
        Creation time (UTC, ISO 8601 to the minute).
    version : str
        The bayesgmm version that built the report.

    Examples
    --------
    >>> page = Report("Empty", [Section("notes", "Notes", "<p>nothing yet</p>")])
    >>> page.html.startswith("<!DOCTYPE html>"), "nothing yet" in page.html
    (True, True)
    """

    title: str
    sections: list[Section] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    version: str = field(default_factory=lambda: bayesgmm_version())

    @property
    def n_figures(self) -> int:
        """Number of embedded figures.

        Returns
        -------
        int

        Examples
        --------
        >>> Report("Empty").n_figures
        0
        """
        return sum(section.n_figures for section in self.sections)

    def _body(self) -> str:
        """The report inside its ``<div class="bayesgmm-report">``."""
        links = "".join(
            f'<li><a href="#bgm-{html.escape(s.id)}">{html.escape(s.title)}</a></li>'
            for s in self.sections
        )
        nav = f"<nav>\n<ul>{links}</ul>\n</nav>\n" if self.sections else ""
        parts = "\n".join(section.to_html() for section in self.sections)
        return (
            '<div class="bayesgmm-report">\n<header>\n'
            f"<h1>{html.escape(self.title)}</h1>\n"
            f'<p class="meta">bayesgmm {html.escape(self.version)} &middot; '
            f"{html.escape(self.created)}</p>\n{nav}</header>\n{parts}\n"
            "<footer>Generated by bayesgmm "
            f"{html.escape(self.version)} on {html.escape(self.created)}. The page is "
            "self-contained: figures are embedded PNG images; it loads nothing else."
            "</footer>\n</div>"
        )

    @property
    def html(self) -> str:
        """The complete HTML document (inline CSS, embedded images, no scripts).

        Returns
        -------
        str

        Examples
        --------
        >>> "<title>A &lt;b&gt; report</title>" in Report("A <b> report").html
        True
        """
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="bayesgmm {html.escape(self.version)}">\n'
            f"<title>{html.escape(self.title)}</title>\n"
            f"<style>\n{CSS}\n</style>\n</head>\n<body>\n{self._body()}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the HTML document to ``path``, atomically.

        The page is written to a temporary file in the same directory and renamed
        over ``path``, so an existing file is replaced whole or not at all.

        Parameters
        ----------
        path : str or path-like
            Destination, conventionally ``*.html``; its directory must exist.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        FileNotFoundError
            If the directory does not exist.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Report("Empty").save(Path(folder) / "report.html")
        ...     path.read_text(encoding="utf-8").count("<h1>")
        1
        """
        return write_text_atomic(path, self.html)

    def _repr_html_(self) -> str:
        """Rich display in Jupyter: the report with its (scoped) style."""
        return f"<style>\n{CSS}\n</style>\n{self._body()}"

    def __repr__(self) -> str:
        ids = [section.id for section in self.sections]
        return f"Report(title={self.title!r}, sections={ids}, n_figures={self.n_figures})"


def bayesgmm_version() -> str:
    """The installed bayesgmm version (printed in a report's footer)."""
    return __version__


# ---------------------------------------------------------------------- HTML helpers
def esc(value: Any) -> str:
    """``value`` as HTML-escaped text."""
    return html.escape(str(value))


def format_number(value: Any) -> str:
    """Compact text for a table cell: 4 significant digits, 2 decimals from 100 up."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return ""
        if math.isinf(number) or number == 0:
            return str(number).replace(".0", "")
        if abs(number) >= 1e7:
            return f"{number:.4e}"
        if abs(number) >= 100:
            return f"{number:.2f}"
        return f"{number:.4g}"
    return str(value)


def fixed(digits: int) -> Formatter:
    """A cell formatter with ``digits`` decimals (blank for missing values)."""

    def formatter(value: Any) -> str:
        if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
            return ""
        return f"{float(value):.{digits}f}"

    return formatter


def integer(value: Any) -> str:
    """``value`` rounded to an integer (blank for missing values)."""
    if value is None or (isinstance(value, float | np.floating) and not math.isfinite(value)):
        return ""
    return str(round(float(value)))


def html_table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    index: bool = True,
    formats: Mapping[Any, Formatter] | None = None,
    text_columns: Iterable[Any] = (),
    cell_class: Callable[[Any, Any, Any], str | None] | None = None,
) -> str:
    """An escaped HTML table of ``frame``.

    ``formats`` maps columns to formatters (:func:`format_number` otherwise);
    ``text_columns`` are left-aligned and wrap; ``cell_class(row, column, value)``
    may add a class to any cell (``"best"``, ``"pass"``, ``"fail"``).
    """
    formats = dict(formats or {})
    text = set(text_columns)
    head_cells = [f"<th>{esc(frame.index.name or '')}</th>"] if index else []
    head_cells += [f'<th scope="col">{esc(column)}</th>' for column in frame.columns]
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [f'<th scope="row">{esc(label)}</th>'] if index else []
        for column, value in zip(frame.columns, values, strict=True):
            classes = []
            if column in text:
                classes.append("text")
            extra = cell_class(label, column, value) if cell_class else None
            if extra:
                classes.append(extra)
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            shown = formats.get(column, format_number)(value)
            cells.append(f"<td{attribute}>{esc(shown)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    title = f'<p class="table-title">{esc(caption)}</p>' if caption else ""
    return (
        f'{title}<div class="scroll"><table><thead><tr>{"".join(head_cells)}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def paragraph(text: str, css_class: str | None = None) -> str:
    """An HTML paragraph of escaped ``text``."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{esc(text)}</p>"


def bullet_list(items: Iterable[str]) -> str:
    """An HTML list of escaped ``items``."""
    return "<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>"


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib Figure outside pyplot (no GUI backend, nothing to close)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def png(figure: Figure) -> bytes:
    """``figure`` rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, facecolor="white")
    if "matplotlib.pyplot" in sys.modules:  # figures made through pyplot (arviz-plots)
        import matplotlib.pyplot as plt

        plt.close(figure)
    return buffer.getvalue()


def html_figure(figure: Figure, alt: str, caption: str) -> str:
    """A figure embedded as a base64 PNG ``data:`` URI, with its caption."""
    encoded = base64.b64encode(png(figure)).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def data_section(frame: pd.DataFrame) -> Section:
    """The report's first section: size, feature names and summary statistics of ``frame``."""
    stats = pd.DataFrame(
        {
            "mean": frame.mean(),
            "sd": frame.std(ddof=1) if len(frame) > 1 else np.nan,
            "min": frame.min(),
            "25%": frame.quantile(0.25),
            "median": frame.median(),
            "75%": frame.quantile(0.75),
            "max": frame.max(),
        }
    )
    stats.index.name = "feature"
    n, d = frame.shape
    body = paragraph(
        f"{n} observation{'s' if n != 1 else ''} of {d} feature{'s' if d != 1 else ''}: "
        f"{', '.join(map(str, frame.columns))}."
    ) + html_table(stats, caption="Summary statistics")
    return Section("data", "Data", body)
