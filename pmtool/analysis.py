"""The whole analysis as one library call: ingest → conform → discover → aggregate → compare.

The CLI's ``pmtool run`` and the notebooks call :func:`run_analysis`; the report renders its result.
Given a :class:`~pmtool.stage_cache.StageCache`, every stage's result is kept under the SHA-256 of its
inputs and reused when they have not changed (the run records which steps came from the cache). Bundles
always pass through their JSON form, so comparing from logs and comparing from bundle files give the same
numbers.

>>> from pmtool.project import load_project
>>> analysis = run_analysis(load_project(Path("data/demo.toml")), key=None,
...                         allow_identifiable=True)  # doctest: +SKIP
>>> analysis.findings.select("process", "office", "item", "score").head(3)  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

import polars as pl

from pmtool import cluster, limits
from pmtool.compare.allowlist import Allowlist, data_day, load_allowlist
from pmtool.compare.bundle import AggregateSettings, Bundle
from pmtool.compare.compare import CompareSettings, Comparison, compare, privacy_threshold
from pmtool.compare.gate import GateSettings
from pmtool.compare.outcome import SCHEMA as COMPARABILITY_SCHEMA
from pmtool.compare.outcome import Outcome, comparability_table
from pmtool.compare.outcome import outcome as outcome_of
from pmtool.compare.practice import best_practice
from pmtool.compare.priority import priority_matrix
from pmtool.compare.publication import DISCLOSURE_COLUMNS, disclosure_table
from pmtool.compare.statements import statement
from pmtool.compare.throughput import compare_throughput
from pmtool.compare.trend import trend
from pmtool.conform.alignments import Alignment, AlignmentCache
from pmtool.conform.conformance import (
    ConformanceResult,
    ConformanceSettings,
    SpooledConformance,
    combine_spooled,
    label_counts,
    per_office_settings,
    process_labels_of,
)
from pmtool.conform.labels import LabelCheck, LabelCounts, LabelSettings, apply_task_labels
from pmtool.conform.rules_check import RuleResults
from pmtool.discover.dfg import DirectlyFollowsGraph
from pmtool.discover.discovery import DiscoverSettings, Discovery
from pmtool.discover.inductive import IstModel
from pmtool.discover.mining import Mining
from pmtool.discover.scope import Scope
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.filters import Variants, check_activities, filter_event_log, named_activities, parse_filters
from pmtool.eventlog.log import EventLog, Provenance, SourceInfo, read_parquet
from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.ingest.pipeline import IngestResult, IngestSummary, SpooledIngest, ingest
from pmtool.ingest.profile import MappingProfile, load_profile
from pmtool.ingest.pseudonymise import PseudonymKey
from pmtool.models.petri import PetriNet, Transition
from pmtool.models.reference import ReferenceModel, load_reference
from pmtool.models.tree import ProcessTree
from pmtool.office_steps import (
    STEPS,
    Part,
    Prepared,
    Steps,
    discoveries_sorted,
    office_steps,
    office_steps_remote,
    offices_in,
    prepare,
    prepare_remote,
    prepared,
    process_columns,
)
from pmtool.project import ExportSource, ProcessConfig, Project
from pmtool.spool import Spool, SpooledFrame, SpooledLog
from pmtool.stage_cache import Files, StageCache, load_frames, save_frames, sha256_bytes, sha256_file, value_codec
from pmtool.vocabulary import extended, vocabulary

Progress = Callable[[str, str], None]  # (step, detail), called when a step starts
T = TypeVar("T")
_FRAMES = ("table", "findings_raw", "findings", "priorities", "trend", "throughput", "disclosure", "comparability")
# what the conform and discover steps keep in the stage cache: these classes' fields as data, tables as Arrow
_LABELS_CODEC = value_codec(LabelCheck, LabelSettings)
_CONFORM_CODEC = value_codec(ConformanceResult, RuleResults, Alignment, LabelCheck, LabelSettings)
_DISCOVER_CODEC = value_codec(Discovery, Scope, EventLog, Provenance, SourceInfo, DirectlyFollowsGraph, IstModel,
                              ProcessTree, PetriNet, Transition, Mining, DiscoverSettings)


@dataclass(frozen=True)
class ProcessAnalysis:
    process: str
    reference: ReferenceModel
    logs: SpooledLog  # the process's log as the analysis saw it (labelled, filtered), on disk
    results: SpooledConformance  # its conformance, the per-case tables on disk
    discoveries: tuple[Discovery, ...]  # each scope with its log's columns and provenance, not its events
    bundles: tuple[Bundle, ...]

    @property
    def log(self) -> EventLog:
        """The process's log as the analysis saw it, read from the run's spool folder on every call."""
        return self.logs.load()

    @cached_property
    def conformance(self) -> ConformanceResult:
        """The process's conformance in memory, read from the run's spool folder when first asked (the run
        itself writes its tables from disk: :attr:`results`)."""
        return self.results.load()


@dataclass(frozen=True)
class ComparisonTables:
    """The comparison with everything derived from it: ranked findings in words with best practice, the
    process prioritisation matrix, the trend per period, throughput times, and the disclosure audit (every
    hidden cell with the interval the published numbers leave for it)."""

    comparison: Comparison
    findings: pl.DataFrame
    priorities: pl.DataFrame
    trend: pl.DataFrame
    throughput: pl.DataFrame
    disclosure: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DISCLOSURE_COLUMNS))
    comparability: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=COMPARABILITY_SCHEMA))

    def frames(self) -> dict[str, pl.DataFrame]:
        """The output tables by file name: comparison, findings, priorities, trend, throughput, disclosure,
        comparability."""
        return {"comparison": self.comparison.table, "findings": self.findings, "priorities": self.priorities,
                "trend": self.trend, "throughput": self.throughput, "disclosure": self.disclosure,
                "comparability": self.comparability}

    @property
    def outcome(self) -> Outcome:
        """Findings, no findings, or (not everything) compared — see :mod:`pmtool.compare.outcome`."""
        return outcome_of(self.comparability, open_findings(self.findings))

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


@dataclass(frozen=True)
class StepRecord:
    """One step of a run: ``stage`` (ingest, conform, discover, aggregate, compare), what it worked on,
    whether the result came from the cache, and how long it took."""

    stage: str
    item: str
    cached: bool
    seconds: float


@dataclass(frozen=True)
class Analysis:
    project: Project
    ingests: tuple[IngestResult, ...]
    processes: dict[str, ProcessAnalysis]
    comparison: Comparison
    findings: pl.DataFrame  # ranked findings with statements (de, en) and best practice
    priorities: pl.DataFrame
    trend: pl.DataFrame
    as_of: datetime | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    steps: tuple[StepRecord, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)  # "stage:item" → cache key (with a cache)
    throughput: pl.DataFrame = field(default_factory=pl.DataFrame)  # per office vs the others (histograms)
    disclosure: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DISCLOSURE_COLUMNS))
    comparability: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=COMPARABILITY_SCHEMA))
    workers: WorkerPlan | None = None  # the worker processes asked for and used on this machine

    @property
    def outcome(self) -> Outcome:
        """Findings, no findings, or (not everything) compared — see :mod:`pmtool.compare.outcome`."""
        return outcome_of(self.comparability, open_findings(self.findings))

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def open_findings(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings not accepted in the allowlist."""
    return findings.filter(~pl.col("accepted")) if findings.height else findings


