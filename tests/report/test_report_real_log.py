"""The report of a real public log read as its user reads it: the BPI receipt log against its discovered
27-task Soll, one office, no findings. A Soll too large for a readable A4 page and no finding to cut around
is not printed shrunk: the print says so once, and where the map is; the as-is map filtered for print keeps
the flow that leads out of it; texts speak of no finding that does not exist; the coverage the gate counts
stands beside the vocabulary's. Skipped where ../shared/real_logs is not there."""

from __future__ import annotations

import re

import pytest
from conftest import TEST_KEY_TEXT, real_log

from pmtool.ingest.pseudonymise import PseudonymKey

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 reads and renders the PDF (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    from pmtool.analysis import run_analysis
    from pmtool.project import project_from_dict

    log, model = real_log("receipt.xes.gz"), real_log("receipt_discovered.bpmn")
    root = tmp_path_factory.mktemp("receipt_project")
    raw = {"project": {"name": "Receipt", "language": "en"},
           "processes": {"RC": {"name": "Receipt phase", "model": str(model)}},
           "offices": [{"id": "NL-01", "exports": [{"process": "RC", "path": str(log)}]}]}
    return run_analysis(project_from_dict(raw, root=root), key=PseudonymKey(TEST_KEY_TEXT.encode()))


@pytest.fixture(scope="module")
def report(analysis, tmp_path_factory):
    from pmtool.report import build_report

    return build_report(analysis, tmp_path_factory.mktemp("receipt_report"), lang="en", formats=("html", "pdf"))


def _pages(path) -> list[str]:
    return [" ".join(page.get_textpage().get_text_range().split()) for page in pdfium.PdfDocument(path)]


@pytest.fixture(scope="module")
def pages(report) -> list[str]:
    return _pages(report.pdf)


def test_a_soll_too_large_to_print_without_findings_is_named_once_not_shrunk(analysis, report, pages, tmp_path):
    text = " ".join(pages)
    assert analysis.comparison.findings.height == 0
    assert text.count("Not printed: the Soll process – plain and with the deviations – is too large") == 1
    assert "excerpt to print" in text and "in readable parts in the annex" in text
    assert "of 0 findings" not in text and "Excerpts for print" not in text
    assert "The Soll process is too large for a readable A4 page" not in text, "said once, not twice"
    # the note stands in the text flow: heading, note and the table of deviations share a page
    where = next(p for p in pages if "Where in the process do the offices deviate?" in p)
    assert "Not printed" in where and "Deviations per activity" in where
    # every picture the PDFs print has text of 7 pt or more (the Soll in the annex in readable parts)
    from pmtool.report.context import build_context
    from pmtool.report.pdf_model import annex_document, pdf_document
    from pmtool.report.svg_text import min_text_pt, natural_size

    ctx = build_context(analysis, "en")
    for name, build in (("report", pdf_document), ("annex", annex_document)):
        folder = tmp_path / name
        folder.mkdir()
        doc = build(ctx, folder)
        parts = [part for p in doc["processes"] for key in ("soll", "overlay") if p.get(key)
                 for part in p[key]["figure"]["parts"]]
        parts += [part for p in doc["processes"] for s in p["ist"] for part in s["figure"]["parts"]]
        for part in parts:
            svg = (folder / part["file"]).read_bytes()
            smallest = min_text_pt(svg)
            assert smallest is None or smallest * part["width"] / natural_size(svg)[0] >= 7.0 - 1e-6, part
        if name == "annex":
            assert len(doc["processes"][0]["overlay"]["figure"]["parts"]) >= 2, "the annex prints it in parts"
        else:
            assert doc["processes"][0]["overlay"]["figure"]["parts"] == []


def test_the_as_is_map_speaks_of_no_finding_and_keeps_the_flow_it_cuts(report, pages):
    html = report.html.read_text("utf-8")
    text = " ".join(pages)
    for shown in (text, html):
        assert "highest-scoring finding" not in shown
        assert "No finding in this process: shown is the office with the most cases (NL-01)" in shown
    page = next(p for p in pages if "NL-01 · RC Receipt phase: as-is process" in p)
    shown = int(re.search(r"Filtered for print: the (\d+) of 19 activities with the most cases", page).group(1))
    assert 2 <= shown < 19
    # the strongest step out of "T06 …" leads to T10 (1,165 cases); a map without T10 draws it to a "⋯" box
    if "T06 Determine necessity of stop advice" in page and "⋯ T10 Determine necessity" not in page:
        assert re.search(r"T10 Determine\s+necessity to stop\s+indication", page), "T10 shown itself"
    assert "Dashed to a '⋯' box" in page and "⋯ " in page
    for n, total in re.findall(r"the (\d+) of (\d+) activities", text):
        assert int(n) < int(total), "a map that shows every activity is not 'filtered'"


def test_the_annex_cuts_the_soll_into_readable_parts_in_the_reports_language(report):
    text = " ".join(_pages(report.annex["pdf"]))
    assert re.search(r"Part 1 of (\d+)", text) and "„" not in text
    assert "⋯ continues with 'T" in text


def test_the_report_names_the_coverage_the_gate_counts(pages):
    text = " ".join(pages)
    assert "Vocabulary coverage" in text and "Mapping coverage" not in text
    assert "named like a Soll task" in text
    assert re.search(r"not comparable: no second comparable office \(coverage 100%\)", text)


def test_an_offices_by_checks_table_without_rows_is_left_out_with_its_reason(pages, report):
    text = " ".join(pages)
    assert re.search(r"No table: none of the \d+ checks has a finding or reaches 0\.5% of affected cases", text)
    assert "Share of affected cases per check and office" not in text
    assert "No table: none of the" in report.html.read_text("utf-8")


def test_the_pages_render(report):
    """Every page of report and annex renders to an image with something on it (as a reader sees it)."""
    for path in (report.pdf, report.annex["pdf"]):
        for page in pdfium.PdfDocument(path):
            image = page.render(scale=0.5).to_pil().convert("L")
            assert image.getextrema()[0] < 128, f"{path.name}: a blank page"
