""""Nicht vergleichbar" is a verdict, never an all-clear: where offices fail the comparability gate, the CLI
summary, the report's first page, the tables and the exit code say so, with the reason per office."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.cli.errors import EXIT_NOT_COMPARED

runner = CliRunner()


def p3a_project(folder: Path, offices: tuple[str, ...], *, unmap_no_show: bool, strict: bool) -> Path:
    exports = folder / "exports" / "P3a"
    exports.mkdir(parents=True)
    for office in offices:
        for path in sorted((SAMPLE_LOGS / "P3a").glob(f"{office}_P3a.*")):
            shutil.copy(path, exports / path.name)
        profile = exports / f"{office}_P3a.profile.toml"
        if unmap_no_show:  # the office leaves its no-show label unmapped: coverage drops by that share
            text = re.sub(r'^"[^"\n]+" = "BL-90"\n', "", profile.read_text("utf-8"), flags=re.M)
            profile.write_text(text.replace("require_full_map = true", "require_full_map = false"), "utf-8")
    for suffix in (".bpmn", ".rules.toml"):
        name = MODEL_FILES["P3a"].replace(".bpmn", suffix)
        shutil.copy(MODELS / name, folder / name)
    (folder / "pmtool.toml").write_text(
        '[project]\nname = "Gate"\noutput = "results"\nperiod = "2025"\nformats = ["html"]\ntables = ["csv"]\n'
        'as_of = 2026-03-31T23:59:00+02:00\n[sources]\nfolder = "exports"\n'
        f'[processes.P3a]\nmodel = "{MODEL_FILES["P3a"]}"\n'
        + ("[comparison]\nmin_coverage = 1.0\n" if strict else ""), encoding="utf-8")
    return folder / "pmtool.toml"


def run(project: Path, *args: str, lang: str = "de"):
    return runner.invoke(app, ["--lang", lang, "run", "--project", str(project), "--quiet", *args],
                         env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})


def test_every_office_failing_the_gate_is_not_comparable_in_exit_code_summary_tables_and_report(tmp_path):
    project = p3a_project(tmp_path, ("GA-01", "GA-02", "GA-03", "GA-04"), unmap_no_show=True, strict=True)
    result = run(project)
    assert result.exit_code == EXIT_NOT_COMPARED, result.output
    out = result.output
    assert "P3a: NICHT VERGLEICHBAR" in out
    for office in ("GA-01", "GA-02", "GA-03", "GA-04"):
        assert re.search(rf"{office} \(nicht vergleichbar: Mapping-Abdeckung 9\d,\d\u202f%"
                         r" \(unter min_coverage in \[comparison\]\)\)", out), out
    assert "Keine kritischen" not in out and "Kein Urteil möglich" in out
    table = pl.read_csv(project.parent / "results" / "tables" / "comparability.csv")
    assert table["compared"].to_list() == [False] * 4
    assert all(r.startswith("coverage:0.9") for r in table["reason"].to_list())
    html = (project.parent / "results" / "report" / "bericht.html").read_text("utf-8")
    summary = html[html.index('id="summary"'):html.index("</section>", html.index('id="summary"'))]
    assert "NICHT VERGLEICHBAR" in summary and "badge-not_comparable" in summary
    assert "badge-ok" not in summary and "keine signifikanten Unterschiede" not in summary
    assert summary.count("Mapping-Abdeckung") == 4


def test_fail_on_findings_fails_when_an_office_was_not_compared_and_passes_a_clean_run(tmp_path):
    project = p3a_project(tmp_path, ("GA-01", "GA-02", "GA-03"), unmap_no_show=False, strict=False)
    clean = run(project, "--fail-on-findings", lang="en")
    assert clean.exit_code in (0, 1), clean.output  # compared: findings give 1, none give 0 — never 3
    single = p3a_project(tmp_path / "one", ("GA-01",), unmap_no_show=False, strict=False)
    alone = run(single, lang="en")
    assert alone.exit_code == EXIT_NOT_COMPARED, alone.output
    assert "P3a: NOT COMPARABLE" in alone.output and "GA-01 (not comparable: no second comparable office)" in \
        alone.output


def test_compare_from_logs_says_not_comparable_and_exits_3(tmp_path, sample_ingested):
    logs = sorted((sample_ingested / "P3a").glob("GA-01_*.parquet"))
    result = runner.invoke(app, ["--lang", "en", "compare", *map(str, logs), "--model",
                                 f"P3a={MODELS / MODEL_FILES['P3a']}", "--out", str(tmp_path / "t")])
    assert result.exit_code == EXIT_NOT_COMPARED, result.output
    assert "NOT COMPARABLE" in result.output and "No critical differences" not in result.output
    assert (tmp_path / "t" / "comparability.csv").exists()