def _noop(step: str, detail: str) -> None:
    return None


class StageRunner:
    """Runs stage steps through the cache when there is one (``store``), tells ``progress`` when each starts,
    and records each as a :class:`StepRecord` with the cache key in ``fingerprints``."""

    def __init__(self, store: StageCache | None, progress: Progress) -> None:
        self.store = store
        self.progress = progress
        self.steps: list[StepRecord] = []
        self.fingerprints: dict[str, str] = {}

    def run(self, stage: str, item: str, parts: Callable[[], list[Any]], compute: Callable[[], T],
            save: Callable[[T, Path], None], load: Callable[[Path], T],
            events: int | Callable[[T], int] | None = None) -> T:
        """The step's value (computed, or from the cache). ``events``: how many events the step worked on
        (or how to count them in its value), told to a ``progress`` that has a ``finished(stage, item,
        events, cached=…)`` method (the command line's bars show events per second of the steps computed)."""
        self.progress(stage, item)
        start = perf_counter()
        if self.store is None:
            value, cached = compute(), False
        else:
            key = self.store.key(stage, *parts())
            self.fingerprints[f"{stage}:{item}" if item else stage] = key
            value, cached = self.store.memo(stage, key, compute, save=save, load=load)
        self.steps.append(StepRecord(stage, item, cached, perf_counter() - start))
        finished = getattr(self.progress, "finished", None)
        if finished is not None and events is not None:
            finished(stage, item, events(value) if callable(events) else events, cached=cached)
        return value

    def key(self, stage: str, item: str = "") -> str | None:
        return self.fingerprints.get(f"{stage}:{item}" if item else stage)


