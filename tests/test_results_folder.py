"""pmtool deletes only what it can prove it wrote, inside a folder marked as its results folder: a wrong
``--out`` or ``output`` is refused before anything happens, links are never followed, and an export that is
a device is refused before it is read."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.results_folder import MARKER

runner = CliRunner()
OFFICES = ("GA-01", "GA-02", "GA-03")


def write_project(folder: Path, *, output: str = "results", exports: dict[str, Path] | None = None) -> Path:
    """A project over three offices' P3a sample exports (or ``exports`` by office), no report."""
    folder.mkdir(parents=True, exist_ok=True)
    exports = exports or sample_exports()
    lines = ["[project]", 'name = "T"', f"output = {json.dumps(output)}", "formats = []",
             "as_of = 2026-03-31T23:59:00+02:00", "", "[processes.P3a]",
             f"model = {json.dumps(str(MODELS / MODEL_FILES['P3a']))}"]
    for office, path in exports.items():
        profile = SAMPLE_LOGS / "P3a" / f"{office}_P3a.profile.toml"
        lines += ["", "[[offices]]", f'id = "{office}"',
                  f'exports = [{{ process = "P3a", path = {json.dumps(str(path))}, '
                  f'profile = {json.dumps(str(profile))} }}]']
    project = folder / "pmtool.toml"
    project.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return project


def sample_exports() -> dict[str, Path]:
    return {o: next(p for p in sorted((SAMPLE_LOGS / "P3a").glob(f"{o}_P3a.*")) if not p.name.endswith(".toml"))
            for o in OFFICES}


def run(*args: str):
    return runner.invoke(app, ["--lang", "en", *args], env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})


