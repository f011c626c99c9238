"""Lifecycle: start/complete pairs become activity instances with service times equal to pm4py's interval
lifecycle; variants, maps and conformance work on instances."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import real_log

from pmtool.discover.dfg import bottlenecks, directly_follows
from pmtool.eventlog.lifecycle import activity_instances, service_times
from pmtool.eventlog.log import EventLog
from pmtool.ingest.pipeline import ingest

T0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)


def _log(rows: list[tuple[str, str, str, float]]) -> EventLog:
    """(case, activity, transition, hours after T0)."""
    return EventLog.from_frame(pl.DataFrame({
        "office": ["GA-01"] * len(rows), "case_id": [r[0] for r in rows], "activity": [r[1] for r in rows],
        "lifecycle": [r[2] for r in rows], "timestamp": [T0 + dt.timedelta(hours=r[3]) for r in rows]}))


def test_completes_take_pending_starts_first_in_first_out_like_pm4py():
    log = _log([("c", "A", "complete", 0), ("c", "A", "start", 1), ("c", "A", "start", 2),
                ("c", "B", "schedule", 2.5), ("c", "A", "complete", 3), ("c", "B", "complete", 4),
                ("c", "A", "complete", 6), ("c", "A", "start", 7)])
    found = activity_instances(log)
    rows = found.log.frame.select("activity", "service_hours").rows()
    # the first complete has no pending start (0 h); then the 1 h start pairs with the 3 h complete, the 2 h
    # start with the 6 h complete; B was never started; the last start stays open
    assert rows == [("A", 0.0), ("A", 2.0), ("B", 0.0), ("A", 4.0)]
    assert (found.other_transitions, found.open_starts, found.converted) == (1, 1, True)


def test_a_log_without_starts_is_left_as_it_is():
    log = _log([("c", "A", "complete", 0), ("c", "B", "complete", 1)])
    found = activity_instances(log)
    assert not found.converted and found.log is log


def test_waiting_runs_from_a_completion_to_the_next_start():
    log = activity_instances(_log([("c", "A", "start", 0), ("c", "A", "complete", 1), ("c", "B", "start", 3),
                                   ("c", "B", "complete", 10)])).log
    edge = directly_follows(log).edges.filter((pl.col("source") == "A") & (pl.col("target") == "B")).row(
        0, named=True)
    assert edge["median_hours"] == 2.0
    ranked = bottlenecks(directly_follows(log))
    assert ranked["rank"].to_list() == [1] and ranked["share_of_waiting"].to_list() == [1.0]


@pytest.mark.slow
def test_bpic12_service_times_equal_pm4pys_interval_lifecycle_and_variants_are_on_instances():
    import pm4py
    from pm4py.objects.log.util import interval_lifecycle

    path = real_log("BPIC12.xes.gz")
    legacy = pm4py.read_xes(str(path), return_legacy_log_object=True)
    reference = pm4py.get_service_time(interval_lifecycle.to_interval(legacy), start_timestamp_key="start_timestamp",
                                       timestamp_key="time:timestamp", aggregation_measure="mean")
    raw = ingest(path, allow_identifiable=True, office="NL-01").log
    found = activity_instances(raw)
    assert found.log.n_events == sum(1 for trace in legacy for e in trace
                                     if e.get("lifecycle:transition", "complete").lower() == "complete")
    ours = {r["activity"]: r["service_mean_hours"] * 3600 for r in service_times(found.log).iter_rows(named=True)}
    assert set(ours) == set(reference)
    for activity, seconds in reference.items():
        assert abs(ours[activity] - seconds) < 1.0, activity
    raw_variants = raw.frame.group_by("case_id").agg(pl.col("activity").str.join(">"))["activity"].n_unique()
    instance_variants = found.log.frame.group_by("case_id").agg(pl.col("activity").str.join(">"))["activity"].n_unique()
    assert instance_variants < raw_variants  # no START/COMPLETE self-loops splitting variants any more

    def loops(log: EventLog) -> int:
        return int(directly_follows(log).edges.filter(pl.col("source") == pl.col("target"))["events"].sum())

    # what remains are real repetitions of a work item, not its own start followed by its complete
    assert loops(found.log) < loops(raw) - 60000


def test_the_map_shows_the_service_time_of_activity_instances():
    from pmtool.discover.render import dfg_to_dot

    log = activity_instances(_log([("c", "A", "start", 0), ("c", "A", "complete", 1.5), ("c", "B", "start", 3),
                                   ("c", "B", "complete", 10)])).log
    dfg = directly_follows(log)
    assert dfg.nodes.filter(pl.col("activity") == "A")["service_median_hours"].to_list() == [1.5]
    assert "service 1.5 h (median)" in dfg_to_dot(dfg, title="T", lang="en")
    plain = directly_follows(_log([("c", "A", "complete", 0), ("c", "B", "complete", 1)]))
    assert "service" not in dfg_to_dot(plain, title="T", lang="en")
