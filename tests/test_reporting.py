"""HTML reports: content, embedded figures, self-containment, escaping, atomic save."""

from __future__ import annotations

import base64
import importlib.util
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesgmm import EvidenceTable, GaussianMixture, load_faithful, load_galaxies, select_model
from bayesgmm.exceptions import SamplingWarning
from bayesgmm.reporting.html_report import Report, Section, build_report, report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
ROOT = Path(__file__).resolve().parents[1]


class _TagChecker(HTMLParser):
    """Parse HTML, keeping a stack of open elements; record any mismatch."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.counts: dict[str, int] = {}
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self.attributes.extend((tag, name, value) for name, value in attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self.attributes.extend((tag, name, value) for name, value in attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()


def check_html(text: str) -> _TagChecker:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    return checker


def images(text: str) -> list[bytes]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    return [base64.b64decode(data, validate=True) for data in found]


@pytest.fixture(scope="module")
def faithful() -> pd.DataFrame:
    return load_faithful()


@pytest.fixture(scope="module")
def selection(faithful):
    return select_model(faithful, [1, 2, 3], ["full", "tied"], n_init=2)


@pytest.fixture(scope="module")
def em_report(faithful, selection) -> Report:
    evidence = EvidenceTable.from_results(selection)
    return build_report(faithful, selection=selection, evidence=evidence, title="Old Faithful")


# ---------------------------------------------------------------------- EM report
def test_em_report_has_sections_tables_and_headings(em_report):
    assert [s.id for s in em_report.sections] == [
        "data",
        "selection",
        "evidence",
        "parameters",
        "figures",
        "clustering",
    ]
    text = em_report.html
    for heading in (
        "<h1>Old Faithful</h1>",
        "<h2>Data</h2>",
        "<h2>Model choice</h2>",
        "<h2>Evidence for the number of components</h2>",
        "<h2>Parameters</h2>",
        "<h2>Figures</h2>",
        "<h2>Clustering</h2>",
    ):
        assert heading in text
    for title in (
        "Summary statistics",
        "BIC (lower is better",
        "ICL (lower is better",
        "Mixing weights",
        "Means",
        "Covariance shared by all components (tied)",
        # K = 1..3: BIC's best has the largest K tried, so K=3 is only a lower bound
        "Recommended: at least K=3 (K=3 tied).",
        "Clusters",
    ):
        assert title in text
    assert '<th scope="col">tied (EEE)</th>' in text
    assert "eruptions" in text
    assert "waiting" in text
    checker = check_html(text)
    assert checker.counts["table"] >= 8
    assert checker.counts["section"] == len(em_report.sections)


def test_em_report_shows_version_and_date(em_report):
    import bayesgmm

    assert f"bayesgmm {bayesgmm.__version__}" in em_report.html
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", em_report.html)


def test_em_report_parameters_match_the_best_model(em_report, selection):
    best = selection.best_estimator_
    weights = [f"{w:.4g}" for w in best.weights_]
    section = next(s for s in em_report.sections if s.id == "parameters")
    for weight in weights:
        assert f">{weight}</td>" in section.body


def test_figures_are_embedded_pngs(em_report):
    # criterion curves, clusters with ellipses, co-clustering heatmap
    assert em_report.n_figures == 3
    assert em_report.html.count("data:image/png;base64,") == 3
    decoded = images(em_report.html)
    assert len(decoded) == 3
    assert all(image.startswith(PNG_MAGIC) for image in decoded)


def test_report_loads_nothing_external(em_report):
    text = em_report.html
    checker = check_html(text)
    for tag, name, value in checker.attributes:
        if name in ("src", "href"):
            assert value is not None
            assert value.startswith(("data:image/png;base64,", "#")), (tag, name, value[:40])
    assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", text)
    assert "<script" not in text
    assert "<link" not in text
    assert "Content-Security-Policy" in text


def test_repr_html_is_a_balanced_fragment(em_report):
    fragment = em_report._repr_html_()
    checker = check_html(fragment)
    assert "html" not in checker.counts
    assert "body" not in checker.counts
    assert checker.counts["style"] == 1
    assert 'class="bayesgmm-report"' in fragment
    assert "Report(title='Old Faithful'" in repr(em_report)


def test_text_is_escaped():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["<b>a</b>", "x & y"])
    gm = GaussianMixture(1, random_state=0).fit(X)
    page = build_report(X, model=gm, title="<script>alert('x')</script>", clustering=False)
    text = page.html
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert "&lt;b&gt;a&lt;/b&gt;" in text
    assert "x &amp; y" in text
    check_html(text)


def test_sections_only_for_given_inputs(faithful, selection):
    assert [s.id for s in build_report(faithful).sections] == ["data"]
    gm = GaussianMixture(2, random_state=0).fit(faithful)
    page = build_report(faithful, model=gm, clustering=False)
    assert [s.id for s in page.sections] == ["data", "parameters", "figures"]
    assert "K=2, covariance_type=&#x27;full&#x27;" in page.html
    page = build_report(faithful, selection=selection, clustering=False)
    assert [s.id for s in page.sections] == ["data", "selection", "parameters", "figures"]
    assert report is build_report


def test_model_defaults_to_the_evidence_recommendation(faithful, selection):
    evidence = EvidenceTable.from_results(selection)
    evidence.recommendation = {"name": "K=2 full", "n_components": 2, "covariance_type": "full"}
    page = build_report(faithful, selection=selection, evidence=evidence, clustering=False)
    assert "K=2, covariance_type=&#x27;full&#x27;" in page.html


def test_one_feature_report_draws_the_density():
    X = load_galaxies() / 1000
    gm = GaussianMixture(3, random_state=0).fit(X)
    page = build_report(X, model=gm)
    assert "Histogram of the data with the mixture density" in page.html
    assert "Variances" in page.html
    assert "velocity" in page.html
    assert page.n_figures == 2  # density, co-clustering
    check_html(page.html)


def test_diag_and_spherical_covariance_tables(faithful):
    for cov, title in (("diag", "Variances (diagonal"), ("spherical", "Variances (spherical")):
        gm = GaussianMixture(2, covariance_type=cov, random_state=0).fit(faithful)
        assert title in build_report(faithful, model=gm, clustering=False).html


def test_coclustering_heatmap_skipped_for_many_samples(faithful, monkeypatch):
    import bayesgmm.reporting.html_report as module

    monkeypatch.setattr(module, "MAX_COCLUSTERING_SAMPLES", 100)
    gm = GaussianMixture(2, random_state=0).fit(faithful)
    page = build_report(faithful, model=gm)
    assert "No co-clustering heatmap: 272 observations exceed 100." in page.html
    assert page.n_figures == 1


def test_invalid_inputs(faithful, selection):
    with pytest.raises(TypeError, match=r"selection must be the ModelSelection.*got DataFrame"):
        build_report(faithful, selection=selection.table)
    with pytest.raises(TypeError, match=r"evidence must be a bayesgmm.EvidenceTable; got dict"):
        build_report(faithful, evidence={})
    with pytest.raises(TypeError, match=r"needs a fitted bayesgmm.GaussianMixture.*got str"):
        build_report(faithful, model="K=3")
    with pytest.raises(ValueError, match="selection was fitted on 272 observations, but X has 100"):
        build_report(faithful.iloc[:100], selection=selection)
    gm = GaussianMixture(2, random_state=0).fit(faithful[["waiting"]])
    with pytest.raises(ValueError, match="X has 2 features, but the model was fitted with 1"):
        build_report(faithful, model=gm)


# ---------------------------------------------------------------------- saving
def test_save_writes_the_document(em_report, tmp_path):
    path = em_report.save(tmp_path / "report.html")
    assert path == tmp_path / "report.html"
    assert path.read_text(encoding="utf-8") == em_report.html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_save_is_atomic(tmp_path, monkeypatch):
    import bayesgmm.core.atomic_io as io_module

    path = tmp_path / "report.html"
    path.write_text("old report", encoding="utf-8")
    page = Report("new", [Section("notes", "Notes", "<p>new</p>")])

    def fail(fd):
        raise OSError("disk full")

    monkeypatch.setattr(io_module.os, "fsync", fail)  # after the text was written
    with pytest.raises(OSError, match="disk full"):
        page.save(path)
    assert path.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_save_into_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"directory .*missing does not exist"):
        Report("x").save(tmp_path / "missing" / "report.html")


# ---------------------------------------------------------------------- Bayesian report
@pytest.fixture(scope="module")
def bayes_model(faithful):
    from bayesgmm import BayesianGaussianMixture

    model = BayesianGaussianMixture(
        2,
        covariance_type="full",
        draws=200,
        tune=200,
        chains=2,
        random_state=0,
        progressbar=False,
        max_doublings=0,  # exactly 2 x 200 draws
    )
    with warnings.catch_warnings():  # 2 x 200 draws: ESS below the 400 target
        warnings.simplefilter("ignore", SamplingWarning)
        return model.fit(faithful)


def test_bayesian_report(faithful, selection, bayes_model):
    page = build_report(faithful, selection=selection, model=bayes_model, title="Posterior")
    assert [s.id for s in page.sections] == [
        "data",
        "selection",
        "parameters",
        "diagnostics",
        "figures",
        "clustering",
    ]
    text = page.html
    for expected in (
        "<h2>Posterior parameters</h2>",
        "<h2>Sampling diagnostics</h2>",
        "94% highest-density intervals",
        '<th scope="col">hdi94_lb</th>',
        '<th scope="col">r_hat</th>',
        '<th scope="col">ess_bulk</th>',
        "weights[0]",
        "means[1, waiting]",
        "divergent transitions",
        "max R-hat",
        "min bulk ESS",
        "Trace plots",
        "2 chains x 200 draws",
    ):
        assert expected in text
    # the lower triangle of each covariance is left out
    assert "covariances[0, eruptions, waiting]" in text
    assert "covariances[0, waiting, eruptions]" not in text
    assert re.search(r'<td class="(pass|fail)">(pass|fail)</td>', text)
    # criteria, clusters with ellipses, trace, co-clustering
    assert page.n_figures == 4
    decoded = images(text)
    assert len(decoded) == 4
    assert all(image.startswith(PNG_MAGIC) for image in decoded)
    check_html(text)


# ---------------------------------------------------------------------- in a browser
def _screenshot_tool():
    spec = importlib.util.spec_from_file_location(
        "screenshot_report", ROOT / "tools/screenshot_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_renders_in_chromium(em_report, tmp_path):
    tool = _screenshot_tool()
    if tool.find_chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from matplotlib.image import imread

    html_path = em_report.save(tmp_path / "report.html")
    png = tool.screenshot(html_path, tmp_path / "shot.png", width=1200, height=2600)
    assert png.read_bytes().startswith(PNG_MAGIC)
    pixels = (imread(png)[..., :3] * 255).round().astype(int)
    assert pixels.shape[:2] == (2600, 1200)

    def count(rgb: tuple[int, int, int], tolerance: int = 6) -> int:
        return int(np.all(np.abs(pixels - np.array(rgb)) <= tolerance, axis=-1).sum())

    # table headers (#f6f8fa) are laid out; the criterion plot's lines (matplotlib's
    # C0 blue #1f77b4 and C1 orange #ff7f0e) show that the embedded PNGs decoded
    assert count((0xF6, 0xF8, 0xFA)) > 2000
    assert count((0x1F, 0x77, 0xB4)) > 200
    assert count((0xFF, 0x7F, 0x0E)) > 200


def test_posterior_over_k_section():
    from bayesgmm import posterior_over_k

    X = load_galaxies("richardson_green") / 1000
    selection = select_model(X, range(1, 6), ["full", "tied"], n_init=2)
    result = posterior_over_k(X, random_state=0, progress=False)
    evidence = EvidenceTable.from_results(selection, k_posterior=result)
    page = build_report(X, selection=selection, evidence=evidence)
    ids = [section.id for section in page.sections]
    assert ids.index("k_posterior") == ids.index("evidence") + 1
    assert "Posterior over the number of components" in page.html
    assert "p(K components | data), prior on K" in page.html  # the evidence row
    assert "richardson_green: K ~ uniform on 1..30" in page.html
    assert "The chains passed their checks" in page.html
    check_html(page.html)
    # given directly, without an evidence table
    direct = build_report(X, k_posterior=result, clustering=False)
    assert [section.id for section in direct.sections] == ["data", "k_posterior"]
    with pytest.raises(TypeError, match="k_posterior must be the KPosterior"):
        build_report(X, k_posterior=evidence)
    with pytest.raises(ValueError, match="sampled on 82 observations, but X has 40"):
        build_report(X.iloc[:40], k_posterior=result)


def test_posterior_over_k_section_names_the_rounded_features():
    from bayesgmm import posterior_over_k

    X = load_faithful()[["waiting"]]  # integer minutes: many ties
    result = posterior_over_k(X, random_state=0, progress=False)
    page = build_report(X, k_posterior=result, clustering=False)
    assert "Repeated values taken as rounded (each an interval): waiting to 1." in page.html
