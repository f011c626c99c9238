"""The gap report built from the bundled sample data by one call: HTML that renders offline, PDF/A with
metadata, German text, suppression marks, the same numbers in HTML and PDF, and not one raw case id or staff
name in any output. PDF pages are read and rendered with pypdfium2 (a wheel), so these tests run anywhere."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import shutil
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT

from pmtool.ingest.pseudonymise import PseudonymKey

AS_OF = "2026-03-31T23:59:00+02:00"
DATA_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")
#: Namespace names inside SVG are identifiers, not addresses anything fetches.
XML_NAMESPACES = ("http://www.w3.org/", "http://purl.org/dc/", "http://creativecommons.org/ns#")
#: Technical accounts of the sample exports: system users, not people.
SYSTEM_ACCOUNTS = ("DEMIS", "TRANSPORT", "LUA_")


ACCEPTED = "Online-Belehrung durch beauftragten Dienstleister (Kreistagsbeschluss 2024/117)."


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    """run_analysis over all sample exports (13 offices × P1, P2, P3a), pseudonymised with the test key; one
    finding is accepted on the allowlist."""
    from pmtool.analysis import run_analysis
    from pmtool.project import project_from_dict

    root = tmp_path_factory.mktemp("report_project")
    (root / "allowlist.toml").write_text(
        f'[[accept]]\noffice = "GA-02"\nitem = "rule:P3a-Y-INSTRUCTOR"\njustification = "{ACCEPTED}"\n', "utf-8")
    raw = {"project": {"name": "Stichprobe Sachsen", "as_of": AS_OF, "allowlist": "allowlist.toml"},
           "sources": {"folder": str(SAMPLE_LOGS)},
           "processes": {pid: {"model": str(MODELS / name)} for pid, name in MODEL_FILES.items()}}
    project = project_from_dict(raw, root=root)
    return run_analysis(project, key=PseudonymKey(TEST_KEY_TEXT.encode()))


@pytest.fixture(scope="module")
def report(analysis, tmp_path_factory):
    """The German report as HTML and PDF/A, written by one call."""
    from pmtool.report import build_report

    return build_report(analysis, tmp_path_factory.mktemp("report_out"), lang="de", formats=("html", "pdf"))


@pytest.fixture(scope="module")
def html(report) -> str:
    return report.html.read_text("utf-8")


@pytest.fixture(scope="module")
def pdf(report):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 reads the PDF (pip install -e '.[test]')")
    return pdfium.PdfDocument(report.pdf)


@pytest.fixture(scope="module")
def pdf_text(pdf) -> str:
    """The text of every page (footers included), spaces normalised."""
    return _normalised("\n".join(page.get_textpage().get_text_range() for page in pdf))


#: Height of the page footer (points from the bottom edge): the template's bottom margin is 18 mm.
FOOTER = 48.0


@pytest.fixture(scope="module")
def pdf_body(pdf) -> str:
    """The text of every page without the footer, spaces normalised."""
    texts = []
    for page in pdf:
        width, height = page.get_size()
        texts.append(page.get_textpage().get_text_bounded(left=0, bottom=FOOTER, right=width, top=height))
    return _normalised("\n".join(texts))


def _normalised(text: str) -> str:
    """Text as extracted, with the break hints of long hashes removed and every kind of space one space."""
    return " ".join(text.replace("\u200b", "").split())


def _svgs(html: str) -> list[str]:
    return [base64.b64decode(m).decode("utf-8") for m in DATA_URI.findall(html)]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def test_one_call_writes_german_html_and_pdf(report):
    assert report.lang == "de"
    assert report.html.name == "bericht.html" and report.pdf.name == "bericht.pdf"
    assert report.html.stat().st_size > 100_000 and report.pdf.stat().st_size > 100_000


def test_html_is_self_contained(html):
    elements = _elements(html)
    for tag, attrs in elements:
        for name in ("src", "href", "srcset", "poster", "data"):
            value = attrs.get(name) or ""
            assert not re.match(r"^\s*(https?:)?//", value), f"<{tag} {name}={value[:60]}> points to another host"
            if tag in ("img", "script", "iframe", "source") and name == "src":
                assert value.startswith("data:image/svg+xml;base64,"), f"<{tag}> loads {value[:40]}"
    assert not any(tag in ("script", "iframe", "object", "embed") for tag, _ in elements)
    assert not any(tag == "link" and attrs.get("rel") == "stylesheet" for tag, attrs in elements)
    without_pictures = DATA_URI.sub("", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", without_pictures), "CSS fetches from another host"
    assert "@import" not in without_pictures and "@font-face" not in without_pictures
    for svg in _svgs(html):
        addresses = re.findall(r"(?:https?:)?//[^\s\"'<>)]+", svg)
        assert all(a.startswith(XML_NAMESPACES) for a in addresses), [a for a in addresses
                                                                      if not a.startswith(XML_NAMESPACES)]
        assert "<image" not in svg and "<script" not in svg


def test_html_is_accessible(html):
    elements = _elements(html)
    assert re.search(r'<html lang="de">', html)
    images = [attrs for tag, attrs in elements if tag == "img"]
    assert len(images) >= 3 * 5, "every process needs its Soll, overlay, Ist and charts"
    assert all((attrs.get("alt") or "").strip() for attrs in images), "every picture needs alt text"
    assert all(len(attrs["alt"]) > 40 for attrs in images), "alt text must describe, not only name"
    headings = [tag for tag, _ in elements if re.fullmatch(r"h[1-6]", tag)]
    assert headings.count("h1") == 1 and headings[0] == "h1"
    levels = [int(h[1]) for h in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), "no heading level skipped"
    tables = html.count("<table")
    assert tables >= 10 and html.count("<caption>") >= tables
    ths = [attrs for tag, attrs in elements if tag == "th"]
    assert ths and all(attrs.get("scope") in ("col", "row") for attrs in ths)
    assert '<main>' in html and '<nav class="toc"' in html


def test_german_text_from_the_catalogue(html, analysis):
    for heading in ("Zusammenfassung", "Kritische Differenzen: zuerst angehen", "Welcher Prozess zuerst?",
                    "Ämter × Prüfpunkte", "Fristeinhaltung je Amt", "Durchlaufzeiten je Amt",
                    "Wo im Prozess weichen die Ämter ab?", "Daten und Methode", "Reproduzierbarkeit"):
        assert heading in html, heading
    top = analysis.findings.sort("score", descending=True).row(0, named=True)
    assert _html_text(top["statement_de"]) in html
    assert "Score = 100 × Mehranteil × Gewicht × Wirkungsfaktor" in html
    assert re.search(r"\d+,\d\u202f%", html), "German percentages (8,6 %)"


def _html_text(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_accepted_finding_is_marked_with_its_justification_not_ranked(html, analysis):
    accepted = analysis.findings.filter(pl.col("accepted"))
    assert accepted.height == 1 and accepted["office"][0] == "GA-02"
    card = re.search(r'<article class="card card-accepted".*?</article>', html, re.S).group(0)
    assert ">akzeptiert<" in card and _html_text(ACCEPTED) in card and "GA-02" in card
    top = re.search(r'<table class="top-findings".*?</table>', html, re.S).group(0)
    assert _html_text(accepted["statement_de"][0]) not in top
    assert "Nicht aufgeführt sind akzeptierte Abweichungen (Allowlist mit schriftlicher Begründung): 1." in html


def test_small_numbers_are_suppressed_with_a_footnote(html, analysis):
    k = analysis.project.privacy_threshold
    assert "·" in html and f"weniger als {k} Fälle" in html
    imports = re.search(r'<table id="imports".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><th scope=\"row\">(GA-\d\d)</th>(.*?)</tr>", imports, re.S)
    assert len(rows) == 13
    hidden = 0
    for office, row in rows:
        cells = re.findall(r"<td class=\"[^\"]*\">([^<]*)</td>", row)[2:]  # after the number and formats of files
        for cell in cells:
            if cell not in ("·", "—") and "%" not in cell:
                value = int(cell.replace(".", ""))
                assert value == 0 or value >= k, f"{office}: count {value} below {k} shown"
        # rows add up to totals that are shown: a row never hides exactly one cell
        assert cells.count("·") != 1, f"{office}: a single hidden cell could be recomputed from the total"
        hidden += cells.count("·")
    assert hidden >= 2, "the sample data has quarantine reasons below the threshold"


def test_figures_keep_to_the_threshold(analysis):
    from pmtool.report.models import private_dfg

    k = analysis.project.privacy_threshold
    d = analysis.processes["P2"].discoveries[0]
    view = private_dfg(d.shown, k)
    assert view is not None and view.edges["cases"].min() >= k
    assert view.activities["cases"].min() >= k


def test_disclosure_audit_of_the_sample_report(analysis, html):
    """The audit over everything the report and the comparison tables publish finds no small number that can
    be recomputed; and the route the issue found to GA-13's never-closed cases in P1 (the conformance
    table's total minus the shown offices, the heat map's rate of the office hidden next to it, a finding's
    "all other offices") is closed: those numbers are hidden in every table at once."""
    from pmtool.report.process_tables import conformance_table
    from pmtool.report.suppression import report_protection

    k = analysis.project.privacy_threshold
    protection = report_protection(analysis)
    assert len(protection.primary) > 100 and protection.recoverable == ()
    summary = analysis.processes["P1"].conformance.summary.sort("office")
    stale = dict(summary.select("office", "stale").iter_rows())
    table = conformance_table(summary, analysis.processes["P1"].conformance.cases, k, "de", "P1",
                              hidden=protection.hidden, period=analysis.project.period)
    column = {office: cells[5].text for office, cells in table.rows}
    hidden = sorted(o for o, text in column.items() if text == "·")
    assert "GA-13" in hidden and stale["GA-13"] < k and len(hidden) >= 2
    total = int(table.foot[0][1][5].text.replace(".", ""))
    rest = total - sum(int(text.replace(".", "")) for text in column.values() if text != "·")
    assert rest >= k - 1  # the hidden offices together: each could still be anything from 0 to rest
    rows = analysis.comparison.table.filter((pl.col("process") == "P1") & (pl.col("item") == "case:NO_CLOSURE"))
    for r in rows.iter_rows(named=True):
        assert (r["affected"] is None) == (r["office"] in hidden)  # hidden in the comparison exactly where here
        assert r["rate"] is None or r["office"] not in hidden
        if r["affected_others"] is not None:  # "all other offices" includes every hidden office
            assert total - r["affected"] - r["affected_others"] not in range(1, k)
    findings = analysis.findings.filter((pl.col("process") == "P1") & (pl.col("item") == "case:NO_CLOSURE"))
    assert findings.height and findings["affected_others"].drop_nulls().min() >= k
    heat = re.search(r'<table id="heat-P1".*?</table>', html, re.S).group(0)
    assert heat.count("·") >= 2


def test_no_raw_identifier_in_any_output(report, html, pdf, pdf_text):
    from pmtool.ingest.jobs import collect_jobs
    from pmtool.ingest.pipeline import ingest
    from pmtool.ingest.profile import MappingProfile, load_profile

    raw = set(pl.read_csv(SAMPLE_LOGS / "ground_truth_cases.csv", infer_schema=False)["case_id"].to_list())
    staff: set[str] = set()
    for job in collect_jobs([SAMPLE_LOGS], None):  # read every export the way its profile says, in clear
        result = ingest(job.export, load_profile(job.profile) if job.profile else MappingProfile(), key=None,
                        allow_identifiable=True)
        raw |= set(result.log.frame["case_id"].drop_nulls().to_list())
        staff |= set(result.log.frame["resource"].drop_nulls().to_list())
    staff = {s for s in staff if not s.startswith(SYSTEM_ACCOUNTS)}
    assert len(raw) > 5_000 and len(staff) > 100
    sample = sorted(staff)[0]
    assert _found(raw | staff, f"… {sample} …") == [sample], "the search must find what it looks for"
    inflated = _inflated(report.pdf.read_bytes())
    metadata = _xmp(inflated) + "\n" + "\n".join(str(v) for v in pdf.get_metadata_dict().values())
    alt = "\n".join(_alt_texts(inflated))
    assert len(alt) > 1_000, "the figures' alternative texts are read from the structure tree"
    texts = {"html": DATA_URI.sub("", html), "svg": "\n".join(_svgs(html)), "pdf": pdf_text,
             "pdf metadata": metadata, "pdf alt texts": alt}
    for where, text in texts.items():
        leaked = _found(raw | staff, text)
        assert not leaked, f"{where} holds raw identifiers such as {leaked[:3]}"


def _found(values: set[str], text: str) -> list[str]:
    """The values that occur in ``text`` (a token index first, so 15,000 values take milliseconds)."""
    tokens = set(re.findall(r"[\w.]+", text))
    candidates = [v for v in values if all(tok in tokens for tok in re.findall(r"[\w.]+", v))]
    return sorted(v for v in candidates if v in text)


A4 = (595.3, 841.9)


def test_pdf_is_pdf_a_with_metadata(report, pdf):
    assert len(pdf) >= 20
    sizes = {tuple(round(x, 1) for x in page.get_size()) for page in pdf}
    assert sizes <= {A4, A4[::-1]}, f"A4 only (portrait or landscape), got {sizes}"
    info = pdf.get_metadata_dict()
    assert info["Title"].startswith("Ist/Soll-Analyse") and info["Author"] == "pmtool"
    assert info["Subject"].startswith("Ist/Soll-Analyse der Prozesse P1, P2, P3a")
    assert "Gesundheitsamt" in info["Keywords"]
    # the data's as-of point (2026-03-31 23:59 +02:00) in UTC, never the clock
    assert info["CreationDate"] == "D:20260331215900Z" and info["ModDate"] == info["CreationDate"]
    inflated = _inflated(report.pdf.read_bytes())
    xmp = _xmp(inflated)
    assert re.search(r'pdfaid:part(?:="|>)2', xmp) and re.search(r'pdfaid:conformance(?:="|>)A', xmp)
    assert "<dc:title>" in xmp and "<dc:language>" in xmp and "<rdf:li>de</rdf:li>" in xmp
    assert "<xmp:CreateDate>2026-03-31T21:59:00Z</xmp:CreateDate>" in xmp
    assert re.search(rb"/Lang\s*\(de\)", inflated) and b"/StructTreeRoot" in inflated
    assert b"/OutputIntents" in inflated and re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", inflated)


def test_pdf_is_tagged_with_headings_tables_figures_and_bookmarks(report, pdf, html):
    inflated = _inflated(report.pdf.read_bytes())
    tags = re.findall(rb"/S\s*/(\w+)", inflated)
    for tag in (b"Title", b"H1", b"H2", b"H3", b"Table", b"THead", b"TH", b"TD", b"Figure", b"Link", b"TOC"):
        assert tag in tags, tag
    assert tags.count(b"Table") == html.count("<table"), "every table of the HTML is a tagged table"
    assert re.search(rb"/Scope\s*/Column", inflated), "header cells say what they head"
    figures = tags.count(b"Figure")
    assert figures == html.count("<img ") and len(_alt_texts(inflated)) >= figures, "every figure has alt text"
    bookmarks = [b.get_title() for b in pdf.get_toc()]
    for title in ("Zusammenfassung", "P1 Meldefallbearbeitung", "Daten und Methode",
                  "Anhang: Ist-Prozesse aller Ämter", "Kritische Differenzen im Einzelnen"):
        assert title in bookmarks, title


def _inflated(data: bytes) -> bytes:
    """The PDF with its compressed streams inflated (objects may sit in object streams)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end():match.end() + 5_000_000]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _xmp(inflated: bytes) -> str:
    match = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", inflated, re.S)
    assert match, "the PDF carries an XMP metadata packet"
    return match.group(0).decode("utf-8")


