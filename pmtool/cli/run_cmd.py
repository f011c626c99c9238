"""``pmtool run`` and ``pmtool demo``: the whole analysis of a project file, with a results folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.table import Table

from pmtool.cli.conform_cmd import bounded_notes, label_notes
from pmtool.cli.console import local_moment, make_console
from pmtool.cli.errors import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, stderr, user_errors
from pmtool.cli.ingest_cmd import office_disagreement
from pmtool.cli.options import FILTER_HELP
from pmtool.cli.progress import StageBars
from pmtool.cli.verdict import exit_code, outcome_lines, priority_lines, summary_line
from pmtool.cluster import check_address
from pmtool.errors import ConfigError, Location
from pmtool.eventlog.filters import parse_filters
from pmtool.formatting import format_date, format_number
from pmtool.i18n import chosen_language, set_language, t, tn
from pmtool.ingest.pseudonymise import PseudonymKey, load_key, require_key
from pmtool.interrupts import interruptible
from pmtool.project import Project, load_project
from pmtool.results import DEMO_KEY, DEMO_OUT, DEMO_PROJECT, RunResult, run_project

if TYPE_CHECKING:
    from pmtool.analysis import Analysis

console = make_console()

_OUT_HELP = "Results folder; default: output from the project file."
_CACHE_HELP = "Compute every stage again; the cache (<output>/.cache) is neither read nor written."
_QUIET_HELP = "No progress bars (they are also off when the output is not a terminal)."
_SCHEDULER_HELP = ("Spread the run over a Dask cluster: its scheduler (tcp://host:8786), or local:N for N worker "
                   "processes on this machine; default: scheduler from the project file, else none. Same results. "
                   "Needs pip install 'pmtool[cluster]'.")
_WORKERS_HELP = ("Worker processes on this machine; default: workers from the project file. They work on the "
                 "offices when the exports take 16 MiB or more together, else on the alignments (the run summary "
                 "says which). Same results.")
_FAIL_HELP = ("Exit with code 1 when there are findings that are not accepted in the allowlist, and with code 3 "
              "when any office could not be compared (without this option: code 3 only when a process could "
              "not be compared at all).")


def run(
    project: Annotated[Path, typer.Option("--project", "-p", help="Project file (see docs/project-file.md; "
                                          "pmtool init writes a starter).")] = Path("pmtool.toml"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help=_OUT_HELP)] = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else PMTOOL_PSEUDONYM_KEY_FILE "
                                                  "or PMTOOL_PSEUDONYM_KEY).")] = None,
    allow_identifiable: Annotated[bool, typer.Option(help="Store case ids and names in clear when no key is "
                                                     "given. Only for data that is not personal.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help=_CACHE_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_QUIET_HELP)] = False,
    fail_on_findings: Annotated[bool, typer.Option("--fail-on-findings", help=_FAIL_HELP)] = False,
    scheduler: Annotated[str | None, typer.Option(help=_SCHEDULER_HELP)] = None,
    workers: Annotated[int | None, typer.Option(min=1, help=_WORKERS_HELP)] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP + " They apply to every "
                                                      "process, after the project file's filters.")] = None,
) -> None:
    """Run the whole analysis of a project: ingest, discover, conform, compare and report for every office
    and process, into one results folder with a manifest (inputs and outputs with SHA-256, settings,
    versions).

    Unchanged inputs are not computed again: every stage's result is kept under the SHA-256 of its inputs
    in <output>/.cache, and a second run takes seconds and writes byte-identical tables."""
    with user_errors():
        config = load_project(project)
        if scheduler is not None:
            config = replace(config, scheduler=check_address(scheduler, "--scheduler"))
        if workers is not None:
            config = replace(config, workers=workers)
        config = replace(config, filters=(*config.filters, *parse_filters(filters or ()).texts))
        key = require_key(load_key(key_file), allow_identifiable)
    _run(config, key, allow_identifiable, out, no_cache, quiet, fail_on_findings,
         cases=f"--project {project}" if out is None else None)


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = DEMO_OUT,
    no_cache: Annotated[bool, typer.Option("--no-cache", help=_CACHE_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_QUIET_HELP)] = False,
) -> None:
    """Run the whole analysis on the bundled synthetic sample data (13 offices, processes P1, P2, P3a) with
    the project file data/demo.toml: the same as pmtool run, in about a minute.

    The synthetic data are pseudonymised with the documented, non-secret demo key unless
    PMTOOL_PSEUDONYM_KEY (or PMTOOL_PSEUDONYM_KEY_FILE) is set."""
    with user_errors():
        if not DEMO_PROJECT.exists():
            raise ConfigError("cli.demo.missing", Location(str(DEMO_PROJECT)))
        config = load_project(DEMO_PROJECT)
        key = load_key()
    if key is None:
        key = PseudonymKey(DEMO_KEY.encode())
        console.print(t("cli.demo.key_note", key=DEMO_KEY))
    _run(config, key, False, out, no_cache, quiet, False, cases="--demo" if out == DEMO_OUT else None)


def _run(config: Project, key: PseudonymKey | None, allow_identifiable: bool, out: Path | None, no_cache: bool,
         quiet: bool, fail_on_findings: bool, cases: str | None = None) -> None:
    """``cases``: how ``pmtool cases`` finds this run's results (its options), ``None`` when it cannot."""
    lang = chosen_language() or config.language  # flag/environment > project file > default
    set_language(lang)
    try:
        with interruptible(), user_errors(), \
                StageBars(config, console, enabled=not quiet and console.is_terminal) as bars:
            result = run_project(config, key=key, allow_identifiable=allow_identifiable, output=out,
                                 use_cache=not no_cache, lang=lang, progress=bars)
    except KeyboardInterrupt:  # Ctrl-C or kill -INT: workers and helpers are stopped, nothing half-written
        stderr.print(f"pmtool: {t('cli.run.interrupted', out=str(out or config.output))}", markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _render(result, lang, cases)
    if result.report_status == "failed":
        raise typer.Exit(EXIT_CANNOT_RUN)
    code = exit_code(result.analysis.outcome, fail_on_findings=fail_on_findings)
    if code:
        raise typer.Exit(code)


def _render(result: RunResult, lang: str, cases: str | None = None) -> None:
    table = Table(title=t("cli.run.title", name=result.analysis.project.name), title_justify="left")
    for col in ("stage", "steps", "cached", "seconds"):
        table.add_column(t(f"cli.run.col.{col}"), justify="left" if col == "stage" else "right")
    stages: dict[str, list[float]] = {}
    for step in result.steps:
        row = stages.setdefault(step.stage, [0, 0, 0.0])
        row[0] += 1
        row[1] += step.cached
        row[2] += step.seconds
    for stage, (n, cached, seconds) in stages.items():
        table.add_row(t(f"cli.run.stage.{stage}"), format_number(n), format_number(cached),
                      format_number(seconds, decimals=1))
    console.print(table)
    workers = result.analysis.workers
    if workers is not None and workers.reason == "small_exports":  # a smaller budget was said during the run
        console.print(workers.describe(), style="yellow", markup=False, highlight=False)
    for source, ingested in zip(result.analysis.project.exports, result.analysis.ingests, strict=True):
        if ingested.summary.office_disagreements:
            console.print(office_disagreement(source.path.name, ingested.summary), style="yellow")
    if (line := period_note(result.analysis)) is not None:
        console.print(line, style="yellow", markup=False, highlight=False)
    for pa in result.analysis.processes.values():
        for line in label_notes(pa.results.labels) + bounded_notes(pa.results):
            console.print(line, style="yellow")
        for d in pa.discoveries:  # an Ist model of part of the log, or a fallback, says so
            m = d.ist.mining
            if m is not None and (m.filtered or m.fallback or m.activities < m.activities_total):
                console.print(t("cli.run.mining", process=pa.process, office=d.scope.office, method=m.describe()),
                              style="yellow" if m.fallback else None)
    for name, reason in result.not_drawn:
        console.print(t("cli.run.not_drawn", file=name, reason=reason), style="yellow")
    cached = sum(s.cached for s in result.steps)
    if cached:
        console.print(t("cli.run.cached", n=cached, total=len(result.steps)))
        for process, (whole, total) in result.offices_cached().items():
            console.print(t("cli.run.offices_cached", process=process, n=whole, total=total))
    _changes(result, lang)
    findings = result.analysis.findings
    if findings.height:
        per = findings.group_by("process").len().sort("process")
        console.print(tn("cli.run.findings", findings.height, accepted=int(findings["accepted"].sum()),
                         per=", ".join(f"{p} {n}" for p, n in per.iter_rows())))
        column = "statement_de" if lang == "de" else "statement_en"
        for row in findings.filter(pl.col("rank") == 1).sort("process").iter_rows(named=True):
            console.print(f"  {row['process']} #1: {row[column]}")
        if cases is not None:
            top = findings.filter(pl.col("rank") == 1).sort("process")["finding_id"][0]
            console.print(t("cli.run.cases_hint", finding=top, options=cases))
    outcome = result.analysis.outcome
    for line in outcome_lines(outcome):
        console.print(line, style="bold red")
    for line in priority_lines(result.analysis.priorities):
        console.print(line)
    said = summary_line(outcome)
    if said and (not findings.height or outcome.status == "not_comparable"):
        console.print(said, style="bold red" if outcome.status == "not_comparable" else None)
    if result.report_status == "not_requested":
        console.print(t("cli.run.report.not_requested"))
    elif result.report_status == "skipped":
        console.print(t("cli.run.report.skipped", reason=result.report_note), style="yellow")
    elif result.report_status == "failed":
        console.print(t("cli.run.no_report", reason=result.report_note), style="bold red")
    console.print(t("cli.run.written", n=len(result.files), out=str(result.output),
                    seconds=format_number(result.seconds, decimals=1)))


#: New, gone and moved findings listed one by one (the rest counted).
_CHANGES_LISTED = 5


def _changes(result: RunResult, lang: str) -> None:
    """What changed since the previous run in the same folder: new, gone and re-ranked open findings."""
    moved = result.changes
    if moved is None:
        return
    new = moved.filter(pl.col("rank_before").is_null())
    gone = moved.filter(pl.col("rank_after").is_null())
    ranked = moved.filter(pl.col("change").is_not_null() & (pl.col("change") != 0))
    if not (new.height or gone.height or ranked.height):
        console.print(t("cli.run.changes.none"))
        return
    console.print(t("cli.run.changes.head", new=new.height, gone=gone.height, moved=ranked.height))
    column = "statement_de" if lang == "de" else "statement_en"
    texts = dict(zip(result.analysis.findings["finding_id"], result.analysis.findings[column], strict=True)) \
        if result.analysis.findings.height else {}
    for row in new.head(_CHANGES_LISTED).iter_rows(named=True):
        console.print(t("cli.run.changes.new", process=row["process"], rank=row["rank_after"],
                        text=texts.get(row["finding_id"]) or f"{row['office']} {row['item']}"))
    for row in gone.head(_CHANGES_LISTED).iter_rows(named=True):
        console.print(t("cli.run.changes.gone", process=row["process"], rank=row["rank_before"],
                        office=row["office"], item=row["item"]))
    for row in ranked.sort(pl.col("change").abs(), descending=True).head(_CHANGES_LISTED).iter_rows(named=True):
        console.print(t("cli.run.changes.moved", process=row["process"], office=row["office"], item=row["item"],
                        before=row["rank_before"], after=row["rank_after"]))


def period_note(analysis: Analysis) -> str | None:
    """One line when the project's ``period`` names a year (``"2025"``) in which no imported event lies: the
    label is printed on the report and the tables, and pmtool does not filter by it, so a label left from
    the starter file would put the wrong year on the results."""
    label = analysis.project.period.strip()
    summaries = [i.summary for i in analysis.ingests if i.summary.period_start and i.summary.period_end]
    if not (len(label) == 4 and label.isdigit()) or not summaries:
        return None
    first = min(summaries, key=lambda s: s.period_start or "")
    last = max(summaries, key=lambda s: s.period_end or "")
    start, end = local_moment(first.period_start, first.timezone), local_moment(last.period_end, last.timezone)
    assert start is not None and end is not None
    if start.year <= int(label) <= end.year:
        return None
    return t("cli.run.period_label", period=label, start=format_date(start, timezone=first.timezone),
             end=format_date(end, timezone=last.timezone))

