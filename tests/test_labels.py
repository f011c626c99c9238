"""Labels between Soll and logs: a Soll whose task names differ from the vocabulary, tied by a label map (or a
BPMN attribute, or the profiles), gives exactly the canonical run's tables; untied, the label check stops."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import MODELS, SAMPLE_LOGS, TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.errors import ConfigError
from pmtool.models.reference import load_reference

runner = CliRunner()
OFFICES = ("GA-01", "GA-02", "GA-03", "GA-04")
BPMN = (MODELS / "P1_meldefallbearbeitung.bpmn").read_text("utf-8")
RENAMED = {"Ermittlung begonnen (Erstkontakt Betroffene/r)": "Ermittlung begonnen",
           "Kontaktperson informiert/beraten": "Kontaktperson informiert"}
LABEL_MAP = ('[tasks]\n"Ermittlung begonnen" = "IS-07"\n'
             '"Kontaktperson informiert" = "Kontaktperson informiert/beraten"\n')


def renamed_bpmn(attributes: bool = False) -> str:
    text = BPMN
    for canonical, short in RENAMED.items():
        extra = f' pmtool:activity="{canonical}"' if attributes else ""
        text = text.replace(f'name="{canonical}"', f'name="{short}"{extra}')
    if attributes:
        text = text.replace("<bpmn:definitions ", '<bpmn:definitions xmlns:pmtool="urn:pmtool:bpmn" ', 1)
    return text


def rules_without_first_contact() -> str:
    """The P1 rule pack without its one rule on a renamed task (a rule names activities by vocabulary id)."""
    text = (MODELS / "P1_meldefallbearbeitung.rules.toml").read_text("utf-8")
    return re.sub(r'\[\[rules\]\]\nid = "P1-S-CONTACT".*?(?=\n\[\[rules\]\])', "", text, flags=re.S)


def make_project(folder: Path, bpmn: str, labels: str | None = None, soll_profile: str | None = None) -> Path:
    exports = folder / "exports" / "P1"
    exports.mkdir(parents=True)
    for path in sorted((SAMPLE_LOGS / "P1").iterdir()):
        if path.name.split("_")[0] in OFFICES:
            shutil.copy(path, exports / path.name)
    if soll_profile:  # this office's profile maps its first-contact label onto the Soll's own task name
        profile = exports / f"{soll_profile}_P1.profile.toml"
        text = profile.read_text("utf-8")
        text, n = re.subn(r'^("[^"\n]+") = "(IS-07|Ermittlung begonnen \(Erstkontakt Betroffene/r\))"$',
                          r'\1 = { soll = "Ermittlung begonnen" }', text, flags=re.M)
        assert n == 1, "the profile should map exactly one label onto IS-07"
        profile.write_text(text, encoding="utf-8")
    models = folder / "models"
    models.mkdir()
    (models / "P1.bpmn").write_text(bpmn, encoding="utf-8")
    (models / "P1.rules.toml").write_text(rules_without_first_contact(), encoding="utf-8")
    if labels is not None:
        (models / "P1.labels.toml").write_text(labels, encoding="utf-8")
    (folder / "pmtool.toml").write_text(
        '[project]\nname = "Labels"\noutput = "results"\nperiod = "2025"\nformats = []\ntables = ["csv"]\n'
        'as_of = 2026-03-31T23:59:00+02:00\n[sources]\nfolder = "exports"\n'
        '[processes.P1]\nmodel = "models/P1.bpmn"\nrules = "models/P1.rules.toml"\n', encoding="utf-8")
    return folder / "pmtool.toml"


def run(project: Path):
    return runner.invoke(app, ["--lang", "en", "run", "--project", str(project), "--quiet", "--no-cache"],
                         env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})


def tables(project: Path) -> dict[str, bytes]:
    folder = project.parent / "results" / "tables"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.csv"))
            if "discovery" not in p.parts}


@pytest.fixture(scope="module")
def canonical(tmp_path_factory) -> dict[str, bytes]:
    project = make_project(tmp_path_factory.mktemp("canonical"), BPMN)
    result = run(project)
    assert result.exit_code == 0, result.output
    return tables(project)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["label_map", "bpmn_attribute", "profile_onto_soll_label"])
def test_tied_soll_labels_give_every_table_of_the_canonical_run(tmp_path, canonical, variant):
    if variant == "label_map":
        project = make_project(tmp_path, renamed_bpmn(), LABEL_MAP)
    elif variant == "bpmn_attribute":
        project = make_project(tmp_path, renamed_bpmn(attributes=True))
    else:
        project = make_project(tmp_path, renamed_bpmn(), LABEL_MAP, soll_profile="GA-02")
    result = run(project)
    assert result.exit_code == 0, result.output
    found = tables(project)
    assert set(found) == set(canonical) and "conformance/P1_labels.csv" in found
    assert [name for name in sorted(found) if found[name] != canonical[name]] == []


def test_without_the_label_map_the_label_check_stops_naming_labels_and_suggestions(tmp_path):
    project = make_project(tmp_path, renamed_bpmn())
    result = run(project)
    assert result.exit_code == 2
    text = result.output.strip()
    assert len(text.splitlines()) == 1 and "Traceback" not in text
    assert "'Ermittlung begonnen'" not in text  # German quotes name the labels: „…“
    for short, canonical_name in RENAMED.items():
        assert f"„{short}“" in text and f"„{canonical_name}“" in text
    assert "occur in no office" in text and "labels.toml" in text and "accept_missing" in text
    assert not (tmp_path / "results").exists()


def test_accepting_a_missing_task_in_the_project_file_lets_the_run_finish(tmp_path):
    project = make_project(tmp_path, renamed_bpmn())
    text = project.read_text("utf-8") + 'accept_missing = ["Ermittlung begonnen", "Kontaktperson informiert"]\n'
    project.write_text(text, encoding="utf-8")
    result = run(project)
    assert result.exit_code == 0, result.output
    assert "Soll task 'Ermittlung begonnen' occurs in no office (accepted)" in result.output
    assert "the Soll model does not know" in result.output  # the canonical labels, with the close Soll task
    assert "(≈ „Ermittlung begonnen“)" in result.output


def test_the_label_check_stops_when_the_model_does_not_know_most_events(tmp_path):
    project = make_project(tmp_path, BPMN)
    profile = project.parent / "exports" / "P1" / "GA-03_P1.profile.toml"
    text = profile.read_text("utf-8")
    text = re.sub(r"(?s)\[activities\.map\].*?(?=\n\[|\Z)", "", text).replace("require_full_map = true", "")
    profile.write_text(text, encoding="utf-8")
    result = run(project)
    assert result.exit_code == 2
    assert "does not know" in result.output and "GA-03" in result.output and "max_unknown_share" in result.output


def test_label_map_and_attribute_tie_tasks_and_a_wrong_map_entry_is_an_error(tmp_path):
    (tmp_path / "P1.bpmn").write_text(renamed_bpmn(), encoding="utf-8")
    (tmp_path / "P1.labels.toml").write_text(LABEL_MAP, encoding="utf-8")
    tied = load_reference(tmp_path / "P1.bpmn")
    assert tied.activities == load_reference(MODELS / "P1_meldefallbearbeitung.bpmn").activities
    assert tied.renamed == {short: canonical_name for canonical_name, short in RENAMED.items()}
    assert tied.fingerprint != tied.sha256
    (tmp_path / "P1.labels.toml").write_text('[tasks]\n"Ermittlung begonen" = "IS-07"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="close: 'Ermittlung begonnen'"):
        load_reference(tmp_path / "P1.bpmn")


def test_conform_cli_runs_the_label_check_and_writes_its_table(tmp_path, sample_ingested):
    (tmp_path / "P1.bpmn").write_text(renamed_bpmn(), encoding="utf-8")
    (tmp_path / "P1.rules.toml").write_text(rules_without_first_contact(), encoding="utf-8")
    logs = sorted(str(p) for p in (sample_ingested / "P1").glob("GA-0[12]_*.parquet"))
    args = ["--lang", "en", "conform", *logs, "--model", str(tmp_path / "P1.bpmn"), "--out", str(tmp_path / "out"),
            "--figures", ""]
    stopped = runner.invoke(app, args)
    assert stopped.exit_code == 2 and "„Ermittlung begonnen“" in stopped.output
    (tmp_path / "P1.labels.toml").write_text(LABEL_MAP, encoding="utf-8")
    tied = runner.invoke(app, args)
    assert tied.exit_code == 0, tied.output
    labels = (tmp_path / "out" / "P1_labels.csv").read_text("utf-8")
    assert labels.splitlines()[0].startswith("process,kind,label,task,office,events")