def run_analysis(project: Project, *, key: PseudonymKey | None, allow_identifiable: bool = False,
                 progress: Progress = _noop, cache: AlignmentCache | None = None,
                 discover_models: bool = True, store: StageCache | None = None) -> Analysis:
    """Run every stage for every office and process of ``project``.

    ``key`` pseudonymises the exports (``None`` only with ``allow_identifiable``); ``progress`` is told
    when each step starts; ``discover_models=False`` skips the Ist models (the comparison does not need
    them); ``store`` reuses unchanged stage results. Raises the library's :class:`~pmtool.errors.PmtoolError`
    subclasses for bad inputs.
    """
    with extended(project.vocabulary_files), limits.configured(project.limits):
        return _run_analysis(project, key=key, allow_identifiable=allow_identifiable, progress=progress,
                             cache=cache, discover_models=discover_models, store=store)


def check_inputs(project: Project) -> None:
    """Read what ``project`` names besides its exports — limits, allowlist, mapping profiles, Soll models with
    their rule packs and label maps — and raise the first error (the run reads them again; they are small), so
    that a bad one stops a run before anything is written."""
    limits.checked(project.limits, str(project.source) if project.source else None)
    with extended(project.vocabulary_files), limits.configured(project.limits):
        if project.allowlist:
            load_allowlist(project.allowlist)
        for profile in sorted({s.profile for s in project.exports if s.profile}):
            load_profile(profile)
        for pid, config in project.processes.items():
            _reference(pid, config)


#: Exports of at least this many bytes together make a run use ``workers`` processes on this machine
#: (for smaller runs, starting them costs more than they save).
PARALLEL_FROM = 16 << 20


@dataclass(frozen=True)
class WorkerPlan:
    """The worker processes a run asked for (``wanted``: the project's ``workers``) and the ones it used on
    this machine for the offices (``used``; 1: the run's own process), with why fewer: ``"small_exports"``
    (together below :data:`PARALLEL_FROM` bytes), ``"memory_budget"`` (``[limits] memory_mb``) or
    ``"scheduler"`` (the offices went to a Dask cluster). ``export_bytes``: the exports' size on disk."""

    wanted: int
    used: int
    reason: str | None = None
    export_bytes: int = 0

    def describe(self) -> str | None:
        """One line on why fewer worker processes than asked for worked here (``None``: as many, or a cluster)."""
        if self.reason == "small_exports":
            from pmtool.conform.alignments import PARALLEL_MIN_VARIANTS

            return t("run.workers_small", wanted=self.wanted, size=format_number(self.export_bytes / 2**20, decimals=1),
                     limit=format_number(PARALLEL_FROM / 2**20), min=PARALLEL_MIN_VARIANTS)
        if self.reason == "memory_budget":
            return t("run.memory_budget", budget=limits.current().memory_mb, n=self.used, wanted=self.wanted)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"used": self.used, "reason": self.reason}


def worker_plan(project: Project) -> WorkerPlan:
    """The worker processes a run of ``project`` uses on this machine: the project's ``workers`` for exports
    of :data:`PARALLEL_FROM` bytes or more, as many as the memory budget holds (``[limits] memory_mb``)."""
    sizes, needs = [0], [0.0]
    for source in project.exports:
        try:
            sizes.append(source.path.stat().st_size)
        except OSError:
            continue  # a database, or a file that the import will name
        needs.append(limits.worker_need(source.path))
    wanted, total = project.workers, sum(sizes)
    if wanted <= 1:
        return WorkerPlan(wanted, wanted, None, total)
    if cluster.client() is not None:
        return WorkerPlan(wanted, 1, "scheduler", total)
    if total < PARALLEL_FROM:
        return WorkerPlan(wanted, 1, "small_exports", total)
    planned = limits.planned_workers(wanted, max(needs))
    return WorkerPlan(wanted, planned, "memory_budget" if planned < wanted else None, total)


def _local_workers(plan: WorkerPlan, progress: Progress) -> int:
    """``plan``'s number, with the memory budget's line told where the run's progress is shown."""
    note = getattr(progress, "note", None)
    if plan.reason == "memory_budget" and note is not None:
        note(plan.describe())
    return plan.used


def _run_analysis(project: Project, *, key: PseudonymKey | None, allow_identifiable: bool, progress: Progress,
                  cache: AlignmentCache | None, discover_models: bool, store: StageCache | None) -> Analysis:
    allowlist = load_allowlist(project.allowlist) if project.allowlist else Allowlist()  # fail early
    stages = StageRunner(store, progress)
    plan = worker_plan(project)
    with cluster.local_workers(_local_workers(plan, progress)):  # they end with the offices' steps
        ingests, references, processes = _offices(project, stages, key=key, allow_identifiable=allow_identifiable,
                                                  cache=cache or AlignmentCache(), discover_models=discover_models)
    return replace(_compared(project, stages, allowlist, ingests, references, processes), workers=plan)


