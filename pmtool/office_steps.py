"""One office's part of a process in a run: prepared once, then its per-office steps.

:func:`prepare` reads the office's events from the run's spooled export logs (:mod:`pmtool.spool`), puts them
in canonical order with the process's columns, gives renamed Soll tasks their labels, applies the process's
filters and writes the part back to the spool; it returns what the run needs of all offices together (the
label counts, the last event, the coverage). :func:`office_steps` then computes the office's conformance
(its per-case tables written to the spool as well), Ist models and bundles from that part. Both are plain
functions of their arguments, so a run hands them to worker processes or a Dask cluster
(:mod:`pmtool.cluster`) or calls them itself, with the same results: each office's figures depend on its own
cases only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from pmtool import cluster
from pmtool.compare.bundle import AggregateSettings, aggregate
from pmtool.conform.alignments import AlignmentCache
from pmtool.conform.conformance import (
    ConformanceResult,
    ConformanceSettings,
    SpooledConformance,
    conform_spooled,
    label_counts,
)
from pmtool.conform.labels import LabelCounts, apply_task_labels, label_coverage
from pmtool.discover.discovery import DiscoverSettings, Discovery, discover
from pmtool.eventlog import schema
from pmtool.eventlog.filters import named_activities, parse_filters
from pmtool.eventlog.log import EventLog, Provenance
from pmtool.models.reference import ReferenceModel

STEPS = ("conform", "discover", "aggregate")
_CACHE: dict[str, AlignmentCache] = {}  # a worker process's alignments against one Soll, for its next offices


def _worker_cache(reference: ReferenceModel) -> AlignmentCache:
    """The worker's alignments against ``reference``'s net (those against another Soll are let go: its
    memory grows with one process's variants, not with the run's)."""
    key = reference.fingerprint
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = AlignmentCache()
    return _CACHE[key]


@dataclass(frozen=True)
class Part:
    """Where an office's events of a process are (``files``, spooled export logs) and how to prepare them:
    ``columns`` are the process's columns in order with their types, as all its exports give them together."""

    process: str
    office: str
    files: tuple[Path, ...]
    columns: tuple[tuple[str, pl.DataType], ...]
    reference: ReferenceModel
    filters: tuple[str, ...]
    target: Path


@dataclass(frozen=True)
class Prepared:
    """An office's prepared part (``file``; ``None`` when the filters left none of its events) with what the
    run needs of all offices together."""

    office: str
    file: Path | None
    events: int
    last: datetime | None  # the office's last event
    coverage: float | None
    counts: LabelCounts | None
    activities: tuple[str, ...]  # before filtering, when a filter names activities (checked over all offices)


def process_columns(files: tuple[Path, ...]) -> tuple[tuple[str, pl.DataType], ...]:
    """The columns of the spooled logs ``files`` taken together (diagonally, types widened as needed)."""
    empty = [pl.DataFrame(schema=pl.read_parquet_schema(f)) for f in files]
    return tuple(pl.concat(empty, how="diagonal_relaxed").schema.items())


def offices_in(file: Path) -> list[str]:
    """The offices whose events a spooled log holds."""
    return sorted(pl.scan_parquet(file).select(pl.col(schema.OFFICE).unique()).collect()[schema.OFFICE].to_list())


def prepare(part: Part) -> Prepared:
    """Read, order, label and filter the office's part, write it to ``part.target``, and count."""
    frames = []
    for file in part.files:
        frame = pl.read_parquet(file)
        if not frame.is_empty() and not (frame[schema.OFFICE] == part.office).all():
            frame = frame.filter(pl.col(schema.OFFICE) == part.office)
        frames.append(frame)
    frame = pl.concat([pl.DataFrame(schema=dict(part.columns)), *frames], how="diagonal_relaxed")
    # one export's log is in canonical order already (the import sorts it); several are sorted together
    log = apply_task_labels(EventLog.from_frame(frame, assume_sorted=len(frames) == 1), part.reference)
    chosen = parse_filters(part.filters)
    activities: tuple[str, ...] = ()
    if chosen:
        if named_activities(chosen.steps):
            activities = tuple(sorted(log.frame[schema.ACTIVITY].unique().to_list()))
        log = EventLog.from_frame(chosen.apply(log.frame, check=False), log.provenance, assume_sorted=True)
    return replace(prepared(log, part.reference, part.office, part.target), activities=activities)


