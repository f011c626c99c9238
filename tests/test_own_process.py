"""A project's own process and freely named offices, end to end: vocabulary, Soll model and rule pack in the
project's folder (the package untouched), offices "Leipzig-Land", "HO-1", "Amt_7" with display names."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest
from conftest import TEST_KEY_TEXT
from typer.testing import CliRunner

from pmtool.cli.app import app

runner = CliRunner()
OFFICES = {"Leipzig-Land": "Landkreis Leipzig", "HO-1": "Gesundheitsamt Hoyerswerda", "Amt_7": "Amt sieben"}
VOCABULARY = """[processes.TW]
name = "Trinkwasserüberwachung"
gloss = "Drinking-water surveillance"
activities = [
  { id = "TW-01", name = "Probenahme geplant", gloss = "Sampling planned", role = "Hygienekontrolleur/in" },
  { id = "TW-02", name = "Trinkwasserprobe entnommen", gloss = "Sample taken", role = "Hygienekontrolleur/in" },
  { id = "TW-03", name = "Trinkwasserbefund bewertet", role = "Ärztin/Arzt Infektionsschutz" },
  { id = "TW-04", name = "Maßnahme nach § 61 TrinkwV angeordnet", role = "Amtsärztin/Amtsarzt" },
  { id = "TW-05", name = "Vorgang Trinkwasser abgeschlossen", gloss = "Closed", role = "Sachbearbeitung" },
]
"""
TASKS = [("TW_01", "Probenahme geplant", "L_HK"), ("TW_02", "Trinkwasserprobe entnommen", "L_HK"),
         ("TW_03", "Trinkwasserbefund bewertet", "L_Arzt"), ("TW_04", "Maßnahme nach § 61 TrinkwV angeordnet", "L_AA"),
         ("TW_05", "Vorgang Trinkwasser abgeschlossen", "L_SB")]
RULES = """[pack]
id = "TW-soll"
process = "TW"
version = "2025.1"
title = "Trinkwasserüberwachung – Soll-Regeln"

[[rules]]
id = "TW-S-BEFUND"
kind = "deadline"
title = "Befund spätestens 3 Arbeitstage nach der Probenahme bewertet"
from = "TW-02"
to = "TW-03"
within = { working_days = 3 }
basis = "service_level"
severity = "high"

