"""Discovery always finishes: the miner sees the frequent part of a large log, runs within a time budget, and
a fallback model says that it is one — in the table, the model files and the summary."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.discover import mining
from pmtool.discover.inductive import discover_ist
from pmtool.discover.mining import MiningSettings, mine, mining_log
from pmtool.eventlog.log import EventLog

runner = CliRunner()


def small_log() -> EventLog:
    """40 cases A → B → (C | D) → E, plus a rare X in two cases."""
    t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)
    rows = []
    for i in range(40):
        trace = ["A", "B", "C" if i % 3 else "D", *(["X"] if i < 2 else []), "E"]
        rows += [{"office": "HO-1", "case_id": f"c{i:02d}", "activity": a, "timestamp": t0 + dt.timedelta(hours=j)}
                 for j, a in enumerate(trace)]
    return EventLog.from_frame(pl.DataFrame(rows))


def test_the_miner_sees_the_frequent_part_and_says_how_much():
    log = small_log()
    part = mining_log(log, MiningSettings(max_activities=5))
    assert sorted(part.frame["activity"].unique()) == ["A", "B", "C", "D", "E"]  # X is in fewest cases
    tree, mining = mine(log, MiningSettings(max_activities=5, noise_threshold=0.0))
    assert "'X'" not in tree.to_text() and mining.method == "inductive" and mining.fallback is None
    assert (mining.activities, mining.activities_total, mining.events, mining.events_total) == (5, 6, 160, 162)
    assert mining.describe("en") == ("inductive miner (IMf, noise threshold 0) on 5 of 6 activities (98.8% of "
                                     "events, 100% of cases)")
    covered = mining_log(log, MiningSettings(variant_coverage=0.5))
    assert covered.frame.select("case_id").n_unique() == 25  # A B C E (25 of 40 cases) covers half of them


def test_over_the_time_budget_the_fallback_is_mined_and_labelled():
    # a microsecond: even a warm helper needs longer to receive the variants, mine and answer
    ist = discover_ist(small_log(), noise_threshold=0.2, settings=MiningSettings(time_budget=1e-6))
    assert ist.mining.fallback == "time_budget" and ist.mining.method == "inductive_dfg" == ist.miner
    assert "FALLBACK: inductive miner (IMf, noise threshold 0.2) did not finish within 1e-06 s" in \
        ist.mining.describe("en")
    assert {"A", "B", "C", "D", "E", "X"} <= set(ist.net.labels)


def test_discover_cli_names_method_and_fallback_in_table_files_and_summary(tmp_path, monkeypatch):
    # the smallest budget the command line takes (a millisecond) can be enough for a warm helper to mine
    # these few variants: the helper is given a microsecond of it
    real = mining.mine_within
    monkeypatch.setattr(mining, "mine_within", lambda miner, log, *, seconds, **rest: real(
        miner, log, seconds=min(seconds, 1e-6), **rest))
    log_path = tmp_path / "log.parquet"
    small_log().write_parquet(log_path)
    result = runner.invoke(app, ["--lang", "en", "discover", str(log_path), "--out", str(tmp_path / "out"),
                                 "--time-budget", "0.001", "--mine-top-activities", "5", "--format", "svg"])
    assert result.exit_code == 0, result.output
    assert "inductive miner on the directly-follows graph (IMd) on 5 of 6 activities" in result.output
    assert "FALLBACK" in result.output
    summary = json.loads((tmp_path / "out" / "HO-1_discover.json").read_text("utf-8"))
    assert summary["ist_model"]["mining"]["fallback"] == "time_budget"
    assert summary["settings"]["time_budget"] == 0.001 and summary["settings"]["mine_max_activities"] == 5
    assert "FALLBACK" in (tmp_path / "out" / "HO-1_ist.bpmn").read_text("utf-8")
    assert "FALLBACK" in (tmp_path / "out" / "HO-1_ist_net.svg").read_text("utf-8")
