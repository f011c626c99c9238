"""The OCEL readers (JSON, XML, SQLite): flattening equal to pm4py's, object-type choice, errors, safety."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import warnings
from collections import Counter
from pathlib import Path

import pytest

from pmtool.errors import InputError
from pmtool.ingest import registry
from pmtool.ingest.registry import ROW, ReadOptions

UTC = dt.UTC
FORMATS = {"ocel2.json": "ocel-json", "ocel2.xml": "ocel-xml", "ocel2.sqlite": "ocel-sqlite"}
LEGACY = {"ocel1.jsonocel": "ocel-json", "ocel1.xmlocel": "ocel-xml"}


def read(path: Path, object_type: str | None = None):
    return registry.read(path, ReadOptions(object_type=object_type))


@pytest.fixture(scope="module")
def pm4py_log(tmp_path_factory):
    """A small OCEL built with pm4py and written in every format pm4py writes; pm4py is only the reference."""
    pd = pytest.importorskip("pandas")
    pm4py = pytest.importorskip("pm4py")
    from pm4py.objects.ocel.obj import OCEL

    times = {
        "e1": "2025-03-30 00:30:00",  # 01:30 CET, before the spring switch
        "e2": "2025-03-30 01:30:00",  # 03:30 CEST, after it
        "e3": "2025-10-26 00:30:00",  # 02:30 CEST, first pass through the repeated hour
        "e4": "2025-10-26 01:30:00",  # 02:30 CET, second pass
        "e5": "2025-11-03 08:15:00",
    }
    activities = {
        "e1": "Bestellung anlegen",
        "e2": "Artikel prüfen",
        "e3": "Lieferung",
        "e4": "Bestellung anlegen",
        "e5": "Inventur",
    }
    events = pd.DataFrame(
        {
            "ocel:eid": list(times),
            "ocel:activity": [activities[e] for e in times],
            "ocel:timestamp": pd.to_datetime(list(times.values())),
            "priorität": ["hoch", "niedrig", "hoch", "mittel", "niedrig"],
        }
    )
    objects = pd.DataFrame(
        {
            "ocel:oid": ["o1", "o2", "i1", "i2", "i3"],
            "ocel:type": ["order", "order", "item", "item", "item"],
            "kunde": ["Müller", "Schröder", None, None, None],
        }
    )
    links = [
        ("e1", "o1", "creates"),
        ("e1", "i1", "contains"),
        ("e1", "i2", "contains"),
        ("e2", "i1", "checks"),
        ("e2", "i2", "checks"),
        ("e3", "o1", "delivers"),
        ("e3", "i2", "delivers"),
        ("e4", "o2", "creates"),
        ("e4", "i3", "contains"),
        ("e5", "i3", "counts"),  # no order involved
    ]
    relations = pd.DataFrame(
        {
            "ocel:eid": [e for e, _, _ in links],
            "ocel:activity": [activities[e] for e, _, _ in links],
            "ocel:timestamp": pd.to_datetime([times[e] for e, _, _ in links]),
            "ocel:oid": [o for _, o, _ in links],
            "ocel:type": ["order" if o.startswith("o") else "item" for _, o, _ in links],
            "ocel:qualifier": [q for _, _, q in links],
        }
    )
    ocel = OCEL(events=events, objects=objects, relations=relations)
    folder = tmp_path_factory.mktemp("ocel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm4py.write_ocel2_json(ocel, str(folder / "ocel2.json"))
        pm4py.write_ocel2_xml(ocel, str(folder / "ocel2.xml"))
        pm4py.write_ocel2_sqlite(ocel, str(folder / "ocel2.sqlite"))
        pm4py.write_ocel_json(ocel, str(folder / "ocel1.jsonocel"))
        pm4py.write_ocel_xml(ocel, str(folder / "ocel1.xmlocel"))
        reference = {t: _triples_pm4py(pm4py.ocel_flattening(ocel, t)) for t in ("order", "item")}
    return folder, reference


def _utc(value) -> dt.datetime:
    stamp = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _triples_pm4py(frame) -> Counter:
    rows = zip(frame["case:concept:name"], frame["concept:name"], frame["time:timestamp"], strict=True)
    return Counter((case, act, _utc(ts)) for case, act, ts in rows)


def _triples(table) -> Counter:
    frame = table.frame
    rows = zip(frame["case:concept:name"], frame["concept:name"], frame["time:timestamp"], strict=True)
    return Counter(rows)


@pytest.mark.parametrize("object_type", ["order", "item"])
@pytest.mark.parametrize("name", [*FORMATS, *LEGACY])
def test_every_format_flattens_like_pm4py(pm4py_log, name, object_type):
    folder, reference = pm4py_log
    table = read(folder / name, object_type)
    assert table.format == {**FORMATS, **LEGACY}[name]
    assert _triples(table) == reference[object_type]
    assert table.details["object_type"] == object_type
    assert table.details["object_types"] == ["item", "order"]
    assert table.default_columns == {
        "case_id": "case:concept:name",
        "activity": "concept:name",
        "timestamp": "time:timestamp",
    }


@pytest.mark.parametrize("name", list(FORMATS))
def test_columns_attributes_and_positions(pm4py_log, name):
    folder, _ = pm4py_log
    table = read(folder / name, "order")
    frame = table.frame
    assert frame.columns[:4] == ["case:concept:name", "concept:name", "time:timestamp", "ocel:eid"]
    assert frame.columns[-1] == ROW
    assert frame["ocel:eid"].to_list() == ["e1", "e3", "e4"]
    assert frame["priorität"].to_list() == ["hoch", "hoch", "mittel"]
    assert frame["case:kunde"].to_list() == ["Müller", "Müller", "Schröder"]
    assert frame["time:timestamp"].to_list() == [
        dt.datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
        dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
    ]
    assert table.details["events"] == 5
    assert table.details["events_without_object"] == 2  # e2 and e5 touch no order
    assert table.details["objects"] == 2
    if name.endswith(".xml"):
        assert table.row_label == "line"
        lines = (folder / name).read_text("utf-8").splitlines()
        assert all(lines[n - 1].strip().startswith('<event id="e') for n in frame[ROW])
    else:
        assert table.row_label == "event"
        assert frame[ROW].to_list() == [1, 3, 4]


def test_object_type_is_required_when_there_are_several(pm4py_log):
    folder, _ = pm4py_log
    with pytest.raises(InputError) as info:
        read(folder / "ocel2.json")
    assert info.value.key == "ocel.object_type_required"
    assert "(item, order)" in str(info.value)
    assert "--object-type" in str(info.value)


@pytest.mark.parametrize("name", [*FORMATS, *LEGACY])
def test_unknown_object_type_lists_the_available_ones(pm4py_log, name):
    folder, _ = pm4py_log
    with pytest.raises(InputError) as info:
        read(folder / name, "Fall")
    assert info.value.key == "ocel.unknown_object_type"
    assert "'Fall'" in str(info.value)
    assert "item, order" in str(info.value)


def ocel_json(events: list[dict], objects: list[dict]) -> str:
    return json.dumps({"objectTypes": [], "eventTypes": [], "objects": objects, "events": events})


def test_single_object_type_needs_no_option_and_offsets_are_honoured(tmp_path):
    events = [
        {
            "id": "a",
            "type": "Meldung",
            "time": "2025-10-26T02:30:00+02:00",
            "attributes": [{"name": "Kanal", "value": "DEMIS"}, {"name": "Anzahl", "value": 2}],
            "relationships": [
                {"objectId": "F1", "qualifier": "betrifft"},
                {"objectId": "F1", "qualifier": "doppelt"},
            ],
        },
        {
            "id": "b",
            "type": "Ermittlung",
            "time": "2025-10-26T02:30:00+01:00",
            "relationships": [
                {"objectId": "F1", "qualifier": "betrifft"},
                {"objectId": "X9", "qualifier": "?"},
            ],
        },
    ]
    path = tmp_path / "fall.json"
    path.write_text(ocel_json(events, [{"id": "F1", "type": "Fall"}]), "utf-8")
    table = read(path)
    assert table.details["object_type"] == "Fall"
    assert table.frame["case:concept:name"].to_list() == ["F1", "F1"]  # one row per (event, object)
    assert table.frame["time:timestamp"].to_list() == [
        dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
    ]
    assert table.frame["Kanal"].to_list() == ["DEMIS", None]
    assert table.frame["Anzahl"].to_list() == ["2", None]
    assert table.details["relationships_to_unknown_objects"] == 1


def test_log_without_objects_is_an_input_error(tmp_path):
    path = tmp_path / "leer.json"
    path.write_text(ocel_json([{"id": "a", "type": "A", "time": "2025-01-01T00:00:00Z"}], []), "utf-8")
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.key == "ocel.no_objects"


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "kaputt.json"
    path.write_text('{\n  "events": [\n    {"id": "a",}\n  ]\n}\n', "utf-8")
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value).startswith(f"{path}, line 3: malformed JSON")


def test_json_that_is_not_ocel(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"rows": []}', "utf-8")
    with pytest.raises(InputError, match="not an OCEL JSON log"):
        read(path)


OCEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}<log>
  <object-types><object-type name="Fall"><attributes/></object-type></object-types>
  <event-types><event-type name="Meldung"><attributes/></event-type></event-types>
  <objects><object id="F1" type="Fall"><attributes/></object></objects>
  <events>
    <event id="a" type="Meldung" time="2025-03-30T03:15:00+02:00">
      <attributes><attribute name="Kanal">{value}</attribute></attributes>
      <objects><relationship object-id="F1" qualifier="betrifft"/></objects>
    </event>
  </events>
</log>
"""


