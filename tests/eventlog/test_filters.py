"""Filters: each kind against pm4py's filter of the same meaning on the real receipt log, the text form, the
local-date semantics of time frames, and clear errors."""

from __future__ import annotations

import datetime as dt
import html

import pm4py
import polars as pl
import pytest
from conftest import real_log

from pmtool.errors import ConfigError
from pmtool.eventlog.filters import parse_filter, parse_filters
from pmtool.eventlog.log import EventLog
from pmtool.ingest.pipeline import ingest


@pytest.fixture(scope="module")
def receipt() -> tuple[EventLog, object]:
    log = ingest(real_log("receipt.xes.gz"), allow_identifiable=True, office="NL-01").log
    frame = log.frame.select("case_id", "activity", "timestamp").to_pandas()
    frame = frame.astype({"case_id": object, "activity": object})  # pm4py's filters expect object columns
    frame = pm4py.format_dataframe(frame, case_id="case_id", activity_key="activity", timestamp_key="timestamp")
    return log, frame


def cases(frame) -> set[str]:
    if isinstance(frame, pl.DataFrame):
        return set(frame["case_id"].unique().to_list())
    return set(frame["case:concept:name"].unique())


@pytest.mark.parametrize(("text", "reference"), [
    ("ends:T10 Determine necessity to stop indication|T15 Print document X request unlicensed",
     lambda f: pm4py.filter_end_activities(
         f, ["T10 Determine necessity to stop indication", "T15 Print document X request unlicensed"])),
    ("follows:T02 Check confirmation of receipt>T04 Determine confirmation of receipt",
     lambda f: pm4py.filter_directly_follows_relation(
         f, [("T02 Check confirmation of receipt", "T04 Determine confirmation of receipt")])),
    ("!follows:T02 Check confirmation of receipt>T04 Determine confirmation of receipt",
     lambda f: pm4py.filter_directly_follows_relation(
         f, [("T02 Check confirmation of receipt", "T04 Determine confirmation of receipt")], retain=False)),
    ("follows:Confirmation of receipt>>T06 Determine necessity of stop advice",
     lambda f: pm4py.filter_eventually_follows_relation(
         f, [("Confirmation of receipt", "T06 Determine necessity of stop advice")])),
    ("duration:1h..7d", lambda f: pm4py.filter_case_performance(f, 3600, 7 * 86400)),
    ("case:activity=T05 Print and send confirmation of receipt",
     lambda f: pm4py.filter_event_attribute_values(f, "concept:name", ["T05 Print and send confirmation of receipt"],
                                                   level="case")),
])
def test_same_cases_as_pm4py_on_the_receipt_log(receipt, text, reference):
    log, frame = receipt
    ours = parse_filter(text).apply(log.frame)
    theirs = reference(frame)
    assert cases(ours) == cases(theirs)
    assert 0 < len(cases(ours)) < log.n_cases  # the filter does something on this log


def test_top_variants_are_pm4pys_most_frequent_variants(receipt):
    log, frame = receipt
    counts = sorted(pm4py.get_variants(frame).values(), reverse=True)
    kept = parse_filter("variants:top=5").apply(log.frame)
    assert len(cases(kept)) == sum(counts[:5])
    assert counts[4] > counts[5]  # no tie at the cut on this log, so the case sets must agree


def test_event_level_keeps_only_matching_events_and_case_level_whole_cases(receipt):
    log, _ = receipt
    name = "Confirmation of receipt"
    events = parse_filter(f"event:activity={name}").apply(log.frame)
    assert set(events["activity"].unique()) == {name}
    dropped = parse_filter(f"event:activity!={name}").apply(log.frame)
    assert events.height + dropped.height == log.n_events
    whole = parse_filter(f"case:activity={name}").apply(log.frame)
    assert whole.height > events.height and len(cases(whole)) == len(cases(events))


def test_coverage_keeps_the_fewest_variants_reaching_the_share(receipt):
    log, _ = receipt
    kept = parse_filter("variants:coverage=0.5").apply(log.frame)
    share = len(cases(kept)) / log.n_cases
    assert share >= 0.5
    one_less = parse_filter("variants:top=1").apply(log.frame)
    assert len(cases(one_less)) / log.n_cases < 0.5 or share == len(cases(one_less)) / log.n_cases


