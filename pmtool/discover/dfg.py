"""The directly-follows graph (DFG) of a log, computed in polars: which activity follows which, how often,
and how long the case waited in between.

Every case starts at the artificial node ▶ and ends at ■. An edge a → b counts the events where b directly
follows a in a case (``events``) and the cases in which that happens at least once (``cases``); its waiting
times are the hours between the timestamp of a and that of b (UTC, so a change of daylight-saving time adds
or removes nothing). Edges from ▶ and to ■ have no waiting time.

>>> import polars as pl, datetime as dt
>>> from pmtool.eventlog.log import EventLog
>>> t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.timezone.utc)
>>> log = EventLog.from_frame(pl.DataFrame({"office": "GA-01", "case_id": ["a", "a", "b", "b"],
...     "activity": ["A", "B", "A", "B"], "timestamp": [t0, t0 + dt.timedelta(hours=2), t0,
...     t0 + dt.timedelta(hours=4)]}))
>>> dfg = directly_follows(log)
>>> dfg.edges.filter(pl.col("source") == "A").select("target", "cases", "median_hours").row(0)
('B', 2, 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import polars as pl

from pmtool.eventlog import schema
from pmtool.eventlog.lifecycle import SERVICE_HOURS, START_TIMESTAMP
from pmtool.eventlog.log import EventLog

START = "▶"
END = "■"
#: Node kinds, in the order nodes are listed.
KINDS = ("start", "activity", "end")
_HOUR_US = 3_600_000_000

NODE_SCHEMA = {"activity": pl.String, "kind": pl.String, "activity_code": pl.String, "events": pl.Int64,
               "cases": pl.Int64, "case_share": pl.Float64, "service_median_hours": pl.Float64}
EDGE_SCHEMA = {"source": pl.String, "target": pl.String, "events": pl.Int64, "cases": pl.Int64,
               "case_share": pl.Float64, "mean_hours": pl.Float64, "median_hours": pl.Float64,
               "p90_hours": pl.Float64, "min_hours": pl.Float64, "max_hours": pl.Float64}


@dataclass(frozen=True)
class DirectlyFollowsGraph:
    """A DFG with its frequency and performance annotations.

    ``nodes``: one row per activity plus ▶ and ■ (``activity``, ``kind``, ``activity_code``, ``events``,
    ``cases``, ``case_share``), sorted start first, then by cases, events and name, end last.
    ``edges``: one row per directly-follows pair (``source``, ``target``, ``events``, ``cases``,
    ``case_share`` = cases / all cases, waiting time ``mean_hours``, ``median_hours``, ``p90_hours``,
    ``min_hours``, ``max_hours``), sorted by cases, events, then source and target.
    ``total_edges`` and ``total_activities`` count the unfiltered graph; a filtered graph
    (:meth:`filter`) shows fewer and says how many are hidden.
    """

    nodes: pl.DataFrame
    edges: pl.DataFrame
    cases: int
    events: int
    period_start: datetime | None
    period_end: datetime | None
    total_edges: int
    total_activities: int
    min_edge_share: float = 0.0
    min_activity_share: float = 0.0
    top_activities: int | None = None

    @property
    def hidden_edges(self) -> int:
        return self.total_edges - self.edges.height

    @property
    def hidden_activities(self) -> int:
        return self.total_activities - self.activities.height

    @property
    def activities(self) -> pl.DataFrame:
        """The activity nodes (without ▶ and ■)."""
        return self.nodes.filter(pl.col("kind") == "activity")

    def filter(self, *, min_edge_share: float = 0.0, min_activity_share: float = 0.0,
               top_activities: int | None = None, keep_connected: bool = True) -> DirectlyFollowsGraph:
        """A readable view: only activities in at least ``min_activity_share`` of all cases, of those only
        the ``top_activities`` with most cases (all when ``None``), and only edges between shown nodes
        taken by at least ``min_edge_share`` of all cases.

        With ``keep_connected`` every shown activity keeps its strongest incoming and its strongest
        outgoing edge even below the threshold, so no activity floats unconnected. Filtering an already
        filtered graph narrows it further; the hidden counts always refer to the full graph.
        """
        activities = self.activities.filter(pl.col("case_share") >= min_activity_share)
        if top_activities is not None:
            activities = activities.head(top_activities)
        keep = activities["activity"].to_list()
        nodes = self.nodes.filter((pl.col("kind") != "activity") | pl.col("activity").is_in(keep))
        shown = nodes["activity"].to_list()
        edges = self.edges.filter(pl.col("source").is_in(shown) & pl.col("target").is_in(shown))
        strong = pl.col("case_share") >= min_edge_share
        if keep_connected:
            # edges are sorted strongest first, so the first per source (target) is its strongest out (in)
            rank = pl.int_range(pl.len())
            strong = (strong | ((rank.over("source") == 0) & (pl.col("source") != START))
                      | ((rank.over("target") == 0) & (pl.col("target") != END)))
        edges = edges.filter(strong)
        return replace(self, nodes=nodes, edges=edges,
                       min_edge_share=max(min_edge_share, self.min_edge_share),
                       min_activity_share=max(min_activity_share, self.min_activity_share),
                       top_activities=_narrower(top_activities, self.top_activities))


def _narrower(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def directly_follows(log: EventLog) -> DirectlyFollowsGraph:
    """The full DFG of ``log`` (a case is an office and case id; events in canonical order).

    Takes a canonical :class:`EventLog`; returns a :class:`DirectlyFollowsGraph` whose frames are sorted
    deterministically. An empty log gives a graph with only ▶ and ■."""
    # with activity instances (start/complete pairs), the wait runs from one completion to the next start
    starts_at = START_TIMESTAMP if START_TIMESTAMP in log.frame.columns else schema.TIMESTAMP
    service = (pl.col(SERVICE_HOURS) if SERVICE_HOURS in log.frame.columns else pl.lit(None, pl.Float64))
    # activities as numbers while the events are counted (their names are few): no text per event and step
    names = log.frame[schema.ACTIVITY].unique().sort().to_list()
    code = (pl.col(schema.ACTIVITY).replace_strict(names, list(range(len(names))), return_dtype=pl.UInt32)
            if names else pl.lit(None, pl.UInt32))  # (an empty mapping would keep the text type)
    start, end = len(names), len(names) + 1  # ▶ and ■ as numbers after the activities'
    wait = ((pl.col("_starts_at").shift(-1) - pl.col(schema.TIMESTAMP)).dt.total_microseconds()
            / _HOUR_US)
    # a slice of cases at a time: each step keeps its case's number, its activities and its wait; what the
    # activities' counts need of the events is counted per slice (cases of other slices add up)
    n_cases = 0
    all_steps, all_starts, all_acts = [], [], []
    for part in log.case_slices():
        f = part.frame.select(schema.OFFICE, schema.CASE_ID, code.alias("_act"), schema.ACTIVITY_CODE,
                              schema.TIMESTAMP, pl.col(starts_at).alias("_starts_at"), service.alias("_service"))
        same_case_next = ((pl.col(schema.OFFICE) == pl.col(schema.OFFICE).shift(-1))
                          & (pl.col(schema.CASE_ID) == pl.col(schema.CASE_ID).shift(-1))).fill_null(False)
        first_in_case = ~((pl.col(schema.OFFICE) == pl.col(schema.OFFICE).shift(1))
                          & (pl.col(schema.CASE_ID) == pl.col(schema.CASE_ID).shift(1))).fill_null(False)
        # the frame is sorted by office, case, time: a running count of case starts numbers the cases
        f = f.with_columns(first_in_case.alias("_first"), same_case_next.alias("_next"))
        f = f.with_columns((pl.col("_first").cast(pl.Int64).cum_sum() + n_cases).alias("_case"))
        n_cases = int(f["_case"].max() or n_cases)
        all_steps.append(f.select(
            pl.col("_case"),
            pl.col("_act").alias("source"),
            pl.when(pl.col("_next")).then(pl.col("_act").shift(-1)).otherwise(pl.lit(end, pl.UInt32))
            .alias("target"),
            pl.when(pl.col("_next")).then(wait).otherwise(None).cast(pl.Float64).alias("_wait"),
        ))
        all_starts.append(f.filter(pl.col("_first")).select(
            pl.col("_case"), pl.lit(start, pl.UInt32).alias("source"), pl.col("_act").alias("target"),
            pl.lit(None, pl.Float64).alias("_wait")))
        all_acts.append(f.group_by("_act").agg(pl.col(schema.ACTIVITY_CODE).drop_nulls().first(),
                                               pl.len().cast(pl.Int64).alias("events"),
                                               pl.col("_case").n_unique().cast(pl.Int64).alias("cases"),
                                               pl.col("_service").drop_nulls()))
        del f
    starts = pl.concat(all_starts, how="vertical", rechunk=True)
    steps = pl.concat(all_steps, how="vertical", rechunk=True)
    del all_starts, all_steps
    texts = [*names, START, END]
    edges = (pl.concat([starts, steps])
             .group_by("source", "target")
             .agg(pl.len().cast(pl.Int64).alias("events"),
                  pl.col("_case").n_unique().cast(pl.Int64).alias("cases"),
                  pl.col("_wait").mean().alias("mean_hours"),
                  pl.col("_wait").median().alias("median_hours"),
                  pl.col("_wait").quantile(0.9, "linear").alias("p90_hours"),
                  pl.col("_wait").min().alias("min_hours"),
                  pl.col("_wait").max().alias("max_hours"))
             .with_columns(pl.col(end_).replace_strict(list(range(len(texts))), texts, return_dtype=pl.String)
                           for end_ in ("source", "target"))
             .with_columns(_share("cases", n_cases))
             .select(list(EDGE_SCHEMA))
             .cast(EDGE_SCHEMA)  # type: ignore[arg-type]
             .sort(["cases", "events", "source", "target"], descending=[True, True, False, False]))
    counted = pl.concat(all_acts, how="vertical")  # in slice order: the first code is the first event's
    acts = (counted.group_by(pl.col("_act").alias(schema.ACTIVITY), maintain_order=True)
            .agg(pl.lit("activity").alias("kind"),
                 pl.col(schema.ACTIVITY_CODE).drop_nulls().first().alias("activity_code"),
                 pl.col("events").sum().cast(pl.Int64),
                 pl.col("cases").sum().cast(pl.Int64),
                 pl.col("_service").explode().drop_nulls().median().alias("service_median_hours"))
            .with_columns(pl.col(schema.ACTIVITY).replace_strict(list(range(len(names))), names,
                                                                 return_dtype=pl.String))
            .rename({schema.ACTIVITY: "activity"}))
    ends = pl.DataFrame({"activity": [START, END], "kind": ["start", "end"], "activity_code": [None, None],
                         "events": [n_cases, n_cases], "cases": [n_cases, n_cases],
                         "service_median_hours": [None, None]},
                        schema={k: NODE_SCHEMA[k] for k in acts.columns})
    acts = acts.cast({k: NODE_SCHEMA[k] for k in acts.columns})  # type: ignore[arg-type]
    nodes = (pl.concat([ends, acts.select(ends.columns)], how="vertical")
             .with_columns(_share("cases", n_cases),
                           pl.col("kind").replace_strict({k: i for i, k in enumerate(KINDS)},
                                                         return_dtype=pl.Int8).alias("_kind"))
             .sort(["_kind", "cases", "events", "activity"], descending=[False, True, True, False])
             .select(list(NODE_SCHEMA)))
    ts = log.frame[schema.TIMESTAMP]
    return DirectlyFollowsGraph(
        nodes=nodes, edges=edges, cases=n_cases, events=log.frame.height,
        period_start=ts.min() if ts.len() else None,  # type: ignore[arg-type]
        period_end=ts.max() if ts.len() else None,  # type: ignore[arg-type]
        total_edges=edges.height, total_activities=acts.height,
    )


def _share(column: str, total: int) -> pl.Expr:
    return (pl.col(column) / total if total else pl.lit(0.0)).cast(pl.Float64).alias("case_share")


def bottlenecks(dfg: DirectlyFollowsGraph) -> pl.DataFrame:
    """The transitions ranked by the total waiting time they hold: count, mean, median, p90, max and total
    hours and the share of all waiting in the log (the first rows are where the time goes)."""
    timed = dfg.edges.filter(pl.col("mean_hours").is_not_null())
    total = pl.col("mean_hours") * pl.col("events")
    out = timed.with_columns(total.alias("total_hours"))
    all_hours = float(out["total_hours"].sum() or 0.0)
    share = (pl.col("total_hours") / all_hours) if all_hours > 0 else pl.lit(None, pl.Float64)
    return (out.with_columns(share.alias("share_of_waiting"))
            .sort(["total_hours", "source", "target"], descending=[True, False, False])
            .with_row_index("rank", offset=1)
            .select("rank", "source", "target", "events", "cases", "mean_hours", "median_hours", "p90_hours",
                    "max_hours", "total_hours", "share_of_waiting"))
