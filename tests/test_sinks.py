"""Every label from the data is encoded for the sink it reaches: DOT and SVG (no links, no attributes from
the data), CSV and XLSX (no formulas), the terminal (no markup, no escape sequences, bounded length) and
messages (no raw values). One label Graphviz cannot draw costs its figure, not the run."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from lxml import etree
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.cli.console import PlainConsole
from pmtool.compare.output import comparison_writers
from pmtool.errors import RenderError
from pmtool.graphviz import attributes, graphviz_available, quoted
from pmtool.sinks import spreadsheet_csv, spreadsheet_frame, value_shape, xml_text

runner = CliRunner()
LINK = '<x> URL="javascript:alert(document.domain)" target="_top" tooltip=<y>'
SCRIPT = "<script>alert(1)</script>"
FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.invalid","x")', "+SUM(1)", "@SUM(1)", "-2+3",
            "\tTAB", "\rCR"]
MARKUP = "[/x] [bold]fett[/bold] :smile:"
ESCAPES = "\x1b]0;Fenstertitel\x07\x1b[2J\x1b]8;;http://evil.invalid\x1b\\Link\x1b]8;;\x1b\\"
HOSTILE = [LINK, SCRIPT, *FORMULAS, MARKUP, ESCAPES, "Steuer\x01zeichen\x7f"]
needs_graphviz = pytest.mark.skipif(not graphviz_available(), reason="pygraphviz not installed")


def _hostile_project(folder: Path) -> Path:
    """Three offices of P3a; GA-02's export has one more event per hostile label, the markup label in 250
    cases, and one row with a formula label and an unreadable timestamp (quarantined)."""
    target = folder / "exports" / "P3a"
    target.mkdir(parents=True)
    for path in sorted((SAMPLE_LOGS / "P3a").iterdir()):
        if path.name.split("_")[0] in ("GA-01", "GA-02", "GA-03"):
            shutil.copy(path, target / path.name)
    (folder / "models").mkdir()
    for suffix in (".bpmn", ".rules.toml"):
        name = MODEL_FILES["P3a"].replace(".bpmn", suffix)
        shutil.copy(MODELS / name, folder / "models" / name)
    export = target / "GA-02_P3a.csv"
    lines = export.read_text("utf-8-sig").splitlines()
    cases = [row.split(",")[0] for row in lines[1:]]
    for i, label in enumerate(HOSTILE):
        quoted_label = '"' + label.replace('"', '""') + '"'
        lines.append(f"{cases[i * 7]},{quoted_label},2025-01-0{1 + i % 9}T19:00:00+01:00,buergerportal,Bürger/in")
    for case in sorted(set(cases))[:250]:  # the most frequent unknown label: the console names it
        lines.append(f'{case},"{MARKUP}",2025-12-30T19:00:00+01:00,buergerportal,Bürger/in')
    lines.append(f'{cases[3]},"=1+2",kein Datum,buergerportal,Bürger/in')
    export.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    profile = target / "GA-02_P3a.profile.toml"
    profile.write_text(profile.read_text("utf-8").replace("require_full_map = true", "require_full_map = false"),
                       encoding="utf-8")
    project = folder / "pmtool.toml"
    project.write_text("\n".join([
        "[project]", 'name = "Test"', 'output = "results"', 'period = "2025"', 'formats = ["html"]',
        'tables = ["csv", "csv-excel", "xlsx"]', "as_of = 2026-03-31T23:59:00+02:00", "",
        "[sources]", 'folder = "exports"', "", "[processes.P3a]", f'model = "models/{MODEL_FILES["P3a"]}"',
        f'rules = "models/{MODEL_FILES["P3a"].replace(".bpmn", ".rules.toml")}"']) + "\n", encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    project = _hostile_project(tmp_path_factory.mktemp("hostile"))
    result = runner.invoke(app, ["--lang", "en", "run", "--project", str(project), "--quiet"],
                           env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    return project.parent / "results", result


def _formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: starting with = + @ tab CR, or with - when they are not a number."""
    bad = []
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                bad.append(cell)
            elif cell.startswith("-"):
                try:
                    float(cell.replace(",", "."))
                except ValueError:
                    bad.append(cell)
    return bad


def _csv_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if path.name.endswith(".excel.csv") else ","))


