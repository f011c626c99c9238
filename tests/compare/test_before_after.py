"""Before/after for one office: a simulated change (GA-04 stops its elevated deviations from July on) is found
on the side before the date, offices that did not change give no finding, the relaxed gate is named in every
output, and the command line gives the tables of the public API."""

from __future__ import annotations

import html
import json
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, TEST_KEY_TEXT
from typer.testing import CliRunner

import pmtool as pt
from pmtool.analysis import compare_bundles
from pmtool.cli.app import app
from pmtool.compare.before_after import Split, difference, split_log
from pmtool.discover.dfg import directly_follows
from pmtool.eventlog.log import EventLog

P1_MODEL = MODELS / MODEL_FILES["P1"]


@pytest.fixture(scope="module")
def changed(tmp_path_factory) -> tuple[pt.Analysis, Path]:
    """Four offices' P1 cases of 2025; GA-04 follows the Soll from 1 July on (simulated adoption)."""
    folder = tmp_path_factory.mktemp("before_after")
    pt.simulate_logs(folder / "logs", offices=4, scale=2, processes=["P1"], adoption={"GA-04": 7})
    (folder / "pmtool.toml").write_text(f"""
[project]
name = "Vorher/Nachher"
as_of = 2026-03-31T23:59:00+02:00
[sources]
folder = "logs"
[processes.P1]
model = "{P1_MODEL.as_posix()}"
rules = "{P1_MODEL.with_suffix('.rules.toml').as_posix()}"
""", encoding="utf-8")
    analysis = pt.analyse(pt.load_project(folder / "pmtool.toml"), key=pt.PseudonymKey(TEST_KEY_TEXT.encode()),
                          discover_models=False)
    log = folder / "P1.parquet"
    analysis.processes["P1"].log.write_parquet(log)
    return analysis, log


def test_the_simulated_change_is_found_before_the_date_and_nowhere_else(changed):
    analysis, _ = changed
    result = pt.before_after(analysis, process="P1", offices=["GA-04"], at="2025-07-01")
    assert result.names == {"GA-04_before": "GA-04 before 2025-07-01", "GA-04_after": "GA-04 from 2025-07-01"}
    assert sum(result.cases.values()) == analysis.processes["P1"].log.frame.filter(
        pl.col("office") == "GA-04")["case_id"].n_unique()
    findings = result.tables.findings
    assert findings.height >= 1
    assert set(findings["office"]) == {"GA-04_before"}  # the office got better: only "before" is worse
    assert (findings["rate"] > findings["rate_others"]).all()
    assert "GA-04 before 2025-07-01" in findings["statement_en"][0]
    assert result.tables.comparability["compared"].all()
    for control in ("GA-01", "GA-02"):
        same = pt.before_after(analysis, process="P1", offices=[control], at="2025-07-01")
        assert same.tables.findings.height == 0, same.tables.findings.select("office", "item")


def test_without_relaxing_the_gate_the_earlier_side_would_not_be_compared(changed):
    analysis, _ = changed
    result = pt.before_after(analysis, process="P1", offices=["GA-04"], at="2025-07-01")
    strict = compare_bundles(list(result.bundles), {"P1": analysis.processes["P1"].reference}, min_cases=5)
    reasons = strict.comparability.filter(~pl.col("compared"))["reason"].to_list()
    assert len(reasons) == 2 and any(r.startswith("period_overlap") for r in reasons)  # the other: no peer left
    assert result.relaxed == ("min_period_overlap",) and "period-overlap" in result.note("en")


def test_a_group_and_two_periods_split_whole_cases_without_mixing_offices(changed):
    analysis, _ = changed
    log = analysis.processes["P1"].log
    split = Split(first=(pt_date("2025-01-01"), pt_date("2025-03-31")), second=(pt_date("2025-10-01"), None))
    halves = split_log(log, ["GA-01", "GA-02"], split)
    assert set(halves.frame["office"]) == {"GA-01_GA-02_before", "GA-01_GA-02_after"}
    firsts = halves.frame.group_by("office", "case_id").agg(pl.col("timestamp").min(), pl.len())
    assert firsts.filter(pl.col("office").str.ends_with("before"))["timestamp"].max().month <= 3
    whole = log.frame.filter(pl.col("office").is_in(["GA-01", "GA-02"])).group_by("office", "case_id").len()
    assert firsts["len"].sum() == whole.join(
        firsts.with_columns(pl.col("case_id").str.split_exact(":", 1).struct.field("field_1").alias("c"),
                            pl.col("case_id").str.split_exact(":", 1).struct.field("field_0").alias("o"))
        .select(pl.col("o").alias("office"), pl.col("c").alias("case_id")), on=["office", "case_id"])["len"].sum()


