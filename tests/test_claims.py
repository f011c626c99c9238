"""What the documentation promises, held by the code: the report follows `--lang` and the project's formats,
`compare --project` its tables, rule notes reach the appendix, severities come from the rules the docs name,
a profile beside an export is found by every command, the manifest records what was used, one process name,
no event's time in a bundle, and no export in a `[sources]` folder is left out silently."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from conftest import MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from test_run import make_project, run

from pmtool.compare.bundle import Bundle, period_span
from pmtool.compare.gate import GateSettings, comparability
from pmtool.compare.score import item_severity
from pmtool.models.reference import load_reference
from pmtool.vocabulary import vocabulary

EXACT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}")  # a day or a finer time


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Path:
    """A small project (P2 and P3a of four offices) after one run; P3a's rule pack is found beside its model."""
    project = make_project(tmp_path_factory.mktemp("claims"))
    text = project.read_text("utf-8").replace('rules = "models/P3a_belehrung_43.rules.toml"\n', "")
    project.write_text(text, encoding="utf-8")
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code == 0, result.output
    return project


def test_report_follows_the_global_language_flag_and_the_project_formats(ran, tmp_path):
    result = run("report", "--project", str(ran), "--out", str(tmp_path))  # run() passes `pmtool --lang en`
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert written == ["report-annex.html", "report.html"], written  # formats = ["html"]: no PDF
    assert not list(tmp_path.rglob("*.pdf"))
    assert '<html lang="en"' in (tmp_path / "report.html").read_text("utf-8")