# --- DOT and SVG ---------------------------------------------------------------------------------------------

def test_a_dot_attribute_from_the_data_is_always_one_quoted_string():
    source = "digraph g { n " + attributes({"label": LINK, "xlabel": SCRIPT}) + "; }"
    assert source.count('"') - source.count('\\"') == 4  # two strings, every quote inside them escaped
    assert "label=<" not in source and "URL=" not in source.replace('URL=\\"', "")
    with pytest.raises(ValueError):
        attributes({"tooltip": "x"})
    with pytest.raises(ValueError):
        attributes({"URL": "https://example.invalid"})
    assert quoted("a\x00b") == '"a\ufffdb"'


@needs_graphviz
@pytest.mark.parametrize("label", [LINK, SCRIPT, "A\x1bB\x00C"])
def test_a_hostile_label_is_drawn_as_text_and_the_svg_links_nowhere(label):
    import datetime as dt

    from pmtool.discover.dfg import directly_follows
    from pmtool.discover.render import render_dfg
    from pmtool.eventlog.log import EventLog

    frame = pl.DataFrame({"office": ["GA-01"] * 2, "case_id": ["c1"] * 2, "activity": ["Start here", label],
                          "timestamp": [dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC),
                                        dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)]})
    svg = render_dfg(directly_follows(EventLog.from_frame(frame)), title="GA-01 · " + label)
    root = etree.fromstring(svg)
    assert not root.xpath("//*[local-name()='a']")
    for el in root.iter():
        for name, value in el.attrib.items():
            assert "href" not in name and "javascript:" not in value, (name, value)
    text = "".join(root.itertext())
    assert xml_text(label)[:12] in text  # the label is there, as text


