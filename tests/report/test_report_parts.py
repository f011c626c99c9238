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
from pmtool.report.models import soll_dot
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


def _svg(width: float, height: float, font: float = 10.0, scale: float = 1.0) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}pt" height="{height}pt" '
            f'viewBox="0 0 {width} {height}"><g transform="scale({scale})"><text font-size="{font}">A</text></g>'
            f'</svg>').encode()


def test_text_sizes_are_read_from_graphviz_and_matplotlib_pictures():
    from pmtool.graphviz import run_dot
    from pmtool.report.charts import ThroughputRow, throughput_chart
    from pmtool.report.svg_text import min_text_pt, natural_size, text_sizes

    assert text_sizes(_svg(200, 100, 14, 0.5)) == [7.0], "transforms count"
    dot = run_dot('digraph { a [label="A", fontsize=12]; b [label="B", fontsize=9]; a -> b; }\n', "svg")
    assert sorted(set(round(x, 2) for x in text_sizes(dot))) == [9.0, 12.0]
    chart = throughput_chart([ThroughputRow("GA-01", (10.0, 20.0, 30.0, 40.0, 50.0))], 30.0, "de")
    sizes = text_sizes(chart)  # matplotlib draws glyphs as paths: their scale is the font size / 100
    assert sizes and min(sizes) >= 8.0 and natural_size(chart)[0] > 100
    assert min_text_pt(b'<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt"/>') is None


def test_a_picture_is_placed_where_its_text_stays_readable():
    from pmtool.report.print_layout import place

    small = place(_svg(400, 500), "sheet")
    assert (small.landscape, small.width, small.min_text_pt) == (False, 400.0, 10.0), "never drawn larger"
    wide = place(_svg(1400, 300), "sheet")
    assert wide.landscape and wide.width == 757.0, "a wide picture turns the page, within the text area"
    tall = place(_svg(871, 1929, font=9), "sheet")
    assert not tall.landscape and not tall.readable, "a tall process map does not fit A4 readably"
    assert place(_svg(600, 200, font=9), "flow").width == 510.0


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
            _row(finding_id="F-4", office="GA-09", affected=20, score=9.0),
            _row(finding_id="F-5", eligible=600, code="INSERT", score=1.0),  # other cases, the same number
            _row(finding_id="F-6", eligible=600, score=0.5, code="RULE", item_type="rule")]  # same cases, other base
    same = frozenset({("GA-04", f"C-{i}") for i in range(29)})
    other = frozenset({("GA-04", f"D-{i}") for i in range(29)})
    asked: list[str] = []

    def cases_of(found):
        asked.extend(r["finding_id"] for r in found)
        return {r["finding_id"]: other if r["finding_id"] == "F-5" else same for r in found}

    groups = group_findings(rows, cases_of)
    assert [g.lead["finding_id"] for g in groups] == ["F-4", "F-2", "F-5"]
    assert [o["finding_id"] for o in groups[1].others] == ["F-3", "F-1", "F-6"]
    assert "F-4" not in asked  # the only finding of its office with 20 cases: nothing to compare
    # without the cases, equal numbers are not taken for the same cases: every finding stands alone
    assert len(group_findings(rows)) == len(rows)
    assert item_label(groups[1].lead, "de") == "Regel „Fall abgeschlossen“"
    assert item_label(rows[0], "en") == "'Fall abgeschlossen' skipped"
    assert item_label(rows[0], "de") == "„Fall abgeschlossen“ fehlt"
    merged = _row(code="INSERT", activity="Fall zusammengeführt")
    assert item_label(merged, "de") == ("„Fall zusammengeführt“ zusätzlich, obwohl im Soll nicht vorgesehen – ein "
                                        "doppelt angelegter Fall wurde später zusammengeführt"), "says what it is"


