"""Each case's activities as numbers (EventLog.sequences): what variants are counted from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pmtool.eventlog.log import EventLog
from pmtool.eventlog.overview import variants
from pmtool.eventlog.pm4py_bridge import variant_log


def _log(rows: list[tuple[str, str, str, int]]) -> EventLog:
    start = datetime(2025, 3, 3, 8, tzinfo=UTC)
    return EventLog.from_frame(pl.DataFrame(
        {"office": [r[0] for r in rows], "case_id": [r[1] for r in rows], "activity": [r[2] for r in rows],
         "timestamp": [start + timedelta(hours=r[3]) for r in rows]}))


def test_cases_in_canonical_order_with_their_activities_in_time_order():
    # given out of order, across two offices; the same case id in both offices is two cases
    log = _log([("GA-02", "c1", "Bescheid", 5), ("GA-01", "c2", "Eingang", 1), ("GA-01", "c1", "Prüfung", 3),
                ("GA-01", "c1", "Eingang", 0), ("GA-02", "c1", "Eingang", 2), ("GA-01", "c2", "Eingang", 1)])
    names, per_case = log.sequences()
    assert names == ["Bescheid", "Eingang", "Prüfung"]
    assert per_case.columns == ["office", "case_id", "codes"]
    assert per_case.rows() == [("GA-01", "c1", [1, 2]), ("GA-01", "c2", [1, 1]), ("GA-02", "c1", [1, 0])]
    assert per_case["codes"].dtype == pl.List(pl.UInt32)
    # the variants counted from them, with their texts
    assert variants(log).select("variant", "cases").rows() == [
        ("Eingang → Bescheid", 1), ("Eingang → Eingang", 1), ("Eingang → Prüfung", 1)]
    assert variant_log(log) == [(("Eingang", "Prüfung"), 1), (("Eingang", "Eingang"), 1), (("Eingang", "Bescheid"), 1)]


def test_an_empty_log_has_no_cases():
    names, per_case = EventLog.from_frame(_log([("GA-01", "c", "A", 0)]).frame.clear()).sequences()
    assert names == [] and per_case.height == 0 and per_case.columns == ["office", "case_id", "codes"]
