"""What ``pmtool ingest`` and ``pmtool inspect`` say on the console about an XES log: the columns an import
leaves out, an office nobody named, counted words in the right number."""

from __future__ import annotations

import gzip

import pytest
from typer.testing import CliRunner

from pmtool.cli.app import app

EVENT = ('<event><string key="concept:name" value="{a}"/>'
         '<date key="time:timestamp" value="2024-05-0{d}T10:00:00+02:00"/>'
         '<float key="amount" value="{d}.5"/><int key="points" value="2"/></event>')


def xes(path, activities=("A", "B", "C")):
    traces = "".join(f'<trace><string key="concept:name" value="c{i}"/><string key="department" value="D{i}"/>'
                     + "".join(EVENT.format(a=a, d=d) for d, a in enumerate(activities, 1)) + "</trace>"
                     for i in range(4))
    path.write_bytes(gzip.compress(f'<?xml version="1.0" encoding="UTF-8"?><log>{traces}</log>'.encode()))
    return path


def run(*args):
    result = CliRunner().invoke(app, ["--lang", "en", *map(str, args)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def test_ingest_names_the_columns_it_leaves_out_in_one_line(tmp_path):
    log = xes(tmp_path / "fines.xes.gz")
    said = run("ingest", log, "--office", "IT-01", "--allow-identifiable", "--out", tmp_path / "out")
    lines = [line for line in said.splitlines() if "not imported" in line]
    assert lines == ["fines: 3 columns not imported: case:department, amount, points (keep = [\"…\"] under [columns] "
                     "in the mapping profile imports them, docs/mapping-profiles.md)"]
    # what the hint says works, and a column the profile drops on purpose is not named again
    profile = tmp_path / "fines.profile.toml"
    profile.write_text('[columns]\nkeep = ["amount"]\ndrop = ["points"]\n', "utf-8")
    said = run("ingest", log, "--office", "IT-01", "--allow-identifiable", "--out", tmp_path / "out2")
    assert "fines: 1 column not imported: case:department (" in said and "points" not in said
    import polars as pl

    assert "amount" in pl.read_parquet(tmp_path / "out2" / "fines.parquet").columns


def test_ingest_of_a_log_whose_columns_are_all_imported_says_nothing_about_columns(tmp_path):
    log = tmp_path / "plain.xes"
    log.write_text('<?xml version="1.0" encoding="UTF-8"?><log><trace><string key="concept:name" value="c"/>'
                   + EVENT.replace('<float key="amount" value="{d}.5"/><int key="points" value="2"/>', "")
                   .format(a="A", d=1) + "</trace></log>", "utf-8")
    assert "not imported" not in run("ingest", log, "--office", "X", "--allow-identifiable", "--out", tmp_path / "o")


@pytest.mark.parametrize("lang, expected", [("en", "offices\t— (none named; --office sets one)"),
                                            ("de", "Ämter\t— (keines genannt; --office setzt es)")])
def test_inspect_of_an_export_without_an_office_does_not_take_its_file_name_for_one(tmp_path, lang, expected):
    log = xes(tmp_path / "road_traffic_fines.xes.gz")
    said = CliRunner().invoke(app, ["--lang", lang, "inspect", str(log)]).output
    assert expected in said.splitlines() and "road_traffic_fines.xes.gz\n" not in said.split("\n", 1)[1]
    assert "offices\tIT-01" in run("inspect", log, "--office", "IT-01").splitlines()


def test_inspect_counts_the_activities_left_out_in_the_right_number(tmp_path):
    log = xes(tmp_path / "x.xes.gz", activities=("A", "B", "C", "D"))
    assert "# … and 1 more activity" in run("inspect", log, "--top", "3").splitlines()
    assert "# … and 2 more activities" in run("inspect", log, "--top", "2").splitlines()
    said = CliRunner().invoke(app, ["--lang", "de", "inspect", str(log), "--top", "3"]).output
    assert "# … und 1 weitere Aktivität" in said.splitlines()