def _offices(project: Project, stages: StageRunner, *, key: PseudonymKey | None, allow_identifiable: bool,
             cache: AlignmentCache, discover_models: bool
             ) -> tuple[tuple[SpooledIngest, ...], dict[str, ReferenceModel], dict[str, ProcessAnalysis]]:
    """Import every export, then work on each process office by office: its imports and per-office steps."""
    store = stages.store
    spool = Spool()  # every log of the run waits on disk; memory holds one office's part at a time
    context = cluster.project_context(project)
    ingests: list[SpooledIngest] = []
    log_sha: dict[ExportSource, str | None] = {}
    targets = {s: spool.file(f"export-{i:04d}.parquet") for i, s in enumerate(project.exports)}
    ahead = _ingests_ahead(project, stages, key, allow_identifiable, targets)
    for source in project.exports:
        result = stages.run("ingest", f"{source.office} {source.process}",
                            lambda s=source: _ingest_parts(s, key, allow_identifiable),
                            lambda s=source: (ahead.pop(s)() if s in ahead
                                              else _ingest_spooled(s, key, allow_identifiable, targets[s])),
                            _save_ingest, lambda files, s=source: _load_ingest(files, targets[s]),
                            lambda v: v.summary.rows_loaded)
        ingests.append(replace(result, spool=spool))
        log_sha[source] = sha256_file(result.file)
    note = getattr(stages.progress, "note", None)
    if note is not None:
        for process, file, offices in same_exports(project.exports, [r.summary.sha256 for r in ingests]):
            note(t("run.same_export", offices=", ".join(offices), process=process, file=file))
    references = {pid: _reference(pid, p) for pid, p in project.processes.items()}
    conform_settings = ConformanceSettings(incomplete=project.incomplete, as_of=project.as_of,
                                           stale_after_days=project.stale_after_days, workers=project.workers)
    aggregate_settings = AggregateSettings(suppress_below=project.privacy_threshold, period=project.period)
    processes: dict[str, ProcessAnalysis] = {}
    for number, (pid, reference) in enumerate(references.items()):
        sources = [(s, r) for s, r in zip(project.exports, ingests, strict=True) if s.process == pid]
        if not sources:
            continue
        chosen = project.filters_for(pid)
        # conformance, bundles and maps see the same cases: each office's part, labelled and filtered
        parts = _prepare(pid, number, reference, [r.file for _, r in sources], chosen, spool, context)
        logs = sorted((s.office, s.path.name, log_sha[s]) for s, _ in sources)
        settings_p = replace(conform_settings, labels=project.processes[pid].label_settings)
        counts = (LabelCounts.combine([p.counts for p in parts if p.counts is not None]) if parts
                  else label_counts(EventLog.from_frame(schema.empty_frame()), reference))
        labels = stages.run(  # all offices together (it stops when fatal, and then nothing is cached)
            "labels", pid,
            lambda lg=logs, r=reference, c=settings_p, f=chosen: [lg, r.fingerprint, c.labels,
                                                                  vocabulary().fingerprint, list(f)],
            lambda n=counts, r=reference, c=settings_p: process_labels_of(n, r, c.labels), *_LABELS_CODEC)
        # one moment for every office, so that each office's stages depend on its own log only
        as_of = settings_p.as_of or (max(p.last for p in parts if p.last is not None) if parts else None)
        office_settings = per_office_settings(settings_p, reference, as_of)
        coverage = {p.office: p.coverage for p in parts if p.coverage is not None}
        settings_a = replace(aggregate_settings, filters=chosen)
        discover_settings = _discover_settings(pid, project)
        remote = cluster.remote()
        jobs: dict[str, Steps] = {}
        keys: dict[str, dict[str, list[Any]]] = {}
        for p in parts:  # offices a filter left, in order
            office, item = p.office, f"{pid} {p.office}"
            assert p.file is not None
            # a filter that chooses across offices (the most frequent variants) ties each office to all logs
            inputs = logs if _cross_office(chosen) else [x for x in logs if x[0] == office]
            calendars = {office: project.calendars[office]} if office in project.calendars else {}
            one = 1 if remote else project.workers  # a worker process aligns and mines by itself
            jobs[office] = Steps(pid, office, p.file, reference, replace(office_settings, workers=one), calendars,
                                 replace(discover_settings, workers=one), settings_a,
                                 {office: coverage[office]} if office in coverage else None,
                                 spool.file(f"conform-{number:03d}-{len(jobs):04d}"))
            conform_parts = [inputs, reference.fingerprint, reference.rules.sha256 if reference.rules else None,
                             _settings_parts(office_settings), calendars, vocabulary().fingerprint, list(chosen)]
            keys[office] = {"conform": conform_parts,
                            "discover": [inputs, discover_settings.to_dict(), vocabulary().fingerprint],
                            "aggregate": [None, settings_a, coverage.get(office)]}
            if store is not None:
                keys[office]["aggregate"][0] = store.key("conform", *conform_parts)
        wanted = [s for s in STEPS if discover_models or s != "discover"]
        ahead_steps = _steps_ahead(jobs, keys, wanted, store, context) if remote else {}
        results: list[SpooledConformance] = []
        found: list[Discovery] = []
        process_bundles: tuple[Bundle, ...] = ()
        for office, job in jobs.items():
            item = f"{pid} {office}"
            later = ahead_steps.get(office)

            def step(name: str, known: SpooledConformance | None = None, job: Steps = job,
                     later: tuple[tuple[str, ...], Callable[[], dict[str, Any]]] | None = later) -> Any:
                if later is not None and name in later[0]:
                    return later[1]()[name]
                return office_steps(job, (name,), known, cache=cache)[name]

            events = next(p.events for p in parts if p.office == office)
            result = stages.run("conform", item, lambda k=keys[office]["conform"]: k,
                                lambda s=step: s("conform"), _save_conform,
                                lambda files, j=job: _load_conform(files, j.tables), events)
            results.append(result)
            if discover_models:
                found.extend(stages.run("discover", item, lambda k=keys[office]["discover"]: k,
                                        lambda s=step: s("discover"), *_DISCOVER_CODEC, events))
            texts = stages.run("aggregate", item, lambda k=keys[office]["aggregate"]: k,
                               lambda s=step, r=result: s("aggregate", r), _save_texts, _load_texts, events)
            process_bundles += tuple(Bundle.from_json(text, f"<{item} bundle>") for text in texts)
        # the offices' tables stay in their spool files, joined in office order
        result = combine_spooled(sorted(results, key=lambda r: r.summary[schema.OFFICE][0]), labels, spool)
        log = SpooledLog(tuple(p.file for p in parts if p.file is not None), Provenance(), spool)
        processes[pid] = ProcessAnalysis(pid, reference, log, result, discoveries_sorted(found), process_bundles)
    return tuple(ingests), references, processes


