"""The Parquet reader: canonical logs written by pmtool, generic event exports, unreadable files."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pmtool.errors import InputError
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog, Provenance, SourceInfo
from pmtool.ingest import registry
from pmtool.ingest.registry import ROW, ReadOptions

UTC = dt.UTC


def read(path):
    return registry.read(path, ReadOptions())


def canonical_log(offices: list[str]) -> EventLog:
    n = len(offices)
    frame = pl.DataFrame(
        {
            "office": offices,
            "case_id": [f"F-{i // 2}" for i in range(n)],
            "activity": ["Meldung eingegangen", "Ermittlung abgeschlossen"] * (n // 2)
            + ["Übermittlung"] * (n % 2),
            "timestamp": [
                dt.datetime(2025, 3, 30, 0, 30, tzinfo=UTC) + dt.timedelta(hours=i) for i in range(n)
            ],
            "resource": ["Frau Müller"] * n,
            "Kanal": ["DEMIS"] * n,
        }
    )
    source = SourceInfo(file="export.csv", sha256="0" * 64, format="csv", office=offices[0])
    return EventLog.from_frame(frame, Provenance(sources=(source,), pmtool_version="test"))


def test_canonical_log_round_trip(tmp_path):
    log = canonical_log(["GA-07"] * 4)
    path = tmp_path / "ga07.parquet"
    log.write_parquet(path)
    table = read(path)
    assert table.format == "parquet"
    assert table.row_label == "row"
    assert table.office == "GA-07"
    assert table.details["kind"] == "canonical"
    assert table.details["provenance"] is True
    assert table.default_columns == {name: name for name in schema.CANONICAL}
    assert table.frame.schema[schema.TIMESTAMP] == pl.Datetime("us", "UTC")
    assert table.frame[ROW].to_list() == [1, 2, 3, 4]
    assert table.frame.drop(ROW).equals(log.frame)
    assert table.frame["activity"].to_list()[1] == "Ermittlung abgeschlossen"


def test_canonical_log_with_several_offices_leaves_office_to_the_data(tmp_path):
    path = tmp_path / "alle.parquet"
    canonical_log(["GA-01", "GA-01", "GA-07", "GA-07"]).write_parquet(path)
    table = read(path)
    assert table.office is None
    assert table.details["offices"] == ["GA-01", "GA-07"]


def test_generic_export_is_returned_as_it_is(tmp_path):
    path = tmp_path / "export.parquet"
    frame = pl.DataFrame(
        {
            "Fallnummer": ["2025-001", "2025-001"],
            "Tätigkeit": ["Meldung", "Abschluss"],
            "Zeit": ["30.03.2025 01:30", "30.03.2025 03:30"],
            "Anzahl": [1, 2],
            "Status": pl.Series(["offen", "zu"], dtype=pl.Categorical),
        }
    )
    frame.write_parquet(path)
    table = read(path)
    assert table.details["kind"] == "generic"
    assert table.office is None
    assert table.default_columns == {}
    assert table.frame.schema["Anzahl"] == pl.Int64
    assert table.frame.schema["Status"] == pl.String
    assert table.frame.drop(ROW).with_columns(pl.col("Status").cast(pl.Categorical)).equals(frame)
    assert table.frame[ROW].to_list() == [1, 2]


def test_generic_export_with_xes_keys_maps_them_by_default(tmp_path):
    path = tmp_path / "pm4py.parquet"
    pl.DataFrame(
        {
            "case:concept:name": ["c1"],
            "concept:name": ["A"],
            "time:timestamp": [dt.datetime(2025, 1, 1, tzinfo=UTC)],
            "org:resource": ["r"],
            ROW: [99],
        }
    ).write_parquet(path)
    table = read(path)
    assert table.default_columns == {
        "case_id": "case:concept:name",
        "activity": "concept:name",
        "timestamp": "time:timestamp",
        "resource": "org:resource",
    }
    assert table.frame[ROW].to_list() == [1]
    assert table.details["replaced_column"] == ROW


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_unreadable_parquet_is_an_input_error(tmp_path, damage):
    path = tmp_path / "kaputt.parquet"
    if damage == "garbage":
        path.write_bytes(b"PAR1 this is not parquet at all")
    else:
        canonical_log(["GA-07"] * 4).write_parquet(path)
        path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.key == "parquet_reader.unreadable"
    assert "\n" not in str(info.value)
