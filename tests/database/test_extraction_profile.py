"""Extraction profiles and database addresses, without a server: strict validation, safe names, the driver."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.errors import ConfigError, InputError
from pmtool.ingest.database.address import is_database_url, parse_address
from pmtool.ingest.database.profile import (
    extraction_profile_from_dict,
    load_extraction_profile,
    shipped_profiles,
)
from pmtool.simulate.sormas import HANDLERS, TASK_TYPES
from pmtool.vocabulary import vocabulary

MINIMAL = {
    "case": {"table": "cases", "key": "uuid"},
    "events": [{"table": "cases", "column": "reportdate", "activity": "IS-01", "time": "reportdate"}],
}


def _bad(change: dict, **replace) -> str:
    raw = {**MINIMAL, **change}
    for key, value in replace.items():
        raw[key] = value
    with pytest.raises(ConfigError) as caught:
        extraction_profile_from_dict(raw, name="p.toml")
    return caught.value.render("en")


def test_the_shipped_sormas_profile_reads_every_step_the_simulator_writes():
    profile = load_extraction_profile("sormas")
    assert "sormas" in shipped_profiles() and profile.shipped and profile.sha256
    fixed = {r.activity for r in profile.events if r.activity}
    mapped = set(profile.mapping.activity_map.values())
    assert fixed == set(HANDLERS)
    assert {profile.mapping.activity_map[t] for t in TASK_TYPES.values()} == set(TASK_TYPES)
    p1 = {a.id for a in vocabulary().processes["P1"].activities}
    assert fixed | mapped == p1  # every P1 step has its place; nothing outside P1
    assert profile.mapping.require_full_map


@pytest.mark.parametrize(("change", "message"), [
    ({"evnts": []}, "unknown key 'evnts' in the extraction profile. Did you mean 'events'?"),
    ({"case": {"table": "cases", "key": "uuid", "atributes": ["x"]}}, "Did you mean 'case.attributes'?"),
    ({"events": [{"table": "cases", "column": "c", "activity": "IS-01", "time": "t", "too": ["A"]}]},
     "unknown key 'events[1].too'"),
    ({"events": [{"table": "cases", "column": "c", "activity": "IS-01", "activity_column": "x", "time": "t"}]},
     "events[1]: give exactly one of 'activity'"),
    ({"events": [{"table": "task", "column": "c", "activity": "IS-01", "time": "t"}]},
     "table 'task' has no path to the case"),
    ({"events": [{"table": "cases", "column": "c", "activity": "IS-01", "time": "t", "to": ["A", 1]}]},
     "invalid value for 'events[1].to'"),
    ({"events": [{"table": "cases", "column": "c; DROP TABLE x", "activity": "IS-01", "time": "t"}]},
     "invalid value for 'events[1].column' in the extraction profile: expected a table or column name"),
    ({"events": [{"table": "cases", "column": "c", "activity": "IS-01"}]}, "'events[1].time' is missing"),
    ({"timestamps": {"formats": ["%d.%m.%Y"]}}, "[timestamps] formats does not apply"),
    ({"case": {"table": "cases", "key": "uuid", "attributes": ["timestamp"]}}, "'timestamp' is a column name"),
    ({"tables": {"task": {"case": ["caze_id", "nodot"]}}}, "invalid value for 'tables.task.case'"),
    ({"tables": {"task": {"user": "assigneeuser_id"}}}, "'users.table' is missing"),
    ({"activities": {"map": {"X": "IS-999"}}}, "the target is not in the canonical vocabulary"),
])
def test_profile_mistakes_are_named_with_a_fix(change, message):
    assert message in _bad(change)


def test_unknown_profile_name_lists_the_shipped_ones(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_extraction_profile("sormass")
    assert "neither a file nor a shipped profile (sormas" in caught.value.render("en")
    broken = tmp_path / "broken.toml"
    broken.write_text("[case\n")
    with pytest.raises(ConfigError, match="TOML syntax error in the extraction profile"):
        load_extraction_profile(broken)


def test_addresses_show_host_port_and_database_only():
    address = parse_address("postgresql://reader@db.example:6543/sormas?sslmode=require&application_name=x")
    assert address.display == "postgresql://db.example:6543/sormas" and address.dbname == "sormas"
    assert "reader" not in repr(address) and "sslmode" not in repr(address)
    assert is_database_url("PostgreSQL://h/d") and is_database_url("postgres://h/d") and not is_database_url("a.csv")
    for url in ("postgresql://reader:s3cret@db/x", "postgresql://db/x?password=s3cret"):
        with pytest.raises(ConfigError) as caught:
            parse_address(url)
        assert "holds a password" in caught.value.render("en") and "s3cret" not in caught.value.render("en")


def test_missing_driver_gives_the_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(InputError, match=r"pip install 'pmtool\[postgres\]'"):
        parse_address("postgresql://h/d")
    result = CliRunner().invoke(app, ["--lang", "en", "ingest", "postgresql://h/d", "--out", str(tmp_path),
                                      "--allow-identifiable"])
    assert result.exit_code == 2 and "pip install 'pmtool[postgres]'" in result.stderr


def test_files_and_databases_do_not_mix_and_schema_needs_a_database(tmp_path):
    runner = CliRunner()
    mixed = runner.invoke(app, ["--lang", "en", "ingest", "postgresql://h/d", "a.csv", "--out", str(tmp_path),
                                "--allow-identifiable"])
    assert mixed.exit_code == 2 and "do not mix database addresses and files" in mixed.stderr
    schema = runner.invoke(app, ["--lang", "en", "ingest", "a.csv", "--schema", "x", "--out", str(tmp_path),
                                 "--allow-identifiable"])
    assert schema.exit_code == 2 and "--schema applies to databases" in schema.stderr


def test_every_profile_key_is_documented():
    from conftest import REPO

    from pmtool.ingest.database import profile as module

    text = (REPO / "docs" / "database.md").read_text("utf-8")
    keys = set().union(module._TOP, module._DATABASE, module._CASE, module._USERS, module._TABLE, module._EVENT)
    missing = sorted(k for k in keys if f"`{k}`" not in text and f"[{k}" not in text and f"{k} =" not in text)
    assert not missing, f"keys missing from docs/database.md: {missing}"
    for name in shipped_profiles():
        assert f"`{name}`" in text
