"""``pmtool compare``: compare the offices against the Soll and each other, from logs, bundles or a project."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pmtool.analysis import ComparisonTables, compare_bundles, run_analysis
from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.options import (
    FILTER_HELP,
    VocabularyOption,
    model_spec,
    named_reference,
    parse_as_of,
    parse_table_formats,
)
from pmtool.cli.verdict import exit_code, outcome_lines, priority_lines, summary_line
from pmtool.compare.allowlist import Allowlist, data_day, load_allowlist
from pmtool.compare.bundle import AggregateSettings
from pmtool.compare.compare import CompareSettings
from pmtool.compare.inputs import bundles_from_inputs, collect_inputs
from pmtool.compare.output import comparison_writers
from pmtool.compare.statements import percent
from pmtool.conform.conformance import ConformanceSettings
from pmtool.errors import ConfigError, Location
from pmtool.eventlog.filters import parse_filters
from pmtool.formatting import format_number
from pmtool.i18n import language, t, tn
from pmtool.ingest.output import write_atomically
from pmtool.ingest.pseudonymise import load_key, require_key
from pmtool.models.reference import ReferenceModel, load_reference
from pmtool.project import load_project
from pmtool.results_folder import claimed
from pmtool.stage_cache import StageCache
from pmtool.vocabulary import extended

console = make_console()


def compare(
    inputs: Annotated[list[Path] | None, typer.Argument(metavar="INPUTS", help="Canonical logs (.parquet), "
                                                        "bundles (.bundle.json) or folders of them. Logs are "
                                                        "aggregated in memory first, then compared exactly like "
                                                        "bundles.")] = None,
    project: Annotated[Path | None, typer.Option("--project", "-p", help="Compare the offices of a project file "
                                                 "instead of INPUTS (ingests its exports; reuses the cache of "
                                                 "pmtool run).")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Soll model per process, P1=path.bpmn; "
                                                    "repeat for each process. A path alone takes the process "
                                                    "from its rule pack.")] = None,
    rules: Annotated[list[str] | None, typer.Option(help="Rule pack per process, P1=path.rules.toml; default: "
                                                    "<model>.rules.toml beside the model.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder for the tables comparison, "
                                             "findings, priorities, trend, throughput, disclosure and "
                                             "comparability; with --project default <output>/tables.")] = None,
    allowlist: Annotated[Path | None, typer.Option(help="Accepted deviations (TOML, each with a written "
                                                   "justification); accepted findings stay in the tables, "
                                                   "marked accepted.")] = None,
    fdr: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="False discovery rate per process "
                                              "(Benjamini-Hochberg); default 0.05 or the project's.")] = None,
    suppress_below: Annotated[int, typer.Option(min=1, help="Privacy threshold: published counts below it are "
                                                "hidden, with secondary suppression checked by linear "
                                                "programming (a bundle may ask for more).")] = 5,
    period: Annotated[str, typer.Option(help="Period label for logs (like pmtool aggregate).")] = "all",
    as_of: Annotated[str | None, typer.Option(help="Point in time of the check for logs (ISO date or "
                                              "date-time); default: the last event per process.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="Table formats, comma-separated: csv, parquet, "
                                               "json, csv-excel, xlsx; default: csv,parquet,json, with --project "
                                               "the project's tables.")] = None,
    fail_on_findings: Annotated[bool, typer.Option("--fail-on-findings", help="Exit with code 1 when there are "
                                                   "findings that are not accepted, and with code 3 when any "
                                                   "office could not be compared.")] = False,
    key_file: Annotated[Path | None, typer.Option(help="With --project: pseudonymisation key file (else "
                                                  "PMTOOL_PSEUDONYM_KEY_FILE or PMTOOL_PSEUDONYM_KEY).")] = None,
    allow_identifiable: Annotated[bool, typer.Option(help="With --project: store case ids in clear when no key "
                                                     "is given.")] = False,
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP + " With --project they "
                                                      "apply to every process, after the project file's.")] = None,
    vocabulary: VocabularyOption = None,
) -> None:
    """Compare offices against the Soll and each other and rank the critical differences: rates with
    confidence intervals, Fisher tests against all other offices with false-discovery-rate control,
    empirical-Bayes shrinkage, and a transparent score (excess share x severity x impact). Writes the
    comparison table, the findings (with a statement in German and English and the best practice), the
    process prioritisation matrix and the trend."""
    with user_errors(), extended(vocabulary or []):
        formats = parse_table_formats(format) if format is not None else ("csv", "parquet", "json")
        if (project is None) == (not inputs):
            raise ConfigError("cli.compare.inputs_or_project", Location())
        if project is not None:
            config = load_project(project)
            if format is None:
                formats = config.tables
            config = replace(config, allowlist=allowlist or config.allowlist,
                             comparison={**config.comparison, **({"fdr": fdr} if fdr is not None else {})},
                             filters=(*config.filters, *parse_filters(filters or ()).texts))
            key = require_key(load_key(key_file), allow_identifiable)
            analysis = run_analysis(config, key=key, allow_identifiable=allow_identifiable, discover_models=False,
                                    store=StageCache(claimed(config.output) / ".cache"))
            tables = ComparisonTables(analysis.comparison, analysis.findings, analysis.priorities, analysis.trend,
                                      analysis.throughput, analysis.disclosure, analysis.comparability)
            target = out or config.output / "tables"
        else:
            if out is None:
                raise ConfigError("cli.compare.no_out", Location())
            references = _references(model or [], rules or [])
            accepted = load_allowlist(allowlist) if allowlist else Allowlist()
            moment = parse_as_of(as_of)
            bundles = bundles_from_inputs(collect_inputs(inputs or []), references,
                                          settings=AggregateSettings(suppress_below=suppress_below, period=period,
                                                                     filters=parse_filters(filters or ()).texts),
                                          conformance=ConformanceSettings(as_of=moment))
            tables = compare_bundles(bundles, references,
                                     settings=CompareSettings(fdr=0.05 if fdr is None else fdr,
                                                              privacy_threshold=suppress_below),
                                     allowlist=replace(accepted, today=data_day(bundles, moment)),
                                     min_cases=suppress_below)
            target = out
        write_atomically(comparison_writers(tables.frames(), target, formats))
    _render(tables, target)
    code = exit_code(tables.outcome, fail_on_findings=fail_on_findings)
    if code:
        raise typer.Exit(code)


def _references(models: list[str], rules: list[str]) -> dict[str, ReferenceModel]:
    if not models:
        raise ConfigError("cli.compare.no_model", Location())
    rule_paths = {}
    for spec in rules:
        pid, _, path = spec.partition("=")
        if not path:
            raise ConfigError("cli.compare.bad_spec", Location(), option="--rules", value=spec)
        rule_paths[pid] = Path(path)
    references: dict[str, ReferenceModel] = {}
    for spec in models:
        pid, path = model_spec(spec)
        reference = named_reference(pid, load_reference(Path(path), rule_paths.get(pid)), where=path)
        references[reference.process_id] = reference
    return references


def _render(tables: ComparisonTables, out: Path, *, written: bool = True) -> None:
    """The findings per process, how many there are among how many offices compared, the outcome (what could
    not be compared) and, with ``written``, where the tables are. Where no office was compared there is no
    count of findings: the outcome lines are the one verdict."""
    findings = tables.findings
    lang = language()
    for (process,), rows in sorted(findings.partition_by("process", as_dict=True).items()) if findings.height else []:
        table = Table(title=t("cli.compare.table.title", process=process), title_justify="left")
        for col in ("rank", "office", "item", "rate", "others", "q", "score"):
            table.add_column(t(f"cli.compare.col.{col}"), justify="left" if col in ("office", "item") else "right",
                             ratio=1 if col == "item" else None, no_wrap=col != "item")
        for row in rows.sort("rank").head(10).iter_rows(named=True):
            item = row["item"] + (f" ({t('cli.compare.col.accepted')})" if row["accepted"] else "")
            table.add_row(str(row["rank"]), row.get("office_name") or row["office"], item, percent(row["rate"], lang),
                          percent(row["rate_others"], lang), format_number(row["q_value"], decimals=4),
                          format_number(row["score"], decimals=1))
        console.print(table)
    if findings.height:
        console.print(t("cli.compare.caption"))
    accepted = int(findings["accepted"].sum()) if findings.height else 0
    outcome = tables.outcome
    compared = len({office for p in outcome.processes for office in p.compared})
    if findings.height or compared:
        console.print(tn("cli.compare.summary", findings.height, accepted=accepted,
                         offices=tn("report.n.offices", compared)))
    for line in outcome_lines(outcome):
        console.print(line, style="bold red")
    for line in priority_lines(tables.priorities):
        console.print(line)
    said = summary_line(outcome)
    if said and (not findings.height or outcome.status == "not_comparable"):
        console.print(said, style="bold red" if outcome.status == "not_comparable" else None)
    if written:
        console.print(t("cli.compare.written", out=str(out)))
