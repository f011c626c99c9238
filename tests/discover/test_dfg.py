"""Directly-follows graph: counts and waiting times by hand and against pm4py; filters; determinism."""

from __future__ import annotations

import math

import polars as pl
import pytest
from conftest import real_log
from discover_helpers import P1_CASES, combine_frames, make_log

from pmtool.discover.dfg import END, START, directly_follows
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.ingest.pipeline import ingest


def edge(dfg, source, target) -> dict:
    rows = dfg.edges.filter((pl.col("source") == source) & (pl.col("target") == target)).to_dicts()
    assert len(rows) == 1, f"edge {source} → {target} not found once"
    return rows[0]


def test_counts_and_waiting_times_by_hand():
    log = make_log({
        "a": [("A", 0), ("B", 2), ("A", 3), ("B", 7)],  # A→B twice in one case: 2 events, 1 case
        "b": [("A", 0), ("B", 4)],
        "c": [("A", 0), ("C", 1)],
    })
    dfg = directly_follows(log)
    ab = edge(dfg, "A", "B")
    assert (ab["events"], ab["cases"]) == (3, 2)
    assert ab["case_share"] == pytest.approx(2 / 3)
    assert ab["median_hours"] == pytest.approx(4.0)  # waits 2, 4, 4
    assert ab["mean_hours"] == pytest.approx(10 / 3)
    assert ab["p90_hours"] == pytest.approx(4.0)
    assert (ab["min_hours"], ab["max_hours"]) == (2.0, 4.0)
    assert (edge(dfg, "B", "A")["events"], edge(dfg, "B", "A")["median_hours"]) == (1, 1.0)
    start = edge(dfg, START, "A")
    assert (start["events"], start["cases"], start["median_hours"]) == (3, 3, None)
    assert edge(dfg, "B", END)["cases"] == 2 and edge(dfg, "C", END)["cases"] == 1
    nodes = {r["activity"]: r for r in dfg.nodes.to_dicts()}
    assert (nodes["A"]["events"], nodes["A"]["cases"]) == (4, 3)
    assert nodes[START]["kind"] == "start" and nodes[END]["cases"] == 3
    assert dfg.nodes["activity"].to_list()[0] == START and dfg.nodes["activity"].to_list()[-1] == END
    assert (dfg.cases, dfg.events, dfg.total_edges, dfg.total_activities) == (3, 8, 6, 3)


def test_waiting_time_is_utc_across_the_dst_change():
    # 29 March 2025, 23:30 UTC → 30 March 2025, 03:30 UTC: four real hours, although local clocks jump
    import datetime as dt

    t0 = dt.datetime(2025, 3, 29, 23, 30, tzinfo=dt.UTC)
    from pmtool.eventlog.log import EventLog

    log = EventLog.from_frame(pl.DataFrame({"office": "GA-01", "case_id": ["a", "a"], "activity": ["A", "B"],
                                            "timestamp": [t0, t0 + dt.timedelta(hours=4)]}))
    assert edge(directly_follows(log), "A", "B")["median_hours"] == pytest.approx(4.0)


def test_cases_of_two_offices_do_not_mix():
    one = make_log({"x": [("A", 0), ("B", 1)]}, office="GA-01")
    two = make_log({"x": [("C", 0), ("D", 1)]}, office="GA-02")  # same case id in another office
    dfg = directly_follows(combine_frames(one, two))
    assert dfg.cases == 2
    assert dfg.edges.filter((pl.col("source") == "B") & (pl.col("target") == "C")).is_empty()


def _compare_with_pm4py(log) -> None:
    pm4py = bridge.pm4py()
    df = bridge.to_pandas(log)
    frequency, starts, ends = pm4py.discover_dfg(df)
    performance, _, _ = pm4py.discover_performance_dfg(df)
    dfg = directly_follows(log)
    ours = {(r["source"], r["target"]): r for r in dfg.edges.to_dicts()}
    inner = {k: r["events"] for k, r in ours.items() if START not in k and END not in k}
    assert inner == {k: int(v) for k, v in frequency.items()}
    our_starts = {k[1]: r["events"] for k, r in ours.items() if k[0] == START}
    our_ends = {k[0]: r["events"] for k, r in ours.items() if k[1] == END}
    assert our_starts == {k: int(v) for k, v in starts.items()}
    assert our_ends == {k: int(v) for k, v in ends.items()}
    assert set(performance) == set(inner)
    for key, perf in performance.items():
        assert math.isclose(ours[key]["median_hours"] * 3600, perf["median"], rel_tol=1e-9, abs_tol=1e-6), key
        assert math.isclose(ours[key]["mean_hours"] * 3600, perf["mean"], rel_tol=1e-9, abs_tol=1e-6), key
        assert math.isclose(ours[key]["max_hours"] * 3600, perf["max"], rel_tol=1e-9, abs_tol=1e-6), key