def test_compare_with_the_project_writes_the_project_tables(ran, tmp_path):
    result = run("compare", "--project", str(ran), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    suffixes = {p.suffix for p in tmp_path.iterdir()}
    assert suffixes == {".csv", ".parquet"}, suffixes  # the project's tables default: no JSON
    names = {p.stem for p in tmp_path.iterdir()}
    assert {"comparison", "findings", "priorities", "trend", "throughput", "disclosure", "comparability"} == names


def test_manifest_records_the_rule_pack_beside_the_model_and_the_thresholds_in_effect(ran):
    manifest = json.loads((ran.parent / "results" / "manifest.json").read_text("utf-8"))
    rules = {i["process"]: i["path"] for i in manifest["inputs"] if i["role"] == "rules"}
    assert rules == {"P2": "models/P2_ausbruchsmanagement.rules.toml", "P3a": "models/P3a_belehrung_43.rules.toml"}
    comparison = manifest["settings"]["comparison"]
    assert comparison == {"fdr": 0.05, "confidence": 0.95, **{k: getattr(GateSettings(), k) for k in
                                                              GateSettings.__dataclass_fields__}}


def test_one_default_for_the_process_name(ran):
    priorities = pl.read_csv(ran.parent / "results" / "tables" / "priorities.csv")
    names = dict(priorities.select("process", "process_name").iter_rows())
    assert names == {pid: vocabulary().processes[pid].name for pid in ("P2", "P3a")}
    html = next((ran.parent / "results" / "report").glob("*.html")).read_text("utf-8")  # English
    for pid in names:
        assert f"{pid} {vocabulary().process_title(pid, 'en')}" in html


def test_no_bundle_field_holds_an_event_time(ran):
    bundles = sorted((ran.parent / "results" / "bundles").glob("*.bundle.json"))
    assert len(bundles) == 8

    def strings(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, str):
            yield value

    for path in bundles:
        data = json.loads(path.read_text("utf-8"))
        assert not [s for s in strings(data) if EXACT_TIME.search(s)], path.name
        assert re.fullmatch(r"\d{4}-\d{2}", data["quality"]["period_start"])


def _bundle(office: str, start: str, end: str) -> Bundle:
    quality = {"coverage": 1.0, "date_only_share": 0.0, "running_share": 0.0, "bounded_share": 0.0,
               "period_start": start, "period_end": end}
    return Bundle(office, "P1", "all", quality, pl.DataFrame(), (), 0.0, 10)


def test_the_period_overlap_gate_works_on_months():
    span = period_span({"period_start": "2025-01", "period_end": "2025-12"})
    assert span is not None and span[0].isoformat() == "2025-01-01T00:00:00+01:00"
    assert span[1].isoformat() == "2026-01-01T00:00:00+01:00"
    bundles = [_bundle(f"GA-0{i}", "2025-01", "2025-12") for i in range(1, 4)]
    bundles += [_bundle("GA-08", "2025-10", "2025-12"), _bundle("GA-09", "2023-01", "2025-02")]
    gate = comparability(bundles, GateSettings())
    reasons = dict(gate.select("office", "not_comparable_reason").iter_rows())
    assert reasons["GA-08"] is None and reasons["GA-01"] is None
    assert reasons["GA-09"].startswith("period_overlap:0.0")  # two of its 26 months lie in the common year


def test_deviations_of_an_activity_take_an_absent_rule_and_never_closed_cases_a_closing_rule():
    p3a = load_reference(MODELS / "P3a_belehrung_43.bpmn")
    no_show = next(r for r in p3a.rules.rules if r.kind == "absent")
    table = pl.DataFrame({"item": [f"dev:INSERT:{no_show.activity}"], "rule_id": [None],
                          "activity": [no_show.activity]}, schema={"item": pl.String, "rule_id": pl.String,
                                                                   "activity": pl.String})
    row = item_severity(table, p3a).row(0, named=True)
    assert (row["basis"], row["severity"]) == (no_show.basis, no_show.severity) == ("style", "low")

    closure = pl.DataFrame({"item": ["case:NO_CLOSURE"], "rule_id": [None], "activity": [None]},
                           schema={"item": pl.String, "rule_id": pl.String, "activity": pl.String})
    p2 = load_reference(MODELS / "P2_ausbruchsmanagement.bpmn")  # mandatory rules, none on a closing activity
    assert [r.basis for r in p2.rules.rules if r.kind == "mandatory" and not r.if_present][0] == "legal"
    row = item_severity(closure, p2).row(0, named=True)
    assert (row["basis"], row["severity"]) == ("service_level", "medium")


def test_a_rule_pack_note_is_shown_in_the_appendix():
    from pmtool.report.appendix import _model

    reference = load_reference(MODELS / "P1_meldefallbearbeitung.bpmn")
    noted = [r for r in reference.rules.rules if r.note]
    assert noted
    analysis = SimpleNamespace(processes={"P1": SimpleNamespace(reference=reference)},
                               project=SimpleNamespace(processes={}))
    info = _model(analysis, "P1", "de")
    assert info.rules is not None
    assert [f"{r.id}: {r.note}" for r in noted] == list(info.rules.notes)


def test_a_profile_beside_the_export_is_found_by_ingest_and_inspect(tmp_path):
    for name in ("GA-01_P1.csv", "GA-01_P1.profile.toml"):
        shutil.copy(SAMPLE_LOGS / "P1" / name, tmp_path / name)
    export = tmp_path / "GA-01_P1.csv"
    result = run("ingest", str(export), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "GA-01_P1.summary.json").read_text("utf-8"))
    assert summary["profile"] == "GA-01_P1.profile.toml" and summary["coverage"] > 0.9
    shown = run("inspect", str(export))
    assert shown.exit_code == 0, shown.output
    assert "GA-01" in shown.output and "Fall angelegt" in shown.output


def test_a_misnamed_export_in_the_sources_folder_is_an_error(tmp_path):
    project = make_project(tmp_path)
    shutil.copy(SAMPLE_LOGS / "P2" / "GA-01_P2.csv", tmp_path / "exports" / "P2" / "ga01-ausbrueche.csv")
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code == 2, result.output
    assert "ga01-ausbrueche.csv" in result.output and "<office>_P2.csv" in result.output
    assert "Traceback" not in result.output and TEST_KEY_TEXT not in result.output


def test_inspect_shows_columns_and_labels_before_a_profile_exists(tmp_path):
    export = tmp_path / "GA-01_P1.csv"
    shutil.copy(SAMPLE_LOGS / "P1" / "GA-01_P1.csv", export)  # no profile beside it
    columns = run("inspect", str(export))
    assert columns.exit_code == 0, columns.output
    assert "no mapping profile yet" in columns.output and "Aktenzeichen" in columns.output
    assert "01-2025-" not in columns.output  # no case id or other value unless a column is asked for
    labels = run("inspect", str(export), "--values", "Tätigkeit", "--top", "100")
    assert labels.exit_code == 0 and "Meldung erfasst (DEMIS)" in labels.output
    wrong = run("inspect", str(export), "--values", "Taetigkeit")
    assert wrong.exit_code == 2 and "'Tätigkeit'" in wrong.output
