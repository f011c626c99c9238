"""The gap report built from the bundled sample data by one call: HTML that renders offline, PDF/A with
metadata, German text, suppression marks, and not one raw case id or staff name in any output."""

from __future__ import annotations

import base64
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
def pdf_text(report) -> str:
    return _tool("pdftotext", str(report.pdf), "-")


def _tool(name: str, *args: str) -> str:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (Debian package poppler-utils)")
    done = subprocess.run([name, *args], capture_output=True, check=True, timeout=120)
    return done.stdout.decode("utf-8", "replace")


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


def test_no_raw_identifier_in_any_output(report, html, pdf_text):
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
    metadata = _tool("pdfinfo", "-meta", str(report.pdf))
    texts = {"html": DATA_URI.sub("", html), "svg": "\n".join(_svgs(html)), "pdf": pdf_text, "xmp": metadata}
    for where, text in texts.items():
        leaked = _found(raw | staff, text)
        assert not leaked, f"{where} holds raw identifiers such as {leaked[:3]}"


def _found(values: set[str], text: str) -> list[str]:
    """The values that occur in ``text`` (a token index first, so 15,000 values take milliseconds)."""
    tokens = set(re.findall(r"[\w.]+", text))
    candidates = [v for v in values if all(tok in tokens for tok in re.findall(r"[\w.]+", v))]
    return sorted(v for v in candidates if v in text)


def test_pdf_is_pdf_a_with_metadata(report):
    info = _tool("pdfinfo", str(report.pdf))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 20
    assert re.search(r"Title:\s+Ist/Soll-Analyse", info)
    assert re.search(r"Author:\s+pmtool", info)
    assert re.search(r"Subject:\s+Ist/Soll-Analyse der Prozesse P1, P2, P3a", info)
    assert re.search(r"Keywords:\s+.*Gesundheitsamt", info)
    assert re.search(r"Tagged:\s+yes", info)
    assert "CreationDate:" in info and "2026" in re.search(r"CreationDate:.*", info).group(0)
    xmp = _tool("pdfinfo", "-meta", str(report.pdf))
    assert re.search(r'pdfaid:part="2"', xmp) and re.search(r'pdfaid:conformance="A"', xmp)
    assert "<dc:title>" in xmp and "<dc:language>" in xmp and "<rdf:li>de</rdf:li>" in xmp
    assert "<xmp:CreateDate>2026-03-31T23:59:00+02:00</xmp:CreateDate>" in xmp
    catalog = _inflated(report.pdf.read_bytes())
    assert b"/Lang (de)" in catalog and b"/StructTreeRoot" in catalog and b"/OutputIntents" in catalog


def _inflated(data: bytes) -> bytes:
    """The PDF with its compressed streams inflated (objects may sit in object streams)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end():match.end() + 2_000_000]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_pdf_pages_render_and_carry_the_german_text(report, pdf_text, analysis, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (Debian package poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "4", str(report.pdf), str(tmp_path / "p")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 4 and all(p.stat().st_size > 2_000 for p in pages)
    flat = " ".join(pdf_text.split())
    for heading in ("Zusammenfassung", "Urteil je Prozess", "Kritische Differenzen: zuerst angehen",
                    "Prozess-Priorisierungsmatrix", "Daten und Methode", "Anhang: Ist-Prozesse aller Ämter"):
        assert heading in flat, heading
    top = analysis.findings.sort("score", descending=True).row(0, named=True)
    assert " ".join(top["statement_de"].split())[:60] in flat


def test_report_renders_in_chromium_without_network(report, tmp_path):
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
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
