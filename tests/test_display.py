"""Every public result type shows itself in Jupyter (HTML tables, SVG pictures) in German and English, with
the report's privacy rules: no raw identifier, no pseudonym, no count below the threshold, everything escaped.

The views are rendered from the sample data plus a small office of three cases (so that there is something
to suppress), the pictures inside them are decoded and checked too, and the checks are run against a
deliberately leaky rendering to prove that they catch what they look for.
"""

from __future__ import annotations

import base64
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from conftest import SAMPLE_LOGS

import pmtool as pt
from pmtool.display import html_of

K = 5
PSEUDONYM = re.compile(r"\b[CRX]-[0-9a-f]{16}\b")
CELL = re.compile(r'<td(?: class="([^"]*)")?[^>]*>(.*?)</td>', re.S)
COUNT_CELL = re.compile(r'<td class="pm-n">(.*?)</td>')
DATA_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")
# a bare integer in the language's own notation (German 1.234, English 1,234): must be a count, a number of
# things, or a rank — never an unmarked count
INTEGER = {"de": re.compile(r"^\d{1,3}(\.\d{3})*$"), "en": re.compile(r"^\d{1,3}(,\d{3})*$")}
SVG_COUNT = re.compile(r"(\d[\d.,]*)\s(Fälle|cases|Ereignisse|events)\b|\b(1)\s(?:Fall|case)\b")


def _number(text: str, lang: str) -> int:
    return int(text.replace("." if lang == "de" else ",", ""))


def pictures_in(html: str) -> list[str]:
    return [base64.b64decode(m).decode("utf-8") for m in DATA_URI.findall(html)]


def privacy_problems(html: str, lang: str, k: int, raw_ids: set[str]) -> list[str]:
    """What in ``html`` (and the pictures inside it) breaks the privacy rules."""
    problems = []
    texts = [html, *pictures_in(html)]
    for text in texts:
        problems += [f"pseudonym {p}" for p in PSEUDONYM.findall(text)]
        problems += [f"raw id {r!r}" for r in raw_ids if r in text]
        for number, word, one in SVG_COUNT.findall(text):  # a picture is in the language it was drawn in
            n = 1 if one else _number(number, "de" if word in ("Fälle", "Ereignisse") else "en")
            if 0 < n < k:
                problems.append(f"count {n} in a picture")
    for css, text in CELL.findall(html):
        classes = set((css or "").split())
        if "pm-n" in classes:
            if text not in ("·", "0") and _number(text, lang) < k:
                problems.append(f"count {text} shown")
        elif INTEGER[lang].match(text.strip()) and not classes & {"pm-c", "pm-rank"}:
            problems.append(f"unmarked integer {text!r}")
    return problems


@pytest.fixture(scope="module")
def sample():
    """The P1 log of GA-01 with a small office GA-99 of three cases (copies of GA-01 cases) added, and the
    raw case ids and staff names of the export."""
    project = pt.demo_project()
    source = project.exports[0]
    raw = pl.read_csv(source.path, separator=";", encoding="cp1252", infer_schema=False)
    raw_ids = {v for v in [*raw["Aktenzeichen"].to_list(), *raw["Bearbeiter/in"].drop_nulls().to_list()] if len(v) > 3}
    result = pt.read_export(source, key=pt.demo_key())
    log = result.log
    three = log.frame["case_id"].unique(maintain_order=True).head(3)
    small = log.frame.filter(pl.col("case_id").is_in(three.implode())).with_columns(pl.lit("GA-99").alias("office"))
    both = pt.EventLog.from_frame(pl.concat([log.frame, small]), log.provenance)
    return project, result, both, raw_ids


@pytest.fixture(scope="module")
def analysis():
    project = pt.restrict(pt.demo_project(), processes=["P3a"])
    return pt.analyse(project, key=pt.demo_key())


@pytest.fixture(scope="module")
def views(sample, analysis):
    """Every public result type, rendered."""
    project, result, both, _ = sample
    model = pt.load_model(project.processes["P1"].model)
    conformance = pt.check_conformance(both, model)
    comparison = pt.compare_offices(analysis)
    with tempfile.TemporaryDirectory() as folder:
        files = pt.write_report(analysis, folder, formats=["html"])
        simulated = pt.simulate_logs(Path(folder) / "sim", offices=2, scale=0.05, processes=["P3a"])
        ran = pt.run(replace(pt.restrict(analysis.project, offices=["GA-01", "GA-02", "GA-03"]), formats=()),
                     key=pt.demo_key(), out=Path(folder) / "run")
    objects = {
        "IngestResult": result, "EventLog": both, "Overview": pt.inspect(both),
        "Discoveries": pt.discover_process(both, process="P1"),
        "Discovery": pt.discover_process(both, process="P1").get("GA-01"),
        "ReferenceModel": model, "ConformanceResult": conformance,
        "Bundle": pt.aggregate(both, model)[0], "ComparisonTables": comparison, "Findings": pt.findings(analysis),
        "Analysis": analysis, "ReportFiles": files, "RunResult": ran, "SimulationResult": simulated,
        "Picture/process_map": pt.process_map(both, office="GA-01", process="P1"),
        "Picture/soll_map": pt.soll_map(model, conformance=conformance),
        "Picture/soll_map(analysis)": pt.soll_map(analysis, process="P3a"),
        "MapExplorer": pt.map_explorer(both),
    }
    design = pt.design_soll(analysis, model_offices=1)
    objects.update({
        "SollDesign": design, "CrossConformance": design.cross,
        "Adoption": pt.adoption(analysis, process="P3a"),
        "BeforeAfter": pt.before_after(analysis, offices=["GA-01", "GA-02"], at="2025-07-01", process="P3a"),
        "EfileMessage": pt.EfileMessage(Path("efile") / "0605_GA.zip", "FVDaten.SGOAblegen.0605",
                                        ("bericht.pdf", "bericht-anhang.pdf", "manifest.json")),
    })
    return objects


