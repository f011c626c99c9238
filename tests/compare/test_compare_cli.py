"""pmtool aggregate and pmtool compare from the user's side: bundles made one office at a time, as each office
makes its own, give the same bytes as comparing the logs; the same inputs give the same bytes; accepted
findings stay visible; exit codes mean something."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS
from typer.testing import CliRunner

from pmtool.cli.app import app

runner = CliRunner()
PROCESSES = ("P2", "P3a")  # the two faster processes keep the tests of options quick
ALL_PROCESSES = ("P1", "P2", "P3a")
TABLES = ("comparison", "findings", "priorities", "trend", "throughput", "disclosure", "comparability")
AS_OF = "2026-03-31T23:59:00+02:00"  # the sample export date (ground_truth.json); every office uses the same


def run(*args: str):
    return runner.invoke(app, ["--lang", "en", *args])


def model_options(processes=PROCESSES) -> list[str]:
    options = []
    for p in processes:
        options += ["--model", f"{p}={MODELS / MODEL_FILES[p]}"]
    return options


@pytest.fixture(scope="module")
def bundles(sample_ingested, tmp_path_factory) -> Path:
    """The sample logs of P2 and P3a aggregated with pmtool aggregate into one folder of bundle files."""
    out = tmp_path_factory.mktemp("bundles")
    for p in PROCESSES:
        result = run("aggregate", str(sample_ingested / p), "--model", str(MODELS / MODEL_FILES[p]),
                     "--out", str(out), "--period", "2025", "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def office_bundles(sample_ingested, tmp_path_factory) -> Path:
    """Every office's bundle of every process made the way the README tells an office to: pmtool aggregate on
    its own log alone."""
    out = tmp_path_factory.mktemp("office_bundles")
    for p in ALL_PROCESSES:
        logs = sorted((sample_ingested / p).glob("*.parquet"))
        assert len(logs) == 13
        for log in logs:
            result = run("aggregate", str(log), "--model", str(MODELS / MODEL_FILES[p]), "--out", str(out),
                         "--period", "2025", "--as-of", AS_OF)
            assert result.exit_code == 0, result.output
    return out


def test_bundles_made_office_by_office_equal_bundles_made_together(sample_ingested, office_bundles, tmp_path):
    together = tmp_path / "together"
    for p in ALL_PROCESSES:
        result = run("aggregate", str(sample_ingested / p), "--model", str(MODELS / MODEL_FILES[p]), "--out",
                     str(together), "--period", "2025", "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in office_bundles.glob("*.bundle.json"))
    assert names == sorted(p.name for p in together.glob("*.bundle.json")) and len(names) == 39
    for name in names:
        assert (office_bundles / name).read_bytes() == (together / name).read_bytes(), name


def test_per_office_bundles_and_logs_give_byte_identical_tables_for_all_processes(sample_ingested, office_bundles,
                                                                                tmp_path):
    from_logs, from_bundles = tmp_path / "logs", tmp_path / "bundles"
    models = model_options(ALL_PROCESSES)
    result = run("compare", *[str(sample_ingested / p) for p in ALL_PROCESSES], *models, "--period", "2025",
                 "--as-of", AS_OF, "--out", str(from_logs))
    assert result.exit_code == 0, result.output
    result = run("compare", str(office_bundles), *models, "--out", str(from_bundles))
    assert result.exit_code == 0, result.output
    findings = pl.read_parquet(from_logs / "findings.parquet")
    assert set(findings["process"]) == set(ALL_PROCESSES)
    comparison = pl.read_parquet(from_logs / "comparison.parquet")
    # every office states every item of its process: zero is a count, not a missing row
    per_item = comparison.group_by("process", "item").agg(pl.col("office").n_unique())
    assert per_item["office"].unique().to_list() == [13]
    for table in TABLES:
        for fmt in ("csv", "parquet", "json"):
            name = f"{table}.{fmt}"
            assert (from_logs / name).read_bytes() == (from_bundles / name).read_bytes(), name


def test_aggregate_writes_one_bundle_per_office_and_process(bundles):
    names = sorted(p.name for p in bundles.glob("*.bundle.json"))
    assert len(names) == 13 * len(PROCESSES)
    assert "GA-07_P2_2025.bundle.json" in names and "GA-13_P3a_2025.bundle.json" in names
    text = (bundles / "GA-07_P2_2025.bundle.json").read_text("utf-8")
    assert '"case_id"' not in text and not re.search(r"[CR]-[0-9a-f]{16}", text)  # counts only, no pseudonyms


def test_compare_from_logs_equals_compare_from_bundles_byte_for_byte(sample_ingested, bundles, tmp_path):
    from_logs, from_bundles = tmp_path / "logs", tmp_path / "bundles"
    logs = [str(sample_ingested / p) for p in PROCESSES]
    result = run("compare", *logs, *model_options(), "--period", "2025", "--as-of", AS_OF, "--out",
                 str(from_logs))
    assert result.exit_code == 0, result.output
    result = run("compare", str(bundles), *model_options(), "--out", str(from_bundles))
    assert result.exit_code == 0, result.output
    findings = pl.read_parquet(from_logs / "findings.parquet")
    assert findings.height > 5 and set(findings["process"]) == set(PROCESSES)
    assert {"statement_de", "statement_en", "best_offices", "accepted", "justification"} <= set(findings.columns)
    for table in TABLES:
        for fmt in ("csv", "parquet", "json"):
            name = f"{table}.{fmt}"
            assert (from_logs / name).read_bytes() == (from_bundles / name).read_bytes(), name


def test_same_inputs_give_byte_identical_tables(bundles, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = run("compare", str(bundles), *model_options(), "--out", str(out))
        assert result.exit_code == 0, result.output
    written = sorted(p.name for p in first.iterdir())
    assert len(written) == len(TABLES) * 3
    for name in written:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_accepted_finding_is_shown_with_its_justification_and_exit_codes(bundles, tmp_path):
    base = tmp_path / "base"
    assert run("compare", str(bundles), *model_options(), "--out", str(base)).exit_code == 0
    findings = pl.read_parquet(base / "findings.parquet")
    top = findings.sort(["process", "rank"]).row(0, named=True)
    allow = tmp_path / "allowlist.toml"
    allow.write_text(f'[[accept]]\noffice = "{top["office"]}"\nitem = "{top["item"]}"\nprocess = "{top["process"]}"\n'
                     'justification = "Vom Lenkungsausschuss am 2025-11-12 als gleichwertig anerkannt."\n'
                     'accepted_by = "Lenkungsausschuss"\n', encoding="utf-8")
    out = tmp_path / "accepted"
    result = run("compare", str(bundles), *model_options(), "--allowlist", str(allow), "--out", str(out),
                 "--fail-on-findings")
    assert result.exit_code == 1, result.output  # other findings are still open
    accepted = pl.read_parquet(out / "findings.parquet")
    assert accepted.height == findings.height  # shown, not hidden
    row = accepted.filter(pl.col("finding_id") == top["finding_id"]).row(0, named=True)
    assert row["accepted"] is True and "Lenkungsausschuss" in row["justification"]
    assert accepted.filter(pl.col("accepted")).height == 1

    # every finding accepted: nothing left to fail on
    entries = "".join(f'[[accept]]\noffice = "{r["office"]}"\nfinding = "{r["finding_id"]}"\n'
                      'justification = "Begründet im Protokoll 7."\n' for r in findings.iter_rows(named=True))
    allow.write_text(entries, encoding="utf-8")
    result = run("compare", str(bundles), *model_options(), "--allowlist", str(allow), "--out", str(out),
                 "--fail-on-findings")
    assert result.exit_code == 0, result.output


def test_allowlist_entry_without_justification_is_a_one_line_error(bundles, tmp_path):
    allow = tmp_path / "allowlist.toml"
    allow.write_text('[[accept]]\noffice = "GA-12"\nitem = "rule:P2-S-REPORT"\njustification = "  "\n',
                     encoding="utf-8")
    result = run("compare", str(bundles), *model_options(), "--allowlist", str(allow), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "justification" in lines[0] and "allowlist.toml" in lines[0]
    assert not (tmp_path / "o").exists()


def test_bundle_of_another_soll_model_is_refused(bundles, tmp_path):
    other = tmp_path / "P2_other.bpmn"
    other.write_bytes((MODELS / MODEL_FILES["P2"]).read_bytes().rstrip() + b"\n<!-- Fassung 2 -->\n")
    rules = MODELS / MODEL_FILES["P2"].replace(".bpmn", ".rules.toml")
    result = run("compare", *[str(p) for p in sorted(bundles.glob("*_P2_*.bundle.json"))],
                 "--model", f"P2={other}", "--rules", f"P2={rules}", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "another Soll model" in result.output


def test_compare_needs_inputs_or_project_and_a_model(bundles, tmp_path):
    result = run("compare", str(bundles), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "--model" in result.output
    result = run("compare", str(tmp_path / "missing.parquet"), *model_options(), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "missing.parquet" in result.output