def _alt_texts(inflated: bytes) -> list[str]:
    """The /Alt entries of the structure tree (UTF-16 hex strings or literal strings)."""
    texts = []
    for hexed in re.findall(rb"/Alt\s*<([0-9A-Fa-f\s]+)>", inflated):
        raw = bytes.fromhex(re.sub(rb"\s", b"", hexed).decode())
        texts.append(raw.decode("utf-16") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1"))
    return texts + [t.decode("latin-1") for t in re.findall(rb"/Alt\s*\(((?:[^()\\]|\\.)*)\)", inflated)]


def test_pdf_pages_render_and_carry_the_german_text(pdf, pdf_text, analysis):
    for index in range(4):
        image = pdf[index].render(scale=30 / 72).to_pil().convert("L")
        ink = sum(image.histogram()[:128])
        assert ink > 500, f"page {index + 1} is (nearly) blank"
    for heading in ("Zusammenfassung", "Urteil je Prozess", "Kritische Differenzen: zuerst angehen",
                    "Prozess-Priorisierungsmatrix", "Daten und Methode", "Anhang: Ist-Prozesse aller Ämter"):
        assert heading in pdf_text, heading
    top = analysis.findings.sort("score", descending=True).row(0, named=True)
    assert " ".join(top["statement_de"].split())[:60] in pdf_text
    assert re.search(r"Seite 2 von \d+", pdf_text) and "Seite 1 von" not in pdf_text, "no footer on the cover"


NUMBER = re.compile(r"\d+(?:[.,]\d+)*|·|—")


def _html_tables(html: str, pattern: str) -> list[tuple[list[str], str]]:
    """Per table whose opening tag matches ``pattern``: its numbers, "·" and "—" in reading order, and the
    label of its first row."""
    out = []
    for table in re.findall(pattern + r".*?</table>", html, re.S):
        first = re.search(r'<th scope="row"[^>]*>(.*?)</th>', table, re.S)
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", table))
        label = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", first.group(1))).split()) if first else ""
        out.append((NUMBER.findall(" ".join(text.split())), label))
    return out


def _pdf_tables(text: str, start: str, end: str, first_labels: list[str]) -> list[list[str]]:
    """Per occurrence of the caption ``start`` in the PDF text: the numbers up to the next ``end``, with the
    column headers repeated on a continuation page left out (the header is the text between the caption
    and the first row's label). A heading with the caption's words directly above the caption counts once."""
    out = []
    stop = -1
    labels = iter(first_labels)
    for match in re.finditer(re.escape(start), text):
        if match.start() < stop:
            continue
        label = next(labels, "")
        stop = text.find(end, match.start())
        assert stop > 0, f"no {end!r} after {start!r}"
        region = text[match.end():stop]
        head_end = region.find(label) if label else -1
        if head_end > 0:
            head = region[:head_end]
            region = head + region[head_end:].replace(head, " ")
        out.append(NUMBER.findall(start + region))
    return out


def test_pdf_and_html_show_the_same_numbers(html, pdf_body):
    """Every number, "·" and "—" of the top findings, the priorities, the heat maps and the conformance
    tables, in the same order in the PDF as in the HTML."""
    from pmtool.i18n import t

    checked = 0
    for pattern, caption, note in (
            (r'<table class="top-findings"', t("report.summary.top_caption", "de", n=10), "report.summary.score_note"),
            (r'<table id="priorities"', t("report.priority.caption", "de"), "report.priority.note"),
            (r'<table id="heat-[^"]*"', t("report.heat.caption", "de"), "report.heat.note"),
            (r'<table id="conformance-[^"]*"', t("report.conf.caption", "de"), "report.conf.note")):
        in_html = _html_tables(html, pattern)
        assert in_html and all(len(numbers) >= 5 for numbers, _ in in_html), pattern
        in_pdf = _pdf_tables(pdf_body, caption, t(note, "de")[:30], [label for _, label in in_html])
        assert len(in_pdf) == len(in_html), f"{caption}: {len(in_pdf)} tables in the PDF, {len(in_html)} in the HTML"
        for i, (got, want) in enumerate(zip(in_pdf, [numbers for numbers, _ in in_html], strict=True)):
            at = next((j for j, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
            near = slice(max(0, at - 5), at + 5)
            assert got == want, f"{caption} #{i + 1}: PDF {got[near]} ≠ HTML {want[near]}"
        checked += sum(len(numbers) for numbers in in_pdf)
    assert checked > 500


#: Typst markup of every kind; in a label it must print as it is.
HOSTILE = '= #set page(paper: "a3") *fett* _kursiv_ [x] $y$ @ref <lab> \\ // Kommentar #pagebreak() `roh`'
WIDE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="1400pt" height="300pt" viewBox="0 0 1400 300">'
            b'<rect x="2" y="2" width="1396" height="296" fill="#eeeeee" stroke="#000000"/>'
            b'<text x="20" y="150" font-family="DejaVu Sans" font-size="40">Breites Bild</text></svg>')


def test_labels_are_text_never_typst_markup(analysis, pdf):
    """Office names, activity labels, titles and alt texts reach the PDF as text, whatever they hold; a wide
    picture gets an A4 landscape page."""
    from dataclasses import replace

    from pmtool.report.context import Figure, build_context
    from pmtool.report.pdf import render_pdf

    pdfium = pytest.importorskip("pypdfium2")
    ctx = build_context(analysis, "de")
    first = ctx.processes[0]
    card = replace(first.cards[0], office=HOSTILE, statement=HOSTILE, anchor=HOSTILE)
    rows = first.conformance.rows
    conformance = replace(first.conformance, rows=((HOSTILE, rows[0][1]), *rows[1:]), caption=HOSTILE)
    wide = Figure("wide", WIDE_SVG, alt=HOSTILE, caption=HOSTILE, size="a3", title=HOSTILE)
    section = replace(first, name=HOSTILE, cards=(card, *first.cards[1:]), conformance=conformance, soll=wide)
    hostile = replace(ctx, subtitle=HOSTILE, meta=replace(ctx.meta, title=HOSTILE),
                      processes=(section, *ctx.processes[1:]))
    doc = pdfium.PdfDocument(render_pdf(hostile))
    text = _normalised("\n".join(page.get_textpage().get_text_range() for page in doc))
    assert text.count(_normalised(HOSTILE)) >= 6 + len(doc) - 1, "cover, heading, card, table, caption, footers"
    assert doc.get_metadata_dict()["Title"] == HOSTILE
    assert len(doc) == len(pdf), "no markup in a label adds or removes a page"
    sizes = [tuple(round(x, 1) for x in page.get_size()) for page in doc]
    assert sizes.count(A4[::-1]) == 1 and sizes.count(A4) == len(doc) - 1, "the wide picture alone is landscape"
    landscape = sizes.index(A4[::-1])
    assert "Breites Bild" in doc[landscape].get_textpage().get_text_range()


def test_same_report_gives_the_same_pdf(analysis, report):
    from pmtool.report.context import build_context
    from pmtool.report.pdf import render_pdf

    again = render_pdf(build_context(analysis, "de"))
    assert again == report.pdf.read_bytes(), "the same analysis must give the same PDF, byte for byte"


def test_report_renders_in_chromium_without_network(report, tmp_path):
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not installed: the offline check of the HTML in a browser needs it "
                    "(Debian: apt-get install chromium; CI installs it)")
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><html lang="de"><body><img src="https://example.org/a.png" alt="x">'
                       "</body></html>", "utf-8")
    assert _page_requests(exe, control, tmp_path / "c") == ["https://example.org/a.png"], \
        "the network log must see a page's request (else the check below proves nothing)"
    dom = tmp_path / "r" / "dom.html"
    assert _page_requests(exe, report.html, tmp_path / "r", dom=dom) == []
    text = dom.read_text("utf-8")
    assert "Zusammenfassung" in text and text.count("<img") >= 15
    shot = tmp_path / "shot.png"
    subprocess.run([exe, *_CHROMIUM, f"--user-data-dir={tmp_path / 's'}", "--window-size=1280,2000",
                    f"--screenshot={shot}", report.html.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 50_000, "the screenshot is (nearly) blank"


_CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             "--host-resolver-rules=MAP * ~NOTFOUND"]


def _page_requests(exe: str, page: Path, work: Path, dom: Path | None = None) -> list[str]:
    """URLs the page itself asked for (Chromium's network log; the browser's own update checks left out)."""
    work.mkdir()
    log = work / "net.json"
    done = subprocess.run([exe, *_CHROMIUM, f"--user-data-dir={work / 'profile'}", f"--log-net-log={log}",
                           "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True)
    if dom is not None:
        dom.write_bytes(done.stdout)
    events = json.loads(log.read_text("utf-8"))
    kinds = {v: k for k, v in events["constants"]["logEventTypes"].items()}
    urls = []
    for e in events["events"]:
        params = e.get("params", {})
        page = "file://" in params.get("network_isolation_key", "")  # asked for by the page, not the browser
        started = kinds.get(e["type"]) == "URL_REQUEST_START_JOB"
        if started and page and not params["url"].startswith(("file:", "data:")):
            urls.append(params["url"])
    return urls


def test_english_switch_and_deterministic_html(analysis, html):
    from pmtool.report.context import build_context
    from pmtool.report.html import render_html

    english = render_html(build_context(analysis, "en"))
    assert '<html lang="en">' in english and "Summary" in english and "Critical differences" in english
    top = analysis.findings.sort("score", descending=True).row(0, named=True)
    assert _html_text(top["statement_en"]) in english
    assert "Zusammenfassung" not in english
    again = render_html(build_context(analysis, "de"))
    assert again == html, "the same analysis must give the same HTML, byte for byte"
