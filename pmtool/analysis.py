"""The whole analysis as one library call: ingest → discover → conform → aggregate → compare.

The CLI's ``pmtool run`` and the notebooks call :func:`run_analysis`; the report renders its result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from pmtool.compare.allowlist import Allowlist, load_allowlist
from pmtool.compare.bundle import AggregateSettings, Bundle, aggregate
from pmtool.compare.compare import CompareSettings, Comparison, compare
from pmtool.compare.gate import GateSettings
from pmtool.compare.practice import best_practice
from pmtool.compare.priority import priority_matrix
from pmtool.compare.statements import statement
from pmtool.compare.trend import trend
from pmtool.conform.alignments import AlignmentCache
from pmtool.conform.conformance import ConformanceResult, ConformanceSettings, conform
from pmtool.discover.discovery import DiscoverSettings, Discovery, discover
from pmtool.eventlog.log import EventLog
from pmtool.ingest.pipeline import IngestResult, ingest
from pmtool.ingest.profile import MappingProfile, load_profile
from pmtool.ingest.pseudonymise import PseudonymKey
from pmtool.models.reference import ReferenceModel, load_reference
from pmtool.project import Project

Progress = Callable[[str, str], None]  # (step, detail)


@dataclass(frozen=True)
class ProcessAnalysis:
    process: str
    reference: ReferenceModel
    log: EventLog
    conformance: ConformanceResult
    discoveries: tuple[Discovery, ...]
    bundles: tuple[Bundle, ...]


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
    timings: dict[str, float] = field(default_factory=dict)


def _noop(step: str, detail: str) -> None:
    return None


def run_analysis(project: Project, *, key: PseudonymKey | None, allow_identifiable: bool = False,
                 progress: Progress = _noop, cache: AlignmentCache | None = None,
                 discover_models: bool = True) -> Analysis:
    """Run every stage for every office and process of ``project``."""
    cache = cache or AlignmentCache()
    ingests: list[IngestResult] = []
    frames: dict[str, list[pl.DataFrame]] = {p: [] for p in project.processes}
    for source in project.exports:
        progress("ingest", f"{source.office} {source.process}")
        profile = load_profile(source.profile) if source.profile else MappingProfile()
        result = ingest(source.path, profile, office=source.office, key=key, allow_identifiable=allow_identifiable)
        ingests.append(result)
        frames[source.process].append(result.log.frame)
    references = {pid: load_reference(p.model, p.rules) for pid, p in project.processes.items()}
    processes: dict[str, ProcessAnalysis] = {}
    bundles: list[Bundle] = []
    coverage = {r.summary.office: r.summary.coverage for r in ingests}
    for pid, reference in references.items():
        if not frames[pid]:
            continue
        log = EventLog.from_frame(pl.concat(frames[pid], how="diagonal_relaxed"))
        progress("conform", pid)
        result = conform(log, reference, calendars=project.calendars, cache=cache,
                         settings=ConformanceSettings(incomplete=project.incomplete, as_of=project.as_of,
                                                      stale_after_days=project.stale_after_days,
                                                      workers=project.workers))
        discoveries: tuple[Discovery, ...] = ()
        if discover_models:
            progress("discover", pid)
            discoveries = discover(log, DiscoverSettings(process=pid))
        office_coverage = {o: c for o, c in coverage.items()}
        process_bundles = aggregate(log, result, reference,
                                    AggregateSettings(suppress_below=project.privacy_threshold, period=project.period),
                                    coverage=_process_coverage(ingests, pid, project) or office_coverage)
        bundles.extend(process_bundles)
        processes[pid] = ProcessAnalysis(pid, reference, log, result, discoveries, tuple(process_bundles))
    progress("compare", "")
    allowlist = load_allowlist(project.allowlist) if project.allowlist else Allowlist()
    settings = CompareSettings(fdr=project.comparison.get("fdr", 0.05), gate=GateSettings(**{
        k: v for k, v in project.comparison.items() if k != "fdr"}))
    comparison = compare(bundles, references, settings=settings, allowlist=allowlist)
    findings = enrich_findings(comparison, bundles, references)
    return Analysis(project, tuple(ingests), processes, comparison, findings,
                    priority_matrix(bundles, references, min_cases=project.privacy_threshold),
                    trend(comparison.table), project.as_of)


def enrich_findings(comparison: Comparison, bundles: list[Bundle],
                    references: dict[str, ReferenceModel]) -> pl.DataFrame:
    """Findings with their German and English statements and best practice."""
    findings = comparison.findings
    if findings.height == 0:
        return findings
    practice = best_practice(comparison.table, bundles, references)
    rows = findings.to_dicts()
    return findings.with_columns(
        pl.Series("statement_de", [statement(r, "de") for r in rows]),
        pl.Series("statement_en", [statement(r, "en") for r in rows]),
    ).join(practice, on="finding_id", how="left")


def _process_coverage(ingests: list[IngestResult], process: str, project: Project) -> dict[str, float]:
    by_path = {s.path.name: s for s in project.exports if s.process == process}
    return {r.summary.office: r.summary.coverage for r in ingests if r.summary.file in by_path}
