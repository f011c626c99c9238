"""pmtool cases: the cases behind a finding, exactly as many as the finding states, via CLI and API."""

from __future__ import annotations

import polars as pl
import pytest
from test_run import make_project, run, runner

import pmtool as pt
from pmtool.cli.app import app
from pmtool.errors import ConfigError, Location


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("cases"))
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code == 0
    (project.parent / "run-output.txt").write_text(result.output, "utf-8")
    return project


def test_the_run_says_how_to_see_the_cases_behind_its_top_finding(ran):
    said = (ran.parent / "run-output.txt").read_text("utf-8")
    top = pl.read_csv(ran.parent / "results" / "tables" / "findings.csv").filter(pl.col("rank") == 1)
    first = top.sort("process")["finding_id"][0]
    assert f"The cases behind a finding: pmtool cases {first} --project {ran} (" in said, said[-800:]


def test_cases_of_the_demo_need_no_project_and_no_key(monkeypatch, tmp_path):
    from pmtool.cli import cases_cmd
    from pmtool.results import DEMO_KEY, DEMO_OUT, DEMO_PROJECT

    seen = {}

    def analysis(config, *, key, **_):
        seen.update(config=config, key=key)
        raise ConfigError("cases.what", Location())  # enough: how the demo's results were found

    monkeypatch.setattr(cases_cmd, "run_analysis", analysis)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--lang", "en", "cases", "F-P1-x", "--demo"])
    assert result.exit_code == 2 and "non-secret demo key" in result.output, result.output
    assert seen["key"].key_id == pt.demo_key().key_id and DEMO_KEY
    assert seen["config"].output == DEMO_OUT and seen["config"].name == pt.load_project(DEMO_PROJECT).name
    without = runner.invoke(app, ["--lang", "en", "cases", "F-P1-x", "--project", str(DEMO_PROJECT)])
    assert without.exit_code == 2 and "pmtool cases … --demo" in without.output


def test_cases_of_the_top_finding_are_as_many_as_it_states(ran, tmp_path):
    findings = pl.read_csv(ran.parent / "results" / "tables" / "findings.csv")
    top = findings.sort(["process", "rank"]).row(0, named=True)
    result = run("cases", top["finding_id"], "--project", str(ran), "--out", str(tmp_path), "--format", "csv,xlsx")
    assert result.exit_code == 0, result.output
    assert f"{top['affected']} cases behind the finding" in result.output
    table = pl.read_csv(tmp_path / f"cases_{top['finding_id']}.csv")
    assert table.height == top["affected"]
    assert table["office"].unique().to_list() == [top["office"]]
    assert (tmp_path / f"cases_{top['finding_id']}.xlsx").is_file()
    rows = [line.split("\t") for line in result.output.splitlines() if "\t" in line]  # piped: plain TSV
    assert rows[0][:2] == ["office", "case_id"] and len(rows) == top["affected"] + 1
    assert sorted(r[1] for r in rows[1:]) == sorted(table["case_id"].to_list())  # whole ids, never cut
    if str(top["item"]).startswith("rule:") and "late" in str(top.get("statement_en", "")):
        assert table["late_hours"].min() > 0


def test_every_finding_of_the_run_drills_down_to_its_count_and_rules_show_due_times(ran):
    project = pt.load_project(ran)
    analysis = pt.analyse(project, key=pt.load_key() or pt.demo_key(), discover_models=False)
    assert analysis.findings.height > 0
    deadlines = 0
    for row in analysis.findings.iter_rows(named=True):
        cases = pt.affected_cases(analysis, row["finding_id"])
        assert cases.height == row["affected"], row["finding_id"]
        if row["item"].startswith("rule:") and cases.height:
            assert cases["rule_id"].drop_nulls().unique().to_list() == [row["item"].removeprefix("rule:")]
            late = cases.filter(pl.col("late_hours").is_not_null())
            assert late["due"].null_count() == 0 and (late["late_hours"] > 0).all()
            deadlines += late.height
    assert deadlines > 0  # the run has deadline findings, and their cases show due time and lateness


def test_office_and_item_instead_of_a_finding_and_clear_errors(ran):
    table = pl.read_csv(ran.parent / "results" / "tables" / "comparison.csv")
    row = table.filter(pl.col("affected") > 0).row(0, named=True)
    result = run("cases", "--project", str(ran), "--office", row["office"], "--item", row["item"],
                 "--process", row["process"])
    assert result.exit_code == 0, result.output
    assert f"{row['affected']} cases behind the finding" in result.output
    bad = run("cases", "F-nonexistent", "--project", str(ran))
    assert bad.exit_code == 2 and "has no finding 'F-nonexistent'" in bad.output
    neither = run("cases", "--project", str(ran))
    assert neither.exit_code == 2 and "which finding?" in neither.output


def test_without_the_key_cases_says_why_it_needs_it(ran):
    from test_run import app, runner

    result = runner.invoke(app, ["--lang", "en", "cases", "F-1", "--project", str(ran)],
                           env={"PMTOOL_PSEUDONYM_KEY": None, "PMTOOL_PSEUDONYM_KEY_FILE": None})
    assert result.exit_code == 2
    assert "needs the run's key" in result.output and "--allow-identifiable" not in result.output
