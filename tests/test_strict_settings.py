"""Every setting is checked for its type and every unknown key is an error; no user input ends in a
traceback: one line, exit 2 (``--debug`` shows the traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS
from test_results_folder import one_line_exit_2, run, sample_exports

import pmtool.cli.run_cmd
from pmtool.errors import ModelError
from pmtool.ingest.pipeline import ingest
from pmtool.ingest.profile import profile_from_dict
from pmtool.models.reference import load_reference

MODEL = str(MODELS / MODEL_FILES["P3a"])


def project_file(folder: Path, *, top: str = "", head: str = "", tail: str = "", process: bool = True) -> Path:
    """A three-office P3a project with text put at the top level, into [project] and after everything;
    ``process=False`` leaves the process out of each export."""
    folder.mkdir(parents=True, exist_ok=True)
    defaults = [line for line in ('name = "T"', 'output = "results"') if line.split(" =")[0] not in head]
    lines = [top, "[project]", *defaults, "formats = []", head, "",
             "[processes.P3a]", f"model = {json.dumps(MODEL)}"]
    for office, path in sample_exports().items():
        profile = SAMPLE_LOGS / "P3a" / f"{office}_P3a.profile.toml"
        fields = [f"path = {json.dumps(str(path))}", f"profile = {json.dumps(str(profile))}"]
        if process:
            fields.insert(0, 'process = "P3a"')
        lines += ["", "[[offices]]", f'id = "{office}"', f"exports = [{{ {', '.join(fields)} }}]"]
    lines += ["", tail]
    path = folder / "pmtool.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CASES = {
    "privacy_threshold_bool": (dict(head="privacy_threshold = true"), "project.privacy_threshold"),
    "output_number": (dict(head="output = 5"), "project.output"),
    "name_number": (dict(head="name = 5"), "project.name"),
    "period_bool": (dict(head="period = true"), "project.period"),
    "offices_numbers": (dict(top="offices = [1]"), "offices"),
    "fdr_text": (dict(tail='[comparison]\nfdr = "abc"'), "comparison.fdr"),
    "min_coverage_percent": (dict(tail='[comparison]\nmin_coverage = "90%"'), "comparison.min_coverage"),
    "comparison_bool": (dict(tail="[comparison]\nmax_running_share = true"), "comparison.max_running_share"),
    "limits_unknown": (dict(tail="[limits]\nstates = 5"), "limits.states"),
    "limits_bool": (dict(tail="[limits]\nstate_space = true"), "limits.state_space"),
    "process_unknown_table": (dict(tail="[processes.P3a.extra]\n"), "processes.P3a.extra"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_wrong_setting_in_the_project_file_is_one_line(tmp_path, case):
    kwargs, key = CASES[case]
    line = one_line_exit_2(run("run", "--project", str(project_file(tmp_path, **kwargs)), "--quiet"))
    assert f"'{key}'" in line, line
    assert not (tmp_path / "results").exists()


def test_an_export_without_process_is_one_line(tmp_path):
    line = one_line_exit_2(run("run", "--project", str(project_file(tmp_path, process=False)), "--quiet"))
    assert "'offices[1].exports[1].process' is missing" in line


def test_an_unknown_calendar_setting_of_an_office_is_one_line(tmp_path):
    project = project_file(tmp_path, tail='[[offices]]\nid = "GA-09"\ncalendar = { regoin = "SN" }')
    assert "regoin" in one_line_exit_2(run("run", "--project", str(project), "--quiet"))


def test_a_wrong_allowlist_is_one_line(tmp_path):
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text("accept = 5\n", encoding="utf-8")
    project = project_file(tmp_path, head=f"allowlist = {json.dumps(str(allowlist))}")
    line = one_line_exit_2(run("run", "--project", str(project), "--quiet"))
    assert "'accept'" in line and "allowlist" in line
    allowlist.write_text('[[accept]]\noffice = "GA-01"\nitem = 5\njustification = "ok"\n', encoding="utf-8")
    assert "'accept[1].item'" in one_line_exit_2(run("run", "--project", str(project), "--quiet"))


@pytest.mark.parametrize(("table", "text"), [("calendar", 'regoin = "SN"'), ("duplicates", 'action = "drop"'),
                                             ("calendar", "corpus_christi = 1")])
def test_unknown_or_wrong_keys_in_a_profile_are_errors(tmp_path, table, text):
    profile = tmp_path / "GA-01_P3a.profile.toml"
    base = (SAMPLE_LOGS / "P3a" / "GA-01_P3a.profile.toml").read_text("utf-8")
    profile.write_text(f"{base}\n[{table}]\n{text}\n", encoding="utf-8")
    line = one_line_exit_2(run("ingest", str(sample_exports()["GA-01"]), "--profile", str(profile),
                               "--out", str(tmp_path / "out")))
    assert text.split(" =")[0] in line


@pytest.mark.parametrize("args", [("conform", "--method", "foo"), ("conform", "--incomplete", "foo"),
                                  ("aggregate", "--incomplete", "foo")])
def test_a_wrong_option_value_is_named_before_anything_is_read(tmp_path, args):
    command, option, value = args
    line = one_line_exit_2(run(command, str(tmp_path / "missing.parquet"), "--model", MODEL,
                               "--out", str(tmp_path / "out"), option, value))
    assert f"'{value}' for {option.strip('-')}" in line


def test_an_unexpected_error_is_one_line_without_its_message_and_debug_shows_it(tmp_path, monkeypatch):
    def broken(path):
        raise RuntimeError("Mustermann, Max1 is in this message")

    monkeypatch.setattr(pmtool.cli.run_cmd, "load_project", broken)
    result = run("run", "--project", str(tmp_path / "pmtool.toml"), "--quiet")
    line = one_line_exit_2(result)
    assert "RuntimeError" in line and "run_cmd.py" in line and "--debug" in line
    assert "Mustermann" not in result.output
    debug = run("--debug", "run", "--project", str(tmp_path / "pmtool.toml"))
    assert isinstance(debug.exception, RuntimeError)


def test_key_new_refuses_a_dangling_link_and_a_folder_it_cannot_make(tmp_path):
    target = tmp_path / "elsewhere" / "stolen.key"
    link = tmp_path / "pmtool.key"
    link.symlink_to(target)
    assert "exists already" in one_line_exit_2(run("key", "new", str(link)))
    assert not target.exists() and not target.parent.exists()
    afile = tmp_path / "afile"
    afile.write_text("x", "utf-8")
    assert "could not write the key file" in one_line_exit_2(run("key", "new", str(afile / "k.key")))


def _model_with(tmp_path: Path, name: str, change) -> Path:
    path = tmp_path / name
    path.write_text(change((MODELS / MODEL_FILES["P3a"]).read_text("utf-8")), encoding="utf-8")
    return path


def test_an_id_used_twice_in_a_bpmn_is_an_error(tmp_path):
    import re

    ids = re.findall(r'<(?:bpmn:)?task id="([^"]+)"', (MODELS / MODEL_FILES["P3a"]).read_text("utf-8"))
    path = _model_with(tmp_path, "dup.bpmn", lambda text: text.replace(f'id="{ids[2]}"', f'id="{ids[1]}"', 1))
    with pytest.raises(ModelError, match=f"'{ids[1]}' occurs twice"):
        load_reference(path)


def test_a_doctype_after_the_first_64_kb_of_a_bpmn_is_refused(tmp_path):
    def late(text: str) -> str:
        head, rest = text.split("?>", 1)
        return f'{head}?>\n<!--{"x" * 70_000}-->\n<!DOCTYPE definitions [<!ENTITY e "entity">]>{rest}'

    with pytest.raises(ModelError, match="DOCTYPE"):
        load_reference(_model_with(tmp_path, "late.bpmn", late))


def test_timestamps_in_year_1_and_9999_are_quarantined_with_a_reason(tmp_path, key):
    export = tmp_path / "GA-01_P3a.csv"
    export.write_text("case;activity;time\n"
                      "c1;Termin gebucht;01.03.2025 10:00\nc1;Belehrung;02.03.2025 10:00\n"
                      "c2;Termin gebucht;01.01.0001 00:00\nc3;Belehrung;31.12.9999 23:59\n", encoding="utf-8")
    profile = profile_from_dict({"file": {"delimiter": ";"}, "columns": {
        "case_id": "case", "activity": "activity", "timestamp": "time"},
        "timestamps": {"formats": ["%d.%m.%Y %H:%M"]}})
    result = ingest(export, profile, office="GA-01", key=key)
    assert result.summary.quarantine_by_reason == {"implausible_timestamp": 2}
    assert result.log.frame["timestamp"].max().year == 2025


def test_a_mapped_column_named_twice_in_the_header_is_an_error(tmp_path):
    export = tmp_path / "GA-01_P3a.csv"
    export.write_text("case;activity;time;activity\nc1;Termin gebucht;01.03.2025 10:00;Belehrung\n", "utf-8")
    profile = tmp_path / "p.toml"
    profile.write_text('[file]\ndelimiter = ";"\n[columns]\ncase_id = "case"\nactivity = "activity"\n'
                       'timestamp = "time"\n', encoding="utf-8")
    line = one_line_exit_2(run("ingest", str(export), "--profile", str(profile), "--office", "GA-01",
                               "--out", str(tmp_path / "out")))
    assert "more than once" in line


def test_a_canonical_parquet_with_wrong_column_types_is_one_line(tmp_path):
    log = tmp_path / "GA-01_P3a.parquet"
    pl.DataFrame({"office": [1], "case_id": [2], "activity": [3], "timestamp": ["x"]}).write_parquet(log)
    line = one_line_exit_2(run("conform", str(log), "--model", MODEL, "--out", str(tmp_path / "out")))
    assert "GA-01_P3a.parquet" in line


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"format": "pmtool-bundle/2", "office": ' + "9" * 10_000 + "}",
                                  '{"format": "pmtool-bundle/2"}', "[1, 2]"])
def test_a_malformed_bundle_is_one_line(tmp_path, text):
    bundle = tmp_path / "GA-01_P3a_2025.bundle.json"
    bundle.write_text(text, encoding="utf-8")
    line = one_line_exit_2(run("compare", str(bundle), "--model", MODEL, "--out", str(tmp_path / "out")))
    assert "GA-01_P3a_2025.bundle.json" in line


@pytest.mark.parametrize("text", ['{"ocel:events": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                  '{"ocel:events": {"e1": {"ocel:activity": "a", "ocel:timestamp": '
                                  + "9" * 100_000 + ', "ocel:omap": [], "ocel:vmap": {}}}, "ocel:objects": {}}'])
def test_deeply_nested_or_huge_number_ocel_is_one_line(tmp_path, text):
    ocel = tmp_path / "GA-01_P3a.jsonocel"
    ocel.write_text(text, encoding="utf-8")
    line = one_line_exit_2(run("ingest", str(ocel), "--office", "GA-01", "--out", str(tmp_path / "out")))
    assert "GA-01_P3a.jsonocel" in line and "unexpected error" not in line


def test_an_output_folder_that_refuses_writing_is_one_line(tmp_path, monkeypatch):
    import os

    import pmtool.ingest.output

    real = os.replace

    def refused(src, dst):
        if str(dst).endswith(".csv"):  # as a read-only folder does (root, as in CI containers, is never refused)
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(pmtool.ingest.output.os, "replace", refused)
    line = one_line_exit_2(run("run", "--project", str(project_file(tmp_path)), "--quiet", "--no-cache"))
    assert "could not write the output" in line and "Permission denied" in line