def test_ocel_xml_inline(tmp_path):
    path = tmp_path / "fall.xml"
    path.write_text(OCEL_XML.format(doctype="", value="Gesundheitsamt Görlitz"), "utf-8")
    table = read(path)
    assert table.frame["Kanal"].to_list() == ["Gesundheitsamt Görlitz"]
    assert table.frame["time:timestamp"].to_list() == [dt.datetime(2025, 3, 30, 1, 15, tzinfo=UTC)]
    assert table.frame[ROW].to_list() == [7]


def test_ocel_xml_refuses_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = f'<!DOCTYPE log [<!ENTITY e SYSTEM "{secret.as_uri()}">]>\n'
    path = tmp_path / "xxe.xml"
    path.write_text(OCEL_XML.format(doctype=doctype, value="&e;"), "utf-8")
    with pytest.raises(InputError, match="entity declarations are not allowed") as info:
        read(path)
    assert str(info.value).startswith(f"{path}, line 2: ")
    assert "TOP-SECRET" not in str(info.value)


def test_xes_given_as_ocel_xml_points_to_the_xes_format(tmp_path):
    path = tmp_path / "log.xml"
    path.write_text(
        "<log><trace><event><string key='concept:name' value='A'/></event></trace></log>", "utf-8"
    )
    with pytest.raises(InputError, match="--format xes"):
        read(path)


def test_sqlite_without_ocel_tables_names_the_missing_table(tmp_path):
    path = tmp_path / "andere.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE faelle (id TEXT)")
    conn.close()
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.key == "ocel.sqlite_missing_table"
    assert "'event'" in str(info.value)


def test_file_that_is_no_database(tmp_path):
    path = tmp_path / "kaputt.db"
    path.write_bytes(b"this is not an SQLite database at all" * 10)
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.key == "ocel.sqlite_unreadable"


def test_sqlite_is_opened_read_only(pm4py_log, tmp_path):
    folder, _ = pm4py_log
    path = tmp_path / "Gesundheitsamt Görlitz #1?.sqlite"  # characters a file: URI must escape
    path.write_bytes((folder / "ocel2.sqlite").read_bytes())
    before = path.read_bytes()
    read(path, "item")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no journal or WAL left behind
