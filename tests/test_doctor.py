"""pmtool doctor: every required part is tried for real; a missing one is named and exits 2."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from pmtool import doctor
from pmtool.cli.app import app

runner = CliRunner()


def test_doctor_names_every_part_and_passes_where_everything_required_works():
    result = runner.invoke(app, ["--lang", "en", "doctor"])
    assert result.exit_code == 0, result.output
    for part in ("Python", "Graphviz", "PDF/A", "DejaVu Sans", "Chromium", "sample data"):
        assert part in result.output
    assert "Everything required is present" in result.output
    diagnosis = doctor.diagnose()
    assert diagnosis.ok
    assert {c.name for c in diagnosis.checks} == set(doctor.CHECKS)


def test_doctor_speaks_german():
    result = runner.invoke(app, ["--lang", "de", "doctor"])
    assert "vorhanden" in result.output


def test_a_missing_required_part_is_named_with_what_to_do_and_exits_2(monkeypatch):
    checks = dict(doctor.CHECKS)
    checks["graphviz"] = (True, lambda: (False, "pip install pygraphviz"))
    checks["browser"] = (False, lambda: (False, "chromium"))
    monkeypatch.setattr(doctor, "CHECKS", checks)
    result = runner.invoke(app, ["--lang", "en", "doctor"])
    assert result.exit_code == 2
    assert "missing" in result.output and "pip install pygraphviz" in result.output
    assert "missing (optional)" in result.output
    assert "Something pmtool run needs is missing" in result.output


def test_a_missing_optional_part_does_not_fail(monkeypatch):
    checks = dict(doctor.CHECKS)
    checks["browser"] = (False, lambda: (False, "chromium"))
    monkeypatch.setattr(doctor, "CHECKS", checks)
    assert runner.invoke(app, ["doctor"]).exit_code == 0


def test_the_demo_folder_is_shown_absolute_with_its_true_state(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("pmtool.i18n.language", lambda: "en")
    ok, detail = doctor._folder_state(doctor.Path("reports/demo"))
    assert ok and str(tmp_path / "reports" / "demo") in detail and "not yet created" in detail
    (tmp_path / "reports" / "demo").mkdir(parents=True)
    ok, detail = doctor._folder_state(doctor.Path("reports/demo"))
    assert ok and detail.endswith("(exists)")
    (tmp_path / "reports").chmod(0o500)
    try:
        ok, detail = doctor._folder_state(doctor.Path("reports/demo/sub"))
        assert ok == os.access(tmp_path / "reports", os.W_OK)  # root may write anyway
    finally:
        (tmp_path / "reports").chmod(0o700)


def test_folders_are_said_writable_or_not_never_present_beside_not_yet_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # reports/demo does not exist here
    result = runner.invoke(app, ["--lang", "en", "--debug", "doctor"])
    row = next(line for line in result.output.splitlines() if "output of pmtool demo" in line)
    assert "writable" in row and "present" not in row, row
    checks = dict(doctor.CHECKS)
    checks["folders"] = (False, lambda: (False, "/x is not writable"))
    monkeypatch.setattr(doctor, "CHECKS", checks)
    row = next(line for line in runner.invoke(app, ["--lang", "en", "doctor"]).output.splitlines()
               if "output of pmtool demo" in line)
    assert "not writable" in row, row
