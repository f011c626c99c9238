"""Filters on conform, compare and run and in the project file: the command line and the public API cut the
same cases, and every output names the filter (figure titles, file names, manifest, bundles, report)."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

import pmtool as pt
from pmtool.cli.app import app
from pmtool.errors import ConfigError
from pmtool.eventlog.filters import parse_filters
from pmtool.eventlog.log import EventLog

runner = CliRunner()
#: The analyst's question: GA-01, P1, cases started in Q1 2025, with the medical officer involved.
QUESTION = ["office:GA-01", "time:started:2025-01-01..2025-03-31", "case:role=Amtsärztin/Amtsarzt"]
P1_MODEL = MODELS / MODEL_FILES["P1"]


def cli(*args: str):
    return runner.invoke(app, ["--lang", "en", *args], env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})


def filter_args(texts: list[str]) -> list[str]:
    return [x for text in texts for x in ("--filter", text)]


def p1_log(sample_ingested: Path) -> tuple[list[Path], EventLog]:
    paths = sorted((sample_ingested / "P1").glob("*.parquet"))
    return paths, EventLog.from_frame(pl.concat([pt.read_log(p).frame for p in paths], how="diagonal_relaxed"))


def test_conform_with_filters_equals_the_api_and_the_overlay_names_them(sample_ingested, tmp_path):
    paths, whole = p1_log(sample_ingested)
    result = cli("conform", *map(str, paths), "--model", str(P1_MODEL), "--out", str(tmp_path),
                 "--figures", "svg", "--as-of", "2026-03-31", *filter_args(QUESTION))
    assert result.exit_code == 0, result.output
    chosen = parse_filters(QUESTION)
    assert "Filter: office GA-01 · cases started 01.01.2025–31.03.2025" in result.output
    summary = pl.read_csv(tmp_path / f"P1_{chosen.slug()}_summary.csv")  # a filtered table never overwrites
    by_api = pt.check_conformance(pt.filter_log(whole, filters=QUESTION), pt.load_model(P1_MODEL),
                                  as_of="2026-03-31")
    assert summary["office"].to_list() == ["GA-01"]
    assert summary["cases"].to_list() == by_api.summary["cases"].to_list()
    assert 0 < summary["cases"][0] < whole.frame.filter(pl.col("office") == "GA-01")["case_id"].n_unique()
    assert summary["fitness"].round(9).to_list() == by_api.summary["fitness"].round(9).to_list()
    svg = html.unescape((tmp_path / f"P1_{chosen.slug()}_soll_overlay.svg").read_text("utf-8"))
    assert "Filter: " + chosen.describe("en") in svg


def test_compare_from_logs_records_the_filters_in_every_bundle(sample_ingested, tmp_path):
    paths, _ = p1_log(sample_ingested)
    texts = ["time:started:2025-01-01..2025-06-30"]
    result = cli("compare", *map(str, paths), "--model", f"P1={P1_MODEL}", "--out", str(tmp_path),
                 "--format", "csv", *filter_args(texts))
    assert result.exit_code in (0, 3), result.output
    table = pl.read_csv(tmp_path / "comparison.csv")
    whole = cli("compare", *map(str, paths), "--model", f"P1={P1_MODEL}", "--out", str(tmp_path / "all"),
                "--format", "csv")
    assert whole.exit_code in (0, 3), whole.output
    cases = pl.read_csv(tmp_path / "all" / "comparison.csv")
    # fewer cases in the first half-year than in the whole year, per office
    item = "rule:" + table.filter(pl.col("item").str.starts_with("rule:"))["rule_id"][0]
    half, year = (f.filter(pl.col("item") == item).sort("office")["eligible"] for f in (table, cases))
    assert (half < year).all() and (half > 0).all()

    from pmtool.compare.bundle import AggregateSettings
    from pmtool.compare.inputs import bundles_from_inputs, collect_inputs
    from pmtool.models.reference import load_reference

    bundles = bundles_from_inputs(collect_inputs(paths[:2]), {"P1": load_reference(P1_MODEL)},
                                  settings=AggregateSettings(filters=tuple(texts)))
    assert [b.meta["filters"] for b in bundles] == [texts, texts]


def project_file(folder: Path, offices: tuple[str, ...], extra: list[str] = (), formats: str = '["html"]') -> Path:
    target = folder / "exports" / "P1"
    target.mkdir(parents=True)
    for path in sorted((SAMPLE_LOGS / "P1").iterdir()):
        if path.name.split("_")[0] in offices:
            shutil.copy(path, target / path.name)
    lines = ['[project]', 'name = "Filter"', 'output = "results"', 'period = "2025"', f'formats = {formats}',
             'as_of = 2026-03-31T23:59:00+02:00', *extra, '', '[sources]', 'folder = "exports"', '',
             '[processes.P1]', f'model = "{P1_MODEL.as_posix()}"',
             f'rules = "{P1_MODEL.with_suffix(".rules.toml").as_posix()}"']
    path = folder / "pmtool.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_run_filters_from_the_command_line_equal_the_project_file_and_the_api(tmp_path):
    offices = ("GA-01", "GA-02", "GA-03")
    texts = QUESTION[1:]  # the office filter would leave nothing to compare: all three offices, same question
    by_cli = project_file(tmp_path / "cli", offices)
    result = cli("run", "--project", str(by_cli), "--quiet", *filter_args(texts))
    assert result.exit_code in (0, 3), result.output
    # the tables of the three ways are compared; the report's filter line is checked on the first (no report
    # for the other two, which would only draw the same figures again)
    by_file = project_file(tmp_path / "file", offices, ["filters = " + json.dumps(texts, ensure_ascii=False)],
                           formats="[]")
    result = cli("run", "--project", str(by_file), "--quiet")
    assert result.exit_code in (0, 3), result.output
    pt.run(pt.restrict(pt.load_project(project_file(tmp_path / "api", offices, formats="[]")), filters=texts),
           key=pt.PseudonymKey(TEST_KEY_TEXT.encode()))
    tables = [pl.read_csv(folder / "results" / "tables" / "conformance" / "P1_summary.csv")
              for folder in (tmp_path / "cli", tmp_path / "file", tmp_path / "api")]
    assert tables[0].equals(tables[1]) and tables[0].equals(tables[2])
    manifest = json.loads((tmp_path / "cli" / "results" / "manifest.json").read_text("utf-8"))
    assert manifest["settings"]["filters"] == {"P1": texts}
    chosen = parse_filters(texts)
    maps = sorted((tmp_path / "cli" / "results" / "figures" / "P1").glob("*_dfg.svg"))
    assert maps and all(chosen.slug() in p.name for p in maps)
    assert "Filter: " + chosen.describe("en") in html.unescape(maps[0].read_text("utf-8"))
    bundle = json.loads(next((tmp_path / "cli" / "results" / "bundles").glob("GA-01_*.json")).read_text("utf-8"))
    assert bundle["meta"]["filters"] == texts
    report = html.unescape((tmp_path / "cli" / "results" / "report" / "report.html").read_text("utf-8"))
    assert chosen.describe("en") in report
    # the filtered cases are fewer than all, and every one involved the medical officer
    log = pt.read_log(tmp_path / "cli" / "results" / "logs" / "P1" / "GA-01_P1.parquet")
    assert tables[0].filter(pl.col("office") == "GA-01")["cases"][0] < log.n_cases


def test_a_bad_filter_in_the_project_file_names_file_and_key(tmp_path):
    path = project_file(tmp_path, ("GA-01",), ['filters = ["time:begun:2025-01-01..2025-03-31"]'])
    with pytest.raises(ConfigError, match="time:begun"):
        pt.load_project(path)
    result = cli("run", "--project", str(path), "--quiet")
    assert result.exit_code == 2 and "pmtool.toml" in result.output and "Traceback" not in result.output


def test_a_filter_that_leaves_nothing_is_an_error_not_an_empty_run(tmp_path):
    path = project_file(tmp_path, ("GA-01", "GA-02"))
    result = cli("run", "--project", str(path), "--quiet", "--filter", "time:started:2030-01-01..")
    assert result.exit_code == 2, result.output
    assert "leave no event in P1" in result.output


def test_conform_without_deviations_says_none(sample_ingested, tmp_path, monkeypatch):
    import io

    from pmtool.cli import conform_cmd
    from pmtool.cli.console import PlainConsole

    _, whole = p1_log(sample_ingested)
    model = pt.load_model(P1_MODEL)
    deviating = pt.check_conformance(whole, model, as_of="2026-03-31").deviations["case_id"].unique()
    clean = EventLog.from_frame(whole.frame.filter(~pl.col("case_id").is_in(deviating.implode())))
    result = pt.check_conformance(clean, model, as_of="2026-03-31")
    assert result.deviations.height == 0 and clean.n_cases > 0
    out = io.StringIO()
    monkeypatch.setattr(conform_cmd, "console", PlainConsole(file=out, width=200))
    conform_cmd._render(result, tmp_path)
    assert "cases per deviation code: none" in out.getvalue() or "Abweichungsart: keine" in out.getvalue()