def _compared(project: Project, stages: StageRunner, allowlist: Allowlist, ingests: tuple[SpooledIngest, ...],
              references: dict[str, ReferenceModel], processes: dict[str, ProcessAnalysis]) -> Analysis:
    """The comparison of every process's bundles, and the whole analysis."""
    bundles = [b for pa in processes.values() for b in pa.bundles]
    allowlist = replace(allowlist, today=data_day(bundles, project.as_of))
    process_names = {pid: c.name for pid, c in project.processes.items() if c.name}
    settings = CompareSettings(fdr=project.comparison.get("fdr", 0.05), gate=GateSettings(**{
        k: v for k, v in project.comparison.items() if k != "fdr"}), privacy_threshold=project.privacy_threshold)
    tables = stages.run(
        "compare", "",
        lambda: [[sha256_bytes(b.to_json().encode()) for b in bundles],
                 {p: [r.fingerprint, r.rules.sha256 if r.rules else None] for p, r in references.items()},
                 settings, allowlist, project.privacy_threshold, project.office_names, project.priorities,
                 process_names],
        lambda: compare_bundles(bundles, references, settings=settings, allowlist=allowlist,
                                min_cases=project.privacy_threshold, office_names=project.office_names,
                                weights=project.priorities, process_names=process_names),
        _save_tables, lambda files: _load_tables(files, settings))
    timings: dict[str, float] = {}
    for record in stages.steps:
        timings[record.stage] = timings.get(record.stage, 0.0) + record.seconds
    return Analysis(project, ingests, processes, tables.comparison, tables.findings, tables.priorities,
                    tables.trend, project.as_of, timings, tuple(stages.steps), dict(stages.fingerprints),
                    tables.throughput, tables.disclosure, tables.comparability)


