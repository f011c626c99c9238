"""Roles: the profile maps export role values onto roles of the vocabulary or lanes of the Soll; a label map
ties lanes to roles; rule packs may name lanes; unmapped role values are counted and listed."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from conftest import MODELS
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.conform.conformance import ConformanceSettings, conform
from pmtool.errors import ConfigError
from pmtool.eventlog.log import EventLog
from pmtool.models.reference import load_reference

runner = CliRunner()
LANE = "Ärztin/Arzt"
ROLE = "Ärztin/Arzt Infektionsschutz"


def p3a_with_short_lane(tmp_path, rule_roles: str, lanes: str | None) -> None:
    bpmn = (MODELS / "P3a_belehrung_43.bpmn").read_text("utf-8").replace(f'name="{ROLE}"', f'name="{LANE}"')
    (tmp_path / "P3a.bpmn").write_text(bpmn, encoding="utf-8")
    rules = (MODELS / "P3a_belehrung_43.rules.toml").read_text("utf-8")
    rules = rules.replace(f'roles = ["{ROLE}", "Hygienekontrolleur/in"]', f"roles = {rule_roles}")
    (tmp_path / "P3a.rules.toml").write_text(rules, encoding="utf-8")
    if lanes is not None:
        (tmp_path / "P3a.labels.toml").write_text(f'[lanes]\n"{LANE}" = "{lanes}"\n', encoding="utf-8")


def test_a_rule_may_name_a_lane_which_the_label_map_ties_to_a_role(tmp_path):
    p3a_with_short_lane(tmp_path, f'["{LANE}"]', ROLE)
    reference = load_reference(tmp_path / "P3a.bpmn")
    assert reference.rules.by_id["P3a-Y-INSTRUCTOR"].roles == (ROLE,)
    assert reference.roles["Belehrung durchgeführt (Präsenz/Video/online)"] == (ROLE,)


def test_a_rule_naming_neither_role_nor_lane_is_an_error_with_a_hint(tmp_path):
    p3a_with_short_lane(tmp_path, '["Ärztin"]', None)
    with pytest.raises(ConfigError, match="P3a-Y-INSTRUCTOR.*'Ärztin'.*close: 'Ärztin/Arzt'"):
        load_reference(tmp_path / "P3a.bpmn")


def test_role_rule_on_a_lane_judges_roles_the_profile_mapped_onto_that_lane(tmp_path):
    p3a_with_short_lane(tmp_path, f'["{LANE}"]', None)
    reference = load_reference(tmp_path / "P3a.bpmn")
    t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)
    acts = ["Termin gebucht (online/telefonisch)", "Belehrung durchgeführt (Präsenz/Video/online)"]
    rows = [{"office": "HO-1", "case_id": f"c{i}", "activity": a, "activity_code": None,
             "timestamp": t0 + dt.timedelta(hours=i * 10 + j), "role": role if j else "Sachbearbeitung"}
            for i, role in enumerate([LANE, LANE, "Sachbearbeitung"]) for j, a in enumerate(acts)]
    result = conform(EventLog.from_frame(pl.DataFrame(rows)), reference,
                     settings=ConformanceSettings(workers=1, labels=reference_settings()))
    status = result.rules.cases.filter(pl.col("rule_id") == "P3a-Y-INSTRUCTOR").sort("case_id")["status"]
    assert status.to_list() == ["ok", "ok", "violated"]


def reference_settings():
    from pmtool.conform.labels import LabelSettings

    return LabelSettings(accept_missing=tuple(load_reference(MODELS / "P3a_belehrung_43.bpmn").activities),
                         max_unknown_share=1.0)


def test_profile_maps_roles_and_lists_the_values_it_does_not_know(tmp_path):
    export = tmp_path / "x.csv"
    export.write_text("Fall;Schritt;Zeit;Rolle\nA;Termin gebucht (online/telefonisch);02.01.2025 08:00;SB\n"
                      "A;Belehrung durchgeführt (Präsenz/Video/online);02.01.2025 09:00;Arzt\n"
                      "B;Termin gebucht (online/telefonisch);02.01.2025 10:00;Praktikant\n", encoding="utf-8")
    profile = tmp_path / "x.profile.toml"
    profile.write_text('office = "HO-1"\n[columns]\ncase_id = "Fall"\nactivity = "Schritt"\ntimestamp = "Zeit"\n'
                       'role = "Rolle"\n[roles.map]\n"SB" = "Sachbearbeitung"\n"Arzt" = "Ärztin/Arzt"\n',
                       encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["--lang", "en", "ingest", str(export), "--profile", str(profile), "--out", str(out),
                                 "--allow-identifiable"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "x.summary.json").read_text("utf-8"))
    assert summary["unmapped_roles"] == {"Praktikant": 1}
    assert "unmapped roles ([roles.map] in the profile): „Praktikant“ 1" in result.output
    log = pl.read_parquet(out / "x.parquet")
    assert log["role"].to_list() == ["Sachbearbeitung", "Ärztin/Arzt", "Praktikant"]