def test_a_card_has_the_number_of_its_lead_in_the_findings_table_and_names_the_others_by_theirs():
    from pmtool.report.items import FindingGroup, card_number, same_cases_label

    lead, other = _row(finding_id="F-2", rank=7), _row(finding_id="F-3", rank=9, code="NO_CLOSURE")
    group = FindingGroup(lead, (other,))
    assert card_number(group, 6) == 7  # the sixth card, after a merged one: still rank 7 of findings.csv
    assert card_number(FindingGroup(_row(), ()), 6) == 6  # a row without a rank keeps its place
    assert same_cases_label((other,), "de") == "Dieselben Fälle zählen auch als Befund: Nr. 9: Fälle nie abgeschlossen"


def test_unknown_format_or_language_is_refused_before_any_work(tmp_path):
    dummy = SimpleNamespace(project=SimpleNamespace(language="de"))
    with pytest.raises(ConfigError, match="docx"):
        build_report(dummy, tmp_path, formats=("html", "docx"))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="fr"):
        build_report(dummy, tmp_path, lang="fr")  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


def test_the_template_places_a_picture_at_its_computed_width(tmp_path):
    """What the print checks assume: blocks.typ draws a picture exactly as wide as pdf_model says."""
    pdfium = pytest.importorskip("pypdfium2")
    import pypdfium2.raw as pdfium_raw

    from pmtool.report import pdf

    (tmp_path / "blocks.typ").write_bytes((TEMPLATES / "blocks.typ").read_bytes())
    (tmp_path / "box.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="400pt" height="200pt" '
                                       b'viewBox="0 0 400 200"><rect x="0" y="0" width="400" height="200" '
                                       b'fill="#336699"/></svg>')
    source = ('#import "blocks.typ": *\n#set document(title: "t", date: datetime(year: 2000, month: 1, day: 1))\n'
              '#set text(lang: "de", font: "DejaVu Sans")\n'
              '#flow-figure((parts: ((file: "box.svg", width: 321.5, landscape: false),), alt: "Kasten", '
              'caption: "", notes: (), legend_title: "", legend: (), print_note: "", part_label: ""))\n')
    doc = pdfium.PdfDocument(pdf._compile(tmp_path, source.encode("utf-8")))
    paths = [o.get_bounds() for o in doc[0].get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=5)]
    left, bottom, right, top = (min(b[0] for b in paths), min(b[1] for b in paths), max(b[2] for b in paths),
                                max(b[3] for b in paths))
    assert right - left == pytest.approx(321.5, abs=0.5) and top - bottom == pytest.approx(160.75, abs=0.5)


def test_day_counts_have_no_tenths_from_100_days_and_huge_sums_read_in_millions():
    assert numbers.days(2.5 * 24, "en") == "2.5 days" and numbers.days(88 * 24, "en") == "88.0 days"
    assert numbers.days(2422.1 * 24, "en") == "2,422 days" and numbers.days(198 * 24, "de") == "198 Tage"
    assert numbers.days(30_157_116 * 24, "en") == "30.2 million days"
    assert numbers.days(51_377_045 * 24, "de") == "51,4 Mio. Tage"


def test_adoption_axis_labels_never_crowd_a_panel():
    from pmtool.report.adoption_chart import MAX_TICKS, axis_ticks

    for months in (1, 2, 3, 16, 162, 500):
        ticks = axis_ticks(months)
        assert len(ticks) <= MAX_TICKS and ticks[0] == 0 and ticks[-1] == months - 1
        assert ticks == sorted(set(ticks))


def test_a_narrowed_as_is_map_draws_where_its_flow_leaves_it():
    """A → B → C → D with C hidden: B's strongest step leads to hidden C and D's comes from it; both are
    drawn as dashed arrows to and from a '⋯ C' box, with their numbers of cases."""
    import polars as pl

    from pmtool.discover.dfg import directly_follows
    from pmtool.eventlog.log import EventLog
    from pmtool.report.models import CutFlow, cut_flows, ist_figure
    from pmtool.report.svg_text import min_text_pt

    rows = [("X", f"c{i}", a, f"2025-01-01T0{j}:00:00") for i in range(12) for j, a in enumerate("ABCD")]
    rows += [("X", f"d{i}", a, f"2025-01-01T0{j}:00:00") for i in range(3) for j, a in enumerate("ABD")]
    frame = pl.DataFrame(rows, schema=["office", "case_id", "activity", "timestamp"], orient="row")
    frame = frame.with_columns(pl.col("timestamp").str.to_datetime(time_zone="UTC"))
    whole = directly_follows(EventLog.from_frame(frame))
    view = whole.filter(top_activities=3)  # C has the fewest cases of the four
    assert "C" not in view.activities["activity"].to_list()
    cut = cut_flows(whole, view)
    assert cut == (CutFlow("B", "C", 12, True), CutFlow("D", "C", 12, False))
    svg = ist_figure(view, title="X", lang="en", cut=cut).decode()
    assert svg.count("⋯ C") == 2 and "12 cases" in svg and min_text_pt(svg.encode()) >= 8
    assert cut_flows(whole, whole) == ()