def _log(rows: list[tuple[str, str, str]]) -> EventLog:
    """(case, activity, ISO timestamp with offset)."""
    return EventLog.from_frame(pl.DataFrame({
        "office": ["GA-01"] * len(rows), "case_id": [r[0] for r in rows], "activity": [r[1] for r in rows],
        "timestamp": [dt.datetime.fromisoformat(r[2]) for r in rows]}))


def test_time_frames_are_local_dates_with_both_ends_inclusive():
    log = _log([
        ("new-year", "A", "2025-01-01T00:30:00+01:00"),  # 31.12.2024 23:30 UTC: still January in Saxony
        ("new-year", "B", "2025-01-02T10:00:00+01:00"),
        ("late-march", "A", "2025-03-31T23:30:00+02:00"),  # the last half hour of Q1, local time
        ("late-march", "B", "2025-04-02T10:00:00+02:00"),
        ("april", "A", "2025-04-01T00:10:00+02:00"),
        ("december", "A", "2024-12-31T23:00:00+01:00"),
        ("december", "B", "2025-01-05T10:00:00+01:00"),
    ])
    q1 = "2025-01-01..2025-03-31"
    assert cases(parse_filter(f"time:started:{q1}").apply(log.frame)) == {"new-year", "late-march"}
    assert cases(parse_filter(f"time:contained:{q1}").apply(log.frame)) == {"new-year"}
    assert cases(parse_filter(f"time:intersecting:{q1}").apply(log.frame)) == {"new-year", "late-march",
                                                                            "december"}
    assert cases(parse_filter(f"time:ended:{q1}").apply(log.frame)) == {"new-year", "december"}
    trimmed = parse_filter(f"time:trimmed:{q1}").apply(log.frame)
    assert trimmed.height == 4 and "april" not in cases(trimmed)
    assert cases(parse_filter("time:started:2025-04-01..").apply(log.frame)) == {"april"}


def test_filters_chain_in_order_keep_canonical_order_and_describe_themselves():
    log = _log([("c1", "A", "2025-02-01T10:00:00+01:00"), ("c1", "B", "2025-02-01T11:00:00+01:00"),
                ("c2", "A", "2025-02-02T10:00:00+01:00"), ("c2", "C", "2025-02-09T10:00:00+01:00")])
    chain = parse_filters(["starts:A", "duration:..1d", "follows:A>B"])
    out = chain.apply(log.frame)
    assert out.equals(log.frame.head(2))
    assert EventLog.from_frame(out).frame.equals(out)  # still canonical
    assert chain.describe("de") == ("Fälle beginnend mit A · Falldauer … bis 1 d · Fälle, in denen „B“ direkt "
                                    "auf „A“ folgt")
    assert not parse_filters([]) and parse_filters([]).describe() == "" and parse_filters([]).slug() == ""
    assert chain.slug() == parse_filters(["starts:A", "duration:..1d", "follows:A>B"]).slug() != ""


@pytest.mark.parametrize("text", ["time:started:2025-13-01..2025-03-31", "time:sometimes:2025-01-01..",
                                  "time:started:..", "variants:top=0", "variants:coverage=2", "duration:5x..",
                                  "colour:red", "case:role", "follows:A", "starts:"])
def test_a_filter_that_cannot_be_read_is_one_clear_error(text):
    with pytest.raises(ConfigError, match="not understood"):
        parse_filter(text)


def test_a_filter_on_a_missing_column_names_it():
    log = _log([("c1", "A", "2025-02-01T10:00:00+01:00")])
    with pytest.raises(ConfigError, match="column 'disease'"):
        parse_filter("case:disease=Masern").apply(log.frame)


