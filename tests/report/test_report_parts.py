"""The report's building blocks, without an analysis: texts, numbers, colours, the Soll view, limits."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import MODEL_FILES, MODELS

from pmtool.errors import ConfigError
from pmtool.i18n import catalogue
from pmtool.report import build_report, numbers
from pmtool.report.bpmn_view import read_process_view
from pmtool.report.html import css_string
from pmtool.report.items import group_findings, item_label
from pmtool.report.models import page_class, soll_dot
from pmtool.report.palette import office_style, rate_class

TEMPLATES = Path(__file__).resolve().parents[2] / "pmtool" / "report" / "templates"


def test_every_text_of_the_templates_is_in_the_catalogue():
    keys = set()
    for path in TEMPLATES.glob("*.j2"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", path.read_text("utf-8")))
    assert len(keys) > 30
    missing = sorted(keys - set(catalogue()))
    assert not missing, f"template texts missing from messages.toml: {missing}"


def test_numbers_follow_the_language():
    assert numbers.count(12345, "de") == "12.345" and numbers.count(12345, "en") == "12,345"
    assert numbers.count(3, "de", k=5) == "·" and numbers.count(0, "de", k=5) == "0"
    assert numbers.rate(0.0861, "de") == "8,6\u202f%" and numbers.rate(0.481, "en") == "48%"
    assert numbers.days(36.0, "de") == "1,5 Tage" and numbers.p_value(0.0001, "de") == "< 0,001"
    assert numbers.rate(None, "de") == "—"


def test_css_string_cannot_break_out_of_the_style_element():
    text = str(css_string('Bericht "A" </style><script>'))
    assert text.startswith('"') and text.endswith('"')
    assert "</style" not in text and '"A"' not in text


def test_office_styles_are_fixed_and_distinct():
    styles = [office_style(f"GA-{i:02d}") for i in range(1, 14)]
    assert len({s.colour for s in styles}) == 13 and len({s.marker for s in styles}) == 13
    assert office_style("GA-07") == office_style("GA-07")
    assert office_style("LUA").colour not in {s.colour for s in styles}
    assert [rate_class(x) for x in (None, 0.0, 0.015, 0.3, 1.0)] == [None, 0, 1, 5, 5]


def test_large_pictures_get_an_a3_page():
    small = b'<svg width="400pt" height="500pt" viewBox="0 0 400 500">'
    tall = b'<svg width="650pt" height="2000pt" viewBox="0 0 650 2000">'
    assert page_class(small) == "page" and page_class(tall) == "a3"


def test_a_picture_turns_the_pdf_page_only_when_it_needs_width():
    from pmtool.report.pdf_model import landscape

    assert landscape(b'<svg width="1400pt" height="300pt" viewBox="0 0 1400 300">')
    assert not landscape(b'<svg width="871pt" height="1929pt" viewBox="0 0 871 1929">'), "a tall process map"
    assert not landscape(b'<svg width="500pt" height="500pt">'), "as large on a portrait page"
    assert not landscape(b'<svg viewBox="0 0 10 10">'), "no size: portrait"


def test_pdf_without_typst_says_how_to_install_it(monkeypatch):
    import sys

    from pmtool.errors import RenderError
    from pmtool.report import pdf

    monkeypatch.setitem(sys.modules, "typst", None)  # as if the package were not installed
    with pytest.raises(RenderError, match=re.escape("pip install 'typst>=0.14.3,<0.16'")):
        pdf.render_pdf(None)  # type: ignore[arg-type]
    with pytest.raises(RenderError, match="typst"):
        pdf.engine_check()


def test_pdf_fonts_come_with_matplotlib_and_their_absence_is_named(monkeypatch):
    from pmtool.errors import RenderError
    from pmtool.report import pdf

    assert [f.name for f in pdf.font_files()] == list(pdf.FONT_FILES)
    monkeypatch.setattr(pdf, "FONT_FILES", ("DejaVuSans.ttf", "Fehlt-Bold.ttf"))
    with pytest.raises(RenderError, match="Fehlt-Bold.ttf"):
        pdf.font_files()


def test_soll_view_reads_the_bpmn_flow_the_analysis_used():
    import hashlib

    path = MODELS / MODEL_FILES["P1"]
    view = read_process_view(path, hashlib.sha256(path.read_bytes()).hexdigest())
    assert view is not None and len(view.tasks) == 26
    assert {n.kind for n in view.nodes} >= {"start", "end", "task", "xor", "and"}
    assert all(n.lane for n in view.tasks), "every task has its lane (role)"
    assert read_process_view(path, "0" * 64) is None, "another file than the analysed one is not drawn"
    from pmtool.models.reference import load_reference

    reference = load_reference(path)
    dot = soll_dot(view, reference.net, title="P1", lang="de")
    assert all(f"{a}" in dot or a.split(" ")[0] in dot for a in reference.activities)
    fallback = soll_dot(None, reference.net, title="P1", lang="de")  # a PNML model: the net's activities
    assert fallback.count("shape=\"box\"") >= len(reference.activities)


def _row(**kw):
    base = {"process": "P1", "period": "all", "office": "GA-04", "eligible": 190, "affected": 29, "score": 2.3,
            "item_type": "deviation", "finding_id": "F-1", "code": "SKIP", "activity": "Fall abgeschlossen",
            "rule_id": None}
    return {**base, **kw}


def test_findings_about_the_same_cases_are_one_card_led_by_the_rule():
    rows = [_row(finding_id="F-1"),
            _row(finding_id="F-2", item_type="rule", code="RULE", rule_id="P1-S-CLOSED",
                 rule_title="Fall abgeschlossen"),
            _row(finding_id="F-3", item_type="case", code="NO_CLOSURE"),
            _row(finding_id="F-4", office="GA-09", affected=20, score=9.0)]
    groups = group_findings(rows)
    assert [g.lead["finding_id"] for g in groups] == ["F-4", "F-2"]
    assert [o["finding_id"] for o in groups[1].others] == ["F-3", "F-1"]
    assert item_label(groups[1].lead, "de") == "Regel „Fall abgeschlossen“"
    assert item_label(rows[0], "en") == "skipped: Fall abgeschlossen"


def test_unknown_format_or_language_is_refused_before_any_work(tmp_path):
    dummy = SimpleNamespace(project=SimpleNamespace(language="de"))
    with pytest.raises(ConfigError, match="docx"):
        build_report(dummy, tmp_path, formats=("html", "docx"))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="fr"):
        build_report(dummy, tmp_path, lang="fr")  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())