def prepared(log: EventLog, reference: ReferenceModel, office: str, target: Path) -> Prepared:
    """The :class:`Prepared` of ``log``, an office's part as the analysis sees it, written to ``target``."""
    if log.n_events == 0:
        return Prepared(office, None, 0, None, None, None, ())
    log.write_parquet(target)
    return Prepared(office, target, log.n_events, log.frame[schema.TIMESTAMP].max(),
                    label_coverage(log, reference).get(office), label_counts(log, reference), ())


def read_part(file: Path, columns: tuple[str, ...] | None = None) -> EventLog:
    """A prepared part, as :func:`prepare` wrote it; ``columns``: only those of its columns (the log's other
    canonical columns empty, its extra attributes left out)."""
    if columns is not None:
        present = set(pl.read_parquet_schema(file))
        return EventLog.from_frame(pl.read_parquet(file, columns=[c for c in columns if c in present]),
                                   Provenance(), assume_sorted=True)
    return EventLog.from_frame(pl.read_parquet(file), Provenance(), assume_sorted=True)


#: The columns an office's steps read of its part: the resource, the source system and extra attributes stay
#: on disk (no step reads them; an office's part of a large export holds them for every event).
STEP_COLUMNS = (schema.OFFICE, schema.CASE_ID, schema.ACTIVITY, schema.ACTIVITY_CODE, schema.TIMESTAMP,
                schema.PRECISION, schema.ROLE, schema.LIFECYCLE, schema.SOURCE_ROW)


@dataclass(frozen=True)
class Steps:
    """What an office's steps need besides its prepared part (``file``)."""

    process: str
    office: str
    file: Path
    reference: ReferenceModel
    conform: ConformanceSettings
    calendars: Mapping[str, Any]
    discover: DiscoverSettings
    aggregate: AggregateSettings
    coverage: Mapping[str, float] | None
    tables: Path  # the stem of the spool files its conformance tables go to (``<stem>-cases.parquet``, …)


def office_steps(job: Steps, which: tuple[str, ...], result: ConformanceResult | SpooledConformance | None = None,
                 cache: AlignmentCache | None = None) -> dict[str, Any]:
    """The office's ``which`` steps (of :data:`STEPS`) by name: ``conform`` a
    :class:`~pmtool.conform.conformance.SpooledConformance` (its per-case tables written to the spool files
    of ``job.tables``), ``discover`` its Ist models (each scope keeping its log's columns and provenance, not
    its events), ``aggregate`` its bundles as JSON texts. ``result``: the conformance when it is known
    already (aggregation needs it)."""
    log = read_part(job.file, STEP_COLUMNS)
    out: dict[str, Any] = {}
    if "conform" in which or ("aggregate" in which and result is None):
        # a slice of cases at a time, the per-case tables to the spool (a run keeps them; the alignments
        # behind them are in its deviations); tables only for the bundles go to files of their own
        stem = job.tables if "conform" in which else job.tables.with_name(f"{job.tables.name}-again")
        result = conform_spooled(log, job.reference, stem, calendars=job.calendars,
                                 cache=cache or _worker_cache(job.reference), settings=job.conform)
        if "conform" in which:
            out["conform"] = result
    if "aggregate" in which:
        assert result is not None
        out["aggregate"] = [b.to_json() for b in aggregate(log, result, job.reference, job.aggregate,
                                                           coverage=job.coverage)]
    result = None  # its per-case tables are on disk: the Ist models do not need them in memory
    if "discover" in which:
        found = discover(log, job.discover, prefiltered=True)
        columns = EventLog.from_frame(pl.DataFrame(schema=pl.read_parquet_schema(job.file)), Provenance(),
                                      assume_sorted=True)  # every column of the part, none of its events
        out["discover"] = tuple(replace(d, scope=replace(d.scope, process=job.process, log=columns))
                                for d in found)
    return out


def prepare_remote(part: Part, context: tuple) -> Prepared:
    """:func:`prepare` on a worker, with the run's vocabulary and limits."""
    return cluster.extended_call(prepare, context, part)


def office_steps_remote(item: tuple[Steps, tuple[str, ...]], context: tuple) -> dict[str, Any]:
    """:func:`office_steps` of ``(job, which)`` on a worker, with the run's vocabulary and limits."""
    return cluster.extended_call(office_steps, context, *item)


def discoveries_sorted(found: list[Discovery]) -> tuple[Discovery, ...]:
    return tuple(sorted(found, key=lambda d: (d.scope.office, d.scope.process or "")))