@needs_graphviz
def test_a_figure_graphviz_cannot_draw_is_named_and_the_run_goes_on(tmp_path, monkeypatch):
    import pmtool.discover.export as export

    project = _hostile_project(tmp_path)
    real = export.render_dfg

    def broken(dfg, *, title, **kwargs):
        if title.startswith("GA-02"):
            raise RenderError("render.dot_failed", reason="syntax error in line 3")
        return real(dfg, title=title, **kwargs)

    monkeypatch.setattr(export, "render_dfg", broken)
    result = runner.invoke(app, ["--lang", "en", "run", "--project", str(project), "--quiet"],
                           env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert result.exit_code == 0, result.output
    assert "figure figures/P3a/GA-02_dfg.svg not drawn" in result.output
    assert "syntax error in line 3" in result.output
    figures = tmp_path / "results" / "figures" / "P3a"
    assert not (figures / "GA-02_dfg.svg").exists()
    assert (figures / "GA-01_dfg.svg").exists() and (figures / "GA-03_dfg.svg").exists()
    assert (figures / "GA-02_ist_net.svg").exists()
    # the next run tries the figure again instead of taking "not drawn" from the cache
    monkeypatch.setattr(export, "render_dfg", real)
    again = runner.invoke(app, ["--lang", "en", "run", "--project", str(project), "--quiet"],
                          env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    assert again.exit_code == 0 and "not drawn" not in again.output and (figures / "GA-02_dfg.svg").exists()


# --- the whole run with hostile labels -------------------------------------------------------------------------

@needs_graphviz
def test_hostile_labels_reach_no_sink_as_code(hostile_run):
    out, result = hostile_run
    assert result.exit_code == 0, result.output
    for office in ("GA-01", "GA-02", "GA-03"):  # one office's labels cost no office its figures
        assert (out / "figures" / "P3a" / f"{office}_dfg.svg").exists()
    for svg in (out / "figures").rglob("*.svg"):
        data = svg.read_bytes()
        assert b"<a " not in data and b"href" not in data and b"javascript:" not in data.replace(
            b"URL=&quot;javascript:", b""), svg


@needs_graphviz
def test_no_csv_cell_of_the_run_is_a_formula(hostile_run):
    out, _ = hostile_run
    tables = sorted(out.rglob("*.csv"))
    assert any(p.name.endswith(".quarantine.csv") for p in tables)
    seen = set()
    for path in tables:
        rows = _csv_rows(path)
        assert not _formula_cells(rows), (path.name, _formula_cells(rows)[:3])
        seen |= {cell for row in rows for cell in row}
    # the labels are there, neutralised, in the deviations, edges and quarantine tables
    assert "'+SUM(1)" in seen and "'@SUM(1)" in seen and "'=1+2" in seen
    deviations = _csv_rows(out / "tables" / "conformance" / "P3a_deviations.csv")
    assert any(cell == "'=cmd|' /C calc'!A0" for row in deviations for cell in row)
    edges = _csv_rows(out / "tables" / "discovery" / "P3a" / "GA-02_dfg_edges.csv")
    assert any(cell.startswith("'=HYPERLINK") for row in edges for cell in row)


@needs_graphviz
def test_no_xlsx_cell_of_the_run_is_a_formula(hostile_run):
    out, _ = hostile_run
    from zipfile import ZipFile

    import openpyxl

    with ZipFile(out / "tables" / "pmtool.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in book.read(n) for n in sheets)  # no formula anywhere
    book = openpyxl.load_workbook(out / "tables" / "pmtool.xlsx")
    formula_like = [cell for sheet in book for row in sheet.iter_rows() for cell in row
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert any(cell.value == "+SUM(1)" for cell in formula_like)
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in formula_like)


@needs_graphviz
def test_the_console_prints_labels_literally(hostile_run):
    _, result = hostile_run
    assert "[/x] [bold]fett[/bold] :smile:" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\x00" not in result.output
    assert "Traceback" not in result.output


def test_comparison_tables_neutralise_formulas_in_every_text_column(tmp_path):
    frames = {"findings": pl.DataFrame({"item": ["dev:INSERT:=SUM(1)"], "activity": ["=SUM(1)"], "n": [-3],
                                        "share": [-0.5]}),
              "comparison": pl.DataFrame({"activity": ["@A", "+B", "-C"], "variant": [["=X", "Y"]] * 3})}
    for path, write in comparison_writers(frames, tmp_path, ("csv", "csv-excel")).items():
        write(path)
    findings = _csv_rows(tmp_path / "findings.csv")
    assert findings[1] == ["dev:INSERT:=SUM(1)", "'=SUM(1)", "-3", "-0.5"]  # numbers stay numbers
    comparison = _csv_rows(tmp_path / "comparison.csv")
    assert [r[0] for r in comparison[1:]] == ["'@A", "'+B", "'-C"]
    assert comparison[1][1] == "'=X → Y"
    assert not _formula_cells(_csv_rows(tmp_path / "comparison.excel.csv"))


def test_spreadsheet_helpers():
    frame = spreadsheet_frame(pl.DataFrame({"=a": ["\tx", "y"], "b": [1, 2]}))
    assert frame.columns == ["'=a", "b"] and frame["'=a"].to_list() == ["'\tx", "y"]
    assert spreadsheet_csv(pl.DataFrame({"x": ["\rA"]})).decode() == "x\n\"'\rA\"\n"


# --- terminal and messages -------------------------------------------------------------------------------------

def test_the_console_shortens_a_huge_label_and_strips_escapes():
    out = io.StringIO()
    console = PlainConsole(file=out)
    console.print("A" * 50_000_000 + MARKUP + ESCAPES)
    printed = out.getvalue()
    assert len(printed) < 10_000 and "50,000,0" in printed
    console.print(MARKUP + ESCAPES)
    assert "[/x] [bold]fett[/bold]" in out.getvalue() and "\x1b" not in out.getvalue()


def test_an_error_shows_the_shape_of_a_bad_value_not_the_value(tmp_path, key):
    from pmtool.errors import InputError
    from pmtool.ingest.pipeline import ingest
    from pmtool.ingest.profile import profile_from_dict

    export = tmp_path / "GA-01_P1.csv"
    export.write_text("case;activity;timestamp;staff\n"
                      + "".join(f"F{i};Fall angelegt;Mustermann, Max{i};x\n" for i in range(20)), encoding="utf-8")
    profile = profile_from_dict({"columns": {"case_id": "case", "activity": "activity", "timestamp": "timestamp"}})
    with pytest.raises(InputError) as caught:
        ingest(export, profile, key=key)
    message = caught.value.render("en")
    assert "Mustermann" not in message and "Xxxxxxxxxx, Xxx9" in message
    assert value_shape("31.03.2025 14:05") == "99.99.9999 99:99"
    assert value_shape("x" * 100).endswith("…") and len(value_shape("x" * 100)) == 41
