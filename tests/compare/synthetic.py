"""Offices made to order for comparison tests: a Soll A → B → C and per office a number of cases of which a
given number skip B. The bundles come out of ``aggregate`` exactly as an office's would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pmtool.compare.bundle import AggregateSettings, Bundle
from pmtool.compare.inputs import aggregate_log
from pmtool.conform.conformance import ConformanceSettings
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.eventlog.log import EventLog
from pmtool.models.bpmn import ConversionReport
from pmtool.models.petri import closing_labels
from pmtool.models.reference import ReferenceModel

ITEM = "dev:SKIP:B"
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
AS_OF = datetime(2025, 12, 31, tzinfo=UTC)


def reference() -> ReferenceModel:
    pm4py = bridge.pm4py()
    net = bridge.from_pm4py_net(*pm4py.convert_to_petri_net(pm4py.parse_process_tree("->('A', 'B', 'C')")))
    return ReferenceModel("T", "T", net, {}, None, ConversionReport(), "t.pnml", "0" * 64, {}, closing_labels(net))


def office_frame(office: str, cases: int, skipped: int) -> pl.DataFrame:
    """``cases`` cases of ``office``, the first ``skipped`` of them A → C, the others A → B → C."""
    rows = []
    for i in range(cases):
        begin = START + timedelta(days=i % 200, hours=i % 5)
        trace = ("A", "C") if i < skipped else ("A", "B", "C")
        for j, activity in enumerate(trace):
            rows.append({"office": office, "case_id": f"{office}-{i:04d}", "activity": activity,
                         "activity_code": activity, "timestamp": begin + timedelta(hours=2 * j)})
    return pl.DataFrame(rows)


def bundles(counts: dict[str, tuple[int, int]], *, threshold: int = 5) -> list[Bundle]:
    """One bundle per office from ``{office: (skipped, cases)}``, each office aggregated from its own log."""
    out = []
    for office, (skipped, cases) in counts.items():
        log = EventLog.from_frame(office_frame(office, cases, skipped))
        out += aggregate_log(log, reference(), settings=AggregateSettings(suppress_below=threshold, period="2025"),
                             conformance=ConformanceSettings(as_of=AS_OF, workers=1, precision=False))
    return out