def one_line_exit_2(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A project folder with one finished run in ``results``."""
    folder = tmp_path_factory.mktemp("project")
    project = write_project(folder)
    assert run("run", "--project", str(project), "--quiet").exit_code in (0, 1, 3)
    return folder


@pytest.fixture
def project(finished, tmp_path) -> Path:
    shutil.copytree(finished, tmp_path / "p", symlinks=True)
    return tmp_path / "p" / "pmtool.toml"


def test_the_results_folder_is_marked(finished):
    assert (finished / "results" / MARKER).is_file()


def test_out_on_a_home_folder_is_refused_and_nothing_there_is_touched(project, tmp_path):
    home = tmp_path / "home"
    for rel in (".cache/pip/http/a/blob", ".cache/fontconfig/cache-7", ".local/share/app/data.db", "notes.txt"):
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text("keep", "utf-8")
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    line = one_line_exit_2(run("run", "--project", str(project), "--out", str(home), "--quiet"))
    assert "not a pmtool results folder" in line and str(home) in line
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before


def test_an_output_that_is_a_foreign_folder_or_a_file_is_refused(tmp_path):
    foreign = tmp_path / "etc"
    foreign.mkdir()
    (foreign / "passwd").write_text("root:x:0:0", "utf-8")
    project = write_project(tmp_path / "a", output=str(foreign))
    assert "not a pmtool results folder" in one_line_exit_2(run("run", "--project", str(project), "--quiet"))
    assert sorted(p.name for p in foreign.iterdir()) == ["passwd"]
    afile = tmp_path / "results.txt"
    afile.write_text("x", "utf-8")
    project = write_project(tmp_path / "b", output=str(afile))
    assert "is a file, not a folder" in one_line_exit_2(run("run", "--project", str(project), "--quiet"))
    assert afile.read_text("utf-8") == "x"


def test_foreign_folders_in_the_cache_are_not_pruned(project):
    cache = project.parent / "results" / ".cache"
    foreign = [cache / "pip" / "http" / "blob", cache / "conform" / ("ab" * 32) / "value.json",
               cache / "fontconfig" / "cache-7"]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep", "utf-8")
    assert run("run", "--project", str(project), "--quiet").exit_code in (0, 1, 3)
    assert all(p.read_text("utf-8") == "keep" for p in foreign)


def test_a_link_in_the_results_folder_does_not_lead_to_a_deletion_outside(project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "thesis.txt"
    victim.write_text("years of work", "utf-8")
    out = project.parent / "results"
    (out / "extra").symlink_to(outside)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["outputs"].append({"path": "extra/thesis.txt", "bytes": victim.stat().st_size,
                                "sha256": hashlib.sha256(victim.read_bytes()).hexdigest()})
    (out / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert run("run", "--project", str(project), "--quiet").exit_code in (0, 1, 3)
    assert victim.read_text("utf-8") == "years of work"


def test_a_listed_output_that_was_changed_is_kept(project):
    out = project.parent / "results"
    kept = out / "tables" / "notes-of-the-analyst.csv"
    kept.write_text("my notes", "utf-8")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["outputs"].append({"path": "tables/notes-of-the-analyst.csv", "bytes": 1, "sha256": "0" * 64})
    gone = out / "tables" / "old.csv"
    gone.write_text("old output", "utf-8")
    manifest["outputs"].append({"path": "tables/old.csv", "bytes": 10,
                                "sha256": hashlib.sha256(b"old output").hexdigest()})
    (out / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert run("run", "--project", str(project), "--quiet").exit_code in (0, 1, 3)
    assert kept.read_text("utf-8") == "my notes" and not gone.exists()


def test_a_folder_linked_inside_the_results_folder_is_not_written_through(project, tmp_path):
    out = project.parent / "results"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / "bundles", elsewhere)
    (out / "bundles").symlink_to(elsewhere)
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    line = one_line_exit_2(run("run", "--project", str(project), "--quiet"))
    assert "symbolic link" in line
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before


def test_temporary_files_of_an_interrupted_run_are_removed(project):
    out = project.parent / "results"
    debris = [out / "tables" / ".findings.csv.k2j4_x9a.tmp", out / ".report.abcd1234" / "bericht.html",
              out / ".cache" / "figures" / ".tmp-0123456789ab.x1y2z3" / "files" / "a.svg"]
    for path in debris:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half", "utf-8")
    other = out / "tables" / "mine.tmp"
    other.write_text("not pmtool's", "utf-8")
    assert run("run", "--project", str(project), "--quiet").exit_code in (0, 1, 3)
    assert not any(p.exists() for p in debris)
    assert not (out / ".report.abcd1234").exists()
    assert other.exists()


def test_an_earlier_results_folder_without_the_marker_is_accepted(project):
    out = project.parent / "results"
    (out / MARKER).unlink()
    assert run("run", "--project", str(project), "--quiet").exit_code in (0, 1, 3)
    assert (out / MARKER).is_file()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_an_export_linked_to_dev_zero_is_refused_at_once(tmp_path):
    exports = sample_exports()
    zero = tmp_path / "GA-04_P3a.csv"
    zero.symlink_to("/dev/zero")
    exports["GA-04"] = zero
    project = write_project(tmp_path, exports=exports)
    env = {**os.environ, "PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT, "PMTOOL_LANG": "en"}
    try:
        done = subprocess.run([sys.executable, "-m", "pmtool", "run", "--project", str(project), "--quiet"],
                              capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("pmtool run did not finish on an export linked to /dev/zero")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "not a regular file" in done.stderr and "GA-04_P3a.csv" in done.stderr
    assert not (tmp_path / "results" / "manifest.json").exists()


def test_removing_stale_outputs_removes_the_folders_they_leave_empty(tmp_path):
    from pmtool.results_folder import remove_stale

    out = tmp_path / "results"
    stale = out / "report" / "bericht-tabellen" / "t.csv"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"a;b\n")
    kept = out / "report" / "report.html"
    kept.write_bytes(b"<html>")
    listed = [{"path": "report/bericht-tabellen/t.csv", "sha256": hashlib.sha256(b"a;b\n").hexdigest()}]
    assert remove_stale(out, listed, {"report/report.html"}) == ["report/bericht-tabellen/t.csv"]
    assert not (out / "report" / "bericht-tabellen").exists() and kept.exists() and out.is_dir()


def test_a_run_that_fails_before_keeping_anything_leaves_no_results_folder(tmp_path):
    empty = tmp_path / "GA-01_P3a.csv"
    empty.write_text("a,b\n1,2\n", encoding="utf-8")  # not the profile's columns: the first export stops the run
    project = write_project(tmp_path, exports={**sample_exports(), "GA-01": empty})
    out = tmp_path / "new" / "results"  # the folder above is made by the run too
    one_line_exit_2(run("run", "--project", str(project), "--out", str(out), "--quiet"))
    assert not (tmp_path / "new").exists()


def test_a_failed_run_keeps_a_folder_with_anything_in_it(tmp_path):
    from pmtool.results_folder import claim, release

    made = tmp_path / "made"
    claim(made)
    (made / ".cache" / "ingest").mkdir(parents=True)
    assert release(made) and not made.exists()  # the marker and empty folders only: removed
    claim(made)
    (made / ".cache" / "ingest").mkdir(parents=True)
    (made / ".cache" / "ingest" / "entry.parquet").write_bytes(b"kept")  # a cached step: the folder stays
    assert not release(made) and (made / MARKER).exists()
    own = tmp_path / "own"
    claim(own)
    (own / MARKER).write_text("a note of the user's", encoding="utf-8")  # not pmtool's marker text
    assert not release(own) and (own / MARKER).exists()