def _prepare(pid: str, number: int, reference: ReferenceModel, files: list[Path], chosen: tuple[str, ...],
             spool: Spool, context: tuple) -> list[Prepared]:
    """Each office's part of the process, prepared in the spool (see :mod:`pmtool.office_steps`): the offices
    a filter left, in order. Filters are checked as a whole: a label no office shows, or no event left."""
    columns = process_columns(tuple(files))
    if _cross_office(chosen):  # the filter looks at all offices together: the whole log, here
        frame = pl.concat([pl.DataFrame(schema=dict(columns)), *(pl.read_parquet(f) for f in files)],
                          how="diagonal_relaxed")
        whole = filter_event_log(apply_task_labels(EventLog.from_frame(frame), reference), chosen, scope=pid)
        return [prepared(EventLog.from_frame(part, whole.provenance, assume_sorted=True), reference, office,
                         spool.file(f"part-{number:03d}-{i:04d}.parquet"))
                for i, ((office,), part) in enumerate(
                    whole.frame.partition_by(schema.OFFICE, maintain_order=True, as_dict=True).items())]
    holding: dict[str, list[Path]] = {}
    for file in files:
        for office in offices_in(file):
            holding.setdefault(office, []).append(file)
    jobs = [Part(pid, office, tuple(held), columns, reference, tuple(chosen),
                 spool.file(f"part-{number:03d}-{i:04d}.parquet"))
            for i, (office, held) in enumerate(sorted(holding.items()))]
    if cluster.remote():
        weights = [sum(limits.file_size(f) for f in job.files) for job in jobs]  # two large parts apart
        done = [later() for later in cluster.map_later(prepare_remote, jobs, context, weights=weights)]
    else:
        done = [prepare(job) for job in jobs]
    if chosen:
        steps = parse_filters(chosen).steps
        if named_activities(steps):
            seen = sorted({a for p in done for a in p.activities})
            check_activities(steps, pl.DataFrame({schema.ACTIVITY: seen}, schema={schema.ACTIVITY: pl.String}))
        if not any(p.events for p in done):
            raise ConfigError("filter.empty", Location(), scope=pid, filters=parse_filters(chosen).describe())
    return [p for p in done if p.events]


def _steps_ahead(jobs: dict[str, Steps], keys: dict[str, dict[str, list[Any]]], wanted: list[str],
                 store: StageCache | None, context: tuple
                 ) -> dict[str, tuple[tuple[str, ...], Callable[[], dict[str, Any]]]]:
    """Each office's steps the stage cache does not hold, started now on the workers: per office, the steps
    and how to wait for their results."""
    todo: list[tuple[str, tuple[str, ...]]] = []
    for office in jobs:
        which = tuple(s for s in wanted if store is None
                      or not store.path(s, store.key(s, *keys[office][s])).exists())
        if which:
            todo.append((office, which))
    later = cluster.map_later(office_steps_remote, [(jobs[o], which) for o, which in todo], context,
                              weights=[limits.file_size(jobs[o].file) for o, _ in todo])  # two large offices apart
    return {office: (which, _once(wait)) for (office, which), wait in zip(todo, later, strict=True)}