[[rules]]
id = "TW-S-ANORDNUNG"
kind = "role"
title = "Maßnahmen ordnet die Amtsärztin / der Amtsarzt an"
activity = "TW-04"
roles = ["Amtsarzt"]
basis = "service_level"
severity = "medium"
"""


def soll_bpmn() -> str:
    lanes = {"L_HK": "Hygienekontrolleur/in", "L_Arzt": "Ärztin/Arzt Infektionsschutz", "L_AA": "Amtsarzt",
             "L_SB": "Sachbearbeitung"}
    lane_xml = "".join(f'<bpmn:lane id="{lid}" name="{name}">'
                       + "".join(f"<bpmn:flowNodeRef>{t}</bpmn:flowNodeRef>" for t, _, lane in TASKS if lane == lid)
                       + "</bpmn:lane>" for lid, name in lanes.items())
    nodes = ['<bpmn:startEvent id="Start"/>', '<bpmn:endEvent id="End"/>',
             '<bpmn:exclusiveGateway id="Split"/>', '<bpmn:exclusiveGateway id="Join"/>']
    nodes += [f'<bpmn:task id="{tid}" name="{name}"/>' for tid, name, _ in TASKS]
    flows = [("Start", "TW_01"), ("TW_01", "TW_02"), ("TW_02", "TW_03"), ("TW_03", "Split"), ("Split", "TW_04"),
             ("Split", "Join"), ("TW_04", "Join"), ("Join", "TW_05"), ("TW_05", "End")]
    nodes += [f'<bpmn:sequenceFlow id="F{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in enumerate(flows)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            '20100524/MODEL" id="D" targetNamespace="urn:test"><bpmn:process id="TW" name="TW Soll">'
            f'<bpmn:laneSet id="LS">{lane_xml}</bpmn:laneSet>{"".join(nodes)}</bpmn:process></bpmn:definitions>\n')


def export_rows(office: str, seed: int, skip_befund: float, wrong_role: float) -> list[str]:
    """One office's export in its own words: 40 cases, some skipping the assessment, some measures ordered
    by the wrong role."""
    words = {"TW-01": "geplant", "TW-02": "Probe", "TW-03": "Befund ok", "TW-04": "Anordnung", "TW-05": "zu"}
    rng = random.Random(seed)
    rows = ["Vorgang;Schritt;Zeit;Rolle"]
    for case in range(40):
        day = 2 + case % 20
        steps = ["TW-01", "TW-02"] + ([] if rng.random() < skip_befund else ["TW-03"])
        if case % 4 == 0:
            steps.append("TW-04")
        steps.append("TW-05")
        for hour, step in enumerate(steps):
            role = "AA" if step == "TW-04" and rng.random() >= wrong_role else "HK"
            rows.append(f"{office}-{case};{words[step]};{day:02d}.06.2025 {8 + hour:02d}:00;{role}")
    return rows


PROFILE = """[columns]
case_id = "Vorgang"
activity = "Schritt"
timestamp = "Zeit"
role = "Rolle"
[timestamps]
formats = ["%d.%m.%Y %H:%M"]
[activities.map]
"geplant" = "TW-01"
"Probe" = "TW-02"
"Befund ok" = "TW-03"
"Anordnung" = "TW-04"
"zu" = "TW-05"
[roles.map]
"AA" = "Amtsarzt"
"HK" = "Hygienekontrolleur/in"
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("own")
    own = root / "trinkwasser"
    own.mkdir()
    (own / "TW.vocabulary.toml").write_text(VOCABULARY, encoding="utf-8")
    (own / "TW_soll.bpmn").write_text(soll_bpmn(), encoding="utf-8")
    (own / "TW_soll.rules.toml").write_text(RULES, encoding="utf-8")
    exports = root / "exports" / "TW"
    exports.mkdir(parents=True)
    for i, (office, skip, wrong) in enumerate((("Leipzig-Land", 0.05, 0.0), ("HO-1", 0.05, 0.0),
                                               ("Amt_7", 0.6, 0.8))):
        (exports / f"{office}_TW.csv").write_text("\n".join(export_rows(office, i, skip, wrong)) + "\n", "utf-8")
        (exports / f"{office}_TW.profile.toml").write_text(PROFILE, encoding="utf-8")
    offices = "".join(f'[[offices]]\nid = "{o}"\nname = "{n}"\n' for o, n in OFFICES.items())
    (root / "pmtool.toml").write_text(
        '[project]\nname = "Eigener Prozess"\noutput = "results"\nperiod = "2025"\nformats = ["html"]\n'
        'tables = ["csv"]\nas_of = 2025-12-31T23:59:00+01:00\n[sources]\nfolder = "exports"\n'
        '[processes.TW]\nvocabulary = "trinkwasser/TW.vocabulary.toml"\nmodel = "trinkwasser/TW_soll.bpmn"\n'
        'rules = "trinkwasser/TW_soll.rules.toml"\n' + offices, encoding="utf-8")
    result = runner.invoke(app, ["--lang", "de", "run", "--project", str(root / "pmtool.toml"), "--quiet"],
                           env={"PMTOOL_PSEUDONYM_KEY": TEST_KEY_TEXT})
    return root / "results", result


def test_the_own_process_runs_end_to_end_for_freely_named_offices(ran):
    out, result = ran
    assert result.exit_code == 0, result.output
    assert not result.output.count("NICHT VERGLEICHBAR")
    for office in OFFICES:
        assert (out / "bundles" / f"{office}_TW_2025.bundle.json").exists()
        assert (out / "logs" / "TW" / f"{office}_TW.parquet").exists()
    summary = pl.read_csv(out / "tables" / "conformance" / "TW_summary.csv")
    assert sorted(summary["office"].to_list()) == sorted(OFFICES)
    findings = pl.read_csv(out / "tables" / "findings.csv")
    assert findings.height and set(findings["office"]) == {"Amt_7"}
    assert set(findings["office_name"]) == {"Amt sieben"}
    assert {"rule:TW-S-ANORDNUNG", "dev:SKIP:Trinkwasserbefund bewertet"} <= set(findings["item"])
    assert "Amt sieben" in findings["statement_de"][0]


def test_the_report_shows_the_display_names_and_the_process_name(ran):
    out, _ = ran
    html = (out / "report" / "bericht.html").read_text("utf-8")
    assert "TW Trinkwasserüberwachung" in html
    for name in OFFICES.values():
        assert name in html, name
    summary = html[html.index('id="summary"'):html.index("</section>", html.index('id="summary"'))]
    assert "Amt sieben" in summary and "Amt_7" not in summary
