"""Export of canonical logs: XES 2.0 that pm4py reads back with the same events, and CSV."""

from __future__ import annotations

import gzip

import pm4py
import polars as pl
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.eventlog.filters import parse_filters
from pmtool.eventlog.log import read_parquet

runner = CliRunner()


def _events(frame: pl.DataFrame) -> list[tuple]:
    return sorted(zip(frame["case_id"].to_list(), frame["activity"].to_list(),
                      [t.isoformat(timespec="milliseconds") for t in frame["timestamp"].to_list()], strict=True))


def test_xes_round_trips_through_pm4pys_reader_with_the_same_events(sample_ingested, tmp_path):
    source = sorted((sample_ingested / "P1").glob("GA-0*.parquet"))[:2]
    out = tmp_path / "p1.xes.gz"
    texts = ["time:started:2025-01-01..2025-06-30"]
    result = runner.invoke(app, ["--lang", "en", "export", *map(str, source), "--out", str(out),
                                 "--filter", texts[0]])
    assert result.exit_code == 0, result.output
    assert "cases started 01.01.2025–30.06.2025" in result.output
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="2.0"'
    assert gzip.decompress(out.read_bytes()).startswith(head)
    back = pm4py.read_xes(str(out))
    ours = parse_filters(texts).apply(pl.concat([read_parquet(p).frame.select(
        "office", "case_id", "activity", "timestamp", "resource", "role") for p in source]))
    theirs = pl.DataFrame({"case_id": back["case:concept:name"].astype(str).tolist(),
                           "activity": back["concept:name"].astype(str).tolist(),
                           "timestamp": back["time:timestamp"].tolist()})
    assert len(theirs) == ours.height > 0
    assert _events(theirs) == _events(ours)
    assert set(back["org:role"].dropna().unique()) == set(ours["role"].drop_nulls().unique())
    assert set(back["case:office"].unique()) == set(ours["office"].unique())


def test_typed_attributes_stay_typed_and_labels_are_escaped(tmp_path):
    import datetime as dt

    from pmtool.eventlog.exchange import xes_bytes
    from pmtool.eventlog.log import EventLog

    log = EventLog.from_frame(pl.DataFrame({
        "office": ["GA-01"] * 2, "case_id": ["c1", "c1"], "activity": ['<x> "quoted" & more', "B"],
        "timestamp": [dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)],
        "amount": [360, 490], "paid": [True, False], "fee": [1.5, None]}))
    path = tmp_path / "typed.xes"
    path.write_bytes(xes_bytes(log))
    back = pm4py.read_xes(str(path))
    assert back["concept:name"].tolist() == ['<x> "quoted" & more', "B"]
    assert back["amount"].tolist() == [360, 490] and back["paid"].tolist() == [True, False]
    text = path.read_text("utf-8")
    assert '<int key="amount" value="360"/>' in text and '<float key="fee" value="1.5"/>' in text


def test_csv_export_and_a_wrong_suffix(sample_ingested, tmp_path):
    source = sorted((sample_ingested / "P3a").glob("*.parquet"))[0]
    out = tmp_path / "log.csv"
    assert runner.invoke(app, ["export", str(source), "--out", str(out)]).exit_code == 0
    assert pl.read_csv(out).height == read_parquet(source).n_events
    bad = runner.invoke(app, ["--lang", "en", "export", str(source), "--out", str(tmp_path / "log.txt")])
    assert bad.exit_code == 2 and "must end in: .xes, .xes.gz, .csv" in bad.output