def test_a_whole_map_too_large_to_print_readably_is_named_not_shrunk(tmp_path):
    from pmtool.report.context import Figure
    from pmtool.report.pdf_model import Figures

    figures = Figures(tmp_path, "en")
    huge = Figure("big", _svg(6000, 6000, 10), alt="", caption="", size="sheet")
    described = figures.sheet(huge, "Heading")["figure"]
    assert described["parts"] == [] and not list(tmp_path.iterdir())
    assert described["print_note"].startswith("Not printed: the figure is too large for a readable A4 page")
    noted = figures.sheet(Figure("big2", huge.svg, alt="", caption="", size="sheet", print_note="Elsewhere."))
    assert noted["figure"]["print_note"] == "Elsewhere."
    fitting = figures.sheet(Figure("small", _svg(400, 300), alt="", caption="", size="sheet"))
    assert len(fitting["figure"]["parts"]) == 1


def test_a_deadline_advice_quotes_the_medians_only_when_the_model_is_faster_as_printed():
    from pmtool.models.rules import Rule
    from pmtool.report.advice import ModelOffice, _deadline

    rule = Rule("P1-L", "deadline", "Übermittlung", "legal", "high", start="Falldefinition bewertet",
                end="Fall an Landesstelle übermittelt", amount=1, unit="working_days")
    row = {"office": "GA-07", "duration_median_hours": 2.6}
    faster = _deadline(row, ModelOffice("GA-09", 3, 200, duration_hours=1.0), rule, "de")
    assert "im Median" in faster and "in GA-07" in faster  # the model is quicker: both medians named
    same = _deadline(row, ModelOffice("GA-09", 3, 200, duration_hours=2.5), rule, "de")  # 0,1 Tage both
    assert "im Median" not in same and "innerhalb der Frist (1 Arbeitstag)" in same
    slower = _deadline(row, ModelOffice("GA-09", 3, 200, duration_hours=30.0), rule, "de")
    assert "im Median" not in slower


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_card_s_sums_say_equal_only_where_the_shown_numbers_give_the_result(lang):
    from pmtool.report.cards import excess_sentence, score_sentence

    row = {"office": "GA-01", "shrunk_low": 0.4264, "shrunk_rate": 0.48, "rate_others": 0.0857,
           "severity_weight": 1.0, "impact_factor": 1.19, "basis": None, "severity": None, "impact_hours": None,
           "code": "SKIP"}
    row["excess_share"] = row["shrunk_low"] - row["rate_others"]  # 0.3407: 34.1 points, 42.6 − 8.6 = 34.0
    row["score"] = round(100 * row["excess_share"] * 1.0 * 1.19, 6)  # 40.54; 100 × 0.341 × 1.00 × 1.19 = 40.58
    excess, score = excess_sentence(row, lang), score_sentence(row, lang)
    comma = (lambda x: x.replace(".", ",")) if lang == "de" else (lambda x: x)
    assert comma("42.6") in excess and comma("8.6") in excess and f"≈ {comma('34.1')}" in excess, excess
    assert f"≈ {comma('40.5')}" in score, score
    row.update(shrunk_low=0.426, rate_others=0.086, excess_share=0.34, score=round(100 * 0.34 * 1.19, 6))
    assert f"= {comma('34.0')}" in excess_sentence(row, lang)
    assert f"= {comma('40.5')}" in score_sentence(row, lang)  # 100 × 0.340 × 1.00 × 1.19 = 40.46
