"""A bundle's hour sums are correctly rounded (``math.fsum`` of the cases' values): they do not depend on the
order in which the cases reach the sum, and the centre adds offices' sums without drift."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import polars as pl
from synthetic import AS_OF, START, reference

from pmtool.compare.bundle import AggregateSettings, aggregate
from pmtool.conform.conformance import ConformanceSettings, conform
from pmtool.eventlog.log import EventLog


def test_throughput_sums_are_the_correctly_rounded_sums_of_the_cases():
    rows = []
    for i in range(3_000):  # durations in odd seconds: hours that no float holds exactly
        begin = START + timedelta(days=i % 300, seconds=(i * 7919) % 86_400)
        trace = ("A", "C") if i % 3 == 0 else ("A", "B", "C")
        rows += [{"office": "GA-01", "case_id": f"c{i:05d}", "activity": activity, "activity_code": activity,
                  "timestamp": begin + timedelta(seconds=j * ((i * 104_729) % 250_000 + 1))}
                 for j, activity in enumerate(trace)]
    log = EventLog.from_frame(pl.DataFrame(rows))
    result = conform(log, reference(), settings=ConformanceSettings(as_of=AS_OF, workers=1, precision=False))
    (bundle,) = aggregate(log, result, reference(), AggregateSettings(suppress_below=5, period="2025"))
    closure = bundle.items.filter(pl.col("item") == "case:NO_CLOSURE").row(0, named=True)
    stale = result.cases.filter(pl.col("case_status") == "stale")["throughput_hours"].drop_nulls().to_list()
    others = result.cases.filter(pl.col("case_status") != "stale")["throughput_hours"].drop_nulls().to_list()
    assert len(others) > 1000
    assert closure["throughput_affected_sum"] == math.fsum(stale)
    assert closure["throughput_unaffected_sum"] == math.fsum(others)
    assert math.fsum(others) != sum(others)  # the data is one where a plain sum drifts
    for seed in (1, 2, 3):  # the cases in another order: the same bundle
        shuffled = replace(result, cases=result.cases.sample(fraction=1.0, shuffle=True, seed=seed))
        (again,) = aggregate(log, shuffled, reference(), AggregateSettings(suppress_below=5, period="2025"))
        assert again.to_json() == bundle.to_json()