def same_exports(sources: Sequence[ExportSource], sha256: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    """Exports of one process that several offices give with the same content (``sha256`` of each source):
    ``(process, first file's name, offices)`` for each — comparing them compares a log with itself, most likely
    a path copied in the project file."""
    groups: dict[tuple[str, str], list[ExportSource]] = {}
    for source, digest in zip(sources, sha256, strict=True):
        groups.setdefault((source.process, digest), []).append(source)
    return [(process, group[0].path.name, sorted({s.office for s in group}))
            for (process, _), group in groups.items() if len({s.office for s in group}) > 1]


def _once(wait: Callable[[], T]) -> Callable[[], T]:
    """``wait`` called at most once (its result kept)."""
    kept: list[T] = []

    def value() -> T:
        if not kept:
            kept.append(wait())
        return kept[0]
    return value


def _cross_office(texts: Sequence[str]) -> bool:
    """Whether a filter chooses cases by looking at all offices together (the most frequent variants)."""
    return any(isinstance(step, Variants) for step in parse_filters(texts).steps)


def _reference(pid: str, config: ProcessConfig) -> ReferenceModel:
    """The Soll model of a project's process, known by the project's process id (a model without a rule pack
    outside the vocabulary would otherwise go by its own name); a rule pack for another process is an error."""
    reference = load_reference(config.model, config.rules, config.labels)
    if reference.rules is not None and reference.rules.process != pid:
        raise ConfigError("cli.compare.process_mismatch", Location(str(config.rules)), process=pid,
                          model_process=reference.rules.process)
    return replace(reference, process=pid)


def _discover_settings(pid: str, project: Project) -> DiscoverSettings:
    # a process outside the vocabulary: its log (the process's exports) is discovered as a whole
    known = pid in vocabulary().processes
    return DiscoverSettings(process=pid if known else None, workers=project.workers,
                            filters=project.filters_for(pid))


def _ingests_ahead(project: Project, stages: StageRunner, key: PseudonymKey | None, allow_identifiable: bool,
                   targets: Mapping[ExportSource, Path]) -> dict[ExportSource, Callable[[], SpooledIngest]]:
    """With worker processes or a cluster: every export the cache does not hold, imported on the workers
    (office × process) into its spool file, each waited for when its step comes."""
    if not cluster.remote():
        return {}
    store = stages.store
    todo = [s for s in project.exports
            if store is None or not store.path("ingest", store.key("ingest", *_ingest_parts(s, key, allow_identifiable))
                                               ).exists()]
    later = cluster.map_later(_ingest_remote, [(s, targets[s]) for s in todo], key, allow_identifiable,
                              cluster.project_context(project),
                              weights=[limits.import_memory(s.path) for s in todo])  # two large imports not at once
    return dict(zip(todo, later, strict=True))


def _ingest_remote(item: tuple[ExportSource, Path], key: PseudonymKey | None, allow_identifiable: bool,
                   context: tuple) -> SpooledIngest:
    source, target = item
    return cluster.extended_call(_ingest_spooled, context, source, key, allow_identifiable, target)


def compare_bundles(bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel], *,
                    settings: CompareSettings | None = None, allowlist: Allowlist | None = None,
                    min_cases: int = 5, office_names: Mapping[str, str] | None = None,
                    weights: Mapping[str, float] | None = None,
                    process_names: Mapping[str, str] | None = None) -> ComparisonTables:
    """Compare the offices of ``bundles`` (see :func:`pmtool.compare.compare.compare`) and derive the
    findings in words, the prioritisation matrix (processes with at least ``min_cases`` cases per office
    count for the spread; ``weights`` per factor, see :func:`pmtool.compare.priority.priority_matrix`), the
    trend, the throughput times and the disclosure audit. Every table holds only what may be published: the
    cells the comparison hides are empty in all of them. ``office_names`` (id → display name, default the
    id) fill the tables' ``office_name`` column and the statements; ``process_names`` (id → name, default the
    vocabulary's name, else the process id) the ``process_name`` column of the prioritisation matrix."""
    names = dict(office_names or {})
    bundles = sorted(bundles, key=lambda b: (b.process, b.period, b.office))  # same order from any source
    comparison = compare(bundles, references, settings=settings, allowlist=allowlist)
    protection = comparison.protection
    hidden = protection.hidden if protection else frozenset()
    comparison = replace(comparison, table=with_office_names(comparison.table, names),
                         findings=with_office_names(comparison.findings, names))
    comparability = comparability_table(bundles, comparison.settings.gate, names)
    # a process none of whose periods had two offices compared is not ranked (pmtool.compare.priority)
    comparable = {p.process for p in outcome_of(comparability, 0).processes if p.status != "not_comparable"}
    return ComparisonTables(comparison, enrich_findings(comparison, bundles, dict(references), names),
                            priority_matrix(bundles, references, min_cases=min_cases, hidden=hidden,
                                            weights=weights, names=process_names, comparable=comparable),
                            trend(comparison.table) if comparison.table.height else pl.DataFrame(),
                            with_office_names(compare_throughput(bundles, fdr=comparison.settings.fdr,
                                                                 gate=comparison.settings.gate, hidden=hidden),
                                              names),
                            disclosure_table(protection) if protection else pl.DataFrame(schema=DISCLOSURE_COLUMNS),
                            comparability)