def pt_date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_the_difference_marks_frequency_and_speed_and_hides_small_counts():
    def log(rows):
        return EventLog.from_frame(pl.DataFrame(rows, schema=["office", "case_id", "activity", "timestamp"],
                                                orient="row").with_columns(
            pl.col("timestamp").str.to_datetime(time_zone="UTC")))

    before = [("X", f"b{i}", a, f"2025-01-0{1 + j}T10:00:00") for i in range(10)
              for j, a in enumerate(("A", "B" if i < 8 else "C", "D"))]
    after = [("X", f"a{i}", a, f"2025-08-0{1 + j * 3}T10:00:00") for i in range(10)
             for j, a in enumerate(("A", "B" if i < 5 else "C", "D"))]
    diff = difference(directly_follows(log(before)), directly_follows(log(after)), 5)
    rows = {(r["source"], r["target"]): r for r in diff.iter_rows(named=True)}
    assert rows[("A", "B")]["frequency"] == "less" and rows[("A", "B")]["share_change"] == pytest.approx(-0.3)
    assert rows[("B", "D")]["speed"] == "slower"  # one day before, three days after
    assert rows[("B", "D")]["median_hours_after"] == pytest.approx(72.0)
    assert rows[("A", "C")]["frequency"] == "more"  # 2 cases before (hidden), 5 after
    assert rows[("A", "C")]["cases_before"] is None and rows[("A", "C")]["share_before"] is None
    assert rows[("A", "C")]["share_change"] is None  # it would give the hidden count away
    assert rows[("C", "D")]["speed"] is None  # too few cases before to compare the wait
    assert rows[("▶", "A")]["frequency"] == "same"


def test_the_command_line_gives_the_apis_tables_maps_side_by_side_and_the_loud_note(changed, tmp_path):
    analysis, log = changed
    result = CliRunner().invoke(app, ["--lang", "en", "before-after", str(log), "--model", f"P1={P1_MODEL}",
                                      "--office", "GA-04", "--at", "2025-07-01", "--out", str(tmp_path),
                                      "--as-of", "2026-03-31T23:59:00+02:00"])
    assert result.exit_code == 0, result.output
    assert "period-overlap condition is switched off" in " ".join(result.output.split())
    api = pt.before_after(analysis, process="P1", offices=["GA-04"], at="2025-07-01")
    findings = pl.read_csv(tmp_path / "findings.csv")
    assert findings["finding_id"].to_list() == api.tables.findings["finding_id"].to_list()
    assert findings["rate"].round(9).to_list() == api.tables.findings["rate"].round(9).to_list()
    for name in ("GA-04_before_dfg.svg", "GA-04_after_dfg.svg", "GA-04_difference.svg", "GA-04_difference.csv"):
        assert (tmp_path / name).stat().st_size > 0
    page = html.unescape((tmp_path / "before_after.html").read_text("utf-8"))
    assert page.count("<img") == 3 and "period-overlap" in page and "GA-04 from 2025-07-01" in page
    summary = json.loads((tmp_path / "before_after.json").read_text("utf-8"))
    assert summary["gate_relaxed"] == ["min_period_overlap"] and summary["split"] == "at:2025-07-01"
    diff_svg = html.unescape((tmp_path / "GA-04_difference.svg").read_text("utf-8"))
    assert "GA-04 · P1: before and after" in diff_svg


def test_a_side_with_too_few_cases_is_one_clear_error(changed, tmp_path):
    _, log = changed
    result = CliRunner().invoke(app, ["--lang", "en", "before-after", str(log), "--model", f"P1={P1_MODEL}",
                                      "--office", "GA-04", "--at", "2025-01-02", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "fewer than the privacy threshold" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["--lang", "en", "before-after", str(log), "--model", f"P1={P1_MODEL}",
                                      "--office", "GA-04", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--at DATE" in result.output
