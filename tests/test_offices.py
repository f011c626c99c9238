"""Offices with free ids and display names; one precedence for which source names an export's office."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.errors import ConfigError
from pmtool.ingest import registry
from pmtool.offices import choose_office, is_office_id
from pmtool.project import load_project

runner = CliRunner()
KEYED = {"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT}


def copy_export(office: str, target_dir, process: str = "P2", name: str | None = None):
    target_dir.mkdir(parents=True, exist_ok=True)
    source = next(p for p in sorted((SAMPLE_LOGS / process).iterdir())
                  if p.name.startswith(f"{office}_") and not p.name.endswith(".profile.toml"))
    stem = name or source.name[: -len("".join(source.suffixes))]
    suffix = "".join(source.suffixes)
    shutil.copy(source, target_dir / f"{stem}{suffix}")
    shutil.copy(source.with_name(f"{office}_{process}.profile.toml"), target_dir / f"{stem}.profile.toml")
    return target_dir / f"{stem}{suffix}"


def test_free_office_ids_and_display_names_load_from_folder_and_table(tmp_path):
    exports = tmp_path / "exports" / "P2"
    copy_export("GA-01", exports, name="Amt_7_P2")
    copy_export("GA-02", exports, name="HO-1_P2")
    copy_export("GA-03", tmp_path / "extra", name="ga03")
    shutil.copy(MODELS / MODEL_FILES["P2"], tmp_path / MODEL_FILES["P2"])
    (tmp_path / "pmtool.toml").write_text(
        '[project]\nname = "x"\n[sources]\nfolder = "exports"\n'
        f'[processes.P2]\nmodel = "{MODEL_FILES["P2"]}"\n'
        '[[offices]]\nid = "Leipzig-Land"\nname = "Landkreis Leipzig"\n'
        '[[offices.exports]]\nprocess = "P2"\npath = "extra/ga03.tsv"\nprofile = "extra/ga03.profile.toml"\n'
        '[[offices]]\nid = "Amt_7"\nname = "Amt sieben"\n', encoding="utf-8")
    project = load_project(tmp_path / "pmtool.toml")
    assert sorted(e.office for e in project.exports) == ["Amt_7", "HO-1", "Leipzig-Land"]
    assert project.office_names == {"Amt_7": "Amt sieben", "HO-1": "HO-1", "Leipzig-Land": "Landkreis Leipzig"}


@pytest.mark.parametrize("bad", ["GA 07", "-x", "a/b", "Amt.7", ""])
def test_a_bad_office_id_is_a_one_line_error_naming_the_key(tmp_path, bad):
    shutil.copy(MODELS / MODEL_FILES["P2"], tmp_path / MODEL_FILES["P2"])
    (tmp_path / "pmtool.toml").write_text(
        f'[project]\n[processes.P2]\nmodel = "{MODEL_FILES["P2"]}"\n[[offices]]\nid = "{bad}"\n', encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "run", "--project", str(tmp_path / "pmtool.toml")], env=KEYED)
    assert result.exit_code == 2
    assert "offices[1].id" in result.output and "letters, digits" in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(ConfigError):
        load_project(tmp_path / "pmtool.toml")


def test_flag_beats_profile_and_the_disagreement_is_recorded_and_printed(tmp_path):
    export = copy_export("GA-01", tmp_path / "in", name="export")  # the profile says office = "GA-01"
    profile = export.with_name("export.profile.toml")
    text = profile.read_text("utf-8")
    assert 'office = "GA-01"' in text
    out = tmp_path / "out"
    result = runner.invoke(app, ["--lang", "en", "ingest", str(export), "--profile", str(profile), "--office",
                                 "Leipzig-Land", "--out", str(out)], env=KEYED)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "export.summary.json").read_text("utf-8"))
    assert summary["office"] == "Leipzig-Land" and summary["office_source"] == "flag"
    assert summary["office_disagreements"] == {"profile": "GA-01"}
    assert "imported as office 'Leipzig-Land' (--office); differing: profile „GA-01“" in result.output


def test_a_missing_office_is_reported_before_the_file_is_read(tmp_path, monkeypatch):
    xes = tmp_path / "receipt.xes"
    xes.write_text('<log><trace><string key="concept:name" value="c1"/><event><string key="concept:name" '
                   'value="A"/><date key="time:timestamp" value="2025-01-02T08:00:00+01:00"/></event></trace>'
                   '</log>', encoding="utf-8")

    def never(*args, **kwargs):
        raise AssertionError("the export was read although its office is unknown")

    monkeypatch.setattr(registry, "read", never)
    result = runner.invoke(app, ["--lang", "en", "ingest", str(xes), "--out", str(tmp_path / "out")], env=KEYED)
    assert result.exit_code == 2 and "office unknown" in result.output and "--office" in result.output


def test_inspect_takes_office_and_needs_none(tmp_path):
    xes = tmp_path / "receipt.xes"
    xes.write_text('<log><trace><string key="concept:name" value="c1"/><event><string key="concept:name" '
                   'value="A"/><date key="time:timestamp" value="2025-01-02T08:00:00+01:00"/></event></trace>'
                   '</log>', encoding="utf-8")
    plain = runner.invoke(app, ["--lang", "en", "inspect", str(xes)])
    assert plain.exit_code == 0, plain.output
    named = runner.invoke(app, ["--lang", "en", "inspect", str(xes), "--office", "HO-1"])
    assert named.exit_code == 0 and "offices\tHO-1" in named.output


def test_precedence_helpers():
    assert choose_office({"project": "A", "profile": "A", "file_name": "GA-01"}).disagreements == (
        ("file_name", "GA-01"),)
    assert choose_office({"data": "X"}).source == "data"
    assert choose_office({}) is None
    assert is_office_id("Görlitz_Land") and not is_office_id("x" * 65)
