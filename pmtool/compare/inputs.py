"""What ``pmtool aggregate`` and ``pmtool compare`` read: canonical logs, bundle files, or folders of them.

Logs become bundles in memory exactly as ``pmtool aggregate`` writes them, and pass through the bundle's
JSON form, so comparing logs and comparing the bundle files made from them give the same tables.

>>> inputs = collect_inputs([Path("results/")])  # doctest: +SKIP
>>> bundles = bundles_from_inputs(inputs, {"P1": load_reference(Path("P1.bpmn"))})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pmtool.calendar import WorkingCalendar
from pmtool.compare.bundle import AggregateSettings, Bundle, aggregate, check_bundle, read_bundle
from pmtool.conform.alignments import AlignmentCache
from pmtool.conform.conformance import ConformanceSettings, conform
from pmtool.conform.labels import apply_task_labels, label_coverage
from pmtool.errors import InputError, Location
from pmtool.eventlog.log import EventLog, read_parquet
from pmtool.models.reference import ReferenceModel

BUNDLE_SUFFIX = ".bundle.json"
LOG_SUFFIX = ".parquet"


@dataclass(frozen=True)
class CompareInputs:
    """Canonical logs (``.parquet`` from ``pmtool ingest``) and bundle files (``.bundle.json``)."""

    logs: tuple[Path, ...]
    bundles: tuple[Path, ...]


def collect_inputs(paths: Sequence[Path]) -> CompareInputs:
    """Sort ``paths`` into logs and bundles; a folder contributes every log and bundle below it.

    Raises :class:`InputError` for a file that is neither, or when nothing is found."""
    logs: list[Path] = []
    bundles: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            logs.extend(p for p in found if p.suffix == LOG_SUFFIX)
            bundles.extend(p for p in found if p.name.endswith(BUNDLE_SUFFIX))
        elif path.name.endswith(BUNDLE_SUFFIX):
            bundles.append(path)
        elif path.suffix == LOG_SUFFIX:
            logs.append(path)
        elif not path.exists():
            raise InputError("read.not_found", Location(str(path)))
        else:
            raise InputError("compare.inputs.unknown", Location(str(path)))
    if not logs and not bundles:
        raise InputError("compare.inputs.none", Location(", ".join(str(p) for p in paths)))
    return CompareInputs(tuple(logs), tuple(bundles))


def aggregate_log(log: EventLog, reference: ReferenceModel, *, settings: AggregateSettings | None = None,
                  conformance: ConformanceSettings | None = None,
                  calendars: Mapping[str, WorkingCalendar] | None = None,
                  cache: AlignmentCache | None = None) -> list[Bundle]:
    """One bundle per office of ``log``: conformance against ``reference``, then :func:`aggregate`, each
    bundle read back from its JSON text (what leaves the office is exactly what is compared)."""
    log = apply_task_labels(log, reference)
    if settings is not None and settings.filters:  # the bundles record them in their meta
        from pmtool.eventlog.filters import filter_event_log

        log = filter_event_log(log, settings.filters, scope=reference.process)
    result = conform(log, reference, calendars=calendars, settings=conformance, cache=cache)
    return [Bundle.from_json(b.to_json()) for b in aggregate(log, result, reference, settings,
                                                             coverage=label_coverage(log, reference))]


def log_process(log: EventLog, known: Sequence[str]) -> str | None:
    """The process of ``known`` most cases of ``log`` belong to (by the vocabulary of their activities);
    with a single known process, that one."""
    if len(known) == 1:
        return known[0]
    from pmtool.discover.scope import PROCESS, case_processes

    counts = (case_processes(log).filter(pl.col(PROCESS).is_in(list(known)))
              .group_by(PROCESS).len().sort(["len", PROCESS], descending=[True, False]))
    return counts[PROCESS][0] if counts.height else None


def bundles_from_inputs(inputs: CompareInputs, references: Mapping[str, ReferenceModel], *,
                        settings: AggregateSettings | None = None, conformance: ConformanceSettings | None = None,
                        calendars: Mapping[str, WorkingCalendar] | None = None) -> list[Bundle]:
    """All bundles of ``inputs``: bundle files as they are, logs aggregated per process (``references``
    maps process id → Soll model). Raises :class:`InputError` when a log or bundle has no model, a bundle
    was made with another Soll model, or an office appears twice for the same process and period."""
    bundles: list[Bundle] = []
    origin: dict[tuple[str, str, str], str] = {}
    for path in inputs.bundles:
        bundle = read_bundle(path)
        check_bundle(bundle, str(path), threshold=settings.suppress_below if settings else None)
        _check_model(bundle, references, str(path))
        bundles.append(bundle)
        origin.setdefault((bundle.process, bundle.period, bundle.office), str(path))
    frames: dict[str, list[pl.DataFrame]] = {}
    for path in inputs.logs:
        log = read_parquet(path)
        process = log_process(log, list(references))
        if process is None:
            raise InputError("compare.inputs.log_process", Location(str(path)), known=", ".join(references))
        frames.setdefault(process, []).append(log.frame)
    cache = AlignmentCache()
    for process, parts in sorted(frames.items()):
        log = EventLog.from_frame(pl.concat(parts, how="diagonal_relaxed"))
        bundles.extend(aggregate_log(log, references[process], settings=settings, conformance=conformance,
                                     calendars=calendars, cache=cache))
    seen: set[tuple[str, str, str]] = set()
    for b in bundles:
        key = (b.process, b.period, b.office)
        if key in seen:
            raise InputError("compare.inputs.duplicate", Location(origin.get(key)), office=b.office, process=b.process,
                             period=b.period)
        seen.add(key)
    return sorted(bundles, key=lambda b: (b.process, b.period, b.office))


def _check_model(bundle: Bundle, references: Mapping[str, ReferenceModel], where: str) -> None:
    reference = references.get(bundle.process)
    if reference is None:
        raise InputError("compare.inputs.no_model", Location(where), process=bundle.process)
    made_with = bundle.meta.get("model_sha256")
    if made_with and made_with != reference.fingerprint:
        raise InputError("compare.inputs.other_model", Location(where), office=bundle.office, model=reference.source,
                         bundle_model=str(bundle.meta.get("model") or "?"))
    rules = reference.rules
    if rules is not None and bundle.meta.get("rules_version") not in (None, rules.version):
        raise InputError("compare.inputs.other_rules", Location(where), office=bundle.office, version=rules.version,
                         bundle_version=str(bundle.meta.get("rules_version")))