def test_the_cli_filter_equals_the_library_filter_and_the_figure_names_it(sample_ingested, tmp_path):
    from typer.testing import CliRunner

    from pmtool.cli.app import app
    texts = ["office:GA-01", "time:started:2025-01-01..2025-03-31", "case:role=Amtsärztin/Amtsarzt"]
    logs = sorted((sample_ingested / "P1").glob("*.parquet"))
    args = ["--lang", "en", "discover", *map(str, logs), "--out", str(tmp_path), "--format", "svg"]
    for text in texts:
        args += ["--filter", text]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    chosen = parse_filters(texts)
    svgs = sorted(tmp_path.glob("*_dfg.svg"))
    assert [p.name for p in svgs] == [f"GA-01_{chosen.slug()}_dfg.svg"]
    svg = html.unescape(svgs[0].read_text("utf-8"))
    assert "Filter: office GA-01 · cases started 01.01.2025–31.03.2025 · cases with role" in svg

    import pmtool as pt

    whole = pt.read_log(logs[0]) if len(logs) == 1 else EventLog.from_frame(
        pl.concat([pt.read_log(p).frame for p in logs], how="diagonal_relaxed"))
    by_api = pt.filter_log(whole, filters=texts)  # the public API, same texts
    assert by_api.frame.equals(chosen.apply(whole.frame))
    (found,) = pt.discover_process(whole, process="P1", fitness=False, filters=texts)
    assert found.dfg.cases == by_api.n_cases > 0
    assert found.title.endswith("Filter: " + chosen.describe())
    assert by_api.frame.filter(pl.col("role") == "Amtsärztin/Amtsarzt")["case_id"].n_unique() == by_api.n_cases
    assert str(found.dfg.cases) in result.output
    summary = next(tmp_path.glob("*_discover.json")).read_text("utf-8")
    assert "time:started:2025-01-01..2025-03-31" in summary


@pytest.mark.parametrize(("text", "label"), [
    ("follows:A>b", "b"), ("ends:Nonexistent", "Nonexistent"), ("starts:T99", "T99"),
    ("case:activity=Bee", "Bee"), ("!follows:Aa>>B", "Aa")])
def test_an_activity_the_log_lacks_is_an_error_with_close_matches(text, label):
    log = _log([("c1", "A", "2025-02-01T10:00:00+01:00"), ("c1", "Be", "2025-02-01T11:00:00+01:00"),
                ("c1", "B", "2025-02-01T12:00:00+01:00")])
    with pytest.raises(ConfigError, match=f"activity '{label}' named in the filter does not occur") as caught:
        parse_filters([text]).apply(log.frame)
    if label == "b":  # the same name in another letter case is offered first
        assert "close matches: 'B'" in caught.value.render("en")
    if label == "Bee":
        assert "'Be'" in caught.value.render("en")


def test_a_short_label_is_offered_the_labels_it_begins():
    log = _log([("c1", "T02 Check confirmation", "2025-02-01T10:00:00+01:00")])
    with pytest.raises(ConfigError, match="close matches: 'T02 Check confirmation'"):
        parse_filters(["starts:t02"]).apply(log.frame)


def test_an_activity_removed_by_an_earlier_filter_is_no_error():
    log = _log([("c1", "A", "2025-02-01T10:00:00+01:00"), ("c2", "B", "2025-02-01T11:00:00+01:00")])
    # B is in the log, only not in the cases starting with A: an empty result, not an unknown activity
    assert parse_filters(["starts:A", "ends:B"]).apply(log.frame).height == 0


def test_lifecycle_values_match_in_any_letter_case():
    frame = _log([("c1", "A", "2025-02-01T10:00:00+01:00"), ("c1", "A", "2025-02-01T11:00:00+01:00"),
                  ("c1", "B", "2025-02-01T12:00:00+01:00")]).frame.with_columns(
        pl.Series("lifecycle", ["START", "COMPLETE", "SCHEDULE"]))
    assert parse_filter("event:lifecycle=complete").apply(frame).height == 1
    assert parse_filter("event:lifecycle!=Complete|start").apply(frame)["lifecycle"].to_list() == ["SCHEDULE"]


def test_discovery_with_filters_that_leave_nothing_blames_the_filters():
    import pmtool as pt

    log = _log([("c1", "A", "2025-02-01T10:00:00+01:00"), ("c1", "B", "2025-02-01T11:00:00+01:00")])
    with pytest.raises(ConfigError, match="the filters leave no event"):
        pt.discover_process(log, fitness=False, filters=["starts:B"])
