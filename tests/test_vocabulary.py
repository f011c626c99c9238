"""The vocabulary as data: a project brings a process of its own without touching the package."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.errors import ConfigError
from pmtool.vocabulary import bundled, combine, extended, vocabulary

runner = CliRunner()
TW = """[processes.TW]
name = "Trinkwasserüberwachung"
gloss = "Drinking-water surveillance"
activities = [
  { id = "TW-01", name = "Probenahme geplant", gloss = "Sampling planned", role = "Hygienekontrolleur/in" },
  { id = "TW-02", name = "Trinkwasserprobe entnommen", role = "Hygienekontrolleur/in" },
  { id = "TW-03", name = "Trinkwasserbefund bewertet", role = "Ärztin/Arzt Infektionsschutz" },
]
"""


def test_a_project_process_is_known_only_while_extended(tmp_path):
    path = tmp_path / "TW.vocabulary.toml"
    path.write_text(TW, encoding="utf-8")
    assert vocabulary().resolve("TW-01") is None
    with extended([path]) as vocab:
        assert vocabulary() is vocab
        assert vocab.resolve("trinkwasserprobe entnommen").id == "TW-02"
        assert vocab.processes["TW"].name == "Trinkwasserüberwachung"
        assert vocab.fingerprint != bundled().fingerprint
    assert vocabulary() is bundled()


@pytest.mark.parametrize(("text", "message"), [
    (TW.replace("TW-03", "IS-01"), "'IS-01' is already in the vocabulary (P1/IS-01)"),
    (TW.replace("[processes.TW]", "[processes.P1]"), "process 'P1' exists already"),
    (TW.replace("name = \"Probenahme geplant\"", "title = \"x\""), "unknown key 'processes.TW.activities[1].title'"),
    (TW.replace("Trinkwasserbefund bewertet", "Probenahme geplant"), "'Probenahme geplant' is already"),
    ("[processes.TW]\nname = 'x'\n", "processes.TW.activities"),
])
def test_bad_vocabulary_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "v.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        combine([path])


def test_ingest_maps_onto_a_process_of_ones_own_with_vocabulary(tmp_path):
    vocab = tmp_path / "TW.vocabulary.toml"
    vocab.write_text(TW, encoding="utf-8")
    export = tmp_path / "HO-1_TW.csv"
    export.write_text("Fall;Schritt;Zeit\nW1;geplant;02.01.2025 08:00\nW1;Probe;03.01.2025 09:00\n", encoding="utf-8")
    profile = tmp_path / "HO-1_TW.profile.toml"
    profile.write_text('[columns]\ncase_id = "Fall"\nactivity = "Schritt"\ntimestamp = "Zeit"\n'
                       '[activities.map]\n"geplant" = "TW-01"\n"Probe" = "Trinkwasserprobe entnommen"\n',
                       encoding="utf-8")
    args = ["--lang", "en", "ingest", str(export), "--profile", str(profile), "--out", str(tmp_path / "out"),
            "--allow-identifiable", "--office", "HO-1"]
    without = runner.invoke(app, args)
    assert without.exit_code == 2 and "'TW-01'" in without.output
    result = runner.invoke(app, [*args, "--vocabulary", str(vocab)])
    assert result.exit_code == 0, result.output
    assert "100.0%" in result.output  # coverage: both labels map onto the project's vocabulary
