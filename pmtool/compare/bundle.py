"""Aggregate bundles: what one office shares with the central team — counts and sums, no case rows.

A bundle holds, per process and period, for every comparison item (deviation code with activity, rule,
never-closed cases) the number of eligible cases, the number affected, and sums for the impact (hours
late, throughput hours of affected and unaffected cases); a throughput histogram on fixed bins; the mean
fitness; and the data-quality figures the comparability gate needs. Counts below the suppression
threshold are removed (with their sums) before the bundle leaves the office, so the same numbers reach
``compare`` whether it is given logs or bundles.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from pmtool import __version__
from pmtool.conform.conformance import ConformanceResult
from pmtool.errors import InputError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.models.reference import ReferenceModel

FORMAT = "pmtool-bundle/1"
#: Throughput histogram bin edges in hours: log-spaced from 1 hour to ~3 years, same for every office.
BIN_EDGES: tuple[float, ...] = tuple([0.0] + [round(2 ** (i / 2), 3) for i in range(0, 30)] + [math.inf])
ITEM_COLUMNS = {
    "item": pl.String, "item_type": pl.String, "code": pl.String, "activity": pl.String, "rule_id": pl.String,
    "eligible": pl.Int64, "affected": pl.Int64, "suppressed": pl.Boolean, "late_hours_sum": pl.Float64,
    "throughput_affected_sum": pl.Float64, "throughput_unaffected_sum": pl.Float64,
    "duration_median_hours": pl.Float64,
}


@dataclass(frozen=True)
class Bundle:
    office: str
    process: str
    period: str
    quality: dict[str, Any]
    items: pl.DataFrame
    throughput_bins: tuple[int | None, ...]
    fitness_sum: float
    cases: int
    meta: dict[str, Any] = field(default_factory=dict)
    edges: tuple[tuple[str, str, int], ...] = ()  # directly-follows pairs with case counts (small ones removed)

    def to_json(self) -> str:
        data = {
            "format": FORMAT, "office": self.office, "process": self.process, "period": self.period,
            "cases": self.cases, "fitness_sum": round(self.fitness_sum, 9), "quality": self.quality,
            "throughput_bins": list(self.throughput_bins), "bin_edges_hours": [str(e) for e in BIN_EDGES],
            "meta": self.meta, "items": self.items.sort("item").to_dicts(),
            "edges": [list(e) for e in self.edges],
        }
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "<bundle>") -> Bundle:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError("format")
            items = pl.DataFrame(data["items"], schema=ITEM_COLUMNS) if data["items"] else \
                pl.DataFrame(schema=ITEM_COLUMNS)
            return cls(data["office"], data["process"], data["period"], data["quality"], items,
                       tuple(data["throughput_bins"]), float(data["fitness_sum"]), int(data["cases"]), data["meta"],
                       tuple((a, b, int(n)) for a, b, n in data.get("edges", [])))
        except (ValueError, KeyError, TypeError):
            raise InputError("bundle.invalid", Location(where), format=FORMAT) from None


def read_bundle(path: Path) -> Bundle:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError("bundle.unreadable", Location(str(path)), reason=exc.strerror or str(exc)) from None
    return Bundle.from_json(text, str(path))


@dataclass(frozen=True)
class AggregateSettings:
    suppress_below: int = 5
    period: str = "all"


def case_items(result: ConformanceResult) -> pl.DataFrame:
    """One row per (office, case, item) for every case eligible for the item, with ``affected``.

    Items: ``dev:<CODE>:<activity>`` (alignment deviations; eligible: finished cases), ``rule:<id>`` (primary
    clock; eligible: cases the rule could judge), ``case:NO_CLOSURE`` (eligible: all cases).
    """
    bounded = pl.col("bounded") if "bounded" in result.cases.columns else pl.lit(False).alias("bounded")
    cases = result.cases.select(schema.OFFICE, schema.CASE_ID, "case_status", "throughput_hours", bounded)
    key = [schema.OFFICE, schema.CASE_ID]
    parts = []
    dev = result.deviations.filter(pl.col("source") == "alignment")
    if dev.height:
        dev_items = dev.select(*key, "code", "activity").unique().with_columns(
            (pl.lit("dev:") + pl.col("code") + pl.lit(":") + pl.col("activity")).alias("item"))
        kinds = dev_items.select("item", "code", "activity").unique()
        # a case whose alignment hit the search bound has no deviations to count: not eligible (see quality)
        finished = cases.filter((pl.col("case_status") != "running") & ~pl.col("bounded")).select(key)
        grid = finished.join(kinds, how="cross")
        hit = dev_items.select(*key, "item").unique().with_columns(pl.lit(True).alias("affected"))
        parts.append(grid.join(hit, on=[*key, "item"], how="left").with_columns(
            pl.col("affected").fill_null(False), pl.lit("deviation").alias("item_type"),
            pl.lit(None, pl.String).alias("rule_id"), pl.lit(None, pl.Float64).alias("late_hours"),
            pl.lit(None, pl.Float64).alias("duration_hours")))
    if result.rules is not None:
        judged = result.rules.cases.filter(pl.col("primary") & pl.col("status").is_in(["ok", "violated"]))
        parts.append(judged.select(
            *key, (pl.lit("rule:") + pl.col("rule_id")).alias("item"),
            pl.when(pl.col("kind") == "deadline").then(pl.lit("DEADLINE"))
            .when(pl.col("kind") == "role").then(pl.lit("ROLE")).otherwise(pl.lit("RULE")).alias("code"),
            pl.lit(None, pl.String).alias("activity"), (pl.col("status") == "violated").alias("affected"),
            pl.lit("rule").alias("item_type"), pl.col("rule_id"), pl.col("late_hours"),
            ((pl.col("end") - pl.col("start")).dt.total_seconds() / 3600.0).alias("duration_hours")))
    closure = cases.select(*key, pl.lit("case:NO_CLOSURE").alias("item"), pl.lit("NO_CLOSURE").alias("code"),
                           pl.lit(None, pl.String).alias("activity"),
                           (pl.col("case_status") == "stale").alias("affected"), pl.lit("case").alias("item_type"),
                           pl.lit(None, pl.String).alias("rule_id"), pl.lit(None, pl.Float64).alias("late_hours"),
                           pl.lit(None, pl.Float64).alias("duration_hours"))
    parts.append(closure)
    columns = [*key, "item", "item_type", "code", "activity", "rule_id", "affected", "late_hours", "duration_hours"]
    frame = pl.concat([p.select(columns) for p in parts], how="vertical")
    return frame.join(cases.select(*key, "throughput_hours"), on=key, how="left")


def aggregate(log: EventLog, result: ConformanceResult, reference: ReferenceModel,
              settings: AggregateSettings | None = None, coverage: dict[str, float] | None = None) -> list[Bundle]:
    """One bundle per office of ``result`` (conformance of ``log`` against ``reference``)."""
    settings = settings or AggregateSettings()
    items = case_items(result)
    k_min = settings.suppress_below
    per_item = items.group_by(schema.OFFICE, "item", "item_type", "code", "activity", "rule_id").agg(
        pl.len().alias("eligible"),
        pl.col("affected").sum().cast(pl.Int64).alias("affected"),
        pl.col("late_hours").filter(pl.col("affected")).sum().alias("late_hours_sum"),
        pl.col("throughput_hours").filter(pl.col("affected")).sum().alias("throughput_affected_sum"),
        pl.col("throughput_hours").filter(~pl.col("affected")).sum().alias("throughput_unaffected_sum"),
        pl.col("duration_hours").median().alias("duration_median_hours"),
    )
    small = (pl.col("affected").is_between(1, k_min - 1)) | (pl.col("eligible") < k_min)
    per_item = per_item.with_columns(small.alias("suppressed")).with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
         for c in ("affected", "late_hours_sum", "throughput_affected_sum", "throughput_unaffected_sum",
                   "duration_median_hours")])
    quality = _quality(log, result)
    edges = _edges(log, k_min)
    bundles = []
    for office in result.summary[schema.OFFICE].to_list():
        cases = result.cases.filter(pl.col(schema.OFFICE) == office)
        hist = _histogram(cases["throughput_hours"].drop_nulls().to_list(), k_min)
        q = dict(quality.get(office, {}))
        if coverage and office in coverage:
            q["coverage"] = coverage[office]
        meta = {"pmtool_version": __version__, "model": reference.source, "model_sha256": reference.fingerprint,
                "rules": reference.rules.id if reference.rules else None,
                "rules_version": reference.rules.version if reference.rules else None,
                "method": result.method, "suppress_below": k_min}
        frame = per_item.filter(pl.col(schema.OFFICE) == office).drop(schema.OFFICE)
        # bounded cases have no fitness: the sum counts them at the mean of the aligned ones, so that
        # fitness_sum / cases stays the mean fitness of what was aligned (their share is in quality)
        aligned = cases.filter(~pl.col("bounded")) if "bounded" in cases.columns else cases
        fitness_sum = (float(aligned["fitness"].fill_null(0).sum()) * cases.height / aligned.height
                       if aligned.height else 0.0)
        bundles.append(Bundle(office, result.process, settings.period, q,
                              frame.select(list(ITEM_COLUMNS)).cast(ITEM_COLUMNS).sort("item"), hist,
                              fitness_sum, cases.height, meta, edges.get(office, ())))
    return bundles


def _edges(log: EventLog, k_min: int) -> dict[str, tuple[tuple[str, str, int], ...]]:
    """Directly-follows pairs per office with the number of cases that have them (below k_min: removed)."""
    key = [schema.OFFICE, schema.CASE_ID]
    pairs = (log.frame.select(*key, pl.col(schema.ACTIVITY).alias("a"),
                              pl.col(schema.ACTIVITY).shift(-1).over(key).alias("b"))
             .drop_nulls("b").unique().group_by(schema.OFFICE, "a", "b").len()
             .filter(pl.col("len") >= k_min).sort([schema.OFFICE, "a", "b"]))
    out: dict[str, list[tuple[str, str, int]]] = {}
    for office, a, b, n in pairs.iter_rows():
        out.setdefault(office, []).append((a, b, int(n)))
    return {k: tuple(v) for k, v in out.items()}


def _histogram(values: list[float], k_min: int) -> tuple[int | None, ...]:
    counts = [0] * (len(BIN_EDGES) - 1)
    for v in values:
        for i in range(len(BIN_EDGES) - 1):
            if BIN_EDGES[i] <= v < BIN_EDGES[i + 1]:
                counts[i] += 1
                break
    return tuple(None if 0 < c < k_min else c for c in counts)


def _quality(log: EventLog, result: ConformanceResult) -> dict[str, dict[str, Any]]:
    frame = log.frame.group_by(schema.OFFICE).agg(
        pl.col(schema.ACTIVITY_CODE).is_not_null().mean().alias("coverage"),
        (pl.col(schema.PRECISION) == "date").mean().alias("date_only_share"),
        pl.col(schema.TIMESTAMP).min().alias("period_start"),
        pl.col(schema.TIMESTAMP).max().alias("period_end"),
    )
    running = result.cases.group_by(schema.OFFICE).agg(
        (pl.col("case_status") == "running").mean().alias("running"),
        (pl.col("bounded").mean() if "bounded" in result.cases.columns else pl.lit(0.0)).alias("bounded"))
    out: dict[str, dict[str, Any]] = {}
    for row in frame.join(running, on=schema.OFFICE, how="left").iter_rows(named=True):
        out[row[schema.OFFICE]] = {
            "coverage": round(float(row["coverage"]), 6),
            "date_only_share": round(float(row["date_only_share"]), 6),
            "running_share": round(float(row["running"] or 0.0), 6),
            "bounded_share": round(float(row["bounded"] or 0.0), 6),
            "period_start": _iso(row["period_start"]), "period_end": _iso(row["period_end"]),
        }
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

