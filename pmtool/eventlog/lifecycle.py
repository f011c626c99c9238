"""Lifecycle transitions as activity instances: a ``start`` and its ``complete`` become one row with a service
time, as pm4py's interval lifecycle does.

Logs with a ``lifecycle`` column holding ``start`` events (XES ``lifecycle:transition``, any letter case) are
turned into one row per **completed activity instance**:

- within a case, the completes of an activity take that activity's pending starts first-in, first-out (a
  complete with no pending start is an instance without a start: its service time is 0, as in pm4py);
- the row keeps the complete event's columns (``timestamp`` is the completion, so deadlines and throughput
  keep their meaning) and gains ``start_timestamp`` and ``service_hours``;
- other transitions (``schedule``, ``suspend``, …) and starts never completed are left out; their counts are
  returned so that a caller can say so.

A log without ``start`` events comes back unchanged, so every stage may call :func:`activity_instances`.
Instances are ordered by completion (the canonical order); where two instances of one case overlap, pm4py
orders them by their start instead, so variants of overlapping work may differ from pm4py's.

>>> import polars as pl, datetime as dt
>>> t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)
>>> frame = pl.DataFrame({"office": ["GA-01"] * 3, "case_id": ["c1"] * 3, "activity": ["A", "A", "B"],
...     "lifecycle": ["start", "complete", "complete"],
...     "timestamp": [t0, t0 + dt.timedelta(minutes=30), t0 + dt.timedelta(hours=2)]})
>>> from pmtool.eventlog.log import EventLog
>>> instances = activity_instances(EventLog.from_frame(frame)).log
>>> instances.frame.select("activity", "service_hours").rows()
[('A', 0.5), ('B', 0.0)]
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog

START_TIMESTAMP = "start_timestamp"
SERVICE_HOURS = "service_hours"
_GROUP = [schema.OFFICE, schema.CASE_ID, schema.ACTIVITY]


@dataclass(frozen=True)
class Instances:
    """The instance log and what was left out to make it."""

    log: EventLog
    converted: bool  # whether the input had start events at all
    other_transitions: int = 0  # schedule, suspend, … events left out
    open_starts: int = 0  # starts without a complete (running or abandoned work)


def has_lifecycle(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` holds ``start`` transitions (and so has activity instances to form)."""
    if schema.LIFECYCLE not in frame.columns or START_TIMESTAMP in frame.columns:
        return False
    return bool(frame.select((pl.col(schema.LIFECYCLE).str.to_lowercase() == "start").any()).item())


def activity_instances(log: EventLog) -> Instances:
    """``log`` with start/complete pairs merged into activity instances (see the module docstring)."""
    frame = log.frame
    if not has_lifecycle(frame):
        return Instances(log, converted=False)
    transition = pl.col(schema.LIFECYCLE).str.to_lowercase().fill_null("complete")
    marked = frame.with_columns(transition.alias("_t"), pl.int_range(pl.len()).alias("_row"))
    other = int(marked.filter(~pl.col("_t").is_in(["start", "complete"])).height)
    pairs = marked.filter(pl.col("_t").is_in(["start", "complete"])).with_columns(
        (pl.col("_t") == "start").cast(pl.Int64).cum_sum().over(_GROUP).alias("_s"),
        (pl.col("_t") == "complete").cast(pl.Int64).cum_sum().over(_GROUP).alias("_c"),
    ).with_columns(
        # completes that found no pending start so far: the running maximum of (completes - starts), floored at 0
        (pl.col("_c") - pl.col("_s")).cum_max().over(_GROUP).clip(lower_bound=0).alias("_u"),
    )
    pairs = pairs.with_columns(pl.col("_u").shift(1, fill_value=0).over(_GROUP).alias("_u_before"))
    starts = (pairs.filter(pl.col("_t") == "start")
              .select(*_GROUP, pl.col("_s").alias("_k"), pl.col(schema.TIMESTAMP).alias(START_TIMESTAMP)))
    completes = pairs.filter(pl.col("_t") == "complete").with_columns(
        pl.when(pl.col("_u") == pl.col("_u_before")).then(pl.col("_c") - pl.col("_u")).alias("_k"))
    joined = completes.join(starts, on=[*_GROUP, "_k"], how="left", maintain_order="left")
    matched = int(joined[START_TIMESTAMP].is_not_null().sum())
    open_starts = starts.height - matched
    out = joined.with_columns(pl.col(START_TIMESTAMP).fill_null(pl.col(schema.TIMESTAMP))).with_columns(
        ((pl.col(schema.TIMESTAMP) - pl.col(START_TIMESTAMP)).dt.total_microseconds() / 3.6e9)
        .alias(SERVICE_HOURS))
    out = out.sort("_row").drop("_t", "_row", "_s", "_c", "_u", "_u_before", "_k")
    return Instances(EventLog.from_frame(out, log.provenance, assume_sorted=True), converted=True,
                     other_transitions=other, open_starts=open_starts)


def service_times(log: EventLog) -> pl.DataFrame:
    """Per activity: instances, and the service time (start to complete) as mean, median, p90, max and total
    hours; waiting time before the activity (previous instance's completion in the case to this start) as
    mean and median. Needs an instance log (:func:`activity_instances`); empty columns otherwise."""
    frame = log.frame
    if SERVICE_HOURS not in frame.columns:
        return pl.DataFrame(schema={schema.ACTIVITY: pl.String, "instances": pl.UInt32})
    prev_end = pl.col(schema.TIMESTAMP).shift(1).over([schema.OFFICE, schema.CASE_ID])
    wait = ((pl.col(START_TIMESTAMP) - prev_end).dt.total_microseconds() / 3.6e9).clip(lower_bound=0)
    h = pl.col(SERVICE_HOURS)
    return (frame.with_columns(wait.alias("_wait"))
            .group_by(schema.ACTIVITY)
            .agg(pl.len().alias("instances"), h.mean().alias("service_mean_hours"),
                 h.median().alias("service_median_hours"), h.quantile(0.9, "nearest").alias("service_p90_hours"),
                 h.max().alias("service_max_hours"), h.sum().alias("service_total_hours"),
                 pl.col("_wait").mean().alias("wait_mean_hours"), pl.col("_wait").median().alias("wait_median_hours"))
            .sort(["service_total_hours", schema.ACTIVITY], descending=[True, False]))
