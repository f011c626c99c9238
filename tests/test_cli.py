"""The command line from the user's side: sample data in, outputs and one-line errors out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import typer
from conftest import SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["--lang", "en", *args], env=env)


def keyed() -> dict[str, str]:
    return {"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT}


def test_ingest_sample_folder_then_inspect(tmp_path):
    out = tmp_path / "out"
    result = run("ingest", str(SAMPLE_LOGS), "--out", str(out), env=keyed())
    assert result.exit_code == 0, result.output
    summaries = sorted(out.rglob("*.summary.json"))
    assert summaries, "no summary written"
    for path in summaries:
        s = json.loads(path.read_text("utf-8"))
        assert s["rows_read"] == s["rows_loaded"] + s["rows_quarantined"]
        assert sum(s["quarantine_by_reason"].values()) == s["rows_quarantined"]
        log = path.with_name(path.name.replace(".summary.json", ".parquet"))
        quarantine = path.with_name(path.name.replace(".summary.json", ".quarantine.csv"))
        assert pl.read_parquet(log).height == s["rows_loaded"]
        assert pl.read_csv(quarantine, infer_schema=False).height == s["rows_quarantined"]
        assert s["pseudonymised"] and TEST_KEY_TEXT not in path.read_text("utf-8")
    inspected = run("inspect", str(sorted(out.rglob("*.parquet"))[0]))
    assert inspected.exit_code == 0, inspected.output
    assert "Top 10 variants" in inspected.output and "Data quality" in inspected.output


def test_no_raw_identifier_in_any_output(tmp_path):
    out = tmp_path / "out"
    assert run("ingest", str(SAMPLE_LOGS), "--out", str(out), env=keyed()).exit_code == 0
    cases = pl.read_csv(SAMPLE_LOGS / "ground_truth_cases.csv", infer_schema=False)
    raw_ids = set(cases["case_id"].to_list())
    for export, separator in (("P1/GA-01_P1.csv", ";"), ("P1/GA-02_P1.csv", ",")):
        frame = pl.read_csv(SAMPLE_LOGS / export, separator=separator, infer_schema=False,
                            encoding="utf8-lossy")
        for column in ("Aktenzeichen", "Bearbeiter/in", "uuid", "assigneeUser"):
            if column in frame.columns:
                raw_ids |= set(frame[column].drop_nulls().to_list())
    assert len(raw_ids) > 100
    for path in out.rglob("*"):
        if path.is_file():
            text = (pl.read_parquet(path).write_csv() if path.suffix == ".parquet"
                    else path.read_text("utf-8"))
            leaked = [v for v in raw_ids if v in text]
            assert not leaked, f"{path.name} holds raw identifiers such as {leaked[:3]}"


@pytest.mark.parametrize("lang, expected", [("de", "Kein Pseudonymisierungsschlüssel"),
                                            ("en", "no pseudonymisation key")])
def test_refuses_without_key(tmp_path, lang, expected):
    result = runner.invoke(app, ["--lang", lang, "ingest", str(SAMPLE_LOGS), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert expected in result.output
    assert not (tmp_path / "o").exists()


BAD_INPUTS = {
    "empty.csv": (b"", "the file is empty"),
    "header_only.csv": (b"Aktenzeichen;T\xc3\xa4tigkeit;Zeitpunkt\n", "holds no events"),
    "wrong_delimiter.csv": ("Aktenzeichen,Tätigkeit,Zeitpunkt\nA,B,01.01.2025\n".encode(), "(delimiter ',"),
    "broken_encoding.csv": ("Aktenzeichen;Tätigkeit;Zeitpunkt\nA;Prüfung;01.01.2025 10:00\n".encode()
                            + "B;Prüfung;01.01.2025 11:00\n".encode("cp1252"), "line 3"),
    "unparsable_dates.csv": ("Aktenzeichen;Tätigkeit;Zeitpunkt\nA;B;gestern\nA;C;heute\n".encode(),
                             "cannot be read"),
    "broken.xes": (b"<log><trace><event><string key='concept:name' value='a'/></trace></log>", "line 1"),
    "xxe.xes": (b'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                b"<log><trace><event><string key='concept:name' value='&e;'/></event></trace></log>", "entit"),
    "bomb.xes": (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                 b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
                 b"<log><trace><event><string key='concept:name' value='&lol2;'/></event></trace></log>", "entit"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_one_line_exit_2_no_output(tmp_path, name):
    content, expected = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    profile = tmp_path / "p.toml"
    profile.write_text('office = "GA-01"\n[file]\ndelimiter = ";"\n'
                       '[columns]\ncase_id = "Aktenzeichen"\nactivity = "Tätigkeit"\n'
                       'timestamp = "Zeitpunkt"\n', encoding="utf-8")
    args = ["ingest", str(path), "--out", str(tmp_path / "out"), "--office", "GA-01"]
    if name.endswith(".csv"):
        args += ["--profile", str(profile)]
    result = run(*args, env=keyed())
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"pmtool: {path}"), lines[0]
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_bad_profile_is_one_line(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('office = "GA-01"\n[colums]\n', encoding="utf-8")
    export = SAMPLE_LOGS / "P1" / "GA-01_P1.csv"
    result = run("ingest", str(export), "--profile", str(profile), "--out", str(tmp_path / "o"), env=keyed())
    assert result.exit_code == 2
    assert "unknown key 'colums'" in result.output and "columns" in result.output


def test_key_new_writes_private_file_once(tmp_path):
    path = tmp_path / "k.key"
    assert run("key", "new", str(path)).exit_code == 0
    assert len(path.read_text().strip()) == 64 and (path.stat().st_mode & 0o777) == 0o600
    again = run("key", "new", str(path))
    assert again.exit_code == 2 and "exists" in again.output


def test_every_command_has_help():
    for args in (["--help"], ["ingest", "--help"], ["inspect", "--help"], ["key", "new", "--help"],
                 ["simulate", "--help"]):
        result = run(*args)
        assert result.exit_code == 0 and "Usage" in result.output, args


def test_real_subprocess_python_m(tmp_path):
    env = {**os.environ, **keyed(), "PMTOOL_LANG": "en"}
    export = SAMPLE_LOGS / "P1" / "GA-02_P1.csv"
    profile = SAMPLE_LOGS / "P1" / "GA-02_P1.profile.toml"
    done = subprocess.run([sys.executable, "-m", "pmtool", "ingest", str(export), "--profile", str(profile),
                           "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "GA-02_P1.parquet").exists()
    bad = subprocess.run([sys.executable, "-m", "pmtool", "inspect", str(tmp_path / "nope.parquet")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not found" in bad.stderr
    assert Path(tmp_path / "GA-02_P1.summary.json").read_text("utf-8").count("rows_read") == 1


@pytest.mark.parametrize(("lang", "events", "share", "period"), [
    ("de", "5.293", "28,2 %", "02.01.2025 – 21.01.2026"), ("en", "5,293", "28.2%", "2025-01-02 – 2026-01-21")])
def test_tables_on_the_terminal_write_numbers_as_the_reader_does(lang, events, share, period):
    export = SAMPLE_LOGS / "P1" / "GA-01_P1.csv"  # 5,293 events; the most frequent variant 28.2 % of the cases
    shown = runner.invoke(app, ["--lang", lang, "inspect", str(export)])
    assert shown.exit_code == 0, shown.output
    assert f"\t{events}\n" in shown.output and f"\t{share}\t" in shown.output, shown.output[:600]
    assert f"\t{period}\n" in shown.output, shown.output[:600]


@pytest.mark.parametrize("args", [
    ["inspect", "{export}", "--lang", "en"], ["inspect", "--lang=en", "{export}"],
    ["inspect", "{export}", "--debug", "--lang", "en"], ["--lang", "en", "inspect", "{export}"]])
def test_the_language_may_follow_the_command(args):
    export = str(SAMPLE_LOGS / "P1" / "GA-01_P1.csv")
    shown = runner.invoke(app, [a.format(export=export) for a in args])
    assert shown.exit_code == 0 and shown.output.startswith("# Overview"), shown.output[:300]
    german = runner.invoke(app, ["inspect", export, "--lang", "de"])
    assert german.exit_code == 0 and german.output.startswith("# Übersicht"), german.output[:300]
    wrong = runner.invoke(app, ["inspect", export, "--lang", "fr"])
    assert wrong.exit_code == 2 and "de, en" in wrong.output


def test_a_command_s_own_language_option_stays_its_own():
    from pmtool.cli.app import _own_options_first
    from pmtool.cli.app import app as group

    commands = typer.main.get_command(group).commands  # type: ignore[attr-defined]
    assert _own_options_first(["report", "--project", "p.toml", "--lang", "en"], commands) == [
        "report", "--project", "p.toml", "--lang", "en"]
    assert _own_options_first(["inspect", "x.csv", "--", "--lang", "en"], commands) == [
        "inspect", "x.csv", "--", "--lang", "en"]
    assert _own_options_first(["--lang", "de", "inspect", "x.csv", "--lang=en"], commands) == [
        "--lang", "de", "--lang=en", "inspect", "x.csv"]
