"""`pmtool ingest postgresql://…` and `pmtool simulate --database` from the user's side, on a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import TEST_KEY_TEXT
from typer.testing import CliRunner

from database.conftest import as_admin
from database.pg_server import ADMIN_PASSWORD, ANALYST, ANALYST_PASSWORD
from pmtool.cli.app import app
from pmtool.eventlog.log import read_parquet
from pmtool.ingest.pipeline import ingest
from pmtool.ingest.profile import load_profile

runner = CliRunner()
#: What makes an event the same event in both paths (source_row and source-specific columns differ).
EVENT = ["case_id", "activity_code", "activity", "timestamp", "timestamp_precision", "resource"]


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "test.key"
    path.write_text(TEST_KEY_TEXT)
    return path


def _file_log(populated, office: str, key) -> pl.DataFrame:
    """The same office's P1 export, imported with its mapping profile."""
    export = next((populated.files / "P1").glob(f"{office}_P1.*[!l]"))  # not the .profile.toml
    profile = load_profile(populated.files / "P1" / f"{office}_P1.profile.toml")
    return ingest(export, profile, key=key).log.frame


def test_ingest_cli_gives_the_file_based_log_of_the_same_offices(populated, analyst, key_file, key, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["--lang", "en", "ingest", populated.url, "--schema", "ga_02", "--schema", "ga_04",
                                 "--out", str(out), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    assert "extraction profile: sormas (shipped)" in result.output
    for office, schema in (("GA-02", "ga_02"), ("GA-04", "ga_04")):
        name = f"casedb_{schema}"
        log = read_parquet(out / f"{name}.parquet").frame
        summary = json.loads((out / f"{name}.summary.json").read_text())
        assert summary["office"] == office and summary["format"] == "postgresql"
        assert summary["rows_read"] == summary["rows_loaded"] + summary["rows_quarantined"]
        assert summary["profile"] == "sormas" and summary["pseudonymised"] is True
        assert (out / f"{name}.quarantine.csv").exists()
        expected = _file_log(populated, office, key)
        assert log.select(EVENT).sort(EVENT).equals(expected.select(EVENT).sort(EVENT))


def test_extracted_logs_equal_the_bundled_sample_logs_for_all_thirteen_offices(pg, sample_ingested, key,
                                                                               monkeypatch):
    """data/sample_logs holds the default simulation as export files in 13 dialects; the same simulation
    as case databases gives the same events, office by office."""
    from pmtool.ingest.database.extract import ingest_database
    from pmtool.simulate.database import populate_database
    from pmtool.simulate.simulator import Settings

    as_admin(monkeypatch)
    pg.admin_sql("CREATE DATABASE sampledb", database="postgres")
    written = populate_database(pg.url("sampledb"), Settings(processes=("P1",)))  # pmtool simulate's defaults
    assert len(written.schemas) == 13
    date_only = 0
    for schema in written.schemas:
        extracted = ingest_database(pg.url("sampledb"), schema=schema.schema, key=key)
        db = extracted.log.frame.sort(EVENT)
        files = read_parquet(sample_ingested / "P1" / f"{schema.office}_P1.parquet").frame.sort(EVENT)
        assert extracted.summary.office == schema.office and extracted.summary.rows_quarantined == 0
        assert db.height == schema.events
        assert db.select(EVENT).equals(files.select(EVENT)), schema.office
        # roles come from the users table: equal wherever the event has a user, none where it has none
        with_user = files["resource"].is_not_null()
        assert db.filter(with_user)["role"].equals(files.filter(with_user)["role"]), schema.office
        assert db.filter(~with_user)["role"].null_count() == int((~with_user).sum())
        date_only += int((db["timestamp_precision"] == "date").sum())
    assert date_only > 100  # days entered from paper travel as dates, not as midnight


def test_no_credentials_in_any_output(populated, key_file, tmp_path):
    """A real process with the password in the environment: it appears nowhere, not in errors either."""
    out = tmp_path / "out"
    env = {**os.environ, "PGUSER": ANALYST, "PGPASSWORD": ANALYST_PASSWORD, "PMTOOL_LANG": "en"}
    run = subprocess.run([sys.executable, "-m", "pmtool", "ingest", populated.url, "--schema", "ga_01",
                          "--out", str(out), "--key-file", str(key_file)], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    texts = [run.stdout, run.stderr]
    texts += [p.read_bytes().decode("utf-8", "replace") for p in out.iterdir()]
    wrong = subprocess.run([sys.executable, "-m", "pmtool", "ingest", populated.url, "--out", str(tmp_path / "x"),
                            "--schema", "ga_01", "--key-file", str(key_file)], capture_output=True, text=True,
                           timeout=120, env={**env, "PGPASSWORD": ANALYST_PASSWORD + "-wrong"})
    assert wrong.returncode == 2 and "could not log in" in wrong.stderr and "Traceback" not in wrong.stderr
    texts += [wrong.stdout, wrong.stderr]
    for text in texts:
        assert ANALYST_PASSWORD not in text and ANALYST not in text and ADMIN_PASSWORD not in text


def test_password_in_the_address_is_refused_and_not_repeated(populated, key_file, tmp_path):
    url = populated.url.replace("postgresql://", f"postgresql://{ANALYST}:{ANALYST_PASSWORD}@")
    result = runner.invoke(app, ["--lang", "en", "ingest", url, "--out", str(tmp_path), "--key-file", str(key_file)])
    assert result.exit_code == 2
    assert "holds a password" in result.output and ANALYST_PASSWORD not in result.output
    assert not any(tmp_path.iterdir()) or list(tmp_path.iterdir()) == [key_file]


@pytest.mark.parametrize(("change", "message"), [
    (lambda url: url.replace(url.rsplit(":", 1)[1].split("/")[0], "1"), "cannot connect to the database"),
    (lambda url: url.rsplit("/", 1)[0] + "/nosuchdb", "the database 'nosuchdb' does not exist"),
])
def test_bad_connections_give_one_line(populated, analyst, key_file, tmp_path, change, message):
    result = runner.invoke(app, ["--lang", "en", "ingest", change(populated.url), "--office", "GA-01",
                                 "--out", str(tmp_path / "o"), "--key-file", str(key_file)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pmtool: postgresql://127.0.0.1:") and message in lines[0]
    assert not (tmp_path / "o").exists()


def test_missing_schema_names_the_schemas_present(populated, analyst, key_file, tmp_path):
    result = runner.invoke(app, ["--lang", "en", "ingest", populated.url, "--schema", "ga_99", "--out",
                                 str(tmp_path), "--key-file", str(key_file)])
    assert result.exit_code == 2
    assert "has no schema 'ga_99'" in result.output and "ga_01" in result.output


def test_simulate_database_cli_writes_marked_schemas_and_replaces_only_its_own(pg, monkeypatch):
    as_admin(monkeypatch)
    pg.admin_sql("CREATE DATABASE simcli", database="postgres")
    url = pg.url("simcli")
    args = ["--lang", "en", "simulate", "--database", url, "--offices", "2", "--scale", "0.05"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "ga_01" in first.output and "ga_02" in first.output and "2 schemas with" in first.output
    assert "holds only P1; P2, P3a are not in it" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "Pass --force" in again.output
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    pg.admin_sql("DROP SCHEMA ga_02 CASCADE", "CREATE SCHEMA ga_02", "CREATE TABLE ga_02.keep (x int)",
                 database="simcli")
    foreign = runner.invoke(app, [*args, "--force"])
    assert foreign.exit_code == 2 and "was not written by pmtool" in foreign.output
    import psycopg

    with psycopg.connect(url, password=ADMIN_PASSWORD) as conn:  # the foreign schema is untouched
        assert conn.execute("SELECT count(*) FROM ga_02.keep").fetchone() == (0,)


def test_password_from_a_pgpass_file(populated, monkeypatch, key_file, tmp_path):
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{populated.server.port}:casedb:{ANALYST}:{ANALYST_PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    monkeypatch.setenv("PGUSER", ANALYST)
    result = runner.invoke(app, ["--lang", "en", "ingest", populated.url, "--schema", "ga_07", "--out",
                                 str(tmp_path / "out"), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "casedb_ga_07.parquet").exists()
    assert ANALYST_PASSWORD not in result.output


def test_object_centric_output_names_the_objects_each_event_changed(populated, analyst, key_file, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, ["ingest", populated.url, "--schema", "ga_08", "--out", str(out), "--key-file",
                               str(key_file)]).exit_code == 0
    ocel = tmp_path / "ga_08.jsonocel"
    exported = runner.invoke(app, ["--lang", "en", "export", str(out / "casedb_ga_08.parquet"), "--out", str(ocel)])
    assert exported.exit_code == 0, exported.output
    doc = json.loads(ocel.read_text("utf-8"))
    types = {o["type"] for o in doc["objects"]}
    assert types == {"Fall", "Kontaktperson", "Probe", "Befund", "Aufgabe"}
    cases = {o["id"] for o in doc["objects"] if o["type"] == "Fall"}
    assert all(o["relationships"][0]["objectId"] in cases for o in doc["objects"] if o["type"] != "Fall")
    # read back as a log of cases: the same events
    back = runner.invoke(app, ["ingest", str(ocel), "--object-type", "Fall", "--office", "GA-08", "--out",
                               str(tmp_path / "back"), "--allow-identifiable"])
    assert back.exit_code == 0, back.output
    original = read_parquet(out / "casedb_ga_08.parquet").frame
    again = read_parquet(tmp_path / "back" / "ga_08.parquet").frame
    columns = ["case_id", "activity", "timestamp"]
    assert again.select(columns).sort(columns).equals(original.select(columns).sort(columns))


def test_public_api_reads_a_database_like_the_command(populated, analyst, key, key_file, tmp_path):
    import pmtool as pt

    result = pt.read_database(populated.url, schema="ga_09", key=key)
    assert runner.invoke(app, ["ingest", populated.url, "--schema", "ga_09", "--out", str(tmp_path),
                               "--key-file", str(key_file)]).exit_code == 0
    assert result.log.frame.equals(read_parquet(tmp_path / "casedb_ga_09.parquet").frame)
    assert result.summary.office == "GA-09" and result.summary.reconciles


def test_simulate_database_without_the_right_to_write_says_so(pg, analyst):
    pg.admin_sql("CREATE DATABASE noright", database="postgres")
    result = runner.invoke(app, ["--lang", "en", "simulate", "--database", pg.url("noright"), "--offices", "1",
                                 "--scale", "0.05", "--processes", "P1"])
    assert result.exit_code == 2
    assert "could not write the case database: permission denied" in result.stderr
    assert "needs the CREATE right" in result.stderr and ANALYST_PASSWORD not in result.output
