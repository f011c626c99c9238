"""Extraction on a real server: schema drift, permissions, quarantine, streaming, determinism, read-only."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from database.pg_server import ADMIN, ADMIN_PASSWORD, ANALYST
from pmtool.errors import PmtoolError
from pmtool.ingest.database.address import connect, parse_address
from pmtool.ingest.database.extract import ingest_database
from pmtool.ingest.database.profile import extraction_profile_from_dict, load_extraction_profile
from pmtool.ingest.output import write_ingest

_names = (f"scratch_{i}" for i in itertools.count())


@pytest.fixture
def scratch(populated):
    """A fresh copy of GA-01's case database in its own schema, readable by the analyst; returns its name."""
    schema = next(_names)
    tables = ("users", "cases", "cases_history", "contact", "contact_history", "samples", "samples_history",
              "pathogentest", "pathogentest_history", "task", "task_history")
    statements = [f"CREATE SCHEMA {schema}"]
    for table in tables:
        statements += [f"CREATE TABLE {schema}.{table} (LIKE ga_01.{table} INCLUDING ALL)",
                       f"INSERT INTO {schema}.{table} SELECT * FROM ga_01.{table}"]
    populated.server.admin_sql(*statements)
    populated.server.grant_read(schema)
    return schema


def _error(populated, schema: str, office: str | None = "GA-01") -> str:
    with pytest.raises(PmtoolError) as caught:
        ingest_database(populated.url, schema=schema, office=office, allow_identifiable=True)
    text = caught.value.render("en")
    assert "\n" not in text and ADMIN_PASSWORD not in text and ANALYST not in text
    return text


@pytest.mark.parametrize(("change", "expected"), [
    ("DROP TABLE {s}.task_history", "the history table 'task_history' of 'task' is missing"),
    ("ALTER TABLE {s}.cases RENAME COLUMN investigationstatus TO investigation_status",
     "column 'cases.investigationstatus': the column is missing (events[3].column in the extraction profile sormas; "
     "close: investigation_status)"),
    ("ALTER TABLE {s}.cases_history DROP COLUMN outcomedate",
     "the column 'outcomedate' is in 'cases' but not in its history table"),
    ("ALTER TABLE {s}.samples ALTER COLUMN received TYPE text USING received::text",
     "column type text does not fit events[13].to: expected boolean"),
    ("ALTER TABLE {s}.task ALTER COLUMN statuschangedate TYPE text",
     "column type text does not fit events[16].time: expected date, timestamp, timestamptz"),
    ("DROP TABLE {s}.pathogentest", "table '{s}.pathogentest' is missing"),
    ("REVOKE SELECT ON {s}.task FROM " + ANALYST, "not allowed to read '{s}.task'"),
])
def test_schema_drift_and_permissions_give_one_line(populated, analyst, scratch, change, expected):
    populated.server.admin_sql(change.format(s=scratch))
    assert expected.format(s=scratch) in _error(populated, scratch)


def test_quarantine_holds_unknown_task_types_and_events_without_time(populated, analyst, scratch, key):
    populated.server.admin_sql(
        f"INSERT INTO {scratch}.task (id, uuid, caze_id, tasktype, taskstatus, statuschangedate, sys_period) "
        f"VALUES (900001, 'T-1', 1, 'PHONE_CALL', 'DONE', '2025-05-05 10:00', tstzrange(now(), NULL)), "
        f"(900002, 'T-2', 1, 'CASE_FILING', 'DONE', NULL, tstzrange(now(), NULL))")
    assert "name the schema after the office" in _error(populated, scratch, office=None)
    populated.server.admin_sql(f"UPDATE {scratch}.samples SET received = false",
                               f"UPDATE {scratch}.samples_history SET received = false")
    result = ingest_database(populated.url, schema=scratch, office="GA-01", key=key)
    summary = result.summary
    assert summary.reader["rules_without_events"] == "events[13] (samples.received)"
    assert summary.quarantine_by_reason == {"missing_timestamp": 1, "unmapped_activity": 1}
    assert summary.reconciles and summary.unmapped_labels == {"PHONE_CALL": 1}
    quarantine = result.quarantine
    assert quarantine["source_file"].unique().to_list() == [f"{parse_address(populated.url).display}#{scratch}"]
    assert quarantine["raw:case_id"].str.starts_with("C-").all()  # pseudonymised, like a file's quarantine
    assert quarantine["raw:object_type"].to_list() == ["Aufgabe", "Aufgabe"]


def test_streamed_batches_give_the_same_log_and_report_progress(populated, analyst, key):
    seen: list[tuple[int, int, int]] = []
    small = ingest_database(populated.url, schema="ga_03", key=key, batch_size=97,
                            progress=lambda *p: seen.append(p))
    whole = ingest_database(populated.url, schema="ga_03", key=key)
    assert small.log.frame.equals(whole.log.frame) and small.summary == whole.summary
    events = [p[2] for p in seen]
    assert events == sorted(events) and events[-1] == whole.summary.rows_read
    assert len(seen) > len(load_extraction_profile("sormas").events) + whole.summary.rows_read // 97 - 1
    assert seen[-1][:2] == (16, 16)


def test_same_database_gives_byte_identical_outputs(populated, analyst, key, tmp_path):
    for run in ("a", "b"):
        write_ingest(ingest_database(populated.url, schema="ga_05", key=key), tmp_path / run, "ga_05")
    for name in ("ga_05.parquet", "ga_05.summary.json", "ga_05.quarantine.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_extraction_connection_is_read_only_even_for_an_administrator(populated, monkeypatch):
    import psycopg

    monkeypatch.setenv("PGUSER", ADMIN)
    monkeypatch.setenv("PGPASSWORD", ADMIN_PASSWORD)
    with connect(parse_address(populated.url)) as conn:
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
        assert conn.execute("SHOW transaction_isolation").fetchone() == ("repeatable read",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE ga_01.intruder (x int)")


def test_profile_without_history_reads_the_current_state_only(populated, analyst, key):
    profile = extraction_profile_from_dict({
        "office": "GA-06",
        "case": {"table": "cases", "key": "uuid"},
        "tables": {"cases": {"history": False}},
        "events": [{"table": "cases", "column": "outcome", "to": ["RECOVERED"], "activity": "IS-25",
                    "time": ["outcomedate", "changedate"]}],
    })
    log = ingest_database(populated.url, profile, schema="ga_06", key=key).log.frame
    full = ingest_database(populated.url, schema="ga_06", key=key).log.frame
    closed = full.filter(pl.col("activity_code") == "IS-25")
    assert log.height == closed["case_id"].n_unique() > 0  # one event per closed case: its current outcome
    assert log["resource"].null_count() == log.height  # no users table named: no resources