def with_office_names(frame: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """``frame`` with an ``office_name`` column right after ``office`` (the display name, else the id)."""
    if "office" not in frame.columns:
        return frame
    named = frame.with_columns(pl.col("office").replace_strict(dict(names), default=pl.col("office"),
                                                               return_dtype=pl.String).alias("office_name"))
    order = [c for c in frame.columns if c != "office_name"]
    at = order.index("office") + 1
    return named.select([*order[:at], "office_name", *order[at:]])


def enrich_findings(comparison: Comparison, bundles: list[Bundle], references: dict[str, ReferenceModel],
                    office_names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Findings with their German and English statements (naming offices by display name) and best
    practice (``best_offices`` by id, ``best_office_names`` by display name)."""
    findings = comparison.findings
    if findings.height == 0:
        return findings
    names = dict(office_names or {})
    practice = best_practice(comparison.table, bundles, references,
                             k=privacy_threshold(bundles, comparison.settings))
    practice = practice.with_columns(pl.col("best_offices").map_elements(
        lambda text: ", ".join(names.get(o.strip(), o.strip()) for o in text.split(",")) if text else text,
        return_dtype=pl.String).alias("best_office_names"))
    rows = [{**r, "office": names.get(r["office"], r["office"])} for r in findings.to_dicts()]
    return findings.with_columns(
        pl.Series("statement_de", [statement(r, "de") for r in rows]),
        pl.Series("statement_en", [statement(r, "en") for r in rows]),
    ).join(practice, on="finding_id", how="left")


def _ingest_spooled(source: ExportSource, key: PseudonymKey | None, allow_identifiable: bool,
                    target: Path) -> SpooledIngest:
    return SpooledIngest.of(_ingest(source, key, allow_identifiable), target)


def _ingest(source: ExportSource, key: PseudonymKey | None, allow_identifiable: bool) -> IngestResult:
    profile = load_profile(source.profile) if source.profile else MappingProfile()
    try:
        return ingest(source.path, profile, office=source.office, office_source="project", key=key,
                      allow_identifiable=allow_identifiable)
    except ConfigError as error:
        if error.key != "ingest.needs_profile":
            raise
        # a project run has no --profile option: the profile belongs in the export's entry of the project file
        raise ConfigError("ingest.needs_profile_project", error.location, **error.params) from None


def _ingest_parts(source: ExportSource, key: PseudonymKey | None, allow_identifiable: bool) -> list[Any]:
    return [source.office, source.process, source.path.name, sha256_file(source.path),
            load_profile(source.profile).sha256 if source.profile else None,  # content: comments do not count
            key.key_id if key else None, allow_identifiable, pl.__version__, vocabulary().fingerprint]


def _save_ingest(result: SpooledIngest, folder: Path) -> None:
    result.write_log(folder / "log.parquet")
    result.quarantine.write_parquet(folder / "quarantine.parquet")
    (folder / "summary.json").write_text(json.dumps(result.summary.to_dict(), ensure_ascii=False), "utf-8")


def _load_ingest(files: Files, target: Path) -> SpooledIngest:
    summary = IngestSummary(**json.loads(files["summary.json"].decode("utf-8")))
    log = files["log.parquet"]
    read_parquet(log)  # a canonical log (the cache's own check), then spooled as it is
    target.write_bytes(log)
    return SpooledIngest(target, pl.read_parquet(io.BytesIO(files["quarantine.parquet"])), summary)


_SPOOLED_TABLES = ("cases", "deviations", "rules")


def _save_conform(result: SpooledConformance, folder: Path) -> None:
    """An office's conformance in the stage cache: the result without its per-case tables as data, the
    tables as the Parquet files they are in the spool."""
    _CONFORM_CODEC[0](result.head, folder)
    for table in _SPOOLED_TABLES:
        spooled = getattr(result, table)
        if spooled is None:
            continue
        if len(spooled.files) == 1:
            shutil.copyfile(spooled.files[0], folder / f"{table}.parquet")
        else:  # a slice of cases per file: the cache holds them all, one after another
            spooled.scan().sink_parquet(folder / f"{table}.parquet")


def _load_conform(files: Files, stem: Path) -> SpooledConformance:
    head: ConformanceResult = _CONFORM_CODEC[1](files)
    tables: dict[str, SpooledFrame | None] = {}
    for table in _SPOOLED_TABLES:
        data = files.get(f"{table}.parquet")
        if data is None:
            tables[table] = None
            continue
        target = stem.with_name(f"{stem.name}-{table}.parquet")
        target.write_bytes(data)
        tables[table] = SpooledFrame.of_file(target)
    cases, deviations = tables["cases"], tables["deviations"]
    assert cases is not None and deviations is not None
    return SpooledConformance(head, cases, deviations, tables["rules"])


def _settings_parts(settings: ConformanceSettings) -> ConformanceSettings:
    return replace(settings, workers=1)  # the number of worker processes does not change results


def _save_texts(texts: list[str], folder: Path) -> None:
    for i, text in enumerate(texts):
        (folder / f"{i:04d}.json").write_text(text, "utf-8")


def _load_texts(files: Files) -> list[str]:
    return [files[name].decode("utf-8") for name in sorted(files) if name.endswith(".json")]


def _save_tables(tables: ComparisonTables, folder: Path) -> None:
    save_frames({"table": tables.comparison.table, "findings_raw": tables.comparison.findings,
                 "findings": tables.findings, "priorities": tables.priorities, "trend": tables.trend,
                 "throughput": tables.throughput, "disclosure": tables.disclosure,
                 "comparability": tables.comparability}, folder)


def _load_tables(files: Files, settings: CompareSettings) -> ComparisonTables:
    f = load_frames(files, _FRAMES)
    return ComparisonTables(Comparison(f["table"], f["findings_raw"], settings), f["findings"], f["priorities"],
                            f["trend"], f["throughput"], f["disclosure"], f["comparability"])