def _html(obj, lang: str, k: int = K) -> str:
    if hasattr(obj, "pictures"):  # the explorer: what its output widget shows
        return "".join(o["data"]["text/html"] for o in obj.output.outputs)
    if isinstance(obj, pt.Picture):
        pt.set_language(lang)
        try:
            return obj._repr_html_()
        finally:
            pt.set_language("en")
    return html_of(obj, lang=lang, k=k)


def test_every_public_result_type_has_a_view(views):
    shown = {name.split("/")[0] for name in views}
    results = {n for n in pt.__all__ if n[0].isupper() and not n.endswith("Error")}
    inputs = {"Project", "ExportSource", "PseudonymKey", "MappingProfile", "Acceptance"}
    assert results - inputs <= shown


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("name", ["IngestResult", "EventLog", "Overview", "Discoveries", "Discovery",
                                  "ReferenceModel", "ConformanceResult", "Bundle", "ComparisonTables", "Findings",
                                  "Analysis", "ReportFiles", "RunResult", "SimulationResult", "Picture/process_map",
                                  "Picture/soll_map", "Picture/soll_map(analysis)", "MapExplorer", "SollDesign",
                                  "CrossConformance", "Adoption", "BeforeAfter", "EfileMessage"])
def test_a_view_holds_no_identifier_and_no_small_count(views, sample, name, lang):
    html = _html(views[name], lang)
    assert len(html) > 300
    assert privacy_problems(html, lang, K, sample[3]) == []


@pytest.mark.parametrize("name", ["EventLog", "ConformanceResult", "Bundle", "Analysis", "Discovery"])
def test_a_higher_threshold_hides_more_and_still_shows_nothing_below_it(views, sample, name):
    html = _html(views[name], "de", k=40)
    assert privacy_problems(html, "de", 40, sample[3]) == []
    assert html != _html(views[name], "de")


def test_the_small_office_is_suppressed_not_hidden(views):
    log_view = _html(views["EventLog"], "en")
    assert re.search(r'<th scope="row">GA-99</th><td class="pm-n">·</td>', log_view)
    conformance = _html(views["ConformanceResult"], "en")
    row = re.search(r'<th scope="row">GA-99</th>(.*?)</tr>', conformance).group(1)
    assert "0." not in row and row.count("·") >= 5  # cases and every mean and share of the office


def test_the_checks_catch_a_leaky_view(sample):
    raw_id = sorted(sample[3])[0]
    leaky = (f'<td class="pm-n">3</td><td>{raw_id}</td><td>C-0123456789abcdef</td><td class="pm-x">42</td>'
             '<img src="data:image/svg+xml;base64,' + base64.b64encode(b"<text>2 cases</text>").decode() + '">')
    problems = privacy_problems(leaky, "en", K, sample[3])
    assert len(problems) == 5, problems


def test_views_follow_the_language(views):
    assert "Fälle" in _html(views["EventLog"], "de") and "cases" in _html(views["EventLog"], "en")
    pt.set_language("de")
    try:
        assert "Ereignisprotokoll" in views["EventLog"]._repr_html_()
    finally:
        pt.set_language("en")
    assert "Event log" in views["EventLog"]._repr_html_()


def test_text_from_the_data_is_escaped(sample):
    _, _, both, _ = sample
    frame = both.frame.filter(pl.col("office") == "GA-01").with_columns(
        pl.when(pl.col("activity") == pl.col("activity").first()).then(pl.lit("<script>alert(1)</script> & co"))
        .otherwise(pl.col("activity")).alias("activity"))
    html = html_of(pt.EventLog.from_frame(frame), lang="en", k=K)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_pictures_are_svg_for_jupyter(views):
    picture = views["Picture/process_map"]
    assert picture._repr_svg_().lstrip().startswith("<svg")
    assert "<!DOCTYPE" not in picture._repr_svg_()


def test_a_log_without_pseudonyms_says_so_loudly():
    source = pt.demo_project().exports[0]
    log = pt.read_export(source, allow_identifiable=True).log
    assert "WARNING: not pseudonymised" in html_of(log, lang="en")


def test_sample_logs_fixture_is_the_bundled_one():
    assert (SAMPLE_LOGS / "P1" / "GA-01_P1.csv").exists()
