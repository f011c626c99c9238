"""``pmtool run`` as a library call: the whole analysis of a project and its results folder.

::

    <output>/logs/<process>/<office>_<process>.parquet   canonical logs (+ .quarantine.csv, .summary.json)
    <output>/models/<process>/<office>_ist.bpmn, .pnml   Ist models (inductive miner)
    <output>/figures/<process>/<office>_dfg.svg, …       process maps and Ist nets
    <output>/tables/conformance/<process>_<table>.<fmt>   pmtool conform's tables per process
    <output>/tables/discovery/<process>/…                edge and variant tables, discovery summaries
    <output>/tables/<table>.<fmt>                        pmtool compare's tables (docs/columns.md)
    <output>/bundles/<office>_<process>_<period>.bundle.json       what each office would share
    <output>/report/                                     the report (pmtool.report)
    <output>/manifest.json                               inputs and outputs with SHA-256, settings, versions
    <output>/.cache/                                     stage results by content hash (pmtool.stage_cache)

Tables and manifest hold no wall-clock times, so an unchanged project gives byte-identical files. Files a
previous run listed in its manifest and this run no longer makes are removed; nothing else is touched. The
folder is marked as pmtool's (see :mod:`pmtool.results_folder`); a foreign, non-empty folder is refused.

>>> result = run_project(load_project(Path("pmtool.toml")), key=load_key())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any

import polars as pl

from pmtool import __version__, cluster, interrupts, limits, results_folder
from pmtool.analysis import Analysis, Progress, StageRunner, StepRecord, check_inputs, run_analysis
from pmtool.compare.compare import CompareSettings
from pmtool.compare.output import bundle_writers, comparison_writers
from pmtool.conform.output import conformance_tables, conformance_writers
from pmtool.discover.export import NOT_DRAWN, discovery_files, drawing_tasks, drawn
from pmtool.errors import PmtoolError
from pmtool.excel import workbook
from pmtool.graphviz import Drawings, dot_version
from pmtool.i18n import t
from pmtool.ingest.jobs import export_stem
from pmtool.ingest.output import Writer, ingest_writers, staged, write_atomically
from pmtool.ingest.pseudonymise import PseudonymKey
from pmtool.models.labels import label_map_beside
from pmtool.models.reference import rules_beside
from pmtool.project import ExportSource, Project
from pmtool.stage_cache import StageCache, canonical, load_files, save_files, sha256_file
from pmtool.vocabulary import extended

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "pmtool-run/1"
_FIGURES = (".svg", ".png")
_MODELS = (".bpmn", ".pnml")


@dataclass(frozen=True)
class RunResult:
    """What a run did: the analysis, the folder and files written (relative paths), the report's status
    (``written``, ``skipped`` when pmtool.report is not installed, ``failed``) with ``report_note`` saying
    why, every step with its time and cache use, and the total seconds."""

    analysis: Analysis
    output: Path
    files: tuple[str, ...]
    report_status: str
    report_note: str | None
    steps: tuple[StepRecord, ...]
    seconds: float
    not_drawn: tuple[tuple[str, str], ...] = ()  # (figure file, reason): Graphviz could not draw it
    #: How the open findings moved since the previous run in this folder (:func:`pmtool.rank_changes`:
    #: ``rank_before`` empty = new, ``rank_after`` empty = gone); ``None`` on the first run.
    changes: pl.DataFrame | None = None

    def offices_cached(self) -> dict[str, tuple[int, int]]:
        """Per process, how many offices came wholly from the cache (import, check, discovery, bundle and
        figures) and how many there are."""
        per: dict[str, dict[str, bool]] = {}
        for step in self.steps:
            if step.stage == "ingest":
                office, _, process = step.item.partition(" ")
            elif step.stage in OFFICE_STAGES:
                process, _, office = step.item.partition(" ")
            else:
                continue
            if office:
                per.setdefault(process, {})[office] = per.get(process, {}).get(office, True) and step.cached
        return {p: (sum(v.values()), len(v)) for p, v in sorted(per.items())}

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def _noop(step: str, detail: str) -> None:
    return None


def run_project(project: Project, *, key: PseudonymKey | None, allow_identifiable: bool = False,
                output: Path | None = None, use_cache: bool = True, lang: str | None = None,
                progress: Progress = _noop) -> RunResult:
    """Ingest, conform, discover, aggregate, compare and report every office and process of ``project``,
    and write the results folder (``output``, default ``project.output``) atomically.

    ``use_cache`` reuses stage results whose inputs are unchanged (``<output>/.cache``); ``lang`` is the
    language of figures and report (default: the project's). Raises :class:`~pmtool.errors.PmtoolError`
    subclasses, and then nothing is written; a report that cannot be drawn is the exception: the other
    results are written and ``report_status`` is ``failed``."""
    check_inputs(project)  # a bad file the project names stops the run before a folder is made or claimed
    with extended(project.vocabulary_files), cluster.connected(project.scheduler):
        return _run_project(project, key=key, allow_identifiable=allow_identifiable, output=output,
                            use_cache=use_cache, lang=lang, progress=progress)


def _run_project(project: Project, *, key: PseudonymKey | None, allow_identifiable: bool, output: Path | None,
                 use_cache: bool, lang: str | None, progress: Progress) -> RunResult:
    start = perf_counter()
    out = output or project.output
    lang = lang or project.language
    results_folder.check(out)  # a file or a foreign, non-empty folder is refused before anything is computed
    made: list[Path] = []  # the results folder and the folders above it that the run will make, deepest first
    folder = out
    while not folder.exists() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    try:
        return _run_in(out, project, key=key, allow_identifiable=allow_identifiable, use_cache=use_cache,
                       lang=lang, progress=progress, start=start)
    except BaseException:
        if made and results_folder.release(out):  # what this run made and kept nothing in is not left behind
            for folder in made[1:]:
                with suppress(OSError):  # only an empty folder goes
                    folder.rmdir()
        raise


def _run_in(out: Path, project: Project, *, key: PseudonymKey | None, allow_identifiable: bool,
            use_cache: bool, lang: str, progress: Progress, start: float) -> RunResult:
    if use_cache:
        results_folder.claim(out)  # the cache lives in it from the first step on
    store = StageCache(out / ".cache") if use_cache else None
    analysis = run_analysis(project, key=key, allow_identifiable=allow_identifiable, progress=progress, store=store)
    stages = StageRunner(store, progress)
    # the disclosure audit's linear programs and the tables run while Graphviz draws; a Ctrl-C or an error
    # calls them off and waits for them (a thread inside HiGHS at the interpreter's end aborts the process)
    with interrupts.Background() as background:
        audit = background.submit(disclosure_audit, analysis, store)
        tables = background.submit(_analysis_writers, analysis, out, project.tables, lang)
        figures: dict[Path, Writer] = {}
        not_drawn: list[tuple[str, str]] = []
        for pid, all_files in _discovery_files(analysis, stages, lang).items():
            files, failed = drawn(all_files)
            not_drawn += [((_discovery_folder(name, pid) / name).as_posix(), why) for name, why in failed.items()]
            for name, data in files.items():
                figures[out / _discovery_folder(name, pid) / name] = _bytes_writer(data)
        writers = {**interrupts.result(tables), **figures}
        disclosure = interrupts.result(audit)  # before the report, which asks for the same protection
    report, status, note = _report_files(analysis, out, stages, lang)
    for name, data in report.items():
        writers[out / "report" / name] = _bytes_writer(data)
    progress("write", str(out))
    results_folder.claim(out)
    results_folder.check_targets(out, writers)
    written = sorted(path.relative_to(out).as_posix() for path in writers)
    changes = _changes_since(out, analysis)
    with staged(writers, digest=True) as files:  # under temporary names until committed
        manifest = build_manifest(analysis, out, written, key=key, lang=lang,
                                  report=status if note is None else f"{status}: {note}", disclosure=disclosure,
                                  digests={path.relative_to(out).as_posix(): d for path, d in files.digests.items()})
        text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        with interrupts.held():  # outputs, stale files and manifest change together: a Ctrl-C waits for them
            files.commit()
            _remove_stale(out, set(written))
            write_atomically({out / MANIFEST: lambda p: p.write_text(text, encoding="utf-8")})
    if store is not None and status != "failed":
        store.prune()  # keep what this run used; older entries would only grow the cache
    return RunResult(analysis, out, (*written, MANIFEST), status, note, (*analysis.steps, *stages.steps),
                     perf_counter() - start, tuple(not_drawn), changes)


#: Stages that run once per office and process (their step's item is "<process> <office>").
OFFICE_STAGES = ("conform", "discover", "aggregate", "figures")
_FINDING_FIELDS = {"finding_id": pl.String, "process": pl.String, "office": pl.String, "item": pl.String,
                   "rank": pl.Int64, "score": pl.Float64, "accepted": pl.Boolean}


def finding_digest(findings: pl.DataFrame) -> list[dict[str, Any]]:
    """What the manifest keeps of the findings, so that the next run can say what changed."""
    if findings.height == 0:
        return []
    return findings.sort(["process", "rank"]).select(list(_FINDING_FIELDS)).to_dicts()


def _changes_since(out: Path, analysis: Analysis) -> pl.DataFrame | None:
    """The findings' moves since the run whose manifest is in ``out`` (``None`` without one)."""
    try:
        previous = json.loads((out / MANIFEST).read_text("utf-8"))
        rows = previous["findings"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    from types import SimpleNamespace

    from pmtool.api.whatif import rank_changes

    before = pl.DataFrame(rows, schema=_FINDING_FIELDS) if rows else pl.DataFrame(schema=_FINDING_FIELDS)
    return rank_changes(SimpleNamespace(findings=before), analysis)  # type: ignore[arg-type]


def adoption_frames(analysis: Analysis) -> dict[str, pl.DataFrame]:
    """``adoption_series`` and ``adoption_estimates`` of every process (:mod:`pmtool.compare.adoption`)."""
    from pmtool.compare.adoption import adoption_of

    parts = [adoption_of(analysis, pid).frames() for pid in analysis.processes]
    return {name: pl.concat([p[name] for p in parts]) for name in ("adoption_series", "adoption_estimates")}


def log_stems(exports: Sequence[ExportSource]) -> dict[ExportSource, str]:
    """The name (without suffix) of each export's canonical log in ``logs/<process>/``: ``<office>_<process>``;
    when an office has several exports of a process, the export's own name after it
    (``GA-01_P1_januar``; an export named ``GA-01_P1…`` already keeps its name), and a number after that if
    even those coincide. Never the export's name alone: offices export under the same generic names
    (``export.csv``), and one office's log would replace another's."""
    together = Counter((s.office, s.process) for s in exports)
    stems: dict[ExportSource, str] = {}
    taken: set[tuple[str, str]] = set()
    for source in exports:
        base = f"{source.office}_{source.process}"
        if together[(source.office, source.process)] > 1:
            own = export_stem(source.path)
            base = own if own.casefold().startswith(base.casefold()) else f"{base}_{own}"
        stem, n = base, 2
        while (source.process, stem.casefold()) in taken:
            stem, n = f"{base}-{n}", n + 1
        taken.add((source.process, stem.casefold()))
        stems[source] = stem
    return stems


def _analysis_writers(analysis: Analysis, out: Path, formats: tuple[str, ...],
                      lang: str) -> dict[Path, Writer]:
    writers: dict[Path, Writer] = {}
    stems = log_stems(analysis.project.exports)
    for source, result in zip(analysis.project.exports, analysis.ingests, strict=True):
        writers.update(ingest_writers(result, out / "logs" / source.process, stems[source])[1])
    per_table = tuple(f for f in formats if f != "xlsx")
    for pid, pa in analysis.processes.items():
        writers.update(conformance_writers(pa.results, out / "tables" / "conformance", pid, per_table))
    frames = {"comparison": analysis.comparison.table, "findings": analysis.findings,
              "priorities": analysis.priorities, "trend": analysis.trend, "throughput": analysis.throughput,
              "disclosure": analysis.disclosure, "comparability": analysis.comparability,
              **adoption_frames(analysis)}
    writers.update(comparison_writers(frames, out / "tables", per_table))
    if "xlsx" in formats:  # one workbook: findings first, then the comparison and each process's conformance
        sheets = {name: frames[name] for name in ("findings", "priorities", "comparison", "throughput", "trend")}
        for pid, pa in analysis.processes.items():
            tables = conformance_tables(pa.results)
            sheets[t("results.sheet.conformance", lang, process=pid)] = tables["summary"]
            if "rule_summary" in tables:
                sheets[t("results.sheet.rules", lang, process=pid)] = tables["rule_summary"]
        data = workbook(sheets)
        writers[out / "tables" / "pmtool.xlsx"] = lambda p, data=data: p.write_bytes(data)
    bundles = [b for pa in analysis.processes.values() for b in pa.bundles]
    writers.update(bundle_writers(bundles, out / "bundles"))
    return writers


def _discovery_files(analysis: Analysis, stages: StageRunner, lang: str) -> dict[str, dict[str, bytes]]:
    """Figures, models and tables of each process's discoveries, made per office (drawing is slow, so each
    office's files are cached under its discovery's key: a new office's export draws that office only).

    What Graphviz draws for the offices not in the cache is queued first, all of it: the helper processes
    keep drawing the next offices' figures while the offices' other files are made one after the other."""
    offices = [(pid, office, [d for d in pa.discoveries if d.scope.office == office])
               for pid, pa in analysis.processes.items()
               for office in sorted({d.scope.office for d in pa.discoveries})]

    def parts(pid: str, office: str) -> list[Any]:
        return [analysis.fingerprints.get(f"discover:{pid} {office}"), lang, dot_version()]

    out: dict[str, dict[str, bytes]] = {}
    with Drawings() as drawings:
        queued = {(pid, office): [drawings.queue(drawing_tasks(d, lang)) for d in found]
                  for pid, office, found in offices if not _in_cache(stages, "figures", parts(pid, office))}
        for pid, office, found in offices:
            def render(pid: str = pid, office: str = office, found: list[Any] = found) -> dict[str, bytes]:
                laid_out = queued.pop((pid, office), None) or [None] * len(found)
                files: dict[str, bytes] = {}
                for d, made in zip(found, laid_out, strict=True):
                    files.update(discovery_files(d, lang, made))
                return files

            files = stages.run("figures", f"{pid} {office}", lambda pid=pid, office=office: parts(pid, office),
                               render, save_files, load_files)
            if stages.steps[-1].cached and any(name.startswith(NOT_DRAWN) for name in files):
                files = render()  # a figure Graphviz could not draw (a timeout) is tried again
            # one office after the other: the progress bars follow one step at a time
            out.setdefault(pid, {}).update(files)
    return out


def _in_cache(stages: StageRunner, stage: str, parts: list[Any]) -> bool:
    """Whether the stage cache has an entry for ``stage`` with inputs ``parts`` (whether it holds, its
    step finds out)."""
    return stages.store is not None and stages.store.path(stage, stages.store.key(stage, *parts)).is_dir()


def _report_files(analysis: Analysis, out: Path, stages: StageRunner,
                  lang: str) -> tuple[dict[str, bytes], str, str | None]:
    """The report's files by relative name, its status (written, skipped, failed) and why not written.
    A report that cannot be drawn (PDF engine missing) does not cost the run its other results."""
    try:
        from pmtool.report import build_report
    except ImportError as exc:
        return {}, "skipped", str(exc)
    formats = analysis.project.formats
    if not formats:  # formats = [] in the project file: no report asked for
        return {}, "not_requested", None

    def render() -> dict[str, bytes]:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".report.", dir=out))
        try:
            build_report(analysis, tmp, lang=lang, formats=formats)
            return {p.relative_to(tmp).as_posix(): p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def parts() -> list[Any]:
        return [sorted(analysis.fingerprints.items()), canonical(analysis.project), lang, formats, dot_version()]

    try:
        return stages.run("report", "", parts, render, save_files, load_files), "written", None
    except PmtoolError as exc:
        return {}, "failed", exc.render()


def _discovery_folder(name: str, process: str) -> Path:
    suffix = Path(name).suffix
    if suffix in _FIGURES:
        return Path("figures") / process
    if suffix in _MODELS:
        return Path("models") / process
    return Path("tables") / "discovery" / process


def _bytes_writer(data: bytes) -> Writer:
    return lambda path: path.write_bytes(data)


def _remove_stale(out: Path, written: set[str]) -> None:
    """Delete files the previous manifest listed that this run did not write (an office left the project) —
    only those still exactly as pmtool wrote them, inside the folder (see :mod:`pmtool.results_folder`)."""
    try:
        previous = json.loads((out / MANIFEST).read_text("utf-8"))
        listed = [o for o in previous.get("outputs", []) if isinstance(o, dict)]
    except (OSError, ValueError, AttributeError, TypeError):
        return
    results_folder.remove_stale(out, listed, written)


def _comparison_settings(settings: CompareSettings) -> dict[str, float]:
    """The comparison settings in effect: the project file's ``[comparison]``, else the defaults."""
    return {"fdr": settings.fdr, "confidence": settings.confidence, **asdict(settings.gate)}


def _limits_in_force(project: Project) -> dict[str, int | None]:
    """The limits a run worked within, as the manifest records them: ``memory_mb`` is ``None`` when no memory
    budget is set (as the docs say: "none"), not the 0 that stands for it inside."""
    chosen = asdict(replace(limits.from_environment(), **dict(project.limits or {})))
    return {name: (None if name == "memory_mb" and value == 0 else value) for name, value in chosen.items()}


def build_manifest(analysis: Analysis, out: Path, written: list[str], *, key: PseudonymKey | None, lang: str,
                   report: str, disclosure: dict[str, Any] | None = None,
                   digests: dict[str, tuple[str, int]] | None = None) -> dict[str, Any]:
    """The run's manifest: inputs and outputs with SHA-256, settings and versions (no wall-clock times);
    ``disclosure``: :func:`disclosure_audit` of ``analysis``, ``digests``: SHA-256 and size of outputs by
    relative path, when already known."""
    project = analysis.project
    root = project.root

    def rel(path: Path) -> str:
        return Path(os.path.relpath(path, root)).as_posix()

    inputs: list[dict[str, Any]] = []
    if project.source is not None:
        inputs.append({"role": "project", "path": rel(project.source), "sha256": sha256_file(project.source)})
    for source in project.exports:
        inputs.append({"role": "export", "office": source.office, "process": source.process, "path": rel(source.path),
                       "sha256": sha256_file(source.path)})
        if source.profile:
            inputs.append({"role": "profile", "office": source.office, "process": source.process,
                           "path": rel(source.profile), "sha256": sha256_file(source.profile)})
    for pid, config in project.processes.items():
        inputs.append({"role": "model", "process": pid, "path": rel(config.model), "sha256": sha256_file(config.model)})
        # the rule pack and label map as loaded: named in the project file, else found beside the model
        for role, path in (("rules", config.rules or rules_beside(config.model)),
                           ("labels", config.labels or label_map_beside(config.model)),
                           ("vocabulary", config.vocabulary)):
            if path:
                inputs.append({"role": role, "process": pid, "path": rel(path), "sha256": sha256_file(path)})
    if project.allowlist:
        inputs.append({"role": "allowlist", "path": rel(project.allowlist), "sha256": sha256_file(project.allowlist)})
    settings = {
        "name": project.name, "language": lang, "period": project.period,
        "privacy_threshold": project.privacy_threshold,
        "as_of": project.as_of.isoformat() if project.as_of else None,
        "stale_after_days": project.stale_after_days, "incomplete": project.incomplete,
        "comparison": _comparison_settings(analysis.comparison.settings), "report_formats": list(project.formats),
        "table_formats": list(project.tables), "offices": {o.id: asdict(o.calendar) for o in project.offices.values()},
        "pseudonymised": key is not None, "key_id": key.key_id if key else None,
        "filters": {pid: list(project.filters_for(pid)) for pid in project.processes if project.filters_for(pid)},
        # how the run worked (results do not depend on them): worker processes, the Dask scheduler of the
        # per-office steps (None: this machine) and the limits in force
        "workers": project.workers, "scheduler": project.scheduler,
        # the worker processes that worked on the offices here (1: the run's own process) and why fewer
        "worker_processes": analysis.workers.to_dict() if analysis.workers else None,
        "limits": _limits_in_force(project),
    }
    return {
        "format": MANIFEST_FORMAT,
        "inputs": inputs,
        "settings": canonical(settings),
        "versions": {"pmtool": __version__, "pm4py": _version("pm4py"), "polars": _version("polars"),
                     "python": platform.python_version(), "graphviz": dot_version()},
        "report": report,
        "disclosure": disclosure if disclosure is not None else disclosure_audit(analysis),
        "findings": finding_digest(analysis.findings),
        "outputs": [_output(out, p, (digests or {}).get(p)) for p in written],
    }


def _output(out: Path, path: str, known: tuple[str, int] | None) -> dict[str, Any]:
    sha256, size = known or (sha256_file(out / path), (out / path).stat().st_size)
    return {"path": path, "sha256": sha256, "bytes": size}


def disclosure_audit(analysis: Analysis, store: StageCache | None = None) -> dict[str, Any]:
    """The disclosure audit of everything the run publishes (report and comparison tables together, see
    :mod:`pmtool.report.suppression`): threshold, hidden numbers, linear programs solved, small numbers still
    recoverable (0). Without the report package, the comparison tables' audit alone. With the stage cache
    ``store``, an unchanged publication's protection comes from it."""
    try:
        from pmtool.report.suppression import audit_summary, report_protection
    except ImportError:
        table = analysis.disclosure
        return {"privacy_threshold": analysis.comparison.settings.privacy_threshold, "hidden_cells": table.height,
                "scope": "tables"}
    return {**audit_summary(report_protection(analysis, store)), "scope": "report and tables"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


#: The bundled demo project over the synthetic sample data (present in a source checkout).
DEMO_PROJECT = Path(__file__).resolve().parents[1] / "data" / "demo.toml"
DEMO_OUT = Path("reports/demo")  # pmtool demo's results folder, relative to the working directory
#: The documented, non-secret key for the synthetic sample data only (never for real data).
DEMO_KEY = "sample-data-demo-key-not-secret"
