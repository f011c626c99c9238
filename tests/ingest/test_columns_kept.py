"""Privacy by mapping: only mapped, kept and pseudonymised columns reach the canonical log and the quarantine
file; the rest is listed as dropped. One column cannot take two roles. The same holds for XES and OCEL, whose
attributes become columns: a raw ``Case ID`` attribute never sits beside the pseudonym."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmtool.errors import ConfigError
from pmtool.ingest.pipeline import ingest
from pmtool.ingest.profile import profile_from_dict
from pmtool.ingest.pseudonymise import pseudonym

COLUMNS = {"case_id": "Aktenzeichen", "activity": "Tätigkeit", "timestamp": "Zeitpunkt"}
BODY = ("Aktenzeichen;Tätigkeit;Zeitpunkt;Name;Erreger;Melder\n"
        "A-4711;Fall angelegt;31.10.2025 14:05;Mustermann, Max;Noro;Dr. Meier\n"
        "A-4711;Fall abgeschlossen;31.10.2025 15:05;Mustermann, Max;Noro;Dr. Meier\n"
        "A-4712;Fall angelegt;kein Datum;Musterfrau, Erika;Noro;Dr. Meier\n")


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "GA-07_P1.csv"
    path.write_text(BODY, encoding="utf-8")
    return path


def test_unmapped_columns_are_dropped_and_listed(tmp_path, key):
    result = ingest(_export(tmp_path), profile_from_dict({"office": "GA-07", "columns": COLUMNS}), key=key)
    frame = result.log.frame
    assert not {"Name", "Erreger", "Melder"} & set(frame.columns)
    assert result.summary.dropped_columns == ["Name", "Erreger", "Melder"]
    assert json.loads(json.dumps(result.summary.to_dict()))["dropped_columns"] == ["Name", "Erreger", "Melder"]
    quarantine = result.quarantine
    assert quarantine.height == 1 and not any("Name" in c or "Melder" in c for c in quarantine.columns)
    assert "Mustermann" not in frame.write_csv() + quarantine.write_csv()


def test_kept_and_pseudonymised_columns_are_imported(tmp_path, key):
    columns = {**COLUMNS, "keep": ["Erreger"], "pseudonymise": ["Melder"]}
    result = ingest(_export(tmp_path), profile_from_dict({"office": "GA-07", "columns": columns}), key=key)
    frame = result.log.frame
    assert frame["Erreger"].to_list() == ["Noro"] * 2
    assert frame["Melder"].to_list() == [pseudonym(key, "attribute", "Dr. Meier")] * 2
    assert result.summary.dropped_columns == ["Name"]
    assert "raw:Erreger" in result.quarantine.columns and "raw:Name" not in result.quarantine.columns
    # keep_only is the same list under its earlier name
    earlier = profile_from_dict({"columns": {**COLUMNS, "keep_only": ["Erreger"]}})
    assert earlier.keep_only == ("Erreger",)
    with pytest.raises(ConfigError, match="keep_only"):
        profile_from_dict({"columns": {**COLUMNS, "keep": ["Erreger"], "keep_only": ["Erreger"]}})


@pytest.mark.parametrize("second", ["activity", "resource", "role", "timestamp"])
def test_one_column_cannot_take_two_roles(second):
    columns = {**COLUMNS, second: "Aktenzeichen"}
    with pytest.raises(ConfigError) as caught:
        profile_from_dict({"columns": columns}, name="GA-07.profile.toml")
    message = caught.value.render("en")
    assert "'Aktenzeichen'" in message and "case_id" in message and second in message
    assert message.startswith("GA-07.profile.toml: ")


def test_a_raw_case_id_attribute_of_an_xes_file_stays_out(tmp_path, key):
    path = tmp_path / "GA-07_P1.xes"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">'
        '<trace><string key="concept:name" value="T1"/><string key="Case ID" value="A-4711"/>'
        '<string key="Patient" value="Mustermann, Max"/>'
        '<event><string key="concept:name" value="Fall angelegt"/><string key="Case ID" value="A-4711"/>'
        '<date key="time:timestamp" value="2025-03-01T09:00:00+01:00"/><string key="org:resource" value="Meier"/>'
        '</event></trace></log>\n', encoding="utf-8")
    result = ingest(path, None, office="GA-07", key=key)
    frame = result.log.frame
    text = frame.write_csv()
    assert "A-4711" not in text and "Mustermann" not in text and "Meier" not in text
    assert frame["case_id"].to_list() == [pseudonym(key, "case", "T1")]
    assert result.summary.dropped_columns and all("Case ID" in c or "Patient" in c
                                                  for c in result.summary.dropped_columns)


def test_object_attributes_of_an_ocel_file_stay_out(tmp_path, key):
    path = tmp_path / "GA-07_P1.jsonocel"
    path.write_text(json.dumps({
        "objectTypes": [{"name": "Fall", "attributes": [{"name": "Name", "type": "string"}]}],
        "eventTypes": [{"name": "Fall angelegt", "attributes": [{"name": "Case ID", "type": "string"}]}],
        "objects": [{"id": "o1", "type": "Fall", "attributes": [{"name": "Name", "value": "Mustermann, Max",
                                                                "time": "1970-01-01T00:00:00Z"}]}],
        "events": [{"id": "e1", "type": "Fall angelegt", "time": "2025-03-01T09:00:00+01:00",
                    "attributes": [{"name": "Case ID", "value": "A-4711"}],
                    "relationships": [{"objectId": "o1", "qualifier": ""}]}]}), encoding="utf-8")
    result = ingest(path, profile_from_dict({"file": {"object_type": "Fall"}}), office="GA-07", key=key)
    text = result.log.frame.write_csv()
    assert "A-4711" not in text and "Mustermann" not in text