def test_same_frequencies_and_medians_as_pm4py_on_an_inline_log():
    two_offices = combine_frames(make_log(P1_CASES), make_log(P1_CASES, office="GA-02"))
    _compare_with_pm4py(make_log(P1_CASES))
    _compare_with_pm4py(two_offices)


@pytest.fixture(scope="module")
def receipt():
    return ingest(real_log("receipt.xes.gz"), allow_identifiable=True, office="NL-01").log


def test_same_frequencies_and_medians_as_pm4py_on_receipt(receipt):
    _compare_with_pm4py(receipt)


def test_filter_hides_rare_edges_but_keeps_every_activity_connected(receipt):
    full = directly_follows(receipt)
    shown = full.filter(min_edge_share=0.05)
    assert full.hidden_edges == 0 and shown.hidden_edges == full.total_edges - shown.edges.height > 0
    rare = shown.edges.filter(pl.col("case_share") < 0.05)
    assert rare.height > 0, "some rare edges stay to keep activities connected"
    for name in shown.activities["activity"].to_list():
        assert name in shown.edges["target"].to_list(), f"{name} has no incoming edge"
        assert name in shown.edges["source"].to_list(), f"{name} has no outgoing edge"
    # each rare edge that stays is the strongest way into its target or out of its source
    for row in rare.to_dicts():
        into = full.edges.filter(pl.col("target") == row["target"])
        out_of = full.edges.filter(pl.col("source") == row["source"])
        assert row["cases"] in (into["cases"].max(), out_of["cases"].max())


def test_filter_on_activities(receipt):
    full = directly_follows(receipt)
    top = full.filter(top_activities=5)
    assert top.activities.height == 5 and top.hidden_activities == full.total_activities - 5
    assert top.activities["activity"].to_list() == full.activities["activity"].head(5).to_list()
    kept = {*top.activities["activity"].to_list(), START, END}
    assert set(top.edges["source"].to_list()) | set(top.edges["target"].to_list()) <= kept
    rare = full.filter(min_activity_share=0.05)
    assert rare.activities["case_share"].min() >= 0.05
    assert rare.filter(top_activities=3).activities.height == 3  # narrowing further keeps the full totals
    assert rare.filter(top_activities=3).total_activities == full.total_activities


def test_frames_are_sorted_deterministically():
    log = make_log(P1_CASES)
    first, second = directly_follows(log), directly_follows(log)
    assert first.edges.equals(second.edges) and first.nodes.equals(second.nodes)
    cases = first.edges["cases"].to_list()
    assert cases == sorted(cases, reverse=True)


def test_empty_log_gives_only_start_and_end():
    from pmtool.eventlog import schema
    from pmtool.eventlog.log import EventLog

    dfg = directly_follows(EventLog.from_frame(schema.empty_frame()))
    assert dfg.nodes["activity"].to_list() == [START, END]
    assert dfg.edges.is_empty() and dfg.cases == 0


def test_dfg_of_slices_of_cases_is_the_dfg_of_the_whole_log(sample_logs_by_process, monkeypatch):
    """The graph is counted a slice of cases at a time: any slicing gives the same nodes, edges and figures,
    with activity instances (service times, waits from a completion to the next start) too."""
    import datetime as dt

    from pmtool.eventlog import log as eventlog_log
    from pmtool.eventlog import schema
    from pmtool.eventlog.lifecycle import activity_instances
    from pmtool.eventlog.log import EventLog

    log = sample_logs_by_process["P1"]
    frame = log.frame.with_columns(pl.lit("complete").alias(schema.LIFECYCLE))
    starts = frame.with_columns(pl.lit("start").alias(schema.LIFECYCLE),
                                pl.col(schema.TIMESTAMP) - dt.timedelta(minutes=37))
    paired = activity_instances(EventLog.from_frame(pl.concat([starts, frame]))).log
    for each in (log, paired):
        whole = directly_follows(each)
        cases = each.n_cases
        for size in (cases // 5 - 1, cases // 2 + 1):
            monkeypatch.setattr(eventlog_log, "CASES_PER_SLICE", size)
            assert len(each.case_slices()) > 1
            sliced = directly_follows(each)
            assert sliced.nodes.equals(whole.nodes) and sliced.edges.equals(whole.edges)
            assert (sliced.cases, sliced.events) == (whole.cases, whole.events)
        monkeypatch.undo()
    assert whole.nodes["service_median_hours"].drop_nulls().len() > 0  # the paired log has service times
